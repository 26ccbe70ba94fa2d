/*
 * cartero_queue - "cartero queue": look at and change the mail queue.
 *
 *	cartero queue list [--json]
 *	cartero queue flush
 *	cartero queue delete ID ...|ALL
 *	cartero queue hold ID ...|ALL
 *	cartero queue release ID ...|ALL
 *	cartero queue requeue ID ...|ALL
 *
 * list is mailq's listing (lib/queue_list.c), read from the queue
 * directories; with --json, postqueue -j's JSON lines.  flush asks qmgr
 * to retry every deferred message now ("F", as sendmail -q).  The others
 * are qmgr's to do, never ours: qmgr owns active/, so a file it is
 * delivering is deleted or held only when its deliveries come back; we
 * send it one line per id over public/qmgr (queue_notify_ask) and print
 * its answer.  Only root and mail_owner may run them (qmgr checks the
 * socket's credentials too).  Exit status: 0, 1 when qmgr refused an id
 * (no such message, not on hold, ...), 64 on a usage error, 69 when qmgr
 * cannot be reached, 77 for another user.
 */
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "ipc.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "util.h"

int	cartero_queue(int, char **);
int	cartero_queue_flush(void);

/* The commands qmgr does, and their letter on public/qmgr (qmgr.c). */
static const struct {
	const char	*name;
	int		 op;
} cartero_queue_ops[] = {
	{ "delete", 'D' },
	{ "hold", 'H' },
	{ "release", 'U' },
	{ "requeue", 'Q' },
	{ NULL, 0 }
};

/* cartero_queue_usage - say how to run us */
static int
cartero_queue_usage(void)
{
	fprintf(stderr, "usage: cartero [-c config_dir] queue list [--json]\n"
	    "       cartero [-c config_dir] queue flush\n"
	    "       cartero [-c config_dir] queue "
	    "delete|hold|release|requeue ID ...|ALL\n");
	return EX_USAGE;
}

/* cartero_queue_allowed - root or mail_owner: 1, else 0 with a warning */
static int
cartero_queue_allowed(void)
{
	struct passwd *pw;
	uid_t uid = getuid();

	if (uid == 0)
		return 1;
	if ((pw = getpwnam(var_mail_owner)) != NULL && pw->pw_uid == uid)
		return 1;
	msg_warn("permission denied: run \"cartero queue\" as root or as %s "
	    "(mail_owner)", var_mail_owner);
	return 0;
}

/* cartero_queue_flush - ask qmgr to retry every deferred message now */
int
cartero_queue_flush(void)
{
	struct buf	*path = buf_new(256, 0), *why = buf_new(256, 0);
	int		 r = 0;

	buf_setf(path, "%s/public/qmgr", var_queue_directory);
	if (ipc_tell(buf_str(path), "F\n", 10, why) < 0) {
		msg_warn("cannot flush the mail queue: %s (is the mail system "
		    "running?)", buf_str(why));
		r = EX_UNAVAILABLE;
	}
	buf_free(&path);
	buf_free(&why);
	return r;
}

/* cartero_queue_list - mailq's listing, or postqueue -j's */
static int
cartero_queue_list(int json)
{
	struct buf	*why = buf_new(256, 0);
	int		 r = 0;

	if (queue_list(var_queue_directory, stdout, json, why) < 0) {
		msg_warn("%s", buf_str(why));
		r = EX_NOPERM;
	}
	buf_free(&why);
	return r;
}

/* cartero_queue_ask - op on each id through qmgr; the exit status */
static int
cartero_queue_ask(int op, int argc, char **argv)
{
	struct buf	*line = buf_new(64, 0), *answer = buf_new(256, 0);
	int		 i, r, ret = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "ALL") != 0 && !queue_id_ok(argv[i])) {
			msg_warn("%s: not a queue id", printable(argv[i],
			    answer));
			ret = 1;
			continue;
		}
		buf_setf(line, "%c%s", op, argv[i]);
		r = queue_notify_ask(var_queue_directory, buf_str(line),
		    answer);
		if (r < 0) {
			msg_warn("cannot reach qmgr: %s", buf_str(answer));
			ret = EX_UNAVAILABLE;
			break;
		}
		if (r > 0) {
			msg_warn("%s", buf_str(answer));
			ret = 1;
		} else
			printf("%s\n", buf_str(answer));
	}
	buf_free(&line);
	buf_free(&answer);
	return ret;
}

/* cartero_queue - "queue" and its arguments; the exit status */
int
cartero_queue(int argc, char **argv)
{
	int	 i;

	if (argc < 2)
		return cartero_queue_usage();
	if (!cartero_queue_allowed())
		return EX_NOPERM;
	if (strcmp(argv[1], "list") == 0 && argc == 2)
		return cartero_queue_list(0);
	if (strcmp(argv[1], "list") == 0 && argc == 3 &&
	    strcmp(argv[2], "--json") == 0)
		return cartero_queue_list(1);
	if (strcmp(argv[1], "flush") == 0 && argc == 2)
		return cartero_queue_flush();
	for (i = 0; cartero_queue_ops[i].name != NULL; i++)
		if (strcmp(argv[1], cartero_queue_ops[i].name) == 0 &&
		    argc > 2)
			return cartero_queue_ask(cartero_queue_ops[i].op,
			    argc - 2, argv + 2);
	return cartero_queue_usage();
}
