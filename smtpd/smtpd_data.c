/*
 * smtpd_data - DATA: the message goes straight into a queue file in
 * incoming/, with a Received: header first and, for clients in mynetworks,
 * Message-ID: and Date: at the end of the header section when the message
 * has none.  The reply 250 comes only after queue_commit() has fsync'd the
 * file and its directory (the design's no-loss rule); any failure on the
 * way leaves nothing in the queue and gets a 4xx reply.
 *
 * A client outside mynetworks that sends anything after DATA before our
 * 354 (the message pipelined past DATA: an early talker, a bot that does
 * not listen) is refused with 554 5.5.0 and disconnected; nothing is
 * queued (smtpd_forbid_unauth_pipelining).
 *
 * The end of the message (RFC 5321 4.1.1.4) is "." alone on a line that
 * ends in CRLF, right after a line that ended in CRLF.  A bare LF or CR
 * never helps end it: "\n.\n", "\r.\r\n", ".\n" after text are content.
 * This is what closes SMTP smuggling: a server that forwards our input
 * (or that we would forward) cannot disagree with us on where a message
 * ends.  There is no exception for hand-typed sessions: telnet sends CRLF,
 * and with nc the message is ended with "nc -C" or by typing CR LF.
 *
 * An Authentication-Results field that claims our authserv_id, in mail
 * from a client outside mynetworks, is held back as it comes in (with
 * its folded lines, up to SMTPD_AUTHRES_MAX bytes) and dropped: only we
 * may write results under our name (RFC 8601 5).
 *
 * Lines inside the message that end in a bare LF are kept as lines
 * (smtpd_forbid_bare_newline = normalize) or make us refuse the message
 * with 550 5.5.2 once it has been read to its end (= reject).  Lines of
 * any length are read in chunks; message_size_limit is counted as the
 * bytes arrive, and past it the rest is read and thrown away before the
 * 552 5.3.4 reply.  Lines starting with "." lose that dot (RFC 5321
 * 4.5.2); the queue file holds LF line ends.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "authres.h"
#include "buf.h"
#include "lineio.h"
#include "milter.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "tls.h"
#include "util.h"
#include "smtpd.h"

#define SMTPD_MSGID_MAX	256	/* Message-ID kept for the log */
#define SMTPD_AUTHRES_MAX 65536	/* a held Authentication-Results field */
#define SMTPD_MILTER_SLACK 65536	/* our headers, besides the message */

enum { SMTPD_HDR_FIRST, SMTPD_HDR_IN, SMTPD_HDR_BODY };

struct smtpd_msg {
	struct queue_writer *qw;	/* NULL once we gave up on the file */
	char		 id[QUEUE_ID_MAX];
	long long	 size;		/* client bytes, LF line ends */
	int		 too_big;
	int		 bare_lf;	/* some line ended in a bare LF */
	int		 write_err;	/* errno of a failed queue write */
	int		 hdr;		/* SMTPD_HDR_* */
	int		 add_headers;	/* may add Message-ID: and Date: */
	int		 saw_msgid;
	int		 saw_date;
	struct buf	*msgid;		/* the Message-ID: value, for the log */
	int		 at_bol;	/* the next piece starts a line */
	int		 check_authres;	/* drop results claiming to be ours */
	struct buf	*held;		/* an Authentication-Results field */
	struct smtpd_eom *eom;		/* its signature or its checks */
	off_t		 received_len;	/* our Received: header's bytes */
	struct buf	*copy;		/* the whole message, for milters */
};

static int smtpd_bare_reject;	/* smtpd_forbid_bare_newline = reject */

static void smtpd_data_log_client(struct smtpd_state *,
		    const struct smtpd_msg *);

