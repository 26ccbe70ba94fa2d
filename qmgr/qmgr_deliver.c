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
 * Transports are made on first use, one per master.cf service name that
 * routing (lib/resolve.c) gives; a name without a socket defers its jobs
 * ("delivery agent NAME unavailable").  qmgr keeps at most
 * qmgr_agent_connection_limit connections to an agent, fewer when its
 * master.cf maxproc is lower, and local_destination_concurrency_limit to
 * local.  A transport's jobs wait in one
 * queue per destination (its nexthop), served in turn: each destination
 * has at most TRANSPORT_destination_concurrency_limit requests in flight
 * (default_destination_concurrency_limit), so one slow destination never
 * holds up the others.  Jobs of one message to one destination go in one
 * request, up to TRANSPORT_destination_recipient_limit recipients
 * (default_destination_recipient_limit; local: one), each with its own
 * reply.  A reply with dead=1 marks its destination dead for
 * dead_destination_time: its waiting and new jobs are deferred at once
 * with the same reason, without a request, until then or a flush.
 * Requests are made on the next loop turn after jobs are queued, so that
 * all the recipients of a message just planned can share one.
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
#include "conf.h"
#include "deliver.h"
#include "event.h"
#include "ipc.h"
#include "master_conf.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "srs.h"
#include "util.h"
#include "qmgr.h"

#define QMGR_NAME_MAX	64	/* of a transport (a service name) */

struct qmgr_conn {
	struct qmgr_transport	*tp;
	int			 fd;
	struct buf		*out;
	size_t			 out_done;
	struct buf		*in;
	struct qmgr_job		*head, *tail;	/* sent, in order of replies */
	int			 busy;		/* requests unanswered */
	int			 used;		/* replies received */
	int			 got_reply;	/* some of head's reply is in */
	struct qmgr_conn	*next;
};

static struct qmgr_transport *transports;

static void qmgr_deliver_run(struct qmgr_transport *);
static void qmgr_deliver_unavailable(struct qmgr_transport *);
static void qmgr_conn_idle(void *);
static void qmgr_conn_timeout(void *);

/* qmgr_deliver_init - the local transport exists from the start */
void
qmgr_deliver_init(void)
{
	(void)qmgr_deliver_local();
}

/* qmgr_deliver_name_ok - may a transport name be a socket's name? */
static int
qmgr_deliver_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= QMGR_NAME_MAX && name[0] != '.' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == len;
}

/* qmgr_deliver_limit - TRANSPORT_what, else the default parameter */
static int
qmgr_deliver_limit(const char *tp, const char *what, long long def)
{
	struct buf *name = buf_new(128, 0), *why = buf_new(128, 0);
	long long v = def;

	buf_setf(name, "%s_%s", tp, what);
	if (conf_int(buf_str(name), 1, 1000, &v, why) < 0) {
		msg_warn("%s: using %lld", buf_str(why), def);
		v = def;
	}
	buf_free(&name);
	buf_free(&why);
	return (int)v;
}

/*
 * qmgr_deliver_maxproc - how many connections qmgr may keep to the agent
 * of transport name: qmgr_agent_connection_limit, or fewer when the
 * process limit (maxproc) of master.cf's unix service of that name is
 * lower (each connection holds a process; one more would wait unserved).
 */
static int
qmgr_deliver_maxproc(const char *name)
{
	struct master_serv *list;
	const struct master_serv *sv;
	struct buf *path = buf_new(256, 0), *why = buf_new(128, 1024);
	int n = (int)var_qmgr_agent_connection_limit;

	buf_setf(path, "%s/master.cf", conf_dir());
	if (master_conf_read(buf_str(path), &list, why) < 0)
		msg_warn("%s: %s may have %d connections", buf_str(why),
		    name, n);
	else {
		if ((sv = master_conf_find(list, MASTER_UNIX, name)) != NULL &&
		    sv->maxproc > 0 && sv->maxproc < n)
			n = sv->maxproc;
		master_conf_free(&list);
	}
	buf_free(&path);
	buf_free(&why);
	return n;
}

/* qmgr_deliver_local_name - local_transport's transport, into b */
static const char *
qmgr_deliver_local_name(struct buf *b)
{
	const char *v = var_local_transport ? var_local_transport : "";

	buf_reset(b);
	buf_append(b, v, strcspn(v, ":"));
	if (buf_len(b) == 0)
		buf_set(b, "local");
	return buf_str(b);
}

