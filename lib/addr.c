/*
 * addr - mail addresses.
 *
 * addr_parse_path() reads the RFC 5321 path of MAIL FROM and RCPT TO: the
 * text comes straight from the network, so every byte is checked.  It
 * accepts what RFC 5321 allows (source routes, quoted local parts, address
 * literals, and UTF-8 for SMTPUTF8) plus two sloppy habits that real
 * clients have and that Postfix accepts: a space after the colon, and a
 * bare address without angle brackets when nothing follows it.  It refuses
 * control characters, spaces outside quotes, unbalanced quotes and angle
 * brackets, malformed UTF-8, and paths over ADDR_MAX.  Addresses come out
 * in the internal form: without <>, without the source route, and with the
 * quotes of a quoted local part removed ("a b"@x becomes a b@x).
 *
 * addr_parse_header() reads RFC 5322 address lists (To:, Cc:, Bcc: for
 * sendmail -t).  Header text is written by people and by broken programs, so
 * it is tolerant: it never fails, it skips what it cannot make sense of and
 * emits the addr-specs it finds, in the same internal form.
 *
 * addr_match_networks() matches a client address against a CIDR list
 * (mynetworks); an IPv4 client that reaches us over an IPv6 socket
 * (::ffff:a.b.c.d) matches the IPv4 entries.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "msg.h"
#include "util.h"

#define ADDR_BAD	"501 5.1.3 Bad address syntax"
#define ADDR_LONG	"501 5.1.3 Address too long"
#define ADDR_LITERAL_MAX 64	/* "[IPv6:" + the longest IPv6 text + "]" */

/* addr_fail - put an SMTP reply text in why and fail */
static int
addr_fail(struct buf *why, const char *text)
{
	if (why != NULL)
		buf_set(why, text);
	return -1;
}

/* addr_utf8_len - length of the valid UTF-8 sequence at p, 0 if invalid */
static size_t
addr_utf8_len(const unsigned char *p)
{
	uint32_t cp;

	/* The text ends at its NUL: no sequence runs into it. */
	return utf8_next(p, strnlen((const char *)p, 4), &cp);
}

