/*
 * mailbox_cache - a folder's cache of what FETCH needs most: RFC822.SIZE,
 * INTERNALDATE, ENVELOPE, BODY, BODYSTRUCTURE and the header fields that
 * clients list in their HEADER.FIELDS, per UID, in FOLDER/cartero-cache.
 *
 * The file: a line "cartero-cache 1 V<uidvalidity>", then records
 *	R<uid> <size> <idate> <len1> <len2> <len3> <len4>\n
 *	<envelope><body><bodystructure><headers>\n
 * A record whose lengths are all 0 holds the size alone: pop3 writes
 * those (it needs nothing else); FETCH counts them as misses, and the
 * whole record it then appends is the newer one.
 * appended with O_APPEND in one write each batch (the kernel keeps
 * concurrent appends whole).  A message file never changes under its
 * UID, so a record stays right until the message is expunged; records of
 * expunged UIDs are dropped when they make up most of the file (rewrite
 * under the folder's lock, temporary file, rename).  A file of another
 * UIDVALIDITY, or one whose records stop making sense (a crash mid-write),
 * is replaced, never half-trusted.
 *
 * A session indexes the file (UID to offset) once and then only what was
 * appended; the mapping stays from one command to the next (the file is
 * only stat()ed again) but its pages are dropped from the process after
 * each command (madvise), so an idle session holds no cache pages.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dec.h"
#include "mailbox.h"
#include "msg.h"
#include "util.h"

#define CACHE_MAGIC		"cartero-cache 1 V"
#define CACHE_FIELD_MAX		(16 * 1024 * 1024)	/* one value */
#define CACHE_FILE_MAX		(2LL * 1024 * 1024 * 1024)
#define CACHE_PENDING_MAX	(4 * 1024 * 1024)	/* flush beyond */

struct mailbox_cache_idx {
	uint32_t	 uid;
	off_t		 off;
};

struct mailbox_cache {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 indexed;	/* bytes of the file indexed */
	int		 broken;	/* stopped at a bad record */
	int		 checked;	/* the file looked at this command */
	struct mailbox_cache_idx *idx;
	int		 count, size, sorted;
	char		*map;
	size_t		 maplen;
	struct buf	*pending;
};

/* mailbox_cache_new - the session's cache state */
static struct mailbox_cache *
mailbox_cache_new(void)
{
	struct mailbox_cache *c = xcalloc(1, sizeof(*c));

	c->pending = buf_new(4096, 0);
	c->sorted = 1;
	return c;
}

/* mailbox_cache_unmap - drop the mapping */
static void
mailbox_cache_unmap(struct mailbox_cache *c)
{
	if (c->map != NULL)
		(void)munmap(c->map, c->maplen);
	c->map = NULL;
	c->maplen = 0;
}

/* mailbox_cache_reset - forget the index (a new or replaced file) */
static void
mailbox_cache_reset(struct mailbox_cache *c)
{
	mailbox_cache_unmap(c);
	c->count = 0;
	c->sorted = 1;
	c->indexed = 0;
	c->broken = 0;
	c->dev = 0;
	c->ino = 0;
}

/* mailbox_cache_free - release */
void
mailbox_cache_free(struct mailbox_cache **cp)
{
	struct mailbox_cache *c = *cp;

	if (c == NULL)
		return;
	mailbox_cache_unmap(c);
	free(c->idx);
	buf_free(&c->pending);
	free(c);
	*cp = NULL;
}

/*
 * mailbox_cache_parse - the record at p: its fields, and the offset just
 * past it.  -1 when it is not a whole, sane record.
 */
static int
mailbox_cache_parse(const char *base, size_t len, off_t off,
    struct mailbox_cached *rec, off_t *next)
{
	const char	*p = base + off, *end = base + len, *data;
	long long	 v[7], total = 0;
	int		 i;

