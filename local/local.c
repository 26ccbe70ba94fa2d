/*
 * local - the local delivery agent.
 *
 * master starts it as root; qmgr connects over private/local and sends
 * one request per recipient, many per connection (see local.h).  local
 * distrusts the request: it builds the queue file's path itself from the
 * queue id, looks the account up again (resolve_account), and re-expands
 * the aliases to confirm any command or file target, so a process that
 * can reach the socket can inject mail but cannot choose a mailbox path,
 * a uid or a command.
 *
 * Privileges (design rule 2): as root, local never writes a mailbox
 * itself.  It keeps ONE worker child at a time, switched for good to the
 * uid of the current recipient (the user, virtual_mail_owner for virtual
 * users, default_privs for commands and files, which is never root),
 * passes it the open queue file (the worker cannot open the queue), and
 * replaces the worker only when a request needs another uid: a stream of
 * mail for one user or for virtual users costs one fork, not one per
 * message.  Without root, in a sandbox, it delivers in-process.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ipc.h"
#include "lineio.h"
#include "local.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "queue.h"
#include "resolve.h"
#include "server.h"
#include "util.h"

#define LOCAL_WIRE_MAX	(128 * 1024)	/* a job or reply, to the worker */

/* The worker: one child, one uid. */
static pid_t local_worker_pid = -1;
static int local_worker_fd = -1;
static uid_t local_worker_uid;
static gid_t local_worker_gid;

/* The queue file of the last request (a message has many recipients). */
static char local_qid[QUEUE_ID_MAX];
static int local_qfd = -1;

static int local_conn_fd = -1;	/* the qmgr connection being served */

/* local_worker_stop - close the worker's socket and reap it */
static void
local_worker_stop(int force)
{
	int status;

	if (local_worker_pid < 0)
		return;
	if (local_worker_fd >= 0)
		close(local_worker_fd);
	local_worker_fd = -1;
	if (force)
		(void)kill(local_worker_pid, SIGKILL);
	while (waitpid(local_worker_pid, &status, 0) < 0 && errno == EINTR)
		;
	local_worker_pid = -1;
}

