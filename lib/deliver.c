/*
 * deliver - the delivery protocol between qmgr and the delivery agents:
 * the writer and the reader of a request, and of its reply (deliver.h has
 * the fields).  qmgr writes requests and reads replies; an agent (local,
 * smtp) reads requests and writes replies.
 *
 * The writer appends straight to the caller's buffer, with the values
 * percent-encoded as attr_format() does (queue_encode), so its bytes are
 * those of the attribute list qmgr used to build field by field: an old
 * agent reads a new qmgr and the reverse.  Fields with nothing to say (no
 * path, no command, no file) are left out, as before.
 *
 * The reader distrusts the request (whoever can reach the agent's socket
 * can write one): it refuses an empty list, a field given twice, a bad
 * queue id, a missing or empty recipient, an offset or size that is
 * missing, negative or whose sum overflows, a request that names both
 * a command and a file, a recipient count out of 1..DELIVER_RCPT_MAX or
 * one of whose recipients is missing or empty, and a command or file
 * given with more than one recipient.  The strings it returns point into
 * the list: no copies.  Lines over DELIVER_REQUEST_MAX are the line
 * reader's to refuse.
 *
 * Recipient number i > 0 of a request, and of its reply, has the names
 * of the first with ".i" after them (recipient.3, status.3): a request
 * with one recipient is written as before this existed.
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "deliver.h"
#include "ipc.h"
#include "lineio.h"
#include "msg.h"
#include "queue.h"
#include "util.h"

/* deliver_put - append one "name=value" line, the value encoded */
static void
deliver_put(struct buf *out, const char *name, const char *value)
{
	buf_puts(out, name);
	buf_putc(out, '=');
	queue_encode(out, value);
	buf_putc(out, '\n');
}

/* deliver_put_opt - deliver_put, when there is a value */
static void
deliver_put_opt(struct buf *out, const char *name, const char *value)
{
	if (value != NULL)
		deliver_put(out, name, value);
}

/* deliver_name - name, or "name.i" for recipient i > 0, in buf */
static const char *
deliver_name(char *buf, size_t size, const char *name, int i)
{
	if (i == 0)
		return name;
	snprintf(buf, size, "%s.%d", name, i);
	return buf;
}

/* deliver_put_rcpt - recipient i's lines */
static void
deliver_put_rcpt(struct buf *out, int i, const struct deliver_rcpt *rc)
{
	char name[64];

	deliver_put(out, deliver_name(name, sizeof(name), DELIVER_RECIPIENT,
	    i), rc->addr);
	deliver_put(out, deliver_name(name, sizeof(name), DELIVER_ORIG_RCPT,
	    i), rc->orig ? rc->orig : rc->addr);
	deliver_put_opt(out, deliver_name(name, sizeof(name), DELIVER_NOTIFY,
	    i), rc->notify);
	deliver_put_opt(out, deliver_name(name, sizeof(name), DELIVER_ORCPT,
	    i), rc->orcpt);
}

/* deliver_request_format - append a request's lines and empty line */
void
deliver_request_format(const struct deliver_request *r, struct buf *out)
{
	struct deliver_rcpt first;
	int i;

	deliver_put(out, DELIVER_QUEUE_ID, r->queue_id);
	if (r->path != NULL)
		deliver_put(out, DELIVER_PATH, r->path);
	buf_appendf(out, DELIVER_OFFSET "=%lld\n" DELIVER_SIZE "=%lld\n",
	    (long long)r->offset, (long long)r->size);
	deliver_put(out, DELIVER_SENDER, r->sender ? r->sender : "");
	first.addr = r->recipient;
	first.orig = r->orig_recipient;
	first.notify = r->notify;
	first.orcpt = r->orcpt;
	deliver_put_rcpt(out, 0, &first);
	if (r->command != NULL)
		deliver_put(out, DELIVER_COMMAND, r->command);
	else if (r->file != NULL)
		deliver_put(out, DELIVER_FILE, r->file);
	deliver_put_opt(out, DELIVER_NEXTHOP, r->nexthop);
	deliver_put_opt(out, DELIVER_ENVID, r->envid);
	deliver_put_opt(out, DELIVER_RET, r->ret);
	deliver_put_opt(out, DELIVER_BODY, r->body);
	if (r->smtputf8)
		deliver_put(out, DELIVER_SMTPUTF8, "1");
	deliver_put_opt(out, DELIVER_FOLDER, r->folder);
	if (r->forwarded)
		deliver_put(out, DELIVER_FORWARDED, "1");
	if (r->nrcpt > 1) {
		buf_appendf(out, DELIVER_RCPT_COUNT "=%d\n", r->nrcpt);
		for (i = 1; i < r->nrcpt; i++)
			deliver_put_rcpt(out, i, &r->more[i - 1]);
	}
	buf_putc(out, '\n');
}

