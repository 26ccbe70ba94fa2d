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
	struct io_event ev[FSYNCS_MAX];
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
		while (got < sent) {
			r = syscall(SYS_io_getevents, fsyncs_ctx, 1L,
			    sent - got, ev, NULL);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				/*
				 * The kernel lost track of our syncs: forget
				 * this context and sync the rest plainly.
				 */
				fsyncs_pid = 0;
				break;
			}
			for (k = 0; k < r; k++) {
				i = (int)ev[k].data;
				if (i >= 0 && i < n)
					err[i] = ev[k].res < 0 ?
					    (int)-ev[k].res : 0;
			}
			got += r;
		}
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
