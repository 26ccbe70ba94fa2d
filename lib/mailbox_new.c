/*
 * mailbox_new - mail that stays in new/ and yet has its UID, for a session
 * that leaves new/ alone (pop3: mb->keep_new).
 *
 * imap moves every file of new/ to cur/ when it syncs.  A POP3 session
 * must not: mail it did not retrieve stays unread for mail readers on the
 * Maildir, and pop3 has always moved only what RETR fetched, at QUIT.  So
 * pop3, under the folder's lock, gives each file of new/ a record where it
 * lies (UIDLIST_INNEW, "N" in the uid list): the same UID, the same cache
 * entries and the same UIDL as any other message.  Whoever moves the file
 * to cur/ later keeps that record: pop3 itself (mailbox_new_move, at
 * QUIT), or an imap sync (mailbox.c, mailbox_moved_add).  Records of new/
 * files that are gone when pop3 looks again are expunged.
 *
 * Files are opened, renamed and removed relative to the folder's
 * directories, without following symlinks; a file that another session
 * moved meanwhile is looked for in cur/ through its record.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mailbox.h"
#include "mailbox_int.h"
#include "maildir.h"
#include "msg.h"
#include "uidlist.h"
#include "util.h"

/* mailbox_new_base_cmp - order base names (pointers to them) */
static int
mailbox_new_base_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * mailbox_new_bases - the sorted bases of the live records, to tell a
 * file of new/ that has a record in cur/ already (a copy left behind by
 * a move seen half): it is not a message of its own.
 */
static char **
mailbox_new_bases(struct uidlist *ul, int *n)
{
	char	**v = xcalloc((size_t)ul->count + 1, sizeof(*v));
	int	  i;

	for (i = *n = 0; i < ul->count; i++)
		if (uidlist_find_near(ul, ul->v[i].uid, i) == i)
			v[(*n)++] = ul->v[i].base;
	qsort(v, (size_t)*n, sizeof(*v), mailbox_new_base_cmp);
	return v;
}

/*
 * mailbox_new_match - the files of new/ with their records.  change: add
 * the missing records, expunge those of files gone (the lock is held);
 * else return 1 at the first change that is needed.
 */
static int
mailbox_new_match(struct mailbox *mb, struct mailbox_ents *e,
    struct mailbox_newfile *v, int *np, int change)
{
	struct uidlist		*ul = &mb->ul;
	struct mailbox_ent	*x;
	char			**bases = NULL, *seen;
	int			 i, j, n = 0, nbases = 0, first, count, r = 0;

	count = ul->count;
	first = uidlist_first_innew(ul);
	seen = xcalloc((size_t)count + 1, 1);
	for (i = 0; i < e->count && r == 0; i++) {
		x = &e->v[i];
		j = first < 0 ? -1 : uidlist_find_innew(ul, x->base, first);
		if (j >= 0 && j < count && !seen[j]) {
			seen[j] = 1;
			v[n].uid = ul->v[j].uid;
		} else {
			if (bases == NULL)
				bases = mailbox_new_bases(ul, &nbases);
			if (bsearch(&x->base, bases, (size_t)nbases,
			    sizeof(*bases), mailbox_new_base_cmp) != NULL)
				continue;
			if (!change) {
				r = 1;
				break;
			}
			v[n].uid = uidlist_add(ul, x->base,
			    x->flags | UIDLIST_INNEW, x->kw);
		}
		v[n++].name = xstrdup(x->name);
	}
	/* Records of new/ files that are no longer there. */
	for (j = first < 0 ? count : first; j < count && r == 0; j++)
		if (!seen[j] && uidlist_find_near(ul, ul->v[j].uid, j) == j &&
		    (ul->v[j].flags & UIDLIST_INNEW)) {
			if (!change)
				r = 1;
			else
				uidlist_expunge(ul, j);
		}
	free(bases);
	free(seen);
	*np = n;
	return r;
}

/*
 * mailbox_new_scan - the files of new/, each with its UID, in UID order
 * (see mailbox.h).  The lock is taken only when records must be added or
 * removed: a session that finds every file known reads and writes nothing
 * more.
 */
int
mailbox_new_scan(struct mailbox *mb, struct mailbox_newfile **vp, int *np,
    struct buf *why)
{
	struct mailbox_ents	 e;
	struct mailbox_newfile	*v;
	int			 n, r = 0;