/* deliver_get_i - field name of recipient i, or NULL */
static const char *
deliver_get_i(const struct attr *a, const char *name, int i)
{
	char buf[64];

	return attr_get(a, deliver_name(buf, sizeof(buf), name, i));
}

/* deliver_request_rcpt - recipient i of a request read */
void
deliver_request_rcpt(const struct attr *a, const struct deliver_request *r,
    int i, struct deliver_rcpt *rc)
{
	if (i == 0) {
		rc->addr = r->recipient;
		rc->orig = r->orig_recipient;
		rc->notify = r->notify;
		rc->orcpt = r->orcpt;
		return;
	}
	rc->addr = deliver_get_i(a, DELIVER_RECIPIENT, i);
	rc->orig = deliver_get_i(a, DELIVER_ORIG_RCPT, i);
	if (rc->orig == NULL)
		rc->orig = rc->addr;
	rc->notify = deliver_get_i(a, DELIVER_NOTIFY, i);
	rc->orcpt = deliver_get_i(a, DELIVER_ORCPT, i);
}

/* deliver_rcpts_ok - are recipients 1..n-1 there and not empty? */
static int
deliver_rcpts_ok(const struct attr *a, int n)
{
	const char *v;
	int i;

	for (i = 1; i < n; i++)
		if ((v = deliver_get_i(a, DELIVER_RECIPIENT, i)) == NULL ||
		    *v == '\0')
			return 0;
	return 1;
}

/*
 * deliver_request_get - a request from a list read off the wire: 0, or -1
 * with why.  sender defaults to "" and orig_recipient to the recipient.
 */
int
deliver_request_get(const struct attr *a, struct deliver_request *r,
    struct buf *why)
{
	long long offset, size, nrcpt;
	const char *v;

	memset(r, 0, sizeof(*r));
	if (a->count == 0) {
		buf_set(why, "empty request");
		return -1;
	}
	r->queue_id = attr_get(a, DELIVER_QUEUE_ID);
	r->path = attr_get(a, DELIVER_PATH);
	r->sender = attr_get(a, DELIVER_SENDER);
	r->recipient = attr_get(a, DELIVER_RECIPIENT);
	r->orig_recipient = attr_get(a, DELIVER_ORIG_RCPT);
	r->command = attr_get(a, DELIVER_COMMAND);
	r->file = attr_get(a, DELIVER_FILE);
	r->nexthop = attr_get(a, DELIVER_NEXTHOP);
	r->envid = attr_get(a, DELIVER_ENVID);
	r->ret = attr_get(a, DELIVER_RET);
	r->body = attr_get(a, DELIVER_BODY);
	r->smtputf8 = (v = attr_get(a, DELIVER_SMTPUTF8)) != NULL &&
	    strcmp(v, "1") == 0;
	r->folder = attr_get(a, DELIVER_FOLDER);
	r->forwarded = (v = attr_get(a, DELIVER_FORWARDED)) != NULL &&
	    strcmp(v, "1") == 0;
	r->notify = attr_get(a, DELIVER_NOTIFY);
	r->orcpt = attr_get(a, DELIVER_ORCPT);
	offset = attr_get_num(a, DELIVER_OFFSET, -1);
	size = attr_get_num(a, DELIVER_SIZE, -1);
	nrcpt = attr_get(a, DELIVER_RCPT_COUNT) == NULL ? 1 :
	    attr_get_num(a, DELIVER_RCPT_COUNT, -1);
	if (a->dups > 0)
		buf_set(why, "malformed delivery request: a field given twice");
	else if (r->queue_id == NULL || !queue_id_ok(r->queue_id))
		buf_set(why, "malformed delivery request: bad queue_id");
	else if (r->recipient == NULL || *r->recipient == '\0')
		buf_set(why, "malformed delivery request: no recipient");
	else if (offset < 0 || size < 0 || offset > LLONG_MAX - size)
		buf_set(why, "malformed delivery request: bad offset or size");
	else if (r->command != NULL && r->file != NULL)
		buf_set(why, "malformed delivery request: both command and "
		    "file");
	else if (nrcpt < 1 || nrcpt > DELIVER_RCPT_MAX)
		buf_set(why, "malformed delivery request: bad rcpt_count");
	else if (nrcpt > 1 && (r->command != NULL || r->file != NULL))
		buf_set(why, "malformed delivery request: a command or file "
		    "with more than one recipient");
	else if (!deliver_rcpts_ok(a, (int)nrcpt))
		buf_set(why, "malformed delivery request: a recipient of "
		    "rcpt_count missing");
	else {
		r->nrcpt = (int)nrcpt;
		r->offset = (off_t)offset;
		r->size = (off_t)size;
		if (r->sender == NULL)
			r->sender = "";
		if (r->orig_recipient == NULL)
			r->orig_recipient = r->recipient;
		return 0;
	}
	return -1;
}

