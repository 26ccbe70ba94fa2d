/*
 * imapd_parse.t.c - the IMAP command reader: tags (".") and case, quoted
 * strings, literals with and without the continuation, a literal over the
 * limit refused before it is sent, a NUL in a literal, unbalanced
 * parentheses, quotes and brackets, FETCH's bracketed atoms; sequence
 * sets and dates.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "util.h"
#include "../../imapd/imapd.h"
#include "../tap.h"

static int peer;		/* the test's end */
static struct imapd_state st;
static struct imapd_cmd cmd;

/* feed - the client sends text (then hangs up); read one command */
static int
feed(const char *text, size_t len, long long max)
{
	int fd, r;

	if (peer >= 0)
		close(peer);
	fd = tap_feed(text, len, &peer);
	lineio_free(&st.io);
	st.io = lineio_new(fd, IMAPD_LINE_MAX, 5);
	r = imapd_cmd_read(&st, &cmd, max, st.why);
	(void)lineio_flush(st.io);
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

	st.cmd_max = 1000;
	st.args_max = 100;
	/* The attack: a literal+ of 0, then atoms on lines ending so. */
	buf_set(b, "a LOGIN {0+}\r\n");
	for (i = 0; i < 40; i++)
		buf_puts(b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx {0+}\r\n");
	r = feed(buf_str(b), buf_len(b), 100);
	okd(r == IMAPD_READ_BYE && strstr(buf_str(st.why), "[TOOBIG]") !=
	    NULL, "lines of {0+} past the budget: BYE [TOOBIG]",
	    "got %d: %s", r, buf_str(st.why));
	okd(cmd.nargs <= 2 * 21, "... having read no line past the budget",
	    "nargs %d", cmd.nargs);
	buf_set(b, "a LOGIN {900}\r\n");
	r = feed(buf_str(b), buf_len(b), 1000);
	okd(r == IMAPD_READ_EOF, "a literal within the budget is asked for",
	    "got %d: %s", r, buf_str(st.why));
	is_str(sent(), "+ Ready for literal data\r\n", "... with '+'");
	buf_set(b, "a LOGIN {990}\r\n");
	r = feed(buf_str(b), buf_len(b), 1000);
	okd(r == IMAPD_READ_BAD && strstr(buf_str(st.why), "[TOOBIG]") !=
	    NULL, "a literal past the budget: BAD [TOOBIG]",
	    "got %d: %s", r, buf_str(st.why));
	is_str(sent(), "", "... and no '+': the client does not send it");
	st.args_max = 10;
	buf_set(b, "a SEARCH");
	for (i = 0; i < 11; i++)
		buf_puts(b, " 1");
	buf_puts(b, "\r\n");
	r = feed(buf_str(b), buf_len(b), 100);
	okd(r == IMAPD_READ_BAD && strstr(buf_str(st.why), "Too many") !=
	    NULL, "tokens past the cap: BAD", "got %d: %s", r,
	    buf_str(st.why));
	st.cmd_max = 0;
	st.args_max = 0;
	r = feed(buf_str(b), buf_len(b), 100);
	is_int(r, IMAPD_READ_OK, "... without the cap, the same is read");
	buf_free(&b);
}

/* merge_tests - a sequence set is sorted and merged (issue 9, item 10) */
static void
merge_tests(void)
{
	static const struct {
		const char *set;
		const char *merged;	/* the ranges without '*' */
		uint32_t star_lo, star_hi;
	} t[] = {
		{ "1:5,3:9,2", "1:9", 0, 0 },		/* overlapping */
		{ "1:3,4:6,8,7", "1:8", 0, 0 },		/* adjacent */
		{ "5:2,9", "2:5,9", 0, 0 },		/* reversed */
		{ "7,3:1,4,20:10,4294967295,4294967294:5", "1:4294967295",
		    0, 0 },				/* to the top */
		{ "1:*,1:*,*:1,1:*", "", 1, 1 },	/* '*' many times */
		{ "*,4:*,*:9,3", "3", 4, 9 },
		{ "*:*", "", 0, 0 },
	};
	struct imapd_set set;
	struct buf *b = buf_new(64, 0), *name = buf_new(64, 0);
	uint32_t lo, hi;
	size_t i;
	int k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(b);
		buf_setf(name, "set %s merged to \"%s\"", t[i].set,
		    t[i].merged);
		if (imapd_set_parse(t[i].set, &set) < 0) {
			ok(0, buf_str(name));
			continue;
		}
		for (k = 0; k < set.count; k++) {
			buf_appendf(b, "%s%u", k ? "," : "", set.r[k].lo);
			if (set.r[k].hi != set.r[k].lo)
				buf_appendf(b, ":%u", set.r[k].hi);
		}
		is_str(buf_str(b), t[i].merged, buf_str(name));
		okd(set.star == (strchr(t[i].set, '*') != NULL) &&
		    set.star_lo == t[i].star_lo && set.star_hi == t[i].star_hi,
		    "... and its '*' part", "star %d %u..%u", set.star,
		    set.star_lo, set.star_hi);
		imapd_set_free(&set);
	}
	(void)imapd_set_parse("*,4:*,*:9,3", &set);
	imapd_set_star(&set, 6, &lo, &hi);
	okd(lo == 4 && hi == 9, "4:* and *:9 with '*' = 6 name 4:9",
	    "got %u:%u", lo, hi);
	imapd_set_star(&set, 2, &lo, &hi);
	okd(lo == 2 && hi == 9 && imapd_set_has(&set, 3, 2) &&
	    !imapd_set_has(&set, 1, 2) && !imapd_set_has(&set, 10, 2),
	    "... with '*' = 2, 2:9", "got %u:%u", lo, hi);
	imapd_set_free(&set);
	(void)imapd_set_parse("2:4,8:10,20", &set);
	ok(!imapd_set_has(&set, 1, 9) && imapd_set_has(&set, 2, 9) &&
	    imapd_set_has(&set, 4, 9) && !imapd_set_has(&set, 5, 9) &&
	    imapd_set_has(&set, 9, 9) && !imapd_set_has(&set, 11, 9) &&
	    imapd_set_has(&set, 20, 9) && !imapd_set_has(&set, 21, 9),
	    "membership by binary search");
	imapd_set_free(&set);
	buf_free(&b);
	buf_free(&name);
}

