/*
 * mailbox - a Maildir++ folder served by UID (imapd): the folder's
 * directories, its UID list (uidlist.h), its keywords, its cache, and the
 * folders of a Maildir.
 *
 *	mailbox.c	a folder: open, sync with the directories, flag
 *			changes, expunge, new messages (APPEND, COPY, MOVE)
 *	mailbox_new.c	mail left in new/ with UIDs (pop3: RFC 1939 and
 *			mail readers want unread mail to stay there)
 *	mailbox_name.c	file names: a record's, size fields, the UIDL
 *	mailbox_tmp.c	new files in tmp/ (APPEND, COPY, MOVE)
 *	mailbox_keyword.c the keyword names (dovecot-keywords)
 *	mailbox_cache.c	the per-folder cache of what FETCH needs most
 *	mailbox_list.c	names to paths (modified UTF-7, nothing escapes),
 *			listing, CREATE, DELETE, RENAME, subscriptions
 *
 * imap and pop3 both serve mail through this layer: one uid list, one
 * cache, one lock, so a message has one identity (its base name; a UID
 * in IMAP, the UIDL made from the base in POP3).  Everything runs as
 * the mailbox's owner; every file is opened relative to the folder's
 * directories and without following symlinks.  Changes are made under
 * the folder's lock (flock on cartero-uidlist.lock), so concurrent imap
 * and pop3 sessions serialise.  Every message file added or removed here
 * is counted in the Maildir's quota file (maildirsize.h: one line per
 * change set, written at mailbox_end or mailbox_close), so IMAP's
 * EXPUNGE, MOVE, COPY and APPEND, POP3's DELE and "cartero mailbox
 * expunge" keep the usage without a recount; local delivery (into new/) and mail
 * clients on the Maildir take no lock, and the sync copes with files that
 * move or vanish under it.
 */
#ifndef CARTERO_MAILBOX_H
#define CARTERO_MAILBOX_H

#include <sys/types.h>
#include <stdint.h>

#include "uidlist.h"

struct buf;

#define MAILBOX_LOCK_FILE	"cartero-uidlist.lock"
#define MAILBOX_KEYWORDS_FILE	"dovecot-keywords"	/* Dovecot's format */
#define MAILBOX_CACHE_FILE	"cartero-cache"
#define MAILBOX_SUBS_FILE	"subscriptions"		/* in the Maildir */
#define MAILBOX_KEYWORDS	26	/* letters a-z */
#define MAILBOX_KEYWORD_MAX	128	/* longest keyword name */
#define MAILBOX_NAME_MAX	512	/* longest folder name (mUTF-7) */
#define MAILBOX_UIDL_MAX	70	/* RFC 1939: 1 to 70 printable octets */

struct mailbox_cache;

struct mailbox {
	char		*path;		/* the folder's directory */
	int		 dirfd, curfd, newfd, tmpfd, lockfd;
	int		 locked;	/* nesting depth */
	struct uidlist	 ul;		/* the messages, by UID */
	char		*kw[MAILBOX_KEYWORDS];	/* keyword names, or NULL */
	ino_t		 kw_ino;
	long long	 kw_mtime;	/* ns */
	off_t		 kw_size;
	struct mailbox_cache *cache;
	struct buf	*scratch;
	long long	 cur_pre_sec, cur_pre_nsec;	/* cur/ at begin */
	long long	 new_empty_ns;	/* new/'s old mtime when seen empty */
	unsigned	 uniq;		/* counter for unique names */
	int		 keep_new;	/* pop3: a sync leaves new/ alone */
	char		*quota_root;	/* the Maildir whose maildirsize counts */
	long long	 quota_bytes;	/* changes not yet written there */
	long long	 quota_count;
};

/*
 * Open the folder at a path (a Maildir or a Maildir++ ".Folder"
 * directory); tmp/ new/ cur/ are made when missing.  -1 with why (errno
 * ENOENT when the directory does not exist).  Nothing is read yet.
 */
int	mailbox_open(const char *, struct mailbox **, struct buf *);
void	mailbox_close(struct mailbox **);
/* Write the quota changes counted so far (mailbox_end does, and close). */
void	mailbox_quota_flush(struct mailbox *);

