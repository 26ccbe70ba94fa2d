/*
 * arc_verify - the validation of a message's Authenticated Received
 * Chain (RFC 8617 section 5.2): no ARC sets is "none"; a chain closed by
 * cv=fail, malformed sets, a last ARC-Message-Signature that does not
 * verify or any ARC-Seal that does not is "fail"; else "pass", with the
 * oldest instance from which every AMS still verifies (oldest-pass).
 * Every field comes from the sender's side: tags are parsed strictly by
 * lib/dkim, at most arc_instance_limit sets are read, and each key is
 * fetched through the caller's lookup.
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "arc.h"
#include "arc_int.h"
#include "authres.h"
#include "buf.h"
#include "dkim.h"
#include "dns.h"
#include "params.h"
#include "util.h"

/* An ARC-Message-Signature being checked. */
struct arc_ams {
	int		 alg;
	int		 hrelaxed;
	char		**h;
	size_t		 nh;
	struct buf	*bh;
	struct buf	*b;
	struct buf	*text;		/* the field, b= value left out */
	struct dkim_body body;
	int		 body_on;
	char		*bad;		/* why it cannot pass (NULL: may) */
};

struct arc_verify {
	time_t		 now;
	struct dkim_head head;
	int		 ready;
	struct arc_set	*sets;
	int		 n;
	int		 closed;	/* the last seal says cv=fail */
	struct buf	*broken;	/* why the chain fails as it stands */
	struct arc_ams	 ams[ARC_MAX];
	int		 temp;
};

/* arc_cv_str - a chain status in words */
const char *
arc_cv_str(int cv)
{
	return cv == ARC_PASS ? "pass" : cv == ARC_FAIL ? "fail" : "none";
}

/* arc_verify_new - a validation; now 0: the clock's */
struct arc_verify *
arc_verify_new(time_t now)
{
	struct arc_verify *v = xcalloc(1, sizeof(*v));

	v->now = now ? now : time(NULL);
	dkim_head_init(&v->head);
	v->broken = buf_new(128, 1024);
	return v;
}

/* arc_field_text - a field with the value of its b= tag left out */
static struct buf *
arc_field_text(const struct dkim_head *h, size_t k, const struct dkim_tag *b)
{
	const struct dkim_field *f = &h->f[k];
	const char	*text = buf_str(h->text) + f->off;
	const char	*val = memchr(text, ':', f->len) + 1;
	struct buf	*out = buf_new(f->len, 0);

	buf_append(out, text, (val - text) + b->raw_start);
	buf_append(out, val + b->raw_end, f->len - (val - text) - b->raw_end);
	return out;
}

/* arc_canon_word - "relaxed" 1, "simple" 0, else -1 */
static int
arc_canon_word(const char *s, size_t len)
{
	if (len == 7 && strncasecmp(s, "relaxed", 7) == 0)
		return 1;
	if (len == 6 && strncasecmp(s, "simple", 6) == 0)
		return 0;
	return -1;
}

/* arc_ams_canon - c= of an AMS: header relaxed?, body relaxed?; -1 bad */
static int
arc_ams_canon(const struct dkim_tag *c, int *hrel, int *brel)
{
	const char	*slash;
	size_t		 hlen;

	*hrel = *brel = 0;
	if (c == NULL)
		return 0;
	slash = memchr(c->val, '/', c->vlen);
	hlen = slash ? (size_t)(slash - c->val) : c->vlen;
	if ((*hrel = arc_canon_word(c->val, hlen)) < 0)
		return -1;
	if (slash != NULL && (*brel = arc_canon_word(slash + 1,
	    c->vlen - hlen - 1)) < 0)
		return -1;
	return 0;
}

