/*
 * pipe - the pipe delivery agent: a message into an external command
 * named in master.cf, as Postfix's pipe(8) (see pipe.h and pipe(8)).
 *
 * master starts it as root for a service such as "mailman"; qmgr
 * connects over private/mailman and sends delivery requests (lib/
 * deliver.h), one or more recipients of one message each, many per
 * connection; pipe replies to each in order.  For each request it opens
 * the queue file itself from the queue id and trusts it only if it is a
 * regular file of mail_owner's with one link (lib/queue_trust.c), expands
 * the command's arguments (pipe_argv.c), and runs the command with the
 * message on its stdin (pipe_copy.c, lib/command.c) as user= (never root,
 * never mail_owner; supplementary groups dropped), in a clean environment
 * (SHELL, HOME, LOGNAME, USER, PATH=/usr/bin:/bin), for at most
 * pipe_command_time_limit seconds, keeping the first pipe_output_limit
 * bytes of its output for the reason.  No shell ever runs.
 *
 * The exit status is read as sysexits(3), as Postfix does: 0 sent,
 * EX_TEMPFAIL (75), EX_OSERR (71) and a signal deferred (4.3.0), the
 * other sysexits codes bounced with their status code (EX_NOUSER 5.1.1,
 * ...), any other non-zero status bounced with 5.3.0; output that starts
 * with an enhanced status code (4.x.y, 5.x.y) gives that code instead.
 * Unlike Postfix, a command that could not be executed or that passed
 * the time limit is deferred, not bounced: both are the site's problems,
 * and a retry after they are fixed loses no mail.
 *
 * Without root (a developer's sandbox) the command runs as pipe itself.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "command.h"
#include "deliver.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "pipe.h"
#include "privs.h"
#include "queue_trust.h"
#include "server.h"
#include "util.h"

/* sysexits(3), as Postfix reads them. */
static const struct pipe_exit {
	int		 code;
	const char	*dsn;
	const char	*text;
} pipe_exits[] = {
	{64, "5.3.0", "command line usage error"},
	{65, "5.6.0", "data format error"},
	{66, "5.3.0", "cannot open input"},
	{67, "5.1.1", "user unknown"},
	{68, "5.1.2", "host name unknown"},
	{69, "5.3.0", "service unavailable"},
	{70, "5.3.0", "internal software error"},
	{71, "4.3.0", "system resource problem"},
	{72, "5.3.0", "critical OS file missing"},
	{73, "5.2.0", "can't create user output file"},
	{74, "5.3.0", "input/output error"},
	{75, "4.3.0", "temporary failure"},
	{76, "5.5.0", "remote error in protocol"},
	{77, "5.7.0", "permission denied"},
	{78, "5.3.5", "local configuration error"},
	{0, NULL, NULL}
};

static struct pipe_attr pipe_attr;
static int pipe_attr_state;	/* 0 not read, 1 good, -1 bad */
static struct buf *pipe_attr_why;

/* What the command's child needs. */
struct pipe_run {
	const struct pipe_attr *attr;
	char		**argv;
};

/* pipe_exec - in the command's child: user, environment, exec */
static void
pipe_exec(void *ctx, struct buf *why)
{
	const struct pipe_run *r = ctx;
	const struct pipe_attr *a = r->attr;

	if (privs_is_root() && privs_set(a->uid, a->gid, why) < 0)
		return;
	if (chdir(buf_str(a->home)) < 0 && chdir("/") < 0) {
		buf_setf(why, "chdir /: %s", strerror(errno));
		return;
	}
	clearenv();
	setenv("PATH", "/usr/bin:/bin", 1);
	setenv("SHELL", buf_str(a->shell), 1);
	setenv("HOME", buf_str(a->home), 1);
	setenv("LOGNAME", buf_str(a->name), 1);
	setenv("USER", buf_str(a->name), 1);
	execvp(r->argv[0], r->argv);
	buf_setf(why, "cannot execute %s: %s", r->argv[0], strerror(errno));
}

/*
 * pipe_attr_load - read master.cf's attributes once per process.  Without
 * root the command runs as pipe itself, and its environment says so.
 */
