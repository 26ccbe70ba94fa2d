/*
 * mailbox - one Maildir++ folder served by UID: its directories, its UID
 * list, its keywords.
 *
 * The sync is the heart of it.  The UID list says which messages the
 * folder had and their flags as imapd last saw them; the directories say
 * what is there now.  A sync
 *	1. reads what other sessions appended to the UID list (no lock);
 *	2. looks into new/ (delivery puts mail there) and at cur/'s mtime;
 *	3. when new/ has files or cur/ changed behind imapd's back: takes
 *	   the lock, moves new/ files to cur/ with ":2," added, and (for a
 *	   changed cur/) scans cur/: a file whose record is missing is a new
 *	   message, a record whose file is gone is expunged, a file whose
 *	   letters differ from the record has new flags;
 *	4. appends those findings to the UID list and unlocks.
 * Files are renamed, linked and removed under a session by local and mail
 * clients that take no lock: every rename or open that fails with ENOENT
 * rescans and retries once before it counts the message as gone.
 *
 * pop3 (mb->keep_new) syncs the same way but leaves new/ alone: RFC 1939
 * sessions must not make unread mail look read to Maildir readers, and
 * pop3 has always moved only what was retrieved.  It gives the files of
 * new/ their UIDs where they are (mailbox_new.c); the records say so
 * (UIDLIST_INNEW), a scan of cur/ does not count them as gone, and the
 * next sync that moves new/ keeps their UIDs.
 *
 * File names: the sessions keep every file in cur/ under its canonical
 * name, base ":2," flag letters (D F P R S T, then keywords a-z), so a
 * record's name is known without a directory read.  Names are never
 * trusted: a name starting with '.' is not a message, a base with
 * blanks, control or 8-bit octets is renamed to one that keeps its POP3
 * UIDL (mailbox_name_usable).
 *
 * Limit: cur/'s mtime is the clock's tick, not a counter; a rename by
 * another program in the same tick as imapd's own last change in cur/ is
 * noticed only at the next change or forced scan (an open that fails).
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mailbox.h"
#include "mailbox_int.h"
#include "maildir.h"
#include "maildirsize.h"
#include "msg.h"
#include "uidlist.h"
#include "util.h"

#define MAILBOX_DIR_MODE	0700
/* A directory mtime older than this (ns) cannot move within its tick. */
#define MAILBOX_MTIME_SETTLE	1000000000LL

static int mailbox_sync_locked(struct mailbox *, int, struct buf *);

/* mailbox_subdir - open (making it when missing) tmp/, new/ or cur/ */
int
mailbox_subdir(int dirfd, const char *sub)
{
	int fd;

	fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(dirfd, sub, MAILBOX_DIR_MODE) < 0 &&
		    errno != EEXIST)
			return -1;
		fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	return fd;
}

/*
 * mailbox_quota_root - the Maildir whose maildirsize counts this folder's
 * messages: its parent when it is a Maildir++ folder (it holds the
 * "maildirfolder" file, as Maildir++ marks them), else itself
 */
static void
mailbox_quota_root(struct mailbox *mb)
{
	char *slash;

	mb->quota_root = xstrdup(mb->path);
	if (faccessat(mb->dirfd, "maildirfolder", F_OK,
	    AT_SYMLINK_NOFOLLOW) < 0)
		return;
	while ((slash = strrchr(mb->quota_root, '/')) != NULL &&
	    slash[1] == '\0' && slash > mb->quota_root)
		*slash = '\0';		/* trailing slashes */
	if ((slash = strrchr(mb->quota_root, '/')) != NULL)
		*slash = '\0';
	else {
		free(mb->quota_root);
		mb->quota_root = xstrdup(".");
	}
}

/*
 * mailbox_quota_note - count a message file of size bytes (from
 * maildir_file_size; -1: not a message, not counted) added (sign 1) or
 * removed (-1), for the next mailbox_quota_flush
 */