/* addr_is_alnum - ASCII letter or digit, whatever the locale */
static int
addr_is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* addr_is_atext - may c appear unquoted in a local part (atext or '.')? */
static int
addr_is_atext(int c)
{
	return c != '\0' && (addr_is_alnum(c) ||
	    strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* addr_local - parse a dot-string or quoted-string local part, unquoted */
static int
addr_local(const char **pp, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)*pp;
	size_t n;

	if (*p == '"') {
		for (p++; *p != '"'; ) {
			if (*p == '\0')
				return -1;		/* unbalanced quote */
			if (*p == '\\') {
				p++;
				if (*p < 0x20 || *p == 0x7f)
					return -1;	/* NUL, controls */
			} else if (*p < 0x20 || *p == 0x7f)
				return -1;
			if (*p >= 0x80) {
				if ((n = addr_utf8_len(p)) == 0)
					return -1;
			} else
				n = 1;
			buf_append(out, p, n);
			p += n;
		}
		p++;
	} else {
		while (*p != '\0') {
			if (*p >= 0x80) {
				if ((n = addr_utf8_len(p)) == 0)
					return -1;
			} else if (addr_is_atext(*p))
				n = 1;
			else
				break;
			buf_append(out, p, n);
			p += n;
		}
	}
	*pp = (const char *)p;
	return 0;
}

/* addr_literal_ok - is the text between [ and ] an RFC 5321 address literal? */
static int
addr_literal_ok(const char *s, size_t len)
{
	char text[ADDR_LITERAL_MAX];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *colon;
	size_t i;

	if (len == 0 || len >= sizeof(text))
		return 0;
	memcpy(text, s, len);
	text[len] = '\0';
	if (strncasecmp(text, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, text + 5, bin) == 1;
	if ((colon = strchr(text, ':')) == NULL)
		return inet_pton(AF_INET, text, bin) == 1;
	/* General-address-literal: Standardized-tag ":" 1*dcontent. */
	if (colon == text || colon[1] == '\0')
		return 0;
	for (i = 0; text + i < colon; i++)
		if (!addr_is_alnum(text[i]) && text[i] != '-')
			return 0;
	for (i = (size_t)(colon - text) + 1; i < len; i++)
		if (text[i] < 33 || text[i] > 126 || text[i] == '[' ||
		    text[i] == '\\' || text[i] == ']')
			return 0;
	return 1;
}

/* addr_domain - parse a domain name or an address literal */
static int
addr_domain(const char **pp, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)*pp, *end;
	size_t n, label;

	if (*p == '[') {
		if ((end = (const unsigned char *)strchr((const char *)p,
		    ']')) == NULL)
			return -1;
		if (!addr_literal_ok((const char *)p + 1,
		    (size_t)(end - p - 1)))
			return -1;
		buf_append(out, p, (size_t)(end - p + 1));
		*pp = (const char *)end + 1;
		return 0;
	}
	for (;;) {
		/* Labels: letters, digits, '-', '_' (seen in use), UTF-8. */
		for (label = 0; *p != '\0'; label += n, p += n) {
			if (*p >= 0x80) {
				if ((n = addr_utf8_len(p)) == 0)
					return -1;
			} else if (addr_is_alnum(*p) || *p == '-' || *p == '_')
				n = 1;
			else
				break;
			buf_append(out, p, n);
		}
		if (label == 0)
			return -1;	/* empty label: "x@", "x@a..b" */
		if (*p != '.')
			break;
		buf_putc(out, '.');
		p++;
	}
	*pp = (const char *)p;
	return 0;
}

/* addr_route - skip a source route "@a,@b:" (RFC 5321 A-d-l, obsolete) */
static int
addr_route(const char **pp, struct buf *scratch)
{
	const char *p = *pp;

	for (;;) {
		if (*p != '@')
			return -1;
		p++;
		buf_reset(scratch);
		if (addr_domain(&p, scratch) < 0)
			return -1;
		if (*p == ':')
			break;
		if (*p != ',')
			return -1;
		p++;
	}
	*pp = p + 1;
	return 0;
}

/* addr_parse_path - parse "<local@domain> PARAMS" from MAIL FROM or RCPT TO */
int
addr_parse_path(const char *s, struct buf *addr, const char **params,
    struct buf *why)
{
	const char *p = s;
	struct buf *scratch;
	int angle = 0, r;

	buf_reset(addr);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '<') {
		angle = 1;
		p++;
	}
	if (angle && *p == '>') {
		p++;				/* the null path <> */
	} else {
		if (angle && *p == '@') {
			scratch = buf_new(64, ADDR_MAX);
			r = addr_route(&p, scratch);
			buf_free(&scratch);
			if (r < 0)
				return addr_fail(why, ADDR_BAD);
		}
		if (addr_local(&p, addr) < 0)
			return addr_fail(why, ADDR_BAD);
		if (*p == '@') {
			if (buf_len(addr) == 0)
				return addr_fail(why, ADDR_BAD);
			buf_putc(addr, '@');
			p++;
			if (addr_domain(&p, addr) < 0)
				return addr_fail(why, ADDR_BAD);
		} else if (buf_len(addr) == 0)
			return addr_fail(why, ADDR_BAD);
		if (angle) {
			if (*p != '>')
				return addr_fail(why, ADDR_BAD);
			p++;
		}
	}
	/* Parameters are separated from the path by white space. */
	if (*p != '\0' && *p != ' ' && *p != '\t')
		return addr_fail(why, ADDR_BAD);
	while (*p == ' ' || *p == '\t')
		p++;
	if (!angle && *p != '\0')
		return addr_fail(why, ADDR_BAD);
	if (buf_overflowed(addr) || buf_len(addr) > ADDR_MAX)
		return addr_fail(why, ADDR_LONG);
	if (params != NULL)
		*params = p;
	return 0;
}

/* addr_split - split at the last '@'; the domain is lowercased */
void
addr_split(const char *addr, struct buf *local, struct buf *domain)
{
	const char *at = strrchr(addr, '@');

	buf_reset(local);
	buf_reset(domain);
	if (at == NULL) {
		buf_puts(local, addr);
		return;
	}
	buf_append(local, addr, (size_t)(at - addr));
	buf_puts(domain, at + 1);
	lowercase(domain->data);
}

/*
 * addr_local_has_at - does the local part hold an '@' of its own
 * ("postmaster@ext.example"@mired.org once unquoted)?  Anything that cuts
 * such an address again at its last '@' would route it elsewhere.
 */
int
addr_local_has_at(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && memchr(addr, '@', (size_t)(at - addr)) != NULL;
}

/*
 * Header address lists.  A small tokenizer (RFC 5322 3.2: white space and
 * comments between tokens, quoted strings, domain literals, specials) feeds
 * a state machine that knows display names, angle addresses, groups and
 * the obsolete forms with white space around '.' and '@'.
 */
enum hdr_tok { HDR_END, HDR_WORD, HDR_SPECIAL };