/* qmgr_deliver_transport - a transport by name, made on first use */
struct qmgr_transport *
qmgr_deliver_transport(const char *name)
{
	struct qmgr_transport *tp;
	struct buf *b;

	for (tp = transports; tp != NULL; tp = tp->next)
		if (strcmp(tp->name, name) == 0)
			return tp;
	tp = xcalloc(1, sizeof(*tp));
	tp->name = xstrdup(name);
	b = buf_new(256, 0);
	tp->is_local = strcmp(name, qmgr_deliver_local_name(b)) == 0;
	if (qmgr_deliver_name_ok(name)) {
		buf_setf(b, "%s/private/%s", var_queue_directory, name);
		tp->socket = xstrdup(buf_str(b));
	}
	buf_free(&b);
	if (tp->is_local) {
		/* One recipient per request; connections as before. */
		tp->limit = (int)var_local_destination_concurrency_limit;
		tp->rcpt_limit = 1;
		tp->dest_limit = 0;
		tp->fill = 1;
	} else {
		tp->limit = qmgr_deliver_maxproc(name);
		tp->rcpt_limit = qmgr_deliver_limit(name,
		    "destination_recipient_limit",
		    var_default_destination_recipient_limit);
		tp->dest_limit = qmgr_deliver_limit(name,
		    "destination_concurrency_limit",
		    var_default_destination_concurrency_limit);
	}
	tp->next = transports;
	transports = tp;
	return tp;
}

