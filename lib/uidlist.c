/*
 * uidlist - the persistent UID list of a Maildir folder (see uidlist.h for
 * the file format).
 *
 * Guarantees: a UID is never given to two messages within one
 * UIDVALIDITY; UIDNEXT and the modification sequence only grow; the file
 * is changed only by appending whole lines or by an atomic rename, so a
 * reader without the lock sees either the old or the new state, never a
 * mix; a writer that died mid-line leaves a fragment that readers skip and
 * the next writer cuts off.  A file that cannot be parsed is replaced by a
 * fresh list with a new UIDVALIDITY (clients then resynchronise), never
 * half-trusted.
 *
 * Distrusted: the file's content (another program, or a crash, may have
 * left anything there): every number is bounded, every base name checked.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dec.h"
#include "msg.h"
#include "uidlist.h"
#include "util.h"

#define UIDLIST_MAGIC		"cartero-uidlist 1 "
#define UIDLIST_FILE_MAX	(512LL * 1024 * 1024)	/* sanity cap */
#define UIDLIST_DEAD		0x80000000U	/* flags: expunged */
#define UIDLIST_LOG_MIN		2000	/* rewrite after this many log lines */
#define UIDLIST_READ_CHUNK	65536

static const char uidlist_letters[] = "DFPRST";	/* FLAG_* bit order */

/* uidlist_init - an empty, unloaded list */
void
uidlist_init(struct uidlist *ul)
{
	memset(ul, 0, sizeof(*ul));
	ul->pending = buf_new(256, 0);
}

/* uidlist_clear - drop every record */
static void
uidlist_clear(struct uidlist *ul)
{
	int i;

	for (i = 0; i < ul->count; i++)
		free(ul->v[i].base);
	ul->count = 0;
	ul->holes = 0;
	ul->innew = 0;
}

/* uidlist_free - release everything */
void
uidlist_free(struct uidlist *ul)
{
	uidlist_clear(ul);
	free(ul->v);
	ul->v = NULL;
	ul->size = 0;
	buf_free(&ul->pending);
}

/* uidlist_forget - the next load reads the file whole */
void
uidlist_forget(struct uidlist *ul)
{
	ul->loaded = 0;
}

/* uidlist_base_ok - printable, no '/', ':' or blank, not too long */
int
uidlist_base_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > UIDLIST_BASE_MAX || p[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] <= 0x20 ||
		    (unsigned char)p[i] >= 0x7f || p[i] == '/' || p[i] == ':')
			return 0;
	return 1;
}

/* uidlist_info_parse - Maildir info letters to flags and keywords */
void
uidlist_info_parse(const char *info, uint32_t *flags, uint32_t *kw)
{
	const char *l;

	*flags = 0;
	*kw = 0;
	for (; *info != '\0' && *info != ' ' && *info != '\n'; info++) {
		if (*info >= 'a' && *info <= 'z')
			*kw |= 1U << (*info - 'a');
		else if (*info != '\0' &&
		    (l = strchr(uidlist_letters, *info)) != NULL)
			*flags |= 1U << (l - uidlist_letters);
	}
}

/* uidlist_info_format - flags and keywords to sorted info letters */
void
uidlist_info_format(struct buf *out, uint32_t flags, uint32_t kw)
{
	int i;

	for (i = 0; uidlist_letters[i] != '\0'; i++)
		if (flags & (1U << i))
			buf_putc(out, uidlist_letters[i]);
	for (i = 0; i < 26; i++)
		if (kw & (1U << i))
			buf_putc(out, 'a' + i);
}

/*
 * uidlist_fields - header fields "V1 N2 M3 R4 C5.6" (any subset, any
 * order) from p to end; -1 on anything else.
 */
