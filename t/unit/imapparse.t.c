/*
 * imapparse.t - the IMAP command reader (lib/imapparse.c) on one end of
 * a socket pair: tags (".") and case, quoted strings, literals with and
 * without the continuation, a literal over the limit refused before it
 * is sent, a NUL in a literal, unbalanced parentheses, quotes and
 * brackets, FETCH's bracketed atoms, the byte budget and the token cap,
 * APPEND's message outside the budget; taking the tokens one by one,
 * numbers, system flag names; dates (lib/imapparse_date.c).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "imapparse.h"
#include "lineio.h"
#include "msg.h"
#include "uidlist.h"
#include "util.h"
#include "../tap.h"

#define LINE_MAX_T	65536	/* the lineio cap, as imapd's */

static int peer;		/* the test's end */
static struct imapparse_reader rd;
static struct imapparse_cmd cmd;
static struct buf *why;

/* feed - the client sends text (then hangs up); read one command */
static int
feed(const char *text, size_t len, long long max)
{
	int fd, r;

	if (peer >= 0)
		close(peer);
	fd = tap_feed(text, len, &peer);
	lineio_free(&rd.io);
	rd.io = lineio_new(fd, LINE_MAX_T, 5);
	rd.literal_max = max;
	r = imapparse_read(&rd, &cmd, why);
	(void)lineio_flush(rd.io);
	close(fd);
	return r;
}

