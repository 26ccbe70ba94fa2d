/*
 * spf_term - an SPF record's grammar (RFC 7208 sections 4.6.1, 5, 6, 7.1,
 * 12): the text after "v=spf1" into a list of terms, checked whole before
 * anything is evaluated (4.6: a syntax error anywhere is a permerror).
 *
 * Distrusts the record: any byte outside visible ASCII and space, an
 * unknown mechanism, a mechanism with a missing or extra argument, a bad
 * prefix length (leading zeros, out of range), a bad macro, two
 * redirect= or exp= modifiers.  The record is at most what one DNS answer
 * holds; the terms are counted as they come, so nothing grows past it.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "spf.h"
#include "spf_int.h"
#include "util.h"

/* The mechanisms, their kinds, whether they take (must take) a domain. */
static const struct {
	const char	*name;
	int		 kind;
	int		 arg;		/* 0 no, 1 may, 2 must */
	int		 cidr;		/* dual-cidr-length */
} spf_mechs[] = {
	{ "all", SPF_T_ALL, 0, 0 },
	{ "include", SPF_T_INCLUDE, 2, 0 },
	{ "a", SPF_T_A, 1, 1 },
	{ "mx", SPF_T_MX, 1, 1 },
	{ "ptr", SPF_T_PTR, 1, 0 },
	{ "ip4", SPF_T_IP4, 2, 0 },
	{ "ip6", SPF_T_IP6, 2, 0 },
	{ "exists", SPF_T_EXISTS, 2, 0 },
};

/*
 * spf_macro_check - whether s[0..len) is a macro-string (7.1); exp: the
 * c, r and t letters are allowed (an explanation)
 */
int
spf_macro_check(const char *s, size_t len, int exp)
{
	const char *end = s + len, *letters = exp ? "slodiphcrtv" :
	    "slodiphv";
	unsigned char c;

	while (s < end) {
		c = (unsigned char)*s++;
		if ((c < 0x21 && !(exp && c == ' ')) || c > 0x7e)
			return -1;
		if (c != '%')
			continue;
		if (s == end)
			return -1;
		c = (unsigned char)*s++;
		if (c == '%' || c == '_' || c == '-')
			continue;
		if (c != '{' || s == end ||
		    strchr(letters, tolower((unsigned char)*s)) == NULL)
			return -1;
		s++;
		if (s < end && *s == '0')
			return -1;		/* a count is never zero */
		while (s < end && isdigit((unsigned char)*s))
			s++;
		if (s < end && (*s == 'r' || *s == 'R'))
			s++;
		while (s < end && *s != '}' && strchr(".-+,/_=", *s) != NULL)
			s++;
		if (s == end || *s++ != '}')
			return -1;
	}
	return 0;
}

/* spf_toplabel - whether s[0..len) is a toplabel (7.1: LDH, not all digits) */
static int
spf_toplabel(const char *s, size_t len)
{
	size_t i;
	int alpha = 0;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		if (isalpha((unsigned char)s[i]))
			alpha = 1;
		else if (!isdigit((unsigned char)s[i]) && s[i] != '-')
			return 0;
	}
	return alpha || memchr(s, '-', len) != NULL;
}

/*
 * spf_domain_end_ok - whether a domain-spec ends as 7.1 says: in a
 * macro-expand, or in "." toplabel with an optional final dot
 */
int
spf_domain_end_ok(const char *s)
{
	size_t len = strlen(s);
	const char *dot;

	if (len >= 2 && s[len - 1] == '}')
		return 1;
	if (len >= 2 && s[len - 2] == '%' && strchr("%_-", s[len - 1]) &&
	    (len < 3 || s[len - 3] != '%'))
		return 1;
	if (len > 0 && s[len - 1] == '.')
		len--;
	dot = NULL;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '.')
			dot = s + i;
	if (dot == NULL)
		return 0;
	return spf_toplabel(dot + 1, (size_t)(s + len - dot - 1));
}

