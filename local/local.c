/*
 * local - the local delivery agent.
 *
 * master starts it as root; qmgr connects over private/local and sends
 * one request per recipient, many per connection (lib/deliver.h).  local
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
 *
 * Batches: qmgr may send several requests without waiting (see
 * qmgr_deliver.c).  local takes every request that is already waiting,
 * up to LOCAL_BATCH_MAX, checks each, hands the worker all those of one
 * uid at once, and replies to each in order.  The worker delivers the
 * ones for one Maildir together, with one sync of new/ for all
 * (local_deliver_many), which is how deliveries keep up with many SMTP
 * sessions on a disk whose sync rate is the limit.  A batch waits a few
 * milliseconds for more requests (local_more).
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

#include "alias.h"
#include "buf.h"
#include "deliver.h"
#include "ipc.h"
#include "lineio.h"
#include "local.h"
#include "maildir.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "queue.h"
#include "queue_trust.h"
#include "resolve.h"
#include "server.h"
#include "util.h"

#define LOCAL_WIRE_MAX	(128 * 1024)	/* a job or reply, to the worker */
#define LOCAL_BATCH_MAX	32		/* requests taken at once */
#define LOCAL_BATCH_WAIT_MS 10		/* a batch waits this long for more */

/* One request of a batch, from qmgr's words to the reply. */
struct local_req {
	struct attr	 req;
	struct attr	 reply;
	struct local_job job;		/* its strings point into req, acct, mbox */
	struct account	 acct;
	int		 have_acct;
	struct buf	*mbox;
	int		 qfd;		/* the queue file, or -1 */
	uid_t		 uid;		/* who delivers it */
	gid_t		 gid;
	int		 ready;		/* checked, to be delivered */
};

/* The worker: one child, one uid. */
static pid_t local_worker_pid = -1;
static int local_worker_fd = -1;
static uid_t local_worker_uid;
static gid_t local_worker_gid;

static int local_conn_fd = -1;	/* the qmgr connection being served */
static struct local_req *local_batch;	/* the batch being served */
static int local_nbatch;

