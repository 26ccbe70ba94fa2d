/*
 * mime - the structure of a message for imapd (RFC 5322, RFC 2045/2046,
 * RFC 2231, RFC 3501 7.4.2).
 *
 * mime_parse makes one pass over a message held in memory: a single
 * cursor moves line by line from the first byte to the last, and every
 * line is looked at once, whatever the nesting.  A line that starts with
 * "--" is compared with the boundaries of the open multiparts (at most
 * MIME_DEPTH_MAX of them), innermost first, so finding boundaries is
 * linear in the size of the message.  Line feeds are counted on the way,
 * which gives the line counts of every part for free.  Everything the
 * tree holds (parts, header values, parameters) comes from one arena that
 * mime_free releases at once; nothing is allocated per line.
 *
 * The input is distrusted: a missing boundary, a multipart without any, a
 * part cut short by an outer boundary or by the end of the message, a
 * header without its blank line, binary junk — all give a tree (a broken
 * multipart shows one empty text/plain part, as other servers do), never
 * an error.  Nesting stops at MIME_DEPTH_MAX and the count of parts at
 * MIME_PARTS_MAX: below those, a multipart or message/rfc822 is one opaque
 * body.  Output strings go through mime_imap_string, which picks a quoted
 * string or a literal so that no header byte can break the IMAP syntax.
 *
 * This file: the parser; mime_section.c: part numbers and BODY[section];
 * mime_imap.c: the IMAP forms (strings, BODYSTRUCTURE, ENVELOPE);
 * mime_decode.c: decoding and search for SEARCH.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mime.h"
#include "util.h"

/* The arena: chunks that grow, freed together. */
struct mime_arena {
	struct mime_arena *next;
	size_t		 used;
	size_t		 size;
	char		 data[];
};

#define MIME_ARENA_FIRST	2048
#define MIME_ARENA_BIG		65536

/* What mime_parse returns is the first member of this. */
struct mime_tree {
	struct mime_part root;
	struct mime_arena *arena;
};

struct mime_parser {
	const char	*msg;
	size_t		 len;
	size_t		 lf;		/* line feeds before the cursor */
	struct mime_tree *tree;
	const char	*bnd[MIME_DEPTH_MAX + 1];	/* open boundaries */
	size_t		 bndlen[MIME_DEPTH_MAX + 1];
	int		 nbnd;
	size_t		 nparts;
};

#define MIME_PARAMS_MAX	64	/* parameters kept per header field */

static const char mime_default_type[] = "text";
static const char mime_default_subtype[] = "plain";

/* mime_arena_alloc - zeroed, 8-aligned memory that lives as long as the tree */
static void *
mime_arena_alloc(struct mime_arena **head, size_t n)
{
	struct mime_arena *a = *head;
	size_t size;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (a == NULL || a->size - a->used < n) {
		size = a == NULL ? MIME_ARENA_FIRST : a->size * 2;
		if (size > MIME_ARENA_BIG)
			size = MIME_ARENA_BIG;
		if (size < n)
			size = n;
		a = xmalloc(sizeof(*a) + size);
		a->size = size;
		a->used = 0;
		a->next = *head;
		*head = a;
	}
	p = a->data + a->used;
	a->used += n;
	memset(p, 0, n);
	return p;
}

/* mime_strndup - copy n bytes into the arena, NUL-terminated */
static char *
mime_strndup(struct mime_parser *P, const char *s, size_t n)
{
	char *p = mime_arena_alloc(&P->tree->arena, n + 1);

	memcpy(p, s, n);
	return p;
}

/* mime_is_wsp - SP or HTAB */
static int
mime_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* mime_is_space - white space, line ends included */
static int
mime_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* mime_eq - does s[0..n) equal the C string lit, any ASCII case? */
static int
mime_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/*
 * Header fields.
 */

/* mime_header_size - length of the header including its blank line */
size_t
mime_header_size(const char *msg, size_t len)
{
	const char *nl;
	size_t pos = 0;

	while (pos < len) {
		if (msg[pos] == '\n')
			return pos + 1;
		if (msg[pos] == '\r' && pos + 1 < len && msg[pos + 1] == '\n')
			return pos + 2;
		if ((nl = memchr(msg + pos, '\n', len - pos)) == NULL)
			break;
		pos = nl - msg + 1;
	}
	return len;
}

