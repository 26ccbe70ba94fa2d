/*
 * milter_edit - a message's header as a list of fields, the edits milters
 * ask for at the end of a message, and those edits made to the message's
 * bytes.
 *
 * The header ends at the first empty line, or at the first line that is
 * neither a field ("name:" with a name of printable characters) nor the
 * continuation of one; what follows is kept byte for byte unless a
 * milter replaced the body.  Edited and added fields get the line endings
 * of the message (CRLF or LF), whatever the milter sent; a value that
 * does not start with white space gets one space after the colon.
 *
 * Header edits are counted by their name, case-insensitively, as
 * libmilter's smfi_chgheader: index 1 is the first field of that name (0
 * counts as 1); a change of a missing field adds it unless it deletes.
 * An insertion's index counts every field (0: before the first).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "milter_int.h"
#include "msg.h"
#include "util.h"

/* milter_name_len - the length of the field name line starts with, if
 * a colon follows it (white space between allowed, RFC 5322 4.5.3) */
static size_t
milter_name_len(const char *p, size_t len)
{
	size_t		 i, n;

	for (i = 0; i < len && p[i] != ':'; i++)
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] > '~')
			break;
	for (n = i; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	return i < len && p[i] == ':' ? n : 0;
}

/* milter_msg_add - one field (copied) at the end of the list */
static void
milter_msg_add(struct milter_msg *mm, const char *p, size_t len)
{
	mm->f = xrealloc(mm->f, (mm->n + 1) * sizeof(*mm->f));
	mm->f[mm->n].raw = xstrndup(p, len);
	mm->f[mm->n].len = len;
	mm->n++;
}

/*
 * milter_msg_parse - the fields of msg into mm, and where the rest and
 * the body start (mm points into msg for them).
 */
void
milter_msg_parse(struct milter_msg *mm, const char *msg, size_t len)
{
	const char	*p = msg, *end = msg + len, *nl, *start = NULL;
	size_t		 llen;

	memset(mm, 0, sizeof(*mm));
	nl = memchr(msg, '\n', len);
	mm->crlf = nl != NULL && nl > msg && nl[-1] == '\r';
	for (; p < end; p = nl) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		llen = (size_t)(nl - p);
		if ((*p == ' ' || *p == '\t') && start != NULL)
			continue;
		if (start != NULL)
			milter_msg_add(mm, start, (size_t)(p - start));
		start = NULL;
		if (milter_name_len(p, llen) == 0)
			break;
		start = p;
	}
	if (start != NULL)
		milter_msg_add(mm, start, (size_t)(p - start));
	mm->rest = p;
	mm->restlen = (size_t)(end - p);
	mm->body = p;
	if (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end &&
	    p[1] == '\n')))
		mm->body = p + (*p == '\n' ? 1 : 2);
	mm->bodylen = (size_t)(end - mm->body);
}

/* milter_msg_free - the list's fields */
void
milter_msg_free(struct milter_msg *mm)
{
	size_t		 i;

	for (i = 0; i < mm->n; i++)
		free(mm->f[i].raw);
	free(mm->f);
	mm->f = NULL;
	mm->n = 0;
}

/* milter_field_split - name and value (no leading white, folds as LF) */
void
milter_field_split(const struct milter_field *f, struct buf *name,
    struct buf *value)
{
	const char	*colon = memchr(f->raw, ':', f->len), *p, *end;

