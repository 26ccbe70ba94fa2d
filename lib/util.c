/*
 * util - small helpers every program uses.  Allocation failure is fatal
 * (there is nothing sensible a mail daemon can do without memory; master
 * restarts it).  File helpers retry on EINTR.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dec.h"
#include "msg.h"
#include "util.h"

/* xmalloc - malloc or die */
void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		msg_fatal("out of memory allocating %zu bytes", n);
	return p;
}

/* xcalloc - calloc or die */
void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		msg_fatal("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

/* xrealloc - realloc or die */
void *
xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (p == NULL)
		msg_fatal("out of memory allocating %zu bytes", n);
	return p;
}

/* xstrdup - strdup or die */
char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* xstrndup - copy at most n bytes of s, NUL-terminated */
char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* strv_free - free n strings and the array that holds them */
void
strv_free(char **v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* lowercase - lowercase ASCII letters in place */
char *
lowercase(char *s)
{
	char *p;

	for (p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* trim - strip leading and trailing white space in place */
char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* strcaseprefix - does s start with prefix, ignoring case? */
int
strcaseprefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* printable - a copy of s safe for logs: controls and bytes >= 127 made '?' */
const char *
printable(const char *s, struct buf *out)
{
	const unsigned char *p;

	buf_reset(out);
	for (p = (const unsigned char *)s; *p; p++)
		buf_putc(out, (*p < 32 || *p == 127) ? '?' : *p);
	return buf_str(out);
}

/* mystrtok - next token of *sp delimited by any of sep, skipping empties */
char *
mystrtok(char **sp, const char *sep)
{
	char *s = *sp, *tok;

	if (s == NULL)
		return NULL;
	s += strspn(s, sep);
	if (*s == '\0') {
		*sp = s;
		return NULL;
	}
	tok = s;
	s += strcspn(s, sep);
	if (*s)
		*s++ = '\0';
	*sp = s;
	return tok;
}

/* match_list - is word a member of the comma/space separated list? */
int
match_list(const char *word, const char *list)
{
	const char *p = list, *start;
	size_t len, wlen = strlen(word);

	while (*p) {
		p += strspn(p, ", \t\r\n");
		start = p;
		p += strcspn(p, ", \t\r\n");
		len = (size_t)(p - start);
		if (len && len == wlen && strncasecmp(start, word, len) == 0)
			return 1;
	}
	return 0;
}

/* parse_unit - multiply a number by a unit letter; -1 on error */
static long long
parse_unit(const char *s, const char *units, const long long *mult, int defunit)
{
	unsigned long long n;
	const char *end, *u;
	long long v;

	if (s == NULL || (end = dec_scan(s, NULL, LLONG_MAX, &n)) == NULL)
		return -1;
	v = (long long)n;
	if (*end == '\0') {
		if (defunit == 0)
			return v;
		end = "";
		u = strchr(units, defunit);
	} else {
		if (end[1] != '\0')
			return -1;
		u = strchr(units, tolower((unsigned char)*end));
	}
	if (u == NULL || *u == '\0')
		return -1;
	if (v > 0 && mult[u - units] > (long long)9e18 / v)
		return -1;
	return v * mult[u - units];
}

/* parse_size - "10240000", "10k", "10m", "1g" -> bytes; -1 on error */
long long
parse_size(const char *s)
{
	static const long long mult[] = { 1, 1024, 1024 * 1024,
	    1024LL * 1024 * 1024 };

	return parse_unit(s, "bkmg", mult, 0);
}

/* parse_time - "300", "300s", "5m", "2h", "5d", "1w" -> seconds; -1 on error */
long long
parse_time(const char *s, int defunit)
{
	static const long long mult[] = { 1, 60, 3600, 86400, 604800 };

	return parse_unit(s, "smhdw", mult, defunit ? defunit : 's');
}

/*
 * utf8_next - the next code point of UTF-8 text and its length, or 0
 * for invalid UTF-8 (overlong, surrogate, beyond U+10FFFF, truncated).
 */
size_t
utf8_next(const unsigned char *p, size_t left, uint32_t *cp)
{
	uint32_t c;
	size_t n, i;

	if (left == 0)
		return 0;
	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		c &= 0x07;
	} else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/*
 * sig_catch - catch each signal of the list (ended by 0) with handler
 * (or SIG_IGN), with these sigaction flags (SA_RESTART...), nothing
 * blocked while it runs
 */
void
sig_catch(void (*handler)(int), int flags, ...)
{
	struct sigaction sa;
	va_list ap;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	va_start(ap, flags);
	while ((sig = va_arg(ap, int)) != 0)
		(void)sigaction(sig, &sa, NULL);
	va_end(ap);
}

/* fd_setflag - turn a flag of fd's (get, set: fcntl's commands) on or off */
static int
fd_setflag(int fd, int get, int set, int flag, int on)
{
	int fl = fcntl(fd, get);

	if (fl < 0)
		return -1;
	return fcntl(fd, set, on ? fl | flag : fl & ~flag);
}

/* set_nonblock - turn O_NONBLOCK on or off */
int
set_nonblock(int fd, int on)
{
	return fd_setflag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

/* set_cloexec - turn FD_CLOEXEC on or off */
int
set_cloexec(int fd, int on)
{
	return fd_setflag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

/*
 * fd_full - read (writing 0) or write n bytes at p, retrying short reads
 * and writes and EINTR; stops early only at EOF.  The bytes done, or -1.
 */
static ssize_t
fd_full(int fd, char *p, size_t n, int writing)
{
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		r = writing ? write(fd, p + done, n - done) :
		    read(fd, p + done, n - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/*
 * fd_read_append - one read of what a ready non-blocking fd has, at most
 * most bytes (and 4096), appended to b: 1 when something came, 0 at the
 * end of the file or on an error, -1 when nothing was there after all
 * (EAGAIN, EINTR: wait for the next event)
 */
int
fd_read_append(int fd, struct buf *b, size_t most)
{
	char chunk[4096];
	ssize_t n;

	n = read(fd, chunk, most < sizeof(chunk) ? most : sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	if (n <= 0)
		return 0;
	buf_append(b, chunk, (size_t)n);
	return 1;
}

/* read_some - one read of at most n bytes, retried when a signal cut it */
ssize_t
read_some(int fd, void *p, size_t n)
{
	ssize_t r;

	while ((r = read(fd, p, n)) < 0 && errno == EINTR)
		;
	return r;
}

/* write_full - write all n bytes, retrying short writes and EINTR */
ssize_t
write_full(int fd, const void *p, size_t n)
{
	return fd_full(fd, (char *)p, n, 1);	/* write() only reads p */
}

/* fd_close - close *fdp if it is open, and mark it closed */
void
fd_close(int *fdp)
{
	if (*fdp >= 0)
		close(*fdp);
	*fdp = -1;
}

/* fd_wait - wait until fd is ready; 1 ready, 0 timeout, -1 error */
int
fd_wait(int fd, short events, int timeout)
{
	struct pollfd	pfd;
	int		r;

	pfd.fd = fd;
	pfd.events = events;
	for (;;) {
		r = poll(&pfd, 1, timeout > 0 ? timeout * 1000 : -1);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

/* fd_ready - fd_wait, a timeout as -1 with errno ETIMEDOUT; 0 ready */
static int
fd_ready(int fd, short events, int timeout)
{
	int w;

	if ((w = fd_wait(fd, events, timeout)) == 0)
		errno = ETIMEDOUT;
	return w > 0 ? 0 : -1;
}

/* fd_read_timed - one read once fd is readable, within timeout s */
ssize_t
fd_read_timed(int fd, void *p, size_t n, int timeout)
{
	if (fd_ready(fd, POLLIN, timeout) < 0)
		return -1;
	return read(fd, p, n);
}

/* fd_write_timed - one write once fd is writable, within timeout s */
ssize_t
fd_write_timed(int fd, const void *p, size_t n, int timeout)
{
	if (fd_ready(fd, POLLOUT, timeout) < 0)
		return -1;
	return write(fd, p, n);
}

/* read_full - read up to n bytes, stopping early only at EOF */
ssize_t
read_full(int fd, void *p, size_t n)
{
	return fd_full(fd, p, n, 0);
}

/* fsync_dirname - fsync the directory named */
int
fsync_dirname(const char *dir)
{
	int fd, r, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	r = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

/* fsync_dir - fsync the directory that holds path */
int
fsync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int r = fsync_dirname(dirname(copy));

	free(copy);
	return r;
}

/* mkdir_p - create a directory and its missing parents */
int
mkdir_p(const char *path, mode_t mode)
{
	char *copy = xstrdup(path), *p;
	int r = 0;

	for (p = copy + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(copy, mode) < 0 && errno != EEXIST) {
				r = -1;
				break;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(copy);
	return r;
}

/*
 * file_replace - replace path by text atomically: a temporary file beside
 * it (created without following links), written, given mode and, when
 * uid is not (uid_t)-1, that owner; fsync'd, then renamed over path and
 * the directory fsync'd.  A reader sees the old file or the new one.
 */
int
file_replace(const char *path, const struct buf *text, mode_t mode,
    uid_t uid, gid_t gid, struct buf *why)
{
	struct buf *tmp = buf_new(256, 4096);
	int fd = -1, r = -1;

	buf_setf(tmp, "%s.tmp.%ld", path, (long)getpid());
	if (buf_overflowed(tmp)) {
		buf_setf(why, "%s: path too long", path);
		goto out;
	}
	(void)unlink(buf_str(tmp));
	if ((fd = open(buf_str(tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		buf_setf(why, "create %s: %s", buf_str(tmp), strerror(errno));
		goto out;
	}
	if (write_full(fd, buf_str(text), buf_len(text)) < 0) {
		buf_setf(why, "write %s: %s", buf_str(tmp), strerror(errno));
		goto fail;
	}
	if (uid != (uid_t)-1 && fchown(fd, uid, gid) < 0) {
		buf_setf(why, "chown %s: %s", buf_str(tmp), strerror(errno));
		goto fail;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		buf_setf(why, "%s: %s", buf_str(tmp), strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		buf_setf(why, "close %s: %s", buf_str(tmp), strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(buf_str(tmp), path) < 0) {
		buf_setf(why, "rename %s to %s: %s", buf_str(tmp), path,
		    strerror(errno));
		goto fail;
	}
	if (fsync_dir(path) < 0)
		msg_warn("fsync the directory of %s: %m", path);
	r = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	(void)unlink(buf_str(tmp));
out:
	buf_free(&tmp);
	return r;
}

/*
 * file_replace_at - replace name in the directory dirfd by text: a
 * temporary file beside it (name.tmp.PID, created without following
 * links), written and renamed over name, without fsync (for the indexes
 * and caches of a mailbox, which can be rebuilt).  A reader sees the old
 * file or the new one.  st, when not NULL, gets the new file's stat; dir
 * names the directory in why (NULL: the name alone).
 */
int
file_replace_at(int dirfd, const char *dir, const char *name,
    const struct buf *text, struct stat *st, struct buf *why)
{
	struct buf *tmp = buf_new(64, 0);
	const char *what = "write";
	int fd, r = -1;

	buf_setf(tmp, "%s.tmp.%ld", name, (long)getpid());
	(void)unlinkat(dirfd, buf_str(tmp), 0);
	fd = openat(dirfd, buf_str(tmp), O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		what = "create";
		goto fail;
	}
	if (write_full(fd, buf_str(text), buf_len(text)) < 0 ||
	    (st != NULL && fstat(fd, st) < 0))
		goto fail;
	close(fd);
	fd = -1;
	if (renameat(dirfd, buf_str(tmp), dirfd, name) < 0) {
		what = "rename";
		goto fail;
	}
	r = 0;
	goto out;
fail:
	buf_setf(why, "%s %s%s%s: %s", what, dir ? dir : "", dir ? "/" : "",
	    buf_str(tmp), strerror(errno));
	if (fd >= 0)
		close(fd);
	if (strcmp(what, "create") != 0)	/* ours: remove it */
		(void)unlinkat(dirfd, buf_str(tmp), 0);
out:
	buf_free(&tmp);
	return r;
}

/*
 * file_open_user - open an existing regular file in a directory a user
 * can write: no symlink followed, no wait on a FIFO.  The fd (with
 * st filled), or -1 with errno: ENOENT (why untouched) when there is
 * none, else why set.
 */
int
file_open_user(const char *path, int flags, struct stat *st,
    struct buf *why)
{
	int fd, saved;

	fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return -1;
	if (fd < 0 || fstat(fd, st) < 0) {
		saved = errno;
		buf_setf(why, "%s: %s", path, strerror(errno));
		fd_close(&fd);
		errno = saved == ENOENT ? EIO : saved;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		buf_setf(why, "%s: not a file", path);
		fd_close(&fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* file_slurp - read a whole text file of at most cap bytes */
struct buf *
file_slurp(const char *path, size_t cap, struct buf *why)
{
	struct buf *text;
	char chunk[8192];
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		saved = errno;
		buf_setf(why, "open %s: %s", path, strerror(errno));
		errno = saved;
		return NULL;
	}
	text = buf_new(sizeof(chunk), cap);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			buf_setf(why, "read %s: %s", path, strerror(errno));
			goto fail;
		}
		buf_append(text, chunk, (size_t)n);
		if (buf_overflowed(text)) {
			saved = EFBIG;
			buf_setf(why, "%s: file is larger than %zu bytes", path,
			    cap);
			goto fail;
		}
	}
	close(fd);
	if (memchr(buf_str(text), '\0', buf_len(text)) != NULL) {
		buf_setf(why, "%s: file contains a NUL byte", path);
		buf_free(&text);
		errno = EINVAL;
		return NULL;
	}
	return text;
fail:
	close(fd);
	buf_free(&text);
	errno = saved;
	return NULL;
}

/* now_ms - monotonic milliseconds */
long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* rfc2822_date - "Mon, 23 Nov 2026 04:29:37 +0000" in local time */
const char *
rfc2822_date(time_t t, char *out, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, len, "%a, %d %b %Y %H:%M:%S %z", &tm);
	return out;
}

/* my_hostname - the system's host name, as gethostname() says */
const char *
my_hostname(void)
{
	static char name[256];

	if (name[0] == '\0') {
		if (gethostname(name, sizeof(name) - 1) < 0 || name[0] == '\0')
			strncpy(name, "localhost", sizeof(name) - 1);
	}
	return name;
}
