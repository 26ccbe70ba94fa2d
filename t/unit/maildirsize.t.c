/*
 * maildirsize.t.c - tests of lib/maildirsize.c: the parser on a table of
 * texts (limits, sums, bad lines, huge numbers, totals below zero), then
 * on a Maildir: recalculation, appended lines, the triggers that make a
 * recalculation due (no file, a bad line, past 5120 bytes, other limits,
 * over quota and stale) and a planted symlink, replaced, never followed.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "maildir.h"
#include "maildirsize.h"
#include "msg.h"
#include "util.h"
#include "../tap.h"

/* Each want: "limit_bytes limit_count bytes count bad". */
static const struct tap_text cases[] = {
	{ "1000S,10C\n", "1000 10 0 0 0", "limits only: nothing used" },
	{ "1000S,10C\n300 2\n-100 -1\n", "1000 10 200 1 0",
	    "changes are summed, negative ones too" },
	{ "10C,1000S\n5 1\n", "1000 10 5 1 0", "the limits in any order" },
	{ "1000S\n5 1\n", "1000 0 5 1 0", "no C: no count limit" },
	{ "20C\n5 1\n", "0 20 5 1 0", "no S: no size limit" },
	{ "0S,0C\n", "0 0 0 0 0", "zero limits: none" },
	{ "1000S,10C\n\t7   1 \n", "1000 10 7 1 0", "blanks around numbers" },
	{ "1000S,10C\n+7 +1\n", "1000 10 7 1 0", "a plus sign" },
	{ "1000S,10C\n100 1\n-500 -3\n", "1000 10 0 0 0",
	    "a total below zero counts as zero" },
	{ "1000S,10C\n100 1\nxyz\n50 1\n", "1000 10 150 2 1",
	    "a bad line: bad (a recalculation is due)" },
	{ "1000S,10C\n100\n", "1000 10 0 0 1", "a line with one number" },
	{ "1000S,10C\n100 1 5\n", "1000 10 0 0 1", "a line with three" },
	{ "1000S,10C\n1001\n", "1000 10 0 0 1", "no blank between them" },
	{ "1000S,10C\n100 1", "1000 10 0 0 1",
	    "a last line without its newline" },
	{ "1000X\n", "0 0 0 0 1", "an unknown limit letter" },
	{ "-5S\n", "0 0 0 0 1", "a negative limit" },
	{ "1000S;10C\n", "1000 0 0 0 1", "a bad separator" },
	{ "", "0 0 0 0 1", "an empty file" },
	{ "1000S,10C\n99999999999999999999 1\n", "1000 10 0 0 1",
	    "a number that overflows" },
	{ "1000S,10C\n9007199254740993 1\n", "1000 10 0 0 1",
	    "a number past 2^53" },
	{ "99999999999999999999S\n", "0 0 0 0 1", "a huge limit" },
	{ "1000S,10C\n9007199254740992 1\n9007199254740992 1\n",
	    "1000 10 18014398509481984 2 0", "large numbers still add up" },
	{ "1000S,10C\n- 1\n", "1000 10 0 0 1", "a lone sign" },
};

static char base[] = "/tmp/maildirsize.t.XXXXXX";

/* put - a message file of n bytes named with its size into dir */
static void
put(const char *dir, const char *name, const char *info, int n)
{
	char rel[256], data[4096];

	memset(data, 'x', sizeof(data));
	data[n] = '\0';
	snprintf(rel, sizeof(rel), "%s/%s,S=%d%s", dir, name, n, info);
	tap_put(base, rel, data);
}

/* text - the file's text */
static struct buf *
text(void)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/maildirsize", base);
	return tap_slurp(path);
}

