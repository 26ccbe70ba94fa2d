/*
 * fsyncs - sync several files at the same time.
 *
 * Each fsync waits for the disk: for its blocks to be written and for the
 * disk's cache to be flushed.  Syncs made one after the other wait one
 * after the other; syncs submitted together (Linux AIO, where each sync
 * runs on a kernel worker) wait together, and the block layer can answer
 * several with one cache flush.  So a queue file and its directory, or the
 * files of a batch of Maildir deliveries, cost about one wait instead of
 * one each.  The result is the same as calling fsync()/fdatasync() on each
 * descriptor: fsyncs() returns only when every sync has finished, and
 * says which failed.
 *
 * fsyncs_begin() starts one sync and fsyncs_end() waits for it, so that a
 * sync can run while the caller waits for something else (a queue file's
 * own sync while its writer waits for a sync of incoming/).  Its
 * completion may be read by fsyncs() in between: both know it by its
 * aio_data, the address of its struct, where fsyncs() numbers its own
 * from 0.
 *
 * Where AIO cannot sync (an old kernel, no AIO context left) the syncs run
 * one after the other, as plain calls.  The AIO context belongs to the
 * process that made it: a child after fork() makes its own.
 */
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <linux/aio_abi.h>

#include "fsyncs.h"

static aio_context_t fsyncs_ctx;
static pid_t fsyncs_pid;		/* the process fsyncs_ctx belongs to */
static int fsyncs_broken;		/* AIO sync unusable here */

/* fsyncs_setup - an AIO context of this process: 0, or -1 */
static int
fsyncs_setup(void)
{
	if (fsyncs_broken)
		return -1;
	if (fsyncs_pid == getpid())
		return 0;
	fsyncs_ctx = 0;
	if (syscall(SYS_io_setup, FSYNCS_MAX, &fsyncs_ctx) < 0) {
		fsyncs_broken = 1;
		return -1;
	}
	fsyncs_pid = getpid();
	return 0;
}

/* fsyncs_event - one completion: fsyncs()'s own (err[]) or a begun op's */
static int
fsyncs_event(const struct io_event *ev, int n, int *err)
{
	struct fsyncs_op *op;

	if (ev->data >= FSYNCS_MAX) {
		op = (struct fsyncs_op *)(uintptr_t)ev->data;
		op->err = ev->res < 0 ? (int)-ev->res : 0;
		op->state = FSYNCS_DONE;
		return 0;
	}
	if (err != NULL && (int)ev->data < n) {
		err[ev->data] = ev->res < 0 ? (int)-ev->res : 0;
		return 1;
	}
	return 0;
}

/*
 * fsyncs_reap - wait for completions and record them: how many were
 * fsyncs()'s own (err[0..n)), or -1 when the kernel lost track of ours:
 * then this context is forgotten and what is left is synced plainly.
 */
static long
fsyncs_reap(int n, int *err)
{
	struct io_event ev[FSYNCS_MAX];
	long r, k, own = 0;

	r = syscall(SYS_io_getevents, fsyncs_ctx, 1L, (long)FSYNCS_MAX, ev,
	    NULL);
	if (r < 0 && errno == EINTR)
		return 0;
	if (r <= 0) {
		fsyncs_pid = 0;
		return -1;
	}
	for (k = 0; k < r; k++)
		own += fsyncs_event(&ev[k], n, err);
	return own;
}

/* fsyncs_plain - sync one descriptor with a plain call: 0 or errno */
static int
fsyncs_plain(int fd, int data_only)
{
	int r;

	do
		r = data_only ? fdatasync(fd) : fsync(fd);
	while (r < 0 && errno == EINTR);
	return r < 0 ? errno : 0;
}

/*
 * fsyncs - sync the n descriptors fd[] (fdatasync where data_only[i],
 * else fsync; data_only may be NULL), all at the same time.  err[i] gets
 * 0 or the errno of fd[i]'s sync.  Returns 0 when every sync worked, else
 * -1 with errno set to the first failure.
 */