	if (p >= end || *p++ != 'R')
		return -1;
	for (i = 0; i < 7; i++) {
		if (i > 0 && (p >= end || *p++ != ' '))
			return -1;
		v[i] = dec_take(&p, end, i == 0 ? 0xffffffffLL :
		    i < 3 ? 0x7fffffffffffLL : CACHE_FIELD_MAX);
		if (v[i] < 0)
			return -1;
		if (i >= 3)
			total += v[i];
	}
	if (p >= end || *p++ != '\n' || v[0] == 0)
		return -1;
	data = p;
	if ((long long)(end - data) < total + 1 || data[total] != '\n')
		return -1;
	rec->uid = (uint32_t)v[0];
	rec->size = v[1];
	rec->idate = v[2];
	rec->envelope = data;
	rec->envelope_len = (size_t)v[3];
	rec->body = data + v[3];
	rec->body_len = (size_t)v[4];
	rec->bodystructure = rec->body + v[4];
	rec->bodystructure_len = (size_t)v[5];
	rec->headers = rec->bodystructure + v[5];
	rec->headers_len = (size_t)v[6];
	*next = (off_t)(data + total + 1 - base);
	return 0;
}

/* mailbox_cache_idx_cmp - by UID, then by offset (the newest last) */
static int
mailbox_cache_idx_cmp(const void *a, const void *b)
{
	const struct mailbox_cache_idx *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * mailbox_cache_refresh - (once a command) map the file and index what is
 * new in it.  0 with the file mapped, -1 when there is no usable file.
 */
static int
mailbox_cache_refresh(struct mailbox *mb)
{
	struct mailbox_cache	*c = mb->cache;
	struct mailbox_cached	 rec;
	struct stat		 st;
	const char		*p;
	off_t			 off, next;
	long long		 v;
	int			 fd;

	if (c->checked)
		return c->map != NULL ? 0 : -1;
	c->checked = 1;
	/* Still mapped from an earlier command and the file as it was? */
	if (c->map != NULL && fstatat(mb->dirfd, MAILBOX_CACHE_FILE, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    st.st_ino == c->ino && st.st_dev == c->dev &&
	    st.st_size == (off_t)c->maplen)
		return 0;
	mailbox_cache_unmap(c);
	fd = openat(mb->dirfd, MAILBOX_CACHE_FILE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0) {
		mailbox_cache_reset(c);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    st.st_size > CACHE_FILE_MAX) {
		close(fd);
		mailbox_cache_reset(c);
		return -1;
	}
	if (st.st_ino != c->ino || st.st_dev != c->dev ||
	    st.st_size < c->indexed)
		mailbox_cache_reset(c);
	c->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		return -1;
	}
	c->maplen = (size_t)st.st_size;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	if (c->indexed == 0) {
		/* The header: our UIDVALIDITY, or the file is not ours. */
		p = c->map + sizeof(CACHE_MAGIC) - 1;
		if (c->maplen < sizeof(CACHE_MAGIC) ||
		    memcmp(c->map, CACHE_MAGIC, sizeof(CACHE_MAGIC) - 1) != 0 ||
		    (v = dec_take(&p, c->map + c->maplen,
		    0xffffffffLL)) < 0 || (uint32_t)v != mb->ul.uidvalidity ||
		    p >= c->map + c->maplen || *p != '\n') {
			c->broken = 1;
			mailbox_cache_unmap(c);
			return -1;
		}
		c->indexed = (off_t)(p + 1 - c->map);
	}
	for (off = c->indexed; !c->broken && (size_t)off < c->maplen;
	    off = next) {
		if (mailbox_cache_parse(c->map, c->maplen, off, &rec,
		    &next) < 0) {
			/* A torn append may still be completing: stop. */
			c->broken = 1;
			break;
		}
		if (c->count == c->size) {
			c->size = c->size ? c->size * 2 : 1024;
			c->idx = xrealloc(c->idx, (size_t)c->size *
			    sizeof(*c->idx));
		}
		if (c->count > 0 && c->idx[c->count - 1].uid >= rec.uid)
			c->sorted = 0;
		c->idx[c->count].uid = rec.uid;
		c->idx[c->count].off = off;
		c->count++;
		c->indexed = next;
	}
	if (!c->sorted) {
		qsort(c->idx, (size_t)c->count, sizeof(*c->idx),
		    mailbox_cache_idx_cmp);
		c->sorted = 1;
	}
	return 0;
}

/* mailbox_cache_find - the newest record of a UID, whole or size only */
static int
mailbox_cache_find(struct mailbox *mb, uint32_t uid,
    struct mailbox_cached *rec)
{
	struct mailbox_cache *c;
	off_t next;
	int lo, hi, mid, found = -1;

	if (mb->cache == NULL)
		mb->cache = mailbox_cache_new();
	c = mb->cache;
	if (mailbox_cache_refresh(mb) < 0)
		return 0;
	lo = 0;
	hi = c->count - 1;
	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		if (c->idx[mid].uid < uid)
			lo = mid + 1;
		else {
			if (c->idx[mid].uid == uid)
				found = mid;
			hi = mid - 1;
		}
	}
	if (found < 0)
		return 0;
	/* The newest of several records for one UID. */
	while (found + 1 < c->count && c->idx[found + 1].uid == uid)
		found++;
	return mailbox_cache_parse(c->map, c->maplen, c->idx[found].off, rec,
	    &next) == 0;
}

