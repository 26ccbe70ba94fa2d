/*
 * qmgr - the queue manager (see qmgr.h for the whole picture).
 *
 * This file is the process: the service under master's SERVER_LOOP, the
 * public/qmgr socket and its commands, the main loop, and the log lines.
 * public/qmgr is world-reachable (sendmail's pickup path and smtpd use
 * it), so a client can only name files to look at: "I<id>" (a file in
 * incoming/), "W" (wakeup: look at incoming/ and at what is due) and "F"
 * (flush: retry every deferred file now).  Each command is a short line;
 * a longer one, or a client that says nothing for QMGR_CLIENT_TIMEOUT_MS,
 * is dropped.  smtpd and pickup keep their connection from one message to
 * the next.  The clients, their timers and the loop are lib/ipcserv.c's
 * (a readable service: the lines are read here, and nothing is answered).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
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
#include "util.h"
#include "qmgr.h"

#define QMGR_CLIENT_LINE_MAX	128	/* "I<id>" and friends */
#define QMGR_CLIENT_TIMEOUT_MS	10000
#define QMGR_CLIENTS_MAX	1000
#define QMGR_CLIENT_READS	8	/* reads per client per loop turn */

struct qmgr_client {
	struct ipcserv_client *cl;
	int		 fd;
	int		 done;		/* dropped by us: no more to read */
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

/* qmgr_delay - seconds since the message arrived */
double
qmgr_delay(const struct qmgr_message *m)
{
	struct timeval tv;
	double d;

	gettimeofday(&tv, NULL);
	d = (double)(tv.tv_sec - m->q.arrival) +
	    (double)(tv.tv_usec - m->q.arrival_usec) / 1e6;
	return d < 0 ? 0 : d;
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

	printable(j->addr, to);
	if (strcasecmp(orig, j->addr) != 0)
		buf_appendf(origpart, ", orig_to=<%s>", printable(orig, o));
	msg_info("%s: to=<%s>%s, relay=%s, delay=%.2f, dsn=%s, status=%s (%s)",
	    m->id, buf_str(to), buf_str(origpart), j->relay, qmgr_delay(m),
	    j->dsn, status, printable(j->reason ? j->reason : "", why));
	buf_free(&to);
	buf_free(&o);
	buf_free(&why);
	buf_free(&origpart);
}

/* qmgr_command - one line from a client */
static void
qmgr_command(const char *line)
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
				qmgr_command(trim(cl->in->data));
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
			qmgr_command(trim(cl->in->data));
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

	cl->cl = ipc;
	cl->fd = ipcserv_client_fd(ipc);
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

/* qmgr_loop - before each wait: activate what may go, then wait */
static int
qmgr_loop(void)
{
	return qmgr_queue_activate() ? 0 : -1;
}

/*
 * Lines, read here; nothing is answered.  A reload ends this process at
 * once (master also sends it SIGTERM): the queue's state is on disk.
 */
static const struct ipcserv_ops qmgr_ops = {
	.name = "qmgr",
	.request_max = QMGR_CLIENT_LINE_MAX,
	.clients_max = QMGR_CLIENTS_MAX,
	.idle_ms = QMGR_CLIENT_TIMEOUT_MS,
	.open = qmgr_client_open,
	.readable = qmgr_client_read,
	.close = qmgr_client_close,
	.loop = qmgr_loop,
};

/* qmgr_service - SERVER_LOOP: run the queue forever */
static void
qmgr_service(int lfd, char *service, char **argv)
{
	event_init();
	qmgr_file_init();
	qmgr_deliver_init();
	/* What a previous run left: active/ first (it was being delivered). */
	qmgr_queue_scan(QUEUE_ACTIVE);
	qmgr_queue_scan(QUEUE_INCOMING);
	qmgr_queue_scan(QUEUE_DEFERRED);
	qmgr_queue_run_due();
	ipcserv_run(lfd, &qmgr_ops);
}

int
main(int argc, char **argv)
{
	server_main(argc, argv, SERVER_LOOP, qmgr_service, SERVER_END);
}
