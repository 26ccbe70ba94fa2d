/*
 * qmgr_deliver - handing deliveries to the delivery agents.
 *
 * A transport (local, smtp) is a Unix socket in private/ and a queue of
 * jobs.  qmgr keeps up to its concurrency limit of connections open and
 * reuses each for many jobs, one at a time: a request is an attribute
 * list (queue_id, path, offset, size, sender, recipient, orig_recipient,
 * command or file), the reply is status, dsn and reason.  Sockets are
 * non-blocking and driven by the event loop; a reply is parsed only once
 * its ending empty line is in.  An agent that cannot be reached, dies or
 * times out defers its job; it is not retried for QMGR_DEAD_AGENT_MS.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
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
	struct qmgr_job		*job;		/* NULL: idle */
	int			 used;		/* replies received */
	int			 got_reply;	/* some of the reply is in */
	struct qmgr_conn	*next;
};

static struct qmgr_transport qmgr_local = { "local", NULL, 1, NULL, NULL,
    NULL, 0, 0 };
static struct qmgr_transport qmgr_smtp = { "smtp", NULL, 1, NULL, NULL,
    NULL, 0, 0 };

static void qmgr_deliver_run(struct qmgr_transport *);
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
		qmgr_queue_done(m);
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
 * qmgr_conn_fail - the agent is gone or stuck: defer its job, close.  An
 * agent process may exit between two requests (a reload, its use limit):
 * a job that finds a reused connection closed without a byte of reply is
 * sent once more on a new one rather than deferred.
 */
