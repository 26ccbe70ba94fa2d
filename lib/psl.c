/*
 * psl - the public suffix list and the organizational domain.
 *
 * A rule is kept under the name it is about, with flags: a plain rule
 * ("co.uk"), a wildcard ("*.ck" kept under "ck": every child of ck is a
 * suffix) and an exception ("!www.ck": www.ck is not one).  Of the rules
 * that match a name the exception prevails, else the longest; no rule:
 * the last label ("*").  The organizational domain is the public suffix
 * and one label more, or the name itself when it is a suffix.
 *
 * Both sections of the list are used by default (psl_private_domains):
 * the private section names providers whose customers own the names
 * under them (github.io, blogspot.com), so that one customer's DMARC
 * policy or alignment never speaks for another's, which is how OpenDMARC
 * and most receivers run it.
 *
 * Distrusts the file only so far: it is bounded in size (PSL_FILE_MAX),
 * a line is its first word, a rule with bad UTF-8 is skipped.  Names
 * asked about are bounded (253 octets); a bad one is an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "htable.h"
#include "msg.h"
#include "params.h"
#include "psl.h"
#include "punycode.h"
#include "util.h"

#define PSL_FILE_MAX	(16 * 1024 * 1024)
#define PSL_NAME_MAX	253

#define PSL_RULE	1
#define PSL_WILD	2
#define PSL_EXCEPT	4

static int psl_alabels(const char *, size_t, struct buf *);

static struct htable *psl_table;
static int psl_tried;		/* loaded, or failed and said so */

/* psl_add - one rule's flag onto its name */
static void
psl_add(struct htable *t, const char *name, uintptr_t flag)
{
	struct htable_info *hi = htable_locate(t, name);

	if (hi == NULL)
		htable_enter(t, name, (void *)flag);
	else
		hi->value = (void *)((uintptr_t)hi->value | flag);
}

/* psl_rule - a line's rule into the table (A-labels, lower case) */
static void
psl_rule(struct htable *t, const char *line, size_t len)
{
	struct buf *name = buf_new(64, PSL_NAME_MAX + 1);
	uintptr_t flag = PSL_RULE;
	int bad;

	if (len > 0 && line[0] == '!')
		flag = PSL_EXCEPT, line++, len--;
	else if (len > 1 && line[0] == '*' && line[1] == '.')
		flag = PSL_WILD, line += 2, len -= 2;
	bad = psl_alabels(line, len, name) < 0;
	if (!bad && buf_len(name) > 0)
		psl_add(t, lowercase(name->data), flag);
	buf_free(&name);
}

/*
 * psl_load - read a list (private: its private section too) in place of
 * the one loaded; 0, or -1 with why (the table is then empty)
 */
int
psl_load(const char *path, int private, struct buf *why)
{
	struct buf *text;
	const char *p, *end, *eol;
	size_t n;

	psl_unload();
	psl_tried = 1;
	if ((text = file_slurp(path, PSL_FILE_MAX, why)) == NULL)
		return -1;
	psl_table = htable_create(16384);
	for (p = buf_str(text), end = p + buf_len(text); p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if (eol - p >= 2 && p[0] == '/' && p[1] == '/') {
			if (!private && memmem(p, (size_t)(eol - p),
			    "===BEGIN PRIVATE DOMAINS===", 27) != NULL)
				break;
			continue;
		}
		for (n = 0; p + n < eol && p[n] != ' ' && p[n] != '\t' &&
		    p[n] != '\r'; n++)
			;
		if (n > 0)
			psl_rule(psl_table, p, n);
	}
	buf_free(&text);
	return 0;
}

/* psl_unload - forget the list (the next question reads it again) */
void
psl_unload(void)
{
	htable_free(&psl_table, NULL);
	psl_tried = 0;
}

/* psl_flags - a name's rule flags */
static uintptr_t
psl_flags(const char *name)
{
	return psl_table ? (uintptr_t)htable_find(psl_table, name) : 0;
}

