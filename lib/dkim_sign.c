/*
 * dkim_sign - the DKIM-Signature header of a message: relaxed/relaxed,
 * h= the fields of the signing set that the message has (each as often
 * as present, From once more so that no From can be added), t= and
 * optionally x=, folded at 78 columns.  Also signing and verifying a
 * SHA-256 digest as rsa-sha256 (PKCS #1 v1.5) and ed25519-sha256 (RFC
 * 8463: PureEdDSA over the digest) do.
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "addr.h"
#include "base64.h"
#include "buf.h"
#include "dkim.h"
#include "dns.h"
#include "dkim_int.h"
#include "htable.h"
#include "util.h"

struct dkim_sign {
	struct dkim_msg	 m;
	char		*set;		/* the h= set, lower case */
	long long	 ttl;
};

/* dkim_digest_sign - sign a SHA-256 digest into sig; 0, or -1 + why */
int
dkim_digest_sign(EVP_PKEY *pkey, int alg, const unsigned char *digest,
    struct buf *sig, struct buf *why)
{
	EVP_PKEY_CTX	*pctx = NULL;
	EVP_MD_CTX	*md = NULL;
	unsigned char	 out[1024];
	size_t		 len = sizeof(out);
	int		 ok;

	if (alg == DKIM_ALG_RSA_SHA256) {
		ok = (pctx = EVP_PKEY_CTX_new(pkey, NULL)) != NULL &&
		    EVP_PKEY_sign_init(pctx) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) == 1 &&
		    EVP_PKEY_sign(pctx, out, &len, digest, DKIM_HASH_LEN) == 1;
	} else {
		ok = (md = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit(md, NULL, NULL, NULL, pkey) == 1 &&
		    EVP_DigestSign(md, out, &len, digest, DKIM_HASH_LEN) == 1;
	}
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_CTX_free(md);
	if (!ok)
		return buf_set(why, "signing failed (OpenSSL)"), -1;
	buf_append(sig, out, len);
	return 0;
}

/* dkim_digest_verify - does sig sign the SHA-256 digest?  1 yes, 0 no */
int
dkim_digest_verify(EVP_PKEY *pkey, int alg, const unsigned char *digest,
    const unsigned char *sig, size_t len)
{
	EVP_PKEY_CTX	*pctx = NULL;
	EVP_MD_CTX	*md = NULL;
	int		 ok;

	if (alg == DKIM_ALG_RSA_SHA256) {
		ok = (pctx = EVP_PKEY_CTX_new(pkey, NULL)) != NULL &&
		    EVP_PKEY_verify_init(pctx) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) == 1 &&
		    EVP_PKEY_verify(pctx, sig, len, digest, DKIM_HASH_LEN) == 1;
	} else {
		ok = (md = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1 &&
		    EVP_DigestVerify(md, sig, len, digest, DKIM_HASH_LEN) == 1;
	}
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_CTX_free(md);
	return ok;
}

/* dkim_msg_init - a message to sign as domain, selector, with key */
int
dkim_msg_init(struct dkim_msg *m, const char *domain, const char *selector,
    const struct dkim_privkey *key, time_t now, struct buf *why)
{
	memset(m, 0, sizeof(*m));
	if (domain != NULL && (!dns_name_ok(domain) || selector == NULL ||
	    !dns_name_ok(selector) || key == NULL)) {
		buf_setf(why, "bad domain, selector or key to sign with");
		return -1;
	}
	if (domain != NULL) {
		m->domain = lowercase(xstrdup(domain));
		m->selector = xstrdup(selector);
		m->key = key;
	}
	m->now = now ? now : time(NULL);
	dkim_head_init(&m->head);
	if (dkim_body_init(&m->body, 1, -1) < 0) {
		buf_set(why, "SHA-256 is not available (OpenSSL)");
		dkim_msg_free(m);
		return -1;
	}
	return 0;
}

/* dkim_msg_feed - more of a message to sign */
void
dkim_msg_feed(struct dkim_msg *m, const char *data, size_t len)
{
	size_t	 took = 0;

	if (!m->head.done)
		took = dkim_head_feed(&m->head, data, len);
	if (took < len)
		dkim_body_feed(&m->body, data + took, len - took);
}

