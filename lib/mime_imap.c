/*
 * mime_imap - the IMAP forms of a parsed message (RFC 3501 7.4.2): strings
 * (quoted or literal), BODY and BODYSTRUCTURE lists, ENVELOPE with RFC 5322
 * address lists.
 *
 * Header values come from anyone: every string goes out through
 * mime_imap_string, which uses a literal whenever a quoted string could
 * not carry the bytes (CR, LF, 8-bit), so no header can break the response
 * syntax.  The address parser is lenient: it never fails, and marks what
 * it cannot make sense of with placeholders other servers use too
 * (MISSING_DOMAIN, MISSING_MAILBOX) so that a host of NIL keeps meaning a
 * group (RFC 3501: "NIL indicates [RFC-2822] group syntax").
 */
#include <sys/types.h>

#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mime.h"

#define MIME_QUOTED_MAX	1024	/* longer strings go as literals */

/* mime_imap_string - append s as NIL, a quoted string or a literal */
void
mime_imap_string(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e, *run;
	int literal = len > MIME_QUOTED_MAX;
	size_t i;

	if (s == NULL) {
		buf_append(out, "NIL", 3);
		return;
	}
	for (i = 0; i < len && !literal; i++)
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0' ||
		    p[i] >= 0x80)
			literal = 1;
	e = p + len;
	if (literal) {
		/* A literal carries any byte but NUL (RFC 3501 CHAR8). */
		buf_appendf(out, "{%zu}\r\n", len);
		for (run = p; p < e; p++)
			if (*p == '\0') {
				buf_append(out, run, p - run);
				buf_putc(out, '?');
				run = p + 1;
			}
		buf_append(out, run, p - run);
		return;
	}
	buf_putc(out, '"');
	for (run = p; p < e; p++)
		if (*p == '"' || *p == '\\') {
			buf_append(out, run, p - run);
			buf_putc(out, '\\');
			run = p;
		}
	buf_append(out, run, p - run);
	buf_putc(out, '"');
}

/* mime_imap_nstring - mime_imap_string for a C string (NULL: NIL) */
void
mime_imap_nstring(struct buf *out, const char *s)
{
	mime_imap_string(out, s, s != NULL ? strlen(s) : 0);
}

/*
 * BODY and BODYSTRUCTURE.
 */

/* mime_bs_params - body-fld-param: ("name" "value" ...) or NIL */
static void
mime_bs_params(struct buf *out, const struct mime_param *p, size_t n,
    int add_charset)
{
	size_t i;

	for (i = 0; i < n && add_charset; i++)
		if (strcasecmp(p[i].name, "charset") == 0)
			add_charset = 0;
	if (n == 0 && !add_charset) {
		buf_append(out, "NIL", 3);
		return;
	}
	buf_putc(out, '(');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(out, ' ');
		mime_imap_nstring(out, p[i].name);
		buf_putc(out, ' ');
		mime_imap_nstring(out, p[i].value);
	}
	if (add_charset)
		buf_puts(out, n > 0 ? " \"charset\" \"us-ascii\"" :
		    "\"charset\" \"us-ascii\"");
	buf_putc(out, ')');
}

/* mime_bs_ext - body-fld-dsp SP body-fld-lang SP body-fld-loc */
static void
mime_bs_ext(struct buf *out, const struct mime_part *p)
{
	size_t i;

	if (p->disposition != NULL) {
		buf_putc(out, '(');
		mime_imap_nstring(out, p->disposition);
		buf_putc(out, ' ');
		mime_bs_params(out, p->disp_params, p->ndisp_params, 0);
		buf_putc(out, ')');
	} else
		buf_append(out, "NIL", 3);
	buf_putc(out, ' ');
	if (p->nlanguage > 0) {
		buf_putc(out, '(');
		for (i = 0; i < p->nlanguage; i++) {
			if (i > 0)
				buf_putc(out, ' ');
			mime_imap_nstring(out, p->language[i]);
		}
		buf_putc(out, ')');
	} else
		buf_append(out, "NIL", 3);
	buf_putc(out, ' ');
	mime_imap_nstring(out, p->location);
}

