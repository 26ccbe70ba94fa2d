/*
 * arc.t - the Authenticated Received Chain: a seal then its validation
 * over input in pieces of any size, two hops, the oldest-pass of a chain
 * whose message changed between hops, altered bodies, headers and ARC
 * fields, the structure rules (instances, members, cv=), a failed or
 * closed chain that gets no set, the resinfo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc.h"
#include "buf.h"
#include "dkim.h"
#include "params.h"
#include "util.h"
#include "../tap.h"

#define NOW	((time_t)1796644800)

static const char msg[] =
    "From: Ana <ana@mired.test>\n"
    "To: list@lists.test\n"
    "Subject: hola\n"
    "Date: Mon, 07 Dec 2026 12:00:00 +0000\n"
    "Message-ID: <1@mired.test>\n"
    "\n"
    "Hola,  \n"
    "\tsee you.\n"
    "\n";

/* The key records the test lookup knows: domain, record (NULL: SERVFAIL). */
static struct {
	char	*domain;
	char	*record;
} keys[4];

/* lookup - the test's key lookup: selector "arc" of the known domains */
static int
lookup(const char *d, const char *s, struct buf *txt, struct buf *why,
    void *arg)
{
	size_t	 i;

	(void)arg;
	for (i = 0; i < 4 && keys[i].domain != NULL; i++)
		if (strcmp(s, "arc") == 0 && strcmp(keys[i].domain, d) == 0) {
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

/* check - validate text fed in pieces of step bytes; the result in *r */
static int
check(const char *text, size_t step, struct arc_result *r)
{
	struct arc_verify *v = arc_verify_new(NOW);
	size_t		 at, len = strlen(text);

	for (at = 0; at < len; at += step)
		arc_verify_update(v, text + at, at + step < len ? step :
		    len - at);
	arc_verify_final(v, lookup, NULL, r);
	arc_verify_free(&v);
	return r->cv;
}

/*
 * seal_as - text with our ARC set (domain's key) prepended, fed in
 * pieces of step bytes, into out, the chain's result taken from checked
 * (the message as it came, before we changed it); the seal's return
 */
static int
seal_as(const char *checked, const char *text, const char *domain,
    struct dkim_privkey *key, size_t step, struct buf *out, struct buf *why)
{
	struct arc_result r;
	struct arc_seal	*s;
	struct buf	*res = buf_new(256, 0);
	size_t		 at, len = strlen(text);
	int		 ret;

	check(checked, 4096, &r);
	s = arc_seal_new(domain, "arc", key, NOW, why);
	for (at = 0; at < len; at += step)
		arc_seal_update(s, text + at, at + step < len ? step :
		    len - at);
	buf_set(res, "spf=pass smtp.mailfrom=mired.test; dkim=none; ");
	arc_result_format(&r, "192.0.2.1", res);
	buf_reset(out);
	ret = arc_seal_final(s, &r, "mx.test", buf_str(res), out, why);
	buf_puts(out, text);
	arc_seal_free(&s);
	arc_result_free(&r);
	buf_free(&res);
	return ret;
}

/* seal - seal_as of a message we did not change */
static int
seal(const char *text, const char *domain, struct dkim_privkey *key,
    size_t step, struct buf *out, struct buf *why)
{
	return seal_as(text, text, domain, key, step, out, why);
}

/* replace - text with the first "from" made "to" (a new string) */
static char *
replace(const char *text, const char *from, const char *to)
{
	const char	*at = strstr(text, from);
	struct buf	*b = buf_new(1024, 0);
	char		*s;

	if (at == NULL) {
		fprintf(stderr, "# no \"%s\" in the message\n", from);
		exit(1);
	}
	buf_append(b, text, at - text);
	buf_puts(b, to);
	buf_puts(b, at + strlen(from));
	s = xstrdup(buf_str(b));
	buf_free(&b);
	return s;
}

/* Changes to a two-set chain that must make it fail. */
static const struct tap_text broken[] = {
	{ "ARC-Seal: i=1;", "ARC-Seal: i=3;", "a seal with a gap in the "
	    "instances fails" },
	{ "ARC-Seal: i=1;", "X-Old-Seal: i=1;", "a set without its seal "
	    "fails" },
	{ "ARC-Message-Signature: i=1;", "ARC-Message-Signature: i=2;",
	    "two signatures of one instance fail" },
	{ "ARC-Authentication-Results: i=1;", "ARC-Authentication-Results: "
	    "i=0;", "instance 0 fails" },
	{ "ARC-Seal: i=1;", "ARC-Seal: i=51;", "instance 51 fails" },
	{ "cv=none;", "cv=pass;", "cv=pass at instance 1 fails" },
	{ "cv=pass;", "cv=none;", "cv=none above instance 1 fails" },
	{ "cv=pass;", "cv=fail;", "a last seal that says cv=fail closes the "
	    "chain" },
	{ "spf=pass", "spf=fail", "an altered ARC-Authentication-Results "
	    "breaks its seal" },
	{ "Subject: hola", "Subject: adios", "an altered signed header "
	    "field breaks the last AMS" },
	{ "see you.", "see you!", "an altered body breaks the last AMS" },
	{ "ARC-Seal: i=2; a=", "ARC-Seal: i=2; h=from; a=", "a seal with h= "
	    "fails" },
};

int
main(void)
{
	struct dkim_privkey *k1, *k2;
	struct arc_result r;
	struct buf	*why = buf_new(256, 0), *one = buf_new(4096, 0);
	struct buf	*two = buf_new(8192, 0), *rec = buf_new(512, 0);
	struct buf	*res = buf_new(256, 0);
	char		*alt;
	size_t		 i;
	static const size_t steps[] = { 1, 7, 4096 };

	var_dkim_header_size_limit = 1 << 20;
	var_dkim_rsa_min_bits = 1024;
	var_dkim_rsa_max_bits = 4096;
	var_arc_instance_limit = 50;
	var_arc_sign_headers = "From, To, subject, date, message-id, "
	    "dkim-signature, arc-seal";
	var_arc_authserv_id = "mx.test";
	var_arc_signing_domain = "";

	k1 = dkim_privkey_generate(DKIM_ALG_RSA_SHA256, 1024, why);
	k2 = dkim_privkey_generate(DKIM_ALG_ED25519_SHA256, 0, why);
	ok(k1 != NULL && k2 != NULL, "keys");
	keys[0].domain = "lists.test";
	dkim_privkey_record(k1, rec, why);
	keys[0].record = xstrdup(buf_str(rec));
	keys[1].domain = "relay.test";
	buf_reset(rec);
	dkim_privkey_record(k2, rec, why);
	keys[1].record = xstrdup(buf_str(rec));
	keys[2].domain = "down.test";
	keys[2].record = NULL;

	is_int(check(msg, 4096, &r), ARC_NONE, "no ARC sets: none");
	is_int(r.n, 0, "and no instance");
	arc_result_free(&r);

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		is_int(seal(msg, "lists.test", k1, steps[i], one, why), 0,
		    "sealing instance 1 (RSA)");
		ok(strncmp(buf_str(one), "ARC-Seal: i=1;", 14) == 0 &&
		    strstr(buf_str(one), "cv=none;") != NULL &&
		    strstr(buf_str(one), "\nARC-Message-Signature: i=1;") &&
		    strstr(buf_str(one), "\nARC-Authentication-Results: i=1; "
		    "mx.test;\n\tspf=pass"), "AS, AMS, AAR of i=1, cv=none");
		is_int(check(buf_str(one), steps[i], &r), ARC_PASS,
		    "the one-set chain passes (pieces of 1, 7, 4096)");
		arc_result_free(&r);
	}
	ok(strstr(buf_str(one), "h=from:from:to:subject:date:message-id;") !=
	    NULL, "the AMS signs the set, From once more, no ARC field");
	ok(strstr(buf_str(one), "arc=none") != NULL, "the AAR holds the "
	    "results given");

	is_int(seal(buf_str(one), "relay.test", k2, 13, two, why), 0,
	    "sealing instance 2 (Ed25519)");
	ok(strncmp(buf_str(two), "ARC-Seal: i=2;", 14) == 0 &&
	    strstr(buf_str(two), "cv=pass;") != NULL, "i=2 with cv=pass");
	is_int(check(buf_str(two), 3, &r), ARC_PASS, "the two-set chain "
	    "passes");
	is_int(r.n, 2, "two instances");
	is_int(r.oldest_pass, 0, "every AMS verifies: oldest-pass 0");
	is_str(r.d, "relay.test", "d= of the last AMS");
	buf_reset(res);
	arc_result_format(&r, "192.0.2.7", res);
	is_str(buf_str(res), "arc=pass (2 ARC sets verified) "
	    "header.oldest-pass=0 smtp.remote-ip=192.0.2.7", "the resinfo");
	arc_result_free(&r);

	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		alt = replace(buf_str(two), broken[i].in, broken[i].want);
		ok(check(alt, 4096, &r) == ARC_FAIL, broken[i].name);
		if (i == 7)
			ok(r.sealed_fail, "the result says the chain was "
			    "closed");
		if (i == 7 || i == 0) {
			is_int(seal(alt, "relay.test", k2, 4096, one, why), 1,
			    "a failed chain gets no set");
			ok(strstr(buf_str(why), "no set added") != NULL,
			    "why says so");
		}
		arc_result_free(&r);
		free(alt);
	}

	/* Hop 2 checks the chain, then changes the message and seals it:
	 * the first AMS breaks, the chain still passes. */
	seal(msg, "lists.test", k1, 4096, one, why);
	alt = replace(buf_str(one), "see you.", "see you. [list footer]");
	is_int(seal_as(buf_str(one), alt, "relay.test", k2, 4096, two, why),
	    0, "a message changed after its check sealed again");
	is_int(check(buf_str(two), 4096, &r), ARC_PASS, "the chain passes "
	    "(the seals cover ARC fields only)");
	is_int(r.oldest_pass, 2, "oldest-pass is 2: only the last AMS "
	    "verifies");
	arc_result_free(&r);
	free(alt);

	/* Keys. */
	seal(msg, "down.test", k1, 4096, one, why);
	is_int(check(buf_str(one), 4096, &r), ARC_FAIL, "a key that cannot "
	    "be looked up now: fail");
	ok(r.temp, "marked temporary");
	arc_result_free(&r);
	seal(msg, "gone.test", k1, 4096, one, why);
	is_int(check(buf_str(one), 4096, &r), ARC_FAIL, "no key: fail");
	ok(!r.temp && strstr(r.reason, "NXDOMAIN") != NULL, "not temporary, "
	    "why says NXDOMAIN");
	arc_result_free(&r);

	/* Limits. */
	seal(msg, "lists.test", k1, 4096, one, why);
	var_arc_instance_limit = 1;
	is_int(seal(buf_str(one), "relay.test", k2, 4096, two, why), 1,
	    "no set past arc_instance_limit");
	ok(strstr(buf_str(why), "arc_instance_limit") != NULL, "why names "
	    "the parameter");
	var_arc_instance_limit = 50;
	alt = replace(buf_str(one), "ARC-Message-Signature: i=1; ",
	    "ARC-Message-Signature: i=1; h=arc-seal; ");
	ok(check(alt, 4096, &r) == ARC_FAIL, "an AMS with two h= fails");
	arc_result_free(&r);
	free(alt);
	var_dkim_header_size_limit = 64;
	ok(check(buf_str(one), 4096, &r) == ARC_FAIL && strstr(r.reason,
	    "dkim_header_size_limit") != NULL, "a header section over the "
	    "limit fails");
	arc_result_free(&r);
	var_dkim_header_size_limit = 1 << 20;

	is_int(seal("To: x@y.test\n\nbody\n", "lists.test", k1, 4096, one,
	    why), 1, "no From: no set");
	ok(strstr(buf_str(why), "From") != NULL, "why says From");

	/* No key for arc_signing_domain: nothing added, said. */
	{
		struct arc_seal	*s = arc_seal_new(NULL, NULL, NULL, NOW, why);

		var_dkim_signing_keys = "";
		arc_seal_update(s, msg, strlen(msg));
		memset(&r, 0, sizeof(r));
		buf_reset(two);
		is_int(arc_seal_final(s, &r, NULL, "none", two, why), 1,
		    "no signing key: no set");
		ok(buf_len(two) == 0, "and nothing written");
		arc_seal_free(&s);
	}

	dkim_privkey_free(&k1);
	dkim_privkey_free(&k2);
	free(keys[0].record);
	free(keys[1].record);
	buf_free(&why);
	buf_free(&one);
	buf_free(&two);
	buf_free(&rec);
	buf_free(&res);
	return done_testing();
}
