/*
 * ipcserv - many clients of one Unix socket in one event loop, one
 * request at a time each (see ipcserv.h).
 *
 * The clients are cartero's own processes, but those parse network input,
 * so what they send is distrusted: a request longer than request_max or
 * malformed drops the client (or gets the malformed status), at most
 * clients_max are served at once, and a client gets idle_ms for a whole
 * request, however it trickles it in.  Replies are small; one that cannot
 * be written at once waits for the socket, and the client's next request
 * is read only after it went out, so a client that never reads costs one
 * reply's memory.  While a reply is pending (IPCSERV_LATER) the client's
 * socket is not watched at all: a client that hangs up meanwhile is
 * noticed when the reply is written, so the service's work in hand never
 * loses its client under it.  Request bytes are wiped once parsed, since
 * some carry passwords (auth).
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "event.h"
#include "ipc.h"
#include "ipcserv.h"
#include "msg.h"
#include "server.h"
#include "util.h"

/* Where a client stands. */
enum {
	IPCSERV_READING,	/* waiting for a whole request */
	IPCSERV_SERVING,	/* the service has the request in hand */
	IPCSERV_WRITING		/* the reply is going out */
};

struct ipcserv_client {
	int		 fd;
	void		*ctx;		/* the service's */
	int		 state;		/* IPCSERV_READING ... */
	int		 watched;	/* EVENT_* asked for, 0: none */
	int		 in_request;	/* inside the request callback */
	struct buf	*in;		/* request bytes */
	struct buf	*out;		/* the reply being written */
	size_t		 out_off;
	struct attr	 req;		/* the request in hand */
	int		 fds[IPC_FDS_MAX];	/* passed with it, or -1 */
};

static const struct ipcserv_ops *ipcserv_ops;
static int ipcserv_nclients;
static int ipcserv_lfd = -1;
static int ipcserv_retiring;

static void ipcserv_event(int, int, void *);
static void ipcserv_serve(struct ipcserv_client *);

/* ipcserv_watch - ask the loop for these events of the client (0: none) */
static int
ipcserv_watch(struct ipcserv_client *c, int mask)
{
	int r = 0;

	if (mask == c->watched)
		return 0;
	/* epoll reports a hang-up even to no interest: leave the loop. */
	if (mask == 0)
		event_del(c->fd);
	else if (c->watched == 0)
		r = event_add(c->fd, mask, ipcserv_event, c);
	else
		r = event_mod(c->fd, mask);
	if (r < 0) {
		msg_warn("%s: event_add: %m", ipcserv_ops->name);
		return -1;
	}
	c->watched = mask;
	return 0;
}

/* ipcserv_fds_close - close the descriptors that no one took */
static void
ipcserv_fds_close(struct ipcserv_client *c)
{
	int i;

	for (i = 0; i < IPC_FDS_MAX; i++)
		if (c->fds[i] >= 0) {
			close(c->fds[i]);
			c->fds[i] = -1;
		}
}

/* ipcserv_req_clear - forget the request in hand, wiping its values */
static void
ipcserv_req_clear(struct ipcserv_client *c)
{
	int i;

	for (i = 0; i < c->req.count; i++)
		explicit_bzero(c->req.value[i], strlen(c->req.value[i]));
	attr_clear(&c->req);
	ipcserv_fds_close(c);
}

/* ipcserv_idle - a client sent no whole request in idle_ms */
static void
ipcserv_idle(void *ctx)
{
	struct ipcserv_client *c = ctx;

	if (ipcserv_ops->request != NULL)
		msg_warn("%s client idle for %ld s: dropped",
		    ipcserv_ops->name, ipcserv_ops->idle_ms / 1000);
	ipcserv_drop(c);
}

/* ipcserv_wait - the client has idle_ms again for its next request */
void
ipcserv_wait(struct ipcserv_client *c)
{
	if (ipcserv_ops->idle_ms > 0)
		event_timer(ipcserv_ops->idle_ms, ipcserv_idle, c);
}

/* ipcserv_drop - forget a client, and tell the service first */
void
ipcserv_drop(struct ipcserv_client *c)
{
	if (c->in_request)
		msg_panic("%s: a client dropped by its own request callback",
		    __func__);
	event_timer_cancel(ipcserv_idle, c);
	(void)ipcserv_watch(c, 0);
	if (ipcserv_ops->close != NULL)
		ipcserv_ops->close(c->ctx);
	close(c->fd);
	ipcserv_req_clear(c);
	attr_free(&c->req);
	if (c->in->data != NULL)
		explicit_bzero(c->in->data, c->in->size);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	ipcserv_nclients--;
	ipcserv_retire_check();
}