void
mailbox_quota_note(struct mailbox *mb, long long size, int sign)
{
	if (size < 0)
		return;
	mb->quota_bytes += sign * size;
	mb->quota_count += sign;
}

/* mailbox_quota_flush - write the changes counted into maildirsize */
void
mailbox_quota_flush(struct mailbox *mb)
{
	struct buf *why;

	if (mb->quota_bytes == 0 && mb->quota_count == 0)
		return;
	why = buf_new(128, 4096);
	if (maildirsize_add(*mb->quota_root ? mb->quota_root : "/",
	    mb->quota_bytes, mb->quota_count, why) < 0)
		msg_warn("quota: %s", buf_str(why));
	mb->quota_bytes = mb->quota_count = 0;
	buf_free(&why);
}

/* mailbox_open - open a folder's directories (see mailbox.h) */
int
mailbox_open(const char *path, struct mailbox **mbp, struct buf *why)
{
	struct mailbox	*mb;
	const char	*last;
	int		 flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, err;

	*mbp = NULL;
	mb = xcalloc(1, sizeof(*mb));
	mb->dirfd = mb->curfd = mb->newfd = mb->tmpfd = mb->lockfd = -1;
	mb->path = xstrdup(path);
	uidlist_init(&mb->ul);
	mb->scratch = buf_new(256, 0);
	/* A folder is never a symlink; the Maildir itself may be one. */
	last = strrchr(path, '/');
	if (last != NULL && last[1] == '.')
		flags |= O_NOFOLLOW;
	if ((mb->dirfd = open(path, flags)) < 0) {
		err = errno;
		buf_setf(why, "open %s: %s", path, strerror(err));
		goto fail;
	}
	mailbox_quota_root(mb);
	/* tmp/ and the lock file are opened when first needed. */
	if ((mb->newfd = mailbox_subdir(mb->dirfd, "new")) < 0 ||
	    (mb->curfd = mailbox_subdir(mb->dirfd, "cur")) < 0) {
		err = errno;
		buf_setf(why, "open %s/{new,cur}: %s", path, strerror(err));
		goto fail;
	}
	*mbp = mb;
	return 0;
fail:
	mailbox_close(&mb);
	errno = err;
	return -1;
}

/* mailbox_close - close and free a folder */
void
mailbox_close(struct mailbox **mbp)
{
	struct mailbox *mb = *mbp;

	if (mb == NULL)
		return;
	mailbox_quota_flush(mb);
	free(mb->quota_root);
	mailbox_cache_free(&mb->cache);
	fd_close(&mb->dirfd);
	fd_close(&mb->curfd);
	fd_close(&mb->newfd);
	fd_close(&mb->tmpfd);
	fd_close(&mb->lockfd);
	mailbox_keywords_forget(mb);
	uidlist_free(&mb->ul);
	buf_free(&mb->scratch);
	free(mb->path);
	free(mb);
	*mbp = NULL;
}

