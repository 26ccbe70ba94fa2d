/*
 * imapd_hibernate - the mailbox side's half of hibernation: a session
 * that has had nothing to do for imapd_hibernate_timeout (in IDLE, or
 * waiting for a command with no partial input buffered) becomes bytes in
 * imap-hibernate's memory, and this process exits.
 *
 * The state (lib/hibstate.h, the one format imap-hibernate reads too):
 * attribute lines (name=value, percent-encoded, an empty line at the
 * end), then the view as fixed records.
 *
 *	account rip credential	who, from where, and auth's resume
 *				credential ($RESUME), for the wake-up
 *	idle			the IDLE command's tag, when in IDLE
 *	deadline notify		the autologout and the next "Still here"
 *				(CLOCK_MONOTONIC ms, one clock for all)
 *	errors condstore fetched	the session's counters and switches
 *	mailbox readonly uidvalidity	the selected mailbox, if any
 *	count size		records in the view, bytes after the lines
 *
 * Each record is the view's message (struct imapd_msg): uid, flags,
 * keywords as last reported, \Recent, and "expunged, not yet told".
 *
 * Handing over: connect to public/imap-hibernate, send the client's
 * descriptor (fd 0: the socket, or the TLS relay's socket pair) and, in
 * IDLE, the inotify descriptor with its watches, then the state; the
 * service answers "ok" once it holds everything.  Anything else and the
 * session goes on here as if nothing happened, and does not try again for
 * IMAPD_HIBERNATE_RETRY ms.
 *
 * Resuming: auth starts this program again, as the account's user, with
 * the client on fd 0/1, the state on fd 4 ($RESUME_FD) and, for IDLE, the
 * inotify descriptor on fd 5 ($RESUME_INOTIFY).  The state
 * comes from a process that does not run as the account, so it is read as
 * untrusted input: bounded, every number checked, the view's UIDs
 * ascending, the account the one auth named.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "hibstate.h"
#include "ipc.h"
#include "lineio.h"
#include "mailbox.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "imapd.h"

#define IMAPD_HIBERNATE_WAIT	10	/* s for the service's answer */

/* imapd_state_format - the session as bytes */
static void
imapd_state_format(struct imapd_state *s, const char *tag,
    long long deadline, long long notify, struct buf *out)
{
	struct attr	 a;
	unsigned char	 rec[HIBSTATE_REC_SIZE];
	int		 i;

	attr_init(&a);
	attr_set(&a, HIBSTATE_ACCOUNT, s->account);
	attr_set(&a, HIBSTATE_RIP, s->addr);
	attr_set(&a, HIBSTATE_CREDENTIAL, s->resume_cred);
	if (tag != NULL)
		attr_set(&a, HIBSTATE_IDLE, tag);
	attr_setf(&a, HIBSTATE_DEADLINE, "%lld", deadline);
	attr_setf(&a, HIBSTATE_NOTIFY, "%lld", notify);
	attr_setf(&a, HIBSTATE_ERRORS, "%d", s->errors);
	attr_setf(&a, HIBSTATE_CONDSTORE, "%d", s->condstore);
	attr_setf(&a, HIBSTATE_FETCHED, "%lld/%lld", s->fetch_count, s->fetch_bytes);
	if (s->mb != NULL) {
		attr_set(&a, HIBSTATE_MAILBOX, s->selname);
		attr_setf(&a, HIBSTATE_READONLY, "%d", s->readonly);
		attr_setf(&a, HIBSTATE_UIDVALIDITY, "%u", s->uidvalidity);
	}
	attr_setf(&a, HIBSTATE_COUNT, "%d", s->mb != NULL ? s->count : 0);
	attr_setf(&a, HIBSTATE_SIZE, "%zu", s->mb != NULL ?
	    (size_t)s->count * HIBSTATE_REC_SIZE : 0);
	attr_format(&a, out);
	attr_free(&a);
	if (s->mb == NULL)
		return;
	for (i = 0; i < s->count; i++) {
		const struct imapd_msg *m = &s->msgs[i];

		memcpy(rec, &m->uid, 4);
		memcpy(rec + 4, &m->flags, 4);
		memcpy(rec + 8, &m->kw, 4);
		rec[12] = m->recent;
		rec[13] = m->expunged;
		buf_append(out, (const char *)rec, sizeof(rec));
	}
}

/* imapd_hibernate_answer - the service's answer: 0 "ok", -1 */
static int
imapd_hibernate_answer(int sock, struct buf *tmp, struct buf *why)
{
	struct pollfd	 pfd;
	char		 text[64];
	size_t		 got = 0;
	ssize_t		 n;

	pfd.fd = sock;
	pfd.events = POLLIN;
	while (got < sizeof(text) - 1) {
		if (poll(&pfd, 1, IMAPD_HIBERNATE_WAIT * 1000) <= 0) {
			buf_setf(why, "no answer from %s",
			    IMAPD_HIBERNATE_SERVICE);
			return -1;
		}
		if ((n = read(sock, text + got, sizeof(text) - 1 - got)) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			buf_setf(why, "%s closed without an answer",
			    IMAPD_HIBERNATE_SERVICE);
			return -1;
		}
		got += (size_t)n;
		if (memchr(text, '\n', got) != NULL)
			break;
	}
	text[got] = '\0';
	if (strcmp(text, "ok\n") == 0)
		return 0;
	text[strcspn(text, "\n")] = '\0';
	buf_setf(why, "%s refused: %s", IMAPD_HIBERNATE_SERVICE,
	    printable(text, tmp));
	return -1;
}

