/*
 * queue - queue files: the envelope records and the message, written so
 * that a file is either absent or complete and on disk.
 *
 * A writer works in a temporary file "t.<id>" (scanners skip names with a
 * dot), buffers its writes, and queue_commit() patches the size record
 * (size and checksum), renames the file to its id, and fdatasyncs it and
 * fsyncs the directory (both at once) before it says yes: that is the
 * moment an SMTP server may answer 250.  Any failure on the way removes
 * the file and reports why, with errno kept.
 *
 * The sync of incoming/ is shared with every other writer (smtpd
 * sessions, pickup, qmgr's bounces: see dirsync.c), through the state
 * file private/incoming.sync: one fsync that began after a file's rename
 * covers it, whoever made it, so under load the directory costs far less
 * than one sync per message.  The file's own fdatasync runs (Linux AIO,
 * fsyncs.c) while the writer waits for the directory's.
 *
 * Recycling: a writer in incoming/ first tries to take a finished queue
 * file that qmgr left in recycle/ (see queue.h) and overwrites it, rather
 * than creating a new file.  On ext4 this is worth a lot: every new inode
 * is searched for past the inodes freed in the last seconds to minutes
 * (ext4's recently_deleted() check, on a file system without a journal),
 * and with one queue file created and removed per message that search
 * grows with the mail rate; it took about a third of smtpd's CPU at 2,000
 * messages a second.  A reused file keeps its inode and its blocks.  Its
 * old content is a finished message that must never come back under the
 * new id: the T record names the id and the checksum covers the rest, so
 * a crash that keeps any part of the new content from the disk leaves a
 * file that readers refuse (queue_verify).  A file that is not ours alone
 * (another link to it, another owner) is never reused.  The writer takes
 * the file locked and straight under its new id, so that by the time the
 * client has sent the message, another writer's sync of incoming/ has
 * most often covered the rename, and the commit waits for the file's own
 * sync alone.
 *
 * The reader is queue_read.c, the notification of qmgr queue_notify.c;
 * this file also holds the ids, paths and the value encoding they share.
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dec.h"
#include "dirsync.h"
#include "fsyncs.h"
#include "hex.h"
#include "msg.h"
#include "queue.h"
#include "util.h"

#define QUEUE_WBUF_SIZE		(128 * 1024)	/* write buffer */
#define QUEUE_CREATE_TRIES	100
#define QUEUE_SPARE_LIST	64		/* recycle/ names per listing */
#define QUEUE_SPARE_IDLE_MS	50		/* after recycle/ was empty */
#define QUEUE_SPARE_AHEAD	4096		/* read ahead of a reused file */
#define QUEUE_SYNC_STATE	"private/" QUEUE_INCOMING ".sync"

struct queue_writer {
	int	 fd;
	char	 id[QUEUE_ID_MAX];
	char	*dir;		/* DIR/sub */
	char	*tmp;		/* DIR/sub/t.id */
	char	*final;		/* DIR/sub/id */
	char	*wbuf;
	size_t	 wlen;
	off_t	 pos;		/* file offset of the end of what was written */
	off_t	 size_off;	/* offset of the S record's digits */
	off_t	 data_start;	/* offset of the message, -1 before M */
	int	 err;		/* sticky errno of a failed write */
	off_t	 old_size;	/* a recycled file's old size, or -1 */
	int	 reused;	/* a recycled file, named final and locked */
	struct dirsync *ds;	/* incoming/'s shared syncs, or NULL */
	struct dirsync_ticket ticket;	/* of the rename to final */
	struct dirsync_writer dw;	/* of a reused file: see dirsync.h */
	int	 entered;	/* dirsync_enter'd, not left yet */
	int	 summing;	/* past the S record: bytes go into sum */
	off_t	 sum_start;	/* offset of the first byte summed */
	uint64_t sum;		/* of everything after the S record */
	struct buf *enc;	/* scratch for encoded values */
};

/* The shared syncs of DIR/incoming (one queue directory per process). */
static struct dirsync *queue_dirsync;

/* Names seen in recycle/, taken one by one (see queue_claim). */
static struct {
	char	 *dir;			/* the queue directory listed */
	char	  name[QUEUE_SPARE_LIST][QUEUE_ID_MAX];
	int	  left;			/* names not tried yet: name[0..left) */
	uint32_t  rand;			/* picks the next name to try */
	long long empty_at;		/* ms: when the listing was empty */
	int	  broken;		/* renameat2 unsupported: give up */
} queue_spare;

