/*
 * arc_seal - our ARC set (RFC 8617 section 5.1) for a message we
 * forward: ARC-Authentication-Results with our results, an
 * ARC-Message-Signature over the message (as a DKIM signature, relaxed/
 * relaxed, no ARC field in h=), and an ARC-Seal over every ARC set,
 * ours last, with the chain's cv=.  A chain that failed or was closed
 * gets no set from us (RFC 8617 allows adding one with cv=fail; it
 * would tell the next hop nothing it cannot see).
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "arc.h"
#include "arc_int.h"
#include "base64.h"
#include "buf.h"
#include "dkim.h"
#include "htable.h"
#include "params.h"
#include "util.h"

struct arc_seal {
	struct dkim_msg	 m;
	char		*set;		/* arc_sign_headers, lower case */
};

/* arc_seal_new - a sealing with d=domain s=selector and key */
struct arc_seal *
arc_seal_new(const char *domain, const char *selector,
    const struct dkim_privkey *key, time_t now, struct buf *why)
{
	struct arc_seal	*s = xcalloc(1, sizeof(*s));

	if (dkim_msg_init(&s->m, domain, selector, key, now, why) < 0) {
		free(s);
		return NULL;
	}
	s->set = lowercase(xstrdup(var_arc_sign_headers));
	return s;
}

/* arc_seal_update - more of the message */
void
arc_seal_update(struct arc_seal *s, const char *data, size_t len)
{
	dkim_msg_feed(&s->m, data, len);
}

/* arc_seal_pick - arc_signing_domain's signer: 0, 1 none (why) */
static int
arc_seal_pick(struct arc_seal *s, struct buf *why)
{
	const struct dkim_signer *signer = NULL;
	const char	*d;

	buf_reset(why);
	for (d = var_arc_signing_domain; d != NULL && strchr(d, '.') != NULL &&
	    signer == NULL && buf_len(why) == 0; d = strchr(d, '.') + 1)
		signer = dkim_signer_find(d, why);
	if (signer == NULL) {
		if (buf_len(why) == 0)
			buf_setf(why, "no DKIM key for arc_signing_domain "
			    "\"%s\"", var_arc_signing_domain);
		return 1;
	}
	dkim_msg_signer(&s->m, signer);
	return 0;
}

/*
 * arc_seal_results - our results after "i=N; authserv-id;", a resinfo a
 * line (a break after each ";" outside quotes and comments), line ends
 * that came with them made spaces
 */
static void
arc_seal_results(struct buf *out, const char *res)
{
	int	 quoted = 0, depth = 0, esc = 0;

	while (*res == ' ' || *res == '\t')
		res++;
	if (*res == 0)
		res = "none";
	for (; *res; res++) {
		if (*res == '\r' || *res == '\n') {
			buf_putc(out, ' ');
			continue;
		}
		buf_putc(out, *res);
		if (esc)
			esc = 0;
		else if (*res == '\\')
			esc = 1;
		else if (*res == '"' && depth == 0)
			quoted = !quoted;
		else if (*res == '(' && !quoted)
			depth++;
		else if (*res == ')' && !quoted && depth > 0)
			depth--;
		else if (*res == ';' && !quoted && depth == 0) {
			while (res[1] == ' ' || res[1] == '\t')
				res++;
			if (res[1] != 0)
				buf_puts(out, "\n\t");
		}
	}
	buf_putc(out, '\n');
}

/* arc_seal_start - the name and the tags that AMS and AS share */
static void
arc_seal_start(struct arc_seal *s, const char *name, int inst,
    struct buf *out, size_t *col)
{
	struct buf	*tok = buf_new(64, 0);

