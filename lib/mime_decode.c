/*
 * mime_decode - text out of a message for SEARCH and display: RFC 2047
 * encoded words, quoted-printable and base64 bodies, charsets to UTF-8,
 * and a case-insensitive substring match over UTF-8.
 *
 * All decoders are lenient and never fail: what cannot be decoded is kept
 * as written (an encoded word in an unknown charset, a stray '=') or
 * skipped (junk in base64).  US-ASCII, UTF-8, ISO-8859-1, ISO-8859-15 and
 * windows-1252 are converted without iconv (they are most of the mail a
 * Spanish school sees); other charsets go through iconv, whose descriptor
 * for the last charset is kept, as SEARCH converts many messages in a row.
 */
#include <sys/types.h>

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "buf.h"
#include "hex.h"
#include "mime.h"
#include "name_code.h"
#include "util.h"

#define MIME_CHARSET_MAX	64

/* mime_decode_qp - append quoted-printable text decoded (RFC 2045 6.7) */
void
mime_decode_qp(const char *s, size_t n, struct buf *out)
{
	const char *e = s + n, *run = s, *q;
	int hi, lo;

	while (s < e) {
		if ((q = memchr(s, '=', e - s)) == NULL)
			break;
		buf_append(out, run, q - run);
		s = q + 1;
		/* A soft line break: "=", maybe trailing white space, CRLF. */
		for (q = s; q < e && (*q == ' ' || *q == '\t'); q++)
			;
		if (q < e && *q == '\r' && q + 1 < e && q[1] == '\n')
			s = q + 2;
		else if (q < e && *q == '\n')
			s = q + 1;
		else if (q == e)
			s = e;
		else if (s + 1 < e && (hi = hex_value(s[0])) >= 0 &&
		    (lo = hex_value(s[1])) >= 0) {
			buf_putc(out, hi << 4 | lo);
			s += 2;
		} else
			buf_putc(out, '=');	/* not an escape: kept */
		run = s;
	}
	buf_append(out, run, e - run);
}

/* mime_decode_base64 - append base64 text decoded; junk skipped, '=' ends */
void
mime_decode_base64(const char *s, size_t n, struct buf *out)
{
	(void)base64_decode_code(out, s, n, &base64_rfc4648, BASE64_LENIENT);
}

/*
 * Charsets.
 */

/* windows-1252 0x80..0x9f as Unicode (0: unassigned, kept as U+FFFD). */
static const unsigned short mime_cp1252[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178
};

/* mime_put_utf8 - append a code point as UTF-8 */
static void
mime_put_utf8(struct buf *out, unsigned int c)
{
	char u[4];

	if (c < 0x80)
		buf_putc(out, c);
	else if (c < 0x800) {
		u[0] = 0xc0 | c >> 6;
		u[1] = 0x80 | (c & 0x3f);
		buf_append(out, u, 2);
	} else if (c < 0x10000) {
		u[0] = 0xe0 | c >> 12;
		u[1] = 0x80 | (c >> 6 & 0x3f);
		u[2] = 0x80 | (c & 0x3f);
		buf_append(out, u, 3);
	} else {
		u[0] = 0xf0 | c >> 18;
		u[1] = 0x80 | (c >> 12 & 0x3f);
		u[2] = 0x80 | (c >> 6 & 0x3f);
		u[3] = 0x80 | (c & 0x3f);
		buf_append(out, u, 4);
	}
}

#define MIME_CS_UTF8	0
#define MIME_CS_LATIN1	1
#define MIME_CS_LATIN9	2
#define MIME_CS_CP1252	3
#define MIME_CS_OTHER	4

/* mime_charset_kind - which of the built-in charsets name is */
static int
mime_charset_kind(const char *name)
{
	static const struct name_code known[] = {
		{ "us-ascii", MIME_CS_UTF8 }, { "ascii", MIME_CS_UTF8 },
		{ "utf-8", MIME_CS_UTF8 }, { "utf8", MIME_CS_UTF8 },
		{ "ansi_x3.4-1968", MIME_CS_UTF8 }, { "", MIME_CS_UTF8 },
		{ "iso-8859-1", MIME_CS_LATIN1 },
		{ "iso8859-1", MIME_CS_LATIN1 },
		{ "iso_8859-1", MIME_CS_LATIN1 },
		{ "latin1", MIME_CS_LATIN1 }, { "l1", MIME_CS_LATIN1 },
		{ "iso-8859-15", MIME_CS_LATIN9 },
		{ "iso8859-15", MIME_CS_LATIN9 },
		{ "iso_8859-15", MIME_CS_LATIN9 },
		{ "latin9", MIME_CS_LATIN9 }, { "latin-9", MIME_CS_LATIN9 },
		{ "windows-1252", MIME_CS_CP1252 },
		{ "cp1252", MIME_CS_CP1252 }, { "x-cp1252", MIME_CS_CP1252 },
		{ NULL, MIME_CS_OTHER },
	};

	return name_code(known, name);
}