static int
uidlist_fields(struct uidlist *ul, const char *p, const char *end,
    int first)
{
	long long v, ns;
	int key;

	while (p < end) {
		if (*p == ' ') {
			p++;
			continue;
		}
		key = *p++;
		if ((v = dec_take(&p, end, 0xffffffffffffLL)) < 0)
			return -1;
		switch (key) {
		case 'V':
			if (!first || v == 0 || v > 0xffffffffLL)
				return -1;
			ul->uidvalidity = (uint32_t)v;
			break;
		case 'N':
			if (v == 0 || v > 0xffffffffLL)
				return -1;
			if ((uint32_t)v > ul->uidnext)
				ul->uidnext = (uint32_t)v;
			break;
		case 'M':
			if ((uint64_t)v > ul->highestmodseq)
				ul->highestmodseq = (uint64_t)v;
			break;
		case 'R':
			if (v > 0xffffffffLL)
				return -1;
			ul->firstrecent = (uint32_t)v;
			break;
		case 'C':
			ns = 0;
			if (p < end && *p == '.') {
				p++;
				if ((ns = dec_take(&p, end, 999999999)) < 0)
					return -1;
			}
			ul->cur_sec = v;
			ul->cur_nsec = ns;
			break;
		default:
			return -1;
		}
		if (p < end && *p != ' ')
			return -1;
	}
	if (first && ul->uidvalidity == 0)
		return -1;
	return 0;
}

/* uidlist_grow - room for one more record */
static void
uidlist_grow(struct uidlist *ul)
{
	if (ul->count < ul->size)
		return;
	ul->size = ul->size ? ul->size * 2 : 256;
	ul->v = xrealloc(ul->v, (size_t)ul->size * sizeof(*ul->v));
}

/* uidlist_rec_uid - the UID a record begins with */
static uint32_t
uidlist_rec_uid(const void *rec)
{
	uint32_t uid;

	memcpy(&uid, rec, sizeof(uid));
	return uid;
}

/* uidlist_cmp - qsort: records by the UID they begin with */
int
uidlist_cmp(const void *a, const void *b)
{
	uint32_t x = uidlist_rec_uid(a), y = uidlist_rec_uid(b);

	return x < y ? -1 : x > y;
}

