/*
 * auth_worker - run a blocking password check (PAM, crypt(3)) in a worker
 * process, so auth's one event loop stays free for the other clients.
 *
 * A check blocks: a PAM module may sleep, ask a network directory or run
 * a helper, and a crypt(3) hash is made slow on purpose (yescrypt or
 * bcrypt at a high cost takes a second or more).  So each check runs in a
 * process forked for it; the worker writes one result line on a pipe and
 * exits.  A fork costs well under a millisecond here, far less than the
 * hash, and a module that leaks or crashes takes only its worker with it.
 * At most AUTH_WORKERS_MAX run at once; more wait in line, in order (a
 * burst of guesses is slowed by the failure delays and the per-address
 * cap in auth_limit.c, not refused here).  A worker that hangs is killed
 * after AUTH_WORKER_TIMEOUT.
 *
 * Result line: "1" ok, "0reason" refused, "Treason" temporary failure.
 * The arguments (a password among them) are copied for the wait in line
 * and wiped when the job ends.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "event.h"
#include "msg.h"
#include "util.h"

/* A check, waiting or in progress, in the parent. */
struct auth_worker_job {
	pid_t		 pid;
	int		 fd;		/* the worker's result pipe */
	struct buf	*reply;
	auth_worker_run	 run;
	char		*args[AUTH_WORKER_ARGS];
	auth_worker_fn	 done;
	void		*ctx;
	struct auth_worker_job *next;	/* in line */
};

static int auth_worker_jobs;		/* running */
static int auth_worker_waiting;		/* in line */
static struct auth_worker_job *auth_worker_head, *auth_worker_tail;

static void auth_worker_timeout(void *);
static void auth_worker_next(void *);

/* auth_worker_busy - checks running or waiting */
int
auth_worker_busy(void)
{
	return auth_worker_jobs + auth_worker_waiting;
}

/* auth_worker_free - forget a job and wipe its arguments */
static void
auth_worker_free(struct auth_worker_job *job)
{
	int i;

	for (i = 0; i < AUTH_WORKER_ARGS; i++) {
		if (job->args[i] != NULL) {
			explicit_bzero(job->args[i], strlen(job->args[i]));
			free(job->args[i]);
		}
	}
	buf_free(&job->reply);
	free(job);
}

/* auth_worker_finish - the worker is done: tell the caller */
static void
auth_worker_finish(struct auth_worker_job *job, enum auth_result r,
    const char *reason)
{
	event_del(job->fd);
	close(job->fd);
	event_timer_cancel(auth_worker_timeout, job);
	auth_worker_jobs--;
	job->done(job->ctx, r, reason);
	auth_worker_free(job);
	if (auth_worker_head != NULL)
		event_timer(0, auth_worker_next, NULL);
}

/* auth_worker_read - the worker's result pipe is readable */
static void
auth_worker_read(int fd, int mask, void *ctx)
{
	struct auth_worker_job *job = ctx;
	const char *s;

	if (fd_read_append(fd, job->reply, AUTH_WORKER_REPLY_MAX) != 0)
		return;			/* more, or nothing yet */
	/* EOF (or an error): the worker has said all it will. */
	s = buf_str(job->reply);
	if (buf_len(job->reply) == 0)
		auth_worker_finish(job, AUTH_TEMPFAIL, "worker died");
	else if (*s == '1')
		auth_worker_finish(job, AUTH_OK, "");
	else if (*s == '0')
		auth_worker_finish(job, AUTH_FAIL, s + 1);
	else
		auth_worker_finish(job, AUTH_TEMPFAIL, s + 1);
}

/* auth_worker_timeout - a worker that hangs is killed */
static void
auth_worker_timeout(void *ctx)
{
	struct auth_worker_job *job = ctx;

	(void)kill(job->pid, SIGKILL);
	auth_worker_finish(job, AUTH_TEMPFAIL, "check timed out");
}

/* auth_worker_fork - start a job's worker: 0, or -1 with why */
static int
auth_worker_fork(struct auth_worker_job *job, struct buf *why)
{
	struct buf *out;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0) {
		buf_setf(why, "pipe: %s", strerror(errno));
		return -1;
	}
	switch (job->pid = fork()) {
	case -1:
		buf_setf(why, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	case 0:
		/* Modules wait for their own helpers (unix_chkpwd). */
		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		close(p[0]);
		out = buf_new(128, AUTH_WORKER_REPLY_MAX);
		job->run((const char *const *)job->args, out);
		(void)write_full(p[1], buf_str(out), buf_len(out));
		_exit(0);
	}
	close(p[1]);
	job->fd = p[0];
	(void)set_nonblock(job->fd, 1);
	if (event_add(job->fd, EVENT_READ, auth_worker_read, job) < 0) {
		buf_setf(why, "event_add: %s", strerror(errno));
		(void)kill(job->pid, SIGKILL);
		close(job->fd);
		return -1;
	}
	if (msg_verbose)
		msg_debug("worker pid=%ld started, %d running, %d in line",
		    (long)job->pid, auth_worker_jobs + 1, auth_worker_waiting);
	auth_worker_jobs++;
	event_timer(AUTH_WORKER_TIMEOUT * 1000L, auth_worker_timeout, job);
	return 0;
}

/* auth_worker_next - start the jobs in line that now fit */
static void
auth_worker_next(void *unused)
{
	struct auth_worker_job *job;
	struct buf *why;

	while (auth_worker_head != NULL &&
	    auth_worker_jobs < AUTH_WORKERS_MAX) {
		job = auth_worker_head;
		if ((auth_worker_head = job->next) == NULL)
			auth_worker_tail = NULL;
		auth_worker_waiting--;
		job->next = NULL;
		why = buf_new(64, 1024);
		if (auth_worker_fork(job, why) < 0) {
			job->done(job->ctx, AUTH_TEMPFAIL, buf_str(why));
			auth_worker_free(job);
		}
		buf_free(&why);
	}
}

/*
 * auth_worker_start - run run(args, out) in a worker; done(ctx, result,
 * reason) is called from the event loop when it ends.  -1 with why if it
 * could not start (done is then not called).
 */
int
auth_worker_start(auth_worker_run run, const char *const *args,
    auth_worker_fn done, void *ctx, struct buf *why)
{
	struct auth_worker_job *job;
	int i;

	job = xcalloc(1, sizeof(*job));
	job->run = run;
	job->done = done;
	job->ctx = ctx;
	job->fd = -1;
	for (i = 0; i < AUTH_WORKER_ARGS && args[i] != NULL; i++)
		job->args[i] = xstrdup(args[i]);
	job->reply = buf_new(64, AUTH_WORKER_REPLY_MAX);
	if (auth_worker_jobs < AUTH_WORKERS_MAX && auth_worker_head == NULL) {
		if (auth_worker_fork(job, why) < 0) {
			auth_worker_free(job);
			return -1;
		}
		return 0;
	}
	if (auth_worker_waiting >= AUTH_WORKERS_QUEUE_MAX) {
		buf_setf(why, "too many password checks waiting (%d)",
		    auth_worker_waiting);
		auth_worker_free(job);
		return -1;
	}
	if (auth_worker_tail != NULL)
		auth_worker_tail->next = job;
	else
		auth_worker_head = job;
	auth_worker_tail = job;
	auth_worker_waiting++;
	return 0;
}