/* queue_new_id - a fresh id: seconds, microseconds, pid, never repeated */
static void
queue_new_id(char *id, size_t len)
{
	static long long last_sec;
	static long last_usec;
	struct timeval tv;
	long long sec;
	long usec;

	gettimeofday(&tv, NULL);
	sec = (long long)tv.tv_sec;
	usec = (long)tv.tv_usec;
	if (sec < last_sec || (sec == last_sec && usec <= last_usec)) {
		sec = last_sec;
		usec = last_usec + 1;
		if (usec >= 1000000) {
			sec++;
			usec = 0;
		}
	}
	last_sec = sec;
	last_usec = usec;
	snprintf(id, len, "%08llX%05lX%lX", sec & 0xffffffffLL, usec,
	    (unsigned long)getpid());
}

/* queue_writer_free - release a writer's memory and fd */
static void
queue_writer_free(struct queue_writer *w)
{
	/* The kernel writes into w->dw until the sync is collected. */
	if (w->entered)
		dirsync_cancel(w->ds, &w->dw);
	if (w->fd >= 0)
		close(w->fd);
	free(w->dir);
	free(w->tmp);
	free(w->final);
	free(w->wbuf);
	buf_free(&w->enc);
	free(w);
}

/* queue_sum - go on with a checksum (64-bit FNV-1a) over n bytes */
uint64_t
queue_sum(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n-- > 0) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* queue_flush - write out the buffer; a failure is sticky */
static int
queue_flush(struct queue_writer *w)
{
	if (w->err)
		return -1;
	if (w->wlen == 0)
		return 0;
	if (write_full(w->fd, w->wbuf, w->wlen) < 0) {
		w->err = errno ? errno : EIO;
		return -1;
	}
	w->wlen = 0;
	return 0;
}

/* queue_put - buffer bytes for the file */
static int
queue_put(struct queue_writer *w, const void *p, size_t n)
{
	if (w->err)
		return -1;
	if (w->summing)
		w->sum = queue_sum(w->sum, p, n);
	if (w->wlen + n > QUEUE_WBUF_SIZE) {
		if (queue_flush(w) < 0)
			return -1;
		if (n >= QUEUE_WBUF_SIZE) {
			if (write_full(w->fd, p, n) < 0) {
				w->err = errno ? errno : EIO;
				return -1;
			}
			w->pos += (off_t)n;
			return 0;
		}
	}
	memcpy(w->wbuf + w->wlen, p, n);
	w->wlen += n;
	w->pos += (off_t)n;
	return 0;
}

/* queue_put_rec - buffer one record: type, encoded value, LF */
static int
queue_put_rec(struct queue_writer *w, int type, const char *value)
{
	char t = (char)type;

	buf_reset(w->enc);
	queue_encode(w->enc, value);
	if (queue_put(w, &t, 1) < 0 ||
	    queue_put(w, buf_str(w->enc), buf_len(w->enc)) < 0 ||
	    queue_put(w, "\n", 1) < 0)
		return -1;
	return 0;
}

/* queue_spare_list - learn up to QUEUE_SPARE_LIST names in DIR/recycle */
static int
queue_spare_list(const char *dir)
{
	struct dirent *de;
	DIR *d;
	size_t len;
	int n = 0;

	if (queue_spare.empty_at != 0 &&
	    now_ms() - queue_spare.empty_at < QUEUE_SPARE_IDLE_MS)
		return 0;		/* it was empty a moment ago */
	if ((d = queue_opendir(dir, QUEUE_RECYCLE)) != NULL) {
		while (n < QUEUE_SPARE_LIST && (de = readdir(d)) != NULL) {
			if (!queue_id_ok(de->d_name) ||
			    (len = strlen(de->d_name)) >= QUEUE_ID_MAX)
				continue;
			memcpy(queue_spare.name[n++], de->d_name, len + 1);
		}
		closedir(d);
	}
	queue_spare.left = n;
	queue_spare.empty_at = n == 0 ? now_ms() : 0;
	return n;
}

/*
 * queue_spare_take - a name from the listing, at random: every smtpd
 * lists the same names in the same order, and taking them in order makes
 * two processes follow each other through the names the other one has
 * already taken.  At random, a name is gone only as often as the others
 * have taken their share.
 */