/* mailbox_lock - the folder's lock (nests) */
int
mailbox_lock(struct mailbox *mb, struct buf *why)
{
	if (mb->locked++ > 0)
		return 0;
	if (mb->lockfd < 0 && (mb->lockfd = openat(mb->dirfd,
	    MAILBOX_LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) < 0) {
		mb->locked = 0;
		buf_setf(why, "open %s/%s: %s", mb->path, MAILBOX_LOCK_FILE,
		    strerror(errno));
		return -1;
	}
	while (flock(mb->lockfd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		mb->locked = 0;
		buf_setf(why, "lock %s: %s", mb->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* mailbox_unlock - release one level of the lock */
void
mailbox_unlock(struct mailbox *mb)
{
	if (mb->locked > 0 && --mb->locked == 0)
		(void)flock(mb->lockfd, LOCK_UN);
}

/* mailbox_time - the delivery time at the start of a Maildir name */
static void
mailbox_time(const char *name, long long *sec, long long *usec)
{
	const char *p = name;

	*sec = *usec = 0;
	for (; isdigit((unsigned char)*p) && *sec < 100000000000LL; p++)
		*sec = *sec * 10 + (*p - '0');
	if (p[0] != '.' || p[1] != 'M')
		return;
	for (p += 2; isdigit((unsigned char)*p) && *usec < 100000000LL; p++)
		*usec = *usec * 10 + (*p - '0');
}

/* mailbox_ents_add - remember a file, split into base and flags */
static void
mailbox_ents_add(struct mailbox_ents *e, const char *name)
{
	struct mailbox_ent *x;
	const char *colon = strchr(name, ':');
	size_t baselen = colon != NULL ? (size_t)(colon - name) : strlen(name);

	if (!uidlist_base_ok(name, baselen))
		return;
	if (e->count == e->size) {
		e->size = e->size ? e->size * 2 : 64;
		e->v = xrealloc(e->v, (size_t)e->size * sizeof(*e->v));
	}
	x = &e->v[e->count++];
	x->name = xstrdup(name);
	x->base = xstrndup(name, baselen);
	x->flags = x->kw = 0;
	if (colon != NULL && strncmp(colon, ":2,", 3) == 0)
		uidlist_info_parse(colon + 3, &x->flags, &x->kw);
	mailbox_time(name, &x->sec, &x->usec);
	x->matched = 0;
	x->pass = 0;
}

/* mailbox_ents_free - forget the files */
void
mailbox_ents_free(struct mailbox_ents *e)
{
	int i;

	for (i = 0; i < e->count; i++) {
		free(e->v[i].name);
		free(e->v[i].base);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}

/*
 * mailbox_ents_usable - a file whose base the uid list cannot hold is
 * renamed (in its directory) to a name that keeps its UIDL
 * (mailbox_name_usable), and remembered under it; pop3 has always served
 * such files, and IMAP now can too.
 */
static void
mailbox_ents_usable(int dfd, struct mailbox_ents *e, const char *name)
{
	struct buf *to = buf_new(128, 0);

	mailbox_name_usable(name, to);
	if (mailbox_rename_noreplace(dfd, name, dfd, buf_str(to)) == 0) {
		msg_info("renamed a Maildir file with an unusable name "
		    "(%zu octets) to %s", strlen(name), buf_str(to));
		mailbox_ents_add(e, buf_str(to));
		/* Its place in delivery order is the old name's. */
		if (e->count > 0)
			mailbox_time(name, &e->v[e->count - 1].sec,
			    &e->v[e->count - 1].usec);
	} else if (errno != ENOENT)
		msg_warn("ignoring a Maildir file with an unusable name "
		    "(%zu octets): rename: %m", strlen(name));
	buf_free(&to);
}

/*
 * mailbox_readdir - the files of new/ or cur/ (not dot files), under
 * usable names, into an empty e; -1 with why (may be NULL) on an error
 */
int
mailbox_readdir(struct mailbox *mb, int dfd, struct mailbox_ents *e,
    struct buf *why)
{
	struct dirent	*de;
	DIR		*d = NULL;
	size_t		 baselen;
	int		 fd;

	memset(e, 0, sizeof(*e));
	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (why != NULL)
			buf_setf(why, "read %s/%s: %s", mb->path,
			    dfd == mb->newfd ? "new" : "cur", strerror(errno));
		fd_close(&fd);
		return -1;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		baselen = strcspn(de->d_name, ":");
		if (uidlist_base_ok(de->d_name, baselen))
			mailbox_ents_add(e, de->d_name);
		else
			mailbox_ents_usable(dfd, e, de->d_name);
	}
	closedir(d);
	return 0;
}

/* mailbox_ent_base_cmp - order files by base name */
static int
mailbox_ent_base_cmp(const void *a, const void *b)
{
	const struct mailbox_ent *x = a, *y = b;
	int r = strcmp(x->base, y->base);

	return r != 0 ? r : x->pass - y->pass;
}

/* mailbox_ent_time_cmp - order files by delivery time, then name */
int
mailbox_ent_time_cmp(const void *a, const void *b)
{
	const struct mailbox_ent *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->usec != y->usec)
		return x->usec < y->usec ? -1 : 1;
	return strcmp(x->base, y->base);
}

/*
 * mailbox_ent_find - the first file with a base name (the files sorted by
 * base), or NULL
 */
static struct mailbox_ent *
mailbox_ent_find(struct mailbox_ents *e, const char *base)
{
	int lo = 0, hi = e->count;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (strcmp(e->v[mid].base, base) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < e->count && strcmp(e->v[lo].base, base) == 0 ?
	    &e->v[lo] : NULL;
}

/* mailbox_cur_mtime - cur/'s mtime; -1 on error */
static int
mailbox_cur_mtime(struct mailbox *mb, long long *sec, long long *nsec)
{
	struct stat st;

	if (fstat(mb->curfd, &st) < 0)
		return -1;
	*sec = (long long)st.st_mtim.tv_sec;
	*nsec = (long long)st.st_mtim.tv_nsec;
	return 0;
}

/*
 * mailbox_rename_noreplace - rename, never over an existing name; 0, or
 * -1 with errno (EEXIST when the target exists).
 */
int
mailbox_rename_noreplace(int ofd, const char *old, int nfd, const char *new)
{
	if (renameat2(ofd, old, nfd, new, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: link, then unlink. */
	if (linkat(ofd, old, nfd, new, 0) < 0)
		return -1;
	(void)unlinkat(ofd, old, 0);
	return 0;
}

/*
 * mailbox_move_new - move every file of new/ into cur/ under its
 * canonical name; the moved files are added to moved.  Files that vanish
 * meanwhile (pop3d, another session) are skipped.
 */
static int
mailbox_move_new(struct mailbox *mb, struct mailbox_ents *moved)
{
	struct mailbox_ents	 found;
	struct mailbox_ent	*x;
	struct buf		*to = buf_new(256, 0);
	int			 i;

	if (mailbox_readdir(mb, mb->newfd, &found, NULL) < 0) {
		buf_free(&to);
		return -1;
	}
	for (i = 0; i < found.count; i++) {
		x = &found.v[i];
		buf_setf(to, "%s:2,", x->base);
		uidlist_info_format(to, x->flags, x->kw);
		if (mailbox_rename_noreplace(mb->newfd, x->name, mb->curfd,
		    buf_str(to)) < 0) {
			if (errno != ENOENT && errno != EEXIST)
				msg_warn("rename %s/new/%s to cur/: %m",
				    mb->path, x->name);
			continue;
		}
		mailbox_ents_add(moved, buf_str(to));
	}
	mailbox_ents_free(&found);
	buf_free(&to);
	return 0;
}

/*
 * mailbox_canonical - rename a file found in cur/ to its canonical name
 * (sorted letters, ":2," present), so that its name follows from its
 * record.  Best effort: a failure leaves it, and it is found by a scan.
 */
static void
mailbox_canonical(struct mailbox *mb, const struct mailbox_ent *x)
{
	struct buf *to = mb->scratch;

	buf_setf(to, "%s:2,", x->base);
	uidlist_info_format(to, x->flags, x->kw);
	if (strcmp(buf_str(to), x->name) == 0)
		return;
	if (mailbox_rename_noreplace(mb->curfd, x->name, mb->curfd,
	    buf_str(to)) < 0 && errno != ENOENT)
		msg_warn("rename %s/cur/%s: %m", mb->path, x->name);
}

/*
 * mailbox_in_new - a record whose file a session that leaves new/ alone
 * (pop3) need not find in cur/: mailbox_new_scan() keeps those
 */
static int
mailbox_in_new(const struct mailbox *mb, const struct uidlist_rec *r)
{
	return mb->keep_new && (r->flags & UIDLIST_INNEW);
}

/*
 * mailbox_moved_add - the files just moved from new/ to cur/ get UIDs, in
 * delivery order; one that pop3 gave a UID while it was in new/ keeps it
 * (its record loses UIDLIST_INNEW).  Such records are rare, so they are
 * looked for only when there are any.
 */
static void
mailbox_moved_add(struct mailbox *mb, struct mailbox_ents *moved)
{
	struct mailbox_ent	*x;
	int			 i, j, first = -1;

	if (moved->count == 0)
		return;
	qsort(moved->v, (size_t)moved->count, sizeof(*moved->v),
	    mailbox_ent_time_cmp);
	first = uidlist_first_innew(&mb->ul);
	for (i = 0; i < moved->count; i++) {
		x = &moved->v[i];
		j = first < 0 ? -1 : uidlist_find_innew(&mb->ul, x->base,
		    first);
		if (j >= 0)
			uidlist_set_flags(&mb->ul, j, x->flags, x->kw);
		else
			(void)uidlist_add(&mb->ul, x->base, x->flags, x->kw);
	}
}

/*
 * mailbox_scan_cur - reconcile the UID list with the files of cur/ (see
 * the top of this file).
 */
static int
mailbox_scan_cur(struct mailbox *mb, struct buf *why)
{
	struct mailbox_ents	 e;
	struct uidlist		*ul = &mb->ul;
	struct uidlist_rec	*r;
	struct mailbox_ent	*x, *added;
	int			 i, n, count = ul->count;

	if (mailbox_readdir(mb, mb->curfd, &e, why) < 0)
		return -1;
	qsort(e.v, (size_t)e.count, sizeof(*e.v), mailbox_ent_base_cmp);
	/* Two files with one base: the second is not a message of its own. */
	for (i = 1; i < e.count; i++)
		if (strcmp(e.v[i].base, e.v[i - 1].base) == 0)
			e.v[i].matched = 1;
	/*
	 * A file renamed while readdir runs may be missed (POSIX allows
	 * it): before a record counts as expunged, cur/ is read once more.
	 */
	for (i = 0; i < count; i++)
		if (!mailbox_in_new(mb, &ul->v[i]) &&
		    mailbox_ent_find(&e, ul->v[i].base) == NULL)
			break;
	if (i < count) {
		struct mailbox_ents again;

		/* Both readings together; the second one's names win. */
		if (mailbox_readdir(mb, mb->curfd, &again, NULL) == 0) {
			for (i = 0; i < e.count; i++) {
				mailbox_ents_add(&again, e.v[i].name);
				again.v[again.count - 1].pass = 1;
			}
			mailbox_ents_free(&e);
			e = again;
			qsort(e.v, (size_t)e.count, sizeof(*e.v),
			    mailbox_ent_base_cmp);
			for (i = 0; i < e.count; i++)
				e.v[i].matched = i > 0 && strcmp(e.v[i].base,
				    e.v[i - 1].base) == 0;
		} else
			mailbox_ents_free(&again);
	}
	for (i = 0; i < count; i++) {
		r = &ul->v[i];
		x = mailbox_ent_find(&e, r->base);
		if (x == NULL) {
			if (!mailbox_in_new(mb, r))
				uidlist_expunge(ul, i);
			continue;
		}
		x->matched = 1;
		if (x->flags != r->flags || x->kw != r->kw)
			uidlist_set_flags(ul, i, x->flags, x->kw);
		mailbox_canonical(mb, x);
	}
	/* The rest are new: UIDs in delivery order. */
	added = xcalloc((size_t)e.count + 1, sizeof(*added));
	for (i = n = 0; i < e.count; i++)
		if (!e.v[i].matched)
			added[n++] = e.v[i];
	qsort(added, (size_t)n, sizeof(*added), mailbox_ent_time_cmp);
	for (i = 0; i < n; i++) {
		mailbox_canonical(mb, &added[i]);
		(void)uidlist_add(ul, added[i].base, added[i].flags,
		    added[i].kw);
	}
	free(added);
	mailbox_ents_free(&e);
	return 0;
}

/* mailbox_sync_locked - the sync's steps 3 and 4 (the lock is held) */
static int
mailbox_sync_locked(struct mailbox *mb, int force, struct buf *why)
{
	struct mailbox_ents	 moved;
	long long		 sec, nsec;
	int			 full;

	/* Changes made since mailbox_begin() go first (a rescan mid-way). */
	if (buf_len(mb->ul.pending) > 0 &&
	    uidlist_commit(&mb->ul, mb->dirfd, why) < 0)
		return -1;
	if (uidlist_load(&mb->ul, mb->dirfd, why) < 0)
		return -1;
	if (mailbox_cur_mtime(mb, &sec, &nsec) < 0) {
		buf_setf(why, "stat %s/cur: %s", mb->path, strerror(errno));
		return -1;
	}
	full = force || mb->ul.rewrite || sec != mb->ul.cur_sec ||
	    nsec != mb->ul.cur_nsec;
	memset(&moved, 0, sizeof(moved));
	if (!mb->keep_new && mailbox_move_new(mb, &moved) < 0) {
		buf_setf(why, "read %s/new: %s", mb->path, strerror(errno));
		mailbox_ents_free(&moved);
		return -1;
	}
	if (full) {
		/* What the scan sees is as of this mtime, or newer. */
		if (mailbox_cur_mtime(mb, &sec, &nsec) < 0 ||
		    mailbox_scan_cur(mb, why) < 0) {
			mailbox_ents_free(&moved);
			return -1;
		}
	} else {
		mailbox_moved_add(mb, &moved);
		if (moved.count > 0 && mailbox_cur_mtime(mb, &sec, &nsec) < 0)
			sec = nsec = 0;
	}
	mailbox_ents_free(&moved);
	uidlist_set_header(&mb->ul, mb->ul.firstrecent, sec, nsec);
	return uidlist_commit(&mb->ul, mb->dirfd, why);
}

/*
 * mailbox_new_pending - does new/ hold anything?  Checked before every
 * command, so the usual answer costs one fstat: a file put into new/
 * changes its mtime, and an mtime seen with new/ empty is trusted only
 * when it was older than MAILBOX_MTIME_SETTLE then (a delivery within the
 * same clock tick could not have changed it).  Otherwise new/'s entries
 * are read through the folder's own descriptor (nothing else reads
 * entries from it).  An error counts as "yes": the sync finds out.
 */
static int
mailbox_new_pending(struct mailbox *mb)
{
	char		 ents[4096] __attribute__((aligned(8)));
	struct dirent64	*de;
	struct timespec	 now;
	struct stat	 st;
	ssize_t		 n, off;
	long long	 mtime;

	if (fstat(mb->newfd, &st) < 0)
		return 1;
	mtime = (long long)st.st_mtim.tv_sec * 1000000000LL +
	    st.st_mtim.tv_nsec;
	if (mb->new_empty_ns != 0 && mtime == mb->new_empty_ns)
		return 0;
	mb->new_empty_ns = 0;
	if (lseek(mb->newfd, 0, SEEK_SET) < 0)
		return 1;
	while ((n = getdents64(mb->newfd, ents, sizeof(ents))) > 0)
		for (off = 0; off < n; off += de->d_reclen) {
			de = (struct dirent64 *)(void *)(ents + off);
			if (de->d_name[0] != '.')
				return 1;
		}
	if (n < 0)
		return 1;
	/* Empty as of an mtime taken before the read: old enough? */
	if (clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	    (long long)now.tv_sec * 1000000000LL + now.tv_nsec - mtime >
	    MAILBOX_MTIME_SETTLE)
		mb->new_empty_ns = mtime;
	return 0;
}

/* mailbox_sync - bring the UID list up to date (see mailbox.h) */
int
mailbox_sync(struct mailbox *mb, int force, struct buf *why)
{
	long long sec, nsec;
	int r;

	if (mb->locked > 0)
		return mailbox_sync_locked(mb, force, why);
	if (uidlist_load(&mb->ul, mb->dirfd, why) < 0)
		return -1;
	(void)mailbox_keywords_load(mb);
	if (!force && !mb->ul.rewrite &&
	    (mb->keep_new || !mailbox_new_pending(mb)) &&
	    mailbox_cur_mtime(mb, &sec, &nsec) == 0 &&
	    sec == mb->ul.cur_sec && nsec == mb->ul.cur_nsec)
		return 0;
	if (mailbox_lock(mb, why) < 0)
		return -1;
	r = mailbox_sync_locked(mb, force, why);
	mailbox_unlock(mb);
	return r;
}

/*
 * mailbox_msg_open - open a message by UID; a file that moved is looked
 * for again after a scan
 */
int
mailbox_msg_open(struct mailbox *mb, uint32_t uid, struct buf *why)
{
	int i, fd, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((i = uidlist_find(&mb->ul, uid)) < 0)
			break;
		mailbox_name(mb, &mb->ul.v[i], mb->scratch);
		fd = openat(mb->curfd, buf_str(mb->scratch), O_RDONLY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != ENOENT) {
			buf_setf(why, "open %s/cur/%s: %s", mb->path,
			    buf_str(mb->scratch), strerror(errno));
			return -1;
		}
		if (tries == 0 && mailbox_sync(mb, 1, why) < 0)
			return -1;
	}
	buf_setf(why, "message UID %u is gone", uid);
	errno = ENOENT;
	return -1;
}

/* mailbox_begin - lock and sync for a change */
int
mailbox_begin(struct mailbox *mb, struct buf *why)
{
	if (mailbox_lock(mb, why) < 0)
		return -1;
	if (mailbox_sync_locked(mb, 0, why) < 0 ||
	    mailbox_cur_mtime(mb, &mb->cur_pre_sec, &mb->cur_pre_nsec) < 0) {
		mailbox_unlock(mb);
		return -1;
	}
	(void)mailbox_keywords_load(mb);
	return 0;
}

/*
 * mailbox_end - record the changes and unlock.  cur/'s new mtime is
 * imapd's own doing only when nobody else changed cur/ since the sync.
 */
int
mailbox_end(struct mailbox *mb, struct buf *why)
{
	long long sec, nsec;
	int r;

	if (mailbox_cur_mtime(mb, &sec, &nsec) == 0 &&
	    (sec != mb->cur_pre_sec || nsec != mb->cur_pre_nsec)) {
		if (mb->cur_pre_sec == mb->ul.cur_sec &&
		    mb->cur_pre_nsec == mb->ul.cur_nsec)
			uidlist_set_header(&mb->ul, mb->ul.firstrecent, sec,
			    nsec);
	}
	r = uidlist_commit(&mb->ul, mb->dirfd, why);
	mailbox_cache_flush(mb);
	mailbox_quota_flush(mb);
	mailbox_unlock(mb);
	return r;
}

/*
 * mailbox_rename_msg - rename a message file within cur/ (flags) or
 * remove it (to NULL); a file moved by another program is looked for
 * again once.  0, or -1 with errno ENOENT when it is gone.
 */
static int
mailbox_rename_msg(struct mailbox *mb, uint32_t uid, const char *to,
    struct buf *why)
{
	struct buf *from = buf_new(256, 0);
	long long size;
	int i, tries, r = -1;

	for (tries = 0; tries < 2; tries++) {
		if ((i = uidlist_find(&mb->ul, uid)) < 0) {
			errno = ENOENT;
			break;
		}
		mailbox_name(mb, &mb->ul.v[i], from);
		if (to == NULL) {
			size = maildir_file_size(mb->curfd, buf_str(from));
			if ((r = unlinkat(mb->curfd, buf_str(from), 0)) == 0)
				mailbox_quota_note(mb, size, -1);
		}
		else if (strcmp(buf_str(from), to) == 0)
			r = 0;
		else
			r = renameat(mb->curfd, buf_str(from), mb->curfd, to);
		if (r == 0 || errno != ENOENT)
			break;
		if (tries == 0 && mailbox_sync_locked(mb, 1, why) < 0)
			break;
		errno = ENOENT;
	}
	if (r < 0 && errno != ENOENT)
		buf_setf(why, "%s %s/cur/%s: %s", to ? "rename" : "unlink",
		    mb->path, buf_str(from), strerror(errno));
	buf_free(&from);
	return r;
}

/* mailbox_set_flags - new flags and keywords for a message */
int
mailbox_set_flags(struct mailbox *mb, uint32_t uid, uint32_t flags,
    uint32_t kw, struct buf *why)
{
	struct uidlist_rec rec, *r;
	struct buf *to;
	int i, ret;

	if ((i = uidlist_find(&mb->ul, uid)) < 0) {
		errno = ENOENT;
		return -1;
	}
	r = &mb->ul.v[i];
	flags &= FLAG_ALL;
	if (r->flags == flags && r->kw == kw)
		return 0;
	rec = *r;
	rec.flags = flags;
	rec.kw = kw;
	to = buf_new(256, 0);
	mailbox_name(mb, &rec, to);
	ret = mailbox_rename_msg(mb, uid, buf_str(to), why);
	buf_free(&to);
	if (ret < 0)
		return -1;
	/* A rescan may have moved the record. */
	if ((i = uidlist_find(&mb->ul, uid)) >= 0)
		uidlist_set_flags(&mb->ul, i, flags, kw);
	return 0;
}

/* mailbox_expunge - remove a message (unlink: its file too) */
int
mailbox_expunge(struct mailbox *mb, uint32_t uid, int unlink_file,
    struct buf *why)
{
	int i;

	if (unlink_file && mailbox_rename_msg(mb, uid, NULL, why) < 0 &&
	    errno != ENOENT)
		return -1;
	if ((i = uidlist_find(&mb->ul, uid)) >= 0)
		uidlist_expunge(&mb->ul, i);
	return 0;
}

/* mailbox_add - a tmp/ file becomes a new message */
int
mailbox_add(struct mailbox *mb, const char *tmpname, uint32_t flags,
    uint32_t kw, uint32_t *uid, struct buf *why)
{
	struct buf *to = buf_new(256, 0);
	long long size;

	buf_setf(to, "%s:2,", tmpname);
	uidlist_info_format(to, flags & FLAG_ALL, kw);
	size = maildir_file_size(mb->tmpfd, tmpname);
	if (mailbox_rename_noreplace(mb->tmpfd, tmpname, mb->curfd,
	    buf_str(to)) < 0) {
		buf_setf(why, "rename %s/tmp/%s to cur/: %s", mb->path,
		    tmpname, strerror(errno));
		buf_free(&to);
		return -1;
	}
	buf_free(&to);
	mailbox_quota_note(mb, size, 1);
	*uid = uidlist_add(&mb->ul, tmpname, flags & FLAG_ALL, kw);
	return 0;
}

/* mailbox_claim_recent - this session takes the \Recent messages */
uint32_t
mailbox_claim_recent(struct mailbox *mb)
{
	uint32_t old = mb->ul.firstrecent;

	uidlist_set_header(&mb->ul, mb->ul.uidnext, mb->ul.cur_sec,
	    mb->ul.cur_nsec);
	return old;
}
