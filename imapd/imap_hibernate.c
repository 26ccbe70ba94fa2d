/*
 * imap-hibernate - holds IMAP sessions that have nothing to do, without
 * a process each (master.cf: imap-hibernate unix n - n - 1
 * imap-hibernate).
 *
 * An imap process whose session has been quiet for
 * imapd_hibernate_timeout connects to $queue_directory/public/
 * imap-hibernate, passes the client's descriptor (and, in IDLE, its
 * inotify descriptor) and the session's state (lib/hibstate.h), and
 * exits once this service answers "ok".  Here a session is a few hundred
 * bytes plus its view; one process holds them all in one event loop.
 *
 * A session wakes when the client sends anything (nothing is read: the
 * bytes wait in the socket for the next imap process) or, in IDLE, when
 * the folder changes (the inotify descriptor, watches and all).  Waking:
 * a resume request to auth with the client's descriptor, the state in a
 * memfd, the inotify descriptor and the credential auth gave the
 * session; auth checks the credential and starts imap as the account.
 * A client that hangs up is forgotten.  This service writes IDLE's
 * "* OK Still here" and the autologout's BYE itself.
 *
 * The handover connections are lib/ipcserv.c's clients (a readable
 * service: the descriptors and the state are read here); the sleeping
 * sessions are this file's own descriptors in the same loop.  After a
 * reload the next imap-hibernate takes new sessions; these stay until
 * they wake (at most HIB_RETIRE_GRACE).
 *
 * Privileges: mail_owner (master.cf unpriv), and no mailbox is ever
 * opened here: the state is bytes, the folder is watched through the
 * descriptor the session's own process made.  The socket is in public/
 * because imap processes run as the mail users.  Whatever connects can
 * at most hand over a descriptor of its own: only auth's credential,
 * which only auth can make, wakes a session as an account.
 */
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "event.h"
#include "hibstate.h"
#include "ipc.h"
#include "ipcserv.h"
#include "msg.h"
#include "params.h"
#include "server.h"
#include "util.h"
#include "watch.h"
#include "imapd.h"

#define HIB_TICK		1000	/* ms between sweeps of the timers */
#define HIB_HANDOVER_MAX	30000	/* ms for an imap process's handover */
#define HIB_HANDOVERS_MAX	1000	/* handovers at once */
#define HIB_WAKE_MAX		30000	/* ms for auth's answer */
#define HIB_ANSWER_MAX		4096	/* auth's answer */
#define HIB_RETIRE_GRACE	(30 * 60 * 1000L)	/* after a reload */

/* An imap process handing a session over. */
struct hib_conn {
	struct ipcserv_client *cl;
	int		 fd;
	int		 cfd;		/* the client, once passed */
	int		 ifd;		/* IDLE's inotify, or -1 */
	struct buf	*in;
};

/* A sleeping session. */
struct hib_sess {
	int		 cfd;
	int		 ifd;
	int		 afd;		/* auth, while waking; else -1 */
	struct buf	*state;		/* freed once sent to auth */
	struct buf	*ain;		/* auth's answer */
	char		*account;	/* as auth named it */
	char		*rip;
	char		*cred;		/* auth's resume credential */
	char		*tag;		/* IDLE's, or NULL */
	long long	 deadline;	/* autologout, now_ms() clock */
	long long	 notify;	/* next "Still here" */
	long long	 since;		/* when the wake began */
	const char	*reason;	/* of the wake */
	struct hib_sess	*prev, *next;
};

static struct hib_sess *hib_sessions;
static int hib_nsessions;

/* hib_conn_open - an imap process with a session to hand over */
static void *
hib_conn_open(struct ipcserv_client *cl)
{
	struct hib_conn *c = xcalloc(1, sizeof(*c));

	c->cl = cl;
	c->fd = ipcserv_client_fd(cl);
	c->cfd = c->ifd = -1;
	c->in = buf_new(4096, (size_t)HIBSTATE_MAX + HIBSTATE_HEAD_MAX);
	return c;
}

/* hib_conn_close - done with a handover, whatever became of it */
static void
hib_conn_close(void *ctx)
{
	struct hib_conn *c = ctx;

	if (c->cfd >= 0)
		close(c->cfd);
	if (c->ifd >= 0)
		close(c->ifd);
	buf_free(&c->in);
	free(c);
}

/* hib_busy - after a reload: sessions still sleep here */
static int
hib_busy(void)
{
	return hib_nsessions > 0;
}

