/*
 * anvilc - the client side of the anvil service (see anvilc.h).
 *
 * The connection to anvil is opened at the first client that is not
 * exempt and kept for the life of the process, so a check costs one
 * round trip on a Unix socket; an exempt client costs a CIDR match and
 * nothing else.  A request that fails (anvil restarted by a reload, so
 * our connection is gone) is retried once on a new connection; if that
 * fails too, the client is let in: a limiter that is down must not stop
 * the mail, as in Postfix.  The process warns once about it, not once per
 * connection.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "anvilc.h"
#include "buf.h"
#include "ipc.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"

#define ANVILC_TIMEOUT		10	/* seconds for anvil's answer */
#define ANVILC_REPLY_MAX	1024	/* longest answer line */

static int anvilc_fd = -1;
static struct lineio *anvilc_io;
static int anvilc_warned;
static char *anvilc_service;	/* the registration in hand, or NULL */
static char *anvilc_addr;

/* anvilc_drop - close our connection to anvil */
static void
anvilc_drop(void)
{
	lineio_free(&anvilc_io);
	fd_close(&anvilc_fd);
}

/* anvilc_open - connect to anvil: 0, or -1 with why */
static int
anvilc_open(struct buf *why)
{
	struct buf *path = buf_new(256, 4096);
	int r = 0;

	buf_setf(path, "%s/private/anvil", var_queue_directory);
	if ((anvilc_fd = ipc_connect(buf_str(path), ANVILC_TIMEOUT)) < 0) {
		buf_setf(why, "connect %s: %s", buf_str(path),
		    strerror(errno));
		r = -1;
	} else
		anvilc_io = lineio_new(anvilc_fd, ANVILC_REPLY_MAX,
		    ANVILC_TIMEOUT);
	buf_free(&path);
	return r;
}

/* anvilc_call_once - one request and its answer on our connection */
static int
anvilc_call_once(const struct attr *req, struct attr *reply,
    struct buf *why)
{
	int r;

	if (anvilc_io == NULL && anvilc_open(why) < 0)
		return -1;
	if (attr_write(anvilc_io, req) < 0) {
		buf_setf(why, "write: %s", strerror(errno));
		anvilc_drop();
		return -1;
	}
	if ((r = attr_read(anvilc_io, reply)) != LINE_OK ||
	    attr_get(reply, "status") == NULL) {
		buf_setf(why, "%s", r == LINE_TIMEOUT ? "no answer" :
		    r == LINE_EOF ? "connection closed" : "malformed answer");
		anvilc_drop();
		return -1;
	}
	return 0;
}

/* anvilc_call - a request, retried once on a new connection */
static int
anvilc_call(const struct attr *req, struct attr *reply)
{
	struct buf *why = buf_new(256, 4096);
	int r;

	if ((r = anvilc_call_once(req, reply, why)) < 0)
		r = anvilc_call_once(req, reply, why);
	if (r < 0 && !anvilc_warned) {
		msg_warn("anvil service: %s: per-client connection limits "
		    "are off (is anvil in master.cf?)", buf_str(why));
		anvilc_warned = 1;
	} else if (r == 0)
		anvilc_warned = 0;
	buf_free(&why);
	return r;
}

/* anvilc_check - may this client connect?  ANVILC_* */
int
anvilc_check(const char *service, const struct sockaddr *client,
    const char *addr, const char *namaddr, const char *exceptions,
    long long count_limit, long long rate_limit)
{
	struct attr req, reply;
	long long count, rate;
	int r = ANVILC_OK;

	anvilc_done();
	if ((count_limit <= 0 && rate_limit <= 0) || client == NULL ||
	    (client->sa_family != AF_INET && client->sa_family != AF_INET6) ||
	    addr_match_networks(client, exceptions))
		return ANVILC_OK;
	attr_init(&req);
	attr_init(&reply);
	attr_set(&req, "request", "connect");
	attr_set(&req, "service", service);
	attr_set(&req, "addr", addr);
	if (anvilc_call(&req, &reply) < 0 ||
	    strcmp(attr_get(&reply, "status"), "ok") != 0)
		goto out;
	anvilc_service = xstrdup(service);
	anvilc_addr = xstrdup(addr);
	count = attr_get_num(&reply, "count", 0);
	rate = attr_get_num(&reply, "rate", 0);
	if (count_limit > 0 && count > count_limit) {
		msg_warn("Connection concurrency limit exceeded: %lld from %s "
		    "for service %s", count, namaddr, service);
		r = ANVILC_COUNT;
	} else if (rate_limit > 0 && rate > rate_limit) {
		msg_warn("Connection rate limit exceeded: %lld from %s for "
		    "service %s", rate, namaddr, service);
		r = ANVILC_RATE;
	}
out:
	attr_free(&req);
	attr_free(&reply);
	return r;
}

/* anvilc_done - the connection registered by anvilc_check has ended */
void
anvilc_done(void)
{
	struct attr req, reply;

	if (anvilc_service == NULL)
		return;
	attr_init(&req);
	attr_init(&reply);
	attr_set(&req, "request", "disconnect");
	attr_set(&req, "service", anvilc_service);
	attr_set(&req, "addr", anvilc_addr);
	(void)anvilc_call(&req, &reply);
	attr_free(&req);
	attr_free(&reply);
	free(anvilc_service);
	free(anvilc_addr);
	anvilc_service = anvilc_addr = NULL;
}

/*
 * anvilc_rate - count n events of kind ("message", "recipient") for an
 * authenticated user in anvil's hour: 0 with the hour's total in *rate,
 * or -1 when anvil cannot say (the event is let through)
 */
int
anvilc_rate(const char *kind, const char *user, long long n,
    long long *rate)
{
	struct attr req, reply;
	int r = -1;

	attr_init(&req);
	attr_init(&reply);
	attr_set(&req, "request", "rate");
	attr_set(&req, "kind", kind);
	attr_set(&req, "user", user);
	attr_setf(&req, "n", "%lld", n);
	if (anvilc_call(&req, &reply) == 0 &&
	    strcmp(attr_get(&reply, "status"), "ok") == 0) {
		*rate = attr_get_num(&reply, "rate", 0);
		r = 0;
	}
	attr_free(&req);
	attr_free(&reply);
	return r;
}
