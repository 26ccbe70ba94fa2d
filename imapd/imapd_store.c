/*
 * imapd_store - the commands that change messages: STORE (with RFC 7162
 * UNCHANGEDSINCE), COPY and MOVE (RFC 6851) with UIDPLUS's COPYUID,
 * APPEND with APPENDUID (RFC 4315), EXPUNGE and UID EXPUNGE.
 *
 * Every change goes through lib/mailbox.c under the folder's lock
 * (mailbox_begin ... mailbox_end), so concurrent sessions serialise and
 * each sees the other's changes in the UID list.  COPY hard-links the
 * message files (a copy where links fail); MOVE is a COPY whose sources
 * are then expunged, so a crash between the two leaves the message in
 * both folders, never in neither.  APPEND writes the message in tmp/,
 * fsyncs it, and only then gives it a UID.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "imapparse.h"
#include "lineio.h"
#include "mailbox.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "imapd.h"

/* The flags a STORE or APPEND names. */
struct imapd_flagset {
	uint32_t	 flags;
	char		**kw;		/* keyword names */
	int		 nkw;
};

/* imapd_flagset_free - release keyword names */
static void
imapd_flagset_free(struct imapd_flagset *fs)
{
	strv_free(fs->kw, fs->nkw);
	memset(fs, 0, sizeof(*fs));
}

/* imapd_flag_word - one flag name into the set; -1 when not valid */
static int
imapd_flag_word(struct imapd_flagset *fs, const char *w)
{
	int bit = imapparse_system_flag(w);
	const char *p;

	if (bit > 0) {
		fs->flags |= (uint32_t)bit;
		return 0;
	}
	if (bit == -1)
		return 0;	/* \Recent: not settable, ignored */
	if (bit == -2 || *w == '\0' || strlen(w) > MAILBOX_KEYWORD_MAX)
		return -1;
	for (p = w; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("(){%*\"\\]", *p) != NULL)
			return -1;
	fs->kw = xrealloc(fs->kw, (size_t)(fs->nkw + 1) * sizeof(*fs->kw));
	fs->kw[fs->nkw++] = xstrdup(w);
	return 0;
}

/*
 * imapd_flag_list - "(\Seen $Label1)", or (STORE) bare flags to the end;
 * -1 when not valid
 */
static int
imapd_flag_list(struct imapparse_cmd *c, struct imapd_flagset *fs, int bare)
{
	struct imapparse_arg *a;

	memset(fs, 0, sizeof(*fs));
	if (imapparse_arg_lparen(c)) {
		while ((a = imapparse_arg(c)) != NULL &&
		    a->type == IMAPPARSE_ATOM)
			if (imapd_flag_word(fs, a->s) < 0)
				return -1;
		return a != NULL && a->type == IMAPPARSE_RPAREN ? 0 : -1;
	}
	if (!bare)
		return -1;
	while ((a = imapparse_arg(c)) != NULL) {
		if (a->type != IMAPPARSE_ATOM || imapd_flag_word(fs, a->s) < 0)
			return -1;
	}
	return 0;
}

/*
 * imapd_flag_kw - the keyword bits of a flag set in a folder (create:
 * allocate letters).  -2 when the folder has no room for another.
 */
static int
imapd_flag_kw(struct imapd_state *s, struct mailbox *mb,
    const struct imapd_flagset *fs, int create, uint32_t *kw)
{
	int i, k;

	*kw = 0;
	for (i = 0; i < fs->nkw; i++) {
		k = mailbox_keyword(mb, fs->kw[i], create, s->why);
		if (k == -2)
			return -2;
		if (k >= 0)
			*kw |= 1U << k;
	}
	return 0;
}