/* psl_ensure - the list of the parameters read once, or said missing */
static void
psl_ensure(void)
{
	struct buf *why;
	const char *path = var_psl_file && *var_psl_file ? var_psl_file :
	    "/usr/share/publicsuffix/public_suffix_list.dat";

	if (psl_tried)
		return;
	why = buf_new(128, 1024);
	if (psl_load(path, var_psl_file ? var_psl_private_domains : 1,
	    why) < 0)
		msg_warn("public suffix list: %s; organizational domains "
		    "are the last two labels", buf_str(why));
	buf_free(&why);
}

/*
 * psl_alabels - a name's labels as DNS carries them (U-labels in UTF-8
 * to A-labels) onto out; 0, or -1 for bad UTF-8 or too long a name
 */
static int
psl_alabels(const char *s, size_t len, struct buf *out)
{
	const char *dot;
	size_t n;

	while (len > 0) {
		dot = memchr(s, '.', len);
		n = dot ? (size_t)(dot - s) : len;
		if (buf_len(out) > 0)
			buf_putc(out, '.');
		if (punycode_alabel(s, n, out) < 0)
			return -1;
		s += n + (dot != NULL);
		len -= n + (dot != NULL);
		if (dot != NULL && len == 0)
			return -1;		/* "a.": an empty label */
	}
	return buf_len(out) <= PSL_NAME_MAX && !buf_overflowed(out) ? 0 : -1;
}

/*
 * psl_split - domain in lower case, without a final dot, into name; the
 * offset in it where its public suffix starts; -1 for a bad name
 */
static int
psl_split(const char *domain, struct buf *name, size_t *suffix)
{
	size_t len = strlen(domain), i, start[128], nl = 0, at = 0;
	const char *s;
	uintptr_t f;
	int found = 0;

	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || len > PSL_NAME_MAX || domain[0] == '.')
		return -1;
	buf_reset(name);
	if (psl_alabels(domain, len, name) < 0)
		return -1;
	lowercase(name->data);
	s = buf_str(name);
	len = buf_len(name);
	start[nl++] = 0;
	for (i = 0; i < len; i++)
		if (s[i] == '.') {
			if (i + 1 >= len || s[i + 1] == '.' || nl == 128)
				return -1;
			start[nl++] = i + 1;
		}
	psl_ensure();
	if (psl_table == NULL) {	/* no list: the last label */
		*suffix = start[nl - 1];
		return 0;
	}
	for (i = 0; i < nl; i++) {
		f = psl_flags(s + start[i]);
		if (f & PSL_EXCEPT) {
			*suffix = i + 1 < nl ? start[i + 1] : start[i];
			return 0;
		}
		if (!found && ((f & PSL_RULE) || (i + 1 < nl &&
		    (psl_flags(s + start[i + 1]) & PSL_WILD)))) {
			at = start[i];
			found = 1;
		}
	}
	*suffix = found ? at : start[nl - 1];
	return 0;
}

/* psl_public_suffix - a domain's public suffix into out; 0, or -1 */
int
psl_public_suffix(const char *domain, struct buf *out)
{
	struct buf *name = buf_new(64, 0);
	size_t suffix;
	int r;

	if ((r = psl_split(domain, name, &suffix)) == 0)
		buf_set(out, buf_str(name) + suffix);
	buf_free(&name);
	return r;
}

/*
 * psl_org_domain - a domain's organizational domain into out: its public
 * suffix and one label more, or itself when it is a public suffix; 0, or
 * -1 for a bad name
 */
int
psl_org_domain(const char *domain, struct buf *out)
{
	struct buf *name = buf_new(64, 0);
	size_t suffix, i;
	const char *s;

	if (psl_split(domain, name, &suffix) < 0) {
		buf_free(&name);
		return -1;
	}
	s = buf_str(name);
	i = suffix;
	if (i > 0) {
		for (i = suffix - 1; i > 0 && s[i - 1] != '.'; i--)
			;
	}
	buf_set(out, s + i);
	buf_free(&name);
	return 0;
}

/* psl_same_org - whether two domains have the same organizational domain */
int
psl_same_org(const char *a, const char *b)
{
	struct buf *oa = buf_new(64, 0), *ob = buf_new(64, 0);
	int same;

	same = psl_org_domain(a, oa) == 0 && psl_org_domain(b, ob) == 0 &&
	    strcmp(buf_str(oa), buf_str(ob)) == 0;
	buf_free(&oa);
	buf_free(&ob);
	return same;
}
