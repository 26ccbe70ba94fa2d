/*
 * dkim_verify - check every DKIM-Signature of a message (up to
 * dkim_verify_signature_limit; those past it are reported as "policy"),
 * simple and relaxed canonicalization, rsa-sha256 and ed25519-sha256; the
 * results, and one result as RFC 8601's resinfo for an
 * Authentication-Results header.
 */
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "base64.h"
#include "authres.h"
#include "buf.h"
#include "dkim.h"
#include "dns.h"
#include "dkim_int.h"
#include "htable.h"
#include "params.h"
#include "util.h"

#define DKIM_PENDING	(-1)	/* parsed, waits for final */

/* A signature being checked. */
struct dkim_sig {
	struct dkim_result r;
	int		 alg;
	int		 hrelaxed;
	long long	 t;		/* -1: none */
	long long	 x;
	char		**h;
	size_t		 nh;
	struct buf	*bh;		/* decoded */
	struct buf	*b;
	struct buf	*text;		/* the field, b= value left out */
	struct dkim_body body;
	int		 body_on;
};

struct dkim_verify {
	time_t		 now;
	struct dkim_head head;
	struct dkim_sig	*sig;
	size_t		 n;
	int		 ready;		/* the signatures were read */
};

/* dkim_status_str - a status as RFC 8601 words it */
const char *
dkim_status_str(int status)
{
	static const char *const words[] = {
		"pass", "fail", "neutral", "temperror", "permerror", "policy",
	};

	return status >= 0 && status <= DKIM_POLICY ? words[status] : "none";
}

/* dkim_verify_new - a verification; now 0: the clock's */
struct dkim_verify *
dkim_verify_new(time_t now)
{
	struct dkim_verify *v = xcalloc(1, sizeof(*v));

	v->now = now ? now : time(NULL);
	dkim_head_init(&v->head);
	return v;
}

/* dkim_sig_new - a result slot with its status and reason */
static struct dkim_sig *
dkim_sig_new(struct dkim_verify *v, int status, const char *reason)
{
	struct dkim_sig	*s;

	v->sig = xrealloc(v->sig, (v->n + 1) * sizeof(*v->sig));
	s = &v->sig[v->n++];
	memset(s, 0, sizeof(*s));
	s->r.status = status;
	s->r.reason = xstrdup(reason);
	s->r.l = -1;
	s->t = s->x = -1;
	return s;
}

/* dkim_sig_fail - a signature's end: a status and a reason */
static int
dkim_sig_fail(struct dkim_sig *s, int status, const char *reason)
{
	free(s->r.reason);
	s->r.reason = xstrdup(reason);
	s->r.status = status;
	return -1;
}

/* dkim_tag_str - a tag's value as a new string ("" when absent) */
static char *
dkim_tag_str(const struct dkim_tags *t, const char *name)
{
	const struct dkim_tag *tag = dkim_tags_get(t, name);

	return tag ? xstrndup(tag->val, tag->vlen) : xstrdup("");
}

/* dkim_tag_num - a decimal tag value into *n: 0, or -1 (malformed) */
int
dkim_tag_num(const struct dkim_tag *tag, long long *n)
{
	size_t	 i;

	*n = 0;
	if (tag->vlen == 0 || tag->vlen > 18)
		return -1;
	for (i = 0; i < tag->vlen; i++) {
		if (!isdigit((unsigned char)tag->val[i]))
			return -1;
		*n = *n * 10 + (tag->val[i] - '0');
	}
	return 0;
}

/* dkim_sig_canon - c=: header and body canonicalization */
static int
dkim_sig_canon(struct dkim_sig *s, const struct dkim_tag *c, int *brelaxed)
{
	size_t	 slash;

	s->hrelaxed = *brelaxed = 0;
	if (c == NULL)
		return 0;
	slash = memchr(c->val, '/', c->vlen) ? (size_t)((const char *)
	    memchr(c->val, '/', c->vlen) - c->val) : c->vlen;
	if (slash == 7 && strncmp(c->val, "relaxed", 7) == 0)
		s->hrelaxed = 1;
	else if (!(slash == 6 && strncmp(c->val, "simple", 6) == 0))
		return -1;
	if (slash == c->vlen)
		return 0;
	if (c->vlen - slash - 1 == 7 &&
	    strncmp(c->val + slash + 1, "relaxed", 7) == 0)
		*brelaxed = 1;
	else if (!(c->vlen - slash - 1 == 6 &&
	    strncmp(c->val + slash + 1, "simple", 6) == 0))
		return -1;
	return 0;
}

