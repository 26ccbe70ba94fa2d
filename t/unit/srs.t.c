/*
 * srs.t - the Sender Rewriting Scheme: forward and back, SRS0 to SRS1,
 * hashes compared without regard to case and refused when altered,
 * expiry under an injected clock, secrets replaced, malformed and
 * over-long addresses, addresses left alone.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "params.h"
#include "srs.h"
#include "util.h"
#include "../tap.h"

#define DAY	86400
#define NOW	((time_t)1796644800)	/* 2026-12-07 12:00 UTC */

/* Addresses of the SRS domain that srs_reverse must refuse. */
static const struct tap_text malformed[] = {
	{ "SRS0=@fwd.test", NULL, "SRS0 with nothing after it" },
	{ "SRS0=abcdef@fwd.test", NULL, "SRS0 with only a hash" },
	{ "SRS0=abcdef=TT@fwd.test", NULL, "SRS0 without a domain" },
	{ "SRS0=abcdef=TT=mired.org@fwd.test", NULL, "SRS0 without a local "
	    "part" },
	{ "SRS0==TT=mired.org=ana@fwd.test", NULL, "SRS0 with an empty "
	    "hash" },
	{ "SRS0=abcdef=TTT=mired.org=ana@fwd.test", NULL, "a three-letter "
	    "timestamp" },
	{ "SRS0=abcdef=TT=mired=ana@fwd.test", NULL, "a domain without a "
	    "dot" },
	{ "SRS0=abcdef=TT=mired.org=ana@fwd.test", NULL, "a hash that does "
	    "not verify" },
	{ "SRS1=abcdef=a.test@fwd.test", NULL, "SRS1 without its SRS0 "
	    "part" },
	{ "SRS1=abcdef=a.test=x@fwd.test", NULL, "SRS1 whose rest is not "
	    "an SRS0 part" },
	{ "SRS1=abcdef=a.test==@fwd.test", NULL, "SRS1 with an empty SRS0 "
	    "part" },
	{ "SRS1=abcdef=a.test==HHHH=TT=b.test=bob@fwd.test", NULL,
	    "SRS1 whose hash does not verify" },
};

/* The domains that the tests call ours besides the SRS domain. */
static int
ours(const char *domain, void *arg)
{
	(void)arg;
	return strcasecmp(domain, "mired.test") == 0;
}

/* flip - an address with one letter of its hash changed */
static char *
flip(const char *addr)
{
	char	*s = xstrdup(addr);

	s[5] = s[5] == 'A' ? 'B' : 'A';
	return s;
}

/* longaddr - head, n letters x, tail, into b: its text */
static const char *
longaddr(struct buf *b, const char *head, size_t n, const char *tail)
{
	buf_set(b, head);
	while (n-- > 0)
		buf_putc(b, 'x');
	buf_puts(b, tail);
	return buf_str(b);
}

