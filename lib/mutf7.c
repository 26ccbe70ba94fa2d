/*
 * mutf7 - modified UTF-7 mailbox names (RFC 3501 section 5.1.3).
 *
 * imapd keeps a folder's on-disk name in the form the client sends
 * (Maildir++ ".Name", as Dovecot and Courier do), so the decoder here is
 * what stands between a client's string and a directory name: it accepts
 * only canonical spellings (no base64 run that encodes printable ASCII or
 * that could have been joined to the run before it, zero padding bits,
 * well-formed surrogate pairs) and never produces NUL or a control
 * character from an encoded run.  The base64 of a run, UTF-16 big-endian,
 * is lib/base64.c's strict codec with IMAP's alphabet and no padding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "mutf7.h"
#include "util.h"

/* Bytes of UTF-16 a base64 run is decoded or encoded by (a multiple of 6). */
#define MUTF7_CHUNK	192

/* mutf7_put_utf8 - append one code point as UTF-8 */
static void
mutf7_put_utf8(struct buf *out, uint32_t c)
{
	unsigned char b[4];

	if (c < 0x80) {
		buf_putc(out, (int)c);
	} else if (c < 0x800) {
		b[0] = 0xc0 | (c >> 6);
		b[1] = 0x80 | (c & 0x3f);
		buf_append(out, b, 2);
	} else if (c < 0x10000) {
		b[0] = 0xe0 | (c >> 12);
		b[1] = 0x80 | ((c >> 6) & 0x3f);
		b[2] = 0x80 | (c & 0x3f);
		buf_append(out, b, 3);
	} else {
		b[0] = 0xf0 | (c >> 18);
		b[1] = 0x80 | ((c >> 12) & 0x3f);
		b[2] = 0x80 | ((c >> 6) & 0x3f);
		b[3] = 0x80 | (c & 0x3f);
		buf_append(out, b, 4);
	}
}

/*
 * mutf7_unit - one UTF-16 unit of a run: a character, or half of a
 * surrogate pair kept in *hi.  -1 when it is not canonical.
 */
static int
mutf7_unit(uint32_t u, uint32_t *hi, struct buf *out)
{
	if (*hi != 0) {
		if (u < 0xdc00 || u > 0xdfff)
			return -1;
		mutf7_put_utf8(out, 0x10000 + ((*hi - 0xd800) << 10) +
		    (u - 0xdc00));
		*hi = 0;
	} else if (u >= 0xd800 && u <= 0xdbff) {
		*hi = u;
	} else if (u >= 0xdc00 && u <= 0xdfff) {
		return -1;
	} else if (u >= 0x20 && u <= 0x7e) {
		return -1;	/* printable ASCII must be direct */
	} else if (u < 0x20 || u == 0x7f) {
		return -1;	/* no control characters in names */
	} else
		mutf7_put_utf8(out, u);
	return 0;
}

/*
 * mutf7_run - decode one base64 run (between '&' and '-', not empty) as
 * UTF-16 into UTF-8.  -1 when it is not canonical: the strict decoder
 * refuses padding and non-zero spare bits; an odd byte left over is half
 * a unit, an unpaired high surrogate half a character.
 */
static int
mutf7_run(const char *p, size_t len, struct buf *out)
{
	unsigned char b[MUTF7_CHUNK];
	const char *end = p + len;
	uint32_t hi = 0;
	ssize_t n, i;

	while (p < end) {
		if ((n = base64_decode_some(&p, end, b, sizeof(b),
		    &base64_imap, BASE64_NOPAD)) < 0 || n % 2 != 0)
			return -1;
		for (i = 0; i < n; i += 2)
			if (mutf7_unit((uint32_t)b[i] << 8 | b[i + 1], &hi,
			    out) < 0)
				return -1;
	}
	return hi != 0 ? -1 : 0;
}

/* mutf7_decode - modified UTF-7 to UTF-8; -1 if not canonical */
int
mutf7_decode(const char *in, struct buf *out)
{
	const char *p = in, *end;
	int after_run = 0;

	while (*p != '\0') {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c > 0x7e)
			return -1;
		if (c != '&') {
			buf_putc(out, c);
			p++;
			after_run = 0;
			continue;
		}
		if (p[1] == '-') {
			buf_putc(out, '&');
			p += 2;
			after_run = 0;
			continue;
		}
		/* Two adjacent runs should have been one. */
		if (after_run)
			return -1;
		if ((end = strchr(p + 1, '-')) == NULL)
			return -1;
		if (mutf7_run(p + 1, (size_t)(end - p - 1), out) < 0)
			return -1;
		p = end + 1;
		after_run = 1;
	}
	return 0;
}

/* utf8_valid - is this UTF-8 well formed? */
int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	while (len > 0) {
		if ((n = utf8_next(p, len, &c)) == 0)
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

/* mutf7_flush - encode the whole triples of UTF-16 bytes, keep the rest */
static size_t
mutf7_flush(struct buf *out, unsigned char *b, size_t n, int last)
{
	size_t whole = last ? n : n - n % 3;

	base64_encode_code(out, b, whole, &base64_imap, BASE64_NOPAD);
	memmove(b, b + whole, n - whole);
	return n - whole;
}

/* mutf7_encode - UTF-8 to modified UTF-7; -1 if not valid UTF-8 */
int
mutf7_encode(const char *in, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char b[MUTF7_CHUNK];
	size_t left = strlen(in), n, nb = 0;
	uint32_t c, units[2];
	int inrun = 0, k, nu;

	while (left > 0) {
		if ((n = utf8_next(p, left, &c)) == 0)
			return -1;
		p += n;
		left -= n;
		if (c >= 0x20 && c <= 0x7e) {
			if (inrun) {
				nb = mutf7_flush(out, b, nb, 1);
				buf_putc(out, '-');
				inrun = 0;
			}
			if (c == '&')
				buf_puts(out, "&-");
			else
				buf_putc(out, (int)c);
			continue;
		}
		if (!inrun) {
			buf_putc(out, '&');
			inrun = 1;
		}
		if (c >= 0x10000) {
			units[0] = 0xd800 + ((c - 0x10000) >> 10);
			units[1] = 0xdc00 + ((c - 0x10000) & 0x3ff);
			nu = 2;
		} else {
			units[0] = c;
			nu = 1;
		}
		if (nb + 4 > sizeof(b))
			nb = mutf7_flush(out, b, nb, 0);
		for (k = 0; k < nu; k++) {
			b[nb++] = units[k] >> 8;
			b[nb++] = units[k] & 0xff;
		}
	}
	if (inrun) {
		(void)mutf7_flush(out, b, nb, 1);
		buf_putc(out, '-');
	}
	return 0;
}

/* mutf7_valid - the canonical spelling of a name? */
int
mutf7_valid(const char *name)
{
	struct buf *u = buf_new(64, 0), *back = buf_new(64, 0);
	int good;

	good = mutf7_decode(name, u) == 0 &&
	    memchr(buf_str(u), '\0', buf_len(u)) == NULL &&
	    mutf7_encode(buf_str(u), back) == 0 &&
	    strcmp(buf_str(back), name) == 0;
	buf_free(&u);
	buf_free(&back);
	return good;
}
