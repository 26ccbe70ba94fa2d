/*
 * fuzz_arc - libFuzzer target: ARC (lib/arc*.c) and SRS (lib/srs.c).
 * The bytes as a message whose ARC chain is validated (the key lookup
 * answering one Ed25519 key, or a temporary failure for selector "temp")
 * in pieces of a size the first byte chooses; as a message we seal when
 * its chain is none and then validate: a set we add must pass.  Then the
 * bytes as an address that SRS reverses and forwards: a plain address we
 * rewrite must reverse to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arc.h"
#include "buf.h"
#include "dkim.h"
#include "msg.h"
#include "params.h"
#include "srs.h"
#include "util.h"

#define FUZZ_NOW	1796644800

/* fuzz_lookup - our key's record for every name, or a temporary error */
static int
fuzz_lookup(const char *d, const char *s, struct buf *txt, struct buf *why,
    void *arg)
{
	(void)d;
	if (strcmp(s, "temp") == 0)
		return buf_set(why, "SERVFAIL"), DKIM_KEY_TEMP;
	buf_set(txt, arg);
	return DKIM_KEY_OK;
}

/* fuzz_check - validate msg in pieces of step; the chain's status */
static int
fuzz_check(const char *msg, size_t len, size_t step, const char *rec,
    struct arc_result *r)
{
	struct arc_verify *v = arc_verify_new(FUZZ_NOW);
	size_t	 at;

	for (at = 0; at < len; at += step)
		arc_verify_update(v, msg + at, at + step < len ? step :
		    len - at);
	arc_verify_final(v, fuzz_lookup, (void *)rec, r);
	arc_verify_free(&v);
	return r->cv;
}

/* fuzz_seal - seal msg when its chain is none; the sealed chain passes */
static void
fuzz_seal(const char *msg, size_t len, size_t step, struct dkim_privkey *key,
    const char *rec, const struct arc_result *chain)
{
	struct buf	*why = buf_new(256, 0), *out = buf_new(4096, 0);
	struct arc_seal	*s = arc_seal_new("mired.test", "own", key, FUZZ_NOW,
			    why);
	struct arc_result r;

	arc_seal_update(s, msg, len);
	if (arc_seal_final(s, chain, "mx.test", "spf=pass", out, why) == 0) {
		buf_append(out, msg, len);
		if (fuzz_check(out->data, buf_len(out), step, rec, &r) !=
		    ARC_PASS)
			abort();
		arc_result_free(&r);
	}
	arc_seal_free(&s);
	buf_free(&why);
	buf_free(&out);
}

/* fuzz_srs - the bytes as an address, reversed and forwarded */
static void
fuzz_srs(const uint8_t *data, size_t len)
{
	struct buf	*why = buf_new(256, 0), *out = buf_new(256, 0);
	struct buf	*back = buf_new(256, 0);
	struct srs	*s = srs_new("fwd.test", "fuzz-secret", why);
	char		*addr = xstrndup((const char *)data, len);

	srs_set_clock(s, FUZZ_NOW);
	srs_reverse(s, addr, out, why);
	if (srs_forward(s, addr, out, why) == SRS_REWRITTEN &&
	    !srs_is_srs(addr) && strchr(addr, '\n') == NULL &&
	    (srs_reverse(s, buf_str(out), back, why) != SRS_REWRITTEN ||
	    strcasecmp(buf_str(back), addr) != 0))
		abort();
	free(addr);
	srs_free(&s);
	buf_free(&why);
	buf_free(&out);
	buf_free(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct dkim_privkey *key;
	static struct buf *rec;
	struct buf	*why = buf_new(256, 0), *res = buf_new(256, 0);
	struct arc_result r;
	size_t		 step;

	msg_set_flags(0);
	var_dkim_header_size_limit = 8192;
	var_dkim_rsa_min_bits = 1024;
	var_dkim_rsa_max_bits = 4096;
	var_arc_instance_limit = 50;
	var_arc_sign_headers = "from, to, subject, dkim-signature";
	var_srs_hash_length = 6;
	var_srs_max_age = 21 * 86400;
	var_srs_address_length_limit = 256;
	if (key == NULL) {
		key = dkim_privkey_generate(DKIM_ALG_ED25519_SHA256, 0, why);
		rec = buf_new(256, 0);
		if (key == NULL || dkim_privkey_record(key, rec, why) < 0)
			abort();
	}
	step = len > 0 ? (size_t)data[0] % 17 + 1 : 1;
	fuzz_check((const char *)data, len, step, buf_str(rec), &r);
	arc_result_format(&r, "192.0.2.1", res);
	if (r.cv == ARC_NONE && len > 0 && data[0] != ' ' && data[0] != '\t')
		fuzz_seal((const char *)data, len, step, key, buf_str(rec), &r);
	arc_result_free(&r);
	fuzz_srs(data, len);
	buf_free(&why);
	buf_free(&res);
	return 0;
}