static int
pipe_attr_load(char **args)
{
	struct passwd *pw;

	if (pipe_attr_state != 0)
		return pipe_attr_state;
	pipe_attr_init(&pipe_attr);
	pipe_attr_why = buf_new(128, 1024);
	pipe_attr_state = pipe_attr_parse(&pipe_attr, args, pipe_attr_why) <
	    0 ? -1 : 1;
	if (pipe_attr_state < 0)
		msg_warn("master.cf attributes: %s", buf_str(pipe_attr_why));
	else if (!privs_is_root() && (pw = getpwuid(geteuid())) != NULL) {
		buf_set(pipe_attr.name, pw->pw_name);
		buf_set(pipe_attr.home, pw->pw_dir);
		buf_set(pipe_attr.shell, pw->pw_shell);
	}
	return pipe_attr_state;
}

/* pipe_reply - the same outcome for all n recipients of a request */
static void
pipe_reply(struct attr *reply, int n, int status, const char *dsn,
    const char *reason)
{
	int i;

	deliver_reply_set(reply, status, dsn, "%s", reason);
	for (i = 1; i < n; i++)
		deliver_reply_add(reply, i, status, dsn, "%s", reason);
}

/* pipe_output_dsn - an enhanced status code the output starts with */
static const char *
pipe_output_dsn(const char *out, char *dsn, size_t size)
{
	const char *p = out;
	int part, digits;

	if (*p != '4' && *p != '5')
		return NULL;
	for (part = 0, p++; part < 2; part++) {
		if (*p++ != '.')
			return NULL;
		for (digits = 0; isdigit((unsigned char)*p); digits++)
			p++;
		if (digits == 0 || digits > 3)
			return NULL;
	}
	if ((*p != '\0' && *p != ' ') || (size_t)(p - out) >= size)
		return NULL;
	memcpy(dsn, out, (size_t)(p - out));
	dsn[p - out] = '\0';
	return dsn;
}

/* pipe_status - map how the command ended to a reply */
static void
pipe_status(struct attr *reply, int n, const char *service,
    const char *command, const struct command_result *r, struct buf *why)
{
	struct buf *out = buf_new(256, 0), *reason = buf_new(256, 4096);
	const struct pipe_exit *x;
	const char *dsn = "5.3.0", *od;
	char odsn[16];
	int code;

	command_output(r->output, out);
	if (r->feed_failed || r->exec_failed) {
		pipe_reply(reply, n, 4, "4.3.0", buf_str(why));
		goto out;
	}
	if (r->timed_out) {
		buf_setf(reason, "command time limit (%llds) exceeded: \"%s\"",
		    var_pipe_command_time_limit, command);
		dsn = "4.3.0";
	} else if (WIFSIGNALED(r->status)) {
		buf_setf(reason, "command died with signal %d: \"%s\"",
		    WTERMSIG(r->status), command);
		dsn = "4.3.0";
	} else if ((code = WEXITSTATUS(r->status)) == 0) {
		buf_setf(reason, "delivered via %s service", service);
		pipe_reply(reply, n, 0, "2.0.0", buf_str(reason));
		goto out;
	} else {
		for (x = pipe_exits; x->code != 0 && x->code != code; x++)
			;
		if (x->code != 0) {
			buf_set(reason, x->text);
			dsn = x->dsn;
		} else
			buf_setf(reason, "command died with status %d: \"%s\"",
			    code, command);
		if ((od = pipe_output_dsn(buf_str(out), odsn,
		    sizeof(odsn))) != NULL)
			dsn = od;
	}
	if (buf_len(out) > 0)
		buf_appendf(reason, ". Command output: %s", buf_str(out));
	pipe_reply(reply, n, dsn[0] == '4' ? 4 : 5, dsn, buf_str(reason));
out:
	buf_free(&out);
	buf_free(&reason);
}

/* pipe_run - expand the arguments and run the command for a request */
static void
pipe_run(struct attr *reply, const char *service, const struct pipe_env *e,
    int qfd, const struct deliver_request *dr)
{
	struct buf *why = buf_new(128, 2048);
	struct command_result r;
	struct pipe_run run;
	struct command c;
	struct pipe_copy *copy;

	run.attr = &pipe_attr;
	if ((run.argv = pipe_argv_expand(&pipe_attr, e, why)) == NULL) {
		msg_warn("%s: %s", dr->queue_id, buf_str(why));
		pipe_reply(reply, e->nrcpt, 4, "4.3.5", "mail system "
		    "configuration error");
		buf_free(&why);
		return;
	}
	copy = pipe_copy_new(&pipe_attr, e, qfd, dr->offset, dr->size);
	memset(&c, 0, sizeof(c));
	c.exec = pipe_exec;
	c.exec_ctx = &run;
	c.feed = pipe_copy_feed;
	c.feed_ctx = copy;
	c.time_limit = var_pipe_command_time_limit;
	c.output_max = (size_t)var_pipe_output_limit;
	if (command_run(&c, &r, why) < 0)
		pipe_reply(reply, e->nrcpt, 4, "4.3.0", buf_str(why));
	else
		pipe_status(reply, e->nrcpt, service, run.argv[0], &r, why);
	if (r.output != NULL)
		buf_free(&r.output);
	pipe_copy_free(&copy);
	pipe_argv_free(&run.argv);
	buf_free(&why);
}