int
fsyncs(int n, const int *fd, const int *data_only, int *err)
{
	struct iocb cb[FSYNCS_MAX], *cbp[FSYNCS_MAX];
	long sent = 0, got = 0, r;
	int i, k, first = 0;

	if (n > FSYNCS_MAX) {
		/* More than one submission holds: in slices. */
		for (i = 0; i < n; i += FSYNCS_MAX) {
			k = n - i > FSYNCS_MAX ? FSYNCS_MAX : n - i;
			if (fsyncs(k, fd + i, data_only ? data_only + i : NULL,
			    err + i) < 0 && first == 0)
				first = errno;
		}
		errno = first;
		return first ? -1 : 0;
	}
	for (i = 0; i < n; i++)
		err[i] = -1;		/* not done yet */
	if (n > 1 && fsyncs_setup() == 0) {
		memset(cb, 0, sizeof(cb[0]) * (size_t)n);
		for (i = 0; i < n; i++) {
			cb[i].aio_fildes = (uint32_t)fd[i];
			cb[i].aio_lio_opcode = data_only && data_only[i] ?
			    IOCB_CMD_FDSYNC : IOCB_CMD_FSYNC;
			cb[i].aio_data = (uint64_t)i;
			cbp[i] = &cb[i];
		}
		do
			sent = syscall(SYS_io_submit, fsyncs_ctx, (long)n, cbp);
		while (sent < 0 && errno == EINTR);
		if (sent < 0) {
			if (errno == EINVAL || errno == ENOSYS)
				fsyncs_broken = 1;
			sent = 0;
		}
		while (got < sent && (r = fsyncs_reap(n, err)) >= 0)
			got += r;
	}
	/* What AIO did not take or did not answer: one by one. */
	for (i = 0; i < n; i++)
		if (err[i] < 0)
			err[i] = fsyncs_plain(fd[i], data_only && data_only[i]);
	for (i = 0; i < n; i++)
		if (err[i] != 0 && first == 0)
			first = err[i];
	errno = first;
	return first ? -1 : 0;
}

/*
 * fsyncs_begin - start syncing fd (fdatasync if data_only).  Where AIO
 * cannot take it, nothing happens now and fsyncs_end() syncs plainly.
 */
void
fsyncs_begin(struct fsyncs_op *op, int fd, int data_only)
{
	struct iocb cb, *cbp = &cb;
	long sent;

	op->fd = fd;
	op->data_only = data_only;
	op->state = FSYNCS_IDLE;
	op->err = 0;
	if (fsyncs_setup() < 0)
		return;
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = (uint32_t)fd;
	cb.aio_lio_opcode = data_only ? IOCB_CMD_FDSYNC : IOCB_CMD_FSYNC;
	cb.aio_data = (uint64_t)(uintptr_t)op;
	do
		sent = syscall(SYS_io_submit, fsyncs_ctx, 1L, &cbp);
	while (sent < 0 && errno == EINTR);
	if (sent == 1)
		op->state = FSYNCS_RUNNING;
	else if (sent < 0 && (errno == EINVAL || errno == ENOSYS))
		fsyncs_broken = 1;
}

/* fsyncs_end - wait for a begun sync: 0, or -1 with errno */
int
fsyncs_end(struct fsyncs_op *op)
{
	/* Unless the context was given up meanwhile. */
	while (op->state == FSYNCS_RUNNING && fsyncs_pid == getpid() &&
	    fsyncs_reap(0, NULL) >= 0)
		;
	if (op->state != FSYNCS_DONE) {
		/* Not started, or its answer was lost: sync it now. */
		op->err = fsyncs_plain(op->fd, op->data_only);
		op->state = FSYNCS_DONE;
	}
	errno = op->err;
	return op->err ? -1 : 0;
}
