/*
 * qmgr_deliver - handing deliveries to the delivery agents.
 *
 * A transport (local, smtp) is a Unix socket in private/ and a queue of
 * jobs.  qmgr keeps up to its concurrency limit of connections open and
 * reuses each for many jobs: a request (lib/deliver.h: queue id, path,
 * offset, size, sender, recipient, original recipient, command or file)
 * is answered by a reply (status, dsn and reason), and replies come back
 * in the order of the requests.  Sockets are non-blocking and driven by the
 * event loop; a reply is parsed only once its ending empty line is in.
 * An agent that cannot be reached, dies or times out defers its jobs; it
 * is not retried for QMGR_DEAD_AGENT_MS.
 *
 * Pipelining: for local, a job goes to the busiest connection that still
 * has room (QMGR_PIPELINE requests in flight), and a new connection is
 * opened only when every open one is full, up to the concurrency limit.
 * Filling one connection before the next is on purpose: local takes the
 * requests that wait on its connection as one batch and shares one sync
 * of a Maildir's new/ among them (group commit), so a steady stream goes
 * to one agent in batches as large as it will take, and more agents join
 * only when it cannot keep up.  For smtp, whose deliveries wait on remote
 * servers, jobs spread instead: an idle connection, else a new one, else
 * the least busy one.  Requests made in one loop turn go out in one write.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "deliver.h"
#include "event.h"
#include "ipc.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "util.h"
#include "qmgr.h"

#define QMGR_SMTP_LIMIT	10	/* connections to smtp (no parameter) */

struct qmgr_conn {
	struct qmgr_transport	*tp;
	int			 fd;
	struct buf		*out;
	size_t			 out_done;
	struct buf		*in;
	struct qmgr_job		*head, *tail;	/* sent, in order of replies */
	int			 busy;		/* jobs sent, not answered */
	int			 used;		/* replies received */
	int			 got_reply;	/* some of head's reply is in */
	struct qmgr_conn	*next;
};

static struct qmgr_transport qmgr_local = { "local", NULL, 1, NULL, NULL,
    NULL, 0, 0, 1 };
static struct qmgr_transport qmgr_smtp = { "smtp", NULL, 1, NULL, NULL,
    NULL, 0, 0, 0 };

static void qmgr_deliver_run(struct qmgr_transport *);
static void qmgr_deliver_unavailable(struct qmgr_transport *);
static void qmgr_conn_idle(void *);
static void qmgr_conn_timeout(void *);

/* qmgr_deliver_init - the transports and their sockets */
void
qmgr_deliver_init(void)
{
	struct buf *b = buf_new(256, 0);

	buf_setf(b, "%s/private/local", var_queue_directory);
	qmgr_local.socket = xstrdup(buf_str(b));
	qmgr_local.limit = (int)var_local_destination_concurrency_limit;
	buf_setf(b, "%s/private/smtp", var_queue_directory);
	qmgr_smtp.socket = xstrdup(buf_str(b));
	qmgr_smtp.limit = QMGR_SMTP_LIMIT;
	buf_free(&b);
}

/* qmgr_deliver_transport - a transport by name */
struct qmgr_transport *
qmgr_deliver_transport(const char *name)
{
	if (strcmp(name, "local") == 0)
		return &qmgr_local;
	if (strcmp(name, "smtp") == 0)
		return &qmgr_smtp;
	msg_panic("%s: unknown transport %s", __func__, name);
}

/* qmgr_expired - has m waited longer than its queue lifetime? */
static long long
qmgr_expired(const struct qmgr_message *m)
{
	long long age = (long long)time(NULL) - (long long)m->q.arrival;
	long long life = *m->q.sender == '\0' ? var_bounce_queue_lifetime :
	    var_maximal_queue_lifetime;

	return age >= life ? age : -1;
}

/* qmgr_dsn_ok - does s look like an enhanced status code x.y.z? */
static int
qmgr_dsn_ok(const char *s)
{
	int i, dots = 0, digits = 0;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    strlen(s) > 11)
		return 0;
	for (i = 0; s[i]; i++) {
		if (s[i] == '.') {
			if (digits == 0)
				return 0;
			dots++;
			digits = 0;
		} else if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else
			return 0;
	}
	return dots == 2 && digits > 0;
}

/*
 * qmgr_job_result - record a job's outcome (status 0, 4 or 5) and log it.
 * A deferral of a message past its lifetime becomes a bounce (5.4.7).  The
 * last outcome of a message finishes it, which may free the job.
 */