/* smtpd_data_init - check smtpd_forbid_bare_newline */
void
smtpd_data_init(void)
{
	if (strcasecmp(var_smtpd_forbid_bare_newline, "normalize") == 0)
		smtpd_bare_reject = 0;
	else if (strcasecmp(var_smtpd_forbid_bare_newline, "reject") == 0)
		smtpd_bare_reject = 1;
	else
		msg_fatal("parameter smtpd_forbid_bare_newline: \"%s\" is "
		    "neither normalize nor reject",
		    var_smtpd_forbid_bare_newline);
}

/* smtpd_data_fail - stop writing the queue file; remember why */
static void
smtpd_data_fail(struct smtpd_msg *m, int err)
{
	if (m->write_err == 0)
		m->write_err = err ? err : EIO;
	queue_abort(&m->qw);
}

/* smtpd_data_put - message bytes into the queue file, while we keep one */
static void
smtpd_data_put(struct smtpd_msg *m, const char *p, size_t n)
{
	if (m->qw != NULL && queue_data(m->qw, p, n) < 0) {
		msg_warn("%s: queue file write error: %m", m->id);
		smtpd_data_fail(m, errno);
	}
	if (m->qw != NULL && m->eom != NULL)
		smtpd_eom_data(m->eom, p, n);
	if (m->qw != NULL && m->copy != NULL)
		buf_append(m->copy, p, n);
}

/* smtpd_data_add_headers - Message-ID: and Date: where they are missing */
static void
smtpd_data_add_headers(struct smtpd_msg *m)
{
	struct buf *h;
	char date[64], stamp[32];
	time_t now;
	struct tm tm;

	if (!m->add_headers || (m->saw_msgid && m->saw_date))
		return;
	h = buf_new(256, 0);
	now = time(NULL);
	if (!m->saw_msgid) {
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
		buf_appendf(h, "Message-ID: <%s.%s@%s>\n", stamp, m->id,
		    smtpd_hostname());
		buf_appendf(m->msgid, "<%s.%s@%s>", stamp, m->id,
		    smtpd_hostname());
	}
	if (!m->saw_date)
		buf_appendf(h, "Date: %s\n",
		    rfc2822_date(now, date, sizeof(date)));
	smtpd_data_put(m, buf_str(h), buf_len(h));
	m->saw_msgid = m->saw_date = 1;
	buf_free(&h);
}

/* smtpd_data_hdr_name - length of a header name before its ':', or 0 */
static size_t
smtpd_data_hdr_name(const char *p, size_t len)
{
	size_t i, name;

	for (i = 0; i < len && p[i] > 32 && p[i] < 127 && p[i] != ':'; i++)
		;
	name = i;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return name > 0 && i < len && p[i] == ':' ? name : 0;
}

/*
 * smtpd_data_release - the end of a held Authentication-Results field:
 * into the file, unless it claims to be ours
 */
static void
smtpd_data_release(struct smtpd_msg *m)
{
	struct buf *pr;

	if (buf_overflowed(m->held) || authres_claims(buf_str(m->held),
	    buf_len(m->held), var_authserv_id)) {
		pr = buf_new(64, 0);
		msg_info("%s: removed an Authentication-Results field that "
		    "claims to be ours: %.100s", m->id,
		    printable(buf_str(m->held), pr));
		buf_free(&pr);
	} else
		smtpd_data_put(m, buf_str(m->held), buf_len(m->held));
	buf_free(&m->held);
}

/*
 * smtpd_data_header - watch the header section as the first chunk of each
 * line goes by: note Message-ID: and Date:, and when the section ends add
 * what is missing before the line that ends it.  A message whose first
 * lines are not headers gets an empty line after ours, so that its text
 * stays body.
 */