/*
 * mailbox_cache_get - the whole record of a UID (see mailbox.h).  A size
 * record (no ENVELOPE: a whole one never lacks it) is a miss here.
 */
int
mailbox_cache_get(struct mailbox *mb, uint32_t uid,
    struct mailbox_cached *rec)
{
	return mailbox_cache_find(mb, uid, rec) && rec->envelope_len > 0;
}

/* mailbox_cache_size - the size of a UID from any record, or -1 */
long long
mailbox_cache_size(struct mailbox *mb, uint32_t uid)
{
	struct mailbox_cached rec;

	return mailbox_cache_find(mb, uid, &rec) ? rec.size : -1;
}

/* mailbox_cache_put_size - a size record (see mailbox.h) */
void
mailbox_cache_put_size(struct mailbox *mb, uint32_t uid, long long size)
{
	struct mailbox_cached rec;

	memset(&rec, 0, sizeof(rec));
	rec.uid = uid;
	rec.size = size;
	rec.envelope = rec.body = rec.bodystructure = rec.headers = "";
	mailbox_cache_put(mb, &rec);
}

/* mailbox_cache_put - queue a record for the next flush */
void
mailbox_cache_put(struct mailbox *mb, const struct mailbox_cached *rec)
{
	struct buf *b;

	if (mb->cache == NULL)
		mb->cache = mailbox_cache_new();
	b = mb->cache->pending;
	if (rec->envelope_len > CACHE_FIELD_MAX ||
	    rec->body_len > CACHE_FIELD_MAX ||
	    rec->bodystructure_len > CACHE_FIELD_MAX ||
	    rec->headers_len > CACHE_FIELD_MAX)
		return;
	buf_appendf(b, "R%u %lld %lld %zu %zu %zu %zu\n", rec->uid, rec->size,
	    rec->idate, rec->envelope_len, rec->body_len,
	    rec->bodystructure_len, rec->headers_len);
	buf_append(b, rec->envelope, rec->envelope_len);
	buf_append(b, rec->body, rec->body_len);
	buf_append(b, rec->bodystructure, rec->bodystructure_len);
	buf_append(b, rec->headers, rec->headers_len);
	buf_putc(b, '\n');
	if (buf_len(b) > CACHE_PENDING_MAX)
		mailbox_cache_flush(mb);
}

/*
 * mailbox_cache_rewrite - a new file with the live records of the old
 * one (if any) and the pending ones; the lock is held.
 */
