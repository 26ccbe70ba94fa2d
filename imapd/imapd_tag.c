/*
 * imapd_tag - the tagged responses of the mailbox side: OK, NO and BAD,
 * each preceded by the untagged updates the client is owed
 * (imapd_view.c), except the EXPUNGEs that must wait while a FETCH,
 * STORE or SEARCH answers (RFC 3501 7.4.1).
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "imapparse.h"
#include "lineio.h"
#include "msg.h"
#include "util.h"
#include "imapd.h"

/* imapd_tag - the tagged response, after the updates (not for BAD) */
void
imapd_tag(struct imapd_state *s, struct imapparse_cmd *c, const char *what,
    const char *fmt, ...)
{
	struct buf *text = buf_new(128, 0);
	va_list ap;

	if (strcmp(what, "BAD") != 0)
		imapd_update(s, !s->in_cmd);
	if (strcmp(what, "OK") == 0)
		s->errors = 0;		/* the limit is on errors in a row */
	else
		s->errors++;
	va_start(ap, fmt);
	buf_vappendf(text, fmt, ap);
	va_end(ap);
	imapd_reply(s, "%s %s %s", c->tag, what, buf_str(text));
	buf_free(&text);
}

/*
 * imapd_tag_no_args - 1 when command c ends after its name; else 0 after
 * a BAD saying it takes no arguments
 */
int
imapd_tag_no_args(struct imapd_state *s, struct imapparse_cmd *c)
{
	if (imapparse_arg_end(c))
		return 1;
	imapd_tag_bad(s, c, "%s takes no arguments", c->name);
	return 0;
}