/* dkim_sig_times - t= and x=: readable, x= after t=, not past */
static int
dkim_sig_times(struct dkim_verify *v, struct dkim_sig *s,
    const struct dkim_tags *tags)
{
	const struct dkim_tag *tag;

	if ((tag = dkim_tags_get(tags, "t")) != NULL &&
	    dkim_tag_num(tag, &s->t) < 0)
		return dkim_sig_fail(s, DKIM_PERMERROR, "bad t=");
	if ((tag = dkim_tags_get(tags, "x")) != NULL) {
		if (dkim_tag_num(tag, &s->x) < 0)
			return dkim_sig_fail(s, DKIM_PERMERROR, "bad x=");
		if (s->t >= 0 && s->x < s->t)
			return dkim_sig_fail(s, DKIM_PERMERROR,
			    "x= is before t=");
		if (s->x < (long long)v->now)
			return dkim_sig_fail(s, DKIM_PERMERROR,
			    "signature expired (x=)");
	}
	return 0;
}

/* dkim_sig_ident - d=, s=, i=: names we can look up, i= within d= */
static int
dkim_sig_ident(struct dkim_sig *s)
{
	const char	*at;
	size_t		 dl, il;

	if (!dns_name_ok(s->r.d) || !dns_name_ok(s->r.s))
		return dkim_sig_fail(s, DKIM_PERMERROR, "bad d= or s=");
	if (*s->r.i == 0) {
		free(s->r.i);
		s->r.i = xmalloc(strlen(s->r.d) + 2);
		s->r.i[0] = '@';
		strcpy(s->r.i + 1, s->r.d);
		return 0;
	}
	if ((at = strrchr(s->r.i, '@')) == NULL)
		return dkim_sig_fail(s, DKIM_PERMERROR, "bad i=");
	at++;
	dl = strlen(s->r.d);
	il = strlen(at);
	if (!(il == dl && strcasecmp(at, s->r.d) == 0) && !(il > dl &&
	    at[il - dl - 1] == '.' && strcasecmp(at + il - dl, s->r.d) == 0))
		return dkim_sig_fail(s, DKIM_PERMERROR,
		    "i= is not within d=");
	return 0;
}

/* dkim_sig_algo - a=, v=, q=, h= (with From) */
static int
dkim_sig_algo(struct dkim_sig *s, const struct dkim_tags *tags)
{
	const struct dkim_tag *tag;
	size_t		 i;
	int		 from = 0;

	tag = dkim_tags_get(tags, "v");
	if (tag->vlen != 1 || tag->val[0] != '1')
		return dkim_sig_fail(s, DKIM_PERMERROR, "unknown version v=");
	if (strcasecmp(s->r.a, "rsa-sha256") == 0)
		s->alg = DKIM_ALG_RSA_SHA256;
	else if (strcasecmp(s->r.a, "ed25519-sha256") == 0)
		s->alg = DKIM_ALG_ED25519_SHA256;
	else if (strcasecmp(s->r.a, "rsa-sha1") == 0)
		return dkim_sig_fail(s, DKIM_PERMERROR,
		    "rsa-sha1 is not accepted (RFC 8301)");
	else
		return dkim_sig_fail(s, DKIM_PERMERROR, "unknown algorithm a=");
	if ((tag = dkim_tags_get(tags, "q")) != NULL &&
	    !dkim_list_has(tag, "dns/txt"))
		return dkim_sig_fail(s, DKIM_PERMERROR, "unknown query q=");
	if ((s->h = dkim_tag_list(dkim_tags_get(tags, "h"), &s->nh)) == NULL)
		return dkim_sig_fail(s, DKIM_PERMERROR, "bad h=");
	for (i = 0; i < s->nh; i++)
		if (strcasecmp(s->h[i], "from") == 0)
			from = 1;
	if (!from)
		return dkim_sig_fail(s, DKIM_PERMERROR, "From is not signed");
	return 0;
}

/* dkim_tag_b64 - a base64 tag decoded into *out (a new buf) */
int
dkim_tag_b64(const struct dkim_tag *tag, struct buf **out)
{
	struct buf	*b64 = buf_new(512, 0);
	int		 ret;

	*out = buf_new(512, 0);
	dkim_tag_compact(tag, b64);
	ret = base64_decode(*out, buf_str(b64), buf_len(b64));
	buf_free(&b64);
	return ret;
}

