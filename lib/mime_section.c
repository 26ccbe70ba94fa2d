/*
 * mime_section - part numbers and sections of a parsed message (RFC 3501
 * 6.4.5): mime_part_find() follows a part number ("2.1") down the tree
 * of mime_parse(), mime_section_check() checks a section's syntax, and
 * mime_section() appends the bytes that BODY[section] names (HEADER,
 * HEADER.FIELDS (...), HEADER.FIELDS.NOT (...), TEXT, MIME, or a part).
 * Section text comes from the client: numbers are bounded, field lists
 * are checked, and a part that does not exist names no bytes.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mime.h"
#include "util.h"

/* mime_nth_child - the k-th (1-based) part of a multipart */
static const struct mime_part *
mime_nth_child(const struct mime_part *p, unsigned long k)
{
	const struct mime_part *c;

	for (c = p->child; c != NULL && k > 1; c = c->next)
		k--;
	return c;
}

/*
 * mime_in_message - part k of a message: the k-th part of its multipart
 * body, or, for a single-part message, the message itself as part 1.
 */
static const struct mime_part *
mime_in_message(const struct mime_part *m, unsigned long k)
{
	if (strcmp(m->type, "multipart") == 0)
		return mime_nth_child(m, k);
	return k == 1 ? m : NULL;
}

/* mime_descend - part k below part p (RFC 3501 6.4.5 numbering) */
static const struct mime_part *
mime_descend(const struct mime_part *p, unsigned long k)
{
	if (strcmp(p->type, "multipart") == 0)
		return mime_nth_child(p, k);
	if (p->message != NULL)
		return mime_in_message(p->message, k);
	return k == 1 ? p : NULL;	/* leniently, a leaf is its part 1 */
}

/* mime_part_find - the part numbered "1.2.3"; "" is the root */
const struct mime_part *
mime_part_find(const struct mime_part *root, const char *spec)
{
	const struct mime_part *p = root;
	unsigned long k;
	char *end;
	int first = 1;

	if (*spec == '\0')
		return root;
	for (;;) {
		if (*spec < '1' || *spec > '9')
			return NULL;
		k = strtoul(spec, &end, 10);
		p = first ? mime_in_message(p, k) : mime_descend(p, k);
		first = 0;
		if (p == NULL)
			return NULL;
		if (*end == '\0')
			return p;
		if (*end != '.')
			return NULL;
		spec = end + 1;
	}
}

/*
 * BODY[section] (RFC 3501 6.4.5).
 */

#define MIME_SEC_ALL		0
#define MIME_SEC_HEADER		1
#define MIME_SEC_FIELDS		2
#define MIME_SEC_FIELDS_NOT	3
#define MIME_SEC_TEXT		4
#define MIME_SEC_MIME		5

#define MIME_SPEC_PART_MAX	128

struct mime_spec {
	char		 part[MIME_SPEC_PART_MAX];	/* "1.2.3" or "" */
	int		 missing;	/* valid, but cannot exist */
	int		 text;		/* MIME_SEC_* */
	const char	*list;		/* "(A B)" of HEADER.FIELDS */
};

/*
 * mime_spec_list - the header-list of HEADER.FIELDS: "(" astring *(SP
 * astring) ")" with atoms or quoted strings.  Appends each name NUL
 * terminated to names (may be NULL) and returns their count, or -1 on a
 * syntax error.
 */
static int
mime_spec_list(const char *p, struct buf *names)
{
	int count = 0;

	if (*p++ != '(')
		return -1;
	for (;;) {
		if (*p == ')' && count > 0)
			break;
		if (count > 0 && *p++ != ' ')
			return -1;
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0' || *p == '\r' || *p == '\n')
					return -1;
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				if (names != NULL)
					buf_putc(names, *p);
			}
			p++;
		} else {
			const char *s = p;

			while ((unsigned char)*p > ' ' && *p != 127 &&
			    strchr("()\"{\\%*", *p) == NULL)
				p++;
			if (p == s)
				return -1;
			if (names != NULL)
				buf_append(names, s, p - s);
		}
		if (names != NULL)
			buf_putc(names, '\0');
		count++;
	}
	return p[1] == '\0' ? count : -1;
}