static void
smtpd_data_header(struct smtpd_msg *m, const char *p, size_t len,
    int complete)
{
	const char *colon;
	size_t name, v;

	if (m->hdr == SMTPD_HDR_BODY)
		return;
	if (len == 0 && complete) {
		smtpd_data_add_headers(m);
		m->hdr = SMTPD_HDR_BODY;
		return;
	}
	if (m->hdr == SMTPD_HDR_IN && len > 0 && (*p == ' ' || *p == '\t'))
		return;
	if ((name = smtpd_data_hdr_name(p, len)) == 0) {
		smtpd_data_add_headers(m);
		smtpd_data_put(m, "\n", 1);
		m->hdr = SMTPD_HDR_BODY;
		return;
	}
	m->hdr = SMTPD_HDR_IN;
	if (m->check_authres && name == strlen(AUTHRES_NAME) &&
	    strncasecmp(p, AUTHRES_NAME, name) == 0)
		m->held = buf_new(256, SMTPD_AUTHRES_MAX);
	if (name == 4 && strncasecmp(p, "Date", 4) == 0)
		m->saw_date = 1;
	else if (name == 10 && strncasecmp(p, "Message-ID", 10) == 0 &&
	    !m->saw_msgid) {
		m->saw_msgid = 1;
		colon = memchr(p, ':', len);
		v = (size_t)(colon - p) + 1;
		while (v < len && (p[v] == ' ' || p[v] == '\t'))
			v++;
		buf_append(m->msgid, p + v, len - v);
	}
}

/* smtpd_data_received - our Received: header, the message's first line */
static void
smtpd_data_received(struct smtpd_state *s, struct smtpd_msg *m)
{
	struct buf *h = buf_new(512, 0), *pr = buf_new(64, 0);
	char date[64];

	buf_appendf(h, "Received: from %s (%s [%s%s])\n", s->helo, s->name,
	    s->sa.ss_family == AF_INET6 ? "IPv6:" : "", s->addr);
	if (s->tls != NULL)
		buf_appendf(h, "\t(using %s (%d bits))\n", tls_info(s->tls),
		    tls_bits(s->tls));
	buf_appendf(h, "\tby %s (cartero) with %s id %s", smtpd_hostname(),
	    smtpd_protocol(s), m->id);
	rfc2822_date(time(NULL), date, sizeof(date));
	if (s->nrcpt == 1)
		buf_appendf(h, "\n\tfor <%s>; %s\n",
		    printable(s->rcpt[0], pr), date);
	else
		buf_appendf(h, ";\n\t%s\n", date);
	smtpd_data_put(m, buf_str(h), buf_len(h));
	buf_free(&h);
	buf_free(&pr);
}

/* smtpd_data_envelope - the queue file's envelope records */
static int
smtpd_data_envelope(struct smtpd_state *s, struct queue_writer *qw)
{
	int i, r = 0;

	r |= queue_rec(qw, 'F', s->sender);
	r |= queue_recf(qw, 'A', "client=%s", s->addr);
	r |= queue_recf(qw, 'A', "client_name=%s", s->name);
	r |= queue_recf(qw, 'A', "helo=%s", s->helo);
	r |= queue_recf(qw, 'A', "protocol=%s", smtpd_protocol(s));
	if (s->sasl_user != NULL)
		r |= queue_recf(qw, 'A', "auth=%s", s->sasl_user);
	if (s->body8bit)
		r |= queue_rec(qw, 'A', "body=8BITMIME");
	if (s->smtputf8)
		r |= queue_rec(qw, 'A', "smtputf8=1");
	if (s->envid != NULL)
		r |= queue_recf(qw, 'A', "envid=%s", s->envid);
	if (s->ret != SMTPD_RET_NONE)
		r |= queue_rec(qw, 'A', s->ret == SMTPD_RET_FULL ?
		    "ret=FULL" : "ret=HDRS");
	for (i = 0; i < s->nrcpt; i++) {
		r |= queue_rec(qw, 'R', s->rcpt[i]);
		if (s->rnotify[i] != NULL)
			r |= queue_rec(qw, 'N', s->rnotify[i]);
		if (s->rorcpt[i] != NULL)
			r |= queue_rec(qw, 'C', s->rorcpt[i]);
	}
	return r ? -1 : 0;
}

