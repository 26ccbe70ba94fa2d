/*
 * pop3d_cmd - the mailbox side of the POP3 server (the program pop3): the
 * TRANSACTION and UPDATE states of RFC 1939 on one Maildir.
 *
 * auth starts this program after a login, already running as the
 * account's user (never root), with the client on fd 0 (reads) and fd 1
 * (writes): the client's socket itself, or a socket pair whose other end
 * a TLS proxy holds.  The environment names the account (USER, HOME,
 * MAILDIR; IP the client's address when known).  The first reply is the
 * answer to the client's PASS or AUTH: "+OK Logged in." once the Maildir
 * is locked and listed, or -ERR [IN-USE] when another session holds it.
 *
 * Commands: STAT LIST UIDL RETR TOP DELE RSET NOOP QUIT CAPA.  Every
 * argument is checked (a message number is 1 to the count, digits only);
 * a wrong one gets -ERR and counts towards pop3d_hard_error_limit.
 * Replies to pipelined commands go out together; message text goes out
 * in big writes straight to the socket.  After a RETR, while the client
 * reads the message, the next one is read ahead (pop3d_prefetch), as
 * clients fetch one message after the other.  A command is one read and
 * its reply one write: the socket's own timeouts (SO_RCVTIMEO,
 * SO_SNDTIMEO) stand in for a poll() before each.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "dec.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "pop3d.h"

struct pop3d_cmd_tab {
	const char	*name;
	void		(*fn)(struct pop3d_state *, char *);
};

/*
 * pop3d_io_timeouts - let the kernel time reads and writes out
 * (SO_RCVTIMEO, SO_SNDTIMEO on the client's socket, made blocking), so
 * that a command costs one read and its reply one write, with no poll()
 * before each.  Without a socket (or a timeout) the hooks poll instead.
 */
