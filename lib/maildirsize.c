/*
 * maildirsize - the Maildir++ quota file (see maildirsize.h).
 *
 * Every program that adds or removes messages appends one line with the
 * change: open with O_APPEND, the whole line in one write(), so two
 * deliveries at once never lose or mix a line.  A program that finds the
 * file missing (where limits apply), a line it cannot read, the file
 * grown past MAILDIRSIZE_MAX bytes, or limits other than the configured
 * ones, recalculates: it sums the messages (maildir_count: ",S=" of the
 * names, else the files' sizes) and replaces the file atomically (a
 * temporary file beside it, renamed over it) with the limits and one
 * line of totals.  A file found over quota that is older than
 * MAILDIRSIZE_STALE is recalculated before a message is refused, as the
 * Maildir++ rules say, since a program that does not keep the file (a
 * mail client on the Maildir, rm) may have removed messages.
 *
 * Races, accepted as Maildir++ accepts them: a delivery or expunge that
 * ends while a recalculation is summing may be counted twice or not at
 * all (its line lands in the old file, its file may or may not have been
 * seen), so the usage can be off by that message until the next
 * recalculation.  The quota is approximate by design; no message is ever
 * lost over it.
 *
 * Distrusts: the file is the user's (a user with a shell can write it).
 * It is opened without following a symlink or blocking on a FIFO, read
 * only up to MAILDIRSIZE_MAX bytes, every number is bounded by
 * MAILDIRSIZE_NUM_MAX (so no sum overflows), and a total below zero
 * counts as zero.  A bad file costs a recalculation, nothing more.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "maildir.h"
#include "maildirsize.h"
#include "msg.h"
#include "util.h"

#define MAILDIRSIZE_SUM_MAX	(1LL << 61)	/* a sum past it: bad */

/*
 * maildirsize_num - a signed decimal number at *pp, up to end, at most
 * MAILDIRSIZE_NUM_MAX in size: 0 and *pp moved past it, or -1
 */
static int
maildirsize_num(const char **pp, const char *end, long long *out)
{
	const char *p = *pp;
	long long v = 0;
	int neg = 0;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p == end || *p < '0' || *p > '9')
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > MAILDIRSIZE_NUM_MAX)
			return -1;
	}
	*out = neg ? -v : v;
	*pp = p;
	return 0;
}

/* maildirsize_blanks - skip spaces and tabs */
static const char *
maildirsize_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/*
 * maildirsize_header - the first line, "<n>S,<n>C" in any order, either
 * one absent: 0, or -1 when it does not read
 */
static int
maildirsize_header(const char *p, const char *end, struct maildirsize *ms)
{
	long long v;

	p = maildirsize_blanks(p, end);
	while (p < end) {
		if (maildirsize_num(&p, end, &v) < 0 || v < 0 || p == end)
			return -1;
		if (*p == 'S')
			ms->limit_bytes = v;
		else if (*p == 'C')
			ms->limit_count = v;
		else
			return -1;
		p = maildirsize_blanks(p + 1, end);
		if (p < end && *p++ != ',')
			return -1;
		p = maildirsize_blanks(p, end);
	}
	return 0;
}

/* maildirsize_line - one change line: "<bytes> <count>"; 0, or -1 */
static int
maildirsize_line(const char *p, const char *end, long long *b, long long *c)
{
	p = maildirsize_blanks(p, end);
	if (maildirsize_num(&p, end, b) < 0 || p == end ||
	    (*p != ' ' && *p != '\t'))
		return -1;
	p = maildirsize_blanks(p, end);
	if (maildirsize_num(&p, end, c) < 0)
		return -1;
	return maildirsize_blanks(p, end) == end ? 0 : -1;
}

/*
 * maildirsize_parse - the limits and the sums of a file's text.  Each
 * number is at most MAILDIRSIZE_NUM_MAX and a sum that passes
 * MAILDIRSIZE_SUM_MAX either way makes the file bad, so nothing
 * overflows; a negative total is read as 0.
 */
