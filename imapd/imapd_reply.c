/*
 * imapd_reply - the error limit that both sides of the IMAP server share
 * (the login side imapd, the mailbox side imap); their response line is
 * imapd_reply() in imapd.h.  Kept apart from imapd.c so that the mailbox
 * program links no TLS.
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
