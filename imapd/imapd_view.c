/*
 * imapd_view - the selected mailbox as the client knows it: the messages
 * in sequence order, each with the flags last reported, and the updates
 * that bring the client up to date.
 *
 * Other sessions, local delivery and pop3 change the folder underneath;
 * imapd_update() compares the view with the folder (mailbox_sync) and
 * reports the differences as untagged FETCH, EXPUNGE, EXISTS and RECENT
 * responses, just before a tagged response: never an EXPUNGE while
 * answering FETCH, STORE or SEARCH (their sequence numbers must stay put;
 * RFC 3501 7.4.1), and during IDLE as soon as inotify says the folder
 * changed (imapd_idle.c).
 */
#include <sys/inotify.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
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
#include "uidlist.h"
#include "util.h"
#include "imapd.h"

/* imapd_find_uid - the view index of a UID, or -1 */
int
imapd_find_uid(struct imapd_state *s, uint32_t uid)
{
	_Static_assert(offsetof(struct imapd_msg, uid) == 0, "uid first");
	return uidlist_search(s->msgs, s->count, sizeof(*s->msgs), uid);
}

/* imapd_open_folder - open a folder by name; -1 after a NO/BAD reply */
int
imapd_open_folder(struct imapd_state *s, const char *name,
    struct mailbox **mbp, int *missing)
{
	struct buf *path = buf_new(256, 0);
	int r;

