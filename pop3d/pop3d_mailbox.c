/*
 * pop3d_mailbox - the Maildir behind a POP3 session (the INBOX only).
 *
 * A session locks the Maildir (flock on POP3D_LOCK_FILE: the kernel drops
 * it when the process dies, so a crash never leaves a mailbox locked),
 * scans new/ and cur/ once, and from then on works on that list: mail
 * delivered during the session shows up in the next one, as RFC 1939
 * wants.  The list is in delivery order, taken from the time stamp that
 * starts a Maildir name.
 *
 * Sizes are what RETR sends: every line ends in CRLF whatever the file
 * holds (LF or CRLF), dot-stuffing not counted.  local writes ",S=" as the
 * file's byte size, which is not that, so a size comes from ",W=" in the
 * name (Dovecot's field for exactly this) or from counting the file's
 * bare LFs once; counted sizes are kept in POP3D_SIZES_FILE, keyed by the
 * UIDL, so later sessions open no file until RETR.  Maildir files never
 * change under one name, so a cached size stays right.
 *
 * UIDL is the Maildir unique name: the file name before ":2," without
 * ",S=" / ",W=" fields.  It stays the same across sessions, restarts and
 * the move from new/ to cur/.
 *
 * DELE only marks; pop3d_mailbox_update() (QUIT, the UPDATE state)
 * unlinks the marked files and moves retrieved ones from new/ to
 * cur/NAME:2,S (seen), so a dropped connection changes nothing.  Another
 * program may rename (flags) or remove a file meanwhile: a missing file is
 * looked for again under its unique name before it counts as removed.
 *
 * This runs as the mailbox's owner (never root); files are opened
 * relative to the Maildir's directories and without following symlinks.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "maildir.h"
#include "msg.h"
#include "util.h"
#include "pop3d.h"

#define POP3D_SIZES_MAX		(64 * 1024 * 1024)	/* cache file cap */
/* Output: each input octet gives at most two ('\n' to CRLF, a leading
 * '.' doubled), and the end adds CRLF ".CRLF". */
#define POP3D_OBUF		(2 * POP3D_CHUNK + 16)

/* One line of the size cache. */
struct pop3d_size {
	char		*uidl;
	long long	 size;
};

struct pop3d_sizes {
	struct pop3d_size *v;
	int		 count;
	int		 size;
	char		*text;		/* the file; uidl points into it */
};

