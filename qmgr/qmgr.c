/*
 * qmgr - the queue manager (see qmgr.h for the whole picture).
 *
 * This file is the process: the service under master's SERVER_LOOP, the
 * public/qmgr socket and its commands, the main loop, and the log lines.
 * public/qmgr is world-reachable (sendmail's pickup path and smtpd use
 * it), so a client can only name files to look at: "I<id>" (a file in
 * incoming/), "W" (wakeup: look at incoming/ and at what is due) and "F"
 * (flush: retry every deferred file now).  The administrator's commands
 * of "cartero queue" change the queue: "D<id>" (delete), "H<id>" (hold),
 * "U<id>" (release from hold) and "Q<id>" (requeue: due now), each also
 * with "ALL" for every message; qmgr, which owns active/, does them, so
 * they never race a delivery.  They are taken only from a client running
 * as root or as qmgr's own user (mail_owner), as its socket credentials
 * say, and each gets a one-line answer, "ok what was done" or "error
 * why".  The others are never answered.  Each command is a short line;
 * a longer one, or a client that says nothing for QMGR_CLIENT_TIMEOUT_MS,
 * is dropped.  smtpd and pickup keep their connection from one message to
 * the next.  The clients, their timers and the loop are lib/ipcserv.c's
 * (a readable service: the lines are read here, and nothing is answered).
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "event.h"
#include "ipcserv.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "server.h"
#include "srs.h"
#include "util.h"
#include "qmgr.h"

struct srs *qmgr_srs;		/* SRS of forwarded mail, or NULL: off */

#define QMGR_CLIENT_LINE_MAX	128	/* "I<id>" and friends */
#define QMGR_CLIENT_TIMEOUT_MS	10000
#define QMGR_CLIENTS_MAX	1000
#define QMGR_CLIENT_READS	8	/* reads per client per loop turn */

struct qmgr_client {
	struct ipcserv_client *cl;
	int		 fd;
	int		 done;		/* dropped by us: no more to read */
	int		 admin;		/* root or mail_owner */
	struct buf	*in;
};

/* qmgr_hostname - myhostname, or the system's name */
const char *
qmgr_hostname(void)
{
	if (var_myhostname != NULL && *var_myhostname != '\0')
		return var_myhostname;
	return my_hostname();
}

/* qmgr_now - the time, in seconds */
double
qmgr_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* qmgr_delay - seconds since the message arrived */
double
qmgr_delay(const struct qmgr_message *m)
{
	double d;

	d = qmgr_now() - ((double)m->q.arrival +
	    (double)m->q.arrival_usec / 1e6);
	return d < 0 ? 0 : d;
}

/*
 * qmgr_log_delays - Postfix's "delays=a/b/c/d": a, before qmgr (the
 * time until this activation: receiving, waiting in incoming/ or
 * deferred/); b, from the activation to the delivery's outcome (in qmgr
 * and at the agent, which does not report its connection and transfer
 * times apart); c and d, 0.  Each as Postfix prints it: hundredths under
 * a second, tenths under 10 s, whole seconds above.
 */
static void
qmgr_log_delays(const struct qmgr_message *m, struct buf *out)
{
	double total = qmgr_delay(m), v[4];
	int i;

	v[1] = m->active_at > 0 ? qmgr_now() - m->active_at : 0;
	if (v[1] < 0 || v[1] > total)
		v[1] = total;
	v[0] = total - v[1];
	v[2] = v[3] = 0;
	buf_puts(out, ", delays=");
	for (i = 0; i < 4; i++) {
		if (i > 0)
			buf_putc(out, '/');
		if (v[i] < 0.005)
			buf_putc(out, '0');
		else if (v[i] < 1)	/* 0.04, 0.1: no trailing zeros */
			buf_appendf(out, "%.*f", (int)(v[i] * 100 + 0.5) %
			    10 == 0 ? 1 : 2, v[i]);
		else if (v[i] < 10)
			buf_appendf(out, "%.1f", v[i]);
		else
			buf_appendf(out, "%.0f", v[i]);
	}
}

