/*
 * dns.t - the pure parts of lib/dns*.c: the dns_servers list, names we
 * ask about, reverse names, MX sorting (preference order, equal
 * preferences shuffled), null MX, and the cache (TTL expiry on an
 * injected clock, the size bound, what is never kept).  The lookups
 * themselves are tested against a real dnsmasq in t/dns.t.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dns.h"
#include "params.h"
#include "util.h"
#include "../tap.h"

static const struct {
	const char	*text;
	int		 good;
	size_t		 n;
	const char	*first;		/* its address, printable */
	unsigned	 port;
} servers[] = {
	{ "", 1, 0, NULL, 0 },
	{ " , ", 1, 0, NULL, 0 },
	{ "127.0.0.1", 1, 1, "127.0.0.1", 53 },
	{ "127.0.0.1:5353", 1, 1, "127.0.0.1", 5353 },
	{ "127.0.0.1:5353, 10.0.0.1", 1, 2, "127.0.0.1", 5353 },
	{ "[::1]:53", 1, 1, "::1", 53 },
	{ "[::1]", 1, 1, "::1", 53 },
	{ "::1", 1, 1, "::1", 53 },
	{ "[2001:db8::1]:5300 127.0.0.2:1", 1, 2, "2001:db8::1", 5300 },
	{ "127.0.0.1:0", 0, 0, NULL, 0 },
	{ "127.0.0.1:65536", 0, 0, NULL, 0 },
	{ "127.0.0.1:", 0, 0, NULL, 0 },
	{ "127.0.0.1:53x", 0, 0, NULL, 0 },
	{ "127.0.0.1:-1", 0, 0, NULL, 0 },
	{ "localhost", 0, 0, NULL, 0 },
	{ "ns.example.org:53", 0, 0, NULL, 0 },
	{ "[::1", 0, 0, NULL, 0 },
	{ "[::1]x", 0, 0, NULL, 0 },
	{ "[127.0.0.1]:53", 1, 1, "127.0.0.1", 53 },
	{ "[]:53", 0, 0, NULL, 0 },
	{ "127.0.0.1, 300.0.0.1", 0, 0, NULL, 0 },
	{ "2001:db8::53", 1, 1, "2001:db8::53", 53 },	/* no port */
};

static const struct {
	const char	*name;
	const char	*want;		/* NULL: refused */
} names[] = {
	{ "Mired.ORG", "mired.org" },
	{ "mired.org.", "mired.org" },
	{ "_dmarc.mired.org", "_dmarc.mired.org" },
	{ "a-b.c", "a-b.c" },
	{ "", NULL },
	{ ".", NULL },
	{ "mired..org", NULL },
	{ ".mired.org", NULL },
	{ "mired.org..", NULL },
	{ "mi red.org", NULL },
	{ "mired.org\n", NULL },
	{ "m\xc3\xadred.org", NULL },
	{ "a\\.b.org", NULL },
};

static long long fake_now;

/* fake_clock - the cache's clock in tests */
static long long
fake_clock(void)
{
	return fake_now;
}

/* first_of - always the first of n (no shuffle) */
static unsigned
first_of(unsigned n)
{
	return 0;
}

/* last_of - always the last of n */
static unsigned
last_of(unsigned n)
{
	return n - 1;
}

/* rand_of - a real random choice */
static unsigned
rand_of(unsigned n)
{
	return arc4random_uniform(n);
}

/* mx_answer - an MX answer of n records "pref name" */
static struct dns_result *
mx_answer(const char *domain, const char *spec)
{
	struct dns_result *r = dns_result_new(DNS_T_MX, domain, DNS_OK,
	    NULL);
	char *copy = xstrdup(spec), *p = copy, *pref, *name;

	while ((pref = mystrtok(&p, " ")) != NULL &&
	    (name = mystrtok(&p, " ")) != NULL) {
		r->rr = xrealloc(r->rr, (r->nrr + 1) * sizeof(*r->rr));
		memset(&r->rr[r->nrr], 0, sizeof(r->rr[0]));
		r->rr[r->nrr].type = DNS_T_MX;
		r->rr[r->nrr].pref = (unsigned)atoi(pref);
		r->rr[r->nrr].name = xstrdup(strcmp(name, ".") ? name : "");
		r->nrr++;
	}
	free(copy);
	r->ttl = 60;
	return r;
}

