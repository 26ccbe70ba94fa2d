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
 * missing, negative or whose sum overflows, and a request that names both
 * a command and a file.  The strings it returns point into the list: no
 * copies.  Lines over DELIVER_REQUEST_MAX are the line reader's to refuse.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "deliver.h"
#include "ipc.h"
#include "queue.h"

/* deliver_put - append one "name=value" line, the value encoded */
static void
deliver_put(struct buf *out, const char *name, const char *value)
{
	buf_puts(out, name);
	buf_putc(out, '=');
	queue_encode(out, value);
	buf_putc(out, '\n');
}

/* deliver_request_format - append a request's lines and empty line */
void
deliver_request_format(const struct deliver_request *r, struct buf *out)
{
	deliver_put(out, DELIVER_QUEUE_ID, r->queue_id);
	if (r->path != NULL)
		deliver_put(out, DELIVER_PATH, r->path);
	buf_appendf(out, DELIVER_OFFSET "=%lld\n" DELIVER_SIZE "=%lld\n",
	    (long long)r->offset, (long long)r->size);
	deliver_put(out, DELIVER_SENDER, r->sender ? r->sender : "");
	deliver_put(out, DELIVER_RECIPIENT, r->recipient);
	deliver_put(out, DELIVER_ORIG_RCPT, r->orig_recipient ?
	    r->orig_recipient : r->recipient);
	if (r->command != NULL)
		deliver_put(out, DELIVER_COMMAND, r->command);
	else if (r->file != NULL)
		deliver_put(out, DELIVER_FILE, r->file);
	buf_putc(out, '\n');
}

/*
 * deliver_request_get - a request from a list read off the wire: 0, or -1
 * with why.  sender defaults to "" and orig_recipient to the recipient.
 */
int
deliver_request_get(const struct attr *a, struct deliver_request *r,
    struct buf *why)
{
	long long offset, size;

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
	offset = attr_get_num(a, DELIVER_OFFSET, -1);
	size = attr_get_num(a, DELIVER_SIZE, -1);
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
	else {
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

/* deliver_reply_set - fill a reply list: status, dsn, reason */
void
deliver_reply_set(struct attr *reply, int status, const char *dsn,
    const char *fmt, ...)
{
	struct buf *b = buf_new(128, 2048);
	char num[16];
	va_list ap;

	va_start(ap, fmt);
	buf_vappendf(b, fmt, ap);
	va_end(ap);
	snprintf(num, sizeof(num), "%d", status);
	attr_clear(reply);
	attr_set(reply, DELIVER_STATUS, num);
	attr_set(reply, DELIVER_DSN, dsn);
	attr_set(reply, DELIVER_REASON, buf_str(b));
	buf_free(&b);
}

/*
 * deliver_reply_get - a reply from a list read off the wire: 0, or -1
 * when its status is missing or other than 0, 4 and 5.  dsn and reason
 * default to "".
 */
int
deliver_reply_get(const struct attr *a, struct deliver_reply *r)
{
	long long status = attr_get_num(a, DELIVER_STATUS, -1);
	const char *v;

	r->status = status == 0 || status == 4 || status == 5 ? (int)status :
	    -1;
	r->dsn = (v = attr_get(a, DELIVER_DSN)) != NULL ? v : "";
	r->reason = (v = attr_get(a, DELIVER_REASON)) != NULL ? v : "";
	return r->status < 0 ? -1 : 0;
}
