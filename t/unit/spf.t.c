/*
 * spf.t - lib/spf against records from a table (t/unit/dns_table.h): each
 * mechanism and qualifier, prefix lengths, include and redirect, exp=,
 * the limits (the 11th lookup, the 3rd void lookup, MX hosts), DNS
 * failures, record selection, syntax errors, case, the HELO identity,
 * and RFC 7208 section 7.4's macro examples.  Cases written for cartero.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "dns.h"
#include "params.h"
#include "spf.h"
#include "spf_int.h"
#include "../tap.h"
#include "dns_table.h"

#define T_TXT	DNS_T_TXT
#define T_A	DNS_T_A
#define T_AAAA	DNS_T_AAAA
#define T_MX	DNS_T_MX
#define T_PTR	DNS_T_PTR

static const struct dns_table_row zone[] = {
	{ "nospf.test", T_TXT, "google-site-verification=xyz" },
	{ "two.test", T_TXT, "v=spf1 -all" },
	{ "two.test", T_TXT, "v=spf1 +all" },
	{ "ten.test", T_TXT, "v=spf10 +all" },
	{ "ten.test", T_TXT, "v=spf1 -all" },
	{ "case.test", T_TXT, "V=SpF1 IP4:192.0.2.0/24 -ALL" },
	{ "all.test", T_TXT, "v=spf1 all" },
	{ "fail.test", T_TXT, "v=spf1 -all" },
	{ "soft.test", T_TXT, "v=spf1 ~all" },
	{ "neutral.test", T_TXT, "v=spf1 ?all" },
	{ "empty.test", T_TXT, "v=spf1" },
	{ "spaces.test", T_TXT, "v=spf1   ip4:192.0.2.3    -all  " },
	{ "ip4.test", T_TXT, "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.7 -all" },
	{ "ip6.test", T_TXT, "v=spf1 ip6:2001:db8::/32 -all" },
	{ "badcidr.test", T_TXT, "v=spf1 ip4:192.0.2.0/33 -all" },
	{ "zerocidr.test", T_TXT, "v=spf1 ip4:192.0.2.0/024 -all" },
	{ "badcidr6.test", T_TXT, "v=spf1 a//129 -all" },
	{ "badip.test", T_TXT, "v=spf1 ip4:192.0.2 -all" },
	{ "a.test", T_TXT, "v=spf1 a -all" },
	{ "a.test", T_A, "192.0.2.10" },
	{ "acidr.test", T_TXT, "v=spf1 a:host.acidr.test/24 -all" },
	{ "host.acidr.test", T_A, "198.51.100.1" },
	{ "a6.test", T_TXT, "v=spf1 a//64 -all" },
	{ "a6.test", T_AAAA, "2001:db8:6::1" },
	{ "mx.test", T_TXT, "v=spf1 mx -all" },
	{ "mx.test", T_MX, "10 mx1.mx.test" },
	{ "mx.test", T_MX, "20 mx2.mx.test" },
	{ "mx1.mx.test", T_A, "192.0.2.21" },
	{ "mx2.mx.test", T_A, "192.0.2.22" },
	{ "mxcidr.test", T_TXT, "v=spf1 mx:mx.test/24 -all" },
	{ "manymx.test", T_TXT, "v=spf1 mx -all" },
	{ "manymx.test", T_MX, "1 h1" }, { "manymx.test", T_MX, "2 h2" },
	{ "manymx.test", T_MX, "3 h3" }, { "manymx.test", T_MX, "4 h4" },
	{ "manymx.test", T_MX, "5 h5" }, { "manymx.test", T_MX, "6 h6" },
	{ "manymx.test", T_MX, "7 h7" }, { "manymx.test", T_MX, "8 h8" },
	{ "manymx.test", T_MX, "9 h9" }, { "manymx.test", T_MX, "10 h10" },
	{ "manymx.test", T_MX, "11 h11" },
	{ "ptr.test", T_TXT, "v=spf1 ptr -all" },
	{ "50.2.0.192.in-addr.arpa", T_PTR, "host.ptr.test" },
	{ "51.2.0.192.in-addr.arpa", T_PTR, "host.ptr.test" },
	{ "host.ptr.test", T_A, "192.0.2.50" },
	{ "exists.test", T_TXT, "v=spf1 exists:%{i}.ok.exists.test -all" },
	{ "192.0.2.60.ok.exists.test", T_A, "127.0.0.2" },
	{ "inc.test", T_TXT, "v=spf1 include:inc-ok.test -all" },
	{ "inc-ok.test", T_TXT, "v=spf1 ip4:192.0.2.70 -all" },
	{ "incnone.test", T_TXT, "v=spf1 include:none.test +all" },
	{ "incperm.test", T_TXT, "v=spf1 include:two.test +all" },
	{ "inctemp.test", T_TXT, "v=spf1 include:temp.test +all" },
	{ "temp.test", T_TXT, "TEMPFAIL" },
	{ "temp.test", T_A, "TEMPFAIL" },
	{ "atemp.test", T_TXT, "v=spf1 a:temp.test -all" },
	{ "redir.test", T_TXT, "v=spf1 redirect=ip4.test" },
	{ "redirnone.test", T_TXT, "v=spf1 redirect=none.test" },
	{ "loop1.test", T_TXT, "v=spf1 redirect=loop2.test" },
	{ "loop2.test", T_TXT, "v=spf1 redirect=loop1.test" },
	{ "incloop.test", T_TXT, "v=spf1 include:incloop.test -all" },
	{ "redirall.test", T_TXT, "v=spf1 -all redirect=all.test" },
	{ "tworedir.test", T_TXT, "v=spf1 redirect=a.test redirect=all.test" },
	{ "lim10.test", T_TXT, "v=spf1 a:n.test a:n.test a:n.test a:n.test "
	    "a:n.test a:n.test a:n.test a:n.test a:n.test a:n.test -all" },
	{ "lim11.test", T_TXT, "v=spf1 a:n.test a:n.test a:n.test a:n.test "
	    "a:n.test a:n.test a:n.test a:n.test a:n.test a:n.test a:n.test "
	    "-all" },
	{ "n.test", T_A, "203.0.113.99" },
	{ "void2.test", T_TXT, "v=spf1 a:nx1.test a:nx2.test -all" },
	{ "void3.test", T_TXT, "v=spf1 a:nx1.test a:nx2.test mx:nx3.test "
	    "-all" },
	{ "unk.test", T_TXT, "v=spf1 foo -all" },
	{ "unkmod.test", T_TXT, "v=spf1 foo=bar -all" },
	{ "lateerr.test", T_TXT, "v=spf1 +all ip4:1.2.3" },
	{ "noarg.test", T_TXT, "v=spf1 include: -all" },
	{ "allarg.test", T_TXT, "v=spf1 all:foo.test" },
	{ "badmacro.test", T_TXT, "v=spf1 exists:%{x}.test -all" },
	{ "zeromacro.test", T_TXT, "v=spf1 exists:%{d0}.test -all" },
	{ "twoexp.test", T_TXT, "v=spf1 -all exp=a.test exp=b.test" },
	{ "exp.test", T_TXT, "v=spf1 -all exp=explain.exp.test" },
	{ "explain.exp.test", T_TXT,
	    "%{i} is not one of %{d}'s designated mail servers." },
	{ "helo.test", T_TXT, "v=spf1 a -all" },
	{ "helo.test", T_A, "192.0.2.80" },
	{ "macro.test", T_TXT,
	    "v=spf1 exists:%{l}.%{o}.users.macro.test -all" },
	{ "ana.macro.test.users.macro.test", T_A, "127.0.0.2" },
	{ "badend.test", T_TXT, "v=spf1 a:foo.123 -all" },
	{ "3.2.0.192.in-addr.arpa", T_PTR, "mx.example.org" },
	{ "mx.example.org", T_A, "192.0.2.3" },
	{ "pmacro.test", T_TXT, "v=spf1 exists:%{p}.ok.pmacro.test -all" },
	{ "mx.example.org.ok.pmacro.test", T_A, "127.0.0.2" },
	{ NULL, 0, NULL }
};

/* A case: client, sender, HELO, the result wanted. */
static const struct {
	const char	*ip;
	const char	*sender;
	const char	*helo;
	int		 want;
	const char	*name;
} cases[] = {
	{ "192.0.2.3", "a@none.test", "h.test", SPF_NONE, "no TXT: none" },
	{ "192.0.2.3", "a@nospf.test", "h.test", SPF_NONE,
	    "TXT without v=spf1: none" },
	{ "192.0.2.3", "a@two.test", "h.test", SPF_PERMERROR,
	    "two v=spf1 records: permerror" },
	{ "192.0.2.3", "a@ten.test", "h.test", SPF_FAIL,
	    "v=spf10 is not a record: the other one counts" },
	{ "192.0.2.3", "a@CASE.test", "h.test", SPF_PASS,
	    "names and mechanisms in any case" },
	{ "198.51.100.1", "a@case.test", "h.test", SPF_FAIL,
	    "  and -ALL fails" },
	{ "192.0.2.3", "a@all.test", "h.test", SPF_PASS, "all: pass" },
	{ "192.0.2.3", "a@fail.test", "h.test", SPF_FAIL, "-all: fail" },
	{ "192.0.2.3", "a@soft.test", "h.test", SPF_SOFTFAIL,
	    "~all: softfail" },
	{ "192.0.2.3", "a@neutral.test", "h.test", SPF_NEUTRAL,
	    "?all: neutral" },
	{ "192.0.2.3", "a@empty.test", "h.test", SPF_NEUTRAL,
	    "no terms: neutral" },
	{ "192.0.2.3", "a@spaces.test", "h.test", SPF_PASS,
	    "runs of spaces between terms" },
	{ "192.0.2.200", "a@ip4.test", "h.test", SPF_PASS, "ip4 with /24" },
	{ "198.51.100.7", "a@ip4.test", "h.test", SPF_PASS, "ip4 of one host" },
	{ "198.51.100.8", "a@ip4.test", "h.test", SPF_FAIL, "ip4 no match" },
	{ "2001:db8::1", "a@ip4.test", "h.test", SPF_FAIL,
	    "ip4 never matches an IPv6 client" },
	{ "::ffff:192.0.2.3", "a@ip4.test", "h.test", SPF_PASS,
	    "a v4-mapped client is IPv4" },
	{ "2001:db8:1::1", "a@ip6.test", "h.test", SPF_PASS, "ip6 with /32" },
	{ "2001:db9::1", "a@ip6.test", "h.test", SPF_FAIL, "ip6 no match" },
	{ "192.0.2.1", "a@ip6.test", "h.test", SPF_FAIL,
	    "ip6 never matches an IPv4 client" },
	{ "192.0.2.1", "a@badcidr.test", "h.test", SPF_PERMERROR,
	    "ip4 /33: permerror" },
	{ "192.0.2.1", "a@zerocidr.test", "h.test", SPF_PERMERROR,
	    "a prefix length with a leading zero: permerror" },
	{ "192.0.2.1", "a@badcidr6.test", "h.test", SPF_PERMERROR,
	    "a//129: permerror" },
	{ "192.0.2.1", "a@badip.test", "h.test", SPF_PERMERROR,
	    "ip4 with three octets: permerror" },
	{ "192.0.2.10", "a@a.test", "h.test", SPF_PASS, "a: the domain's A" },
	{ "192.0.2.11", "a@a.test", "h.test", SPF_FAIL, "a: no match" },
	{ "198.51.100.200", "a@acidr.test", "h.test", SPF_PASS,
	    "a:host/24" },
	{ "2001:db8:6::ffff", "a@a6.test", "h.test", SPF_PASS, "a//64" },
	{ "2001:db8:7::1", "a@a6.test", "h.test", SPF_FAIL, "a//64 no match" },
	{ "192.0.2.22", "a@mx.test", "h.test", SPF_PASS,
	    "mx: the second host's address" },
	{ "192.0.2.23", "a@mx.test", "h.test", SPF_FAIL, "mx: no match" },
	{ "192.0.2.99", "a@mxcidr.test", "h.test", SPF_PASS, "mx:domain/24" },
	{ "192.0.2.99", "a@manymx.test", "h.test", SPF_PERMERROR,
	    "mx with 11 hosts: permerror" },
	{ "192.0.2.50", "a@ptr.test", "h.test", SPF_PASS,
	    "ptr: a validated name under the domain" },
	{ "192.0.2.51", "a@ptr.test", "h.test", SPF_FAIL,
	    "ptr: a name whose address is another's" },
	{ "192.0.2.52", "a@ptr.test", "h.test", SPF_FAIL,
	    "ptr: no PTR record" },
	{ "192.0.2.60", "a@exists.test", "h.test", SPF_PASS,
	    "exists with %{i}" },
	{ "192.0.2.61", "a@exists.test", "h.test", SPF_FAIL,
	    "exists: no such name" },
	{ "192.0.2.70", "a@inc.test", "h.test", SPF_PASS, "include: pass" },
	{ "192.0.2.71", "a@inc.test", "h.test", SPF_FAIL,
	    "include: its fail does not match" },
	{ "192.0.2.1", "a@incnone.test", "h.test", SPF_PERMERROR,
	    "include of a domain without a record: permerror" },
	{ "192.0.2.1", "a@incperm.test", "h.test", SPF_PERMERROR,
	    "include of a permerror: permerror" },
	{ "192.0.2.1", "a@inctemp.test", "h.test", SPF_TEMPERROR,
	    "include of a DNS failure: temperror" },
	{ "192.0.2.1", "a@temp.test", "h.test", SPF_TEMPERROR,
	    "TXT lookup failure: temperror" },
	{ "192.0.2.1", "a@atemp.test", "h.test", SPF_TEMPERROR,
	    "A lookup failure in a: temperror" },
	{ "192.0.2.5", "a@redir.test", "h.test", SPF_PASS, "redirect: pass" },
	{ "198.51.100.8", "a@redir.test", "h.test", SPF_FAIL,
	    "redirect: fail" },
	{ "192.0.2.1", "a@redirnone.test", "h.test", SPF_PERMERROR,
	    "redirect to no record: permerror" },
	{ "192.0.2.1", "a@loop1.test", "h.test", SPF_PERMERROR,
	    "redirect loop: permerror" },
	{ "192.0.2.1", "a@incloop.test", "h.test", SPF_PERMERROR,
	    "include loop: permerror" },
	{ "192.0.2.1", "a@redirall.test", "h.test", SPF_FAIL,
	    "redirect ignored after a match" },
	{ "192.0.2.1", "a@tworedir.test", "h.test", SPF_PERMERROR,
	    "two redirects: permerror" },
	{ "192.0.2.1", "a@lim10.test", "h.test", SPF_FAIL,
	    "10 DNS-asking terms: allowed" },
	{ "192.0.2.1", "a@lim11.test", "h.test", SPF_PERMERROR,
	    "the 11th DNS-asking term: permerror" },
	{ "192.0.2.1", "a@void2.test", "h.test", SPF_FAIL,
	    "2 void lookups: allowed" },
	{ "192.0.2.1", "a@void3.test", "h.test", SPF_PERMERROR,
	    "the 3rd void lookup: permerror" },
	{ "192.0.2.1", "a@unk.test", "h.test", SPF_PERMERROR,
	    "unknown mechanism: permerror" },
	{ "192.0.2.1", "a@unkmod.test", "h.test", SPF_FAIL,
	    "unknown modifier: ignored" },
	{ "192.0.2.1", "a@lateerr.test", "h.test", SPF_PERMERROR,
	    "a syntax error after the match: permerror" },
	{ "192.0.2.1", "a@noarg.test", "h.test", SPF_PERMERROR,
	    "include: without a domain: permerror" },
	{ "192.0.2.1", "a@allarg.test", "h.test", SPF_PERMERROR,
	    "all with an argument: permerror" },
	{ "192.0.2.1", "a@badmacro.test", "h.test", SPF_PERMERROR,
	    "unknown macro letter: permerror" },
	{ "192.0.2.1", "a@zeromacro.test", "h.test", SPF_PERMERROR,
	    "macro count 0: permerror" },
	{ "192.0.2.1", "a@twoexp.test", "h.test", SPF_PERMERROR,
	    "two exp modifiers: permerror" },
	{ "192.0.2.1", "a@badend.test", "h.test", SPF_PERMERROR,
	    "a domain ending in a numeric label: permerror" },
	{ "192.0.2.1", "ana@macro.test", "h.test", SPF_PASS,
	    "exists with %{l} and %{o}" },
	{ "192.0.2.3", "a@pmacro.test", "h.test", SPF_PASS,
	    "exists with %{p}" },
	{ "192.0.2.4", "a@pmacro.test", "h.test", SPF_FAIL,
	    "exists with %{p}: unknown" },
	{ "192.0.2.1", "a@nodots", "h.test", SPF_NONE,
	    "a one-label domain: none" },
	{ "192.0.2.80", "", "helo.test", SPF_PASS,
	    "null sender: postmaster@HELO, pass" },
	{ "192.0.2.81", "", "helo.test", SPF_FAIL,
	    "null sender: postmaster@HELO, fail" },
};