void
qmgr_job_result(struct qmgr_job *j, int status, const char *dsn,
    const char *reason)
{
	struct qmgr_message *m = j->msg;
	struct buf *text = buf_new(256, 4096);
	int was_queued = j->state == JOB_QUEUED;
	long long age;
	char code[16];

	if (!qmgr_dsn_ok(dsn) || (status == 0 && dsn[0] != '2') ||
	    (status != 0 && dsn[0] == '2'))
		dsn = status == 0 ? "2.0.0" : status == 4 ? "4.0.0" : "5.0.0";
	snprintf(code, sizeof(code), "%s", dsn);
	if (status == 4)
		code[0] = '4';
	else if (status == 5)
		code[0] = '5';
	buf_puts(text, reason && *reason ? reason : "no reason given");
	if (status == 4 && (age = qmgr_expired(m)) >= 0) {
		status = 5;
		snprintf(code, sizeof(code), "5.4.7");
		buf_reset(text);
		buf_appendf(text, "message expired after %lld %s in the queue: "
		    "%s", age >= 86400 ? age / 86400 : age >= 60 ? age / 60 :
		    age, age >= 86400 ? "days" : age >= 60 ? "minutes" :
		    "seconds", reason && *reason ? reason :
		    "delivery deferred");
	}
	j->state = status == 0 ? JOB_SENT : status == 4 ? JOB_DEFER :
	    JOB_BOUNCE;
	snprintf(j->dsn, sizeof(j->dsn), "%s", code);
	free(j->reason);
	j->reason = buf_steal(&text);
	qmgr_log_job(j, status == 0 ? "sent" : status == 4 ? "deferred" :
	    "bounced");
	if (was_queued && --m->pending == 0)
		qmgr_file_done(m);
}

