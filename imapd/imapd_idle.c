/*
 * imapd_idle - IDLE (RFC 2177): the folder is watched with inotify and
 * changes are reported as they happen, until DONE, the autologout or, when
 * the session has had nothing to do for imapd_hibernate_timeout, its
 * handover to imap-hibernate (imapd_hibernate.c), which wakes it again
 * when the client speaks or the folder changes.
 */
#include <sys/inotify.h>
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
#include "imapparse.h"
#include "lineio.h"
#include "mailbox.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "watch.h"
#include "imapd.h"

#define IMAPD_IDLE_POLL		5000	/* ms: a sync even without events */
#define IMAPD_IDLE_GAP		3	/* ms: a burst's events are closer */
#define IMAPD_IDLE_SETTLE	30	/* ms: the longest wait for a burst */


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
	(void)watch_drain(s->idle_fd, NULL);
	return s->idle_fd;
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
		any |= watch_drain(ifd, NULL);
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
imapd_idle_sleep(struct imapd_state *s, struct imapparse_cmd *c, int ifd,
    long long deadline, long long notify)
{
	int before = s->changes;

	if (ifd >= 0)
		(void)watch_drain(ifd, NULL);
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
imapd_idle_loop(struct imapd_state *s, struct imapparse_cmd *c,
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
		r = lineio_get(s->io, line, LINEIO_SKIP);
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
void
imapd_cmd_idle(struct imapd_state *s, struct imapparse_cmd *c)
{
	if (!imapd_tag_no_args(s, c))
		return;
	/* Updates follow at once, from imapd_idle_loop(). */
	imapd_reply(s, "+ idling");
	if (lineio_flush(s->io) < 0) {
		s->quit = 1;
		return;
	}
	imapd_idle_loop(s, c, now_ms() + (long long)s->timeout * 1000,
	    now_ms() + IMAPD_IDLE_NOTIFY * 1000LL);
}
