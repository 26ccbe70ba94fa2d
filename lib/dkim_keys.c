/*
 * dkim_keys - private keys: read from PEM files, generated, written, and
 * their public half as a key record; the signing keys of the
 * dkim_signing_keys table (domain -> "selector:/path/key.pem"), loaded
 * once per process and kept.  The files are readable only by the signing
 * process, so a chrooted smtpd loads them all before its jail
 * (dkim_signers_load).
 */
#include <sys/stat.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base64.h"
#include "buf.h"
#include "dkim.h"
#include "dns.h"
#include "dkim_int.h"
#include "htable.h"
#include "maps.h"
#include "params.h"
#include "util.h"

#define DKIM_KEY_FILE_MAX	65536	/* a PEM private key file */

static struct htable *dkim_signers;	/* domain -> dkim_signer or NULL */
static int dkim_signers_all;		/* every entry is in dkim_signers */
static struct map *dkim_signers_map;

/* dkim_privkey_wrap - a private key of a type we sign with */
static struct dkim_privkey *
dkim_privkey_wrap(EVP_PKEY *pkey, struct buf *why)
{
	struct dkim_privkey *k;
	int		 alg;

	switch (EVP_PKEY_base_id(pkey)) {
	case EVP_PKEY_RSA:
		alg = DKIM_ALG_RSA_SHA256;
		break;
	case EVP_PKEY_ED25519:
		alg = DKIM_ALG_ED25519_SHA256;
		break;
	default:
		EVP_PKEY_free(pkey);
		buf_set(why, "not an RSA or Ed25519 key");
		return NULL;
	}
	k = xcalloc(1, sizeof(*k));
	k->pkey = pkey;
	k->alg = alg;
	return k;
}

/* dkim_privkey_load - a private key from a PEM file; NULL + why */
struct dkim_privkey *
dkim_privkey_load(const char *path, struct buf *why)
{
	struct buf	*pem;
	EVP_PKEY	*pkey;
	BIO		*bio;

	if ((pem = file_slurp(path, DKIM_KEY_FILE_MAX, why)) == NULL)
		return NULL;
	buf_secret(pem);
	bio = BIO_new_mem_buf(pem->data, (int)buf_len(pem));
	pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	buf_free(&pem);
	if (pkey == NULL) {
		buf_setf(why, "%s: not a PEM private key", path);
		return NULL;
	}
	return dkim_privkey_wrap(pkey, why);
}

/* dkim_privkey_generate - a new RSA key of bits, or Ed25519 */
struct dkim_privkey *
dkim_privkey_generate(int alg, int bits, struct buf *why)
{
	EVP_PKEY	*pkey;

	if (alg == DKIM_ALG_RSA_SHA256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL) {
		buf_set(why, "key generation failed (OpenSSL)");
		return NULL;
	}
	return dkim_privkey_wrap(pkey, why);
}

/* dkim_privkey_write - the key as PKCS #8 PEM in path, mode 0600 */
int
dkim_privkey_write(const struct dkim_privkey *k, const char *path,
    uid_t uid, gid_t gid, struct buf *why)
{
	struct buf	*pem = buf_new(4096, 0);
	BIO		*bio = BIO_new(BIO_s_mem());
	char		*data;
	long		 len;
	int		 ret = -1;

	buf_secret(pem);
	if (bio != NULL && PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL,
	    0, NULL, NULL) == 1 && (len = BIO_get_mem_data(bio, &data)) > 0) {
		buf_append(pem, data, (size_t)len);
		ret = file_replace(path, pem, 0600, uid, gid, why);
	} else
		buf_set(why, "cannot write the key as PEM (OpenSSL)");
	BIO_free(bio);
	buf_free(&pem);
	return ret;
}

/* dkim_privkey_alg - DKIM_ALG_* */
int
dkim_privkey_alg(const struct dkim_privkey *k)
{
	return k->alg;
}

/* dkim_privkey_bits - the key's size in bits */
int
dkim_privkey_bits(const struct dkim_privkey *k)
{
	return EVP_PKEY_get_bits(k->pkey);
}

