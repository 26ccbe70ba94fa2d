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

/*
 * imapd_tag - the tagged response: OK and NO after the updates the
 * client is owed; OK clears the error count (the limit is on errors in
 * a row), NO and BAD add one
 */
static void
imapd_tag(struct imapd_state *s, struct imapparse_cmd *c, const char *what,
    const char *fmt, va_list ap)
{
	struct buf *text = buf_new(128, 0);
	int bad = strcmp(what, "BAD") == 0;

	if (!bad)
		imapd_update(s, !s->in_cmd);
	if (strcmp(what, "OK") == 0)
		s->errors = 0;
	else
		s->errors++;
	buf_vappendf(text, fmt, ap);
	imapd_reply(s, "%s %s %s", c->tag, what, buf_str(text));
	buf_free(&text);
}

/* imapd_tag_ok - updates, then "tag OK text" */
void
imapd_tag_ok(struct imapd_state *s, struct imapparse_cmd *c, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	imapd_tag(s, c, "OK", fmt, ap);
	va_end(ap);
}

/* imapd_tag_no - updates, then "tag NO text"; counts as an error */
void
imapd_tag_no(struct imapd_state *s, struct imapparse_cmd *c, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	imapd_tag(s, c, "NO", fmt, ap);
	va_end(ap);
}

/* imapd_tag_bad - "tag BAD text"; counts as an error */
void
imapd_tag_bad(struct imapd_state *s, struct imapparse_cmd *c, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	imapd_tag(s, c, "BAD", fmt, ap);
	va_end(ap);
}
