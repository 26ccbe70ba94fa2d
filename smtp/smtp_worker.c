/*
 * smtp_worker - the worker processes that speak SMTP.
 *
 * Dispatcher side: a pool of at most smtp_worker_limit children, each
 * on a socketpair, started when a job finds every worker busy.  A job
 * goes to an idle worker that keeps a connection to its nexthop, else
 * to an idle one without a connection, else to any idle one, else it
 * waits its turn (FIFO).  A worker that dies defers its job (4.3.0).
 *
 * Worker side: one job at a time, blocking (every wait bounded by the
 * smtp_*_timeout parameters): a job is the request with its route, the
 * answer is qmgr's reply.  Between jobs it keeps the last connection
 * open for smtp_connection_cache_time_limit, then says QUIT.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "deliver.h"
#include "dns.h"
#include "event.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "smtp.h"

#define SMTP_WORKER_WIRE_MAX	(4 * DELIVER_REQUEST_MAX)

struct smtp_worker {
	pid_t			 pid;
	int			 fd;
	struct buf		*in;
	struct smtp_job		*job;	/* in hand, or NULL: idle */
	char			*key;	/* its kept connection's nexthop */
	char			*job_key;	/* the job's nexthop */
};

/* A job waiting for a worker. */
struct smtp_wait {
	struct smtp_job		*job;
	struct attr		*req;
	struct smtp_wait	*next;
};

static struct smtp_worker *smtp_workers;
static int smtp_nworkers;
static struct smtp_wait *smtp_wait_head, *smtp_wait_tail;

/* smtp_worker_init - an empty pool */
void
smtp_worker_init(void)
{
	smtp_workers = xcalloc((size_t)var_smtp_worker_limit,
	    sizeof(*smtp_workers));
}

/* smtp_worker_busy - jobs in workers or waiting for one? */
int
smtp_worker_busy(void)
{
	int i;

	for (i = 0; i < smtp_nworkers; i++)
		if (smtp_workers[i].job != NULL)
			return 1;
	return smtp_wait_head != NULL;
}

/* smtp_worker_close_fd - in a new worker: its siblings' sockets */
void
smtp_worker_close_fd(int keep)
{
	int i;

	for (i = 0; i < smtp_nworkers; i++)
		if (smtp_workers[i].fd >= 0 && smtp_workers[i].fd != keep)
			close(smtp_workers[i].fd);
}

/* smtp_worker_main - a worker's life: jobs until the socket closes */
static void
smtp_worker_main(int sock)
{
	struct lineio *io = lineio_new(sock, SMTP_WORKER_WIRE_MAX, 0);
	struct attr job, reply;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	int r;

	attr_init(&job);
	attr_init(&reply);
	for (;;) {
		if (smtp_session_cached() && lineio_pending(io) == 0) {
			r = poll(&pfd, 1,
			    (int)var_smtp_connection_cache_time_limit * 1000);
			if (r == 0) {
				smtp_session_idle();
				continue;
			}
		}
		attr_clear(&job);
		if (attr_read(io, &job) != LINE_OK)
			break;
		attr_clear(&reply);
		smtp_session_deliver(&job, &reply);
		attr_set(&reply, SMTP_X_CACHED, smtp_session_cached() ? "1" :
		    "0");
		if (attr_write(io, &reply) < 0)
			break;
	}
	smtp_session_idle();
	_exit(0);
}