/* spf_cidr_num - a prefix length without leading zeros, at most max */
static int
spf_cidr_num(const char *s, size_t len, int max)
{
	int n = 0;
	size_t i;

	if (len == 0 || len > 3 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n <= max ? n : -1;
}

/*
 * spf_cidr_split - take a dual-cidr-length ("/24", "//64", "/24//64")
 * off the end of arg (a copy it shortens); 0, or -1 when it is bad
 */
static int
spf_cidr_split(char *arg, struct spf_term *t)
{
	char *slash = NULL, *p, *v6;
	int depth = 0;

	for (p = arg; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == '{')
			depth = 1;
		else if (*p == '}')
			depth = 0;
		else if (*p == '/' && !depth) {
			slash = p;
			break;
		}
	}
	if (slash == NULL)
		return 0;
	*slash = '\0';
	p = slash + 1;
	v6 = strstr(p, "//");
	if (*p == '/')			/* "//64" alone */
		v6 = p - 1;
	if (v6 != NULL) {
		if ((t->cidr6 = spf_cidr_num(v6 + 2, strlen(v6 + 2), 128)) < 0)
			return -1;
		if (v6 < p)
			return 0;
		*v6 = '\0';
	}
	if ((t->cidr4 = spf_cidr_num(p, strlen(p), 32)) < 0)
		return -1;
	return 0;
}

/* spf_ip_arg - an ip4 or ip6 argument: address and prefix length */
static int
spf_ip_arg(struct spf_term *t, char *arg)
{
	char *slash = strchr(arg, '/');
	int max = t->kind == SPF_T_IP4 ? 32 : 128, n = max;

	if (slash != NULL) {
		*slash++ = '\0';
		if ((n = spf_cidr_num(slash, strlen(slash), max)) < 0)
			return -1;
	}
	if (inet_pton(t->kind == SPF_T_IP4 ? AF_INET : AF_INET6, arg,
	    t->ip) != 1)
		return -1;
	if (t->kind == SPF_T_IP4)
		t->cidr4 = n;
	else
		t->cidr6 = n;
	return 0;
}

/* spf_mech_parse - a mechanism's term (after its qualifier) into t */
static int
spf_mech_parse(struct spf_term *t, const char *s, size_t len,
    struct buf *why)
{
	size_t i, nlen = 0;
	char *arg = NULL;
	int colon = 0;

	while (nlen < len && s[nlen] != ':' && s[nlen] != '/')
		nlen++;
	for (i = 0; i < sizeof(spf_mechs) / sizeof(spf_mechs[0]); i++)
		if (strlen(spf_mechs[i].name) == nlen &&
		    strncasecmp(spf_mechs[i].name, s, nlen) == 0)
			break;
	if (i == sizeof(spf_mechs) / sizeof(spf_mechs[0]))
		return buf_setf(why, "unknown mechanism"), -1;
	t->kind = spf_mechs[i].kind;
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (nlen == len) {
		if (spf_mechs[i].arg == 2)
			return buf_setf(why, "%s needs an argument",
			    spf_mechs[i].name), -1;
		return 0;
	}
	if (s[nlen] == '/' && !spf_mechs[i].cidr)
		return buf_setf(why, "%s takes no prefix length",
		    spf_mechs[i].name), -1;
	if (spf_mechs[i].arg == 0)
		return buf_setf(why, "%s takes no argument",
		    spf_mechs[i].name), -1;
	if (s[nlen] == ':')		/* else "a/24": a prefix only */
		colon = 1, nlen++;
	arg = xstrndup(s + nlen, len - nlen);
	if (t->kind == SPF_T_IP4 || t->kind == SPF_T_IP6) {
		if (spf_ip_arg(t, arg) < 0) {
			free(arg);
			return buf_setf(why, "bad address"), -1;
		}
		free(arg);
		return 0;
	}
	if (spf_mechs[i].cidr && spf_cidr_split(arg, t) < 0) {
		free(arg);
		return buf_setf(why, "bad prefix length"), -1;
	}
	if (colon && (*arg == '\0' ||
	    spf_macro_check(arg, strlen(arg), 0) < 0 ||
	    !spf_domain_end_ok(arg))) {
		free(arg);
		return buf_setf(why, "bad domain"), -1;
	}
	if (*arg == '\0') {
		free(arg);
		arg = NULL;
	}
	t->arg = arg;
	return 0;
}