/* local_worker_stop - close the worker's socket and reap it */
static void
local_worker_stop(int force)
{
	int status;

	if (local_worker_pid < 0)
		return;
	fd_close(&local_worker_fd);
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

	int i;

	fd_close(&local_conn_fd);
	/* The queue files of the batch: the worker gets its own by passing. */
	for (i = 0; i < local_nbatch; i++)
		fd_close(&local_batch[i].qfd);
	/* master's listening socket and status pipe (fd 3 and 4). */
	if (keep != SERVER_LISTEN_FD && getsockopt(SERVER_LISTEN_FD,
	    SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
		close(SERVER_LISTEN_FD);
	if (keep != SERVER_STATUS_FD && fstat(SERVER_STATUS_FD, &st) == 0 &&
	    S_ISFIFO(st.st_mode))
		close(SERVER_STATUS_FD);
}

/*
 * local_worker_main - the worker: deliver what the parent sends, forever.
 * A batch is a run of packets, each a job with its queue file attached and
 * "batch_left" saying how many more follow; the replies go back one packet
 * per job, in order, once the whole batch is done.
 */
static void
local_worker_main(int sock, uid_t uid, gid_t gid)
{
	struct buf *why = buf_new(128, 1024), *out = buf_new(512, 0);
	struct attr req[LOCAL_BATCH_MAX], reply[LOCAL_BATCH_MAX];
	struct attr *rp[LOCAL_BATCH_MAX];
	struct local_job job[LOCAL_BATCH_MAX];
	const struct local_job *jp[LOCAL_BATCH_MAX];
	int qfd[LOCAL_BATCH_MAX];
	char *data = xmalloc(LOCAL_WIRE_MAX);
	int i, n, count, left, bad;

	local_close_inherited(sock);
	if (privs_set(uid, gid, why) < 0) {
		msg_warn("delivery worker: %s", buf_str(why));
		_exit(1);
	}
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (i = 0; i < LOCAL_BATCH_MAX; i++) {
		attr_init(&req[i]);
		attr_init(&reply[i]);
		rp[i] = &reply[i];
		jp[i] = &job[i];
	}
	for (;;) {
		/* Take the packets of one batch. */
		for (count = 0, left = 1; left > 0 && count < LOCAL_BATCH_MAX;
		    count++) {
			n = ipc_recv_fd(sock, &qfd[count], data,
			    LOCAL_WIRE_MAX);
			if (n <= 0)
				goto done;	/* the parent is done with us */
			bad = qfd[count] < 0 || attr_parse(data, (size_t)n,
			    &req[count]) < 0;
			left = bad ? 0 : (int)attr_get_num(&req[count],
			    LOCAL_JOB_BATCH_LEFT, 0);
			local_job_from_attr(&job[count], &req[count]);
			if (bad)
				job[count].kind = "bad";
		}
		local_deliver_many(jp, qfd, rp, count);
		for (i = 0; i < count; i++) {
			if (strcmp(job[i].kind, "bad") == 0)
				deliver_reply_set(&reply[i], 4, "4.3.5", "bad "
				    "request from the local parent");
			fd_close(&qfd[i]);
			buf_reset(out);
			attr_format(&reply[i], out);
			if (send(sock, buf_str(out), buf_len(out),
			    MSG_NOSIGNAL) < 0)
				goto done;
		}
	}
done:
	for (i = 0; i < LOCAL_BATCH_MAX; i++) {
		attr_free(&req[i]);
		attr_free(&reply[i]);
	}
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

/* local_worker_reply - wait for and read one reply from the worker */
static int
local_worker_reply(struct attr *reply, char *data)
{
	struct deliver_reply got;
	struct pollfd pfd;
	long long wait_ms;
	int n;

	pfd.fd = local_worker_fd;
	pfd.events = POLLIN;
	wait_ms = (var_command_time_limit + 60) * 1000;
	do
		n = poll(&pfd, 1, wait_ms > 0x7fffffff ? 0x7fffffff :
		    (int)wait_ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		deliver_reply_set(reply, 4, "4.3.0", "delivery worker timed "
		    "out");
		return -1;
	}
	do
		n = (int)recv(local_worker_fd, data, LOCAL_WIRE_MAX, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || attr_parse(data, (size_t)n, reply) < 0 ||
	    deliver_reply_get(reply, &got) < 0) {
		deliver_reply_set(reply, 4, "4.3.0", "delivery worker died");
		return -1;
	}
	return 0;
}

/*
 * local_worker_call - run n requests in the worker for uid/gid: all the
 * jobs go out first (the worker batches them), then the n replies come.
 */
static void
local_worker_call(uid_t uid, gid_t gid, struct local_req **r, int n)
{
	struct buf *why = buf_new(128, 1024), **wire;
	struct local_req **go;
	struct attr a;
	char *data;
	int i, tries, ngo = 0, sent;

	/* What cannot go over the wire is answered here. */
	wire = xcalloc((size_t)n, sizeof(*wire));
	go = xcalloc((size_t)n, sizeof(*go));
	attr_init(&a);
	for (i = 0; i < n; i++) {
		local_job_to_attr(&r[i]->job, &a);
		wire[ngo] = buf_new(1024, 0);
		attr_format(&a, wire[ngo]);
		if (buf_len(wire[ngo]) > LOCAL_WIRE_MAX - 64) {
			deliver_reply_set(&r[i]->reply, 5, "5.3.5", "delivery "
			    "request too large");
			buf_free(&wire[ngo]);
			continue;
		}
		go[ngo++] = r[i];
	}
	attr_free(&a);
	if (local_worker_pid >= 0 && (local_worker_uid != uid ||
	    local_worker_gid != gid))
		local_worker_stop(0);
	for (sent = 0; sent < ngo; sent++) {
		/* The empty line that ends the list is last: insert before. */
		buf_truncate(wire[sent], buf_len(wire[sent]) - 1);
		buf_appendf(wire[sent], LOCAL_JOB_BATCH_LEFT "=%d\n\n",
		    ngo - 1 - sent);
		/* A worker that died since its last job gets one replacement. */
		for (tries = 0; ; tries++) {
			if (local_worker_pid < 0 && local_worker_start(uid, gid,
			    why) < 0) {
				for (i = sent; i < ngo; i++)
					deliver_reply_set(&go[i]->reply, 4,
					    "4.3.0", "cannot start delivery "
					    "worker: %s", buf_str(why));
				goto replies;
			}
			if (ipc_send_fd(local_worker_fd, go[sent]->qfd,
			    buf_str(wire[sent]), buf_len(wire[sent])) >= 0)
				break;
			local_worker_stop(1);
			if (tries > 0 || sent > 0) {
				for (i = sent; i < ngo; i++)
					deliver_reply_set(&go[i]->reply, 4,
					    "4.3.0", "cannot talk to delivery "
					    "worker: %s", strerror(errno));
				goto replies;
			}
		}
	}
replies:
	data = xmalloc(LOCAL_WIRE_MAX);
	for (i = 0; i < sent; i++)
		if (local_worker_reply(&go[i]->reply, data) < 0)
			break;
	if (i < sent) {
		/* The worker is gone or stuck: the rest of the batch waits. */
		local_worker_stop(1);
		for (i++; i < sent; i++)
			deliver_reply_set(&go[i]->reply, 4, "4.3.0", "delivery "
			    "worker died");
	}
	free(data);
	for (i = 0; i < ngo; i++)
		buf_free(&wire[i]);
	free(wire);
	free(go);
	buf_free(&why);
}

/*
 * local_root_sandbox - is this the sandbox that runs everything as root
 * (mail_owner root, warned about by master)?  Only there is a virtual
 * mailbox owned by root.
 */
static int
local_root_sandbox(void)
{
	static int known = -1;
	struct buf *why;
	uid_t uid;
	gid_t gid;

	if (known < 0) {
		why = buf_new(64, 1024);
		known = privs_lookup(var_mail_owner, &uid, &gid, why) == 0 &&
		    uid == 0;
		buf_free(&why);
	}
	return known;
}

/* local_ends_slash - does s end in '/'? */
static int
local_ends_slash(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && s[n - 1] == '/';
}

/*
 * local_request - check one request and find who delivers it: r->ready
 * and r->job filled in, or a reply in r->reply.
 */
static void
local_request(struct local_req *r)
{
	struct buf *why = buf_new(128, 2048), *b = buf_new(256, 0);
	struct local_job *job = &r->job;
	struct attr *reply = &r->reply;
	struct deliver_request dr;
	const char *id, *command, *file, *dsn;
	int res;

	memset(job, 0, sizeof(*job));
	attr_clear(reply);
	if (deliver_request_get(&r->req, &dr, why) < 0) {
		deliver_reply_set(reply, 4, "4.3.5", "%s", buf_str(why));
		goto out;
	}
	id = dr.queue_id;
	command = dr.command;
	file = dr.file;
	job->queue_id = id;
	job->sender = dr.sender;
	job->recipient = dr.recipient;
	job->orig_recipient = dr.orig_recipient;
	job->offset = dr.offset;
	job->size = dr.size;
	job->size_limit = var_mailbox_size_limit;
	job->folder = "";

	/* The queue file: named by us, not by the request. */
	if ((r->qfd = queue_trust_open(id, dr.path, job->offset, job->size,
	    why, &dsn)) < 0) {
		deliver_reply_set(reply, 4, dsn, "%s", buf_str(why));
		goto out;
	}
	if (deliver_looped(r->qfd, job->offset, job->size,
	    job->recipient)) {
		deliver_reply_set(reply, 5, "5.4.6", "mail forwarding loop for "
		    "%s", job->recipient);
		goto out;
	}

	r->uid = 0;
	r->gid = 0;
	if (command != NULL || file != NULL) {
		job->kind = command ? "command" : "file";
		job->target = command ? command : file;
		res = alias_confirm(job->orig_recipient, command ?
		    ALIAS_COMMAND : ALIAS_FILE, job->target, why);
		if (res <= 0) {
			deliver_reply_set(reply, 4, "4.3.0", "%s", res < 0 ?
			    buf_str(why) : "the aliases of this recipient no "
			    "longer name that target");
			goto out;
		}
		job->home = "/";
		job->user = var_default_privs;
		if (privs_is_root()) {
			if (privs_lookup(var_default_privs, &r->uid, &r->gid,
			    why) < 0) {
				deliver_reply_set(reply, 4, "4.3.5",
				    "default_privs: %s", buf_str(why));
				goto out;
			}
			if (r->uid == 0) {
				deliver_reply_set(reply, 4, "4.3.5",
				    "default_privs must not be root");
				goto out;
			}
		}
	} else {
		alias_strip_extension(job->recipient, b);
		res = resolve_account(buf_str(b), &r->acct, why);
		if (res == 0) {
			deliver_reply_set(reply, 5, "5.1.1", "unknown user: %s",
			    job->recipient);
			goto out;
		}
		if (res < 0) {
			deliver_reply_set(reply, 4, "4.3.0", "user lookup: %s",
			    buf_str(why));
			goto out;
		}
		r->have_acct = 1;
		if (resolve_quota(&r->acct, &job->size_limit,
		    &job->count_limit, why) < 0) {
			deliver_reply_set(reply, 4, "4.3.0", "quota lookup: %s",
			    buf_str(why));
			goto out;
		}
		if (r->acct.maildir != NULL && *r->acct.maildir != '\0')
			buf_set(r->mbox, r->acct.maildir);
		else
			buf_setf(r->mbox, "%s/%s", r->acct.home ?
			    r->acct.home : "", var_home_mailbox);
		job->target = buf_str(r->mbox);
		job->kind = local_ends_slash(job->target) ||
		    local_ends_slash(var_home_mailbox) ? "maildir" : "mbox";
		/* A folder the queue file names (DMARC quarantine: Junk). */
		job->folder = dr.folder != NULL && maildir_folder_ok(dr.folder) ?
		    dr.folder : "";
		job->home = r->acct.home ? r->acct.home : "/";
		job->user = r->acct.name ? r->acct.name : job->recipient;
		/*
		 * No mailbox is written as uid 0 (DESIGN.md, rule 6): root's
		 * mail goes by its alias (root is below first_valid_uid), and
		 * a virtual user given uid 0 bounces.  The one exception is
		 * the sandbox that runs everything as root (mail_owner and
		 * virtual_mail_owner root), whose virtual mailboxes are root's.
		 */
		r->uid = r->acct.uid;
		r->gid = r->acct.gid;
		if (r->uid == 0 && privs_is_root() &&
		    !(r->acct.is_virtual && local_root_sandbox())) {
			msg_warn("%s: mailbox %s would be written as root; "
			    "refused", job->queue_id, job->target);
			deliver_reply_set(reply, 5, "5.7.1", "the mailbox of "
			    "%s would be written as root (uid 0): no mailbox "
			    "is; give the account an alias or another owner",
			    job->recipient);
			goto out;
		}
	}
	r->ready = 1;
out:
	buf_free(&why);
	buf_free(&b);
}

/* local_req_done - forget what a request held */
static void
local_req_done(struct local_req *r)
{
	if (r->have_acct)
		account_free(&r->acct);
	r->have_acct = 0;
	fd_close(&r->qfd);
	r->ready = 0;
}

/*
 * local_run - deliver the checked requests of a batch: those of one uid
 * together (one worker call, or in-process without root), uid by uid.
 */
static void
local_run(struct local_req *batch, int n)
{
	struct local_req *group[LOCAL_BATCH_MAX];
	const struct local_job *jobs[LOCAL_BATCH_MAX];
	struct attr *replies[LOCAL_BATCH_MAX];
	int qfds[LOCAL_BATCH_MAX];
	int i, k, ng;

	for (i = 0; i < n; i++) {
		if (!batch[i].ready)
			continue;
		for (ng = 0, k = i; k < n; k++) {
			if (!batch[k].ready || batch[k].uid != batch[i].uid ||
			    batch[k].gid != batch[i].gid)
				continue;
			batch[k].ready = 0;
			group[ng++] = &batch[k];
		}
		if (privs_is_root()) {
			local_worker_call(batch[i].uid, batch[i].gid, group,
			    ng);
			continue;
		}
		for (k = 0; k < ng; k++) {
			jobs[k] = &group[k]->job;
			qfds[k] = group[k]->qfd;
			replies[k] = &group[k]->reply;
		}
		local_deliver_many(jobs, qfds, replies, ng);
	}
}

/*
 * local_more - will another request come before the deadline?  A batch
 * waits up to LOCAL_BATCH_WAIT_MS from its first request for more: the
 * disk's sync rate is what limits delivery, a batch shares the sync of
 * new/ and lets the syncs of its files overlap, and with one SMTP
 * session at a time this wait is what makes batches form at all (about
 * ten messages instead of one).  A full batch goes at once, and a few
 * milliseconds of delay cost nothing that an SMTP client waits for.
 */
static int
local_more(struct lineio *lio, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int n;

	if (lineio_pending(lio) > 0)
		return 1;
	pfd.fd = lineio_fd(lio);
	pfd.events = POLLIN;
	do {
		left = deadline - now_ms();
		n = poll(&pfd, 1, left > 0 ? (int)left : 0);
	} while (n < 0 && errno == EINTR);
	return n > 0;
}

/* local_service - serve one qmgr connection until it closes */
static void
local_service(int fd, char *service, char **argv)
{
	struct lineio *lio;
	struct local_req *batch;
	struct buf *out = buf_new(1024, 0);
	long long deadline = 0;
	int i, n, r = LINE_OK;

	lio = lineio_new(fd, DELIVER_REQUEST_MAX, (int)var_ipc_timeout);
	local_conn_fd = fd;
	batch = xcalloc(LOCAL_BATCH_MAX, sizeof(*batch));
	for (i = 0; i < LOCAL_BATCH_MAX; i++) {
		attr_init(&batch[i].req);
		attr_init(&batch[i].reply);
		batch[i].mbox = buf_new(256, 0);
		batch[i].qfd = -1;
	}
	local_batch = batch;
	while (r == LINE_OK) {
		/* One request, and every other one that is waiting already. */
		for (n = 0; n < LOCAL_BATCH_MAX && (n == 0 ||
		    local_more(lio, deadline)); n++) {
			r = attr_read(lio, &batch[n].req);
			if (r != LINE_OK)
				break;
			if (n == 0)
				deadline = now_ms() + LOCAL_BATCH_WAIT_MS;
			local_nbatch = n + 1;
			local_request(&batch[n]);
		}
		local_run(batch, n);
		/* The replies, in order, in as few writes as they fit. */
		buf_reset(out);
		for (i = 0; i < n; i++) {
			local_req_done(&batch[i]);
			attr_format(&batch[i].reply, out);
		}
		local_nbatch = 0;
		if (n > 0 && (lineio_write(lio, buf_str(out),
		    buf_len(out)) < 0 || lineio_flush(lio) < 0)) {
			msg_warn("write reply to qmgr: %m");
			break;
		}
	}
	deliver_request_end(r);
	for (i = 0; i < LOCAL_BATCH_MAX; i++) {
		attr_free(&batch[i].req);
		attr_free(&batch[i].reply);
		buf_free(&batch[i].mbox);
	}
	free(batch);
	local_batch = NULL;
	buf_free(&out);
	lineio_free(&lio);
	local_conn_fd = -1;
}

int
main(int argc, char **argv)
{
	server_main(argc, argv, SERVER_SINGLE, local_service, SERVER_END);
}
