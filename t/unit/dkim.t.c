/*
 * dkim.t - lib/dkim*.c: RFC 6376 3.4.6's canonicalization example, tag
 * lists and key records accepted and refused, RFC 8463 appendix A's
 * signed message (both signatures pass; an altered body fails), sign and
 * verify round trips with RSA and Ed25519 over input split at every byte,
 * x= expiry, a revoked key, l=, the signature limit, the resinfo text.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"
#include "buf.h"
#include "dkim.h"
#include "dkim_int.h"
#include "params.h"
#include "../tap.h"

/* RFC 8463 appendix A.2, the key records. */
#define ED_RECORD "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define RSA_RECORD "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR" \
	"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC" \
	"DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3" \
	"Ip3G+2kryOTIKT+l/K4w3QIDAQAB"

/* RFC 8463 appendix A.3, the signed message (CRLF line ends). */
static const char rfc8463[] =
"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
" d=football.example.com; i=@football.example.com;\r\n"
" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
" subject : date : message-id : from : subject : date;\r\n"
" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
" d=football.example.com; i=@football.example.com;\r\n"
" q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
" date : message-id : from : subject : date;\r\n"
" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
" b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
" DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
" dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
"From: Joe SixPack <joe@football.example.com>\r\n"
"To: Suzie Q <suzie@shopping.example.net>\r\n"
"Subject: Is dinner ready?\r\n"
"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
"\r\n"
"Hi.\r\n"
"\r\n"
"We lost the game.  Are you hungry yet?\r\n"
"\r\n"
"Joe.\r\n";

/* The keys a test lookup knows. */
static struct {
	const char	*name;		/* selector._domainkey.domain */
	const char	*record;	/* NULL: a DNS failure */
} keys[16];
static size_t nkeys;

/* key_set - what the test lookup answers for a name */
static void
key_set(const char *name, const char *record)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].name, name) == 0)
			break;
	if (i == nkeys)
		nkeys++;
	keys[i].name = name;
	keys[i].record = record;
}

/* lookup - the test's key lookup, from keys[] */
static int
lookup(const char *d, const char *s, struct buf *txt, struct buf *why,
    void *arg)
{
	char	 name[512];
	size_t	 i;

	snprintf(name, sizeof(name), "%s._domainkey.%s", s, d);
	for (i = 0; i < nkeys; i++)
		if (strcmp(keys[i].name, name) == 0) {
			if (keys[i].record == NULL) {
				buf_set(why, "SERVFAIL");
				return DKIM_KEY_TEMP;
			}
			buf_set(txt, keys[i].record);
			return DKIM_KEY_OK;
		}
	buf_set(why, "NXDOMAIN");
	return DKIM_KEY_NONE;
}

/* verify - the results of a message fed in pieces of step bytes (0:
 * whole), as "status,status" */
static const char *
verify(const char *msg, size_t len, size_t step, time_t now,
    struct buf *out, struct buf *reasons)
{
	struct dkim_verify *v = dkim_verify_new(now);
	struct dkim_result *r;
	size_t	 n, i, at;

	for (at = 0; at < len; at += step ? step : len)
		dkim_verify_update(v, msg + at, step && at + step < len ?
		    step : len - at);
	n = dkim_verify_final(v, lookup, NULL, &r);
	buf_reset(out);
	if (reasons)
		buf_reset(reasons);
	for (i = 0; i < n; i++) {
		buf_appendf(out, "%s%s", i ? "," : "",
		    dkim_status_str(r[i].status));
		if (reasons) {
			buf_appendf(reasons, "%s", i ? "\n" : "");
			dkim_result_format(&r[i], reasons);
		}
	}
	dkim_results_free(&r, n);
	dkim_verify_free(&v);
	return buf_str(out);
}