static const char *
queue_spare_take(char *name, size_t size)
{
	uint32_t x = queue_spare.rand;
	int i;

	if (x == 0)
		x = ((uint32_t)getpid() * 2654435761u ^ (uint32_t)now_ms()) | 1;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	queue_spare.rand = x;
	i = (int)(x % (uint32_t)queue_spare.left);
	snprintf(name, size, "%s", queue_spare.name[i]);
	queue_spare.left--;
	memcpy(queue_spare.name[i], queue_spare.name[queue_spare.left],
	    QUEUE_ID_MAX);
	return name;
}

/*
 * queue_claim - take a file from DIR/recycle as the queue file named
 * final, locked (flock) until the writer closes it: its descriptor, or -1
 * when there is none to take (then the caller creates a new file).
 *
 * The rename to a name of our own in recycle/ (".<new id>", a name with
 * a dot: no other writer takes it, and qmgr removes such leftovers when
 * it starts) is the claim: of several writers that try one name, one
 * wins, the others see ENOENT and try the next name, at the cost of one
 * system call and without waiting for each other.  Then the file is
 * locked and renamed to its id in incoming/, so that a reader there never
 * finds it unlocked before its writer is done (see queue_busy).
 */
static int
queue_claim(struct queue_writer *w, const char *dir, const char *final)
{
	struct buf *from = buf_new(256, 0), *mine = buf_new(256, 0);
	char name[QUEUE_ID_MAX];
	struct stat st;
	int fd = -1;

	if (queue_spare.dir == NULL || strcmp(queue_spare.dir, dir) != 0) {
		free(queue_spare.dir);
		queue_spare.dir = xstrdup(dir);
		queue_spare.left = 0;
		queue_spare.empty_at = 0;
	}
	buf_setf(mine, "%s/%s/.%s", dir, QUEUE_RECYCLE, w->id);
	while (!queue_spare.broken && fd < 0) {
		if (queue_spare.left == 0 && queue_spare_list(dir) == 0)
			break;
		buf_setf(from, "%s/%s/%s", dir, QUEUE_RECYCLE,
		    queue_spare_take(name, sizeof(name)));
		if (renameat2(AT_FDCWD, buf_str(from), AT_FDCWD, buf_str(mine),
		    RENAME_NOREPLACE) < 0) {
			if (errno == EINVAL || errno == ENOSYS)
				queue_spare.broken = 1;
			continue;	/* another writer took it */
		}
		fd = open(buf_str(mine), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		dirsync_mark(w->ds, &w->ticket);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 ||
		    fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_nlink != 1 || st.st_uid != geteuid() ||
		    (st.st_mode & 07777) != 0600 ||
		    renameat2(AT_FDCWD, buf_str(mine), AT_FDCWD, final,
		    RENAME_NOREPLACE) < 0) {
			/* Not a file we may reuse (a crash left two links?). */
			(void)unlink(buf_str(mine));
			if (fd >= 0)
				close(fd);
			fd = -1;
			continue;
		}
		dirsync_after(w->ds, &w->ticket);
		/* Alone, sync incoming/ while the client sends the message. */
		dirsync_enter(w->ds, &w->dw);
		w->entered = 1;
		w->old_size = st.st_size;
		w->reused = 1;
		/*
		 * The first block is rewritten in part: if the page cache
		 * let it go, start reading it now, while the client sends
		 * the message, not at the first write.
		 */
		(void)posix_fadvise(fd, 0, QUEUE_SPARE_AHEAD,
		    POSIX_FADV_WILLNEED);
	}
	buf_free(&from);
	buf_free(&mine);
	return fd;
}

/*
 * queue_dirsync_get - the shared syncs of DIR/incoming, opened once per
 * process (again when the queue directory changes), or NULL when the
 * directory cannot be opened (the commit then says why).
 */
static struct dirsync *
queue_dirsync_get(const char *dir, const char *sub_dir)
{
	struct buf *state;

	if (queue_dirsync != NULL &&
	    strcmp(dirsync_dir(queue_dirsync), sub_dir) == 0)
		return queue_dirsync;
	dirsync_close(&queue_dirsync);
	state = buf_new(256, 0);
	buf_setf(state, "%s/%s", dir, QUEUE_SYNC_STATE);
	queue_dirsync = dirsync_open(sub_dir, buf_str(state));
	buf_free(&state);
	return queue_dirsync;
}

