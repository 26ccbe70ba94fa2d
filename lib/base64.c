/*
 * base64 - RFC 4648 base64 encoding and decoding, the alphabet and the
 * padding rule a parameter.
 *
 * SASL responses use the standard alphabet and the strict decoder: only
 * the 64 letters, then at most two '=' that must end the text; a last
 * quantum without its padding is accepted, as many clients send it so.
 * A single letter left over (6 bits) is malformed.  Bits that a short
 * last quantum does not use must be zero (RFC 4648 section 3.5).
 * Modified UTF-7 (lib/mutf7.c) uses the same strict decoder with ','
 * for '/' and no padding at all.  MIME bodies and encoded words are
 * decoded leniently: line breaks and other junk are skipped, and the
 * first '=' ends the text.
 *
 * Decoding is a lookup in a 256-byte table per alphabet, built here at
 * compile time; IMAP decodes MIME and mailbox names on its hot paths.
 */
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include "base64.h"
#include "buf.h"

/* The 62 letters both alphabets share, as value + 1. */
#define BASE64_VALUES \
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, \
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, \
	['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, \
	['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, \
	['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, \
	['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, \
	['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, \
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, \
	['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, \
	['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, \
	['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, \
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, \
	['9'] = 62

const struct base64_code base64_rfc4648 = {
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
	{ BASE64_VALUES, ['+'] = 63, ['/'] = 64 }
};

const struct base64_code base64_imap = {
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,",
	{ BASE64_VALUES, ['+'] = 63, [','] = 64 }
};

/* base64_encode_code - append the base64 of data to out */
void
base64_encode_code(struct buf *out, const void *data, size_t len,
    const struct base64_code *code, int flags)
{
	const char *l = code->letters;
	const unsigned char *p = data;
	char q[4];
	unsigned long v;
	size_t i, n;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 |
		    p[i + 2];
		q[0] = l[(v >> 18) & 63];
		q[1] = l[(v >> 12) & 63];
		q[2] = l[(v >> 6) & 63];
		q[3] = l[v & 63];
		buf_append(out, q, 4);
	}
	if (len - i == 0)
		return;
	v = (unsigned long)p[i] << 16;
	if (len - i == 2)
		v |= (unsigned long)p[i + 1] << 8;
	q[0] = l[(v >> 18) & 63];
	q[1] = l[(v >> 12) & 63];
	q[2] = len - i == 2 ? l[(v >> 6) & 63] : '=';
	q[3] = '=';
	n = flags & BASE64_NOPAD ? len - i + 1 : 4;
	buf_append(out, q, n);
}

/*
 * base64_pad - the '=' at p..end: may they end a quantum of n letters?
 * Never in lenient mode (the first '=' just ends the text there).
 */
static int
base64_pad(const char *p, const char *end, int n, int flags)
{
	if (flags & BASE64_LENIENT)
		return 0;
	if ((flags & BASE64_NOPAD) || end - p > 2 || n + (end - p) != 4)
		return -1;
	for (; p < end; p++)
		if (*p != '=')
			return -1;
	return 0;
}

/* base64_decode_some - decode from *in into out until end or out is full */
ssize_t
base64_decode_some(const char **in, const char *end, unsigned char *out,
    size_t room, const struct base64_code *code, int flags)
{
	const char *p = *in;
	unsigned long v = 0;
	size_t k = 0;
	int n = 0, d;

	for (; p < end; p++) {
		if ((d = code->value[(unsigned char)*p]) == 0) {
			if (*p == '=') {
				if (base64_pad(p, end, n, flags) < 0)
					return -1;
				p = end;
				break;
			}
			if (flags & BASE64_LENIENT)
				continue;
			return -1;
		}
		if (n == 0 && k + 3 > room) {
			*in = p;	/* full, between two quanta */
			return (ssize_t)k;
		}
		v = v << 6 | (unsigned long)(d - 1);
		if (++n == 4) {
			out[k++] = (v >> 16) & 255;
			out[k++] = (v >> 8) & 255;
			out[k++] = v & 255;
			v = 0;
			n = 0;
		}
	}
	*in = end;
	/* A short last quantum: 1 or 2 bytes, its spare bits zero. */
	if (n == 1 && !(flags & BASE64_LENIENT))
		return -1;
	if (n == 2) {
		if ((v & 0xf) && !(flags & BASE64_LENIENT))
			return -1;
		out[k++] = (v >> 4) & 255;
	} else if (n == 3) {
		if ((v & 0x3) && !(flags & BASE64_LENIENT))
			return -1;
		out[k++] = (v >> 10) & 255;
		out[k++] = (v >> 2) & 255;
	}
	return (ssize_t)k;
}

/* base64_decode_code - append what the base64 text in[0..len) stands for */
int
base64_decode_code(struct buf *out, const char *in, size_t len,
    const struct base64_code *code, int flags)
{
	unsigned char chunk[768];
	const char *end = in + len;
	ssize_t k;

	while (in < end) {
		if ((k = base64_decode_some(&in, end, chunk, sizeof(chunk),
		    code, flags)) < 0)
			return -1;
		buf_append(out, chunk, (size_t)k);
	}
	return 0;
}

/* base64_encode - append the standard base64 of data to out */
void
base64_encode(struct buf *out, const void *data, size_t len)
{
	base64_encode_code(out, data, len, &base64_rfc4648, 0);
}

/* base64_decode - strict standard base64 (SASL); -1 malformed, 0 ok */
int
base64_decode(struct buf *out, const char *in, size_t len)
{
	return base64_decode_code(out, in, len, &base64_rfc4648, 0);
}