/* arc_ams_parse - read the AMS of set i; its body hash begins */
static void
arc_ams_parse(struct arc_verify *v, int i)
{
	struct arc_ams	*a = &v->ams[i];
	const struct dkim_tags *t = &v->sets[i].ams;
	const struct dkim_tag *tag;
	static const char *const need[] = { "a", "b", "bh", "d", "h", "s",
	    NULL };
	long long	 l = -1;
	size_t		 k;
	int		 brel;

	for (k = 0; need[k] != NULL; k++)
		if (dkim_tags_get(t, need[k]) == NULL) {
			a->bad = xstrdup("a required tag (a b bh d h s) is "
			    "missing");
			return;
		}
	if ((a->alg = arc_alg(dkim_tags_get(t, "a"))) == 0) {
		a->bad = xstrdup("unknown algorithm a=");
		return;
	}
	if (arc_ams_canon(dkim_tags_get(t, "c"), &a->hrelaxed, &brel) < 0) {
		a->bad = xstrdup("unknown canonicalization c=");
		return;
	}
	if ((a->h = dkim_tag_list(dkim_tags_get(t, "h"), &a->nh)) == NULL) {
		a->bad = xstrdup("bad h=");
		return;
	}
	for (k = 0; k < a->nh; k++)
		if (strcasecmp(a->h[k], "arc-seal") == 0) {
			a->bad = xstrdup("h= signs ARC-Seal (RFC 8617 4.1.2)");
			return;
		}
	if (dkim_tag_b64(dkim_tags_get(t, "b"), &a->b) < 0 ||
	    dkim_tag_b64(dkim_tags_get(t, "bh"), &a->bh) < 0 ||
	    buf_len(a->bh) != DKIM_HASH_LEN) {
		a->bad = xstrdup("bad b= or bh=");
		return;
	}
	if ((tag = dkim_tags_get(t, "l")) != NULL && dkim_tag_num(tag, &l) < 0) {
		a->bad = xstrdup("bad l=");
		return;
	}
	a->text = arc_field_text(&v->head, v->sets[i].f[ARC_AMS],
	    dkim_tags_get(t, "b"));
	if (dkim_body_init(&a->body, brel, l) < 0) {
		a->bad = xstrdup("no SHA-256 (OpenSSL)");
		return;
	}
	a->body_on = 1;
}

/* arc_verify_ready - the header section is in: read the sets */
static void
arc_verify_ready(struct arc_verify *v)
{
	int	 i;

	v->ready = 1;
	if (buf_overflowed(v->head.text)) {
		buf_set(v->broken, "header section over dkim_header_size_limit");
		return;
	}
	dkim_head_split(&v->head);
	if (arc_sets_read(&v->head, &v->sets, &v->n, &v->closed,
	    v->broken) < 0)
		return;
	for (i = 0; i < v->n; i++)
		arc_ams_parse(v, i);
}

/* arc_verify_update - more of the message */
void
arc_verify_update(struct arc_verify *v, const char *data, size_t len)
{
	size_t	 took = 0;
	int	 i;

	if (!v->head.done) {
		took = dkim_head_feed(&v->head, data, len);
		if (!v->head.done)
			return;
	}
	if (!v->ready)
		arc_verify_ready(v);
	if (took == len || buf_len(v->broken) > 0)
		return;
	for (i = 0; i < v->n; i++)
		if (v->ams[i].body_on)
			dkim_body_feed(&v->ams[i].body, data + took,
			    len - took);
}

/*
 * arc_key_verify - does sig sign digest with the key of d= s= (tags t)
 * and algorithm alg?  1 yes; 0 no (why)
 */
static int
arc_key_verify(struct arc_verify *v, const struct dkim_tags *t, int alg,
    const unsigned char *digest, const struct buf *sig, dkim_lookup_fn fn,
    void *arg, struct buf *why)
{
	const struct dkim_tag *d = dkim_tags_get(t, "d");
	const struct dkim_tag *s = dkim_tags_get(t, "s");
	struct dkim_pubkey key;
	char		*dom, *sel;
	int		 st, good = 0;

	dom = xstrndup(d->val, d->vlen);
	sel = xstrndup(s->val, s->vlen);
	if (!dns_name_ok(dom) || !dns_name_ok(sel))
		buf_set(why, "bad d= or s=");
	else if ((st = dkim_key_fetch(fn, arg, dom, sel, alg, &key,
	    why)) != DKIM_KEY_OK) {
		if (st == DKIM_KEY_TEMP)
			v->temp = 1;
		if (buf_len(why) == 0)
			buf_set(why, "no key");
	} else {
		good = dkim_digest_verify(key.pkey, alg, digest,
		    (unsigned char *)sig->data, buf_len(sig));
		dkim_pubkey_free(&key);
		if (!good)
			buf_set(why, "signature did not verify");
	}
	free(dom);
	free(sel);
	return good;
}