/* mime_bodystructure - the BODY (extended 0) or BODYSTRUCTURE list of part */
void
mime_bodystructure(struct buf *out, const char *msg,
    const struct mime_part *p, int extended)
{
	const struct mime_part *c;
	int text;

	buf_putc(out, '(');
	if (strcmp(p->type, "multipart") == 0) {
		for (c = p->child; c != NULL; c = c->next)
			mime_bodystructure(out, msg, c, extended);
		/* RFC 3501 wants at least one part: show an empty one. */
		if (p->child == NULL) {
			buf_puts(out, "(\"text\" \"plain\" (\"charset\" "
			    "\"us-ascii\") NIL NIL \"7bit\" 0 0");
			buf_puts(out, extended ? " NIL NIL NIL NIL)" : ")");
		}
		buf_putc(out, ' ');
		mime_imap_nstring(out, p->subtype_raw != NULL ? p->subtype_raw :
		    p->subtype);
		if (extended) {
			buf_putc(out, ' ');
			mime_bs_params(out, p->params, p->nparams, 0);
			buf_putc(out, ' ');
			mime_bs_ext(out, p);
		}
		buf_putc(out, ')');
		return;
	}
	text = strcmp(p->type, "text") == 0;
	if (p->message != NULL)		/* as clients compare it */
		buf_puts(out, "\"message\" \"rfc822\"");
	else {
		mime_imap_nstring(out, p->type_raw != NULL ? p->type_raw :
		    p->type);
		buf_putc(out, ' ');
		mime_imap_nstring(out, p->subtype_raw != NULL ?
		    p->subtype_raw : p->subtype);
	}
	buf_putc(out, ' ');
	mime_bs_params(out, p->params, p->nparams, text);
	buf_putc(out, ' ');
	mime_imap_nstring(out, p->id);
	buf_putc(out, ' ');
	mime_imap_nstring(out, p->description);
	buf_putc(out, ' ');
	mime_imap_nstring(out, p->encoding != NULL ? p->encoding : "7bit");
	buf_appendf(out, " %zu", p->body_len);
	if (p->message != NULL) {
		buf_putc(out, ' ');
		mime_envelope(out, msg + p->message->hdr_off,
		    p->message->hdr_len);
		buf_putc(out, ' ');
		mime_bodystructure(out, msg, p->message, extended);
		buf_appendf(out, " %zu", p->lines);
	} else if (strcmp(p->type, "message") == 0 &&
	    strcmp(p->subtype, "rfc822") == 0) {
		/*
		 * Not looked into (encoded, or past the limits): a client's
		 * parser still expects an envelope and a body here.
		 */
		buf_puts(out, " (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
		    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		    "\"7bit\" 0 0");
		buf_puts(out, extended ? " NIL NIL NIL NIL)" : ")");
		buf_appendf(out, " %zu", p->lines);
	} else if (text)
		buf_appendf(out, " %zu", p->lines);
	if (extended) {
		buf_putc(out, ' ');
		mime_imap_nstring(out, p->md5);
		buf_putc(out, ' ');
		mime_bs_ext(out, p);
	}
	buf_putc(out, ')');
}

/*
 * ENVELOPE.
 */

/* An RFC 5322 address list, read token by token. */
struct mime_alex {
	const char	*p;
	const char	*e;
};

#define MIME_ASPECIALS	"()<>[]:;@\\,\""