struct hdr_state {
	struct buf	*cur;		/* the addr-spec so far */
	int		 in_angle;
	int		 done;		/* emitted: skip to , ; */
	int		 last_word;	/* cur ends in a word */
	int		 count;
	void		(*fn)(const char *, void *);
	void		*arg;
};

/* addr_hdr_skip - skip white space, folding, controls and comments */
static int
addr_hdr_skip(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	int skipped = 0, depth;

	for (;;) {
		if (*p != '\0' && (*p <= ' ' || *p == 0x7f || *p == ')' ||
		    *p == ']' || *p == '\\')) {
			p++;		/* stray ) ] \ are noise too */
		} else if (*p == '(') {
			for (depth = 1, p++; *p != '\0' && depth > 0; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')')
					depth--;
			}
		} else
			break;
		skipped = 1;
	}
	*pp = p;
	return skipped;
}

/* addr_hdr_token - next token: a word (in text) or a special (in *special) */
static enum hdr_tok
addr_hdr_token(const unsigned char **pp, struct buf *text, int *special,
    int *space)
{
	const unsigned char *p;

	*space = addr_hdr_skip(pp);
	p = *pp;
	buf_reset(text);
	if (*p == '\0')
		return HDR_END;
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (*p < ' ' || *p == 0x7f)
				continue;	/* folding, controls */
			buf_putc(text, *p);
		}
		if (*p == '"')
			p++;
		*pp = p;
		return HDR_WORD;
	}
	if (*p == '[') {
		for (; *p != '\0' && *p != ']'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (*p > ' ' && *p != 0x7f)
				buf_putc(text, *p);
		}
		if (*p == ']')
			p++;
		buf_putc(text, ']');
		*pp = p;
		return HDR_WORD;
	}
	if (strchr("<>:;@,.", *p) != NULL) {
		*special = *p;
		*pp = p + 1;
		return HDR_SPECIAL;
	}
	while (*p > ' ' && *p != 0x7f && strchr("()<>[]:;@\\,.\"", *p) == NULL)
		buf_putc(text, *p++);
	*pp = p;
	return HDR_WORD;
}

/* addr_hdr_emit - hand the collected addr-spec to the caller */
static void
addr_hdr_emit(struct hdr_state *st)
{
	const char *a = buf_str(st->cur);
	size_t len = buf_len(st->cur);

	if (!st->done && len > 0 && len <= ADDR_MAX &&
	    !buf_overflowed(st->cur) && a[0] != '@' && a[len - 1] != '@') {
		st->fn(a, st->arg);
		st->count++;
	}
	st->done = 1;
}

/* addr_hdr_next - start collecting the next mailbox */
static void
addr_hdr_next(struct hdr_state *st)
{
	buf_reset(st->cur);
	st->done = 0;
	st->last_word = 0;
	st->in_angle = 0;
}

/* addr_parse_header - call fn for each addr-spec in an address-list value */
int
addr_parse_header(const char *value, void (*fn)(const char *, void *),
    void *arg)
{
	const unsigned char *p = (const unsigned char *)value;
	struct hdr_state st;
	struct buf *text = buf_new(64, ADDR_MAX + 1);
	enum hdr_tok t;
	int c = 0, space;

	memset(&st, 0, sizeof(st));
	st.cur = buf_new(64, ADDR_MAX + 1);
	st.fn = fn;
	st.arg = arg;
	while ((t = addr_hdr_token(&p, text, &c, &space)) != HDR_END) {
		if (t == HDR_WORD) {
			if (st.done)
				continue;
			/*
			 * Two words with only white space between them: the
			 * earlier ones were a display name without <>.
			 */
			if (st.last_word && space)
				buf_reset(st.cur);
			buf_append(st.cur, buf_str(text), buf_len(text));
			st.last_word = 1;
			continue;
		}
		switch (c) {
		case '.':
		case '@':
			if (!st.done) {
				buf_putc(st.cur, c);
				st.last_word = 0;
			}
			break;
		case '<':
			if (!st.done) {
				buf_reset(st.cur);
				st.in_angle = 1;
				st.last_word = 0;
			}
			break;
		case '>':
			if (st.in_angle) {
				addr_hdr_emit(&st);
				st.in_angle = 0;
			}
			break;
		case ':':
			/* A route in <> ends here; outside, a group starts. */
			if (st.in_angle) {
				buf_reset(st.cur);
				st.last_word = 0;
			} else
				addr_hdr_next(&st);
			break;
		case ',':
			if (st.in_angle)
				break;	/* between route domains */
			addr_hdr_emit(&st);
			addr_hdr_next(&st);
			break;
		case ';':
			addr_hdr_emit(&st);
			addr_hdr_next(&st);
			break;
		}
	}
	addr_hdr_emit(&st);
	buf_free(&st.cur);
	buf_free(&text);
	return st.count;
}

