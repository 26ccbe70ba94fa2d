/*
 * queue - queue files.  A queue file is a few envelope records, one per
 * line, then the message:
 *
 *	T<arrival seconds> <microseconds> <queue id>
 *	S<size of the message in bytes> <checksum>
 *	F<sender, "" for the null sender>
 *	A<name>=<value>		attributes (client, helo, protocol, uid,
 *				bounce level; the DSN envid (decoded) and
 *				ret=FULL|HDRS; body=8BITMIME|BINARYMIME;
 *				smtputf8=1; folder=NAME, the Maildir++
 *				folder local delivers into, e.g. Junk)
 *	R<recipient>		a recipient still to do ...
 *	O<original recipient>	... optionally followed by its original form,
 *	N<notify>		its DSN NOTIFY (NEVER, or a subset of
 *				SUCCESS,FAILURE,DELAY) and
 *	C<orcpt>		its DSN ORCPT, "addr-type;address" with the
 *				xtext decoded (O, N and C in any order, once
 *				each, right after their R)
 *	D<recipient>		a recipient done (R rewritten in place to D)
 *	M
 *	<the message, LF line ends, not dot-stuffed>
 *
 * Values are printable: control characters (CR, LF, ...), DEL and % are
 * written %XX.  A writer creates a temporary file "t.<id>" in incoming/ (or
 * maildrop/), and queue_commit() renames it to its queue id, fsyncs it and
 * the directory (a sync of the directory that began after the rename,
 * maybe another writer's): only then may anyone reply 250.  The same format
 * serves maildrop/ files written by sendmail.
 *
 * queue_create() itself writes the T record (now) and the S record, whose
 * value is a fixed width of QUEUE_SIZE_WIDTH zero-padded digits, a space
 * and QUEUE_SUM_WIDTH hex digits of a checksum (64-bit FNV-1a) of every
 * byte after the S record, filled in by queue_commit() (pwrite); files
 * written before the checksum was there have digits only.  Then a space
 * and the format's version, QUEUE_FORMAT (3); a file without it is of
 * format 1 (no checksum, no id in T) or 2; a reader refuses a format
 * newer than its own, so an upgrade reads what the old version queued
 * and a change of the format says so here.  queue_verify()
 * checks it, so that a file whose writes a crash kept, in part, from the
 * disk is never taken for a message.  Callers write only F, A, R and O records
 * (queue_rec() refuses T and S) and then the message with queue_data(),
 * which writes the M record first if the caller did not.  Writes are
 * buffered; a write error is sticky: every later call returns -1 and
 * queue_commit() fails with why and errno set (ENOSPC, EDQUOT: disk full),
 * removing the temporary file.  queue_read() checks that the file holds
 * exactly S message bytes after M (a truncated file is corrupt) and leaves
 * the file offset at data_offset.  Queue ids are uppercase hex: arrival
 * seconds (8), microseconds (5) and the writer's pid, so they sort by
 * arrival and never collide between processes.  Files are mode 0600,
 * except in maildrop/ (0644: a user's sendmail writes them, pickup reads
 * them); there a directory the writer cannot read is not fsync'd.
 *
 * The T record names the id the writer gave the file (files written
 * before it was there have no third field): a reader that finds another
 * id than the file's name holds the content of another queue file, which
 * a crash can leave behind (stale blocks of a new file, a reused file
 * whose new content did not reach the disk), and sets it aside.
 *
 * qmgr may move a finished queue file (every recipient has its outcome,
 * the file is at most QUEUE_RECYCLE_SIZE_MAX bytes, its T record names
 * its id) into recycle/ rather than remove it; queue_create() in
 * incoming/ then reuses such a file, which spares the file system an
 * inode allocation and release per message.  The writer claims the file
 * by renaming it to ".<new id>" in recycle/, locks it (flock), renames it
 * to its id in incoming/ at once, overwrites it, cuts it to its new
 * length and syncs it and incoming/ (a sync of incoming/ shared with the
 * other writers, through private/incoming.sync, or, when no other writer
 * is at work, one of its own begun at the claim: see dirsync.c); it is
 * done, and the file ready, when the lock is gone (queue_busy).  A reader
 * that finds an unlocked file there whose T record names another id, or
 * whose S record was never filled in, has found what a writer left when
 * it died before the end: no client was told it was queued.  qmgr moves a
 * file in under a name with a dot (".<id>") and renames it to its id only
 * after the sync of active/ that makes its removal from active/ durable,
 * so no crash can bring back a reused file under its old id; writers
 * take only names without a dot.  Files in recycle/ are never read; a
 * missing recycle/ just means new files.  The directory is
 * active/t.recycle: qmgr makes it, and as mail_owner it can write in
 * active/ but not in the queue directory itself (master's); the dot keeps
 * it out of every scan, as names with a dot are not queue ids.
 */
#ifndef CARTERO_QUEUE_H
#define CARTERO_QUEUE_H

#include <sys/types.h>
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct buf;