int
maildirsize_parse(const char *text, size_t len, struct maildirsize *ms)
{
	const char *p = text, *end = text + len, *nl;
	long long b, c, sb = 0, sc = 0;
	int first = 1;

	ms->limit_bytes = ms->limit_count = 0;
	ms->bytes = ms->count = 0;
	ms->lines = 0;
	ms->bad = 0;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			ms->bad = 1;	/* a line without its end */
			break;
		}
		if (first) {
			if (maildirsize_header(p, nl, ms) < 0)
				ms->bad = 1;
			first = 0;
		} else if (maildirsize_line(p, nl, &b, &c) < 0)
			ms->bad = 1;
		else {
			sb += b;
			sc += c;
			ms->lines++;
			if (sb > MAILDIRSIZE_SUM_MAX || -sb > MAILDIRSIZE_SUM_MAX ||
			    sc > MAILDIRSIZE_SUM_MAX || -sc > MAILDIRSIZE_SUM_MAX) {
				ms->bad = 1;
				break;
			}
		}
		p = nl + 1;
	}
	if (first)
		ms->bad = 1;	/* not even the limits */
	ms->bytes = sb > 0 ? sb : 0;
	ms->count = sc > 0 ? sc : 0;
	return ms->bad ? -1 : 0;
}

/*
 * maildirsize_clamp - a limit as the file holds it: 0 for none, at most
 * MAILDIRSIZE_NUM_MAX (a larger one could not be read back)
 */
static long long
maildirsize_clamp(long long v)
{
	return v <= 0 ? 0 : v > MAILDIRSIZE_NUM_MAX ? MAILDIRSIZE_NUM_MAX : v;
}

/* maildirsize_limits - the first line: "<bytes>S,<count>C" */
void
maildirsize_limits(struct buf *out, long long bytes, long long count)
{
	buf_appendf(out, "%lldS,%lldC", maildirsize_clamp(bytes),
	    maildirsize_clamp(count));
}

/* maildirsize_path - the file's path in a Maildir */
static const char *
maildirsize_path(struct buf *path, const char *maildir)
{
	buf_setf(path, "%s/%s", maildir, MAILDIRSIZE_FILE);
	return buf_str(path);
}

/*
 * maildirsize_read - read a Maildir's file: 1 (a bad or over-long one
 * too: ms->bad, ms->size say so), 0 when there is none, -1 (why)
 */
int
maildirsize_read(const char *maildir, struct maildirsize *ms,
    struct buf *why)
{
	struct buf *path = buf_new(256, 4096);
	char text[MAILDIRSIZE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, r = -1;

	memset(ms, 0, sizeof(*ms));
	fd = file_open_user(maildirsize_path(path, maildir), O_RDONLY, &st,
	    why);
	if (fd < 0)
		r = errno == ENOENT ? 0 : -1;
	else if ((n = read_full(fd, text, sizeof(text))) < 0)
		buf_setf(why, "read %s: %s", buf_str(path), strerror(errno));
	else {
		ms->mtime = st.st_mtime;
		ms->size = (long long)n;
		if (n > MAILDIRSIZE_MAX)
			ms->bad = 1;	/* recalculated: not worth reading */
		else
			(void)maildirsize_parse(text, (size_t)n, ms);
		r = 1;
	}
	fd_close(&fd);
	buf_free(&path);
	return r;
}

/*
 * maildirsize_due - must the file be recalculated: a bad line, larger
 * than MAILDIRSIZE_MAX, or limits other than these?  (Over quota and
 * stale is maildirsize_fits's test: it depends on what is added.)
 */
int
maildirsize_due(const struct maildirsize *ms, long long bytes,
    long long count)
{
	if (ms->bad || ms->size > MAILDIRSIZE_MAX)
		return 1;
	return ms->limit_bytes != maildirsize_clamp(bytes) ||
	    ms->limit_count != maildirsize_clamp(count);
}

/*
 * maildirsize_recalc - sum the Maildir's messages and replace the file:
 * the limits, then one line of totals.  0 (ms filled), or -1 (why).
 */
int
maildirsize_recalc(const char *maildir, long long bytes, long long count,
    struct maildirsize *ms, struct buf *why)
{
	struct buf *path = buf_new(256, 4096), *text = buf_new(128, 0);
	long long sum, n;
	int r = -1;