static void
qmgr_conn_fail(struct qmgr_conn *c, const char *why, int may_resend)
{
	struct qmgr_transport *tp = c->tp;
	struct qmgr_job *j = c->job;
	struct buf *reason = buf_new(128, 0);
	int again = may_resend && j != NULL && c->used > 0 &&
	    !c->got_reply && !j->resent;

	c->job = NULL;
	qmgr_conn_free(c);
	if (again) {
		j->resent = 1;
		j->next = tp->head;
		tp->head = j;
		if (tp->tail == NULL)
			tp->tail = j;
	} else if (j != NULL) {
		buf_setf(reason, "delivery agent %s: %s", tp->name, why);
		qmgr_job_result(j, 4, "4.3.0", buf_str(reason));
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

/* qmgr_conn_reply - a whole reply is in: take the outcome */
static void
qmgr_conn_reply(struct qmgr_conn *c, size_t len)
{
	struct qmgr_job *j = c->job;
	struct attr a;
	long long status;
	const char *dsn, *reason;

	attr_init(&a);
	if (attr_parse(buf_str(c->in), len, &a) < 0) {
		attr_free(&a);
		qmgr_conn_fail(c, "malformed reply", 0);
		return;
	}
	/* Nothing should follow a reply: keep it, to fail on it later. */
	memmove(c->in->data, c->in->data + len, buf_len(c->in) - len);
	buf_truncate(c->in, buf_len(c->in) - len);
	status = attr_get_num(&a, "status", -1);
	dsn = attr_get(&a, "dsn");
	reason = attr_get(&a, "reason");
	c->job = NULL;
	c->used++;
	c->got_reply = 0;
	event_timer_cancel(qmgr_conn_timeout, c);
	if (status != 0 && status != 4 && status != 5)
		qmgr_job_result(j, 4, "4.3.0", "malformed reply from the "
		    "delivery agent");
	else
		qmgr_job_result(j, (int)status, dsn ? dsn : "",
		    reason ? reason : "");
	attr_free(&a);
	qmgr_deliver_run(c->tp);
}

/* qmgr_conn_event - the socket is readable or writable */
static void
qmgr_conn_event(int fd, int mask, void *ctx)
{
	struct qmgr_conn *c = ctx;
	char chunk[4096];
	const char *end;
	ssize_t n;

	if (mask & EVENT_WRITE) {
		n = write(fd, buf_str(c->out) + c->out_done,
		    buf_len(c->out) - c->out_done);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			qmgr_conn_fail(c, strerror(errno), 1);
			return;
		}
		if (n > 0)
			c->out_done += (size_t)n;
		if (c->out_done == buf_len(c->out))
			event_mod(fd, EVENT_READ);
	}
	if ((mask & (EVENT_READ | EVENT_ERROR)) == 0)
		return;
	n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->job == NULL) {
			event_timer_cancel(qmgr_conn_idle, c);
			qmgr_conn_free(c);
		} else
			qmgr_conn_fail(c, n == 0 ? "lost connection" :
			    strerror(errno), 1);
		return;
	}
	if (c->job == NULL) {
		msg_warn("delivery agent %s: unexpected data: closing",
		    c->tp->name);
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
	if (buf_str(c->in)[0] == '\n')
		end = buf_str(c->in);
	else if ((end = strstr(buf_str(c->in), "\n\n")) != NULL)
		end++;
	if (end != NULL)
		qmgr_conn_reply(c, (size_t)(end - buf_str(c->in)) + 1);
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
	c->in = buf_new(512, QMGR_REPLY_MAX);
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

/* qmgr_conn_send - send a job's request */
static void
qmgr_conn_send(struct qmgr_conn *c, struct qmgr_job *j)
{
	struct qmgr_message *m = j->msg;
	struct queue_rcpt *r = &m->q.rcpt[j->rcpt];
	struct buf *path = buf_new(256, 0);
	struct attr a;
	ssize_t n;

	attr_init(&a);
	attr_set(&a, "queue_id", m->id);
	attr_set(&a, "path", queue_path(path, var_queue_directory,
	    QUEUE_ACTIVE, m->id));
	attr_setf(&a, "offset", "%lld", (long long)m->q.data_offset);
	attr_setf(&a, "size", "%lld", (long long)m->q.size);
	attr_set(&a, "sender", m->q.sender);
	attr_set(&a, "recipient", j->addr);
	attr_set(&a, "orig_recipient", r->addr);
	if (j->kind == JOB_COMMAND)
		attr_set(&a, "command", j->target);
	else if (j->kind == JOB_FILE)
		attr_set(&a, "file", j->target);
	buf_reset(c->out);
	attr_format(&a, c->out);
	attr_free(&a);
	buf_free(&path);
	c->out_done = 0;
	c->job = j;
	event_timer_cancel(qmgr_conn_idle, c);
	event_timer((long)(var_ipc_timeout * 1000), qmgr_conn_timeout, c);
	n = write(c->fd, buf_str(c->out), buf_len(c->out));
	if (n > 0)
		c->out_done = (size_t)n;
	if (c->out_done < buf_len(c->out))
		event_mod(c->fd, EVENT_READ | EVENT_WRITE);
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

/* qmgr_deliver_run - give waiting jobs to idle or new connections */
static void
qmgr_deliver_run(struct qmgr_transport *tp)
{
	struct qmgr_conn *c;
	struct qmgr_job *j;

	while (tp->head != NULL) {
		for (c = tp->conns; c != NULL && c->job != NULL; c = c->next)
			;
		if (c == NULL) {
			if (tp->nconns >= tp->limit)
				break;
			if (now_ms() < tp->dead_until ||
			    (c = qmgr_conn_open(tp)) == NULL) {
				if (tp->dead_until <= now_ms())
					tp->dead_until = now_ms() +
					    QMGR_DEAD_AGENT_MS;
				if (tp->nconns == 0)
					qmgr_deliver_unavailable(tp);
				break;
			}
		}
		j = tp->head;
		tp->head = j->next;
		if (tp->head == NULL)
			tp->tail = NULL;
		j->next = NULL;
		qmgr_conn_send(c, j);
	}
	/* Connections left without work close after a while. */
	for (c = tp->conns; c != NULL; c = c->next)
		if (c->job == NULL)
			event_timer(QMGR_CONN_IDLE_MS, qmgr_conn_idle, c);
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
