/*
 * smtp_agent - the smtp delivery agent's service, which the programs smtp
 * (smtp/smtp.c) and lmtp (smtp/lmtp.c, the LMTP one) run: mail to other
 * hosts.  It and the other smtp/smtp_*.c files make smtp/libsmtp.a, which
 * both programs link.
 *
 * master starts it as mail_owner; qmgr connects over private/smtp and
 * sends requests (lib/deliver.h) without waiting for the replies, up to
 * 32 on a connection.  This process reads each request as it comes,
 * routes it (smtp_connect.c: the nexthop's MX hosts and addresses,
 * looked up asynchronously, the addresses outside
 * smtp_destination_networks dropped) and hands it to a worker process
 * (smtp_worker.c) that speaks SMTP with the server, so that one slow DNS
 * answer or one slow server never stalls the other deliveries.  Replies
 * go back in the order of the requests, each when it and those before
 * it are known.
 *
 * Distrusts the request only as far as a process that can reach the
 * private socket is trusted (mail_owner's): the worker builds the queue
 * file's path itself from the queue id and never connects to an address
 * outside smtp_destination_networks, whatever the request says.
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "deliver.h"
#include "dkim.h"
#include "dns.h"
#include "event.h"
#include "ipcserv.h"
#include "msg.h"
#include "params.h"
#include "server.h"
#include "util.h"
#include "smtp.h"

#define SMTP_INPUT_MAX	(4 * DELIVER_REQUEST_MAX) /* unread requests */

int smtp_lmtp;

/* A connection from qmgr. */
struct smtp_client {
	struct ipcserv_client	*ipc;
	int			 fd;
	struct buf		*in;
	struct smtp_job		*head, *tail;	/* in request order */
	struct smtp_client	*next;
};

/* One request, from its words to its reply. */
struct smtp_job {
	struct smtp_client	*cl;	/* NULL: qmgr went away */
	struct attr		 req;
	struct attr		 reply;
	int			 done;
	struct smtp_route	*route;
	struct smtp_job		*next;
};

static struct smtp_client *smtp_clients;
static int smtp_jobs;			/* in hand, for retirement */

/* smtp_fds_close_inherited - in a new worker: qmgr's sockets */
void
smtp_fds_close_inherited(int keep)
{
	struct smtp_client *c;

	for (c = smtp_clients; c != NULL; c = c->next)
		if (c->fd != keep)
			close(c->fd);
	close(SERVER_LISTEN_FD);
	close(SERVER_STATUS_FD);
}

/* smtp_job_free - forget a job */
static void
smtp_job_free(struct smtp_job *j)
{
	smtp_route_cancel(&j->route);
	attr_free(&j->req);
	attr_free(&j->reply);
	free(j);
	smtp_jobs--;
}

/* smtp_flush - send the replies that are known, in order */
static void
smtp_flush(struct smtp_client *c)
{
	struct buf *out = buf_new(512, 0);
	struct smtp_job *j;
	size_t off;
	ssize_t n;

	while ((j = c->head) != NULL && j->done) {
		attr_format(&j->reply, out);
		if ((c->head = j->next) == NULL)
			c->tail = NULL;
		smtp_job_free(j);
	}
	for (off = 0; off < buf_len(out); off += (size_t)n) {
		n = fd_write_timed(c->fd, buf_str(out) + off,
		    buf_len(out) - off, (int)var_ipc_timeout);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			msg_warn("reply to qmgr: %m");
			break;
		}
	}
	buf_free(&out);
}

/* smtp_job_done - a job's reply: qmgr's fields of it */
void
smtp_job_done(struct smtp_job *j, const struct attr *reply)
{
	int i;

	smtp_route_cancel(&j->route);
	attr_clear(&j->reply);
	for (i = 0; i < reply->count; i++)
		if (strncmp(reply->name[i], "x_", 2) != 0)
			attr_set(&j->reply, reply->name[i], reply->value[i]);
	/* No server answered (DNS, connect): relay=none, as Postfix logs. */
	if (attr_get(&j->reply, DELIVER_RELAY) == NULL)
		attr_set(&j->reply, DELIVER_RELAY, "none");
	j->done = 1;
	if (j->cl != NULL)
		smtp_flush(j->cl);
	else
		smtp_job_free(j);
}

/* smtp_job_fail - every recipient of a job gets one outcome */
static void
smtp_job_fail(struct smtp_job *j, int status, const char *dsn,
    const char *why, int dead)
{
	struct attr reply;
	long long i, n;

	attr_init(&reply);
	n = attr_get_num(&j->req, DELIVER_RCPT_COUNT, 1);
	if (n < 1 || n > DELIVER_RCPT_MAX)
		n = 1;
	deliver_reply_set(&reply, status, dsn, "%s", why);
	for (i = 1; i < n; i++)
		deliver_reply_add(&reply, (int)i, status, dsn, "%s", why);
	if (dead)
		attr_set(&reply, DELIVER_DEAD, "1");
	smtp_job_done(j, &reply);
	attr_free(&reply);
}