/* mime_header_next - the next field of a header: name and raw value */
int
mime_header_next(const char *hdr, size_t len, size_t *pos, const char **name,
    size_t *nlen, const char **val, size_t *vlen)
{
	const char *nl, *colon;
	size_t p, end, n;

	for (;;) {
		p = *pos;
		if (p >= len || hdr[p] == '\n' ||
		    (hdr[p] == '\r' && p + 1 < len && hdr[p + 1] == '\n')) {
			*pos = len;
			return 0;
		}
		/* The field runs to the first line not starting with WSP. */
		end = p;
		do {
			if ((nl = memchr(hdr + end, '\n', len - end)) == NULL) {
				end = len;
				break;
			}
			end = nl - hdr + 1;
		} while (end < len && mime_is_wsp(hdr[end]));
		*pos = end;
		if (mime_is_wsp(hdr[p]))
			continue;		/* a stray continuation */
		nl = memchr(hdr + p, '\n', end - p);
		n = (nl != NULL ? (size_t)(nl - hdr) : end) - p;
		if ((colon = memchr(hdr + p, ':', n)) == NULL)
			continue;		/* not a field: skipped */
		*name = hdr + p;
		*nlen = colon - (hdr + p);
		while (*nlen > 0 && mime_is_wsp((*name)[*nlen - 1]))
			(*nlen)--;
		*val = colon + 1;
		*vlen = hdr + end - *val;
		if (*vlen > 0 && (*val)[*vlen - 1] == '\n')
			(*vlen)--;
		if (*vlen > 0 && (*val)[*vlen - 1] == '\r')
			(*vlen)--;
		return 1;
	}
}

/* mime_unfold - append a raw field value without its line breaks, trimmed */
void
mime_unfold(const char *s, size_t n, struct buf *out)
{
	const char *e = s + n, *brk;

	while (s < e && mime_is_space((unsigned char)*s))
		s++;
	while (e > s && mime_is_space((unsigned char)e[-1]))
		e--;
	while (s < e) {
		if ((brk = memchr(s, '\n', e - s)) == NULL) {
			buf_append(out, s, e - s);
			break;
		}
		n = brk - s;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		buf_append(out, s, n);
		s = brk + 1;
	}
}

/* mime_header_get - append the unfolded value of the first field called name */
int
mime_header_get(const char *hdr, size_t len, const char *name, struct buf *out)
{
	const char *n, *v;
	size_t pos = 0, nlen, vlen;

	while (mime_header_next(hdr, len, &pos, &n, &nlen, &v, &vlen))
		if (mime_eq(n, nlen, name)) {
			mime_unfold(v, vlen, out);
			return 1;
		}
	return 0;
}

/* mime_header_fields - append the fields named (not named) in the list */
void
mime_header_fields(const char *hdr, size_t len, const char *const *names,
    size_t count, int not, struct buf *out)
{
	const char *n, *v;
	size_t pos = 0, nlen, vlen, i, start;
	int hit;

	while (mime_header_next(hdr, len, &pos, &n, &nlen, &v, &vlen)) {
		for (hit = 0, i = 0; i < count && !hit; i++)
			hit = mime_eq(n, nlen, names[i]);
		if (hit == not)
			continue;
		start = n - hdr;
		buf_append(out, n, pos - start);
		if (hdr[pos - 1] != '\n')
			buf_append(out, "\r\n", 2);
	}
	buf_append(out, "\r\n", 2);
}

/*
 * Content- fields: RFC 2045 tokens and parameters, RFC 822 comments,
 * RFC 2231 continuations.
 */

struct mime_lex {
	const char	*p;
	const char	*e;
};

/* mime_lex_cfws - skip white space and (nested) comments */
static void
mime_lex_cfws(struct mime_lex *L)
{
	int depth;

	for (;;) {
		while (L->p < L->e && mime_is_space((unsigned char)*L->p))
			L->p++;
		if (L->p >= L->e || *L->p != '(')
			return;
		for (depth = 0; L->p < L->e; L->p++) {
			if (*L->p == '\\' && L->p + 1 < L->e)
				L->p++;
			else if (*L->p == '(')
				depth++;
			else if (*L->p == ')' && --depth == 0) {
				L->p++;
				break;
			}
		}
	}
}

