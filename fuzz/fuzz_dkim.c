/*
 * fuzz_dkim - libFuzzer target: DKIM (lib/dkim*.c).  The bytes as a tag
 * list and as a key record; as a message whose signatures are verified
 * (the key lookup answering RFC 8463's Ed25519 key, or the bytes
 * themselves) in pieces of a size the first byte chooses; and as a
 * message that we sign and then verify: a signature we make must pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dkim.h"
#include "dkim_int.h"
#include "msg.h"
#include "params.h"
#include "util.h"

static const char *fuzz_record;
static size_t fuzz_record_len;

/* fuzz_lookup - the key: RFC 8463's, the fuzzer's bytes, our own */
static int
fuzz_lookup(const char *d, const char *s, struct buf *txt, struct buf *why,
    void *arg)
{
	if (arg != NULL) {
		buf_set(txt, arg);
		return DKIM_KEY_OK;
	}
	if (strcmp(s, "raw") == 0) {
		buf_append(txt, fuzz_record, fuzz_record_len);
		return DKIM_KEY_OK;
	}
	if (strcmp(s, "temp") == 0)
		return DKIM_KEY_TEMP;
	buf_set(txt, "v=DKIM1; k=ed25519; "
	    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
	return DKIM_KEY_OK;
}

/* fuzz_verify - verify msg in pieces of step; the results' count */
static size_t
fuzz_verify(const char *msg, size_t len, size_t step, void *arg,
    struct dkim_result **r)
{
	struct dkim_verify *v = dkim_verify_new(1600000000);
	size_t	 at, n;

	for (at = 0; at < len; at += step)
		dkim_verify_update(v, msg + at, at + step < len ? step :
		    len - at);
	n = dkim_verify_final(v, fuzz_lookup, arg, r);
	dkim_verify_free(&v);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct dkim_privkey *key;
	static struct buf *rec;
	struct buf	*why = buf_new(256, 0), *out = buf_new(1024, 0);
	struct buf	*msg;
	struct dkim_tags tags;
	struct dkim_pubkey pk;
	struct dkim_result *r;
	struct dkim_sign *s;
	size_t		 n, i, step;
	int		 revoked;

	msg_set_flags(0);
	var_dkim_header_size_limit = 8192;
	var_dkim_verify_signature_limit = 3;
	var_dkim_rsa_min_bits = 1024;
	var_dkim_rsa_max_bits = 4096;
	var_dkim_signing_keys = "";
	if (key == NULL) {
		key = dkim_privkey_generate(DKIM_ALG_ED25519_SHA256, 0, why);
		rec = buf_new(256, 0);
		if (key == NULL || dkim_privkey_record(key, rec, why) < 0)
			abort();
	}
	fuzz_record = (const char *)data;
	fuzz_record_len = len;
	dkim_tags_parse((const char *)data, len, &tags, why);
	if (dkim_key_parse((const char *)data, len, &pk, &revoked, why) == 0)
		dkim_pubkey_free(&pk);
	step = len > 0 ? (size_t)data[0] % 17 + 1 : 1;
	n = fuzz_verify((const char *)data, len, step, NULL, &r);
	for (i = 0; i < n; i++) {
		buf_reset(out);
		dkim_result_format(&r[i], out);
	}
	dkim_results_free(&r, n);
	/* Sign (unless the first line would continue our header), verify. */
	if (len > 0 && data[0] != ' ' && data[0] != '\t' &&
	    (s = dkim_sign_new("mired.test", "own", key, NULL, 1600000000, 0,
	    why)) != NULL) {
		dkim_sign_update(s, (const char *)data, len);
		buf_reset(out);
		if (dkim_sign_final(s, out, why) == 0) {
			msg = buf_new(len + buf_len(out), 0);
			buf_append(msg, buf_str(out), buf_len(out));
			buf_append(msg, data, len);
			n = fuzz_verify(msg->data, buf_len(msg), step,
			    (void *)buf_str(rec), &r);
			if (n == 0 || r[0].status != DKIM_PASS)
				abort();
			dkim_results_free(&r, n);
			buf_free(&msg);
		}
		dkim_sign_free(&s);
	}
	buf_free(&why);
	buf_free(&out);
	return 0;
}