/*
 * Bring mb->ul up to date: other sessions' changes (from the UID list's
 * log), mail delivered into new/ (moved to cur/ and given UIDs), and
 * changes by other programs in cur/ (found by a scan when cur/'s mtime is
 * not the one imapd left; force: scan anyway).  -1 with why.
 */
int	mailbox_sync(struct mailbox *, int, struct buf *);

/* The folder's lock (flock; nests within a process). */
int	mailbox_lock(struct mailbox *, struct buf *);
void	mailbox_unlock(struct mailbox *);

/* mailbox_name.c: the file name of a record: base ":2," letters. */
void	mailbox_name(const struct mailbox *, const struct uidlist_rec *,
	    struct buf *);
/* A ",X=<number>" field of a name (',S=' bytes, ',W=' CRLF size), or -1. */
long long mailbox_name_field(const char *, int);
/* The POP3 UIDL of a file or base name (the same for both). */
void	mailbox_name_uidl(const char *, struct buf *);
/* A usable name, with the same UIDL, for a file whose base is unusable. */
void	mailbox_name_usable(const char *, struct buf *);

/*
 * mailbox_new.c, for a session that leaves new/ alone (mb->keep_new, set
 * after mailbox_open).  After a sync, mailbox_new_scan() gives every
 * file of new/ a UID while it stays there (UIDLIST_INNEW; the next sync
 * that moves new/ keeps that UID; it locks only when it has records to
 * add or remove) and lists them.  Between mailbox_begin() and
 * mailbox_end(), mailbox_new_move() moves one to cur/ with flags added,
 * and mailbox_new_remove() removes one: 0, or -1 (errno ENOENT when it
 * is gone, else why).  mailbox_new_open() opens one read-only, -1 with
 * errno ENOENT when it is neither in new/ nor, moved by another session,
 * in cur/.
 */
struct mailbox_newfile {
	uint32_t	 uid;
	char		*name;		/* its name in new/ */
};
int	mailbox_new_scan(struct mailbox *, struct mailbox_newfile **, int *,
	    struct buf *);
void	mailbox_new_free(struct mailbox_newfile **, int);
int	mailbox_new_open(struct mailbox *, uint32_t, const char *,
	    struct buf *);
int	mailbox_new_move(struct mailbox *, uint32_t, const char *, uint32_t,
	    struct buf *);
int	mailbox_new_remove(struct mailbox *, uint32_t, const char *,
	    struct buf *);
/*
 * Open a message read-only by UID.  A file renamed by another program is
 * found again (a rescan); -1 with errno ENOENT when the message is gone.
 */
int	mailbox_msg_open(struct mailbox *, uint32_t, struct buf *);

/*
 * Changes: mailbox_begin() locks and syncs; then any number of
 * flag changes, expunges and additions; mailbox_end() records them and
 * unlocks.  Each change returns 0, or -1 (the message is gone, or an I/O
 * error in why).
 */
int	mailbox_begin(struct mailbox *, struct buf *);
int	mailbox_end(struct mailbox *, struct buf *);
int	mailbox_set_flags(struct mailbox *, uint32_t, uint32_t, uint32_t,
	    struct buf *);
int	mailbox_expunge(struct mailbox *, uint32_t, int, struct buf *);
/*
 * Add the file tmp/NAME (made by mailbox_tmp_write or mailbox_tmp_link)
 * as a new message with these flags: renamed into cur/, given the next
 * UID (returned in *uid).
 */
int	mailbox_add(struct mailbox *, const char *, uint32_t, uint32_t,
	    uint32_t *, struct buf *);
/* Claim \Recent: every UID from firstrecent on; returns the old value. */
uint32_t mailbox_claim_recent(struct mailbox *);

/*
 * Write a message into tmp/ under a fresh unique name (returned in name):
 * the bytes, fsync, mtime set to the internal date (0: now).  The name
 * carries ",S=<bytes>,W=<bytes with CRLF line ends>".
 */
int	mailbox_tmp_write(struct mailbox *, const char *, size_t, time_t,
	    struct buf *, struct buf *);