/* mime_is_tspecial - RFC 2045 tspecials, white space and controls */
static int
mime_is_tspecial(int c)
{
	return c <= ' ' || c == 127 || strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* mime_lex_token - an RFC 2045 token; 0 if there is none */
static int
mime_lex_token(struct mime_lex *L, const char **s, size_t *n)
{
	const char *p;

	mime_lex_cfws(L);
	p = L->p;
	while (L->p < L->e && !mime_is_tspecial((unsigned char)*L->p))
		L->p++;
	*s = p;
	*n = L->p - p;
	return *n > 0;
}

/*
 * mime_lex_value - a parameter value: a quoted string (unescaped into the
 * arena) or, leniently, any run up to ';', white space or a comment.
 */
static char *
mime_lex_value(struct mime_parser *P, struct mime_lex *L)
{
	const char *p;
	char *v, *q;

	mime_lex_cfws(L);
	if (L->p < L->e && *L->p == '"') {
		p = ++L->p;
		while (L->p < L->e && *L->p != '"') {
			if (*L->p == '\\' && L->p + 1 < L->e)
				L->p++;
			L->p++;
		}
		v = q = mime_arena_alloc(&P->tree->arena, L->p - p + 1);
		for (; p < L->p; p++) {
			if (*p == '\\' && p + 1 < L->p)
				p++;
			*q++ = *p;
		}
		if (L->p < L->e)
			L->p++;
		return v;
	}
	p = L->p;
	while (L->p < L->e && *L->p != ';' && *L->p != '(' &&
	    !mime_is_space((unsigned char)*L->p))
		L->p++;
	return mime_strndup(P, p, L->p - p);
}

/* mime_2231_section - "name*N" or "name*N*": N, and *ext; -1 if neither */
static long
mime_2231_section(const char *name, size_t *base, int *ext)
{
	const char *star = strchr(name, '*');
	char *end;
	long n;

	if (star == NULL || star[1] < '0' || star[1] > '9')
		return -1;
	n = strtol(star + 1, &end, 10);
	if (n < 0 || n > 999 || (*end != '\0' && strcmp(end, "*") != 0))
		return -1;
	*base = star - name;
	*ext = *end == '*';
	return n;
}

/*
 * mime_params_join - merge RFC 2231 continuations ("name*0", "name*1*")
 * into one parameter in place: "name" with the pieces joined, or "name*"
 * (value still charset'lang'%XX) when the first piece is extended.  Other
 * parameters, and pieces without a section 0, are kept as they are, in
 * their order.  Each name is looked at once; a stem's pieces are then
 * ordered among themselves, so the work stays small for any header.
 */
static size_t
mime_params_join(struct mime_parser *P, struct mime_param *p, size_t n)
{
	struct mime_param res[MIME_PARAMS_MAX];
	long sec[MIME_PARAMS_MAX];
	size_t base[MIME_PARAMS_MAX], piece[MIME_PARAMS_MAX];
	int ext[MIME_PARAMS_MAX], used[MIME_PARAMS_MAX];
	size_t i, j, k, m, total, len, out = 0;
	long want;
	char *v, *name;

	for (i = 0; i < n; i++) {
		sec[i] = mime_2231_section(p[i].name, &base[i], &ext[i]);
		used[i] = 0;
	}
	for (i = 0; i < n; i++) {
		if (used[i])
			continue;	/* joined into an earlier one */
		if (sec[i] < 0) {
			used[i] = 1;
			res[out++] = p[i];
			continue;
		}
		/* The pieces of this stem, in section order 0, 1, 2... */
		for (m = 0, want = 0;; want++) {
			for (j = i; j < n; j++)
				if (!used[j] && sec[j] == want &&
				    base[j] == base[i] && strncasecmp(p[j].name,
				    p[i].name, base[i]) == 0)
					break;
			if (j == n)
				break;
			piece[m++] = j;
			used[j] = 1;
		}
		if (m == 0) {		/* no section 0: kept as it is */
			used[i] = 1;
			res[out++] = p[i];
			continue;
		}
		for (total = 0, k = 0; k < m; k++)
			total += strlen(p[piece[k]].value);
		v = mime_arena_alloc(&P->tree->arena, total + 1);
		for (total = 0, k = 0; k < m; k++) {
			len = strlen(p[piece[k]].value);
			memcpy(v + total, p[piece[k]].value, len);
			total += len;
		}
		name = mime_strndup(P, p[piece[0]].name, base[i] + 1);
		name[base[i]] = ext[piece[0]] ? '*' : '\0';
		res[out].name = name;
		res[out].value = v;
		out++;
		if (!used[i])		/* i was a piece after a gap: kept */
			res[out++] = p[i];
		used[i] = 1;
	}
	memcpy(p, res, out * sizeof(*p));
	return out;
}

/* mime_parse_params - "; name=value" pairs after a value */
static void
mime_parse_params(struct mime_parser *P, struct mime_lex *L,
    struct mime_param **pp, size_t *np)
{
	struct mime_param tmp[MIME_PARAMS_MAX];
	const char *s;
	size_t n = 0, len;

	for (;;) {
		mime_lex_cfws(L);
		while (L->p < L->e && *L->p != ';')	/* junk: skipped */
			L->p++;
		if (L->p >= L->e)
			break;
		L->p++;
		if (!mime_lex_token(L, &s, &len))
			continue;
		mime_lex_cfws(L);
		if (L->p >= L->e || *L->p != '=')
			continue;
		L->p++;
		if (n == MIME_PARAMS_MAX)
			continue;
		tmp[n].name = mime_strndup(P, s, len);
		tmp[n].value = mime_lex_value(P, L);
		n++;
	}
	n = mime_params_join(P, tmp, n);
	if (n == 0)
		return;
	*pp = mime_arena_alloc(&P->tree->arena, n * sizeof(**pp));
	memcpy(*pp, tmp, n * sizeof(**pp));
	*np = n;
}

/* mime_lower - a lowercase copy in the arena */
static const char *
mime_lower(struct mime_parser *P, const char *s, size_t n)
{
	char *p = mime_strndup(P, s, n);

	return lowercase(p);
}

/* mime_content_type - type "/" subtype *(";" parameter) */
static void
mime_content_type(struct mime_parser *P, struct mime_part *part,
    const char *v, size_t n)
{
	struct mime_lex L = { v, v + n };
	const char *t, *s;
	size_t tn, sn;

	if (!mime_lex_token(&L, &t, &tn))
		return;
	mime_lex_cfws(&L);
	if (L.p >= L.e || *L.p != '/')
		return;			/* invalid: the default applies */
	L.p++;
	if (!mime_lex_token(&L, &s, &sn))
		return;
	part->type_raw = mime_strndup(P, t, tn);
	part->subtype_raw = mime_strndup(P, s, sn);
	part->type = mime_lower(P, t, tn);
	part->subtype = mime_lower(P, s, sn);
	mime_parse_params(P, &L, &part->params, &part->nparams);
}

/* mime_content_disposition - token *(";" parameter) */
static void
mime_content_disposition(struct mime_parser *P, struct mime_part *part,
    const char *v, size_t n)
{
	struct mime_lex L = { v, v + n };
	const char *t;
	size_t tn;

	if (!mime_lex_token(&L, &t, &tn))
		return;
	part->disposition = mime_strndup(P, t, tn);
	mime_parse_params(P, &L, &part->disp_params, &part->ndisp_params);
}

/* mime_content_language - language tags separated by commas */
static void
mime_content_language(struct mime_parser *P, struct mime_part *part,
    const char *v, size_t n)
{
	struct mime_lex L = { v, v + n };
	const char *tags[MIME_PARAMS_MAX], *t;
	size_t count = 0, tn;

	for (;;) {
		mime_lex_cfws(&L);
		if (L.p >= L.e)
			break;
		if (*L.p == ',') {
			L.p++;
			continue;
		}
		if (!mime_lex_token(&L, &t, &tn)) {
			L.p++;			/* junk */
			continue;
		}
		if (count < MIME_PARAMS_MAX)
			tags[count++] = mime_strndup(P, t, tn);
	}
	if (count == 0)
		return;
	part->language = mime_arena_alloc(&P->tree->arena,
	    count * sizeof(*part->language));
	memcpy(part->language, tags, count * sizeof(*tags));
	part->nlanguage = count;
}

/* mime_unfold_arena - a field value unfolded and trimmed, in the arena */
static char *
mime_unfold_arena(struct mime_parser *P, const char *s, size_t n)
{
	char *out = mime_arena_alloc(&P->tree->arena, n + 1), *q = out;
	const char *e = s + n;

	while (s < e && mime_is_space((unsigned char)*s))
		s++;
	while (e > s && mime_is_space((unsigned char)e[-1]))
		e--;
	for (; s < e; s++)
		if (*s != '\r' && *s != '\n')
			*q++ = *s;
	return out;
}

/* mime_field - note a Content- field of a part's header */
static void
mime_field(struct mime_parser *P, struct mime_part *part, size_t start,
    size_t end)
{
	const char *s = P->msg + start, *name, *colon, *v;
	size_t nlen, vlen;

	if (end - start < 9 || strncasecmp(s, "content-", 8) != 0)
		return;
	if ((colon = memchr(s, ':', end - start)) == NULL)
		return;
	name = s + 8;
	nlen = colon - name;
	while (nlen > 0 && mime_is_wsp(name[nlen - 1]))
		nlen--;
	v = colon + 1;
	vlen = P->msg + end - v;
	if (mime_eq(name, nlen, "type")) {
		if (part->type_raw == NULL)
			mime_content_type(P, part, v, vlen);
	} else if (mime_eq(name, nlen, "transfer-encoding")) {
		if (part->encoding == NULL) {
			struct mime_lex L = { v, v + vlen };
			const char *t;
			size_t tn;

			if (mime_lex_token(&L, &t, &tn))
				part->encoding = mime_strndup(P, t, tn);
		}
	} else if (mime_eq(name, nlen, "id")) {
		if (part->id == NULL)
			part->id = mime_unfold_arena(P, v, vlen);
	} else if (mime_eq(name, nlen, "description")) {
		if (part->description == NULL)
			part->description = mime_unfold_arena(P, v, vlen);
	} else if (mime_eq(name, nlen, "disposition")) {
		if (part->disposition == NULL)
			mime_content_disposition(P, part, v, vlen);
	} else if (mime_eq(name, nlen, "language")) {
		if (part->language == NULL)
			mime_content_language(P, part, v, vlen);
	} else if (mime_eq(name, nlen, "location")) {
		if (part->location == NULL)
			part->location = mime_unfold_arena(P, v, vlen);
	} else if (mime_eq(name, nlen, "md5")) {
		if (part->md5 == NULL)
			part->md5 = mime_unfold_arena(P, v, vlen);
	}
}

/*
 * The parser.
 */

/* mime_param_get - the value of a parameter, any case; NULL if absent */
static const char *
mime_param_get(const struct mime_param *p, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(p[i].name, name) == 0)
			return p[i].value;
	return NULL;
}

