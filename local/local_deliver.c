/*
 * local_deliver - one delivery, already running as the right user: into a
 * Maildir, appended to an mbox file (home_mailbox without a trailing "/",
 * or a "/file" alias target), or piped into a "|command" alias target.
 *
 * Every delivery writes "Return-Path:" and "Delivered-To:" first, so a
 * message that comes back to the same recipient is caught as a loop
 * (deliver_looped).  Results go into the reply as status (0, 4, 5),
 * an enhanced status code and a reason; nothing here ever exits on a mail
 * problem.
 *
 * Several Maildir deliveries to one Maildir can run as one batch
 * (local_deliver_many), sharing the sync of new/.
 *
 * An mbox append takes an fcntl() lock on the whole file (the lock that
 * mutt, Dovecot and procmail also take), writes the "From " line and the
 * message with mboxrd quoting (">From " gets one more ">"), fsyncs, and on
 * any failure cuts the file back to its old length.  Dot-locking is not
 * done: cartero never writes into a shared spool directory.
 *
 * A command runs as /bin/sh -c with a clean environment (SENDER,
 * RECIPIENT, ORIGINAL_RECIPIENT, LOCAL, DOMAIN, HOME, USER, LOGNAME,
 * SHELL, PATH), the message on stdin, and at most command_time_limit
 * seconds.  Exit 0 is success, EX_TEMPFAIL (75) or a signal a temporary
 * failure, anything else a permanent one; the first bytes of its output go
 * into the reason (and so into the bounce).
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"
#include "deliver.h"
#include "ipc.h"
#include "local.h"
#include "maildir.h"
#include "maildirsize.h"
#include "msg.h"
#include "params.h"
#include "queue_trust.h"
#include "quota.h"
#include "util.h"

#define LOCAL_CHUNK		(64 * 1024)	/* copy size */
#define LOCAL_LOCK_TRIES	30		/* one a second */
#define LOCAL_OUTPUT_MAX	400		/* command output kept */
#define LOCAL_FROM_PEND_MAX	1024		/* a ">>>..." line start */
#define EX_TEMPFAIL_CODE	75

/* local_job_from_attr - a job whose strings point into a */
void
local_job_from_attr(struct local_job *j, const struct attr *a)
{
	const char *v;

	memset(j, 0, sizeof(*j));
	j->kind = (v = attr_get(a, LOCAL_JOB_KIND)) ? v : "";
	j->target = (v = attr_get(a, LOCAL_JOB_TARGET)) ? v : "";
	j->queue_id = (v = attr_get(a, DELIVER_QUEUE_ID)) ? v : "";
	j->sender = (v = attr_get(a, DELIVER_SENDER)) ? v : "";
	j->recipient = (v = attr_get(a, DELIVER_RECIPIENT)) ? v : "";
	j->orig_recipient = (v = attr_get(a, DELIVER_ORIG_RCPT)) ? v : "";
	j->home = (v = attr_get(a, LOCAL_JOB_HOME)) ? v : "/";
	j->user = (v = attr_get(a, LOCAL_JOB_USER)) ? v : "";
	j->offset = (off_t)attr_get_num(a, DELIVER_OFFSET, -1);
	j->size = (off_t)attr_get_num(a, DELIVER_SIZE, -1);
	j->size_limit = attr_get_num(a, LOCAL_JOB_SIZE_LIMIT, 0);
	j->count_limit = attr_get_num(a, LOCAL_JOB_COUNT_LIMIT, 0);
	j->folder = (v = attr_get(a, LOCAL_JOB_FOLDER)) ? v : "";
}

