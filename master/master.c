/*
 * master - cartero's supervisor.
 *
 * master reads main.cf and master.cf, makes the queue directories, binds
 * every listener, and starts service processes as master.cf says (see
 * master_spawn.c for how).  It refuses to run twice: the lock on
 * $queue_directory/pid/master.pid is held for its whole life, and that
 * lock, not the file's content, says whether an instance runs.
 *
 * It daemonizes unless -f, but its first process waits until the daemon
 * is ready (lock held, sockets bound, pid written) or has failed, and exits
 * 0 or 1 accordingly, so "cartero start" knows the outcome; startup errors
 * are still printed on the terminal.
 *
 * Signals arrive through a self-pipe into the event loop: SIGHUP reloads
 * main.cf and master.cf, SIGTERM and SIGINT stop every child and exit,
 * SIGCHLD reaps.
 *
 * Usage: master [-c config_dir] [-f] [-v] [-t] [-C]
 *	-f	foreground, log to stderr too
 *	-t	test: exit 0 if no master runs, 1 if one does
 *	-C	check: read the configuration, make the queue directories, exit
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "event.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "server.h"
#include "userdb.h"
#include "util.h"
#include "master.h"

struct master_serv *master_services;
struct master_serv *master_graveyard;
const char *master_confdir;
int	master_stopping;
int	master_root;
uid_t	master_owner_uid;
gid_t	master_owner_gid;

#define MASTER_USERDB_MS 1000	/* how often the passwd file is looked at */

static int master_sigpipe[2] = { -1, -1 };
static int master_pid_fd = -1;
static struct buf *master_pid_path;

/* The queue's directories: name, mode, owned by mail_owner (else root). */
static const struct master_dir {
	const char	*name;
	mode_t		 mode;
	int		 owned;
} master_dirs[] = {
	{ "incoming", 0700, 1 },
	{ "active", 0700, 1 },
	{ "deferred", 0700, 1 },
	{ "hold", 0700, 1 },
	{ "maildrop", 01733, 1 },	/* any user drops files, none lists */
	{ "corrupt", 0700, 1 },
	{ "defer", 0700, 1 },
	{ "private", 0700, 1 },
	{ "public", 0711, 1 },
	{ "pid", 0755, 0 },
	{ "etc", 0755, 0 },		/* the user table; smtpd's chroot /etc */
	{ NULL, 0, 0 },
};

/* master_usage - say how to run us */
static void
master_usage(void)
{
	msg_fatal("usage: master [-c config_dir] [-f] [-v] [-t] [-C]");
}

