/*
 * imapparse - reading IMAP commands (RFC 3501 section 9) into tokens for
 * both sides of the IMAP server, and taking them one by one: atoms,
 * strings, parentheses, numbers, flag names (dates are in
 * imapparse_date.c, sequence sets in imapd/imapd_set.c).
 *
 * A command is a tag, a name and arguments: atoms, quoted strings,
 * literals ({n} with a "+" continuation, {n+} without one, RFC 7888) and
 * parenthesised lists, over one or more lines.  Everything is bounded,
 * by what the program hands over in a struct imapparse_reader: a line by
 * the cap of its lineio, a literal by literal_max (refused before a byte
 * of it is read or allocated), the tokens of a command by args_max
 * (IMAPPARSE_ARGS_MAX when 0), nesting by IMAPPARSE_DEPTH_MAX, and the
 * whole command by a byte budget (cmd_max: imapd_login_command_max before
 * login, imap_max_line_length after) that counts every line and literal
 * of it but an APPENDed message when append is set, which literal_max
 * bounds.  Without the budget, "a LOGIN {0+}" and endless lines of atoms
 * each ending in "{0+}" never end the command and grow the process
 * without bound (issue 9).
 *
 * Distrusted: every octet.  Refused: unbalanced parentheses, brackets or
 * quotes, a quote escape other than \" and \\, control characters in
 * atoms, NUL anywhere (a literal with a NUL is read, then refused).
 * 8-bit octets are taken in atoms and quoted strings (people type UTF-8
 * passwords with telnet); what may become a mailbox name is checked
 * again as modified UTF-7.  An atom may hold a bracketed part with
 * blanks and parentheses ("BODY[HEADER.FIELDS (SUBJECT)]<0.100>"), which
 * FETCH takes apart.  With secret set (before login, when LOGIN carries
 * a password) the lines read are wiped when freed.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dec.h"
#include "imapparse.h"
#include "lineio.h"
#include "name_code.h"
#include "uidlist.h"
#include "util.h"

/* imapparse_free - forget a command's tokens */
void
imapparse_free(struct imapparse_cmd *c)
{
	int i;

	for (i = 0; i < c->nargs; i++)
		free(c->args[i].s);
	free(c->args);
	free(c->tag);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

/* imapparse_push - one more token (s is taken over) */
static int
imapparse_push(struct imapparse_cmd *c, enum imapparse_type t, char *s,
    size_t len, int literal)
{
	if (c->nargs >= (c->args_max > 0 ? c->args_max : IMAPPARSE_ARGS_MAX)) {
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

/* imapparse_atom_char - may this octet be part of an atom? */
static int
imapparse_atom_char(int ch)
{
	return ch > 0x20 && ch != 0x7f && ch != '(' && ch != ')' &&
	    ch != '{' && ch != '"';
}

/* The state of tokenising one command across its lines. */
struct imapparse_tok {
	int		 depth;		/* open parentheses */
	long long	 litlen;	/* a literal follows: its length */
	int		 nonsync;	/* ... as {n+} */
};

/*
 * imapparse_tokenize - the tokens of one line.  0 at the end of the command,
 * 1 when the line ends in a literal (t->litlen), -1 with why on bad syntax.
 */
static int
imapparse_tokenize(struct imapparse_cmd *c, const char *p, size_t len,
    struct imapparse_tok *t, struct buf *why)
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
			if (t->depth < 0 || t->depth > IMAPPARSE_DEPTH_MAX) {
				buf_setf(why, "%s", t->depth < 0 ?
				    "Unbalanced parentheses: unexpected ')'" :
				    "Too deeply nested");
				return -1;
			}
			if (imapparse_push(c, *p == '(' ? IMAPPARSE_LPAREN :
			    IMAPPARSE_RPAREN, NULL, 0, 0) < 0)
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
			if (imapparse_push(c, IMAPPARSE_STRING, buf_steal(&str),
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
			if (!imapparse_atom_char((unsigned char)*p)) {
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
		if (imapparse_push(c, IMAPPARSE_ATOM, xstrndup(start,
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

/* imapparse_literal - read a literal of n octets into a new token */
static int
imapparse_literal(const struct imapparse_reader *rd, struct imapparse_cmd *c,
    long long n, struct buf *why)
{
	char	*data;
	size_t	 got = 0;
	ssize_t	 r;

	data = xmalloc((size_t)n + 1);
	while (got < (size_t)n) {
		r = lineio_read(rd->io, data + got, (size_t)n - got);
		if (r <= 0) {
			free(data);
			return r == 0 || errno != ETIMEDOUT ?
			    IMAPPARSE_READ_EOF : IMAPPARSE_READ_TIMEOUT;
		}
		got += (size_t)r;
	}
	data[n] = '\0';
	if (memchr(data, '\0', (size_t)n) != NULL) {
		explicit_bzero(data, (size_t)n);
		free(data);
		buf_setf(why, "NUL octet in a literal");
		return IMAPPARSE_READ_BAD;
	}
	if (imapparse_push(c, IMAPPARSE_STRING, data, (size_t)n, 1) < 0) {
		buf_setf(why, "Too many arguments");
		return IMAPPARSE_READ_BAD;
	}
	return IMAPPARSE_READ_OK;
}

/* imapparse_line - one line of a command; an IMAPPARSE_READ_* result */
static int
imapparse_line(const struct imapparse_reader *rd, struct buf *line,
    struct buf *why)
{
	switch (lineio_get(rd->io, line, LINEIO_SKIP)) {
	case LINE_OK:
		if (memchr(buf_str(line), '\0', buf_len(line)) != NULL) {
			buf_setf(why, "NUL octet in the command line");
			return IMAPPARSE_READ_BAD;
		}
		return IMAPPARSE_READ_OK;
	case LINE_TOOLONG:
		buf_setf(why, "[TOOBIG] Command line too long");
		return IMAPPARSE_READ_BAD;
	case LINE_TIMEOUT:
		return IMAPPARSE_READ_TIMEOUT;
	default:
		return IMAPPARSE_READ_EOF;
	}
}

/* imapparse_tag_valid - a valid tag: astring characters but '+', no quoting */
static int
imapparse_tag_valid(const char *tag)
{
	if (*tag == '\0')
		return 0;
	for (; *tag != '\0'; tag++)
		if (!imapparse_atom_char((unsigned char)*tag) || *tag == '+' ||
		    *tag == '%' || *tag == '*')
			return 0;
	return 1;
}

/* imapparse_upper - a command name in upper case */
static void
imapparse_upper(char *name)
{
	for (; *name != '\0'; name++)
		*name = (char)toupper((unsigned char)*name);
}

/* imapparse_word - past the blanks at *pp: the length of the word there */
static int
imapparse_word(char **pp)
{
	while (**pp == ' ')
		(*pp)++;
	return (int)strcspn(*pp, " ");
}

/*
 * imapparse_head - the tag and the command name (the one after UID for
 * UID FETCH ...) at the start of a command's first line; *pp is moved
 * past them.  IMAPPARSE_READ_OK, EMPTY, or BAD with why.
 */
static int
imapparse_head(struct imapparse_cmd *c, const struct buf *line, char **pp,
    struct buf *why)
{
	char	*p = *pp;
	int	 i;

	i = (int)strcspn(p, " ");
	if (buf_len(line) == 0)
		return IMAPPARSE_READ_EMPTY;
	if (i == 0) {
		buf_setf(why, "Missing tag");
		return IMAPPARSE_READ_BAD;
	}
	c->tag = xstrndup(p, (size_t)i);
	if (!imapparse_tag_valid(c->tag)) {
		free(c->tag);
		c->tag = NULL;
		buf_setf(why, "Invalid tag");
		return IMAPPARSE_READ_BAD;
	}
	p += i;
	if ((i = imapparse_word(&p)) == 0) {
		buf_setf(why, "Missing command");
		return IMAPPARSE_READ_BAD;
	}
	c->name = xstrndup(p, (size_t)i);
	p += i;
	for (i = 0; c->name[i] != '\0'; i++)
		if (!imapparse_atom_char((unsigned char)c->name[i]) ||
		    c->name[i] == '[') {
			buf_setf(why, "Invalid command name");
			return IMAPPARSE_READ_BAD;
		}
	imapparse_upper(c->name);
	if (strcmp(c->name, "UID") == 0) {
		if ((i = imapparse_word(&p)) == 0) {
			buf_setf(why, "Missing command after UID");
			return IMAPPARSE_READ_BAD;
		}
		free(c->name);
		c->name = xstrndup(p, (size_t)i);
		imapparse_upper(c->name);
		p += i;
		c->uid = 1;
	}
	*pp = p;
	return IMAPPARSE_READ_OK;
}

/*
 * imapparse_over_budget - a command passed its byte budget at a line
 * (p, len) that is not yet tokenised.  Nothing of it is kept: BAD when the
 * client waits for our "+" or is done, BYE when a literal+ follows, whose
 * bytes and lines we could not tell from the next command.
 */
static int
imapparse_over_budget(const char *p, size_t len, long long max,
    struct buf *why)
{
	buf_setf(why, "[TOOBIG] Command too long: the limit is %lld octets",
	    max);
	if (len >= 3 && p[len - 1] == '}' && p[len - 2] == '+')
		return IMAPPARSE_READ_BYE;
	return IMAPPARSE_READ_BAD;
}

/*
 * imapparse_take_literal - the literal announced at the end of a line
 * (its tokens from p on), within the limits: asked for with "+" unless
 * it is a literal+, then read.  total: the literals' octets so far,
 * used: the command's.  An IMAPPARSE_READ_* result; line is reused.
 */
static int
imapparse_take_literal(const struct imapparse_reader *rd,
    struct imapparse_cmd *c, const struct imapparse_tok *t,
    struct buf *line, const char *p, long long *total, long long *used,
    struct buf *why)
{
	long long	 max = rd->literal_max;
	size_t		 len = buf_len(line) - (size_t)(p - buf_str(line));
	struct buf	*junk;
	int		 r;

	if (t->litlen > max || *total + t->litlen > max +
	    IMAPPARSE_SMALL_LITERALS) {
		buf_setf(why, "[TOOBIG] Literal too big: the limit is %lld "
		    "octets", max);
		return t->nonsync ? IMAPPARSE_READ_BYE : IMAPPARSE_READ_NO;
	}
	*total += t->litlen;
	/* An APPENDed message counts against literal_max only. */
	if (!rd->append || strcmp(c->name, "APPEND") != 0)
		*used += t->litlen;
	if (rd->cmd_max > 0 && *used > rd->cmd_max)
		return imapparse_over_budget(p, len, rd->cmd_max, why);
	if (!t->nonsync) {
		lineio_puts(rd->io, "+ Ready for literal data\r\n");
		if (lineio_flush(rd->io) < 0)
			return IMAPPARSE_READ_EOF;
	}
	r = imapparse_literal(rd, c, t->litlen, why);
	if (r == IMAPPARSE_READ_BAD) {
		/* The rest of the command's line goes with it. */
		junk = buf_new(64, 0);
		if (imapparse_line(rd, line, junk) != IMAPPARSE_READ_OK)
			r = IMAPPARSE_READ_EOF;
		buf_free(&junk);
	}
	return r;
}

/*
 * imapparse_read - read one whole command (see the top of this file).
 * IMAPPARSE_READ_OK, or BAD/NO with the reason in why (c->tag set when
 * the tag was read), EOF, TIMEOUT, EMPTY, or BYE (a literal+ over the
 * limit).
 */
int
imapparse_read(const struct imapparse_reader *rd, struct imapparse_cmd *c,
    struct buf *why)
{
	struct imapparse_tok t;
	struct buf	*line;
	long long	 total = 0, used = 0;
	int		 r, first = 1;
	char		*p;
	size_t		 len;

	imapparse_free(c);
	c->args_max = rd->args_max;
	memset(&t, 0, sizeof(t));
	line = buf_new(256, 0);
	if (rd->secret)
		buf_secret(line);	/* LOGIN's password: wiped when freed */
	buf_reset(why);
	for (;;) {
		if ((r = imapparse_line(rd, line, why)) != IMAPPARSE_READ_OK)
			break;
		used += (long long)buf_len(line) + 2;
		p = line->data;
		if (first) {
			first = 0;
			if ((r = imapparse_head(c, line, &p, why)) !=
			    IMAPPARSE_READ_OK)
				break;
		}
		len = buf_len(line) - (size_t)(p - line->data);
		if (rd->cmd_max > 0 && used > rd->cmd_max) {
			r = imapparse_over_budget(p, len, rd->cmd_max, why);
			break;
		}
		r = imapparse_tokenize(c, p, len, &t, why);
		if (r <= 0) {
			r = r == 0 ? IMAPPARSE_READ_OK : IMAPPARSE_READ_BAD;
			break;
		}
		r = imapparse_take_literal(rd, c, &t, line, p, &total, &used,
		    why);
		if (r != IMAPPARSE_READ_OK)
			break;
	}
	buf_free(&line);
	c->pos = 0;
	return r;
}

/* imapparse_arg - the next token, or NULL */
struct imapparse_arg *
imapparse_arg(struct imapparse_cmd *c)
{
	if (c->pos >= c->nargs)
		return NULL;
	return &c->args[c->pos++];
}

/* imapparse_arg_peek - the next token without taking it */
struct imapparse_arg *
imapparse_arg_peek(struct imapparse_cmd *c)
{
	return c->pos < c->nargs ? &c->args[c->pos] : NULL;
}

/* imapparse_arg_end - no tokens left? */
int
imapparse_arg_end(struct imapparse_cmd *c)
{
	return c->pos >= c->nargs;
}

/* imapparse_astring - the next token as an astring (atom or string) */
const char *
imapparse_astring(struct imapparse_cmd *c)
{
	struct imapparse_arg *a = imapparse_arg(c);

	if (a == NULL || (a->type != IMAPPARSE_ATOM &&
	    a->type != IMAPPARSE_STRING))
		return NULL;
	return a->s;
}

/* imapparse_atom - the next token, an atom only */
const char *
imapparse_atom(struct imapparse_cmd *c)
{
	struct imapparse_arg *a = imapparse_arg(c);

	if (a == NULL || a->type != IMAPPARSE_ATOM)
		return NULL;
	return a->s;
}

/* imapparse_arg_is - is a token this atom (any case)? */
int
imapparse_arg_is(struct imapparse_arg *a, const char *word)
{
	return a != NULL && a->type == IMAPPARSE_ATOM &&
	    strcasecmp(a->s, word) == 0;
}

/* imapparse_arg_take - take the next token if it is of this type */
static int
imapparse_arg_take(struct imapparse_cmd *c, enum imapparse_type type)
{
	struct imapparse_arg *a = imapparse_arg_peek(c);

	if (a == NULL || a->type != type)
		return 0;
	c->pos++;
	return 1;
}

/* imapparse_arg_lparen - take a '(' if it comes next */
int
imapparse_arg_lparen(struct imapparse_cmd *c)
{
	return imapparse_arg_take(c, IMAPPARSE_LPAREN);
}

/* imapparse_arg_rparen - take a ')' if it comes next */
int
imapparse_arg_rparen(struct imapparse_cmd *c)
{
	return imapparse_arg_take(c, IMAPPARSE_RPAREN);
}

/* imapparse_number - a 32-bit number (digits only); -1 if not */
int
imapparse_number(const char *p, uint32_t *out)
{
	uint64_t v;

	if (imapparse_number64(p, &v) < 0 || v > 0xffffffffULL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* imapparse_number64 - a 63-bit number (digits only); -1 if not */
int
imapparse_number64(const char *p, uint64_t *out)
{
	unsigned long long v;

	if (p == NULL || dec_parse(p, strlen(p), INT64_MAX, &v) < 0)
		return -1;
	*out = v;
	return 0;
}

/* The system flags (and $Forwarded) by name, in the order they are shown. */
static const struct name_code imapparse_flag_names[] = {
	{ "\\Seen", FLAG_SEEN },
	{ "\\Answered", FLAG_ANSWERED },
	{ "\\Flagged", FLAG_FLAGGED },
	{ "\\Deleted", FLAG_DELETED },
	{ "\\Draft", FLAG_DRAFT },
	{ "$Forwarded", FLAG_FORWARDED },
	{ NULL, 0 },
};

/*
 * imapparse_system_flag - the FLAG_* bit of a flag name (any case); 0 for
 * a keyword, -1 for \Recent (not settable), -2 for another \name
 */
int
imapparse_system_flag(const char *name)
{
	int bit;

	if ((bit = name_code(imapparse_flag_names, name)) != 0)
		return bit;
	if (strcasecmp(name, "\\Recent") == 0)
		return -1;
	return name[0] == '\\' ? -2 : 0;
}

/*
 * imapparse_system_flags - append the names of the system flags set in
 * flags (FLAG_*), blank-separated: a blank before each when out holds
 * more than its first start octets (no parentheses)
 */
void
imapparse_system_flags(struct buf *out, size_t start, uint32_t flags)
{
	const struct name_code *f;

	for (f = imapparse_flag_names; f->name != NULL; f++)
		if (flags & f->code) {
			if (buf_len(out) > start)
				buf_putc(out, ' ');
			buf_puts(out, f->name);
		}
}
