/*
 * dkim_canon - the header section of a message as it arrives, split into
 * fields and indexed by name; the "simple" and "relaxed" canonical forms
 * of header fields and of the body (RFC 6376 section 3.4).  Input is the
 * queue's form: LF line ends, a CR just before an LF belongs to the line
 * end; output is hashed as if every line ended in CRLF.
 */
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "dkim.h"
#include "dkim_int.h"
#include "htable.h"
#include "params.h"
#include "util.h"

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')

/* dkim_head_init - an empty header section, capped by the parameter */
void
dkim_head_init(struct dkim_head *h)
{
	memset(h, 0, sizeof(*h));
	h->text = buf_new(4096, (size_t)var_dkim_header_size_limit);
	h->bol = 1;
}

/*
 * dkim_head_feed - take header bytes until the empty line that ends the
 * section: how many bytes of data were taken (the rest is the body)
 */
size_t
dkim_head_feed(struct dkim_head *h, const char *data, size_t len)
{
	size_t	 i;
	int	 c;

	for (i = 0; i < len && !h->done; i++) {
		c = (unsigned char)data[i];
		if (h->cr) {
			h->cr = 0;
			if (c != '\n') {
				buf_putc(h->text, '\r');
				h->bol = 0;
			}
		}
		if (c == '\r') {
			h->cr = 1;
			continue;
		}
		if (c == '\n' && h->bol) {
			h->done = 1;
			continue;
		}
		buf_putc(h->text, c);
		h->bol = c == '\n';
	}
	return i;
}

/* dkim_pos_free - a dkim_pos of the name index */
static void
dkim_pos_free(void *p)
{
	struct dkim_pos *pos = p;

	free(pos->at);
	free(pos);
}

/* dkim_head_add - note a field and index it by its lower-case name */
static void
dkim_head_add(struct dkim_head *h, size_t off, size_t len, size_t *room,
    struct buf *name)
{
	const char	*s = buf_str(h->text) + off;
	struct dkim_field *f;
	struct dkim_pos	*pos;
	const char	*colon;
	size_t		 i;

	if (h->n == *room) {
		*room = *room ? *room * 2 : 32;
		h->f = xrealloc(h->f, *room * sizeof(*h->f));
	}
	f = &h->f[h->n];
	f->off = off;
	f->len = len;
	f->nlen = 0;
	if ((colon = memchr(s, ':', len)) != NULL) {
		f->nlen = colon - s;
		while (f->nlen > 0 && IS_WSP(s[f->nlen - 1]))
			f->nlen--;
		for (i = 0; i < f->nlen; i++)
			if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
				f->nlen = 0;	/* not ftext: h= cannot name it */
	}
	if (f->nlen > 0) {
		buf_reset(name);
		buf_append(name, s, f->nlen);
		lowercase(name->data);
		if ((pos = htable_find(h->names, buf_str(name))) == NULL) {
			pos = xcalloc(1, sizeof(*pos));
			htable_enter(h->names, buf_str(name), pos);
		}
		if ((pos->n & (pos->n - 1)) == 0)	/* 0, 1, 2, 4...: grow */
			pos->at = xrealloc(pos->at, (pos->n ? pos->n * 2 : 1) *
			    sizeof(*pos->at));
		pos->at[pos->n++] = h->n;
	}
	h->n++;
}

/*
 * dkim_head_split - the fields of the section (a field runs on over the
 * lines that start with white space; text before the first field is
 * ignored), indexed by name
 */
void
dkim_head_split(struct dkim_head *h)
{
	const char	*s = buf_str(h->text), *nl;
	size_t		 len = buf_len(h->text), at = 0, start = 0, room = 0;
	struct buf	*name = buf_new(64, 0);
	int		 open = 0;

	h->names = htable_create(64);
	while (at < len) {
		if (!IS_WSP(s[at])) {
			if (open)
				dkim_head_add(h, start, at - 1 - start, &room,
				    name);
			start = at;
			open = 1;
		}
		nl = memchr(s + at, '\n', len - at);
		at = nl ? (size_t)(nl - s) + 1 : len;
	}
	if (open)
		dkim_head_add(h, start, (len > start && s[len - 1] == '\n' ?
		    len - 1 : len) - start, &room, name);
	buf_free(&name);
}

/* dkim_head_free - forget a header section */
void
dkim_head_free(struct dkim_head *h)
{
	buf_free(&h->text);
	free(h->f);
	if (h->names != NULL)
		htable_free(&h->names, dkim_pos_free);
	memset(h, 0, sizeof(*h));
}

/* dkim_head_is - does field i have that (lower-case) name? */
int
dkim_head_is(const struct dkim_head *h, size_t i, const char *name)
{
	return h->f[i].nlen == strlen(name) &&
	    strncasecmp(buf_str(h->text) + h->f[i].off, name,
	    h->f[i].nlen) == 0;
}

/*
 * dkim_canon_header - append a field's canonical form, without the CRLF
 * that ends it: simple keeps it byte for byte (LF becomes CRLF); relaxed
 * lower-cases the name, unfolds, makes each run of white space one SP and
 * drops white space at the end and around the colon
 */
