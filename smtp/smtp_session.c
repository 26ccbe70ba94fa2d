/*
 * smtp_session - a delivery in a worker: the hosts in turn, one
 * transaction on a connection (RFC 5321, RFC 2033 for LMTP), the
 * connection kept for the next one.  The start of a connection is
 * smtp_hello.c's, commands and replies smtp_chat.c's.
 *
 * A delivery tries the route's addresses in order until one greets us
 * and answers EHLO (HELO when EHLO gets 5xx; LHLO for LMTP), then runs
 * one transaction (a host that defers every recipient before the data,
 * at MAIL or at each RCPT, gives way to the next address): MAIL (SIZE,
 * BODY, SMTPUTF8, RET, ENVID), RCPT for each recipient (NOTIFY, ORCPT),
 * DATA; with PIPELINING the three go in one write.  With CHUNKING (RFC
 * 3030) the message goes in one BDAT instead of DATA (BODY=BINARYMIME
 * when the server offers it too).  The outcome of each recipient is its
 * own: a 2xx, 4xx or 5xx to its RCPT (and, in LMTP, its reply after the
 * data).
 *
 * The no-loss rule: a recipient is sent only on a 2xx to the end of the
 * data.  A 421, a lost connection or a timeout anywhere (mid-data too)
 * defers every recipient that has no outcome yet, never bounces it.
 * A message too big for the server's SIZE bounces before DATA (5.3.4);
 * a message that needs SMTPUTF8 bounces when the server lacks it
 * (5.6.7).  8BITMIME: a message with 8-bit bytes in its body goes to a
 * server that does not offer 8BITMIME converted to 7 bits, its 8-bit
 * parts quoted-printable (smtp_7bit.c, RFC 6152 3; Postfix's default).
 *
 * After a delivery the connection is kept (smtp_connection_cache_time_
 * limit, smtp_connection_reuse_count_limit) and checked with RSET before
 * its next use; a failed MAIL or RSET closes it.
 *
 * Distrusts the server: replies are bounded in line length and count
 * (smtp_reply.c); every wait is bounded by a smtp_*_timeout.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "attr.h"
#include "buf.h"
#include "deliver.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "smtp.h"
#include "smtp_data.h"
#include "smtp_reply.h"
#include "smtp_session.h"
#include "smtp_tls.h"
#include "tls.h"

/* A recipient's outcome in the making. */
struct smtp_rcpt {
	struct deliver_rcpt	 r;
	int			 status;	/* -1: none yet, 0, 4, 5 */
	int			 accepted;	/* 2xx to RCPT */
	int			 relayed;	/* NOTIFY=SUCCESS, no DSN */
	char			 dsn[12];
	struct buf		*why;
};

static struct smtp_sess *smtp_sess;	/* the kept connection */

/* smtp_session_close - end a connection (QUIT first when polite) */
void
smtp_session_close(struct smtp_sess **sp, int quit)
{
	struct smtp_sess *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	if (quit && lineio_puts(s->io, "QUIT\r\n") == 0 &&
	    lineio_flush(s->io) == 0) {
		lineio_set_timeout(s->io, (int)var_smtp_quit_timeout);
		(void)lineio_get(s->io, s->line, LINEIO_SKIP);
	}
	if (s->tls != NULL)
		tls_close(&s->tls);
	lineio_free(&s->io);
	close(s->fd);
	smtp_reply_free(&s->rep);
	buf_free(&s->line);
	free(s->key);
	free(s);
}

/* smtp_session_cached - is a connection kept for reuse? */
int
smtp_session_cached(void)
{
	return smtp_sess != NULL;
}

/* smtp_session_idle - the kept connection's time is up */
void
smtp_session_idle(void)
{
	smtp_session_close(&smtp_sess, 1);
}

/* smtp_xtext - append s as RFC 3461 xtext */
static void
smtp_xtext(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s < '!' || *s > '~' || *s == '+' || *s == '=')
			buf_appendf(out, "+%02X", (unsigned char)*s);
		else
			buf_putc(out, *s);
	}
}

/* smtp_rcpt_set - a recipient's outcome, unless it has one */
static void
smtp_rcpt_set(struct smtp_rcpt *rc, int status, const char *dsn,
    const char *why)
{
	if (rc->status >= 0)
		return;
	rc->status = status;
	snprintf(rc->dsn, sizeof(rc->dsn), "%s", dsn);
	buf_set(rc->why, why);
}

