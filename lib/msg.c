/*
 * msg - logging.  A line goes to syslog (facility mail) when MSG_SYSLOG is
 * set, to the maillog_file when one is configured (appended with O_APPEND in
 * one write, so concurrent processes do not interleave), and to stderr when
 * MSG_STDERR is set.  The program name looks like "cartero/smtpd".
 *
 * Where no syslog daemon listens (containers, chroots), glibc's syslog()
 * tries to reach it again on every line (a socket, a failing connect, a
 * close); so until _PATH_LOG has been seen, whether it exists is checked
 * at most once a minute, and syslog() is skipped while it does not.  Once
 * seen it is trusted for good: openlog() connected before any chroot, and
 * inside one the path is not there to see.
 */
#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

int msg_verbose;

static char msg_name[128] = "cartero";
static int msg_flags = MSG_STDERR;
static int msg_log_fd = -1;
static int msg_syslog_open;
static int msg_syslog_there;	/* _PATH_LOG has been seen */
static time_t msg_syslog_checked;	/* when, 0 never */
static char msg_host[64];

/* msg_syslog_up - is there a syslog socket to write to? */
static int
msg_syslog_up(void)
{
	time_t now;

	if (msg_syslog_there)
		return 1;
	now = time(NULL);
	if (msg_syslog_checked == 0 || now - msg_syslog_checked >= 60 ||
	    now < msg_syslog_checked) {
		msg_syslog_there = access(_PATH_LOG, F_OK) == 0;
		msg_syslog_checked = now;
	}
	return msg_syslog_there;
}

/* msg_init - set the program name and where lines go */
void
msg_init(const char *name, int flags)
{
	char *dot;

	snprintf(msg_name, sizeof(msg_name), "%s", name);
	if (gethostname(msg_host, sizeof(msg_host) - 1) < 0 || !*msg_host)
		snprintf(msg_host, sizeof(msg_host), "localhost");
	if ((dot = strchr(msg_host, '.')) != NULL)
		*dot = '\0';
	msg_set_flags(flags);
}

/* msg_set_flags - change where lines go */
void
msg_set_flags(int flags)
{
	msg_flags = flags;
	if ((flags & MSG_SYSLOG) && !msg_syslog_open) {
		openlog(msg_name, LOG_PID | LOG_NDELAY, LOG_MAIL);
		msg_syslog_open = 1;
		(void)msg_syslog_up();
	}
}

/* msg_progname - the name in use */
const char *
msg_progname(void)
{
	return msg_name;
}

/* msg_logfile - also append lines to this file */
void
msg_logfile(const char *path)
{
	if (msg_log_fd >= 0) {
		close(msg_log_fd);
		msg_log_fd = -1;
	}
	if (path == NULL || *path == '\0')
		return;
	msg_log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (msg_log_fd < 0)
		msg_warn("open log file %s: %m", path);
}

/* msg_vlog - format one line and send it everywhere it should go */
static void
msg_vlog(int prio, const char *level, const char *fmt, va_list ap)
{
	static char stamp[64];		/* of stamp_at, made once a second */
	static time_t stamp_at = -1;
	char text[2048], line[2400];
	int saved = errno, n;
	time_t now;
	struct tm tm;

	errno = saved;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (msg_syslog_open && (msg_flags & MSG_SYSLOG) && msg_syslog_up())
		syslog(prio, "%s%s", level, text);
	if (msg_log_fd >= 0) {
		if ((now = time(NULL)) != stamp_at) {
			localtime_r(&now, &tm);
			strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
			stamp_at = now;
		}
		n = snprintf(line, sizeof(line), "%s %s %s[%ld]: %s%s\n", stamp,
		    *msg_host ? msg_host : "localhost", msg_name, (long)getpid(), level, text);
		if (n > (int)sizeof(line) - 1)
			n = sizeof(line) - 1;
		if (write(msg_log_fd, line, (size_t)n) < 0) {
			/* Nowhere left to say so. */
		}
	}
	if (msg_flags & MSG_STDERR) {
		n = snprintf(line, sizeof(line), "%s: %s%s\n", msg_name, level, text);
		if (n > (int)sizeof(line) - 1)
			n = sizeof(line) - 1;
		if (write(STDERR_FILENO, line, (size_t)n) < 0) {
			/* Nowhere left to say so. */
		}
	}
	errno = saved;
}

#define MSG_BODY(prio, level) do {		\
	va_list ap;				\
	va_start(ap, fmt);			\
	msg_vlog(prio, level, fmt, ap);		\
	va_end(ap);				\
} while (0)

/* msg_info - an ordinary log line */
void
msg_info(const char *fmt, ...)
{
	MSG_BODY(LOG_INFO, "");
}

/* msg_warn - something recoverable went wrong */
void
msg_warn(const char *fmt, ...)
{
	MSG_BODY(LOG_WARNING, "warning: ");
}

/* msg_debug - only with -v */
void
msg_debug(const char *fmt, ...)
{
	if (msg_verbose)
		MSG_BODY(LOG_DEBUG, "");
}

/* msg_fatal - the environment is broken: log and exit */
void
msg_fatal(const char *fmt, ...)
{
	MSG_BODY(LOG_CRIT, "fatal: ");
	exit(1);
}

/* msg_panic - our own bug: log and abort for a core */
void
msg_panic(const char *fmt, ...)
{
	MSG_BODY(LOG_CRIT, "panic: ");
	abort();
}
