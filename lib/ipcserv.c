/*
 * ipcserv - many clients of one Unix socket in one event loop, one
 * attribute request at a time each (see ipcserv.h).
 *
 * The clients are cartero's own processes, but those parse network input,
 * so what they send is distrusted: a request longer than request_max or
 * malformed drops the client, and at most clients_max are served at once.
 * Replies are small; one that cannot be written at once waits for the
 * socket, and the client's next request is read only after it went out,
 * so a client that never reads costs one reply's memory.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "event.h"
#include "ipc.h"
#include "ipcserv.h"
#include "msg.h"
#include "server.h"
#include "util.h"

struct ipcserv_client {
	int		 fd;
	void		*ctx;		/* the service's */
	struct buf	*in;		/* request bytes */
	struct buf	*out;		/* the reply being written */
	size_t		 out_off;
	int		 writing;	/* waiting to write, not to read */
};

static const struct ipcserv_ops *ipcserv_ops;
static int ipcserv_nclients;

static void ipcserv_read(int, int, void *);

/* ipcserv_close - forget a client, and tell the service */
static void
ipcserv_close(struct ipcserv_client *c)
{
	event_del(c->fd);
	close(c->fd);
	if (ipcserv_ops->close != NULL)
		ipcserv_ops->close(c->ctx);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	ipcserv_nclients--;
}

/*
 * ipcserv_flush - write what is left of the reply; then serve a request
 * already read, or wait for one.  0 ok, -1 the client was dropped.
 */
static int
ipcserv_flush(struct ipcserv_client *c)
{
	ssize_t n;

	while (c->out_off < buf_len(c->out)) {
		n = send(c->fd, buf_str(c->out) + c->out_off,
		    buf_len(c->out) - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->writing = 1;
			return event_mod(c->fd, EVENT_WRITE);
		}
		return -1;
	}
	buf_reset(c->out);
	c->out_off = 0;
	if (c->writing) {
		c->writing = 0;
		return event_mod(c->fd, EVENT_READ);
	}
	return 0;
}

/* ipcserv_serve - every whole request in c->in, one after the other */
static int
ipcserv_serve(struct ipcserv_client *c)
{
	struct attr req, reply;
	size_t end;
	int bad;

	while (buf_len(c->out) == 0 && (end = attr_end(buf_str(c->in), buf_len(c->in))) > 0) {
		attr_init(&req);
		attr_init(&reply);
		bad = attr_parse(buf_str(c->in), end, &req) < 0;
		memmove(c->in->data, c->in->data + end, buf_len(c->in) - end);
		buf_truncate(c->in, buf_len(c->in) - end);
		if (!bad)
			ipcserv_ops->request(c->ctx, &req, &reply);
		if (bad || reply.count == 0) {
			msg_warn("malformed request on the %s socket",
			    ipcserv_ops->name);
			attr_clear(&reply);
			attr_set(&reply, "status", "fail");
			attr_set(&reply, "reason", "malformed request");
		}
		attr_format(&reply, c->out);
		attr_free(&req);
		attr_free(&reply);
		if (ipcserv_flush(c) < 0)
			return -1;
	}
	return 0;
}

/* ipcserv_read - request bytes, or room for the reply */
static void
ipcserv_read(int fd, int mask, void *ctx)
{
	struct ipcserv_client *c = ctx;
	char chunk[4096];
	ssize_t n;

	if (buf_len(c->out) > 0) {
		if (ipcserv_flush(c) < 0 || ipcserv_serve(c) < 0)
			ipcserv_close(c);
		return;
	}
	n = recv(fd, chunk, sizeof(chunk), 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		ipcserv_close(c);
		return;
	}
	buf_append(c->in, chunk, (size_t)n);
	if (buf_overflowed(c->in)) {
		msg_warn("over-long request on the %s socket: client dropped",
		    ipcserv_ops->name);
		ipcserv_close(c);
		return;
	}
	if (ipcserv_serve(c) < 0)
		ipcserv_close(c);
}

/* ipcserv_accept - new clients */
static void
ipcserv_accept(int lfd, int mask, void *ctx)
{
	struct ipcserv_client *c;
	int fd;

	while ((fd = ipc_accept(lfd)) >= 0) {
		if (ipcserv_nclients >= ipcserv_ops->clients_max) {
			msg_warn("%d %s clients at once: refusing more",
			    ipcserv_nclients, ipcserv_ops->name);
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->in = buf_new(256, ipcserv_ops->request_max);
		c->out = buf_new(256, 0);
		if (event_add(fd, EVENT_READ, ipcserv_read, c) < 0) {
			msg_warn("event_add: %m");
			close(fd);
			buf_free(&c->in);
			buf_free(&c->out);
			free(c);
			continue;
		}
		c->ctx = ipcserv_ops->open != NULL ? ipcserv_ops->open() :
		    NULL;
		ipcserv_nclients++;
	}
}

/*
 * ipcserv_master_gone - master closed our status pipe (a reload or a
 * stop): the socket may be the next process's, so we go.  What the
 * clients held goes with us; they reconnect to our successor.
 */
static void
ipcserv_master_gone(int fd, int mask, void *ctx)
{
	if (msg_verbose)
		msg_debug("%s: master retired us", ipcserv_ops->name);
	exit(0);
}

/* ipcserv_run - accept and serve until master retires us */
void
ipcserv_run(int lfd, const struct ipcserv_ops *ops)
{
	struct stat st;
	int fl;

	ipcserv_ops = ops;
	event_init();
	if (set_nonblock(lfd, 1) < 0 ||
	    event_add(lfd, EVENT_READ, ipcserv_accept, NULL) < 0)
		msg_fatal("listen on the %s socket: %m", ops->name);
	/* A pipe's write end reports an error once its reader is gone. */
	if (fstat(SERVER_STATUS_FD, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    (fl = fcntl(SERVER_STATUS_FD, F_GETFL)) >= 0 &&
	    (fl & O_ACCMODE) == O_WRONLY &&
	    event_add(SERVER_STATUS_FD, 0, ipcserv_master_gone, NULL) < 0)
		msg_warn("watch master's status pipe: %m");
	for (;;)
		event_loop(-1);
}
