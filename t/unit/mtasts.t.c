/*
 * mtasts.t - MTA-STS texts: the TXT record's id, the policy file, the
 * MX patterns, the cache file read back; and the head of the HTTPS
 * answer that brings a policy (lib/https.c).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "https.h"
#include "mtasts.h"
#include "../tap.h"

/* TXT records: the id, or "-" when the record is no policy. */
static const struct tap_text txt[] = {
	{ "v=STSv1; id=20160831085700Z;", "20160831085700Z", "the RFC's example" },
	{ "v=STSv1;id=abc", "abc", "no space, no final ;" },
	{ "v=STSv1 ;  id=abc  ; ext=1", "abc", "white space and an extension" },
	{ "v=STSv1; ext=x; id=Z9", "Z9", "id after an extension" },
	{ "v=STSv1; id=a; id=b", "a", "the first id counts" },
	{ "v=STSv1;", "-", "no id" },
	{ "v=STSv1; id=", "-", "an empty id" },
	{ "v=STSv1; id=123456789012345678901234567890123", "-", "an id of 33" },
	{ "v=STSv1; id=12345678901234567890123456789012", "12345678901234567890123456789012", "an id of 32" },
	{ "v=STSv1; id=a-b", "-", "a dash in the id" },
	{ "v=STSv2; id=abc", "-", "another version" },
	{ "id=abc; v=STSv1", "-", "the version not first" },
	{ "v=STSv1x; id=abc", "-", "junk after the version" },
	{ "v=STSv1;; id=abc", "-", "an empty field inside" },
	{ "v=STSv1; junk; id=abc", "-", "a field without =" },
	{ "v=spf1 -all", "-", "an SPF record" },
};

/* Policies: "mode max_age mx,mx", or "-" when refused. */
static const struct tap_text pol[] = {
	{ "version: STSv1\nmode: enforce\nmx: mail.example.com\n"
	  "mx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n",
	  "enforce 604800 mail.example.com,*.example.net,backupmx.example.com",
	  "the RFC's example" },
	{ "version: STSv1\r\nmode: testing\r\nmx: MX.Mired.org\r\nmax_age: 86400",
	  "testing 86400 mx.mired.org", "CRLF, no final break, case" },
	{ "version:STSv1\nmode:none\nmax_age:0\n", "none 0 ",
	  "mode none needs no mx" },
	{ "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 99999999999\n", "-",
	  "max_age over ten digits" },
	{ "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 9999999999\n",
	  "enforce 31557600 a.b", "max_age capped at a year" },
	{ "version: STSv1\nmode: enforce\nmax_age: 10\n", "-", "enforce without mx" },
	{ "version: STSv1\nmode: strict\nmx: a.b\nmax_age: 10\n", "-", "unknown mode" },
	{ "version: STSv2\nmode: enforce\nmx: a.b\nmax_age: 10\n", "-", "unknown version" },
	{ "mode: enforce\nmx: a.b\nmax_age: 10\n", "-", "no version" },
	{ "version: STSv1\nmode: enforce\nmx: a.b\n", "-", "no max_age" },
	{ "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: -1\n", "-", "a negative max_age" },
	{ "version: STSv1\nmode: enforce\nmx: a..b\nmax_age: 1\n", "-", "an empty label" },
	{ "version: STSv1\nmode: enforce\nmx: a.*.b\nmax_age: 1\n", "-", "a star inside" },
	{ "version: STSv1\nmode: enforce\nmx: a b\nmax_age: 1\n", "-", "a space in a pattern" },
	{ "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 1\ngarbage\n", "-", "a line without :" },
	{ "version: STSv1\nmode: testing\nmode: enforce\nmx: a.b\nmax_age: 5\n"
	  "color: blue\n", "testing 5 a.b", "first value kept, unknown key ignored" },
	{ "<html>\n<body>Not found</body>\n", "-", "an HTML page" },
};

