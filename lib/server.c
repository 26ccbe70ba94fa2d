/*
 * server - the skeleton every daemon under master runs in.
 *
 * It owns what the daemons share: the command-line options master passes,
 * main.cf, the log, the jail (chroot and the drop to mail_owner), and the
 * accept loop with its idle and use limits.  A daemon's main() hands it a
 * service callback and never sees any of this.
 *
 * master runs several processes of one service on one listening socket
 * (fd 3), so a child polls, then accepts without blocking: another child
 * may have taken the connection first, and that is not an error.  Each
 * child tells master on fd 4 when it turns busy or idle, so that master
 * starts a new process only when none is free.  Run by hand, -S binds the
 * socket here and fd 4 is not used.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ipc.h"
#include "lastlogin.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "server.h"
#include "util.h"

#define SERVER_BACKLOG	128
#define SERVER_MAX_OVERRIDES 64

int server_foreground;

static int server_status_fd = -1;	/* fd 4 when master runs us */
static int server_status_last;		/* what master was last told */
static const char *server_session_name;	/* imapd, pop3d: for lastlogin */

typedef void (*server_hook)(char *, char **);
typedef void (*server_void_hook)(void);

/* server_onterm - SIGTERM: master wants us gone (or it died) */
static void
server_onterm(int sig)
{
	(void)sig;
	_exit(0);
}

/*
 * server_status - tell master we are busy or idle.  -1 when master has
 * closed the pipe (it stopped, or a reload retired us): the caller then
 * exits, after the connection in hand if there is one.
 */
static int
server_status(int what)
{
	char	 line[64];
	int	 len;

	if (server_status_fd < 0 || what == server_status_last)
		return 0;
	server_status_last = what;
	len = snprintf(line, sizeof(line), "%c %ld\n", what, (long)getpid());
	if (write_full(server_status_fd, line, (size_t)len) < 0) {
		if (errno == EPIPE)
			return -1;
		msg_warn("write status to master: %m");
	}
	return 0;
}

/*
 * server_port - a port number or name ("2525", "smtp"): the number, or 0.
 * The mail ports are known by name even where /etc/services lacks them
 * (minimal containers).
 */
int
server_port(const char *name)
{
	static const struct { const char *name; int port; } ports[] = {
		{ "smtp", 25 }, { "submission", 587 },
		{ "submissions", 465 }, { "smtps", 465 },
		{ "pop3", 110 }, { "pop3s", 995 },
		{ "imap", 143 }, { "imap2", 143 }, { "imaps", 993 },
		{ "lmtp", 24 },
	};
	struct servent	*se;
	char		*end;
	long		 n;
	size_t		 i;

	if (*name >= '0' && *name <= '9') {
		n = strtol(name, &end, 10);
		return *end == '\0' && n > 0 && n < 65536 ? (int)n : 0;
	}
	if ((se = getservbyname(name, "tcp")) != NULL)
		return ntohs((unsigned short)se->s_port);
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (strcasecmp(ports[i].name, name) == 0)
			return ports[i].port;
	return 0;
}

/*
 * server_addr_split - split "host:port", "[v6]:port", ":port" or "port";
 * an empty host (or "*") is every address.  A port name known to
 * server_port comes back as its number.
 */
int
server_addr_split(const char *addr, struct buf *host, struct buf *port,
    struct buf *why)
{
	const char	*colon, *end;
	int		 num;

	buf_reset(host);
	buf_reset(port);
	if (*addr == '[') {
		if ((end = strchr(addr, ']')) == NULL || end[1] != ':') {
			buf_setf(why, "bad address \"%s\": expected "
			    "[address]:port", addr);
			return -1;
		}
		buf_append(host, addr + 1, (size_t)(end - addr - 1));
		buf_puts(port, end + 2);
	} else if ((colon = strrchr(addr, ':')) != NULL) {
		if (strchr(addr, ':') != colon) {
			buf_setf(why, "bad address \"%s\": write an IPv6 "
			    "address in brackets, [::1]:port", addr);
			return -1;
		}
		buf_append(host, addr, (size_t)(colon - addr));
		buf_puts(port, colon + 1);
	} else
		buf_puts(port, addr);
	if (buf_len(port) == 0) {
		buf_setf(why, "bad address \"%s\": no port", addr);
		return -1;
	}
	if (strcmp(buf_str(host), "*") == 0)
		buf_reset(host);
	if ((num = server_port(buf_str(port))) > 0)
		buf_setf(port, "%d", num);
	if (buf_overflowed(host) || buf_overflowed(port)) {
		buf_setf(why, "address too long");
		return -1;
	}
	return 0;
}

