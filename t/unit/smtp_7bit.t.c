/*
 * smtp_7bit.t.c - 8-bit messages for a server without 8BITMIME
 * (smtp/smtp_7bit.c): 7-bit messages untouched; 8-bit leaves made
 * quoted-printable, whose decoding gives the original bytes back, with
 * lines of at most 76 characters and only 7-bit bytes; boundaries, base64
 * parts and headers kept.
 */
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mime.h"
#include "msg.h"
#include "../../smtp/smtp_data.h"
#include "../tap.h"

/* all7 - only 7-bit bytes, and no line over 76 characters after the header? */
static int
all7(const struct buf *b)
{
	const char *p = buf_str(b), *body = strstr(p, "\n\n");
	size_t i, col = 0;

	for (i = 0; i < buf_len(b); i++) {
		if ((unsigned char)p[i] & 0x80)
			return 0;
		col = p[i] == '\n' ? 0 : col + 1;
		if (body != NULL && p + i > body && col > 76)
			return 0;
	}
	return 1;
}

/* body_of - the text after the first blank line of s */
static const char *
body_of(const char *s)
{
	const char *p = strstr(s, "\n\n");

	return p != NULL ? p + 2 : "";
}

/* test_untouched - 7-bit messages and 8-bit bodies that may not change */
static void
test_untouched(void)
{
	static const struct {
		const char	*msg, *name;
	} cases[] = {
		{ "Subject: hi\n\nplain ASCII\n",
		    "a 7-bit message goes as it is" },
		{ "MIME-Version: 1.0\nContent-Type: image/png\n"
		    "Content-Transfer-Encoding: base64\n\nAAAA\n",
		    "a base64 part goes as it is" },
		{ "Subject: caf\xc3\xa9\n\nplain\n",
		    "8 bits only in the header: nothing 8BITMIME can change" },
	};
	struct buf *out = buf_new(256, 0);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(smtp_7bit_convert(out, cases[i].msg,
		    strlen(cases[i].msg)), 0, cases[i].name);
	is_int((long long)buf_len(out), 0, "and nothing was written");
	buf_free(&out);
}

/* test_single - a single-part 8-bit message */
static void
test_single(void)
{
	struct buf *out = buf_new(256, 0), *dec = buf_new(256, 0);
	struct buf *in = buf_new(1024, 0);
	const char *body;

	buf_puts(in, "From: ana@mired.org\nSubject: x\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n"
	    "Se\xc3\xb1or = caf\xc3\xa9 \ntab\t\n.\n");
	while (buf_len(in) < 600)
		buf_puts(in, "a long line of \xc3\xa1 that goes on ");
	buf_puts(in, "\nend\n");
	is_int(smtp_7bit_convert(out, buf_str(in), buf_len(in)), 1,
	    "an 8-bit body is converted");
	ok(all7(out), "to 7-bit bytes, lines of 76 at most");
	ok(strstr(buf_str(out), "Content-Transfer-Encoding: quoted-printable"
	    "\n\n") != NULL, "its transfer encoding says quoted-printable");
	ok(strstr(buf_str(out), "8bit") == NULL, "the old one is gone");
	ok(strstr(buf_str(out), "MIME-Version: 1.0\n") != NULL,
	    "a MIME-Version is added where there was none");
	body = body_of(buf_str(out));
	ok(strncmp(body, "Se=C3=B1or =3D caf=C3=A9=20\ntab=09\n.\n", 34) == 0,
	    "'=', 8-bit bytes and blanks at line ends are encoded");
	mime_decode_qp(body, strlen(body), dec);
	is_str(buf_str(dec), body_of(buf_str(in)),
	    "decoding gives the original body back");
	buf_free(&in);
	buf_free(&out);
	buf_free(&dec);
}

/* test_multipart - only the 8-bit leaf changes */
static void
test_multipart(void)
{
	struct buf *out = buf_new(256, 0), *dec = buf_new(256, 0);
	const char *in = "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"XyZ\"\n\n"
	    "preamble\n--XyZ\nContent-Type: text/plain; charset=utf-8\n\n"
	    "ni\xc3\xb1o\n--XyZ\nContent-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n\nAAEC\n--XyZ\n"
	    "Content-Type: text/plain\n\nseven bits\n--XyZ--\nepilogue\n";
	const char *want = "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"XyZ\"\n\n"
	    "preamble\n--XyZ\nContent-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "ni=C3=B1o\n--XyZ\nContent-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n\nAAEC\n--XyZ\n"
	    "Content-Type: text/plain\n\nseven bits\n--XyZ--\nepilogue\n";

	is_int(smtp_7bit_convert(out, in, strlen(in)), 1,
	    "a multipart with one 8-bit part is converted");
	is_str(buf_str(out), want, "that part only: boundaries, preamble, "
	    "the base64 and 7-bit parts and the epilogue as they were");
	buf_reset(out);
	mime_decode_qp("a=\nb=C3=A9\n", 11, dec);
	is_str(buf_str(dec), "ab\xc3\xa9\n", "(the decoder joins soft breaks)");
	buf_free(&out);
	buf_free(&dec);
}

int
main(void)
{
	msg_set_flags(0);
	test_untouched();
	test_single();
	test_multipart();
	return done_testing();
}