/* qmgr_deliver_local - the local transport (local_transport) */
struct qmgr_transport *
qmgr_deliver_local(void)
{
	static struct qmgr_transport *tp;	/* transports stay */
	struct buf *b;

	if (tp == NULL) {
		b = buf_new(64, 0);
		tp = qmgr_deliver_transport(qmgr_deliver_local_name(b));
		buf_free(&b);
	}
	return tp;
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

/* qmgr_dest_find - a transport's destination of a nexthop, made if new */
static struct qmgr_dest *
qmgr_dest_find(struct qmgr_transport *tp, const char *nexthop)
{
	struct qmgr_dest *d;

	for (d = tp->dests; d != NULL; d = d->next)
		if (strcasecmp(d->nexthop, nexthop) == 0)
			return d;
	d = xcalloc(1, sizeof(*d));
	d->tp = tp;
	d->nexthop = xstrdup(nexthop);
	d->next = tp->dests;
	tp->dests = d;
	return d;
}

/* qmgr_job_append - j at the end of a list of jobs */
static void
qmgr_job_append(struct qmgr_job **head, struct qmgr_job **tail,
    struct qmgr_job *j)
{
	j->next = NULL;
	if (*tail != NULL)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

/* qmgr_dest_push - a job at the end (or the front) of its destination */
static void
qmgr_dest_push(struct qmgr_dest *d, struct qmgr_job *j, int front)
{
	j->dest = d;
	if (front) {
		j->next = d->head;
		d->head = j;
		if (d->tail == NULL)
			d->tail = j;
		return;
	}
	qmgr_job_append(&d->head, &d->tail, j);
}

/* qmgr_dest_is_dead - is d in its dead time? */
static int
qmgr_dest_is_dead(const struct qmgr_dest *d)
{
	return d->dead_reason != NULL && now_ms() < d->dead_until;
}

/* qmgr_dest_defer_all - defer d's waiting jobs (relay=none) */
static void
qmgr_dest_defer_all(struct qmgr_dest *d, const char *dsn, const char *why)
{
	struct qmgr_job *j;

	while ((j = d->head) != NULL) {
		d->head = j->next;
		if (d->head == NULL)
			d->tail = NULL;
		j->next = NULL;
		j->relay = "none";
		qmgr_job_result(j, 4, dsn, why);
	}
}

/* qmgr_dest_dead - an agent said d is down: hold its mail a while */
static void
qmgr_dest_dead(struct qmgr_dest *d, const char *dsn, const char *reason)
{
	free(d->dead_reason);
	d->dead_reason = xstrdup(*reason ? reason : "destination not "
	    "reachable");
	snprintf(d->dead_dsn, sizeof(d->dead_dsn), "%s", *dsn == '4' ? dsn :
	    "4.4.1");
	d->dead_until = now_ms() + var_dead_destination_time * 1000;
	msg_info("destination %s:%s is down for %llds: %s", d->tp->name,
	    d->nexthop, (long long)var_dead_destination_time, d->dead_reason);
	qmgr_dest_defer_all(d, d->dead_dsn, d->dead_reason);
}

/* qmgr_dest_next - the next destination in turn with work it may take */
static struct qmgr_dest *
qmgr_dest_next(struct qmgr_transport *tp)
{
	struct qmgr_dest *d, *start = tp->turn ? tp->turn : tp->dests;

	if (start == NULL)
		return NULL;
	d = start;
	do {
		if (d->head != NULL && (tp->dest_limit == 0 ||
		    d->busy < tp->dest_limit)) {
			tp->turn = d->next;
			return d;
		}
		d = d->next ? d->next : tp->dests;
	} while (d != start);
	return NULL;
}

/* qmgr_dest_sweep - free destinations with nothing to do or remember */
static void
qmgr_dest_sweep(struct qmgr_transport *tp)
{
	struct qmgr_dest **p = &tp->dests, *d;

	while ((d = *p) != NULL) {
		if (d->head != NULL || d->busy > 0 || qmgr_dest_is_dead(d)) {
			p = &d->next;
			continue;
		}
		*p = d->next;
		if (tp->turn == d)
			tp->turn = d->next;
		free(d->nexthop);
		free(d->dead_reason);
		free(d);
	}
}

/* qmgr_deliver_flush - forget dead destinations (cartero queue flush) */
void
qmgr_deliver_flush(void)
{
	struct qmgr_transport *tp;
	struct qmgr_dest *d;

	for (tp = transports; tp != NULL; tp = tp->next) {
		for (d = tp->dests; d != NULL; d = d->next) {
			free(d->dead_reason);
			d->dead_reason = NULL;
			d->dead_until = 0;
		}
		tp->dead_until = 0;
	}
}

/*
 * qmgr_conn_requeue - jobs of a request sent again on a new connection:
 * back at the front of their destination, in their old order
 */
static void
qmgr_conn_requeue(struct qmgr_job *j)
{
	struct qmgr_job *k, *rev = NULL, *next;

	for (k = j; k != NULL; k = next) {	/* reverse, then push front */
		next = k->batch;
		k->batch = rev;
		rev = k;
	}
	for (k = rev; k != NULL; k = next) {
		next = k->batch;
		k->batch = NULL;
		k->resent = 1;
		qmgr_dest_push(k->dest, k, 1);
	}
}

/* qmgr_conn_defer - defer every job of a request */
static void
qmgr_conn_defer(struct qmgr_job *j, const char *reason)
{
	struct qmgr_job *next;

	for (; j != NULL; j = next) {
		next = j->batch;
		j->batch = NULL;
		j->next = NULL;
		qmgr_job_result(j, 4, "4.3.0", reason);
	}
}

/*
 * qmgr_conn_fail - the agent is gone or stuck: defer its jobs, close.  An
 * agent process may exit between two requests (a reload, its use limit):
 * requests that find a reused connection closed without a byte of their
 * reply are sent once more on a new one rather than deferred.
 */
static void
qmgr_conn_fail(struct qmgr_conn *c, const char *why, int may_resend)
{
	struct qmgr_transport *tp = c->tp;
	struct qmgr_job *j, *next, *again = NULL;
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
		j->dest->busy--;
		if (may_resend && used > 0 && !partial && !j->resent) {
			/* Kept in reverse: requeued last first, below. */
			j->next = again;
			again = j;
		} else
			qmgr_conn_defer(j, buf_str(reason));
	}
	for (j = again; j != NULL; j = next) {
		next = j->next;
		qmgr_conn_requeue(j);
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

/* qmgr_conn_outcome - recipient i's outcome in a reply, for job j */
static void
qmgr_conn_outcome(struct qmgr_job *j, const struct attr *a, int bad, int i)
{
	struct deliver_reply r;
	const char *relay, *v;
	char name[64];

	if ((relay = attr_get(a, DELIVER_RELAY)) != NULL && *relay) {
		free(j->relay_own);
		j->relay_own = xstrdup(relay);
		j->relay = j->relay_own;
	} else if (!j->tp->is_local)
		j->relay = j->tp->name;
	if (i == 0)
		snprintf(name, sizeof(name), "dsn_relayed");
	else
		snprintf(name, sizeof(name), "dsn_relayed.%d", i);
	v = attr_get(a, name);
	if (bad || deliver_reply_get_rcpt(a, i, &r) < 0) {
		qmgr_job_result(j, 4, "4.3.0", "malformed reply from the "
		    "delivery agent");
		return;
	}
	if (r.status == 0)
		j->notice = v != NULL && strcmp(v, "1") == 0 ? NOTICE_RELAYED :
		    j->tp->is_local ? NOTICE_DELIVERED : NOTICE_NONE;
	qmgr_job_result(j, r.status, r.dsn, r.reason);
}

/*
 * qmgr_conn_reply - a whole reply is in: the outcomes of the oldest
 * request's jobs; dead=1 marks its destination down
 */
static void
qmgr_conn_reply(struct qmgr_conn *c, size_t len)
{
	struct qmgr_job *j = c->head, *next;
	struct qmgr_dest *d = j->dest;
	struct deliver_reply first;
	struct attr a;
	const char *v;
	int bad, i, dead;

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
	d->busy--;
	/* The agent is making progress: wait afresh for the next reply. */
	if (c->busy > 0)
		event_timer((long)(var_ipc_timeout * 1000), qmgr_conn_timeout,
		    c);
	else
		event_timer_cancel(qmgr_conn_timeout, c);
	dead = !bad && (v = attr_get(&a, DELIVER_DEAD)) != NULL &&
	    strcmp(v, "1") == 0 && deliver_reply_get(&a, &first) == 0 &&
	    first.status == 4;
	/* A result may finish the message and free its jobs: next first. */
	for (i = 0; j != NULL; j = next, i++) {
		next = j->batch;
		j->batch = NULL;
		qmgr_conn_outcome(j, &a, bad, i);
	}
	if (dead)
		qmgr_dest_dead(d, first.dsn, first.reason);
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

	if (tp->socket == NULL) {
		msg_warn("transport \"%s\": not a service name", tp->name);
		return NULL;
	}
	if ((fd = ipc_connect(tp->socket, 1)) < 0) {
		if (tp->nconns == 0 && (tp->is_local || msg_verbose))
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

/* qmgr_conn_attr - a queue file attribute, or NULL when empty */
static const char *
qmgr_conn_attr(const struct qmgr_message *m, const char *name)
{
	const char *v = queue_msg_attr(&m->q, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/*
 * qmgr_conn_take - the jobs of d's first request: its first job and
 * those of the same message after it, up to the recipient limit, chained
 * by batch.  Commands and files go alone.
 */
static struct qmgr_job *
qmgr_conn_take(struct qmgr_dest *d, int *n)
{
	struct qmgr_job *first = d->head, *prev = NULL, *k, *next;
	struct qmgr_job *last = first;
	int limit = d->tp->rcpt_limit;

	d->head = first->next;
	if (d->head == NULL)
		d->tail = NULL;
	first->next = NULL;
	first->batch = NULL;
	*n = 1;
	if (first->kind != JOB_ADDR)
		return first;
	for (k = d->head; *n < limit && k != NULL; k = next) {
		next = k->next;
		if (k->msg != first->msg || k->kind != JOB_ADDR ||
		    k->forwarded != first->forwarded) {
			prev = k;
			continue;
		}
		if (prev != NULL)
			prev->next = next;
		else
			d->head = next;
		if (d->tail == k)
			d->tail = prev;
		k->next = NULL;
		last->batch = k;
		last = k;
		(*n)++;
	}
	return first;
}

/*
 * qmgr_conn_sender - the envelope sender of j's request: the message's,
 * or its SRS form when an alias forwards j off-site (lib/srs.c)
 */
static const char *
qmgr_conn_sender(const struct qmgr_message *m, const struct qmgr_job *j)
{
	static struct buf *out, *why;

	if (out == NULL) {
		out = buf_new(256, 1024);
		why = buf_new(128, 1024);
	}
	if (!j->forwarded || qmgr_srs == NULL)
		return m->q.sender;
	buf_reset(out);
	buf_reset(why);
	switch (srs_forward(qmgr_srs, m->q.sender, out, why)) {
	case SRS_REWRITTEN:
		return buf_str(out);
	case SRS_ERROR:
		msg_warn("%s: SRS cannot rewrite <%s>: %s; forwarded as it is",
		    m->id, m->q.sender, buf_str(why));
		/* FALLTHROUGH */
	default:
		return m->q.sender;
	}
}

/* qmgr_conn_send - queue d's next request on a connection (sent later) */
static void
qmgr_conn_send(struct qmgr_conn *c, struct qmgr_dest *d)
{
	static struct buf *path;
	struct deliver_rcpt *more = NULL;
	struct deliver_request r;
	struct qmgr_message *m;
	struct qmgr_job *j, *k;
	const struct queue_rcpt *qr;
	const char *v;
	int n, i;

	if (path == NULL)
		path = buf_new(256, 0);
	j = qmgr_conn_take(d, &n);
	m = j->msg;
	memset(&r, 0, sizeof(r));
	r.queue_id = m->id;
	r.path = queue_path(path, var_queue_directory, QUEUE_ACTIVE, m->id);
	r.offset = m->q.data_offset;
	r.size = m->q.size;
	r.sender = qmgr_conn_sender(m, j);
	r.recipient = j->addr;
	qr = &m->q.rcpt[j->rcpt];
	r.orig_recipient = qr->addr;
	r.notify = qr->notify;
	r.orcpt = qr->orcpt;
	r.command = j->kind == JOB_COMMAND ? j->target : NULL;
	r.file = j->kind == JOB_FILE ? j->target : NULL;
	r.nexthop = *d->nexthop ? d->nexthop : NULL;
	r.envid = qmgr_conn_attr(m, "envid");
	r.ret = qmgr_conn_attr(m, "ret");
	r.body = qmgr_conn_attr(m, "body");
	r.folder = qmgr_conn_attr(m, "folder");
	r.forwarded = j->forwarded;
	r.smtputf8 = (v = qmgr_conn_attr(m, "smtputf8")) != NULL &&
	    strcmp(v, "1") == 0;
	r.nrcpt = n;
	if (n > 1) {
		more = xcalloc((size_t)n - 1, sizeof(*more));
		for (i = 0, k = j->batch; k != NULL; k = k->batch, i++) {
			qr = &m->q.rcpt[k->rcpt];
			more[i].addr = k->addr;
			more[i].orig = qr->addr;
			more[i].notify = qr->notify;
			more[i].orcpt = qr->orcpt;
		}
		r.more = more;
	}
	deliver_request_format(&r, c->out);
	free(more);
	qmgr_job_append(&c->head, &c->tail, j);
	d->busy++;
	if (c->busy++ == 0) {
		event_timer_cancel(qmgr_conn_idle, c);
		event_timer((long)(var_ipc_timeout * 1000), qmgr_conn_timeout,
		    c);
	}
}

/*
 * qmgr_conn_pick - the connection for the next request, or NULL.  A
 * transport that fills (local, see above): the busiest one with room,
 * else a new one while the limit allows.  Else (smtp, whose agents work
 * through their requests one by one): an idle one, else a new one while
 * the limit allows, else the least busy one with room.
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
	struct qmgr_dest *d;

	buf_setf(reason, "delivery agent %s unavailable", tp->name);
	for (d = tp->dests; d != NULL; d = d->next)
		qmgr_dest_defer_all(d, "4.3.0", buf_str(reason));
	buf_free(&reason);
}

/* qmgr_deliver_run - give waiting requests to connections, send them */
static void
qmgr_deliver_run(struct qmgr_transport *tp)
{
	struct qmgr_conn *c;
	struct qmgr_dest *d;

	/* Retired: the next qmgr sends what waits; we only hear replies. */
	while (!qmgr_stopping() && (d = qmgr_dest_next(tp)) != NULL &&
	    (c = qmgr_conn_pick(tp)) != NULL)
		qmgr_conn_send(c, d);
	for (c = tp->conns; c != NULL; c = c->next) {
		if (buf_len(c->out) > c->out_done)
			(void)qmgr_conn_flush(c);
		/* Connections left without work close after a while. */
		if (c->busy == 0)
			event_timer(QMGR_CONN_IDLE_MS, qmgr_conn_idle, c);
	}
	qmgr_dest_sweep(tp);
}

/* qmgr_deliver_busy - are requests out, their replies still to come? */
int
qmgr_deliver_busy(void)
{
	struct qmgr_transport *tp;
	struct qmgr_conn *c;

	for (tp = transports; tp != NULL; tp = tp->next)
		for (c = tp->conns; c != NULL; c = c->next)
			if (c->busy > 0)
				return 1;
	return 0;
}

/* qmgr_deliver_kick - the loop turn after jobs were queued: send */
static void
qmgr_deliver_kick(void *ctx)
{
	struct qmgr_transport *tp;

	(void)ctx;
	for (tp = transports; tp != NULL; tp = tp->next)
		qmgr_deliver_run(tp);
}

/*
 * qmgr_deliver_enqueue - a job for its transport and destination
 * (j->nexthop); deferred at once when the destination is dead
 */
void
qmgr_deliver_enqueue(struct qmgr_job *j)
{
	struct qmgr_dest *d = qmgr_dest_find(j->tp, j->tp->is_local ? "" :
	    j->nexthop ? j->nexthop : "");

	qmgr_dest_push(d, j, 0);
	if (qmgr_dest_is_dead(d)) {
		qmgr_dest_defer_all(d, d->dead_dsn, d->dead_reason);
		return;
	}
	event_timer(0, qmgr_deliver_kick, NULL);
}
