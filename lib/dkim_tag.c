/*
 * dkim_tag - tag lists (RFC 6376 section 3.2), strictly: a tag name is a
 * letter then letters, digits and "_"; a value is printable US-ASCII but
 * ";" with folding white space only between its parts; a tag given twice
 * is an error.  Also the key record of section 3.6.1 with RFC 8463's
 * ed25519 keys, and the checks of names we build DNS names from.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base64.h"
#include "buf.h"
#include "dkim.h"
#include "dkim_int.h"
#include "params.h"
#include "util.h"

/* Folding white space, the line ends of a folded field included. */
#define IS_FWS(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* dkim_tags_parse - a tag list into t; 0, or -1 with why */
int
dkim_tags_parse(const char *s, size_t len, struct dkim_tags *t,
    struct buf *why)
{
	struct dkim_tag	*tag;
	size_t		 at = 0, start, end, i;

	t->n = 0;
	for (;;) {
		while (at < len && IS_FWS(s[at]))
			at++;
		if (at == len)			/* after a last ";" */
			break;
		if (t->n == DKIM_TAGS_MAX) {
			buf_setf(why, "more than %d tags", DKIM_TAGS_MAX);
			return -1;
		}
		tag = &t->t[t->n];
		start = at;
		if (!isalpha((unsigned char)s[at])) {
			buf_setf(why, "bad tag name at offset %zu", at);
			return -1;
		}
		while (at < len && (isalnum((unsigned char)s[at]) ||
		    s[at] == '_'))
			at++;
		if (at - start >= sizeof(tag->name)) {
			buf_setf(why, "tag name too long at offset %zu", start);
			return -1;
		}
		memcpy(tag->name, s + start, at - start);
		tag->name[at - start] = 0;
		while (at < len && IS_FWS(s[at]))
			at++;
		if (at == len || s[at] != '=') {
			buf_setf(why, "tag %s has no \"=\"", tag->name);
			return -1;
		}
		tag->raw_start = ++at;
		while (at < len && s[at] != ';')
			at++;
		tag->raw_end = at;
		start = tag->raw_start;
		end = at;
		while (start < end && IS_FWS(s[start]))
			start++;
		while (end > start && IS_FWS(s[end - 1]))
			end--;
		for (i = start; i < end; i++) {
			if (IS_FWS(s[i]))
				continue;
			if ((unsigned char)s[i] < 0x21 ||
			    (unsigned char)s[i] > 0x7e) {
				buf_setf(why, "tag %s: a byte that is not "
				    "printable US-ASCII", tag->name);
				return -1;
			}
		}
		tag->val = s + start;
		tag->vlen = end - start;
		for (i = 0; i < t->n; i++)
			if (strcmp(t->t[i].name, tag->name) == 0) {
				buf_setf(why, "tag %s given twice", tag->name);
				return -1;
			}
		t->n++;
		if (at == len)
			break;
		at++;				/* the ";" */
	}
	return 0;
}

/* dkim_tags_get - the tag of that name, or NULL */
const struct dkim_tag *
dkim_tags_get(const struct dkim_tags *t, const char *name)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->t[i].name, name) == 0)
			return &t->t[i];
	return NULL;
}

/* dkim_tag_compact - a value without its white space (base64) into out */
void
dkim_tag_compact(const struct dkim_tag *tag, struct buf *out)
{
	size_t	 i;

	buf_reset(out);
	for (i = 0; i < tag->vlen; i++)
		if (!IS_FWS(tag->val[i]))
			buf_putc(out, tag->val[i]);
}

/*
 * dkim_tag_list - a colon-separated value as a new array of new strings
 * (white space around the colons dropped), *n set; NULL when an element
 * is empty
 */
char **
dkim_tag_list(const struct dkim_tag *tag, size_t *n)
{
	char	**v;
	size_t	 i, start = 0, end, k = 0, count = 1;

	for (i = 0; i < tag->vlen; i++)
		if (tag->val[i] == ':')
			count++;
	v = xcalloc(count + 1, sizeof(*v));
	for (i = 0; i <= tag->vlen; i++) {
		if (i < tag->vlen && tag->val[i] != ':')
			continue;
		end = i;
		while (start < end && IS_FWS(tag->val[start]))
			start++;
		while (end > start && IS_FWS(tag->val[end - 1]))
			end--;
		if (start == end) {
			strv_free(v, (int)k);
			return NULL;
		}
		v[k++] = xstrndup(tag->val + start, end - start);
		start = i + 1;
	}
	*n = k;
	return v;
}