	buf_reset(name);
	buf_reset(value);
	buf_append(name, f->raw, milter_name_len(f->raw, f->len));
	end = f->raw + f->len;
	for (p = colon + 1; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	for (; p < end; p++)
		if (*p != '\r' || p + 1 >= end || p[1] != '\n')
			buf_putc(value, *p);
	while (buf_len(value) > 0 && value->data[buf_len(value) - 1] == '\n')
		buf_truncate(value, buf_len(value) - 1);
}

/* milter_eol_text - text with every line end (CRLF, LF) as eol */
static void
milter_eol_text(struct buf *out, const char *p, size_t len, int crlf)
{
	const char	*end = p + len;

	for (; p < end; p++) {
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			continue;
		if (*p == '\n' && crlf)
			buf_putc(out, '\r');
		buf_putc(out, *p);
	}
}

/* milter_field_new - "name: value" with the message's line endings */
static void
milter_field_new(struct milter_field *f, const char *name,
    const char *value, int crlf)
{
	struct buf	*b = buf_new(256, 0);

	buf_puts(b, name);
	buf_putc(b, ':');
	if (*value != ' ' && *value != '\t')
		buf_putc(b, ' ');
	milter_eol_text(b, value, strlen(value), crlf);
	buf_puts(b, crlf ? "\r\n" : "\n");
	f->len = buf_len(b);
	f->raw = buf_steal(&b);
}

/* milter_msg_find - the index-th field named name, or -1 */
static long
milter_msg_find(const struct milter_msg *mm, const char *name, long index)
{
	size_t		 i, nlen = strlen(name);
	long		 seen = 0;

	if (index < 1)
		index = 1;
	for (i = 0; i < mm->n; i++)
		if (milter_name_len(mm->f[i].raw, mm->f[i].len) == nlen &&
		    strncasecmp(mm->f[i].raw, name, nlen) == 0 &&
		    ++seen == index)
			return (long)i;
	return -1;
}

/* milter_msg_insert - a new field at position at (clamped) */
static void
milter_msg_insert(struct milter_msg *mm, long at, const char *name,
    const char *value)
{
	if (at < 0 || (size_t)at > mm->n)
		at = (long)mm->n;
	mm->f = xrealloc(mm->f, (mm->n + 1) * sizeof(*mm->f));
	memmove(&mm->f[at + 1], &mm->f[at], (mm->n - (size_t)at) *
	    sizeof(*mm->f));
	milter_field_new(&mm->f[at], name, value, mm->crlf);
	mm->n++;
}

/* milter_msg_edit - one header edit (others are ignored here) */
static void
milter_msg_edit(struct milter_msg *mm, const struct milter_edit *e)
{
	long		 i;

	switch (e->type) {
	case MILTER_E_ADDHDR:
		milter_msg_insert(mm, -1, e->name, e->value);
		break;
	case MILTER_E_INSHDR:
		milter_msg_insert(mm, e->index, e->name, e->value);
		break;
	case MILTER_E_CHGHDR:
		if ((i = milter_msg_find(mm, e->name, e->index)) < 0) {
			if (*e->value != '\0')
				milter_msg_insert(mm, -1, e->name, e->value);
			break;
		}
		free(mm->f[i].raw);
		if (*e->value != '\0') {
			milter_field_new(&mm->f[i], e->name, e->value,
			    mm->crlf);
			break;
		}
		memmove(&mm->f[i], &mm->f[i + 1], (mm->n - (size_t)i - 1) *
		    sizeof(*mm->f));
		mm->n--;
		break;
	}
}

/*
 * milter_edit_apply - the message msg with the header edits of edit[]
 * made in order and its body replaced by body (CRLF lines; NULL: kept)
 * into out: 0, or -1 and why when out overflowed its cap.
 */
int
milter_edit_apply(const struct milter_edit *edit, size_t nedit,
    const struct buf *body, const char *msg, size_t len, struct buf *out,
    struct buf *why)
{
	struct milter_msg mm;
	size_t		 i;