/* smtpd_data_storage_reply - 4xx for a queue file that could not be made */
static void
smtpd_data_storage_reply(struct smtpd_state *s, int err)
{
	if (err == ENOSPC || err == EDQUOT || err == EFBIG)
		smtpd_reply(s, "452 4.3.1 Insufficient system storage");
	else
		smtpd_reply(s, "451 4.3.0 Error: queue file write error");
}

/*
 * smtpd_data_feed - one piece of the message: a line (complete: its end
 * was seen, eol how it ended) or the first or next chunk of a long one.
 * What DATA and BDAT share: the header watch, the size limit, the bare
 * LF rule, the queue file.  The dot of DATA is already removed.
 */
void
smtpd_data_feed(struct smtpd_msg *m, const char *p, size_t len,
    int complete, int eol)
{
	if (eol == LINEIO_EOL_LF && !m->bare_lf) {
		m->bare_lf = 1;
		if (smtpd_bare_reject)
			queue_abort(&m->qw);
	}
	if (m->at_bol) {
		if (m->held != NULL && (len == 0 || (*p != ' ' && *p != '\t')))
			smtpd_data_release(m);
		smtpd_data_header(m, p, len, complete);
	}
	m->size += (long long)len + (complete ? 1 : 0);
	if (var_message_size_limit > 0 && !m->too_big &&
	    m->size > var_message_size_limit) {
		m->too_big = 1;
		queue_abort(&m->qw);
	}
	if (m->held != NULL) {
		buf_append(m->held, p, len);
		if (complete)
			buf_append(m->held, "\n", 1);
	} else if (m->qw != NULL) {
		smtpd_data_put(m, p, len);
		if (complete)
			smtpd_data_put(m, "\n", 1);
	}
	m->at_bol = complete;
}

/*
 * smtpd_data_read - read the message to its end.  0 at the end of the
 * message, or the LINE_* code that cut it short.
 */
static int
smtpd_data_read(struct smtpd_state *s, struct smtpd_msg *m)
{
	const char *p;
	size_t len;
	int r, eol, prev_ok = 1;

	for (;;) {
		r = lineio_get(s->io, s->line, LINEIO_SPLIT);
		if (r != LINE_OK && r != LINE_PARTIAL)
			return r;
		p = buf_str(s->line);
		len = buf_len(s->line);
		eol = r == LINE_PARTIAL ? LINEIO_EOL_NONE : lineio_eol(s->io);

		/* The end: "." CRLF right after a CRLF (see above). */
		if (m->at_bol && r == LINE_OK && len == 1 && *p == '.' &&
		    prev_ok && eol == LINEIO_EOL_CRLF)
			return 0;
		if (m->at_bol && len > 0 && *p == '.') {
			p++;
			len--;
		}
		smtpd_data_feed(m, p, len, r == LINE_OK, eol);
		prev_ok = eol == LINEIO_EOL_CRLF;
	}
}

/*
 * smtpd_data_received_end - the bytes of the Received: header that
 * starts msg (ours, unless a milter put a header before it), or 0
 */
static off_t
smtpd_data_received_end(const char *msg, size_t len)
{
	const char *nl;
	size_t at = 0;

	if (len < 9 || strncasecmp(msg, "Received:", 9) != 0)
		return 0;
	do {
		if ((nl = memchr(msg + at, '\n', len - at)) == NULL)
			return 0;
		at = (size_t)(nl - msg) + 1;
	} while (at < len && (msg[at] == ' ' || msg[at] == '\t'));
	return (off_t)at;
}

/*
 * smtpd_data_rewrite - a new queue file for what the milters made of the
 * message (msg, len: our Received: header first) and of its envelope
 * (the session's, edited): 0, or -1 with the file gone and write_err set
 */