/* smtp_rcpt_all - every recipient without an outcome gets this one */
static void
smtp_rcpt_all(struct smtp_rcpt *rc, int n, int status, const char *dsn,
    const char *why)
{
	int i;

	for (i = 0; i < n; i++)
		smtp_rcpt_set(&rc[i], status, dsn, why);
}

/* smtp_rcpt_reply - the reply's outcome for a recipient */
static void
smtp_rcpt_reply(struct smtp_sess *s, struct smtp_rcpt *rc, const char *cmd)
{
	int status = s->rep.code / 100 == 2 ? 0 : s->rep.code / 100;
	char dsn[12];
	struct buf *why = buf_new(128, 2048);

	if (s->rep.dsn[0] != '\0')
		snprintf(dsn, sizeof(dsn), "%s", s->rep.dsn);
	else
		snprintf(dsn, sizeof(dsn), "%c.0.0", status == 0 ? '2' :
		    status == 5 ? '5' : '4');
	if (status == 0) {
		buf_setf(why, "delivered via %s: ", s->relay);
		smtp_reply_str(&s->rep, why);
	} else
		smtp_chat_said(s, cmd, why);
	smtp_rcpt_set(rc, status, dsn, buf_str(why));
	buf_free(&why);
}

/* smtp_session_mail - the MAIL command of a request */
static void
smtp_session_mail(struct smtp_sess *s, const struct deliver_request *r,
    struct buf *cmd)
{
	buf_setf(cmd, "MAIL FROM:<%s>", r->sender);
	if (s->ext.flags & SMTP_EXT_SIZE)
		buf_appendf(cmd, " SIZE=%lld", (long long)r->size);
	if (r->body != NULL && (s->ext.flags & SMTP_EXT_8BITMIME) &&
	    strcasecmp(r->body, "8BITMIME") == 0)
		buf_appendf(cmd, " BODY=8BITMIME");
	else if (r->body != NULL && strcasecmp(r->body, "BINARYMIME") == 0 &&
	    (s->ext.flags & SMTP_EXT_CHUNKING) &&
	    (s->ext.flags & SMTP_EXT_BINARYMIME))
		buf_appendf(cmd, " BODY=BINARYMIME");
	if (r->smtputf8)
		buf_appendf(cmd, " SMTPUTF8");
	if (s->ext.flags & SMTP_EXT_DSN) {
		if (r->ret != NULL && *r->ret != '\0')
			buf_appendf(cmd, " RET=%s", r->ret);
		if (r->envid != NULL && *r->envid != '\0') {
			buf_puts(cmd, " ENVID=");
			smtp_xtext(cmd, r->envid);
		}
	}
}

/* smtp_session_rcpt - the RCPT command of a recipient */
static void
smtp_session_rcpt(struct smtp_sess *s, struct smtp_rcpt *rc,
    struct buf *cmd)
{
	const char *semi;

	buf_setf(cmd, "RCPT TO:<%s>", rc->r.addr);
	if (!(s->ext.flags & SMTP_EXT_DSN))
		return;
	if (rc->r.notify != NULL && *rc->r.notify != '\0')
		buf_appendf(cmd, " NOTIFY=%s", rc->r.notify);
	if (rc->r.orcpt != NULL && (semi = strchr(rc->r.orcpt, ';')) != NULL) {
		buf_appendf(cmd, " ORCPT=%.*s;", (int)(semi - rc->r.orcpt),
		    rc->r.orcpt);
		smtp_xtext(cmd, semi + 1);
	}
}

/* smtp_session_failed - every recipient still open: the failure's */
static void
smtp_session_failed(struct smtp_sess *s, const char *cmd, int code,
    struct smtp_rcpt *rc, int n, int only_accepted)
{
	struct buf *why = buf_new(128, 2048);
	char dsn[12];
	int i;

	smtp_chat_said(s, cmd, why);
	snprintf(dsn, sizeof(dsn), "%s", s->rep.dsn[0] != '\0' ?
	    s->rep.dsn : code / 100 == 5 ? "5.0.0" : "4.0.0");
	for (i = 0; i < n; i++)
		if (!only_accepted || rc[i].accepted)
			smtp_rcpt_set(&rc[i], code / 100 == 5 ? 5 : 4, dsn,
			    buf_str(why));
	buf_free(&why);
}

/*
 * smtp_session_body - DATA (its reply, when not pipelined its command)
 * or BDAT, the message, the replies after it: 0 when the session may
 * be kept, -1 when it must end
 */
