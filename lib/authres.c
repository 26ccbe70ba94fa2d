/*
 * authres - Authentication-Results (RFC 8601) header fields.
 *
 * The value starts with the authserv-id: a token or a quoted-string
 * (RFC 2045's value), after optional comments and folding white space
 * (CFWS, RFC 5322 3.2.2), ended by CFWS (a version may follow) or ";".
 * Comments nest; comments and quoted-strings have quoted pairs.  An id
 * over 1 KiB, an empty one or one that cannot be read counts as a claim.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "authres.h"

#define AUTHRES_COMMENT_DEPTH	8	/* deeper nesting: unreadable */

/* authres_cfws - skip comments and white space; NULL if a comment is bad */
static const char *
authres_cfws(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (depth > 0 && *p == '\\' && p + 1 < end)
			p++;
		else if (*p == '(') {
			if (++depth > AUTHRES_COMMENT_DEPTH)
				return NULL;
		} else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *p != ' ' && *p != '\t' &&
		    *p != '\r' && *p != '\n')
			return p;
	}
	return depth == 0 ? p : NULL;
}

/* authres_tspecial - RFC 2045's tspecials, which end a token */
static int
authres_tspecial(int c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* authres_claims - does the field claim authserv-id id? */
int
authres_claims(const char *field, size_t len, const char *id)
{
	const char *p, *end = field + len, *start;
	struct buf *got;
	int claims;

	if ((p = memchr(field, ':', len)) == NULL)
		return 1;
	if ((p = authres_cfws(p + 1, end)) == NULL || p == end)
		return 1;
	got = buf_new(64, 1024);
	if (*p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			buf_append(got, p, 1);
		}
		if (p == end) {
			buf_free(&got);
			return 1;
		}
	} else {
		for (start = p; p < end && (unsigned char)*p > ' ' &&
		    *p != 127 && !authres_tspecial(*p); p++)
			;
		buf_append(got, start, (size_t)(p - start));
	}
	claims = buf_len(got) == 0 || buf_overflowed(got) ||
	    strcasecmp(buf_str(got), id) == 0;
	buf_free(&got);
	return claims;
}

/* authres_comment - " (text)", made safe to stand in a comment */
void
authres_comment(struct buf *out, const char *text)
{
	const char	*p;

	buf_puts(out, " (");
	for (p = text; *p; p++)
		buf_putc(out, *p == '(' || *p == ')' || *p == '\\' ||
		    (unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f ?
		    '?' : *p);
	buf_putc(out, ')');
}