/* pop3d_mailbox_hash - FNV-1a, for UIDLs made from unusable names */
static unsigned long long
pop3d_mailbox_hash(const char *p, size_t len, unsigned long long h)
{
	while (len-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * pop3d_mailbox_uidl - the UIDL of a Maildir file name: the part before
 * ':' less trailing ",X=value" fields.  A name that RFC 1939 would not
 * allow (over 70 octets, or octets outside 0x21-0x7e) gives a hash of it.
 */
void
pop3d_mailbox_uidl(const char *name, struct buf *out)
{
	const char	*colon, *p, *comma;
	size_t		 len, i;
	int		 good = 1;

	colon = strchr(name, ':');
	len = colon != NULL ? (size_t)(colon - name) : strlen(name);
	for (;;) {
		comma = NULL;
		for (p = name; p < name + len; p++)
			if (*p == ',')
				comma = p;
		if (comma == NULL || comma + 2 >= name + len ||
		    !isupper((unsigned char)comma[1]) || comma[2] != '=' ||
		    comma == name)
			break;
		len = (size_t)(comma - name);
	}
	if (len == 0 || len > POP3D_UIDL_MAX)
		good = 0;
	for (i = 0; good && i < len; i++)
		if ((unsigned char)name[i] < 0x21 ||
		    (unsigned char)name[i] > 0x7e)
			good = 0;
	buf_reset(out);
	if (good) {
		buf_append(out, name, len);
		return;
	}
	buf_appendf(out, "H%016llx%016llx",
	    pop3d_mailbox_hash(name, len, 0xcbf29ce484222325ULL),
	    pop3d_mailbox_hash(name, len, 0x84222325cbf29ce4ULL));
}

/* pop3d_mailbox_order - the delivery time at the start of a name */
static void
pop3d_mailbox_order(const char *name, long long *sec, long long *usec)
{
	const char *p = name;

	*sec = *usec = 0;
	for (; isdigit((unsigned char)*p) && *sec < 1000000000000LL; p++)
		*sec = *sec * 10 + (*p - '0');
	if (p[0] != '.' || p[1] != 'M')
		return;
	for (p += 2; isdigit((unsigned char)*p) && *usec < 1000000000LL; p++)
		*usec = *usec * 10 + (*p - '0');
}

/* pop3d_mailbox_field - a ",X=<number>" field of a name, or -1 */
static long long
pop3d_mailbox_field(const char *name, int field)
{
	const char	*p, *colon = strchr(name, ':');
	long long	 v = 0;

	for (p = name; (p = strchr(p, ',')) != NULL; p++) {
		if (colon != NULL && p > colon)
			break;
		if (p[1] != field || p[2] != '=')
			continue;
		for (p += 3; isdigit((unsigned char)*p); p++) {
			if (v > 0x7fffffffffffLL)
				return -1;
			v = v * 10 + (*p - '0');
		}
		return (*p == '\0' || *p == ',' || *p == ':') ? v : -1;
	}
	return -1;
}

/*
 * pop3d_mailbox_crlf_size - the octets RETR sends for this file: every
 * bare LF becomes CRLF, and a last line without LF gets a CRLF.  -1 on a
 * read error.
 */
long long
pop3d_mailbox_crlf_size(int fd, char *chunk, size_t size)
{
	long long	 total = 0;
	ssize_t		 n;
	char		*p, *end, *nl;
	int		 cr = 0, last = '\n';

	for (;;) {
		n = read(fd, chunk, size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		total += n;
		p = chunk;
		end = chunk + n;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			if (!(nl > p ? nl[-1] == '\r' : cr))
				total++;
			p = nl + 1;
		}
		cr = end[-1] == '\r';
		last = end[-1];
	}
	if (last != '\n')
		total += 2;
	return total;
}

/* pop3d_size_cmp - order cache entries by UIDL */
static int
pop3d_size_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pop3d_size *)a)->uidl,
	    ((const struct pop3d_size *)b)->uidl);
}

/* pop3d_sizes_add - one cache entry */
static void
pop3d_sizes_add(struct pop3d_sizes *c, char *uidl, long long size)
{
	if (c->count == c->size) {
		c->size = c->size ? c->size * 2 : 256;
		c->v = xrealloc(c->v, (size_t)c->size * sizeof(*c->v));
	}
	c->v[c->count].uidl = uidl;
	c->v[c->count].size = size;
	c->count++;
}

/*
 * pop3d_sizes_load - read the size cache, "UIDL SIZE" lines.  A missing
 * or unreadable cache is an empty one: it only saves work.
 */
static void
pop3d_sizes_load(struct pop3d_mailbox *mb, struct pop3d_sizes *c)
{
	struct stat	 st;
	ssize_t		 n;
	size_t		 got = 0;
	char		*p, *line, *sp, *end;
	long long	 v;
	int		 fd;

	memset(c, 0, sizeof(*c));
	fd = openat(mb->dirfd, POP3D_SIZES_FILE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > POP3D_SIZES_MAX) {
		close(fd);
		return;
	}
	c->text = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, c->text + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	c->text[got] = '\0';
	for (p = c->text; (line = strsep(&p, "\n")) != NULL;) {
		if ((sp = strchr(line, ' ')) == NULL || sp == line)
			continue;
		*sp++ = '\0';
		if (!isdigit((unsigned char)*sp))
			continue;
		v = strtoll(sp, &end, 10);
		if (*end != '\0' || v < 0)
			continue;
		pop3d_sizes_add(c, line, v);
	}
	qsort(c->v, (size_t)c->count, sizeof(*c->v), pop3d_size_cmp);
}

