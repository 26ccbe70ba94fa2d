/*
 * mime_decode.t.c - what the IMAP side reads and writes of a message
 * besides its structure: IMAP strings (mime_imap_string), header fields
 * (iteration, lookup, unfolding, header size), RFC 2047 encoded words,
 * quoted-printable, base64 and charsets in bodies, case-insensitive
 * search.  The parser and the structures are in mime.t.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "util.h"
#include "../tap.h"

/* test_strings - mime_imap_string and mime_imap_nstring */
static void
test_strings(void)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;
		const char	*name;
	} cases[] = {
		{ "abc", 3, "\"abc\"", "an atom-like string is quoted" },
		{ "", 0, "\"\"", "the empty string" },
		{ "say \"hi\" \\o/", 12, "\"say \\\"hi\\\" \\\\o/\"",
		    "quotes and backslashes are escaped" },
		{ "tab\there", 8, "\"tab\there\"", "a tab may be quoted" },
		{ "two\r\nlines", 10, "{10}\r\ntwo\r\nlines",
		    "CR LF needs a literal" },
		{ "Se\361or", 5, "{5}\r\nSe\361or", "8-bit needs a literal" },
		{ "a\0b", 3, "{3}\r\na?b", "NUL cannot be sent: '?'" },
	};
	struct buf *out = buf_new(64, 0);
	char *big;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(out);
		mime_imap_string(out, cases[i].in, cases[i].len);
		ok(buf_len(out) == strlen(cases[i].out) &&
		    memcmp(buf_str(out), cases[i].out, buf_len(out)) == 0,
		    cases[i].name);
	}
	buf_reset(out);
	mime_imap_string(out, NULL, 0);
	is_str(buf_str(out), "NIL", "NULL is NIL");
	buf_reset(out);
	mime_imap_nstring(out, NULL);
	mime_imap_nstring(out, "x");
	is_str(buf_str(out), "NIL\"x\"", "mime_imap_nstring");
	big = xmalloc(2000);
	memset(big, 'q', 2000);
	buf_reset(out);
	mime_imap_string(out, big, 2000);
	ok(strncmp(buf_str(out), "{2000}\r\nqqq", 11) == 0 &&
	    buf_len(out) == 2008, "a long string goes as a literal");
	free(big);
	buf_free(&out);
}

/* test_headers - field iteration, lookup, unfolding, header size */
static void
test_headers(void)
{
	static const char hdr[] =
	    "Subject: first\r\n line\r\n"
	    " \tstray\r\n"		/* continues Subject */
	    "not a field\r\n"
	    "X-Empty:\r\n"
	    "subject : second\r\n"
	    "\r\n"
	    "Body: not a header\r\n";
	struct buf *out = buf_new(64, 0);
	const char *n, *v;
	size_t pos = 0, nlen, vlen;
	int count = 0;

	while (mime_header_next(hdr, sizeof(hdr) - 1, &pos, &n, &nlen, &v,
	    &vlen))
		count++;
	is_int(count, 3, "mime_header_next: three fields, junk skipped, "
	    "stops at the blank line");
	ok(mime_header_get(hdr, sizeof(hdr) - 1, "SUBJECT", out) == 1,
	    "mime_header_get: any case");
	is_str(buf_str(out), "first line \tstray", "the first one, unfolded");
	buf_reset(out);
	ok(mime_header_get(hdr, sizeof(hdr) - 1, "x-empty", out) == 1 &&
	    buf_len(out) == 0, "an empty field is found, empty");
	ok(mime_header_get(hdr, sizeof(hdr) - 1, "Body", out) == 0,
	    "the body is not searched");
	is_int(mime_header_size(hdr, sizeof(hdr) - 1), sizeof(hdr) - 1 - 20,
	    "mime_header_size counts the blank line");
	is_int(mime_header_size("A: b\r\n", 6), 6, "no blank line: all header");
	is_int(mime_header_size("\r\nbody", 6), 2, "only a blank line");
	buf_reset(out);
	mime_unfold(" a\r\n\tb \r\n c \r\n", 14, out);
	is_str(buf_str(out), "a\tb  c", "mime_unfold");
	buf_free(&out);
}