/*
 * imapd_hibernate - hand the session to imap-hibernate: 0 done (the
 * caller exits without another word to the client), -1 not now (the
 * session goes on).  tag: IDLE's tag, or NULL between commands; ifd:
 * IDLE's inotify descriptor or -1; deadline, notify: now_ms() clock.
 */
int
imapd_hibernate(struct imapd_state *s, const char *tag, int ifd,
    long long deadline, long long notify)
{
	struct buf	*path, *state;
	int		 fds[2], sock = -1, r = -1, n, quiet = 0;

	if (s->hib_ms <= 0 || s->resume_cred == NULL ||
	    *s->resume_cred == '\0' || now_ms() < s->hib_next ||
	    lineio_pending(s->io) > 0)
		return -1;
	/*
	 * auth takes the credential for imapd_hibernate_credential_lifetime
	 * from its issue; one that would expire before the autologout
	 * could not wake the session: keep the process instead, for good
	 * (later deadlines are later still).
	 */
	if (strtoll(s->resume_cred, NULL, 10) +
	    var_imapd_hibernate_credential_lifetime <
	    (long long)time(NULL) + (deadline - now_ms()) / 1000 + 1) {
		if (msg_verbose)
			msg_debug("user=<%s>: the resume credential is too "
			    "old to hibernate", s->account);
		s->hib_ms = 0;
		return -1;
	}
	if (lineio_flush(s->io) < 0)
		return -1;
	path = buf_new(256, 4096);
	state = buf_new(4096, HIBSTATE_MAX);
	buf_setf(path, "%s/public/%s", var_queue_directory,
	    IMAPD_HIBERNATE_SERVICE);
	imapd_state_format(s, tag, deadline, notify, state);
	if (buf_overflowed(path) || buf_overflowed(state)) {
		buf_setf(s->why, "the session's state is too large");
		goto out;
	}
	if ((sock = ipc_connect(buf_str(path), IMAPD_HIBERNATE_WAIT)) < 0) {
		/* No imap-hibernate line in master.cf: nothing to say. */
		quiet = errno == ENOENT || errno == ECONNREFUSED;
		buf_setf(s->why, "connect %s: %s", buf_str(path),
		    strerror(errno));
		goto out;
	}
	fds[0] = 0;
	fds[1] = ifd;
	if ((n = ipc_send_fds(sock, fds, ifd >= 0 ? 2 : 1, buf_str(state),
	    buf_len(state))) < 0 || ((size_t)n < buf_len(state) &&
	    write_full(sock, buf_str(state) + n, buf_len(state) -
	    (size_t)n) < 0)) {
		buf_setf(s->why, "send to %s: %s", IMAPD_HIBERNATE_SERVICE,
		    strerror(errno));
		goto out;
	}
	if (imapd_hibernate_answer(sock, s->tmp, s->why) < 0)
		goto out;
	r = 0;
	msg_info("hibernated: user=<%s>, rip=%s, mailbox=%s, idle=%s, "
	    "state=%zu, fetched=%lld/%lld", s->account, s->addr,
	    s->selname != NULL ? printable(s->selname, s->tmp) : "none",
	    tag != NULL ? "yes" : "no", buf_len(state), s->fetch_count,
	    s->fetch_bytes);
out:
	if (r < 0) {
		/* Not an error of the session: say it once in a while. */
		if (!quiet || msg_verbose)
			msg_info("user=<%s>, rip=%s: not hibernated: %s",
			    s->account, s->addr, buf_str(s->why));
		s->hib_next = now_ms() + IMAPD_HIBERNATE_RETRY;
	}
	if (sock >= 0)
		close(sock);
	buf_free(&path);
	buf_free(&state);
	return r;
}