static int
smtp_session_body(struct smtp_sess *s, const struct smtp_body *b,
    struct smtp_rcpt *rc, int n, int pipe, int bdat)
{
	struct buf *why = buf_new(128, 2048);
	off_t wire = 0;
	int i, code, keep = 0;

	if (bdat) {
		if (smtp_data_wire(b->fd, b->offset, b->size, &wire, why) != 0) {
			smtp_rcpt_all(rc, n, 4, "4.3.0", buf_str(why));
			keep = 1;	/* nothing of the message was sent */
			goto out;
		}
		if (lineio_printf(s->io, "BDAT %lld LAST\r\n",
		    (long long)wire) < 0)
			goto lost;
	} else {
		if (!pipe && (lineio_puts(s->io, "DATA\r\n") < 0 ||
		    lineio_flush(s->io) < 0))
			goto lost;
		if ((code = smtp_chat_reply(s,
		    (int)var_smtp_data_init_timeout, "in reply to DATA",
		    why)) < 0)
			goto fail;
		if (code != 354) {
			smtp_session_failed(s, "DATA", code, rc, n, 1);
			keep = code / 100 != 3 && code != 421;
			goto out;
		}
		for (i = 0; i < n && !rc[i].accepted; i++)
			;
		if (i == n) {
			/* DATA pipelined, every RCPT refused, yet 354. */
			if (lineio_puts(s->io, ".\r\n") == 0 &&
			    lineio_flush(s->io) == 0)
				(void)smtp_chat_reply(s,
				    (int)var_smtp_data_done_timeout,
				    "after an empty message", why);
			goto out;
		}
	}
	lineio_set_timeout(s->io, (int)var_smtp_data_xfer_timeout);
	if ((code = smtp_data_send(s->io, b->fd, b->offset, b->size, bdat,
	    why)) != 0) {
		if (code < 0)
			buf_setf(why, "lost connection with %s while sending "
			    "message body", s->relay);
		smtp_rcpt_all(rc, n, 4, code < 0 ? "4.4.2" : "4.3.0",
		    buf_str(why));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!rc[i].accepted)
			continue;
		if ((code = smtp_chat_reply(s,
		    (int)var_smtp_data_done_timeout,
		    "while sending the end of the message", why)) < 0)
			goto fail;
		smtp_rcpt_reply(s, &rc[i], bdat ? "BDAT" : "end of DATA");
		if (!smtp_lmtp) {
			/* SMTP: one reply for all. */
			smtp_rcpt_all(rc, n, rc[i].status, rc[i].dsn,
			    buf_str(rc[i].why));
			break;
		}
	}
	keep = code != 421;
	goto out;
lost:
	buf_setf(why, "lost connection with %s while sending %s", s->relay,
	    bdat ? "BDAT" : "DATA");
fail:
	smtp_rcpt_all(rc, n, 4, "4.4.2", buf_str(why));
out:
	buf_free(&why);
	return keep ? 0 : -1;
}

/*
 * smtp_session_send - the transaction on a session: the recipients'
 * outcomes; 0 when the session may be kept, -1 when it must end
 */
static int
smtp_session_send(struct smtp_sess *s, const struct deliver_request *r,
    struct smtp_rcpt *rc, int n, int qfd)
{
	struct buf *cmd = buf_new(256, 4096), *why = buf_new(128, 2048);
	struct smtp_body body = { qfd, r->offset, r->size };
	int pipe = (s->ext.flags & SMTP_EXT_PIPELINING) != 0;
	int bdat = (s->ext.flags & SMTP_EXT_CHUNKING) != 0;
	int i, code, accepted = 0, keep = 0, copy = -1, sealed = -1;