/* RFC 7208 7.4's examples. */
static const struct tap_text macros4[] = {
	{ "%{s}", "strong-bad@email.example.com", "%{s}" },
	{ "%{o}", "email.example.com", "%{o}" },
	{ "%{d}", "email.example.com", "%{d}" },
	{ "%{d4}", "email.example.com", "%{d4}" },
	{ "%{d3}", "email.example.com", "%{d3}" },
	{ "%{d2}", "example.com", "%{d2}" },
	{ "%{d1}", "com", "%{d1}" },
	{ "%{dr}", "com.example.email", "%{dr}" },
	{ "%{d2r}", "example.email", "%{d2r}" },
	{ "%{l}", "strong-bad", "%{l}" },
	{ "%{l-}", "strong.bad", "%{l-}" },
	{ "%{lr}", "strong-bad", "%{lr}" },
	{ "%{lr-}", "bad.strong", "%{lr-}" },
	{ "%{l1r-}", "strong", "%{l1r-}" },
	{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com",
	    "%{ir}.%{v}._spf.%{d2}" },
	{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com",
	    "%{lr-}.lp._spf.%{d2}" },
	{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
	    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
	    "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}" },
	{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
	    "3.2.0.192.in-addr.strong.lp._spf.example.com",
	    "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}" },
	{ "%{d2}.trusted-domains.example.net",
	    "example.com.trusted-domains.example.net",
	    "%{d2}.trusted-domains.example.net" },
	{ "%{S}", "strong-bad%40email.example.com", "%{S}: URL-escaped" },
	{ "%%%_%-", "% %20", "%%, %_ and %-" },
	{ "%{D1R}", "email", "upper case with transformers" },
	{ "%{d9999999999}", "email.example.com", "a huge count: every part" },
	{ "%{l+-}", "strong.bad", "two delimiters" },
	{ "%{h}", "mx.example.org", "%{h}" },
	{ "%{p}", "mx.example.org", "%{p}: the validated PTR name" },
	{ "%{c}", NULL, "%{c} outside exp: an error" },
	{ "%{d0}", NULL, "%{d0}: an error" },
	{ "%{x}", NULL, "%{x}: an error" },
	{ "%{d", NULL, "unclosed %{: an error" },
	{ "%a", NULL, "%a: an error" },
};