int
main(void)
{
	struct imapd_set set;
	time_t t;
	int y, m, d;

	msg_init("imapd_parse.t", MSG_STDERR);
	peer = -1;
	st.why = buf_new(256, 0);

	ok(FEED(". login ana ana\r\n", 100) == IMAPD_READ_OK &&
	    strcmp(cmd.tag, ".") == 0 && strcmp(cmd.name, "LOGIN") == 0 &&
	    cmd.nargs == 2, "the seed's tag \".\", a lower-case command");
	ok(FEED("a1 UID fetch 1:* (FLAGS)\n", 100) == IMAPD_READ_OK &&
	    cmd.uid && strcmp(cmd.name, "FETCH") == 0 && cmd.nargs == 4,
	    "UID FETCH, bare LF");
	ok(FEED("a LOGIN \"a \\\"b\\\\\" x\r\n", 100) == IMAPD_READ_OK &&
	    strcmp(cmd.args[0].s, "a \"b\\") == 0, "quoted string escapes");
	ok(FEED("a LOGIN {3}\r\nana {4}\r\npass\r\n", 100) == IMAPD_READ_OK &&
	    strcmp(cmd.args[0].s, "ana") == 0 &&
	    strcmp(cmd.args[1].s, "pass") == 0 && cmd.args[1].literal,
	    "two synchronising literals");
	is_str(sent(), "+ Ready for literal data\r\n+ Ready for literal data"
	    "\r\n", "... each announced with '+'");
	ok(FEED("a LOGIN {3+}\r\nana {4+}\r\npass\r\n", 100) == IMAPD_READ_OK
	    && strcmp(cmd.args[1].s, "pass") == 0, "LITERAL+");
	is_str(sent(), "", "... without '+'");
	ok(FEED("a APPEND INBOX {0}\r\n\r\n", 100) == IMAPD_READ_OK &&
	    cmd.args[1].len == 0, "an empty literal");
	ok(FEED("a APPEND INBOX {101}\r\n", 100) == IMAPD_READ_NO &&
	    strstr(buf_str(st.why), "[TOOBIG]") != NULL,
	    "a literal over the limit: NO [TOOBIG]");
	is_str(sent(), "", "... and no '+': the client does not send it");
	ok(FEED("a APPEND INBOX {101+}\r\n", 100) == IMAPD_READ_BYE,
	    "a LITERAL+ over the limit: BYE");
	ok(FEED("a APPEND INBOX {4294967296}\r\n", 1LL << 40) ==
	    IMAPD_READ_BAD, "a literal size over 32 bits: BAD");
	ok(FEED("a APPEND INBOX {5+}\r\nab\0cd\r\nb NOOP\r\n", 100) ==
	    IMAPD_READ_BAD && strstr(buf_str(st.why), "NUL") != NULL,
	    "a NUL in a literal: BAD");
	ok(imapd_cmd_read(&st, &cmd, 100, st.why) == IMAPD_READ_OK &&
	    strcmp(cmd.tag, "b") == 0, "... and the next command is read");
	ok(FEED("a FETCH 1 (FLAGS\r\n", 100) == IMAPD_READ_BAD &&
	    strstr(buf_str(st.why), "missing ')'") != NULL,
	    "unbalanced '(': BAD");
	ok(FEED("a FETCH 1 FLAGS)\r\n", 100) == IMAPD_READ_BAD &&
	    strstr(buf_str(st.why), "unexpected ')'") != NULL,
	    "unbalanced ')': BAD");
	ok(FEED("a LIST \"\" \"*\r\n", 100) == IMAPD_READ_BAD &&
	    strstr(buf_str(st.why), "quotes") != NULL,
	    "an unclosed quote: BAD");
	ok(FEED("a LOGIN \"a\\x\" b\r\n", 100) == IMAPD_READ_BAD,
	    "a bad escape: BAD");
	ok(FEED("a FETCH 1 BODY[HEADER\r\n", 100) == IMAPD_READ_BAD,
	    "an unclosed '[': BAD");
	ok(FEED("a FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT \"X-A\")]<0.10> "
	    "UID)\r\n", 100) == IMAPD_READ_OK && cmd.nargs == 5 &&
	    strcmp(cmd.args[2].s, "BODY.PEEK[HEADER.FIELDS (SUBJECT \"X-A\")]"
	    "<0.10>") == 0, "a bracketed atom is one token");
	ok(FEED("a NOOP\x01\r\n", 100) == IMAPD_READ_BAD,
	    "a control character: BAD");
	ok(FEED("+x NOOP\r\n", 100) == IMAPD_READ_BAD && cmd.tag == NULL,
	    "an invalid tag: BAD, untagged");
	ok(FEED("\r\n", 100) == IMAPD_READ_EMPTY, "an empty line is ignored");
	ok(FEED("a\r\n", 100) == IMAPD_READ_BAD, "a tag alone: BAD");
	{
		char *big = xmalloc(IMAPD_LINE_MAX + 100);

		memset(big, 'x', IMAPD_LINE_MAX + 98);
		memcpy(big + IMAPD_LINE_MAX + 98, "\r\n", 2);
		ok(feed(big, IMAPD_LINE_MAX + 100, 100) == IMAPD_READ_BAD &&
		    strstr(buf_str(st.why), "too long") != NULL,
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
		ok(feed(deep, 51, 100) == IMAPD_READ_BAD &&
		    strstr(buf_str(st.why), "Too deeply nested") != NULL,
		    "parentheses nested too deep: BAD");
		free(deep);
	}
	budget_tests();
	ok(FEED("a NOOP", 100) == IMAPD_READ_OK, "a last line without CRLF");
	ok(FEED("", 100) == IMAPD_READ_EOF, "end of input");

	/* Sequence sets. */
	ok(imapd_set_parse("1:3,5,7:*", &set) == 0 && set.count == 2 &&
	    set.star && set.star_lo == 7, "a set with ranges and '*'");
	ok(imapd_set_has(&set, 2, 10) && imapd_set_has(&set, 5, 10) &&
	    !imapd_set_has(&set, 6, 10) && imapd_set_has(&set, 10, 10),
	    "... membership, '*' being the largest");
	imapd_set_free(&set);
	ok(imapd_set_parse("9:3", &set) == 0 && imapd_set_has(&set, 4, 10),
	    "a reversed range");
	imapd_set_free(&set);
	merge_tests();
	ok(imapd_set_parse("0", &set) < 0 && imapd_set_parse("1,", &set) < 0 &&
	    imapd_set_parse("1:x", &set) < 0 && imapd_set_parse("", &set) < 0 &&
	    imapd_set_parse("4294967296", &set) < 0, "invalid sets");
	{
		struct buf *b = buf_new(64, 0);
		uint32_t v[] = { 1, 2, 3, 5, 7, 8 };

		imapd_set_format(b, v, 6);
		is_str(buf_str(b), "1:3,5,7:8", "a set written compactly");
		buf_free(&b);
	}

	/* Dates. */
	ok(imapd_date_parse("1-Feb-1994", &y, &m, &d) == 0 && y == 1994 &&
	    m == 2 && d == 1, "a SEARCH date");
	ok(imapd_date_parse("31-Foo-1994", &y, &m, &d) < 0 &&
	    imapd_date_parse("1-Feb-94", &y, &m, &d) < 0, "bad SEARCH dates");
	ok(imapd_datetime_parse("17-Jul-1996 02:44:25 -0700", &t) == 0 &&
	    t == 837596665, "an APPEND date-time with its zone");
	ok(imapd_datetime_parse(" 7-Jul-1996 02:44:25 +0000", &t) == 0,
	    "... with a blank before a one-digit day");
	ok(imapd_datetime_parse("17-Jul-1996 02:44 -0700", &t) < 0,
	    "... a bad one");
	ok(imapd_rfc2822_date("Tue, 1 Jul 2003 10:52:37 +0200", &y, &m, &d) ==
	    0 && y == 2003 && m == 7 && d == 1, "a Date: header");
	ok(imapd_rfc2822_date("1 Jul 03 10:52 GMT", &y, &m, &d) == 0 &&
	    y == 2003, "a Date: header with a two-digit year");

	imapd_cmd_free(&cmd);
	lineio_free(&st.io);
	buf_free(&st.why);
	return done_testing();
}