void
dkim_canon_header(int relaxed, const char *s, size_t len, struct buf *out)
{
	const char	*colon;
	size_t		 i, nlen;
	int		 wsp = 0, started = 0;

	if (!relaxed) {
		for (i = 0; i < len; i++) {
			if (s[i] == '\n')
				buf_putc(out, '\r');
			buf_putc(out, s[i]);
		}
		return;
	}
	if ((colon = memchr(s, ':', len)) == NULL)
		return;
	nlen = colon - s;
	while (nlen > 0 && IS_WSP(s[nlen - 1]))
		nlen--;
	for (i = 0; i < nlen; i++)
		buf_putc(out, s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	buf_putc(out, ':');
	for (i = colon - s + 1; i < len; i++) {
		if (s[i] == '\n')
			continue;
		if (IS_WSP(s[i])) {
			wsp = 1;
			continue;
		}
		if (wsp && started)
			buf_putc(out, ' ');
		wsp = 0;
		started = 1;
		buf_putc(out, s[i]);
	}
}

/*
 * dkim_head_hash - hash the fields that names[] list, each name taking
 * its fields from the bottom up (a name listed more often than present
 * hashes nothing: oversigning), canonical and ended by CRLF; 0, or -1
 * when the digest fails
 */
int
dkim_head_hash(struct dkim_head *h, char **names, size_t n, int relaxed,
    EVP_MD_CTX *md, struct buf *scratch)
{
	struct dkim_pos	*pos;
	const struct dkim_field *f;
	size_t		 i;
	int		 ret = 0;

	for (i = 0; i < n; i++) {
		lowercase(names[i]);
		if ((pos = htable_find(h->names, names[i])) == NULL ||
		    pos->used == pos->n)
			continue;
		f = &h->f[pos->at[pos->n - 1 - pos->used++]];
		buf_reset(scratch);
		dkim_canon_header(relaxed, buf_str(h->text) + f->off, f->len,
		    scratch);
		buf_append(scratch, "\r\n", 2);
		if (EVP_DigestUpdate(md, scratch->data, buf_len(scratch)) != 1)
			ret = -1;
	}
	for (i = 0; i < n; i++)
		if ((pos = htable_find(h->names, names[i])) != NULL)
			pos->used = 0;
	return ret;
}

/* dkim_body_init - a body hash, relaxed or simple, l= (-1: none) */
int
dkim_body_init(struct dkim_body *b, int relaxed, long long limit)
{
	memset(b, 0, sizeof(*b));
	b->relaxed = relaxed;
	b->limit = limit;
	if ((b->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1)
		return -1;
	return 0;
}

/* dkim_body_flush - hash what the staging buffer holds */
static void
dkim_body_flush(struct dkim_body *b)
{
	if (b->nout > 0)
		EVP_DigestUpdate(b->md, b->out, b->nout);
	b->nout = 0;
}

/* dkim_body_put - one canonical byte: counted, hashed within l= */
static void
dkim_body_put(struct dkim_body *b, int c)
{
	if (b->limit < 0 || b->count < b->limit) {
		if (b->nout == sizeof(b->out))
			dkim_body_flush(b);
		b->out[b->nout++] = c;
	}
	b->count++;
	b->any = 1;
}

/* dkim_body_content - a byte of a line: the line ends that waited first */
static void
dkim_body_content(struct dkim_body *b, int c)
{
	for (; b->crlf > 0; b->crlf--) {
		dkim_body_put(b, '\r');
		dkim_body_put(b, '\n');
	}
	if (b->wsp) {
		dkim_body_put(b, ' ');
		b->wsp = 0;
	}
	dkim_body_put(b, c);
}

/* dkim_body_feed - body bytes; empty lines wait until a line follows */
void
dkim_body_feed(struct dkim_body *b, const char *data, size_t len)
{
	size_t	 i;
	int	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)data[i];
		if (b->cr) {
			b->cr = 0;
			if (c != '\n')
				dkim_body_content(b, '\r');
		}
		if (c == '\r')
			b->cr = 1;
		else if (c == '\n') {
			b->wsp = 0;
			b->crlf++;
		} else if (b->relaxed && IS_WSP(c))
			b->wsp = 1;
		else
			dkim_body_content(b, c);
	}
}

/*
 * dkim_body_final - the body hash into hash[32]: trailing empty lines
 * dropped, a last line end added; an empty body is CRLF in simple and
 * nothing in relaxed (RFC 6376 3.4.3, 3.4.4)
 */
int
dkim_body_final(struct dkim_body *b, unsigned char *hash)
{
	unsigned int	 n;

	if (b->cr) {
		b->cr = 0;
		dkim_body_content(b, '\r');
	}
	if (b->any || !b->relaxed) {
		b->crlf = 0;
		b->wsp = 0;
		dkim_body_put(b, '\r');
		dkim_body_put(b, '\n');
	}
	dkim_body_flush(b);
	return EVP_DigestFinal_ex(b->md, hash, &n) == 1 ? 0 : -1;
}

/* dkim_body_free - let a body hash go */
void
dkim_body_free(struct dkim_body *b)
{
	EVP_MD_CTX_free(b->md);
	b->md = NULL;
}