/* mx_order - the names of an MX answer, in order, space separated */
static const char *
mx_order(const struct dns_result *r, struct buf *b)
{
	size_t i;

	buf_reset(b);
	for (i = 0; i < r->nrr; i++)
		buf_appendf(b, "%s%s", i ? " " : "", r->rr[i].name);
	return buf_str(b);
}

/* test_servers - dns_servers parsing */
static void
test_servers(void)
{
	struct buf *why = buf_new(128, 0);
	struct dns_server *srv;
	char name[160], text[INET6_ADDRSTRLEN];
	size_t i, n;
	int r;

	for (i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		srv = NULL;
		n = 99;
		r = dns_servers_parse(servers[i].text, &srv, &n, why);
		snprintf(name, sizeof(name), "dns_servers \"%s\": %s",
		    servers[i].text, servers[i].good ? "ok" : "refused");
		if (!is_int(r, servers[i].good ? 0 : -1, name) || r < 0) {
			if (r < 0)
				ok(strstr(buf_str(why), "dns_servers") != NULL,
				    "  and says which parameter");
			continue;
		}
		is_int((long long)n, (long long)servers[i].n, "  its count");
		if (n > 0) {
			inet_ntop(srv[0].family, srv[0].addr, text,
			    sizeof(text));
			is_str(text, servers[i].first, "  its first address");
			is_int(srv[0].port, servers[i].port, "  its port");
		}
		free(srv);
	}
	buf_free(&why);
}

/* test_names - dns_name_check and dns_reverse_name */
static void
test_names(void)
{
	struct buf *out = buf_new(256, 1024), *shown = buf_new(64, 0);
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	char name[300];
	size_t i;
	int r;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = dns_name_check(names[i].name, out);
		snprintf(name, sizeof(name), "name \"%s\": %s",
		    printable(names[i].name, shown), names[i].want ?
		    names[i].want : "refused");
		if (names[i].want != NULL)
			ok(r == 0 && strcmp(buf_str(out), names[i].want) == 0,
			    name);
		else
			ok(r < 0, name);
	}
	memset(name, 'a', 63);
	name[63] = '\0';
	ok(dns_name_check(name, out) == 0, "a label of 63 is a name");
	name[63] = 'a';
	name[64] = '\0';
	ok(dns_name_check(name, out) < 0, "a label of 64 is not");
	for (i = 0; i < 126; i++)
		memcpy(name + 2 * i, "a.", 2);
	name[252] = 'a';
	name[253] = '\0';		/* 253 characters */
	ok(strlen(name) == 253 && dns_name_check(name, out) == 0,
	    "a name of 253 characters is one");
	memcpy(name + 253, "a", 2);
	ok(dns_name_check(name, out) < 0, "254 characters are too many");

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", &sin.sin_addr);
	dns_reverse_name((struct sockaddr *)&sin, out);
	is_str(buf_str(out), "2.0.0.127.in-addr.arpa", "IPv4 reverse name");
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1:abcd", &sin6.sin6_addr);
	dns_reverse_name((struct sockaddr *)&sin6, out);
	is_str(buf_str(out), "d.c.b.a.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
	    ".8.b.d.0.1.0.0.2.ip6.arpa", "IPv6 reverse name");
	ok(dns_name_eq("Mired.ORG.", "mired.org"), "names: any case, a dot");
	ok(!dns_name_eq("mired.org", "mired.or"), "names: not a prefix");
	ok(dns_name_under("mx.Mired.org", "mired.org."), "under: a child");
	ok(dns_name_under("mired.org", "MIRED.org"), "under: itself");
	ok(!dns_name_under("evilmired.org", "mired.org"),
	    "under: not a longer label");
	buf_free(&out);
	buf_free(&shown);
}