/* qmgr_conn_free - close a connection and forget it */
static void
qmgr_conn_free(struct qmgr_conn *c)
{
	struct qmgr_transport *tp = c->tp;
	struct qmgr_conn **p;

	for (p = &tp->conns; *p != NULL; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	tp->nconns--;
	event_del(c->fd);
	close(c->fd);
	event_timer_cancel(qmgr_conn_idle, c);
	event_timer_cancel(qmgr_conn_timeout, c);
	buf_free(&c->out);
	buf_free(&c->in);
	free(c);
}

/*
 * qmgr_conn_fail - the agent is gone or stuck: defer its jobs, close.  An
 * agent process may exit between two requests (a reload, its use limit):
 * jobs that find a reused connection closed without a byte of their reply
 * are sent once more on a new one rather than deferred.
 */
static void
qmgr_conn_fail(struct qmgr_conn *c, const char *why, int may_resend)
{
	struct qmgr_transport *tp = c->tp;
	struct qmgr_job *j, *next, *again = NULL, *last = NULL;
	struct buf *reason = buf_new(128, 0);
	int partial = c->got_reply, used = c->used;

	j = c->head;
	c->head = c->tail = NULL;
	c->busy = 0;
	qmgr_conn_free(c);
	buf_setf(reason, "delivery agent %s: %s", tp->name, why);
	for (; j != NULL; j = next, partial = 0) {
		next = j->next;
		j->next = NULL;
		if (may_resend && used > 0 && !partial && !j->resent) {
			j->resent = 1;
			if (last != NULL)
				last->next = j;
			else
				again = j;
			last = j;
		} else
			qmgr_job_result(j, 4, "4.3.0", buf_str(reason));
	}
	/* Those sent again go first, in their old order. */
	if (again != NULL) {
		last->next = tp->head;
		if (tp->head == NULL)
			tp->tail = last;
		tp->head = again;
	}
	buf_free(&reason);
	qmgr_deliver_run(tp);
}

/* qmgr_conn_timeout - no reply within ipc_timeout */
static void
qmgr_conn_timeout(void *ctx)
{
	qmgr_conn_fail(ctx, "timeout waiting for a reply", 0);
}

/* qmgr_conn_idle - an unused connection goes after a while */
static void
qmgr_conn_idle(void *ctx)
{
	struct qmgr_conn *c = ctx;
	struct qmgr_transport *tp = c->tp;

	event_timer_cancel(qmgr_conn_timeout, c);
	qmgr_conn_free(c);
	qmgr_deliver_run(tp);
}

/* qmgr_conn_reply - a whole reply is in: the outcome of the oldest job */
static void
qmgr_conn_reply(struct qmgr_conn *c, size_t len)
{
	struct qmgr_job *j = c->head;
	struct deliver_reply r;
	struct attr a;
	int bad;

	attr_init(&a);
	bad = attr_parse(buf_str(c->in), len, &a) < 0;
	memmove(c->in->data, c->in->data + len, buf_len(c->in) - len);
	buf_truncate(c->in, buf_len(c->in) - len);
	c->head = j->next;
	if (c->head == NULL)
		c->tail = NULL;
	j->next = NULL;
	c->busy--;
	c->used++;
	c->got_reply = 0;
	/* The agent is making progress: wait afresh for the next reply. */
	if (c->busy > 0)
		event_timer((long)(var_ipc_timeout * 1000), qmgr_conn_timeout,
		    c);
	else
		event_timer_cancel(qmgr_conn_timeout, c);
	if (bad || deliver_reply_get(&a, &r) < 0)
		qmgr_job_result(j, 4, "4.3.0", "malformed reply from the "
		    "delivery agent");
	else
		qmgr_job_result(j, r.status, r.dsn, r.reason);
	attr_free(&a);
}

/*
 * qmgr_conn_flush - write what the connection has to send: 0, or -1 when
 * the write failed.  It never closes the connection itself (callers may
 * be walking the list of connections): on a failure it asks the event
 * loop to report the socket, and qmgr_conn_event() takes it from there.
 */
static int
qmgr_conn_flush(struct qmgr_conn *c)
{
	ssize_t n;

	while (c->out_done < buf_len(c->out)) {
		n = write(c->fd, buf_str(c->out) + c->out_done,
		    buf_len(c->out) - c->out_done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			event_mod(c->fd, EVENT_READ | EVENT_WRITE);
			return n < 0 && errno == EAGAIN ? 0 : -1;
		}
		c->out_done += (size_t)n;
	}
	buf_reset(c->out);
	c->out_done = 0;
	event_mod(c->fd, EVENT_READ);
	return 0;
}

/* qmgr_conn_event - the socket is readable or writable */
static void
qmgr_conn_event(int fd, int mask, void *ctx)
{
	struct qmgr_conn *c = ctx;
	struct qmgr_transport *tp = c->tp;
	char chunk[8192];
	size_t end;
	ssize_t n;

	if ((mask & EVENT_WRITE) && qmgr_conn_flush(c) < 0) {
		qmgr_conn_fail(c, strerror(errno), 1);
		return;
	}
	if ((mask & (EVENT_READ | EVENT_ERROR)) == 0)
		return;
	n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->busy == 0) {
			event_timer_cancel(qmgr_conn_idle, c);
			qmgr_conn_free(c);
		} else
			qmgr_conn_fail(c, n == 0 ? "lost connection" :
			    strerror(errno), 1);
		return;
	}
	if (c->busy == 0) {
		msg_warn("delivery agent %s: unexpected data: closing",
		    tp->name);
		event_timer_cancel(qmgr_conn_idle, c);
		qmgr_conn_free(c);
		return;
	}
	c->got_reply = 1;
	buf_append(c->in, chunk, (size_t)n);
	if (buf_overflowed(c->in)) {
		qmgr_conn_fail(c, "reply too long", 0);
		return;
	}
	/* Every whole reply that is in, oldest job first. */
	while (c->busy > 0 &&
	    (end = attr_end(buf_str(c->in), buf_len(c->in))) > 0)
		qmgr_conn_reply(c, end);
	if (c->busy == 0 && buf_len(c->in) > 0) {
		qmgr_conn_fail(c, "unexpected data after a reply", 0);
		return;
	}
	if (buf_len(c->in) > 0)
		c->got_reply = 1;
	qmgr_deliver_run(tp);
}

