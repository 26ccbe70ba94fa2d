/*
 * uidlist - a Maildir folder's persistent UIDs: the file FOLDER/cartero-
 * uidlist that imapd keeps (and that anything serving the folder by UID
 * must honour).
 *
 * The file is a snapshot followed by a log of changes, one line each:
 *
 *	cartero-uidlist 1 V<uidvalidity> N<uidnext> M<highestmodseq>
 *	    R<firstrecent> C<cur/ mtime as sec.nsec>	(first line)
 *	<uid> <modseq> <info> <base>	a message (snapshot)
 *	+<uid> <modseq> <info> <base>	a new message (log)
 *	=<uid> <modseq> <info>		new flags (log)
 *	-<uid> <modseq>			expunged (log)
 *	H N<..> M<..> R<..> C<..>	new header values (log)
 *
 * <base> is the Maildir unique name (the file name before ":"), <info>
 * the flag letters of ":2," (D F P R S T, then keywords a-z) or "-", and
 * N when the file is still in new/ (UIDLIST_INNEW).
 * Appends go to the end under the folder's lock; when the log grows past
 * the snapshot the whole file is rewritten (temporary file, rename).  A
 * reader remembers how much of which inode it has applied and reads only
 * what was appended since, so a session learns another's changes for the
 * price of a stat and a short read.  A last line without its newline (a
 * writer died) is ignored, and cut off by the next writer.
 *
 * C records the mtime of cur/ just after the last change that imapd made
 * there; a different mtime means another program (local, pop3d, a mail
 * client on the Maildir) renamed or removed something, and cur/ must be
 * scanned again.
 */
#ifndef CARTERO_UIDLIST_H
#define CARTERO_UIDLIST_H

#include <sys/types.h>
#include <stdint.h>

struct buf;

#define UIDLIST_FILE		"cartero-uidlist"
#define UIDLIST_BASE_MAX	255	/* longest base name accepted */

/* System flags; the Maildir letters are in parentheses. */
#define FLAG_DRAFT	0x01	/* D \Draft */
#define FLAG_FLAGGED	0x02	/* F \Flagged */
#define FLAG_FORWARDED	0x04	/* P $Forwarded */
#define FLAG_ANSWERED	0x08	/* R \Answered */
#define FLAG_SEEN	0x10	/* S \Seen */
#define FLAG_DELETED	0x20	/* T \Deleted */
#define FLAG_ALL	0x3f
/*
 * Not an IMAP flag: the message's file is still in new/ (pop3 gave it a
 * UID without moving it, see mailbox_new.c); "N" in the file's info
 * field, never in a file name.  The next sync that moves new/ clears it.
 */
#define UIDLIST_INNEW	0x40

struct uidlist_rec {
	uint32_t	 uid;		/* 0: expunged, awaiting compaction */
	uint32_t	 flags;		/* FLAG_* */
	uint32_t	 kw;		/* keywords: bit 0 is 'a' */
	uint64_t	 modseq;
	char		*base;
};

struct uidlist {
	uint32_t	 uidvalidity;
	uint32_t	 uidnext;
	uint32_t	 firstrecent;	/* lowest UID not yet \Recent anywhere */
	uint64_t	 highestmodseq;
	long long	 cur_sec, cur_nsec;	/* C: cur/ after imapd changed it */
	struct uidlist_rec *v;		/* ascending UIDs */
	int		 count;
	int		 size;
	int		 holes;		/* expunged records not yet removed */
	int		 innew;		/* live records with UIDLIST_INNEW */

	/* How much of which file is applied. */
	int		 loaded;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 offset;
	int		 nlog;		/* log lines after the snapshot */

	struct buf	*pending;	/* log lines not yet written */
	int		 rewrite;	/* the next commit writes it whole */
};

void	uidlist_init(struct uidlist *);
void	uidlist_free(struct uidlist *);
/*
 * Catch up with the file in the directory dirfd: the whole file when it
 * is new to us, else what was appended since.  A missing or unreadable
 * file gives a fresh list (new UIDVALIDITY) marked for rewrite.  Returns
 * 1 when anything changed, 0 when not, -1 on an I/O error (why).
 */
int	uidlist_load(struct uidlist *, int, struct buf *);
/* Write what changed (append, or rewrite); the caller holds the lock. */
int	uidlist_commit(struct uidlist *, int, struct buf *);
/* Forget the file: the next load reads it whole. */
void	uidlist_forget(struct uidlist *);

int	uidlist_find(const struct uidlist *, uint32_t);	/* index or -1 */

/*
 * Records of any kind whose first member is a uint32_t UID (the list's
 * own, the views of imap and pop3): uidlist_cmp orders them for qsort,
 * uidlist_search finds uid among n of them of size bytes each, sorted
 * by it (its index, or -1).
 */
int	uidlist_cmp(const void *, const void *);
int	uidlist_search(const void *, int, size_t, uint32_t);
/* The same, trying the index hint first (a walk in UID order). */
int	uidlist_find_near(const struct uidlist *, uint32_t, int);
/*
 * Records of files still in new/ (UIDLIST_INNEW): the lowest index of
 * one (-1: none, the usual case); the index of the one with a base, from
 * the top down to an index (-1: none).
 */
int	uidlist_first_innew(const struct uidlist *);
int	uidlist_find_innew(const struct uidlist *, const char *, int);
/* A new message: the next UID, a new modseq; returns the UID.  Flags:
 * FLAG_*, and UIDLIST_INNEW for a file left in new/. */
uint32_t uidlist_add(struct uidlist *, const char *, uint32_t, uint32_t);
/* New flags and keywords for the record at an index: a new modseq. */
void	uidlist_set_flags(struct uidlist *, int, uint32_t, uint32_t);
/* Expunge the record at an index (it stays, uid 0, until compact). */
void	uidlist_expunge(struct uidlist *, int);
void	uidlist_compact(struct uidlist *);
/* New header values (firstrecent, cur/ mtime). */
void	uidlist_set_header(struct uidlist *, uint32_t, long long, long long);

/* Maildir info letters ("FRS", keywords a-z) to flags, and back. */
void	uidlist_info_parse(const char *, uint32_t *, uint32_t *);
void	uidlist_info_format(struct buf *, uint32_t, uint32_t);
/* Is this usable as a base name (printable, no '/', ':' or blank)? */
int	uidlist_base_ok(const char *, size_t);

#endif
