/*
 * cartero - the control command: start, stop, reload, status, flush and
 * check a cartero instance.
 *
 *	cartero [-c config_dir] [-v] command
 *
 * where command is start, stop, restart, reload, status, flush or check,
 * or "queue ..." (cartero_queue.c), "user ..." (cartero_user.c),
 * "check ..." (cartero_check.c), "mailbox ..." (cartero_mailbox.c) or
 * "dkim ..." (cartero_dkim.c).
 *
 * Whether an instance runs is decided by the lock master holds on
 * $queue_directory/pid/master.pid, never by the file's content alone, so a
 * stale file left by a crash does not fool it.  "start" returns once the
 * instance is ready (master's first process waits for the daemon), so a
 * script may talk to it on the next line.
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
#include "ipc.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "cartero_user.h"

#define CARTERO_START_WAIT	5000	/* ms for the lock to appear */
#define CARTERO_STOP_WAIT	15000	/* ms; master itself waits 10 s */

static const char *cartero_confdir;

int	cartero_queue(int, char **);		/* cartero_queue.c */
int	cartero_queue_flush(void);
int	cartero_check(int, char **, const char *);	/* cartero_check.c */
int	cartero_dkim(int, char **, const char *);	/* cartero_dkim.c */

/* The commands that read their own arguments and configuration. */
static const struct cartero_sub {
	const char	*name;
	int		(*run)(int, char **, const char *);
} cartero_subs[] = {
	{ "user", cartero_user },
	{ "mailbox", cartero_mailbox },
	{ "check", cartero_check },
	{ "dkim", cartero_dkim },
	{ NULL, NULL },
};

/* cartero_sub - the command of that name in cartero_subs, or NULL */
static const struct cartero_sub *
cartero_sub(const char *name)
{
	const struct cartero_sub *sub;

	for (sub = cartero_subs; sub->name != NULL; sub++)
		if (strcmp(sub->name, name) == 0)
			return sub;
	return NULL;
}

/* cartero_usage - say how to run us */
static void
cartero_usage(void)
{
	fprintf(stderr, "usage: cartero [-c config_dir] [-v] "
	    "start|stop|restart|reload|status|flush|check\n"
	    "       cartero [-c config_dir] queue list|flush|delete|hold|"
	    "release|requeue ...\n"
	    "       cartero [-c config_dir] user ...\n"
	    "       cartero [-c config_dir] check [--clients] "
	    "[--autoconfig DIR] [--address ADDR]\n"
	    "       cartero [-c config_dir] mailbox ...\n"
	    "       cartero [-c config_dir] dkim keygen|show ...\n");
	exit(EX_USAGE);
}

/* cartero_pidfile - $queue_directory/pid/master.pid */
static const char *
cartero_pidfile(void)
{
	static struct buf *path;

	if (path == NULL) {
		path = buf_new(256, PATH_MAX);
		buf_setf(path, "%s/pid/master.pid", var_queue_directory);
	}
	return buf_str(path);
}