static const struct tap_text macros6[] = {
	{ "%{ir}.%{v}._spf.%{d2}", "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", "IPv6 %{ir}" },
	{ "%{c} %{r} %{t}", "2001:db8::cb01 mx.mired.test 1700000000",
	    "exp letters %{c} %{r} %{t}" },
	{ "%{p}", "unknown", "%{p} without a PTR" },
};

/* macro_run - expand each case of a table with a client and a scope */
static void
macro_run(const char *ip, const struct tap_text *t, size_t n, int exp)
{
	struct spf_request q;
	struct spf_eval e;
	struct spf_scope s = { "strong-bad@email.example.com", "strong-bad",
	    "email.example.com", "email.example.com" };
	struct buf *out = buf_new(64, 0);
	size_t i;
	int r;

	spf_request_init(&q);
	q.helo = "mx.example.org";
	q.receiver = "mx.mired.test";
	q.now = 1700000000;
	q.dns = dns_table_lookup;
	spf_request_addr(&q, ip);
	memset(&e, 0, sizeof(e));
	e.req = &q;
	e.family = q.family;
	memcpy(e.addr, q.addr, 16);
	e.deadline = now_ms() + 10000;
	e.why = buf_new(64, 1024);
	for (i = 0; i < n; i++) {
		r = spf_macro_expand(&e, &s, t[i].in, exp, out);
		is_str(r < 0 ? NULL : buf_str(out), t[i].want, t[i].name);
	}
	free(e.pname);
	buf_free(&e.why);
	buf_free(&out);
}

