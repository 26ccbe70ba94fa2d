/*
 * dmarc_record - a DMARC policy record's tags (RFC 7489 6.3, 6.4), read
 * strictly: v=DMARC1 first and exactly; p= required, except that a record
 * without a valid p= but with a valid rua= is read as p=none (6.6.3); a
 * bad value of a known tag, or a known tag twice, makes the record
 * invalid (and DMARC then does not apply); unknown tags are ignored.
 *
 * Distrusts the record: values are bounded by the TXT answer, numbers by
 * their digit count, nothing recurses.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dmarc.h"
#include "util.h"

/* dmarc_record_is - whether a TXT string starts as a DMARC record does */
int
dmarc_record_is(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != 'v' && *s != 'V')
		return 0;
	for (s++; *s == ' ' || *s == '\t'; s++)
		;
	if (*s++ != '=')
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "DMARC1", 6) != 0)
		return 0;
	for (s += 6; *s == ' ' || *s == '\t'; s++)
		;
	return *s == ';' || *s == '\0';
}

/* dmarc_policy_word - none, quarantine, reject; -1 otherwise */
static int
dmarc_policy_word(const char *v)
{
	if (strcasecmp(v, "none") == 0)
		return DMARC_P_NONE;
	if (strcasecmp(v, "quarantine") == 0)
		return DMARC_P_QUARANTINE;
	if (strcasecmp(v, "reject") == 0)
		return DMARC_P_REJECT;
	return -1;
}

/* dmarc_number - digits only, at most max; -1 otherwise */
static long
dmarc_number(const char *v, long max)
{
	long n = 0;

	if (*v == '\0' || strlen(v) > 10)
		return -1;
	for (; *v != '\0'; v++) {
		if (!isdigit((unsigned char)*v))
			return -1;
		n = n * 10 + (*v - '0');
	}
	return n <= max ? n : -1;
}

/* dmarc_uris_ok - a comma-separated list of scheme:rest URIs (7.1) */
static int
dmarc_uris_ok(const char *v)
{
	const char *p = v, *colon, *comma;

	do {
		while (*p == ' ' || *p == '\t')
			p++;
		comma = strchr(p, ',');
		colon = strchr(p, ':');
		if (!isalpha((unsigned char)*p) || colon == NULL ||
		    (comma != NULL && colon > comma) ||
		    colon[1] == '\0' || colon[1] == ',')
			return 0;
		p = comma ? comma + 1 : NULL;
	} while (p != NULL);
	return 1;
}

/* dmarc_fo_ok - fo=: 0, 1, d, s joined by ':' */
static int
dmarc_fo_ok(const char *v)
{
	for (;;) {
		if (*v == '\0' || strchr("01dsDS", *v) == NULL)
			return 0;
		if (*++v == '\0')
			return 1;
		if (*v++ != ':')
			return 0;
	}
}

/* dmarc_tag - one tag=value; 0, or -1 with why */
static int
dmarc_tag(struct dmarc_record *r, const char *tag, const char *v,
    unsigned *seen, struct buf *why)
{
	static const char *const known[] = { "v", "p", "sp", "adkim", "aspf",
	    "pct", "rua", "ruf", "fo", "rf", "ri" };
	size_t i, n = sizeof(known) / sizeof(known[0]);
	long num;

	for (i = 0; i < n; i++)
		if (strcasecmp(tag, known[i]) == 0)
			break;
	if (i == n)
		return 0;			/* unknown: ignored */
	if (*seen & (1u << i))
		return buf_setf(why, "%s= twice", known[i]), -1;
	*seen |= 1u << i;
	switch (i) {
	case 1:
		r->p = dmarc_policy_word(v);	/* checked at the end */
		return 0;
	case 2:
		if ((r->sp = dmarc_policy_word(v)) >= 0)
			return 0;
		break;
	case 3:
	case 4:
		if (strcasecmp(v, "r") != 0 && strcasecmp(v, "s") != 0)
			break;
		*(i == 3 ? &r->adkim : &r->aspf) = tolower((unsigned char)*v);
		return 0;
	case 5:
		if ((num = dmarc_number(v, 100)) < 0)
			break;
		r->pct = (int)num;
		return 0;
	case 6:
	case 7:
		if (!dmarc_uris_ok(v))
			break;
		*(i == 6 ? &r->rua : &r->ruf) = xstrdup(v);
		return 0;
	case 8:
		if (!dmarc_fo_ok(v))
			break;
		r->fo = xstrdup(v);
		return 0;
	case 9:
		r->rf = xstrdup(v);
		return 0;
	case 10:
		if ((num = dmarc_number(v, 4294967295L)) < 0)
			break;
		r->ri = num;
		return 0;
	default:
		return 0;
	}
	return buf_setf(why, "bad %s=%.40s", known[i], v), -1;
}

/*
 * dmarc_record_parse - a DMARC record's tags into r (freed with
 * dmarc_record_free); 0, or -1 with why when it is invalid
 */
int
dmarc_record_parse(const char *text, struct dmarc_record *r,
    struct buf *why)
{
	char *copy = xstrdup(text), *p = copy, *part, *eq, *tag, *v;
	unsigned seen = 0;
	int n = 0, bad = 0;

	memset(r, 0, sizeof(*r));
	r->p = r->sp = -1;
	r->adkim = r->aspf = 'r';
	r->pct = 100;
	r->ri = 86400;
	if (!dmarc_record_is(text)) {
		free(copy);
		return buf_setf(why, "not a DMARC1 record"), -1;
	}
	while (!bad && (part = strsep(&p, ";")) != NULL) {
		part = trim(part);
		if (*part == '\0')
			continue;
		if ((eq = strchr(part, '=')) == NULL) {
			buf_setf(why, "\"%.40s\" is no tag=value", part);
			bad = 1;
			break;
		}
		*eq = '\0';
		tag = trim(part);
		v = trim(eq + 1);
		if (n++ > 0)
			bad = dmarc_tag(r, tag, v, &seen, why) < 0;
	}
	free(copy);
	if (!bad && r->p < 0 && r->rua != NULL) {
		r->p = DMARC_P_NONE;		/* 6.6.3 */
		r->p_from_rua = 1;
	} else if (!bad && r->p < 0) {
		buf_setf(why, "no valid p=");
		bad = 1;
	}
	if (bad)
		dmarc_record_free(r);
	return bad ? -1 : 0;
}

/* dmarc_record_free - a record's strings */
void
dmarc_record_free(struct dmarc_record *r)
{
	free(r->rua);
	free(r->ruf);
	free(r->fo);
	free(r->rf);
	r->rua = r->ruf = r->fo = r->rf = NULL;
}