static int
smtpd_data_rewrite(struct smtpd_state *s, struct smtpd_msg *m,
    const char *msg, size_t len)
{
	struct buf *why = buf_new(128, 1024);
	char old[QUEUE_ID_MAX];

	queue_abort(&m->qw);
	smtpd_eom_free(&m->eom);
	snprintf(old, sizeof(old), "%s", m->id);
	if ((m->qw = queue_create(var_queue_directory, QUEUE_INCOMING,
	    why)) == NULL) {
		m->write_err = errno;
		msg_warn("%s", buf_str(why));
		buf_free(&why);
		return -1;
	}
	buf_free(&why);
	snprintf(m->id, sizeof(m->id), "%s", queue_writer_id(m->qw));
	msg_info("%s: edited by milters: replaced by %s", old, m->id);
	smtpd_data_log_client(s, m);
	m->received_len = smtpd_data_received_end(msg, len);
	if (smtpd_data_envelope(s, m->qw) < 0 ||
	    queue_data(m->qw, msg, (size_t)m->received_len) < 0) {
		msg_warn("%s: queue file write error: %m", m->id);
		smtpd_data_fail(m, errno);
		return -1;
	}
	m->eom = smtpd_eom_begin(s);
	smtpd_data_put(m, msg + m->received_len, len -
	    (size_t)m->received_len);
	return m->qw != NULL ? 0 : -1;
}

/*
 * smtpd_data_hold - a milter quarantined the message: qmgr puts it on
 * hold (the reason in its hold= attribute).  0, or -1 with the file gone
 */
static int
smtpd_data_hold(struct smtpd_state *s, struct smtpd_msg *m,
    const char *reason)
{
	struct buf *pr = buf_new(128, 0);
	int r = 0;

	buf_setf(pr, "hold=milter: %s", reason);
	printable(buf_str(pr), s->tmp);
	buf_free(&pr);
	if (queue_rec_late(m->qw, 'A', buf_str(s->tmp)) < 0) {
		msg_warn("%s: queue file write error: %m", m->id);
		smtpd_data_fail(m, errno);
		r = -1;
	}
	return r;
}

/*
 * smtpd_data_milters - the whole message to smtpd_milters: 0 to go on
 * with the queue file (rewritten when they edited it, marked for hold
 * when they quarantined it), or -1 after the reply (refused, discarded,
 * or the new file failed)
 */
static int
smtpd_data_milters(struct smtpd_state *s, struct smtpd_msg *m)
{
	struct milter_result res;
	struct buf *copy = m->copy;
	int d, edits, r = -1;

	m->copy = NULL;			/* no more copying */
	milter_result_init(&res);
	d = smtpd_milter_message(s, buf_str(copy), buf_len(copy), &res);
	edits = d == MILTER_CONTINUE ? smtpd_milter_envelope(s, &res) : 0;
	if (d == MILTER_CONTINUE && s->nrcpt == 0) {
		msg_info("%s: discard: milters removed every recipient",
		    m->id);
		d = MILTER_DISCARD;
	}
	if (d == MILTER_REJECT || d == MILTER_TEMPFAIL) {
		queue_abort(&m->qw);
		smtpd_reply(s, "%s", buf_str(res.reply.text));
		if (res.reply.close)
			s->quit = 1;
	} else if (d == MILTER_DISCARD) {
		queue_abort(&m->qw);
		smtpd_reply(s, "250 2.0.0 Ok: discarded as %s", m->id);
	} else if ((res.message != NULL || edits > 0) &&
	    smtpd_data_rewrite(s, m, res.message != NULL ?
	    buf_str(res.message) : buf_str(copy), res.message != NULL ?
	    buf_len(res.message) : buf_len(copy)) < 0)
		smtpd_data_storage_reply(s, m->write_err);
	else if (res.quarantine != NULL &&
	    smtpd_data_hold(s, m, buf_str(res.quarantine)) < 0)
		smtpd_data_storage_reply(s, m->write_err);
	else
		r = 0;
	milter_result_clear(&res);
	buf_free(&copy);
	return r;
}

