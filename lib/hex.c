/*
 * hex - hexadecimal digits, one table for every reader.
 *
 * Lower case is written; either case is read.
 */
#include <stddef.h>

#include "hex.h"

/* Each byte's value + 1 as a hex digit; 0: not one. */
static const unsigned char hex_values[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['A'] = 11,
	['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16
};

/* hex_value - the value of a hex digit, or -1 */
int
hex_value(int c)
{
	return (int)hex_values[(unsigned char)c] - 1;
}

/* hex_encode - data as lower-case hex and a NUL (out holds 2 * len + 1) */
void
hex_encode(char *out, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

/* hex_decode - 2 * len hex digits into len bytes; -1 on a non-digit */
int
hex_decode(void *out, const char *in, size_t len)
{
	unsigned char *o = out;
	int hi, lo;
	size_t i;

	for (i = 0; i < len; i++) {
		if ((hi = hex_value(in[2 * i])) < 0 ||
		    (lo = hex_value(in[2 * i + 1])) < 0)
			return -1;
		o[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