int
main(void)
{
	struct buf	*out = buf_new(256, 0), *back = buf_new(256, 0);
	struct buf	*why = buf_new(256, 0), *big = buf_new(2048, 0);
	struct srs	*s, *old, *b;
	char		*addr, *bad;
	size_t		 i;

	var_srs_hash_length = 6;
	var_srs_max_age = 21 * DAY;
	var_srs_address_length_limit = 256;

	ok(srs_new("fwd.test", "\n# none\n", why) == NULL && strstr(
	    buf_str(why), "secret") != NULL, "no secret: refused, said");
	ok(srs_new("nodot", "k", why) == NULL, "a domain without a dot: "
	    "refused");
	s = srs_new("fwd.test", "# the secret\nsecret-one\n", why);
	ok(s != NULL, "a rewriter");
	srs_set_clock(s, NOW);

	/* SRS0 and back. */
	is_int(srs_forward(s, "ana@mired.org", out, why), SRS_REWRITTEN,
	    "a plain sender is rewritten");
	ok(strncmp(buf_str(out), "SRS0=", 5) == 0 && strstr(buf_str(out),
	    "=mired.org=ana@fwd.test") != NULL, "SRS0=HASH=TT=mired.org="
	    "ana@fwd.test");
	is_int(strlen(buf_str(out)), strlen("SRS0=HHHHHH=TT=mired.org="
	    "ana@fwd.test"), "the hash has srs_hash_length letters");
	addr = xstrdup(buf_str(out));
	is_int(srs_reverse(s, addr, back, why), SRS_REWRITTEN,
	    "its bounce is reversed");
	is_str(buf_str(back), "ana@mired.org", "to the original sender");
	lowercase(addr);
	is_int(srs_reverse(s, addr, back, why), SRS_REWRITTEN,
	    "the address lower-cased still reverses (hash without case)");
	bad = flip(addr);
	is_int(srs_reverse(s, bad, back, why), SRS_ERROR,
	    "a changed hash is refused");
	ok(strstr(buf_str(why), "hash") != NULL, "and why says the hash");
	free(bad);

	/* Age under an injected clock. */
	srs_set_clock(s, NOW + 21 * DAY);
	is_int(srs_reverse(s, addr, back, why), SRS_REWRITTEN,
	    "21 days later (srs_max_age) it still reverses");
	srs_set_clock(s, NOW + 22 * DAY);
	is_int(srs_reverse(s, addr, back, why), SRS_ERROR,
	    "22 days later it has expired");
	ok(strstr(buf_str(why), "expired") != NULL, "and why says expired");
	srs_set_clock(s, NOW + 1024 * DAY);
	is_int(srs_reverse(s, addr, back, why), SRS_REWRITTEN,
	    "timestamps wrap after 1024 days (as the scheme says)");
	srs_set_clock(s, NOW);
	free(addr);

	/* Secrets replaced: the old still verifies, the new signs. */
	old = srs_new("fwd.test", "secret-one", why);
	b = srs_new("fwd.test", "secret-two\nsecret-one\n", why);
	srs_set_clock(old, NOW);
	srs_set_clock(b, NOW);
	srs_forward(old, "bob@example.test", out, why);
	addr = xstrdup(buf_str(out));
	is_int(srs_reverse(b, addr, back, why), SRS_REWRITTEN,
	    "an address made with the old secret reverses with the new list");
	srs_forward(b, "bob@example.test", out, why);
	ok(strcmp(buf_str(out), addr) != 0, "the new secret signs");
	is_int(srs_reverse(old, buf_str(out), back, why), SRS_ERROR,
	    "which the old secret alone does not verify");
	free(addr);
	srs_free(&old);

	/* SRS0 at another forwarder -> SRS1, and back. */
	srs_forward(s, "carla@example.test", out, why);
	addr = xstrdup(buf_str(out));		/* SRS0 ... @fwd.test */
	is_int(srs_forward(s, addr, out, why), SRS_UNCHANGED,
	    "our own SRS0 address is left alone");
	srs_free(&b);
	b = srs_new("b.test", "bsecret", why);
	srs_set_clock(b, NOW);
	is_int(srs_forward(b, addr, out, why), SRS_REWRITTEN,
	    "another domain's SRS0 is rewritten");
	ok(strncmp(buf_str(out), "SRS1=", 5) == 0 && strstr(buf_str(out),
	    "=fwd.test==") != NULL && strstr(buf_str(out), "@b.test") !=
	    NULL, "into SRS1=HASH=fwd.test==...@b.test");
	is_int(srs_reverse(b, buf_str(out), back, why), SRS_REWRITTEN,
	    "the SRS1 address reverses");
	is_str(buf_str(back), addr, "to the first forwarder's SRS0 address");
	is_int(srs_reverse(s, buf_str(back), back, why), SRS_REWRITTEN,
	    "which the first forwarder reverses");
	is_str(buf_str(back), "carla@example.test", "to the sender");
	bad = xstrdup(buf_str(out));
	is_int(srs_forward(s, bad, out, why), SRS_REWRITTEN,
	    "an SRS1 of another domain forwarded again");
	ok(strncmp(buf_str(out), "SRS1=", 5) == 0 && strstr(buf_str(out),
	    "=fwd.test==") != NULL && strstr(buf_str(out), "@fwd.test") !=
	    NULL, "stays SRS1 and keeps the first hop");
	is_int(srs_reverse(s, buf_str(out), back, why), SRS_REWRITTEN,
	    "and reverses to the first hop's SRS0");
	is_str(buf_str(back), addr, "the same SRS0 address");
	free(bad);
	free(addr);
	srs_free(&b);

	/* Left alone. */
	srs_set_ours(s, ours, NULL);
	is_int(srs_forward(s, "", out, why), SRS_UNCHANGED, "<> is not "
	    "rewritten");
	is_int(srs_forward(s, "ana@MIRED.test", out, why), SRS_UNCHANGED,
	    "a sender of our domains is not rewritten");
	is_int(srs_forward(s, "ana@FWD.test", out, why), SRS_UNCHANGED,
	    "nor one of the SRS domain");
	is_int(srs_forward(s, "postmaster", out, why), SRS_UNCHANGED,
	    "nor an address without a domain");
	is_int(srs_reverse(s, "ana@fwd.test", back, why), SRS_UNCHANGED,
	    "a plain address of ours is not an SRS address");
	is_int(srs_reverse(s, "SRS0=abcdef=TT=a.test=b@other.test", back,
	    why), SRS_UNCHANGED, "an SRS address of another domain is not "
	    "ours to reverse");
	ok(srs_is_srs("srs0+x") && srs_is_srs("SRS1-x") && !srs_is_srs(
	    "SRS2=x") && !srs_is_srs("SRS0") && !srs_is_srs("srs0x"),
	    "SRS0/SRS1 with = + or - are recognized, nothing else");

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		buf_reset(why);
		ok(srs_reverse(s, malformed[i].in, back, why) == SRS_ERROR &&
		    buf_len(why) > 0 && buf_len(back) == 0, malformed[i].name);
	}

	is_int(srs_forward(s, "ana@x=y.test", out, why), SRS_ERROR,
	    "a domain with \"=\" cannot be carried");
	is_int(srs_forward(s, "ana@localhost", out, why), SRS_ERROR,
	    "nor one without a dot (reverse would refuse it)");

	/* Long local parts are bounded. */
	is_int(srs_forward(s, longaddr(big, "a", 300, "@example.test"), out,
	    why), SRS_ERROR, "a sender over srs_address_length_limit is "
	    "refused");
	ok(strstr(buf_str(why), "too long") != NULL, "why says too long");
	is_int(srs_forward(s, longaddr(big, "", 230, "@example.test"), out,
	    why), SRS_ERROR, "a sender whose SRS form would pass the limit "
	    "is refused");
	ok(strstr(buf_str(why), "srs_address_length_limit") != NULL,
	    "why names the parameter");
	is_int(srs_reverse(s, longaddr(big, "SRS0=abcdef=TT=a.test=", 300,
	    "@fwd.test"), back, why), SRS_ERROR, "an SRS address over the "
	    "limit is refused");

	srs_free(&s);
	ok(s == NULL, "srs_free clears the pointer");
	buf_free(&out);
	buf_free(&back);
	buf_free(&why);
	buf_free(&big);
	return done_testing();
}
