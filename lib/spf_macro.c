/*
 * spf_macro - SPF macro expansion (RFC 7208 section 7): %{s l o d i p v h}
 * in domain-specs, and c r t as well in exp= explanations; the digit and
 * "r" transformers, delimiters, URL escaping of upper-case letters; a
 * name too long for DNS loses labels on its left (7.3).
 *
 * Distrusts the sender and the record: every expansion is written into a
 * buffer with a hard cap (an overflow is a permerror, not a huge
 * allocation), a transformer's count is read with a bound, and the parts
 * a value splits into are counted, never stored.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dns.h"
#include "spf.h"
#include "spf_int.h"
#include "util.h"

#define SPF_EXPAND_MAX	4096	/* an expansion's longest */
#define SPF_NAME_MAX	253	/* a DNS name's */

/* spf_macro_ip - %{i}: dotted quad, or the 32 nibbles of IPv6 with dots */
static void
spf_macro_ip(const struct spf_eval *e, struct buf *v)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	if (e->family == AF_INET) {
		buf_appendf(v, "%u.%u.%u.%u", e->addr[0], e->addr[1],
		    e->addr[2], e->addr[3]);
		return;
	}
	for (i = 0; i < 16; i++)
		buf_appendf(v, "%s%c.%c", i ? "." : "", hex[e->addr[i] >> 4],
		    hex[e->addr[i] & 15]);
}

/* spf_macro_value - a macro letter's value (lower case letter) */
static void
spf_macro_value(struct spf_eval *e, const struct spf_scope *s, int c,
    struct buf *v)
{
	char text[INET6_ADDRSTRLEN];
	const struct spf_request *q = e->req;

	switch (c) {
	case 's': buf_puts(v, s->sender); break;
	case 'l': buf_puts(v, s->local); break;
	case 'o': buf_puts(v, s->sdomain); break;
	case 'd': buf_puts(v, s->domain); break;
	case 'i': spf_macro_ip(e, v); break;
	case 'p': buf_puts(v, spf_pname(e, s->domain)); break;
	case 'v': buf_puts(v, e->family == AF_INET ? "in-addr" : "ip6"); break;
	case 'h': buf_puts(v, q->helo ? q->helo : ""); break;
	case 'c':
		if (inet_ntop(e->family, e->addr, text, sizeof(text)) != NULL)
			buf_puts(v, text);
		break;
	case 'r':
		buf_puts(v, q->receiver && *q->receiver ? q->receiver :
		    "unknown");
		break;
	case 't':
		buf_appendf(v, "%lld", q->now ? q->now : (long long)time(NULL));
		break;
	}
}

/*
 * spf_macro_transform - value split at delimiters, reversed (rev), its
 * rightmost keep parts (0: all) joined with dots, onto out
 */
static void
spf_macro_transform(const char *value, long keep, int rev,
    const char *delims, struct buf *out)
{
	size_t len = strlen(value), nparts = 1, i, j, first = 0, *start;

	for (i = 0; i < len; i++)
		if (strchr(delims, value[i]) != NULL)
			nparts++;
	start = xcalloc(nparts + 1, sizeof(*start));
	for (i = 0, j = 1; i < len; i++)
		if (strchr(delims, value[i]) != NULL)
			start[j++] = i + 1;
	start[nparts] = len + 1;	/* one past the last part's end */
	if (keep > 0 && (size_t)keep < nparts)
		first = nparts - (size_t)keep;
	for (i = first; i < nparts; i++) {
		j = rev ? nparts - 1 - i : i;
		if (i > first)
			buf_putc(out, '.');
		buf_append(out, value + start[j], start[j + 1] - 1 - start[j]);
	}
	free(start);
}

/* spf_url_escape - RFC 3986 unreserved characters kept, others %XX */
static void
spf_url_escape(const char *s, struct buf *out)
{
	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || strchr("-._~", *s) != NULL)
			buf_putc(out, *s);
		else
			buf_appendf(out, "%%%02X", (unsigned char)*s);
	}
}

/*
 * spf_macro_one - one "%{...}" at *sp (after "%{"): its expansion
 * appended to out, *sp past its "}"
 */