/* imapd_cmd_store - STORE set [(UNCHANGEDSINCE n)] [+-]FLAGS[.SILENT] */
void
imapd_cmd_store(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct imapd_flagset fs;
	struct imapd_msg *m;
	const char	*set, *what;
	uint64_t	 unchanged = 0;
	uint32_t	 kw, nf, nk, *modified = NULL;
	struct buf	*out;
	int		*idx = NULL, n = 0, i, k, op, silent, nmod = 0, r;
	int		*stored;

	memset(&fs, 0, sizeof(fs));
	if ((set = imapparse_atom(c)) == NULL)
		goto bad;
	if (imapparse_arg_lparen(c)) {
		const char *name, *val;

		if ((name = imapparse_atom(c)) == NULL ||
		    strcasecmp(name, "UNCHANGEDSINCE") != 0 ||
		    (val = imapparse_atom(c)) == NULL ||
		    imapparse_number64(val, &unchanged) < 0 ||
		    !imapparse_arg_rparen(c))
			goto bad;
		s->condstore = 1;
	}
	if ((what = imapparse_atom(c)) == NULL)
		goto bad;
	op = *what == '+' ? 1 : *what == '-' ? -1 : 0;
	if (op != 0)
		what++;
	if (strcasecmp(what, "FLAGS") == 0)
		silent = 0;
	else if (strcasecmp(what, "FLAGS.SILENT") == 0)
		silent = 1;
	else
		goto bad;
	if (imapd_flag_list(c, &fs, 1) < 0)
		goto bad;
	if (s->readonly) {
		imapd_tag_no(s, c, "[READ-ONLY] The mailbox is read-only.");
		goto out;
	}
	if (imapd_set_resolve(s, set, c->uid, &idx, &n) < 0) {
		imapd_tag_bad(s, c, "Invalid message set: %s",
		    printable(set, s->tmp));
		goto out;
	}
	if (mailbox_begin(s->mb, s->why) < 0) {
		msg_warn("user=<%s>, %s: %s", s->account, s->selname,
		    buf_str(s->why));
		imapd_tag_no(s, c, "[SERVERBUG] Cannot change the flags.");
		s->errors--;
		goto out;
	}
	if ((r = imapd_flag_kw(s, s->mb, &fs, op >= 0, &kw)) < 0) {
		mailbox_end(s->mb, s->why);
		imapd_tag_no(s, c, "[LIMIT] This mailbox has no room for "
		    "another keyword.");
		goto out;
	}
	stored = xcalloc((size_t)n + 1, sizeof(*stored));
	for (i = 0; i < n; i++) {
		m = &s->msgs[idx[i]];
		if (m->expunged || (k = uidlist_find(&s->mb->ul,
		    m->uid)) < 0)
			continue;
		if (unchanged > 0 && s->mb->ul.v[k].modseq > unchanged) {
			modified = xrealloc(modified, (size_t)(nmod + 1) *
			    sizeof(*modified));
			modified[nmod++] = c->uid ? m->uid :
			    (uint32_t)idx[i] + 1;
			continue;
		}
		nf = s->mb->ul.v[k].flags;
		nk = s->mb->ul.v[k].kw;
		if (op > 0) {
			nf |= fs.flags;
			nk |= kw;
		} else if (op < 0) {
			nf &= ~fs.flags;
			nk &= ~kw;
		} else {
			nf = fs.flags;
			nk = kw;
		}
		if (mailbox_set_flags(s->mb, m->uid, nf, nk, s->why) < 0) {
			if (errno != ENOENT)
				msg_warn("user=<%s>, %s: %s", s->account,
				    s->selname, buf_str(s->why));
			continue;
		}
		stored[i] = 1;
	}
	if (mailbox_end(s->mb, s->why) < 0)
		msg_warn("user=<%s>, %s: %s", s->account, s->selname,
		    buf_str(s->why));
	/* The new flags, as the client must hear them. */
	for (i = 0; i < n; i++) {
		if (!stored[i])
			continue;
		m = &s->msgs[idx[i]];
		if ((k = uidlist_find(&s->mb->ul, m->uid)) < 0)
			continue;
		m->flags = s->mb->ul.v[k].flags;
		m->kw = s->mb->ul.v[k].kw;
		if (silent && !s->condstore)
			continue;
		buf_reset(s->reply);
		buf_appendf(s->reply, "* %d FETCH (", idx[i] + 1);
		if (c->uid)
			buf_appendf(s->reply, "UID %u ", m->uid);
		if (!silent) {
			buf_puts(s->reply, "FLAGS (");
			imapd_view_flags(s->reply, s->mb, m->flags, m->kw,
			    m->recent);
			buf_putc(s->reply, ')');
		}
		if (s->condstore)
			buf_appendf(s->reply, "%sMODSEQ (%llu)", silent ? "" :
			    " ", (unsigned long long)s->mb->ul.v[k].modseq);
		buf_puts(s->reply, ")\r\n");
		lineio_write(s->io, buf_str(s->reply), buf_len(s->reply));
	}
	free(stored);
	if (nmod > 0) {
		out = buf_new(64, 0);
		imapd_set_format(out, modified, nmod);
		imapd_tag_ok(s, c, "[MODIFIED %s] Conditional store failed.",
		    buf_str(out));
		buf_free(&out);
	} else
		imapd_tag_ok(s, c, "Store completed.");
	goto out;
bad:
	imapd_tag_bad(s, c, "Syntax: STORE sequence-set [(UNCHANGEDSINCE "
	    "modseq)] [+|-]FLAGS[.SILENT] (flags)");
out:
	free(idx);
	free(modified);
	imapd_flagset_free(&fs);
}

