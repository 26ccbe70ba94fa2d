/*
 * dirsync - one fsync of a directory for every process that needs one at
 * the same time (a group commit).
 *
 * A rename into a directory is durable once the directory has been
 * fsync'd after it: any fsync that BEGAN after the rename covers it,
 * whoever made it.  When many processes (smtpd sessions, one process
 * each) rename files into incoming/ at once, each one's own fsync of the
 * directory is mostly wasted: the disk's sync rate is the limit, and one
 * sync serves every rename made before it began.
 *
 * The processes share a small file (the state), mmap'd: the number of the
 * last sync begun (started), of the last finished (completed), and of the
 * last that failed, with its errno.  Syncs are made one at a time, under
 * an flock of the state file, numbered 1, 2, ...:
 *
 *	mark:	before = completed		(just before the rename)
 *		rename
 *	after:	after = started			(just after it)
 *	wait:	until completed > after: take the lock; if completed is
 *		still <= after, started = G = started + 1, fsync, record a
 *		failure as failed = G, completed = G; release the lock.
 *
 * Sync number G > after began after the writer read "after", so after its
 * rename: it covers the rename.  A writer that finds completed > after
 * returns at once, without a system call; the others queue on the lock,
 * and the first to get it makes one sync for all of them (those that
 * find, once they have the lock, that it covered them too return).  So
 * under load the directory costs about one sync per lock round trip, not
 * one per message.
 *
 * Errors: a sync that fails fails every writer whose rename it may have
 * been writing out: every sync numbered above "before" (not finished when
 * the writer renamed) counts, so a writer fails when failed > before,
 * even if a later sync, which finds nothing left to write, succeeds.  A
 * writer that renamed after the failed sync had finished is not failed by
 * it.
 *
 * A writer alone: at one session, the group has nobody to share with,
 * and the sync of the directory after the rename is one more wait for
 * the disk before the client hears 250.  A writer whose rename comes
 * early (a reused queue file is renamed into incoming/ when the message
 * begins) says so in a slot of the state, from its rename until it is
 * done (dirsync_enter, dirsync_leave).  When no other writer holds a
 * slot, it starts a sync of its own right after the rename, without
 * the lock, to run while the client sends the message, and waits for it
 * at the end (mostly done by then) instead of dirsync_wait().  It began
 * after the rename, so it covers it; the errors are those of
 * dirsync_wait (its own, and any shared sync numbered above "before"
 * that failed).  With other writers at work it takes the shared syncs,
 * so under load the group commit is unchanged.  Each slot holds its
 * writer's pid: a writer that finds a slot of a process that no longer
 * exists frees it; a slot whose pid was reused only makes writers take
 * the shared syncs, never less safe.
 *
 * A process that dies while it holds the lock releases it (flock goes
 * with the last descriptor): the sync it began never gets completed, and
 * the next waiter makes another.  The lock belongs to an open file, which
 * fork() shares: a child opens the state file again before it locks.
 *
 * What is distrusted: the state's content, after a crash of the machine
 * or another program's writes.  Numbers that cannot be (completed or
 * failed past started, a wrong magic number) are set right, under the
 * lock, by a sync numbered past all of them, before anyone relies on
 * them.  Where the state cannot be had (no permission, a read-only file
 * system), every wait makes its own plain fsync: slower, never less safe.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirsync.h"
#include "fsyncs.h"
#include "msg.h"
#include "util.h"

#define DIRSYNC_MAGIC	0x63617274646e7331ULL	/* "cartdns1" */
#define DIRSYNC_SIZE	4096			/* of the state file */
#define DIRSYNC_SLOTS	256			/* early writers at once */

/* The state file's content (host byte order: it never leaves the host). */
struct dirsync_shared {
	uint64_t	 magic;
	uint64_t	 started;	/* number of the last sync begun */
	uint64_t	 completed;	/* ... of the last finished */
	uint64_t	 failed;	/* ... of the last that failed, or 0 */
	uint64_t	 failed_errno;	/* its errno */
	uint64_t	 unused;
	uint32_t	 busy[DIRSYNC_SLOTS];	/* pids of early writers */
};

struct dirsync {
	char		*dir;
	char		*state;
	int		 dir_fd;
	int		 fd;		/* the state file, for the lock */
	pid_t		 pid;		/* the process fd was opened by */
	struct dirsync_shared *sh;	/* NULL: plain syncs only */
};

_Static_assert(sizeof(struct dirsync_shared) <= DIRSYNC_SIZE,
    "the shared state fits its file");

int	(*dirsync_fsync_hook)(int);

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* dirsync_fsync - fsync the directory: 0 or errno */
static int
dirsync_fsync(struct dirsync *ds)
{
	int r;

	do
		r = dirsync_fsync_hook != NULL ?
		    dirsync_fsync_hook(ds->dir_fd) : fsync(ds->dir_fd);
	while (r < 0 && errno == EINTR);
	return r < 0 ? (errno ? errno : EIO) : 0;
}