/* mime_spec_parse - split a section spec; -1 if it is not valid syntax */
static int
mime_spec_parse(const char *spec, struct mime_spec *S)
{
	const char *p = spec, *q;
	size_t n = 0;
	int dot = 0;

	memset(S, 0, sizeof(*S));
	while (*p >= '1' && *p <= '9') {
		for (q = p; *q >= '0' && *q <= '9'; q++)
			;
		if (q - p > 10 || n + (q - p) + 2 > sizeof(S->part))
			S->missing = 1;
		else {
			if (n > 0)
				S->part[n++] = '.';
			memcpy(S->part + n, p, q - p);
			n += q - p;
		}
		p = q;
		dot = 0;
		if (*p != '.')
			break;
		p++;
		dot = 1;
	}
	if (*p == '\0')
		return dot ? -1 : 0;
	if (p != spec && !dot)
		return -1;		/* "1X" */
	if (strncasecmp(p, "HEADER.FIELDS.NOT ", 18) == 0) {
		S->text = MIME_SEC_FIELDS_NOT;
		S->list = p + 18;
	} else if (strncasecmp(p, "HEADER.FIELDS ", 14) == 0) {
		S->text = MIME_SEC_FIELDS;
		S->list = p + 14;
	} else if (strcasecmp(p, "HEADER") == 0)
		S->text = MIME_SEC_HEADER;
	else if (strcasecmp(p, "TEXT") == 0)
		S->text = MIME_SEC_TEXT;
	else if (strcasecmp(p, "MIME") == 0 && p != spec)
		S->text = MIME_SEC_MIME;
	else
		return -1;
	if (S->list != NULL && mime_spec_list(S->list, NULL) < 0)
		return -1;
	return 0;
}

/* mime_section_check - is spec a valid section spec? */
int
mime_section_check(const char *spec)
{
	struct mime_spec S;

	return mime_spec_parse(spec, &S);
}

/* mime_section - resolve BODY[spec] to a range of msg or synthesized bytes */
int
mime_section(const char *msg, const struct mime_part *root, const char *spec,
    size_t *off, size_t *len, struct buf *synth)
{
	const struct mime_part *p, *m;
	struct mime_spec S;
	struct buf *names;
	const char **list;
	size_t i, k;
	int count;

	if (mime_spec_parse(spec, &S) < 0)
		return -2;
	if (S.missing || (p = mime_part_find(root, S.part)) == NULL)
		return -1;
	switch (S.text) {
	case MIME_SEC_ALL:
		if (*S.part == '\0') {
			*off = 0;
			*len = root->body_off + root->body_len;
		} else {
			*off = p->body_off;
			*len = p->body_len;
		}
		return MIME_SECTION_RANGE;
	case MIME_SEC_MIME:
		*off = p->hdr_off;
		*len = p->hdr_len;
		return MIME_SECTION_RANGE;
	}
	m = *S.part == '\0' ? root : p->message;
	if (m == NULL)
		return -1;	/* HEADER or TEXT of a non-message part */
	if (S.text == MIME_SEC_HEADER) {
		*off = m->hdr_off;
		*len = m->hdr_len;
		return MIME_SECTION_RANGE;
	}
	if (S.text == MIME_SEC_TEXT) {
		*off = m->body_off;
		*len = m->body_len;
		return MIME_SECTION_RANGE;
	}
	names = buf_new(64, 0);
	count = mime_spec_list(S.list, names);
	list = xcalloc(count, sizeof(*list));
	for (i = 0, k = 0; i < (size_t)count; i++) {
		list[i] = names->data + k;
		k += strlen(list[i]) + 1;
	}
	buf_reset(synth);
	mime_header_fields(msg + m->hdr_off, m->hdr_len, list, count,
	    S.text == MIME_SEC_FIELDS_NOT, synth);
	free(list);
	buf_free(&names);
	*off = 0;
	*len = synth->len;
	return MIME_SECTION_SYNTH;
}