/* arc_ams_check - does the AMS of set i verify?  1 yes, 0 no (why) */
static int
arc_ams_check(struct arc_verify *v, int i, dkim_lookup_fn fn, void *arg,
    struct buf *why)
{
	struct arc_ams	*a = &v->ams[i];
	unsigned char	 bh[DKIM_HASH_LEN], digest[DKIM_HASH_LEN];
	struct buf	*canon;
	EVP_MD_CTX	*md;
	unsigned int	 dlen;
	int		 ok = 0;

	if (a->bad != NULL)
		return buf_set(why, a->bad), 0;
	if (a->body_on) {
		a->body_on = 0;
		if (dkim_body_final(&a->body, bh) < 0 ||
		    memcmp(bh, a->bh->data, DKIM_HASH_LEN) != 0) {
			a->bad = xstrdup("body hash did not verify");
			return buf_set(why, a->bad), 0;
		}
	}
	canon = buf_new(1024, 0);
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    dkim_head_hash(&v->head, a->h, a->nh, a->hrelaxed, md,
	    canon) == 0) {
		buf_reset(canon);
		dkim_canon_header(a->hrelaxed, buf_str(a->text),
		    buf_len(a->text), canon);
		ok = EVP_DigestUpdate(md, canon->data, buf_len(canon)) == 1 &&
		    EVP_DigestFinal_ex(md, digest, &dlen) == 1;
	}
	EVP_MD_CTX_free(md);
	buf_free(&canon);
	if (!ok)
		return buf_set(why, "hashing failed (OpenSSL)"), 0;
	return arc_key_verify(v, &v->sets[i].ams, a->alg, digest, a->b, fn,
	    arg, why);
}

/* arc_as_check - does the ARC-Seal of set i verify?  1 yes, 0 no (why) */
static int
arc_as_check(struct arc_verify *v, int i, dkim_lookup_fn fn, void *arg,
    struct buf *why)
{
	const struct dkim_tags *t = &v->sets[i].as;
	const struct dkim_field *f;
	unsigned char	 digest[DKIM_HASH_LEN];
	struct buf	*canon, *text, *sig = NULL;
	EVP_MD_CTX	*md;
	unsigned int	 dlen;
	int		 alg, kind, ok = 0;

	if (dkim_tags_get(t, "b") == NULL || dkim_tags_get(t, "d") == NULL ||
	    dkim_tags_get(t, "s") == NULL)
		return buf_set(why, "a required tag (a b d s) is missing"), 0;
	if ((alg = arc_alg(dkim_tags_get(t, "a"))) == 0)
		return buf_set(why, "unknown algorithm a="), 0;
	if (dkim_tag_b64(dkim_tags_get(t, "b"), &sig) < 0) {
		buf_free(&sig);
		return buf_set(why, "bad b="), 0;
	}
	canon = buf_new(1024, 0);
	text = arc_field_text(&v->head, v->sets[i].f[ARC_AS],
	    dkim_tags_get(t, "b"));
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    arc_hash_sets(&v->head, v->sets, i, md, canon) == 0) {
		ok = 1;
		for (kind = ARC_AAR; kind <= ARC_AMS && ok; kind++) {
			f = &v->head.f[v->sets[i].f[kind]];
			ok = arc_hash_field(md, buf_str(v->head.text) + f->off,
			    f->len, 1, canon) == 0;
		}
		ok = ok && arc_hash_field(md, buf_str(text), buf_len(text), 0,
		    canon) == 0 && EVP_DigestFinal_ex(md, digest, &dlen) == 1;
	}
	EVP_MD_CTX_free(md);
	buf_free(&canon);
	buf_free(&text);
	if (ok)
		ok = arc_key_verify(v, t, alg, digest, sig, fn, arg, why);
	else
		buf_set(why, "hashing failed (OpenSSL)");
	buf_free(&sig);
	return ok;
}

/* arc_tag_str - a tag's value as a new string ("" when absent) */
static char *
arc_tag_str(const struct dkim_tags *t, const char *name)
{
	const struct dkim_tag *tag = dkim_tags_get(t, name);

	return tag ? xstrndup(tag->val, tag->vlen) : xstrdup("");
}