	*col = 0;
	dkim_fold(out, col, name, 0);
	buf_setf(tok, "i=%d;", inst);
	dkim_fold(out, col, buf_str(tok), ' ');
	dkim_fold(out, col, s->m.key->alg == DKIM_ALG_RSA_SHA256 ?
	    "a=rsa-sha256;" : "a=ed25519-sha256;", ' ');
	buf_setf(tok, "d=%s;", s->m.domain);
	dkim_fold(out, col, buf_str(tok), ' ');
	buf_setf(tok, "s=%s;", s->m.selector);
	dkim_fold(out, col, buf_str(tok), ' ');
	buf_setf(tok, "t=%lld;", (long long)s->m.now);
	dkim_fold(out, col, buf_str(tok), ' ');
	buf_free(&tok);
}

/* arc_seal_sign - sign the digest of md, append b= (folded) to text */
static int
arc_seal_sign(struct arc_seal *s, EVP_MD_CTX *md, struct buf *text,
    struct buf *why)
{
	unsigned char	 digest[DKIM_HASH_LEN];
	unsigned int	 dlen;
	struct buf	*sig = buf_new(512, 0);
	int		 ret = -1;

	if (EVP_DigestFinal_ex(md, digest, &dlen) != 1)
		buf_set(why, "hashing failed (OpenSSL)");
	else if (dkim_digest_sign(s->m.key->pkey, s->m.key->alg, digest, sig,
	    why) == 0) {
		dkim_fold_b64(text, sig);
		ret = 0;
	}
	buf_free(&sig);
	return ret;
}

/* arc_seal_names - h= of our AMS: the signing set without ARC fields */
static char **
arc_seal_names(struct arc_seal *s, size_t *n)
{
	char	**v = dkim_sign_names(&s->m.head, s->set, n);
	size_t	 i, k = 0;

	for (i = 0; i < *n; i++) {
		if (strncmp(v[i], "arc-", 4) == 0 ||
		    strcmp(v[i], "authentication-results") == 0)
			free(v[i]);
		else
			v[k++] = v[i];
	}
	*n = k;
	return v;
}

/* arc_seal_ams - the ARC-Message-Signature of instance inst into out */
static int
arc_seal_ams(struct arc_seal *s, int inst, struct buf *out, struct buf *why)
{
	unsigned char	 bh[DKIM_HASH_LEN];
	struct buf	*tok = buf_new(256, 0), *canon = buf_new(1024, 0);
	EVP_MD_CTX	*md = NULL;
	char		**names;
	size_t		 n, i, col;
	int		 ret = -1;

	names = arc_seal_names(s, &n);
	arc_seal_start(s, "ARC-Message-Signature:", inst, out, &col);
	dkim_fold(out, &col, "c=relaxed/relaxed;", ' ');
	for (i = 0; i < n; i++) {
		buf_setf(tok, "%s%s%s", i == 0 ? "h=" : "", names[i],
		    i + 1 < n ? ":" : ";");
		dkim_fold(out, &col, buf_str(tok), i == 0 ? ' ' : 0);
	}
	if (dkim_body_final(&s->m.body, bh) == 0) {
		buf_set(tok, "bh=");
		base64_encode(tok, bh, DKIM_HASH_LEN);
		buf_putc(tok, ';');
		dkim_fold(out, &col, buf_str(tok), ' ');
		dkim_fold(out, &col, "b=", ' ');
		if ((md = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
		    dkim_head_hash(&s->m.head, names, n, 1, md, canon) == 0 &&
		    arc_hash_field(md, buf_str(out), buf_len(out), 0,
		    canon) == 0)
			ret = arc_seal_sign(s, md, out, why);
	}
	if (ret < 0 && buf_len(why) == 0)
		buf_set(why, "hashing failed (OpenSSL)");
	EVP_MD_CTX_free(md);
	strv_free(names, (int)n);
	buf_free(&tok);
	buf_free(&canon);
	return ret;
}

/* arc_seal_as - the ARC-Seal of instance inst over the sets, ours last */
static int
arc_seal_as(struct arc_seal *s, const struct arc_set *sets, int inst,
    int cv, const struct buf *aar, const struct buf *ams, struct buf *out,
    struct buf *why)
{
	struct buf	*tok = buf_new(64, 0), *canon = buf_new(1024, 0);
	EVP_MD_CTX	*md;
	size_t		 col;
	int		 ret = -1;

	arc_seal_start(s, "ARC-Seal:", inst, out, &col);
	buf_setf(tok, "cv=%s;", arc_cv_str(cv));
	dkim_fold(out, &col, buf_str(tok), ' ');
	dkim_fold(out, &col, "b=", ' ');
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    arc_hash_sets(&s->m.head, sets, inst - 1, md, canon) == 0 &&
	    arc_hash_field(md, buf_str(aar), buf_len(aar) - 1, 1, canon) == 0 &&
	    arc_hash_field(md, buf_str(ams), buf_len(ams) - 1, 1, canon) == 0 &&
	    arc_hash_field(md, buf_str(out), buf_len(out), 0, canon) == 0)
		ret = arc_seal_sign(s, md, out, why);
	else
		buf_set(why, "hashing failed (OpenSSL)");
	EVP_MD_CTX_free(md);
	buf_free(&tok);
	buf_free(&canon);
	return ret;
}