/* deliver_reply_vadd - recipient i's status, dsn and reason */
static void
deliver_reply_vadd(struct attr *reply, int i, int status, const char *dsn,
    const char *fmt, va_list ap)
{
	struct buf *b = buf_new(128, 2048);
	char num[16], name[64];

	buf_vappendf(b, fmt, ap);
	snprintf(num, sizeof(num), "%d", status);
	attr_set(reply, deliver_name(name, sizeof(name), DELIVER_STATUS, i),
	    num);
	attr_set(reply, deliver_name(name, sizeof(name), DELIVER_DSN, i), dsn);
	attr_set(reply, deliver_name(name, sizeof(name), DELIVER_REASON, i),
	    buf_str(b));
	buf_free(&b);
}

/* deliver_reply_set - fill a reply list: status, dsn, reason */
void
deliver_reply_set(struct attr *reply, int status, const char *dsn,
    const char *fmt, ...)
{
	va_list ap;

	attr_clear(reply);
	va_start(ap, fmt);
	deliver_reply_vadd(reply, 0, status, dsn, fmt, ap);
	va_end(ap);
}

/* deliver_reply_add - add recipient i's outcome to a reply */
void
deliver_reply_add(struct attr *reply, int i, int status, const char *dsn,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	deliver_reply_vadd(reply, i, status, dsn, fmt, ap);
	va_end(ap);
}

/*
 * deliver_reply_get - a reply from a list read off the wire: 0, or -1
 * when its status is missing or other than 0, 4 and 5.  dsn and reason
 * default to "".
 */
int
deliver_reply_get(const struct attr *a, struct deliver_reply *r)
{
	return deliver_reply_get_rcpt(a, 0, r);
}

/* deliver_reply_get_rcpt - recipient i's outcome in a reply: 0 or -1 */
int
deliver_reply_get_rcpt(const struct attr *a, int i, struct deliver_reply *r)
{
	char name[64];
	long long status;
	const char *v;

	status = attr_get_num(a, deliver_name(name, sizeof(name),
	    DELIVER_STATUS, i), -1);
	r->status = status == 0 || status == 4 || status == 5 ? (int)status :
	    -1;
	r->dsn = (v = deliver_get_i(a, DELIVER_DSN, i)) != NULL ? v : "";
	r->reason = (v = deliver_get_i(a, DELIVER_REASON, i)) != NULL ? v : "";
	return r->status < 0 ? -1 : 0;
}

/* deliver_request_end - say why a connection's requests ended, if odd */
void
deliver_request_end(int r)
{
	/* qmgr going away (a restart) is not worth a word. */
	if (r != LINE_OK && r != LINE_EOF && (r != LINE_ERROR ||
	    (errno != ECONNRESET && errno != EPIPE)))
		msg_warn("read request from qmgr: %s", r == LINE_TIMEOUT ?
		    "timeout" : r == LINE_TOOLONG ? "line too long" :
		    "malformed request or broken connection");
}

/*
 * deliver_looped - does the header already hold "Delivered-To:
 * recipient"?  Then this delivery would go round forever (local, and
 * pipe's flag D).
 */
int
deliver_looped(int fd, off_t offset, off_t size, const char *rcpt)
{
	char *hdr, *line, *next, *v;
	size_t want, rlen = strlen(rcpt);
	ssize_t n;
	int found = 0;

	want = size < DELIVER_HEADER_MAX ? (size_t)size : DELIVER_HEADER_MAX;
	hdr = xmalloc(want + 1);
	do
		n = pread(fd, hdr, want, offset);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		free(hdr);
		return 0;
	}
	hdr[n] = '\0';
	for (line = hdr; line != NULL && *line != '\n' && *line; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else if (n == (ssize_t)want && want < (size_t)size)
			break;		/* cut off: not a whole line */
		if (strncasecmp(line, "Delivered-To:", 13) != 0)
			continue;
		v = trim(line + 13);
		if (strlen(v) == rlen && strcasecmp(v, rcpt) == 0) {
			found = 1;
			break;
		}
	}
	free(hdr);
	return found;
}
