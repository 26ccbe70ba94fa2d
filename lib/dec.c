/*
 * dec - bounded decimal parsers: every reader of a count, a size, a uid or
 * a time in text that a client or a disk could spoil.
 *
 * The bound is checked before each digit is added, so no value wraps;
 * leading zeros are read as such.  *out is only written on success.
 */
#include <stddef.h>

#include "dec.h"

/* dec_scan - the digits at s (to end, or a NUL): past them, or NULL */
const char *
dec_scan(const char *s, const char *end, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p;
	unsigned d;

	for (p = s; (end == NULL || p < end) && *p >= '0' && *p <= '9'; p++) {
		d = (unsigned)(*p - '0');
		if (d > max || v > (max - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	if (p == s)
		return NULL;
	*out = v;
	return p;
}

/* dec_take - the number at *pp (to end), advancing; -1 if none or > max */
long long
dec_take(const char **pp, const char *end, long long max)
{
	unsigned long long v;
	const char *p;

	if (max < 0 || (p = dec_scan(*pp, end, (unsigned long long)max,
	    &v)) == NULL)
		return -1;
	*pp = p;
	return (long long)v;
}

/* dec_parse - all of s[0..len) as a number <= max; -1 if not */
int
dec_parse(const char *s, size_t len, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v;

	if (dec_scan(s, s + len, max, &v) != s + len)
		return -1;
	*out = v;
	return 0;
}