/* qmgr_log_job - "ID: to=<a>, orig_to=<b>, relay=local, ... status=x (why)" */
void
qmgr_log_job(const struct qmgr_job *j, const char *status)
{
	const struct qmgr_message *m = j->msg;
	const struct queue_rcpt *r = &m->q.rcpt[j->rcpt];
	const char *orig = r->orig ? r->orig : r->addr;
	struct buf *to = buf_new(256, 0), *o = buf_new(256, 0);
	struct buf *why = buf_new(256, 0), *origpart = buf_new(256, 0);
	struct buf *delays = buf_new(64, 0);

	printable(j->addr, to);
	if (strcasecmp(orig, j->addr) != 0)
		buf_appendf(origpart, ", orig_to=<%s>", printable(orig, o));
	qmgr_log_delays(m, delays);
	msg_info("%s: to=<%s>%s, relay=%s, delay=%.2f%s, dsn=%s, status=%s "
	    "(%s)", m->id, buf_str(to), buf_str(origpart), j->relay,
	    qmgr_delay(m), buf_str(delays), j->dsn, status,
	    printable(j->reason ? j->reason : "", why));
	buf_free(&to);
	buf_free(&o);
	buf_free(&why);
	buf_free(&origpart);
	buf_free(&delays);
}

/* qmgr_answer - a one-line answer to an administrator's command */
static void
qmgr_answer(struct qmgr_client *cl, const char *status, const char *text)
{
	struct buf *b = buf_new(256, 0);

	buf_setf(b, "%s %s\n", status, text);
	/* A short line into an empty socket; a client that fills it loses. */
	if (send(cl->fd, buf_str(b), buf_len(b), MSG_NOSIGNAL |
	    MSG_DONTWAIT) < 0)
		msg_warn("answer on the qmgr socket: %m");
	buf_free(&b);
}

/* qmgr_admin - "D", "H", "U" or "Q" from an administrator: do, answer */
static void
qmgr_admin(struct qmgr_client *cl, const char *line)
{
	struct buf *answer = buf_new(256, 1024);
	int r;

	if (!cl->admin) {
		msg_warn("refused \"%.1s\" on the qmgr socket from a client "
		    "that is neither root nor mail_owner", line);
		qmgr_answer(cl, "error", "permission denied: run it as root "
		    "or as mail_owner");
		buf_free(&answer);
		return;
	}
	r = qmgr_queue_admin(line[0], line + 1, answer);
	qmgr_answer(cl, r == 0 ? "ok" : "error", buf_str(answer));
	buf_free(&answer);
}

/* qmgr_command - one line from a client */
static void
qmgr_command(struct qmgr_client *cl, const char *line)
{
	switch (line[0]) {
	case 'I':
		qmgr_queue_add(line + 1, QUEUE_INCOMING);
		break;
	case 'W':
		qmgr_queue_scan(QUEUE_INCOMING);
		qmgr_queue_scan(QUEUE_DEFERRED);
		qmgr_queue_run_due();
		break;
	case 'F':
		qmgr_queue_scan(QUEUE_INCOMING);
		qmgr_deliver_flush();
		qmgr_queue_flush();
		break;
	case 'D':
	case 'H':
	case 'U':
	case 'Q':
		qmgr_admin(cl, line);
		break;
	case '\0':
		break;
	default:
		msg_warn("unknown request \"%.20s\" on the qmgr socket", line);
		break;
	}
}

/*
 * qmgr_client_take - read what a client sent and run its lines: 1 while
 * the client may stay, 2 when it may have sent more than was read, 0 when
 * it is to be closed (end of input, error, or an over-long line).  A
 * client may send many lines at once (smtpd keeps its connection for the
 * next messages, see queue_notify); only an unfinished line is kept for
 * the next read, and no line may be longer than QMGR_CLIENT_LINE_MAX.
 * At most QMGR_CLIENT_READS reads per call, so that one busy client
 * cannot hold the loop; the rest waits for the next turn (the socket is
 * still readable then).
 */
static int
qmgr_client_take(struct qmgr_client *cl)
{
	char chunk[4096], *p, *end, *nl;
	ssize_t n;
	int reads;

	for (reads = 0; reads < QMGR_CLIENT_READS; reads++) {
		n = read(cl->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n <= 0) {
			/* A last line without its newline still counts. */
			if (n == 0 && buf_len(cl->in) > 0)
				qmgr_command(cl, trim(cl->in->data));
			buf_reset(cl->in);
			return 0;
		}
		for (p = chunk, end = chunk + n; p < end; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
				buf_append(cl->in, p, (size_t)(end - p));
				break;
			}
			buf_append(cl->in, p, (size_t)(nl - p));
			if (buf_overflowed(cl->in))
				break;
			qmgr_command(cl, trim(cl->in->data));
			buf_reset(cl->in);
		}
		if (buf_overflowed(cl->in)) {
			msg_warn("over-long request on the qmgr socket: "
			    "dropped");
			return 0;
		}
	}
	return 2;
}