	*vp = NULL;
	*np = 0;
	if (mailbox_readdir(mb, mb->newfd, &e, why) < 0)
		return -1;
	qsort(e.v, (size_t)e.count, sizeof(*e.v), mailbox_ent_time_cmp);
	v = xcalloc((size_t)e.count + 1, sizeof(*v));
	if (mailbox_new_match(mb, &e, v, &n, 0)) {
		mailbox_new_free(&v, n);
		v = xcalloc((size_t)e.count + 1, sizeof(*v));
		if (mailbox_begin(mb, why) < 0)
			r = -1;
		else {
			(void)mailbox_new_match(mb, &e, v, &n, 1);
			r = mailbox_end(mb, why);
		}
	}
	mailbox_ents_free(&e);
	if (r < 0) {
		mailbox_new_free(&v, n);
		return -1;
	}
	_Static_assert(offsetof(struct mailbox_newfile, uid) == 0, "uid first");
	qsort(v, (size_t)n, sizeof(*v), uidlist_cmp);
	*vp = v;
	*np = n;
	return 0;
}

/* mailbox_new_free - forget a listing */
void
mailbox_new_free(struct mailbox_newfile **vp, int n)
{
	int i;

	if (*vp == NULL)
		return;
	for (i = 0; i < n; i++)
		free((*vp)[i].name);
	free(*vp);
	*vp = NULL;
}

/*
 * mailbox_new_open - open a message listed in new/; one that another
 * session moved is opened in cur/ through its record
 */
int
mailbox_new_open(struct mailbox *mb, uint32_t uid, const char *name,
    struct buf *why)
{
	int fd;

	fd = openat(mb->newfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT) {
		if (fd < 0)
			buf_setf(why, "open %s/new/%s: %s", mb->path, name,
			    strerror(errno));
		return fd;
	}
	return mailbox_msg_open(mb, uid, why);
}

/*
 * mailbox_new_record - the index of a live record, after a sync when the
 * file is not where the caller thought; -1 with errno ENOENT when gone
 */
static int
mailbox_new_record(struct mailbox *mb, uint32_t uid, int resync,
    struct buf *why)
{
	int i;

	if (resync && mailbox_sync(mb, 1, why) < 0)
		return -1;
	if ((i = uidlist_find(&mb->ul, uid)) < 0)
		errno = ENOENT;
	return i;
}

/*
 * mailbox_new_move - move a message listed in new/ to cur/ with flags
 * added (RETR: \Seen); the lock is held
 */
int
mailbox_new_move(struct mailbox *mb, uint32_t uid, const char *name,
    uint32_t add, struct buf *why)
{
	struct uidlist_rec	*r;
	struct buf		*to;
	int			 i, tries, ret = -1;

	to = buf_new(256, 0);
	for (tries = 0; tries < 2; tries++) {
		if ((i = mailbox_new_record(mb, uid, tries, why)) < 0)
			break;
		r = &mb->ul.v[i];
		if (!(r->flags & UIDLIST_INNEW)) {
			/* Moved to cur/ by another session meanwhile. */
			ret = mailbox_set_flags(mb, uid, r->flags | add, r->kw,
			    why);
			break;
		}
		buf_setf(to, "%s:2,", r->base);
		uidlist_info_format(to, (r->flags | add) & FLAG_ALL, r->kw);
		if (mailbox_rename_noreplace(mb->newfd, name, mb->curfd,
		    buf_str(to)) == 0) {
			uidlist_set_flags(&mb->ul, i, r->flags | add, r->kw);
			ret = 0;
			break;
		}
		if (errno != ENOENT) {
			buf_setf(why, "rename %s/new/%s to cur/%s: %s",
			    mb->path, name, buf_str(to), strerror(errno));
			break;
		}
	}
	buf_free(&to);
	return ret;
}

/*
 * mailbox_new_remove - remove a message listed in new/ (DELE); the lock
 * is held.  One that is gone already counts as removed.
 */
int
mailbox_new_remove(struct mailbox *mb, uint32_t uid, const char *name,
    struct buf *why)
{
	long long size = maildir_file_size(mb->newfd, name);
	int i;

	if (unlinkat(mb->newfd, name, 0) == 0)
		mailbox_quota_note(mb, size, -1);
	else {
		if (errno != ENOENT) {
			buf_setf(why, "unlink %s/new/%s: %s", mb->path, name,
			    strerror(errno));
			return -1;
		}
		/* Moved to cur/ by another session meanwhile? */
		if ((i = mailbox_new_record(mb, uid, 1, why)) < 0)
			return errno == ENOENT ? 0 : -1;
		if (!(mb->ul.v[i].flags & UIDLIST_INNEW))
			return mailbox_expunge(mb, uid, 1, why);
	}
	if ((i = uidlist_find(&mb->ul, uid)) >= 0)
		uidlist_expunge(&mb->ul, i);
	return 0;
}
