/*
 * hex.t - hex digits: every byte's value, encoding, decoding both cases,
 * a round trip of every byte, and the refusal of non-digits.
 */
#include <stdio.h>
#include <string.h>

#include "hex.h"
#include "../tap.h"

static const char *const bad[] = {
	"0g", "g0", " 1", "1 ", "-1", "+1", "0x", "\x80" "0",
};

int
main(void)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char all[256], back[256], two[2];
	char text[2 * 256 + 1], name[64];
	const char *d;
	int c, want, good = 1;
	size_t i;

	for (c = 0; c < 256; c++) {
		d = c != 0 ? strchr(digits, c >= 'A' && c <= 'F' ?
		    c - 'A' + 'a' : c) : NULL;
		want = d != NULL ? (int)(d - digits) : -1;
		if (hex_value(c) != want) {
			printf("# hex_value(%d) = %d, want %d\n", c,
			    hex_value(c), want);
			good = 0;
		}
	}
	ok(good, "hex_value of every byte");
	is_int(hex_value(-1), -1, "hex_value(EOF) is -1");

	hex_encode(text, "\x00\x01\xab\xff", 4);
	is_str(text, "0001abff", "encode: lower case, leading zeros");
	hex_encode(text, "", 0);
	is_str(text, "", "encode nothing: an empty string");

	ok(hex_decode(two, "aBfF", 2) == 0 && two[0] == 0xab &&
	    two[1] == 0xff, "decode either case");
	ok(hex_decode(two, "", 0) == 0, "decode nothing");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "decode refuses bytes %02x %02x",
		    (unsigned char)bad[i][0], (unsigned char)bad[i][1]);
		ok(hex_decode(two, bad[i], 1) < 0, name);
	}

	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	hex_encode(text, all, sizeof(all));
	is_int((long long)strlen(text), 512, "256 bytes: 512 digits");
	ok(hex_decode(back, text, sizeof(back)) == 0 &&
	    memcmp(all, back, sizeof(all)) == 0, "every byte round trips");
	return done_testing();
}