/* mime_alex_skip - skip white space and comments; keep the last comment */
static void
mime_alex_skip(struct mime_alex *L, struct buf *comment)
{
	const char *start;
	int depth;

	for (;;) {
		while (L->p < L->e && (*L->p == ' ' || *L->p == '\t' ||
		    *L->p == '\r' || *L->p == '\n'))
			L->p++;
		if (L->p >= L->e || *L->p != '(')
			return;
		start = L->p + 1;
		for (depth = 0; L->p < L->e; L->p++) {
			if (*L->p == '\\' && L->p + 1 < L->e)
				L->p++;
			else if (*L->p == '(')
				depth++;
			else if (*L->p == ')' && --depth == 0)
				break;
		}
		if (comment != NULL) {
			buf_reset(comment);
			buf_append(comment, start, L->p - start);
		}
		if (L->p < L->e)
			L->p++;
	}
}

/*
 * mime_alex_word - an atom (dots allowed, as obs-phrase and dot-atom
 * need), a quoted string (unescaped) or a domain literal, appended to
 * word; 0 if the next thing is a special.
 */
static int
mime_alex_word(struct mime_alex *L, struct buf *word)
{
	const char *s = L->p;

	if (L->p >= L->e)
		return 0;
	if (*L->p == '"') {
		for (L->p++; L->p < L->e && *L->p != '"'; L->p++) {
			if (*L->p == '\\' && L->p + 1 < L->e)
				L->p++;
			if (*L->p != '\r' && *L->p != '\n')
				buf_putc(word, *L->p);
		}
		if (L->p < L->e)
			L->p++;
		return 1;
	}
	if (*L->p == '[') {
		while (L->p < L->e && *L->p != ']')
			L->p++;
		if (L->p < L->e)
			L->p++;
		buf_append(word, s, L->p - s);
		return 1;
	}
	while (L->p < L->e && *L->p != ' ' && *L->p != '\t' && *L->p != '\r' &&
	    *L->p != '\n' && strchr(MIME_ASPECIALS, *L->p) == NULL)
		L->p++;
	buf_append(word, s, L->p - s);
	return L->p > s;
}

/* mime_env_addr - one address: (name adl mailbox host) */
static void
mime_env_addr(struct buf *out, const struct buf *name, const struct buf *adl,
    const char *mailbox, size_t mlen, const char *host, size_t hlen)
{
	buf_putc(out, '(');
	mime_imap_string(out, name != NULL && name->len > 0 ? name->data : NULL,
	    name != NULL ? name->len : 0);
	buf_putc(out, ' ');
	mime_imap_string(out, adl != NULL && adl->len > 0 ? adl->data : NULL,
	    adl != NULL ? adl->len : 0);
	buf_putc(out, ' ');
	mime_imap_string(out, mailbox, mlen);
	buf_putc(out, ' ');
	mime_imap_string(out, host, hlen);
	buf_putc(out, ')');
}

/* The scratch buffers of one address list. */
struct mime_aparse {
	struct buf	*phrase;	/* words joined by one space */
	struct buf	*local;		/* the same words joined tightly */
	struct buf	*domain;
	struct buf	*adl;
	struct buf	*comment;
	struct buf	*word;
};

/* mime_env_angle - "<[@route:]local@domain>" after a phrase */
static void
mime_env_angle(struct buf *out, struct mime_alex *L, struct mime_aparse *A)
{
	struct buf *name = A->phrase->len > 0 ? A->phrase : NULL;

	L->p++;				/* '<' */
	buf_reset(A->local);
	buf_reset(A->domain);
	buf_reset(A->adl);
	mime_alex_skip(L, NULL);
	if (L->p < L->e && *L->p == '@') {	/* a source route */
		while (L->p < L->e && *L->p != ':' && *L->p != '>') {
			if (*L->p != ' ' && *L->p != '\t')
				buf_putc(A->adl, *L->p);
			L->p++;
		}
		if (L->p < L->e && *L->p == ':')
			L->p++;
	}
	for (;;) {
		mime_alex_skip(L, NULL);
		if (L->p >= L->e || *L->p == '>' || *L->p == '@')
			break;
		if (!mime_alex_word(L, A->local))
			L->p++;			/* a stray special */
	}
	if (L->p < L->e && *L->p == '@') {
		L->p++;
		for (;;) {
			mime_alex_skip(L, NULL);
			if (L->p >= L->e || *L->p == '>')
				break;
			if (!mime_alex_word(L, A->domain))
				L->p++;
		}
	}
	if (L->p < L->e)
		L->p++;				/* '>' */
	if (A->local->len == 0 && A->domain->len == 0)
		mime_env_addr(out, name, A->adl, "MISSING_MAILBOX", 15,
		    "MISSING_DOMAIN", 14);
	else
		mime_env_addr(out, name, A->adl,
		    A->local->len > 0 ? A->local->data : "MISSING_MAILBOX",
		    A->local->len > 0 ? A->local->len : 15,
		    A->domain->len > 0 ? A->domain->data : "MISSING_DOMAIN",
		    A->domain->len > 0 ? A->domain->len : 14);
}

