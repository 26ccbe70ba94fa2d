/*
 * arc_set - the ARC sets of a header section (RFC 8617 section 4): each
 * ARC-Authentication-Results, ARC-Message-Signature and ARC-Seal field
 * read for its instance i=, the sets checked for structure (instances
 * 1..N with one field of each kind, N at most arc_instance_limit, cv=none
 * at 1 and pass above); and the hash of ARC fields as the ARC-Seal signs
 * them (relaxed, in instance order, AAR then AMS then AS).  The fields
 * come from anyone: a number is at most two digits, a repeated or
 * missing member fails the chain, and the count of ARC fields is bounded
 * before anything is kept for them.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/evp.h>

#include "arc.h"
#include "arc_int.h"
#include "buf.h"
#include "dkim.h"
#include "params.h"
#include "util.h"

static const char *const arc_names[3] = {
	"arc-authentication-results", "arc-message-signature", "arc-seal",
};

/* arc_alg - a= of an AMS or AS: DKIM_ALG_*, 0 unknown */
int
arc_alg(const struct dkim_tag *a)
{
	if (a == NULL)
		return 0;
	if (a->vlen == 10 && strncasecmp(a->val, "rsa-sha256", 10) == 0)
		return DKIM_ALG_RSA_SHA256;
	if (a->vlen == 14 && strncasecmp(a->val, "ed25519-sha256", 14) == 0)
		return DKIM_ALG_ED25519_SHA256;
	return 0;
}

