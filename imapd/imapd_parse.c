/*
 * imapd_parse - reading IMAP commands (RFC 3501 section 9) into tokens,
 * and the small syntaxes commands share: dates, flags (sequence sets are
 * in imapd_set.c).
 *
 * A command is a tag, a name and arguments: atoms, quoted strings,
 * literals ({n} with a "+" continuation, {n+} without one, RFC 7888) and
 * parenthesised lists, over one or more lines.  Everything is bounded:
 * a line by IMAPD_LINE_MAX (the lineio cap), a literal by
 * imapd_literal_max (refused before a byte of it is read or allocated),
 * the tokens of a command by IMAPD_ARGS_MAX (IMAPD_LOGIN_ARGS_MAX before
 * login), nesting by IMAPD_DEPTH_MAX, and the whole command by a byte
 * budget (s->cmd_max: imapd_login_command_max before login,
 * imap_max_line_length after) that counts every line and literal of it
 * but an APPENDed message, which imapd_literal_max bounds.  Without the
 * budget, "a LOGIN {0+}" and endless lines of atoms each ending in "{0+}"
 * never end the command and grow the process without bound (issue 9).
 * Refused: unbalanced parentheses, brackets or quotes, a quote escape
 * other than \" and \\, control characters in atoms, NUL anywhere (a
 * literal with a NUL is read, then refused).  8-bit octets are taken in
 * atoms and quoted strings (people type UTF-8 passwords with telnet);
 * what may become a mailbox name is checked again as modified UTF-7.
 * An atom may hold a bracketed part with blanks and parentheses
 * ("BODY[HEADER.FIELDS (SUBJECT)]<0.100>"), which FETCH takes apart.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "dec.h"
#include "lineio.h"
#include "mailbox.h"
#include "mime.h"
#include "msg.h"
#include "util.h"
#include "imapd.h"

static const char *const imapd_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* imapd_cmd_free - forget a command's tokens */
void
imapd_cmd_free(struct imapd_cmd *c)
{
	int i;

	for (i = 0; i < c->nargs; i++)
		free(c->args[i].s);
	free(c->args);
	free(c->tag);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

/* imapd_push - one more token (s is taken over) */
static int
imapd_push(struct imapd_cmd *c, enum imapd_arg_type t, char *s, size_t len,
    int literal)
{
	if (c->nargs >= (c->args_max > 0 ? c->args_max : IMAPD_ARGS_MAX)) {
		if (s != NULL)
			explicit_bzero(s, len);
		free(s);
		return -1;
	}
	if (c->nargs == c->size) {
		c->size = c->size ? c->size * 2 : 16;
		c->args = xrealloc(c->args, (size_t)c->size * sizeof(*c->args));
	}
	c->args[c->nargs].type = t;
	c->args[c->nargs].s = s;
	c->args[c->nargs].len = len;
	c->args[c->nargs].literal = literal;
	c->nargs++;
	return 0;
}

/* imapd_atom_char - may this octet be part of an atom? */
static int
imapd_atom_char(int ch)
{
	return ch > 0x20 && ch != 0x7f && ch != '(' && ch != ')' &&
	    ch != '{' && ch != '"';
}

/* The state of tokenising one command across its lines. */
struct imapd_tok {
	int		 depth;		/* open parentheses */
	long long	 litlen;	/* a literal follows: its length */
	int		 nonsync;	/* ... as {n+} */
};

/*
 * imapd_tokenize - the tokens of one line.  0 at the end of the command,
 * 1 when the line ends in a literal (t->litlen), -1 with why on bad syntax.
 */
static int
imapd_tokenize(struct imapd_cmd *c, const char *p, size_t len,
    struct imapd_tok *t, struct buf *why)
{
	const char	*end = p + len, *q, *start;
	struct buf	*str;
	long long	 n;
	int		 bracket;

	t->litlen = -1;
	while (p < end) {
		if (*p == ' ') {
			p++;
			continue;
		}
		if (*p == '(' || *p == ')') {
			t->depth += *p == '(' ? 1 : -1;
			if (t->depth < 0 || t->depth > IMAPD_DEPTH_MAX) {
				buf_setf(why, "%s", t->depth < 0 ?
				    "Unbalanced parentheses: unexpected ')'" :
				    "Too deeply nested");
				return -1;
			}
			if (imapd_push(c, *p == '(' ? IMAPD_LPAREN :
			    IMAPD_RPAREN, NULL, 0, 0) < 0)
				goto toomany;
			p++;
			continue;
		}
		if (*p == '"') {
			str = buf_new(64, 0);
			for (q = p + 1; q < end && *q != '"'; q++) {
				if (*q == '\\') {
					if (q + 1 >= end || (q[1] != '"' &&
					    q[1] != '\\')) {
						buf_free(&str);
						buf_setf(why, "Bad escape in a "
						    "quoted string");
						return -1;
					}
					q++;
				}
				buf_putc(str, *q);
			}
			if (q >= end) {
				buf_free(&str);
				buf_setf(why, "Unbalanced quotes: missing "
				    "closing '\"'");
				return -1;
			}
			n = (long long)buf_len(str);
			if (imapd_push(c, IMAPD_STRING, buf_steal(&str),
			    (size_t)n, 0) < 0)
				goto toomany;
			p = q + 1;
			continue;
		}
		if (*p == '{') {
			/* A literal: {digits} or {digits+}, ending the line. */
			q = p + 1;
			if ((n = dec_take(&q, end, 0xffffffffLL)) < 0) {
				if (q < end && isdigit((unsigned char)*q)) {
					buf_setf(why, "Literal size too big");
					return -1;
				}
				n = 0;
			}
			t->nonsync = q < end && *q == '+';
			if (t->nonsync)
				q++;
			if (q == p + 1 + t->nonsync || q >= end || *q != '}' ||
			    q + 1 != end) {
				buf_setf(why, "Bad literal: {size} must end "
				    "the line");
				return -1;
			}
			t->litlen = n;
			return 1;
		}
		/* An atom, with any bracketed part taken whole. */
		start = p;
		bracket = 0;
		for (; p < end; p++) {
			if (bracket > 0) {
				if (*p == '[')
					bracket++;
				else if (*p == ']')
					bracket--;
				else if ((unsigned char)*p < 0x20 ||
				    (unsigned char)*p == 0x7f)
					goto badchar;
				continue;
			}
			if (*p == '[') {
				bracket++;
				continue;
			}
			if (*p == ' ' || *p == '(' || *p == ')')
				break;
			if (!imapd_atom_char((unsigned char)*p)) {
				if (*p == '"' || *p == '{') {
					buf_setf(why, "Unexpected '%c' in an "
					    "atom", *p);
					return -1;
				}
				goto badchar;
			}
		}
		if (bracket > 0) {
			buf_setf(why, "Unbalanced brackets: missing ']'");
			return -1;
		}
		if (imapd_push(c, IMAPD_ATOM, xstrndup(start,
		    (size_t)(p - start)), (size_t)(p - start), 0) < 0)
			goto toomany;
	}
	if (t->depth > 0) {
		buf_setf(why, "Unbalanced parentheses: missing ')'");
		return -1;
	}
	return 0;
toomany:
	buf_setf(why, "Too many arguments");
	return -1;
badchar:
	buf_setf(why, "Control character in an atom");
	return -1;
}

/* imapd_literal - read a literal of n octets into a new token */
static int
imapd_literal(struct imapd_state *s, struct imapd_cmd *c, long long n,
    struct buf *why)
{
	char	*data;
	size_t	 got = 0;
	ssize_t	 r;

	data = xmalloc((size_t)n + 1);
	while (got < (size_t)n) {
		r = lineio_read(s->io, data + got, (size_t)n - got);
		if (r <= 0) {
			free(data);
			return r == 0 || errno != ETIMEDOUT ? IMAPD_READ_EOF :
			    IMAPD_READ_TIMEOUT;
		}
		got += (size_t)r;
	}
	data[n] = '\0';
	if (memchr(data, '\0', (size_t)n) != NULL) {
		explicit_bzero(data, (size_t)n);
		free(data);
		buf_setf(why, "NUL octet in a literal");
		return IMAPD_READ_BAD;
	}
	if (imapd_push(c, IMAPD_STRING, data, (size_t)n, 1) < 0) {
		buf_setf(why, "Too many arguments");
		return IMAPD_READ_BAD;
	}
	return IMAPD_READ_OK;
}

/* imapd_line - one line of a command; an IMAPD_READ_* result */
static int
imapd_line(struct imapd_state *s, struct buf *line, struct buf *why)
{
	switch (lineio_get(s->io, line, LINEIO_SKIP)) {
	case LINE_OK:
		if (memchr(buf_str(line), '\0', buf_len(line)) != NULL) {
			buf_setf(why, "NUL octet in the command line");
			return IMAPD_READ_BAD;
		}
		return IMAPD_READ_OK;
	case LINE_TOOLONG:
		buf_setf(why, "[TOOBIG] Command line too long");
		return IMAPD_READ_BAD;
	case LINE_TIMEOUT:
		return IMAPD_READ_TIMEOUT;
	default:
		return IMAPD_READ_EOF;
	}
}

/* imapd_tag_ok - a valid tag: astring characters but '+', no quoting */
static int
imapd_tag_valid(const char *tag)
{
	if (*tag == '\0')
		return 0;
	for (; *tag != '\0'; tag++)
		if (!imapd_atom_char((unsigned char)*tag) || *tag == '+' ||
		    *tag == '%' || *tag == '*')
			return 0;
	return 1;
}

/*
 * imapd_over_budget - a command passed its byte budget at a line (p, len)
 * that is not yet tokenised.  Nothing of it is kept: BAD when the client
 * waits for our "+" or is done, BYE when a literal+ follows, whose bytes
 * and lines we could not tell from the next command.
 */
static int
imapd_over_budget(const char *p, size_t len, long long max, struct buf *why)
{
	buf_setf(why, "[TOOBIG] Command too long: the limit is %lld octets",
	    max);
	if (len >= 3 && p[len - 1] == '}' && p[len - 2] == '+')
		return IMAPD_READ_BYE;
	return IMAPD_READ_BAD;
}

/*
 * imapd_cmd_read - read one whole command (see the top of this file).
 * IMAPD_READ_OK, or BAD/NO with the reason in why (c->tag set when the
 * tag was read), EOF, TIMEOUT, or BYE (a literal+ over the limit).
 */
int
imapd_cmd_read(struct imapd_state *s, struct imapd_cmd *c, long long litmax,
    struct buf *why)
{
	struct imapd_tok t;
	struct buf	*line;
	long long	 total = 0, used = 0;
	int		 r, i, first = 1, append;
	char		*p;
	size_t		 len;

	imapd_cmd_free(c);
	c->args_max = s->args_max;
	memset(&t, 0, sizeof(t));
	line = buf_new(256, 0);
	if (!s->mailbox)
		buf_secret(line);	/* LOGIN's password: wiped when freed */
	buf_reset(why);
	for (;;) {
		if ((r = imapd_line(s, line, why)) != IMAPD_READ_OK)
			goto out;
		used += (long long)buf_len(line) + 2;
		p = line->data;
		if (first) {
			/* The tag and the command name. */
			first = 0;
			i = (int)strcspn(p, " ");
			if (buf_len(line) == 0) {
				r = IMAPD_READ_EMPTY;
				goto out;
			}
			if (i == 0) {
				buf_setf(why, "Missing tag");
				r = IMAPD_READ_BAD;
				goto out;
			}
			c->tag = xstrndup(p, (size_t)i);
			if (!imapd_tag_valid(c->tag)) {
				free(c->tag);
				c->tag = NULL;
				buf_setf(why, "Invalid tag");
				r = IMAPD_READ_BAD;
				goto out;
			}
			p += i;
			while (*p == ' ')
				p++;
			i = (int)strcspn(p, " ");
			if (i == 0) {
				buf_setf(why, "Missing command");
				r = IMAPD_READ_BAD;
				goto out;
			}
			c->name = xstrndup(p, (size_t)i);
			p += i;
			for (i = 0; c->name[i] != '\0'; i++) {
				if (!imapd_atom_char((unsigned char)
				    c->name[i]) || c->name[i] == '[') {
					buf_setf(why, "Invalid command name");
					r = IMAPD_READ_BAD;
					goto out;
				}
				c->name[i] = (char)toupper((unsigned char)
				    c->name[i]);
			}
			if (strcmp(c->name, "UID") == 0) {
				while (*p == ' ')
					p++;
				i = (int)strcspn(p, " ");
				if (i == 0) {
					buf_setf(why, "Missing command after "
					    "UID");
					r = IMAPD_READ_BAD;
					goto out;
				}
				free(c->name);
				c->name = xstrndup(p, (size_t)i);
				for (i = 0; c->name[i] != '\0'; i++)
					c->name[i] = (char)toupper(
					    (unsigned char)c->name[i]);
				p += strlen(c->name);
				c->uid = 1;
			}
		}
		len = buf_len(line) - (size_t)(p - line->data);
		if (s->cmd_max > 0 && used > s->cmd_max) {
			r = imapd_over_budget(p, len, s->cmd_max, why);
			goto out;
		}
		r = imapd_tokenize(c, p, len, &t, why);
		if (r == 0) {
			r = IMAPD_READ_OK;
			goto out;
		}
		if (r < 0) {
			r = IMAPD_READ_BAD;
			goto out;
		}
		/* A literal follows. */
		if (t.litlen > litmax || total + t.litlen > litmax +
		    IMAPD_SMALL_LITERALS) {
			buf_setf(why, "[TOOBIG] Literal too big: the limit "
			    "is %lld octets", litmax);
			r = t.nonsync ? IMAPD_READ_BYE : IMAPD_READ_NO;
			goto out;
		}
		total += t.litlen;
		/* An APPENDed message counts against imapd_literal_max only. */
		append = s->mailbox && strcmp(c->name, "APPEND") == 0;
		if (!append)
			used += t.litlen;
		if (s->cmd_max > 0 && used > s->cmd_max) {
			r = imapd_over_budget(p, len, s->cmd_max, why);
			goto out;
		}
		if (!t.nonsync) {
			lineio_puts(s->io, "+ Ready for literal data\r\n");
			if (lineio_flush(s->io) < 0) {
				r = IMAPD_READ_EOF;
				goto out;
			}
		}
		if ((r = imapd_literal(s, c, t.litlen, why)) != IMAPD_READ_OK) {
			/* The rest of the command's line goes with it. */
			if (r == IMAPD_READ_BAD) {
				struct buf *junk = buf_new(64, 0);

				if (imapd_line(s, line, junk) != IMAPD_READ_OK)
					r = IMAPD_READ_EOF;
				buf_free(&junk);
			}
			goto out;
		}
	}
out:
	buf_free(&line);
	c->pos = 0;
	return r;
}

/* imapd_arg - the next token, or NULL */
struct imapd_arg *
imapd_arg(struct imapd_cmd *c)
{
	if (c->pos >= c->nargs)
		return NULL;
	return &c->args[c->pos++];
}

/* imapd_arg_peek - the next token without taking it */
struct imapd_arg *
imapd_arg_peek(struct imapd_cmd *c)
{
	return c->pos < c->nargs ? &c->args[c->pos] : NULL;
}

/* imapd_arg_end - no tokens left? */
int
imapd_arg_end(struct imapd_cmd *c)
{
	return c->pos >= c->nargs;
}

/* imapd_astring - the next token as an astring (atom or string) */
const char *
imapd_astring(struct imapd_cmd *c)
{
	struct imapd_arg *a = imapd_arg(c);

	if (a == NULL || (a->type != IMAPD_ATOM && a->type != IMAPD_STRING))
		return NULL;
	return a->s;
}

/* imapd_atom - the next token, an atom only */
const char *
imapd_atom(struct imapd_cmd *c)
{
	struct imapd_arg *a = imapd_arg(c);

	if (a == NULL || a->type != IMAPD_ATOM)
		return NULL;
	return a->s;
}

/* imapd_arg_is - is a token this atom (any case)? */
int
imapd_arg_is(struct imapd_arg *a, const char *word)
{
	return a != NULL && a->type == IMAPD_ATOM &&
	    strcasecmp(a->s, word) == 0;
}

/* imapd_arg_take - take the next token if it is of this type */
static int
imapd_arg_take(struct imapd_cmd *c, enum imapd_arg_type type)
{
	struct imapd_arg *a = imapd_arg_peek(c);

	if (a == NULL || a->type != type)
		return 0;
	c->pos++;
	return 1;
}

/* imapd_arg_lparen - take a '(' if it comes next */
int
imapd_arg_lparen(struct imapd_cmd *c)
{
	return imapd_arg_take(c, IMAPD_LPAREN);
}

/* imapd_arg_rparen - take a ')' if it comes next */
int
imapd_arg_rparen(struct imapd_cmd *c)
{
	return imapd_arg_take(c, IMAPD_RPAREN);
}

/* imapd_number - a 32-bit number (digits only); -1 if not */
int
imapd_number(const char *p, uint32_t *out)
{
	uint64_t v;

	if (imapd_number64(p, &v) < 0 || v > 0xffffffffULL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* imapd_number64 - a 63-bit number (digits only); -1 if not */
int
imapd_number64(const char *p, uint64_t *out)
{
	unsigned long long v;

	if (p == NULL || dec_parse(p, strlen(p), INT64_MAX, &v) < 0)
		return -1;
	*out = v;
	return 0;
}

/* imapd_month - the month of a three-letter name (any case), 1-12, or 0 */
static int
imapd_month(const char *p)
{
	int i;

	for (i = 0; i < 12; i++)
		if (strncasecmp(p, imapd_months[i], 3) == 0)
			return i + 1;
	return 0;
}

/*
 * imapd_date_scan - "1-Feb-1994" at *pp: the year, month (1-12) and day
 * (not yet checked against 1-31), *pp moved past it; -1 if not a date
 */
static int
imapd_date_scan(const char **pp, int *y, int *m, int *d)
{
	const char *p = *pp;
	int i;

	for (i = 0, *d = 0; i < 2 && isdigit((unsigned char)*p); i++, p++)
		*d = *d * 10 + (*p - '0');
	if (i == 0 || *p++ != '-' || (*m = imapd_month(p)) == 0)
		return -1;
	p += 3;
	if (*p++ != '-')
		return -1;
	for (i = 0, *y = 0; i < 4 && isdigit((unsigned char)*p); i++, p++)
		*y = *y * 10 + (*p - '0');
	if (i != 4)
		return -1;
	*pp = p;
	return 0;
}

/* imapd_date_parse - "1-Feb-1994" (SEARCH dates); -1 if not valid */
int
imapd_date_parse(const char *p, int *y, int *m, int *d)
{
	int year, month, day;

	if (p == NULL || imapd_date_scan(&p, &year, &month, &day) < 0 ||
	    *p != '\0' || day < 1 || day > 31)
		return -1;
	*y = year;
	*m = month;
	*d = day;
	return 0;
}

/*
 * imapd_datetime_parse - "17-Jul-1996 02:44:25 -0700" (APPEND; the day
 * may start with a blank); -1 if not valid
 */
int
imapd_datetime_parse(const char *p, time_t *out)
{
	struct tm tm;
	int day, month, year, h, mi, sec, zone, sign, i;

	memset(&tm, 0, sizeof(tm));
	if (*p == ' ')
		p++;
	if (imapd_date_scan(&p, &year, &month, &day) < 0 || *p++ != ' ')
		return -1;
	tm.tm_mon = month - 1;
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) ||
	    p[2] != ':' || !isdigit((unsigned char)p[3]) ||
	    !isdigit((unsigned char)p[4]) || p[5] != ':' ||
	    !isdigit((unsigned char)p[6]) || !isdigit((unsigned char)p[7]) ||
	    p[8] != ' ' || (p[9] != '+' && p[9] != '-'))
		return -1;
	h = (p[0] - '0') * 10 + p[1] - '0';
	mi = (p[3] - '0') * 10 + p[4] - '0';
	sec = (p[6] - '0') * 10 + p[7] - '0';
	sign = p[9] == '-' ? -1 : 1;
	p += 10;
	for (i = 0, zone = 0; i < 4 && isdigit((unsigned char)*p); i++, p++)
		zone = zone * 10 + (*p - '0');
	if (i != 4 || *p != '\0' || day < 1 || day > 31 || h > 23 ||
	    mi > 59 || sec > 60 || year < 1970)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm) - sign * ((zone / 100) * 3600 + (zone % 100) * 60);
	return 0;
}

