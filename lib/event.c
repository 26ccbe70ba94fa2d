/*
 * event - an epoll event loop with millisecond timers.
 *
 * Handlers are kept in a table indexed by fd.  Timers are few (one or two
 * per service), so they live in a small unsorted array; a timer is named by
 * its function and context, and setting it again moves it.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "msg.h"
#include "util.h"

struct event_fd {
	event_fn	 fn;
	void		*ctx;
	int		 mask;
};

struct event_tm {
	long long	 when;
	timer_fn	 fn;
	void		*ctx;
};

static int event_epfd = -1;
static struct event_fd *event_fds;
static int event_nfds;
static struct event_tm *event_tms;
static int event_ntms, event_tmsize;
static long long event_clock;

/* event_init - create the epoll instance (idempotent) */
void
event_init(void)
{
	if (event_epfd >= 0)
		return;
	if ((event_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		msg_fatal("epoll_create1: %m");
	event_clock = now_ms();
}

/* event_mask - our mask to epoll's */
static unsigned
event_mask(int mask)
{
	return ((mask & EVENT_READ) ? EPOLLIN : 0) |
	    ((mask & EVENT_WRITE) ? EPOLLOUT : 0);
}

/* event_add - watch fd for the events in mask */
int
event_add(int fd, int mask, event_fn fn, void *ctx)
{
	struct epoll_event ev;

	event_init();
	if (fd >= event_nfds) {
		int n = fd + 64;

		event_fds = xrealloc(event_fds, n * sizeof(*event_fds));
		memset(event_fds + event_nfds, 0,
		    (n - event_nfds) * sizeof(*event_fds));
		event_nfds = n;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = event_mask(mask);
	ev.data.fd = fd;
	if (epoll_ctl(event_epfd, event_fds[fd].fn ? EPOLL_CTL_MOD :
	    EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	event_fds[fd].fn = fn;
	event_fds[fd].ctx = ctx;
	event_fds[fd].mask = mask;
	return 0;
}

/* event_mod - change what fd is watched for */
int
event_mod(int fd, int mask)
{
	struct epoll_event ev;

	if (fd >= event_nfds || event_fds[fd].fn == NULL)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = event_mask(mask);
	ev.data.fd = fd;
	if (epoll_ctl(event_epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -1;
	event_fds[fd].mask = mask;
	return 0;
}

/* event_del - stop watching fd (call before closing it) */
void
event_del(int fd)
{
	if (fd < 0 || fd >= event_nfds || event_fds[fd].fn == NULL)
		return;
	(void)epoll_ctl(event_epfd, EPOLL_CTL_DEL, fd, NULL);
	event_fds[fd].fn = NULL;
	event_fds[fd].ctx = NULL;
}

/* event_timer - call fn(ctx) in ms milliseconds; replaces the same timer */
void
event_timer(long ms, timer_fn fn, void *ctx)
{
	int i;

	event_init();
	for (i = 0; i < event_ntms; i++)
		if (event_tms[i].fn == fn && event_tms[i].ctx == ctx)
			break;
	if (i == event_ntms) {
		if (event_ntms == event_tmsize) {
			event_tmsize = event_tmsize ? event_tmsize * 2 : 16;
			event_tms = xrealloc(event_tms,
			    event_tmsize * sizeof(*event_tms));
		}
		event_ntms++;
	}
	event_tms[i].when = now_ms() + ms;
	event_tms[i].fn = fn;
	event_tms[i].ctx = ctx;
}

/* event_timer_cancel - forget a timer */
void
event_timer_cancel(timer_fn fn, void *ctx)
{
	int i;

	for (i = 0; i < event_ntms; i++) {
		if (event_tms[i].fn == fn && event_tms[i].ctx == ctx) {
			event_tms[i] = event_tms[--event_ntms];
			return;
		}
	}
}

/* event_now - the clock as of this loop turn */
long long
event_now(void)
{
	return event_clock;
}

/* event_run_timers - call every timer that is due */
static void
event_run_timers(void)
{
	int i;
	timer_fn fn;
	void *ctx;

	for (i = 0; i < event_ntms; ) {
		if (event_tms[i].when <= event_clock) {
			fn = event_tms[i].fn;
			ctx = event_tms[i].ctx;
			event_tms[i] = event_tms[--event_ntms];
			fn(ctx);	/* may add or cancel timers */
			i = 0;
		} else
			i++;
	}
}

/* event_loop - wait once (at most max_ms, -1: no limit) and dispatch */
void
event_loop(int max_ms)
{
	struct epoll_event evs[64];
	long long next;
	int i, n, wait = max_ms, fd, mask;

	event_init();
	event_clock = now_ms();
	for (i = 0; i < event_ntms; i++) {
		next = event_tms[i].when - event_clock;
		if (next < 0)
			next = 0;
		if (wait < 0 || next < wait)
			wait = (int)next;
	}
	n = epoll_wait(event_epfd, evs, 64, wait);
	if (n < 0 && errno != EINTR)
		msg_fatal("epoll_wait: %m");
	event_clock = now_ms();
	for (i = 0; i < n; i++) {
		fd = evs[i].data.fd;
		if (fd >= event_nfds || event_fds[fd].fn == NULL)
			continue;
		mask = 0;
		if (evs[i].events & (EPOLLIN | EPOLLHUP))
			mask |= EVENT_READ;
		if (evs[i].events & EPOLLOUT)
			mask |= EVENT_WRITE;
		if (evs[i].events & EPOLLERR)
			mask |= EVENT_ERROR | EVENT_READ;
		event_fds[fd].fn(fd, mask, event_fds[fd].ctx);
	}
	event_run_timers();
}