	*mbp = NULL;
	*missing = 0;
	if (mailbox_list_path(s->maildir, name, path, s->why) < 0) {
		buf_free(&path);
		return -2;
	}
	r = mailbox_open(buf_str(path), mbp, s->why);
	if (r < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
		*missing = 1;
	buf_free(&path);
	return r;
}

/* imapd_unselect - forget the selected mailbox */
void
imapd_unselect(struct imapd_state *s)
{
	mailbox_close(&s->mb);
	free(s->selname);
	s->selname = NULL;
	free(s->msgs);
	s->msgs = NULL;
	s->count = s->size = 0;
	s->nrecent = 0;
}

/* imapd_view_add - a message joins the view */
void
imapd_view_add(struct imapd_state *s, const struct uidlist_rec *r,
    int recent)
{
	struct imapd_msg *m;

	if (s->count == s->size) {
		s->size = s->size ? s->size * 2 : 256;
		s->msgs = xrealloc(s->msgs, (size_t)s->size * sizeof(*s->msgs));
	}
	m = &s->msgs[s->count++];
	m->uid = r->uid;
	m->flags = r->flags;
	m->kw = r->kw;
	m->recent = recent;
	m->expunged = 0;
	if (recent)
		s->nrecent++;
}

/*
 * imapd_claim_recent - a read-write session takes the \Recent messages
 * nobody took yet; returns the lowest UID it took (UINT32_MAX: none)
 */
uint32_t
imapd_claim_recent(struct imapd_state *s)
{
	uint32_t old;

	if (s->readonly || s->mb->ul.firstrecent >= s->mb->ul.uidnext)
		return UINT32_MAX;
	if (mailbox_begin(s->mb, s->why) < 0) {
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
		return UINT32_MAX;
	}
	old = mailbox_claim_recent(s->mb);
	if (mailbox_end(s->mb, s->why) < 0)
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
	return old;
}

/*
 * imapd_view_flags - a message's flag names as the client sees them,
 * blank-separated (no parentheses): the system flags, then the keywords
 * of mb (kw: their bits; mb NULL: none), then \Recent
 */
void
imapd_view_flags(struct buf *out, struct mailbox *mb, uint32_t flags,
    uint32_t kw, int recent)
{
	size_t i, start = buf_len(out);

	imapparse_system_flags(out, start, flags);
	for (i = 0; mb != NULL && i < MAILBOX_KEYWORDS; i++)
		if ((kw & (1U << i)) && mb->kw[i] != NULL) {
			if (buf_len(out) > start)
				buf_putc(out, ' ');
			buf_puts(out, mb->kw[i]);
		}
	if (recent) {
		if (buf_len(out) > start)
			buf_putc(out, ' ');
		buf_puts(out, "\\Recent");
	}
}

/* imapd_fetch_flags - an untagged FETCH with a message's new flags */
static void
imapd_fetch_flags(struct imapd_state *s, int i, const struct uidlist_rec *r)
{
	struct imapd_msg *m = &s->msgs[i];

	buf_reset(s->reply);
	buf_appendf(s->reply, "* %d FETCH (UID %u FLAGS (", i + 1, m->uid);
	imapd_view_flags(s->reply, s->mb, m->flags, m->kw, m->recent);
	buf_putc(s->reply, ')');
	if (s->condstore && r != NULL)
		buf_appendf(s->reply, " MODSEQ (%llu)",
		    (unsigned long long)r->modseq);
	buf_puts(s->reply, ")\r\n");
	lineio_write(s->io, buf_str(s->reply), buf_len(s->reply));
}

/*
 * imapd_update - report what changed in the selected mailbox since the
 * client last heard (see the top of this file).  allow_expunge: EXPUNGE
 * responses may be sent now.
 */
void
imapd_update(struct imapd_state *s, int allow_expunge)
{
	struct uidlist	*ul;
	uint32_t	 claimed, last;
	int		 i, j, k, recent_before, added = 0;

	if (s->mb == NULL)
		return;
	if (mailbox_sync(s->mb, 0, s->why) < 0) {
		msg_warn("user=<%s>, %s: %s", s->account, s->selname,
		    buf_str(s->why));
		return;
	}
	ul = &s->mb->ul;
	if (ul->uidvalidity != s->uidvalidity) {
		msg_warn("user=<%s>, %s: UIDVALIDITY changed under the "
		    "session", s->account, s->selname);
		imapd_reply(s, "* BYE [UNAVAILABLE] The mailbox's UIDs were "
		    "reset: please reconnect.");
		s->quit = 1;
		return;
	}
	last = s->count > 0 ? s->msgs[s->count - 1].uid : 0;
	claimed = UINT32_MAX;
	if (!s->readonly && ul->firstrecent < ul->uidnext &&
	    ul->count > 0 && ul->v[ul->count - 1].uid > last) {
		claimed = imapd_claim_recent(s);
		ul = &s->mb->ul;
	}
	/* Flags and expunges of the messages the client knows. */
	for (i = j = 0; i < s->count; i++) {
		struct imapd_msg *m = &s->msgs[i];

		while (j < ul->count && ul->v[j].uid < m->uid)
			j++;
		if (j < ul->count && ul->v[j].uid == m->uid) {
			if (ul->v[j].flags != m->flags ||
			    ul->v[j].kw != m->kw) {
				m->flags = ul->v[j].flags;
				m->kw = ul->v[j].kw;
				if (!m->expunged) {
					imapd_fetch_flags(s, i, &ul->v[j]);
					s->changes++;
				}
			}
			j++;
		} else
			m->expunged = 1;
	}
	if (allow_expunge) {
		for (i = s->count - 1; i >= 0; i--)
			if (s->msgs[i].expunged) {
				imapd_reply(s, "* %d EXPUNGE", i + 1);
				s->changes++;
			}
		for (i = k = 0; i < s->count; i++) {
			if (s->msgs[i].expunged) {
				if (s->msgs[i].recent)
					s->nrecent--;
				continue;
			}
			s->msgs[k++] = s->msgs[i];
		}
		s->count = k;
	}
	/* New messages. */
	recent_before = s->nrecent;
	for (; j < ul->count; j++)
		if (ul->v[j].uid > last) {
			imapd_view_add(s, &ul->v[j], ul->v[j].uid >= claimed);
			added++;
		}
	if (added > 0) {
		imapd_reply(s, "* %d EXISTS", s->count);
		imapd_reply(s, "* %d RECENT", s->nrecent);
		s->changes++;
	} else if (s->nrecent != recent_before) {
		imapd_reply(s, "* %d RECENT", s->nrecent);
		s->changes++;
	}
}
