/*
 * milter_message - the message's content through each milter in turn at
 * the end of DATA: its header fields one by one, the end of the header,
 * the body in chunks of at most MILTER_CHUNK_MAX bytes with CRLF line
 * endings, the end of the message; and the edits milters ask for before
 * their final reply.
 *
 * As in Postfix, milter N gets the message as milters 1..N-1 left it: the
 * edits of each are made before the next one is asked, and the result
 * carries the message with all of them made.  An edit is checked before
 * it is kept: the action must have been negotiated, a header name is
 * printable without a colon, a value's line breaks must be folds (white
 * space after each: no new fields slipped into a value), an address has
 * no control characters, at most MILTER_EDIT_MAX edits of at most
 * MILTER_EDIT_BYTES together, a replaced body at most message_size_limit.  A milter that breaks one is dropped
 * (milter_default_action), and its edits with it.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "milter_int.h"
#include "params.h"
#include "util.h"

/* milter_name_ok - a header name: printable, no colon, not empty */
static int
milter_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s > '~' ||
		    *s == ':')
			return 0;
	return 1;
}

/* milter_value_ok - every line break of a value is a fold */
static int
milter_value_ok(const char *s)
{
	for (; *s; s++) {
		if (*s == '\r' && s[1] != '\n')
			return 0;
		if (*s == '\n' && s[1] != ' ' && s[1] != '\t')
			return 0;
	}
	return 1;
}

/* milter_addr_ok - an address (<> too): no control characters; the
 * brackets around it (if any) taken off into out */
static int
milter_addr_ok(const char *s, struct buf *out)
{
	size_t		 len = strlen(s), i;

	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 127)
			return 0;
	buf_reset(out);
	buf_append(out, s, len);
	return 1;
}

/* milter_body_add - a chunk of a replacement body */
static int
milter_body_add(struct milters *ms, struct milter *m,
    struct milter_result *res, int idx)
{
	if (res->body == NULL || ms->body_by != idx) {
		buf_free(&res->body);
		res->body = buf_new(65536, var_message_size_limit > 0 ?
		    (size_t)var_message_size_limit : 0);
		ms->body_by = idx;
	}
	buf_append(res->body, buf_str(ms->in), buf_len(ms->in));
	if (buf_overflowed(res->body)) {
		buf_setf(m->why, "replacement body over message_size_limit");
		return -1;
	}
	return 0;
}

/*
 * milter_collect - one modification packet (code c, data in ms->in) of
 * milter m (number idx) at the end of the message, into res: 0, or -1
 * and m->why.
 */