/*
 * ipcserv_flush - write what is left of the reply; when all is out, the
 * request is done and the client may send the next.  0 ok (done, or
 * waiting for the socket), -1 the client is gone (the caller drops it).
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
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return ipcserv_watch(c, EVENT_WRITE);
		if (msg_verbose)
			msg_debug("write to a %s client: %m",
			    ipcserv_ops->name);
		return -1;
	}
	explicit_bzero(c->out->data, buf_len(c->out));
	buf_reset(c->out);
	c->out_off = 0;
	ipcserv_req_clear(c);
	c->state = IPCSERV_READING;
	ipcserv_wait(c);
	return ipcserv_watch(c, EVENT_READ);
}

/* ipcserv_format - the reply goes out next (an empty one: malformed) */
static void
ipcserv_format(struct ipcserv_client *c, const struct attr *reply)
{
	struct attr bad;

	if (reply != NULL && reply->count > 0)
		attr_format(reply, c->out);
	else {
		msg_warn("malformed request on the %s socket",
		    ipcserv_ops->name);
		attr_init(&bad);
		attr_set(&bad, "status", ipcserv_ops->malformed != NULL ?
		    ipcserv_ops->malformed : "fail");
		attr_set(&bad, "reason", "malformed request");
		attr_format(&bad, c->out);
		attr_free(&bad);
	}
	c->out_off = 0;
	c->state = IPCSERV_WRITING;
}

/* ipcserv_reply - the answer to a request that said IPCSERV_LATER */
void
ipcserv_reply(struct ipcserv_client *c, const struct attr *reply)
{
	if (c->state != IPCSERV_SERVING)
		msg_panic("%s: a reply with no request in hand", __func__);
	ipcserv_format(c, reply);
	if (c->in_request)
		return;		/* ipcserv_serve sends it */
	if (ipcserv_flush(c) < 0)
		ipcserv_drop(c);
	else
		ipcserv_serve(c);
}

/* ipcserv_take_fd - a descriptor of the request in hand, now the caller's */
int
ipcserv_take_fd(struct ipcserv_client *c, int n)
{
	int fd;

	if (n < 0 || n >= IPC_FDS_MAX)
		return -1;
	fd = c->fds[n];
	c->fds[n] = -1;
	return fd;
}

/* ipcserv_client_fd - the client's socket, for a readable service */
int
ipcserv_client_fd(const struct ipcserv_client *c)
{
	return c->fd;
}

/*
 * ipcserv_serve - every whole request in c->in, one after the other,
 * until one is left in the service's hands or its reply must wait
 */
static void
ipcserv_serve(struct ipcserv_client *c)
{
	struct attr reply;
	size_t end;
	int bad, r;

	while (c->state == IPCSERV_READING &&
	    (end = attr_end(buf_str(c->in), buf_len(c->in))) > 0) {
		event_timer_cancel(ipcserv_idle, c);
		attr_clear(&c->req);
		bad = attr_parse(buf_str(c->in), end, &c->req) < 0;
		explicit_bzero(c->in->data, end);
		memmove(c->in->data, c->in->data + end, buf_len(c->in) - end);
		buf_truncate(c->in, buf_len(c->in) - end);
		c->state = IPCSERV_SERVING;
		attr_init(&reply);
		r = IPCSERV_REPLY;
		if (!bad) {
			c->in_request = 1;
			r = ipcserv_ops->request(c->ctx, &c->req, &reply);
			c->in_request = 0;
		}
		if (r == IPCSERV_REPLY && c->state == IPCSERV_SERVING)
			ipcserv_format(c, bad ? NULL : &reply);
		attr_free(&reply);
		if (c->state == IPCSERV_SERVING) {
			if (ipcserv_watch(c, 0) < 0)
				ipcserv_drop(c);
			return;
		}
		if (ipcserv_flush(c) < 0) {
			ipcserv_drop(c);
			return;
		}
	}
}