/* uidlist_search - binary search of records sorted by UID: index or -1 */
int
uidlist_search(const void *v, int n, size_t size, uint32_t uid)
{
	const char *base = v;
	int lo = 0, hi = n - 1, mid;
	uint32_t at;

	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		at = uidlist_rec_uid(base + (size_t)mid * size);
		if (at == uid)
			return mid;
		if (at < uid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* uidlist_find - the index of a live UID, or -1 */
int
uidlist_find(const struct uidlist *ul, uint32_t uid)
{
	_Static_assert(offsetof(struct uidlist_rec, uid) == 0, "uid first");
	int i = uidlist_search(ul->v, ul->count, sizeof(*ul->v), uid);

	return i >= 0 && (ul->v[i].flags & UIDLIST_DEAD) ? -1 : i;
}

/*
 * uidlist_find_near - the index of a live UID, or -1; hint is where the
 * caller expects it (the index after the previous one when it walks the
 * list in UID order), tried before the binary search.
 */
int
uidlist_find_near(const struct uidlist *ul, uint32_t uid, int hint)
{
	if (hint >= 0 && hint < ul->count && ul->v[hint].uid == uid)
		return (ul->v[hint].flags & UIDLIST_DEAD) ? -1 : hint;
	return uidlist_find(ul, uid);
}

/*
 * uidlist_find_innew - the index of a live record of a file still in new/
 * (UIDLIST_INNEW) with this base, or -1; from the newest down, as such
 * records are few and recent.  stop: records below it are not looked at.
 */
int
uidlist_find_innew(const struct uidlist *ul, const char *base, int stop)
{
	int i;

	for (i = ul->count - 1; i >= stop && i >= 0; i--)
		if ((ul->v[i].flags & (UIDLIST_INNEW | UIDLIST_DEAD)) ==
		    UIDLIST_INNEW && strcmp(ul->v[i].base, base) == 0)
			return i;
	return -1;
}

/* uidlist_first_innew - the lowest index of a live new/ record, or -1 */
int
uidlist_first_innew(const struct uidlist *ul)
{
	int i;

	if (ul->innew == 0)
		return -1;
	for (i = 0; i < ul->count; i++)
		if ((ul->v[i].flags & (UIDLIST_INNEW | UIDLIST_DEAD)) ==
		    UIDLIST_INNEW)
			return i;
	return -1;
}

/*
 * uidlist_apply - one line of the file (without its newline); -1 when
 * it does not parse or does not fit what came before.
 */
static int
uidlist_apply(struct uidlist *ul, const char *p, const char *end,
    int snapshot)
{
	struct uidlist_rec *r;
	const char *q;
	long long uid, modseq;
	uint32_t flags, kw;
	char info[64];
	int op = ' ', i;
	size_t len;

	if (p == end)
		return -1;
	if (!snapshot) {
		op = *p++;
		if (op == 'H')
			return uidlist_fields(ul, p, end, 0);
		if (op != '+' && op != '=' && op != '-')
			return -1;
	}
	if ((uid = dec_take(&p, end, 0xffffffffLL)) <= 0 ||
	    p >= end || *p++ != ' ' ||
	    (modseq = dec_take(&p, end, 0xffffffffffffLL)) < 0)
		return -1;
	if ((uint64_t)modseq > ul->highestmodseq)
		ul->highestmodseq = (uint64_t)modseq;
	if (op == '-') {
		if (p != end)
			return -1;
		if ((i = uidlist_find(ul, (uint32_t)uid)) >= 0) {
			if (ul->v[i].flags & UIDLIST_INNEW)
				ul->innew--;
			ul->v[i].flags |= UIDLIST_DEAD;
			ul->holes++;
		}
		return 0;
	}
	if (p >= end || *p++ != ' ')
		return -1;
	for (q = p; q < end && *q != ' '; q++)
		;
	len = (size_t)(q - p);
	if (len == 0 || len >= sizeof(info))
		return -1;
	memcpy(info, p, len);
	info[len] = '\0';
	if (strcmp(info, "-") == 0)
		info[0] = '\0';
	uidlist_info_parse(info, &flags, &kw);
	if (strchr(info, 'N') != NULL)
		flags |= UIDLIST_INNEW;
	p = q;
	if (op == '=') {
		if (p != end)
			return -1;
		if ((i = uidlist_find(ul, (uint32_t)uid)) >= 0) {
			ul->innew += ((flags & UIDLIST_INNEW) != 0) -
			    ((ul->v[i].flags & UIDLIST_INNEW) != 0);
			ul->v[i].flags = flags;
			ul->v[i].kw = kw;
			ul->v[i].modseq = (uint64_t)modseq;
		}
		return 0;
	}
	/* A message: snapshot or '+'. */
	if (p >= end || *p++ != ' ' || !uidlist_base_ok(p, (size_t)(end - p)))
		return -1;
	if (ul->count > 0 && ul->v[ul->count - 1].uid >= (uint32_t)uid)
		return -1;
	uidlist_grow(ul);
	r = &ul->v[ul->count++];
	r->uid = (uint32_t)uid;
	r->flags = flags;
	r->kw = kw;
	r->modseq = (uint64_t)modseq;
	r->base = xstrndup(p, (size_t)(end - p));
	if (flags & UIDLIST_INNEW)
		ul->innew++;
	if ((uint32_t)uid >= ul->uidnext)
		ul->uidnext = (uint32_t)uid + 1;
	return 0;
}

/*
 * uidlist_stands_for - the list is loaded and stands for the file (dev,
 * ino) up to offset (0, 0, 0: a list no file holds yet)
 */
static void
uidlist_stands_for(struct uidlist *ul, dev_t dev, ino_t ino, off_t offset)
{
	ul->loaded = 1;
	ul->dev = dev;
	ul->ino = ino;
	ul->offset = offset;
}

/*
 * uidlist_fresh - an empty list with a new UIDVALIDITY, to be written
 * whole by the next commit.
 */
static void
uidlist_fresh(struct uidlist *ul)
{
	uint32_t old = ul->uidvalidity, now = (uint32_t)time(NULL);

	uidlist_clear(ul);
	ul->uidvalidity = now > old ? now : old + 1;
	ul->uidnext = 1;
	ul->firstrecent = 1;
	ul->highestmodseq = 1;
	ul->cur_sec = ul->cur_nsec = 0;
	uidlist_stands_for(ul, 0, 0, 0);
	ul->nlog = 0;
	ul->rewrite = 1;
	buf_reset(ul->pending);
}

/*
 * uidlist_read_at - bytes from offset to the end of the file.  They are
 * read straight into out when the caller made it big enough (no copy,
 * and no big buffer on the stack of a long-lived idle session), else
 * through a chunk.
 */
static int
uidlist_read_at(int fd, off_t off, off_t end, struct buf *out)
{
	char	*chunk = NULL;
	size_t	 want;
	ssize_t	 n;

	buf_reset(out);
	while (off < end) {
		want = (size_t)(end - off);
		if (out->size - out->len > want) {
			n = pread(fd, out->data + out->len, want, off);
			if (n > 0) {
				out->len += (size_t)n;
				out->data[out->len] = '\0';
			}
		} else {
			if (chunk == NULL)
				chunk = xmalloc(UIDLIST_READ_CHUNK);
			n = pread(fd, chunk, want < UIDLIST_READ_CHUNK ? want :
			    UIDLIST_READ_CHUNK, off);
			if (n > 0)
				buf_append(out, chunk, (size_t)n);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(chunk);
			return -1;
		}
		if (n == 0)
			break;
		off += n;
	}
	free(chunk);
	return 0;
}

/*
 * uidlist_parse - apply text read at the given offset: whole lines only.
 * Returns the number of bytes used, or -1 on a line that does not parse.
 */
static long long
uidlist_parse(struct uidlist *ul, const char *text, size_t len, int whole)
{
	const char *p = text, *end = text + len, *nl;
	int snapshot = 0;

	if (whole) {
		if ((nl = memchr(p, '\n', len)) == NULL ||
		    (size_t)(nl - p) < sizeof(UIDLIST_MAGIC) - 1 ||
		    memcmp(p, UIDLIST_MAGIC, sizeof(UIDLIST_MAGIC) - 1) != 0 ||
		    uidlist_fields(ul, p + sizeof(UIDLIST_MAGIC) - 1, nl,
		    1) < 0)
			return -1;
		p = nl + 1;
		snapshot = 1;
	}
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (snapshot && (*p == '+' || *p == '=' || *p == '-' ||
		    *p == 'H'))
			snapshot = 0;
		if (uidlist_apply(ul, p, nl, snapshot) < 0)
			return -1;
		if (!snapshot)
			ul->nlog++;
		p = nl + 1;
	}
	return (long long)(p - text);
}

/* uidlist_load - catch up with the file (see uidlist.h) */
int
uidlist_load(struct uidlist *ul, int dirfd, struct buf *why)
{
	struct stat	 st;
	struct buf	*text;
	long long	 used;
	int		 fd, whole;

	if (buf_len(ul->pending) > 0)
		msg_panic("uidlist_load: uncommitted changes");
	/* The same file, nothing appended (before every command): done. */
	if (ul->loaded && ul->ino != 0 && fstatat(dirfd, UIDLIST_FILE, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	    st.st_ino == ul->ino && st.st_dev == ul->dev &&
	    st.st_size == ul->offset)
		return 0;
	fd = openat(dirfd, UIDLIST_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT && errno != ELOOP) {
			buf_setf(why, "open %s: %s", UIDLIST_FILE,
			    strerror(errno));
			return -1;
		}
		if (ul->loaded && ul->ino == 0)
			return 0;	/* still none */
		uidlist_fresh(ul);
		return 1;
	}
	if (fstat(fd, &st) < 0) {
		buf_setf(why, "fstat %s: %s", UIDLIST_FILE, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > UIDLIST_FILE_MAX) {
		msg_warn("%s: not a regular file of a sane size: starting a "
		    "new UID list", UIDLIST_FILE);
		close(fd);
		uidlist_fresh(ul);
		return 1;
	}
	whole = !ul->loaded || ul->ino != st.st_ino || ul->dev != st.st_dev ||
	    st.st_size < ul->offset;
	if (!whole && st.st_size == ul->offset) {
		close(fd);
		return 0;
	}
	text = buf_new((size_t)(st.st_size - (whole ? 0 : ul->offset)) + 1, 0);
	if (!whole) {
		if (uidlist_read_at(fd, ul->offset, st.st_size, text) < 0)
			goto readerr;
		used = uidlist_parse(ul, buf_str(text), buf_len(text), 0);
		if (used >= 0) {
			close(fd);
			buf_free(&text);
			ul->offset += used;
			if (ul->holes > 0)
				uidlist_compact(ul);
			return used > 0;
		}
		/* A log we cannot follow: read it all again. */
	}
	if (uidlist_read_at(fd, 0, st.st_size, text) < 0)
		goto readerr;
	close(fd);
	uidlist_clear(ul);
	ul->uidnext = 1;
	ul->highestmodseq = 0;
	ul->firstrecent = 1;
	ul->cur_sec = ul->cur_nsec = 0;
	ul->nlog = 0;
	ul->rewrite = 0;
	used = uidlist_parse(ul, buf_str(text), buf_len(text), 1);
	buf_free(&text);
	if (used < 0) {
		msg_warn("%s: cannot be parsed: starting a new UID list",
		    UIDLIST_FILE);
		uidlist_fresh(ul);
		return 1;
	}
	uidlist_stands_for(ul, st.st_dev, st.st_ino, used);
	if (ul->holes > 0)
		uidlist_compact(ul);
	if (ul->firstrecent > ul->uidnext)
		ul->firstrecent = ul->uidnext;
	return 1;
readerr:
	buf_setf(why, "read %s: %s", UIDLIST_FILE, strerror(errno));
	close(fd);
	buf_free(&text);
	return -1;
}

/* uidlist_log - queue one log line */
static void
uidlist_log(struct uidlist *ul, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
uidlist_log(struct uidlist *ul, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vappendf(ul->pending, fmt, ap);
	va_end(ap);
}

/* uidlist_info_text - the info field of a record: letters or "-" */
static void
uidlist_info_text(struct buf *out, uint32_t flags, uint32_t kw)
{
	size_t before = buf_len(out);

	uidlist_info_format(out, flags & FLAG_ALL, kw);
	if (flags & UIDLIST_INNEW)
		buf_putc(out, 'N');
	if (buf_len(out) == before)
		buf_putc(out, '-');
}

/* uidlist_add - a new message under the next UID */
uint32_t
uidlist_add(struct uidlist *ul, const char *base, uint32_t flags,
    uint32_t kw)
{
	struct uidlist_rec *r;

	if (ul->uidnext == 0xffffffffU)
		msg_panic("uidlist_add: UIDs exhausted");
	uidlist_grow(ul);
	r = &ul->v[ul->count++];
	r->uid = ul->uidnext++;
	r->flags = flags & (FLAG_ALL | UIDLIST_INNEW);
	if (r->flags & UIDLIST_INNEW)
		ul->innew++;
	r->kw = kw;
	r->modseq = ++ul->highestmodseq;
	r->base = xstrdup(base);
	uidlist_log(ul, "+%u %llu ", r->uid, (unsigned long long)r->modseq);
	uidlist_info_text(ul->pending, r->flags, r->kw);
	uidlist_log(ul, " %s\n", base);
	return r->uid;
}

/* uidlist_set_flags - new flags for a record */
void
uidlist_set_flags(struct uidlist *ul, int i, uint32_t flags, uint32_t kw)
{
	struct uidlist_rec *r = &ul->v[i];

	if (r->flags & UIDLIST_INNEW)
		ul->innew--;
	r->flags = flags & FLAG_ALL;
	r->kw = kw;
	r->modseq = ++ul->highestmodseq;
	uidlist_log(ul, "=%u %llu ", r->uid, (unsigned long long)r->modseq);
	uidlist_info_text(ul->pending, r->flags, r->kw);
	buf_putc(ul->pending, '\n');
}

/* uidlist_expunge - a record goes (removed by uidlist_compact) */
void
uidlist_expunge(struct uidlist *ul, int i)
{
	struct uidlist_rec *r = &ul->v[i];

	if (r->flags & UIDLIST_DEAD)
		return;
	if (r->flags & UIDLIST_INNEW)
		ul->innew--;
	r->flags |= UIDLIST_DEAD;
	ul->holes++;
	uidlist_log(ul, "-%u %llu\n", r->uid,
	    (unsigned long long)++ul->highestmodseq);
}

/* uidlist_compact - remove expunged records */
void
uidlist_compact(struct uidlist *ul)
{
	int i, j;

	for (i = j = 0; i < ul->count; i++) {
		if (ul->v[i].flags & UIDLIST_DEAD) {
			free(ul->v[i].base);
			continue;
		}
		ul->v[j++] = ul->v[i];
	}
	ul->count = j;
	ul->holes = 0;
}

/* uidlist_set_header - new firstrecent and cur/ mtime */
void
uidlist_set_header(struct uidlist *ul, uint32_t firstrecent, long long sec,
    long long nsec)
{
	if (firstrecent == ul->firstrecent && sec == ul->cur_sec &&
	    nsec == ul->cur_nsec)
		return;
	ul->firstrecent = firstrecent;
	ul->cur_sec = sec;
	ul->cur_nsec = nsec;
	uidlist_log(ul, "H N%u M%llu R%u C%lld.%09lld\n", ul->uidnext,
	    (unsigned long long)ul->highestmodseq, ul->firstrecent,
	    ul->cur_sec, ul->cur_nsec);
}

/* uidlist_count_lines - newlines in a buffer */
static int
uidlist_count_lines(const struct buf *b)
{
	const char *p = buf_str(b), *end = p + buf_len(b);
	int n = 0;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* uidlist_write_whole - the snapshot, to a temporary file, renamed */
static int
uidlist_write_whole(struct uidlist *ul, int dirfd, struct buf *why)
{
	struct buf	*out;
	struct stat	 st;
	int		 i, r = -1;

	uidlist_compact(ul);
	out = buf_new(64 + (size_t)ul->count * 64, 0);
	buf_appendf(out, "%sV%u N%u M%llu R%u C%lld.%09lld\n", UIDLIST_MAGIC,
	    ul->uidvalidity, ul->uidnext,
	    (unsigned long long)ul->highestmodseq, ul->firstrecent,
	    ul->cur_sec, ul->cur_nsec);
	for (i = 0; i < ul->count; i++) {
		buf_appendf(out, "%u %llu ", ul->v[i].uid,
		    (unsigned long long)ul->v[i].modseq);
		uidlist_info_text(out, ul->v[i].flags, ul->v[i].kw);
		buf_appendf(out, " %s\n", ul->v[i].base);
	}
	if (file_replace_at(dirfd, NULL, UIDLIST_FILE, out, &st, why) == 0) {
		uidlist_stands_for(ul, st.st_dev, st.st_ino, st.st_size);
		ul->nlog = 0;
		ul->rewrite = 0;
		buf_reset(ul->pending);
		r = 0;
	}
	buf_free(&out);
	return r;
}

/* uidlist_commit - write what changed (the caller holds the lock) */
int
uidlist_commit(struct uidlist *ul, int dirfd, struct buf *why)
{
	struct stat	 st;
	int		 fd;

	if (ul->holes > 0 && buf_len(ul->pending) == 0)
		uidlist_compact(ul);
	if (ul->rewrite || (ul->nlog > UIDLIST_LOG_MIN &&
	    ul->nlog > ul->count))
		return uidlist_write_whole(ul, dirfd, why);
	if (buf_len(ul->pending) == 0)
		return 0;
	fd = openat(dirfd, UIDLIST_FILE, O_WRONLY | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_ino != ul->ino ||
	    st.st_dev != ul->dev || st.st_size < ul->offset) {
		/* Not the file we read: write ours whole. */
		fd_close(&fd);
		return uidlist_write_whole(ul, dirfd, why);
	}
	/* A fragment a dead writer left: cut it off. */
	if (st.st_size > ul->offset && ftruncate(fd, ul->offset) < 0) {
		close(fd);
		return uidlist_write_whole(ul, dirfd, why);
	}
	if (write_full(fd, buf_str(ul->pending), buf_len(ul->pending)) < 0) {
		buf_setf(why, "append to %s: %s", UIDLIST_FILE,
		    strerror(errno));
		/* Leave no fragment: the next reader would stop there. */
		(void)ftruncate(fd, ul->offset);
		close(fd);
		buf_reset(ul->pending);
		ul->loaded = 0;
		return -1;
	}
	close(fd);
	ul->offset += (off_t)buf_len(ul->pending);
	ul->nlog += uidlist_count_lines(ul->pending);
	buf_reset(ul->pending);
	if (ul->holes > 0)
		uidlist_compact(ul);
	return 0;
}
