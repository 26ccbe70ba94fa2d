/*
 * qmgr_bounce - delivery status notifications (RFC 3464, RFC 3461).
 *
 * A message's failed recipients are reported in one new queue file with
 * the null sender: a multipart/report with a text part for people, a
 * message/delivery-status part for programs, and the returned message's
 * header as text/rfc822-headers (the whole message as message/rfc822 when
 * the sender asked RET=FULL and it is at most bounce_size_limit bytes).
 * The report is committed (fsync'd) before the caller marks the failed
 * recipients done, so a crash between the two can only send it twice,
 * never lose it.
 *
 * The same report, with Action: delayed, delivered or relayed, is the
 * delay warning (delay_warning_time; once per recipient, qmgr_file.c
 * says which are due) and the success notice.  A recipient
 * is reported as its DSN NOTIFY (N record) asks: NEVER, none; a failure
 * when it has FAILURE or no NOTIFY at all; a delay when it has DELAY or no
 * NOTIFY; a success only when it has SUCCESS and the delivery agent was
 * the last to see it (local: delivered; an smtp peer without DSN:
 * relayed).  ENVID and ORCPT come back as Original-Envelope-Id and
 * Original-Recipient.  Only failures are ever reported about a message
 * with the null sender (to postmaster, below).
 *
 * Bounces never loop.  A report gets the attribute bounce_level=1; when a
 * message with the null sender fails (a report, or a notification from
 * elsewhere), the report goes to postmaster with bounce_level=2; and a
 * failing bounce_level=2 message is logged and dropped.
 *
 * Everything copied from the failed message into the report's header
 * lines (addresses, reasons) is made printable first, so it cannot add
 * header lines of its own.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "util.h"
#include "qmgr.h"

#define BOUNCE_HEADER_MAX	(64 * 1024)	/* returned header bytes */
#define BOUNCE_REASON_MAX	900		/* fits a header line */

/* bounce_text - s made printable and bounded, appended to b */
static void
bounce_text(struct buf *b, const char *s, size_t max)
{
	size_t n;

	for (n = 0; s[n] && n < max; n++)
		buf_putc(b, ((unsigned char)s[n] < 32 || s[n] == 127) ? '?' :
		    s[n]);
	if (s[n])
		buf_puts(b, "...");
}

/* bounce_reply_code - an SMTP reply code that goes with a status */
static const char *
bounce_reply_code(const char *dsn)
{
	if (strcmp(dsn + 1, ".2.2") == 0 || strcmp(dsn + 1, ".3.4") == 0)
		return "552";
	if (strncmp(dsn + 1, ".4.", 3) == 0 || strncmp(dsn + 1, ".3.", 3) == 0)
		return "554";
	return "550";
}

/* bounce_orig - the original recipient to report for a job, or NULL */
static const char *
bounce_orig(const struct qmgr_message *m, const struct qmgr_job *j)
{
	const struct queue_rcpt *r = &m->q.rcpt[j->rcpt];

	if (r->orig != NULL)
		return r->orig;
	if (strcasecmp(r->addr, j->addr) != 0)
		return r->addr;
	return NULL;
}

/* bounce_header - the returned message's header (up to its empty line) */
static void
bounce_header(const struct qmgr_message *m, struct buf *out)
{
	size_t want;
	ssize_t n;
	char *h, *end;

	want = m->q.size < BOUNCE_HEADER_MAX ? (size_t)m->q.size :
	    BOUNCE_HEADER_MAX;
	h = xmalloc(want + 1);
	do
		n = pread(m->fd, h, want, m->q.data_offset);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		msg_warn("%s: read header for the bounce: %m", m->id);
		n = 0;
	}
	h[n] = '\0';
	if (n > 0 && h[0] == '\n')
		end = h;
	else if ((end = strstr(h, "\n\n")) != NULL)
		end++;
	else if ((end = strrchr(h, '\n')) != NULL)
		end++;		/* no body, or cut at our limit */
	else
		end = h;
	buf_append(out, h, (size_t)(end - h));
	free(h);
}