/* test_mx - sorting, shuffling and null MX */
static void
test_mx(void)
{
	struct buf *b = buf_new(256, 0);
	struct dns_result *r;
	int seen_ab = 0, seen_ba = 0, i, good = 1;

	r = mx_answer("mired.org", "20 c 10 a 30 d 10 b");
	dns_mx_sort(r->rr, r->nrr, first_of);
	ok(strcmp(mx_order(r, b), "a b c d") == 0 ||
	    strcmp(mx_order(r, b), "b a c d") == 0,
	    "MX sorted by preference");
	dns_result_free(&r);

	r = mx_answer("mired.org", "5 x 10 a 10 b 10 c 1 w");
	dns_mx_sort(r->rr, r->nrr, last_of);
	is_str(mx_order(r, b), "w x a b c", "last_of keeps the sorted order");
	dns_result_free(&r);

	for (i = 0; i < 200; i++) {
		r = mx_answer("mired.org", "10 a 0 first 10 b 20 last");
		dns_mx_sort(r->rr, r->nrr, rand_of);
		mx_order(r, b);
		if (strcmp(buf_str(b), "first a b last") == 0)
			seen_ab++;
		else if (strcmp(buf_str(b), "first b a last") == 0)
			seen_ba++;
		else
			good = 0;
		dns_result_free(&r);
	}
	ok(good, "shuffling never crosses a preference");
	ok(seen_ab > 0 && seen_ba > 0,
	    "equal preferences come in either order");

	r = mx_answer("mired.org", "0 .");
	ok(dns_mx_null(r), "MX 0 . is a null MX");
	dns_result_free(&r);
	r = mx_answer("mired.org", "0 . 10 .");
	ok(dns_mx_null(r), "every exchange the root: a null MX");
	dns_result_free(&r);
	r = mx_answer("mired.org", "0 . 10 mx.mired.org");
	ok(!dns_mx_null(r), "a root among real hosts is not a null MX");
	dns_result_free(&r);
	r = mx_answer("mired.org", "0 mx.mired.org");
	ok(!dns_mx_null(r), "a real host is not a null MX");
	r->status = DNS_NODATA;
	ok(!dns_mx_null(r), "NODATA is not a null MX");
	dns_result_free(&r);
	buf_free(&b);
}

/* pkt_name - a name in wire format at p; its length */
static size_t
pkt_name(unsigned char *p, const char *name)
{
	size_t n = 0, len;
	const char *dot;

	while (*name) {
		dot = strchr(name, '.');
		len = dot ? (size_t)(dot - name) : strlen(name);
		p[n++] = (unsigned char)len;
		memcpy(p + n, name, len);
		n += len;
		name += len + (dot != NULL);
	}
	p[n++] = 0;
	return n;
}

/* pkt_put16, pkt_put32 - numbers in network order */
static size_t
pkt_put16(unsigned char *p, unsigned v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
	return 2;
}

static size_t
pkt_put32(unsigned char *p, unsigned v)
{
	pkt_put16(p, v >> 16);
	pkt_put16(p + 2, v & 0xffff);
	return 4;
}

/*
 * pkt_answer - an answer to "name type": rcode, then an MX record per
 * entry of ttls (10, mx.mired.org) in the answer section, and an SOA of
 * TTL soa_ttl and MINIMUM soa_min in the authority section (soa_ttl 0:
 * none).  Its length.
 */
