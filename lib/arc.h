/*
 * arc - the Authenticated Received Chain (RFC 8617): checking the ARC
 * sets a message brings, and sealing it with ours when we forward it.
 * A message is fed as lib/dkim takes it: the queue's form (LF line ends),
 * in chunks of any size.  Keys and canonicalization are lib/dkim's: the
 * ARC-Message-Signature is checked like a DKIM signature (but with no h=
 * of ARC fields), each ARC-Seal over the ARC fields in instance order,
 * relaxed (RFC 8617 5.1.1).
 *
 *	arc_set.c	finding the ARC sets of a header section, structure
 *	arc_verify.c	the chain's validation, results, RFC 8601 resinfo
 *	arc_seal.c	the three fields of our ARC set
 *
 * Limits (params.h, block "ARC and SRS"): arc_instance_limit (at most 50
 * sets); the header section is bounded by dkim_header_size_limit.
 */
#ifndef CARTERO_ARC_H
#define CARTERO_ARC_H

#include <stddef.h>
#include <time.h>

#include "dkim.h"

struct buf;
struct arc_verify;
struct arc_seal;

/* Chain validation status (cv=; RFC 8601's arc= result). */
#define ARC_NONE	0
#define ARC_PASS	1
#define ARC_FAIL	2

/* What a chain came to. */
struct arc_result {
	int		 cv;		/* ARC_NONE, ARC_PASS, ARC_FAIL */
	int		 n;		/* the highest instance (0: none) */
	int		 oldest_pass;	/* lowest instance whose AMS and every
					 * later one verify; 0 when all do */
	int		 temp;		/* a key lookup failed for now: the
					 * fail may go away later */
	int		 sealed_fail;	/* the last ARC-Seal says cv=fail: the
					 * chain is closed, add no set */
	char		*reason;	/* in words, for humans and logs */
	char		*d;		/* the last AMS's d= and s= ("": none) */
	char		*s;
};

const char	*arc_cv_str(int);		/* "none", "pass", "fail" */

/*
 * arc_verify.c: new(now, 0: time(NULL)), update, final (the keys through
 * fn: dkim_dns_lookup in production), free.  final fills *res (free it
 * with arc_result_free) and returns res->cv.
 */
struct arc_verify *arc_verify_new(time_t);
void		 arc_verify_update(struct arc_verify *, const char *, size_t);
int		 arc_verify_final(struct arc_verify *, dkim_lookup_fn, void *,
		    struct arc_result *);
void		 arc_verify_free(struct arc_verify **);
void		 arc_result_free(struct arc_result *);
/*
 * RFC 8601 resinfo (RFC 8617 section 10): "arc=pass (reason)
 * header.oldest-pass=N smtp.remote-ip=IP" appended to out; remote_ip
 * NULL or "": left out; oldest-pass only with a pass.
 */
void		 arc_result_format(const struct arc_result *, const char *,
		    struct buf *);

/*
 * arc_seal.c: new(domain, selector, key, now (0: the clock), why);
 * domain, selector and key NULL: arc_signing_domain's key of
 * dkim_signing_keys (dkim_signer_find: that domain, else its nearest
 * parent that has a key).  NULL + why for a bad domain or selector.
 */
struct arc_seal	*arc_seal_new(const char *, const char *,
		    const struct dkim_privkey *, time_t, struct buf *);
void		 arc_seal_update(struct arc_seal *, const char *, size_t);
/*
 * arc_seal_final(seal, chain, authserv_id (NULL: arc_authserv_id),
 * results, out, why): the fields of instance chain->n + 1, "ARC-Seal:
 * ...\n", "ARC-Message-Signature: ...\n", "ARC-Authentication-Results:
 * i=N; authserv-id; results\n", folded, appended to out, to prepend to
 * the message.  chain: arc_verify_final's result for the same message
 * (its cv becomes our cv=); results: our Authentication-Results' resinfo
 * list ("spf=pass ...; dkim=pass ...; arc=pass ...", "none" when
 * empty).  0; 1 when no set is to be added (no key for the domain, the
 * chain closed by a cv=fail or at arc_instance_limit: why says which);
 * -1 with why (header section over the limit, crypto).
 */
int		 arc_seal_final(struct arc_seal *, const struct arc_result *,
		    const char *, const char *, struct buf *, struct buf *);
void		 arc_seal_free(struct arc_seal **);

#endif
