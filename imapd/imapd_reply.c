/*
 * imapd_reply - the responses and the error limit that both sides of the
 * IMAP server share (the login side imapd, the mailbox side imap).  Kept
 * apart from imapd.c so that the mailbox program links no TLS.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "imapd.h"

/*
 * imapd_reply - one response line (CRLF added), buffered: responses to
 * pipelined commands leave in one write, before the next wait for input.
 */
int
imapd_reply(struct imapd_state *s, const char *fmt, ...)
{
	va_list ap;

	buf_reset(s->reply);
	va_start(ap, fmt);
	buf_vappendf(s->reply, fmt, ap);
	va_end(ap);
	if (msg_verbose)
		msg_debug("> %s: %.200s", s->addr, printable(buf_str(s->reply),
		    s->tmp));
	buf_puts(s->reply, "\r\n");
	return lineio_write(s->io, buf_str(s->reply), buf_len(s->reply));
}

/* imapd_error_limit - too many errors: BYE.  1 when the session ends. */
int
imapd_error_limit(struct imapd_state *s)
{
	if (s->errors < var_imapd_hard_error_limit)
		return 0;
	msg_info("too many errors from %s", s->addr);
	imapd_reply(s, "* BYE Too many invalid commands.");
	s->quit = 1;
	return 1;
}
