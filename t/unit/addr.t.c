/*
 * addr.t.c - RFC 5321 paths, RFC 5322 header address lists, address
 * splitting, CIDR matching and addr_ntop.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "msg.h"
#include "util.h"
#include "../tap.h"

/* A path, what it parses to (NULL: refused), what follows it. */
static const struct {
	const char	*in;
	const char	*addr;
	const char	*params;
} paths[] = {
	{ "<ana@mired.org>", "ana@mired.org", "" },
	{ "<ana@mired.org> SIZE=123 BODY=8BITMIME", "ana@mired.org",
	    "SIZE=123 BODY=8BITMIME" },
	{ " <ana@mired.org>", "ana@mired.org", "" },	/* FROM: <a@b> */
	{ "  <ana@mired.org>   SIZE=1", "ana@mired.org", "SIZE=1" },
	{ "<>", "", "" },
	{ "<> BODY=8BITMIME", "", "BODY=8BITMIME" },
	{ "<@r1.example,@r2.example:ana@mired.org>", "ana@mired.org", "" },
	{ "<@r1.example:bob@x.org> NOTIFY=NEVER", "bob@x.org", "NOTIFY=NEVER" },
	{ "<\"a b\"@x.org>", "a b@x.org", "" },
	{ "<\"a\\\"q\"@x.org>", "a\"q@x.org", "" },
	{ "<\"a@b\"@x.org>", "a@b@x.org", "" },
	{ "<ana@[1.2.3.4]>", "ana@[1.2.3.4]", "" },
	{ "<ana@[IPv6:2001:db8::1]>", "ana@[IPv6:2001:db8::1]", "" },
	{ "<ana@[ipv6:::1]>", "ana@[ipv6:::1]", "" },
	{ "<Postmaster>", "Postmaster", "" },
	{ "<ANA@MIRED.ORG>", "ANA@MIRED.ORG", "" },
	{ "<a.b+ext@sub.mired.org>", "a.b+ext@sub.mired.org", "" },
	{ "<!#$%&'*+-/=?^_`{|}~@x.org>", "!#$%&'*+-/=?^_`{|}~@x.org", "" },
	{ "<jos\xc3\xa9@ma\xc3\xb1" "ana.es>",
	    "jos\xc3\xa9@ma\xc3\xb1" "ana.es", "" },
	{ "<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
	    "\xe5\x91\x8a>", "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad"
	    "\x90.\xe5\xb9\xbf\xe5\x91\x8a", "" },
	{ "<a\xf0\x9f\x98\x80@x.org>", "a\xf0\x9f\x98\x80@x.org", "" },
	{ "<a@my_host.x.org>", "a@my_host.x.org", "" },
	{ "ana@mired.org", "ana@mired.org", "" },	/* bare, as Postfix */
	{ "ana@mired.org  ", "ana@mired.org", "" },
	{ " ana@mired.org", "ana@mired.org", "" },
	{ "<ana@mired.org>\tSIZE=9", "ana@mired.org", "SIZE=9" },

	{ "", NULL, NULL },
	{ "   ", NULL, NULL },
	{ "<", NULL, NULL },
	{ "<ana@mired.org", NULL, NULL },		/* missing > */
	{ "ana@mired.org>", NULL, NULL },
	{ "<<ana@mired.org>>", NULL, NULL },
	{ "<ana @mired.org>", NULL, NULL },		/* embedded space */
	{ "<ana@ mired.org>", NULL, NULL },
	{ "< ana@mired.org>", NULL, NULL },
	{ "<ana@mired.org >", NULL, NULL },
	{ "<an a@mired.org>", NULL, NULL },
	{ "<ana@mired.org>SIZE=1", NULL, NULL },	/* no space */
	{ "ana@mired.org SIZE=1", NULL, NULL },	/* bare: no params */
	{ "ana bob@mired.org", NULL, NULL },
	{ "<@mired.org>", NULL, NULL },			/* empty local */
	{ "<\"\"@mired.org>", NULL, NULL },
	{ "@mired.org", NULL, NULL },
	{ "<ana@>", NULL, NULL },
	{ "<ana@mired..org>", NULL, NULL },
	{ "<ana@.mired.org>", NULL, NULL },
	{ "<ana@mired.org.>", NULL, NULL },
	{ "<\"ana@mired.org>", NULL, NULL },		/* unbalanced " */
	{ "<\"ana\"\"@mired.org>", NULL, NULL },
	{ "<ana\"@mired.org>", NULL, NULL },
	{ "<an\ta@mired.org>", NULL, NULL },		/* controls */
	{ "<an\x01" "a@mired.org>", NULL, NULL },
	{ "<\"an\x01" "a\"@mired.org>", NULL, NULL },
	{ "<\"an\\\x01" "a\"@mired.org>", NULL, NULL },
	{ "<ana@mir\x7f" "ed.org>", NULL, NULL },
	{ "<an\x7f" "a@mired.org>", NULL, NULL },
	{ "<ana@[1.2.3]>", NULL, NULL },		/* bad literals */
	{ "<ana@[IPv6:2001:db8::zz]>", NULL, NULL },
	{ "<ana@[1.2.3.4>", NULL, NULL },
	{ "<ana@[]>", NULL, NULL },
	{ "<jos\xc3@x.org>", NULL, NULL },		/* bad UTF-8 */
	{ "<jos\xc0\xa9@x.org>", NULL, NULL },		/* overlong */
	{ "<jos\xed\xa0\x80@x.org>", NULL, NULL },	/* surrogate */
	{ "<a\xf4\x90\x80\x80@x.org>", NULL, NULL },	/* past U+10FFFF */
	{ "<a\xe2\x82", NULL, NULL },			/* cut by the end */
	{ "<x@\xff.org>", NULL, NULL },
	{ "<a(b)@x.org>", NULL, NULL },
	{ "<a,b@x.org>", NULL, NULL },
	{ "<a;b@x.org>", NULL, NULL },
	{ "<a@b@x.org>", NULL, NULL },
	{ "<@r1.example:@x.org>", NULL, NULL },
	{ "<@r1.example,ana@x.org>", NULL, NULL },
	{ "<@:ana@x.org>", NULL, NULL },
	{ "<a@x.org:25>", NULL, NULL },
};