/* slow_lookup - a resolver that takes 20 ms an answer */
static int
slow_lookup(int type, const char *name, long ms, struct dns_result **res,
    void *ctx)
{
	usleep(20000);
	return dns_table_lookup(type, name, ms, res, ctx);
}

/* check - one case through spf_check_mailfrom */
static int
check(const char *ip, const char *sender, const char *helo,
    struct spf_answer *a)
{
	struct spf_request q;

	spf_request_init(&q);
	q.dns = dns_table_lookup;
	q.sender = sender;
	q.helo = helo;
	q.receiver = "mx.mired.test";
	if (spf_request_addr(&q, ip) < 0)
		return -1;
	return spf_check_mailfrom(&q, a);
}

int
main(void)
{
	struct spf_answer a;
	struct spf_request q;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct buf *b = buf_new(64, 0);
	size_t i;
	int r;

	dns_table_rows = zone;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = check(cases[i].ip, cases[i].sender, cases[i].helo, &a);
		if (!is_str(spf_result_str(r), spf_result_str(cases[i].want),
		    cases[i].name))
			fprintf(stderr, "#   why: %s\n", a.why);
		spf_answer_free(&a);
	}

	check("192.0.2.3", "ana@exp.test", "h.test", &a);
	is_str(a.exp, "192.0.2.3 is not one of exp.test's designated mail "
	    "servers.", "exp=: the explanation, expanded");
	spf_answer_free(&a);
	check("192.0.2.3", "ana@fail.test", "h.test", &a);
	ok(a.exp == NULL, "no exp=: no explanation");
	ok(a.why != NULL && strstr(a.why, "-all") != NULL,
	    "  the reason names the term that matched");
	spf_resinfo(b, &a);
	is_str(buf_str(b), "spf=fail smtp.mailfrom=ana@fail.test",
	    "resinfo of a fail");
	spf_answer_free(&a);
	check("192.0.2.80", "", "helo.test", &a);
	buf_reset(b);
	spf_resinfo(b, &a);
	is_str(buf_str(b), "spf=pass smtp.mailfrom=postmaster@helo.test",
	    "resinfo of a null sender");
	spf_answer_free(&a);
	check("192.0.2.1", "a@lim10.test", "h.test", &a);
	is_int(a.lookups, 10, "lookups counted");
	spf_answer_free(&a);
	check("192.0.2.1", "a@void2.test", "h.test", &a);
	is_int(a.voids, 2, "void lookups counted");
	spf_answer_free(&a);

	spf_request_init(&q);
	q.dns = dns_table_lookup;
	q.helo = "helo.test";
	spf_request_addr(&q, "192.0.2.80");
	spf_check_helo(&q, &a);
	buf_reset(b);
	spf_resinfo(b, &a);
	is_str(buf_str(b), "spf=pass smtp.helo=helo.test", "HELO identity");
	spf_answer_free(&a);
	q.lookup_limit = 9;
	q.sender = "a@lim10.test";
	spf_request_addr(&q, "192.0.2.70");
	is_int(spf_check_mailfrom(&q, &a), SPF_PERMERROR,
	    "lookup_limit 9: ten a: terms are over it");
	spf_answer_free(&a);
	q.lookup_limit = 10;
	q.void_limit = 0;
	q.sender = "a@void2.test";
	is_int(spf_check_mailfrom(&q, &a), SPF_PERMERROR,
	    "void_limit 0: the first void lookup is over it");
	spf_answer_free(&a);
	q.void_limit = 2;
	q.mx_limit = 1;
	q.sender = "a@mx.test";
	is_int(spf_check_mailfrom(&q, &a), SPF_PERMERROR,
	    "mx_limit 1: two MX hosts are over it");
	spf_answer_free(&a);

	q.mx_limit = 10;
	q.dns = slow_lookup;
	q.time_ms = 50;
	q.sender = "a@lim10.test";
	is_int(spf_check_mailfrom(&q, &a), SPF_TEMPERROR,
	    "past the time limit: temperror");
	spf_answer_free(&a);
	q.time_ms = 5000;
	q.sender = "a@a.test";
	spf_request_addr(&q, "192.0.2.10");
	is_int(spf_check_mailfrom(&q, &a), SPF_PASS,
	    "  within it: the result");
	spf_answer_free(&a);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.10", &sin6.sin6_addr);
	q.sender = "a@a.test";
	ok(spf_request_sockaddr(&q, (struct sockaddr *)&sin6) == 0 &&
	    spf_check_mailfrom(&q, &a) == SPF_PASS,
	    "a client from a sockaddr (v4-mapped IPv6)");
	spf_answer_free(&a);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.11", &sin.sin_addr);
	ok(spf_request_sockaddr(&q, (struct sockaddr *)&sin) == 0 &&
	    spf_check_mailfrom(&q, &a) == SPF_FAIL,
	    "a client from a sockaddr (IPv4)");
	spf_answer_free(&a);

	var_spf_lookup_limit = 5;
	var_spf_void_lookup_limit = 1;
	var_spf_mx_host_limit = 4;
	var_spf_ptr_name_limit = 3;
	var_spf_time_limit = 7;
	spf_request_conf(&q);
	ok(q.lookup_limit == 5 && q.void_limit == 1 && q.mx_limit == 4 &&
	    q.ptr_limit == 3 && q.time_ms == 7000,
	    "spf_request_conf: the limits from the parameters");

	buf_reset(b);
	spf_resinfo_value(b, "we \"x\"@mired.org");
	is_str(buf_str(b), "\"we \\\"x\\\"@mired.org\"",
	    "a value with specials is quoted");

	macro_run("192.0.2.3", macros4, sizeof(macros4) / sizeof(macros4[0]),
	    0);
	macro_run("2001:db8::cb01", macros6, 1, 0);
	macro_run("2001:db8::cb01", macros6 + 1, 2, 1);
	buf_free(&b);
	return done_testing();
}