int
milter_collect(struct milters *ms, struct milter *m, int c,
    struct milter_result *res, int idx)
{
	static const struct { int code; uint32_t need; int type; int index;
	    int two; } acts[] = {
		{ MR_ADDHEADER, MA_ADDHDRS, MILTER_E_ADDHDR, 0, 1 },
		{ MR_INSHEADER, MA_ADDHDRS, MILTER_E_INSHDR, 1, 1 },
		{ MR_CHGHEADER, MA_CHGHDRS, MILTER_E_CHGHDR, 1, 1 },
		{ MR_CHGFROM, MA_CHGFROM, MILTER_E_CHGFROM, 0, 0 },
		{ MR_ADDRCPT, MA_ADDRCPT, MILTER_E_ADDRCPT, 0, 0 },
		{ MR_ADDRCPT_PAR, MA_ADDRCPT_PAR, MILTER_E_ADDRCPT, 0, 0 },
		{ MR_DELRCPT, MA_DELRCPT, MILTER_E_DELRCPT, 0, 0 },
		{ MR_REPLBODY, MA_CHGBODY, 0, 0, 0 },
		{ MR_QUARANTINE, MA_QUARANTINE, 0, 0, 0 },
	};
	const char	*a, *b = NULL;
	struct buf	*addr;
	uint32_t	 index = 0;
	size_t		 i, off = 0;
	int		 r;

	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (acts[i].code == c)
			break;
	if (i == sizeof(acts) / sizeof(acts[0])) {
		buf_setf(m->why, "unexpected reply '%c' (0x%02x) at the end "
		    "of the message", c > ' ' && c < 127 ? c : '?', c);
		return -1;
	}
	if ((m->actions & acts[i].need) == 0) {
		buf_setf(m->why, "action '%c' that it did not negotiate", c);
		return -1;
	}
	if (c == MR_REPLBODY)
		return milter_body_add(ms, m, res, idx);
	if ((acts[i].index && milter_get32(ms->in, &off, &index) < 0) ||
	    (a = milter_getstr(ms->in, &off)) == NULL ||
	    (acts[i].two && (b = milter_getstr(ms->in, &off)) == NULL)) {
		buf_setf(m->why, "malformed '%c' packet", c);
		return -1;
	}
	if (c == MR_QUARANTINE) {
		if (res->quarantine == NULL)
			res->quarantine = buf_new(128, 1024);
		buf_set(res->quarantine, a);
		return 0;
	}
	if ((ms->edit_bytes += buf_len(ms->in)) > MILTER_EDIT_BYTES) {
		buf_setf(m->why, "more than %d bytes of edits",
		    MILTER_EDIT_BYTES);
		return -1;
	}
	if (acts[i].two) {
		if (!milter_name_ok(a) || !milter_value_ok(b)) {
			buf_setf(m->why, "bad header in '%c' packet", c);
			return -1;
		}
		r = milter_edit_add(res, acts[i].type, (long)index, a, b, idx);
	} else {
		/* CHGFROM and ADDRCPT_PAR may carry ESMTP parameters. */
		if ((b = milter_getstr(ms->in, &off)) == NULL)
			b = "";
		addr = buf_new(256, 0);
		if (!milter_addr_ok(a, addr) || strpbrk(b, "\r\n") != NULL) {
			buf_free(&addr);
			buf_setf(m->why, "bad address in '%c' packet", c);
			return -1;
		}
		r = milter_edit_add(res, acts[i].type, 0, buf_str(addr), b,
		    idx);
		buf_free(&addr);
	}
	if (r < 0)
		buf_setf(m->why, "more than %d edits", MILTER_EDIT_MAX);
	return r;
}

/* milter_step - the reply c to a content command: 1 go on, 0 stop with
 * *d (a decision, or -1: failed) */
static int
milter_step(struct milters *ms, struct milter *m, int c,
    struct milter_result *res, int *d)
{
	if (c == MR_CONTINUE)
		return 1;
	*d = c < 0 ? -1 : milter_decide(ms, m, c, 0, 0, &res->reply);
	return 0;
}

/* milter_body - the body in CRLF chunks: 1 go on, 0 stop with *d */
static int
milter_body(struct milters *ms, struct milter *m, int idx,
    const struct milter_msg *mm, struct milter_result *res, int *d)
{
	const char	*p = mm->body, *end = mm->body + mm->bodylen;
	int		 prev = 0, c;

	while (p < end) {
		buf_reset(ms->arg);
		while (p < end && buf_len(ms->arg) < MILTER_CHUNK_MAX - 1) {
			if (*p == '\n' && prev != '\r')
				buf_putc(ms->arg, '\r');
			buf_putc(ms->arg, *p);
			prev = *p++;
		}
		c = milter_ask(ms, m, MC_BODY, ms->arg, m->pflags & MP_NR_BODY,
		    m->content_timeout, NULL, idx);
		if (c == MR_SKIP)
			return 1;
		if (!milter_step(ms, m, c, res, d))
			return 0;
	}
	return 1;
}

/*
 * milter_content - the message msg through milter m: a decision, or -1
 * (m->why).  Its edits land in res.
 */