static size_t
pkt_answer(unsigned char *p, const char *name, int type, int rcode,
    const unsigned *ttls, int nttl, unsigned soa_ttl, unsigned soa_min)
{
	size_t n = 0, rdstart;
	int i;

	n += pkt_put16(p + n, 0x1234);
	n += pkt_put16(p + n, 0x8180 | rcode);
	n += pkt_put16(p + n, 1);
	n += pkt_put16(p + n, nttl);
	n += pkt_put16(p + n, soa_ttl ? 1 : 0);
	n += pkt_put16(p + n, 0);
	n += pkt_name(p + n, name);
	n += pkt_put16(p + n, type);
	n += pkt_put16(p + n, 1);
	for (i = 0; i < nttl; i++) {
		n += pkt_put16(p + n, 0xc00c);	/* the question's name */
		n += pkt_put16(p + n, DNS_T_MX);
		n += pkt_put16(p + n, 1);
		n += pkt_put32(p + n, ttls[i]);
		rdstart = n;
		n += 2;
		n += pkt_put16(p + n, 10);
		n += pkt_name(p + n, "mx.mired.org");
		pkt_put16(p + rdstart, (unsigned)(n - rdstart - 2));
	}
	if (soa_ttl) {
		n += pkt_put16(p + n, 0xc00c);
		n += pkt_put16(p + n, 6);
		n += pkt_put16(p + n, 1);
		n += pkt_put32(p + n, soa_ttl);
		n += pkt_put16(p + n, 22);
		p[n++] = 0;				/* MNAME . */
		p[n++] = 0;				/* RNAME . */
		n += pkt_put32(p + n, 1);		/* serial */
		n += pkt_put32(p + n, 3600);
		n += pkt_put32(p + n, 600);
		n += pkt_put32(p + n, 86400);
		n += pkt_put32(p + n, soa_min);
	}
	return n;
}

/* Negative answers: their status and how long they are kept. */
static const struct {
	int		 rcode, status;		/* the packet's, c-ares' */
	unsigned	 soa_ttl, soa_min;	/* 0: no SOA */
	int		 want;
	unsigned	 ttl;
	const char	*name;
} negs[] = {
	{ 3, ARES_ENOTFOUND, 3600, 120, DNS_NOTFOUND, 120,
	    "NXDOMAIN: kept for the SOA's MINIMUM (RFC 2308)" },
	{ 3, ARES_ENOTFOUND, 60, 120, DNS_NOTFOUND, 60,
	    "NXDOMAIN: or the SOA's own TTL when less" },
	{ 3, ARES_ENOTFOUND, 86400, 86400, DNS_NOTFOUND, 300,
	    "NXDOMAIN: capped by dns_cache_negative_max_ttl" },
	{ 3, ARES_ENOTFOUND, 0, 0, DNS_NOTFOUND, 0,
	    "NXDOMAIN: not kept without an SOA" },
	{ 0, ARES_ENODATA, 3600, 30, DNS_NODATA, 30,
	    "NODATA: kept for the SOA's MINIMUM" },
	{ 0, ARES_ENODATA, 0, 0, DNS_NODATA, 0,
	    "NODATA: not kept without an SOA" },
};

/* What c-ares says that is a temporary failure, never kept. */
static const struct {
	int		 status;
	const char	*name;
} fails[] = {
	{ ARES_SUCCESS, "no packet: DNS_TEMPFAIL, not kept, says why" },
	{ ARES_ETIMEOUT, "a timeout: the same" },
	{ ARES_ESERVFAIL, "SERVFAIL: the same" },
	{ ARES_EREFUSED, "REFUSED: the same" },
	{ ARES_ECONNREFUSED, "nobody listening: the same" },
	{ ARES_EFORMERR, "FORMERR: the same" },
	{ ARES_EDESTRUCTION, "the channel closed (dns_reset): the same" },
};

