/*
 * command - run a program with a message on its stdin, its output kept
 * (see command.h).
 *
 * The child gets no descriptor of ours beyond 0, 1 and 2: a delivery
 * agent running as root holds master's listening socket, qmgr's
 * connection and queue files, and a command run as a user must see none
 * of them.  Its output is read while stdin is fed, so a command that
 * writes much before it reads cannot deadlock us; only output_max bytes
 * are kept, the rest is read and dropped.  A command that stops reading
 * early is no failure by itself: its exit status decides.  At the time
 * limit the child's process group (it is a session leader) is killed,
 * so its own children go too.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"
#include "util.h"

#define COMMAND_CHUNK	(64 * 1024)	/* stdin bytes fed at once */
#define COMMAND_WHY_MAX	512		/* an exec failure's text */

/* command_close_from - close every descriptor from lo up, but keep */
static void
command_close_from(int lo, int keep)
{
	long max;
	int fd;

	/* Two system calls where the kernel has close_range (5.9 and up). */
	if ((keep <= lo || close_range((unsigned)lo, (unsigned)keep - 1,
	    0) == 0) && close_range((unsigned)(keep >= lo ? keep + 1 : lo),
	    ~0U, 0) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = lo; fd < max; fd++)
		if (fd != keep)
			(void)close(fd);
}

/* command_child - in the child: descriptors, signals, then exec */
static void
command_child(const struct command *c, int in, int out, int report)
{
	struct buf *why = buf_new(128, COMMAND_WHY_MAX);

	(void)setsid();
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
		buf_setf(why, "dup2: %s", strerror(errno));
	} else {
		command_close_from(3, report);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGALRM, SIG_DFL);
		c->exec(c->exec_ctx, why);
		if (buf_len(why) == 0)
			buf_set(why, "exec failed");
	}
	(void)write(report, buf_str(why), buf_len(why));
	_exit(127);
}

/* command_kill - kill the child and its process group, and reap it */
static void
command_kill(pid_t pid, int *status)
{
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

/*
 * command_io - feed stdin and read the output until both are done, the
 * feed fails or the deadline passes; closes both ends.  -1: time is up.
 */
static int
command_io(const struct command *c, struct command_result *r, int in, int out,
    long long deadline, struct buf *why)
{
	struct pollfd pfd[2];
	char *chunk = xmalloc(COMMAND_CHUNK), rbuf[4096];
	size_t have = 0, done = 0;
	long long now;
	ssize_t n;
	int rc = 0;

	while (in >= 0 || out >= 0) {
		if (in >= 0 && done == have) {
			n = c->feed(c->feed_ctx, chunk, COMMAND_CHUNK, why);
			if (n < 0) {
				r->feed_failed = 1;
				break;
			}
			if (n == 0) {
				close(in);
				in = -1;
				continue;
			}
			have = (size_t)n;
			done = 0;
		}
		if ((now = now_ms()) >= deadline) {
			rc = -1;
			break;
		}
		pfd[0].fd = in;
		pfd[0].events = POLLOUT;
		pfd[1].fd = out;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)(deadline - now > 60000 ? 60000 :
		    deadline - now)) < 0) {
			if (errno == EINTR)
				continue;
			buf_setf(why, "poll: %s", strerror(errno));
			r->feed_failed = 1;
			break;
		}
		if (in >= 0 && (pfd[0].revents & (POLLOUT | POLLERR |
		    POLLHUP))) {
			n = write(in, chunk + done, have - done);
			if (n > 0)
				done += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				/* It stopped reading: fine, if it exits 0. */
				close(in);
				in = -1;
			}
		}
		if (out >= 0 && (pfd[1].revents & (POLLIN | POLLERR |
		    POLLHUP))) {
			n = read(out, rbuf, sizeof(rbuf));
			if (n > 0)
				buf_append(r->output, rbuf, (size_t)n);
			else if (n == 0 || (errno != EAGAIN &&
			    errno != EINTR)) {
				close(out);
				out = -1;
			}
		}
	}
	fd_close(&in);
	fd_close(&out);
	free(chunk);
	return rc;
}

/* command_wait - reap the child by the deadline: 0, or -1 (time is up) */
static int
command_wait(pid_t pid, int *status, long long deadline)
{
	pid_t n;

	for (;;) {
		n = waitpid(pid, status, WNOHANG);
		if (n == pid)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= deadline)
			return -1;
		(void)poll(NULL, 0, 20);
	}
}

/*
 * command_run - run c: fork, feed, collect, reap.  result->output is
 * made here (free it with buf_free); 0 when the command ran to an end
 * or was stopped (the result says how), -1 with why when it could not
 * be started at all.
 */
int
command_run(const struct command *c, struct command_result *r,
    struct buf *why)
{
	int in[2], out[2], rep[2], status = 0;
	long long deadline;
	char text[COMMAND_WHY_MAX + 1];
	ssize_t n;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->output = buf_new(256, c->output_max > 0 ? c->output_max : 1);
	if (pipe2(in, O_CLOEXEC) < 0) {
		buf_setf(why, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		buf_setf(why, "pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return -1;
	}
	if ((pid = fork()) < 0) {
		buf_setf(why, "fork: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		close(rep[0]);
		close(rep[1]);
		return -1;
	}
	if (pid == 0) {
		close(rep[0]);
		command_child(c, in[0], out[1], rep[1]);
	}
	close(in[0]);
	close(out[1]);
	close(rep[1]);
	set_nonblock(in[1], 1);
	set_nonblock(out[0], 1);
	deadline = now_ms() + c->time_limit * 1000;
	if (command_io(c, r, in[1], out[0], deadline, why) < 0 ||
	    command_wait(pid, &status, deadline) < 0) {
		command_kill(pid, &status);
		r->timed_out = 1;
	} else if (r->feed_failed)
		command_kill(pid, &status);
	r->exited = 1;
	r->status = status;
	/* The child wrote here only if it could not exec. */
	do
		n = read(rep[0], text, sizeof(text) - 1);
	while (n < 0 && errno == EINTR);
	if (n > 0 && !r->feed_failed) {
		text[n] = '\0';
		r->exec_failed = 1;
		buf_set(why, text);
	}
	close(rep[0]);
	return 0;
}

/* command_output - command output as one printable line, for a reason */
const char *
command_output(const struct buf *raw, struct buf *out)
{
	const char *p;

	buf_reset(out);
	for (p = buf_str(raw); *p; p++)
		buf_putc(out, *p == '\n' || *p == '\t' ? ' ' :
		    ((unsigned char)*p < 32 || *p == 127) ? '?' : *p);
	while (buf_len(out) > 0 && out->data[buf_len(out) - 1] == ' ')
		buf_truncate(out, buf_len(out) - 1);
	return buf_str(out);
}