/* Patterns: "pattern host" -> "1" or "0". */
static const struct tap_text pat[] = {
	{ "mail.example.com mail.example.com", "1", "exact" },
	{ "mail.example.com MAIL.Example.COM.", "1", "case and trailing dot" },
	{ "mail.example.com mail.example.co", "0", "shorter" },
	{ "mail.example.com xmail.example.com", "0", "longer" },
	{ "*.example.net mx1.example.net", "1", "wildcard" },
	{ "*.example.net mx1.example.net.", "1", "wildcard, trailing dot" },
	{ "*.example.net example.net", "0", "wildcard needs a label" },
	{ "*.example.net a.mx1.example.net", "0", "wildcard is one label" },
	{ "*.example.net .example.net", "0", "an empty label" },
	{ "*.example.net mx1.badexample.net", "0", "not a suffix match" },
};

/* HTTP heads: "status content-type", or "-1" when malformed. */
static const struct tap_text heads[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX: y",
	  "200 text/plain", "a 200" },
	{ "HTTP/1.0 200 OK\r\ncontent-type:  Text/Plain; charset=utf-8",
	  "200 text/plain", "type in any case, parameters cut" },
	{ "HTTP/1.1 301 Moved\r\nLocation: https://x/", "301 ",
	  "a redirect" },
	{ "HTTP/1.1 404", "404 ", "no reason phrase" },
	{ "HTTP/2 200 OK", "-1", "not HTTP/1.x" },
	{ "HTTP/1.1 20 OK", "-1", "two digits" },
	{ "HTTP/1.1 2000 OK", "-1", "four digits" },
	{ "<html>", "-1", "no status line" },
};

/* pol_str - a policy as "mode max_age mx,mx" */
static const char *
pol_str(const struct mtasts *p, struct buf *out)
{
	int i;

	buf_setf(out, "%s %lld ", mtasts_mode_str(p->mode), p->max_age);
	for (i = 0; i < p->nmx; i++)
		buf_appendf(out, "%s%s", i ? "," : "", p->mx[i]);
	return buf_str(out);
}

int
main(void)
{
	struct buf *why = buf_new(64, 0), *out = buf_new(64, 0);
	struct mtasts p, q;
	char id[MTASTS_ID_MAX + 1], pa[64], host[64];
	size_t i;
	const char *text;

	for (i = 0; i < sizeof(txt) / sizeof(txt[0]); i++) {
		strcpy(id, "-");
		if (mtasts_txt(txt[i].in, id, why) < 0)
			strcpy(id, "-");
		is_str(id, txt[i].want, txt[i].name);
	}
	for (i = 0; i < sizeof(pol) / sizeof(pol[0]); i++) {
		if (mtasts_parse(pol[i].in, strlen(pol[i].in), &p, why) < 0)
			is_str("-", pol[i].want, pol[i].name);
		else {
			is_str(pol_str(&p, out), pol[i].want, pol[i].name);
			mtasts_free(&p);
		}
	}
	for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
		sscanf(pat[i].in, "%63s %63s", pa, host);
		is_str(mtasts_pattern(pa, host) ? "1" : "0", pat[i].want,
		    pat[i].name);
	}

	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		int st = https_head(heads[i].in, strlen(heads[i].in), why);

		if (st < 0)
			buf_set(out, "-1");
		else
			buf_setf(out, "%d %s", st, buf_str(why));
		is_str(buf_str(out), heads[i].want, heads[i].name);
	}

	/* The cache file, written and read back. */
	text = pol[0].in;
	ok(mtasts_parse(text, strlen(text), &p, why) == 0, "parse to save");
	strcpy(p.id, "20160831085700Z");
	p.fetched = 1700000000;
	mtasts_save(&p, text, strlen(text), out);
	ok(mtasts_load(buf_str(out), buf_len(out), &q, why) == 0,
	    "the cache file reads back");
	is_str(q.id, "20160831085700Z", "its id");
	is_int(q.fetched, 1700000000, "its time");
	ok(mtasts_match(&q, "mx7.example.net") &&
	    !mtasts_match(&q, "evil.example.org"), "its patterns");
	mtasts_free(&q);
	mtasts_free(&p);
	ok(mtasts_load("bad id\n", 7, &q, why) < 0, "a bad cache header");
	ok(mtasts_load("abc 12", 6, &q, why) < 0, "a cache file without a line");
	ok(mtasts_parse("version: STSv1\0mode: none", 25, &q, why) < 0,
	    "a NUL in a policy");
	buf_free(&why);
	buf_free(&out);
	return done_testing();
}