/* dkim_list_has - is word (any case) one of a colon list's elements? */
int
dkim_list_has(const struct dkim_tag *tag, const char *word)
{
	char	**v;
	size_t	 n, i;
	int	 found = 0;

	if ((v = dkim_tag_list(tag, &n)) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], word) == 0)
			found = 1;
	strv_free(v, (int)n);
	return found;
}

/* dkim_value_is - is a tag's value exactly word (any case)? */
static int
dkim_value_is(const struct dkim_tag *tag, const char *word)
{
	return tag->vlen == strlen(word) &&
	    strncasecmp(tag->val, word, tag->vlen) == 0;
}

/* dkim_key_rsa - an RSA public key from p= (SubjectPublicKeyInfo, or the
 * bare RSAPublicKey some publish), its size checked */
static EVP_PKEY *
dkim_key_rsa(const unsigned char *der, size_t len, struct buf *why)
{
	const unsigned char *p = der;
	EVP_PKEY	*pkey;
	int		 bits;

	if ((pkey = d2i_PUBKEY(NULL, &p, (long)len)) == NULL) {
		p = der;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	}
	if (pkey == NULL || EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		buf_set(why, "p= is not an RSA public key");
		return NULL;
	}
	bits = EVP_PKEY_get_bits(pkey);
	if (bits < var_dkim_rsa_min_bits || bits > var_dkim_rsa_max_bits) {
		buf_setf(why, "RSA key of %d bits (accepted: %lld to %lld)",
		    bits, var_dkim_rsa_min_bits, var_dkim_rsa_max_bits);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/*
 * dkim_key_parse - a key record into k; 0, or -1 with why (and *revoked
 * set for an empty p=): v=DKIM1 first if given, h= must allow sha256,
 * s= must allow email, k= rsa (the default) or ed25519
 */
int
dkim_key_parse(const char *txt, size_t len, struct dkim_pubkey *k,
    int *revoked, struct buf *why)
{
	struct dkim_tags tags;
	const struct dkim_tag *tag;
	struct buf	*b64, *der;
	int		 ret = -1;

	memset(k, 0, sizeof(*k));
	*revoked = 0;
	if (dkim_tags_parse(txt, len, &tags, why) < 0)
		return -1;
	if ((tag = dkim_tags_get(&tags, "v")) != NULL &&
	    (tag != &tags.t[0] || !dkim_value_is(tag, "DKIM1")))
		return buf_set(why, "v= is not DKIM1 or not first"), -1;
	if ((tag = dkim_tags_get(&tags, "h")) != NULL &&
	    !dkim_list_has(tag, "sha256"))
		return buf_set(why, "the key's h= does not allow sha256"), -1;
	if ((tag = dkim_tags_get(&tags, "s")) != NULL &&
	    !dkim_list_has(tag, "*") && !dkim_list_has(tag, "email"))
		return buf_set(why, "the key is not for email (s=)"), -1;
	if ((tag = dkim_tags_get(&tags, "t")) != NULL) {
		k->testing = dkim_list_has(tag, "y");
		k->strict = dkim_list_has(tag, "s");
	}
	k->alg = DKIM_ALG_RSA_SHA256;
	if ((tag = dkim_tags_get(&tags, "k")) != NULL) {
		if (dkim_value_is(tag, "ed25519"))
			k->alg = DKIM_ALG_ED25519_SHA256;
		else if (!dkim_value_is(tag, "rsa"))
			return buf_set(why, "unknown key type k="), -1;
	}
	if ((tag = dkim_tags_get(&tags, "p")) == NULL)
		return buf_set(why, "the key record has no p="), -1;
	b64 = buf_new(512, DKIM_TXT_MAX);
	der = buf_new(512, DKIM_TXT_MAX);
	dkim_tag_compact(tag, b64);
	if (buf_len(b64) == 0) {
		*revoked = 1;
		buf_set(why, "the key is revoked (empty p=)");
	} else if (base64_decode(der, buf_str(b64), buf_len(b64)) < 0)
		buf_set(why, "p= is not base64");
	else if (k->alg == DKIM_ALG_RSA_SHA256)
		ret = (k->pkey = dkim_key_rsa((unsigned char *)der->data,
		    buf_len(der), why)) ? 0 : -1;
	else if (buf_len(der) != 32)
		buf_set(why, "an ed25519 p= is not 32 bytes");
	else if ((k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
	    NULL, (unsigned char *)der->data, 32)) == NULL)
		buf_set(why, "p= is not an ed25519 key");
	else
		ret = 0;
	buf_free(&b64);
	buf_free(&der);
	return ret;
}

/* dkim_pubkey_free - let a public key go */
void
dkim_pubkey_free(struct dkim_pubkey *k)
{
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
}