/* pop3d_sizes_find - a cached size, or -1 */
static long long
pop3d_sizes_find(struct pop3d_sizes *c, const char *uidl)
{
	struct pop3d_size key, *hit;

	if (c->count == 0)
		return -1;
	key.uidl = (char *)uidl;
	hit = bsearch(&key, c->v, (size_t)c->count, sizeof(*c->v),
	    pop3d_size_cmp);
	return hit != NULL ? hit->size : -1;
}

/* pop3d_sizes_free - forget the cache */
static void
pop3d_sizes_free(struct pop3d_sizes *c)
{
	free(c->v);
	free(c->text);
	memset(c, 0, sizeof(*c));
}

/*
 * pop3d_sizes_save - rewrite the cache with the sizes of this session's
 * messages (those without ",W="), atomically: a temporary file renamed
 * over the old one.  No fsync: a lost cache costs only a recount.
 */
static void
pop3d_sizes_save(struct pop3d_mailbox *mb)
{
	struct buf	*text, *tmp;
	int		 i, fd;

	text = buf_new(4096, 0);
	tmp = buf_new(128, 0);
	for (i = 0; i < mb->count; i++)
		if (pop3d_mailbox_field(mb->msgs[i].name, 'W') < 0)
			buf_appendf(text, "%s %lld\n", mb->msgs[i].uidl,
			    mb->msgs[i].size);
	buf_setf(tmp, "%s.%ld.tmp", POP3D_SIZES_FILE, (long)getpid());
	fd = openat(mb->dirfd, buf_str(tmp), O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		msg_warn("create %s/%s: %m", mb->path, buf_str(tmp));
		goto out;
	}
	if (write_full(fd, buf_str(text), buf_len(text)) < 0 ||
	    close(fd) < 0) {
		msg_warn("write %s/%s: %m", mb->path, buf_str(tmp));
		(void)unlinkat(mb->dirfd, buf_str(tmp), 0);
		goto out;
	}
	if (renameat(mb->dirfd, buf_str(tmp), mb->dirfd,
	    POP3D_SIZES_FILE) < 0) {
		msg_warn("rename %s/%s: %m", mb->path, buf_str(tmp));
		(void)unlinkat(mb->dirfd, buf_str(tmp), 0);
	}
out:
	buf_free(&text);
	buf_free(&tmp);
}

/* pop3d_msg_cmp - delivery order; one unique name: cur/ before new/ */
static int
pop3d_msg_cmp(const void *a, const void *b)
{
	const struct pop3d_msg *x = a, *y = b;
	int c;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->usec != y->usec)
		return x->usec < y->usec ? -1 : 1;
	if ((c = strcmp(x->uidl, y->uidl)) != 0)
		return c;
	return (x->flags & POP3D_MSG_NEW) - (y->flags & POP3D_MSG_NEW);
}

