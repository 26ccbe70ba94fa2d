/*
 * imapd_select - SELECT, EXAMINE, CLOSE and UNSELECT (RFC 3501 6.3.1-2,
 * 6.4.2, RFC 3691, RFC 7162's CONDSTORE and QRESYNC parameters): entering
 * and leaving the selected state, which builds the view (imapd_view.c).
 */
#include <sys/inotify.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "imapparse.h"
#include "lineio.h"
#include "mailbox.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "imapd.h"

/*
 * imapd_select_open - open a folder for a command, or answer NO: a
 * missing folder with the response code given ("[NONEXISTENT]" for
 * SELECT, "[TRYCREATE]" where the client may create it), another
 * failure with [CANNOT].  -1 after the NO.
 */
int
imapd_select_open(struct imapd_state *s, struct imapparse_cmd *c,
    const char *name, const char *missing_code, struct mailbox **mbp)
{
	int missing;

	if (imapd_open_folder(s, name, mbp, &missing) >= 0)
		return 0;
	if (missing)
		imapd_tag_no(s, c, "%s Mailbox does not exist: %s",
		    missing_code, printable(name, s->tmp));
	else
		imapd_tag_no(s, c, "[CANNOT] %s", buf_str(s->why));
	return -1;
}

/* imapd_cmd_select - SELECT and EXAMINE (RFC 3501 6.3.1-2, 7162) */
void
imapd_cmd_select(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct mailbox	*mb;
	struct uidlist	*ul;
	struct buf	*flags;
	struct imapparse_arg *a;
	const char	*name;
	uint32_t	 claimed = UINT32_MAX;
	int		 i, unseen = 0, rw, room = 0;

	rw = strcmp(c->name, "SELECT") == 0;
	if ((name = imapparse_astring(c)) == NULL) {
		imapd_tag_bad(s, c, "Syntax: %s mailbox [(CONDSTORE)]",
		    c->name);
		return;
	}
	if (imapparse_arg_lparen(c)) {
		while ((a = imapparse_arg_peek(c)) != NULL &&
		    a->type == IMAPPARSE_ATOM) {
			c->pos++;
			if (strcasecmp(a->s, "CONDSTORE") != 0) {
				imapd_tag_bad(s, c, "Unknown %s parameter %s",
				    c->name, printable(a->s, s->tmp));
				return;
			}
			s->condstore = 1;
		}
		if (!imapparse_arg_rparen(c)) {
			imapd_tag_bad(s, c, "Syntax: %s mailbox "
			    "[(CONDSTORE)]", c->name);
			return;
		}
	}
	if (!imapparse_arg_end(c)) {
		imapd_tag_bad(s, c, "Syntax: %s mailbox [(CONDSTORE)]",
		    c->name);
		return;
	}
	/* A failed SELECT leaves no mailbox selected (RFC 3501 6.3.1). */
	imapd_unselect(s);
	if (imapd_select_open(s, c, name, "[NONEXISTENT]", &mb) < 0)
		return;
	if (mailbox_sync(mb, 0, s->why) < 0) {
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
		mailbox_close(&mb);
		imapd_tag_no(s, c, "[SERVERBUG] Cannot read the mailbox.");
		s->errors--;
		return;
	}
	s->mb = mb;
	s->selname = xstrdup(mailbox_list_canon(name));
	s->readonly = !rw;
	if (rw)
		claimed = imapd_claim_recent(s);
	ul = &mb->ul;
	s->uidvalidity = ul->uidvalidity;
	for (i = 0; i < ul->count; i++) {
		imapd_view_add(s, &ul->v[i], ul->v[i].uid >= claimed);
		if (unseen == 0 && !(ul->v[i].flags & FLAG_SEEN))
			unseen = i + 1;
	}
	flags = buf_new(256, 0);
	imapd_view_flags(flags, mb, FLAG_ALL, 0xffffffffU, 0);
	imapd_reply(s, "* FLAGS (%s)", buf_str(flags));
	for (i = 0; i < MAILBOX_KEYWORDS; i++)
		if (mb->kw[i] == NULL)
			room = 1;
	if (rw)
		imapd_reply(s, "* OK [PERMANENTFLAGS (%s%s)] Flags permitted.",
		    buf_str(flags), room ? " \\*" : "");
	else
		imapd_reply(s, "* OK [PERMANENTFLAGS ()] Read-only mailbox.");
	imapd_reply(s, "* %d EXISTS", s->count);
	imapd_reply(s, "* %d RECENT", s->nrecent);
	if (unseen > 0)
		imapd_reply(s, "* OK [UNSEEN %d] First unseen.", unseen);
	imapd_reply(s, "* OK [UIDVALIDITY %u] UIDs valid", ul->uidvalidity);
	imapd_reply(s, "* OK [UIDNEXT %u] Predicted next UID", ul->uidnext);
	imapd_reply(s, "* OK [HIGHESTMODSEQ %llu] Highest",
	    (unsigned long long)ul->highestmodseq);
	buf_free(&flags);
	imapd_tag_ok(s, c, "[READ-%s] %s completed.", rw ? "WRITE" : "ONLY",
	    rw ? "Select" : "Examine");
}

/* imapd_cmd_close - CLOSE: expunge silently (read-write), unselect */
void
imapd_cmd_close(struct imapd_state *s, struct imapparse_cmd *c)
{
	if (!imapd_tag_no_args(s, c))
		return;
	if (!s->readonly && imapd_expunge_deleted(s, NULL) < 0)
		msg_warn("user=<%s>, %s: %s", s->account, s->selname,
		    buf_str(s->why));
	imapd_unselect(s);
	imapd_tag_ok(s, c, "Close completed.");
}

/* imapd_cmd_unselect - UNSELECT (RFC 3691): no expunge */
void
imapd_cmd_unselect(struct imapd_state *s, struct imapparse_cmd *c)
{
	if (!imapd_tag_no_args(s, c))
		return;
	imapd_unselect(s);
	imapd_tag_ok(s, c, "Unselect completed.");
}