/* test_packets - answers parsed: records, TTLs, SOA, malformed */
static void
test_packets(void)
{
	unsigned char p[1024];
	unsigned ttls[2] = { 300, 100 }, big[1] = { 0x80000000u };
	struct dns_result *r;
	size_t n, i;

	var_dns_cache_max_ttl = 86400;
	var_dns_cache_negative_max_ttl = 300;
	n = pkt_answer(p, "mired.org", DNS_T_MX, 0, ttls, 2, 0, 0);
	r = dns_parse_answer(DNS_T_MX, "mired.org", ARES_SUCCESS, p, (int)n);
	ok(r->status == DNS_OK && r->nrr == 2 && r->rr[0].pref == 10 &&
	    strcmp(r->rr[0].name, "mx.mired.org") == 0,
	    "an MX answer is parsed");
	is_int(r->ttl, 100, "  its TTL is the least of its records'");
	dns_result_free(&r);
	var_dns_cache_max_ttl = 60;
	r = dns_parse_answer(DNS_T_MX, "mired.org", ARES_SUCCESS, p, (int)n);
	is_int(r->ttl, 60, "  capped by dns_cache_max_ttl");
	dns_result_free(&r);
	var_dns_cache_max_ttl = 86400;

	n = pkt_answer(p, "mired.org", DNS_T_MX, 0, big, 1, 0, 0);
	r = dns_parse_answer(DNS_T_MX, "mired.org", ARES_SUCCESS, p, (int)n);
	ok(r->status == DNS_OK && r->ttl == 0,
	    "a TTL over 2^31-1 counts as 0 (RFC 2181)");
	dns_result_free(&r);

	for (i = 0; i < sizeof(negs) / sizeof(negs[0]); i++) {
		n = pkt_answer(p, "nx.mired.org", DNS_T_A, negs[i].rcode, NULL,
		    0, negs[i].soa_ttl, negs[i].soa_min);
		r = dns_parse_answer(DNS_T_A, "nx.mired.org", negs[i].status,
		    p, (int)n);
		ok(r->status == negs[i].want && r->ttl == negs[i].ttl &&
		    r->why != NULL, negs[i].name);
		dns_result_free(&r);
	}
	n = pkt_answer(p, "nx.mired.org", DNS_T_A, 3, NULL, 0, 3600, 120);
	r = dns_parse_answer(DNS_T_A, "nx.mired.org", ARES_ENOTFOUND, p,
	    (int)n);
	ok(strstr(r->why, "NXDOMAIN") != NULL, "NXDOMAIN says so");
	dns_result_free(&r);

	n = pkt_answer(p, "mired.org", DNS_T_MX, 0, ttls, 2, 0, 0);
	r = dns_parse_answer(DNS_T_MX, "mired.org", ARES_SUCCESS, p,
	    (int)n - 3);
	ok(r->status == DNS_TEMPFAIL && r->nrr == 0,
	    "a truncated answer is a temporary failure");
	dns_result_free(&r);
	n = pkt_answer(p, "mired.org", DNS_T_MX, 0, ttls, 1, 0, 0);
	p[n - 14] = 63;			/* a label running past the end */
	r = dns_parse_answer(DNS_T_MX, "mired.org", ARES_SUCCESS, p, (int)n);
	ok(r->status == DNS_TEMPFAIL, "a label past the end: the same");
	dns_result_free(&r);
	r = dns_parse_answer(DNS_T_MX, "mired.org", ARES_SUCCESS, p, 5);
	ok(r->status == DNS_TEMPFAIL, "5 bytes: the same");
	dns_result_free(&r);
	n = pkt_answer(p, "mired.org", DNS_T_MX, 0, ttls, 1, 0, 0);
	r = dns_parse_answer(DNS_T_A, "mired.org", ARES_SUCCESS, p, (int)n);
	ok(r->status != DNS_OK && r->nrr == 0,
	    "an answer to another question is not taken");
	dns_result_free(&r);
	for (i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
		r = dns_parse_answer(DNS_T_A, "mired.org", fails[i].status,
		    NULL, 0);
		ok(r->status == DNS_TEMPFAIL && r->ttl == 0 && r->why != NULL,
		    fails[i].name);
		dns_result_free(&r);
	}
}

/*
 * pkt_tlsa - an answer to "_25._tcp.mx.mired.org TLSA" with the AD bit
 * (ad): a CNAME on the way, then TLSA records of rdata lengths lens
 * (usage 3, selector 1, matching type 1, bytes 0xab); its length
 */
