/* fuzz_sasl - libFuzzer target: base64 and SASL PLAIN (base64.c, authc.c) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authc.h"
#include "base64.h"
#include "buf.h"
#include "msg.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf *raw = buf_new(64, 0), *again = buf_new(64, 0);
	struct buf *z = buf_new(64, 0), *u = buf_new(64, 0);
	struct buf *p = buf_new(64, 0);
	char *text = malloc(len + 1);

	msg_set_flags(0);
	memcpy(text, data, len);
	text[len] = '\0';
	/* What decodes must encode back to the same bytes, once padded. */
	if (base64_decode(raw, text, len) == 0) {
		base64_encode(again, buf_str(raw), buf_len(raw));
		buf_reset(u);
		if (base64_decode(u, buf_str(again), buf_len(again)) != 0 ||
		    buf_len(u) != buf_len(raw) ||
		    memcmp(buf_str(u), buf_str(raw), buf_len(raw)) != 0)
			abort();
	}
	/* Anything the encoder makes, the decoder takes back. */
	buf_reset(again);
	base64_encode(again, data, len);
	buf_reset(raw);
	if (base64_decode(raw, buf_str(again), buf_len(again)) != 0 ||
	    buf_len(raw) != len || memcmp(buf_str(raw), data, len) != 0)
		abort();
	if (authc_sasl_plain_decode(text, z, u, p) == 0 &&
	    (buf_len(u) == 0 || buf_len(p) == 0 ||
	    buf_len(u) >= AUTHC_FIELD_MAX || buf_len(p) >= AUTHC_FIELD_MAX ||
	    memchr(buf_str(u), '\0', buf_len(u)) != NULL))
		abort();
	free(text);
	buf_free(&raw);
	buf_free(&again);
	buf_free(&z);
	buf_free(&u);
	buf_free(&p);
	return 0;
}
