/*
 * dirsync - syncs of a directory shared between processes (group commit,
 * see dirsync.c).
 *
 * A writer that makes a name in a directory (a rename) and must know it
 * durable calls dirsync_mark() just before the rename, dirsync_after()
 * just after it, and dirsync_wait() when it needs the name on disk:
 *
 *	dirsync_mark(ds, &t);
 *	rename(tmp, final);
 *	dirsync_after(ds, &t);
 *	...
 *	if (dirsync_wait(ds, &t) < 0)	-- errno: that of the failed sync
 */
#ifndef CARTERO_DIRSYNC_H
#define CARTERO_DIRSYNC_H

#include <stdint.h>

struct dirsync;

/* What a writer knows of the syncs around its rename. */
struct dirsync_ticket {
	uint64_t	 before;	/* syncs finished before the rename */
	uint64_t	 after;		/* syncs begun by the end of it */
};

/* The shared state of dir in the file state (made when missing), or NULL. */
struct dirsync	*dirsync_open(const char *, const char *);
void		 dirsync_close(struct dirsync **);
void		 dirsync_mark(struct dirsync *, struct dirsync_ticket *);
void		 dirsync_after(struct dirsync *, struct dirsync_ticket *);
int		 dirsync_wait(struct dirsync *, const struct dirsync_ticket *);
/*
 * A writer whose rename comes well before it needs it durable (a reused
 * queue file, renamed when the message begins) may let the directory's
 * sync start at once when no other writer is at work:
 *
 *	dirsync_mark(ds, &t); rename(...); dirsync_after(ds, &t);
 *	dirsync_enter(ds, &w);
 *	...
 *	r = dirsync_leave(ds, &t, &w);	-- instead of dirsync_wait
 *	or dirsync_cancel(ds, &w);	-- when it gives up
 *
 * w must stay in place from dirsync_enter() to dirsync_leave() or
 * dirsync_cancel() (the kernel writes the sync's answer into it).
 */
#include "fsyncs.h"

struct dirsync_writer {
	int		 slot;		/* in the state, or -1 */
	int		 early;		/* its own sync begun */
	struct fsyncs_op op;
};

void		 dirsync_enter(struct dirsync *, struct dirsync_writer *);
int		 dirsync_leave(struct dirsync *, const struct dirsync_ticket *,
		    struct dirsync_writer *);
void		 dirsync_cancel(struct dirsync *, struct dirsync_writer *);
/* The directory's path (for the callers' messages). */
const char	*dirsync_dir(const struct dirsync *);
/* For tests: replaces fsync(2) of the directory. */
extern int	(*dirsync_fsync_hook)(int);

#endif
