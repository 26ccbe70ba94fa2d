/*
 * command - run a program with a message on its stdin, its output kept.
 *
 * What local (an alias's "|command") and pipe (a master.cf argv=) share:
 * the child in a session of its own, stdout and stderr on one pipe of
 * which the first output_max bytes are kept, stdin fed by the caller's
 * feed function, and a time limit after which the child's whole process
 * group is killed.  The caller's exec function, in the child with fd 0,
 * 1 and 2 set, changes user, environment and directory and execs; it
 * returns only on failure, with why, which the parent then reports as
 * exec_failed (the command never ran) rather than as an exit status.
 */
#ifndef CARTERO_COMMAND_H
#define CARTERO_COMMAND_H

#include <sys/types.h>

struct buf;

/* The message's bytes for the child: > 0, 0 at the end, -1 with why. */
typedef ssize_t (*command_feed_fn)(void *, char *, size_t, struct buf *);
/* In the child: exec, or return with why. */
typedef void (*command_exec_fn)(void *, struct buf *);

struct command {
	command_exec_fn	 exec;
	void		*exec_ctx;
	command_feed_fn	 feed;
	void		*feed_ctx;
	long long	 time_limit;	/* seconds */
	size_t		 output_max;	/* output bytes kept */
};

struct command_result {
	int		 status;	/* wait(2) status, when exited */
	int		 exited;	/* the child was reaped */
	int		 timed_out;	/* killed at the time limit */
	int		 exec_failed;	/* never ran: why says why */
	int		 feed_failed;	/* the feed failed: why says why */
	struct buf	*output;	/* its first output_max bytes */
};

/* Run a command: 0 when it ran to an end (see result), -1 with why. */
int	command_run(const struct command *, struct command_result *,
	    struct buf *);
/* The output made one printable line, for a reason, into out. */
const char *command_output(const struct buf *, struct buf *);

#endif