/* pop3d_mailbox_is_file - a directory entry that may be a message */
static int
pop3d_mailbox_is_file(int dfd, struct dirent *de)
{
	struct stat st;

	if (de->d_name[0] == '.')
		return 0;
	if (de->d_type == DT_REG)
		return 1;
	if (de->d_type != DT_UNKNOWN)
		return 0;
	return fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

/* pop3d_mailbox_scan_dir - add the files of new/ or cur/ to the list */
static int
pop3d_mailbox_scan_dir(struct pop3d_mailbox *mb, const char *sub,
    int isnew, int *alloc, struct buf *uidl, struct buf *why)
{
	struct pop3d_msg *m;
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	fd = openat(mb->dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		buf_setf(why, "open %s/%s: %s", mb->path, sub,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!pop3d_mailbox_is_file(dirfd(d), de))
			continue;
		if (mb->count == *alloc) {
			*alloc = *alloc ? *alloc * 2 : 64;
			mb->msgs = xrealloc(mb->msgs, (size_t)*alloc *
			    sizeof(*mb->msgs));
		}
		m = &mb->msgs[mb->count++];
		memset(m, 0, sizeof(*m));
		m->name = xstrdup(de->d_name);
		pop3d_mailbox_uidl(m->name, uidl);
		m->uidl = xstrdup(buf_str(uidl));
		pop3d_mailbox_order(m->name, &m->sec, &m->usec);
		m->flags = isnew ? POP3D_MSG_NEW : 0;
	}
	if (errno != 0) {
		buf_setf(why, "read %s/%s: %s", mb->path, sub,
		    strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

/* pop3d_msg_dirfd - the directory a message's file is in */
static int
pop3d_msg_dirfd(struct pop3d_mailbox *mb, struct pop3d_msg *m)
{
	return (m->flags & POP3D_MSG_NEW) ? mb->newfd : mb->curfd;
}

/* pop3d_msg_free - release one list entry */
static void
pop3d_msg_free(struct pop3d_msg *m)
{
	free(m->name);
	free(m->uidl);
	m->name = m->uidl = NULL;
}

/*
 * pop3d_mailbox_sizes - give every message its size: ",W=", the cache, or
 * a count.  Files gone since the scan, or unreadable, leave the list.
 */
static void
pop3d_mailbox_sizes(struct pop3d_mailbox *mb)
{
	struct pop3d_sizes cache;
	struct pop3d_msg *m;
	int		 i, j, fd, hits = 0, counted = 0;

	pop3d_sizes_load(mb, &cache);
	for (i = j = 0; i < mb->count; i++) {
		m = &mb->msgs[i];
		/* One unique name in new/ and cur/ (a move seen half): once. */
		if (j > 0 && strcmp(mb->msgs[j - 1].uidl, m->uidl) == 0) {
			pop3d_msg_free(m);
			continue;
		}
		if ((m->size = pop3d_mailbox_field(m->name, 'W')) < 0 &&
		    (m->size = pop3d_sizes_find(&cache, m->uidl)) >= 0)
			hits++;
		if (m->size < 0) {
			fd = openat(pop3d_msg_dirfd(mb, m), m->name, O_RDONLY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 || (m->size = pop3d_mailbox_crlf_size(fd,
			    mb->chunk, POP3D_CHUNK)) < 0) {
				/* Gone meanwhile is normal; else one bad
				 * file must not close the whole mailbox. */
				if (errno != ENOENT)
					msg_warn("read %s/%s/%s: %m: message "
					    "left out", mb->path,
					    (m->flags & POP3D_MSG_NEW) ?
					    "new" : "cur", m->name);
				if (fd >= 0)
					close(fd);
				pop3d_msg_free(m);
				continue;
			}
			close(fd);
			counted++;
		}
		if (j != i)
			mb->msgs[j] = *m;
		j++;
	}
	mb->count = j;
	/* Rewrite the cache when it lacks sizes or holds stale ones. */
	if (counted > 0 || hits != cache.count)
		pop3d_sizes_save(mb);
	pop3d_sizes_free(&cache);
}

/* pop3d_mailbox_subdir - open new/ or cur/, creating the Maildir if need be */
static int
pop3d_mailbox_subdir(struct pop3d_mailbox *mb, const char *sub,
    struct buf *why)
{
	int fd;

	fd = openat(mb->dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (maildir_make(mb->path, 0, why) < 0)
			return -1;
		fd = openat(mb->dirfd, sub, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		buf_setf(why, "open %s/%s: %s", mb->path, sub,
		    strerror(errno));
	return fd;
}

/*
 * pop3d_mailbox_open - lock the Maildir for this session and list its
 * messages.  A missing Maildir is created (with its folders, as a first
 * delivery would).  Returns 0, POP3D_MBOX_INUSE, or POP3D_MBOX_ERROR
 * with why.
 */
int
pop3d_mailbox_open(const char *path, struct pop3d_mailbox **mbp,
    struct buf *why)
{
	struct pop3d_mailbox *mb;
	struct buf	*uidl;
	int		 alloc = 0, r = POP3D_MBOX_ERROR;

	*mbp = NULL;
	mb = xcalloc(1, sizeof(*mb));
	mb->path = xstrdup(path);
	mb->dirfd = mb->newfd = mb->curfd = mb->lockfd = -1;
	uidl = buf_new(128, 0);

	mb->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mb->dirfd < 0 && errno == ENOENT) {
		if (maildir_make(path, 1, why) < 0)
			goto fail;
		mb->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (mb->dirfd < 0) {
		buf_setf(why, "open %s: %s", path, strerror(errno));
		goto fail;
	}
	mb->lockfd = openat(mb->dirfd, POP3D_LOCK_FILE, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (mb->lockfd < 0) {
		buf_setf(why, "open %s/%s: %s", path, POP3D_LOCK_FILE,
		    strerror(errno));
		goto fail;
	}
	if (flock(mb->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			r = POP3D_MBOX_INUSE;
			goto fail;
		}
		buf_setf(why, "lock %s/%s: %s", path, POP3D_LOCK_FILE,
		    strerror(errno));
		goto fail;
	}
	if ((mb->newfd = pop3d_mailbox_subdir(mb, "new", why)) < 0 ||
	    (mb->curfd = pop3d_mailbox_subdir(mb, "cur", why)) < 0)
		goto fail;
	mb->chunk = xmalloc(POP3D_CHUNK);
	if (pop3d_mailbox_scan_dir(mb, "cur", 0, &alloc, uidl, why) < 0 ||
	    pop3d_mailbox_scan_dir(mb, "new", 1, &alloc, uidl, why) < 0)
		goto fail;
	qsort(mb->msgs, (size_t)mb->count, sizeof(*mb->msgs), pop3d_msg_cmp);
	pop3d_mailbox_sizes(mb);
	buf_free(&uidl);
	*mbp = mb;
	return 0;
fail:
	buf_free(&uidl);
	pop3d_mailbox_close(&mb);
	return r;
}

/* pop3d_mailbox_close - unlock and forget the mailbox */
void
pop3d_mailbox_close(struct pop3d_mailbox **mbp)
{
	struct pop3d_mailbox *mb = *mbp;
	int i;

	if (mb == NULL)
		return;
	for (i = 0; i < mb->count; i++)
		pop3d_msg_free(&mb->msgs[i]);
	free(mb->msgs);
	if (mb->newfd >= 0)
		close(mb->newfd);
	if (mb->curfd >= 0)
		close(mb->curfd);
	if (mb->lockfd >= 0)
		close(mb->lockfd);	/* drops the lock */
	if (mb->dirfd >= 0)
		close(mb->dirfd);
	free(mb->chunk);
	free(mb->path);
	free(mb);
	*mbp = NULL;
}

/* pop3d_mailbox_find_in - look for a unique name in new/ or cur/ */
static int
pop3d_mailbox_find_in(struct pop3d_mailbox *mb, struct pop3d_msg *m,
    int isnew, const char *base, size_t blen)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, found = 0;

	fd = openat(isnew ? mb->newfd : mb->curfd, ".", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    (de->d_name[blen] != '\0' && de->d_name[blen] != ':'))
			continue;
		free(m->name);
		m->name = xstrdup(de->d_name);
		m->flags = (m->flags & ~POP3D_MSG_NEW) |
		    (isnew ? POP3D_MSG_NEW : 0);
		found = 1;
		break;
	}
	closedir(d);
	return found;
}

/*
 * pop3d_mailbox_find - a message's file has gone from where the scan saw
 * it: another program may have renamed it (new flags, new/ to cur/).
 * Look for its unique name again; 0 found (name updated), -1 removed.
 */
static int
pop3d_mailbox_find(struct pop3d_mailbox *mb, struct pop3d_msg *m)
{
	char	*base;
	size_t	 blen;
	int	 found;

	blen = strcspn(m->name, ":");
	base = xstrndup(m->name, blen);
	found = pop3d_mailbox_find_in(mb, m, 0, base, blen) ||
	    pop3d_mailbox_find_in(mb, m, 1, base, blen);
	free(base);
	return found ? 0 : -1;
}

/*
 * pop3d_mailbox_open_msg - open a message for RETR or TOP.  Returns the
 * fd, or -1: errno ENOENT when another program removed it (the message is
 * marked gone), else why says what failed.
 */
int
pop3d_mailbox_open_msg(struct pop3d_mailbox *mb, struct pop3d_msg *m,
    struct buf *why)
{
	int fd, saved;

	if (m->flags & POP3D_MSG_GONE) {
		errno = ENOENT;
		return -1;
	}
	fd = openat(pop3d_msg_dirfd(mb, m), m->name, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && pop3d_mailbox_find(mb, m) == 0)
		fd = openat(pop3d_msg_dirfd(mb, m), m->name, O_RDONLY |
		    O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		if (saved == ENOENT)
			m->flags |= POP3D_MSG_GONE;
		buf_setf(why, "open %s/%s/%s: %s", mb->path,
		    (m->flags & POP3D_MSG_NEW) ? "new" : "cur", m->name,
		    strerror(saved));
		errno = saved;
	}
	return fd;
}

/*
 * pop3d_mailbox_send - a message as POP3 sends it: CRLF line ends,
 * dot-stuffed, ended by ".CRLF".  lines < 0: the whole message (RETR);
 * else the header, the empty line and that many body lines (TOP).  Large
 * output goes out in big writes; the end, which is small, goes to out()
 * in one call so that it can share a write with the next reply.
 * Returns 0; -1 when out() failed (the client is gone); -2 on a read
 * error (the reply is broken: the caller must end the session).
 *
 * A read that returns less than asked, bringing the total to the file's
 * size as its name gives it (",S="), is taken as the end of the file: a
 * small message then costs one read, not two.  Maildir files never
 * change under one name; when the name says nothing, or something else,
 * the file is read to its end as usual.
 */
int
pop3d_mailbox_send(struct pop3d_mailbox *mb, struct pop3d_msg *m, int fd,
    long lines, pop3d_out_fn out, void *ctx)
{
	char		*in = mb->chunk, *o, *p, *end, *nl;
	size_t		 olen = 0, seg;
	ssize_t		 n;
	long		 body = 0;
	long long	 total = 0, fsize;
	int		 bol = 1, cr = 0, inbody = 0, stop = 0, eof = 0, had_cr;
	size_t		 linelen = 0;
	static char	*obuf;

	if (obuf == NULL)
		obuf = xmalloc(POP3D_OBUF);
	o = obuf;
	fsize = pop3d_mailbox_field(m->name, 'S');
	while (!stop && !eof) {
		n = read(fd, in, POP3D_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -2;
		}
		if (n == 0)
			break;
		total += n;
		if (n < POP3D_CHUNK && total == fsize)
			eof = 1;
		if (olen > 0 && olen + 2 * (size_t)n + 8 > POP3D_OBUF) {
			if (out(ctx, o, olen) < 0)
				return -1;
			olen = 0;
		}
		p = in;
		end = in + n;
		while (p < end) {
			if (bol) {
				if (lines >= 0 && inbody && body >= lines) {
					stop = 1;
					break;
				}
				if (*p == '.')
					o[olen++] = '.';
				bol = 0;
			}
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
				seg = (size_t)(end - p);
				memcpy(o + olen, p, seg);
				olen += seg;
				linelen += seg;
				cr = end[-1] == '\r';
				break;
			}
			seg = (size_t)(nl - p);
			had_cr = seg > 0 ? nl[-1] == '\r' : cr;
			memcpy(o + olen, p, seg);
			olen += seg;
			if (!had_cr)
				o[olen++] = '\r';
			o[olen++] = '\n';
			if (lines >= 0) {
				if (inbody)
					body++;
				else if (linelen + seg - (had_cr ? 1 : 0) == 0)
					inbody = 1;
			}
			bol = 1;
			cr = 0;
			linelen = 0;
			p = nl + 1;
		}
		if (olen >= POP3D_CHUNK) {
			if (out(ctx, o, olen) < 0)
				return -1;
			olen = 0;
		}
	}
	if (!bol) {
		o[olen++] = '\r';
		o[olen++] = '\n';
	}
	memcpy(o + olen, ".\r\n", 3);
	olen += 3;
	return out(ctx, o, olen);
}

/*
 * pop3d_mailbox_seen_name - the cur/ name of a retrieved message: its
 * unique part, ":2," and its flags with S (seen) added in order.
 */
static void
pop3d_mailbox_seen_name(const char *name, struct buf *out)
{
	const char	*info = strstr(name, ":2,");
	const char	*f;
	size_t		 blen = strcspn(name, ":");
	int		 added = 0;

	buf_reset(out);
	buf_append(out, name, blen);
	buf_puts(out, ":2,");
	if (info != NULL) {
		for (f = info + 3; *f != '\0'; f++) {
			if (!added && *f >= 'S') {
				buf_putc(out, 'S');
				added = 1;
				if (*f == 'S')
					continue;
			}
			buf_putc(out, *f);
		}
	}
	if (!added)
		buf_putc(out, 'S');
}

/* pop3d_mailbox_unlink - remove a DELEd message; 0, or -1 with errno */
static int
pop3d_mailbox_unlink(struct pop3d_mailbox *mb, struct pop3d_msg *m)
{
	if (unlinkat(pop3d_msg_dirfd(mb, m), m->name, 0) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	/* Renamed by someone else?  Removed already is as good as done. */
	if (pop3d_mailbox_find(mb, m) < 0)
		return 0;
	if (unlinkat(pop3d_msg_dirfd(mb, m), m->name, 0) == 0 ||
	    errno == ENOENT)
		return 0;
	return -1;
}

/* pop3d_mailbox_seen - move a retrieved message to cur/NAME:2,S */
static void
pop3d_mailbox_seen(struct pop3d_mailbox *mb, struct pop3d_msg *m,
    struct buf *to)
{
	int tries;

	for (tries = 0; tries < 2; tries++) {
		pop3d_mailbox_seen_name(m->name, to);
		if (!(m->flags & POP3D_MSG_NEW) &&
		    strcmp(buf_str(to), m->name) == 0)
			return;		/* seen already */
		if (renameat(pop3d_msg_dirfd(mb, m), m->name, mb->curfd,
		    buf_str(to)) == 0)
			return;
		if (errno != ENOENT || pop3d_mailbox_find(mb, m) < 0)
			break;
	}
	if (errno != ENOENT)
		msg_warn("rename %s/%s/%s to cur/%s: %m", mb->path,
		    (m->flags & POP3D_MSG_NEW) ? "new" : "cur", m->name,
		    buf_str(to));
}

/*
 * pop3d_mailbox_update - the UPDATE state: unlink the DELEd messages,
 * mark the retrieved ones seen (new/ to cur/).  Returns how many DELEd
 * messages could not be removed (why names the last failure).
 */
int
pop3d_mailbox_update(struct pop3d_mailbox *mb, struct buf *why)
{
	struct pop3d_msg *m;
	struct buf	*to;
	int		 i, failed = 0, changed = 0;

	to = buf_new(256, 0);
	for (i = 0; i < mb->count; i++) {
		m = &mb->msgs[i];
		if (m->flags & POP3D_MSG_DELETED) {
			if (pop3d_mailbox_unlink(mb, m) < 0) {
				buf_setf(why, "unlink %s/%s/%s: %s", mb->path,
				    (m->flags & POP3D_MSG_NEW) ? "new" : "cur",
				    m->name, strerror(errno));
				msg_warn("%s", buf_str(why));
				failed++;
			} else
				changed = 1;
		} else if ((m->flags & (POP3D_MSG_RETRIEVED |
		    POP3D_MSG_GONE)) == POP3D_MSG_RETRIEVED) {
			pop3d_mailbox_seen(mb, m, to);
			changed = 1;
		}
	}
	/* The removals should outlast a crash, like the deliveries did. */
	if (changed) {
		(void)fsync(mb->newfd);
		(void)fsync(mb->curfd);
	}
	buf_free(&to);
	return failed;
}