/* imapd_size_hint - a message's size from its name (",S="), or 0 */
static long long
imapd_size_hint(const char *base)
{
	const char *p = strstr(base, ",S=");
	long long v = 0;

	if (p == NULL)
		return 0;
	for (p += 3; *p >= '0' && *p <= '9' && v < 1LL << 50; p++)
		v = v * 10 + (*p - '0');
	return v;
}

/*
 * imapd_cmd_copy - COPY and MOVE (and their UID forms): the messages of
 * the set into another folder; MOVE then expunges them here
 */
void
imapd_cmd_copy(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct mailbox	*dst = NULL;
	struct buf	**names = NULL, *srcset, *dstset;
	const char	*set, *name;
	uint32_t	*srcuids = NULL, *dstuids = NULL, kw, uid;
	long long	 bytes = 0;
	int		*idx = NULL, n = 0, i, k, b, done = 0;
	int		 move = strcmp(c->name, "MOVE") == 0;

	if ((set = imapparse_atom(c)) == NULL ||
	    (name = imapparse_astring(c)) == NULL || !imapparse_arg_end(c)) {
		imapd_tag_bad(s, c, "Syntax: %s sequence-set mailbox",
		    c->name);
		return;
	}
	if (move && s->readonly) {
		imapd_tag_no(s, c, "[READ-ONLY] The mailbox is read-only.");
		return;
	}
	if (imapd_set_resolve(s, set, c->uid, &idx, &n) < 0) {
		imapd_tag_bad(s, c, "Invalid message set: %s",
		    printable(set, s->tmp));
		return;
	}
	if (imapd_select_open(s, c, name, "[TRYCREATE]", &dst) < 0) {
		free(idx);
		return;
	}
	for (i = 0; i < n; i++)
		if ((k = uidlist_find(&s->mb->ul, s->msgs[idx[i]].uid)) >= 0)
			bytes += imapd_size_hint(s->mb->ul.v[k].base);
	if (imapd_over_quota(s, move ? 0 : bytes, move ? 0 : n)) {
		imapd_tag_no(s, c, "[OVERQUOTA] Quota exceeded.");
		s->errors--;
		goto out;
	}
	names = xcalloc((size_t)n + 1, sizeof(*names));
	srcuids = xcalloc((size_t)n + 1, sizeof(*srcuids));
	dstuids = xcalloc((size_t)n + 1, sizeof(*dstuids));
	for (i = 0; i < n; i++) {
		names[i] = buf_new(128, 0);
		if (s->msgs[idx[i]].expunged ||
		    mailbox_tmp_link(dst, s->mb, s->msgs[idx[i]].uid, 0,
		    names[i], s->why) < 0) {
			if (!s->msgs[idx[i]].expunged && errno != ENOENT)
				msg_warn("user=<%s>: %s", s->account,
				    buf_str(s->why));
			buf_free(&names[i]);
		}
	}
	if (mailbox_begin(dst, s->why) < 0) {
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
		for (i = 0; i < n; i++)
			if (names[i] != NULL)
				mailbox_tmp_unlink(dst, buf_str(names[i]));
		imapd_tag_no(s, c, "[SERVERBUG] Cannot write to the mailbox.");
		s->errors--;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct imapd_flagset fs;

		if (names[i] == NULL)
			continue;
		if ((k = uidlist_find(&s->mb->ul, s->msgs[idx[i]].uid)) < 0) {
			mailbox_tmp_unlink(dst, buf_str(names[i]));
			continue;
		}
		/* Keywords by name: the letters differ between folders. */
		memset(&fs, 0, sizeof(fs));
		for (b = 0; b < MAILBOX_KEYWORDS; b++)
			if ((s->mb->ul.v[k].kw & (1U << b)) &&
			    s->mb->kw[b] != NULL)
				(void)imapd_flag_word(&fs, s->mb->kw[b]);
		if (imapd_flag_kw(s, dst, &fs, 1, &kw) < 0)
			kw = 0;
		imapd_flagset_free(&fs);
		if (mailbox_add(dst, buf_str(names[i]), s->mb->ul.v[k].flags,
		    kw, &uid, s->why) < 0) {
			msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
			mailbox_tmp_unlink(dst, buf_str(names[i]));
			continue;
		}
		srcuids[done] = s->msgs[idx[i]].uid;
		dstuids[done] = uid;
		done++;
	}
	if (mailbox_end(dst, s->why) < 0)
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
	if (done == 0 && n > 0) {
		imapd_tag_no(s, c, "[EXPUNGEISSUED] The messages no longer "
		    "exist.");
		s->errors--;
		goto out;
	}
	srcset = buf_new(64, 0);
	dstset = buf_new(64, 0);
	imapd_set_format(srcset, srcuids, done);
	imapd_set_format(dstset, dstuids, done);
	if (move) {
		if (mailbox_begin(s->mb, s->why) == 0) {
			for (i = 0; i < done; i++)
				if (mailbox_expunge(s->mb, srcuids[i], 1,
				    s->why) < 0)
					msg_warn("user=<%s>: %s", s->account,
					    buf_str(s->why));
			if (mailbox_end(s->mb, s->why) < 0)
				msg_warn("user=<%s>: %s", s->account,
				    buf_str(s->why));
		} else
			msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
		if (done > 0)
			imapd_reply(s, "* OK [COPYUID %u %s %s] Moved",
			    dst->ul.uidvalidity, buf_str(srcset),
			    buf_str(dstset));
		imapd_tag_ok(s, c, "Move completed.");
	} else if (done > 0)
		imapd_tag_ok(s, c, "[COPYUID %u %s %s] Copy completed.",
		    dst->ul.uidvalidity, buf_str(srcset), buf_str(dstset));
	else
		imapd_tag_ok(s, c, "Copy completed.");
	buf_free(&srcset);
	buf_free(&dstset);
out:
	for (i = 0; names != NULL && i < n; i++)
		buf_free(&names[i]);
	free(names);
	free(srcuids);
	free(dstuids);
	free(idx);
	mailbox_close(&dst);
}