/* dkim_sig_parse - read the signature of field i; its body hash begins */
static void
dkim_sig_parse(struct dkim_verify *v, size_t i)
{
	const struct dkim_field *f = &v->head.f[i];
	const char	*text = buf_str(v->head.text) + f->off;
	const char	*val = memchr(text, ':', f->len) + 1;
	size_t		 vlen = f->len - (val - text);
	struct dkim_sig	*s = dkim_sig_new(v, DKIM_PENDING, "");
	struct buf	*why = buf_new(128, 1024);
	struct dkim_tags tags;
	const struct dkim_tag *tag;
	static const char *const need[] = { "v", "a", "b", "bh", "d", "h",
	    "s", NULL };
	int		 brelaxed, k;

	if (dkim_tags_parse(val, vlen, &tags, why) < 0) {
		buf_puts(why, " in DKIM-Signature");
		dkim_sig_fail(s, DKIM_PERMERROR, buf_str(why));
		buf_free(&why);
		s->r.d = xstrdup(""), s->r.s = xstrdup(""), s->r.i = xstrdup("");
		s->r.a = xstrdup(""), s->r.b = xstrdup("");
		return;
	}
	buf_free(&why);
	s->r.d = dkim_tag_str(&tags, "d");
	s->r.s = dkim_tag_str(&tags, "s");
	s->r.i = dkim_tag_str(&tags, "i");
	s->r.a = dkim_tag_str(&tags, "a");
	s->r.b = xstrdup("");
	for (k = 0; need[k] != NULL; k++)
		if (dkim_tags_get(&tags, need[k]) == NULL) {
			dkim_sig_fail(s, DKIM_PERMERROR, "a required tag "
			    "(v a b bh d h s) is missing");
			return;
		}
	tag = dkim_tags_get(&tags, "b");
	if (dkim_tag_b64(tag, &s->b) < 0) {
		dkim_sig_fail(s, DKIM_PERMERROR, "b= is not base64");
		return;
	}
	free(s->r.b);
	s->r.b = xstrndup(tag->val, tag->vlen < 8 ? tag->vlen : 8);
	s->text = buf_new(f->len, 0);
	buf_append(s->text, text, (val - text) + tag->raw_start);
	buf_append(s->text, val + tag->raw_end, vlen - tag->raw_end);
	if (dkim_tag_b64(dkim_tags_get(&tags, "bh"), &s->bh) < 0 ||
	    buf_len(s->bh) != DKIM_HASH_LEN) {
		dkim_sig_fail(s, DKIM_PERMERROR, "bad bh=");
		return;
	}
	if (dkim_sig_algo(s, &tags) < 0 || dkim_sig_ident(s) < 0 ||
	    dkim_sig_times(v, s, &tags) < 0)
		return;
	if (dkim_sig_canon(s, dkim_tags_get(&tags, "c"), &brelaxed) < 0) {
		dkim_sig_fail(s, DKIM_PERMERROR, "unknown canonicalization c=");
		return;
	}
	if ((tag = dkim_tags_get(&tags, "l")) != NULL &&
	    dkim_tag_num(tag, &s->r.l) < 0) {
		dkim_sig_fail(s, DKIM_PERMERROR, "bad l=");
		return;
	}
	if (dkim_body_init(&s->body, brelaxed, s->r.l) < 0) {
		dkim_sig_fail(s, DKIM_TEMPERROR, "no SHA-256 (OpenSSL)");
		return;
	}
	s->body_on = 1;
}

/* dkim_verify_ready - the header section is in: read its signatures */
static void
dkim_verify_ready(struct dkim_verify *v)
{
	struct dkim_sig	*s;
	struct buf	*why;
	size_t		 i, over = 0;

	v->ready = 1;
	if (buf_overflowed(v->head.text)) {
		s = dkim_sig_new(v, DKIM_PERMERROR, "header section over "
		    "dkim_header_size_limit");
		s->r.d = xstrdup(""), s->r.s = xstrdup(""), s->r.i = xstrdup("");
		s->r.a = xstrdup(""), s->r.b = xstrdup("");
		return;
	}
	dkim_head_split(&v->head);
	for (i = 0; i < v->head.n; i++) {
		if (!dkim_head_is(&v->head, i, "dkim-signature"))
			continue;
		if ((long long)v->n < var_dkim_verify_signature_limit)
			dkim_sig_parse(v, i);
		else
			over++;
	}
	if (over > 0) {
		why = buf_new(128, 0);
		buf_setf(why, "%zu more signature%s past "
		    "dkim_verify_signature_limit, not checked", over,
		    over > 1 ? "s" : "");
		s = dkim_sig_new(v, DKIM_POLICY, buf_str(why));
		s->r.d = xstrdup(""), s->r.s = xstrdup(""), s->r.i = xstrdup("");
		s->r.a = xstrdup(""), s->r.b = xstrdup("");
		buf_free(&why);
	}
}

