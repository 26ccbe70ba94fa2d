/*
 * anvil - the per-client connection limiter (master.cf: anvil unix - - n
 * - 1 anvil), after Postfix's anvil(8).
 *
 * One unprivileged process serves every smtpd, pop3d and imapd on
 * $queue_directory/private/anvil (lib/ipcserv.c: one event loop).  Each
 * of those keeps one connection to it open and, for every client
 * connection not exempt from the limits, asks:
 *	request=connect service=NAME addr=ADDR
 *	  reply: status=ok count=N rate=M	(N open now, M opened in
 *		 this anvil_rate_time_unit, this one included in both)
 *	request=disconnect service=NAME addr=ADDR
 *	  reply: status=ok
 * and decides itself whether N or M is over its limit (anvil knows no
 * limits).  smtpd also counts what an authenticated user sends, per hour
 * (smtpd_sasl_message_rate_limit, _recipient_rate_limit):
 *	request=rate kind=message|recipient user=LOGIN n=N
 *	  reply: status=ok rate=M	(M in this hour, these N included)
 * A registration belongs to the connection that made it: when
 * an smtpd dies, even by kill -9, the kernel closes its connection and
 * its registrations go, so no count is left behind.
 *
 * A client is an IPv4 address or an IPv6 /64 (anvil.h).  The state is in
 * memory only: when master restarts us (reload), counts start again from
 * zero and the clients reconnect.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "event.h"
#include "ipc.h"
#include "ipcserv.h"
#include "msg.h"
#include "params.h"
#include "server.h"
#include "util.h"
#include "anvil.h"

#define ANVIL_REQUEST_MAX	1024	/* bytes of one request */
#define ANVIL_CLIENTS_MAX	5000	/* smtpd, pop3d, imapd processes */
#define ANVIL_REGS_MAX		256	/* registrations of one client */
#define ANVIL_USER_UNIT		3600000	/* ms: per-user rates are per hour */

/* A client process, and the connections it registered. */
struct anvil_client {
	struct anvil_entry	**reg;
	int			 nreg, size;
};

static struct anvil_table *anvil_table;
static struct anvil_table *anvil_users;	/* per user, per hour */
static struct buf *anvil_key;

/* anvil_open - a new client process */
static void *
anvil_open(struct ipcserv_client *cl)
{
	return xcalloc(1, sizeof(struct anvil_client));
}

/* anvil_close - the client went: its connections close with it */
static void
anvil_close(void *ctx)
{
	struct anvil_client *c = ctx;
	int i;

	for (i = 0; i < c->nreg; i++)
		anvil_table_disconnect(anvil_table, c->reg[i]);
	free(c->reg);
	free(c);
}

/* anvil_connect - count a connection and say how many */
static void
anvil_connect(struct anvil_client *c, struct attr *reply)
{
	struct anvil_entry *e;

	if (c->nreg >= ANVIL_REGS_MAX) {
		attr_set(reply, "status", "fail");
		attr_set(reply, "reason", "too many registrations");
		return;
	}
	if ((e = anvil_table_connect(anvil_table, buf_str(anvil_key),
	    event_now())) == NULL) {
		msg_warn("table full: %s not counted", buf_str(anvil_key));
		attr_set(reply, "status", "fail");
		attr_set(reply, "reason", "table full");
		return;
	}
	if (c->nreg == c->size) {
		c->size = c->size ? c->size * 2 : 4;
		c->reg = xrealloc(c->reg, c->size * sizeof(*c->reg));
	}
	c->reg[c->nreg++] = e;
	attr_set(reply, "status", "ok");
	attr_setf(reply, "count", "%lld", e->count);
	attr_setf(reply, "rate", "%lld", e->rate);
	if (msg_verbose)
		msg_debug("connect %s: count=%lld rate=%lld",
		    buf_str(anvil_key), e->count, e->rate);
}