/* imapd_cmd_append - APPEND mailbox [(flags)] [date-time] message */
void
imapd_cmd_append(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct imapd_flagset fs;
	struct imapparse_arg *a, *msgarg;
	struct mailbox	*dst = NULL;
	struct buf	*tmpname = NULL;
	const char	*name;
	time_t		 date = 0;
	uint32_t	 kw, uid;

	memset(&fs, 0, sizeof(fs));
	if ((name = imapparse_astring(c)) == NULL)
		goto bad;
	if ((a = imapparse_arg_peek(c)) != NULL &&
	    a->type == IMAPPARSE_LPAREN && imapd_flag_list(c, &fs, 0) < 0)
		goto bad;
	if ((a = imapparse_arg_peek(c)) != NULL &&
	    a->type == IMAPPARSE_STRING && !a->literal &&
	    c->pos + 1 < c->nargs) {
		if (imapparse_date_time(a->s, &date) < 0)
			goto bad;
		c->pos++;
	}
	if ((msgarg = imapparse_arg(c)) == NULL ||
	    msgarg->type != IMAPPARSE_STRING || !imapparse_arg_end(c))
		goto bad;
	if (msgarg->len == 0) {
		imapd_tag_no(s, c, "Cannot save an empty message.");
		goto out;
	}
	if (var_message_size_limit > 0 &&
	    (long long)msgarg->len > var_message_size_limit) {
		imapd_tag_no(s, c, "[TOOBIG] The message is larger than "
		    "message_size_limit.");
		goto out;
	}
	if (imapd_select_open(s, c, name, "[TRYCREATE]", &dst) < 0)
		goto out;
	if (imapd_over_quota(s, (long long)msgarg->len, 1)) {
		imapd_tag_no(s, c, "[OVERQUOTA] Quota exceeded.");
		goto out;
	}
	tmpname = buf_new(128, 0);
	if (mailbox_tmp_write(dst, msgarg->s, msgarg->len, date, tmpname,
	    s->why) < 0 || mailbox_begin(dst, s->why) < 0) {
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
		mailbox_tmp_unlink(dst, buf_str(tmpname));
		imapd_tag_no(s, c, "[SERVERBUG] Cannot save the message.");
		s->errors--;
		goto out;
	}
	if (imapd_flag_kw(s, dst, &fs, 1, &kw) < 0)
		kw = 0;
	if (mailbox_add(dst, buf_str(tmpname), fs.flags, kw, &uid,
	    s->why) < 0) {
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
		mailbox_end(dst, s->why);
		mailbox_tmp_unlink(dst, buf_str(tmpname));
		imapd_tag_no(s, c, "[SERVERBUG] Cannot save the message.");
		s->errors--;
		goto out;
	}
	if (mailbox_end(dst, s->why) < 0)
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
	imapd_tag_ok(s, c, "[APPENDUID %u %u] Append completed.",
	    dst->ul.uidvalidity, uid);
	goto out;
bad:
	imapd_tag_bad(s, c, "Syntax: APPEND mailbox [(flags)] [date-time] "
	    "literal");
out:
	buf_free(&tmpname);
	mailbox_close(&dst);
	imapd_flagset_free(&fs);
}