/* smtp_routed - the router's verdict: a worker's turn, or the outcome */
static void
smtp_routed(struct smtp_job *j, int status, const char *dsn,
    const char *why, int dead)
{
	j->route = NULL;
	if (status != 0) {
		smtp_job_fail(j, status, dsn, why, dead);
		return;
	}
	if (smtp_worker_submit(j, &j->req) < 0)
		smtp_job_fail(j, 4, "4.3.0", "cannot start a delivery "
		    "process", 0);
}

/* smtp_request - one request: route it, or answer it at once */
static void
smtp_request(struct smtp_client *c, const char *text, size_t len)
{
	struct smtp_job *j = xcalloc(1, sizeof(*j));
	struct deliver_request r;
	struct buf *why = buf_new(128, 1024), *key = buf_new(128, 1024);

	smtp_jobs++;
	attr_init(&j->req);
	attr_init(&j->reply);
	j->cl = c;
	if (c->tail != NULL)
		c->tail->next = j;
	else
		c->head = j;
	c->tail = j;
	if (attr_parse(text, len, &j->req) < 0 ||
	    deliver_request_get(&j->req, &r, why) < 0) {
		if (buf_len(why) == 0)
			buf_set(why, "malformed delivery request");
		msg_warn("%s", buf_str(why));
		smtp_job_fail(j, 4, "4.3.0", buf_str(why), 0);
	} else if (smtp_nexthop(&r, key) < 0) {
		smtp_job_fail(j, 5, "5.1.2", buf_str(key), 0);
	} else {
		attr_set(&j->req, SMTP_X_KEY, buf_str(key));
		/* Always answered later, from the event loop. */
		j->route = smtp_route_start(buf_str(key), &j->req,
		    smtp_routed, j);
	}
	buf_free(&why);
	buf_free(&key);
}

/* smtp_open - qmgr connected */
static void *
smtp_open(struct ipcserv_client *ipc)
{
	struct smtp_client *c = xcalloc(1, sizeof(*c));

	c->ipc = ipc;
	c->fd = ipcserv_client_fd(ipc);
	c->in = buf_new(4096, SMTP_INPUT_MAX);
	c->next = smtp_clients;
	smtp_clients = c;
	return c;
}

/* smtp_readable - requests from qmgr: each whole one is started */
static void
smtp_readable(void *ctx)
{
	struct smtp_client *c = ctx;
	size_t len, off = 0;
	int r;

	while ((r = fd_read_append(c->fd, c->in, SMTP_INPUT_MAX -
	    buf_len(c->in))) > 0 && buf_len(c->in) < SMTP_INPUT_MAX)
		;
	while ((len = attr_end(buf_str(c->in) + off, buf_len(c->in) -
	    off)) > 0) {
		smtp_request(c, buf_str(c->in) + off, len);
		off += len;
	}
	if (off > 0) {
		memmove(c->in->data, c->in->data + off, buf_len(c->in) - off);
		buf_truncate(c->in, buf_len(c->in) - off);
	}
	if (r == 0 || buf_len(c->in) >= SMTP_INPUT_MAX) {
		if (r != 0)
			msg_warn("over-long request from qmgr: dropped");
		ipcserv_drop(c->ipc);
		return;
	}
	ipcserv_wait(c->ipc);
}

/* smtp_close - qmgr went away: its jobs finish unanswered */
static void
smtp_close(void *ctx)
{
	struct smtp_client *c = ctx, **pp;
	struct smtp_job *j, *next;

	for (pp = &smtp_clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	for (j = c->head; j != NULL; j = next) {
		next = j->next;
		j->cl = NULL;
		if (j->done || j->route != NULL)
			smtp_job_free(j);	/* a worker's job stays */
	}
	buf_free(&c->in);
	free(c);
}

/* smtp_busy - retired: deliveries still in hand? */
static int
smtp_busy(void)
{
	return smtp_jobs > 0 || smtp_worker_busy();
}

static const struct ipcserv_ops smtp_ops = {
	.name = "smtp",
	.request_max = DELIVER_REQUEST_MAX,
	.clients_max = 100,
	.idle_ms = 0,
	.retire_ms = 3600 * 1000,
	.readable = smtp_readable,
	.open = smtp_open,
	.close = smtp_close,
	.busy = smtp_busy,
	.malformed = "4",
};

/* smtp_service - the agent's loop */
static void
smtp_service(int lfd, char *service, char **argv)
{
	(void)service;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	event_init();
	smtp_worker_init();
	ipcserv_run(lfd, &smtp_ops);
}

/*
 * smtp_pre_jail - as root, before the chroot: the DKIM keys that seal the
 * ARC sets of forwarded mail (smtp_arc.c), which mail_owner cannot read
 */
static void
smtp_pre_jail(char *service, char **argv)
{
	struct buf *why;

	(void)service;
	(void)argv;
	if (smtp_lmtp || !var_smtp_arc_seal || !dkim_signers_any())
		return;
	why = buf_new(128, 4096);
	if (dkim_signers_load(why) < 0)
		msg_warn("%s: forwarded mail is not ARC-sealed", buf_str(why));
	buf_free(&why);
}

/* smtp_main - the smtp and lmtp programs' main */
void
smtp_main(int argc, char **argv, int lmtp)
{
	smtp_lmtp = lmtp;
	server_main(argc, argv, SERVER_LOOP, smtp_service,
	    SERVER_PRE_JAIL, smtp_pre_jail, SERVER_END);
}