/*
 * Network lists.  A client is compared as IPv4 (4 bytes) when it is IPv4 or
 * IPv4-mapped IPv6, and as IPv6 (16 bytes, IPv4 shown mapped) always, so
 * "127.0.0.0/8" and "[::ffff:127.0.0.0]/104" both match ::ffff:127.0.0.1.
 */

/* addr_prefix_eq - do the first bits bits of a and b agree? */
int
addr_prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(a, b, (size_t)bytes) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

/* addr_net_parse - parse one entry: addr, addr/bits, [v6], [v6]/bits */
static int
addr_net_parse(const char *tok, size_t len, int *family, unsigned char *net,
    int *bits)
{
	char text[INET6_ADDRSTRLEN + 8];
	const char *slash = NULL, *a = tok, *end = tok + len;
	size_t alen;
	char *ep;
	long n;
	int max;

	if (len == 0 || len >= sizeof(text))
		return -1;
	if (*tok == '[') {
		const char *close = memchr(tok, ']', len);

		if (close == NULL)
			return -1;
		a = tok + 1;
		alen = (size_t)(close - a);
		if (close + 1 < end) {
			if (close[1] != '/')
				return -1;
			slash = close + 1;
		}
	} else {
		slash = memchr(tok, '/', len);
		alen = slash ? (size_t)(slash - tok) : len;
	}
	memcpy(text, a, alen);
	text[alen] = '\0';
	if (inet_pton(AF_INET, text, net) == 1) {
		*family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, text, net) == 1) {
		*family = AF_INET6;
		max = 128;
	} else
		return -1;
	*bits = max;
	if (slash != NULL) {
		alen = (size_t)(end - slash - 1);
		if (alen == 0 || alen > 3)
			return -1;
		memcpy(text, slash + 1, alen);
		text[alen] = '\0';
		if (text[0] < '0' || text[0] > '9')
			return -1;
		n = strtol(text, &ep, 10);
		if (*ep != '\0' || n < 0 || n > max)
			return -1;
		*bits = (int)n;
	}
	return 0;
}

/* addr_match_networks - is the client's address in the CIDR list? */
int
addr_match_networks(const struct sockaddr *sa, const char *list)
{
	static const unsigned char mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char v4[4], v6[16], net[16];
	const char *p, *tok;
	int have_v4 = 0, family, bits;
	size_t len;

	if (sa == NULL || list == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(v4, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		memcpy(v6, mapped, 12);
		memcpy(v6 + 12, v4, 4);
		have_v4 = 1;
	} else if (sa->sa_family == AF_INET6) {
		memcpy(v6, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		if (memcmp(v6, mapped, 12) == 0) {
			memcpy(v4, v6 + 12, 4);
			have_v4 = 1;
		}
	} else
		return 0;

	for (p = list; *p != '\0'; ) {
		p += strspn(p, ", \t\r\n");
		tok = p;
		p += strcspn(p, ", \t\r\n");
		if ((len = (size_t)(p - tok)) == 0)
			continue;
		if (addr_net_parse(tok, len, &family, net, &bits) < 0) {
			msg_warn("bad network address \"%.*s\" in list \"%s\""
			    " (expected a.b.c.d/n or [ipv6]/n)", (int)len, tok,
			    list);
			continue;
		}
		if (family == AF_INET && have_v4 &&
		    addr_prefix_eq(v4, net, bits))
			return 1;
		if (family == AF_INET6 && addr_prefix_eq(v6, net, bits))
			return 1;
	}
	return 0;
}

/* addr_ntop - numeric text of an address; IPv4-mapped IPv6 shown as IPv4 */
const char *
addr_ntop(const struct sockaddr *sa, char *out, size_t len)
{
	const struct sockaddr_in6 *sin6;
	const char *r = NULL;

	if (len == 0)
		return out;
	if (sa == NULL) {
		snprintf(out, len, "unknown");
		return out;
	}
	switch (sa->sa_family) {
	case AF_INET:
		r = inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)sa)->sin_addr, out,
		    (socklen_t)len);
		break;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			r = inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12],
			    out, (socklen_t)len);
		else
			r = inet_ntop(AF_INET6, &sin6->sin6_addr, out,
			    (socklen_t)len);
		break;
	case AF_UNIX:
		snprintf(out, len, "local");
		return out;
	}
	if (r == NULL)
		snprintf(out, len, "unknown");
	return out;
}
