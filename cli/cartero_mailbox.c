/*
 * cartero_mailbox - "cartero mailbox": what an administrator would reach
 * for doveadm for, on a user's Maildir.
 *
 *	cartero [-c config_dir] mailbox resync user [folder]
 *	cartero [-c config_dir] mailbox expunge [-n] user folder query...
 *	cartero [-c config_dir] mailbox quota get|recalc ...
 *
 * where query is one or more of "before AGE" (INTERNALDATE, the file's
 * mtime, older than AGE: 30d, 12h), "seen", "deleted", or "all", all of
 * which must hold.
 *
 * resync rebuilds a folder's (or, without one, every folder's) UID list
 * and cache the way imap syncs, through lib/mailbox.c: under the folder's
 * lock, new/ is moved to cur/, cur/ is scanned whole (not trusted to its
 * mtime), messages that vanished are expunged and files nobody knew get
 * the next UIDs; every message that keeps its base name keeps its UID,
 * so the clients' caches stay right.  The list is then written whole
 * (compacted) and the cache replaced by one holding what the file names
 * tell (the CRLF size), the rest being filled by the next session.  Only
 * a list that is missing or unreadable gets a new UIDVALIDITY, and the
 * output says so.
 *
 * expunge removes the matching messages of one folder the way IMAP's
 * EXPUNGE does (lib/mailbox.c: files unlinked, the UID list's log), so
 * sessions open on the folder see them go; -n only lists them.
 *
 * The work runs in a child as the mailbox's owner (cartero_user_as):
 * never root on a user's files.  "mailbox quota" is
 * cartero_mailbox_quota.c's.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "mailbox.h"
#include "msg.h"
#include "params.h"
#include "resolve.h"
#include "util.h"
#include "cartero_user.h"

/* What to do, handed to the child. */
struct mailbox_job {
	const char	*maildir;
	const char	*folder;	/* NULL: every folder (resync) */
	int		 expunge;	/* else resync */
	int		 dry_run;	/* -n */
	long long	 before;	/* seconds of age, or -1 */
	uint32_t	 flags;		/* FLAG_* that must all be set */
	int		 all;		/* "all" was said */
};

/* cartero_mailbox_usage - say how to run us */
static int
cartero_mailbox_usage(void)
{
	fprintf(stderr, "usage: cartero [-c config_dir] mailbox resync "
	    "user [folder]\n"
	    "       cartero [-c config_dir] mailbox expunge [-n] user folder "
	    "before AGE|seen|deleted|all ...\n"
	    "       cartero [-c config_dir] mailbox quota get user\n"
	    "       cartero [-c config_dir] mailbox quota recalc "
	    "user|--all\n");
	return EX_USAGE;
}

/* cartero_mailbox_live - live messages of a list, and those from uid on */
static int
cartero_mailbox_live(const struct uidlist *ul, uint32_t from, int *newer)
{
	int i, n = 0;

	*newer = 0;
	for (i = 0; i < ul->count; i++)
		if (uidlist_find(ul, ul->v[i].uid) == i) {
			n++;
			if (ul->v[i].uid >= from)
				(*newer)++;
		}
	return n;
}

/* cartero_mailbox_recache - a new cache: the sizes the names tell */
static void
cartero_mailbox_recache(struct mailbox *mb)
{
	struct buf *name = buf_new(256, 0);
	long long size;
	int i;

	if (unlinkat(mb->dirfd, MAILBOX_CACHE_FILE, 0) < 0 && errno != ENOENT)
		msg_warn("remove %s/%s: %m", mb->path, MAILBOX_CACHE_FILE);
	mailbox_cache_free(&mb->cache);
	for (i = 0; i < mb->ul.count; i++) {
		if (uidlist_find(&mb->ul, mb->ul.v[i].uid) != i)
			continue;
		mailbox_name(mb, &mb->ul.v[i], name);
		if ((size = mailbox_name_field(buf_str(name), 'W')) >= 0)
			mailbox_cache_put_size(mb, mb->ul.v[i].uid, size);
	}
	mailbox_cache_flush(mb);
	buf_free(&name);
}