/*
 * imapd_expunge_deleted - remove the messages marked \Deleted (only those
 * whose UIDs are in set, when given).  0, or -1 with why.
 */
int
imapd_expunge_deleted(struct imapd_state *s, const struct imapd_set *set)
{
	uint32_t max;
	int i, k;

	if (mailbox_begin(s->mb, s->why) < 0)
		return -1;
	max = s->count > 0 ? s->msgs[s->count - 1].uid : 0;
	for (i = 0; i < s->count; i++) {
		if (s->msgs[i].expunged ||
		    (k = uidlist_find(&s->mb->ul, s->msgs[i].uid)) < 0 ||
		    !(s->mb->ul.v[k].flags & FLAG_DELETED))
			continue;
		if (set != NULL && !imapd_set_has(set, s->msgs[i].uid, max))
			continue;
		if (mailbox_expunge(s->mb, s->msgs[i].uid, 1, s->why) < 0)
			msg_warn("user=<%s>, %s: %s", s->account, s->selname,
			    buf_str(s->why));
	}
	return mailbox_end(s->mb, s->why);
}

/* imapd_cmd_expunge - EXPUNGE and UID EXPUNGE set (UIDPLUS) */
void
imapd_cmd_expunge(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct imapd_set set;
	const char *text = NULL;
	int r;

	if (c->uid && ((text = imapparse_atom(c)) == NULL ||
	    imapd_set_parse(text, &set) < 0)) {
		imapd_tag_bad(s, c, "Syntax: UID EXPUNGE uid-set");
		return;
	}
	if (!imapparse_arg_end(c)) {
		if (c->uid)
			imapd_set_free(&set);
		imapd_tag_bad(s, c, "Syntax: EXPUNGE");
		return;
	}
	if (s->readonly) {
		if (c->uid)
			imapd_set_free(&set);
		imapd_tag_no(s, c, "[READ-ONLY] The mailbox is read-only.");
		return;
	}
	r = imapd_expunge_deleted(s, c->uid ? &set : NULL);
	if (c->uid)
		imapd_set_free(&set);
	if (r < 0) {
		msg_warn("user=<%s>, %s: %s", s->account, s->selname,
		    buf_str(s->why));
		imapd_tag_no(s, c, "[SERVERBUG] Cannot expunge.");
		s->errors--;
		return;
	}
	imapd_tag_ok(s, c, "Expunge completed.");
}
