/*
 * master_spawn - listeners and service processes.
 *
 * Processes are started on demand, as Postfix does: master watches a
 * service's listening socket only while that socket has no idle child, and
 * starts one when a connection waits and the service is under its process
 * limit.  A new child counts as idle from birth, so one waiting connection
 * starts one child, not one per loop turn.  Children say "B pid" (busy)
 * and "I pid" (idle) on the service's status pipe.
 *
 * A reload retires a service's children by closing the status pipe they
 * write to: an idle child sees the pipe break and exits, a busy one
 * finishes its connection first.  Nothing is cut short.  Services with a
 * wakeup time (qmgr, pickup) run one process all the time, get "W\n" on
 * their socket every wakeup seconds, and are told to stop with SIGTERM.
 *
 * A child that dies abnormally is logged; a service whose processes die
 * before doing any work is throttled (the delay doubles from 1 s to 60 s),
 * so a broken configuration does not make master fork in a tight loop.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "event.h"
#include "msg.h"
#include "params.h"
#include "server.h"
#include "util.h"
#include "master.h"

static void master_unthrottle(void *);
static void master_wakeup(void *);

/* master_listen - open a service's sockets; -1 with why if one fails */
int
master_listen(struct master_serv *s, int backlog, struct buf *why)
{
	struct master_listener *l;
	int		 i;

	for (i = 0; i < s->nlisteners; i++) {
		l = s->listeners[i];
		if (l->fd >= 0)
			continue;
		if ((l->fd = server_listen(l->addr, backlog, why)) < 0) {
			if (l->optional) {
				buf_reset(why);
				continue;
			}
			buf_appendf(why, " (service %s, %s line %d)",
			    s->name, s->file, s->line);
			return -1;
		}
		if (s->type != MASTER_UNIX)
			continue;
		/* Anyone may connect; the directory decides who gets there. */
		if (master_root && chown(l->addr, master_owner_uid,
		    master_owner_gid) < 0) {
			buf_setf(why, "chown %s: %s", l->addr,
			    strerror(errno));
			return -1;
		}
		if (chmod(l->addr, 0666) < 0) {
			buf_setf(why, "chmod %s: %s", l->addr,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* master_unlisten - close a service's sockets (and remove Unix ones) */
void
master_unlisten(struct master_serv *s)
{
	struct master_listener *l;
	int		 i;

	for (i = 0; i < s->nlisteners; i++) {
		l = s->listeners[i];
		if (l->fd < 0)
			continue;
		if (l->watching)
			event_del(l->fd);
		l->watching = 0;
		close(l->fd);
		l->fd = -1;
		if (s->type == MASTER_UNIX)
			(void)unlink(l->addr);
	}
}

/* master_find_proc - a child of s by pid (current generation only) */
static struct master_proc *
master_find_proc(struct master_serv *s, pid_t pid)
{
	struct master_proc *p;

	for (p = s->procs; p != NULL; p = p->next)
		if (p->pid == pid && !p->retired)
			return p;
	return NULL;
}

/* master_status_line - one "B pid" or "I pid" from a child */
static void
master_status_line(struct master_serv *s, const char *line)
{
	struct master_proc *p;
	struct master_listener *l;
	char		*end;
	long		 pid;

	if ((line[0] != SERVER_STAT_BUSY && line[0] != SERVER_STAT_IDLE) ||
	    line[1] != ' ') {
		msg_warn("service %s: bad status line from a child", s->name);
		return;
	}
	pid = strtol(line + 2, &end, 10);
	if (*end != '\0' || pid <= 0)
		return;
	if ((p = master_find_proc(s, (pid_t)pid)) == NULL)
		return;		/* retired, or already reaped */
	l = s->listeners[p->listener];
	if (line[0] == SERVER_STAT_BUSY) {
		p->served = 1;
		if (p->avail) {
			p->avail = 0;
			l->avail--;
		}
	} else if (!p->avail) {
		p->avail = 1;
		l->avail++;
	}
}

/* master_status_event - the status pipe is readable */
static void
master_status_event(int fd, int mask, void *ctx)
{
	struct master_serv *s = ctx;
	char		 chunk[1024], *line, *nl;
	ssize_t		 n;
	size_t		 used;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_append(s->status_in, chunk, (size_t)n);
		if (buf_overflowed(s->status_in)) {
			msg_warn("service %s: garbage on the status pipe",
			    s->name);
			buf_reset(s->status_in);
			continue;
		}
		line = s->status_in->data;
		while ((nl = memchr(line, '\n', buf_len(s->status_in) -
		    (size_t)(line - s->status_in->data))) != NULL) {
			*nl = '\0';
			master_status_line(s, line);
			line = nl + 1;
		}
		used = (size_t)(line - s->status_in->data);
		memmove(s->status_in->data, line, buf_len(s->status_in) - used);
		buf_truncate(s->status_in, buf_len(s->status_in) - used);
	}
	master_watch(s);
}

/* master_status_open - a fresh status pipe for a service */
int
master_status_open(struct master_serv *s, struct buf *why)
{
	if (pipe2(s->status, O_CLOEXEC | O_NONBLOCK) < 0) {
		buf_setf(why, "pipe: %s", strerror(errno));
		s->status[0] = s->status[1] = -1;
		return -1;
	}
	/* Children block briefly rather than lose a status line. */
	(void)set_nonblock(s->status[1], 0);
	if (s->status_in == NULL)
		s->status_in = buf_new(256, MASTER_STATUS_MAX);
	buf_reset(s->status_in);
	if (event_add(s->status[0], EVENT_READ, master_status_event, s) < 0) {
		buf_setf(why, "event_add: %s", strerror(errno));
		master_status_close(s);
		return -1;
	}
	return 0;
}

/* master_status_close - close the status pipe: its children retire */
void
master_status_close(struct master_serv *s)
{
	if (s->status[0] >= 0)
		event_del(s->status[0]);
	fd_close(&s->status[0]);
	fd_close(&s->status[1]);
}

/* master_listen_event - a connection waits and no child is idle */
static void
master_listen_event(int fd, int mask, void *ctx)
{
	struct master_listener *l = ctx;
	struct master_serv *s = l->serv;
	int		 i;

	for (i = 0; i < s->nlisteners; i++)
		if (s->listeners[i] == l)
			break;
	if (i < s->nlisteners && l->avail == 0)
		master_start_one(s, i);
	master_watch(s);
}

/* master_throttled - is the service waiting out a respawn delay? */
static int
master_throttled(struct master_serv *s)
{
	if (s->throttled_until == 0)
		return 0;
	if (now_ms() >= s->throttled_until) {
		s->throttled_until = 0;
		return 0;
	}
	return 1;
}

/* master_watch - watch the listeners that need a new child, and no others */
void
master_watch(struct master_serv *s)
{
	struct master_listener *l;
	int		 i, want, room, throttled;

	throttled = master_throttled(s);
	room = s->maxproc == 0 || s->total < s->maxproc;
	for (i = 0; i < s->nlisteners; i++) {
		l = s->listeners[i];
		want = l->fd >= 0 && !s->removed && !master_stopping &&
		    s->wakeup == 0 && !throttled && room && l->avail == 0 &&
		    s->status[1] >= 0;
		if (want && !l->watching) {
			if (event_add(l->fd, EVENT_READ, master_listen_event,
			    l) < 0)
				msg_warn("service %s: event_add: %m", s->name);
			else
				l->watching = 1;
		} else if (!want && l->watching) {
			event_del(l->fd);
			l->watching = 0;
		}
	}
}

/* master_child - in the child: set up fds 3 and 4 and exec the command */
static void
master_child(struct master_serv *s, int lfd)
{
	sigset_t	 none;
	char		**av;
	int		 ac = 0, i, fd3, fd4, sig;

	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, sig == SIGPIPE ? SIG_IGN : SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Move both out of the way first: either may sit on 3 or 4. */
	if ((fd3 = fcntl(lfd, F_DUPFD_CLOEXEC, 10)) < 0 ||
	    (fd4 = fcntl(s->status[1], F_DUPFD_CLOEXEC, 10)) < 0 ||
	    dup2(fd3, SERVER_LISTEN_FD) < 0 ||
	    dup2(fd4, SERVER_STATUS_FD) < 0) {
		msg_warn("service %s: dup2: %m", s->name);
		_exit(127);
	}
	av = xcalloc((size_t)s->nargs + 16, sizeof(char *));
	av[ac++] = s->command;
	av[ac++] = "-c";
	av[ac++] = (char *)master_confdir;
	av[ac++] = "-n";
	av[ac++] = s->name;
	av[ac++] = "-t";
	av[ac++] = s->type == MASTER_INET ? "inet" : "unix";
	if (s->unpriv)
		av[ac++] = "-u";
	if (s->chroot) {
		av[ac++] = "-z";
		av[ac++] = var_queue_directory;
	}
	for (i = 0; i < s->nargs; i++)
		av[ac++] = s->args[i];
	av[ac] = NULL;
	execv(s->path, av);
	msg_warn("exec %s: %m", s->path);
	_exit(127);
}

/* master_start_one - fork a child for listener li of service s */
void
master_start_one(struct master_serv *s, int li)
{
	struct master_listener *l = s->listeners[li];
	struct master_proc *p;
	sigset_t	 all, saved;
	pid_t		 pid;

	if (l->fd < 0 || s->status[1] < 0)
		return;
	/*
	 * A signal that reaches the child before it has reset master's
	 * handlers would be lost: hold them all until it has.
	 */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &saved);
	pid = fork();
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &saved, NULL);
	switch (pid) {
	case -1:
		msg_warn("service %s: fork: %m", s->name);
		s->throttle_ms = MASTER_THROTTLE_MIN;
		s->throttled_until = now_ms() + s->throttle_ms;
		event_timer(s->throttle_ms, master_unthrottle, s);
		return;
	case 0:
		master_child(s, l->fd);
		/* NOTREACHED */
	}
	p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->serv = s;
	p->listener = li;
	p->avail = 1;		/* presumed idle until it says otherwise */
	p->started = now_ms();
	p->next = s->procs;
	s->procs = p;
	s->total++;
	l->avail++;
	if (msg_verbose)
		msg_debug("service %s: started %s pid %ld", s->name, s->path,
		    (long)pid);
}

/* master_unthrottle - a respawn delay is over */
static void
master_unthrottle(void *ctx)
{
	struct master_serv *s = ctx;

	s->throttled_until = 0;
	master_start(s);
}

/* master_wakeup - poke a service that runs by itself (qmgr, pickup) */
static void
master_wakeup(void *ctx)
{
	struct master_serv *s = ctx;
	struct sockaddr_un sun;
	const char	*path;
	int		 fd;

	if (s->removed || master_stopping || s->wakeup <= 0)
		return;
	event_timer((long)s->wakeup * 1000, master_wakeup, s);
	if (s->nlisteners == 0 || s->total == 0)
		return;
	path = s->listeners[0]->addr;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, strlen(path));
	/* Never block master: a busy service is simply not poked this time. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
	    errno == EINPROGRESS) {
		if (send(fd, "W\n", 2, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
		    msg_verbose)
			msg_debug("wakeup %s: %m", path);
	} else if (msg_verbose)
		msg_debug("wakeup %s: connect: %m", path);
	close(fd);
}

/* master_wakeup_cancel - forget a service's timers */
void
master_wakeup_cancel(struct master_serv *s)
{
	event_timer_cancel(master_wakeup, s);
	event_timer_cancel(master_unthrottle, s);
}

/*
 * master_start - after startup, a reload, a child's death or a delay: run
 * the one process of a wakeup service, and watch on-demand listeners.
 */
void
master_start(struct master_serv *s)
{
	if (s->removed || master_stopping)
		return;
	if (master_throttled(s)) {
		event_timer((long)(s->throttled_until - now_ms()),
		    master_unthrottle, s);
		master_watch(s);
		return;
	}
	if (s->wakeup > 0 && s->total == 0 && s->nlisteners > 0) {
		master_start_one(s, 0);
		event_timer((long)s->wakeup * 1000, master_wakeup, s);
	}
	master_watch(s);
}

/* master_retire - a reload: this generation of children is to go */
void
master_retire(struct master_serv *s)
{
	struct master_proc *p;
	int		 i;

	master_status_close(s);
	for (i = 0; i < s->nlisteners; i++)
		s->listeners[i]->avail = 0;
	for (p = s->procs; p != NULL; p = p->next) {
		p->retired = 1;
		p->avail = 0;
		/* They run their own loop and do not read the pipe. */
		if (s->wakeup > 0 && kill(p->pid, SIGTERM) < 0 &&
		    errno != ESRCH)
			msg_warn("kill %ld: %m", (long)p->pid);
	}
	master_wakeup_cancel(s);
}

/* master_find_pid - the child with this pid, in every service */
static struct master_proc *
master_find_pid(pid_t pid, struct master_serv **sp, int *graveyard)
{
	struct master_serv *s;
	struct master_proc *p;
	int		 g;

	for (g = 0; g < 2; g++) {
		for (s = g ? master_graveyard : master_services; s != NULL;
		    s = s->next) {
			for (p = s->procs; p != NULL; p = p->next) {
				if (p->pid == pid) {
					*sp = s;
					*graveyard = g;
					return p;
				}
			}
		}
	}
	return NULL;
}

/* master_bury - free a removed service whose last child is gone */
static void
master_bury(struct master_serv *s)
{
	struct master_serv **sp;

	for (sp = &master_graveyard; *sp != NULL; sp = &(*sp)->next) {
		if (*sp == s) {
			*sp = s->next;
			master_serv_free(s);
			return;
		}
	}
}

/* master_throttle - a child died badly: delay the next start */
static void
master_throttle(struct master_serv *s, struct master_proc *p)
{
	long long ran = now_ms() - p->started;

	/* A service process that did some work and then crashed is restarted
	 * at once on demand; one that dies before any work is throttled. */
	if (s->wakeup == 0 && p->served)
		return;
	if (s->throttle_ms == 0 || ran >= MASTER_THROTTLE_MAX)
		s->throttle_ms = MASTER_THROTTLE_MIN;
	else if ((s->throttle_ms *= 2) > MASTER_THROTTLE_MAX)
		s->throttle_ms = MASTER_THROTTLE_MAX;
	s->throttled_until = now_ms() + s->throttle_ms;
	msg_warn("%s: service %s: restarting in %d s", s->path, s->name,
	    s->throttle_ms / 1000);
}

/* master_reap - collect dead children, log the bad deaths, respawn */
void
master_reap(void)
{
	struct master_serv *s;
	struct master_proc *p, **pp;
	pid_t		 pid;
	int		 status, graveyard, bad;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((p = master_find_pid(pid, &s, &graveyard)) == NULL)
			continue;
		bad = WIFSIGNALED(status) ||
		    (WIFEXITED(status) && WEXITSTATUS(status) != 0);
		if (bad && !master_stopping) {
			if (WIFSIGNALED(status))
				msg_warn("process %s pid %ld killed by "
				    "signal %d", s->path, (long)pid,
				    WTERMSIG(status));
			else
				msg_warn("process %s pid %ld exit status %d",
				    s->path, (long)pid, WEXITSTATUS(status));
			if (!p->retired && !graveyard)
				master_throttle(s, p);
		} else if (!bad && !p->retired &&
		    now_ms() - p->started >= MASTER_THROTTLE_MAX)
			s->throttle_ms = 0;
		for (pp = &s->procs; *pp != p; pp = &(*pp)->next)
			;
		*pp = p->next;
		if (p->avail && !p->retired)
			s->listeners[p->listener]->avail--;
		s->total--;
		free(p);
		if (graveyard) {
			if (s->total == 0)
				master_bury(s);
		} else
			master_start(s);
	}
}

/* master_kill_all - send a signal to every child */
void
master_kill_all(int sig)
{
	struct master_serv *s;
	struct master_proc *p;
	int		 g;

	for (g = 0; g < 2; g++)
		for (s = g ? master_graveyard : master_services; s != NULL;
		    s = s->next)
			for (p = s->procs; p != NULL; p = p->next)
				(void)kill(p->pid, sig);
}

/* master_nprocs - how many children are alive */
int
master_nprocs(void)
{
	struct master_serv *s;
	int		 g, n = 0;

	for (g = 0; g < 2; g++)
		for (s = g ? master_graveyard : master_services; s != NULL;
		    s = s->next)
			n += s->total;
	return n;
}