/* dkim_verify_update - more of the message */
void
dkim_verify_update(struct dkim_verify *v, const char *data, size_t len)
{
	size_t	 took = 0, i;

	if (!v->head.done) {
		took = dkim_head_feed(&v->head, data, len);
		if (!v->head.done)
			return;
	}
	if (!v->ready)
		dkim_verify_ready(v);
	if (took == len)
		return;
	for (i = 0; i < v->n; i++)
		if (v->sig[i].body_on)
			dkim_body_feed(&v->sig[i].body, data + took,
			    len - took);
}

/*
 * dkim_key_fetch - the key of selector s of domain d, through fn, that
 * must be of algorithm alg: DKIM_KEY_OK, or DKIM_KEY_NONE or
 * DKIM_KEY_TEMP with why
 */
int
dkim_key_fetch(dkim_lookup_fn fn, void *arg, const char *d, const char *s,
    int alg, struct dkim_pubkey *key, struct buf *why)
{
	struct buf	*txt = buf_new(512, DKIM_TXT_MAX);
	int		 revoked, st;

	memset(key, 0, sizeof(*key));
	st = fn(d, s, txt, why, arg);
	if (st == DKIM_KEY_OK && buf_overflowed(txt)) {
		st = DKIM_KEY_NONE;
		buf_set(why, "key record too long");
	}
	if (st == DKIM_KEY_OK && dkim_key_parse(buf_str(txt), buf_len(txt),
	    key, &revoked, why) < 0)
		st = DKIM_KEY_NONE;
	if (st == DKIM_KEY_OK && key->alg != alg) {
		st = DKIM_KEY_NONE;
		buf_set(why, "the key's type k= does not match a=");
	}
	if (st != DKIM_KEY_OK)
		dkim_pubkey_free(key);
	buf_free(&txt);
	return st;
}

/* dkim_sig_key - the signer's key, or the status of its absence */
static int
dkim_sig_key(struct dkim_sig *s, dkim_lookup_fn fn, void *arg,
    struct dkim_pubkey *key)
{
	struct buf	*why = buf_new(128, 1024);
	int		 st;

	st = dkim_key_fetch(fn, arg, s->r.d, s->r.s, s->alg, key, why);
	if (st == DKIM_KEY_OK && key->strict &&
	    strcasecmp(strrchr(s->r.i, '@') + 1, s->r.d) != 0) {
		st = DKIM_KEY_NONE;
		buf_set(why, "the key wants i= equal to d= (t=s)");
		dkim_pubkey_free(key);
	}
	if (st != DKIM_KEY_OK)
		dkim_sig_fail(s, st == DKIM_KEY_TEMP ? DKIM_TEMPERROR :
		    DKIM_PERMERROR, buf_len(why) ? buf_str(why) : "no key");
	buf_free(&why);
	return st == DKIM_KEY_OK ? 0 : -1;
}

/* dkim_sig_check - a signature against its body hash and key */
static void
dkim_sig_check(struct dkim_verify *v, struct dkim_sig *s, dkim_lookup_fn fn,
    void *arg)
{
	unsigned char	 bh[DKIM_HASH_LEN], digest[DKIM_HASH_LEN];
	struct dkim_pubkey key;
	struct buf	*canon;
	EVP_MD_CTX	*md;
	unsigned int	 dlen;
	int		 good = 0;

	if (dkim_body_final(&s->body, bh) < 0) {
		dkim_sig_fail(s, DKIM_TEMPERROR, "hashing failed (OpenSSL)");
		return;
	}
	if (s->r.l >= 0 && s->body.count < s->r.l) {
		dkim_sig_fail(s, DKIM_PERMERROR, "l= is longer than the body");
		return;
	}
	if (memcmp(bh, s->bh->data, DKIM_HASH_LEN) != 0) {
		dkim_sig_fail(s, DKIM_FAIL, "body hash did not verify");
		return;
	}
	if (dkim_sig_key(s, fn, arg, &key) < 0)
		return;
	canon = buf_new(1024, 0);
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    dkim_head_hash(&v->head, s->h, s->nh, s->hrelaxed, md, canon) == 0) {
		buf_reset(canon);
		dkim_canon_header(s->hrelaxed, buf_str(s->text),
		    buf_len(s->text), canon);
		good = EVP_DigestUpdate(md, canon->data, buf_len(canon)) == 1 &&
		    EVP_DigestFinal_ex(md, digest, &dlen) == 1 &&
		    dkim_digest_verify(key.pkey, s->alg, digest,
		    (unsigned char *)s->b->data, buf_len(s->b));
	}
	EVP_MD_CTX_free(md);
	buf_free(&canon);
	s->r.testing = key.testing;
	dkim_pubkey_free(&key);
	if (!good)
		dkim_sig_fail(s, key.testing ? DKIM_NEUTRAL : DKIM_FAIL,
		    key.testing ? "signature did not verify (key in testing "
		    "mode, t=y)" : "signature did not verify");
	else if (s->r.l >= 0 && s->body.count > s->r.l) {
		canon = buf_new(128, 0);
		buf_setf(canon, "signature verified; l= signs %lld of %lld "
		    "body bytes", s->r.l, s->body.count);
		dkim_sig_fail(s, DKIM_PASS, buf_str(canon));
		buf_free(&canon);
	} else
		dkim_sig_fail(s, DKIM_PASS, "signature verified");
}