/* dirsync_lock - take the lock (reopening the state after a fork): 0/-1 */
static int
dirsync_lock(struct dirsync *ds)
{
	int fd;

	if (ds->pid != getpid()) {
		fd = open(ds->state, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -1;
		close(ds->fd);
		ds->fd = fd;
		ds->pid = getpid();
	}
	while (flock(ds->fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* dirsync_unlock - release the lock */
static void
dirsync_unlock(struct dirsync *ds)
{
	(void)flock(ds->fd, LOCK_UN);
}

/*
 * dirsync_next - the holder of the lock makes sync number g: started
 * first, so that a rename from now on waits for a later one; completed
 * last, once the disk has answered.
 */
static void
dirsync_next(struct dirsync *ds, uint64_t g)
{
	struct dirsync_shared *sh = ds->sh;
	int err;

	STORE(sh->started, g);
	if ((err = dirsync_fsync(ds)) != 0) {
		STORE(sh->failed_errno, (uint64_t)err);
		STORE(sh->failed, g);
	}
	STORE(sh->completed, g);
}

/* dirsync_check - under the lock: set right a state that cannot be */
static void
dirsync_check(struct dirsync *ds)
{
	struct dirsync_shared *sh = ds->sh;
	uint64_t top;

	if (sh->magic == DIRSYNC_MAGIC && sh->completed <= sh->started &&
	    sh->failed <= sh->started)
		return;
	if (sh->magic == 0 && sh->started == 0 && sh->completed == 0 &&
	    sh->failed == 0) {
		STORE(sh->magic, DIRSYNC_MAGIC);	/* a new file */
		return;
	}
	msg_warn("%s: sync state not valid: starting it again", ds->state);
	top = sh->started;
	if (sh->completed > top)
		top = sh->completed;
	if (sh->failed > top)
		top = sh->failed;
	/* Past every number a writer may hold, and a real sync. */
	STORE(sh->failed, (uint64_t)0);
	dirsync_next(ds, top + 1);
	STORE(sh->magic, DIRSYNC_MAGIC);
}

/* dirsync_map - open (make) and map the state file: 0, or -1 with errno */
static int
dirsync_map(struct dirsync *ds, int dir_uid, int dir_gid)
{
	struct stat st;
	void *p;

	ds->fd = open(ds->state, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (ds->fd < 0)
		return -1;
	ds->pid = getpid();
	if (dirsync_lock(ds) < 0 || fstat(ds->fd, &st) < 0)
		return -1;		/* (the caller's close unlocks) */
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		errno = EINVAL;
		return -1;
	}
	/* Made by root: for the directory's owner, who syncs it most. */
	if (geteuid() == 0 && st.st_uid == 0 && dir_uid != 0)
		(void)fchown(ds->fd, (uid_t)dir_uid, (gid_t)dir_gid);
	/*
	 * Its blocks exist before it is mapped (a store into a hole on a
	 * full disk would kill us with SIGBUS), and are made under the
	 * lock, so that a second maker never zeroes the first one's numbers.
	 */
	if ((errno = posix_fallocate(ds->fd, 0, DIRSYNC_SIZE)) != 0)
		return -1;
	p = mmap(NULL, DIRSYNC_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    ds->fd, 0);
	if (p == MAP_FAILED)
		return -1;
	ds->sh = p;
	dirsync_check(ds);
	dirsync_unlock(ds);
	return 0;
}

/*
 * dirsync_open - the shared syncs of directory dir, through the state
 * file (created mode 0600 when missing).  NULL with errno when dir cannot
 * be opened; without the state, every wait syncs for itself (one warning).
 */
struct dirsync *
dirsync_open(const char *dir, const char *state)
{
	struct dirsync *ds;
	struct stat st;

	ds = xcalloc(1, sizeof(*ds));
	ds->fd = -1;
	ds->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ds->dir_fd < 0 || fstat(ds->dir_fd, &st) < 0) {
		dirsync_close(&ds);
		return NULL;
	}
	ds->dir = xstrdup(dir);
	ds->state = xstrdup(state);
	if (dirsync_map(ds, (int)st.st_uid, (int)st.st_gid) < 0) {
		msg_warn("%s: %m: syncs of %s are not shared", state, dir);
		if (ds->sh != NULL)
			(void)munmap(ds->sh, DIRSYNC_SIZE);
		ds->sh = NULL;
		fd_close(&ds->fd);
	}
	return ds;
}

/* dirsync_close - unmap and close; *dsp becomes NULL */
void
dirsync_close(struct dirsync **dsp)
{
	struct dirsync *ds = *dsp;

	if (ds == NULL)
		return;
	if (ds->sh != NULL)
		(void)munmap(ds->sh, DIRSYNC_SIZE);
	fd_close(&ds->fd);
	fd_close(&ds->dir_fd);
	free(ds->dir);
	free(ds->state);
	free(ds);
	*dsp = NULL;
}

/*
 * dirsync_failed - did a shared sync fail that may have been writing the
 * ticket's rename (one numbered above "before")?  -1 with errno, or 0.
 */
static int
dirsync_failed(struct dirsync_shared *sh, const struct dirsync_ticket *t)
{
	if (sh != NULL && LOAD(sh->failed) > t->before) {
		errno = (int)LOAD(sh->failed_errno);
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/* dirsync_dir - the directory's path */
const char *
dirsync_dir(const struct dirsync *ds)
{
	return ds->dir;
}

/* dirsync_mark - just before the rename: the syncs finished so far */
void
dirsync_mark(struct dirsync *ds, struct dirsync_ticket *t)
{
	t->before = ds->sh != NULL ? LOAD(ds->sh->completed) : 0;
	t->after = t->before;
}

/* dirsync_after - just after the rename: the syncs begun so far */
void
dirsync_after(struct dirsync *ds, struct dirsync_ticket *t)
{
	t->after = ds->sh != NULL ? LOAD(ds->sh->started) : 0;
}

/*
 * dirsync_wait - return once a sync of the directory that began after
 * the ticket's rename has finished, making one when none has: 0, or -1
 * with errno when a sync that may have covered the rename failed.
 */
int
dirsync_wait(struct dirsync *ds, const struct dirsync_ticket *t)
{
	struct dirsync_shared *sh = ds->sh;
	int err;

	if (sh != NULL && LOAD(sh->completed) <= t->after) {
		if (dirsync_lock(ds) < 0) {
			msg_warn("lock %s: %m", ds->state);
			sh = NULL;		/* sync for ourselves */
		} else {
			if (LOAD(sh->completed) <= t->after)
				dirsync_next(ds, LOAD(sh->started) + 1);
			dirsync_unlock(ds);
		}
	}
	if (sh == NULL) {
		if ((err = dirsync_fsync(ds)) == 0)
			return 0;
		errno = err;
		return -1;
	}
	return dirsync_failed(sh, t);
}

/* dirsync_others - free the slots of writers that died; count the rest */
static int
dirsync_others(struct dirsync_shared *sh, int mine)
{
	uint32_t pid;
	int i, n = 0;

	for (i = 0; i < DIRSYNC_SLOTS; i++) {
		if (i == mine || (pid = LOAD(sh->busy[i])) == 0)
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			(void)__atomic_compare_exchange_n(&sh->busy[i], &pid, 0,
			    0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		else
			n++;
	}
	return n;
}

/*
 * dirsync_enter - right after an early rename: take a slot and, when no
 * other writer holds one, start a sync of the directory now.
 */
void
dirsync_enter(struct dirsync *ds, struct dirsync_writer *w)
{
	struct dirsync_shared *sh = ds->sh;
	uint32_t zero, pid = (uint32_t)getpid();
	int i;

	w->slot = -1;
	w->early = 0;
	if (sh == NULL || dirsync_fsync_hook != NULL)
		return;
	for (i = 0; i < DIRSYNC_SLOTS && w->slot < 0; i++) {
		zero = 0;
		if (__atomic_compare_exchange_n(&sh->busy[i], &zero, pid, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			w->slot = i;
	}
	if (w->slot < 0 || dirsync_others(sh, w->slot) > 0)
		return;
	fsyncs_begin(&w->op, ds->dir_fd, 0);
	w->early = 1;
}

/* dirsync_release - give the slot back */
static void
dirsync_release(struct dirsync *ds, struct dirsync_writer *w)
{
	if (w->slot >= 0)
		STORE(ds->sh->busy[w->slot], (uint32_t)0);
	w->slot = -1;
}

/*
 * dirsync_leave - the writer needs its rename durable: wait for its
 * early sync or a shared one (dirsync_wait), and give the slot back: 0,
 * or -1 with errno.
 */
int
dirsync_leave(struct dirsync *ds, const struct dirsync_ticket *t,
    struct dirsync_writer *w)
{
	int r;

	if (w->early) {
		w->early = 0;
		r = fsyncs_end(&w->op) < 0 ? -1 : dirsync_failed(ds->sh, t);
	} else
		r = dirsync_wait(ds, t);
	dirsync_release(ds, w);
	return r;
}

/* dirsync_cancel - a writer gives up: collect its sync, free its slot */
void
dirsync_cancel(struct dirsync *ds, struct dirsync_writer *w)
{
	if (w->early)
		(void)fsyncs_end(&w->op);
	w->early = 0;
	dirsync_release(ds, w);
}
