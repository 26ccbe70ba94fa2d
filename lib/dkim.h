/*
 * dkim - DomainKeys Identified Mail (RFC 6376) with rsa-sha256 and
 * ed25519-sha256 (RFC 8463), through OpenSSL's EVP.  A message is fed in
 * the queue's form, in chunks of any size: LF line ends (a CR before an LF
 * is taken as part of the line end), not dot-stuffed; it is canonicalized
 * as if its lines ended in CRLF.
 *
 *	dkim_canon.c	the header section, header and body canonicalization
 *	dkim_tag.c	tag lists (RFC 6376 3.2), key records (3.6.1)
 *	dkim_sign.c	signing: the DKIM-Signature header to prepend
 *	dkim_verify.c	verifying every signature, results, RFC 8601 text
 *	dkim_dns.c	the key lookup: TXT at SELECTOR._domainkey.DOMAIN
 *	dkim_keys.c	private keys: files, dkim_signing_keys, generation
 *
 * Limits come from parameters (params.h, block "DKIM"):
 * dkim_header_size_limit bounds the header section kept (signing fails
 * past it, verification says permerror), dkim_verify_signature_limit the
 * signatures checked (the others get DKIM_POLICY), dkim_rsa_min_bits and
 * dkim_rsa_max_bits the RSA keys accepted.
 */
#ifndef CARTERO_DKIM_H
#define CARTERO_DKIM_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

struct buf;
struct dkim_sign;
struct dkim_verify;
struct dkim_privkey;

/* Signature algorithms. */
#define DKIM_ALG_RSA_SHA256	1
#define DKIM_ALG_ED25519_SHA256	2

/* What became of one signature (RFC 8601 section 2.7.1 words). */
#define DKIM_PASS	0
#define DKIM_FAIL	1	/* body hash or signature does not match */
#define DKIM_NEUTRAL	2	/* the key is in testing (t=y) and failed */
#define DKIM_TEMPERROR	3	/* the key could not be looked up now */
#define DKIM_PERMERROR	4	/* malformed, unusable key, expired... */
#define DKIM_POLICY	5	/* not checked: past the signature limit */

/* The default h= set of signing (names separated by ":", "," or " ";
 * "list-*": every List- field), as dkim_sign_headers's default. */
#define DKIM_SIGN_HEADERS "from:to:cc:subject:date:message-id:reply-to:" \
	"in-reply-to:references:mime-version:content-type:" \
	"content-transfer-encoding:list-*"

/* One signature's outcome. */
struct dkim_result {
	int		 status;	/* DKIM_PASS ... */
	char		*d;		/* d=, s=, i=, a= as given ("" none) */
	char		*s;
	char		*i;
	char		*a;
	char		*b;		/* the first 8 letters of b= */
	long long	 l;		/* l= (-1: none): body bytes signed */
	int		 testing;	/* the key says t=y */
	char		*reason;	/* in words, for humans and logs */
};

/*
 * The key lookup: the TXT record (strings joined) of selector._domainkey.
 * domain into txt; DKIM_KEY_OK, DKIM_KEY_NONE (no such record: permerror)
 * or DKIM_KEY_TEMP (try later: temperror), why set on failure.
 */
#define DKIM_KEY_OK	0
#define DKIM_KEY_NONE	1
#define DKIM_KEY_TEMP	2
typedef int (*dkim_lookup_fn)(const char *, const char *, struct buf *,
    struct buf *, void *);

/*
 * dkim_sign.c: new(domain, selector, key, h= set (NULL: the default),
 * now (0: time(NULL)), seconds to x= (0: no x=), why); NULL + why for a
 * bad domain or selector.  domain, selector and key NULL: the key is
 * chosen at final by the From address's domain from dkim_signing_keys
 * (dkim_signer_find: the domain, else its nearest parent that has a key).
 */
struct dkim_sign *dkim_sign_new(const char *, const char *,
		    const struct dkim_privkey *, const char *, time_t,
		    long long, struct buf *);
void		 dkim_sign_update(struct dkim_sign *, const char *, size_t);
/* The folded "DKIM-Signature: ...\n" header appended to out: 0; 1 when
 * there is no key for the From domain (why says so: send it unsigned);
 * -1 with why (no From field, header section over the limit, crypto). */
int		 dkim_sign_final(struct dkim_sign *, struct buf *, struct buf *);
void		 dkim_sign_free(struct dkim_sign **);

/* dkim_verify.c: new(now, 0: time(NULL)), update, final; final returns
 * how many results *res holds (0: the message has no signature). */
struct dkim_verify *dkim_verify_new(time_t);
void		 dkim_verify_update(struct dkim_verify *, const char *,
		    size_t);
size_t		 dkim_verify_final(struct dkim_verify *, dkim_lookup_fn,
		    void *, struct dkim_result **);
void		 dkim_verify_free(struct dkim_verify **);
void		 dkim_results_free(struct dkim_result **, size_t);
const char	*dkim_status_str(int);		/* "pass" ... */
/* RFC 8601's resinfo: "dkim=pass (reason) header.d=... header.i=...
 * header.s=... header.a=... header.b=..." appended to out. */
void		 dkim_result_format(const struct dkim_result *, struct buf *);

/* dkim_tag.c: a name we would look up (domain, selector)? 1 yes. */

/* dkim_dns.c: the lookup through lib/dns.c (arg: unused). */
int		 dkim_dns_lookup(const char *, const char *, struct buf *,
		    struct buf *, void *);

/* dkim_keys.c: private keys. */
struct dkim_privkey *dkim_privkey_load(const char *, struct buf *);
/* A new key: DKIM_ALG_*, RSA bits. */
struct dkim_privkey *dkim_privkey_generate(int, int, struct buf *);
/* Write a key as PEM (PKCS #8) to path, mode 0600, owner uid ((uid_t)-1:
 * ours), atomically. */
int		 dkim_privkey_write(const struct dkim_privkey *, const char *,
		    uid_t, gid_t, struct buf *);
int		 dkim_privkey_alg(const struct dkim_privkey *);
int		 dkim_privkey_bits(const struct dkim_privkey *);
/* The key record "v=DKIM1; k=rsa; p=..." of a private key's public half. */
int		 dkim_privkey_record(const struct dkim_privkey *, struct buf *,
		    struct buf *);
void		 dkim_privkey_free(struct dkim_privkey **);

/* A signing key of dkim_signing_keys: domain -> "selector:/path.pem". */
struct dkim_signer {
	char			*domain;	/* lower case */
	char			*selector;
	char			*path;
	struct dkim_privkey	*key;
};
/* Parse a table value "selector:/absolute/path.pem": 0 or -1 + why. */
int		 dkim_signer_parse(const char *, struct buf *, struct buf *,
		    struct buf *);
/* Load every key of dkim_signing_keys now (before a chroot): 0, or -1
 * with why when the table cannot be read or some key cannot be loaded
 * (those domains are then not signed; the others are). */
int		 dkim_signers_load(struct buf *);
/* The signer for a From domain (cached; loaded on the first use unless
 * dkim_signers_load ran), NULL when none (why empty) or on an error. */
const struct dkim_signer *dkim_signer_find(const char *, struct buf *);
/* Any key to sign with (after dkim_signers_load: did it load one)? */
int		 dkim_signers_any(void);
void		 dkim_signers_flush(void);

#endif