/*
 * Header values and the addresses they hold, joined with '|' (as many
 * as the count addr_parse_header returns).
 */
static const struct tap_text headers[] = {
	{ "ana@mired.org", "ana@mired.org", NULL },
	{ "Ana <ana@mired.org>", "ana@mired.org", NULL },
	{ "\"Lopez, Ana\" <ana@mired.org>, bob@mired.org",
	    "ana@mired.org|bob@mired.org", NULL },
	{ "Ana Lopez <ana@mired.org> (work), Bob (the boss) <bob@mired.org>",
	    "ana@mired.org|bob@mired.org", NULL },
	{ "undisclosed-recipients:;", "", NULL },
	{ "friends: ana@mired.org, Bob <bob@mired.org>;, carl@x.org",
	    "ana@mired.org|bob@mired.org|carl@x.org", NULL },
	{ "ana@mired.org (Ana (the (nested) one))", "ana@mired.org", NULL },
	{ "ana@mired.org,\r\n\tbob@mired.org,\r\n carl@x.org",
	    "ana@mired.org|bob@mired.org|carl@x.org", NULL },
	{ "\"a b\"@x.org", "a b@x.org", NULL },
	{ "<@r1.example,@r2.example:ana@mired.org>", "ana@mired.org", NULL },
	{ "ana . lopez @ mired . org", "ana.lopez@mired.org", NULL },
	{ "root", "root", NULL },
	{ "ana@[192.0.2.1]", "ana@[192.0.2.1]", NULL },
	{ ", , ana@mired.org,,", "ana@mired.org", NULL },
	{ "", "", NULL },
	{ "   (just a comment)", "", NULL },
	{ "Ana <ana@mired.org", "ana@mired.org", NULL },	/* unterminated */
	{ "<>", "", NULL },
	{ "Ana <ana@mired.org> <other@x.org>", "ana@mired.org", NULL },
	{ "\"ana@mired.org\" <bob@mired.org>", "bob@mired.org", NULL },
	{ "A \"quoted, comma\" name <x@y.org>, z@y.org", "x@y.org|z@y.org",
	    NULL },
	{ "g1: a@b.org;, g2: ;, c@d.org", "a@b.org|c@d.org", NULL },
	{ "jos\xc3\xa9@ma\xc3\xb1" "ana.es", "jos\xc3\xa9@ma\xc3\xb1" "ana.es",
	    NULL },
};