static void
mailbox_cache_rewrite(struct mailbox *mb)
{
	struct mailbox_cache	*c = mb->cache;
	struct mailbox_cached	 rec;
	struct buf		*out, *why;
	off_t			 next;
	int			 i;

	out = buf_new(4096, 0);
	buf_appendf(out, "%s%u\n", CACHE_MAGIC, mb->ul.uidvalidity);
	mailbox_cache_reset(c);
	c->checked = 0;
	if (mailbox_cache_refresh(mb) == 0) {
		for (i = 0; i < c->count; i++) {
			if (i + 1 < c->count && c->idx[i + 1].uid ==
			    c->idx[i].uid)
				continue;	/* an older duplicate */
			if (uidlist_find(&mb->ul, c->idx[i].uid) < 0)
				continue;	/* expunged */
			if (mailbox_cache_parse(c->map, c->maplen,
			    c->idx[i].off, &rec, &next) == 0)
				buf_append(out, c->map + c->idx[i].off,
				    (size_t)(next - c->idx[i].off));
		}
	}
	buf_append(out, buf_str(c->pending), buf_len(c->pending));
	buf_reset(c->pending);
	why = buf_new(64, 0);
	if (file_replace_at(mb->dirfd, mb->path, MAILBOX_CACHE_FILE, out, NULL,
	    why) < 0)
		msg_warn("%s", buf_str(why));
	mailbox_cache_reset(c);
	c->checked = 0;
	buf_free(&out);
	buf_free(&why);
}

/* mailbox_cache_dead - do expunged records make up most of the file? */
static int
mailbox_cache_dead(struct mailbox *mb)
{
	struct mailbox_cache *c = mb->cache;
	int i, dead = 0;

	if (c->count < 256)
		return 0;
	for (i = 0; i < c->count; i++)
		if (uidlist_find(&mb->ul, c->idx[i].uid) < 0 ||
		    (i + 1 < c->count && c->idx[i + 1].uid == c->idx[i].uid))
			dead++;
	return dead > c->count / 2;
}

/* mailbox_cache_flush - append the pending records (see mailbox.h) */
void
mailbox_cache_flush(struct mailbox *mb)
{
	struct mailbox_cache	*c = mb->cache;
	struct stat		 st;
	struct buf		*why;
	int			 fd, locked = 0, replace;

	if (c == NULL)
		return;
	c->checked = 0;
	replace = c->broken || (mb->locked > 0 && c->count > 0 &&
	    mailbox_cache_dead(mb));
	if (buf_len(c->pending) == 0 && !replace)
		return;
	fd = openat(mb->dirfd, MAILBOX_CACHE_FILE, O_WRONLY | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0)
		replace = 1;
	else if (c->ino != 0 && st.st_ino != c->ino)
		replace = 0;	/* someone rewrote it: append to theirs */
	if (replace) {
		fd_close(&fd);
		why = buf_new(64, 0);
		if (mb->locked == 0) {
			if (mailbox_lock(mb, why) < 0) {
				buf_reset(c->pending);
				buf_free(&why);
				return;
			}
			locked = 1;
		}
		mailbox_cache_rewrite(mb);
		if (locked)
			mailbox_unlock(mb);
		buf_free(&why);
		return;
	}
	if (write_full(fd, buf_str(c->pending), buf_len(c->pending)) < 0)
		msg_warn("append to %s/%s: %m", mb->path, MAILBOX_CACHE_FILE);
	close(fd);
	buf_reset(c->pending);
}

/*
 * mailbox_cache_release - between commands: the pages leave the process
 * (they stay in the page cache), the mapping stays for the next command,
 * which only checks that the file is still the same.
 */
void
mailbox_cache_release(struct mailbox *mb)
{
	struct mailbox_cache *c = mb->cache;

	if (c == NULL)
		return;
	if (c->map != NULL && madvise(c->map, c->maplen, MADV_DONTNEED) < 0)
		mailbox_cache_unmap(c);
	c->checked = 0;
}