/* bounce_part - the boundary before a part of the report, its header */
static void
bounce_part(struct buf *b, const struct buf *boundary, const char *desc,
    const char *type)
{
	buf_appendf(b, "--%s\nContent-Description: %s\nContent-Type: %s\n\n",
	    buf_str(boundary), desc, type);
}

/* bounce_notify_has - does a NOTIFY list hold word? */
static int
bounce_notify_has(const char *notify, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = notify; (p = strcasestr(p, word)) != NULL; p += len)
		if ((p == notify || p[-1] == ',') && (p[len] == '\0' ||
		    p[len] == ','))
			return 1;
	return 0;
}

/* bounce_wanted - is j to be in a report of kind (JOB_BOUNCE ...)? */
static int
bounce_wanted(const struct qmgr_message *m, const struct qmgr_job *j,
    int kind)
{
	const char *notify = m->q.rcpt[j->rcpt].notify;

	if (j->state != kind)
		return 0;
	switch (kind) {
	case JOB_BOUNCE:
		return notify == NULL || bounce_notify_has(notify, "FAILURE");
	case JOB_DEFER:
		return j->warn && (notify == NULL ||
		    bounce_notify_has(notify, "DELAY"));
	case JOB_SENT:
		return notify != NULL && bounce_notify_has(notify, "SUCCESS") &&
		    j->notice != NOTICE_NONE;
	}
	return 0;
}

/* bounce_next - from job *i on, the next one to report (NULL: no more) */
static const struct qmgr_job *
bounce_next(const struct qmgr_message *m, int *i, int kind)
{
	while (*i < m->njobs)
		if (bounce_wanted(m, m->jobs[(*i)++], kind))
			return m->jobs[*i - 1];
	return NULL;
}