/* mime_iconv - convert with iconv; -1 if the charset is unknown */
static int
mime_iconv(const char *charset, const char *in, size_t len, struct buf *out)
{
	static iconv_t cd = (iconv_t)-1;
	static char cd_name[MIME_CHARSET_MAX];
	char chunk[1024], *inp = (char *)in, *op;
	size_t left = len, room, r;

	if (cd == (iconv_t)-1 || strcasecmp(cd_name, charset) != 0) {
		if (cd != (iconv_t)-1)
			iconv_close(cd);
		*cd_name = '\0';
		if ((cd = iconv_open("UTF-8", charset)) == (iconv_t)-1)
			return -1;
		if (strlen(charset) < sizeof(cd_name))
			memcpy(cd_name, charset, strlen(charset) + 1);
	} else
		(void)iconv(cd, NULL, NULL, NULL, NULL);	/* reset */
	while (left > 0) {
		op = chunk;
		room = sizeof(chunk);
		r = iconv(cd, &inp, &left, &op, &room);
		buf_append(out, chunk, op - chunk);
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		if (errno == EILSEQ) {		/* a bad byte: U+FFFD, go on */
			mime_put_utf8(out, 0xfffd);
			inp++;
			left--;
		} else
			break;		/* EINVAL: cut short at the end */
	}
	op = chunk;
	room = sizeof(chunk);
	(void)iconv(cd, NULL, NULL, &op, &room);
	buf_append(out, chunk, op - chunk);
	return 0;
}

/* mime_convert - append text in charset as UTF-8; -1: unknown charset */
static int
mime_convert(const char *charset, const char *in, size_t len,
    struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in, *e = p + len, *run;
	char name[MIME_CHARSET_MAX];
	const char *star;
	size_t n;
	unsigned int c;
	int kind;

	/* RFC 2231 lets a language follow: "utf-8*es". */
	n = (star = strchr(charset, '*')) != NULL ? (size_t)(star - charset) :
	    strlen(charset);
	if (n >= sizeof(name))
		return -1;
	memcpy(name, charset, n);
	name[n] = '\0';
	if ((kind = mime_charset_kind(name)) == MIME_CS_UTF8) {
		buf_append(out, in, len);
		return 0;
	}
	if (kind == MIME_CS_OTHER)
		return mime_iconv(name, in, len, out);
	for (run = p; p < e; p++) {
		if (*p < 0x80)
			continue;
		buf_append(out, run, p - run);
		run = p + 1;
		c = *p;
		if (kind == MIME_CS_CP1252 && c < 0xa0)
			c = mime_cp1252[c - 0x80] != 0 ? mime_cp1252[c - 0x80] :
			    0xfffd;
		else if (kind == MIME_CS_LATIN9)
			switch (c) {
			case 0xa4: c = 0x20ac; break;
			case 0xa6: c = 0x0160; break;
			case 0xa8: c = 0x0161; break;
			case 0xb4: c = 0x017d; break;
			case 0xb8: c = 0x017e; break;
			case 0xbc: c = 0x0152; break;
			case 0xbd: c = 0x0153; break;
			case 0xbe: c = 0x0178; break;
			}
		mime_put_utf8(out, c);
	}
	buf_append(out, run, p - run);
	return 0;
}

/* mime_charset_to_utf8 - append text in charset as UTF-8, raw if unknown */
int
mime_charset_to_utf8(const char *charset, const char *in, size_t len,
    struct buf *out)
{
	if (mime_convert(charset, in, len, out) == 0)
		return 0;
	buf_append(out, in, len);
	return -1;
}

/*
 * RFC 2047 encoded words.
 */

struct mime_word {
	const char	*charset;	/* inside the word, not terminated */
	size_t		 cslen;
	int		 enc;		/* 'Q' or 'B' */
	const char	*text;
	size_t		 tlen;
	const char	*end;		/* just after "?=" */
};

