/*
 * imapd_session - the loop of the mailbox side (the program imap): reads
 * commands, runs them from the table of the authenticated and selected
 * states (RFC 3501), answers the commands of any state, and between
 * commands hands a session with nothing to do for imapd_hibernate_timeout
 * to imap-hibernate (imapd_hibernate.c).
 *
 * auth starts the program after a login, already running as the
 * account's user (never root), with the client on fd 0 (reads) and fd 1
 * (writes): the client's socket itself, or a socket pair whose other end
 * a TLS proxy holds.  The login side has already answered the LOGIN;
 * this side speaks when spoken to.  A session that slept wakes here
 * (imapd_resumed) with the view the client knows.
 */
#include <sys/inotify.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "imapparse.h"
#include "lineio.h"
#include "mailbox.h"
#include "maildir.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "imapd.h"

/* A command of the authenticated and selected states. */
struct imapd_cmd_tab {
	const char	*name;
	void		(*fn)(struct imapd_state *, struct imapparse_cmd *);
	int		 flags;
};

#define CMD_SELECTED	0x1	/* needs a selected mailbox */
#define CMD_UID		0x2	/* has a UID form */
#define CMD_NOEXPUNGE	0x4	/* no EXPUNGE responses (FETCH STORE SEARCH) */

/* imapd_poll_ms - wait up to ms for fd to be readable; 1, 0 timeout, -1 */
int
imapd_poll_ms(int fd, long long ms)
{
	struct pollfd	pfd;
	long long	end = now_ms() + ms, left;
	int		r;

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		left = end - now_ms();
		r = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

/* imapd_io_read - lineio's reads: fd 0, bounded by the idle timeout */
ssize_t
imapd_io_read(void *ctx, void *p, size_t n)
{
	struct imapd_state *s = ctx;

	return fd_read_timed(0, p, n, s->timeout);
}

/* imapd_io_write - lineio's writes: fd 1 */
ssize_t
imapd_io_write(void *ctx, const void *p, size_t n)
{
	struct imapd_state *s = ctx;

	return fd_write_timed(s->outfd, p, n, s->timeout);
}

/* imapd_cmd_capability - CAPABILITY */
static void
imapd_cmd_capability(struct imapd_state *s, struct imapparse_cmd *c)
{
	imapd_reply(s, "* CAPABILITY " IMAPD_CAPS_MAILBOX);
	imapd_tag_ok(s, c, "Capability completed.");
}

/* imapd_cmd_noop - NOOP and CHECK: a chance for updates */
static void
imapd_cmd_noop(struct imapd_state *s, struct imapparse_cmd *c)
{
	if (!imapd_tag_no_args(s, c))
		return;
	imapd_tag_ok(s, c, "%s completed.", strcmp(c->name, "NOOP") == 0 ?
	    "NOOP" : "CHECK");
}

/* imapd_cmd_logout - LOGOUT */
static void
imapd_cmd_logout(struct imapd_state *s, struct imapparse_cmd *c)
{
	imapd_reply(s, "* BYE Logging out");
	imapd_reply(s, "%s OK Logout completed.", c->tag);
	s->quit = 1;
}

/* imapd_cmd_again - LOGIN, AUTHENTICATE and STARTTLS after login */
static void
imapd_cmd_again(struct imapd_state *s, struct imapparse_cmd *c)
{
	imapd_tag_bad(s, c, "Already logged in.");
}

/* imapd_cmd_id - ID (RFC 2971) */
static void
imapd_cmd_id(struct imapd_state *s, struct imapparse_cmd *c)
{
	imapd_reply(s, "* ID (\"name\" \"" IMAPD_IMPLEMENTATION "\" "
	    "\"vendor\" \"" IMAPD_IMPLEMENTATION "\")");
	imapd_tag_ok(s, c, "ID completed.");
}

/* imapd_cmd_enable - ENABLE (RFC 5161): CONDSTORE is what we have */
static void
imapd_cmd_enable(struct imapd_state *s, struct imapparse_cmd *c)
{
	const char *ext;
	int any = 0, on = 0;

	buf_reset(s->reply);
	while ((ext = imapparse_atom(c)) != NULL) {
		any = 1;
		if (strcasecmp(ext, "CONDSTORE") == 0 && !s->condstore) {
			s->condstore = 1;
			on = 1;
		}
	}
	if (!any || !imapparse_arg_end(c)) {
		imapd_tag_bad(s, c, "Syntax: ENABLE capability...");
		return;
	}
	imapd_reply(s, "* ENABLED%s", on ? " CONDSTORE" : "");
	imapd_tag_ok(s, c, "Enabled.");
}

static const struct imapd_cmd_tab imapd_cmds[] = {
	{ "CAPABILITY", imapd_cmd_capability, 0 },
	{ "NOOP", imapd_cmd_noop, 0 },
	{ "LOGOUT", imapd_cmd_logout, 0 },
	{ "ID", imapd_cmd_id, 0 },
	{ "ENABLE", imapd_cmd_enable, 0 },
	{ "LOGIN", imapd_cmd_again, 0 },
	{ "AUTHENTICATE", imapd_cmd_again, 0 },
	{ "STARTTLS", imapd_cmd_again, 0 },
	{ "SELECT", imapd_cmd_select, 0 },
	{ "EXAMINE", imapd_cmd_select, 0 },
	{ "CREATE", imapd_cmd_create, 0 },
	{ "DELETE", imapd_cmd_delete, 0 },
	{ "RENAME", imapd_cmd_rename, 0 },
	{ "SUBSCRIBE", imapd_cmd_subscribe, 0 },
	{ "UNSUBSCRIBE", imapd_cmd_subscribe, 0 },
	{ "LIST", imapd_cmd_list, 0 },
	{ "LSUB", imapd_cmd_lsub, 0 },
	{ "STATUS", imapd_cmd_status, 0 },
	{ "APPEND", imapd_cmd_append, 0 },
	{ "NAMESPACE", imapd_cmd_namespace, 0 },
	{ "GETQUOTA", imapd_cmd_getquota, 0 },
	{ "GETQUOTAROOT", imapd_cmd_getquotaroot, 0 },
	{ "SETQUOTA", imapd_cmd_setquota, 0 },
	{ "IDLE", imapd_cmd_idle, 0 },
	{ "CHECK", imapd_cmd_noop, CMD_SELECTED },
	{ "CLOSE", imapd_cmd_close, CMD_SELECTED },
	{ "UNSELECT", imapd_cmd_unselect, CMD_SELECTED },
	{ "EXPUNGE", imapd_cmd_expunge, CMD_SELECTED | CMD_UID },
	{ "SEARCH", imapd_cmd_search, CMD_SELECTED | CMD_UID |
	    CMD_NOEXPUNGE },
	{ "FETCH", imapd_cmd_fetch, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
	{ "STORE", imapd_cmd_store, CMD_SELECTED | CMD_UID | CMD_NOEXPUNGE },
	{ "COPY", imapd_cmd_copy, CMD_SELECTED | CMD_UID },
	{ "MOVE", imapd_cmd_copy, CMD_SELECTED | CMD_UID },
	{ NULL, NULL, 0 },
};

/* imapd_dispatch - run one command */
static void
imapd_dispatch(struct imapd_state *s, struct imapparse_cmd *c)
{
	const struct imapd_cmd_tab *t;

	for (t = imapd_cmds; t->name != NULL; t++)
		if (strcmp(t->name, c->name) == 0)
			break;
	if (t->name == NULL) {
		imapd_tag_bad(s, c, "Unknown command %s%s",
		    c->uid ? "UID " : "", printable(c->name, s->tmp));
		return;
	}
	if (c->uid && !(t->flags & CMD_UID)) {
		imapd_tag_bad(s, c, "There is no UID %s", t->name);
		return;
	}
	if ((t->flags & CMD_SELECTED) && s->mb == NULL) {
		imapd_tag_bad(s, c, "No mailbox selected: SELECT one first.");
		return;
	}
	s->in_cmd = (t->flags & CMD_NOEXPUNGE) && !c->uid;
	t->fn(s, c);
	s->in_cmd = 0;
	if (s->mb != NULL)
		mailbox_cache_release(s->mb);
}

/*
 * imapd_sleep - between commands, nothing buffered: wait up to
 * imapd_hibernate_timeout for the client and, if it stays silent, hand
 * the session to imap-hibernate.  Exits when it did; else returns.
 */
static void
imapd_sleep(struct imapd_state *s)
{
	long long start = now_ms();

	/* The autologout comes first when it is the shorter wait. */
	if (s->hib_ms <= 0 || s->hib_ms >= (long long)s->timeout * 1000 ||
	    lineio_pending(s->io) > 0 || start < s->hib_next ||
	    lineio_flush(s->io) < 0)
		return;
	if (imapd_poll_ms(0, s->hib_ms) != 0)
		return;
	if (imapd_hibernate(s, NULL, -1, start + (long long)s->timeout * 1000,
	    0) < 0)
		return;
	imapd_unselect(s);
	exit(0);
}

/* imapd_session - serve until LOGOUT, hang-up or autologout */
void
imapd_session(struct imapd_state *s)
{
	struct imapparse_cmd c;
	struct imapparse_reader rd = {
		.io = s->io,
		.cmd_max = var_imap_max_line_length,
		.literal_max = var_imapd_literal_max > 0 ?
		    var_imapd_literal_max : IMAPD_LITERAL_CEIL,
		.append = 1,	/* a message is bounded by literal_max */
	};
	const char	*how = "Disconnected";
	int		 r;

	memset(&c, 0, sizeof(c));
	while (!s->quit) {
		if (imapd_error_limit(s)) {
			how = "Too many errors";
			/* The client may still write. */
			lineio_linger(s->io, 0, s->outfd);
			break;
		}
		imapd_sleep(s);
		r = imapparse_read(&rd, &c, s->why);
		switch (r) {
		case IMAPPARSE_READ_OK:
			if (msg_verbose)
				msg_debug("< %s: %s %s", s->addr, c.tag,
				    c.name);
			imapd_dispatch(s, &c);
			if (s->quit && strcmp(c.name, "LOGOUT") == 0)
				how = "Logged out";
			break;
		case IMAPPARSE_READ_EMPTY:
			break;		/* a person pressed return */
		case IMAPPARSE_READ_BAD:
			s->errors++;
			imapd_reply(s, "%s BAD %s", c.tag ? c.tag : "*",
			    buf_str(s->why));
			break;
		case IMAPPARSE_READ_NO:
			s->errors++;
			imapd_reply(s, "%s NO %s", c.tag ? c.tag : "*",
			    buf_str(s->why));
			break;
		case IMAPPARSE_READ_TIMEOUT:
			imapd_reply(s, "* BYE Autologout: idle for too long.");
			how = "Inactivity";
			s->quit = 1;
			break;
		case IMAPPARSE_READ_BYE:
			imapd_reply(s, "* BYE %s", buf_str(s->why));
			how = strstr(buf_str(s->why), "Command") != NULL ?
			    "Command too long" : "Literal too big";
			/* FALLTHROUGH */
		default:
			s->quit = 1;
			break;
		}
		imapparse_free(&c);
	}
	(void)lineio_flush(s->io);
	msg_info("%s: user=<%s>, rip=%s, fetched=%lld/%lld", how, s->account,
	    s->addr, s->fetch_count, s->fetch_bytes);
}

/*
 * imapd_resumed - a session that slept in imap-hibernate wakes: its
 * state from fd (text), and back into IDLE if that is where it slept
 */
void
imapd_resumed(struct imapd_state *s, const char *fdtext)
{
	struct imapparse_cmd c;

	if (strcmp(fdtext, "4") != 0 || imapd_resume(s, 4) < 0) {
		msg_warn("user=<%s>, rip=%s: cannot resume: %s", s->account,
		    s->addr, buf_len(s->why) ? buf_str(s->why) : "bad fd");
		imapd_reply(s, "* BYE [UNAVAILABLE] The session could not be "
		    "resumed: please reconnect.");
		lineio_linger(s->io, 0, s->outfd);
		imapd_unselect(s);
		exit(1);
	}
	msg_info("resumed: user=<%s>, rip=%s, mailbox=%s, idle=%s",
	    s->account, s->addr, s->selname != NULL ?
	    printable(s->selname, s->tmp) : "none",
	    s->idle_tag != NULL ? "yes" : "no");
	if (s->idle_tag == NULL)
		return;
	memset(&c, 0, sizeof(c));
	c.tag = s->idle_tag;
	c.name = "IDLE";
	imapd_idle_loop(s, &c, s->idle_deadline, s->idle_notify);
	free(s->idle_tag);
	s->idle_tag = NULL;
}