/* cartero_running - the pid of the running master, or 0 */
static pid_t
cartero_running(void)
{
	struct flock	 fl;
	int		 fd;

	if ((fd = open(cartero_pidfile(), O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0;
		msg_fatal("open %s: %m", cartero_pidfile());
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) < 0)
		msg_fatal("lock test %s: %m", cartero_pidfile());
	close(fd);
	return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

/* cartero_master - run $daemon_directory/master with args; exit status */
static int
cartero_master(const char *flag)
{
	struct buf	*path;
	char		*av[6];
	int		 ac = 0, status;
	pid_t		 pid;

	path = buf_new(256, PATH_MAX);
	buf_setf(path, "%s/master", var_daemon_directory);
	if (access(buf_str(path), X_OK) < 0)
		msg_fatal("%s: %m (check daemon_directory in %s/main.cf)",
		    buf_str(path), cartero_confdir);
	av[ac++] = "master";
	av[ac++] = "-c";
	av[ac++] = (char *)cartero_confdir;
	if (flag != NULL)
		av[ac++] = (char *)flag;
	if (msg_verbose)
		av[ac++] = "-v";
	av[ac] = NULL;
	switch (pid = fork()) {
	case -1:
		msg_fatal("fork: %m");
	case 0:
		execv(buf_str(path), av);
		msg_warn("exec %s: %m", buf_str(path));
		_exit(EX_OSERR);
	}
	buf_free(&path);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			msg_fatal("waitpid: %m");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 1;
}

/* cartero_start - start master and wait until it is ready */
static int
cartero_start(void)
{
	long long	 deadline;
	pid_t		 pid;

	if ((pid = cartero_running()) != 0) {
		msg_info("the mail system is already running: PID: %ld",
		    (long)pid);
		return 1;
	}
	if (cartero_master("-C") != 0)
		return 1;
	msg_info("starting the mail system");
	if (cartero_master(NULL) != 0) {
		msg_warn("the mail system did not start: see the messages "
		    "above and the log");
		return 1;
	}
	/* master's first process has waited for it; this is belt and braces. */
	deadline = now_ms() + CARTERO_START_WAIT;
	while (cartero_running() == 0) {
		if (now_ms() >= deadline) {
			msg_warn("the mail system did not start: see the log");
			return 1;
		}
		usleep(20000);
	}
	return 0;
}

/* cartero_stop - SIGTERM master and wait until it is gone */
static int
cartero_stop(void)
{
	long long	 deadline;
	pid_t		 pid;

	if ((pid = cartero_running()) == 0) {
		msg_info("the mail system is not running");
		return 1;
	}
	msg_info("stopping the mail system");
	if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
		msg_fatal("kill %ld: %m", (long)pid);
	deadline = now_ms() + CARTERO_STOP_WAIT;
	while (cartero_running() != 0) {
		if (now_ms() >= deadline) {
			msg_warn("master pid %ld has not stopped after %d s",
			    (long)pid, CARTERO_STOP_WAIT / 1000);
			return 1;
		}
		usleep(20000);
	}
	return 0;
}

/* cartero_signal - send a signal to the running master */
static int
cartero_signal(int sig, const char *what)
{
	pid_t	 pid;

	if ((pid = cartero_running()) == 0) {
		msg_info("the mail system is not running");
		return 1;
	}
	msg_info("%s", what);
	if (kill(pid, sig) < 0)
		msg_fatal("kill %ld: %m", (long)pid);
	return 0;
}

/*
 * cartero_optstring - getopt's options: those of every command, anywhere
 * on the line, except after "queue", "user", "mailbox" and "check",
 * whose arguments are their own ("cartero queue list --json", "cartero
 * check --clients")
 */
static const char *
cartero_optstring(int argc, char **argv)
{
	int	 i = 1;

	while (i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0)
		i += strcmp(argv[i], "-c") == 0 ? 2 : 1;
	return i < argc && (strcmp(argv[i], "queue") == 0 ||
	    cartero_sub(argv[i]) != NULL) ? "+c:v" : "c:v";
}

/* main - parse the command line and do it */
int
main(int argc, char **argv)
{
	const struct cartero_sub *sub;
	struct buf	*why;
	const char	*cmd;
	char		 real[PATH_MAX];
	pid_t		 pid;
	int		 ch, ret;

	msg_init("cartero", MSG_STDERR);
	while ((ch = getopt(argc, argv, cartero_optstring(argc, argv))) != -1)
		if (!conf_option(ch, optarg, &cartero_confdir))
			cartero_usage();
	if (argc - optind >= 1 && (sub = cartero_sub(argv[optind])) != NULL)
		exit(sub->run(argc - optind, argv + optind, cartero_confdir));
	if (argc - optind < 1 || (argc - optind != 1 &&
	    strcmp(argv[optind], "queue") != 0))
		cartero_usage();
	cmd = argv[optind];
	why = buf_new(256, 4096);
	if (conf_load_real(cartero_confdir, real, why) < 0)
		msg_fatal("%s", buf_str(why));
	buf_free(&why);
	cartero_confdir = xstrdup(real);

	if (strcmp(cmd, "start") == 0)
		ret = cartero_start();
	else if (strcmp(cmd, "stop") == 0)
		ret = cartero_stop();
	else if (strcmp(cmd, "restart") == 0) {
		if (cartero_running() != 0 && cartero_stop() != 0)
			ret = 1;
		else
			ret = cartero_start();
	} else if (strcmp(cmd, "reload") == 0)
		ret = cartero_signal(SIGHUP, "refreshing the mail system");
	else if (strcmp(cmd, "status") == 0) {
		if ((pid = cartero_running()) != 0) {
			msg_info("the mail system is running: PID: %ld",
			    (long)pid);
			ret = 0;
		} else {
			msg_info("the mail system is not running");
			ret = 1;
		}
	} else if (strcmp(cmd, "flush") == 0)
		ret = cartero_queue_flush();
	else if (strcmp(cmd, "queue") == 0)
		ret = cartero_queue(argc - optind, argv + optind);
	else {
		msg_warn("unknown command \"%s\"", cmd);
		cartero_usage();
	}
	exit(ret);
}