/* imapd_datetime_format - "\"17-Jul-1996 02:44:25 -0700\"" (local time) */
void
imapd_datetime_format(struct buf *out, time_t t)
{
	struct tm tm;
	long off;

	localtime_r(&t, &tm);
	off = tm.tm_gmtoff / 60;
	buf_appendf(out, "\"%02d-%s-%04d %02d:%02d:%02d %c%02ld%02ld\"",
	    tm.tm_mday, imapd_months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    labs(off) / 60, labs(off) % 60);
}

/* imapd_digits - up to most digits at *pp, passed: how many; their value */
static int
imapd_digits(const char **pp, int most, int *value)
{
	int i;

	*value = 0;
	for (i = 0; i < most && isdigit((unsigned char)**pp); i++, (*pp)++)
		*value = *value * 10 + (**pp - '0');
	return i;
}

/*
 * imapd_rfc2822_date - the date of a Date: header ("Tue, 1 Jul 2003
 * 10:52:37 +0200", with lenience for two-digit years and missing day
 * names), for SENTBEFORE/SENTON/SENTSINCE; -1 if none can be read
 */
int
imapd_rfc2822_date(const char *p, int *y, int *m, int *d)
{
	int day, year, i;

	p += strspn(p, " \t");
	if (isalpha((unsigned char)*p)) {
		while (isalpha((unsigned char)*p))
			p++;
		p += strspn(p, ", \t");
	}
	if (imapd_digits(&p, 2, &day) == 0)
		return -1;
	p += strspn(p, " \t-");
	if ((*m = imapd_month(p)) == 0)
		return -1;
	while (isalpha((unsigned char)*p))
		p++;
	p += strspn(p, " \t-");
	i = imapd_digits(&p, 4, &year);
	if (i == 2)
		year += year < 50 ? 2000 : 1900;
	else if (i == 3)
		year += 1900;
	else if (i != 4)
		return -1;
	if (day < 1 || day > 31)
		return -1;
	*y = year;
	*d = day;
	return 0;
}