/*
 * queue_busy - is a writer still at work on this file?  A reused file
 * sits in incoming/ under its id from the start (queue_claim) and stays
 * locked until its writer has synced and closed it: 1 while it is
 * locked, else 0.  A file left unlocked but unfinished was left by a
 * writer that died, and no client was told it was queued.
 */
int
queue_busy(int fd)
{
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	(void)flock(fd, LOCK_UN);
	return 0;
}

/*
 * queue_unfinished - did a writer stop before the end of this file (see
 * queue_busy)?  1 when it is empty, when its T record names another id
 * than id (the old content of a reused file) or when its S record still
 * holds the zeros that queue_commit() fills in; else 0.
 */
int
queue_unfinished(int fd, const char *id)
{
	char head[2 * QUEUE_ID_MAX + QUEUE_SIZE_REC + 64], *nl, *sp;
	ssize_t n;

	/* Empty: a writer that died before its first write (a new file, or
	 * one of qmgr's empty spares just claimed); never a message. */
	if ((n = pread(fd, head, sizeof(head) - 1, 0)) <= 0)
		return n == 0;
	head[n] = '\0';
	if (head[0] != 'T' || (nl = strchr(head, '\n')) == NULL)
		return 0;
	*nl = '\0';
	/* T<seconds> <microseconds> <id> */
	if ((sp = strrchr(head, ' ')) != NULL && sp != strchr(head, ' ') &&
	    strcmp(sp + 1, id) != 0)
		return 1;
	return nl[1] == 'S' && strspn(nl + 2, "0") == QUEUE_SIZE_WIDTH &&
	    nl[2 + QUEUE_SIZE_WIDTH] == ' ' &&
	    strspn(nl + 3 + QUEUE_SIZE_WIDTH, "0") ==
	    QUEUE_SIZE_REC - QUEUE_SIZE_WIDTH - 1;
}

