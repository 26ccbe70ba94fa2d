/*
 * smtp_reply - the SMTP client's reply parser.
 *
 * A reply is one or more lines "CODE-text" ended by a line "CODE text"
 * (or a bare "CODE"); every line has the same three-digit code, 2xx to
 * 5xx.  The enhanced status code (RFC 3463) is taken from the first line
 * when its class matches the reply's ("250 2.1.0 ok", not "250 5.0.0").
 * The EHLO keywords come from the lines after the first.
 *
 * Distrusts the server: the caller's line reader bounds each line, and
 * this parser bounds the lines of one reply (lines_max) and the bytes of
 * their text (the buffer's cap), so a hostile server cannot make us
 * buffer without end.  A line that is not a reply, or a code that
 * changes in the middle, is SMTP_REPLY_BAD: the session ends, deferring.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "smtp_reply.h"

/* smtp_reply_init - an empty reply: at most lines lines, bytes of text */
void
smtp_reply_init(struct smtp_reply *r, int lines, size_t bytes)
{
	memset(r, 0, sizeof(*r));
	r->text = buf_new(128, bytes);
	r->lines_max = lines;
}

/* smtp_reply_free - release a reply's text */
void
smtp_reply_free(struct smtp_reply *r)
{
	buf_free(&r->text);
}

/* smtp_reply_reset - ready for the next reply */
void
smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->dsn[0] = '\0';
	r->nlines = 0;
	buf_reset(r->text);
}

/* smtp_reply_dsn - the length of an enhanced code of class c at p, or 0 */
static size_t
smtp_reply_dsn(const char *p, size_t len, int c)
{
	size_t i = 0, part, n;

	if (len < 5 || p[0] != c || p[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && isdigit((unsigned char)p[i]) && n < 3;
		    n++)
			i++;
		if (n == 0)
			return 0;
		if (part == 0) {
			if (i >= len || p[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && p[i] != ' ')
		return 0;
	return i;
}

/*
 * smtp_reply_line - one line of a reply, its end of line stripped:
 * SMTP_REPLY_MORE, SMTP_REPLY_DONE or SMTP_REPLY_BAD
 */
int
smtp_reply_line(struct smtp_reply *r, const char *line, size_t len)
{
	int code, last;
	size_t n;

	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) || line[0] < '2' ||
	    line[0] > '5')
		return SMTP_REPLY_BAD;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return SMTP_REPLY_BAD;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + line[2] - '0';
	if (r->nlines > 0 && code != r->code)
		return SMTP_REPLY_BAD;
	if (++r->nlines > r->lines_max)
		return SMTP_REPLY_BAD;
	r->code = code;
	last = len == 3 || line[3] == ' ';
	line += len > 3 ? 4 : 3;
	len -= len > 3 ? 4 : 3;
	if (r->nlines == 1 && (n = smtp_reply_dsn(line, len,
	    '0' + code / 100)) > 0) {
		memcpy(r->dsn, line, n);
		r->dsn[n] = '\0';
		line += n;
		len -= n;
		while (len > 0 && *line == ' ') {
			line++;
			len--;
		}
	}
	if (r->nlines > 1)
		buf_putc(r->text, '\n');
	buf_append(r->text, line, len);
	return last ? SMTP_REPLY_DONE : SMTP_REPLY_MORE;
}

/* smtp_reply_auth - the mechanisms of an AUTH line that we speak */
static int
smtp_reply_auth(const char *p)
{
	char word[32];
	size_t n;
	int auth = 0;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		for (n = 0; p[n] != '\0' && p[n] != ' '; n++)
			;
		if (n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = '\0';
			if (strcasecmp(word, "PLAIN") == 0)
				auth |= SMTP_AUTH_PLAIN;
			else if (strcasecmp(word, "LOGIN") == 0)
				auth |= SMTP_AUTH_LOGIN;
		}
		p += n;
	}
	return auth;
}

/* smtp_reply_keyword - one EHLO line */
static void
smtp_reply_keyword(const char *p, size_t len, struct smtp_ext *ext)
{
	static const struct {
		const char	*name;
		int		 flag;
	} kw[] = {
		{ "PIPELINING", SMTP_EXT_PIPELINING },
		{ "8BITMIME", SMTP_EXT_8BITMIME },
		{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
		{ "DSN", SMTP_EXT_DSN },
		{ "STARTTLS", SMTP_EXT_STARTTLS },
		{ "CHUNKING", SMTP_EXT_CHUNKING },
		{ "BINARYMIME", SMTP_EXT_BINARYMIME },
	};
	char line[512];
	size_t i, n;
	char *v;

	if (len >= sizeof(line))
		return;
	memcpy(line, p, len);
	line[len] = '\0';
	for (n = 0; line[n] != '\0' && line[n] != ' ' && line[n] != '='; n++)
		;
	v = line + n + (line[n] != '\0');
	line[n] = '\0';
	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strcasecmp(line, kw[i].name) == 0)
			ext->flags |= kw[i].flag;
	if (strcasecmp(line, "SIZE") == 0) {
		ext->flags |= SMTP_EXT_SIZE;
		ext->size = 0;
		for (i = 0; isdigit((unsigned char)v[i]) && i < 18; i++)
			ext->size = ext->size * 10 + (v[i] - '0');
		if (v[i] != '\0')
			ext->size = 0;	/* not a number: no limit known */
	} else if (strcasecmp(line, "AUTH") == 0) {
		ext->flags |= SMTP_EXT_AUTH;
		ext->auth |= smtp_reply_auth(v);
	}
}

/* smtp_reply_ehlo - the extensions a 250 reply to EHLO offers */
void
smtp_reply_ehlo(const struct smtp_reply *r, struct smtp_ext *ext)
{
	const char *p, *end, *nl;

	memset(ext, 0, sizeof(*ext));
	if (r->code != 250)
		return;
	p = buf_str(r->text);
	end = p + buf_len(r->text);
	/* The first line is the server's name and greeting. */
	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return;
	for (p = nl + 1; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		smtp_reply_keyword(p, (size_t)(nl - p), ext);
	}
}

/* smtp_reply_str - the reply on one line, for a reason or a log */
void
smtp_reply_str(const struct smtp_reply *r, struct buf *out)
{
	const char *p;

	buf_appendf(out, "%03d", r->code);
	if (r->dsn[0] != '\0')
		buf_appendf(out, " %s", r->dsn);
	if (buf_len(r->text) > 0)
		buf_putc(out, ' ');
	for (p = buf_str(r->text); *p != '\0'; p++)
		buf_putc(out, *p == '\n' ? ' ' : (unsigned char)*p < ' ' ||
		    *p == 0x7f ? '?' : *p);
}