/*
 * mime_env_addresses - append the addresses of one field in ENVELOPE form.
 * Groups become (NIL NIL "name" NIL) ... (NIL NIL NIL NIL); a group left
 * open ends with the field.
 */
static void
mime_env_addresses(struct buf *out, const char *s, size_t n,
    struct mime_aparse *A)
{
	struct mime_alex L = { s, s + n };
	size_t words;
	int group = 0;

	for (;;) {
		buf_reset(A->phrase);
		buf_reset(A->local);
		buf_reset(A->comment);
		mime_alex_skip(&L, A->comment);
		if (L.p >= L.e)
			break;
		if (*L.p == ',') {
			L.p++;
			continue;
		}
		if (*L.p == ';') {
			L.p++;
			if (group)
				buf_puts(out, "(NIL NIL NIL NIL)");
			group = 0;
			continue;
		}
		/* Words: a display name, a group name or a local part. */
		for (words = 0;; words++) {
			mime_alex_skip(&L, A->comment);
			buf_reset(A->word);
			if (!mime_alex_word(&L, A->word))
				break;
			if (A->phrase->len > 0 && A->word->len > 0)
				buf_putc(A->phrase, ' ');
			buf_append(A->phrase, A->word->data, A->word->len);
			buf_append(A->local, A->word->data, A->word->len);
		}
		if (L.p < L.e && *L.p == ':' && !group) {
			L.p++;
			mime_env_addr(out, NULL, NULL, A->phrase->data,
			    A->phrase->len, NULL, 0);
			group = 1;
			continue;
		}
		if (L.p < L.e && *L.p == '<') {
			mime_env_angle(out, &L, A);
			continue;
		}
		if (L.p < L.e && *L.p == '@') {	/* addr-spec */
			L.p++;
			buf_reset(A->domain);
			for (;;) {
				mime_alex_skip(&L, A->comment);
				if (!mime_alex_word(&L, A->domain))
					break;
			}
			mime_env_addr(out, A->comment->len > 0 ?
			    A->comment : NULL, NULL, A->local->len > 0 ?
			    A->local->data : "MISSING_MAILBOX",
			    A->local->len > 0 ? A->local->len : 15,
			    A->domain->len > 0 ? A->domain->data :
			    "MISSING_DOMAIN",
			    A->domain->len > 0 ? A->domain->len : 14);
			continue;
		}
		if (words > 0) {		/* a local part alone */
			mime_env_addr(out, A->comment->len > 0 ?
			    A->comment : NULL, NULL, A->local->data,
			    A->local->len, "MISSING_DOMAIN", 14);
			continue;
		}
		if (L.p < L.e)
			L.p++;			/* a stray special */
	}
	if (group)
		buf_puts(out, "(NIL NIL NIL NIL)");
}

/* The ENVELOPE fields, in their order. */
static const char *const mime_env_names[] = {
	"date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc",
	"in-reply-to", "message-id"
};
#define MIME_ENV_N	10
#define MIME_ENV_ADDR(i)	((i) >= 2 && (i) <= 7)
#define MIME_ENV_MORE	32	/* repeated address fields kept */

