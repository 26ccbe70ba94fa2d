/*
 * maildir - delivery into a Maildir (DJB's format with Maildir++ folders).
 *
 * A delivery writes tmp/UNIQUE with O_EXCL|O_NOFOLLOW, fsyncs it, links it
 * into new/ and fsyncs new/: only then is it a success.  A batch does the
 * same for several messages with one fsync of new/ for all of them.  maildir_make()
 * creates the Maildir and the folders .Drafts .Sent .Trash .Junk .Templates,
 * mode 0700, as the current (already switched) user.
 */
#ifndef CARTERO_MAILDIR_H
#define CARTERO_MAILDIR_H

#include <sys/types.h>

struct buf;

int	maildir_make(const char *, int, struct buf *);	/* path, with folders */
/* A folder name mail may be filed into ("Junk"): letters, digits, - _. */
int	maildir_folder_ok(const char *);
/* The Maildir++ folder of a Maildir, made if missing; its path in out. */
int	maildir_make_folder(const char *, const char *, struct buf *,
	    struct buf *);
/*
 * Deliver: write prefix (e.g. "Return-Path: <x>\nDelivered-To: y\n") then
 * len bytes of fd from offset.  Returns 0, or -1 with why, and *temp set
 * to 1 when the failure is temporary (disk full, I/O) or 0 when permanent;
 * errno is kept.  The file in new/ is named "UNIQUE,S=<bytes>".
 */
int	maildir_deliver(const char *, const char *, int, off_t, off_t,
	    struct buf *, int *);
/*
 * One message of a batch: maildir_deliver_batch() delivers several into
 * one Maildir with shared syncs.  The caller fills the inputs and gives
 * each message a why buffer; status is 0 when the message is durable in
 * new/, -1 otherwise (with temp and err as maildir_deliver() sets them).
 */
struct maildir_msg {
	const char	*prefix;	/* in: written before the message */
	int		 fd;		/* in: the queue file */
	off_t		 offset;	/* in: where the message starts in it */
	off_t		 len;		/* in: its length */
	struct buf	*why;		/* in: caller's; out: why it failed */
	int		 status;	/* out: 0 delivered, -1 failed */
	int		 temp;		/* out: the failure is temporary */
	int		 err;		/* out: errno of the failure */
};

void	maildir_deliver_batch(const char *, struct maildir_msg *, int);
/* Bytes used by the messages of a Maildir and its folders, and their
 * number (second argument): a quota's recount (maildirsize.c). */
long long maildir_count(const char *, long long *);
/* The size a quota counts for a message file (dir fd, name), or -1. */
long long maildir_file_size(int, const char *);
/* For tests: called with each tmp/ path just before it is created. */
extern void (*maildir_tmp_hook)(const char *);

#endif