/*
 * mime_boundary_at - is the line [pos, eol) a delimiter of an open
 * multipart?  "--" boundary, optionally "--", then only white space
 * (RFC 2046 5.1.1).  The innermost boundary is tried first.  Returns its
 * level, or -1.
 */
static int
mime_boundary_at(const struct mime_parser *P, size_t pos, size_t eol)
{
	const char *s = P->msg + pos;
	size_t n = eol - pos, k;
	int i;

	for (i = P->nbnd - 1; i >= 0; i--) {
		if (n < 2 + P->bndlen[i] ||
		    memcmp(s + 2, P->bnd[i], P->bndlen[i]) != 0)
			continue;
		k = 2 + P->bndlen[i];
		if (k + 1 < n && s[k] == '-' && s[k + 1] == '-')
			k += 2;
		while (k < n && (mime_is_wsp(s[k]) || s[k] == '\r'))
			k++;
		if (k == n)
			return i;
	}
	return -1;
}

/* mime_next_line - the start of the line after the one at pos */
static size_t
mime_next_line(struct mime_parser *P, size_t pos)
{
	const char *nl = memchr(P->msg + pos, '\n', P->len - pos);

	if (nl == NULL)
		return P->len;
	P->lf++;
	return nl - P->msg + 1;
}

/*
 * mime_scan - move from pos (a line start) to the first delimiter line of
 * an open multipart; returns its offset (the message length if none) and
 * its level in *which (-1 if none).
 */