/*
 * dkim_verify_final - check each signature, looking its key up with fn;
 * the results (the caller frees them with dkim_results_free) in *res,
 * top to bottom; their count
 */
size_t
dkim_verify_final(struct dkim_verify *v, dkim_lookup_fn fn, void *arg,
    struct dkim_result **res)
{
	size_t	 i;

	if (!v->ready)
		dkim_verify_ready(v);
	*res = v->n ? xcalloc(v->n, sizeof(**res)) : NULL;
	for (i = 0; i < v->n; i++) {
		if (v->sig[i].r.status == DKIM_PENDING)
			dkim_sig_check(v, &v->sig[i], fn, arg);
		(*res)[i] = v->sig[i].r;
		memset(&v->sig[i].r, 0, sizeof(v->sig[i].r));
	}
	return v->n;
}

/* dkim_verify_free - let a verification go */
void
dkim_verify_free(struct dkim_verify **vp)
{
	struct dkim_verify *v = *vp;
	struct dkim_sig	*s;
	size_t		 i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		s = &v->sig[i];
		free(s->r.d), free(s->r.s), free(s->r.i), free(s->r.a);
		free(s->r.b), free(s->r.reason);
		if (s->h != NULL)
			strv_free(s->h, (int)s->nh);
		buf_free(&s->bh);
		buf_free(&s->b);
		buf_free(&s->text);
		dkim_body_free(&s->body);
	}
	free(v->sig);
	dkim_head_free(&v->head);
	free(v);
	*vp = NULL;
}

/* dkim_results_free - results of dkim_verify_final */
void
dkim_results_free(struct dkim_result **rp, size_t n)
{
	struct dkim_result *r = *rp;
	size_t		 i;

	if (r == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(r[i].d), free(r[i].s), free(r[i].i), free(r[i].a);
		free(r[i].b), free(r[i].reason);
	}
	free(r);
	*rp = NULL;
}

/* dkim_format_value - a property's value: as is when it is a token (or
 * an i= "local@domain"), quoted otherwise */
static void
dkim_format_value(struct buf *out, const char *name, const char *val,
    int addr)
{
	const char	*p;
	int		 plain = *val != 0;

	for (p = val; *p && plain; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    (strchr("()<>,;:\\\"/[]?=", *p) != NULL) ||
		    (*p == '@' && !addr))
			plain = 0;
	buf_appendf(out, " %s=", name);
	if (plain) {
		buf_puts(out, val);
		return;
	}
	buf_putc(out, '"');
	for (p = val; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(out, '\\');
		buf_putc(out, (unsigned char)*p < ' ' ||
		    (unsigned char)*p >= 0x7f ? '?' : *p);
	}
	buf_putc(out, '"');
}

/* dkim_result_format - "dkim=pass (reason) header.d=..." appended */
void
dkim_result_format(const struct dkim_result *r, struct buf *out)
{
	buf_appendf(out, "dkim=%s", dkim_status_str(r->status));
	if (r->reason && *r->reason)
		authres_comment(out, r->reason);
	if (r->d && *r->d)
		dkim_format_value(out, "header.d", r->d, 0);
	if (r->i && *r->i)
		dkim_format_value(out, "header.i", r->i, 1);
	if (r->s && *r->s)
		dkim_format_value(out, "header.s", r->s, 0);
	if (r->a && *r->a)
		dkim_format_value(out, "header.a", r->a, 0);
	if (r->b && *r->b)
		dkim_format_value(out, "header.b", r->b, 0);
}