/* imapd_state_read - all of fd 4's bytes, bounded: 0, -1 */
static int
imapd_state_read(int fd, struct buf *out, struct buf *why)
{
	char	chunk[65536];
	off_t	off = 0;
	ssize_t	n;

	for (;;) {
		n = pread(fd, chunk, sizeof(chunk), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			buf_setf(why, "read the saved state: %s",
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		buf_append(out, chunk, (size_t)n);
		if (buf_overflowed(out)) {
			buf_setf(why, "the saved state is too large");
			return -1;
		}
		off += n;
	}
	return 0;
}

/* imapd_state_tag - is an IDLE tag one a client could have sent? */
static int
imapd_state_tag(const char *t)
{
	size_t len = strlen(t);

	if (len == 0 || len > 1024)
		return 0;
	for (; *t; t++)
		if (!isgraph((unsigned char)*t) || *t == '"' || *t == '\\' ||
		    *t == '(' || *t == ')' || *t == '{' || *t == '*' ||
		    *t == '%' || *t == '+')
			return 0;
	return 1;
}

/* imapd_state_view - the selected mailbox and its view: 0, -1 (why) */
static int
imapd_state_view(struct imapd_state *s, const struct attr *a,
    const char *rec, long long count)
{
	const char	*name = attr_get(a, HIBSTATE_MAILBOX);
	struct mailbox	*mb;
	long long	 ro, uv;
	uint32_t	 last = 0;
	int		 missing, i;

	if (name == NULL)
		return count == 0 ? 0 : -1;
	if (hibstate_num(a, HIBSTATE_READONLY, 0, 1, &ro) < 0 ||
	    hibstate_num(a, HIBSTATE_UIDVALIDITY, 1, UINT32_MAX, &uv) < 0) {
		buf_setf(s->why, "malformed saved state");
		return -1;
	}
	if (imapd_open_folder(s, name, &mb, &missing) < 0) {
		if (missing)
			buf_setf(s->why, "the selected mailbox is gone");
		return -1;
	}
	if (mailbox_sync(mb, 0, s->why) < 0) {
		mailbox_close(&mb);
		return -1;
	}
	s->mb = mb;
	s->selname = xstrdup(name);
	s->readonly = (int)ro;
	s->uidvalidity = (uint32_t)uv;
	s->size = count > 0 ? (int)count : 1;
	s->msgs = xcalloc((size_t)s->size, sizeof(*s->msgs));
	for (i = 0; i < count; i++, rec += HIBSTATE_REC_SIZE) {
		struct imapd_msg *m = &s->msgs[i];

		memcpy(&m->uid, rec, 4);
		memcpy(&m->flags, rec + 4, 4);
		memcpy(&m->kw, rec + 8, 4);
		m->recent = rec[12] != 0;
		m->expunged = rec[13] != 0;
		if (m->uid <= last) {
			buf_setf(s->why, "malformed saved state (UIDs)");
			return -1;
		}
		last = m->uid;
		if (m->recent)
			s->nrecent++;
	}
	s->count = (int)count;
	return 0;
}

/*
 * imapd_resume - take up a hibernated session from the state on fd:
 * 0, or -1 with s->why (the caller says BYE).
 */
int
imapd_resume(struct imapd_state *s, int fd)
{
	struct hibstate_head h;
	struct buf	*raw;
	struct attr	 a;
	const char	*p, *v;
	long long	 n, count, size, fc, fb;
	size_t		 head;
	int		 r = -1;

	raw = buf_new(65536, HIBSTATE_MAX);
	attr_init(&a);
	if (imapd_state_read(fd, raw, s->why) < 0)
		goto out;
	p = buf_str(raw);
	if ((head = hibstate_head_end(p, buf_len(raw))) == 0 ||
	    attr_parse(p, head, &a) < 0 || hibstate_head(&a, &h) != NULL) {
		buf_setf(s->why, "malformed saved state");
		goto out;
	}
	if (strcmp(h.account, s->account) != 0) {
		buf_setf(s->why, "the saved state is another account's");
		goto out;
	}
	if (hibstate_num(&a, HIBSTATE_COUNT, 0, INT_MAX / 2, &count) < 0 ||
	    hibstate_num(&a, HIBSTATE_SIZE, 0, HIBSTATE_MAX, &size) < 0 ||
	    size != count * HIBSTATE_REC_SIZE ||
	    (size_t)size != buf_len(raw) - head ||
	    hibstate_num(&a, HIBSTATE_ERRORS, 0, INT_MAX, &n) < 0) {
		buf_setf(s->why, "malformed saved state");
		goto out;
	}
	s->errors = (int)n;
	if (hibstate_num(&a, HIBSTATE_CONDSTORE, 0, 1, &n) == 0)
		s->condstore = (int)n;
	if ((v = attr_get(&a, HIBSTATE_FETCHED)) != NULL &&
	    sscanf(v, "%lld/%lld", &fc, &fb) == 2 && fc >= 0 && fb >= 0) {
		s->fetch_count = fc;
		s->fetch_bytes = fb;
	}
	if (h.idle != NULL) {
		if (!imapd_state_tag(h.idle)) {
			buf_setf(s->why, "malformed saved state (tag)");
			goto out;
		}
		s->idle_tag = xstrdup(h.idle);
		s->idle_deadline = h.deadline;
		s->idle_notify = h.notify;
	}
	if (imapd_state_view(s, &a, p + head, count) < 0)
		goto out;
	/* IDLE's inotify instance, watches and all, on fd 5. */
	if ((v = getenv("RESUME_INOTIFY")) != NULL && strcmp(v, "5") == 0) {
		if (s->mb != NULL && s->idle_tag != NULL) {
			s->idle_fd = 5;
			s->idle_path = xstrdup(s->mb->path);
		} else
			close(5);
	}
	r = 0;
out:
	if (r < 0 && buf_len(s->why) == 0)
		buf_setf(s->why, "cannot resume the session");
	close(fd);
	attr_free(&a);
	buf_free(&raw);
	return r;
}