static size_t
mime_scan(struct mime_parser *P, size_t pos, int *which)
{
	const char *m = P->msg, *nl;
	size_t len = P->len, eol;
	int w;

	*which = -1;
	if (P->nbnd == 0) {
		while (pos < len && (nl = memchr(m + pos, '\n',
		    len - pos)) != NULL) {
			P->lf++;
			pos = nl - m + 1;
		}
		return len;
	}
	while (pos < len) {
		nl = memchr(m + pos, '\n', len - pos);
		eol = nl != NULL ? (size_t)(nl - m) : len;
		if (eol - pos >= 2 && m[pos] == '-' && m[pos + 1] == '-' &&
		    (w = mime_boundary_at(P, pos, eol)) >= 0) {
			*which = w;
			return pos;
		}
		if (nl == NULL)
			return len;
		P->lf++;
		pos = eol + 1;
	}
	return len;
}

/*
 * mime_header - read a header from pos to its blank line, noting the
 * Content- fields.  A delimiter line of an open multipart also ends it
 * (then *which is its level, and the line break before it is left out of
 * the header).  Returns where reading goes on.
 */
static size_t
mime_header(struct mime_parser *P, struct mime_part *part, size_t pos,
    int *which)
{
	const char *m = P->msg, *nl;
	size_t len = P->len, eol, next, field = SIZE_MAX, i;
	int w;

	*which = -1;
	part->hdr_off = pos;
	while (pos < len) {
		nl = memchr(m + pos, '\n', len - pos);
		eol = nl != NULL ? (size_t)(nl - m) : len;
		next = nl != NULL ? eol + 1 : len;
		if (eol == pos || (eol == pos + 1 && m[pos] == '\r')) {
			if (field != SIZE_MAX)
				mime_field(P, part, field, pos);
			if (nl != NULL)
				P->lf++;
			part->hdr_len = next - part->hdr_off;
			return next;
		}
		if (P->nbnd > 0 && eol - pos >= 2 && m[pos] == '-' &&
		    m[pos + 1] == '-' &&
		    (w = mime_boundary_at(P, pos, eol)) >= 0) {
			*which = w;
			break;
		}
		if (!mime_is_wsp(m[pos])) {
			if (field != SIZE_MAX)
				mime_field(P, part, field, pos);
			field = pos;
		}
		if (!(part->flags & MIME_F_8BIT))
			for (i = pos; i < eol; i++)
				if ((unsigned char)m[i] >= 0x80) {
					part->flags |= MIME_F_8BIT;
					break;
				}
		if (nl != NULL)
			P->lf++;
		pos = next;
	}
	if (field != SIZE_MAX)
		mime_field(P, part, field, pos);
	part->hdr_len = pos - part->hdr_off;
	if (*which >= 0 && part->hdr_len > 0) {
		/* The line break before a delimiter is the delimiter's. */
		part->hdr_len--;
		if (part->hdr_len > 0 && m[part->hdr_off + part->hdr_len - 1] ==
		    '\r')
			part->hdr_len--;
	}
	return pos;
}