/* dkim_msg_signer - sign with a key of dkim_signing_keys */
void
dkim_msg_signer(struct dkim_msg *m, const struct dkim_signer *signer)
{
	m->domain = xstrdup(signer->domain);
	m->selector = xstrdup(signer->selector);
	m->key = signer->key;
}

/* dkim_msg_free - let a message to sign go */
void
dkim_msg_free(struct dkim_msg *m)
{
	dkim_head_free(&m->head);
	dkim_body_free(&m->body);
	free(m->domain);
	free(m->selector);
	memset(m, 0, sizeof(*m));
}

/* dkim_sign_new - a signature of d=domain s=selector with key */
struct dkim_sign *
dkim_sign_new(const char *domain, const char *selector,
    const struct dkim_privkey *key, const char *set, time_t now,
    long long ttl, struct buf *why)
{
	struct dkim_sign *s = xcalloc(1, sizeof(*s));

	if (dkim_msg_init(&s->m, domain, selector, key, now, why) < 0) {
		free(s);
		return NULL;
	}
	s->set = lowercase(xstrdup(set ? set : DKIM_SIGN_HEADERS));
	s->ttl = ttl;
	return s;
}

/* dkim_sign_update - more of the message */
void
dkim_sign_update(struct dkim_sign *s, const char *data, size_t len)
{
	dkim_msg_feed(&s->m, data, len);
}

/* dkim_sign_wanted - is a (lower-case) field name in the signing set? */
int
dkim_sign_wanted(const char *set, const char *name)
{
	const char	*p = set, *end;
	size_t		 len;

	while (*p) {
		while (*p == ':' || *p == ' ' || *p == ',')
			p++;
		end = p + strcspn(p, ":, ");
		len = end - p;
		if (len > 0 && p[len - 1] == '*' ?
		    strncmp(name, p, len - 1) == 0 :
		    len == strlen(name) && strncmp(name, p, len) == 0)
			return len > 0;
		p = end;
	}
	return 0;
}

/*
 * dkim_sign_names - h=: the set's names in the order the message first
 * has them, each as often as it is present, "from" once more
 */
char **
dkim_sign_names(struct dkim_head *h, const char *set, size_t *n)
{
	struct dkim_pos	*pos;
	struct htable	*seen = htable_create(16);
	struct buf	*name = buf_new(64, 0);
	char		**v = NULL;
	size_t		 i, k, count = 0, room = 0;

	for (i = 0; i < h->n; i++) {
		if (h->f[i].nlen == 0)
			continue;
		buf_reset(name);
		buf_append(name, buf_str(h->text) + h->f[i].off, h->f[i].nlen);
		lowercase(name->data);
		if (htable_find(seen, buf_str(name)) != NULL ||
		    !dkim_sign_wanted(set, buf_str(name)))
			continue;
		htable_enter(seen, buf_str(name), (void *)1);
		pos = htable_find(h->names, buf_str(name));
		for (k = 0; k < pos->n + (strcmp(buf_str(name), "from") == 0);
		    k++) {
			if (count + 1 >= room) {
				room = room ? room * 2 : 32;
				v = xrealloc(v, room * sizeof(*v));
			}
			v[count++] = xstrdup(buf_str(name));
		}
	}
	htable_free(&seen, NULL);
	buf_free(&name);
	*n = count;
	return v;
}

/* dkim_fold - append a token, breaking the line before it when it would
 * pass DKIM_LINE_MAX; sep: the space put between tokens on a line */
void
dkim_fold(struct buf *out, size_t *col, const char *tok, int sep)
{
	size_t	 len = strlen(tok);

	if (*col > 1 && *col + (sep != 0) + len > DKIM_LINE_MAX) {
		buf_puts(out, "\n\t");
		*col = 1;
	} else if (sep) {
		buf_putc(out, sep);
		(*col)++;
	}
	buf_puts(out, tok);
	*col += len;
}