/* arc_instance_num - an instance number, 1..ARC_MAX; -1: not one */
static int
arc_instance_num(const char *s, size_t len)
{
	int	 n = 0;
	size_t	 i;

	if (len == 0 || len > 2 || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n <= ARC_MAX ? n : -1;
}

/* arc_aar_instance - "i=N;" that opens an ARC-Authentication-Results */
static int
arc_aar_instance(const char *v, size_t len)
{
	size_t	 at = 0, start;

	while (at < len && isspace((unsigned char)v[at]))
		at++;
	if (at == len || v[at++] != 'i')
		return -1;
	while (at < len && isspace((unsigned char)v[at]))
		at++;
	if (at == len || v[at++] != '=')
		return -1;
	while (at < len && isspace((unsigned char)v[at]))
		at++;
	start = at;
	while (at < len && isdigit((unsigned char)v[at]))
		at++;
	if (memchr(v + at, ';', len - at) == NULL)
		return -1;
	return arc_instance_num(v + start, at - start);
}

/* arc_cv - the cv= of an ARC-Seal: ARC_NONE..., -1 unknown or missing */
static int
arc_cv(const struct dkim_tags *t)
{
	const struct dkim_tag *cv = dkim_tags_get(t, "cv");

	if (cv == NULL)
		return -1;
	if (cv->vlen == 4 && strncasecmp(cv->val, "none", 4) == 0)
		return ARC_NONE;
	if (cv->vlen == 4 && strncasecmp(cv->val, "pass", 4) == 0)
		return ARC_PASS;
	if (cv->vlen == 4 && strncasecmp(cv->val, "fail", 4) == 0)
		return ARC_FAIL;
	return -1;
}

/*
 * arc_set_field - field k of the head, of kind `kind`, into its set:
 * 0, or -1 with why
 */
static int
arc_set_field(struct dkim_head *h, size_t k, int kind, struct arc_set *sets,
    int *n, struct buf *why)
{
	const struct dkim_field *f = &h->f[k];
	const char	*text = buf_str(h->text) + f->off;
	const char	*val = memchr(text, ':', f->len) + 1;
	size_t		 vlen = f->len - (val - text);
	struct dkim_tags tags, *keep;
	const struct dkim_tag *i;
	int		 inst;

	if (kind == ARC_AAR)
		inst = arc_aar_instance(val, vlen);
	else {
		if (dkim_tags_parse(val, vlen, &tags, why) < 0)
			return -1;
		inst = (i = dkim_tags_get(&tags, "i")) == NULL ? -1 :
		    arc_instance_num(i->val, i->vlen);
	}
	if (inst < 0 || inst > var_arc_instance_limit)
		return buf_setf(why, "an ARC field with a bad instance i= "
		    "(1 to %lld)", var_arc_instance_limit), -1;
	if (sets[inst - 1].f[kind] != ARC_ABSENT)
		return buf_setf(why, "two ARC fields of one kind with i=%d",
		    inst), -1;
	sets[inst - 1].f[kind] = k;
	if (kind != ARC_AAR) {
		keep = kind == ARC_AMS ? &sets[inst - 1].ams :
		    &sets[inst - 1].as;
		*keep = tags;
	}
	if (inst > *n)
		*n = inst;
	return 0;
}

/*
 * arc_sets_read - the ARC sets of a split header section into *sets
 * (instance i at [i - 1]; free it), their count in *n, whether the last
 * seal closed the chain (cv=fail) in *closed: 0, or -1 with why when
 * the sets are malformed (the chain then fails)
 */
int
arc_sets_read(struct dkim_head *h, struct arc_set **setsp, int *n,
    int *closed, struct buf *why)
{
	struct arc_set	*sets;
	size_t		 k, count = 0;
	int		 i, kind;

	*n = 0;
	*closed = 0;
	sets = *setsp = xcalloc(ARC_MAX, sizeof(*sets));
	for (i = 0; i < ARC_MAX; i++)
		sets[i].f[0] = sets[i].f[1] = sets[i].f[2] = ARC_ABSENT;
	for (k = 0; k < h->n; k++)
		for (kind = 0; kind < 3; kind++) {
			if (!dkim_head_is(h, k, arc_names[kind]))
				continue;
			if (++count > 3 * (size_t)var_arc_instance_limit)
				return buf_setf(why, "more than %lld ARC "
				    "sets", var_arc_instance_limit), -1;
			if (arc_set_field(h, k, kind, sets, n, why) < 0)
				return -1;
		}
	if (*n == 0)
		return 0;
	sets[*n - 1].cv = arc_cv(&sets[*n - 1].as);
	if (sets[*n - 1].f[ARC_AS] != ARC_ABSENT &&
	    sets[*n - 1].cv == ARC_FAIL) {
		*closed = 1;
		return buf_setf(why, "ARC-Seal i=%d says cv=fail: the chain "
		    "was closed", *n), -1;
	}
	for (i = 0; i < *n; i++) {
		if (sets[i].f[ARC_AAR] == ARC_ABSENT ||
		    sets[i].f[ARC_AMS] == ARC_ABSENT ||
		    sets[i].f[ARC_AS] == ARC_ABSENT)
			return buf_setf(why, "ARC set i=%d is incomplete",
			    i + 1), -1;
		sets[i].cv = arc_cv(&sets[i].as);
		if (i == 0 && sets[i].cv != ARC_NONE)
			return buf_set(why, "ARC-Seal i=1 does not say "
			    "cv=none"), -1;
		if (i > 0 && sets[i].cv != ARC_PASS)
			return buf_setf(why, "ARC-Seal i=%d does not say "
			    "cv=pass", i + 1), -1;
		if (dkim_tags_get(&sets[i].as, "h") != NULL)
			return buf_setf(why, "ARC-Seal i=%d has h=", i + 1),
			    -1;
	}
	return 0;
}

/*
 * arc_hash_field - hash a whole field (name, colon, value; len bytes)
 * relaxed, followed by CRLF when crlf: 0, or -1
 */
int
arc_hash_field(EVP_MD_CTX *md, const char *text, size_t len, int crlf,
    struct buf *scratch)
{
	buf_reset(scratch);
	dkim_canon_header(1, text, len, scratch);
	if (crlf)
		buf_append(scratch, "\r\n", 2);
	return EVP_DigestUpdate(md, scratch->data, buf_len(scratch)) == 1 ?
	    0 : -1;
}

/* arc_hash_sets - the first count sets, whole, as an ARC-Seal signs them */
int
arc_hash_sets(struct dkim_head *h, const struct arc_set *sets, int count,
    EVP_MD_CTX *md, struct buf *scratch)
{
	const struct dkim_field *f;
	int		 i, kind;

	for (i = 0; i < count; i++)
		for (kind = 0; kind < 3; kind++) {
			f = &h->f[sets[i].f[kind]];
			if (arc_hash_field(md, buf_str(h->text) + f->off,
			    f->len, 1, scratch) < 0)
				return -1;
		}
	return 0;
}