/* local_job_to_attr - the wire form of a job, for a worker */
void
local_job_to_attr(const struct local_job *j, struct attr *a)
{
	attr_clear(a);
	attr_set(a, LOCAL_JOB_KIND, j->kind);
	attr_set(a, LOCAL_JOB_TARGET, j->target);
	attr_set(a, DELIVER_QUEUE_ID, j->queue_id);
	attr_set(a, DELIVER_SENDER, j->sender);
	attr_set(a, DELIVER_RECIPIENT, j->recipient);
	attr_set(a, DELIVER_ORIG_RCPT, j->orig_recipient);
	attr_set(a, LOCAL_JOB_HOME, j->home);
	attr_set(a, LOCAL_JOB_USER, j->user);
	attr_setf(a, DELIVER_OFFSET, "%lld", (long long)j->offset);
	attr_setf(a, DELIVER_SIZE, "%lld", (long long)j->size);
	attr_setf(a, LOCAL_JOB_SIZE_LIMIT, "%lld", j->size_limit);
	attr_setf(a, LOCAL_JOB_COUNT_LIMIT, "%lld", j->count_limit);
	attr_set(a, LOCAL_JOB_FOLDER, j->folder);
}

/* local_header_value - append s with control characters made '?' */
static void
local_header_value(struct buf *b, const char *s)
{
	for (; *s; s++)
		buf_putc(b, ((unsigned char)*s < 32 || *s == 127) ? '?' : *s);
}

/* local_prefix - "Return-Path: <s>\nDelivered-To: r\n" */
static void
local_prefix(struct buf *b, const struct local_job *j)
{
	buf_puts(b, "Return-Path: <");
	local_header_value(b, j->sender);
	buf_puts(b, ">\nDelivered-To: ");
	local_header_value(b, j->recipient);
	buf_puts(b, "\n");
}

/* local_errno_dsn - the status code of a failed file operation */
static const char *
local_errno_dsn(int err, int temp)
{
	if (err == ENOSPC)
		return "4.3.1";
	if (err == EDQUOT)
		return "4.2.2";
	if (err == EFBIG)
		return "5.3.4";
	return temp ? "4.2.0" : "5.2.0";
}

/*
 * local_quota_warn - when this batch took the Maildir across one of
 * quota_warning_percentages of the limit, put a warning into it (see
 * lib/quota.c); a failure is logged, never the batch's
 */
static void
local_quota_warn(const struct local_job *j, const char *path,
    long long before, long long after)
{
	struct buf *text, *why;
	int pct, fd, temp;

	if ((pct = quota_warning_level(before, after, j->size_limit,
	    var_quota_warning_percentages)) == 0)
		return;
	text = buf_new(1024, 0);
	why = buf_new(128, 2048);
	quota_warning_message(text, j->recipient, pct, after, j->size_limit,
	    var_myhostname);
	if ((fd = memfd_create("quota-warning", MFD_CLOEXEC)) < 0 ||
	    write_full(fd, buf_str(text), buf_len(text)) < 0)
		msg_warn("%s: to=<%s>, quota warning: %m", j->queue_id,
		    j->recipient);
	else if (maildir_deliver(path, "", fd, 0, (off_t)buf_len(text), why,
	    &temp) < 0)
		msg_warn("%s: to=<%s>, quota warning: %s", j->queue_id,
		    j->recipient, buf_str(why));
	else {
		msg_info("%s: to=<%s>, quota warning: %d%% of %lld bytes "
		    "used", j->queue_id, j->recipient, pct, j->size_limit);
		if (maildirsize_add(path, (long long)buf_len(text), 1, why) < 0)
			msg_warn("%s: to=<%s>, quota: %s", j->queue_id,
			    j->recipient, buf_str(why));
	}
	fd_close(&fd);
	buf_free(&text);
	buf_free(&why);
}

/*
 * local_quota_add - note the batch's messages in the Maildir's
 * maildirsize file (when it has one); a failure is logged: the file is
 * recalculated when found bad, and the mail is delivered either way
 */
static void
local_quota_add(const struct local_job *j, const char *path,
    long long added, const struct maildir_msg *msgs, int count)
{
	struct buf *why = buf_new(128, 2048);
	long long n = 0;
	int k;

	for (k = 0; k < count; k++)
		if (msgs[k].status == 0)
			n++;
	if (maildirsize_add(path, added, n, why) < 0)
		msg_warn("%s: to=<%s>, quota: %s", j->queue_id, j->recipient,
		    buf_str(why));
	buf_free(&why);
}

/*
 * local_quota_check - does job j, after bytes and count already taken by
 * this batch, fit the Maildir's quota (ms: the maildirsize file, read on
 * the batch's first job with a limit)?  1 yes, 0 no (the reply says
 * 5.2.2 mailbox full, as Postfix's virtual and Dovecot's LDA return it),
 * -1 the quota could not be read (4.2.0: try later).
 */