/* queue_create - a new temporary queue file in DIR/sub, with T and S */
struct queue_writer *
queue_create(const char *dir, const char *sub, struct buf *why)
{
	struct queue_writer *w;
	struct buf *path = buf_new(256, 0);
	struct timeval tv;
	char size0[QUEUE_SIZE_REC + 16], arrival[48 + QUEUE_ID_MAX];
	mode_t mode;
	int tries;

	/* Files in maildrop/ are written by users and read by pickup. */
	mode = strcmp(sub, QUEUE_MAILDROP) == 0 ? 0644 : 0600;
	w = xcalloc(1, sizeof(*w));
	w->fd = -1;
	w->data_start = -1;
	w->old_size = -1;
	buf_setf(path, "%s/%s", dir, sub);
	w->dir = xstrdup(buf_str(path));
	if (strcmp(sub, QUEUE_INCOMING) == 0 &&
	    (w->ds = queue_dirsync_get(dir, w->dir)) != NULL) {
		queue_new_id(w->id, sizeof(w->id));
		buf_setf(path, "%s/%s", w->dir, w->id);
		w->fd = queue_claim(w, dir, buf_str(path));
	}
	for (tries = 0; w->fd < 0 && tries < QUEUE_CREATE_TRIES; tries++) {
		queue_new_id(w->id, sizeof(w->id));
		buf_setf(path, "%s/t.%s", w->dir, w->id);
		w->fd = open(buf_str(path), O_CREAT | O_EXCL | O_RDWR |
		    O_NOFOLLOW | O_CLOEXEC, mode);
		if (w->fd >= 0 || errno != EEXIST)
			break;
	}
	if (w->fd < 0) {
		buf_setf(why, "create %s: %s", buf_str(path), strerror(errno));
		buf_free(&path);
		queue_writer_free(w);
		return NULL;
	}
	/* Beat the umask: pickup must read maildrop files. */
	if (mode != 0600)
		(void)fchmod(w->fd, mode);
	w->tmp = xstrdup(buf_str(path));	/* for a reused file: final */
	buf_setf(path, "%s/%s", w->dir, w->id);
	w->final = xstrdup(buf_str(path));
	buf_free(&path);
	w->wbuf = xmalloc(QUEUE_WBUF_SIZE);
	w->enc = buf_new(256, 0);

	gettimeofday(&tv, NULL);
	snprintf(arrival, sizeof(arrival), "%lld %ld %s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, w->id);
	queue_put_rec(w, 'T', arrival);
	memset(size0, '0', QUEUE_SIZE_REC);
	size0[QUEUE_SIZE_WIDTH] = ' ';
	snprintf(size0 + QUEUE_SIZE_REC, sizeof(size0) - QUEUE_SIZE_REC, " %d",
	    QUEUE_FORMAT);
	w->size_off = w->pos + 1;
	queue_put_rec(w, 'S', size0);
	w->summing = 1;
	w->sum_start = w->pos;
	w->sum = QUEUE_SUM_INIT;
	return w;
}

/* queue_writer_id - the id the file will have */
const char *
queue_writer_id(struct queue_writer *w)
{
	return w->id;
}

/* queue_writer_fd - the file's descriptor */
int
queue_writer_fd(struct queue_writer *w)
{
	return w->fd;
}

/* queue_rec - write an envelope record (T and S are queue_create's) */
int
queue_rec(struct queue_writer *w, int type, const char *value)
{
	if (w->err)
		return -1;
	if (type == 'T' || type == 'S' || w->data_start >= 0 ||
	    !isupper(type)) {
		msg_warn("queue file %s: record type '%c' not allowed here",
		    w->id, isprint(type) ? type : '?');
		errno = EINVAL;
		return -1;
	}
	if (type == 'M') {
		if (queue_put(w, "M\n", 2) < 0)
			return -1;
		w->data_start = w->pos;
		return 0;
	}
	return queue_put_rec(w, type, value ? value : "");
}

/* queue_recf - write a formatted envelope record */
int
queue_recf(struct queue_writer *w, int type, const char *fmt, ...)
{
	struct buf *b = buf_new(128, 0);
	va_list ap;
	int r;

	va_start(ap, fmt);
	buf_vappendf(b, fmt, ap);
	va_end(ap);
	r = queue_rec(w, type, buf_str(b));
	buf_free(&b);
	return r;
}

/* queue_data - write message bytes (the M record first if needed) */
int
queue_data(struct queue_writer *w, const void *p, size_t n)
{
	if (w->data_start < 0 && queue_rec(w, 'M', NULL) < 0)
		return -1;
	return queue_put(w, p, n);
}

/*
 * queue_shift - put n bytes into the file at offset at, moving what
 * follows: what a check adds once the whole message is in.  The file is
 * not committed yet, so this is a move within the page cache: the tail is
 * copied from its end backwards, then the checksum is made again.  0, or
 * -1 with errno (sticky, as for queue_data).
 */
static int
queue_shift(struct queue_writer *w, off_t at, const void *p, size_t n)
{
	char chunk[65536];
	off_t from, end, len;
	ssize_t got;

	for (end = w->pos; end > at; end = from) {
		from = end - (off_t)sizeof(chunk) > at ?
		    end - (off_t)sizeof(chunk) : at;
		len = end - from;
		if (pread(w->fd, chunk, (size_t)len, from) != len ||
		    pwrite(w->fd, chunk, (size_t)len, from + (off_t)n) != len)
			goto bad;
	}
	if (pwrite(w->fd, p, n, at) != (ssize_t)n)
		goto bad;
	w->pos += (off_t)n;
	if (lseek(w->fd, w->pos, SEEK_SET) < 0)
		goto bad;
	w->sum = QUEUE_SUM_INIT;
	for (from = w->sum_start; from < w->pos; from += got) {
		len = w->pos - from < (off_t)sizeof(chunk) ? w->pos - from :
		    (off_t)sizeof(chunk);
		if ((got = pread(w->fd, chunk, (size_t)len, from)) <= 0)
			goto bad;
		w->sum = queue_sum(w->sum, chunk, (size_t)got);
	}
	return 0;

bad:
	w->err = errno ? errno : EIO;
	errno = w->err;
	return -1;
}

/*
 * queue_insert - put n bytes into the message at offset at (0: its
 * start): the headers of end-of-message checks (a signature, results).
 * 0, or -1 with errno; a bad offset is not a sticky error.
 */
int
queue_insert(struct queue_writer *w, off_t at, const void *p, size_t n)
{
	if (queue_flush(w) < 0 || w->data_start < 0 || at < 0 ||
	    w->data_start + at > w->pos) {
		if (w->err == 0)
			errno = EINVAL;
		return -1;
	}
	return queue_shift(w, w->data_start + at, p, n);
}

/*
 * queue_rec_late - an attribute record (A) once the message is in: it
 * goes before the M record (what an end-of-message check decided, such
 * as the folder of a message that DMARC quarantines).  0, or -1 with
 * errno.
 */
int
queue_rec_late(struct queue_writer *w, int type, const char *value)
{
	struct buf *rec;
	int r;

	if (w->data_start < 0)
		return queue_rec(w, type, value);
	if (type != 'A' || queue_flush(w) < 0) {
		if (w->err == 0)
			errno = EINVAL;
		return -1;
	}
	rec = buf_new(128, 0);
	buf_putc(rec, (char)type);
	queue_encode(rec, value);
	buf_putc(rec, '\n');
	/* Before "M\n": the message moves by the record's length. */
	if ((r = queue_shift(w, w->data_start - 2, buf_str(rec),
	    buf_len(rec))) == 0)
		w->data_start += (off_t)buf_len(rec);
	buf_free(&rec);
	return r;
}

/* queue_writer_size - message bytes written so far */
off_t
queue_writer_size(struct queue_writer *w)
{
	return w->data_start < 0 ? 0 : w->pos - w->data_start;
}

/*
 * queue_sync_both - sync the file and its directory at the same time:
 * 0, or -1 with errno and step.  In incoming/ the file's sync runs while
 * the writer waits for a shared sync of the directory (dirsync_wait).
 * Elsewhere both go at once (fsyncs); a directory that the writer may not
 * read (a user's sendmail in maildrop/) is not synced: pickup makes the
 * file durable there.
 */
static int
queue_sync_both(struct queue_writer *w, const char **step)
{
	struct fsyncs_op file;
	int fd[2], data_only[2] = { 1, 0 }, err[2], n = 1;

	fd[0] = w->fd;
	if (w->ds != NULL) {
		fsyncs_begin(&file, w->fd, 1);
		if (w->entered) {
			w->entered = 0;
			err[1] = dirsync_leave(w->ds, &w->ticket, &w->dw) < 0 ?
			    errno : 0;
		} else
			err[1] = dirsync_wait(w->ds, &w->ticket) < 0 ?
			    errno : 0;
		err[0] = fsyncs_end(&file) < 0 ? errno : 0;
		*step = err[0] ? "fsync" : "fsync directory of";
		errno = err[0] ? err[0] : err[1];
		return errno ? -1 : 0;
	}
	if ((fd[1] = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		n = 2;
	else if (errno != EACCES) {
		*step = "open directory";
		return -1;
	}
	(void)fsyncs(n, fd, data_only, err);
	if (n == 2)
		close(fd[1]);
	*step = err[0] ? "fsync" : "fsync directory of";
	errno = err[0] ? err[0] : n == 2 ? err[1] : 0;
	return errno ? -1 : 0;
}

/* queue_commit - complete the file: size, sync, rename, sync dir; frees w */
int
queue_commit(struct queue_writer *w, struct buf *why)
{
	char digits[QUEUE_SIZE_REC + 2];
	const char *step = "write";
	const char *fail = w->tmp;
	long long size;
	int saved, fd, renamed = 0;

	if (w->data_start < 0)
		(void)queue_rec(w, 'M', NULL);
	if (queue_flush(w) < 0) {
		errno = w->err;
		goto bad;
	}
	size = (long long)queue_writer_size(w);
	snprintf(digits, sizeof(digits), "%0*lld %016llx", QUEUE_SIZE_WIDTH,
	    size, (unsigned long long)w->sum);
	if (strlen(digits) != QUEUE_SIZE_REC) {
		errno = EFBIG;
		goto bad;
	}
	if (pwrite(w->fd, digits, QUEUE_SIZE_REC, w->size_off) !=
	    QUEUE_SIZE_REC) {
		if (errno == 0)
			errno = EIO;
		goto bad;
	}
	/* A recycled file may be longer than its new content. */
	step = "truncate";
	if (w->old_size > w->pos && ftruncate(w->fd, w->pos) < 0)
		goto bad;
	/*
	 * Rename first (a reused file has its name already), then sync the
	 * file and its directory together (one wait for the disk, not two).
	 * Nobody has been told of the file yet.  A crash before both syncs
	 * are done can leave under the new id a short or empty file, or the
	 * old content of a recycled file, or a mix of old and new blocks:
	 * its size, its T record's id or its checksum then does not match,
	 * qmgr removes it (unfinished) or sets it aside in corrupt/, and the
	 * client, without its 250, sends the message again.
	 */
	step = "rename";
	if (!w->reused) {
		if (w->ds != NULL)
			dirsync_mark(w->ds, &w->ticket);
		if (rename(w->tmp, w->final) < 0)
			goto bad;
		if (w->ds != NULL)
			dirsync_after(w->ds, &w->ticket);
	}
	renamed = 1;
	fail = w->final;
	if (queue_sync_both(w, &step) < 0)
		goto bad;
	/*
	 * A reused file's lock says "still being written" (queue_busy), and
	 * qmgr hears of the file the moment we return.  Unlock it here: a
	 * close() frees the lock only with the last reference to the open
	 * file, and the kernel's AIO request of the file's sync may hold one
	 * for a moment after its answer came.
	 */
	if (w->reused)
		(void)flock(w->fd, LOCK_UN);
	step = "close";
	fd = w->fd;
	w->fd = -1;
	if (close(fd) < 0)
		goto bad;
	queue_writer_free(w);
	return 0;

bad:
	saved = errno;
	buf_setf(why, "%s %s: %s", step, fail, strerror(saved));
	(void)unlink(renamed ? w->final : w->tmp);
	queue_writer_free(w);
	errno = saved;
	return -1;
}

/* queue_abort - throw a file away */
void
queue_abort(struct queue_writer **wp)
{
	struct queue_writer *w = *wp;

	if (w == NULL)
		return;
	if (w->fd >= 0)
		(void)unlink(w->tmp);
	queue_writer_free(w);
	*wp = NULL;
}

/* queue_id_ok - does this look like one of our queue ids? */
int
queue_id_ok(const char *id)
{
	size_t n;

	for (n = 0; id[n] != '\0'; n++)
		if (!isalnum((unsigned char)id[n]) || n >= QUEUE_ID_MAX - 1)
			return 0;
	return n > 0;
}

/* queue_path - DIR/sub/id into b */
const char *
queue_path(struct buf *b, const char *dir, const char *sub, const char *id)
{
	buf_setf(b, "%s/%s/%s", dir, sub, id);
	return buf_str(b);
}

/*
 * queue_spare_add - up to n empty files in DIR/recycle, for writers to
 * take (queue_claim) where they would have made a new one: how many were
 * made.  A new file's inode is what costs the file system most when mail
 * comes fast (ext4 looks for a free inode past the ones just freed), so
 * qmgr keeps a few ready before the mail that needs them comes.
 */
int
queue_spare_add(const char *dir, int n)
{
	static int failing;		/* said once until it works again */
	struct buf *path = buf_new(256, 0);
	char id[QUEUE_ID_MAX];
	int fd, made = 0;

	for (; made < n; made++) {
		queue_new_id(id, sizeof(id));
		queue_path(path, dir, QUEUE_RECYCLE, id);
		if ((fd = open(buf_str(path), O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
			if (!failing++)
				msg_warn("create %s: %m (no more spare queue "
				    "files until it works)", buf_str(path));
			break;
		}
		failing = 0;
		(void)close(fd);
	}
	buf_free(&path);
	return made;
}

/* queue_opendir - DIR/sub, opened to read its entries; NULL with errno */
DIR *
queue_opendir(const char *dir, const char *sub)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, sub) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return opendir(path);
}

/* queue_encode - append s to b with controls, DEL and % as %XX */
void
queue_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	size_t run;

	for (p = (const unsigned char *)s; *p; ) {
		for (run = 0; p[run] >= 32 && p[run] != 127 && p[run] != '%';
		    run++)
			;
		if (run > 0) {
			buf_append(b, p, run);
			p += run;
			continue;
		}
		buf_putc(b, '%');
		buf_putc(b, hex[*p >> 4]);
		buf_putc(b, hex[*p & 15]);
		p++;
	}
}

/* queue_decode - undo queue_encode in place; a stray % stays as it is */
char *
queue_decode(char *s)
{
	char *in, *out;
	int hi, lo;

	for (in = out = s; *in; ) {
		if (*in == '%' && (hi = hex_value((unsigned char)in[1])) >= 0
		    && (lo = hex_value((unsigned char)in[2])) >= 0 &&
		    (hi | lo) != 0) {
			*out++ = (char)(hi << 4 | lo);
			in += 3;
		} else
			*out++ = *in++;
	}
	*out = '\0';
	return s;
}