	if ((sum = maildir_count(maildir, &n)) < 0) {
		buf_setf(why, "read %s: %s", maildir, strerror(errno));
		goto out;
	}
	maildirsize_limits(text, bytes, count);
	buf_appendf(text, "\n%lld %lld\n", sum, n);
	if (file_replace(maildirsize_path(path, maildir), text, 0600,
	    (uid_t)-1, 0, why) < 0)
		goto out;
	memset(ms, 0, sizeof(*ms));
	(void)maildirsize_parse(buf_str(text), buf_len(text), ms);
	ms->size = (long long)buf_len(text);
	ms->mtime = time(NULL);
	ms->recalculated = 1;
	r = 0;
out:
	buf_free(&path);
	buf_free(&text);
	return r;
}

/* maildirsize_get - the usage, the file read or remade (see .h) */
int
maildirsize_get(const char *maildir, long long bytes, long long count,
    int create, struct maildirsize *ms, struct buf *why)
{
	int r;

	/*
	 * One that cannot be read (a symlink or FIFO planted in its place)
	 * is replaced: the rename takes the name, never follows it.
	 */
	if ((r = maildirsize_read(maildir, ms, why)) < 0)
		return maildirsize_recalc(maildir, bytes, count, ms, why);
	if (r == 0 && !create) {
		memset(ms, 0, sizeof(*ms));
		return 0;
	}
	if (r == 0 || maildirsize_due(ms, bytes, count))
		return maildirsize_recalc(maildir, bytes, count, ms, why);
	return 0;
}

/* maildirsize_over - would bytes and count more pass a limit of ms? */
static int
maildirsize_over(const struct maildirsize *ms, long long bytes,
    long long count)
{
	return (ms->limit_bytes > 0 && ms->bytes + bytes > ms->limit_bytes) ||
	    (ms->limit_count > 0 && ms->count + count > ms->limit_count);
}

/* maildirsize_fits - do bytes and count more fit (see .h)? */
int
maildirsize_fits(const char *maildir, struct maildirsize *ms,
    long long bytes, long long count, struct buf *why)
{
	if (!maildirsize_over(ms, bytes, count))
		return 1;
	if (ms->recalculated || time(NULL) - ms->mtime < MAILDIRSIZE_STALE)
		return 0;
	if (maildirsize_recalc(maildir, ms->limit_bytes, ms->limit_count, ms,
	    why) < 0)
		return -1;
	return !maildirsize_over(ms, bytes, count);
}

/* maildirsize_add - append one change line (see .h) */
int
maildirsize_add(const char *maildir, long long bytes, long long count,
    struct buf *why)
{
	struct buf *path = buf_new(256, 4096);
	char line[64];
	struct stat st;
	ssize_t n;
	int fd, len, r = -1;

	if (bytes == 0 && count == 0) {
		buf_free(&path);
		return 1;
	}
	len = snprintf(line, sizeof(line), "%lld %lld\n", bytes, count);
	fd = file_open_user(maildirsize_path(path, maildir), O_WRONLY |
	    O_APPEND, &st, why);
	if (fd < 0)
		r = errno == ENOENT ? 0 : -1;
	else if ((n = write(fd, line, (size_t)len)) != len) {
		/* A short write leaves a line without its end: recalc. */
		buf_setf(why, "write %s: %s", buf_str(path), n < 0 ?
		    strerror(errno) : "short write");
	} else
		r = 1;
	fd_close(&fd);
	buf_free(&path);
	return r;
}