/*
 * Put a message of another folder into this one's tmp/ (a hard link, a
 * copy where links fail), or move it there (rename, the source's file is
 * gone): for COPY and MOVE.  The new name is returned.
 */
int	mailbox_tmp_link(struct mailbox *, struct mailbox *, uint32_t, int,
	    struct buf *, struct buf *);
/* Remove a tmp/ file that will not be added. */
void	mailbox_tmp_unlink(struct mailbox *, const char *);

/* Keywords: the letter index of a name (case-insensitive), or -1; with
 * create, a new one is allocated (under the lock); -2 when all 26 are
 * taken. */
int	mailbox_keyword(struct mailbox *, const char *, int, struct buf *);
int	mailbox_keywords_load(struct mailbox *);
/* Forget the names (free them): a folder closed, a file gone or reread. */
void	mailbox_keywords_forget(struct mailbox *);

/* mailbox_cache.c: what FETCH needs most, per UID. */
struct mailbox_cached {
	uint32_t	 uid;
	long long	 size;		/* RFC822.SIZE: octets with CRLF */
	long long	 idate;		/* INTERNALDATE: seconds */
	const char	*envelope;	/* the ENVELOPE list */
	size_t		 envelope_len;
	const char	*body;		/* BODY (no extension data) */
	size_t		 body_len;
	const char	*bodystructure;	/* BODYSTRUCTURE */
	size_t		 bodystructure_len;
	const char	*headers;	/* the cached header fields, raw */
	size_t		 headers_len;
};

/* 1 and rec filled (pointers valid until the next cache call), 0 when
 * not cached. */
int	mailbox_cache_get(struct mailbox *, uint32_t, struct mailbox_cached *);
/* Remember a record (written by mailbox_cache_flush). */
void	mailbox_cache_put(struct mailbox *, const struct mailbox_cached *);
/*
 * The size alone (pop3: RFC822.SIZE is POP3's octet count), from a whole
 * record or a size record, or -1; and a size record for a UID that has
 * none (mailbox_cache_get counts it as a miss and a whole one replaces
 * it).
 */
long long mailbox_cache_size(struct mailbox *, uint32_t);
void	mailbox_cache_put_size(struct mailbox *, uint32_t, long long);
/* Append what was put; rewrite the file when most of it is dead. */
void	mailbox_cache_flush(struct mailbox *);
/* Drop mapped pages between commands (memory per idle session). */
void	mailbox_cache_release(struct mailbox *);
void	mailbox_cache_free(struct mailbox_cache **);

/* mailbox_list.c: the folders of a Maildir. */
struct mailbox_list_entry {
	char		*name;		/* mUTF-7, "." separated; "INBOX" */
	int		 exists;	/* a directory (else only children) */
	int		 children;	/* has inferiors */
	int		 subscribed;	/* for LIST (imapd): 0 from the scan */
	int		 subkids;	/* LIST: a subscribed name below it */
};

/*
 * The directory of a folder name (mUTF-7, as the client sends it) under
 * a Maildir: INBOX (any case) is the Maildir, "A.B" is Maildir/.A.B.
 * -1 with why for a name that is not valid or could leave the Maildir:
 * empty components, "." or "..", "/", control characters, non-canonical
 * modified UTF-7, too long.
 */
int	mailbox_list_path(const char *, const char *, struct buf *,
	    struct buf *);
/* Every folder, INBOX first, then sorted; free with _free. */
int	mailbox_list_scan(const char *, struct mailbox_list_entry **, int *,
	    struct buf *);
void	mailbox_list_free(struct mailbox_list_entry *, int);
/* IMAP LIST patterns: '*' any, '%' any but the separator. */
int	mailbox_list_match(const char *, const char *);
int	mailbox_list_create(const char *, const char *, struct buf *);
int	mailbox_list_delete(const char *, const char *, struct buf *);
int	mailbox_list_rename(const char *, const char *, const char *,
	    struct buf *);
/* Subscriptions: the Maildir's "subscriptions" file, one name a line. */
int	mailbox_list_subscriptions(const char *, char ***, int *);
int	mailbox_list_subscribe(const char *, const char *, int, struct buf *);
/* "INBOX" for any case of it, else the name itself. */
const char *mailbox_list_canon(const char *);

#endif