/* anvil_disconnect - one of the client's connections closed */
static void
anvil_disconnect(struct anvil_client *c, struct attr *reply)
{
	struct anvil_entry *e;
	int i;

	/* Nothing registered (we were restarted since): nothing to do. */
	e = anvil_table_find(anvil_table, buf_str(anvil_key));
	for (i = 0; e != NULL && i < c->nreg; i++)
		if (c->reg[i] == e) {
			anvil_table_disconnect(anvil_table, e);
			c->reg[i] = c->reg[--c->nreg];
			break;
		}
	attr_set(reply, "status", "ok");
}

/*
 * anvil_user - request=rate kind=K user=U n=N: N more events of a user
 * in the current hour; the reply says how many so far
 */
static void
anvil_user(const struct attr *req, struct attr *reply)
{
	const char *kind = attr_get(req, "kind");
	const char *user = attr_get(req, "user");
	long long n = attr_get_num(req, "n", 1);
	struct anvil_entry *e;

	if (kind == NULL || user == NULL || n < 0 || n > 1000000 ||
	    anvil_table_user_key(kind, user, anvil_key) < 0 ||
	    buf_overflowed(anvil_key))
		return;
	if ((e = anvil_table_add(anvil_users, buf_str(anvil_key), n,
	    event_now())) == NULL) {
		msg_warn("user table full: %s not counted",
		    buf_str(anvil_key));
		attr_set(reply, "status", "fail");
		attr_set(reply, "reason", "table full");
		return;
	}
	attr_set(reply, "status", "ok");
	attr_setf(reply, "rate", "%lld", e->rate);
}

/* anvil_request - one request of a client (an empty reply: malformed) */
static int
anvil_request(void *ctx, const struct attr *req, struct attr *reply)
{
	const char *what = attr_get(req, "request");
	const char *service = attr_get(req, "service");
	const char *addr = attr_get(req, "addr");

	if (what != NULL && strcmp(what, "rate") == 0) {
		anvil_user(req, reply);
		return IPCSERV_REPLY;
	}
	if (what == NULL || service == NULL || addr == NULL ||
	    anvil_table_key(service, addr, anvil_key) < 0 ||
	    buf_overflowed(anvil_key))
		return IPCSERV_REPLY;
	if (strcmp(what, "connect") == 0)
		anvil_connect(ctx, reply);
	else if (strcmp(what, "disconnect") == 0)
		anvil_disconnect(ctx, reply);
	return IPCSERV_REPLY;
}

/* anvil_sweep - now and then, forget clients that no longer count */
static void
anvil_sweep(void *ctx)
{
	long left;

	left = anvil_table_sweep(anvil_table, event_now());
	left += anvil_table_sweep(anvil_users, event_now());
	if (msg_verbose)
		msg_debug("sweep: %ld entries left", left);
	event_timer((long)var_anvil_rate_time_unit * 1000, anvil_sweep, NULL);
}

/* What anvil's clients keep goes with it: no idle limit, no grace. */
static const struct ipcserv_ops anvil_ops = {
	.name = "anvil",
	.request_max = ANVIL_REQUEST_MAX,
	.clients_max = ANVIL_CLIENTS_MAX,
	.open = anvil_open,
	.request = anvil_request,
	.close = anvil_close,
};

/* anvil_service - SERVER_LOOP: serve every client until master says stop */
static void
anvil_service(int lfd, char *service, char **argv)
{
	if (*argv != NULL)
		msg_fatal("unexpected argument \"%s\"", *argv);
	anvil_table = anvil_table_new(var_anvil_rate_time_unit * 1000);
	anvil_users = anvil_table_new(ANVIL_USER_UNIT);
	anvil_key = buf_new(128, 2 * ANVIL_SERVICE_MAX);
	event_init();
	event_timer((long)var_anvil_rate_time_unit * 1000, anvil_sweep, NULL);
	ipcserv_run(lfd, &anvil_ops);
}

/* main - hand the service to the server skeleton */
int
main(int argc, char **argv)
{
	server_main(argc, argv, SERVER_LOOP, anvil_service, SERVER_END);
}
