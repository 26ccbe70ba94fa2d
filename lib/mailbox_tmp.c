/*
 * mailbox_tmp - new message files in a folder's tmp/, before mailbox_add()
 * makes them messages: APPEND writes one (mailbox_tmp_write), COPY and
 * MOVE link or rename another folder's file there (mailbox_tmp_link).
 *
 * A new file gets a fresh Maildir unique name carrying its size twice,
 * ",S=" (the octets of the file) and ",W=" (with CRLF line ends, what
 * IMAP and POP3 count), and is synced before it counts.  Files are created
 * with O_EXCL|O_NOFOLLOW, relative to the folder's directories.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mailbox.h"
#include "mailbox_int.h"
#include "msg.h"
#include "uidlist.h"
#include "util.h"

#define MAILBOX_COPY_CHUNK	(256 * 1024)

/* mailbox_tmp_dir - open tmp/ (the first time; made when missing) */
static int
mailbox_tmp_dir(struct mailbox *mb, struct buf *why)
{
	if (mb->tmpfd < 0 && (mb->tmpfd = mailbox_subdir(mb->dirfd,
	    "tmp")) < 0) {
		buf_setf(why, "open %s/tmp: %s", mb->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* mailbox_unique - a fresh Maildir unique name with size fields */
static void
mailbox_unique(struct mailbox *mb, long long size, long long vsize,
    struct buf *out)
{
	struct timeval	 tv;
	const char	*h;

	gettimeofday(&tv, NULL);
	buf_reset(out);
	buf_appendf(out, "%lld.M%06ldP%ldQ%u.", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++mb->uniq);
	/* The host name with '/' and ':' escaped, as Maildir wants. */
	for (h = my_hostname(); *h != '\0'; h++) {
		if (*h == '/')
			buf_puts(out, "\\057");
		else if (*h == ':')
			buf_puts(out, "\\072");
		else if ((unsigned char)*h > 0x20 && (unsigned char)*h < 0x7f)
			buf_putc(out, *h);
	}
	if (size >= 0)
		buf_appendf(out, ",S=%lld", size);
	if (vsize >= 0)
		buf_appendf(out, ",W=%lld", vsize);
}

/* mailbox_vsize - the size of data with every bare LF counted as CRLF */
static long long
mailbox_vsize(const char *p, size_t len)
{
	const char *end = p + len, *nl, *s = p;
	long long n = (long long)len;

	while ((nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		if (nl == p || nl[-1] != '\r')
			n++;
		s = nl + 1;
	}
	return n;
}

/* mailbox_tmp_write - a new message file in tmp/ (see mailbox.h) */
int
mailbox_tmp_write(struct mailbox *mb, const char *data, size_t len,
    time_t idate, struct buf *name, struct buf *why)
{
	struct timespec	 ts[2];
	int		 fd, tries;

	if (mailbox_tmp_dir(mb, why) < 0)
		return -1;
	for (tries = 0; ; tries++) {
		mailbox_unique(mb, (long long)len, mailbox_vsize(data, len),
		    name);
		fd = openat(mb->tmpfd, buf_str(name), O_WRONLY | O_CREAT |
		    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST || tries >= 10)
			break;
	}
	if (fd < 0) {
		buf_setf(why, "create %s/tmp/%s: %s", mb->path, buf_str(name),
		    strerror(errno));
		return -1;
	}
	if (write_full(fd, data, len) < 0 || fsync(fd) < 0) {
		buf_setf(why, "write %s/tmp/%s: %s", mb->path, buf_str(name),
		    strerror(errno));
		close(fd);
		(void)unlinkat(mb->tmpfd, buf_str(name), 0);
		return -1;
	}
	if (idate > 0) {
		ts[0].tv_sec = ts[1].tv_sec = idate;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		(void)futimens(fd, ts);
	}
	close(fd);
	return 0;
}

/* mailbox_copy_file - copy an open file into a new one; mtime kept */
static int
mailbox_copy_file(int in, int out)
{
	struct timespec	 ts[2];
	struct stat	 st;
	char		*chunk = xmalloc(MAILBOX_COPY_CHUNK);
	ssize_t		 n;
	int		 r = -1;

	for (;;) {
		n = read(in, chunk, MAILBOX_COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		if (write_full(out, chunk, (size_t)n) < 0)
			goto out;
	}
	if (fsync(out) < 0 || fstat(in, &st) < 0)
		goto out;
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	(void)futimens(out, ts);
	r = 0;
out:
	free(chunk);
	return r;
}

/* mailbox_tmp_link - a message of src into this folder's tmp/ */
int
mailbox_tmp_link(struct mailbox *mb, struct mailbox *src, uint32_t uid,
    int move, struct buf *name, struct buf *why)
{
	struct buf	*from = buf_new(256, 0);
	int		 i, in, out, r = -1, tries;

	if (mailbox_tmp_dir(mb, why) < 0) {
		buf_free(&from);
		return -1;
	}
	for (tries = 0; tries < 2; tries++) {
		if ((i = uidlist_find(&src->ul, uid)) < 0) {
			errno = ENOENT;
			break;
		}
		mailbox_name(src, &src->ul.v[i], from);
		mailbox_unique(mb, mailbox_name_field(src->ul.v[i].base, 'S'),
		    mailbox_name_field(src->ul.v[i].base, 'W'), name);
		if (move)
			r = renameat(src->curfd, buf_str(from), mb->tmpfd,
			    buf_str(name));
		else
			r = linkat(src->curfd, buf_str(from), mb->tmpfd,
			    buf_str(name), 0);
		if (r == 0 || errno != ENOENT)
			break;
		if (tries == 0 && mailbox_sync(src, 1, why) < 0)
			break;
		errno = ENOENT;
	}
	if (r == 0 || errno == ENOENT) {
		if (r < 0)
			buf_setf(why, "message UID %u is gone", uid);
		buf_free(&from);
		return r;
	}
	/* No links here (EXDEV, EPERM, EMLINK): copy, then remove. */
	in = openat(src->curfd, buf_str(from), O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	out = openat(mb->tmpfd, buf_str(name), O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (in < 0 || out < 0 || mailbox_copy_file(in, out) < 0) {
		buf_setf(why, "copy %s/cur/%s to %s/tmp: %s", src->path,
		    buf_str(from), mb->path, strerror(errno));
		if (out >= 0)
			(void)unlinkat(mb->tmpfd, buf_str(name), 0);
		r = -1;
	} else {
		r = 0;
		if (move)
			(void)unlinkat(src->curfd, buf_str(from), 0);
	}
	fd_close(&in);
	fd_close(&out);
	buf_free(&from);
	return r;
}

/* mailbox_tmp_unlink - drop a tmp/ file */
void
mailbox_tmp_unlink(struct mailbox *mb, const char *name)
{
	if (mb->tmpfd >= 0)
		(void)unlinkat(mb->tmpfd, name, 0);
}
