/*
 * imapd_session - the mailbox side of imapd (-M): the authenticated and
 * selected states of RFC 3501 on one Maildir.
 *
 * auth starts this program after a login, already running as the
 * account's user (never root), with the client on fd 0 (reads) and fd 1
 * (writes): the client's socket itself, or a socket pair whose other end
 * a TLS proxy holds.  The environment names the account (USER, HOME,
 * MAILDIR; IP the client's address when known).  The login side has
 * already answered the LOGIN; this side speaks when spoken to.
 *
 * The selected mailbox is a view: the messages as the client knows them,
 * in sequence order, each with the flags last reported.  Other sessions,
 * local delivery and pop3d change the folder underneath; imapd_update()
 * compares the view with the folder (mailbox_sync) and reports the
 * differences as untagged FETCH, EXPUNGE, EXISTS and RECENT responses,
 * just before a tagged response: never an EXPUNGE while answering FETCH,
 * STORE or SEARCH (their sequence numbers must stay put; RFC 3501 7.4.1),
 * and during IDLE as soon as inotify says the folder changed.
 *
 * A session with nothing to do for imapd_hibernate_timeout (in IDLE, or
 * between commands with no partial input) is handed to imap-hibernate
 * and this process exits (imapd_hibernate.c); when the client speaks or,
 * in IDLE, the folder changes, auth starts this program again with the
 * saved state, and the session goes on from the view the client knows.
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
#include "lineio.h"
#include "mailbox.h"
#include "maildir.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "imapd.h"

#define IMAPD_IDLE_POLL		5000	/* ms: a sync even without events */
#define IMAPD_IDLE_GAP		3	/* ms: a burst's events are closer */
#define IMAPD_IDLE_SETTLE	30	/* ms: the longest wait for a burst */

/* A command of the authenticated and selected states. */
struct imapd_cmd_tab {
	const char	*name;
	void		(*fn)(struct imapd_state *, struct imapd_cmd *);
	int		 flags;
};

#define CMD_SELECTED	0x1	/* needs a selected mailbox */
#define CMD_UID		0x2	/* has a UID form */
#define CMD_NOEXPUNGE	0x4	/* no EXPUNGE responses (FETCH STORE SEARCH) */