/* dkim_privkey_record - "v=DKIM1; k=...; p=..." into out; 0 or -1 why */
int
dkim_privkey_record(const struct dkim_privkey *k, struct buf *out,
    struct buf *why)
{
	unsigned char	 raw[64], *der = NULL;
	size_t		 len = sizeof(raw);
	int		 n;

	if (k->alg == DKIM_ALG_ED25519_SHA256) {
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &len) != 1)
			return buf_set(why, "no public key (OpenSSL)"), -1;
		buf_puts(out, "v=DKIM1; k=ed25519; p=");
		base64_encode(out, raw, len);
		return 0;
	}
	if ((n = i2d_PUBKEY(k->pkey, &der)) <= 0)
		return buf_set(why, "no public key (OpenSSL)"), -1;
	buf_puts(out, "v=DKIM1; k=rsa; p=");
	base64_encode(out, der, (size_t)n);
	OPENSSL_free(der);
	return 0;
}

/* dkim_privkey_free - let a key go */
void
dkim_privkey_free(struct dkim_privkey **kp)
{
	if (*kp == NULL)
		return;
	EVP_PKEY_free((*kp)->pkey);
	free(*kp);
	*kp = NULL;
}

/* dkim_signer_parse - "selector:/absolute/path" into selector and path */
int
dkim_signer_parse(const char *value, struct buf *selector, struct buf *path,
    struct buf *why)
{
	const char	*colon = strchr(value, ':');

	buf_reset(selector);
	buf_reset(path);
	if (colon == NULL || colon[1] != '/') {
		buf_setf(why, "\"%s\" is not selector:/path/to/key.pem", value);
		return -1;
	}
	buf_append(selector, value, colon - value);
	buf_puts(path, colon + 1);
	if (!dns_name_ok(buf_str(selector))) {
		buf_setf(why, "bad selector \"%s\"", buf_str(selector));
		return -1;
	}
	return 0;
}

/* dkim_why_prefix - "what: name: why" in why */
static void
dkim_why_prefix(struct buf *why, const char *what, const char *name)
{
	char	*old = xstrdup(buf_str(why));

	buf_setf(why, "%s%s%s%s", what, name, *name ? ": " : "", old);
	free(old);
}

/* dkim_signer_free - an entry of the cache */
static void
dkim_signer_free(void *p)
{
	struct dkim_signer *s = p;

	if (s == NULL)
		return;
	free(s->domain);
	free(s->selector);
	free(s->path);
	dkim_privkey_free(&s->key);
	free(s);
}

/* dkim_signer_add - load a table entry's key and keep it; 0, -1 + why */
static int
dkim_signer_add(const char *domain, const char *value, void *arg,
    struct buf *why)
{
	struct buf	*sel = buf_new(64, 256), *path = buf_new(256, 4096);
	struct dkim_signer *s = NULL;
	struct dkim_privkey *key = NULL;
	struct htable_info *old;
	int		 ret = -1;

	if (dkim_signer_parse(value, sel, path, why) == 0 &&
	    (key = dkim_privkey_load(buf_str(path), why)) != NULL) {
		s = xcalloc(1, sizeof(*s));
		s->domain = lowercase(xstrdup(domain));
		s->selector = xstrdup(buf_str(sel));
		s->path = xstrdup(buf_str(path));
		s->key = key;
		ret = 0;
	} else
		dkim_why_prefix(why, "dkim_signing_keys: ", domain);
	if ((old = htable_locate(dkim_signers, s ? s->domain : domain))
	    != NULL) {
		dkim_signer_free(old->value);
		old->value = s;
	} else
		htable_enter(dkim_signers, s ? s->domain : domain, s);
	buf_free(&sel);
	buf_free(&path);
	(void)arg;
	return ret;
}

/* dkim_signers_open - the table, or NULL: none configured (why empty) or
 * an error; a hash: or texthash: table whose files do not exist is none */
