/*
 * dec - bounded decimal numbers: digits only, no sign, no white space, no
 * wrap-around.
 */
#ifndef CARTERO_DEC_H
#define CARTERO_DEC_H

#include <stddef.h>

/*
 * The number the digits at s start with, up to end (NULL: up to a NUL),
 * into *out; the first byte after the digits, or NULL when there is no
 * digit or the number is over max.
 */
const char *dec_scan(const char *, const char *, unsigned long long,
	    unsigned long long *);
/*
 * The number at *pp (up to end), no greater than max (at most LLONG_MAX),
 * *pp advanced past its digits; -1 when none or over max.
 */
long long dec_take(const char **, const char *, long long);
/*
 * All of s[0..len) as a number no greater than max, into *out; -1 when
 * empty, over max, or not all digits.  0 ok.
 */
int	dec_parse(const char *, size_t, unsigned long long,
	    unsigned long long *);

#endif