void
pop3d_io_timeouts(struct pop3d_state *s)
{
	struct timeval tv;

	s->sockto = 0;
	if (s->timeout <= 0)
		return;
	tv.tv_sec = s->timeout;
	tv.tv_usec = 0;
	if (set_nonblock(0, 0) < 0 || set_nonblock(s->outfd, 0) < 0 ||
	    setsockopt(0, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(s->outfd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) < 0)
		return;
	s->sockto = 1;
}

/* pop3d_io_read - lineio's reads: fd 0, bounded by the idle timeout */
ssize_t
pop3d_io_read(void *ctx, void *p, size_t n)
{
	struct pop3d_state *s = ctx;
	ssize_t r;

	if (s->sockto) {
		/* A blocking socket says EAGAIN only when SO_RCVTIMEO ran out. */
		if ((r = read(0, p, n)) < 0 && (errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			errno = ETIMEDOUT;
		return r;
	}
	return fd_read_timed(0, p, n, s->timeout);
}

/* pop3d_io_write - lineio's writes, and message text: fd 1 */
ssize_t
pop3d_io_write(void *ctx, const void *p, size_t n)
{
	struct pop3d_state *s = ctx;
	ssize_t r;

	if (s->sockto) {
		if ((r = write(s->outfd, p, n)) < 0 && (errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			errno = ETIMEDOUT;
		return r;
	}
	return fd_write_timed(s->outfd, p, n, s->timeout);
}

/*
 * pop3d_out - message text from pop3d_maildrop_send().  A big piece goes
 * straight to the socket (after the replies before it); a small one, the
 * end of a message, joins the reply buffer.
 */
static int
pop3d_out(void *ctx, const char *p, size_t n)
{
	struct pop3d_state *s = ctx;
	ssize_t w;

	if (n < 16384)
		return lineio_write(s->io, p, n);
	if (lineio_flush(s->io) < 0)
		return -1;
	while (n > 0) {
		if ((w = pop3d_io_write(s, p, n)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * pop3d_msgno - the message a number names: digits only, 1 to the count.
 * NULL after a -ERR reply; a message marked deleted is refused too.
 */
static struct pop3d_msg *
pop3d_msgno(struct pop3d_state *s, const char *arg)
{
	struct pop3d_msg *m;
	unsigned long long n;
	size_t len;

	if (arg == NULL || *arg == '\0') {
		pop3d_reply(s, "-ERR Message number required.");
		return NULL;
	}
	len = strspn(arg, "0123456789");
	if (arg[len] != '\0') {
		pop3d_reply(s, "-ERR Invalid message number: %s",
		    printable(arg, s->tmp));
		return NULL;
	}
	if (dec_parse(arg, len, INT_MAX, &n) < 0 || n < 1 ||
	    n > (unsigned long long)s->mbox->count) {
		pop3d_reply(s, "-ERR There's no message %s.",
		    printable(arg, s->tmp));
		return NULL;
	}
	m = &s->mbox->msgs[n - 1];
	if (m->flags & POP3D_MSG_DELETED) {
		pop3d_reply(s, "-ERR Message %lld is deleted.",
		    (long long)n);
		return NULL;
	}
	return m;
}

/* pop3d_noise - refuse arguments a command does not take; 1 if refused */
static int
pop3d_noise(struct pop3d_state *s, const char *rest)
{
	if (rest == NULL || *rest == '\0')
		return 0;
	pop3d_reply(s, "-ERR Noise after the arguments: %s",
	    printable(rest, s->tmp));
	return 1;
}

/* pop3d_cmd_stat - STAT: count and size of the undeleted messages */
static void
pop3d_cmd_stat(struct pop3d_state *s, char *args)
{
	long long size = 0;
	int i, n = 0;

	if (pop3d_noise(s, args))
		return;
	for (i = 0; i < s->mbox->count; i++)
		if (!(s->mbox->msgs[i].flags & POP3D_MSG_DELETED)) {
			n++;
			size += s->mbox->msgs[i].size;
		}
	pop3d_reply(s, "+OK %d %lld", n, size);
}

/* pop3d_cmd_listing - LIST and UIDL: one message, or all of them */
static void
pop3d_cmd_listing(struct pop3d_state *s, char *args, int uidl)
{
	struct pop3d_msg *m;
	char *arg, *rest;
	int i, n = 0;

	arg = pop3d_split(args, &rest);
	if (arg != NULL) {
		if (pop3d_noise(s, rest) || (m = pop3d_msgno(s, arg)) == NULL)
			return;
		i = (int)(m - s->mbox->msgs) + 1;
		if (uidl)
			pop3d_reply(s, "+OK %d %s", i, m->uidl);
		else
			pop3d_reply(s, "+OK %d %lld", i, m->size);
		return;
	}
	for (i = 0; i < s->mbox->count; i++)
		if (!(s->mbox->msgs[i].flags & POP3D_MSG_DELETED))
			n++;
	if (uidl)
		pop3d_reply(s, "+OK");
	else
		pop3d_reply(s, "+OK %d messages:", n);
	for (i = 0; i < s->mbox->count; i++) {
		m = &s->mbox->msgs[i];
		if (m->flags & POP3D_MSG_DELETED)
			continue;
		if (uidl)
			lineio_printf(s->io, "%d %s\r\n", i + 1, m->uidl);
		else
			lineio_printf(s->io, "%d %lld\r\n", i + 1, m->size);
	}
	lineio_puts(s->io, ".\r\n");
}

static void
pop3d_cmd_list(struct pop3d_state *s, char *args)
{
	pop3d_cmd_listing(s, args, 0);
}

static void
pop3d_cmd_uidl(struct pop3d_state *s, char *args)
{
	pop3d_cmd_listing(s, args, 1);
}

/* pop3d_pre_out - message text into the read-ahead buffer */
static int
pop3d_pre_out(void *ctx, const char *p, size_t n)
{
	struct pop3d_state *s = ctx;

	buf_append(s->pre, p, n);
	return 0;
}

/*
 * pop3d_prefetch - read message i ahead, into s->pre, ready to send.
 * Mail clients fetch one message after the other and wait for each, so
 * the next one is read while the client is still busy with the last one
 * (the session loop calls this only when no command is waiting), and its
 * RETR then costs a single write.  Maildir files never change under one
 * name, so what was read stays right; a file that is gone by now is left
 * for RETR to report.
 */
static void
pop3d_prefetch(struct pop3d_state *s, int i)
{
	struct pop3d_msg *m;
	int fd, r;

	s->pre_msg = -1;
	if (i < 0 || i >= s->mbox->count)
		return;
	m = &s->mbox->msgs[i];
	if ((m->flags & (POP3D_MSG_DELETED | POP3D_MSG_GONE)) ||
	    m->size > POP3D_PREFETCH_MAX)
		return;
	if (s->pre == NULL)
		s->pre = buf_new(16384, 0);
	buf_reset(s->pre);
	if ((fd = pop3d_maildrop_open_msg(s->mbox, m, s->tmp)) < 0)
		return;
	r = pop3d_maildrop_send(s->mbox, m, fd, -1, pop3d_pre_out, s);
	close(fd);
	if (r == 0)
		s->pre_msg = i;
}

/*
 * pop3d_retr - RETR and TOP: the message, or its header and some body
 * lines.  A message removed by another program is reported, not fatal.
 */
static void
pop3d_retr(struct pop3d_state *s, struct pop3d_msg *m, long lines)
{
	int fd, r, i = (int)(m - s->mbox->msgs);

	if (lines < 0 && s->pre_msg == i) {
		/* Read ahead: the whole reply is ready. */
		s->pre_msg = -1;
		pop3d_reply(s, "+OK %lld octets", m->size);
		if (pop3d_out(s, buf_str(s->pre), buf_len(s->pre)) < 0) {
			s->quit = 1;
			return;
		}
		goto done;
	}
	if ((fd = pop3d_maildrop_open_msg(s->mbox, m, s->reply)) < 0) {
		if (errno == ENOENT) {
			msg_info("user=<%s>, %s: message was removed by "
			    "another program", s->account, m->uidl);
			pop3d_reply(s, "-ERR Message was removed");
		} else {
			msg_warn("%s", buf_str(s->reply));
			pop3d_reply(s, "-ERR [SYS/TEMP] Cannot read the "
			    "message, try again later");
		}
		s->errors--;	/* not the client's error: not counted */
		return;
	}
	if (lines < 0)
		pop3d_reply(s, "+OK %lld octets", m->size);
	else
		pop3d_reply(s, "+OK");
	r = pop3d_maildrop_send(s->mbox, m, fd, lines, pop3d_out, s);
	close(fd);
	if (r == -2) {
		/* Half a message sent: the only way out is to hang up. */
		msg_warn("user=<%s>, read of UID %u: %m: closing the "
		    "session", s->account, m->uid);
		s->quit = 1;
		return;
	}
	if (r < 0) {
		s->quit = 1;
		return;
	}
	if (lines >= 0) {
		s->top_count++;
		s->top_bytes += m->size;
		return;
	}
done:
	m->flags |= POP3D_MSG_RETRIEVED;
	s->retr_count++;
	s->retr_bytes += m->size;
	s->next_msg = i + 1;
}

/*
 * pop3d_cmd_msg - the message that args names (a number, nothing after
 * it); NULL when there is none, after the reply that says why
 */
static struct pop3d_msg *
pop3d_cmd_msg(struct pop3d_state *s, char *args)
{
	char *arg, *rest;

	arg = pop3d_split(args, &rest);
	if (pop3d_noise(s, rest))
		return NULL;
	return pop3d_msgno(s, arg);
}

/* pop3d_cmd_retr - RETR n */
static void
pop3d_cmd_retr(struct pop3d_state *s, char *args)
{
	struct pop3d_msg *m;

	if ((m = pop3d_cmd_msg(s, args)) != NULL)
		pop3d_retr(s, m, -1);
}

/* pop3d_cmd_top - TOP n lines */
static void
pop3d_cmd_top(struct pop3d_state *s, char *args)
{
	struct pop3d_msg *m;
	char *arg, *lines, *rest, *end;
	long n;

	arg = pop3d_split(args, &rest);
	lines = pop3d_split(rest, &rest);
	if (arg == NULL || lines == NULL) {
		pop3d_reply(s, "-ERR Syntax: TOP message lines");
		return;
	}
	if (pop3d_noise(s, rest))
		return;
	errno = 0;
	n = strtol(lines, &end, 10);
	if (*lines < '0' || *lines > '9' || *end != '\0' || errno != 0) {
		pop3d_reply(s, "-ERR Invalid number of lines: %s",
		    printable(lines, s->tmp));
		return;
	}
	if ((m = pop3d_msgno(s, arg)) == NULL)
		return;
	pop3d_retr(s, m, n);
}

/* pop3d_cmd_dele - DELE n: mark; the file goes at QUIT */
static void
pop3d_cmd_dele(struct pop3d_state *s, char *args)
{
	struct pop3d_msg *m;

	if ((m = pop3d_cmd_msg(s, args)) == NULL)
		return;
	m->flags |= POP3D_MSG_DELETED;
	pop3d_reply(s, "+OK Marked to be deleted.");
}

/* pop3d_cmd_rset - RSET: unmark the DELEd messages */
static void
pop3d_cmd_rset(struct pop3d_state *s, char *args)
{
	int i;

	if (pop3d_noise(s, args))
		return;
	for (i = 0; i < s->mbox->count; i++)
		s->mbox->msgs[i].flags &= ~POP3D_MSG_DELETED;
	pop3d_reply(s, "+OK");
}

/* pop3d_cmd_noop - NOOP */
static void
pop3d_cmd_noop(struct pop3d_state *s, char *args)
{
	if (pop3d_noise(s, args))
		return;
	pop3d_reply(s, "+OK");
}

/* pop3d_cmd_capa - CAPA (RFC 2449) */
static void
pop3d_cmd_capa(struct pop3d_state *s, char *args)
{
	pop3d_capa(s, NULL);
}

/* pop3d_cmd_quit - QUIT: the UPDATE state */
static void
pop3d_cmd_quit(struct pop3d_state *s, char *args)
{
	int i, failed;

	s->quit = 1;
	for (i = 0; i < s->mbox->count; i++)
		if (s->mbox->msgs[i].flags & POP3D_MSG_DELETED)
			s->dele_count++;
	failed = pop3d_maildrop_update(s->mbox, s->reply);
	/*
	 * Unlock before the reply: a client that reconnects the moment it
	 * reads "+OK" must not find its own last session in the way.
	 */
	pop3d_maildrop_close(&s->mbox);
	if (failed > 0) {
		pop3d_reply(s, "-ERR [SYS/TEMP] %d of the deleted messages "
		    "could not be removed.", failed);
		return;
	}
	pop3d_reply(s, "+OK Logging out.");
}

/* pop3d_cmd_again - USER, PASS, AUTH, APOP, STLS after login */
static void
pop3d_cmd_again(struct pop3d_state *s, char *args)
{
	pop3d_reply(s, "-ERR Already logged in.");
}

static const struct pop3d_cmd_tab pop3d_cmds[] = {
	{ "STAT", pop3d_cmd_stat },
	{ "LIST", pop3d_cmd_list },
	{ "UIDL", pop3d_cmd_uidl },
	{ "RETR", pop3d_cmd_retr },
	{ "TOP", pop3d_cmd_top },
	{ "DELE", pop3d_cmd_dele },
	{ "RSET", pop3d_cmd_rset },
	{ "NOOP", pop3d_cmd_noop },
	{ "QUIT", pop3d_cmd_quit },
	{ "CAPA", pop3d_cmd_capa },
	{ "USER", pop3d_cmd_again },
	{ "PASS", pop3d_cmd_again },
	{ "AUTH", pop3d_cmd_again },
	{ "APOP", pop3d_cmd_again },
	{ "STLS", pop3d_cmd_again },
	{ NULL, NULL },
};

/* pop3d_cmd - run one command line of the TRANSACTION state */
static void
pop3d_cmd(struct pop3d_state *s)
{
	const struct pop3d_cmd_tab *c;
	char *verb, *args;

	verb = pop3d_split(s->line->data, &args);
	if (verb == NULL) {
		pop3d_reply(s, "-ERR Unknown command: empty line");
		return;
	}
	for (c = pop3d_cmds; c->name != NULL; c++)
		if (strcasecmp(c->name, verb) == 0) {
			c->fn(s, args);
			return;
		}
	pop3d_reply(s, "-ERR Unknown command: %s", printable(verb, s->tmp));
}

/* pop3d_cmd_log - the session's summary line */
static void
pop3d_cmd_log(struct pop3d_state *s, const char *how)
{
	msg_info("%s: user=<%s>, rip=%s, top=%lld/%lld, retr=%lld/%lld, "
	    "del=%lld/%d, size=%lld", how, s->account, s->addr,
	    s->top_count, s->top_bytes, s->retr_count, s->retr_bytes,
	    s->dele_count, s->msg_count, s->msg_size);
}

/* pop3d_cmd_loop - serve the mailbox until QUIT or hang-up */
void
pop3d_cmd_loop(struct pop3d_state *s)
{
	const char *how = "Disconnected";
	int r;

	while (!s->quit) {
		if (pop3d_error_limit(s)) {
			how = "Too many errors";
			/* The client may still write. */
			lineio_linger(s->io, 0, s->outfd);
			break;
		}
		r = lineio_get(s->io, s->line, LINEIO_SKIP);
		switch (r) {
		case LINE_OK:
			if (strlen(s->line->data) != buf_len(s->line)) {
				pop3d_reply(s, "-ERR NUL in the command line");
				break;
			}
			s->next_msg = -1;
			pop3d_cmd(s);
			if (s->quit && strncasecmp(buf_str(s->line), "QUIT",
			    4) == 0)
				how = "Logged out";
			/* Idle until the next command: read ahead. */
			if (s->next_msg >= 0 && !s->quit &&
			    lineio_pending(s->io) == 0) {
				if (lineio_flush(s->io) < 0)
					s->quit = 1;
				else
					pop3d_prefetch(s, s->next_msg);
			}
			break;
		case LINE_TOOLONG:
			pop3d_reply(s, "-ERR Line too long.");
			break;
		case LINE_TIMEOUT:
			pop3d_reply(s, "-ERR Disconnected for inactivity.");
			how = "Inactivity";
			/* FALLTHROUGH */
		default:
			s->quit = 1;
			break;
		}
	}
	(void)lineio_flush(s->io);
	pop3d_cmd_log(s, how);
}