static struct map *
dkim_signers_open(struct buf *why)
{
	const char	*spec = var_dkim_signing_keys, *colon;
	struct buf	*path;
	int		 exists;

	buf_reset(why);
	if (dkim_signers == NULL)
		dkim_signers = htable_create(16);
	if (dkim_signers_map != NULL)
		return dkim_signers_map;
	if (spec == NULL || *spec == 0)
		return NULL;
	if ((colon = strchr(spec, ':')) != NULL && strchr(spec, ',') == NULL) {
		path = buf_new(256, 0);
		buf_puts(path, colon + 1);
		exists = access(buf_str(path), F_OK) == 0;
		buf_puts(path, ".db");
		exists |= access(buf_str(path), F_OK) == 0;
		buf_free(&path);
		if (!exists)
			return NULL;
	}
	return dkim_signers_map = map_open(spec, 0, why);
}

/* What a walk of the table met: the first error, how many there were. */
struct dkim_walk {
	struct buf	*first;
	size_t		 errors;
};

/* dkim_signers_walk - one entry of the table; an error is noted, the
 * walk goes on (the domain then has no key) */
static int
dkim_signers_walk(const char *domain, const char *value, void *arg,
    struct buf *why)
{
	struct dkim_walk *w = arg;
	struct buf	*err = buf_new(256, 4096);

	if (dkim_signer_add(domain, value, NULL, err) < 0 &&
	    w->errors++ == 0)
		buf_set(w->first, buf_str(err));
	buf_free(&err);
	return 0;
}

/*
 * dkim_signers_load - every key of dkim_signing_keys, now; an entry whose
 * key cannot be loaded leaves its domain unsigned and makes the result -1
 * (why: the first such error and how many more), the others still load
 */
int
dkim_signers_load(struct buf *why)
{
	struct dkim_walk w;
	struct map	*map;

	if ((map = dkim_signers_open(why)) == NULL) {
		if (buf_len(why) > 0)
			return -1;
		/* No table (or not made yet): every entry, none, is in. */
		dkim_signers_all = 1;
		return 0;
	}
	w.first = why;
	w.errors = 0;
	if (map_walk(map, dkim_signers_walk, &w, why) < 0)
		return -1;
	dkim_signers_all = 1;
	if (w.errors > 1)
		buf_appendf(why, " (and %zu more)", w.errors - 1);
	return w.errors ? -1 : 0;
}

/* dkim_signer_find - the signing key of a domain (any case), or NULL */
const struct dkim_signer *
dkim_signer_find(const char *domain, struct buf *why)
{
	struct htable_info *hit;
	struct buf	*key = buf_new(256, 1024), *value;
	struct map	*map;
	struct dkim_signer *s = NULL;
	int		 found;

	buf_reset(why);
	buf_puts(key, domain);
	lowercase(key->data);
	if (dkim_signers != NULL &&
	    (hit = htable_locate(dkim_signers, buf_str(key))) != NULL) {
		buf_free(&key);
		return hit->value;
	}
	if (dkim_signers_all || (map = dkim_signers_open(why)) == NULL) {
		buf_free(&key);
		return NULL;
	}
	value = buf_new(256, 4096);
	if ((found = map_lookup(map, buf_str(key), value)) > 0 &&
	    dkim_signer_add(buf_str(key), buf_str(value), NULL, why) == 0)
		s = htable_find(dkim_signers, buf_str(key));
	else if (found < 0)
		dkim_why_prefix(why, "dkim_signing_keys: ", "");
	else if (found == 0)
		htable_enter(dkim_signers, buf_str(key), NULL);
	buf_free(&key);
	buf_free(&value);
	return s;
}

/*
 * dkim_signers_any - may mail be signed at all?  After dkim_signers_load:
 * did it find a key; before: is there a table to look in
 */
int
dkim_signers_any(void)
{
	if (dkim_signers_all)
		return dkim_signers != NULL && dkim_signers->used > 0;
	return *var_dkim_signing_keys != '\0';
}

/* dkim_signers_flush - forget every key (a reload) */
void
dkim_signers_flush(void)
{
	if (dkim_signers != NULL)
		htable_free(&dkim_signers, dkim_signer_free);
	map_close(&dkim_signers_map);
	dkim_signers_all = 0;
}