/* qmgr_client_open - a new client on public/qmgr */
static void *
qmgr_client_open(struct ipcserv_client *ipc)
{
	struct qmgr_client *cl = xcalloc(1, sizeof(*cl));
	struct ucred cred;
	socklen_t len = sizeof(cred);

	cl->cl = ipc;
	cl->fd = ipcserv_client_fd(ipc);
	if (getsockopt(cl->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		cl->admin = cred.uid == 0 || cred.uid == geteuid();
	cl->in = buf_new(64, QMGR_CLIENT_LINE_MAX);
	return cl;
}

/* qmgr_client_read - a client sent something; it may stay a while more */
static void
qmgr_client_read(void *ctx)
{
	struct qmgr_client *cl = ctx;

	if (qmgr_client_take(cl))
		ipcserv_wait(cl->cl);
	else {
		cl->done = 1;
		ipcserv_drop(cl->cl);
	}
}

/*
 * qmgr_client_close - forget a client.  One that was quiet for
 * QMGR_CLIENT_TIMEOUT_MS goes after any line that came in meanwhile has
 * run (qmgr may have been busy), so that no notification is ever thrown
 * away unread.
 */
static void
qmgr_client_close(void *ctx)
{
	struct qmgr_client *cl = ctx;

	while (!cl->done && qmgr_client_take(cl) == 2)
		;
	buf_free(&cl->in);
	free(cl);
}

/* SIGTERM came (a reload, or a stop). */
static volatile sig_atomic_t qmgr_terminated;

/* qmgr_onterm - SIGTERM: go, once the deliveries out have answered */
static void
qmgr_onterm(int sig)
{
	(void)sig;
	qmgr_terminated = 1;	/* the wait it interrupts ends in qmgr_loop */
}

/*
 * qmgr_stopping - a reload or a stop: no new requests go out; the
 * replies of those out are heard, and the process exits when none is
 * left (or after qmgr_retire_time).  The next qmgr waits for it
 * (qmgr_exclusive) and sends again only what never went.
 */
int
qmgr_stopping(void)
{
	return qmgr_terminated || ipcserv_retired();
}

/* qmgr_loop - before each wait: activate what may go, then wait */
static int
qmgr_loop(void)
{
	if (qmgr_stopping()) {
		if (!qmgr_deliver_busy())
			exit(0);
		ipcserv_retire_check();
		return -1;
	}
	return qmgr_queue_activate() ? 0 : -1;
}

/*
 * qmgr_exclusive - one qmgr at a time: the one a reload retired keeps
 * private/qmgr.lock until its deliveries have answered, and the next one
 * waits for it here before it reads the queue, so that no delivery is
 * made twice.
 */
static void
qmgr_exclusive(void)
{
	struct buf *path = buf_new(256, 0);
	int fd;

	buf_setf(path, "%s/private/qmgr.lock", var_queue_directory);
	fd = open(buf_str(path), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		msg_warn("open %s: %m: not waiting for an earlier qmgr",
		    buf_str(path));
	else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		msg_info("waiting for the previous qmgr to hear from its "
		    "deliveries");
		while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
			;
	}
	/* fd stays open: the lock lasts as long as this process. */
	buf_free(&path);
}

/*
 * Lines, read here; nothing is answered.  A reload retires this process:
 * it waits for the replies of the deliveries it started (busy), not for
 * its clients, which only notify and reconnect to the next qmgr.
 */
static const struct ipcserv_ops qmgr_ops = {
	.name = "qmgr",
	.request_max = QMGR_CLIENT_LINE_MAX,
	.clients_max = QMGR_CLIENTS_MAX,
	.idle_ms = QMGR_CLIENT_TIMEOUT_MS,
	.retire_alone = 1,
	.open = qmgr_client_open,
	.readable = qmgr_client_read,
	.close = qmgr_client_close,
	.busy = qmgr_deliver_busy,
	.loop = qmgr_loop,
};

/* qmgr_service - SERVER_LOOP: run the queue forever */
static void
qmgr_service(int lfd, char *service, char **argv)
{
	struct sigaction sa;
	struct ipcserv_ops ops = qmgr_ops;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = qmgr_onterm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	qmgr_exclusive();
	event_init();
	qmgr_file_init();
	qmgr_deliver_init();
	qmgr_srs = srs_start();
	/* What a previous run left: active/ first (it was being delivered). */
	qmgr_queue_scan(QUEUE_ACTIVE);
	qmgr_queue_scan(QUEUE_INCOMING);
	qmgr_queue_scan(QUEUE_DEFERRED);
	qmgr_queue_run_due();
	ops.retire_ms = (long)var_qmgr_retire_time * 1000;
	ipcserv_run(lfd, &ops);
}

int
main(int argc, char **argv)
{
	server_main(argc, argv, SERVER_LOOP, qmgr_service, SERVER_END);
}