/* imapd_quote - a string as IMAP wants it (quoted, or a literal) */
void
imapd_quote(struct buf *out, const char *s, size_t len)
{
	mime_imap_string(out, s, len);
}

/* The system flags (and $Forwarded) by name, in the order they are shown. */
#define IMAPD_FLAG_NAMES	6
static const struct {
	const char	*name;
	uint32_t	 bit;
} imapd_flag_names[IMAPD_FLAG_NAMES] = {
	{ "\\Seen", FLAG_SEEN },
	{ "\\Answered", FLAG_ANSWERED },
	{ "\\Flagged", FLAG_FLAGGED },
	{ "\\Deleted", FLAG_DELETED },
	{ "\\Draft", FLAG_DRAFT },
	{ "$Forwarded", FLAG_FORWARDED },
};

/*
 * imapd_system_flag - the FLAG_* bit of a flag name (any case); 0 for a
 * keyword, -1 for \Recent (not settable), -2 for another \name
 */
int
imapd_system_flag(const char *name)
{
	size_t i;

	for (i = 0; i < IMAPD_FLAG_NAMES; i++)
		if (strcasecmp(name, imapd_flag_names[i].name) == 0)
			return (int)imapd_flag_names[i].bit;
	if (strcasecmp(name, "\\Recent") == 0)
		return -1;
	return name[0] == '\\' ? -2 : 0;
}

/* imapd_flags_format - flag names, blank-separated (no parentheses) */
void
imapd_flags_format(struct buf *out, struct mailbox *mb, uint32_t flags,
    uint32_t kw, int recent)
{
	size_t i, start = buf_len(out);

	for (i = 0; i < IMAPD_FLAG_NAMES; i++)
		if (flags & imapd_flag_names[i].bit) {
			if (buf_len(out) > start)
				buf_putc(out, ' ');
			buf_puts(out, imapd_flag_names[i].name);
		}
	for (i = 0; mb != NULL && i < MAILBOX_KEYWORDS; i++)
		if ((kw & (1U << i)) && mb->kw[i] != NULL) {
			if (buf_len(out) > start)
				buf_putc(out, ' ');
			buf_puts(out, mb->kw[i]);
		}
	if (recent) {
		if (buf_len(out) > start)
			buf_putc(out, ' ');
		buf_puts(out, "\\Recent");
	}
}