/* split_verify - verify with the message cut in two at each byte */
static int
split_verify(const char *msg, const char *want, time_t now)
{
	struct buf	*out = buf_new(64, 0);
	struct dkim_verify *v;
	struct dkim_result *r;
	size_t		 len = strlen(msg), cut, n;
	int		 good = 1;

	for (cut = 0; cut <= len && good; cut++) {
		v = dkim_verify_new(now);
		dkim_verify_update(v, msg, cut);
		dkim_verify_update(v, msg + cut, len - cut);
		n = dkim_verify_final(v, lookup, NULL, &r);
		buf_reset(out);
		if (n > 0)
			buf_puts(out, dkim_status_str(r[0].status));
		if (strcmp(buf_str(out), want) != 0) {
			fprintf(stderr, "# cut at %zu: %s\n", cut, buf_str(out));
			good = 0;
		}
		dkim_results_free(&r, n);
		dkim_verify_free(&v);
	}
	buf_free(&out);
	return good;
}

/* canon_case - RFC 6376 3.4.6 */
static void
canon_case(void)
{
	static const char *const fields[] = { "A: X", "B : Y\t\n\tZ  " };
	static const char *const relaxed[] = { "a:X", "b:Y Z" };
	static const char *const simple[] = { "A: X", "B : Y\t\r\n\tZ  " };
	static const struct {
		const char	*in;
		int		 relaxed;
		const char	*want;
	} bodies[] = {
		{ " C \r\nD \t E\r\n\r\n\r\n", 1, " C\r\nD E\r\n" },
		{ " C \nD \t E\n\n\n", 1, " C\r\nD E\r\n" },
		{ " C \r\nD \t E\r\n\r\n\r\n", 0, " C \r\nD \t E\r\n" },
		{ " C \nD \t E\n\n", 0, " C \r\nD \t E\r\n" },
		{ "", 0, "\r\n" },
		{ "", 1, "" },
		{ "\n\n\n", 0, "\r\n" },
		{ "\n \n\t\n", 1, "" },
		{ "abc", 0, "abc\r\n" },
		{ "abc", 1, "abc\r\n" },
		{ "a\rb\r", 0, "a\rb\r\r\n" },
		{ "x  \t\ny\r\n", 1, "x\r\ny\r\n" },
	};
	struct buf	*out = buf_new(64, 0);
	unsigned char	 got[32], want[32];
	struct dkim_body b;
	unsigned int	 n;
	size_t		 i, k;
	char		 name[64];

	for (i = 0; i < 2; i++) {
		buf_reset(out);
		dkim_canon_header(1, fields[i], strlen(fields[i]), out);
		is_str(buf_str(out), relaxed[i], "relaxed header (3.4.6)");
		buf_reset(out);
		dkim_canon_header(0, fields[i], strlen(fields[i]), out);
		is_str(buf_str(out), simple[i], "simple header (3.4.6)");
	}
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		EVP_Digest(bodies[i].want, strlen(bodies[i].want), want, &n,
		    EVP_sha256(), NULL);
		/* whole, and a byte at a time */
		for (k = 0; k < 2; k++) {
			size_t at, len = strlen(bodies[i].in);

			dkim_body_init(&b, bodies[i].relaxed, -1);
			for (at = 0; at < len; at += k ? 1 : len)
				dkim_body_feed(&b, bodies[i].in + at,
				    k ? 1 : len);
			dkim_body_final(&b, got);
			dkim_body_free(&b);
			snprintf(name, sizeof(name), "body %zu (%s, %s)", i,
			    bodies[i].relaxed ? "relaxed" : "simple",
			    k ? "bytewise" : "whole");
			ok(memcmp(got, want, 32) == 0, name);
		}
	}
	buf_free(&out);
}

/* tags_case - tag lists accepted and refused */
static void
tags_case(void)
{
	static const struct tap_text good[] = {
		{ "v=1; a=rsa-sha256", "v=1|a=rsa-sha256|", "plain" },
		{ "v=1;a=b;", "v=1|a=b|", "a last ;" },
		{ " v = 1 ;\r\n\ta = x y ", "v=1|a=x y|", "white space" },
		{ "p=", "p=|", "empty value" },
		{ "", "", "empty list" },
		{ "x_1=a=b", "x_1=a=b|", "= in a value" },
	};
	static const char *const bad[] = {
		"v", "v=1; v=1", "=1", "1v=2", "v=\x80", "v=1;;a=2",
		"v-x=1", "v=\001", "a b=1", "averyveryverylongname=1",
	};
	struct dkim_tags t;
	struct buf	*why = buf_new(64, 0), *out = buf_new(64, 0);
	size_t		 i, k;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		buf_reset(out);
		if (dkim_tags_parse(good[i].in, strlen(good[i].in), &t,
		    why) == 0)
			for (k = 0; k < t.n; k++)
				buf_appendf(out, "%s=%.*s|", t.t[k].name,
				    (int)t.t[k].vlen, t.t[k].val);
		else
			buf_set(out, buf_str(why));
		is_str(buf_str(out), good[i].want, good[i].name);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(dkim_tags_parse(bad[i], strlen(bad[i]), &t, why) < 0,
		    "tag list refused");
	buf_free(&why);
	buf_free(&out);
}

