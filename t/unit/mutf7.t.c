/*
 * mutf7.t - modified UTF-7 mailbox names (RFC 3501 5.1.3): encoding,
 * decoding, and the refusal of every non-canonical spelling.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "mutf7.h"
#include "../tap.h"

static const struct {
	const char	*utf8;
	const char	*mutf7;
} good[] = {
	{ "INBOX", "INBOX" },
	{ "Entw\xc3\xbc" "rfe", "Entw&APw-rfe" },
	{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-" },
	{ "\xf0\x9f\x98\x80 x", "&2D3eAA- x" },
	{ "a&b", "a&-b" },
	{ "A\xc3\xb1o.Ni\xc3\xb1o", "A&APE-o.Ni&APE-o" },
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
};

static const char *const bad[] = {
	"&AGE-",		/* 'a' must be written directly */
	"&Jjo",			/* unterminated */
	"&U,BTFw-&ZeVnLIqe-",	/* two runs that should be one */
	"&-&",			/* a lone '&' at the end */
	"a\tb",			/* a control character */
	"&AAA-",		/* U+0000 */
	"&2D0-",		/* half a surrogate pair */
	"&APx-",		/* non-zero padding bits */
	"&AP-",			/* a run that ends mid-character */
	"&A*E-",		/* not base64 */
	"\xc3\xb1",		/* 8-bit */
};

int
main(void)
{
	struct buf *b = buf_new(64, 0);
	size_t i;
	char name[128];

	plan((int)(sizeof(good) / sizeof(good[0])) * 3 +
	    (int)(sizeof(bad) / sizeof(bad[0])) + 2);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		buf_reset(b);
		ok(mutf7_encode(good[i].utf8, b) == 0, "encode");
		snprintf(name, sizeof(name), "encode to %s", good[i].mutf7);
		is_str(buf_str(b), good[i].mutf7, name);
		buf_reset(b);
		snprintf(name, sizeof(name), "decode %s back", good[i].mutf7);
		ok(mutf7_decode(good[i].mutf7, b) == 0 &&
		    strcmp(buf_str(b), good[i].utf8) == 0, name);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "not canonical: %s", bad[i]);
		ok(!mutf7_valid(bad[i]), name);
	}
	buf_reset(b);
	ok(mutf7_encode("\xc3(", b) < 0, "invalid UTF-8 is not encoded");
	ok(utf8_valid("\xe6\x97\xa5", 3) && !utf8_valid("\xc0\xaf", 2),
	    "utf8_valid refuses overlong forms");
	buf_free(&b);
	return done_testing();
}