/* sent - what the server wrote back (continuations) */
static const char *
sent(void)
{
	static char buf[256];
	ssize_t n = read(peer, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

#define FEED(s, max)	feed((s), sizeof(s) - 1, (max))

/* okd - ok() that prints a diagnostic (printf) when it fails */
static int
okd(int good, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (!ok(good, name)) {
		printf("#   ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	return good;
}

/*
 * budget_tests - a command's byte budget (issue 9, item 1): lines and
 * literals of one command together, and the token cap before login.
 */
static void
budget_tests(void)
{
	struct buf *b = buf_new(4096, 0);
	int i, r;

	rd.cmd_max = 1000;
	rd.args_max = 100;
	/* The attack: a literal+ of 0, then atoms on lines ending so. */
	buf_set(b, "a LOGIN {0+}\r\n");
	for (i = 0; i < 40; i++)
		buf_puts(b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
		    "{0+}\r\n");
	r = feed(buf_str(b), buf_len(b), 100);
	okd(r == IMAPPARSE_READ_BYE && strstr(buf_str(why), "[TOOBIG]") !=
	    NULL, "lines of {0+} past the budget: BYE [TOOBIG]",
	    "got %d: %s", r, buf_str(why));
	okd(cmd.nargs <= 2 * 21, "... having read no line past the budget",
	    "nargs %d", cmd.nargs);
	buf_set(b, "a LOGIN {900}\r\n");
	r = feed(buf_str(b), buf_len(b), 1000);
	okd(r == IMAPPARSE_READ_EOF, "a literal within the budget is asked for",
	    "got %d: %s", r, buf_str(why));
	is_str(sent(), "+ Ready for literal data\r\n", "... with '+'");
	buf_set(b, "a LOGIN {990}\r\n");
	r = feed(buf_str(b), buf_len(b), 1000);
	okd(r == IMAPPARSE_READ_BAD && strstr(buf_str(why), "[TOOBIG]") !=
	    NULL, "a literal past the budget: BAD [TOOBIG]",
	    "got %d: %s", r, buf_str(why));
	is_str(sent(), "", "... and no '+': the client does not send it");
	rd.args_max = 10;
	buf_set(b, "a SEARCH");
	for (i = 0; i < 11; i++)
		buf_puts(b, " 1");
	buf_puts(b, "\r\n");
	r = feed(buf_str(b), buf_len(b), 100);
	okd(r == IMAPPARSE_READ_BAD && strstr(buf_str(why), "Too many") !=
	    NULL, "tokens past the cap: BAD", "got %d: %s", r,
	    buf_str(why));
	rd.cmd_max = 0;
	rd.args_max = 0;
	r = feed(buf_str(b), buf_len(b), 100);
	is_int(r, IMAPPARSE_READ_OK, "... without the cap, the same is read");
	buf_free(&b);
}

/*
 * append_tests - an APPENDed message counts against literal_max only when
 * the program says so (the mailbox side); any other literal, and APPEND's
 * before login, against the command's budget too.
 */
static void
append_tests(void)
{
	struct buf *b = buf_new(1024, 0);
	int r;

	rd.cmd_max = 100;
	buf_set(b, "a APPEND INBOX {500+}\r\n");
	while (buf_len(b) < 23 + 500)
		buf_putc(b, 'x');
	buf_puts(b, "\r\n");
	rd.append = 1;
	r = feed(buf_str(b), buf_len(b), 1000);
	okd(r == IMAPPARSE_READ_OK && cmd.nargs == 2 && cmd.args[1].len ==
	    500, "append: a message past the budget is taken",
	    "got %d: %s", r, buf_str(why));
	rd.append = 0;
	r = feed(buf_str(b), buf_len(b), 1000);
	okd(r == IMAPPARSE_READ_BYE && strstr(buf_str(why), "Command too "
	    "long") != NULL, "without append: the same is over the budget",
	    "got %d: %s", r, buf_str(why));
	rd.append = 1;
	buf_set(b, "a LOGIN {500+}\r\n");
	while (buf_len(b) < 16 + 500)
		buf_putc(b, 'x');
	buf_puts(b, " b\r\n");
	r = feed(buf_str(b), buf_len(b), 1000);
	okd(r == IMAPPARSE_READ_BYE, "append: another command's literal "
	    "still counts", "got %d: %s", r, buf_str(why));
	rd.append = 0;
	rd.cmd_max = 0;
	buf_free(&b);
}

/* arg_tests - taking the tokens of a command one by one */
static void
arg_tests(void)
{
	struct imapparse_arg *a;

	ok(FEED("t1 STATUS box (MESSAGES \"x y\") {2}\r\nab tail\r\n",
	    100) == IMAPPARSE_READ_OK && cmd.nargs == 7,
	    "a command of atoms, a list, a string and a literal");
	is_str(imapparse_atom(&cmd), "box", "an atom");
	ok(imapparse_atom(&cmd) == NULL, "'(' is not an atom");
	a = imapparse_arg_peek(&cmd);
	ok(imapparse_arg_is(a, "messages") && imapparse_arg_peek(&cmd) == a,
	    "peek leaves the token; arg_is ignores case");
	ok(imapparse_arg(&cmd) == a, "... which arg then takes");
	ok(imapparse_atom(&cmd) == NULL, "a quoted string is not an atom");
	ok(imapparse_arg_rparen(&cmd) && !imapparse_arg_lparen(&cmd),
	    "')' taken, no '(' next");
	a = imapparse_arg_peek(&cmd);
	ok(!imapparse_arg_is(a, "ab") && a->literal, "a literal is not an "
	    "atom to arg_is");
	is_str(imapparse_astring(&cmd), "ab", "... but an astring");
	ok(!imapparse_arg_end(&cmd), "a token is left");
	is_str(imapparse_astring(&cmd), "tail", "an atom as an astring");
	ok(imapparse_arg_end(&cmd) && imapparse_arg(&cmd) == NULL &&
	    imapparse_arg_peek(&cmd) == NULL && imapparse_atom(&cmd) == NULL &&
	    imapparse_astring(&cmd) == NULL && !imapparse_arg_lparen(&cmd),
	    "the end: nothing more to take");
	ok(!imapparse_arg_is(NULL, "x"), "arg_is of no token");
}

/* number_flag_tests - numbers, and the names of the system flags */
static void
number_flag_tests(void)
{
	struct buf *b = buf_new(64, 0);
	uint32_t n32;
	uint64_t n64;

	ok(imapparse_number("4294967295", &n32) == 0 && n32 == 4294967295U,
	    "the largest 32-bit number");
	ok(imapparse_number("4294967296", &n32) < 0 &&
	    imapparse_number("", &n32) < 0 && imapparse_number("1a", &n32) <
	    0 && imapparse_number("-1", &n32) < 0 &&
	    imapparse_number(NULL, &n32) < 0, "not 32-bit numbers");
	ok(imapparse_number64("9223372036854775807", &n64) == 0 &&
	    n64 == 9223372036854775807ULL, "the largest 63-bit number");
	ok(imapparse_number64("9223372036854775808", &n64) < 0 &&
	    imapparse_number64(" 1", &n64) < 0, "not 63-bit numbers");
	ok(imapparse_system_flag("\\seen") == FLAG_SEEN &&
	    imapparse_system_flag("\\DELETED") == FLAG_DELETED &&
	    imapparse_system_flag("$forwarded") == FLAG_FORWARDED,
	    "system flags in any case");
	ok(imapparse_system_flag("\\Recent") == -1 &&
	    imapparse_system_flag("\\Other") == -2 &&
	    imapparse_system_flag("Junk") == 0, "\\Recent, another \\name, a "
	    "keyword");
	imapparse_system_flags(b, 0, FLAG_ALL);
	is_str(buf_str(b), "\\Seen \\Answered \\Flagged \\Deleted \\Draft "
	    "$Forwarded", "every system flag, in the order shown");
	buf_set(b, "FLAGS (");
	imapparse_system_flags(b, buf_len(b), FLAG_DRAFT | FLAG_SEEN);
	is_str(buf_str(b), "FLAGS (\\Seen \\Draft", "after a start: no "
	    "leading blank");
	buf_set(b, "kw");
	imapparse_system_flags(b, 0, FLAG_ANSWERED);
	is_str(buf_str(b), "kw \\Answered", "after names: a blank");
	buf_free(&b);
}

/* date_tests - SEARCH dates, APPEND date-times, Date: headers */
static void
date_tests(void)
{
	struct buf *b;
	time_t t;
	int y, m, d;

	ok(imapparse_date_parse("1-Feb-1994", &y, &m, &d) == 0 && y == 1994 &&
	    m == 2 && d == 1, "a SEARCH date");
	ok(imapparse_date_parse("31-Foo-1994", &y, &m, &d) < 0 &&
	    imapparse_date_parse("1-Feb-94", &y, &m, &d) < 0,
	    "bad SEARCH dates");
	ok(imapparse_date_parse("0-Feb-1994", &y, &m, &d) < 0 &&
	    imapparse_date_parse("32-Feb-1994", &y, &m, &d) < 0 &&
	    imapparse_date_parse("1-Feb-1994 ", &y, &m, &d) < 0 &&
	    imapparse_date_parse(NULL, &y, &m, &d) < 0, "days out of range, "
	    "trailing text, none");
	ok(imapparse_date_time("17-Jul-1996 02:44:25 -0700", &t) == 0 &&
	    t == 837596665, "an APPEND date-time with its zone");
	ok(imapparse_date_time(" 7-Jul-1996 02:44:25 +0000", &t) == 0,
	    "... with a blank before a one-digit day");
	ok(imapparse_date_time("17-Jul-1996 02:44 -0700", &t) < 0,
	    "... a bad one");
	ok(imapparse_date_time("17-Jul-1969 02:44:25 -0700", &t) < 0 &&
	    imapparse_date_time("17-Jul-1996 24:00:00 +0000", &t) < 0 &&
	    imapparse_date_time("17-Jul-1996 02:44:25 0700", &t) < 0,
	    "date-times before 1970, past 23h, without a zone sign");
	ok(imapparse_date_header("Tue, 1 Jul 2003 10:52:37 +0200", &y, &m,
	    &d) == 0 && y == 2003 && m == 7 && d == 1, "a Date: header");
	ok(imapparse_date_header("1 Jul 03 10:52 GMT", &y, &m, &d) == 0 &&
	    y == 2003, "a Date: header with a two-digit year");
	ok(imapparse_date_header("Jul 2003", &y, &m, &d) < 0 &&
	    imapparse_date_header("1 Jul 2003", &y, &m, &d) == 0 &&
	    y == 2003 && m == 7 && d == 1 &&
	    imapparse_date_header("1 Jul 103", &y, &m, &d) == 0 && y == 2003,
	    "Date: headers without a day, without a day name, a 3-digit year");
	setenv("TZ", "UTC", 1);
	tzset();
	b = buf_new(64, 0);
	imapparse_date_format(b, 837596665);
	is_str(buf_str(b), "\"17-Jul-1996 09:44:25 +0000\"",
	    "INTERNALDATE written in local time (UTC)");
	buf_free(&b);
}

int
main(void)
{
	msg_init("imapparse.t", MSG_STDERR);
	peer = -1;
	why = buf_new(256, 0);
	rd.secret = 1;

	ok(FEED(". login ana ana\r\n", 100) == IMAPPARSE_READ_OK &&
	    strcmp(cmd.tag, ".") == 0 && strcmp(cmd.name, "LOGIN") == 0 &&
	    cmd.nargs == 2, "the seed's tag \".\", a lower-case command");
	ok(FEED("a1 UID fetch 1:* (FLAGS)\n", 100) == IMAPPARSE_READ_OK &&
	    cmd.uid && strcmp(cmd.name, "FETCH") == 0 && cmd.nargs == 4,
	    "UID FETCH, bare LF");
	ok(FEED("a LOGIN \"a \\\"b\\\\\" x\r\n", 100) == IMAPPARSE_READ_OK &&
	    strcmp(cmd.args[0].s, "a \"b\\") == 0, "quoted string escapes");
	ok(FEED("a LOGIN {3}\r\nana {4}\r\npass\r\n", 100) ==
	    IMAPPARSE_READ_OK &&
	    strcmp(cmd.args[0].s, "ana") == 0 &&
	    strcmp(cmd.args[1].s, "pass") == 0 && cmd.args[1].literal,
	    "two synchronising literals");
	is_str(sent(), "+ Ready for literal data\r\n+ Ready for literal data"
	    "\r\n", "... each announced with '+'");
	ok(FEED("a LOGIN {3+}\r\nana {4+}\r\npass\r\n", 100) ==
	    IMAPPARSE_READ_OK && strcmp(cmd.args[1].s, "pass") == 0,
	    "LITERAL+");
	is_str(sent(), "", "... without '+'");
	ok(FEED("a APPEND INBOX {0}\r\n\r\n", 100) == IMAPPARSE_READ_OK &&
	    cmd.args[1].len == 0, "an empty literal");
	ok(FEED("a APPEND INBOX {101}\r\n", 100) == IMAPPARSE_READ_NO &&
	    strstr(buf_str(why), "[TOOBIG]") != NULL,
	    "a literal over the limit: NO [TOOBIG]");
	is_str(sent(), "", "... and no '+': the client does not send it");
	ok(FEED("a APPEND INBOX {101+}\r\n", 100) == IMAPPARSE_READ_BYE,
	    "a LITERAL+ over the limit: BYE");
	ok(FEED("a APPEND INBOX {4294967296}\r\n", 1LL << 40) ==
	    IMAPPARSE_READ_BAD, "a literal size over 32 bits: BAD");
	ok(FEED("a APPEND INBOX {5+}\r\nab\0cd\r\nb NOOP\r\n", 100) ==
	    IMAPPARSE_READ_BAD && strstr(buf_str(why), "NUL") != NULL,
	    "a NUL in a literal: BAD");
	ok(imapparse_read(&rd, &cmd, why) == IMAPPARSE_READ_OK &&
	    strcmp(cmd.tag, "b") == 0, "... and the next command is read");
	ok(FEED("a FETCH 1 (FLAGS\r\n", 100) == IMAPPARSE_READ_BAD &&
	    strstr(buf_str(why), "missing ')'") != NULL,
	    "unbalanced '(': BAD");
	ok(FEED("a FETCH 1 FLAGS)\r\n", 100) == IMAPPARSE_READ_BAD &&
	    strstr(buf_str(why), "unexpected ')'") != NULL,
	    "unbalanced ')': BAD");
	ok(FEED("a LIST \"\" \"*\r\n", 100) == IMAPPARSE_READ_BAD &&
	    strstr(buf_str(why), "quotes") != NULL,
	    "an unclosed quote: BAD");
	ok(FEED("a LOGIN \"a\\x\" b\r\n", 100) == IMAPPARSE_READ_BAD,
	    "a bad escape: BAD");
	ok(FEED("a FETCH 1 BODY[HEADER\r\n", 100) == IMAPPARSE_READ_BAD,
	    "an unclosed '[': BAD");
	ok(FEED("a FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT \"X-A\")]<0.10> "
	    "UID)\r\n", 100) == IMAPPARSE_READ_OK && cmd.nargs == 5 &&
	    strcmp(cmd.args[2].s, "BODY.PEEK[HEADER.FIELDS (SUBJECT \"X-A\")]"
	    "<0.10>") == 0, "a bracketed atom is one token");
	ok(FEED("a NOOP\x01\r\n", 100) == IMAPPARSE_READ_BAD,
	    "a control character: BAD");
	ok(FEED("+x NOOP\r\n", 100) == IMAPPARSE_READ_BAD && cmd.tag == NULL,
	    "an invalid tag: BAD, untagged");
	ok(FEED("\r\n", 100) == IMAPPARSE_READ_EMPTY,
	    "an empty line is ignored");
	ok(FEED("a\r\n", 100) == IMAPPARSE_READ_BAD, "a tag alone: BAD");
	{
		char *big = xmalloc(LINE_MAX_T + 100);

		memset(big, 'x', LINE_MAX_T + 98);
		memcpy(big + LINE_MAX_T + 98, "\r\n", 2);
		ok(feed(big, LINE_MAX_T + 100, 100) == IMAPPARSE_READ_BAD &&
		    strstr(buf_str(why), "too long") != NULL,
		    "an over-long line: BAD [TOOBIG]");
		free(big);
	}
	{
		char *deep = xmalloc(200);
		int i;

		memcpy(deep, "a SEARCH ", 9);
		for (i = 0; i < 40; i++)
			deep[9 + i] = '(';
		memcpy(deep + 49, "\r\n", 2);
		ok(feed(deep, 51, 100) == IMAPPARSE_READ_BAD &&
		    strstr(buf_str(why), "Too deeply nested") != NULL,
		    "parentheses nested too deep: BAD");
		free(deep);
	}
	budget_tests();
	ok(FEED("a NOOP", 100) == IMAPPARSE_READ_OK,
	    "a last line without CRLF");
	ok(FEED("", 100) == IMAPPARSE_READ_EOF, "end of input");

	append_tests();
	arg_tests();
	number_flag_tests();
	date_tests();

	imapparse_free(&cmd);
	lineio_free(&rd.io);
	buf_free(&why);
	return done_testing();
}