/* server_bind_one - a listening TCP socket on one resolved address */
static int
server_bind_one(const struct addrinfo *ai, int dual, int backlog)
{
	int	 fd, on = 1, off = 0, saved;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
		    dual ? &off : &on, sizeof(on));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, backlog) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* server_listen_inet - bind host:port; an empty host means every address */
static int
server_listen_inet(const char *addr, int backlog, struct buf *why)
{
	struct addrinfo	 hints, *res, *ai;
	struct buf	*host, *port;
	int		 fd = -1, err, any;

	host = buf_new(64, 1024);
	port = buf_new(16, 256);
	if (server_addr_split(addr, host, port, why) < 0)
		goto out;
	any = buf_len(host) == 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
	/* "Every address": one dual-stack IPv6 socket, else IPv4 alone. */
	hints.ai_family = any ? AF_INET6 : AF_UNSPEC;
	if (!any && strspn(buf_str(host),
	    "0123456789abcdefABCDEF.:%") != buf_len(host))
		hints.ai_flags &= ~AI_NUMERICHOST;
	err = getaddrinfo(any ? NULL : buf_str(host), buf_str(port),
	    &hints, &res);
	if (err != 0 && any) {
		hints.ai_family = AF_INET;
		err = getaddrinfo(NULL, buf_str(port), &hints, &res);
	}
	if (err != 0) {
		buf_setf(why, "address %s: %s", addr, gai_strerror(err));
		goto out;
	}
	errno = EADDRNOTAVAIL;
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = server_bind_one(ai, any, backlog);
	freeaddrinfo(res);
	if (fd < 0 && any && (errno == EAFNOSUPPORT ||
	    errno == EADDRNOTAVAIL)) {
		hints.ai_family = AF_INET;
		if (getaddrinfo(NULL, buf_str(port), &hints, &res) == 0) {
			for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
				fd = server_bind_one(ai, 0, backlog);
			freeaddrinfo(res);
		}
	}
	if (fd < 0)
		buf_setf(why, "bind %s: %s", addr, strerror(errno));
out:
	buf_free(&host);
	buf_free(&port);
	return fd;
}