static int
local_quota_check(const struct local_job *j, const char *path,
    struct maildirsize *ms, int *have, long long bytes, long long count,
    struct attr *reply)
{
	struct buf *why;
	int r;

	if (j->size_limit <= 0 && j->count_limit <= 0)
		return 1;
	why = buf_new(128, 2048);
	if (!*have && maildirsize_get(path, j->size_limit, j->count_limit, 1,
	    ms, why) < 0) {
		deliver_reply_set(reply, 4, "4.2.0", "cannot read the quota of "
		    "Maildir %s: %s", path, buf_str(why));
		buf_free(&why);
		return -1;
	}
	*have = 1;
	if ((r = maildirsize_fits(path, ms, bytes, count, why)) < 0)
		deliver_reply_set(reply, 4, "4.2.0", "cannot recalculate the "
		    "quota of Maildir %s: %s", path, buf_str(why));
	else if (r == 0 && ms->limit_count > 0 && ms->count + count >
	    ms->limit_count)
		deliver_reply_set(reply, 5, "5.2.2", "mailbox full: %lld of "
		    "%lld messages", ms->count, ms->limit_count);
	else if (r == 0)
		deliver_reply_set(reply, 5, "5.2.2", "mailbox full: %lld of "
		    "%lld bytes used", ms->bytes, ms->limit_bytes);
	buf_free(&why);
	return r;
}

/*
 * local_maildir_many - deliver n jobs into the Maildir at path, creating
 * it when missing, as one batch: the files are synced one by one but new/
 * once for all of them (maildir_deliver_batch), so a busy mailbox costs
 * the disk about one sync per message instead of two.  The quota is read
 * from the Maildir's maildirsize file (lib/maildirsize.c), not summed
 * from its files, and what the batch added goes into that file as one
 * line (one O_APPEND write: deliveries at once lose no change).  All jobs
 * of a batch are one user's, with the same limits, into one folder: the
 * inbox, or the Maildir++ folder a DMARC quarantine named (made if
 * missing; its messages count for the Maildir's quota).
 */
static void
local_maildir_many(const struct local_job *const *jobs, const int *qfds,
    struct attr *const *replies, int n, const char *path, int folders)
{
	struct buf *why = buf_new(128, 2048), *p = buf_new(256, 0);
	struct buf *dest = buf_new(256, 0);
	struct buf **prefix = xcalloc((size_t)n, sizeof(*prefix));
	struct maildir_msg *msgs = xcalloc((size_t)n, sizeof(*msgs));
	int *which = xcalloc((size_t)n, sizeof(*which));
	const struct local_job *j;
	struct maildir_msg *m;
	struct maildirsize ms;
	struct stat st;
	long long pend = 0, added = 0, start;
	int i, k, count = 0, have = 0;