#define QUEUE_INCOMING	"incoming"
#define QUEUE_ACTIVE	"active"
#define QUEUE_DEFERRED	"deferred"
#define QUEUE_HOLD	"hold"
#define QUEUE_MAILDROP	"maildrop"
#define QUEUE_CORRUPT	"corrupt"
#define QUEUE_DEFER	"defer"		/* text files: why recipients wait */
#define QUEUE_RECYCLE	"active/t.recycle" /* finished files, for reuse */
#define QUEUE_RECYCLE_SIZE_MAX	(64 * 1024)	/* larger ones are removed */
#define QUEUE_ID_MAX	32
#define QUEUE_SIZE_WIDTH 15	/* digits of the S record */
#define QUEUE_SUM_WIDTH	16	/* hex digits of its checksum */
#define QUEUE_FORMAT	3	/* the S record's last field (see above) */
#define QUEUE_SIZE_REC	(QUEUE_SIZE_WIDTH + 1 + QUEUE_SUM_WIDTH)
#define QUEUE_SUM_INIT	0xcbf29ce484222325ULL	/* FNV-1a offset basis */

struct queue_writer;

/* Create a new queue file in DIR/sub (sub: QUEUE_INCOMING or QUEUE_MAILDROP). */
struct queue_writer *queue_create(const char *, const char *, struct buf *);
const char	*queue_writer_id(struct queue_writer *);
int		 queue_writer_fd(struct queue_writer *);
int		 queue_rec(struct queue_writer *, int, const char *);	/* type, value */
int		 queue_recf(struct queue_writer *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
int		 queue_data(struct queue_writer *, const void *, size_t);	/* after 'M' */
off_t		 queue_writer_size(struct queue_writer *);	/* data bytes so far */
/* Insert bytes into the message at an offset (0: its start), before commit. */
int		 queue_insert(struct queue_writer *, off_t, const void *, size_t);
/* An A record once the message is in (it goes before M), before commit. */
int		 queue_rec_late(struct queue_writer *, int, const char *);
int		 queue_commit(struct queue_writer *, struct buf *);	/* fsync, rename, fsync dir; frees */
void		 queue_abort(struct queue_writer **);	/* unlink the temp file; frees */

struct queue_rcpt {
	char	*addr;
	char	*orig;		/* original recipient, or NULL */
	char	*notify;	/* DSN NOTIFY, or NULL */
	char	*orcpt;		/* DSN ORCPT, or NULL */
	off_t	 offset;	/* of its R/D byte in the file */
	int	 done;
};

struct queue_msg {
	char		 id[QUEUE_ID_MAX];
	time_t		 arrival;
	long		 arrival_usec;
	off_t		 size;		/* message bytes */
	char		*sender;
	char		**attr;		/* "name=value", NULL-terminated */
	int		 nattr;
	struct queue_rcpt *rcpt;
	int		 nrcpt;
	off_t		 data_offset;	/* first byte of the message */
	char		 file_id[QUEUE_ID_MAX];	/* id in the T record, or "" */
	uint64_t	 sum;		/* checksum in the S record ... */
	int		 has_sum;	/* ... if there is one */
	int		 format;	/* QUEUE_FORMAT of the writer: 1..3 */
	off_t		 sum_offset;	/* first byte it covers */
};

/* Read the envelope of an open queue file.  0, or -1 with why (corrupt). */
int		 queue_read(int, struct queue_msg *, struct buf *);
void		 queue_msg_free(struct queue_msg *);
const char	*queue_msg_attr(const struct queue_msg *, const char *);
/* Check the content against the S record's checksum: 0, or -1 with why. */
int		 queue_verify(int, const struct queue_msg *, struct buf *);
/* The checksum of the S record (64-bit FNV-1a), continued over n bytes. */
uint64_t	 queue_sum(uint64_t, const void *, size_t);
/* A writer still at work (1), or one that died before the end (1)? */
int		 queue_busy(int);
int		 queue_unfinished(int, const char *);
/* Rewrite a recipient's R to D in place (the caller fsyncs when it must). */
int		 queue_mark_done(int, off_t);
/* Is this a queue id we made (no '/', no dot files)? */
int		 queue_id_ok(const char *);
/* Path of a queue file: DIR/sub/id. */
const char	*queue_path(struct buf *, const char *, const char *, const char *);
/* Up to n empty spare files in DIR/recycle for writers: how many made. */
int		 queue_spare_add(const char *, int);
/* Open the queue directory DIR/sub for reading (NULL with errno). */
DIR		*queue_opendir(const char *, const char *);
/* Tell qmgr (DIR/public/qmgr) that id is in incoming/; never fails loudly. */
void		 queue_notify(const char *, const char *);
/* An administrator's line to qmgr (DIR, line) and its one-line answer. */
int		 queue_notify_ask(const char *, const char *, struct buf *);
/* List the queue of DIR as mailq does (or JSON lines): the count, or -1. */
int		 queue_list(const char *, FILE *, int, struct buf *);
/* Percent-encode / decode record values. */
void		 queue_encode(struct buf *, const char *);
char		*queue_decode(char *);

#endif