int
main(void)
{
	struct buf *why = buf_new(128, 0), *b = buf_new(128, 0), *t;
	struct maildirsize ms;
	size_t i, n = sizeof(cases) / sizeof(cases[0]);
	struct timeval old[2];
	char path[1024];
	int k;

	plan((int)n + 28);
	msg_init("maildirsize.t", MSG_STDERR);
	for (i = 0; i < n; i++) {
		memset(&ms, 0, sizeof(ms));
		(void)maildirsize_parse(cases[i].in, strlen(cases[i].in), &ms);
		buf_reset(b);
		buf_appendf(b, "%lld %lld %lld %lld %d", ms.limit_bytes,
		    ms.limit_count, ms.bytes, ms.count, ms.bad);
		is_str(buf_str(b), cases[i].want, cases[i].name);
	}
	buf_reset(b);
	maildirsize_limits(b, 1073741824, 0);
	is_str(buf_str(b), "1073741824S,0C", "the limits line");
	buf_reset(b);
	maildirsize_limits(b, 1LL << 60, -5);
	is_str(buf_str(b), "9007199254740992S,0C",
	    "a limit past 2^53 is written as 2^53 (it reads back)");

	if (mkdtemp(base) == NULL || maildir_make(base, 1, why) < 0)
		return 1;
	is_int(maildirsize_read(base, &ms, why), 0, "no file: 0");
	is_int(maildirsize_add(base, 100, 1, why), 0,
	    "no file: a change is not written (nothing to keep)");
	is_int(maildirsize_get(base, 0, 0, 0, &ms, why), 0,
	    "no file, not asked to make one: 0 ...");
	ok(!tap_exists(base, "maildirsize"), "... and still none");

	put("new", "1.a", "", 100);
	put("cur", "2.b", ":2,S", 200);
	put(".Sent/cur", "3.c", ":2,S", 300);
	ok(maildirsize_get(base, 1000, 5, 1, &ms, why) == 0 &&
	    ms.recalculated, "no file: made by summing the Maildir");
	ok(ms.bytes == 600 && ms.count == 3 && ms.limit_bytes == 1000 &&
	    ms.limit_count == 5, "600 bytes in 3 messages, folders too");
	t = text();
	is_str(buf_str(t), "1000S,5C\n600 3\n", "written: limits, totals");
	buf_free(&t);

	is_int(maildirsize_add(base, 250, 1, why), 1, "a change appended");
	is_int(maildirsize_add(base, -100, -1, why), 1, "a removal appended");
	ok(maildirsize_get(base, 1000, 5, 1, &ms, why) == 0 &&
	    !ms.recalculated && ms.bytes == 750 && ms.count == 3,
	    "read back: 750 bytes, 3 messages, no recalculation");
	t = text();
	is_str(buf_str(t), "1000S,5C\n600 3\n250 1\n-100 -1\n",
	    "one line per change");
	buf_free(&t);

	is_int(maildirsize_fits(base, &ms, 250, 1, why), 1,
	    "250 more bytes fit (exactly the limit)");
	is_int(maildirsize_fits(base, &ms, 251, 1, why), 0,
	    "251 do not");
	is_int(maildirsize_fits(base, &ms, 1, 3, why), 0,
	    "3 more messages do not (count limit)");

	/* Removed behind our back: found when the file is 15 min old. */
	snprintf(path, sizeof(path), "%s/cur/2.b,S=200:2,S", base);
	unlink(path);
	is_int(maildirsize_fits(base, &ms, 251, 1, why), 0,
	    "a fresh file is trusted: still over");
	snprintf(path, sizeof(path), "%s/maildirsize", base);
	old[0].tv_sec = old[1].tv_sec = time(NULL) - MAILDIRSIZE_STALE - 5;
	old[0].tv_usec = old[1].tv_usec = 0;
	utimes(path, old);
	maildirsize_read(base, &ms, why);
	ok(maildirsize_fits(base, &ms, 251, 1, why) == 1 && ms.recalculated &&
	    ms.bytes == 400, "over quota and stale: recalculated, it fits");

	ok(maildirsize_get(base, 2000, 5, 1, &ms, why) == 0 &&
	    ms.recalculated && ms.limit_bytes == 2000,
	    "other limits: recalculated with them");
	ok(maildirsize_get(base, 1LL << 60, 5, 1, &ms, why) == 0 &&
	    ms.recalculated && maildirsize_get(base, 1LL << 60, 5, 1, &ms,
	    why) == 0 && !ms.recalculated, "a huge limit is not recalculated "
	    "each time");
	maildirsize_get(base, 2000, 5, 1, &ms, why);

	/* Past 5120 bytes of lines: recalculated. */
	for (k = 0; k < 1300; k++)
		maildirsize_add(base, 1, 1, why);
	maildirsize_read(base, &ms, why);
	ok(ms.size > MAILDIRSIZE_MAX && ms.bad,
	    "past 5120 bytes the file is not trusted");
	ok(maildirsize_get(base, 2000, 5, 1, &ms, why) == 0 &&
	    ms.recalculated && ms.bytes == 400 && ms.count == 2,
	    "... and recalculated from the files");

	/* A bad line: recalculated. */
	tap_write(path, "2000S,5C\n400 2\ngarbage\n");
	ok(maildirsize_get(base, 2000, 5, 1, &ms, why) == 0 &&
	    ms.recalculated, "a bad line: recalculated");

	/* A symlink planted in its place is neither read nor written. */
	unlink(path);
	tap_put(base, "victim", "not yours\n");
	if (symlink("victim", path) < 0)
		return 1;
	is_int(maildirsize_read(base, &ms, why), -1, "a symlink is not read");
	is_int(maildirsize_add(base, 1, 1, why), -1,
	    "nor appended to");
	ok(maildirsize_get(base, 2000, 5, 1, &ms, why) == 0 &&
	    ms.recalculated, "get recalculates: the link itself replaced");
	{
		struct stat st;

		ok(lstat(path, &st) == 0 && S_ISREG(st.st_mode),
		    "with a file");
	}
	snprintf(path, sizeof(path), "%s/victim", base);
	t = tap_slurp(path);
	is_str(buf_str(t), "not yours\n", "the link's target is untouched");
	buf_free(&t);
	buf_free(&why);
	buf_free(&b);
	return done_testing();
}