/* imapd_io_wait - wait until fd is ready; 1 ready, 0 timeout, -1 error */
static int
imapd_io_wait(int fd, short events, int timeout)
{
	struct pollfd	pfd;
	int		r;

	pfd.fd = fd;
	pfd.events = events;
	for (;;) {
		r = poll(&pfd, 1, timeout > 0 ? timeout * 1000 : -1);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

/* imapd_poll_ms - wait up to ms for fd to be readable; 1, 0 timeout, -1 */
static int
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
static ssize_t
imapd_io_read(void *ctx, void *p, size_t n)
{
	struct imapd_state *s = ctx;
	int w;

	if ((w = imapd_io_wait(0, POLLIN, s->timeout)) == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (w < 0)
		return -1;
	return read(0, p, n);
}

/* imapd_io_write - lineio's writes: fd 1 */
static ssize_t
imapd_io_write(void *ctx, const void *p, size_t n)
{
	struct imapd_state *s = ctx;
	int w;

	if ((w = imapd_io_wait(s->outfd, POLLOUT, s->timeout)) == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (w < 0)
		return -1;
	return write(s->outfd, p, n);
}

/* imapd_tag - the tagged response itself */
static void
imapd_tag(struct imapd_state *s, struct imapd_cmd *c, const char *what,
    const char *fmt, va_list ap)
{
	struct buf *text = buf_new(128, 0);

	buf_vappendf(text, fmt, ap);
	imapd_reply(s, "%s %s %s", c->tag, what, buf_str(text));
	buf_free(&text);
}

/* imapd_tag_ok - updates, then "tag OK text" */
void
imapd_tag_ok(struct imapd_state *s, struct imapd_cmd *c, const char *fmt,
    ...)
{
	va_list ap;

	imapd_update(s, !s->in_cmd);
	s->errors = 0;		/* the limit is on errors in a row */
	va_start(ap, fmt);
	imapd_tag(s, c, "OK", fmt, ap);
	va_end(ap);
}

/* imapd_tag_no - updates, then "tag NO text"; counts as an error */
void
imapd_tag_no(struct imapd_state *s, struct imapd_cmd *c, const char *fmt,
    ...)
{
	va_list ap;

	imapd_update(s, !s->in_cmd);
	s->errors++;
	va_start(ap, fmt);
	imapd_tag(s, c, "NO", fmt, ap);
	va_end(ap);
}

/* imapd_tag_bad - "tag BAD text"; counts as an error */
void
imapd_tag_bad(struct imapd_state *s, struct imapd_cmd *c, const char *fmt,
    ...)
{
	va_list ap;

	s->errors++;
	va_start(ap, fmt);
	imapd_tag(s, c, "BAD", fmt, ap);
	va_end(ap);
}

/* imapd_find_uid - the view index of a UID, or -1 */
int
imapd_find_uid(struct imapd_state *s, uint32_t uid)
{
	int lo = 0, hi = s->count - 1, mid;

	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		if (s->msgs[mid].uid == uid)
			return mid;
		if (s->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* imapd_open_folder - open a folder by name; -1 after a NO/BAD reply */
int
imapd_open_folder(struct imapd_state *s, const char *name,
    struct mailbox **mbp, int *missing)
{
	struct buf *path = buf_new(256, 0);
	int r;

	*mbp = NULL;
	*missing = 0;
	if (mailbox_list_path(s->maildir, name, path, s->why) < 0) {
		buf_free(&path);
		return -2;
	}
	r = mailbox_open(buf_str(path), mbp, s->why);
	if (r < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
		*missing = 1;
	buf_free(&path);
	return r;
}

/* imapd_unselect - forget the selected mailbox */
void
imapd_unselect(struct imapd_state *s)
{
	mailbox_close(&s->mb);
	free(s->selname);
	s->selname = NULL;
	free(s->msgs);
	s->msgs = NULL;
	s->count = s->size = 0;
	s->nrecent = 0;
}

/* imapd_view_add - a message joins the view */
static void
imapd_view_add(struct imapd_state *s, const struct uidlist_rec *r,
    int recent)
{
	struct imapd_msg *m;

	if (s->count == s->size) {
		s->size = s->size ? s->size * 2 : 256;
		s->msgs = xrealloc(s->msgs, (size_t)s->size * sizeof(*s->msgs));
	}
	m = &s->msgs[s->count++];
	m->uid = r->uid;
	m->flags = r->flags;
	m->kw = r->kw;
	m->recent = recent;
	m->expunged = 0;
	if (recent)
		s->nrecent++;
}

/*
 * imapd_claim_recent - a read-write session takes the \Recent messages
 * nobody took yet; returns the lowest UID it took (UINT32_MAX: none)
 */
static uint32_t
imapd_claim_recent(struct imapd_state *s)
{
	uint32_t old;

	if (s->readonly || s->mb->ul.firstrecent >= s->mb->ul.uidnext)
		return UINT32_MAX;
	if (mailbox_begin(s->mb, s->why) < 0) {
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
		return UINT32_MAX;
	}
	old = mailbox_claim_recent(s->mb);
	if (mailbox_end(s->mb, s->why) < 0)
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
	return old;
}

/* imapd_fetch_flags - an untagged FETCH with a message's new flags */
static void
imapd_fetch_flags(struct imapd_state *s, int i, const struct uidlist_rec *r)
{
	struct imapd_msg *m = &s->msgs[i];

	buf_reset(s->reply);
	buf_appendf(s->reply, "* %d FETCH (UID %u FLAGS (", i + 1, m->uid);
	imapd_flags_format(s->reply, s->mb, m->flags, m->kw, m->recent);
	buf_putc(s->reply, ')');
	if (s->condstore && r != NULL)
		buf_appendf(s->reply, " MODSEQ (%llu)",
		    (unsigned long long)r->modseq);
	buf_puts(s->reply, ")\r\n");
	lineio_write(s->io, buf_str(s->reply), buf_len(s->reply));
}

/*
 * imapd_update - report what changed in the selected mailbox since the
 * client last heard (see the top of this file).  allow_expunge: EXPUNGE
 * responses may be sent now.
 */
void
imapd_update(struct imapd_state *s, int allow_expunge)
{
	struct uidlist	*ul;
	uint32_t	 claimed, last;
	int		 i, j, k, recent_before, added = 0;

	if (s->mb == NULL)
		return;
	if (mailbox_sync(s->mb, 0, s->why) < 0) {
		msg_warn("user=<%s>, %s: %s", s->account, s->selname,
		    buf_str(s->why));
		return;
	}
	ul = &s->mb->ul;
	if (ul->uidvalidity != s->uidvalidity) {
		msg_warn("user=<%s>, %s: UIDVALIDITY changed under the "
		    "session", s->account, s->selname);
		imapd_reply(s, "* BYE [UNAVAILABLE] The mailbox's UIDs were "
		    "reset: please reconnect.");
		s->quit = 1;
		return;
	}
	last = s->count > 0 ? s->msgs[s->count - 1].uid : 0;
	claimed = UINT32_MAX;
	if (!s->readonly && ul->firstrecent < ul->uidnext &&
	    ul->count > 0 && ul->v[ul->count - 1].uid > last) {
		claimed = imapd_claim_recent(s);
		ul = &s->mb->ul;
	}
	/* Flags and expunges of the messages the client knows. */
	for (i = j = 0; i < s->count; i++) {
		struct imapd_msg *m = &s->msgs[i];

		while (j < ul->count && ul->v[j].uid < m->uid)
			j++;
		if (j < ul->count && ul->v[j].uid == m->uid) {
			if (ul->v[j].flags != m->flags ||
			    ul->v[j].kw != m->kw) {
				m->flags = ul->v[j].flags;
				m->kw = ul->v[j].kw;
				if (!m->expunged) {
					imapd_fetch_flags(s, i, &ul->v[j]);
					s->changes++;
				}
			}
			j++;
		} else
			m->expunged = 1;
	}
	if (allow_expunge) {
		for (i = s->count - 1; i >= 0; i--)
			if (s->msgs[i].expunged) {
				imapd_reply(s, "* %d EXPUNGE", i + 1);
				s->changes++;
			}
		for (i = k = 0; i < s->count; i++) {
			if (s->msgs[i].expunged) {
				if (s->msgs[i].recent)
					s->nrecent--;
				continue;
			}
			s->msgs[k++] = s->msgs[i];
		}
		s->count = k;
	}
	/* New messages. */
	recent_before = s->nrecent;
	for (; j < ul->count; j++)
		if (ul->v[j].uid > last) {
			imapd_view_add(s, &ul->v[j], ul->v[j].uid >= claimed);
			added++;
		}
	if (added > 0) {
		imapd_reply(s, "* %d EXISTS", s->count);
		imapd_reply(s, "* %d RECENT", s->nrecent);
		s->changes++;
	} else if (s->nrecent != recent_before) {
		imapd_reply(s, "* %d RECENT", s->nrecent);
		s->changes++;
	}
}

/* imapd_cmd_capability - CAPABILITY */
static void
imapd_cmd_capability(struct imapd_state *s, struct imapd_cmd *c)
{
	imapd_reply(s, "* CAPABILITY " IMAPD_CAPS_MAILBOX);
	imapd_tag_ok(s, c, "Capability completed.");
}

/* imapd_cmd_noop - NOOP and CHECK: a chance for updates */
static void
imapd_cmd_noop(struct imapd_state *s, struct imapd_cmd *c)
{
	if (!imapd_arg_end(c)) {
		imapd_tag_bad(s, c, "%s takes no arguments", c->name);
		return;
	}
	imapd_tag_ok(s, c, "%s completed.", strcmp(c->name, "NOOP") == 0 ?
	    "NOOP" : "CHECK");
}

/* imapd_cmd_logout - LOGOUT */
static void
imapd_cmd_logout(struct imapd_state *s, struct imapd_cmd *c)
{
	imapd_reply(s, "* BYE Logging out");
	imapd_reply(s, "%s OK Logout completed.", c->tag);
	s->quit = 1;
}

/* imapd_cmd_again - LOGIN, AUTHENTICATE and STARTTLS after login */
static void
imapd_cmd_again(struct imapd_state *s, struct imapd_cmd *c)
{
	imapd_tag_bad(s, c, "Already logged in.");
}

/* imapd_cmd_id - ID (RFC 2971) */
static void
imapd_cmd_id(struct imapd_state *s, struct imapd_cmd *c)
{
	imapd_reply(s, "* ID (\"name\" \"" IMAPD_IMPLEMENTATION "\" "
	    "\"vendor\" \"" IMAPD_IMPLEMENTATION "\")");
	imapd_tag_ok(s, c, "ID completed.");
}

/* imapd_cmd_enable - ENABLE (RFC 5161): CONDSTORE is what we have */
static void
imapd_cmd_enable(struct imapd_state *s, struct imapd_cmd *c)
{
	const char *ext;
	int any = 0, on = 0;

	buf_reset(s->reply);
	while ((ext = imapd_atom(c)) != NULL) {
		any = 1;
		if (strcasecmp(ext, "CONDSTORE") == 0 && !s->condstore) {
			s->condstore = 1;
			on = 1;
		}
	}
	if (!any || !imapd_arg_end(c)) {
		imapd_tag_bad(s, c, "Syntax: ENABLE capability...");
		return;
	}
	imapd_reply(s, "* ENABLED%s", on ? " CONDSTORE" : "");
	imapd_tag_ok(s, c, "Enabled.");
}

/* imapd_cmd_select - SELECT and EXAMINE (RFC 3501 6.3.1-2, 7162) */
static void
imapd_cmd_select(struct imapd_state *s, struct imapd_cmd *c)
{
	struct mailbox	*mb;
	struct uidlist	*ul;
	struct buf	*flags;
	struct imapd_arg *a;
	const char	*name;
	uint32_t	 claimed = UINT32_MAX;
	int		 missing, i, unseen = 0, rw, room = 0;

	rw = strcmp(c->name, "SELECT") == 0;
	if ((name = imapd_astring(c)) == NULL) {
		imapd_tag_bad(s, c, "Syntax: %s mailbox [(CONDSTORE)]",
		    c->name);
		return;
	}
	if (imapd_arg_lparen(c)) {
		while ((a = imapd_arg_peek(c)) != NULL &&
		    a->type == IMAPD_ATOM) {
			c->pos++;
			if (strcasecmp(a->s, "CONDSTORE") != 0) {
				imapd_tag_bad(s, c, "Unknown %s parameter %s",
				    c->name, printable(a->s, s->tmp));
				return;
			}
			s->condstore = 1;
		}
		if (!imapd_arg_rparen(c)) {
			imapd_tag_bad(s, c, "Syntax: %s mailbox "
			    "[(CONDSTORE)]", c->name);
			return;
		}
	}
	if (!imapd_arg_end(c)) {
		imapd_tag_bad(s, c, "Syntax: %s mailbox [(CONDSTORE)]",
		    c->name);
		return;
	}
	/* A failed SELECT leaves no mailbox selected (RFC 3501 6.3.1). */
	imapd_unselect(s);
	if (imapd_open_folder(s, name, &mb, &missing) < 0) {
		if (missing)
			imapd_tag_no(s, c, "[NONEXISTENT] Mailbox does not "
			    "exist: %s", printable(name, s->tmp));
		else
			imapd_tag_no(s, c, "[CANNOT] %s", buf_str(s->why));
		return;
	}
	if (mailbox_sync(mb, 0, s->why) < 0) {
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
		mailbox_close(&mb);
		imapd_tag_no(s, c, "[SERVERBUG] Cannot read the mailbox.");
		s->errors--;
		return;
	}
	s->mb = mb;
	s->selname = xstrdup(mailbox_list_canon(name));
	s->readonly = !rw;
	if (rw)
		claimed = imapd_claim_recent(s);
	ul = &mb->ul;
	s->uidvalidity = ul->uidvalidity;
	for (i = 0; i < ul->count; i++) {
		imapd_view_add(s, &ul->v[i], ul->v[i].uid >= claimed);
		if (unseen == 0 && !(ul->v[i].flags & FLAG_SEEN))
			unseen = i + 1;
	}
	flags = buf_new(256, 0);
	imapd_flags_format(flags, mb, FLAG_ALL, 0xffffffffU, 0);
	imapd_reply(s, "* FLAGS (%s)", buf_str(flags));
	for (i = 0; i < MAILBOX_KEYWORDS; i++)
		if (mb->kw[i] == NULL)
			room = 1;
	if (rw)
		imapd_reply(s, "* OK [PERMANENTFLAGS (%s%s)] Flags permitted.",
		    buf_str(flags), room ? " \\*" : "");
	else
		imapd_reply(s, "* OK [PERMANENTFLAGS ()] Read-only mailbox.");
	imapd_reply(s, "* %d EXISTS", s->count);
	imapd_reply(s, "* %d RECENT", s->nrecent);
	if (unseen > 0)
		imapd_reply(s, "* OK [UNSEEN %d] First unseen.", unseen);
	imapd_reply(s, "* OK [UIDVALIDITY %u] UIDs valid", ul->uidvalidity);
	imapd_reply(s, "* OK [UIDNEXT %u] Predicted next UID", ul->uidnext);
	imapd_reply(s, "* OK [HIGHESTMODSEQ %llu] Highest",
	    (unsigned long long)ul->highestmodseq);
	buf_free(&flags);
	imapd_tag_ok(s, c, "[READ-%s] %s completed.", rw ? "WRITE" : "ONLY",
	    rw ? "Select" : "Examine");
}

/* imapd_cmd_close - CLOSE: expunge silently (read-write), unselect */
static void
imapd_cmd_close(struct imapd_state *s, struct imapd_cmd *c)
{
	if (!imapd_arg_end(c)) {
		imapd_tag_bad(s, c, "CLOSE takes no arguments");
		return;
	}
	if (!s->readonly && imapd_expunge_deleted(s, NULL) < 0)
		msg_warn("user=<%s>, %s: %s", s->account, s->selname,
		    buf_str(s->why));
	imapd_unselect(s);
	imapd_tag_ok(s, c, "Close completed.");
}

/* imapd_cmd_unselect - UNSELECT (RFC 3691): no expunge */
static void
imapd_cmd_unselect(struct imapd_state *s, struct imapd_cmd *c)
{
	if (!imapd_arg_end(c)) {
		imapd_tag_bad(s, c, "UNSELECT takes no arguments");
		return;
	}
	imapd_unselect(s);
	imapd_tag_ok(s, c, "Unselect completed.");
}

static int imapd_idle_drain(int);

/*
 * imapd_idle_watch - inotify on the selected folder, new/ and cur/; -1
 * if none.  One inotify instance serves the process, its watches moved
 * when another folder is selected: the last close of an instance waits
 * for a kernel grace period (about 10 ms), which every IDLE + DONE would
 * pay.  A resumed session has the instance it slept with (watches not
 * known: replaced whole if another folder needs it).  Events from before
 * this IDLE are dropped: the sync that follows covers them.
 */
static int
imapd_idle_watch(struct imapd_state *s)
{
	struct buf *p;
	int i;

	if (s->mb == NULL)
		return -1;
	if (s->idle_fd >= 0 && (s->idle_path == NULL ||
	    strcmp(s->idle_path, s->mb->path) != 0)) {
		for (i = 0; i < 3; i++) {
			if (s->idle_wd[i] == -1 && s->idle_path != NULL) {
				close(s->idle_fd);
				s->idle_fd = -1;
				break;
			}
			if (s->idle_wd[i] >= 0)
				(void)inotify_rm_watch(s->idle_fd,
				    s->idle_wd[i]);
		}
		free(s->idle_path);
		s->idle_path = NULL;
	}
	if (s->idle_fd < 0 && (s->idle_fd = inotify_init1(IN_NONBLOCK |
	    IN_CLOEXEC)) < 0)
		return -1;
	if (s->idle_path == NULL) {
		p = buf_new(256, 0);
		buf_setf(p, "%s/new", s->mb->path);
		s->idle_wd[0] = inotify_add_watch(s->idle_fd, buf_str(p),
		    IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
		    IN_ONLYDIR);
		buf_setf(p, "%s/cur", s->mb->path);
		s->idle_wd[1] = inotify_add_watch(s->idle_fd, buf_str(p),
		    IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
		    IN_ONLYDIR);
		s->idle_wd[2] = inotify_add_watch(s->idle_fd, s->mb->path,
		    IN_MODIFY | IN_MOVED_TO | IN_ONLYDIR);
		for (i = 0; i < 3; i++)
			if (s->idle_wd[i] < 0)
				s->idle_wd[i] = -2;	/* none: nothing to remove */
		buf_free(&p);
		s->idle_path = xstrdup(s->mb->path);
	}
	(void)imapd_idle_drain(s->idle_fd);
	return s->idle_fd;
}

/*
 * imapd_idle_drain - read every pending inotify event; 1 if any of them
 * matters.  The folder's own files (cartero-uidlist, its lock, the cache)
 * change whenever a session, this one included, records what it saw;
 * what a client can see changes in new/ and cur/.
 */
static int
imapd_idle_drain(int fd)
{
	char ev[4096] __attribute__((aligned(__alignof__(struct
	    inotify_event))));
	const struct inotify_event *e;
	ssize_t n;
	size_t off;
	int any = 0;

	while ((n = read(fd, ev, sizeof(ev))) > 0) {
		for (off = 0; off + sizeof(*e) <= (size_t)n;
		    off += sizeof(*e) + e->len) {
			e = (const struct inotify_event *)(ev + off);
			if (e->len == 0 || strncmp(e->name, "cartero-", 8) != 0)
				any = 1;
		}
	}
	return any;
}

/*
 * imapd_idle_settle - a change was seen: let a burst of them (a move of
 * many messages, another session's flag changes) land, reading events
 * while they keep coming less than IMAPD_IDLE_GAP ms apart, for at most
 * IMAPD_IDLE_SETTLE ms, and not at all once the client has spoken.
 * 1 if any event matters.
 */
static int
imapd_idle_settle(int ifd)
{
	struct pollfd	 pfd[2];
	long long	 end = now_ms() + IMAPD_IDLE_SETTLE;
	int		 any = 0;

	for (;;) {
		any |= imapd_idle_drain(ifd);
		if (!any || now_ms() >= end)
			return any;
		pfd[0].fd = ifd;
		pfd[0].events = POLLIN;
		pfd[1].fd = 0;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, IMAPD_IDLE_GAP) <= 0 ||
		    (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			return any;
	}
}

/*
 * imapd_idle_sleep - IDLE has been quiet for imapd_hibernate_timeout:
 * bring the client up to date and, when nothing was left to say, hand
 * the session to imap-hibernate.  Exits when it did; else returns.
 */
static void
imapd_idle_sleep(struct imapd_state *s, struct imapd_cmd *c, int ifd,
    long long deadline, long long notify)
{
	int before = s->changes;

	if (ifd >= 0)
		(void)imapd_idle_drain(ifd);
	/* Events from here on stay queued for imap-hibernate. */
	imapd_update(s, 1);
	if (s->quit || s->changes != before || lineio_flush(s->io) < 0)
		return;
	if (imapd_hibernate(s, c->tag, ifd, deadline, notify) < 0)
		return;
	imapd_unselect(s);
	exit(0);
}

/*
 * imapd_idle_loop - IDLE's updates as they happen, until DONE.  The
 * autologout timer (deadline) keeps running; notify: the next "Still
 * here" (both now_ms() clock).  A resumed IDLE comes here directly.
 */
void
imapd_idle_loop(struct imapd_state *s, struct imapd_cmd *c,
    long long deadline, long long notify)
{
	struct pollfd	 pfd[2];
	struct buf	*line;
	long long	 wait, sleep_at, now;
	int		 ifd, r, n;

	/*
	 * The watch first, then the sync: a change after the sync is an
	 * event.  After a resumption this reports, at once, what happened
	 * while the session slept.
	 */
	ifd = imapd_idle_watch(s);
	line = buf_new(256, 0);
	imapd_update(s, 1);
	sleep_at = now_ms() + s->hib_ms;
	for (;;) {
		if (lineio_flush(s->io) < 0) {
			s->quit = 1;
			break;
		}
		if (lineio_pending(s->io) == 0) {
			now = now_ms();
			wait = deadline - now;
			if (notify - now < wait)
				wait = notify - now;
			if (s->mb != NULL && wait > IMAPD_IDLE_POLL)
				wait = IMAPD_IDLE_POLL;
			if (s->hib_ms > 0 && sleep_at - now < wait)
				wait = sleep_at - now;
			if (wait < 0)
				wait = 0;
			pfd[0].fd = 0;
			pfd[0].events = POLLIN;
			pfd[0].revents = 0;
			pfd[1].fd = ifd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			n = poll(pfd, ifd >= 0 ? 2 : 1, (int)wait);
			if (n < 0 && errno != EINTR)
				break;
			if (now_ms() >= deadline) {
				imapd_reply(s, "* BYE Autologout: idle for too "
				    "long.");
				s->quit = 1;
				break;
			}
			if (n > 0 && ifd >= 0 && (pfd[1].revents & POLLIN)) {
				if (imapd_idle_settle(ifd)) {
					imapd_update(s, 1);
					sleep_at = now_ms() + s->hib_ms;
				}
			} else if (n == 0 && now_ms() >= notify) {
				imapd_reply(s, "* OK Still here");
				notify = now_ms() + IMAPD_IDLE_NOTIFY * 1000LL;
			} else if (n == 0 && s->hib_ms > 0 &&
			    now_ms() >= sleep_at) {
				imapd_idle_sleep(s, c, ifd, deadline, notify);
				sleep_at = now_ms() + s->hib_ms;
			} else if (n == 0)
				imapd_update(s, 1);
			if (s->quit)
				break;
			if (lineio_flush(s->io) < 0) {
				s->quit = 1;
				break;
			}
			if (n <= 0 || !(pfd[0].revents & (POLLIN | POLLHUP |
			    POLLERR)))
				continue;
		}
		r = line_get(s->io, line, LINEIO_SKIP);
		if (r != LINE_OK && r != LINE_TOOLONG) {
			s->quit = 1;
			break;
		}
		if (r == LINE_OK && strcasecmp(buf_str(line), "DONE") == 0)
			imapd_tag_ok(s, c, "Idle completed.");
		else
			imapd_tag_bad(s, c, "Expected DONE to end IDLE");
		break;
	}
	buf_free(&line);
}

/*
 * imapd_cmd_idle - IDLE (RFC 2177): updates as they happen, until DONE.
 * The autologout timer keeps running.
 */
static void
imapd_cmd_idle(struct imapd_state *s, struct imapd_cmd *c)
{
	if (!imapd_arg_end(c)) {
		imapd_tag_bad(s, c, "IDLE takes no arguments");
		return;
	}
	/* Updates follow at once, from imapd_idle_loop(). */
	imapd_reply(s, "+ idling");
	if (lineio_flush(s->io) < 0) {
		s->quit = 1;
		return;
	}
	imapd_idle_loop(s, c, now_ms() + (long long)s->timeout * 1000,
	    now_ms() + IMAPD_IDLE_NOTIFY * 1000LL);
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
	{ "UNSUBSCRIBE", imapd_cmd_unsubscribe, 0 },
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
	{ "MOVE", imapd_cmd_move, CMD_SELECTED | CMD_UID },
	{ NULL, NULL, 0 },
};

/* imapd_dispatch - run one command */
static void
imapd_dispatch(struct imapd_state *s, struct imapd_cmd *c)
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

/* imapd_mailbox_usage - a wrong option */
static void
imapd_mailbox_usage(void)
{
	msg_fatal("usage: imapd -M [-c config_dir] [-o name=value] [-v]: "
	    "run by auth with the client on fd 0/1 and MAILDIR set");
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
static void
imapd_session(struct imapd_state *s)
{
	struct imapd_cmd c;
	const char	*how = "Disconnected";
	long long	 litmax;
	int		 r;

	memset(&c, 0, sizeof(c));
	litmax = var_imapd_literal_max > 0 ? var_imapd_literal_max :
	    IMAPD_LITERAL_CEIL;
	s->cmd_max = var_imap_max_line_length;
	while (!s->quit) {
		if (imapd_error_limit(s)) {
			how = "Too many errors";
			break;
		}
		imapd_sleep(s);
		r = imapd_cmd_read(s, &c, litmax, s->why);
		switch (r) {
		case IMAPD_READ_OK:
			if (msg_verbose)
				msg_debug("< %s: %s %s", s->addr, c.tag,
				    c.name);
			imapd_dispatch(s, &c);
			if (s->quit && strcmp(c.name, "LOGOUT") == 0)
				how = "Logged out";
			break;
		case IMAPD_READ_EMPTY:
			break;		/* a person pressed return */
		case IMAPD_READ_BAD:
			s->errors++;
			imapd_reply(s, "%s BAD %s", c.tag ? c.tag : "*",
			    buf_str(s->why));
			break;
		case IMAPD_READ_NO:
			s->errors++;
			imapd_reply(s, "%s NO %s", c.tag ? c.tag : "*",
			    buf_str(s->why));
			break;
		case IMAPD_READ_BYE:
			imapd_reply(s, "* BYE %s", buf_str(s->why));
			how = strstr(buf_str(s->why), "Command") != NULL ?
			    "Command too long" : "Literal too big";
			s->quit = 1;
			break;
		case IMAPD_READ_TIMEOUT:
			imapd_reply(s, "* BYE Autologout: idle for too long.");
			how = "Inactivity";
			s->quit = 1;
			break;
		default:
			s->quit = 1;
			break;
		}
		imapd_cmd_free(&c);
	}
	if (strcmp(how, "Too many errors") == 0)
		imapd_linger(s, 0, s->outfd);
	else
		(void)lineio_flush(s->io);
	msg_info("%s: user=<%s>, rip=%s, fetched=%lld/%lld", how, s->account,
	    s->addr, s->fetch_count, s->fetch_bytes);
}

/*
 * imapd_resumed - a session that slept in imap-hibernate wakes: its
 * state from fd (text), and back into IDLE if that is where it slept
 */
static void
imapd_resumed(struct imapd_state *s, const char *fdtext)
{
	struct imapd_cmd c;

	if (strcmp(fdtext, "4") != 0 || imapd_resume(s, 4) < 0) {
		msg_warn("user=<%s>, rip=%s: cannot resume: %s", s->account,
		    s->addr, buf_len(s->why) ? buf_str(s->why) : "bad fd");
		imapd_reply(s, "* BYE [UNAVAILABLE] The session could not be "
		    "resumed: please reconnect.");
		imapd_linger(s, 0, s->outfd);
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

/*
 * imapd_mailbox_main - imapd -M: read main.cf, check the Maildir, serve.
 * Runs as the account's user, exec'd by auth.
 */
void
imapd_mailbox_main(int argc, char **argv)
{
	static char	*overrides[65];
	struct imapd_state s;
	struct buf	*prog;
	const char	*confdir = NULL, *ip;
	int		 ch, nover = 0;

	msg_init("imapd", MSG_SYSLOG | (isatty(2) ? MSG_STDERR : 0));
	signal(SIGPIPE, SIG_IGN);	/* a write to a gone client fails */
	opterr = 0;
	optind = 1;
	while ((ch = getopt(argc, argv, "Mc:o:v")) != -1) {
		switch (ch) {
		case 'M':
			break;
		case 'c':
			confdir = optarg;
			break;
		case 'o':
			if (nover >= 64 || strchr(optarg, '=') == NULL)
				imapd_mailbox_usage();
			overrides[nover++] = optarg;
			break;
		case 'v':
			msg_verbose++;
			break;
		default:
			imapd_mailbox_usage();
		}
	}
	if (optind != argc)
		imapd_mailbox_usage();
	overrides[nover] = NULL;
	memset(&s, 0, sizeof(s));
	s.why = buf_new(256, 4096);
	if (confdir == NULL)
		confdir = conf_default_dir();
	if (conf_load(confdir, overrides, s.why) < 0)
		msg_fatal("%s", buf_str(s.why));
	prog = buf_new(64, 256);
	if (var_syslog_name != NULL && *var_syslog_name != '\0')
		buf_setf(prog, "%s/imapd", var_syslog_name);
	else
		buf_puts(prog, "imapd");
	msg_init(buf_str(prog), MSG_SYSLOG | (isatty(2) ? MSG_STDERR : 0));
	if (var_maillog_file != NULL && *var_maillog_file != '\0' &&
	    (access(var_maillog_file, W_OK) == 0 || errno == ENOENT))
		msg_logfile(var_maillog_file);

	s.mailbox = 1;
	s.outfd = 1;
	s.idle_fd = -1;
	s.idle_wd[0] = s.idle_wd[1] = s.idle_wd[2] = -1;
	/*
	 * Replies are written in pieces; with Nagle on, the last piece of a
	 * FETCH waits for the client's delayed ACK (tens of ms).  Over the
	 * TLS relay's socket pair this fails harmlessly.
	 */
	{
		int one = 1;

		(void)setsockopt(s.outfd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
	s.timeout = (int)var_imapd_timeout;
	s.reply = buf_new(256, 0);
	s.tmp = buf_new(256, 0);
	if ((s.account = getenv("USER")) == NULL || *s.account == '\0')
		s.account = "unknown";
	ip = getenv("IP");
	snprintf(s.addr, sizeof(s.addr), "%s", ip != NULL && *ip != '\0' ?
	    ip : "unknown");
	s.io = lineio_new(0, IMAPD_LINE_MAX, s.timeout);
	lineio_set_hooks(s.io, imapd_io_read, imapd_io_write, &s);

	/* A new account's Maildir is made here, as its owner. */
	if ((s.maildir = getenv("MAILDIR")) != NULL && *s.maildir != '\0' &&
	    access(s.maildir, F_OK) < 0 && errno == ENOENT &&
	    maildir_make(s.maildir, 1, s.why) < 0)
		msg_warn("user=<%s>: %s", s.account, buf_str(s.why));
	if (s.maildir == NULL || *s.maildir == '\0' ||
	    access(s.maildir, R_OK | X_OK) < 0) {
		msg_warn("user=<%s>: no usable MAILDIR (%s): %m", s.account,
		    s.maildir ? s.maildir : "unset");
		imapd_reply(&s, "* BYE [UNAVAILABLE] No mailbox for this "
		    "account.");
		imapd_linger(&s, 0, s.outfd);
		exit(1);
	}
	s.hib_ms = var_imapd_hibernate_timeout * 1000;
	s.resume_cred = getenv("RESUME");
	if ((ip = getenv("RESUME_FD")) != NULL)
		imapd_resumed(&s, ip);
	else
		msg_info("login: user=<%s>, rip=%s, imap session", s.account,
		    s.addr);
	imapd_session(&s);
	imapd_unselect(&s);
	lineio_free(&s.io);
	buf_free(&s.reply);
	buf_free(&s.tmp);
	buf_free(&s.why);
	buf_free(&prog);
	exit(0);
}
