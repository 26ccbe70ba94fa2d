/*
 * dmarc_from - the RFC5322.From domain that DMARC checks (RFC 7489 3.1,
 * 6.6.1): the header section is read field by field (folded lines
 * joined) up to its end (an empty line, or the end of the text); exactly
 * one From field holding exactly one address with a domain is an answer,
 * anything else a failure that says which (no From, two From fields, a
 * group or list of several addresses, no domain, a domain literal).
 *
 * Distrusts the header: a From value is held up to DMARC_FROM_MAX octets
 * (more is a failure), addresses are read by lib/addr.c's bounded
 * address-list reader, the text need not end in a newline or NUL.
 */
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "dmarc.h"
#include "util.h"

#define DMARC_FROM_MAX	16384

/* What the address reader found. */
struct dmarc_from_seen {
	int		 count;
	struct buf	*first;
};

/* dmarc_from_addr - an address of the From field: the first one kept */
static void
dmarc_from_addr(const char *a, void *ctx)
{
	struct dmarc_from_seen *s = ctx;

	if (s->count++ == 0)
		buf_set(s->first, a);
}

/*
 * dmarc_from_field - the next header field of h[*off..len): its name's
 * length, the value unfolded into value (NULL: skipped); 0 at the end
 */
static size_t
dmarc_from_field(const char *h, size_t len, size_t *off, const char **name,
    struct buf *value)
{
	size_t p = *off, eol, n, v;
	int colon;

	if (p >= len || h[p] == '\n' || (h[p] == '\r' && p + 1 < len &&
	    h[p + 1] == '\n'))
		return 0;			/* the empty line */
	*name = h + p;
	for (n = 0; p + n < len && h[p + n] != ':' && h[p + n] != '\n'; n++)
		;
	colon = p + n < len && h[p + n] == ':';
	v = colon ? p + n + 1 : p + n;		/* no colon: no value */
	do {				/* the line and its folds */
		eol = v;
		while (eol < len && h[eol] != '\n')
			eol++;
		if (value != NULL && colon && v < eol)
			buf_append(value, h + v, eol - v);
		v = eol + 1;
	} while (v < len && (h[v] == ' ' || h[v] == '\t'));
	*off = v;
	while (n > 0 && (h[p + n - 1] == ' ' || h[p + n - 1] == '\t'))
		n--;
	return n > 0 && colon ? n : (size_t)-1;	/* -1: not a field */
}

/*
 * dmarc_from_domain - the domain (lower case) of the header section's
 * one From address into domain; 0, or a DMARC_FROM_ failure with why
 */
int
dmarc_from_domain(const char *h, size_t len, struct buf *domain,
    struct buf *why)
{
	struct buf *value = buf_new(256, DMARC_FROM_MAX);
	struct dmarc_from_seen seen = { 0, buf_new(64, 0) };
	const char *name, *at;
	size_t off = 0, n;
	int fields = 0, r = 0;

	while ((n = dmarc_from_field(h, len, &off, &name, NULL)) != 0)
		if (n == 4 && strncasecmp(name, "From", 4) == 0)
			fields++;
	if (fields != 1) {
		buf_setf(why, fields ? "%d From fields" : "no From field",
		    fields);
		r = fields ? DMARC_FROM_MANY : DMARC_FROM_NONE;
		goto out;
	}
	off = 0;
	while ((n = dmarc_from_field(h, len, &off, &name, value)) != 0) {
		if (n == 4 && strncasecmp(name, "From", 4) == 0)
			break;
		buf_reset(value);
	}
	if (buf_overflowed(value)) {
		buf_setf(why, "the From field is too long");
		r = DMARC_FROM_BAD;
		goto out;
	}
	for (n = 0; n < buf_len(value); n++)
		if (value->data[n] == '\r')
			value->data[n] = ' ';
	addr_parse_header(buf_str(value), dmarc_from_addr, &seen);
	at = strrchr(buf_str(seen.first), '@');
	if (seen.count != 1) {
		buf_setf(why, seen.count ? "%d addresses in From" :
		    "no address in From", seen.count);
		r = seen.count ? DMARC_FROM_MANY : DMARC_FROM_NONE;
	} else if (at == NULL || at[1] == '\0' || at[1] == '[' ||
	    strchr(at + 1, '.') == NULL) {
		buf_setf(why, "the From address has no domain name");
		r = DMARC_FROM_BAD;
	} else {
		buf_set(domain, at + 1);
		lowercase(domain->data);
		if (buf_len(domain) > 0 &&
		    buf_str(domain)[buf_len(domain) - 1] == '.')
			buf_truncate(domain, buf_len(domain) - 1);
	}
out:
	buf_free(&value);
	buf_free(&seen.first);
	return r;
}
