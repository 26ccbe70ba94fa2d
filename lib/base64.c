/*
 * base64 - RFC 4648 base64 encoding and strict decoding.
 *
 * The decoder reads client input (SASL responses), so it is strict: only
 * the 64 letters, then at most two '=' that must end the text; a last
 * quantum without its padding is accepted, as many clients send it so.
 * A single letter left over (6 bits) is malformed.  Bits that a short
 * last quantum does not use must be zero (RFC 4648 section 3.5).
 */
#include <stddef.h>
#include <string.h>

#include "base64.h"
#include "buf.h"

static const char base64_letters[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64_encode - append the base64 of data to out */
void
base64_encode(struct buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	char q[4];
	unsigned long v;
	size_t i;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 |
		    p[i + 2];
		q[0] = base64_letters[(v >> 18) & 63];
		q[1] = base64_letters[(v >> 12) & 63];
		q[2] = base64_letters[(v >> 6) & 63];
		q[3] = base64_letters[v & 63];
		buf_append(out, q, 4);
	}
	if (len - i == 1) {
		v = (unsigned long)p[i] << 16;
		q[0] = base64_letters[(v >> 18) & 63];
		q[1] = base64_letters[(v >> 12) & 63];
		q[2] = q[3] = '=';
		buf_append(out, q, 4);
	} else if (len - i == 2) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
		q[0] = base64_letters[(v >> 18) & 63];
		q[1] = base64_letters[(v >> 12) & 63];
		q[2] = base64_letters[(v >> 6) & 63];
		q[3] = '=';
		buf_append(out, q, 4);
	}
}

/* base64_value - a letter's 6 bits, or -1 */
static int
base64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* base64_decode - append what the base64 text in[0..len) stands for */
int
base64_decode(struct buf *out, const char *in, size_t len)
{
	unsigned long v = 0;
	size_t i, n = 0, pad = 0, letters;
	unsigned char b[3];
	int d;

	/* The padding: at most two '=', only at the very end. */
	while (len > 0 && in[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if (pad > 0 && (len + pad) % 4 != 0)
		return -1;
	for (i = 0; i < len; i++) {
		if ((d = base64_value((unsigned char)in[i])) < 0)
			return -1;
		v = v << 6 | (unsigned long)d;
		if (++n == 4) {
			b[0] = (v >> 16) & 255;
			b[1] = (v >> 8) & 255;
			b[2] = v & 255;
			buf_append(out, b, 3);
			v = 0;
			n = 0;
		}
	}
	letters = n;
	if (letters == 1)
		return -1;
	if (letters == 2) {
		if (v & 0xf)
			return -1;
		b[0] = (v >> 4) & 255;
		buf_append(out, b, 1);
	} else if (letters == 3) {
		if (v & 0x3)
			return -1;
		b[0] = (v >> 10) & 255;
		b[1] = (v >> 2) & 255;
		buf_append(out, b, 2);
	}
	return 0;
}