/* arc_seal_final - our ARC set, appended to out */
int
arc_seal_final(struct arc_seal *s, const struct arc_result *chain,
    const char *authserv_id, const char *results, struct buf *out,
    struct buf *why)
{
	struct arc_set	*sets = NULL;
	struct buf	*aar, *ams, *as;
	int		 n, closed, inst, ret;

	buf_reset(why);
	if (buf_overflowed(s->m.head.text))
		return buf_set(why, "header section over "
		    "dkim_header_size_limit"), -1;
	if (chain->cv == ARC_FAIL || chain->sealed_fail)
		return buf_setf(why, "the ARC chain failed (%s): no set added",
		    chain->reason ? chain->reason : "?"), 1;
	dkim_head_split(&s->m.head);
	if (htable_find(s->m.head.names, "from") == NULL)
		return buf_set(why, "no From header field: no ARC set added"),
		    1;
	if (!dkim_sign_wanted(s->set, "from"))
		return buf_set(why, "arc_sign_headers does not name From"), -1;
	if (arc_sets_read(&s->m.head, &sets, &n, &closed, why) < 0 ||
	    n != chain->n) {
		free(sets);
		if (buf_len(why) == 0)
			buf_set(why, "the chain's result is not this "
			    "message's");
		return -1;
	}
	if ((inst = n + 1) > var_arc_instance_limit) {
		free(sets);
		return buf_setf(why, "the message has arc_instance_limit "
		    "(%lld) ARC sets: no set added", var_arc_instance_limit), 1;
	}
	if (s->m.key == NULL && arc_seal_pick(s, why) != 0) {
		free(sets);
		return 1;
	}
	if (authserv_id == NULL)
		authserv_id = var_arc_authserv_id;
	aar = buf_new(512, 0);
	ams = buf_new(1024, 0);
	as = buf_new(1024, 0);
	buf_setf(aar, "ARC-Authentication-Results: i=%d; %s;\n\t", inst,
	    authserv_id);
	arc_seal_results(aar, results ? results : "");
	ret = arc_seal_ams(s, inst, ams, why);
	if (ret == 0)
		ret = arc_seal_as(s, sets, inst, n == 0 ? ARC_NONE : ARC_PASS,
		    aar, ams, as, why);
	if (ret == 0) {
		buf_append(out, buf_str(as), buf_len(as));
		buf_append(out, buf_str(ams), buf_len(ams));
		buf_append(out, buf_str(aar), buf_len(aar));
	}
	free(sets);
	buf_free(&aar);
	buf_free(&ams);
	buf_free(&as);
	return ret;
}

/* arc_seal_free - let a sealing go */
void
arc_seal_free(struct arc_seal **sp)
{
	struct arc_seal	*s = *sp;

	if (s == NULL)
		return;
	dkim_msg_free(&s->m);
	free(s->set);
	free(s);
	*sp = NULL;
}