/* test_words - RFC 2047 encoded words */
static void
test_words(void)
{
	static const struct tap_text cases[] = {
		{ "plain text", "plain text", "no encoded word" },
		{ "=?UTF-8?Q?Jos=C3=A9_P=C3=A9rez?=", "Jos\303\251 P\303\251rez",
		    "Q, UTF-8, underscore is a space" },
		{ "=?UTF-8?B?wr9RdcOpIHRhbD8=?=", "\302\277Qu\303\251 tal?",
		    "B, UTF-8" },
		{ "=?iso-8859-1?q?Mar=EDa?= Garc=?ISO-8859-1?Q?=EDa?=",
		    "Mar\303\255a Garc\303\255a", "ISO-8859-1, word inside a word" },
		{ "=?utf-8?q?a?= =?utf-8?q?b?=\r\n =?utf-8?q?c?=", "abc",
		    "white space between encoded words goes" },
		{ "=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c",
		    "white space next to text stays" },
		{ "=?UTF-8?B?w6E=?==?UTF-8?B?w6k=?=", "\303\241\303\251",
		    "adjacent words" },
		{ "=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=", "\342\202\254",
		    "a character split across two words" },
		{ "=?windows-1252?Q?=80_50?=", "\342\202\254 50",
		    "windows-1252 euro sign" },
		{ "=?ISO-8859-15?Q?=A4?=", "\342\202\254", "ISO-8859-15 euro sign" },
		{ "=?utf-8*es?q?ni=C3=B1o?=", "ni\303\261o",
		    "RFC 2231 language suffix" },
		{ "=?KOI8-R?B?8NLJ18XU?=", "\320\237\321\200\320\270\320\262\320\265"
		    "\321\202", "KOI8-R through iconv" },
		{ "=?x-nonesuch?q?abc?= d", "=?x-nonesuch?q?abc?= d",
		    "unknown charset: kept as written" },
		{ "=?utf-8?x?abc?=", "=?utf-8?x?abc?=", "unknown encoding: kept" },
		{ "=?utf-8?q?no end", "=?utf-8?q?no end", "unterminated: kept" },
		{ "=?utf-8?q?a b?=", "=?utf-8?q?a b?=", "space inside: not a word" },
		{ "caf\351 =?utf-8?q?x?=", "caf\351 x", "raw 8-bit text is copied" },
	};
	struct buf *out = buf_new(64, 0);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(out);
		mime_decode_words(cases[i].in, strlen(cases[i].in), out);
		is_str(buf_str(out), cases[i].want, cases[i].name);
	}
	buf_free(&out);
}

/* test_decode - quoted-printable, base64, charsets, bodies */
static void
test_decode(void)
{
	static const char qp[] = "a=3Db=\r\nc= \r\nd=4=ZZ=e9=\n";
	static const char b64[] = "aGVs\r\nbG8g d29y*bGQ=\r\nignored";
	struct buf *out = buf_new(64, 0);

	mime_decode_qp(qp, strlen(qp), out);
	is_str(buf_str(out), "a=bcd=4=ZZ\351", "quoted-printable: escapes, "
	    "soft breaks, junk kept");
	buf_reset(out);
	mime_decode_base64(b64, strlen(b64), out);
	is_str(buf_str(out), "hello world", "base64: line breaks and junk "
	    "skipped, '=' ends");
	buf_reset(out);
	is_int(mime_charset_to_utf8("ISO-8859-1", "\361\341", 2, out), 0,
	    "ISO-8859-1 is known");
	is_str(buf_str(out), "\303\261\303\241", "ISO-8859-1 to UTF-8");
	buf_reset(out);
	is_int(mime_charset_to_utf8("x-unknown", "\361", 1, out), -1,
	    "an unknown charset is -1");
	is_str(buf_str(out), "\361", "and its text is kept raw");
	buf_reset(out);
	mime_charset_to_utf8("windows-1252", "\223q\224 \201", 5, out);
	is_str(buf_str(out), "\342\200\234q\342\200\235 \357\277\275",
	    "windows-1252 quotes; unassigned is U+FFFD");

	buf_free(&out);
}

/* test_search - case-insensitive substring search */
static void
test_search(void)
{
	static const char hay[] = "Hola, \303\201ngel: \302\277qu\303\251 tal "
	    "en Espa\303\261a? END";

	ok(mime_search(hay, sizeof(hay) - 1, "hola", 4), "ASCII, other case");
	ok(mime_search(hay, sizeof(hay) - 1, "ESPA\303\221A", 7),
	    "Latin-1 capitals fold (\303\221 matches \303\261)");
	ok(mime_search(hay, sizeof(hay) - 1, "\303\241ngel", 6),
	    "and the other way round (\303\241 matches \303\201)");
	ok(mime_search(hay, sizeof(hay) - 1, "QU\303\211 TAL", 8),
	    "\303\211 matches \303\251");
	ok(mime_search(hay, sizeof(hay) - 1, "end", 3), "at the very end");
	ok(!mime_search(hay, sizeof(hay) - 1, "espana", 6),
	    "no accent folding beyond case");
	ok(!mime_search(hay, sizeof(hay) - 1, "ENDS", 4), "past the end");
	ok(mime_search(hay, sizeof(hay) - 1, "", 0), "an empty needle matches");
	ok(!mime_search("ab", 2, "abc", 3), "a needle longer than the text");
	ok(!mime_search("\303\227", 2, "\303\267", 2),
	    "the multiplication sign is no capital");
	ok(mime_search("aaaaaaAB", 8, "ab", 2),
	    "many lowercase candidates, the match in capitals");
	ok(mime_search("xAxaxaBabAbx", 12, "abx", 3) &&
	    !mime_search("xAxaxaBabAbX", 12, "abY", 3),
	    "candidates of both cases interleaved");
}

int
main(void)
{
	test_strings();
	test_headers();
	test_words();
	test_decode();
	test_search();
	return done_testing();
}