/* mime_new_part - a zeroed part in the arena, counted */
static struct mime_part *
mime_new_part(struct mime_parser *P, struct mime_part *parent, int flags)
{
	struct mime_part *p;

	p = mime_arena_alloc(&P->tree->arena, sizeof(*p));
	p->parent = parent;
	p->depth = parent->depth + 1;
	p->flags = flags;
	P->nparts++;
	return p;
}

static size_t mime_entity(struct mime_parser *, struct mime_part *, size_t,
	    int *);

/*
 * mime_multipart - the body of a multipart from pos: preamble, parts,
 * epilogue.  Returns where it ends (a delimiter of an outer multipart, or
 * the end of the message), with that delimiter's level in *which.
 */
static size_t
mime_multipart(struct mime_parser *P, struct mime_part *part,
    const char *boundary, size_t pos, int *which)
{
	struct mime_part *child, **tail = &part->child;
	size_t end, k;
	int own = P->nbnd, w, closing;

	P->bnd[own] = boundary;
	P->bndlen[own] = strlen(boundary);
	P->nbnd++;
	end = mime_scan(P, pos, &w);			/* the preamble */
	while (w == own) {
		k = end + 2 + P->bndlen[own];
		closing = k + 1 < P->len && P->msg[k] == '-' &&
		    P->msg[k + 1] == '-';
		pos = mime_next_line(P, end);
		if (closing) {
			P->nbnd = own;
			end = mime_scan(P, pos, which);	/* the epilogue */
			return end;
		}
		if (P->nparts >= MIME_PARTS_MAX) {
			end = mime_scan(P, pos, &w);	/* parts not kept */
			continue;
		}
		child = mime_new_part(P, part, 0);
		*tail = child;
		tail = &child->next;
		part->nchildren++;
		end = mime_entity(P, child, pos, &w);
	}
	P->nbnd = own;
	part->flags |= MIME_F_NOEND;
	if (part->nchildren == 0)
		part->flags |= MIME_F_BROKEN;
	*which = w;
	return end;
}

/* mime_identity_encoding - 7bit, 8bit, binary or none: structure visible */
static int
mime_identity_encoding(const char *enc)
{
	return enc == NULL || strcasecmp(enc, "7bit") == 0 ||
	    strcasecmp(enc, "8bit") == 0 || strcasecmp(enc, "binary") == 0;
}