	/* A server without 8BITMIME gets 8-bit bodies in 7 bits. */
	if (!(s->ext.flags & SMTP_EXT_8BITMIME)) {
		switch (smtp_7bit_open(qfd, r->offset, r->size, &copy,
		    &body.size, why)) {
		case -1:
			smtp_rcpt_all(rc, n, 4, "4.3.0", buf_str(why));
			keep = 1;	/* nothing was sent */
			goto out;
		case 1:
			body.fd = copy;
			body.offset = 0;
			break;
		}
	}
	/* Mail an alias forwards gets our ARC set, over what is sent. */
	if (r->forwarded && var_smtp_arc_seal && !smtp_lmtp) {
		switch (smtp_arc_open(body.fd, body.offset, body.size, &sealed,
		    &body.size, r->queue_id, why)) {
		case -1:
			smtp_rcpt_all(rc, n, 4, "4.3.0", buf_str(why));
			keep = 1;	/* nothing was sent */
			goto out;
		case 1:
			body.fd = sealed;
			body.offset = 0;
			break;
		}
	}
	smtp_session_mail(s, r, cmd);
	if (lineio_printf(s->io, "%s\r\n", buf_str(cmd)) < 0)
		goto lost;
	for (i = 0; pipe && i < n; i++) {
		smtp_session_rcpt(s, &rc[i], cmd);
		if (lineio_printf(s->io, "%s\r\n", buf_str(cmd)) < 0)
			goto lost;
	}
	if ((pipe && !bdat && lineio_puts(s->io, "DATA\r\n") < 0) ||
	    lineio_flush(s->io) < 0)
		goto lost;
	if ((code = smtp_chat_reply(s, (int)var_smtp_mail_timeout,
	    "in reply to MAIL FROM", why)) < 0)
		goto fail;
	if (code / 100 != 2) {
		smtp_session_failed(s, "MAIL FROM", code, rc, n, 0);
		goto out;		/* the session ends */
	}
	for (i = 0; i < n; i++) {
		if (!pipe) {
			smtp_session_rcpt(s, &rc[i], cmd);
			if (lineio_printf(s->io, "%s\r\n", buf_str(cmd)) < 0 ||
			    lineio_flush(s->io) < 0)
				goto lost;
		}
		if ((code = smtp_chat_reply(s, (int)var_smtp_rcpt_timeout,
		    "in reply to RCPT TO", why)) < 0)
			goto fail;
		if (code / 100 == 2) {
			rc[i].accepted = 1;
			accepted++;
			rc[i].relayed = !(s->ext.flags & SMTP_EXT_DSN) &&
			    rc[i].r.notify != NULL &&
			    strcasestr(rc[i].r.notify, "SUCCESS") != NULL;
		} else
			smtp_rcpt_reply(s, &rc[i], "RCPT TO");
		if (code == 421) {
			smtp_rcpt_all(rc, n, 4, "4.0.0", buf_str(rc[i].why));
			goto out;
		}
	}
	if (accepted > 0 || (pipe && !bdat))
		keep = smtp_session_body(s, &body, rc, n, pipe, bdat) == 0;
	else
		keep = 1;		/* nothing to send, nothing sent */
	goto out;
lost:
	buf_setf(why, "lost connection with %s while sending the envelope",
	    s->relay);
fail:
	smtp_rcpt_all(rc, n, 4, "4.4.2", buf_str(why));
out:
	fd_close(&copy);
	fd_close(&sealed);
	buf_free(&cmd);
	buf_free(&why);
	return keep ? 0 : -1;
}

/* smtp_session_reuse - the kept connection, if it serves key and RSET works */
static struct smtp_sess *
smtp_session_reuse(const char *key)
{
	struct smtp_sess *s = smtp_sess;
	struct buf *why;
	int code;

	if (s == NULL)
		return NULL;
	smtp_sess = NULL;
	if (strcmp(s->key, key) != 0 ||
	    s->uses >= var_smtp_connection_reuse_count_limit) {
		smtp_session_close(&s, 1);
		return NULL;
	}
	why = buf_new(128, 1024);
	code = smtp_chat_cmd(s, "RSET", (int)var_smtp_rset_timeout, why);
	buf_free(&why);
	if (code / 100 != 2) {
		smtp_session_close(&s, code > 0);
		return NULL;
	}
	return s;
}

/*
 * smtp_session_find - a session for a delivery: the kept one, or the
 * first address of the route from *next on that greets us (*next then
 * the one after it).  NULL with why and *dead (no host answered at all).
 */
static struct smtp_sess *
smtp_session_find(const struct attr *job, struct smtp_tls_dest *td,
    long long *next, int *dead, struct buf *why)
{
	struct smtp_sess *s = NULL;
	struct smtp_tls_pol pol;
	struct smtp_dest d;
	long long i, n = attr_get_num(job, SMTP_X_NROUTE, 0);
	char name[32];
	const char *v;
	int answered, any = 0;

	*dead = 0;
	if (*next == 0 && (s = smtp_session_reuse(td->key)) != NULL)
		return s;
	for (i = *next; i < n && i < SMTP_ROUTE_MAX; i++) {
		*next = i + 1;
		snprintf(name, sizeof(name), SMTP_X_ROUTE ".%lld", i);
		if ((v = attr_get(job, name)) == NULL ||
		    smtp_dest_parse(v, &d) < 0)
			continue;
		if (smtp_tls_host(td, &d, &pol, why) < 0) {
			/* A policy (MTA-STS, DANE) rules the host out. */
			msg_info("%s", buf_str(why));
			smtp_tls_pol_free(&pol);
			continue;
		}
		s = smtp_hello_open(&d, td->key, &pol, 0, &answered, why);
		if (s == NULL && answered == 2) {
			msg_info("%s; trying again without TLS", buf_str(why));
			s = smtp_hello_open(&d, td->key, &pol, 1, &answered,
			    why);
		}
		smtp_tls_pol_free(&pol);
		if (s != NULL)
			return s;
		any |= answered;
		msg_info("%s", buf_str(why));
	}
	if (n == 0)
		buf_setf(why, "no route to %s", td->key);
	*dead = !any;
	return NULL;
}

