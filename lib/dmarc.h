/*
 * dmarc - DMARC (RFC 7489) for a received message: the policy record of
 * the RFC5322.From domain (at _dmarc.DOMAIN, else at _dmarc.ORGDOMAIN by
 * the public suffix list, lib/psl), identifier alignment of the SPF and
 * DKIM results the caller already has, the result and what to do with
 * the message after sp= and pct=.
 *
 *	dmarc.c		policy discovery, alignment, result,
 *			disposition, the Authentication-Results resinfo
 *	dmarc_record.c	the record's tags (6.3), strictly
 *	dmarc_from.c	the RFC5322.From domain from the header section
 *			(6.6.1: exactly one From with one address)
 *
 * DNS comes through a function as lib/spf's (NULL: spf_dns_lookup), the
 * pct= sample through another (NULL: arc4random), so that tests feed
 * both from tables.
 */
#ifndef CARTERO_DMARC_H
#define CARTERO_DMARC_H

#include <stddef.h>

struct buf;
struct dns_result;

/* Results (RFC 8601 2.7.2 adds them to Authentication-Results). */
#define DMARC_NONE	0	/* no usable policy: DMARC does not apply */
#define DMARC_PASS	1
#define DMARC_FAIL	2
#define DMARC_TEMPERROR	3	/* DNS failed: 451 */
#define DMARC_PERMERROR	4	/* no single From domain to check */

/* Policies and dispositions. */
#define DMARC_P_NONE		0
#define DMARC_P_QUARANTINE	1
#define DMARC_P_REJECT		2

/* dmarc_from_domain's failures. */
#define DMARC_FROM_NONE		(-1)	/* no From, no address */
#define DMARC_FROM_MANY		(-2)	/* two Froms or addresses */
#define DMARC_FROM_BAD		(-3)	/* no domain name */

/* A policy record's tags. */
struct dmarc_record {
	int		 p;		/* DMARC_P_* */
	int		 sp;		/* -1: not given (p applies) */
	int		 adkim;		/* 's' or 'r' */
	int		 aspf;
	int		 pct;		/* 0-100 */
	long		 ri;		/* seconds between reports */
	int		 p_from_rua;	/* p=none for rua= */
	char		*rua;
	char		*ruf;
	char		*fo;
	char		*rf;
};

/* A DKIM signature that the caller verified (or not). */
struct dmarc_dkim {
	const char	*domain;	/* its d= */
	int		 pass;		/* 1: it verified */
};

typedef int (*dmarc_dns_fn)(int, const char *, long, struct dns_result **,
    void *);

/* What to check. */
struct dmarc_request {
	const char	*from_domain;	/* dmarc_from_domain's */
	int		 spf_result;	/* SPF_* of MAIL FROM */
	const char	*spf_domain;	/* its domain (HELO's for <>) */
	const struct dmarc_dkim *dkim;
	size_t		 ndkim;
	dmarc_dns_fn	 dns;		/* NULL: spf_dns_lookup */
	void		*dns_ctx;
	unsigned	(*sample)(void *);	/* 0-99 (NULL: random) */
	void		*sample_ctx;
	long		 time_ms;	/* both lookups together */
};

/* What came of it. */
struct dmarc_answer {
	int		 result;	/* DMARC_NONE ... */
	int		 policy;	/* the one that applies; -1: none */
	int		 disposition;	/* DMARC_P_*: what to do */
	int		 sampled_out;	/* pct= lowered it */
	int		 spf_aligned;
	int		 dkim_aligned;
	int		 have_record;
	struct dmarc_record rec;
	char		*from_domain;
	char		*record_domain;	/* the record's */
	char		*why;
};

/* dmarc.c */
void		 dmarc_request_init(struct dmarc_request *);
int		 dmarc_check(const struct dmarc_request *,
		    struct dmarc_answer *);
int		 dmarc_check_header(const struct dmarc_request *,
		    const char *, size_t, struct dmarc_answer *);
void		 dmarc_answer_free(struct dmarc_answer *);
int		 dmarc_aligned(const char *, const char *, int);
const char	*dmarc_result_str(int);
const char	*dmarc_policy_str(int);
void		 dmarc_resinfo(struct buf *, const struct dmarc_answer *);

/* dmarc_record.c */
int		 dmarc_record_is(const char *);
int		 dmarc_record_parse(const char *, struct dmarc_record *,
		    struct buf *);
void		 dmarc_record_free(struct dmarc_record *);

/* dmarc_from.c */
int		 dmarc_from_domain(const char *, size_t, struct buf *,
		    struct buf *);

#endif
