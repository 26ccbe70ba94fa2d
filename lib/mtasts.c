/*
 * mtasts - the texts of MTA-STS (RFC 8461) read and matched.
 *
 * The TXT record of _mta-sts.DOMAIN: "v=STSv1" first, then fields
 * separated by ";" (white space around them allowed), one of them
 * "id=" with 1 to 32 letters and digits; other fields are extensions
 * and ignored (3.1).
 *
 * The policy file: lines "key: value" ended by LF or CRLF (3.2):
 * version (STSv1), mode (enforce, testing, none), max_age (at most 10
 * digits, capped at a year), mx (a pattern each; needed unless the mode
 * is none).  Unknown keys are ignored; a key other than mx given twice
 * keeps its first value.  A policy without version, mode or max_age, or
 * with a value we cannot read, is no policy.
 *
 * An MX pattern is a host name, or "*." and a host name, where "*"
 * stands for exactly one left-most label (4.1): *.mired.org matches
 * mx.mired.org, not mired.org nor a.mx.mired.org.  Names compare
 * without case, a trailing dot ignored.
 *
 * Everything here comes from the network (the DNS, an HTTPS server) or
 * from a cache file that we wrote from it: lengths are checked, no
 * control character is kept, and the caller bounds the text's size.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dns.h"
#include "dec.h"
#include "mtasts.h"
#include "util.h"

/* mtasts_mode_str - a mode's name */
const char *
mtasts_mode_str(int mode)
{
	return mode == MTASTS_ENFORCE ? "enforce" : mode == MTASTS_TESTING ?
	    "testing" : "none";
}

/* mtasts_id_ok - 1 to 32 letters and digits? */
static int
mtasts_id_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > MTASTS_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return 1;
}

/* mtasts_txt - the id of a "v=STSv1; id=..." record: 0, -1 with why */
int
mtasts_txt(const char *txt, char *id, struct buf *why)
{
	char *copy = xstrdup(txt), *p = copy, *f;
	int n = 0, found = 0, bad = 0;

	/* Fields between ";", white space around them; "" only at the end. */
	while (!bad && (f = strsep(&p, ";")) != NULL) {
		f = trim(f);
		if (n++ == 0)
			bad = strcmp(f, "v=STSv1") != 0;
		else if (*f == '\0')
			bad = p != NULL;
		else if (strncmp(f, "id=", 3) == 0 && !found) {
			bad = !mtasts_id_ok(f + 3, strlen(f + 3));
			if (!bad)
				memcpy(id, f + 3, strlen(f + 3) + 1);
			found = 1;
		} else
			bad = strchr(f, '=') == NULL || *f == '=';
	}
	free(copy);
	if (bad || !found) {
		buf_setf(why, n == 1 && bad ? "not an STSv1 record" : !bad ?
		    "no id in the STSv1 record" : "malformed STSv1 record");
		return -1;
	}
	return 0;
}

/* mtasts_mx_add - an mx line's pattern: 0, -1 when malformed */
static int
mtasts_mx_add(struct mtasts *p, const char *v)
{
	char *pat;

	if (!dns_name_ok(strncmp(v, "*.", 2) == 0 ? v + 2 : v))
		return -1;
	pat = lowercase(xstrdup(v));
	p->mx = xrealloc(p->mx, (size_t)(p->nmx + 1) * sizeof(*p->mx));
	p->mx[p->nmx++] = pat;
	return 0;
}

/* mtasts_field - one "key: value" of a policy: 0, -1 with why */
static int
mtasts_field(struct mtasts *p, char *key, char *v, int *seen,
    struct buf *why)
{
	unsigned long long n;

	if (strcmp(key, "mx") == 0) {
		if (mtasts_mx_add(p, v) < 0) {
			buf_setf(why, "bad mx pattern");
			return -1;
		}
	} else if (strcmp(key, "version") == 0 && !(*seen & 1)) {
		*seen |= 1;
		if (strcmp(v, "STSv1") != 0) {
			buf_setf(why, "unknown version");
			return -1;
		}
	} else if (strcmp(key, "mode") == 0 && !(*seen & 2)) {
		*seen |= 2;
		if (strcmp(v, "enforce") == 0)
			p->mode = MTASTS_ENFORCE;
		else if (strcmp(v, "testing") == 0)
			p->mode = MTASTS_TESTING;
		else if (strcmp(v, "none") == 0)
			p->mode = MTASTS_NONE;
		else {
			buf_setf(why, "unknown mode");
			return -1;
		}
	} else if (strcmp(key, "max_age") == 0 && !(*seen & 4)) {
		*seen |= 4;
		if (strlen(v) > 10 || dec_parse(v, strlen(v), 9999999999ULL,
		    &n) < 0) {
			buf_setf(why, "bad max_age");
			return -1;
		}
		p->max_age = n > MTASTS_MAX_AGE ? MTASTS_MAX_AGE :
		    (long long)n;
	}
	return 0;
}