/* Client address, list, expected match. */
static const struct {
	const char	*client;
	const char	*list;
	int		 match;
} nets[] = {
	{ "127.0.0.1", "127.0.0.0/8 [::1]/128", 1 },
	{ "127.255.1.2", "127.0.0.0/8", 1 },
	{ "128.0.0.1", "127.0.0.0/8", 0 },
	{ "192.168.100.7", "127.0.0.0/8, 192.168.100.0/24", 1 },
	{ "192.168.101.7", "127.0.0.0/8, 192.168.100.0/24", 0 },
	{ "10.1.2.3", "10.1.2.3", 1 },
	{ "10.1.2.4", "10.1.2.3", 0 },
	{ "10.1.2.4", "10.1.2.0/29", 1 },
	{ "10.1.2.4", "10.1.2.0/30", 0 },
	{ "10.1.2.5", "10.1.2.4/31", 1 },
	{ "10.1.2.6", "10.1.2.4/31", 0 },
	{ "203.0.113.9", "0.0.0.0/0", 1 },
	{ "203.0.113.9", "", 0 },
	{ "::1", "127.0.0.0/8 [::1]/128", 1 },
	{ "::2", "127.0.0.0/8 [::1]/128", 0 },
	{ "::1", "::1", 1 },
	{ "::1", "[::1]", 1 },
	{ "2001:db8:1::5", "[2001:db8::]/32", 1 },
	{ "2001:db9::5", "[2001:db8::]/32", 0 },
	{ "2001:db8:1::5", "2001:db8::/32", 1 },
	{ "fe80::1", "[fe80::]/10", 1 },
	{ "febf::1", "[fe80::]/10", 1 },
	{ "fec0::1", "[fe80::]/10", 0 },
	{ "::ffff:127.0.0.1", "127.0.0.0/8", 1 },	/* mapped IPv4 */
	{ "::ffff:10.0.0.1", "127.0.0.0/8", 0 },
	{ "::ffff:192.168.1.9", "192.168.1.0/24", 1 },
	{ "::ffff:127.0.0.1", "[::ffff:127.0.0.0]/104", 1 },
	{ "127.0.0.1", "[::ffff:127.0.0.0]/104", 1 },
	{ "::1", "127.0.0.0/8", 0 },
	{ "127.0.0.1", "[::1]/128", 0 },
	{ "127.0.0.1", "bogus, 127.0.0.1/33, 127.0.0.0/8", 1 },
	{ "127.0.0.1", "bogus 1.2.3.4/x", 0 },
	{ "127.0.0.1", "\t127.0.0.1/32,", 1 },
};

static struct buf *collected;

/* collect - addr_parse_header callback: join addresses with '|' */
static void
collect(const char *addr, void *arg)
{
	int *n = arg;

	if (buf_len(collected) > 0)
		buf_putc(collected, '|');
	buf_puts(collected, addr);
	(*n)++;
}

/* make_sa - a sockaddr from text */
static const struct sockaddr *
make_sa(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	return (const struct sockaddr *)ss;
}

/* addrs_in - how many addresses a '|'-joined list holds */
static int
addrs_in(const char *list)
{
	int n = *list != '\0';

	for (; *list != '\0'; list++)
		n += *list == '|';
	return n;
}