/* qmgr_conn_open - a new connection to a transport's agent, or NULL */
static struct qmgr_conn *
qmgr_conn_open(struct qmgr_transport *tp)
{
	struct qmgr_conn *c;
	int fd;

	if ((fd = ipc_connect(tp->socket, 1)) < 0) {
		if (tp->nconns == 0 && (tp == &qmgr_local || msg_verbose))
			msg_warn("connect to %s: %m", tp->socket);
		return NULL;
	}
	if (set_nonblock(fd, 1) < 0) {
		msg_warn("fcntl %s: %m", tp->socket);
		close(fd);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->tp = tp;
	c->fd = fd;
	c->out = buf_new(1024, 0);
	c->in = buf_new(512, DELIVER_REPLY_MAX);
	if (event_add(fd, EVENT_READ, qmgr_conn_event, c) < 0) {
		msg_warn("event_add: %m");
		close(fd);
		buf_free(&c->out);
		buf_free(&c->in);
		free(c);
		return NULL;
	}
	c->next = tp->conns;
	tp->conns = c;
	tp->nconns++;
	return c;
}

/* qmgr_conn_send - queue a job's request on a connection (sent later) */
static void
qmgr_conn_send(struct qmgr_conn *c, struct qmgr_job *j)
{
	static struct buf *path;
	struct qmgr_message *m = j->msg;
	struct deliver_request r;

	if (path == NULL)
		path = buf_new(256, 0);
	memset(&r, 0, sizeof(r));
	r.queue_id = m->id;
	r.path = queue_path(path, var_queue_directory, QUEUE_ACTIVE, m->id);
	r.offset = m->q.data_offset;
	r.size = m->q.size;
	r.sender = m->q.sender;
	r.recipient = j->addr;
	r.orig_recipient = m->q.rcpt[j->rcpt].addr;
	r.command = j->kind == JOB_COMMAND ? j->target : NULL;
	r.file = j->kind == JOB_FILE ? j->target : NULL;
	deliver_request_format(&r, c->out);
	j->next = NULL;
	if (c->tail != NULL)
		c->tail->next = j;
	else
		c->head = j;
	c->tail = j;
	if (c->busy++ == 0) {
		event_timer_cancel(qmgr_conn_idle, c);
		event_timer((long)(var_ipc_timeout * 1000), qmgr_conn_timeout,
		    c);
	}
}

/*
 * qmgr_conn_pick - the connection for the next job, or NULL.  A transport
 * that fills (local, see above): the busiest one with room, else a new one
 * while the limit allows.  Else (smtp, whose agents work through their
 * requests one by one): an idle one, else a new one while the limit
 * allows, else the least busy one with room.
 */
static struct qmgr_conn *
qmgr_conn_pick(struct qmgr_transport *tp)
{
	struct qmgr_conn *c, *best = NULL;

	for (c = tp->conns; c != NULL; c = c->next) {
		if (c->busy >= QMGR_PIPELINE)
			continue;
		if (best == NULL || (tp->fill ? c->busy > best->busy :
		    c->busy < best->busy))
			best = c;
	}
	if (best != NULL && (tp->fill || best->busy == 0))
		return best;
	if (tp->nconns < tp->limit) {
		if (now_ms() >= tp->dead_until &&
		    (c = qmgr_conn_open(tp)) != NULL)
			return c;
		if (tp->dead_until <= now_ms())
			tp->dead_until = now_ms() + QMGR_DEAD_AGENT_MS;
		if (tp->nconns == 0) {
			qmgr_deliver_unavailable(tp);
			return NULL;
		}
	}
	return best;
}

/* qmgr_deliver_unavailable - defer every waiting job of a transport */
static void
qmgr_deliver_unavailable(struct qmgr_transport *tp)
{
	struct buf *reason = buf_new(64, 0);
	struct qmgr_job *j;

	buf_setf(reason, "delivery agent %s unavailable", tp->name);
	while ((j = tp->head) != NULL) {
		tp->head = j->next;
		if (tp->head == NULL)
			tp->tail = NULL;
		j->next = NULL;
		j->relay = "none";
		qmgr_job_result(j, 4, "4.3.0", buf_str(reason));
	}
	buf_free(&reason);
}

/* qmgr_deliver_run - give waiting jobs to connections, send them */
static void
qmgr_deliver_run(struct qmgr_transport *tp)
{
	struct qmgr_conn *c;
	struct qmgr_job *j;

	while (tp->head != NULL && (c = qmgr_conn_pick(tp)) != NULL) {
		j = tp->head;
		tp->head = j->next;
		if (tp->head == NULL)
			tp->tail = NULL;
		qmgr_conn_send(c, j);
	}
	for (c = tp->conns; c != NULL; c = c->next) {
		if (buf_len(c->out) > c->out_done)
			(void)qmgr_conn_flush(c);
		/* Connections left without work close after a while. */
		if (c->busy == 0)
			event_timer(QMGR_CONN_IDLE_MS, qmgr_conn_idle, c);
	}
}

/* qmgr_deliver_enqueue - a job for its transport */
void
qmgr_deliver_enqueue(struct qmgr_job *j)
{
	struct qmgr_transport *tp = j->tp;

	j->next = NULL;
	if (tp->tail)
		tp->tail->next = j;
	else
		tp->head = j;
	tp->tail = j;
	qmgr_deliver_run(tp);
}