/*
 * pipe_request - check one request and deliver it; the reply in reply.
 * What the request says is checked (the queue file is ours to name); what
 * master.cf says (the command, the user) is trusted.
 */
static void
pipe_request(const struct attr *req, struct attr *reply, const char *service,
    char **args)
{
	struct buf *why = buf_new(128, 2048);
	struct deliver_rcpt *rcpt = NULL;
	struct deliver_request dr;
	struct pipe_env e;
	const char *dsn;
	int i, qfd = -1;

	attr_clear(reply);
	if (deliver_request_get(req, &dr, why) < 0) {
		deliver_reply_set(reply, 4, "4.3.5", "%s", buf_str(why));
		goto out;
	}
	rcpt = xcalloc((size_t)dr.nrcpt, sizeof(*rcpt));
	for (i = 0; i < dr.nrcpt; i++)
		deliver_request_rcpt(req, &dr, i, &rcpt[i]);
	if (pipe_attr_load(args) < 0) {
		pipe_reply(reply, dr.nrcpt, 4, "4.3.5", "mail system "
		    "configuration error");
		goto out;
	}
	if (dr.command != NULL || dr.file != NULL) {
		pipe_reply(reply, dr.nrcpt, 4, "4.3.5", "pipe delivers to no "
		    "alias command or file");
		goto out;
	}
	if ((pipe_attr.flags & (PIPE_FLAG_DELIVERED | PIPE_FLAG_ORIG)) &&
	    dr.nrcpt > 1) {
		msg_warn("%s: pipe flags D and O require "
		    "%s_destination_recipient_limit = 1", dr.queue_id, service);
		pipe_reply(reply, dr.nrcpt, 4, "4.3.5", "mail system "
		    "configuration error");
		goto out;
	}
	if (pipe_attr.size_limit > 0 && dr.size > pipe_attr.size_limit) {
		pipe_reply(reply, dr.nrcpt, 5, "5.2.3", "message too large");
		goto out;
	}
	if ((qfd = queue_trust_open(dr.queue_id, dr.path, dr.offset, dr.size,
	    why, &dsn)) < 0) {
		pipe_reply(reply, dr.nrcpt, 4, dsn, buf_str(why));
		goto out;
	}
	if ((pipe_attr.flags & PIPE_FLAG_DELIVERED) && deliver_looped(qfd,
	    dr.offset, dr.size, rcpt[0].addr)) {
		deliver_reply_set(reply, 5, "5.4.6", "mail forwarding loop for "
		    "%s", rcpt[0].addr);
		goto out;
	}
	e.sender = dr.sender;
	e.nexthop = dr.nexthop;
	e.size = dr.size;
	e.rcpt = rcpt;
	e.nrcpt = dr.nrcpt;
	pipe_run(reply, service, &e, qfd, &dr);
	attr_set(reply, DELIVER_RELAY, service);
out:
	fd_close(&qfd);
	free(rcpt);
	buf_free(&why);
}

/* pipe_service - serve one qmgr connection until it closes */
static void
pipe_service(int fd, char *service, char **args)
{
	struct lineio *lio = lineio_new(fd, DELIVER_REQUEST_MAX,
	    (int)var_ipc_timeout);
	struct attr req, reply;
	int r;

	attr_init(&req);
	attr_init(&reply);
	while ((r = attr_read(lio, &req)) == LINE_OK) {
		pipe_request(&req, &reply, service, args);
		if (attr_write(lio, &reply) < 0) {
			msg_warn("write reply to qmgr: %m");
			break;
		}
	}
	deliver_request_end(r);
	attr_free(&req);
	attr_free(&reply);
	lineio_free(&lio);
}

int
main(int argc, char **argv)
{
	server_main(argc, argv, SERVER_SINGLE, pipe_service, SERVER_END);
}