/*
 * mime_entity - a header and its body from pos: a message (the root or
 * what message/rfc822 encloses) or a body part of a multipart.  Returns
 * where it ends, as mime_multipart does.
 */
static size_t
mime_entity(struct mime_parser *P, struct mime_part *part, size_t pos,
    int *which)
{
	const char *boundary;
	struct mime_part *msg;
	size_t end, lf0, b;
	int w, room;

	pos = mime_header(P, part, pos, &w);
	if (part->type == NULL) {
		if (part->parent != NULL && !(part->flags & MIME_F_MESSAGE) &&
		    strcmp(part->parent->subtype, "digest") == 0) {
			part->type = "message";
			part->subtype = "rfc822";
		} else {
			part->type = mime_default_type;
			part->subtype = mime_default_subtype;
		}
	}
	part->body_off = part->hdr_off + part->hdr_len;
	if (w >= 0) {				/* a delimiter cut the header */
		*which = w;
		return pos;
	}
	lf0 = P->lf;
	room = part->depth < MIME_DEPTH_MAX && P->nparts < MIME_PARTS_MAX;
	if (strcmp(part->type, "multipart") == 0 && room && P->nbnd <
	    MIME_DEPTH_MAX && (boundary = mime_param_get(part->params,
	    part->nparams, "boundary")) != NULL && *boundary != '\0')
		end = mime_multipart(P, part, boundary, pos, &w);
	else if (strcmp(part->type, "message") == 0 &&
	    strcmp(part->subtype, "rfc822") == 0 && room &&
	    mime_identity_encoding(part->encoding)) {
		msg = mime_new_part(P, part, MIME_F_MESSAGE);
		part->message = msg;
		end = mime_entity(P, msg, pos, &w);
	} else {
		if (strcmp(part->type, "multipart") == 0)
			part->flags |= MIME_F_BROKEN;
		end = mime_scan(P, pos, &w);
	}
	/* The line break before a delimiter belongs to the delimiter. */
	b = end;
	part->lines = P->lf - lf0;
	if (w >= 0 && b > part->body_off && P->msg[b - 1] == '\n') {
		b--;
		part->lines--;
		if (b > part->body_off && P->msg[b - 1] == '\r')
			b--;
	} else if (w >= 0 && b == part->body_off && part->hdr_len > 0 &&
	    P->msg[b - 1] == '\n') {
		/* Empty body: the blank line is the delimiter's line break. */
		b--;
		if (b > part->hdr_off && P->msg[b - 1] == '\r')
			b--;
		part->hdr_len = b - part->hdr_off;
		part->body_off = b;
		if (part->message != NULL)	/* cut short by the delimiter */
			part->message->hdr_off = part->message->body_off = b;
	}
	part->body_len = b - part->body_off;
	if (part->child != NULL) {
		struct mime_part *last = part->child;

		while (last->next != NULL)
			last = last->next;
		/*
		 * An empty last part right after its delimiter line, cut by an
		 * outer delimiter: that line's break was the outer one's.
		 */
		if (last->hdr_off > b)
			last->hdr_off = last->body_off = b;
	}
	*which = w;
	return end;
}

/* mime_parse - the part tree of a whole message */
struct mime_part *
mime_parse(const char *msg, size_t len, struct buf *why)
{
	struct mime_parser P;
	struct mime_arena *arena = NULL;
	struct mime_tree *tree;
	int w;

	if ((unsigned long long)len > MIME_SIZE_MAX) {
		buf_setf(why, "message of %zu bytes is too large for IMAP",
		    len);
		return NULL;
	}
	tree = mime_arena_alloc(&arena, sizeof(*tree));
	tree->arena = arena;
	memset(&P, 0, sizeof(P));
	P.msg = msg;
	P.len = len;
	P.tree = tree;
	P.nparts = 1;
	tree->root.flags = MIME_F_MESSAGE;
	(void)mime_entity(&P, &tree->root, 0, &w);
	return &tree->root;
}

/* mime_free - release a tree made by mime_parse */
void
mime_free(struct mime_part **rootp)
{
	struct mime_tree *tree;
	struct mime_arena *a, *next;

	if (*rootp == NULL)
		return;
	tree = (struct mime_tree *)*rootp;
	for (a = tree->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	*rootp = NULL;
}