/* server_listen - bind ADDR (TCP or Unix socket) and listen */
int
server_listen(const char *addr, int backlog, struct buf *why)
{
	struct stat	 st;
	int		 fd;

	if (strchr(addr, '/') == NULL)
		return server_listen_inet(addr, backlog, why);
	/* A stale socket from an earlier run; never remove anything else. */
	if (lstat(addr, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(addr);
	if ((fd = ipc_listen(addr, backlog, 0666)) < 0) {
		buf_setf(why, "listen on %s: %s", addr, strerror(errno));
		return -1;
	}
	if (set_cloexec(fd, 1) < 0 || set_nonblock(fd, 1) < 0) {
		buf_setf(why, "%s: fcntl: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* server_is_listener - is fd an open, listening socket? */
static int
server_is_listener(int fd)
{
	int		 on = 0;
	socklen_t	 len = sizeof(on);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0)
		return 0;
	return on;
}

/* server_basename - the last component of a path */
static const char *
server_basename(const char *path)
{
	const char *slash;

	return (slash = strrchr(path, '/')) != NULL ? slash + 1 : path;
}

/* server_usage - a wrong option: say what is accepted */
static void
server_usage(const char *prog)
{
	msg_fatal("usage: %s [-c config_dir] [-n service] [-t inet|unix] "
	    "[-u] [-z chroot_dir] [-o name=value] [-v] [-f] [-S address] "
	    "[args...]", prog);
}

/*
 * server_wait_epoll - the wait set of server_wait: the listener with an
 * exclusive wakeup, so that a new connection wakes one idle process and
 * not every one, and master's status pipe.  -1 where the kernel lacks
 * EPOLLEXCLUSIVE (before Linux 4.5): then poll() wakes them all.
 */
static int
server_wait_epoll(int fd)
{
	static int	 efd = -2;
	struct epoll_event ev;

	if (efd != -2)
		return efd;
	if ((efd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return efd = -1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.fd = fd;
	if (epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto fail;
	if (server_status_fd >= 0) {
		/* A pipe's write end says EPOLLERR once its reader is gone. */
		ev.events = 0;
		ev.data.fd = server_status_fd;
		if (epoll_ctl(efd, EPOLL_CTL_ADD, server_status_fd, &ev) < 0)
			goto fail;
	}
	return efd;
fail:
	close(efd);
	return efd = -1;
}

/*
 * server_wait - wait up to max_idle (ms, -1 forever) for a connection.
 * 1: ready, 0: idle timeout.  Exits when master closes our status pipe.
 */
static int
server_wait(int fd, long long idle_ms)
{
	struct epoll_event ev[2];
	struct pollfd	 pfd[2];
	long long	 deadline = 0, left;
	int		 i, n, nfd = 1, timeout, efd, ready, gone;

	if (idle_ms >= 0)
		deadline = now_ms() + idle_ms;
	efd = server_wait_epoll(fd);
	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	if (server_status_fd >= 0) {
		pfd[1].fd = server_status_fd;
		pfd[1].events = 0;
		nfd = 2;
	}
	for (;;) {
		timeout = -1;
		if (idle_ms >= 0) {
			if ((left = deadline - now_ms()) <= 0)
				return 0;
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		if (efd >= 0)
			n = epoll_wait(efd, ev, 2, timeout);
		else
			n = poll(pfd, (nfds_t)nfd, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			msg_fatal("wait for a connection: %m");
		}
		if (n == 0)
			continue;
		ready = gone = 0;
		if (efd >= 0) {
			for (i = 0; i < n; i++)
				if (ev[i].data.fd == fd)
					ready = 1;
				else
					gone = 1;
		} else {
			ready = pfd[0].revents != 0;
			gone = nfd == 2 && pfd[1].revents != 0;
		}
		if (gone) {
			if (msg_verbose)
				msg_debug("master went away: exiting");
			exit(0);
		}
		if (ready)
			return 1;
	}
}

/* server_accept_loop - SERVER_SINGLE: one connection at a time */
static void
server_accept_loop(int lfd, int standalone, server_fn service,
    char *name, char **args, server_void_hook pre_accept)
{
	long long	 idle_ms, use = 0;
	int		 fd, retired;

	idle_ms = standalone ? -1 : var_max_idle * 1000;
	for (;;) {
		if (pre_accept != NULL)
			pre_accept();
		if (server_status(SERVER_STAT_IDLE) < 0)
			exit(0);	/* retired while busy: done now */
		if (server_wait(lfd, idle_ms) == 0) {
			if (msg_verbose)
				msg_debug("idle timeout: exiting");
			exit(0);
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			switch (errno) {
			case EAGAIN:
#if EAGAIN != EWOULDBLOCK
			case EWOULDBLOCK:
#endif
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
			case ENETDOWN:
			case ENOPROTOOPT:
			case EHOSTDOWN:
			case ENONET:
			case EHOSTUNREACH:
			case EOPNOTSUPP:
			case ENETUNREACH:
				continue;	/* another child won, or gone */
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				msg_warn("accept: %m");
				sleep(1);
				continue;
			default:
				msg_fatal("accept: %m");
			}
		}
		retired = server_status(SERVER_STAT_BUSY) < 0;
		service(fd, name, args);
		close(fd);
		if (retired)
			exit(0);
		if (!standalone && ++use >= var_max_use) {
			if (msg_verbose)
				msg_debug("served %lld connections: exiting",
				    use);
			exit(0);
		}
	}
}

/*
 * server_jail_prepare - before chroot(2) to the queue directory: what the
 * process needs from outside must be open or loaded now.  The syslog
 * socket and maillog_file are open already (msg.c), the time zone is read
 * here, and one user and one host lookup make glibc load its NSS
 * modules, which it does lazily.  Inside, the files those lookups read
 * (/etc/passwd without hashes, /etc/group, /etc/hosts, /etc/resolv.conf,
 * /etc/nsswitch.conf, /etc/services) are the copies master keeps in
 * $queue_directory/etc (master_jail.c).
 */
static void
server_jail_prepare(const char *jail)
{
	struct addrinfo hints, *res = NULL;

	(void)jail;
	tzset();
	(void)getpwnam(var_mail_owner);
	(void)getgrnam("root");
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", "25", &hints, &res) == 0)
		freeaddrinfo(res);
}

/*
 * server_conf - read main.cf from confdir (NULL: the default) with the
 * overrides (a NULL-ended list of name=value), then log as
 * "$syslog_name/logname", to stderr too if tty.  Fatal on error.
 */
static void
server_conf(const char *confdir, char **overrides, const char *logname,
    int tty)
{
	struct buf *why = buf_new(256, 4096), *prog = buf_new(64, 256);

	if (confdir == NULL)
		confdir = conf_default_dir();
	if (conf_load(confdir, overrides, why) < 0)
		msg_fatal("%s", buf_str(why));
	if (var_syslog_name != NULL && *var_syslog_name != '\0')
		buf_setf(prog, "%s/%s", var_syslog_name, logname);
	else
		buf_puts(prog, logname);
	msg_init(buf_str(prog), MSG_SYSLOG | (tty ? MSG_STDERR : 0));
	buf_free(&why);
	buf_free(&prog);
}

/* server_session_init - options, main.cf and log of a session program */
void
server_session_init(int argc, char **argv, const char *logname,
    const char *usage)
{
	static char	*overrides[65];
	const char	*confdir = NULL;
	int		 ch, nover = 0, bad = 0;

	msg_init(logname, MSG_SYSLOG | (isatty(2) ? MSG_STDERR : 0));
	server_session_name = logname;
	opterr = 0;
	optind = 1;
	while (!bad && (ch = getopt(argc, argv, "Mc:o:v")) != -1) {
		switch (ch) {
		case 'M':
			break;
		case 'c':
			confdir = optarg;
			break;
		case 'o':
			if (nover >= 64 || strchr(optarg, '=') == NULL)
				bad = 1;
			else
				overrides[nover++] = optarg;
			break;
		case 'v':
			msg_verbose++;
			break;
		default:
			bad = 1;
		}
	}
	if (bad || optind != argc)
		msg_fatal("usage: %s", usage);
	overrides[nover] = NULL;
	server_conf(confdir, overrides, logname, isatty(2));
	/* The log file may be the mail owner's alone: then syslog only. */
	if (var_maillog_file != NULL && *var_maillog_file != '\0' &&
	    (access(var_maillog_file, W_OK) == 0 || errno == ENOENT))
		msg_logfile(var_maillog_file);
}

/*
 * server_session_env - who the session is for, from auth's environment;
 * a login (not a wake-up from imap-hibernate) is noted in the Maildir
 */
void
server_session_env(const char **account, char *addr, size_t addrlen)
{
	const char *ip = getenv("IP");

	if ((*account = getenv("USER")) == NULL || **account == '\0')
		*account = "unknown";
	snprintf(addr, addrlen, "%s", ip != NULL && *ip != '\0' ? ip :
	    "unknown");
	if (getenv("RESUME_FD") == NULL)	/* not a wake-up */
		lastlogin_note(getenv("MAILDIR"), server_session_name ?
		    server_session_name : "unknown", addr);
}

/* What server_main was given and what master's options say. */
struct server_opts {
	server_hook	 pre_jail, post_jail;
	server_void_hook pre_accept;
	int		 no_drop;	/* SERVER_NO_DROP */
	const char	*confdir;	/* -c */
	char		*name;		/* -n, else the program's name */
	int		 unpriv;	/* -u */
	const char	*jail;		/* -z */
	char		*overrides[SERVER_MAX_OVERRIDES + 1];	/* -o */
	const char	*bind_addr;	/* -S */
};

/* server_hooks - server_main's list of hooks, up to SERVER_END */
static void
server_hooks(va_list ap, struct server_opts *o)
{
	int key;

	while ((key = va_arg(ap, int)) != SERVER_END) {
		switch (key) {
		case SERVER_PRE_JAIL:
			o->pre_jail = va_arg(ap, server_hook);
			break;
		case SERVER_POST_JAIL:
			o->post_jail = va_arg(ap, server_hook);
			break;
		case SERVER_PRE_ACCEPT:
			o->pre_accept = va_arg(ap, server_void_hook);
			break;
		case SERVER_NO_DROP:
			o->no_drop = 1;
			break;
		default:
			msg_panic("%s: unknown argument type %d", __func__,
			    key);
		}
	}
}

/* server_options - master's options (see server.h); optind: the rest */
static void
server_options(int argc, char **argv, const char *base, struct server_opts *o)
{
	int ch, noverride = 0;

	opterr = 0;
	while ((ch = getopt(argc, argv, "+c:n:t:uz:o:vS:f")) != -1) {
		switch (ch) {
		case 'c':
			o->confdir = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 't':
			if (strcmp(optarg, "inet") != 0 &&
			    strcmp(optarg, "unix") != 0)
				msg_fatal("-t %s: the type must be inet or "
				    "unix", optarg);
			break;
		case 'u':
			o->unpriv = 1;
			break;
		case 'z':
			o->jail = optarg;
			break;
		case 'o':
			if (strchr(optarg, '=') == NULL)
				msg_fatal("-o %s: expected name=value", optarg);
			if (noverride >= SERVER_MAX_OVERRIDES)
				msg_fatal("too many -o options");
			o->overrides[noverride++] = optarg;
			break;
		case 'v':
			msg_verbose++;
			break;
		case 'S':
			o->bind_addr = optarg;
			break;
		case 'f':
			server_foreground = 1;
			break;
		default:
			if (optopt == 'c' || optopt == 'n' || optopt == 't' ||
			    optopt == 'z' || optopt == 'o' || optopt == 'S')
				msg_warn("option -%c needs a value", optopt);
			else
				msg_warn("unknown option -%c", optopt);
			server_usage(base);
		}
	}
	o->overrides[noverride] = NULL;
	if (o->name == NULL)
		o->name = (char *)base;
}

/*
 * server_listener - the listening socket: ours (-S) or master's (fd 3),
 * and master's status pipe (fd 4)
 */
static int
server_listener(const char *bind_addr)
{
	struct buf *why;
	int lfd;

	if (bind_addr != NULL) {
		why = buf_new(256, 4096);
		if ((lfd = server_listen(bind_addr, SERVER_BACKLOG, why)) < 0)
			msg_fatal("%s", buf_str(why));
		buf_free(&why);
		return lfd;
	}
	if (!server_is_listener(SERVER_LISTEN_FD))
		msg_fatal("no listening socket on fd %d: run me from "
		    "master, or give -S address to run by hand",
		    SERVER_LISTEN_FD);
	if (set_nonblock(SERVER_LISTEN_FD, 1) < 0 ||
	    set_cloexec(SERVER_LISTEN_FD, 1) < 0)
		msg_fatal("fcntl fd %d: %m", SERVER_LISTEN_FD);
	if (fcntl(SERVER_STATUS_FD, F_GETFD) != -1) {
		server_status_fd = SERVER_STATUS_FD;
		(void)set_cloexec(server_status_fd, 1);
	}
	return SERVER_LISTEN_FD;
}

/*
 * server_jail - open what needs root (the pre-jail hook), chroot, drop
 * to mail_owner, then the post-jail hook; under master, die with it
 */
static void
server_jail(const struct server_opts *o, char **args, pid_t master_pid)
{
	struct buf *why = buf_new(256, 4096);

	if (o->pre_jail != NULL)
		o->pre_jail(o->name, args);
	if (o->jail != NULL && privs_is_root())
		server_jail_prepare(o->jail);
	if (o->jail != NULL && privs_chroot(o->jail, why) < 0)
		msg_fatal("%s", buf_str(why));
	if (o->jail != NULL && privs_is_root() &&
	    strcmp(o->jail, var_queue_directory) == 0)
		var_queue_directory = "";	/* seen from inside: "/" */
	if (o->unpriv && !o->no_drop)
		privs_drop(var_mail_owner);
	if (o->post_jail != NULL)
		o->post_jail(o->name, args);

	/*
	 * Under master, die with it (a setuid clears this, so it is set
	 * after the drop); a master that died before this line left us
	 * with another parent.
	 */
	if (o->bind_addr == NULL) {
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != master_pid)
			exit(0);
	}
	buf_free(&why);
}

/* server_main - run a daemon: options, config, jail, then serve */
void
server_main(int argc, char **argv, enum server_mode mode, server_fn service,
    ...)
{
	static struct server_opts o;
	struct sigaction sa;
	const char	*base;
	va_list		 ap;
	int		 lfd;
	pid_t		 master_pid;

	va_start(ap, service);
	server_hooks(ap, &o);
	va_end(ap);

	base = server_basename(argc > 0 && argv[0] != NULL ? argv[0] :
	    "server");
	/* Until main.cf is read, errors go to stderr too. */
	msg_init(base, MSG_SYSLOG | MSG_STDERR);
	signal(SIGPIPE, SIG_IGN);
	server_options(argc, argv, base, &o);
	if (server_foreground)
		msg_set_flags(MSG_SYSLOG | MSG_STDERR);

	/* Configuration, then the log as it names us. */
	server_conf(o.confdir, o.overrides, base, server_foreground ||
	    isatty(2));
	msg_logfile(var_maillog_file);
	lfd = server_listener(o.bind_addr);
	master_pid = getppid();

	/* SIGTERM: exit (a hook may install a handler of its own). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = server_onterm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);

	server_jail(&o, argv + optind, master_pid);
	if (msg_verbose)
		msg_debug("service %s started", o.name);
	if (mode == SERVER_LOOP) {
		(void)server_status(SERVER_STAT_IDLE);
		service(lfd, o.name, argv + optind);
		exit(0);
	}
	server_accept_loop(lfd, o.bind_addr != NULL, service, o.name,
	    argv + optind, o.pre_accept);
	/* NOTREACHED */
	exit(0);
}