/* hib_forget - a session is over here (woken, closed or logged out) */
static void
hib_forget(struct hib_sess *s)
{
	if (s->cfd >= 0) {
		event_del(s->cfd);
		close(s->cfd);
	}
	if (s->ifd >= 0) {
		event_del(s->ifd);
		close(s->ifd);
	}
	if (s->afd >= 0) {
		event_del(s->afd);
		close(s->afd);
	}
	buf_free(&s->state);
	buf_free(&s->ain);
	free(s->account);
	free(s->rip);
	if (s->cred != NULL)
		explicit_bzero(s->cred, strlen(s->cred));
	free(s->cred);
	free(s->tag);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		hib_sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	free(s);
	hib_nsessions--;
	ipcserv_retire_check();
}

/* hib_say - a line to a sleeping client, if it can take it now: 0, -1 */
static int
hib_say(struct hib_sess *s, const char *text)
{
	ssize_t n;

	n = send(s->cfd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;	/* a client that does not read misses it */
	return n < 0 ? -1 : 0;
}

/* hib_wake_fail - the session could not be resumed: BYE, and forget */
static void
hib_wake_fail(struct hib_sess *s, const char *why)
{
	msg_warn("user=<%s>, rip=%s: cannot resume the session: %s",
	    s->account, s->rip, why);
	(void)hib_say(s, "* BYE [UNAVAILABLE] The session could not be "
	    "resumed: please reconnect.\r\n");
	hib_forget(s);
}

/* hib_auth_read - auth's answer to a resume request */
static void
hib_auth_read(int fd, int mask, void *ctx)
{
	struct hib_sess	*s = ctx;
	struct attr	 a;
	const char	*st, *p;
	size_t		 end;
	int		 r;

	if ((r = fd_read_append(fd, s->ain, 1024)) < 0)
		return;
	if (r == 0) {
		hib_wake_fail(s, "the auth service closed without an answer");
		return;
	}
	if (buf_overflowed(s->ain)) {
		hib_wake_fail(s, "over-long answer from the auth service");
		return;
	}
	p = buf_str(s->ain);
	if ((end = attr_end(p, buf_len(s->ain))) == 0)
		return;
	attr_init(&a);
	if (attr_parse(p, end, &a) < 0 ||
	    (st = attr_get(&a, "status")) == NULL) {
		attr_free(&a);
		hib_wake_fail(s, "malformed answer from the auth service");
		return;
	}
	if (strcmp(st, "ok") == 0) {
		msg_info("woken: user=<%s>, rip=%s, reason=%s, pid=%s",
		    s->account, s->rip, s->reason, attr_get(&a, "pid") ?
		    attr_get(&a, "pid") : "?");
		attr_free(&a);
		hib_forget(s);
		return;
	}
	p = attr_get(&a, "reason");
	buf_reset(s->ain);
	buf_puts(s->ain, p != NULL ? p : st);
	attr_free(&a);
	hib_wake_fail(s, buf_str(s->ain));
}

/* hib_state_fd - the state in a memfd, for auth to pass on: fd or -1 */
static int
hib_state_fd(struct hib_sess *s)
{
	int fd;

	if ((fd = memfd_create("imap-state", MFD_CLOEXEC)) < 0)
		return -1;
	if (write_full(fd, buf_str(s->state), buf_len(s->state)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* hib_wake - ask auth for an imap process to take the session up again */
static void
hib_wake(struct hib_sess *s, const char *reason)
{
	struct buf	*path, *wire;
	struct attr	 req;
	int		 fds[3], n;

	s->reason = reason;
	event_del(s->cfd);
	if (s->ifd >= 0)
		event_del(s->ifd);
	path = buf_new(256, 4096);
	wire = buf_new(512, 0);
	attr_init(&req);
	buf_setf(path, "%s/private/auth", var_queue_directory);
	/*
	 * The inotify descriptor goes along: the last close of an instance
	 * waits for a kernel grace period, and this loop must not.
	 */
	fds[0] = s->cfd;
	fds[2] = s->ifd;
	if ((fds[1] = hib_state_fd(s)) < 0) {
		buf_setf(path, "memfd: %s", strerror(errno));
		goto fail;
	}
	attr_set(&req, "request", "resume");
	attr_set(&req, "service", "imap");
	attr_set(&req, HIBSTATE_ACCOUNT, s->account);
	attr_set(&req, HIBSTATE_RIP, s->rip);
	attr_set(&req, HIBSTATE_CREDENTIAL, s->cred);
	attr_format(&req, wire);
	if ((s->afd = ipc_connect(buf_str(path), 5)) < 0) {
		buf_setf(path, "auth service unavailable: %s",
		    strerror(errno));
		close(fds[1]);
		goto fail;
	}
	n = ipc_send_fds(s->afd, fds, s->ifd >= 0 ? 3 : 2, buf_str(wire),
	    buf_len(wire));
	close(fds[1]);
	if (n >= 0 && s->ifd >= 0) {
		close(s->ifd);
		s->ifd = -1;
	}
	if (n < 0 || ((size_t)n < buf_len(wire) && write_full(s->afd,
	    buf_str(wire) + n, buf_len(wire) - (size_t)n) < 0)) {
		buf_setf(path, "send to the auth service: %s",
		    strerror(errno));
		goto fail;
	}
	buf_free(&s->state);
	s->ain = buf_new(256, HIB_ANSWER_MAX);
	s->since = now_ms();
	if (set_nonblock(s->afd, 1) < 0 ||
	    event_add(s->afd, EVENT_READ, hib_auth_read, s) < 0) {
		buf_setf(path, "event_add: %s", strerror(errno));
		goto fail;
	}
	attr_free(&req);
	buf_free(&path);
	buf_free(&wire);
	return;
fail:
	attr_free(&req);
	buf_free(&wire);
	hib_wake_fail(s, buf_str(path));
	buf_free(&path);
}

/* hib_client - the sleeping client stirs: input wakes, a hang-up forgets */
static void
hib_client(int fd, int mask, void *ctx)
{
	struct hib_sess *s = ctx;
	char c;
	ssize_t n;

	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		msg_info("Disconnected: user=<%s>, rip=%s, while hibernated",
		    s->account, s->rip);
		hib_forget(s);
		return;
	}
	hib_wake(s, "input");
}

/*
 * hib_folder - IDLE's folder changed, perhaps.  The folder's own files
 * (cartero-uidlist, its lock, the cache) change whenever a session
 * records what it saw; what a client sees changes in new/ and cur/.
 */
static void
hib_folder(int fd, int mask, void *ctx)
{
	struct hib_sess *s = ctx;
	int any, gone;

	any = watch_drain(fd, &gone);
	/* A descriptor that is no good: the folder is watched no more. */
	if (gone)
		any = 1;
	if (any)
		hib_wake(s, "mailbox");
}

/*
 * hib_take - a handover is complete: check it and keep the session.
 * NULL, or the reason for a refusal.
 */
static const char *
hib_take(struct hib_conn *c, const struct attr *a)
{
	struct hibstate_head h;
	struct hib_sess	*s;
	const char	*bad;

	if ((bad = hibstate_head(a, &h)) != NULL)
		return bad;
	if (c->cfd < 0)
		return "no client descriptor";
	if (h.idle == NULL && c->ifd >= 0)
		return "a folder watch outside IDLE";
	if (hib_nsessions >= var_imapd_hibernate_limit)
		return "full";
	s = xcalloc(1, sizeof(*s));
	s->cfd = c->cfd;
	s->ifd = c->ifd;
	s->afd = -1;
	s->account = xstrdup(h.account);
	s->rip = xstrdup(h.rip);
	s->cred = xstrdup(h.credential);
	s->tag = h.idle != NULL ? xstrdup(h.idle) : NULL;
	s->deadline = h.deadline;
	s->notify = h.notify;
	/* The state, exactly as it came: the next imap process reads it. */
	s->state = buf_new(buf_len(c->in), 0);
	buf_append(s->state, buf_str(c->in), buf_len(c->in));
	s->next = hib_sessions;
	if (hib_sessions != NULL)
		hib_sessions->prev = s;
	hib_sessions = s;
	hib_nsessions++;
	c->cfd = c->ifd = -1;
	if (event_add(s->cfd, EVENT_READ, hib_client, s) < 0 ||
	    (s->ifd >= 0 && event_add(s->ifd, EVENT_READ, hib_folder,
	    s) < 0)) {
		msg_warn("event_add: %m");
		hib_forget(s);
		return "internal error";
	}
	if (msg_verbose)
		msg_debug("holding user=<%s>, rip=%s, idle=%s, %d sessions",
		    s->account, s->rip, s->tag != NULL ? "yes" : "no",
		    hib_nsessions);
	return NULL;
}

/* hib_conn_read - a handover's bytes (the descriptors come first) */
static void
hib_conn_read(void *ctx)
{
	struct hib_conn	*c = ctx;
	struct attr	 a;
	const char	*p, *refused;
	char		 chunk[65536];
	long long	 size;
	size_t		 head;
	int		 fds[IPC_FDS_MAX], n, i;

	n = ipc_recv_fds(c->fd, fds, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	for (i = 0; i < IPC_FDS_MAX; i++) {
		if (fds[i] < 0)
			continue;
		if (c->cfd < 0 && i == 0 && buf_len(c->in) == 0)
			c->cfd = fds[i];
		else if (c->ifd < 0 && i == 1 && buf_len(c->in) == 0)
			c->ifd = fds[i];
		else
			close(fds[i]);
	}
	if (n <= 0) {
		ipcserv_drop(c->cl);
		return;
	}
	buf_append(c->in, chunk, (size_t)n);
	if (buf_overflowed(c->in)) {
		msg_warn("an over-long session state: refused");
		ipcserv_drop(c->cl);
		return;
	}
	p = buf_str(c->in);
	if ((head = hibstate_head_end(p, buf_len(c->in))) == 0) {
		if (buf_len(c->in) >= HIBSTATE_HEAD_MAX) {
			msg_warn("a session state without an end: refused");
			ipcserv_drop(c->cl);
		}
		return;
	}
	attr_init(&a);
	if (attr_parse(p, head, &a) < 0 || hibstate_num(&a, HIBSTATE_SIZE,
	    0, HIBSTATE_MAX, &size) < 0) {
		attr_free(&a);
		msg_warn("a malformed session state: refused");
		ipcserv_drop(c->cl);
		return;
	}
	if (buf_len(c->in) < head + (size_t)size) {
		attr_free(&a);
		return;
	}
	if (buf_len(c->in) > head + (size_t)size)
		refused = "more bytes than the state's size";
	else
		refused = hib_take(c, &a);
	attr_free(&a);
	if (refused != NULL) {
		msg_warn("a session handover refused: %s", refused);
		buf_setf(c->in, "no %s\n", refused);
	} else
		buf_set(c->in, "ok\n");
	/* A few bytes into an empty socket buffer: they fit. */
	if (write(c->fd, buf_str(c->in), buf_len(c->in)) < 0 && msg_verbose)
		msg_debug("answer a handover: %m");
	ipcserv_drop(c->cl);
}

/* hib_sweep - the clock: autologout, "Still here", slow handovers */
static void
hib_sweep(void *ctx)
{
	struct hib_sess	*s, *next;
	long long	 now = now_ms();

	for (s = hib_sessions; s != NULL; s = next) {
		next = s->next;
		if (s->afd >= 0) {
			if (now - s->since > HIB_WAKE_MAX)
				hib_wake_fail(s, "no answer from the auth "
				    "service");
			continue;
		}
		if (now >= s->deadline) {
			msg_info("Inactivity: user=<%s>, rip=%s, while "
			    "hibernated", s->account, s->rip);
			(void)hib_say(s, "* BYE Autologout: idle for too "
			    "long.\r\n");
			hib_forget(s);
			continue;
		}
		if (s->tag != NULL && now >= s->notify) {
			s->notify = now + IMAPD_IDLE_NOTIFY * 1000LL;
			if (hib_say(s, "* OK Still here\r\n") < 0) {
				msg_info("Disconnected: user=<%s>, rip=%s, "
				    "while hibernated", s->account, s->rip);
				hib_forget(s);
			}
		}
	}
	event_timer(HIB_TICK, hib_sweep, NULL);
}

/*
 * A handover has HIB_HANDOVER_MAX from its connection to its end; the
 * sessions already here outlive a reload.
 */
static const struct ipcserv_ops hib_ops = {
	.name = IMAPD_HIBERNATE_SERVICE,
	.request_max = HIBSTATE_MAX + HIBSTATE_HEAD_MAX,
	.clients_max = HIB_HANDOVERS_MAX,
	.idle_ms = HIB_HANDOVER_MAX,
	.retire_ms = HIB_RETIRE_GRACE,
	.open = hib_conn_open,
	.readable = hib_conn_read,
	.close = hib_conn_close,
	.busy = hib_busy,
};

/* hib_service - SERVER_LOOP: hold sessions until master says stop */
static void
hib_service(int lfd, char *service, char **argv)
{
	event_init();
	event_timer(HIB_TICK, hib_sweep, NULL);
	ipcserv_run(lfd, &hib_ops);
}

int
main(int argc, char **argv)
{
	server_main(argc, argv, SERVER_LOOP, hib_service, SERVER_END);
}