int
main(void)
{
	struct buf *addr = buf_new(64, 0), *why = buf_new(64, 0);
	struct buf *local = buf_new(64, 0), *domain = buf_new(64, 0);
	struct buf *big = buf_new(1024, 0), *pr = buf_new(64, 0);
	struct sockaddr_storage ss;
	const char *params;
	char name[256], text[64];
	size_t i;
	int r, n;

	collected = buf_new(256, 0);

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		params = NULL;
		buf_reset(why);
		r = addr_parse_path(paths[i].in, addr, &params, why);
		snprintf(name, sizeof(name), "path '%s'",
		    printable(paths[i].in, pr));
		if (paths[i].addr == NULL) {
			ok(r == -1 && strncmp(buf_str(why), "501 5.1.3 ", 10)
			    == 0, name);
			continue;
		}
		if (!ok(r == 0, name)) {
			printf("#   why: %s\n", buf_str(why));
			continue;
		}
		is_str(buf_str(addr), paths[i].addr, "  address");
		is_str(params, paths[i].params, "  parameters");
	}

	/* Length limits. */
	buf_putc(big, '<');
	for (i = 0; i < ADDR_MAX; i++)
		buf_putc(big, 'a');
	buf_puts(big, "@x.org>");
	r = addr_parse_path(buf_str(big), addr, &params, why);
	ok(r == -1, "a path over ADDR_MAX is refused");
	is_str(buf_str(why), "501 5.1.3 Address too long", "  with its reason");
	buf_reset(big);
	buf_putc(big, '<');
	for (i = 0; i < 64; i++)
		buf_putc(big, 'a');
	buf_puts(big, "@x.org>");
	ok(addr_parse_path(buf_str(big), addr, &params, why) == 0,
	    "a 64-octet local part is fine");
	ok(addr_parse_path("<a@b>", addr, NULL, why) == 0,
	    "params pointer may be NULL");
	addr_parse_path("<x y@z>", addr, &params, why);
	is_str(buf_str(why), "501 5.1.3 Bad address syntax",
	    "the syntax reply");

	/* addr_split. */
	addr_split("Ana@Mired.ORG", local, domain);
	is_str(buf_str(local), "Ana", "split: local part keeps its case");
	is_str(buf_str(domain), "mired.org", "split: domain lowercased");
	addr_split("a@b@X.org", local, domain);
	is_str(buf_str(local), "a@b", "split at the last @");
	is_str(buf_str(domain), "x.org", "  domain");
	addr_split("postmaster", local, domain);
	is_str(buf_str(local), "postmaster", "split without @: local");
	is_str(buf_str(domain), "", "  empty domain");
	addr_split("", local, domain);
	ok(buf_len(local) == 0 && buf_len(domain) == 0, "split of \"\"");
	ok(addr_local_has_at("postmaster@ext.example@mired.org"),
	    "a local part with an '@' of its own");
	ok(!addr_local_has_at("ana@mired.org") && !addr_local_has_at("ana") &&
	    !addr_local_has_at("") && !addr_local_has_at("@x"),
	    "  and ordinary addresses without one");

	/* Header address lists. */
	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		buf_reset(collected);
		n = 0;
		r = addr_parse_header(headers[i].in, collect, &n);
		snprintf(name, sizeof(name), "header '%s'",
		    printable(headers[i].in, pr));
		is_str(buf_str(collected), headers[i].want, name);
		ok(r == addrs_in(headers[i].want) && n == r, "  count");
	}

	/* Networks.  The bad entries below are warned about: keep quiet. */
	msg_set_flags(0);
	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		snprintf(name, sizeof(name), "%s %s '%s'", nets[i].client,
		    nets[i].match ? "in" : "not in", nets[i].list);
		is_int(addr_match_networks(make_sa(nets[i].client, &ss),
		    nets[i].list), nets[i].match, name);
	}
	msg_set_flags(MSG_STDERR);
	ok(addr_match_networks(NULL, "0.0.0.0/0") == 0, "no address: no match");
	{
		struct sockaddr_storage un;

		memset(&un, 0, sizeof(un));
		un.ss_family = AF_UNIX;
		ok(addr_match_networks((struct sockaddr *)&un, "0.0.0.0/0 ::/0")
		    == 0, "a Unix socket peer matches no network");
	}

	/* addr_ntop. */
	is_str(addr_ntop(make_sa("192.0.2.7", &ss), text, sizeof(text)),
	    "192.0.2.7", "ntop IPv4");
	is_str(addr_ntop(make_sa("2001:db8::1", &ss), text, sizeof(text)),
	    "2001:db8::1", "ntop IPv6");
	is_str(addr_ntop(make_sa("::ffff:127.0.0.1", &ss), text, sizeof(text)),
	    "127.0.0.1", "ntop shows mapped IPv4 as IPv4");
	is_str(addr_ntop(NULL, text, sizeof(text)), "unknown", "ntop NULL");

	buf_free(&addr);
	buf_free(&why);
	buf_free(&local);
	buf_free(&domain);
	buf_free(&big);
	buf_free(&collected);
	buf_free(&pr);
	plan(tap_n);
	return done_testing();
}