/* local_close_inherited - in a new worker: drop what only root needs */
static void
local_close_inherited(int keep)
{
	struct stat st;
	int on = 0;
	socklen_t len = sizeof(on);

	if (local_conn_fd >= 0)
		close(local_conn_fd);
	if (local_qfd >= 0)
		close(local_qfd);
	/* master's listening socket and status pipe (fd 3 and 4). */
	if (keep != SERVER_LISTEN_FD && getsockopt(SERVER_LISTEN_FD,
	    SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
		close(SERVER_LISTEN_FD);
	if (keep != SERVER_STATUS_FD && fstat(SERVER_STATUS_FD, &st) == 0 &&
	    S_ISFIFO(st.st_mode))
		close(SERVER_STATUS_FD);
}

/* local_worker_main - the worker: deliver what the parent sends, forever */
static void
local_worker_main(int sock, uid_t uid, gid_t gid)
{
	struct buf *why = buf_new(128, 1024), *out = buf_new(512, 0);
	struct attr req, reply;
	struct local_job job;
	char *data = xmalloc(LOCAL_WIRE_MAX);
	int n, qfd;

	local_close_inherited(sock);
	if (privs_set(uid, gid, why) < 0) {
		msg_warn("delivery worker: %s", buf_str(why));
		_exit(1);
	}
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	attr_init(&req);
	attr_init(&reply);
	for (;;) {
		n = ipc_recv_fd(sock, &qfd, data, LOCAL_WIRE_MAX);
		if (n <= 0)
			break;			/* the parent is done with us */
		if (qfd < 0 || attr_parse(data, (size_t)n, &req) < 0) {
			local_reply(&reply, 4, "4.3.5", "bad request from "
			    "the local parent");
		} else {
			local_job_from_attr(&job, &req);
			local_deliver(&job, qfd, &reply);
		}
		if (qfd >= 0)
			close(qfd);
		buf_reset(out);
		attr_format(&reply, out);
		if (send(sock, buf_str(out), buf_len(out), MSG_NOSIGNAL) < 0)
			break;
	}
	attr_free(&req);
	attr_free(&reply);
	buf_free(&why);
	buf_free(&out);
	free(data);
	_exit(0);
}

/* local_worker_start - a worker running as uid/gid */
static int
local_worker_start(uid_t uid, gid_t gid, struct buf *why)
{
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		buf_setf(why, "socketpair: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		buf_setf(why, "fork: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		close(sp[0]);
		local_worker_main(sp[1], uid, gid);
		_exit(0);
	}
	close(sp[1]);
	local_worker_pid = pid;
	local_worker_fd = sp[0];
	local_worker_uid = uid;
	local_worker_gid = gid;
	if (msg_verbose)
		msg_debug("delivery worker %ld for uid %ld", (long)pid,
		    (long)uid);
	return 0;
}

/* local_worker_call - run a job in the worker for uid/gid */
static void
local_worker_call(uid_t uid, gid_t gid, const struct local_job *job,
    int qfd, struct attr *reply)
{
	struct buf *why = buf_new(128, 1024), *wire = buf_new(1024, 0);
	struct attr a;
	struct pollfd pfd;
	char *data = NULL;
	long long wait_ms;
	int n, tries;

	attr_init(&a);
	local_job_to_attr(job, &a);
	attr_format(&a, wire);
	attr_free(&a);
	if (buf_len(wire) > LOCAL_WIRE_MAX) {
		local_reply(reply, 5, "5.3.5", "delivery request too large");
		goto out;
	}
	if (local_worker_pid >= 0 && (local_worker_uid != uid ||
	    local_worker_gid != gid))
		local_worker_stop(0);
	/* A worker that died since its last job gets one replacement. */
	for (tries = 0; ; tries++) {
		if (local_worker_pid < 0 && local_worker_start(uid, gid,
		    why) < 0) {
			local_reply(reply, 4, "4.3.0", "cannot start delivery "
			    "worker: %s", buf_str(why));
			goto out;
		}
		if (ipc_send_fd(local_worker_fd, qfd, buf_str(wire),
		    buf_len(wire)) >= 0)
			break;
		local_worker_stop(1);
		if (tries > 0) {
			local_reply(reply, 4, "4.3.0", "cannot talk to "
			    "delivery worker: %s", strerror(errno));
			goto out;
		}
	}
	pfd.fd = local_worker_fd;
	pfd.events = POLLIN;
	wait_ms = (var_command_time_limit + 60) * 1000;
	do
		n = poll(&pfd, 1, wait_ms > 0x7fffffff ? 0x7fffffff :
		    (int)wait_ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		local_worker_stop(1);
		local_reply(reply, 4, "4.3.0", "delivery worker timed out");
		goto out;
	}
	data = xmalloc(LOCAL_WIRE_MAX);
	do
		n = (int)recv(local_worker_fd, data, LOCAL_WIRE_MAX, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || attr_parse(data, (size_t)n, reply) < 0 ||
	    attr_get(reply, "status") == NULL) {
		local_worker_stop(1);
		local_reply(reply, 4, "4.3.0", "delivery worker died");
	}
out:
	free(data);
	buf_free(&why);
	buf_free(&wire);
}

/* local_queue_open - the queue file of id (cached for the next request) */
static int
local_queue_open(const char *id, struct buf *why)
{
	struct buf *path;
	int fd;

	if (local_qfd >= 0 && strcmp(local_qid, id) == 0)
		return local_qfd;
	path = buf_new(256, 0);
	queue_path(path, var_queue_directory, QUEUE_ACTIVE, id);
	fd = open(buf_str(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		buf_setf(why, "open queue file %s: %s", buf_str(path),
		    strerror(errno));
		buf_free(&path);
		return -1;
	}
	buf_free(&path);
	if (local_qfd >= 0)
		close(local_qfd);
	local_qfd = fd;
	snprintf(local_qid, sizeof(local_qid), "%s", id);
	return fd;
}

/* local_ends_slash - does s end in '/'? */
static int
local_ends_slash(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && s[n - 1] == '/';
}

/* local_request - check one request, find the user, deliver, reply */
static void
local_request(const struct attr *req, struct attr *reply)
{
	struct buf *why = buf_new(128, 2048), *b = buf_new(256, 0);
	struct buf *mbox = buf_new(256, 0);
	const char *id, *path, *command, *file;
	struct local_job job;
	struct account acct;
	struct stat st;
	int qfd, r, have_acct = 0;
	uid_t uid = 0;
	gid_t gid = 0;

	memset(&job, 0, sizeof(job));
	memset(&acct, 0, sizeof(acct));
	id = attr_get(req, "queue_id");
	job.recipient = attr_get(req, "recipient");
	job.sender = attr_get(req, "sender");
	job.orig_recipient = attr_get(req, "orig_recipient");
	job.offset = (off_t)attr_get_num(req, "offset", -1);
	job.size = (off_t)attr_get_num(req, "size", -1);
	command = attr_get(req, "command");
	file = attr_get(req, "file");
	if (id == NULL || !queue_id_ok(id) || job.recipient == NULL ||
	    *job.recipient == '\0' || job.offset < 0 || job.size < 0) {
		local_reply(reply, 4, "4.3.5", "malformed delivery request");
		goto out;
	}
	if (job.sender == NULL)
		job.sender = "";
	if (job.orig_recipient == NULL)
		job.orig_recipient = job.recipient;
	job.queue_id = id;
	job.size_limit = var_mailbox_size_limit;

	/* The queue file: named by us, not by the request. */
	queue_path(b, var_queue_directory, QUEUE_ACTIVE, id);
	if ((path = attr_get(req, "path")) != NULL &&
	    strcmp(path, buf_str(b)) != 0) {
		local_reply(reply, 4, "4.3.5", "queue file %s is not %s", path,
		    buf_str(b));
		goto out;
	}
	if ((qfd = local_queue_open(id, why)) < 0) {
		local_reply(reply, 4, "4.3.0", "%s", buf_str(why));
		goto out;
	}
	if (fstat(qfd, &st) < 0 || job.offset + job.size > st.st_size) {
		local_reply(reply, 4, "4.3.5", "queue file %s is shorter than "
		    "the request says", id);
		goto out;
	}
	if (local_deliver_looped(qfd, job.offset, job.size, job.recipient)) {
		local_reply(reply, 5, "5.4.6", "mail forwarding loop for %s",
		    job.recipient);
		goto out;
	}

	if (command != NULL || file != NULL) {
		job.kind = command ? "command" : "file";
		job.target = command ? command : file;
		r = local_alias_confirm(job.orig_recipient, command ?
		    ALIAS_COMMAND : ALIAS_FILE, job.target, why);
		if (r <= 0) {
			local_reply(reply, 4, "4.3.0", "%s", r < 0 ?
			    buf_str(why) : "the aliases of this recipient no "
			    "longer name that target");
			goto out;
		}
		job.home = "/";
		job.user = var_default_privs;
		if (privs_is_root()) {
			if (privs_lookup(var_default_privs, &uid, &gid,
			    why) < 0) {
				local_reply(reply, 4, "4.3.5", "default_privs: "
				    "%s", buf_str(why));
				goto out;
			}
			if (uid == 0) {
				local_reply(reply, 4, "4.3.5", "default_privs "
				    "must not be root");
				goto out;
			}
		}
	} else {
		local_strip_extension(job.recipient, b);
		r = resolve_account(buf_str(b), &acct, why);
		if (r == 0) {
			local_reply(reply, 5, "5.1.1", "unknown user: %s",
			    job.recipient);
			goto out;
		}
		if (r < 0) {
			local_reply(reply, 4, "4.3.0", "user lookup: %s",
			    buf_str(why));
			goto out;
		}
		have_acct = 1;
		if (acct.maildir != NULL && *acct.maildir != '\0')
			buf_set(mbox, acct.maildir);
		else
			buf_setf(mbox, "%s/%s", acct.home ? acct.home : "",
			    var_home_mailbox);
		job.target = buf_str(mbox);
		job.kind = local_ends_slash(job.target) ||
		    local_ends_slash(var_home_mailbox) ? "maildir" : "mbox";
		job.home = acct.home ? acct.home : "/";
		job.user = acct.name ? acct.name : job.recipient;
		/*
		 * uid 0 only when the mailbox is root's own (root without an
		 * alias, or virtual_mail_owner = root in a sandbox that runs
		 * everything as root): the owner writes it, as rule 2 says.
		 */
		uid = acct.uid;
		gid = acct.gid;
	}
	if (privs_is_root())
		local_worker_call(uid, gid, &job, qfd, reply);
	else
		local_deliver(&job, qfd, reply);
out:
	if (have_acct)
		account_free(&acct);
	buf_free(&why);
	buf_free(&b);
	buf_free(&mbox);
}

/* local_service - serve one qmgr connection until it closes */
static void
local_service(int fd, char *service, char **argv)
{
	struct lineio *lio;
	struct attr req, reply;
	int r;

	lio = lineio_new(fd, LOCAL_ATTR_MAX, (int)var_ipc_timeout);
	local_conn_fd = fd;
	attr_init(&req);
	attr_init(&reply);
	for (;;) {
		r = attr_read(lio, &req);
		if (r == LINE_EOF)
			break;
		if (r != LINE_OK) {
			/* qmgr going away (a restart) is not worth a word. */
			if (r != LINE_ERROR || (errno != ECONNRESET &&
			    errno != EPIPE))
				msg_warn("read request from qmgr: %s",
				    r == LINE_TIMEOUT ? "timeout" :
				    r == LINE_TOOLONG ? "line too long" :
				    "malformed request or broken connection");
			break;
		}
		if (req.count == 0)
			local_reply(&reply, 4, "4.3.5", "empty request");
		else
			local_request(&req, &reply);
		if (attr_write(lio, &reply) < 0) {
			msg_warn("write reply to qmgr: %m");
			break;
		}
	}
	attr_free(&req);
	attr_free(&reply);
	lineio_free(&lio);
	local_conn_fd = -1;
}

int
main(int argc, char **argv)
{
	server_main(argc, argv, SERVER_SINGLE, local_service, SERVER_END);
}