/* dkim_sign_text - the header up to "b=", folded, into out */
static void
dkim_sign_text(struct dkim_sign *s, char **names, size_t n,
    const unsigned char *bh, struct buf *out)
{
	struct buf	*tok = buf_new(256, 0);
	size_t		 col = 0, i;

	dkim_fold(out, &col, "DKIM-Signature:", 0);
	dkim_fold(out, &col, "v=1;", ' ');
	dkim_fold(out, &col, s->m.key->alg == DKIM_ALG_RSA_SHA256 ?
	    "a=rsa-sha256;" : "a=ed25519-sha256;", ' ');
	dkim_fold(out, &col, "c=relaxed/relaxed;", ' ');
	buf_setf(tok, "d=%s;", s->m.domain);
	dkim_fold(out, &col, buf_str(tok), ' ');
	buf_setf(tok, "s=%s;", s->m.selector);
	dkim_fold(out, &col, buf_str(tok), ' ');
	buf_setf(tok, "t=%lld;", (long long)s->m.now);
	dkim_fold(out, &col, buf_str(tok), ' ');
	if (s->ttl > 0) {
		buf_setf(tok, "x=%lld;", (long long)s->m.now + s->ttl);
		dkim_fold(out, &col, buf_str(tok), ' ');
	}
	for (i = 0; i < n; i++) {
		buf_setf(tok, "%s%s%s", i == 0 ? "h=" : "", names[i],
		    i + 1 < n ? ":" : ";");
		dkim_fold(out, &col, buf_str(tok), i == 0 ? ' ' : 0);
	}
	buf_set(tok, "bh=");
	base64_encode(tok, bh, DKIM_HASH_LEN);
	buf_putc(tok, ';');
	dkim_fold(out, &col, buf_str(tok), ' ');
	dkim_fold(out, &col, "b=", ' ');
	buf_free(&tok);
}

/* dkim_fold_b64 - append a signature's base64, folded, and the LF */
void
dkim_fold_b64(struct buf *out, const struct buf *sig)
{
	struct buf	*b64 = buf_new(1024, 0);
	const char	*nl;
	size_t		 col, at = 0, room;

	base64_encode(b64, sig->data, buf_len(sig));
	nl = strrchr(buf_str(out), '\n');
	col = nl ? buf_len(out) - (nl - buf_str(out)) : buf_len(out);
	while (at < buf_len(b64)) {
		if (col >= DKIM_LINE_MAX) {
			buf_puts(out, "\n\t");
			col = 1;
		}
		room = DKIM_LINE_MAX - col;
		if (room > buf_len(b64) - at)
			room = buf_len(b64) - at;
		buf_append(out, buf_str(b64) + at, room);
		at += room;
		col += room;
	}
	buf_putc(out, '\n');
	buf_free(&b64);
}

/* What the From field's addresses are: the first's domain, how many
 * name another domain. */
struct dkim_from {
	struct buf	*domain;
	int		 count;
	int		 others;
};

/* dkim_from_addr - an address of the From field */
static void
dkim_from_addr(const char *addr, void *arg)
{
	struct dkim_from *f = arg;
	const char	*at = strrchr(addr, '@');
	char		*domain;

	domain = lowercase(xstrdup(at ? at + 1 : ""));
	if (f->count++ == 0)
		buf_set(f->domain, domain);
	else if (strcmp(domain, buf_str(f->domain)) != 0)
		f->others++;
	free(domain);
}

/*
 * dkim_sign_pick - the signer of the From field's domain (or of its
 * nearest parent domain that has one, which DMARC's relaxed alignment
 * accepts): 0, 1 (none: why says why), -1 (why)
 */