	milter_msg_parse(&mm, msg, len);
	for (i = 0; i < nedit; i++)
		milter_msg_edit(&mm, &edit[i]);
	buf_reset(out);
	for (i = 0; i < mm.n; i++)
		buf_append(out, mm.f[i].raw, mm.f[i].len);
	if (body == NULL)
		buf_append(out, mm.rest, mm.restlen);
	else {
		buf_puts(out, mm.crlf ? "\r\n" : "\n");
		milter_eol_text(out, buf_str(body), buf_len(body), mm.crlf);
	}
	milter_msg_free(&mm);
	if (buf_overflowed(out)) {
		buf_setf(why, "the edited message is larger than %zu bytes",
		    out->cap);
		return -1;
	}
	return 0;
}

/*
 * milter_edit_add - one more edit in the result: 0, or -1 past
 * MILTER_EDIT_MAX.
 */
int
milter_edit_add(struct milter_result *res, int type, long index,
    const char *name, const char *value, int milter)
{
	struct milter_edit *e;

	if (res->nedit >= MILTER_EDIT_MAX)
		return -1;
	res->edit = xrealloc(res->edit, (res->nedit + 1) * sizeof(*res->edit));
	e = &res->edit[res->nedit++];
	e->type = type;
	e->index = index;
	e->name = xstrdup(name);
	e->value = xstrdup(value ? value : "");
	e->milter = milter;
	return 0;
}

/* milter_reply_init - an empty reply: continue */
void
milter_reply_init(struct milter_reply *r)
{
	r->decision = MILTER_CONTINUE;
	r->close = 0;
	r->text = buf_new(128, 4096);
}

/* milter_reply_clear - the reply's text freed */
void
milter_reply_clear(struct milter_reply *r)
{
	buf_free(&r->text);
}

/* milter_result_init - an empty result */
void
milter_result_init(struct milter_result *res)
{
	memset(res, 0, sizeof(*res));
	milter_reply_init(&res->reply);
}

/* milter_result_clear - everything in the result freed */
void
milter_result_clear(struct milter_result *res)
{
	size_t		 i;

	for (i = 0; i < res->nedit; i++) {
		free(res->edit[i].name);
		free(res->edit[i].value);
	}
	free(res->edit);
	buf_free(&res->body);
	buf_free(&res->quarantine);
	buf_free(&res->message);
	milter_reply_clear(&res->reply);
	memset(res, 0, sizeof(*res));
}

/* milter_decision_str - a decision's name, for logs */
const char *
milter_decision_str(int d)
{
	static const char *names[] = { "continue", "reject", "tempfail",
	    "discard" };

	return d >= 0 && d <= MILTER_DISCARD ? names[d] : "?";
}

/*
 * milter_edit_addr - the address of a sender or recipient edit (with or
 * without <>) checked as an SMTP path into addr: 0, or -1 when it is not
 * one (or carries parameters)
 */
static int
milter_edit_addr(const char *text, struct buf *addr)
{
	struct buf *path = buf_new(64, ADDR_MAX + 2), *why;
	const char *params;
	int r;

	why = buf_new(64, 1024);
	if (*text == '<')
		buf_set(path, text);
	else
		buf_setf(path, "<%s>", text);
	r = buf_overflowed(path) ? -1 : addr_parse_path(buf_str(path), addr,
	    &params, why);
	if (r == 0 && *params != '\0')
		r = -1;
	buf_free(&path);
	buf_free(&why);
	return r;
}

/*
 * milter_envelope - each sender and recipient edit of res (in order),
 * its address checked, handed to fn(ctx, type, address); logged under
 * qid when fn says it took effect (1).  How many did; an address that
 * is not one is logged and skipped.
 */
int
milter_envelope(const struct milter_result *res, const char *qid,
    int (*fn)(void *, int, const char *), void *ctx)
{
	struct buf *addr = buf_new(64, 0), *pr = buf_new(64, 0);
	const struct milter_edit *e;
	size_t i;
	int n = 0;

	for (i = 0; i < res->nedit; i++) {
		e = &res->edit[i];
		if (e->type != MILTER_E_CHGFROM && e->type != MILTER_E_ADDRCPT &&
		    e->type != MILTER_E_DELRCPT)
			continue;
		if (milter_edit_addr(e->name, addr) < 0) {
			msg_warn("%s: milter: bad address in envelope edit: "
			    "%.100s", qid, printable(e->name, pr));
			continue;
		}
		if (fn(ctx, e->type, buf_str(addr)) <= 0)
			continue;
		msg_info("%s: milter: %s=<%s>", qid, e->type ==
		    MILTER_E_CHGFROM ? "from" : e->type == MILTER_E_ADDRCPT ?
		    "add to" : "delete to", printable(buf_str(addr), pr));
		n++;
	}
	buf_free(&addr);
	buf_free(&pr);
	return n;
}

/* milter_strv_find - the index of s in v[0..n) (case-insensitive), -1 */
int
milter_strv_find(char **v, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], s) == 0)
			return i;
	return -1;
}

/* milter_strv_cut - v[i] freed and the n - i - 1 after it moved down */
void
milter_strv_cut(char **v, int n, int i)
{
	free(v[i]);
	memmove(v + i, v + i + 1, sizeof(char *) * (size_t)(n - i - 1));
}