/*
 * mime_env_scratch - the scratch buffers, kept between calls (ENVELOPE is
 * built for every message of a folder when its cache is made); one that
 * grew large on a huge header is let go.
 */
static void
mime_env_scratch(struct mime_aparse *A, struct buf **tmp)
{
	static struct buf *b[7];
	int i;

	for (i = 0; i < 7; i++) {
		if (b[i] != NULL && b[i]->size > 65536)
			buf_free(&b[i]);
		if (b[i] == NULL)
			b[i] = buf_new(128, 0);
		buf_reset(b[i]);
	}
	A->phrase = b[0];
	A->local = b[1];
	A->domain = b[2];
	A->adl = b[3];
	A->comment = b[4];
	A->word = b[5];
	*tmp = b[6];
}

/*
 * mime_envelope - the ENVELOPE list of the message whose header is hdr.
 * Date, Subject, In-Reply-To and Message-ID come from their first field;
 * an address field that occurs more than once (To: a, then To: b) gives
 * the addresses of all of them, as mailers mean.
 */
void
mime_envelope(struct buf *out, const char *hdr, size_t len)
{
	const char *val[MIME_ENV_N], *n, *v, *more[MIME_ENV_MORE];
	size_t vlen[MIME_ENV_N], morelen[MIME_ENV_MORE], pos = 0, nlen, vl,
	    i, k, start, from_start = 0, from_len = 0, nmore = 0;
	int moreidx[MIME_ENV_MORE];
	struct mime_aparse A;
	struct buf *tmp;

	memset(val, 0, sizeof(val));
	memset(vlen, 0, sizeof(vlen));
	while (mime_header_next(hdr, len, &pos, &n, &nlen, &v, &vl)) {
		if (nlen < 2 || nlen > 11)
			continue;
		for (i = 0; i < MIME_ENV_N; i++) {
			if (strlen(mime_env_names[i]) != nlen ||
			    strncasecmp(n, mime_env_names[i], nlen) != 0)
				continue;
			if (val[i] == NULL) {
				val[i] = v;
				vlen[i] = vl;
			} else if (MIME_ENV_ADDR(i) && nmore < MIME_ENV_MORE) {
				moreidx[nmore] = i;
				more[nmore] = v;
				morelen[nmore++] = vl;
			}
			break;
		}
	}
	mime_env_scratch(&A, &tmp);
	buf_putc(out, '(');
	for (i = 0; i < MIME_ENV_N; i++) {
		if (i > 0)
			buf_putc(out, ' ');
		if (!MIME_ENV_ADDR(i)) {
			if (val[i] == NULL) {
				buf_append(out, "NIL", 3);
				continue;
			}
			buf_reset(tmp);
			mime_unfold(val[i], vlen[i], tmp);
			mime_imap_string(out, tmp->data, tmp->len);
			continue;
		}
		start = out->len;
		buf_putc(out, '(');
		if (val[i] != NULL)
			mime_env_addresses(out, val[i], vlen[i], &A);
		for (k = 0; k < nmore; k++)
			if (moreidx[k] == (int)i)
				mime_env_addresses(out, more[k], morelen[k],
				    &A);
		if (out->len == start + 1) {
			buf_truncate(out, start);
			buf_append(out, "NIL", 3);
		} else
			buf_putc(out, ')');
		/* Sender and Reply-To: absent or empty means as From. */
		if (i == 2) {
			from_start = start;
			from_len = out->len - start;
		} else if ((i == 3 || i == 4) && out->len - start == 3 &&
		    memcmp(out->data + start, "NIL", 3) == 0) {
			buf_reset(tmp);
			buf_append(tmp, out->data + from_start, from_len);
			buf_truncate(out, start);
			buf_append(out, tmp->data, tmp->len);
		}
	}
	buf_putc(out, ')');
}