/* smtp_worker_read - a worker's reply, or its end */
static void
smtp_worker_read(int fd, int mask, void *ctx)
{
	struct smtp_worker *w = ctx;
	struct smtp_job *job;
	struct attr reply;
	size_t len;
	int r;

	(void)fd;
	(void)mask;
	r = fd_read_append(w->fd, w->in, SMTP_WORKER_WIRE_MAX);
	if (r < 0)
		return;
	attr_init(&reply);
	if (r > 0 && (len = attr_end(buf_str(w->in), buf_len(w->in))) > 0) {
		job = w->job;
		w->job = NULL;
		if (attr_parse(buf_str(w->in), len, &reply) < 0 ||
		    job == NULL) {
			msg_warn("worker %d: a reply out of turn or malformed",
			    (int)w->pid);
			w->job = job;	/* deferred below, as if it died */
			r = 0;
		} else {
			free(w->key);
			w->key = NULL;
			if (attr_get_num(&reply, SMTP_X_CACHED, 0) == 1) {
				w->key = w->job_key;
				w->job_key = NULL;
			}
			buf_reset(w->in);
			smtp_job_done(job, &reply);
		}
	}
	if (r == 0 || buf_overflowed(w->in)) {
		event_del(w->fd);
		close(w->fd);
		w->fd = -1;
		(void)kill(w->pid, SIGKILL);
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
		free(w->key);
		w->key = NULL;
		buf_free(&w->in);
		if ((job = w->job) != NULL) {
			w->job = NULL;
			attr_clear(&reply);
			deliver_reply_set(&reply, 4, "4.3.0",
			    "delivery process died");
			msg_warn("smtp worker %d died", (int)w->pid);
		}
		w->pid = -1;
		if (job != NULL) {
			smtp_job_done(job, &reply);
		}
	}
	attr_free(&reply);
	if (w->job == NULL && smtp_wait_head != NULL) {
		struct smtp_wait *wt = smtp_wait_head;

		if ((smtp_wait_head = wt->next) == NULL)
			smtp_wait_tail = NULL;
		if (smtp_worker_submit(wt->job, wt->req) < 0) {
			attr_init(&reply);
			deliver_reply_set(&reply, 4, "4.3.0", "cannot start a "
			    "delivery process");
			smtp_job_done(wt->job, &reply);
			attr_free(&reply);
		}
		free(wt);
	}
}

/* smtp_worker_start - a new worker in slot w: 0, -1 */
static int
smtp_worker_start(struct smtp_worker *w)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		msg_warn("socketpair: %m");
		return -1;
	}
	if ((pid = fork()) < 0) {
		msg_warn("fork: %m");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		smtp_worker_close_fd(-1);
		smtp_fds_close_inherited(-1);
		dns_forked();		/* the dispatcher's channel */
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_IGN);
		smtp_worker_main(sv[1]);
	}
	close(sv[1]);
	w->pid = pid;
	w->fd = sv[0];
	w->in = buf_new(1024, SMTP_WORKER_WIRE_MAX);
	if (event_add(w->fd, EVENT_READ, smtp_worker_read, w) < 0) {
		msg_warn("event_add: %m");
		return -1;
	}
	return 0;
}

/* smtp_worker_pick - the worker for a nexthop, or NULL: none free */
static struct smtp_worker *
smtp_worker_pick(const char *key)
{
	struct smtp_worker *w, *dead = NULL, *plain = NULL, *other = NULL;
	int i;

	for (i = 0; i < smtp_nworkers; i++) {
		w = &smtp_workers[i];
		if (w->pid < 0)
			dead = dead != NULL ? dead : w;
		else if (w->job != NULL)
			continue;
		else if (w->key != NULL && key != NULL &&
		    strcmp(w->key, key) == 0)
			return w;
		else if (w->key == NULL)
			plain = plain != NULL ? plain : w;
		else
			other = other != NULL ? other : w;
	}
	if (plain != NULL)
		return plain;
	if (dead != NULL)
		return dead;
	if (smtp_nworkers < var_smtp_worker_limit) {
		w = &smtp_workers[smtp_nworkers++];
		w->pid = -1;
		w->fd = -1;
		return w;
	}
	return other;
}

/*
 * smtp_worker_submit - a routed job to a worker, or to the waiting line:
 * 0, -1 when no worker can be started
 */
int
smtp_worker_submit(struct smtp_job *job, struct attr *req)
{
	struct smtp_worker *w = smtp_worker_pick(attr_get(req, SMTP_X_KEY));
	struct smtp_wait *wt;
	struct buf *out;

	if (w == NULL) {
		wt = xcalloc(1, sizeof(*wt));
		wt->job = job;
		wt->req = req;
		if (smtp_wait_tail != NULL)
			smtp_wait_tail->next = wt;
		else
			smtp_wait_head = wt;
		smtp_wait_tail = wt;
		return 0;
	}
	if (w->pid < 0 && smtp_worker_start(w) < 0)
		return -1;
	out = buf_new(1024, 0);
	attr_format(req, out);
	w->job = job;
	free(w->job_key);
	w->job_key = xstrdup(attr_get(req, SMTP_X_KEY) != NULL ?
	    attr_get(req, SMTP_X_KEY) : "");
	if (write_full(w->fd, buf_str(out), buf_len(out)) < 0) {
		msg_warn("write to smtp worker: %m");
		buf_free(&out);
		w->job = NULL;
		return -1;
	}
	buf_free(&out);
	return 0;
}