/* key_case - key records */
static void
key_case(void)
{
	static const struct {
		const char	*rec;
		int		 good;
	} recs[] = {
		{ ED_RECORD, 1 },
		{ RSA_RECORD, 1 },
		{ "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=; k=ed25519", 1 },
		{ "k=ed25519; v=DKIM1; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 0 },
		{ "v=DKIM2; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 0 },
		{ "v=DKIM1; k=dsa; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 0 },
		{ "v=DKIM1; k=ed25519; h=sha1; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 0 },
		{ "v=DKIM1; k=ed25519; s=other; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 0 },
		{ "v=DKIM1; k=ed25519; p=11qYAYKx", 0 },
		{ "v=DKIM1; k=ed25519; p=!!!", 0 },
		{ "v=DKIM1; k=rsa; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 0 },
		{ "v=DKIM1; k=ed25519", 0 },
		{ "v=DKIM1; p=", 0 },
	};
	struct dkim_pubkey k;
	struct buf	*why = buf_new(64, 0);
	size_t		 i;
	int		 revoked, ret;

	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		ret = dkim_key_parse(recs[i].rec, strlen(recs[i].rec), &k,
		    &revoked, why);
		if (!ok((ret == 0) == recs[i].good, recs[i].rec))
			fprintf(stderr, "#   %s\n", buf_str(why));
		dkim_pubkey_free(&k);
	}
	dkim_key_parse("v=DKIM1; p=", 11, &k, &revoked, why);
	ok(revoked, "empty p= is a revoked key");
	buf_free(&why);
}

/* rfc8463_case - the RFC's message passes, altered it fails */
static void
rfc8463_case(void)
{
	struct buf	*out = buf_new(64, 0), *why = buf_new(256, 0);
	struct buf	*msg = buf_new(2048, 0);
	time_t		 now = 1528637909 + 60;
	char		*p;

	key_set("brisbane._domainkey.football.example.com", ED_RECORD);
	key_set("test._domainkey.football.example.com", RSA_RECORD);
	is_str(verify(rfc8463, strlen(rfc8463), 0, now, out, why),
	    "pass,pass", "RFC 8463 A.3: both signatures pass");
	is_str(buf_str(why), "dkim=pass (signature verified) "
	    "header.d=football.example.com header.i=@football.example.com "
	    "header.s=brisbane header.a=ed25519-sha256 "
	    "header.b=\"/gCrinpc\"\n"
	    "dkim=pass (signature verified) header.d=football.example.com "
	    "header.i=@football.example.com header.s=test "
	    "header.a=rsa-sha256 header.b=F45dVWDf", "resinfo text");
	is_str(verify(rfc8463, strlen(rfc8463), 7, now, out, NULL),
	    "pass,pass", "RFC 8463 A.3 in pieces of 7 bytes");
	/* the queue's form: LF line ends */
	for (p = (char *)rfc8463; *p; p++)
		if (*p != '\r')
			buf_putc(msg, *p);
	is_str(verify(buf_str(msg), buf_len(msg), 1, now, out, NULL),
	    "pass,pass", "RFC 8463 A.3 with LF line ends, a byte at a time");
	p = strstr(msg->data, "hungry");
	*p = 'H';
	is_str(verify(buf_str(msg), buf_len(msg), 0, now, out, why),
	    "fail,fail", "altered body: both fail");
	ok(strstr(buf_str(why), "body hash did not verify") != NULL,
	    "altered body: the reason says the body hash");
	*p = 'h';
	p = strstr(msg->data, "Subject: Is");
	p[9] = 'i';
	is_str(verify(buf_str(msg), buf_len(msg), 0, now, out, why),
	    "fail,fail", "altered Subject: both fail");
	p[9] = 'I';
	key_set("test._domainkey.football.example.com", NULL);
	is_str(verify(buf_str(msg), buf_len(msg), 0, now, out, why),
	    "pass,temperror", "DNS failure: temperror");
	key_set("test._domainkey.football.example.com", "v=DKIM1; p=");
	is_str(verify(buf_str(msg), buf_len(msg), 0, now, out, why),
	    "pass,permerror", "revoked key: permerror");
	key_set("test._domainkey.football.example.com", ED_RECORD);
	is_str(verify(buf_str(msg), buf_len(msg), 0, now, out, why),
	    "pass,permerror", "key of another type: permerror");
	key_set("test._domainkey.football.example.com", RSA_RECORD);
	var_dkim_rsa_min_bits = 2048;
	is_str(verify(buf_str(msg), buf_len(msg), 0, now, out, why),
	    "pass,permerror", "key under dkim_rsa_min_bits: permerror");
	var_dkim_rsa_min_bits = 1024;
	var_dkim_verify_signature_limit = 1;
	is_str(verify(buf_str(msg), buf_len(msg), 0, now, out, why),
	    "pass,policy", "past dkim_verify_signature_limit: policy");
	var_dkim_verify_signature_limit = 5;
	var_dkim_header_size_limit = 512;
	is_str(verify(buf_str(msg), buf_len(msg), 0, now, out, why),
	    "permerror", "header section over the limit: permerror");
	var_dkim_header_size_limit = 1 << 20;
	buf_free(&out);
	buf_free(&why);
	buf_free(&msg);
}

/* sign - sign msg whole or in two pieces cut at cut; the header */
static int
sign(const struct dkim_privkey *key, const char *msg, size_t cut,
    time_t now, long long ttl, struct buf *out)
{
	struct dkim_sign *s;
	struct buf	*why = buf_new(64, 0);
	int		 ret;

	s = dkim_sign_new("mired.test", "sel", key, NULL, now, ttl, why);
	dkim_sign_update(s, msg, cut);
	dkim_sign_update(s, msg + cut, strlen(msg) - cut);
	buf_reset(out);
	ret = dkim_sign_final(s, out, why);
	dkim_sign_free(&s);
	buf_free(&why);
	return ret;
}

/* roundtrip_case - sign and verify with a new key of alg */
static void
roundtrip_case(int alg, const char *name)
{
	static const char msg[] =
	    "From: Ana <ana@mired.test>\n"
	    "To: bob@example.test\n"
	    "Subject: hola\n"
	    "  folded\r\n"
	    "X-Other: not signed\n"
	    "\n"
	    "Hola  Bob,\r\n"
	    "\n"
	    "  tabs\there \n"
	    "\r\n"
	    "\n";
	struct buf	*why = buf_new(64, 0), *hdr = buf_new(1024, 0);
	struct buf	*first = buf_new(1024, 0), *full = buf_new(2048, 0);
	struct buf	*rec = buf_new(1024, 0), *out = buf_new(64, 0);
	struct dkim_privkey *key;
	size_t		 cut, len = strlen(msg);
	int		 same = 1, lines_ok = 1;
	char		 t[128], *line, *p;
	time_t		 now = 1700000000;

	key = dkim_privkey_generate(alg, 1024, why);
	dkim_privkey_record(key, rec, why);
	key_set("sel._domainkey.mired.test", xstrdup(buf_str(rec)));
	sign(key, msg, len, now, 0, first);
	for (cut = 0; cut <= len; cut++) {
		sign(key, msg, cut, now, 0, hdr);
		if (strcmp(buf_str(hdr), buf_str(first)) != 0)
			same = 0;
	}
	snprintf(t, sizeof(t), "%s: the same signature at every cut", name);
	ok(same, t);
	for (line = first->data; (p = strchr(line, '\n')) != NULL; line = p + 1)
		if (p - line > 78)
			lines_ok = 0;
	snprintf(t, sizeof(t), "%s: lines of at most 78", name);
	ok(lines_ok, t);
	snprintf(t, sizeof(t), "%s: h= oversigns From", name);
	ok(strstr(buf_str(first), "h=from:from:to:subject;") != NULL, t);
	buf_set(full, buf_str(first));
	buf_puts(full, msg);
	snprintf(t, sizeof(t), "%s: verified at every cut", name);
	ok(split_verify(buf_str(full), "pass", now + 10), t);
	/* added From above: fails (oversigned) */
	buf_set(full, "From: mallory@evil.test\n");
	buf_puts(full, buf_str(first));
	buf_puts(full, msg);
	snprintf(t, sizeof(t), "%s: an added From fails", name);
	is_str(verify(buf_str(full), buf_len(full), 0, now, out, NULL),
	    "fail", t);
	/* an unsigned field may be added, trailing empty lines too */
	buf_set(full, "X-Spam: no\n");
	buf_puts(full, buf_str(first));
	buf_puts(full, msg);
	buf_puts(full, "\n\n");
	snprintf(t, sizeof(t), "%s: unsigned field, empty lines added", name);
	is_str(verify(buf_str(full), buf_len(full), 0, now, out, NULL),
	    "pass", t);
	/* x= */
	sign(key, msg, 0, now, 100, hdr);
	buf_set(full, buf_str(hdr));
	buf_puts(full, msg);
	snprintf(t, sizeof(t), "%s: within x=", name);
	is_str(verify(buf_str(full), buf_len(full), 0, now + 50, out, NULL),
	    "pass", t);
	snprintf(t, sizeof(t), "%s: expired x=", name);
	is_str(verify(buf_str(full), buf_len(full), 0, now + 101, out, NULL),
	    "permerror", t);
	/* no From: no signature */
	snprintf(t, sizeof(t), "%s: no From, no signature", name);
	ok(sign(key, "To: x@y\n\nbody\n", 0, now, 0, hdr) < 0, t);
	dkim_privkey_free(&key);
	buf_free(&why);
	buf_free(&hdr);
	buf_free(&first);
	buf_free(&full);
	buf_free(&rec);
	buf_free(&out);
}

/* l_case - l=: the body past it is not checked, and the reason says so;
 * made by hand from a simple/simple signature of our own key */
static void
l_case(void)
{
	static const char body[] = "line one\nline two\n";
	struct buf	*why = buf_new(64, 0), *rec = buf_new(1024, 0);
	struct buf	*text = buf_new(1024, 0), *canon = buf_new(1024, 0);
	struct buf	*sig = buf_new(512, 0), *msg = buf_new(2048, 0);
	struct buf	*out = buf_new(64, 0), *reasons = buf_new(256, 0);
	struct dkim_privkey *key;
	unsigned char	 bh[32], digest[32];
	unsigned int	 n;
	EVP_MD_CTX	*md;

	key = dkim_privkey_generate(DKIM_ALG_ED25519_SHA256, 0, why);
	dkim_privkey_record(key, rec, why);
	key_set("l._domainkey.mired.test", xstrdup(buf_str(rec)));
	/* simple body of "line one\r\n" is 10 bytes: l=10 */
	EVP_Digest("line one\r\n", 10, bh, &n, EVP_sha256(), NULL);
	buf_set(text, "DKIM-Signature: v=1; a=ed25519-sha256; d=mired.test; "
	    "s=l; c=simple/simple; l=10; h=from; bh=");
	base64_encode(text, bh, 32);
	buf_puts(text, "; b=");
	md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, "From: ana@mired.test\r\n", 22);
	EVP_DigestUpdate(md, text->data, buf_len(text));
	EVP_DigestFinal_ex(md, digest, &n);
	EVP_MD_CTX_free(md);
	dkim_digest_sign(key->pkey, key->alg, digest, sig, why);
	base64_encode(text, sig->data, buf_len(sig));
	buf_set(msg, buf_str(text));
	buf_puts(msg, "\nFrom: ana@mired.test\n\n");
	buf_puts(msg, body);
	is_str(verify(buf_str(msg), buf_len(msg), 0, 0, out, reasons),
	    "pass", "l=: the body past it is not checked");
	ok(strstr(buf_str(reasons), "l= signs 10 of 20 body bytes") != NULL,
	    "l=: the reason says how much was signed");
	buf_set(msg, buf_str(text));
	buf_puts(msg, "\nFrom: ana@mired.test\n\nline\n");
	is_str(verify(buf_str(msg), buf_len(msg), 0, 0, out, NULL),
	    "permerror", "l= longer than the body: permerror");
	dkim_privkey_free(&key);
	buf_free(&why), buf_free(&rec), buf_free(&text), buf_free(&canon);
	buf_free(&sig), buf_free(&msg), buf_free(&out), buf_free(&reasons);
}

/* bad_sig_case - signatures refused before any key lookup */
static void
bad_sig_case(void)
{
	static const struct tap_text cases[] = {
		{ "DKIM-Signature: v=1; a=rsa-sha1; d=a.test; s=s; h=from; "
		    "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA",
		    "rsa-sha1", "rsa-sha1 refused" },
		{ "DKIM-Signature: v=1; a=rsa-sha256; d=a.test; s=s; h=to; "
		    "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA",
		    "From is not signed", "From not in h=" },
		{ "DKIM-Signature: v=1; a=rsa-sha256; d=a.test; s=s; h=from; "
		    "b=AAAA", "missing", "no bh=" },
		{ "DKIM-Signature: v=1; a=rsa-sha256; d=a.test; s=s; h=from; "
		    "i=x@b.test; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; "
		    "b=AAAA", "i= is not within d=", "i= outside d=" },
		{ "DKIM-Signature: v=1; a=rsa-sha256; d=a.test; s=s; h=from; "
		    "t=100; x=50; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; "
		    "b=AAAA", "x= is before t=", "x= before t=" },
		{ "DKIM-Signature: v=1; a=rsa-sha256; d=a.test; s=s; h=from; "
		    "c=fancy; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; "
		    "b=AAAA", "canonicalization", "unknown c=" },
		{ "DKIM-Signature: v=1; v=1; a=rsa-sha256", "twice",
		    "a tag twice" },
		{ "DKIM-Signature: v=1; a=rsa-sha256; d=a..test; s=s; h=from; "
		    "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=AAAA",
		    "bad d=", "bad d=" },
	};
	struct buf	*msg = buf_new(1024, 0), *out = buf_new(64, 0);
	struct buf	*why = buf_new(256, 0);
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_set(msg, cases[i].in);
		buf_puts(msg, "\nFrom: a@a.test\n\nbody\n");
		verify(buf_str(msg), buf_len(msg), 0, 0, out, why);
		if (!ok(strcmp(buf_str(out), "permerror") == 0 &&
		    strstr(buf_str(why), cases[i].want) != NULL, cases[i].name))
			fprintf(stderr, "#   %s: %s\n", buf_str(out),
			    buf_str(why));
	}
	is_str(verify("From: a\n\nx\n", 10, 0, 0, out, NULL), "",
	    "no signature: no result");
	buf_free(&msg);
	buf_free(&out);
	buf_free(&why);
}

/* rec_of - a key's record, in out */
static struct buf *
rec_of(const struct dkim_privkey *key, struct buf *out)
{
	struct buf	*why = buf_new(64, 0);

	buf_reset(out);
	dkim_privkey_record(key, out, why);
	buf_free(&why);
	return out;
}

/* auto_sign - sign with the key of the From domain: final's result, the
 * header in out */
static int
auto_sign(const char *msg, struct buf *out, struct buf *why)
{
	struct dkim_sign *s = dkim_sign_new(NULL, NULL, NULL, NULL, 0, 0, why);
	int		 ret;

	dkim_sign_update(s, msg, strlen(msg));
	buf_reset(out);
	buf_reset(why);
	ret = dkim_sign_final(s, out, why);
	dkim_sign_free(&s);
	return ret;
}

/* auto_case - the key chosen by the From domain (mired.test's is s1) */
static void
auto_case(const char *record)
{
	static const char msg[] = "From: \"x@evil.test\" <ana@Sub.Mired.Test>"
	    "\nTo: bob@b.test\n\nhi\n";
	struct buf	*out = buf_new(1024, 0), *why = buf_new(256, 0);
	struct buf	*full = buf_new(2048, 0), *res = buf_new(64, 0);

	key_set("s1._domainkey.mired.test", xstrdup(record));
	is_int(auto_sign(msg, out, why), 0, "signed with the From domain's "
	    "key (its parent's)");
	ok(strstr(buf_str(out), "d=mired.test; s=s1;") != NULL,
	    "... d= and s= of the table's entry");
	buf_set(full, buf_str(out));
	buf_puts(full, msg);
	is_str(verify(buf_str(full), buf_len(full), 0, 0, res, NULL), "pass",
	    "... and it verifies");
	is_int(auto_sign("From: a@other.test\n\nx\n", out, why), 1,
	    "no key for the From domain: unsigned");
	ok(strstr(buf_str(why), "no DKIM key for other.test") != NULL,
	    "... and why says so");
	is_int(auto_sign("From: a@mired.test\nFrom: b@mired.test\n\nx\n",
	    out, why), 1, "two From fields: unsigned");
	is_int(auto_sign("From: a@mired.test, b@other.test\n\nx\n", out,
	    why), 1, "From with two domains: unsigned");
	is_int(auto_sign("To: a@mired.test\n\nx\n", out, why), -1,
	    "no From: an error");
	buf_free(&out), buf_free(&why), buf_free(&full), buf_free(&res);
}

/* signers_case - dkim_signing_keys: found, cached, a bad entry, none */
static void
signers_case(void)
{
	char		 dir[] = "/tmp/dkim.t.XXXXXX";
	struct buf	*why = buf_new(256, 0), *path = buf_new(256, 0);
	struct buf	*text = buf_new(256, 0);
	struct dkim_privkey *key;
	const struct dkim_signer *s;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	key = dkim_privkey_generate(DKIM_ALG_ED25519_SHA256, 0, why);
	buf_setf(path, "%s/k.pem", dir);
	ok(dkim_privkey_write(key, buf_str(path), (uid_t)-1, (gid_t)-1,
	    why) == 0, "a key written");
	buf_setf(text, "Mired.Test s1:%s/k.pem\nbroken.test s2:%s/none.pem\n"
	    "bad.test nocolon\n", dir, dir);
	tap_put(dir, "keys", buf_str(text));
	buf_setf(path, "texthash:%s/keys", dir);
	var_dkim_signing_keys = xstrdup(buf_str(path));
	s = dkim_signer_find("mired.TEST", why);
	ok(s != NULL && strcmp(s->selector, "s1") == 0 &&
	    dkim_privkey_alg(s->key) == DKIM_ALG_ED25519_SHA256,
	    "the signer of a domain, any case, loaded on first use");
	ok(dkim_signer_find("mired.test", why) == s, "then kept");
	ok(dkim_signer_find("broken.test", why) == NULL && buf_len(why) > 0,
	    "a key file that is missing: no signer, an error");
	ok(dkim_signer_find("other.test", why) == NULL && buf_len(why) == 0,
	    "a domain not in the table: no signer, no error");
	auto_case(buf_str(rec_of(key, text)));
	dkim_signers_flush();
	ok(dkim_signers_load(why) < 0 && strstr(buf_str(why), "and 1 more"),
	    "loading them all: the bad entries said");
	ok(dkim_signer_find("mired.test", why) != NULL,
	    "... and the good one loaded");
	buf_setf(path, "%s/keys", dir);
	unlink(buf_str(path));
	dkim_signers_flush();
	ok(dkim_signers_load(why) == 0 && dkim_signer_find("mired.test", why)
	    == NULL, "no table file: nothing to sign with");
	buf_setf(path, "%s/k.pem", dir);
	unlink(buf_str(path));
	rmdir(dir);
	dkim_signers_flush();
	dkim_privkey_free(&key);
	buf_free(&why);
	buf_free(&path);
	buf_free(&text);
}

int
main(void)
{
	var_dkim_header_size_limit = 1 << 20;
	var_dkim_verify_signature_limit = 5;
	var_dkim_rsa_min_bits = 1024;
	var_dkim_rsa_max_bits = 4096;
	canon_case();
	tags_case();
	key_case();
	rfc8463_case();
	roundtrip_case(DKIM_ALG_RSA_SHA256, "rsa");
	roundtrip_case(DKIM_ALG_ED25519_SHA256, "ed25519");
	l_case();
	bad_sig_case();
	signers_case();
	return done_testing();
}