static int
dkim_sign_pick(struct dkim_sign *s, struct buf *why)
{
	struct dkim_pos	*pos = htable_find(s->m.head.names, "from");
	const struct dkim_field *f;
	const struct dkim_signer *signer = NULL;
	struct dkim_from from;
	struct buf	*value;
	const char	*p, *d;
	size_t		 i;

	if (pos == NULL)
		return buf_set(why, "no From header field"), -1;
	if (pos->n > 1)
		return buf_set(why, "several From header fields"), 1;
	f = &s->m.head.f[pos->at[0]];
	p = memchr(buf_str(s->m.head.text) + f->off, ':', f->len) + 1;
	value = buf_new(f->len, 0);
	for (i = p - buf_str(s->m.head.text) - f->off; i < f->len; i++)
		if (s->m.head.text->data[f->off + i] != '\n')
			buf_putc(value, s->m.head.text->data[f->off + i]);
	from.domain = buf_new(64, 0);
	from.count = from.others = 0;
	addr_parse_header(buf_str(value), dkim_from_addr, &from);
	buf_free(&value);
	buf_reset(why);
	if (from.count == 0 || buf_len(from.domain) == 0)
		buf_set(why, "no domain in From");
	else if (from.others > 0)
		buf_set(why, "From names several domains");
	for (d = buf_str(from.domain); buf_len(why) == 0 && d != NULL &&
	    strchr(d, '.') != NULL; d = strchr(d, '.') + 1)
		signer = dkim_signer_find(d, why);
	if (signer == NULL && buf_len(why) == 0)
		buf_setf(why, "no DKIM key for %s", buf_str(from.domain));
	buf_free(&from.domain);
	if (signer == NULL)
		return 1;
	dkim_msg_signer(&s->m, signer);
	return 0;
}

/* dkim_sign_final - the DKIM-Signature header appended to out */
int
dkim_sign_final(struct dkim_sign *s, struct buf *out, struct buf *why)
{
	unsigned char	 bh[DKIM_HASH_LEN], digest[DKIM_HASH_LEN];
	struct buf	*text, *canon, *sig;
	EVP_MD_CTX	*md;
	char		**names;
	size_t		 n;
	unsigned int	 dlen;
	int		 ret = -1;

	if (buf_overflowed(s->m.head.text))
		return buf_set(why, "header section over "
		    "dkim_header_size_limit"), -1;
	dkim_head_split(&s->m.head);
	if (s->m.key == NULL && (ret = dkim_sign_pick(s, why)) != 0)
		return ret;
	ret = -1;
	names = dkim_sign_names(&s->m.head, s->set, &n);
	if (htable_find(s->m.head.names, "from") == NULL ||
	    !dkim_sign_wanted(s->set, "from")) {
		strv_free(names, (int)n);
		return buf_set(why, "no From header field"), -1;
	}
	if (dkim_body_final(&s->m.body, bh) < 0 ||
	    (md = EVP_MD_CTX_new()) == NULL) {
		strv_free(names, (int)n);
		return buf_set(why, "hashing failed (OpenSSL)"), -1;
	}
	text = buf_new(1024, 0);
	canon = buf_new(1024, 0);
	sig = buf_new(1024, 0);
	dkim_sign_text(s, names, n, bh, text);
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    dkim_head_hash(&s->m.head, names, n, 1, md, canon) == 0) {
		buf_reset(canon);
		dkim_canon_header(1, buf_str(text), buf_len(text), canon);
		if (EVP_DigestUpdate(md, canon->data, buf_len(canon)) == 1 &&
		    EVP_DigestFinal_ex(md, digest, &dlen) == 1 &&
		    dkim_digest_sign(s->m.key->pkey, s->m.key->alg, digest, sig,
		    why) == 0) {
			dkim_fold_b64(text, sig);
			buf_append(out, buf_str(text), buf_len(text));
			ret = 0;
		}
	}
	if (ret < 0 && buf_len(why) == 0)
		buf_set(why, "hashing failed (OpenSSL)");
	EVP_MD_CTX_free(md);
	strv_free(names, (int)n);
	buf_free(&text);
	buf_free(&canon);
	buf_free(&sig);
	return ret;
}

/* dkim_sign_free - let a signing go */
void
dkim_sign_free(struct dkim_sign **sp)
{
	struct dkim_sign *s = *sp;

	if (s == NULL)
		return;
	dkim_msg_free(&s->m);
	free(s->set);
	free(s);
	*sp = NULL;
}