/* cartero_mailbox_resync - one folder's UID list and cache, rebuilt */
static int
cartero_mailbox_resync(struct mailbox *mb, const char *name, struct buf *why)
{
	uint32_t validity, next;
	int before, after, added, fresh;

	if (mailbox_lock(mb, why) < 0)
		return -1;
	if (uidlist_load(&mb->ul, mb->dirfd, why) < 0)
		goto fail;
	fresh = mb->ul.rewrite;
	validity = mb->ul.uidvalidity;
	next = mb->ul.uidnext;
	before = cartero_mailbox_live(&mb->ul, next, &added);
	if (mailbox_sync(mb, 1, why) < 0)
		goto fail;
	mb->ul.rewrite = 1;
	if (uidlist_commit(&mb->ul, mb->dirfd, why) < 0)
		goto fail;
	cartero_mailbox_recache(mb);
	mailbox_unlock(mb);
	after = cartero_mailbox_live(&mb->ul, next, &added);
	printf("%s: %d messages: %d kept their UIDs, %d new, %d gone; "
	    "UIDVALIDITY %u%s, UIDNEXT %u\n", name, after, after - added,
	    added, before - (after - added), mb->ul.uidvalidity, fresh ?
	    " (new: there was no usable UID list)" : validity !=
	    mb->ul.uidvalidity ? " (changed)" : "", mb->ul.uidnext);
	return 0;
fail:
	mailbox_unlock(mb);
	return -1;
}

/* cartero_mailbox_match - does the record at index i match the query? */
static int
cartero_mailbox_match(struct mailbox *mb, int i, const struct mailbox_job *j,
    time_t now)
{
	const struct uidlist_rec *r = &mb->ul.v[i];
	struct stat st;

	if ((r->flags & j->flags) != j->flags)
		return 0;
	if (j->before < 0)
		return 1;
	mailbox_name(mb, r, mb->scratch);
	if (fstatat(mb->curfd, buf_str(mb->scratch), &st,
	    AT_SYMLINK_NOFOLLOW) < 0)
		return 0;	/* gone meanwhile */
	return (long long)st.st_mtime < (long long)now - j->before;
}

/* cartero_mailbox_expunge - remove a folder's matching messages */
static int
cartero_mailbox_expunge(struct mailbox *mb, const char *name,
    const struct mailbox_job *j, struct buf *why)
{
	time_t now = time(NULL);
	uint32_t *uids;
	int i, n = 0, gone = 0, r = 0;

	if (mailbox_begin(mb, why) < 0)
		return -1;
	uids = xcalloc((size_t)mb->ul.count + 1, sizeof(*uids));
	for (i = 0; i < mb->ul.count; i++)
		if (uidlist_find(&mb->ul, mb->ul.v[i].uid) == i &&
		    cartero_mailbox_match(mb, i, j, now))
			uids[n++] = mb->ul.v[i].uid;
	for (i = 0; i < n; i++) {
		if (j->dry_run) {
			printf("%s: UID %u would be expunged\n", name, uids[i]);
			continue;
		}
		if (mailbox_expunge(mb, uids[i], 1, why) < 0) {
			r = -1;
			break;
		}
		gone++;
	}
	if (mailbox_end(mb, why) < 0)
		r = -1;
	if (!j->dry_run)
		printf("%s: %d messages expunged\n", name, gone);
	free(uids);
	return r;
}

/* cartero_mailbox_folder - one folder, by name: resync or expunge */
static int
cartero_mailbox_folder(const struct mailbox_job *j, const char *name)
{
	struct buf *why = buf_new(256, 4096), *path = buf_new(256, 0);
	struct mailbox *mb = NULL;
	int r = -1;

	if (mailbox_list_path(j->maildir, name, path, why) < 0 ||
	    mailbox_open(buf_str(path), &mb, why) < 0)
		goto out;
	r = j->expunge ? cartero_mailbox_expunge(mb, name, j, why) :
	    cartero_mailbox_resync(mb, name, why);
out:
	if (r < 0)
		msg_warn("%s: %s", name, buf_str(why));
	mailbox_close(&mb);
	buf_free(&why);
	buf_free(&path);
	return r;
}

