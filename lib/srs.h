/*
 * srs - the Sender Rewriting Scheme, as Shevek's paper and its common
 * implementations spell it, so that mail forwarded off-site keeps an
 * envelope sender whose domain is ours (SPF at the next hop passes) and
 * whose bounces find their way back to the original sender:
 *
 *	ana@mired.org, forwarded by fwd.test:
 *	    SRS0=HHHH=TT=mired.org=ana@fwd.test
 *	SRS0=HHHH=TT=mired.org=ana@fwd.test, forwarded again by b.test:
 *	    SRS1=GGGG=fwd.test==HHHH=TT=mired.org=ana@b.test
 *
 * HHHH is the start of the base64 HMAC-SHA1 (keyed by our secret) of
 * what follows it, lower-cased; TT the day of the rewrite in two base32
 * letters (days since 1970 modulo 1024).  Hashes are compared without
 * regard to case, since some hosts lower-case local parts.
 *
 * The secret file holds one secret a line: the first signs, every one
 * verifies (so a secret can be replaced without losing the bounces of
 * mail in transit).  Parameters (params.h, block "ARC and SRS"):
 * srs_domain, srs_secret_file, srs_max_age, srs_hash_length,
 * srs_address_length_limit.
 */
#ifndef CARTERO_SRS_H
#define CARTERO_SRS_H

#include <stddef.h>
#include <time.h>

struct buf;
struct srs;

/* What srs_forward and srs_reverse did. */
#define SRS_REWRITTEN	0	/* out holds the new address */
#define SRS_UNCHANGED	1	/* keep the address: <>, ours, not SRS */
#define SRS_ERROR	(-1)	/* refused: why (bad hash, too old...) */

/* Is a domain one of ours (its mail needs no rewriting)?  1 yes. */
typedef int (*srs_ours_fn)(const char *, void *);

/*
 * srs_new(domain, secrets (the file's text: one secret a line, blank
 * lines and "#" lines ignored), why): NULL + why without a usable
 * domain or secret.  srs_open: the same from srs_domain and
 * srs_secret_file.
 */
struct srs	*srs_new(const char *, const char *, struct buf *);
struct srs	*srs_open(struct buf *);
/* The clock (tests): now, 0 for time(NULL). */
void		 srs_set_clock(struct srs *, time_t);
/* Besides the SRS domain itself, which domains are ours (NULL: none). */
void		 srs_set_ours(struct srs *, srs_ours_fn, void *);
void		 srs_free(struct srs **);
/* A program's rewriter (srs_forwarding on, the secret read), or NULL. */
struct srs	*srs_start(void);

/*
 * srs_forward - the envelope sender of mail we forward: SRS0 for a
 * plain address, SRS1 for an SRS0 or SRS1 address of another domain;
 * SRS_UNCHANGED for "" (<>), an address of our domains or one without
 * a domain; SRS_ERROR when the result would pass
 * srs_address_length_limit (forward with the sender unchanged, then).
 */
int		 srs_forward(struct srs *, const char *, struct buf *,
		    struct buf *);
/*
 * srs_reverse - where a bounce to an address of the SRS domain goes:
 * SRS0 gives the original sender, SRS1 the SRS0 address at the first
 * forwarder; SRS_UNCHANGED for an address that is not SRS or not of
 * the SRS domain; SRS_ERROR (why) for a bad hash, an expired timestamp
 * or a malformed address.
 */
int		 srs_reverse(struct srs *, const char *, struct buf *,
		    struct buf *);
/* Does the local part look like SRS0= or SRS1= (any case, = + or -)? */
int		 srs_is_srs(const char *);

#endif
