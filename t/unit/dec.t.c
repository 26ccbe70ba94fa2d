/*
 * dec.t - the bounded decimal parsers: bounds at and past the limit,
 * empty input, signs, white space and other non-digits, leading zeros.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "dec.h"
#include "../tap.h"

static const struct {
	const char		*text;
	unsigned long long	 max;
	int			 good;
	unsigned long long	 want;
} vec[] = {
	{ "0", 10, 1, 0 },
	{ "7", 7, 1, 7 },
	{ "8", 7, 0, 0 },
	{ "0", 0, 1, 0 },
	{ "1", 0, 0, 0 },
	{ "10", 9, 0, 0 },
	{ "4294967295", 0xffffffffULL, 1, 0xffffffffULL },
	{ "4294967296", 0xffffffffULL, 0, 0 },
	{ "9223372036854775807", LLONG_MAX, 1, LLONG_MAX },
	{ "9223372036854775808", LLONG_MAX, 0, 0 },
	{ "18446744073709551615", ULLONG_MAX, 1, ULLONG_MAX },
	{ "18446744073709551616", ULLONG_MAX, 0, 0 },
	{ "99999999999999999999999", ULLONG_MAX, 0, 0 },
	{ "0000000000000000000000000042", 42, 1, 42 },
	{ "", ULLONG_MAX, 0, 0 },
	{ "-1", ULLONG_MAX, 0, 0 },
	{ "+1", ULLONG_MAX, 0, 0 },
	{ " 1", ULLONG_MAX, 0, 0 },
	{ "1 ", ULLONG_MAX, 0, 0 },
	{ "12a", ULLONG_MAX, 0, 0 },
	{ "0x10", ULLONG_MAX, 0, 0 },
};

int
main(void)
{
	unsigned long long v;
	const char *p, *s;
	char name[128];
	long long n;
	size_t i;
	int r;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		v = 12345;
		r = dec_parse(vec[i].text, strlen(vec[i].text), vec[i].max, &v);
		snprintf(name, sizeof(name), "dec_parse \"%s\" max %llu: %s",
		    vec[i].text, vec[i].max, vec[i].good ? "ok" : "-1");
		if (is_int(r, vec[i].good ? 0 : -1, name))
			is_int((long long)v, vec[i].good ?
			    (long long)vec[i].want : 12345, "  its value");
	}
	ok(dec_parse("12\0" "3", 4, 1000, &v) < 0, "a NUL inside: -1");
	ok(dec_parse("123", 2, 1000, &v) == 0 && v == 12,
	    "only len bytes are read");

	s = "123,4";
	p = dec_scan(s, NULL, 1000, &v);
	ok(p == s + 3 && v == 123, "dec_scan stops at the first non-digit");
	p = dec_scan(s, s + 2, 1000, &v);
	ok(p == s + 2 && v == 12, "dec_scan stops at end");
	ok(dec_scan(",1", NULL, 1000, &v) == NULL, "dec_scan: no digit");
	ok(dec_scan(s, NULL, 122, &v) == NULL, "dec_scan: over max");

	p = s = "77 x";
	n = dec_take(&p, s + 4, 77);
	ok(n == 77 && p == s + 2, "dec_take advances past the digits");
	n = dec_take(&p, s + 4, 77);
	ok(n == -1 && p == s + 2, "dec_take: no digit, not advanced");
	p = s;
	ok(dec_take(&p, s + 4, 76) == -1 && p == s,
	    "dec_take: over max, not advanced");
	ok(dec_take(&p, s, 100) == -1, "dec_take: nothing before end");
	ok(dec_take(&p, s + 4, -1) == -1, "dec_take: a negative max");
	p = "9223372036854775807";
	ok(dec_take(&p, p + 19, LLONG_MAX) == LLONG_MAX,
	    "dec_take: LLONG_MAX");
	return done_testing();
}