/* ipcserv_recv - request bytes (and perhaps descriptors): 0, -1 gone */
static int
ipcserv_recv(struct ipcserv_client *c)
{
	char chunk[4096];
	int got[IPC_FDS_MAX], i;
	ssize_t n;

	if (ipcserv_ops->fds_max > 0)
		n = ipc_recv_fds(c->fd, got, chunk, sizeof(chunk));
	else
		n = recv(c->fd, chunk, sizeof(chunk), 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return 0;
	/* Descriptors that came with these bytes replace earlier ones. */
	for (i = 0; ipcserv_ops->fds_max > 0 && n >= 0 && got[0] >= 0 &&
	    i < IPC_FDS_MAX; i++) {
		fd_close(&c->fds[i]);
		if (i < ipcserv_ops->fds_max)
			c->fds[i] = got[i];
		else if (got[i] >= 0)
			close(got[i]);
	}
	if (n <= 0)
		return -1;
	buf_append(c->in, chunk, (size_t)n);
	explicit_bzero(chunk, (size_t)n);
	if (buf_overflowed(c->in)) {
		msg_warn("over-long request on the %s socket: client dropped",
		    ipcserv_ops->name);
		return -1;
	}
	return 0;
}

/* ipcserv_event - a client is readable, or can take more of its reply */
static void
ipcserv_event(int fd, int mask, void *ctx)
{
	struct ipcserv_client *c = ctx;

	if (c->state == IPCSERV_WRITING) {
		if (ipcserv_flush(c) < 0)
			ipcserv_drop(c);
		else
			ipcserv_serve(c);
		return;
	}
	if (ipcserv_ops->readable != NULL) {
		ipcserv_ops->readable(c->ctx);
		return;
	}
	if (ipcserv_recv(c) < 0)
		ipcserv_drop(c);
	else
		ipcserv_serve(c);
}

/* ipcserv_add - serve a connected client: 0, -1 (refused, fd closed) */
int
ipcserv_add(int fd)
{
	struct ipcserv_client *c;
	int i;

	if (ipcserv_nclients >= ipcserv_ops->clients_max) {
		msg_warn("%d %s clients at once: refusing more",
		    ipcserv_nclients, ipcserv_ops->name);
		close(fd);
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->state = IPCSERV_READING;
	c->in = buf_new(256, ipcserv_ops->request_max);
	c->out = buf_new(256, 0);
	attr_init(&c->req);
	for (i = 0; i < IPC_FDS_MAX; i++)
		c->fds[i] = -1;
	if (set_nonblock(fd, 1) < 0 || ipcserv_watch(c, EVENT_READ) < 0) {
		close(fd);
		attr_free(&c->req);
		buf_free(&c->in);
		buf_free(&c->out);
		free(c);
		return -1;
	}
	ipcserv_nclients++;
	c->ctx = ipcserv_ops->open != NULL ? ipcserv_ops->open(c) : NULL;
	ipcserv_wait(c);
	return 0;
}

/* ipcserv_accept - new clients */
static void
ipcserv_accept(int lfd, int mask, void *ctx)
{
	int fd;

	while ((fd = ipc_accept(lfd)) >= 0)
		(void)ipcserv_add(fd);
}

/* ipcserv_retire_now - the grace time after a retirement is over */
static void
ipcserv_retire_now(void *ctx)
{
	exit(0);
}

/* ipcserv_retire_check - retired, and nothing left in hand: go */
void
ipcserv_retire_check(void)
{
	if (ipcserv_retiring && (ipcserv_nclients == 0 ||
	    ipcserv_ops->retire_alone) &&
	    (ipcserv_ops->busy == NULL || !ipcserv_ops->busy()))
		exit(0);
}

/* ipcserv_retired - has master retired us? */
int
ipcserv_retired(void)
{
	return ipcserv_retiring;
}

/*
 * ipcserv_master_gone - master closed our status pipe (a reload or a
 * stop): the socket may be the next process's, so we accept no more.
 * What the clients held goes with us at once (retire_ms 0: they
 * reconnect to our successor), or when the work in hand is done.
 */
static void
ipcserv_master_gone(int fd, int mask, void *ctx)
{
	if (msg_verbose)
		msg_debug("%s: master retired us", ipcserv_ops->name);
	if (ipcserv_ops->retire_ms <= 0)
		exit(0);
	event_del(fd);
	if (ipcserv_lfd >= 0) {
		event_del(ipcserv_lfd);
		ipcserv_lfd = -1;	/* master's socket: the next one's */
	}
	ipcserv_retiring = 1;
	ipcserv_retire_check();
	event_timer(ipcserv_ops->retire_ms, ipcserv_retire_now, NULL);
}

/* ipcserv_watch_master - notice when master retires us */
static void
ipcserv_watch_master(void)
{
	struct stat st;
	int fl;

	if (fstat(SERVER_STATUS_FD, &st) < 0 || !S_ISFIFO(st.st_mode) ||
	    (fl = fcntl(SERVER_STATUS_FD, F_GETFL)) < 0 ||
	    (fl & O_ACCMODE) != O_WRONLY)
		return;
	/* A pipe's write end reports an error once its reader is gone. */
	if (event_add(SERVER_STATUS_FD, 0, ipcserv_master_gone, NULL) < 0)
		msg_warn("watch master's status pipe: %m");
}

/* ipcserv_start - the loop's fixed parts: listener, master, descriptors */
void
ipcserv_start(int lfd, const struct ipcserv_ops *ops)
{
	struct rlimit rl;

	if ((ops->request == NULL) == (ops->readable == NULL))
		msg_panic("%s: a service either takes requests or reads",
		    ops->name);
	ipcserv_ops = ops;
	/* A descriptor per client (and more for what they pass). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	event_init();
	if (lfd < 0)
		return;
	ipcserv_lfd = lfd;
	if (set_nonblock(lfd, 1) < 0 ||
	    event_add(lfd, EVENT_READ, ipcserv_accept, NULL) < 0)
		msg_fatal("listen on the %s socket: %m", ops->name);
	ipcserv_watch_master();
}

/* ipcserv_run - accept and serve until master retires us */
void
ipcserv_run(int lfd, const struct ipcserv_ops *ops)
{
	ipcserv_start(lfd, ops);
	for (;;)
		event_loop(ops->loop != NULL ? ops->loop() : -1);
}