/* cartero_mailbox_child - as the owner: the folder, or every folder */
static int
cartero_mailbox_child(void *arg)
{
	const struct mailbox_job *j = arg;
	struct mailbox_list_entry *v;
	struct buf *why;
	int i, n, ret = 0;

	if (j->folder != NULL)
		return cartero_mailbox_folder(j, j->folder) < 0;
	why = buf_new(256, 4096);
	if (mailbox_list_scan(j->maildir, &v, &n, why) < 0) {
		msg_warn("%s: %s", j->maildir, buf_str(why));
		buf_free(&why);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (v[i].exists && cartero_mailbox_folder(j, v[i].name) < 0)
			ret = 1;
	mailbox_list_free(v, n);
	buf_free(&why);
	return ret;
}

/* cartero_mailbox_query - the expunge query words: 0, -1 (said) */
static int
cartero_mailbox_query(int argc, char **argv, struct mailbox_job *j)
{
	int i;

	j->before = -1;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "before") == 0 && i + 1 < argc) {
			if ((j->before = parse_time(argv[++i], 'd')) < 0) {
				msg_warn("before %s: not an age (30d, 12h, "
				    "90m)", argv[i]);
				return -1;
			}
		} else if (strcmp(argv[i], "seen") == 0)
			j->flags |= FLAG_SEEN;
		else if (strcmp(argv[i], "deleted") == 0)
			j->flags |= FLAG_DELETED;
		else if (strcmp(argv[i], "all") == 0)
			j->all = 1;
		else {
			msg_warn("\"%s\": not a query word (before AGE, seen, "
			    "deleted, all)", argv[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * cartero_mailbox - "cartero mailbox ...": argv[0] is "mailbox"; the exit
 * status
 */
int
cartero_mailbox(int argc, char **argv, const char *confdir)
{
	struct mailbox_job j;
	struct account acct;
	struct buf *why;
	char real[PATH_MAX];
	int i = 2, r;

	memset(&j, 0, sizeof(j));
	if (argc < 3)
		return cartero_mailbox_usage();
	if (strcmp(argv[1], "quota") == 0)
		return cartero_mailbox_quota(argc - 1, argv + 1, confdir);
	if (strcmp(argv[1], "expunge") == 0) {
		j.expunge = 1;
		if (strcmp(argv[i], "-n") == 0) {
			j.dry_run = 1;
			i++;
		}
		if (argc - i < 3 || cartero_mailbox_query(argc - i - 2,
		    argv + i + 2, &j) < 0)
			return cartero_mailbox_usage();
		if (!j.all && j.flags == 0 && j.before < 0)
			return cartero_mailbox_usage();
		j.folder = argv[i + 1];
	} else if (strcmp(argv[1], "resync") == 0) {
		if (argc > 4)
			return cartero_mailbox_usage();
		j.folder = argc == 4 ? argv[3] : NULL;
	} else
		return cartero_mailbox_usage();
	why = buf_new(256, 4096);
	if (conf_load_real(confdir, real, why) < 0)
		msg_fatal("%s", buf_str(why));
	resolve_use_passdb(1);
	if (cartero_user_find(argv[i], &acct) < 0) {
		buf_free(&why);
		return 1;
	}
	j.maildir = acct.maildir;
	if (acct.maildir[strlen(acct.maildir) - 1] != '/') {
		msg_warn("%s: %s is an mbox (home_mailbox has no trailing /): "
		    "nothing to do", acct.name, acct.maildir);
		r = 1;
	} else
		r = cartero_user_as(acct.uid, acct.gid, cartero_mailbox_child,
		    &j);
	account_free(&acct);
	buf_free(&why);
	return r;
}
