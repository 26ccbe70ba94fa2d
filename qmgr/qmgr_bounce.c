/*
 * qmgr_bounce - non-delivery reports (RFC 3464).
 *
 * A message's failed recipients are reported in one new queue file with
 * the null sender: a multipart/report with a text part for people, a
 * message/delivery-status part for programs, and the returned message's
 * header as text/rfc822-headers.  The report is committed (fsync'd) before
 * the caller marks the failed recipients done, so a crash between the two
 * can only send it twice, never lose it.
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

/* bounce_next - from job *i on, the next one to report (NULL: no more) */
static const struct qmgr_job *
bounce_next(const struct qmgr_message *m, int *i)
{
	while (*i < m->njobs)
		if (m->jobs[(*i)++]->state == JOB_BOUNCE)
			return m->jobs[*i - 1];
	return NULL;
}

/* bounce_compose - the whole report, as message bytes */
static void
bounce_compose(const struct qmgr_message *m, const char *to, int level,
    const char *newid, struct buf *b)
{
	const char *host = qmgr_hostname(), *orig;
	struct buf *boundary = buf_new(128, 0);
	const struct qmgr_job *j;
	char date[64];
	time_t now = time(NULL);
	int i;

	buf_setf(boundary, "%s.%lld/%s", newid, (long long)now, host);
	buf_appendf(b, "From: MAILER-DAEMON@%s (Mail Delivery System)\n", host);
	buf_puts(b, "To: ");
	bounce_text(b, to, 512);
	buf_puts(b, "\nSubject: Undelivered Mail Returned to Sender\n");
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
		buf_puts(b, "Your message could not be delivered to one or "
		    "more of its\nrecipients; the reasons follow.  The header "
		    "of your message is\nattached at the end of this "
		    "report.\n\n");
	buf_appendf(b, "For help, write to postmaster@%s and include this "
	    "report.\n\n", host);
	for (i = 0; (j = bounce_next(m, &i)) != NULL; ) {
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
	buf_appendf(b, "X-Cartero-Queue-ID: %s\n", m->id);
	buf_puts(b, "X-Cartero-Sender: rfc822; ");
	bounce_text(b, m->q.sender, 512);
	buf_appendf(b, "\nArrival-Date: %s\n", rfc2822_date(m->q.arrival,
	    date, sizeof(date)));
	for (i = 0; (j = bounce_next(m, &i)) != NULL; ) {
		buf_puts(b, "\nFinal-Recipient: rfc822; ");
		bounce_text(b, j->addr, 512);
		if ((orig = bounce_orig(m, j)) != NULL) {
			buf_puts(b, "\nOriginal-Recipient: rfc822; ");
			bounce_text(b, orig, 512);
		}
		buf_puts(b, "\nAction: failed\n");
		buf_appendf(b, "Status: %s\n", j->dsn);
		buf_appendf(b, "Diagnostic-Code: smtp; %s %s ",
		    bounce_reply_code(j->dsn), j->dsn);
		bounce_text(b, j->reason ? j->reason : "", BOUNCE_REASON_MAX);
		buf_puts(b, "\n");
	}
	buf_puts(b, "\n");

	/* The returned header. */
	bounce_part(b, boundary, "Undelivered Message Headers",
	    "text/rfc822-headers");
	bounce_header(m, b);
	buf_appendf(b, "\n--%s--\n", buf_str(boundary));
	buf_free(&boundary);
}

/*
 * qmgr_bounce - report m's JOB_BOUNCE jobs.  0 when the report is in the
 * queue (or rightly dropped), -1 with why when it could not be written.
 */
int
qmgr_bounce(struct qmgr_message *m, struct buf *why)
{
	struct queue_writer *w;
	struct buf *body;
	const char *v, *to;
	char newid[QUEUE_ID_MAX];
	int level = 0, newlevel;

	if ((v = queue_msg_attr(&m->q, "bounce_level")) != NULL)
		level = atoi(v);
	if (*m->q.sender == '\0') {
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
	bounce_compose(m, to, newlevel, newid, body);
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
	msg_info("%s: sender non-delivery notification: %s", m->id, newid);
	qmgr_queue_add(newid, QUEUE_INCOMING);
	return 0;
}
