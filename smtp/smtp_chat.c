/*
 * smtp_chat - the smtp agent's commands and replies on a connection:
 * a command written and flushed, its reply read within a timeout (the
 * line reader bounds each line, smtp_reply.c the lines), and the words
 * for a reason ("host X said: ... (in reply to RCPT TO)").  A command
 * that carries a secret (AUTH) is named by a label, never by itself.
 */
#include <sys/types.h>

#include "buf.h"
#include "lineio.h"
#include "smtp_session.h"

/*
 * smtp_chat_reply - read a reply within timeout s: its code, or -1
 * with why (timeout, lost connection, a malformed or endless reply)
 */
int
smtp_chat_reply(struct smtp_sess *s, int timeout, const char *after,
    struct buf *why)
{
	int r, pr;

	lineio_set_timeout(s->io, timeout);
	smtp_reply_reset(&s->rep);
	for (;;) {
		r = lineio_get(s->io, s->line, LINEIO_SKIP);
		if (r == LINE_OK) {
			pr = smtp_reply_line(&s->rep, buf_str(s->line),
			    buf_len(s->line));
			if (pr == SMTP_REPLY_DONE)
				return s->rep.code;
			if (pr == SMTP_REPLY_MORE)
				continue;
			buf_setf(why, "malformed or over-long reply from %s "
			    "%s", s->relay, after);
		} else if (r == LINE_TIMEOUT)
			buf_setf(why, "conversation with %s timed out %s",
			    s->relay, after);
		else if (r == LINE_TOOLONG)
			buf_setf(why, "over-long reply line from %s %s",
			    s->relay, after);
		else
			buf_setf(why, "lost connection with %s %s", s->relay,
			    after);
		return -1;
	}
}

/* smtp_chat_said - why text: "host X said: 550 5.1.1 ... (in reply to Y)" */
void
smtp_chat_said(struct smtp_sess *s, const char *cmd, struct buf *why)
{
	buf_setf(why, "host %s said: ", s->relay);
	smtp_reply_str(&s->rep, why);
	buf_appendf(why, " (in reply to %s)", cmd);
}

/*
 * smtp_chat_cmd_as - send a command and read its reply, the command
 * called label in every message (a secret is never named): code, or -1
 */
int
smtp_chat_cmd_as(struct smtp_sess *s, const char *cmd, const char *label,
    int timeout, struct buf *why)
{
	struct buf *after = buf_new(64, 256);
	int code;

	buf_setf(after, "in reply to %s", label);
	if (lineio_printf(s->io, "%s\r\n", cmd) < 0 ||
	    lineio_flush(s->io) < 0) {
		buf_setf(why, "lost connection with %s while sending %s",
		    s->relay, label);
		code = -1;
	} else
		code = smtp_chat_reply(s, timeout, buf_str(after), why);
	buf_free(&after);
	return code;
}

/* smtp_chat_cmd - send a command and read its reply: code, or -1 */
int
smtp_chat_cmd(struct smtp_sess *s, const char *cmd, int timeout,
    struct buf *why)
{
	return smtp_chat_cmd_as(s, cmd, cmd, timeout, why);
}