/* smtp_session_reply_fill - qmgr's reply from the recipients' outcomes */
static void
smtp_session_reply_fill(struct attr *reply, struct smtp_rcpt *rc, int n,
    const char *relay)
{
	char name[40];
	int i;

	for (i = 0; i < n; i++) {
		deliver_reply_add(reply, i, rc[i].status < 0 ? 4 :
		    rc[i].status, rc[i].status < 0 ? "4.3.0" : rc[i].dsn,
		    "%s", rc[i].status < 0 ? "delivery not finished" :
		    buf_str(rc[i].why));
		if (rc[i].status == 0 && rc[i].relayed) {
			if (i == 0)
				snprintf(name, sizeof(name), "dsn_relayed");
			else
				snprintf(name, sizeof(name), "dsn_relayed.%d",
				    i);
			attr_set(reply, name, "1");
		}
	}
	if (relay != NULL)
		attr_set(reply, DELIVER_RELAY, relay);
}

/* smtp_session_check - what the server cannot take: bounce it early */
static int
smtp_session_check(struct smtp_sess *s, const struct deliver_request *r,
    struct smtp_rcpt *rc, int n)
{
	struct buf *why = buf_new(128, 1024);
	int refused = 1;

	if ((s->ext.flags & SMTP_EXT_SIZE) && s->ext.size > 0 &&
	    r->size > s->ext.size) {
		buf_setf(why, "message size %lld exceeds size limit %lld of "
		    "server %s", (long long)r->size, s->ext.size, s->relay);
		smtp_rcpt_all(rc, n, 5, "5.3.4", buf_str(why));
	} else if (r->smtputf8 && !(s->ext.flags & SMTP_EXT_SMTPUTF8)) {
		buf_setf(why, "SMTPUTF8 is required, but was not offered by "
		    "host %s", s->relay);
		smtp_rcpt_all(rc, n, 5, "5.6.7", buf_str(why));
	} else
		refused = 0;
	buf_free(&why);
	return refused;
}

/*
 * smtp_session_clean - may a request's value go into a command?  No
 * control character (a CR or LF would be a command of its own), and
 * for a keyword's value (spaces: 0) no space either.
 */
static int
smtp_session_clean(const char *v, int spaces)
{
	for (; v != NULL && *v != '\0'; v++)
		if ((unsigned char)*v < ' ' || *v == 0x7f ||
		    (*v == ' ' && !spaces))
			return 0;
	return 1;
}

/* smtp_session_request_ok - every value of a request fit for commands */
static int
smtp_session_request_ok(const struct deliver_request *r,
    const struct smtp_rcpt *rc)
{
	int i;

	if (!smtp_session_clean(r->sender, 1) ||
	    !smtp_session_clean(r->ret, 0) || !smtp_session_clean(r->envid, 1))
		return 0;
	for (i = 0; i < r->nrcpt; i++)
		if (!smtp_session_clean(rc[i].r.addr, 1) ||
		    !smtp_session_clean(rc[i].r.notify, 0) ||
		    !smtp_session_clean(rc[i].r.orcpt, 1))
			return 0;
	return 1;
}

/* smtp_session_soft - did a host defer every recipient, taking none? */
static int
smtp_session_soft(const struct smtp_rcpt *rc, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (rc[i].status != 4 || rc[i].accepted)
			return 0;
	return 1;
}

/* smtp_session_keep - a session done with: kept for reuse, or closed */
static void
smtp_session_keep(struct smtp_sess *s, int keep)
{
	if (keep && var_smtp_connection_cache_time_limit > 0)
		smtp_sess = s;
	else
		smtp_session_close(&s, keep);
}