/* master_mkdir - make one directory (no symlinks) with mode and owner */
static int
master_mkdir(const char *path, mode_t mode, int owned, struct buf *why)
{
	struct stat	 st;

	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		buf_setf(why, "mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) < 0) {
		buf_setf(why, "lstat %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		buf_setf(why, "%s: not a directory", path);
		return -1;
	}
	if (!master_root) {
		/* A sandbox: our own directories, as made; fix modes we can. */
		if (st.st_uid == geteuid() && (st.st_mode & 07777) != mode &&
		    chmod(path, mode == 01733 ? 0700 : mode) < 0) {
			buf_setf(why, "chmod %s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (chown(path, owned ? master_owner_uid : 0,
	    owned ? master_owner_gid : 0) < 0 || chmod(path, mode) < 0) {
		buf_setf(why, "set owner and mode of %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * master_mkdir_top - a top directory (the queue's, the data's), its
 * missing parents too, then its mode and owner as master_mkdir()
 */
static int
master_mkdir_top(const char *dir, mode_t mode, int owned, struct buf *why)
{
	if (mkdir_p(dir, mode) < 0) {
		buf_setf(why, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	return master_mkdir(dir, mode, owned, why);
}

/* master_make_dirs - the queue tree and data_directory */
static int
master_make_dirs(struct buf *why)
{
	const struct master_dir *d;
	struct buf	*path;
	int		 ret = -1;

	path = buf_new(256, PATH_MAX);
	if (master_mkdir_top(var_queue_directory, 0755, 0, why) < 0)
		goto out;
	for (d = master_dirs; d->name != NULL; d++) {
		buf_setf(path, "%s/%s", var_queue_directory, d->name);
		if (buf_overflowed(path)) {
			buf_setf(why, "queue_directory: path too long");
			goto out;
		}
		if (master_mkdir(buf_str(path), master_root ? d->mode :
		    (d->mode & 0700), d->owned, why) < 0)
			goto out;
	}
	if (*var_data_directory != '\0' &&
	    master_mkdir_top(var_data_directory, 0700, 1, why) < 0)
		goto out;
	ret = 0;
out:
	buf_free(&path);
	return ret;
}

/* master_lock_holder - the pid holding the lock on fd, 0 if none */
static pid_t
master_lock_holder(int fd)
{
	struct flock	 fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) < 0)
		msg_fatal("fcntl F_GETLK %s: %m", buf_str(master_pid_path));
	return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

/* master_running - is a master running? its pid, or 0 */
static pid_t
master_running(void)
{
	pid_t	 pid;
	int	 fd;

	if ((fd = open(buf_str(master_pid_path), O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0;
		msg_fatal("open %s: %m", buf_str(master_pid_path));
	}
	pid = master_lock_holder(fd);
	close(fd);
	return pid;
}

/* master_lock - take the pid file's lock for our whole life */
static void
master_lock(void)
{
	struct flock	 fl;
	pid_t		 pid;

	master_pid_fd = open(buf_str(master_pid_path), O_RDWR | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0644);
	if (master_pid_fd < 0)
		msg_fatal("open %s: %m", buf_str(master_pid_path));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(master_pid_fd, F_SETLK, &fl) < 0) {
		if (errno != EAGAIN && errno != EACCES)
			msg_fatal("lock %s: %m", buf_str(master_pid_path));
		pid = master_lock_holder(master_pid_fd);
		msg_fatal("master is already running, pid %ld", (long)pid);
	}
}

/* master_write_pid - the pid, Postfix-style, once we are ready */
static void
master_write_pid(void)
{
	char	 line[32];
	int	 n;

	n = snprintf(line, sizeof(line), "%10ld\n", (long)getpid());
	if (ftruncate(master_pid_fd, 0) < 0 ||
	    pwrite(master_pid_fd, line, (size_t)n, 0) != n ||
	    fsync(master_pid_fd) < 0)
		msg_fatal("write %s: %m", buf_str(master_pid_path));
}

/* master_sighandler - hand the signal to the event loop */
static void
master_sighandler(int sig)
{
	unsigned char	 c = (unsigned char)sig;
	int		 saved = errno;

	if (write(master_sigpipe[1], &c, 1) < 0) {
		/* The pipe is full: the loop has plenty to do already. */
	}
	errno = saved;
}

/* master_signals - catch the signals we act on */
static void
master_signals(void)
{
	if (pipe2(master_sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		msg_fatal("pipe: %m");
	sig_catch(master_sighandler, SA_RESTART, SIGCHLD, SIGHUP, SIGTERM,
	    SIGINT, 0);
	sig_catch(SIG_IGN, 0, SIGPIPE, 0);
}

/* master_find - a service by name and type */
static struct master_serv *
master_find(struct master_serv *list, const struct master_serv *key)
{
	for (; list != NULL; list = list->next)
		if (list->type == key->type &&
		    strcmp(list->name, key->name) == 0)
			return list;
	return NULL;
}

/* master_read_cf - master.cf of the configuration directory */
static int
master_read_cf(struct master_serv **list, struct buf *why)
{
	struct buf	*path;
	int		 ret;

	path = buf_new(256, PATH_MAX);
	buf_setf(path, "%s/master.cf", master_confdir);
	ret = master_conf_read(buf_str(path), list, why);
	buf_free(&path);
	return ret;
}

/* master_owner - look up mail_owner (as root only) */
static int
master_owner(struct buf *why)
{
	if (!master_root)
		return 0;
	if (privs_lookup(var_mail_owner, &master_owner_uid,
	    &master_owner_gid, why) < 0)
		return -1;
	/*
	 * Only a sandbox whose folder the unprivileged users cannot enter
	 * runs this way (DESIGN.md, privilege rule 5): say so loudly.
	 */
	if (master_owner_uid == 0)
		msg_warn("mail_owner %s has uid 0: network input is parsed "
		    "with full privileges; use an unprivileged user outside "
		    "a developer's sandbox", var_mail_owner);
	return 0;
}

/*
 * master_userdb - derive the user table from the passwd file when that
 * changed (userdb.c), refresh the chroot's copies of /etc files
 * (master_jail.c), and look again in a second: a hand edit of the passwd
 * file reaches smtpd, qmgr and local within about a second.
 */
static void
master_userdb(void *ctx)
{
	static int	 failing, jail_failing;
	struct buf	*why = buf_new(128, 4096);
	int		 r;

	(void)ctx;
	if ((r = userdb_update(0, why)) < 0 && !failing)
		msg_warn("user table not updated: %s", buf_str(why));
	else if (r > 0)
		msg_info("user table updated from %s",
		    var_virtual_passwd_file);
	failing = r < 0;
	buf_reset(why);
	if (master_jail_update(0, why) < 0 && !jail_failing)
		msg_warn("chroot files: %s", buf_str(why));
	jail_failing = buf_len(why) > 0;
	buf_free(&why);
	event_timer(MASTER_USERDB_MS, master_userdb, NULL);
}

/* master_reload - SIGHUP: reread main.cf and master.cf, adjust */
static void
master_reload(void)
{
	struct master_serv *new, *s, *o, *next, **gp;
	struct master_proc *p;
	struct buf	*why;
	int		 i;

	msg_info("reload -- version %s, configuration %s", MASTER_VERSION,
	    master_confdir);
	why = buf_new(256, 4096);
	if (conf_load(master_confdir, NULL, why) < 0) {
		msg_warn("%s: keeping the old configuration", buf_str(why));
		goto out;
	}
	msg_logfile(var_maillog_file);
	if (master_owner(why) < 0 || master_read_cf(&new, why) < 0) {
		msg_warn("%s: keeping the old services", buf_str(why));
		goto out;
	}
	if (master_make_dirs(why) < 0)
		msg_warn("%s", buf_str(why));
	buf_reset(why);
	if (userdb_update(1, why) < 0)
		msg_warn("user table not updated: %s", buf_str(why));
	buf_reset(why);
	if (master_jail_update(1, why) < 0)
		msg_warn("chroot files: %s", buf_str(why));

	/* Keep the sockets that stay, close the others first. */
	for (o = master_services; o != NULL; o = o->next) {
		s = master_find(new, o);
		if (s != NULL && master_conf_same(o, s)) {
			for (i = 0; i < o->nlisteners; i++) {
				if (o->listeners[i]->watching)
					event_del(o->listeners[i]->fd);
				o->listeners[i]->watching = 0;
				s->listeners[i]->fd = o->listeners[i]->fd;
				o->listeners[i]->fd = -1;
			}
		} else
			master_unlisten(o);
	}
	/* Open the new ones; the children of the old generation retire. */
	for (s = new; s != NULL; s = s->next) {
		if (master_listen(s, MASTER_BACKLOG, why) < 0) {
			msg_warn("%s", buf_str(why));
			buf_reset(why);
		}
		if (master_status_open(s, why) < 0) {
			msg_warn("service %s: %s", s->name, buf_str(why));
			buf_reset(why);
		}
		if ((o = master_find(master_services, s)) == NULL)
			continue;
		master_retire(o);
		s->procs = o->procs;
		s->total = o->total;
		for (p = s->procs; p != NULL; p = p->next)
			p->serv = s;
		o->procs = NULL;
		o->total = 0;
		s->throttle_ms = o->throttle_ms;
		s->throttled_until = o->throttled_until;
	}
	/* Services gone from master.cf wait for their children to go. */
	for (o = master_services; o != NULL; o = next) {
		next = o->next;
		if (master_find(new, o) == NULL && o->total > 0) {
			master_retire(o);
			o->removed = 1;
			for (gp = &master_graveyard; *gp != NULL;
			    gp = &(*gp)->next)
				;
			o->next = NULL;
			*gp = o;
		} else {
			master_retire(o);
			master_serv_free(o);
		}
	}
	master_services = new;
	for (s = master_services; s != NULL; s = s->next)
		master_start(s);
out:
	buf_free(&why);
}

/* master_stop - SIGTERM/SIGINT: stop every child, then exit */
static void
master_stop(int sig) __attribute__((noreturn));

static void
master_stop(int sig)
{
	struct master_serv *s;
	long long	 deadline;

	msg_info("terminating on signal %d", sig);
	master_stopping = 1;
	for (s = master_services; s != NULL; s = s->next) {
		master_unlisten(s);
		master_wakeup_cancel(s);
	}
	master_kill_all(SIGTERM);
	deadline = now_ms() + MASTER_STOP_WAIT;
	while (master_nprocs() > 0 && now_ms() < deadline) {
		master_reap();
		if (master_nprocs() > 0)
			usleep(20000);
	}
	if (master_nprocs() > 0) {
		msg_warn("%d process%s still running after %d s: killing",
		    master_nprocs(), master_nprocs() == 1 ? "" : "es",
		    MASTER_STOP_WAIT / 1000);
		master_kill_all(SIGKILL);
		while (master_nprocs() > 0) {
			master_reap();
			if (master_nprocs() > 0)
				usleep(20000);
		}
	}
	(void)unlink(buf_str(master_pid_path));
	exit(0);
}

/* master_sigevent - signals, in the loop */
static void
master_sigevent(int fd, int mask, void *ctx)
{
	unsigned char	 sigs[64];
	ssize_t		 n, i;
	int		 hup = 0, chld = 0, term = 0;

	while ((n = read(fd, sigs, sizeof(sigs))) > 0) {
		for (i = 0; i < n; i++) {
			switch (sigs[i]) {
			case SIGHUP:
				hup = 1;
				break;
			case SIGCHLD:
				chld = 1;
				break;
			default:
				if (term == 0)
					term = sigs[i];
				break;
			}
		}
	}
	if (term)
		master_stop(term);
	if (chld)
		master_reap();
	if (hup)
		master_reload();
}

/* master_daemonize - fork; the parent waits for "ready" on a pipe */
static int
master_daemonize(void)
{
	int	 ready[2], status;
	pid_t	 pid;
	char	 c;
	ssize_t	 n;

	if (pipe2(ready, O_CLOEXEC) < 0)
		msg_fatal("pipe: %m");
	switch (pid = fork()) {
	case -1:
		msg_fatal("fork: %m");
	case 0:
		close(ready[0]);
		if (setsid() < 0)
			msg_fatal("setsid: %m");
		return ready[1];
	}
	close(ready[1]);
	while ((n = read(ready[0], &c, 1)) < 0 && errno == EINTR)
		;
	if (n == 1)
		_exit(0);
	/* The daemon died first; it said why on our common stderr. */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	_exit(1);
}

/*
 * master_detach - leave the terminal, before any child is started: a
 * child holding the caller's stderr would keep a pipe that a script reads
 * from open for ever.
 */
static void
master_detach(void)
{
	int	 fd;

	if ((fd = open("/dev/null", O_RDWR)) < 0)
		msg_fatal("open /dev/null: %m");
	msg_set_flags(MSG_SYSLOG);
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		msg_fatal("dup2 /dev/null: %m");
	if (fd > 2)
		close(fd);
}

/* master_ready - release the parent waiting in master_daemonize() */
static void
master_ready(int ready)
{
	if (write(ready, "y", 1) != 1)
		msg_warn("tell the parent we are ready: %m");
	close(ready);
}

/* main - start, or check, or test */
int
main(int argc, char **argv)
{
	struct master_serv *s;
	struct buf	*why, *prog;
	const char	*confdir = NULL;
	char		 real[PATH_MAX];
	int		 ch, foreground = 0, test = 0, check = 0, ready = -1;
	pid_t		 pid;

	/*
	 * Keep fds 0-4 taken, so that nothing of ours (the log file above
	 * all) lands on 3 or 4, which a child's fds are moved onto.
	 */
	for (ch = 0; ch <= SERVER_STATUS_FD; ch++)
		if (fcntl(ch, F_GETFD) < 0 && open("/dev/null", O_RDWR |
		    (ch > 2 ? O_CLOEXEC : 0)) < 0)
			exit(EX_OSERR);
	msg_init("master", MSG_SYSLOG | MSG_STDERR);
	umask(022);
	while ((ch = getopt(argc, argv, "c:fvtC")) != -1) {
		if (conf_option(ch, optarg, &confdir))
			continue;
		switch (ch) {
		case 'f':
			foreground = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'C':
			check = 1;
			break;
		default:
			master_usage();
		}
	}
	if (optind != argc)
		master_usage();
	why = buf_new(256, 4096);
	if (conf_load_real(confdir, real, why) < 0)
		msg_fatal("%s", buf_str(why));
	master_confdir = xstrdup(real);
	prog = buf_new(64, 256);
	buf_setf(prog, "%s/master", var_syslog_name);
	msg_init(buf_str(prog), MSG_SYSLOG | MSG_STDERR);
	msg_logfile(var_maillog_file);
	master_root = privs_is_root();
	master_pid_path = buf_new(256, PATH_MAX);
	buf_setf(master_pid_path, "%s/pid/master.pid", var_queue_directory);

	if (test)
		exit(master_running() != 0);
	if (master_owner(why) < 0)
		msg_fatal("mail_owner: %s", buf_str(why));
	if (master_read_cf(&master_services, why) < 0)
		msg_fatal("%s", buf_str(why));
	if (master_make_dirs(why) < 0)
		msg_fatal("%s", buf_str(why));
	if (check)
		exit(0);
	if ((pid = master_running()) != 0)
		msg_fatal("master is already running, pid %ld", (long)pid);

	if (!foreground)
		ready = master_daemonize();
	master_lock();
	if (chdir(var_queue_directory) < 0)
		msg_fatal("chdir %s: %m", var_queue_directory);
	event_init();
	master_signals();
	if (event_add(master_sigpipe[0], EVENT_READ, master_sigevent,
	    NULL) < 0)
		msg_fatal("event_add: %m");
	for (s = master_services; s != NULL; s = s->next) {
		if (master_listen(s, MASTER_BACKLOG, why) < 0 ||
		    master_status_open(s, why) < 0)
			msg_fatal("%s", buf_str(why));
	}
	if (userdb_update(1, why) < 0)
		msg_fatal("user table: %s", buf_str(why));
	if (master_jail_update(1, why) < 0)
		msg_fatal("chroot files: %s", buf_str(why));
	event_timer(MASTER_USERDB_MS, master_userdb, NULL);
	master_write_pid();
	if (!foreground)
		master_detach();
	for (s = master_services; s != NULL; s = s->next)
		master_start(s);
	if (!foreground)
		master_ready(ready);
	msg_info("daemon started -- version %s, configuration %s",
	    MASTER_VERSION, master_confdir);
	buf_free(&why);
	buf_free(&prog);
	for (;;)
		event_loop(-1);
}
