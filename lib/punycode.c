/*
 * punycode - the encoder of RFC 3492 section 6.3, and IDNA A-labels.
 *
 * Distrusts its input: bad UTF-8 is an error, a label of more than 63
 * code points is refused before the quadratic loop, and delta is checked
 * against overflow as 6.4 says.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "punycode.h"
#include "util.h"

#define PC_BASE		36
#define PC_TMIN		1
#define PC_TMAX		26
#define PC_SKEW		38
#define PC_DAMP		700
#define PC_BIAS		72
#define PC_N		128
#define PC_LABEL_MAX	63

/* punycode_adapt - the bias after a code point (6.1) */
static uint32_t
punycode_adapt(uint32_t delta, uint32_t npoints, int first)
{
	uint32_t k = 0;

	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / npoints;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

/* punycode_digit - a digit's letter: a-z for 0-25, 0-9 for 26-35 */
static int
punycode_digit(uint32_t d)
{
	return d < 26 ? 'a' + (int)d : '0' + (int)(d - 26);
}

/*
 * punycode_encode - UTF-8 s[0..len) as Punycode appended to out (no
 * "xn--"); 0, or -1 for bad UTF-8, too long a label or an overflow
 */
int
punycode_encode(const char *s, size_t len, struct buf *out)
{
	uint32_t cp[PC_LABEL_MAX], n = PC_N, delta = 0, bias = PC_BIAS, m, q,
	    t, k;
	size_t i, ncp = 0, h, b = 0, step;

	for (i = 0; i < len; i += step) {
		if (ncp == PC_LABEL_MAX || (step = utf8_next(
		    (const unsigned char *)s + i, len - i, &cp[ncp])) == 0)
			return -1;
		ncp++;
	}
	for (i = 0; i < ncp; i++)
		if (cp[i] < 0x80) {
			buf_putc(out, (int)cp[i]);
			b++;
		}
	if (b > 0)
		buf_putc(out, '-');
	for (h = b; h < ncp; n++, delta++) {
		for (m = UINT32_MAX, i = 0; i < ncp; i++)
			if (cp[i] >= n && cp[i] < m)
				m = cp[i];
		if ((m - n) > (UINT32_MAX - delta) / (h + 1))
			return -1;
		delta += (m - n) * (uint32_t)(h + 1);
		n = m;
		for (i = 0; i < ncp; i++) {
			if (cp[i] < n && ++delta == 0)
				return -1;
			if (cp[i] != n)
				continue;
			for (q = delta, k = PC_BASE;; k += PC_BASE) {
				t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ?
				    PC_TMAX : k - bias;
				if (q < t)
					break;
				buf_putc(out, punycode_digit(t + (q - t) %
				    (PC_BASE - t)));
				q = (q - t) / (PC_BASE - t);
			}
			buf_putc(out, punycode_digit(q));
			bias = punycode_adapt(delta, (uint32_t)h + 1, h == b);
			delta = 0;
			h++;
		}
	}
	return 0;
}

/*
 * punycode_alabel - a label as DNS carries it, appended to out: as it is
 * when ASCII, else "xn--" and its Punycode
 */
int
punycode_alabel(const char *s, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == len)
		return buf_append(out, s, len), 0;
	buf_puts(out, "xn--");
	return punycode_encode(s, len, out);
}
