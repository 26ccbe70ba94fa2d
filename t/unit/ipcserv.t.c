/*
 * ipcserv.t - the many-client skeleton (lib/ipcserv.c) driven over
 * socketpairs, without master: an immediate reply, a deferred one
 * (IPCSERV_LATER, then ipcserv_reply) with a second request waiting
 * behind it, the idle timeout (and that it does not run while a reply is
 * pending), a malformed and an over-long request, a descriptor passed
 * with a request, and a readable service that reads for itself.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "event.h"
#include "ipc.h"
#include "ipcserv.h"
#include "msg.h"
#include "util.h"
#include "../tap.h"

static struct ipcserv_client *held;	/* a request answered later */
static int nopen, nclose, passed = -1;
static struct buf *got;			/* a readable service's bytes */

/* t_open - a client: its context is the client itself */
static void *
t_open(struct ipcserv_client *cl)
{
	nopen++;
	return cl;
}

/* t_close - count the clients that went */
static void
t_close(void *ctx)
{
	if (ctx == held)
		held = NULL;
	nclose++;
}

/* t_request - "ping": at once; "later": held; "fd": take descriptor 0 */
static int
t_request(void *ctx, const struct attr *req, struct attr *reply)
{
	const char *what = attr_get(req, "request");

	if (what == NULL)
		return IPCSERV_REPLY;	/* empty: malformed */
	if (strcmp(what, "later") == 0) {
		held = ctx;
		return IPCSERV_LATER;
	}
	if (strcmp(what, "fd") == 0)
		passed = ipcserv_take_fd(ctx, 0);
	attr_set(reply, "status", "ok");
	attr_set(reply, "to", what);
	return IPCSERV_REPLY;
}

static struct ipcserv_ops t_ops = {
	.name = "test",
	.request_max = 256,
	.clients_max = 4,
	.fds_max = 1,
	.malformed = "tempfail",
	.open = t_open,
	.request = t_request,
	.close = t_close,
};

/* t_readable - read what there is; "bye" drops the client */
static void
t_readable(void *ctx)
{
	char chunk[64];
	ssize_t n;

	n = read(ipcserv_client_fd(ctx), chunk, sizeof(chunk));
	if (n > 0)
		buf_append(got, chunk, (size_t)n);
	if (n == 0 || strstr(buf_str(got), "bye") != NULL)
		ipcserv_drop(ctx);
	else
		ipcserv_wait(ctx);
}

static struct ipcserv_ops t_raw_ops = {
	.name = "raw",
	.request_max = 256,
	.clients_max = 4,
	.idle_ms = 300,
	.open = t_open,
	.readable = t_readable,
	.close = t_close,
};

/* t_turns - run the loop for about ms */
static void
t_turns(long ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end)
		event_loop((int)(end - now_ms()));
}

/* t_client - a socketpair: one end served, the other returned */
static int
t_client(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (ipcserv_add(sv[0]) < 0) {
		close(sv[1]);
		return -1;
	}
	return sv[1];
}

/* t_read - what the server sent within ms ("" none, "EOF" closed) */
static const char *
t_read(int fd, int ms)
{
	static char text[1024];
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t n;

	t_turns(ms);
	text[0] = '\0';
	if (poll(&p, 1, 0) <= 0)
		return text;
	n = recv(fd, text, sizeof(text) - 1, MSG_DONTWAIT);
	if (n == 0)
		return "EOF";
	text[n < 0 ? 0 : n] = '\0';
	return text;
}

/* t_answer - the held request's reply: status */
static void
t_answer(const char *status)
{
	struct attr a;

	attr_init(&a);
	attr_set(&a, "status", status);
	ipcserv_reply(held, &a);
	attr_free(&a);
}

/* t_send - a request's bytes */
static void
t_send(int fd, const char *text)
{
	(void)write_full(fd, text, strlen(text));
}

int
main(void)
{
	struct buf *big;
	struct stat st;
	int fd, fd2, sv[2];

	msg_init("ipcserv.t", 0);	/* quiet: the warnings are expected */
	plan(19);
	ipcserv_start(-1, &t_ops);

	fd = t_client();
	ok(fd >= 0 && nopen == 1, "a client is taken and opened");
	t_send(fd, "request=ping\n\n");
	is_str(t_read(fd, 50), "status=ok\nto=ping\n\n",
	    "an immediate reply");

	/* A deferred reply, with the next request waiting behind it. */
	t_send(fd, "request=later\n\nrequest=ping\n\n");
	is_str(t_read(fd, 50), "", "no reply while the request is held");
	ok(held != NULL, "the service holds the request");
	t_answer("done");
	is_str(t_read(fd, 50), "status=done\n\nstatus=ok\nto=ping\n\n",
	    "the deferred reply, then the request behind it");

	/* A malformed request gets the service's status. */
	t_send(fd, "no equals sign\n\n");
	is_str(t_read(fd, 50), "status=tempfail\nreason=malformed request\n\n",
	    "a malformed request: the malformed status");
	t_send(fd, "other=1\n\n");
	is_str(t_read(fd, 50), "status=tempfail\nreason=malformed request\n\n",
	    "an empty reply counts as malformed");

	/* A descriptor passed with a request. */
	if (pipe(sv) < 0)
		sv[0] = sv[1] = -1;
	(void)ipc_send_fds(fd, &sv[0], 1, "request=fd\n\n", 12);
	is_str(t_read(fd, 50), "status=ok\nto=fd\n\n",
	    "a request with a descriptor");
	ok(passed >= 0 && fstat(passed, &st) == 0 && S_ISFIFO(st.st_mode),
	    "the service took the passed descriptor");
	close(passed);
	close(sv[0]);
	close(sv[1]);

	/* Over-long: dropped. */
	big = buf_new(512, 0);
	while (buf_len(big) < 300)
		buf_puts(big, "x=yyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n");
	t_send(fd, buf_str(big));
	is_str(t_read(fd, 50), "EOF", "an over-long request: dropped");
	ok(nclose == 1, "the service heard of it");
	close(fd);
	buf_free(&big);

	/* Idle: a quiet client goes; one with a reply pending does not. */
	t_ops.idle_ms = 100;
	fd = t_client();
	fd2 = t_client();
	t_send(fd2, "request=later\n\n");
	is_str(t_read(fd, 300), "EOF", "a quiet client is dropped");
	is_str(t_read(fd2, 10), "", "a client with a pending reply stays");
	ok(held != NULL, "its request is still held");
	t_answer("late");
	is_str(t_read(fd2, 20), "status=late\n\n", "the late reply goes out");
	is_str(t_read(fd2, 300), "EOF",
	    "then the idle timer runs again");
	close(fd);
	close(fd2);

	/* A readable service reads for itself; ipcserv_wait restarts. */
	got = buf_new(64, 0);
	nclose = 0;
	ipcserv_start(-1, &t_raw_ops);
	fd = t_client();
	t_send(fd, "I1\n");
	t_turns(200);
	t_send(fd, "I2\n");
	is_str(t_read(fd, 200), "", "a client that talks stays");
	is_str(buf_str(got), "I1\nI2\n", "the service read its bytes");
	t_send(fd, "bye\n");
	is_str(t_read(fd, 20), "EOF", "the service drops it");
	close(fd);
	buf_free(&got);
	return tap_failed != 0;
}
