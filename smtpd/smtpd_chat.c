/*
 * smtpd_chat - what smtpd says: the name it says it under, replies,
 * which count errors (past smtpd_soft_error_limit each error reply waits
 * a second; the command loop ends the session at smtpd_hard_error_limit),
 * the end of a session whose client went away or fell silent, whether
 * a client talks when it should be listening, and Postfix's summary line
 * of the commands a session used.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "tls.h"
#include "util.h"
#include "smtpd.h"

/* smtpd_hostname - the name we greet with: myhostname or the system's */
const char *
smtpd_hostname(void)
{
	return var_myhostname != NULL && *var_myhostname != '\0' ?
	    var_myhostname : my_hostname();
}

static const char *smtpd_cmd_names[SMTPD_C_COUNT] = {
	"helo", "ehlo", "mail", "rcpt", "data", "rset", "noop", "vrfy",
	"help", "quit", "starttls", "auth", "bdat", "unknown",
};

/*
 * smtpd_reply - send one reply line (CRLF added).  Replies are buffered
 * and go out when the client has no more pipelined input for us (lineio
 * flushes before it waits).  A 4xx or 5xx reply counts as an error.
 */
int
smtpd_reply(struct smtpd_state *s, const char *fmt, ...)
{
	va_list ap;
	int code;

	buf_reset(s->reply);
	va_start(ap, fmt);
	buf_vappendf(s->reply, fmt, ap);
	va_end(ap);
	code = atoi(buf_str(s->reply));
	s->last_code = code;
	if (code >= 400 && code != 421) {
		s->errors++;
		if (s->errors > var_smtpd_soft_error_limit) {
			/* Slow down a client that keeps failing. */
			(void)lineio_flush(s->io);
			sleep(1);
		}
	}
	if (msg_verbose)
		msg_debug("> %s: %s", s->namaddr,
		    printable(buf_str(s->reply), s->tmp));
	buf_puts(s->reply, "\r\n");
	return lineio_write(s->io, buf_str(s->reply), buf_len(s->reply));
}

/*
 * smtpd_early - has the client sent something we have not asked for yet:
 * bytes in the reader's buffer, or waiting on the socket?  Used before
 * the greeting and before 354, when an SMTP client must be silent.
 */
int
smtpd_early(struct smtpd_state *s)
{
	char c;

	if (lineio_pending(s->io) > 0 ||
	    (s->tls != NULL && tls_pending(s->tls) > 0))
		return 1;
	/* Bytes, not a mere end of input (a port scanner that hung up). */
	return recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/*
 * smtpd_early_talker - smtpd_early() for the clients it applies to:
 * smtpd_forbid_unauth_pipelining, outside mynetworks
 */
int
smtpd_early_talker(struct smtpd_state *s)
{
	return var_smtpd_forbid_unauth_pipelining && !s->in_mynetworks &&
	    smtpd_early(s);
}

/*
 * smtpd_lost - the client went away (LINE_EOF, LINE_ERROR) or stopped
 * talking (LINE_TIMEOUT): log it, and say 421 to a client that is still
 * there.  The session ends.
 */
void
smtpd_lost(struct smtpd_state *s, int how, const char *detail)
{
	if (how == LINE_TIMEOUT) {
		msg_info("timeout after %s%s from %s", s->where, detail,
		    s->namaddr);
		smtpd_reply(s, "421 4.4.2 %s Error: timeout exceeded",
		    smtpd_hostname());
	} else
		msg_info("lost connection after %s%s from %s", s->where,
		    detail, s->namaddr);
	s->quit = 1;
}

/* smtpd_log_disconnect - Postfix's summary: ehlo=1 mail=1 ... commands=5 */
void
smtpd_log_disconnect(struct smtpd_state *s)
{
	struct buf *b = buf_new(256, 0);
	int i, good = 0, all = 0;

	buf_setf(b, "disconnect from %s", s->namaddr);
	for (i = 0; i < SMTPD_C_COUNT; i++) {
		if (s->count[i] == 0)
			continue;
		good += s->good[i];
		all += s->count[i];
		if (s->good[i] == s->count[i])
			buf_appendf(b, " %s=%d", smtpd_cmd_names[i],
			    s->count[i]);
		else
			buf_appendf(b, " %s=%d/%d", smtpd_cmd_names[i],
			    s->good[i], s->count[i]);
	}
	if (good == all)
		buf_appendf(b, " commands=%d", all);
	else
		buf_appendf(b, " commands=%d/%d", good, all);
	msg_info("%s", buf_str(b));
	buf_free(&b);
}
