/*
 * smtp_reply.t - the smtp agent's reply parser: one-line and multi-line
 * replies, enhanced codes of the right class only, malformed lines, a
 * code that changes mid-reply, the bound on lines, and EHLO keywords
 * (SIZE with and without a number, AUTH mechanisms, case).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "../../smtp/smtp_reply.h"
#include "../tap.h"

/* feed - lines separated by '|': the last result */
static int
feed(struct smtp_reply *r, const char *lines)
{
	const char *p = lines, *bar;
	int res = SMTP_REPLY_BAD;

	smtp_reply_reset(r);
	for (;;) {
		bar = strchr(p, '|');
		res = smtp_reply_line(r, p, bar != NULL ? (size_t)(bar - p) :
		    strlen(p));
		if (bar == NULL || res != SMTP_REPLY_MORE)
			return bar == NULL ? res : res == SMTP_REPLY_DONE ?
			    -2 : res;
		p = bar + 1;
	}
}

static const struct {
	const char	*lines;
	int		 result;
	int		 code;
	const char	*dsn;
	const char	*text;
} vec[] = {
	{ "250 ok", SMTP_REPLY_DONE, 250, "", "ok" },
	{ "250 2.1.0 Sender ok", SMTP_REPLY_DONE, 250, "2.1.0", "Sender ok" },
	{ "550 5.1.1 <x@y>: no such user", SMTP_REPLY_DONE, 550, "5.1.1",
	  "<x@y>: no such user" },
	{ "250 5.1.1 wrong class", SMTP_REPLY_DONE, 250, "",
	  "5.1.1 wrong class" },
	{ "451 4.3.0123 long detail", SMTP_REPLY_DONE, 451, "",
	  "4.3.0123 long detail" },
	{ "250", SMTP_REPLY_DONE, 250, "", "" },
	{ "421-4.4.2 a|421 4.4.2 b", SMTP_REPLY_DONE, 421, "4.4.2",
	  "a\n4.4.2 b" },
	{ "250-first|250-second|250 third", SMTP_REPLY_DONE, 250, "",
	  "first\nsecond\nthird" },
	{ "250-first|550 second", SMTP_REPLY_BAD, 0, NULL, NULL },
	{ "25 short", SMTP_REPLY_BAD, 0, NULL, NULL },
	{ "", SMTP_REPLY_BAD, 0, NULL, NULL },
	{ "abc def", SMTP_REPLY_BAD, 0, NULL, NULL },
	{ "250xok", SMTP_REPLY_BAD, 0, NULL, NULL },
	{ "150 one hundred", SMTP_REPLY_BAD, 0, NULL, NULL },
	{ "650 six hundred", SMTP_REPLY_BAD, 0, NULL, NULL },
	{ "354 go ahead", SMTP_REPLY_DONE, 354, "", "go ahead" },
	{ "250-", SMTP_REPLY_MORE, 250, "", "" },
};

int
main(void)
{
	struct smtp_reply r;
	struct smtp_ext ext;
	struct buf *b = buf_new(64, 0);
	char name[160];
	size_t i;
	int res;

	smtp_reply_init(&r, 5, 256);
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		res = feed(&r, vec[i].lines);
		snprintf(name, sizeof(name), "\"%s\": result %d", vec[i].lines,
		    vec[i].result);
		if (!is_int(res, vec[i].result, name) || vec[i].dsn == NULL)
			continue;
		is_int(r.code, vec[i].code, "  its code");
		is_str(r.dsn, vec[i].dsn, "  its enhanced code");
		is_str(buf_str(r.text), vec[i].text, "  its text");
	}

	ok(feed(&r, "250-1|250-2|250-3|250-4|250 5") == SMTP_REPLY_DONE,
	    "five lines: at the limit");
	ok(feed(&r, "250-1|250-2|250-3|250-4|250-5|250 6") == SMTP_REPLY_BAD,
	    "six lines: over the limit of five");
	smtp_reply_free(&r);

	smtp_reply_init(&r, 100, 64);
	smtp_reply_reset(&r);
	for (i = 0; i < 20; i++)
		smtp_reply_line(&r, "250-0123456789", 14);
	ok(buf_len(r.text) <= 64, "the text never passes its cap");
	smtp_reply_free(&r);

	smtp_reply_init(&r, 100, 4096);
	ok(feed(&r, "250-mx.example Hello|250-pipelining|250-SIZE 10240000|"
	    "250-8BITMIME|250-AUTH LOGIN PLAIN CRAM-MD5|250-DSN|"
	    "250-STARTTLS|250-CHUNKING|250-BINARYMIME|250 SMTPUTF8") ==
	    SMTP_REPLY_DONE,
	    "an EHLO reply");
	smtp_reply_ehlo(&r, &ext);
	is_int(ext.flags, SMTP_EXT_PIPELINING | SMTP_EXT_SIZE |
	    SMTP_EXT_8BITMIME | SMTP_EXT_AUTH | SMTP_EXT_DSN |
	    SMTP_EXT_STARTTLS | SMTP_EXT_CHUNKING | SMTP_EXT_SMTPUTF8 |
	    SMTP_EXT_BINARYMIME,
	    "every keyword, any case");
	is_int(ext.size, 10240000, "SIZE's number");
	is_int(ext.auth, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN,
	    "AUTH: the mechanisms we speak");

	feed(&r, "250-mx Hello|250-SIZE|250 AUTH=LOGIN");
	smtp_reply_ehlo(&r, &ext);
	ok((ext.flags & SMTP_EXT_SIZE) && ext.size == 0,
	    "SIZE without a number: no limit known");
	is_int(ext.auth, SMTP_AUTH_LOGIN, "the old AUTH=LOGIN form");

	feed(&r, "250-mx Hello|250-SIZE 12x|250 SIZE99");
	smtp_reply_ehlo(&r, &ext);
	ok(ext.size == 0 && (ext.flags & SMTP_EXT_PIPELINING) == 0,
	    "SIZE 12x is no limit; SIZE99 is no keyword we know");

	feed(&r, "250 mx.example PIPELINING");
	smtp_reply_ehlo(&r, &ext);
	is_int(ext.flags, 0, "the greeting line holds no keyword");

	feed(&r, "550 5.7.1 go away");
	smtp_reply_str(&r, b);
	is_str(buf_str(b), "550 5.7.1 go away", "smtp_reply_str");
	buf_reset(b);
	feed(&r, "451-a\tb|451 c");
	smtp_reply_str(&r, b);
	is_str(buf_str(b), "451 a?b c", "smtp_reply_str: one line, printable");
	smtp_reply_free(&r);
	buf_free(&b);
	return done_testing();
}