/* arc_verify_chain - the steps of RFC 8617 5.2 once the sets are sound */
static int
arc_verify_chain(struct arc_verify *v, dkim_lookup_fn fn, void *arg,
    struct arc_result *r, struct buf *why)
{
	struct buf	*tmp = buf_new(128, 1024);
	int		 i;

	r->d = arc_tag_str(&v->sets[v->n - 1].ams, "d");
	r->s = arc_tag_str(&v->sets[v->n - 1].ams, "s");
	if (!arc_ams_check(v, v->n - 1, fn, arg, tmp)) {
		buf_setf(why, "ARC-Message-Signature i=%d: %s", v->n,
		    buf_str(tmp));
		buf_free(&tmp);
		return ARC_FAIL;
	}
	/* The seals before the older signatures (RFC 8617 5.2 steps 5
	 * and 6 in the other order, the same result): a forged chain
	 * fails before it costs a lookup per instance. */
	for (i = v->n - 1; i >= 0; i--)
		if (!arc_as_check(v, i, fn, arg, tmp)) {
			buf_setf(why, "ARC-Seal i=%d: %s", i + 1,
			    buf_str(tmp));
			buf_free(&tmp);
			return ARC_FAIL;
		}
	r->oldest_pass = v->n;
	for (i = v->n - 2; i >= 0 && arc_ams_check(v, i, fn, arg, tmp); i--)
		r->oldest_pass = i + 1;
	if (r->oldest_pass == 1)
		r->oldest_pass = 0;
	buf_setf(why, "%d ARC set%s verified", v->n, v->n > 1 ? "s" : "");
	buf_free(&tmp);
	return ARC_PASS;
}

/* arc_verify_final - validate the chain, the result into *r */
int
arc_verify_final(struct arc_verify *v, dkim_lookup_fn fn, void *arg,
    struct arc_result *r)
{
	struct buf	*why = buf_new(128, 1024);

	if (!v->ready)
		arc_verify_ready(v);
	memset(r, 0, sizeof(*r));
	r->n = v->n;
	r->sealed_fail = v->closed;
	if (buf_len(v->broken) > 0) {
		r->cv = ARC_FAIL;
		buf_set(why, buf_str(v->broken));
	} else if (v->n == 0) {
		r->cv = ARC_NONE;
		buf_set(why, "no ARC sets");
	} else
		r->cv = arc_verify_chain(v, fn, arg, r, why);
	if (r->cv != ARC_PASS)
		r->oldest_pass = 0;
	r->temp = r->cv == ARC_FAIL && v->temp;
	r->reason = xstrdup(buf_str(why));
	if (r->d == NULL)
		r->d = xstrdup("");
	if (r->s == NULL)
		r->s = xstrdup("");
	buf_free(&why);
	return r->cv;
}

/* arc_verify_free - let a validation go */
void
arc_verify_free(struct arc_verify **vp)
{
	struct arc_verify *v = *vp;
	struct arc_ams	*a;
	int		 i;

	if (v == NULL)
		return;
	for (i = 0; i < ARC_MAX; i++) {
		a = &v->ams[i];
		if (a->h != NULL)
			strv_free(a->h, (int)a->nh);
		buf_free(&a->bh);
		buf_free(&a->b);
		buf_free(&a->text);
		dkim_body_free(&a->body);
		free(a->bad);
	}
	free(v->sets);
	buf_free(&v->broken);
	dkim_head_free(&v->head);
	free(v);
	*vp = NULL;
}

/* arc_result_free - the strings of a result */
void
arc_result_free(struct arc_result *r)
{
	free(r->reason);
	free(r->d);
	free(r->s);
	memset(r, 0, sizeof(*r));
}

/* arc_result_format - "arc=pass (reason) header.oldest-pass=N
 * smtp.remote-ip=IP" appended to out */
void
arc_result_format(const struct arc_result *r, const char *ip,
    struct buf *out)
{
	buf_appendf(out, "arc=%s", arc_cv_str(r->cv));
	if (r->reason != NULL && *r->reason)
		authres_comment(out, r->reason);
	if (r->cv == ARC_PASS)
		buf_appendf(out, " header.oldest-pass=%d", r->oldest_pass);
	if (ip != NULL && *ip && strspn(ip, "0123456789abcdefABCDEF.:") ==
	    strlen(ip))
		buf_appendf(out, " smtp.remote-ip=%s", ip);
}