/*
 * smtp_session_hosts - the transaction with the route's hosts in turn:
 * the next one is tried while a host defers every recipient before the
 * data (a 4xx to MAIL, to each RCPT); the reply filled; 1 when the
 * destination is down (no host answered)
 */
static int
smtp_session_hosts(const struct attr *job, const char *key,
    const struct deliver_request *r, struct smtp_rcpt *rc, int qfd,
    struct attr *reply, struct buf *why)
{
	struct smtp_sess *s;
	struct smtp_tls_dest td;
	long long next = 0, n = attr_get_num(job, SMTP_X_NROUTE, 0);
	int i, dead, keep, tried = 0;

	smtp_tls_dest_init(&td, key);
	for (;;) {
		if ((s = smtp_session_find(job, &td, &next, &dead, why)) ==
		    NULL) {
			if (!tried)
				smtp_rcpt_all(rc, r->nrcpt, 4, "4.4.1",
				    buf_str(why));
			smtp_tls_dest_free(&td);
			return tried ? 0 : dead;
		}
		for (i = 0; i < r->nrcpt; i++) {
			rc[i].status = -1;	/* the last host's word */
			rc[i].accepted = rc[i].relayed = 0;
		}
		tried = 1;
		if (smtp_session_check(s, r, rc, r->nrcpt)) {
			/* Refused before MAIL: the session is still good. */
			smtp_session_reply_fill(reply, rc, r->nrcpt, s->relay);
			smtp_session_keep(s, 1);
			smtp_tls_dest_free(&td);
			return 0;
		}
		s->uses++;
		keep = smtp_session_send(s, r, rc, r->nrcpt, qfd) == 0;
		attr_clear(reply);
		smtp_session_reply_fill(reply, rc, r->nrcpt, s->relay);
		if (!smtp_session_soft(rc, r->nrcpt) || next >= n) {
			smtp_session_keep(s, keep);
			smtp_tls_dest_free(&td);
			return 0;
		}
		msg_info("%s deferred every recipient: trying the next host",
		    s->relay);
		smtp_session_close(&s, keep);
	}
}

/* smtp_session_deliver - one job from the dispatcher: qmgr's reply */
void
smtp_session_deliver(const struct attr *job, struct attr *reply)
{
	struct deliver_request r;
	struct smtp_rcpt *rc;
	struct buf *why = buf_new(128, 2048);
	const char *key = attr_get(job, SMTP_X_KEY);
	int i, qfd = -1, dead = 0;

	if (deliver_request_get(job, &r, why) < 0 || key == NULL) {
		deliver_reply_set(reply, 4, "4.3.0", "%s", buf_len(why) > 0 ?
		    buf_str(why) : "malformed job");
		buf_free(&why);
		return;
	}
	rc = xcalloc((size_t)r.nrcpt, sizeof(*rc));
	for (i = 0; i < r.nrcpt; i++) {
		deliver_request_rcpt(job, &r, i, &rc[i].r);
		rc[i].status = -1;
		rc[i].why = buf_new(128, 2048);
	}
	if (!smtp_session_request_ok(&r, rc)) {
		msg_warn("%s: a control character in the request", r.queue_id);
		smtp_rcpt_all(rc, r.nrcpt, 5, "5.1.3", "a control character "
		    "in the envelope");
	} else if ((qfd = smtp_data_open(r.queue_id, why)) < 0) {
		msg_warn("%s: %s", r.queue_id, buf_str(why));
		smtp_rcpt_all(rc, r.nrcpt, 4, "4.3.0", buf_str(why));
	} else
		dead = smtp_session_hosts(job, key, &r, rc, qfd, reply, why);
	if (attr_get(reply, DELIVER_STATUS) == NULL)
		smtp_session_reply_fill(reply, rc, r.nrcpt, NULL);
	if (dead)
		attr_set(reply, DELIVER_DEAD, "1");
	for (i = 0; i < r.nrcpt; i++) {
		/* Not Postfix's "to=<>, status=" form: that line is qmgr's,
		 * one per outcome, for the log tools. */
		msg_info("%s: <%s> %s via %s: %s", r.queue_id, rc[i].r.addr,
		    rc[i].status == 0 ? "sent" : rc[i].status == 5 ?
		    "bounced" : "deferred", attr_get(reply, DELIVER_RELAY) !=
		    NULL ? attr_get(reply, DELIVER_RELAY) : "none",
		    buf_str(rc[i].why));
		buf_free(&rc[i].why);
	}
	free(rc);
	if (qfd >= 0)
		close(qfd);
	buf_free(&why);
}