static size_t
pkt_tlsa(unsigned char *p, int ad, const unsigned *lens, int nlen)
{
	const char *name = "_25._tcp.mx.mired.org";
	size_t n = 0, rdstart;
	int i;

	n += pkt_put16(p + n, 0x1234);
	n += pkt_put16(p + n, 0x8180 | (ad ? 0x20 : 0));
	n += pkt_put16(p + n, 1);
	n += pkt_put16(p + n, nlen + 1);
	n += pkt_put16(p + n, 0);
	n += pkt_put16(p + n, 0);
	n += pkt_name(p + n, name);
	n += pkt_put16(p + n, DNS_T_TLSA);
	n += pkt_put16(p + n, 1);
	n += pkt_put16(p + n, 0xc00c);		/* a CNAME first */
	n += pkt_put16(p + n, 5);
	n += pkt_put16(p + n, 1);
	n += pkt_put32(p + n, 300);
	rdstart = n;
	n += 2;
	n += pkt_name(p + n, "tlsa.mired.org");
	pkt_put16(p + rdstart, (unsigned)(n - rdstart - 2));
	for (i = 0; i < nlen; i++) {
		n += pkt_put16(p + n, 0xc00c);
		n += pkt_put16(p + n, DNS_T_TLSA);
		n += pkt_put16(p + n, 1);
		n += pkt_put32(p + n, 300);
		n += pkt_put16(p + n, lens[i]);
		p[n] = 3;
		p[n + 1] = 1;
		p[n + 2] = 1;
		if (lens[i] > 3)
			memset(p + n + 3, 0xab, lens[i] - 3);
		n += lens[i];
	}
	return n;
}

/* test_tlsa - TLSA answers: the records, the AD bit, malformed ones */
static void
test_tlsa(void)
{
	unsigned char p[1024];
	unsigned lens[3] = { 35, 3, 4 };
	struct dns_result *r, *c;
	size_t n;

	n = pkt_tlsa(p, 1, lens, 3);
	r = dns_parse_answer(DNS_T_TLSA, "_25._tcp.mx.mired.org",
	    ARES_SUCCESS, p, (int)n);
	ok(r->status == DNS_OK && r->nrr == 2, "TLSA: the records after a "
	    "CNAME, one without data left out");
	ok(r->nrr == 2 && r->rr[0].usage == 3 && r->rr[0].selector == 1 &&
	    r->rr[0].mtype == 1 && r->rr[0].len == 32 &&
	    (unsigned char)r->rr[0].text[31] == 0xab && r->rr[1].len == 1,
	    "  usage, selector, matching type and data");
	ok(r->secure, "  the AD bit: secure");
	c = dns_result_copy(r);
	ok(c->secure && c->nrr == 2 && c->rr[0].len == 32 &&
	    memcmp(c->rr[0].text, r->rr[0].text, 32) == 0,
	    "  a copy (the cache's) keeps the data and the AD bit");
	dns_result_free(&c);
	dns_result_free(&r);
	n = pkt_tlsa(p, 0, lens, 1);
	r = dns_parse_answer(DNS_T_TLSA, "_25._tcp.mx.mired.org",
	    ARES_SUCCESS, p, (int)n);
	ok(r->status == DNS_OK && !r->secure, "TLSA without AD: not secure");
	dns_result_free(&r);
	r = dns_parse_answer(DNS_T_TLSA, "_25._tcp.mx.mired.org",
	    ARES_SUCCESS, p, (int)n - 1);
	ok(r->status == DNS_TEMPFAIL && r->nrr == 0,
	    "TLSA data past the end: a temporary failure");
	dns_result_free(&r);
	n = pkt_tlsa(p, 1, lens + 1, 1);
	r = dns_parse_answer(DNS_T_TLSA, "_25._tcp.mx.mired.org",
	    ARES_SUCCESS, p, (int)n);
	ok(r->status == DNS_NODATA && r->secure,
	    "no TLSA record with data: no data (secure)");
	dns_result_free(&r);
}