/* spf_mod_parse - a modifier (name=value) into t */
static int
spf_mod_parse(struct spf_record *rec, struct spf_term *t, const char *s,
    size_t len, size_t eq, struct buf *why)
{
	const char *v = s + eq + 1;
	size_t vlen = len - eq - 1, i;

	if (eq == 0 || !isalpha((unsigned char)s[0]))
		return buf_setf(why, "bad modifier name"), -1;
	for (i = 1; i < eq; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("-_.", s[i]) == NULL)
			return buf_setf(why, "bad modifier name"), -1;
	t->kind = SPF_T_OTHER;
	if (eq == 8 && strncasecmp(s, "redirect", 8) == 0)
		t->kind = SPF_T_REDIRECT;
	else if (eq == 3 && strncasecmp(s, "exp", 3) == 0)
		t->kind = SPF_T_EXP;
	if (spf_macro_check(v, vlen, 0) < 0)
		return buf_setf(why, "bad macro"), -1;
	if (t->kind == SPF_T_OTHER)
		return 0;
	t->arg = xstrndup(v, vlen);
	if (vlen == 0 || !spf_domain_end_ok(t->arg))
		return buf_setf(why, "bad domain"), -1;
	if (t->kind == SPF_T_REDIRECT && rec->redirect >= 0)
		return buf_setf(why, "two redirect modifiers"), -1;
	if (t->kind == SPF_T_EXP && rec->exp >= 0)
		return buf_setf(why, "two exp modifiers"), -1;
	if (t->kind == SPF_T_REDIRECT)
		rec->redirect = (int)rec->nterm;
	else
		rec->exp = (int)rec->nterm;
	return 0;
}

/* spf_term_parse - one term s[0..len) appended to rec */
static int
spf_term_parse(struct spf_record *rec, const char *s, size_t len,
    struct buf *why)
{
	struct spf_term *t;
	size_t i, eq = len;
	int r;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return buf_setf(why, "a byte outside visible ASCII"),
			    -1;
	for (i = 0; i < len && s[i] != ':' && s[i] != '/'; i++)
		if (s[i] == '=') {		/* a name, then '=' */
			eq = i;
			break;
		}
	if (rec->nterm == rec->nalloc) {	/* doubling: long records */
		rec->nalloc = rec->nalloc ? 2 * rec->nalloc : 8;
		rec->term = xrealloc(rec->term, rec->nalloc * sizeof(*t));
	}
	t = &rec->term[rec->nterm];
	memset(t, 0, sizeof(*t));
	t->text = xstrndup(s, len);
	t->qual = SPF_PASS;
	if (eq < len) {
		r = spf_mod_parse(rec, t, s, len, eq, why);
	} else {
		i = 0;
		switch (s[0]) {
		case '+': t->qual = SPF_PASS, i = 1; break;
		case '-': t->qual = SPF_FAIL, i = 1; break;
		case '~': t->qual = SPF_SOFTFAIL, i = 1; break;
		case '?': t->qual = SPF_NEUTRAL, i = 1; break;
		}
		r = spf_mech_parse(t, s + i, len - i, why);
	}
	rec->nterm++;
	return r;
}

/*
 * spf_record_parse - the terms of a record (its text after "v=spf1");
 * 0, or -1 with the first error in why (a permerror)
 */
int
spf_record_parse(const char *s, struct spf_record *rec, struct buf *why)
{
	const char *start;
	size_t len;

	memset(rec, 0, sizeof(*rec));
	rec->redirect = rec->exp = -1;
	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			return 0;
		start = s;
		while (*s != ' ' && *s != '\0')
			s++;
		len = (size_t)(s - start);
		if (spf_term_parse(rec, start, len, why) < 0) {
			buf_appendf(why, " in \"%.*s\"", len > 80 ? 80 :
			    (int)len, start);
			return -1;
		}
	}
}

/* spf_record_free - the terms' memory */
void
spf_record_free(struct spf_record *rec)
{
	size_t i;

	for (i = 0; i < rec->nterm; i++) {
		free(rec->term[i].text);
		free(rec->term[i].arg);
	}
	free(rec->term);
	memset(rec, 0, sizeof(*rec));
}