/* mtasts_parse - a policy file's text: 0, -1 with why */
int
mtasts_parse(const char *text, size_t len, struct mtasts *p,
    struct buf *why)
{
	char *copy, *line, *next, *colon, *v;
	int seen = 0, r = 0;

	memset(p, 0, sizeof(*p));
	if (memchr(text, '\0', len) != NULL) {
		buf_setf(why, "a NUL in the policy");
		return -1;
	}
	copy = xstrndup(text, len);
	for (line = copy; r == 0 && line != NULL && *line != '\0';
	    line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line != '\0' && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (*trim(line) == '\0')
			continue;
		if ((colon = strchr(line, ':')) == NULL) {
			buf_setf(why, "a line without \":\"");
			r = -1;
			break;
		}
		*colon = '\0';
		v = trim(colon + 1);
		r = mtasts_field(p, trim(line), v, &seen, why);
	}
	free(copy);
	if (r == 0 && (seen & 7) != 7) {
		buf_setf(why, "no %s", !(seen & 1) ? "version" : !(seen & 2) ?
		    "mode" : "max_age");
		r = -1;
	}
	if (r == 0 && p->mode != MTASTS_NONE && p->nmx == 0) {
		buf_setf(why, "no mx in an %s policy",
		    mtasts_mode_str(p->mode));
		r = -1;
	}
	if (r < 0)
		mtasts_free(p);
	return r;
}

/* mtasts_pattern - does host (a trailing dot allowed) match pattern? */
int
mtasts_pattern(const char *pattern, const char *host)
{
	size_t hl = strlen(host), pl;
	const char *dot;

	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (strncmp(pattern, "*.", 2) != 0)
		return strlen(pattern) == hl &&
		    strncasecmp(pattern, host, hl) == 0;
	/* "*." then a name: one label, then exactly that name. */
	if ((dot = memchr(host, '.', hl)) == NULL || dot == host)
		return 0;
	pl = strlen(pattern + 1);
	return hl - (size_t)(dot - host) == pl &&
	    strncasecmp(dot, pattern + 1, pl) == 0;
}

/* mtasts_match - does an MX host match any pattern of the policy? */
int
mtasts_match(const struct mtasts *p, const char *host)
{
	int i;

	for (i = 0; i < p->nmx; i++)
		if (mtasts_pattern(p->mx[i], host))
			return 1;
	return 0;
}

/* mtasts_save - the cache file's text: "id fetched\n" and the policy */
void
mtasts_save(const struct mtasts *p, const char *text, size_t len,
    struct buf *out)
{
	buf_setf(out, "%s %lld\n", p->id, p->fetched);
	buf_append(out, text, len);
}

/* mtasts_load - a cache file's text back into a policy: 0, -1 */
int
mtasts_load(const char *text, size_t len, struct mtasts *p,
    struct buf *why)
{
	const char *nl = memchr(text, '\n', len);
	char head[64], id[MTASTS_ID_MAX + 2];
	long long fetched;

	if (nl == NULL || (size_t)(nl - text) >= sizeof(head)) {
		buf_setf(why, "malformed cache file");
		return -1;
	}
	memcpy(head, text, (size_t)(nl - text));
	head[nl - text] = '\0';
	if (sscanf(head, "%33s %lld", id, &fetched) != 2 ||
	    !mtasts_id_ok(id, strlen(id)) || fetched < 0) {
		buf_setf(why, "malformed cache file");
		return -1;
	}
	if (mtasts_parse(nl + 1, len - (size_t)(nl + 1 - text), p, why) < 0)
		return -1;
	memcpy(p->id, id, strlen(id) + 1);
	p->fetched = fetched;
	return 0;
}

/* mtasts_free - a policy's patterns */
void
mtasts_free(struct mtasts *p)
{
	strv_free(p->mx, p->nmx);
	p->mx = NULL;
	p->nmx = 0;
}