/* mime_word_at - is there an encoded word =?cs?e?text?= at s? */
static int
mime_word_at(const char *s, const char *e, struct mime_word *w)
{
	const char *p;

	if (e - s < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	w->charset = s + 2;
	for (p = w->charset; p < e && *p != '?'; p++)
		if (*p <= ' ' || (unsigned char)*p >= 0x7f)
			return 0;
	w->cslen = p - w->charset;
	if (w->cslen == 0 || w->cslen >= MIME_CHARSET_MAX || e - p < 5 ||
	    p[2] != '?')
		return 0;
	if (p[1] == 'Q' || p[1] == 'q')
		w->enc = 'Q';
	else if (p[1] == 'B' || p[1] == 'b')
		w->enc = 'B';
	else
		return 0;
	w->text = p + 3;
	for (p = w->text; p < e && *p != '?'; p++)
		if (*p <= ' ' || (unsigned char)*p >= 0x7f)
			return 0;
	if (e - p < 2 || p[1] != '=')
		return 0;
	w->tlen = p - w->text;
	w->end = p + 2;
	return 1;
}

/* Decoded bytes of adjacent encoded words in one charset, not yet converted. */
struct mime_pending {
	struct buf	*bytes;
	char		 cs[MIME_CHARSET_MAX];
	const char	*from;		/* the words as written */
	const char	*to;
};

/* mime_word_flush - convert the pending bytes; unknown charset: as written */
static void
mime_word_flush(struct mime_pending *pd, struct buf *out)
{
	if (pd->from != NULL && mime_convert(pd->cs, pd->bytes->data,
	    pd->bytes->len, out) < 0)
		buf_append(out, pd->from, pd->to - pd->from);
	buf_reset(pd->bytes);
	pd->from = pd->to = NULL;
	*pd->cs = '\0';
}

/*
 * mime_decode_words - append text with its encoded words decoded.  The
 * bytes of adjacent words in one charset are joined before conversion, as
 * mailers split multi-byte characters across words; white space between
 * encoded words goes (RFC 2047 6.2).
 */
void
mime_decode_words(const char *s, size_t n, struct buf *out)
{
	const char *e = s + n, *p, *run = s, *ws;
	struct mime_word w, w2;
	struct mime_pending pd;
	size_t i;
	int hi, lo;

	if ((p = memchr(s, '=', n)) == NULL || memchr(p, '?', e - p) == NULL) {
		buf_append(out, s, n);
		return;
	}
	memset(&pd, 0, sizeof(pd));
	pd.bytes = buf_new(64, 0);
	p = s;
	while (p < e) {
		if (*p != '=' || !mime_word_at(p, e, &w)) {
			p++;
			continue;
		}
		if (p > run) {		/* plain text before the word */
			mime_word_flush(&pd, out);
			buf_append(out, run, p - run);
		}
		if (pd.from != NULL && (strlen(pd.cs) != w.cslen ||
		    strncasecmp(pd.cs, w.charset, w.cslen) != 0))
			mime_word_flush(&pd, out);
		memcpy(pd.cs, w.charset, w.cslen);
		pd.cs[w.cslen] = '\0';
		if (pd.from == NULL)
			pd.from = p;
		pd.to = w.end;
		if (w.enc == 'B')
			mime_decode_base64(w.text, w.tlen, pd.bytes);
		else
			for (i = 0; i < w.tlen; i++) {
				if (w.text[i] == '_')
					buf_putc(pd.bytes, ' ');
				else if (w.text[i] == '=' && i + 2 < w.tlen &&
				    (hi = hex_value(w.text[i + 1])) >= 0 &&
				    (lo = hex_value(w.text[i + 2])) >= 0) {
					buf_putc(pd.bytes, hi << 4 | lo);
					i += 2;
				} else
					buf_putc(pd.bytes, w.text[i]);
			}
		p = run = w.end;
		/* White space up to another encoded word is dropped. */
		for (ws = p; ws < e && (*ws == ' ' || *ws == '\t' ||
		    *ws == '\r' || *ws == '\n'); ws++)
			;
		if (ws > p && mime_word_at(ws, e, &w2))
			p = run = ws;
	}
	mime_word_flush(&pd, out);
	buf_append(out, run, e - run);
	buf_free(&pd.bytes);
}

/*
 * Bodies.
 */

/* mime_charset_of - the charset parameter of a part, or NULL */
static const char *
mime_charset_of(const struct mime_part *p)
{
	size_t i;

	for (i = 0; i < p->nparams; i++)
		if (strcasecmp(p->params[i].name, "charset") == 0)
			return p->params[i].value;
	return NULL;
}

/* mime_decode_leaf - one part's body decoded (and, for text, as UTF-8) */
static void
mime_decode_leaf(const char *msg, const struct mime_part *p, struct buf *out)
{
	const char *body = msg + p->body_off, *cs = NULL;
	struct buf *tmp, *dst = out;
	int b64, qp;

	b64 = p->encoding != NULL && strcasecmp(p->encoding, "base64") == 0;
	qp = p->encoding != NULL &&
	    strcasecmp(p->encoding, "quoted-printable") == 0;
	if (strcmp(p->type, "text") == 0 && (cs = mime_charset_of(p)) != NULL &&
	    mime_charset_kind(cs) == MIME_CS_UTF8)
		cs = NULL;
	if (cs == NULL && !b64 && !qp) {
		buf_append(out, body, p->body_len);
		return;
	}
	tmp = cs != NULL ? buf_new(p->body_len + 16, 0) : NULL;
	if (tmp != NULL)
		dst = tmp;
	if (b64)
		mime_decode_base64(body, p->body_len, dst);
	else if (qp)
		mime_decode_qp(body, p->body_len, dst);
	else
		buf_append(dst, body, p->body_len);
	if (tmp != NULL) {
		(void)mime_charset_to_utf8(cs, tmp->data, tmp->len, out);
		buf_free(&tmp);
	}
}

/* mime_decode_text - the text leaves below p, each followed by "\n" */
static void
mime_decode_text(const char *msg, const struct mime_part *p, struct buf *out)
{
	const struct mime_part *c;

	if (p->message != NULL) {
		mime_decode_text(msg, p->message, out);
		return;
	}
	if (p->child != NULL) {
		for (c = p->child; c != NULL; c = c->next)
			mime_decode_text(msg, c, out);
		return;
	}
	if (strcmp(p->type, "text") == 0) {
		mime_decode_leaf(msg, p, out);
		buf_putc(out, '\n');
	}
}

/*
 * mime_decode_body - a leaf's body decoded; for a multipart or message
 * part (the root of a message included), the decoded text of every text
 * leaf below it.
 */
void
mime_decode_body(const char *msg, const struct mime_part *p, struct buf *out)
{
	if (p->message != NULL || p->child != NULL ||
	    strcmp(p->type, "multipart") == 0)
		mime_decode_text(msg, p, out);
	else
		mime_decode_leaf(msg, p, out);
}

/*
 * Searching.
 */

/*
 * mime_fold - the byte at s[i] folded to lower case: ASCII letters, and
 * the second byte of the UTF-8 form of U+00C0..U+00DE (Latin-1 capitals,
 * C3 80..9E except the multiplication sign C3 97), which lowercase by
 * adding 0x20 to it.
 */
static inline unsigned char
mime_fold(const unsigned char *s, size_t i)
{
	unsigned char c = s[i];

	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0x80 && c <= 0x9e && c != 0x97 && i > 0 && s[i - 1] == 0xc3)
		return c + 0x20;
	return c;
}

/* mime_search - does needle occur in hay, case folded? */
int
mime_search(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	const unsigned char *h = (const unsigned char *)hay;
	const unsigned char *n = (const unsigned char *)needle;
	const unsigned char *end, *a = NULL, *b = NULL, *c;
	unsigned char first, alt;
	size_t i, k;

	if (nlen == 0)
		return 1;
	if (nlen > hlen)
		return 0;
	first = mime_fold(n, 0);
	alt = first >= 'a' && first <= 'z' ? first - 32 : first;
	end = h + hlen - nlen + 1;	/* past the last possible start */
	for (i = 0; h + i < end; i = c - h + 1) {
		/* The next start with either form of the first byte. */
		if (a == NULL || (a != end && a < h + i))
			if ((a = memchr(h + i, first, end - (h + i))) == NULL)
				a = end;
		if (alt == first)
			b = end;
		else if (b == NULL || (b != end && b < h + i))
			if ((b = memchr(h + i, alt, end - (h + i))) == NULL)
				b = end;
		if ((c = a < b ? a : b) == end)
			return 0;
		for (k = 1; k < nlen; k++)
			if (mime_fold(c, k) != mime_fold(n, k))
				break;
		if (k == nlen)
			return 1;
	}
	return 0;
}