static int
milter_content(struct milters *ms, struct milter *m, int idx,
    const char *msg, size_t len, struct milter_result *res)
{
	struct milter_msg mm;
	struct buf	*name = buf_new(128, 0), *value = buf_new(256, 0);
	size_t		 i;
	int		 c, d = MILTER_CONTINUE;

	milter_msg_parse(&mm, msg, len);
	for (i = 0; i < mm.n && !(m->pflags & MP_NOHDRS); i++) {
		milter_field_split(&mm.f[i], name, value);
		buf_reset(ms->arg);
		milter_putstr(ms->arg, buf_str(name));
		milter_putstr(ms->arg, buf_str(value));
		c = milter_ask(ms, m, MC_HEADER, ms->arg, m->pflags & MP_NR_HDR,
		    m->content_timeout, NULL, idx);
		if (!milter_step(ms, m, c, res, &d))
			goto out;
	}
	if (milter_macros(ms, m, MILTER_M_EOH, MC_EOH) < 0) {
		d = -1;
		goto out;
	}
	if (!(m->pflags & MP_NOEOH)) {
		c = milter_ask(ms, m, MC_EOH, NULL, m->pflags & MP_NR_EOH,
		    m->content_timeout, NULL, idx);
		if (!milter_step(ms, m, c, res, &d))
			goto out;
	}
	if (!(m->pflags & MP_NOBODY) && !milter_body(ms, m, idx, &mm, res, &d))
		goto out;
	if (milter_macros(ms, m, MILTER_M_EOM, MC_EOM) < 0) {
		d = -1;
		goto out;
	}
	c = milter_ask(ms, m, MC_EOM, NULL, 0, m->content_timeout,
	    res, idx);
	m->in_msg = 0;
	if (!milter_step(ms, m, c, res, &d))
		goto out;
out:
	milter_msg_free(&mm);
	buf_free(&name);
	buf_free(&value);
	return d;
}

/*
 * milter_edited - the edits of milter idx (from edit number start) made
 * to the message *p, which then points at the new text in *cur: 0, -1.
 */
static int
milter_edited(struct milters *ms, struct milter *m, int idx, size_t start,
    struct milter_result *res, struct buf **cur, const char **p, size_t *len)
{
	long long	 lim = var_message_size_limit;
	struct buf	*next = buf_new(*len + 1024, lim > 0 ?
	    (size_t)lim * 2 + 1048576 : 0);

	if (milter_edit_apply(res->edit + start, res->nedit - start,
	    ms->body_by == idx ? res->body : NULL, *p, *len, next,
	    m->why) < 0) {
		buf_free(&next);
		return -1;
	}
	buf_free(cur);
	*cur = next;
	*p = buf_str(next);
	*len = buf_len(next);
	return 0;
}

/*
 * milters_message - the message at the end of DATA through every milter
 * still in the transaction, in order; res gets the decision, the edits
 * and the edited message.  The transaction is over afterwards.
 */
int
milters_message(struct milters *ms, const char *msg, size_t len,
    struct milter_result *res)
{
	struct buf	*cur = NULL;
	struct milter	*m;
	size_t		 start;
	int		 i, d = MILTER_CONTINUE;

	res->reply.decision = MILTER_CONTINUE;
	if (ms->failed)
		d = milter_sticky(ms, &res->reply);
	else if (ms->discard)
		d = MILTER_DISCARD;
	ms->body_by = -1;
	ms->edit_bytes = 0;
	for (i = 0; i < ms->n && d == MILTER_CONTINUE; i++) {
		m = &ms->m[i];
		if (m->state != MS_READY || m->msg_done)
			continue;
		start = res->nedit;
		d = milter_content(ms, m, i, msg, len, res);
		if (d >= 0 && (res->nedit > start || ms->body_by == i) &&
		    milter_edited(ms, m, i, start, res, &cur, &msg, &len) < 0)
			d = -1;
		if (d < 0) {
			/* Its edits go with it. */
			while (res->nedit > start) {
				res->nedit--;
				free(res->edit[res->nedit].name);
				free(res->edit[res->nedit].value);
			}
			if (ms->body_by == i) {
				buf_free(&res->body);
				ms->body_by = -1;
			}
			d = milter_fail(ms, m, &res->reply);
		}
	}
	res->reply.decision = d;
	if (d != MILTER_CONTINUE) {
		/* A refused or discarded message keeps no edits. */
		while (res->nedit > 0) {
			res->nedit--;
			free(res->edit[res->nedit].name);
			free(res->edit[res->nedit].value);
		}
		buf_free(&res->body);
	}
	if (d == MILTER_CONTINUE && cur != NULL) {
		res->message = cur;
		cur = NULL;
	}
	buf_free(&cur);
	if (ms->hold && res->quarantine == NULL) {
		res->quarantine = buf_new(128, 1024);
		buf_set(res->quarantine, "a milter failed and "
		    "milter_default_action is quarantine");
	}
	milters_abort(ms);
	return d;
}