	memset(&ms, 0, sizeof(ms));
	buf_setf(p, "%s/tmp", path);
	if (stat(buf_str(p), &st) < 0 && errno == ENOENT &&
	    maildir_make(path, folders, why) < 0) {
		for (i = 0; i < n; i++)
			deliver_reply_set(replies[i], 4,
			    local_errno_dsn(errno, 1), "cannot create "
			    "Maildir: %s", buf_str(why));
		goto out;
	}
	/* Into a folder: its own tmp/, new/, cur/; the quota stays root's. */
	if (*jobs[0]->folder != '\0' && maildir_make_folder(path,
	    jobs[0]->folder, dest, why) < 0) {
		for (i = 0; i < n; i++)
			deliver_reply_set(replies[i], 4,
			    local_errno_dsn(errno, 1), "cannot create "
			    "folder %s: %s", jobs[0]->folder, buf_str(why));
		goto out;
	}
	for (i = 0; i < n; i++) {
		j = jobs[i];
		prefix[i] = buf_new(256, 0);
		local_prefix(prefix[i], j);
		if (local_quota_check(j, path, &ms, &have, pend +
		    (long long)buf_len(prefix[i]) + (long long)j->size,
		    (long long)count + 1, replies[i]) <= 0)
			continue;
		pend += (long long)buf_len(prefix[i]) + (long long)j->size;
		m = &msgs[count];
		m->prefix = buf_str(prefix[i]);
		m->fd = qfds[i];
		m->offset = j->offset;
		m->len = j->size;
		m->why = buf_new(128, 2048);
		which[count++] = i;
	}
	if (count > 0)
		maildir_deliver_batch(*jobs[0]->folder != '\0' ? buf_str(dest) :
		    path, msgs, count);
	for (k = 0; k < count; k++) {
		m = &msgs[k];
		if (m->status == 0) {
			deliver_reply_set(replies[which[k]], 0, "2.0.0",
			    "delivered to maildir");
			added += (long long)strlen(m->prefix) + m->len;
		} else
			deliver_reply_set(replies[which[k]], m->temp ? 4 : 5,
			    local_errno_dsn(m->err, m->temp), "cannot deliver "
			    "to Maildir: %s", buf_str(m->why));
		buf_free(&m->why);
	}
	if (count > 0 && added > 0) {
		start = ms.bytes;
		local_quota_add(jobs[which[0]], path, added, msgs, count);
		if (have && ms.limit_bytes > 0)
			local_quota_warn(jobs[which[0]], path, start,
			    start + added);
	}
out:
	for (i = 0; i < n; i++)
		buf_free(&prefix[i]);
	free(prefix);
	free(msgs);
	free(which);
	buf_free(&why);
	buf_free(&p);
	buf_free(&dest);
}

/* local_maildir - deliver one job into a Maildir */
static void
local_maildir(const struct local_job *j, const char *path, int folders,
    int qfd, struct attr *reply)
{
	local_maildir_many(&j, &qfd, &reply, 1, path, folders);
}

struct mbox_out {
	int		 fd;
	struct buf	*buf;
	struct buf	*pend;		/* line start that may be ">*From " */
	int		 matching;	/* at a line start, deciding */
	int		 last;		/* last byte written */
	int		 err;
};

/* mbox_flush - write out the buffer; errors are sticky */
static void
mbox_flush(struct mbox_out *o)
{
	if (o->err == 0 && buf_len(o->buf) > 0 &&
	    write_full(o->fd, buf_str(o->buf), buf_len(o->buf)) < 0)
		o->err = errno ? errno : EIO;
	buf_reset(o->buf);
}

/* mbox_put - buffer bytes, as they are */
static void
mbox_put(struct mbox_out *o, const char *p, size_t n)
{
	if (n == 0)
		return;
	buf_append(o->buf, p, n);
	o->last = (unsigned char)p[n - 1];
	if (buf_len(o->buf) >= LOCAL_CHUNK)
		mbox_flush(o);
}

/* mbox_body - message bytes with mboxrd ">From " quoting */
static void
mbox_body(struct mbox_out *o, const char *p, size_t n)
{
	const char *rest;
	size_t k, restlen;
	char c;

	while (n-- > 0) {
		c = *p++;
		if (!o->matching) {
			mbox_put(o, &c, 1);
			if (c == '\n') {
				o->matching = 1;
				buf_reset(o->pend);
			}
			continue;
		}
		buf_putc(o->pend, c);
		k = strspn(buf_str(o->pend), ">");
		rest = buf_str(o->pend) + k;
		restlen = buf_len(o->pend) - k;
		if (restlen == 0 && buf_len(o->pend) < LOCAL_FROM_PEND_MAX)
			continue;
		if (restlen > 0 && restlen <= 5 &&
		    strncmp(rest, "From ", restlen) == 0) {
			if (restlen < 5)
				continue;
			mbox_put(o, ">", 1);
		}
		mbox_put(o, buf_str(o->pend), buf_len(o->pend));
		buf_reset(o->pend);
		o->matching = c == '\n';
	}
}

/* mbox_lock - an fcntl write lock on the whole file, waiting a while */
static int
mbox_lock(int fd, int type)
{
	struct flock fl;
	int i;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = (short)type;
	fl.l_whence = SEEK_SET;
	for (i = 0; i < LOCAL_LOCK_TRIES; i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -1;
		if (type == F_UNLCK)
			return -1;
		sleep(1);
	}
	errno = EAGAIN;
	return -1;
}