/* test_cache - TTLs on an injected clock, the bound, what is not kept */
static void
test_cache(void)
{
	struct dns_result *r, *got;

	dns_cache_clock(fake_clock);
	var_dns_cache_size = 3;
	fake_now = 1000000;

	r = mx_answer("mired.org", "10 mx.mired.org");
	r->ttl = 60;
	dns_cache_put(r);
	got = dns_cache_get(DNS_T_MX, "mired.org");
	ok(got != NULL && got->nrr == 1 &&
	    strcmp(got->rr[0].name, "mx.mired.org") == 0,
	    "a kept answer is found");
	ok(got != NULL && got->ttl == 60, "  with its TTL");
	dns_result_free(&got);
	ok(dns_cache_get(DNS_T_A, "mired.org") == NULL,
	    "another type of the same name is not");
	fake_now += 59500;
	got = dns_cache_get(DNS_T_MX, "mired.org");
	ok(got != NULL && got->ttl == 1, "half a second before its TTL: kept");
	dns_result_free(&got);
	fake_now += 500;
	ok(dns_cache_get(DNS_T_MX, "mired.org") == NULL,
	    "at its TTL: gone");
	is_int((long long)dns_cache_count(), 0, "  and forgotten");

	r->ttl = 0;
	dns_cache_put(r);
	ok(dns_cache_get(DNS_T_MX, "mired.org") == NULL, "TTL 0: not kept");
	r->ttl = 60;
	r->status = DNS_TEMPFAIL;
	dns_cache_put(r);
	ok(dns_cache_get(DNS_T_MX, "mired.org") == NULL,
	    "a temporary failure is not kept");
	dns_result_free(&r);

	r = dns_result_new(DNS_T_A, "nx.mired.org", DNS_NOTFOUND, "nx");
	r->ttl = 30;
	dns_cache_put(r);
	dns_result_free(&r);
	got = dns_cache_get(DNS_T_A, "nx.mired.org");
	ok(got != NULL && got->status == DNS_NOTFOUND,
	    "NXDOMAIN is kept for its negative TTL");
	dns_result_free(&got);

	r = dns_result_new(DNS_T_A, "a.mired.org", DNS_NODATA, NULL);
	r->ttl = 300;
	dns_cache_put(r);
	free(r->name);
	r->name = xstrdup("b.mired.org");
	dns_cache_put(r);
	got = dns_cache_get(DNS_T_A, "nx.mired.org");	/* used: newest */
	dns_result_free(&got);
	free(r->name);
	r->name = xstrdup("c.mired.org");
	dns_cache_put(r);
	is_int((long long)dns_cache_count(), 3, "dns_cache_size bounds it");
	ok(dns_cache_get(DNS_T_A, "a.mired.org") == NULL,
	    "  the least recently used went");
	got = dns_cache_get(DNS_T_A, "nx.mired.org");
	ok(got != NULL, "  the recently used stayed");
	dns_result_free(&got);
	dns_cache_put(r);			/* again: replaces */
	is_int((long long)dns_cache_count(), 3, "  a name put again replaces");
	dns_result_free(&r);

	dns_cache_flush();
	is_int((long long)dns_cache_count(), 0, "dns_cache_flush empties it");
	ok(dns_cache_get(DNS_T_A, "nx.mired.org") == NULL, "  really");
	var_dns_cache_size = 0;
	r = dns_result_new(DNS_T_A, "a.mired.org", DNS_OK, NULL);
	r->ttl = 300;
	dns_cache_put(r);
	dns_result_free(&r);
	is_int((long long)dns_cache_count(), 0, "dns_cache_size 0: no cache");
	dns_cache_clock(NULL);
}

int
main(void)
{
	test_servers();
	test_names();
	test_mx();
	test_packets();
	test_tlsa();
	test_cache();
	return done_testing();
}