/* bounce_body - the whole returned message (RET=FULL) */
static void
bounce_body(const struct qmgr_message *m, struct buf *out)
{
	size_t want = (size_t)m->q.size, done = 0;
	ssize_t n;
	char *h = xmalloc(want + 1);

	while (done < want) {
		n = pread(m->fd, h + done, want - done, m->q.data_offset +
		    (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			msg_warn("%s: read message for the bounce: %m", m->id);
			break;
		}
		done += (size_t)n;
	}
	buf_append(out, h, done);
	if (done > 0 && h[done - 1] != '\n')
		buf_putc(out, '\n');
	free(h);
}

/* bounce_returned - the returned part: the header, or all (RET=FULL) */
static void
bounce_returned(const struct qmgr_message *m, int kind,
    const struct buf *boundary, struct buf *b)
{
	const char *ret = queue_msg_attr(&m->q, "ret");

	if (kind == JOB_BOUNCE && ret != NULL && strcasecmp(ret, "FULL") == 0 &&
	    m->q.size <= var_bounce_size_limit) {
		bounce_part(b, boundary, "Undelivered Message",
		    "message/rfc822");
		bounce_body(m, b);
		return;
	}
	bounce_part(b, boundary, kind == JOB_BOUNCE ? "Undelivered Message "
	    "Headers" : "Message Headers", "text/rfc822-headers");
	bounce_header(m, b);
}

/* The words of each kind of report. */
struct bounce_kind {
	int		 kind;
	const char	*subject;
	const char	*text;	/* for people, before the recipients */
	const char	*log;	/* "sender ... notification" */
};

static const struct bounce_kind bounce_kinds[] = {
	{ JOB_BOUNCE, "Undelivered Mail Returned to Sender",
	    "Your message could not be delivered to one or more of its\n"
	    "recipients; the reasons follow.  The header of your message is\n"
	    "attached at the end of this report.\n\n", "non-delivery" },
	{ JOB_DEFER, "Delayed Mail (still being retried)",
	    "Your message could not be delivered yet to one or more of its\n"
	    "recipients; it is still being retried, and you will be told if\n"
	    "it cannot be delivered in the end.  The reasons follow.\n\n",
	    "delay" },
	{ JOB_SENT, "Successful Mail Delivery Report",
	    "Your message was delivered to the recipients below, as you\n"
	    "asked to be told (or handed on to a system that cannot tell).\n\n",
	    "delivery status" },
};

/* bounce_kind_of - the words of a kind */
static const struct bounce_kind *
bounce_kind_of(int kind)
{
	return kind == JOB_DEFER ? &bounce_kinds[1] : kind == JOB_SENT ?
	    &bounce_kinds[2] : &bounce_kinds[0];
}

/* bounce_action - the Action: of a reported job */
static const char *
bounce_action(const struct qmgr_job *j)
{
	if (j->state == JOB_DEFER)
		return "delayed";
	if (j->state == JOB_SENT)
		return j->notice == NOTICE_RELAYED ? "relayed" : "delivered";
	return "failed";
}

/* bounce_recipient - a recipient's fields in the delivery-status part */
static void
bounce_recipient(const struct qmgr_message *m, const struct qmgr_job *j,
    struct buf *b)
{
	const char *orig, *orcpt = m->q.rcpt[j->rcpt].orcpt;

	buf_puts(b, "\nFinal-Recipient: rfc822; ");
	bounce_text(b, j->addr, 512);
	if (orcpt != NULL && strchr(orcpt, ';') != NULL) {
		buf_puts(b, "\nOriginal-Recipient: ");
		bounce_text(b, orcpt, 512);
	} else if ((orig = bounce_orig(m, j)) != NULL) {
		buf_puts(b, "\nOriginal-Recipient: rfc822; ");
		bounce_text(b, orig, 512);
	}
	buf_appendf(b, "\nAction: %s\n", bounce_action(j));
	buf_appendf(b, "Status: %s\n", j->dsn);
	if (j->relay != NULL && strchr(j->relay, '[') != NULL) {
		buf_puts(b, "Remote-MTA: dns; ");
		bounce_text(b, j->relay, 256);
		buf_putc(b, '\n');
	}
	buf_appendf(b, "Diagnostic-Code: smtp; %s %s ", j->state == JOB_SENT ?
	    "250" : j->state == JOB_DEFER ? "450" : bounce_reply_code(j->dsn),
	    j->dsn);
	bounce_text(b, j->reason ? j->reason : "", BOUNCE_REASON_MAX);
	buf_puts(b, "\n");
}

/* bounce_compose - the whole report of a kind, as message bytes */
static void
bounce_compose(const struct qmgr_message *m, const char *to, int level,
    const char *newid, int kind, struct buf *b)
{
	const struct bounce_kind *k = bounce_kind_of(kind);
	const char *host = qmgr_hostname(), *orig, *envid;
	struct buf *boundary = buf_new(128, 0);
	const struct qmgr_job *j;
	char date[64];
	time_t now = time(NULL);
	int i;

	buf_setf(boundary, "%s.%lld/%s", newid, (long long)now, host);
	buf_appendf(b, "From: MAILER-DAEMON@%s (Mail Delivery System)\n", host);
	buf_puts(b, "To: ");
	bounce_text(b, to, 512);
	buf_appendf(b, "\nSubject: %s\n", k->subject);
	buf_appendf(b, "Date: %s\n", rfc2822_date(now, date, sizeof(date)));
	buf_appendf(b, "Message-ID: <%s.bounce@%s>\n", newid, host);
	buf_puts(b, "Auto-Submitted: auto-replied\n");
	buf_puts(b, "MIME-Version: 1.0\n");
	buf_appendf(b, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"%s\"\n",
	    buf_str(boundary));
	buf_puts(b, "Content-Transfer-Encoding: 8bit\n\n");
	buf_puts(b, "This is a MIME-encapsulated message.\n\n");

	/* For people. */
	bounce_part(b, boundary, "Notification", "text/plain; charset=utf-8");
	buf_appendf(b, "This is the mail system at host %s.\n\n", host);
	if (level >= 2)
		buf_puts(b, "A message with an empty sender address (most "
		    "likely a delivery\nreport) could not be delivered to one "
		    "or more of its recipients.\nAs nobody else can be told, "
		    "this copy goes to the postmaster.\n\n");
	else
		buf_puts(b, k->text);
	buf_appendf(b, "For help, write to postmaster@%s and include this "
	    "report.\n\n", host);
	for (i = 0; (j = bounce_next(m, &i, kind)) != NULL; ) {
		buf_putc(b, '<');
		bounce_text(b, j->addr, 512);
		buf_putc(b, '>');
		if ((orig = bounce_orig(m, j)) != NULL) {
			buf_puts(b, " (expanded from <");
			bounce_text(b, orig, 512);
			buf_puts(b, ">)");
		}
		buf_puts(b, ": ");
		bounce_text(b, j->reason ? j->reason : "", BOUNCE_REASON_MAX);
		buf_puts(b, "\n");
	}
	buf_puts(b, "\n");

	/* For programs. */
	bounce_part(b, boundary, "Delivery report", "message/delivery-status");
	buf_appendf(b, "Reporting-MTA: dns; %s\n", host);
	if ((envid = queue_msg_attr(&m->q, "envid")) != NULL && *envid) {
		buf_puts(b, "Original-Envelope-Id: ");
		bounce_text(b, envid, 100);
		buf_putc(b, '\n');
	}
	buf_appendf(b, "X-Cartero-Queue-ID: %s\n", m->id);
	buf_puts(b, "X-Cartero-Sender: rfc822; ");
	bounce_text(b, m->q.sender, 512);
	buf_appendf(b, "\nArrival-Date: %s\n", rfc2822_date(m->q.arrival,
	    date, sizeof(date)));
	for (i = 0; (j = bounce_next(m, &i, kind)) != NULL; )
		bounce_recipient(m, j, b);
	buf_puts(b, "\n");

	/* The returned header, or message. */
	bounce_returned(m, kind, boundary, b);
	buf_appendf(b, "\n--%s--\n", buf_str(boundary));
	buf_free(&boundary);
}

/*
 * qmgr_bounce_notice - report m's jobs of a kind (JOB_BOUNCE: failed,
 * JOB_DEFER: delayed, JOB_SENT: delivered) that NOTIFY wants reported.
 * 0 when the report is in the queue (or rightly not made), -1 with why
 * when it could not be written.
 */
int
qmgr_bounce_notice(struct qmgr_message *m, int kind, struct buf *why)
{
	struct queue_writer *w;
	struct buf *body;
	const char *v, *to;
	char newid[QUEUE_ID_MAX];
	int level = 0, newlevel, i = 0;

	if (bounce_next(m, &i, kind) == NULL)
		return 0;
	if ((v = queue_msg_attr(&m->q, "bounce_level")) != NULL)
		level = atoi(v);
	if (*m->q.sender == '\0') {
		if (kind != JOB_BOUNCE)
			return 0;	/* never a notice to the null sender */
		if (level >= 2) {
			msg_info("%s: undeliverable postmaster notification "
			    "discarded", m->id);
			return 0;
		}
		to = "postmaster";
		newlevel = 2;
	} else {
		to = m->q.sender;
		newlevel = 1;
	}
	if ((w = queue_create(var_queue_directory, QUEUE_INCOMING,
	    why)) == NULL)
		return -1;
	snprintf(newid, sizeof(newid), "%s", queue_writer_id(w));
	body = buf_new(4096, 0);
	bounce_compose(m, to, newlevel, newid, kind, body);
	if (queue_rec(w, 'F', "") < 0 ||
	    queue_recf(w, 'A', "bounce_level=%d", newlevel) < 0 ||
	    queue_rec(w, 'R', to) < 0 ||
	    queue_data(w, buf_str(body), buf_len(body)) < 0) {
		buf_setf(why, "write bounce %s: %s", newid, strerror(errno));
		queue_abort(&w);
		buf_free(&body);
		return -1;
	}
	buf_free(&body);
	if (queue_commit(w, why) < 0)
		return -1;
	msg_info("%s: sender %s notification: %s", m->id,
	    bounce_kind_of(kind)->log, newid);
	qmgr_queue_add(newid, QUEUE_INCOMING);
	return 0;
}

/* qmgr_bounce - report m's failed recipients (see qmgr_bounce_notice) */
int
qmgr_bounce(struct qmgr_message *m, struct buf *why)
{
	return qmgr_bounce_notice(m, JOB_BOUNCE, why);
}