/* mbox_from_line - "From sender Mon Nov 23 04:29:37 2026\n" */
static void
mbox_from_line(struct buf *b, const char *sender)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	const char *s;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	buf_puts(b, "From ");
	if (*sender == '\0')
		buf_puts(b, "MAILER-DAEMON");
	for (s = sender; *s; s++)
		buf_putc(b, isspace((unsigned char)*s) ||
		    iscntrl((unsigned char)*s) ? '_' : *s);
	buf_appendf(b, " %s\n", date);
}

/* local_mbox - append to an mbox file ("mailbox" or an alias "file") */
static void
local_mbox(const struct local_job *j, const char *path, const char *what,
    int qfd, struct attr *reply)
{
	struct mbox_out o;
	struct stat st;
	struct buf *hdr;
	off_t orig = -1, left, off;
	char *chunk = NULL;
	ssize_t n;
	int fd, device;

	memset(&o, 0, sizeof(o));
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		int temp = errno != ELOOP && errno != EISDIR;

		deliver_reply_set(reply, temp ? 4 : 5,
		    local_errno_dsn(errno, temp), "cannot open %s %s: %s", what,
		    path, errno == ELOOP ? "it is a symbolic link" :
		    strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0) {
		deliver_reply_set(reply, 4, "4.2.0", "fstat %s: %s", path,
		    strerror(errno));
		close(fd);
		return;
	}
	device = S_ISCHR(st.st_mode);		/* /dev/null and friends */
	if (!device && (!S_ISREG(st.st_mode) || st.st_nlink != 1)) {
		deliver_reply_set(reply, 5, "5.2.0", "cannot deliver to %s %s: "
		    "%s", what, path, S_ISREG(st.st_mode) ? "it has more than "
		    "one hard link" : "not a regular file");
		close(fd);
		return;
	}
	if (!device && mbox_lock(fd, F_WRLCK) < 0) {
		deliver_reply_set(reply, 4, "4.2.0", "cannot lock %s %s: %s",
		    what, path, errno == EAGAIN ? "locked by another process" :
		    strerror(errno));
		close(fd);
		return;
	}
	if (!device) {
		if (fstat(fd, &st) < 0 ||
		    (orig = lseek(fd, 0, SEEK_END)) < 0) {
			deliver_reply_set(reply, 4, "4.2.0", "seek %s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (j->size_limit > 0 && (long long)orig + (long long)j->size >
		    j->size_limit) {
			deliver_reply_set(reply, 5, "5.2.2", "mailbox full: %s "
			    "is %lld of %lld bytes", path, (long long)orig,
			    j->size_limit);
			goto out;
		}
	}

	o.fd = fd;
	o.buf = buf_new(LOCAL_CHUNK + 1024, 0);
	o.pend = buf_new(64, 0);
	hdr = buf_new(256, 0);
	mbox_from_line(hdr, j->sender);
	local_prefix(hdr, j);
	mbox_put(&o, buf_str(hdr), buf_len(hdr));
	buf_free(&hdr);
	o.matching = 1;
	chunk = xmalloc(LOCAL_CHUNK);
	for (off = j->offset, left = j->size; left > 0 && o.err == 0; ) {
		n = pread(qfd, chunk, left > LOCAL_CHUNK ? LOCAL_CHUNK :
		    (size_t)left, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o.err = n < 0 ? errno : EIO;
			break;
		}
		mbox_body(&o, chunk, (size_t)n);
		off += n;
		left -= n;
	}
	if (o.matching && buf_len(o.pend) > 0)
		mbox_put(&o, buf_str(o.pend), buf_len(o.pend));
	if (o.last != '\n')
		mbox_put(&o, "\n", 1);
	mbox_put(&o, "\n", 1);		/* a blank line before the next */
	mbox_flush(&o);
	if (o.err == 0 && !device && fsync(fd) < 0)
		o.err = errno;
	if (o.err != 0) {
		if (orig >= 0 && ftruncate(fd, orig) < 0)
			msg_warn("%s: cannot truncate %s back to %lld bytes: "
			    "%m", j->queue_id, path, (long long)orig);
		deliver_reply_set(reply, 4, local_errno_dsn(o.err, 1), "cannot "
		    "write %s %s: %s", what, path, strerror(o.err));
		goto out;
	}
	if (strcmp(what, "file") == 0)
		deliver_reply_set(reply, 0, "2.0.0", "delivered to file: %s",
		    path);
	else
		deliver_reply_set(reply, 0, "2.0.0", "delivered to mailbox");
out:
	if (!device)
		(void)mbox_lock(fd, F_UNLCK);
	close(fd);
	free(chunk);
	buf_free(&o.buf);
	buf_free(&o.pend);
}

/* local_env - one NAME=value for the command, made safe */
static void
local_env(const char *name, const char *value)
{
	struct buf *b = buf_new(128, 4096);

	local_header_value(b, value);
	setenv(name, buf_str(b), 1);
	buf_free(&b);
}

/* local_command_exec - in the command's child: environment, exec sh -c */
static void
local_command_exec(void *ctx, struct buf *why)
{
	const struct local_job *j = ctx;
	const char *at = strrchr(j->recipient, '@');
	struct buf *local = buf_new(128, 0);

	if (chdir(j->home) < 0 && chdir("/") < 0) {
		buf_setf(why, "chdir /: %s", strerror(errno));
		return;
	}
	clearenv();
	setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
	setenv("SHELL", "/bin/sh", 1);
	local_env("HOME", j->home);
	local_env("USER", j->user);
	local_env("LOGNAME", j->user);
	local_env("SENDER", j->sender);
	local_env("RECIPIENT", j->recipient);
	local_env("ORIGINAL_RECIPIENT", j->orig_recipient);
	if (at != NULL) {
		buf_append(local, j->recipient, (size_t)(at - j->recipient));
		local_env("LOCAL", buf_str(local));
		local_env("DOMAIN", at + 1);
	} else {
		local_env("LOCAL", j->recipient);
		local_env("DOMAIN", "");
	}
	execl("/bin/sh", "sh", "-c", j->target, (char *)NULL);
	buf_setf(why, "exec /bin/sh: %s", strerror(errno));
}

/* The command's stdin: Return-Path and Delivered-To, then the message. */
struct local_feed {
	struct buf	*prefix;
	size_t		 prefix_done;
	int		 qfd;
	off_t		 off;
	off_t		 left;
};

/* local_command_feed - the next bytes of the command's stdin */
static ssize_t
local_command_feed(void *ctx, char *data, size_t size, struct buf *why)
{
	struct local_feed *f = ctx;
	size_t n;

	if (f->prefix_done < buf_len(f->prefix)) {
		n = buf_len(f->prefix) - f->prefix_done;
		n = n < size ? n : size;
		memcpy(data, buf_str(f->prefix) + f->prefix_done, n);
		f->prefix_done += n;
		return (ssize_t)n;
	}
	return queue_trust_read(f->qfd, data, size, &f->off, &f->left, why);
}

/* local_command - pipe the message into a command */
static void
local_command(const struct local_job *j, int qfd, struct attr *reply)
{
	struct buf *why = buf_new(128, 1024), *clean = buf_new(256, 0);
	struct local_feed feed;
	struct command c;
	struct command_result r;
	int code;

	feed.prefix = buf_new(256, 0);
	feed.prefix_done = 0;
	feed.qfd = qfd;
	feed.off = j->offset;
	feed.left = j->size;
	local_prefix(feed.prefix, j);
	memset(&c, 0, sizeof(c));
	c.exec = local_command_exec;
	c.exec_ctx = (void *)j;
	c.feed = local_command_feed;
	c.feed_ctx = &feed;
	c.time_limit = var_command_time_limit;
	c.output_max = LOCAL_OUTPUT_MAX;
	if (command_run(&c, &r, why) < 0)
		deliver_reply_set(reply, 4, "4.3.0", "%s", buf_str(why));
	else if (r.feed_failed)
		deliver_reply_set(reply, 4, "4.3.0", "%s", buf_str(why));
	else if (r.timed_out)
		deliver_reply_set(reply, 4, "4.3.0", "command time limit "
		    "(%llds) exceeded: %s", var_command_time_limit, j->target);
	else if (r.exec_failed)
		deliver_reply_set(reply, 4, "4.3.0", "%s", buf_str(why));
	else if (WIFSIGNALED(r.status))
		deliver_reply_set(reply, 4, "4.3.0", "command killed by signal "
		    "%d%s%s", WTERMSIG(r.status), buf_len(r.output) ? ": " : "",
		    command_output(r.output, clean));
	else if ((code = WEXITSTATUS(r.status)) == 0)
		deliver_reply_set(reply, 0, "2.0.0", "delivered to command: %s",
		    j->target);
	else
		deliver_reply_set(reply, code == EX_TEMPFAIL_CODE ? 4 : 5,
		    code == EX_TEMPFAIL_CODE ? "4.3.0" : "5.3.0",
		    "command failed with exit status %d%s%s", code,
		    buf_len(r.output) ? ": " : "",
		    command_output(r.output, clean));
	if (r.output != NULL)
		buf_free(&r.output);
	buf_free(&feed.prefix);
	buf_free(&why);
	buf_free(&clean);
}

/* local_deliver - run one job as the current user; the reply says how */
void
local_deliver(const struct local_job *j, int qfd, struct attr *reply)
{
	size_t len = strlen(j->target);

	attr_clear(reply);
	if (j->offset < 0 || j->size < 0 || len == 0) {
		deliver_reply_set(reply, 4, "4.3.5", "bad delivery request");
		return;
	}
	if (strcmp(j->kind, "maildir") == 0)
		local_maildir(j, j->target, 1, qfd, reply);
	else if (strcmp(j->kind, "mbox") == 0)
		local_mbox(j, j->target, "mailbox", qfd, reply);
	else if (strcmp(j->kind, "file") == 0) {
		if (j->target[len - 1] == '/') {
			/* "/path/" in an alias is a Maildir, as in Postfix. */
			local_maildir(j, j->target, 0, qfd, reply);
			if (strcmp(attr_get(reply, "status"), "0") == 0)
				deliver_reply_set(reply, 0, "2.0.0",
				    "delivered to maildir: %s", j->target);
		} else
			local_mbox(j, j->target, "file", qfd, reply);
	} else if (strcmp(j->kind, "command") == 0)
		local_command(j, qfd, reply);
	else
		deliver_reply_set(reply, 4, "4.3.5", "unknown delivery kind "
		    "\"%s\"", j->kind);
}

/* local_batchable - may this job go into a Maildir batch? */
static int
local_batchable(const struct local_job *j)
{
	return strcmp(j->kind, "maildir") == 0 && j->offset >= 0 &&
	    j->size >= 0 && *j->target != '\0';
}

/*
 * local_deliver_many - run n jobs as the current user, each reply into
 * replies[i].  The Maildir jobs for one Maildir go as one batch (see
 * local_maildir_many); everything else goes one by one.
 */
void
local_deliver_many(const struct local_job *const *jobs, const int *qfds,
    struct attr *const *replies, int n)
{
	const struct local_job **gj = xcalloc((size_t)n, sizeof(*gj));
	struct attr **gr = xcalloc((size_t)n, sizeof(*gr));
	int *gq = xcalloc((size_t)n, sizeof(*gq));
	char *done = xcalloc((size_t)n, 1);
	int i, k, ng;

	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		if (!local_batchable(jobs[i])) {
			local_deliver(jobs[i], qfds[i], replies[i]);
			continue;
		}
		for (ng = 0, k = i; k < n; k++) {
			if (done[k] || !local_batchable(jobs[k]) ||
			    strcmp(jobs[k]->target, jobs[i]->target) != 0 ||
			    strcmp(jobs[k]->folder, jobs[i]->folder) != 0)
				continue;
			gj[ng] = jobs[k];
			gq[ng] = qfds[k];
			gr[ng] = replies[k];
			attr_clear(replies[k]);
			done[k] = 1;
			ng++;
		}
		local_maildir_many(gj, gq, gr, ng, jobs[i]->target, 1);
	}
	free(gj);
	free(gr);
	free(gq);
	free(done);
}