/* smtpd_data_done - the message is read: commit it or say why not */
void
smtpd_data_done(struct smtpd_state *s, struct smtpd_msg *m)
{
	struct buf *why, *pr;
	int err;

	s->where = "END-OF-MESSAGE";
	if (m->too_big) {
		msg_info("%s: reject: END-OF-MESSAGE from %s: 552 5.3.4 "
		    "Message size exceeds fixed limit; size=%lld", m->id,
		    s->namaddr, m->size);
		smtpd_reply(s, "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	if (m->bare_lf && smtpd_bare_reject) {
		msg_info("%s: reject: END-OF-MESSAGE from %s: 550 5.5.2 bare "
		    "<LF> received", m->id, s->namaddr);
		smtpd_reply(s, "550 5.5.2 Message rejected: bare <LF> "
		    "received");
		return;
	}
	if (m->held != NULL)
		smtpd_data_release(m);
	if (m->qw != NULL && m->hdr != SMTPD_HDR_BODY)
		smtpd_data_add_headers(m);
	if (m->qw == NULL) {
		smtpd_data_storage_reply(s, m->write_err);
		return;
	}
	if (m->copy != NULL && smtpd_data_milters(s, m) < 0)
		return;
	why = buf_new(128, 1024);
	if (smtpd_eom_end(s, m->eom, m->qw, m->id, m->received_len,
	    why) < 0) {
		queue_abort(&m->qw);
		smtpd_reply(s, "%s", buf_str(why));
		buf_free(&why);
		return;
	}
	if (queue_commit(m->qw, why) < 0) {
		err = errno;
		m->qw = NULL;
		msg_warn("%s: %s", m->id, buf_str(why));
		buf_free(&why);
		smtpd_data_storage_reply(s, err);
		return;
	}
	m->qw = NULL;
	buf_free(&why);

	/*
	 * On disk: now, and only now, the message is ours.  The client and
	 * qmgr hear of it first; the log line follows, so that writing it
	 * is not part of what the client waits for.  (The client= line was
	 * written when the queue file was made, as Postfix does, so that
	 * it comes before qmgr's from= line, as log summaries expect.)
	 */
	smtpd_reply(s, "250 2.0.0 Ok: queued as %s", m->id);
	(void)lineio_flush(s->io);
	queue_notify(var_queue_directory, m->id);
	if (buf_len(m->msgid) > 0) {
		pr = buf_new(64, 0);
		msg_info("%s: message-id=%s", m->id,
		    printable(buf_str(m->msgid), pr));
		buf_free(&pr);
	}
}

/* smtpd_data_log_client - the "ID: client=" line of a new queue file */
static void
smtpd_data_log_client(struct smtpd_state *s, const struct smtpd_msg *m)
{
	struct buf *pr;

	if (s->sasl_user == NULL) {
		msg_info("%s: client=%s", m->id, s->namaddr);
		return;
	}
	pr = buf_new(64, 0);
	msg_info("%s: client=%s, sasl_method=%s, sasl_username=%s", m->id,
	    s->namaddr, s->sasl_method, printable(s->sasl_user, pr));
	buf_free(&pr);
}

/*
 * smtpd_data_check - may the message come now (MAIL and a RCPT)?  1 yes,
 * 0 after a reply
 */
int
smtpd_data_check(struct smtpd_state *s)
{
	if (s->sender == NULL) {
		smtpd_reply(s, "503 5.5.1 Error: need MAIL command");
		return 0;
	}
	if (s->nrcpt == 0) {
		if (s->rcpt_rejected > 0)
			smtpd_reply(s, "554 5.5.1 Error: no valid recipients");
		else
			smtpd_reply(s, "503 5.5.1 Error: need RCPT command");
		return 0;
	}
	return 1;
}

/*
 * smtpd_data_begin - the queue file of a message: its envelope and our
 * Received: header.  NULL after a 4xx reply.
 */
struct smtpd_msg *
smtpd_data_begin(struct smtpd_state *s)
{
	struct smtpd_msg *m;
	struct buf *why;
	int r;

	m = xcalloc(1, sizeof(*m));
	why = buf_new(128, 1024);
	if ((m->qw = queue_create(var_queue_directory, QUEUE_INCOMING,
	    why)) == NULL) {
		r = errno;
		msg_warn("%s", buf_str(why));
		buf_free(&why);
		free(m);
		smtpd_data_storage_reply(s, r);
		return NULL;
	}
	buf_free(&why);
	snprintf(m->id, sizeof(m->id), "%s", queue_writer_id(m->qw));
	smtpd_data_log_client(s, m);
	m->msgid = buf_new(64, SMTPD_MSGID_MAX);
	m->add_headers = s->in_mynetworks;
	m->check_authres = !s->in_mynetworks;
	m->at_bol = 1;
	s->qid = m->id;
	if (s->milters != NULL)
		m->copy = buf_new(8192, var_message_size_limit > 0 ?
		    (size_t)var_message_size_limit + SMTPD_MILTER_SLACK : 0);
	if (smtpd_data_envelope(s, m->qw) < 0) {
		msg_warn("%s: queue file write error: %m", m->id);
		smtpd_data_fail(m, errno);
	}
	if (m->qw != NULL) {
		smtpd_data_received(s, m);
		m->received_len = queue_writer_size(m->qw);
		m->eom = smtpd_eom_begin(s);
	}
	return m;
}

/* smtpd_data_size - the message's bytes so far (LF line ends) */
long long
smtpd_data_size(const struct smtpd_msg *m)
{
	return m->size;
}

/* smtpd_data_free - drop a message (its queue file, if unfinished) */
void
smtpd_data_free(struct smtpd_msg **mp)
{
	struct smtpd_msg *m = *mp;

	if (m == NULL)
		return;
	queue_abort(&m->qw);
	buf_free(&m->msgid);
	buf_free(&m->held);
	buf_free(&m->copy);
	smtpd_eom_free(&m->eom);
	free(m);
	*mp = NULL;
}

/* smtpd_data - DATA: 354, the message, then 250 with the queue id */
int
smtpd_data(struct smtpd_state *s)
{
	struct smtpd_msg *m;
	struct buf *detail;
	int r;

	if (s->bdat != NULL) {
		smtpd_reply(s, "503 5.5.1 Error: DATA after BDAT");
		return -1;
	}
	if (!smtpd_data_check(s))
		return -1;
	if (smtpd_early_talker(s)) {
		msg_info("improper command pipelining after DATA from %s",
		    s->namaddr);
		smtpd_reply(s, "554 5.5.0 Error: improper command pipelining "
		    "after DATA");
		lineio_discard(s->io);
		s->quit = s->linger = 1;
		smtpd_reset(s);
		return -1;
	}
	if ((m = smtpd_data_begin(s)) == NULL)
		return -1;
	if (smtpd_milter_data(s) < 0) {
		smtpd_data_free(&m);
		smtpd_reset(s);
		return -1;
	}
	smtpd_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	if (lineio_flush(s->io) < 0) {
		smtpd_data_free(&m);
		smtpd_lost(s, LINE_ERROR, "");
		return -1;
	}
	lineio_set_cap(s->io, SMTPD_DATA_CHUNK);
	r = smtpd_data_read(s, m);
	lineio_set_cap(s->io, var_line_length_limit > 2 ?
	    (size_t)var_line_length_limit - 2 : 998);
	if (r != 0) {
		detail = buf_new(64, 0);
		buf_setf(detail, " (%lld bytes)", m->size);
		smtpd_lost(s, r, buf_str(detail));
		buf_free(&detail);
	} else
		smtpd_data_done(s, m);
	smtpd_data_free(&m);
	smtpd_reset(s);
	return 0;
}