static void
spf_macro_one(struct spf_eval *e, const struct spf_scope *s,
    const char **sp, struct buf *out)
{
	const char *p = *sp;
	struct buf *v = buf_new(64, SPF_EXPAND_MAX);
	struct buf *t = buf_new(64, SPF_EXPAND_MAX);
	char delims[8];
	int letter = (unsigned char)*p++, rev = 0;
	long keep = 0;
	size_t nd = 0;

	while (isdigit((unsigned char)*p)) {
		if (keep < 1000)
			keep = keep * 10 + (*p - '0');
		p++;
	}
	if (*p == 'r' || *p == 'R')
		rev = 1, p++;
	delims[0] = '\0';
	for (; *p != '}'; p++)
		if (strchr(delims, *p) == NULL && nd < sizeof(delims) - 1) {
			delims[nd++] = *p;
			delims[nd] = '\0';
		}
	*sp = p + 1;
	spf_macro_value(e, s, tolower(letter), v);
	if (nd == 0)
		strcpy(delims, ".");
	spf_macro_transform(buf_str(v), keep, rev, delims, t);
	if (isupper(letter))
		spf_url_escape(buf_str(t), out);
	else
		buf_puts(out, buf_str(t));
	if (buf_overflowed(v) || buf_overflowed(t))
		out->overflow = 1;
	buf_free(&v);
	buf_free(&t);
}

/*
 * spf_macro_expand - a macro-string expanded into out (reset first);
 * exp: an explanation (c r t allowed); 0, or -1 when it is malformed or
 * its expansion too long
 */
int
spf_macro_expand(struct spf_eval *e, const struct spf_scope *s,
    const char *in, int exp, struct buf *out)
{
	buf_reset(out);
	if (spf_macro_check(in, strlen(in), exp) < 0)
		return -1;
	while (*in != '\0') {
		if (*in != '%') {
			buf_putc(out, *in++);
			continue;
		}
		in++;
		switch (*in++) {
		case '%': buf_putc(out, '%'); break;
		case '_': buf_putc(out, ' '); break;
		case '-': buf_puts(out, "%20"); break;
		default: spf_macro_one(e, s, &in, out); break;
		}
	}
	return buf_overflowed(out) ? -1 : 0;
}

/*
 * spf_target - a domain-spec expanded into the name to ask about: a final
 * dot dropped, labels taken off the left while it is over 253 octets;
 * 0, or -1 (a permerror, the reason in e->why)
 */
int
spf_target(struct spf_eval *e, const struct spf_scope *s, const char *spec,
    struct buf *out)
{
	const char *p;
	size_t skip;

	if (spec == NULL) {
		buf_set(out, s->domain);
		return 0;
	}
	if (spf_macro_expand(e, s, spec, 0, out) < 0) {
		buf_setf(e->why, "bad macro expansion of %.80s", spec);
		return -1;
	}
	if (buf_len(out) > 0 && buf_str(out)[buf_len(out) - 1] == '.')
		buf_truncate(out, buf_len(out) - 1);
	if (buf_len(out) <= SPF_NAME_MAX)
		return 0;
	p = buf_str(out);
	while (strlen(p) > SPF_NAME_MAX && strchr(p, '.') != NULL)
		p = strchr(p, '.') + 1;
	skip = (size_t)(p - buf_str(out));
	memmove(out->data, out->data + skip, buf_len(out) - skip + 1);
	out->len -= skip;
	return 0;
}

/*
 * spf_explain - exp=: the TXT record of the expanded name, itself
 * expanded, into e->exp; any failure (the time limit too) leaves no
 * explanation (6.2)
 */
void
spf_explain(struct spf_eval *e, const struct spf_scope *s, const char *spec)
{
	struct buf *name = buf_new(128, SPF_EXPAND_MAX);
	struct dns_result *r = NULL;
	char *why = xstrdup(buf_str(e->why));	/* the fail's, kept */

	buf_reset(e->exp);
	if (spf_target(e, s, spec, name) < 0) {
		buf_set(e->why, why);
		goto out;
	}
	if (spf_query(e, DNS_T_TXT, buf_str(name), &r) != DNS_OK ||
	    r->nrr != 1 || strlen(r->rr[0].text) != r->rr[0].len ||
	    spf_macro_expand(e, s, r->rr[0].text, 1, e->exp) < 0)
		buf_reset(e->exp);
out:
	free(why);
	dns_result_free(&r);
	buf_free(&name);
}
