/*
 * spf - Sender Policy Framework (RFC 7208): may this client address send
 * mail for this domain?
 *
 *	spf.c		check_host(): the record, its terms in order,
 *			include and redirect, the limits, results
 *	spf_term.c	the record's grammar: terms into a list
 *	spf_mech.c	what each DNS-asking mechanism matches (a, mx,
 *			ptr, exists) and the addresses it compares
 *	spf_macro.c	macro expansion (section 7), exp= explanations
 *	spf_dns.c	the production resolver (lib/dns.c, blocking),
 *			the Authentication-Results resinfo
 *
 * DNS comes through a function (struct spf_request's dns), so that unit
 * tests feed records from tables; the production one is spf_dns_lookup.
 * One evaluation never asks more than lookup_limit mechanisms, allows
 * void_limit answers without records, looks at mx_limit MX hosts and
 * ptr_limit PTR names, and gives up (temperror) after time_ms.
 */
#ifndef CARTERO_SPF_H
#define CARTERO_SPF_H

#include <stddef.h>

struct buf;
struct dns_result;
struct sockaddr;

/* The results of check_host() (RFC 7208 section 2.6). */
#define SPF_NONE	0
#define SPF_NEUTRAL	1
#define SPF_PASS	2
#define SPF_FAIL	3
#define SPF_SOFTFAIL	4
#define SPF_TEMPERROR	5
#define SPF_PERMERROR	6

/* RFC 7208 4.6.4's limits, and the at least 20 seconds of 4.6.4. */
#define SPF_LOOKUP_LIMIT	10
#define SPF_VOID_LIMIT		2
#define SPF_MX_LIMIT		10
#define SPF_PTR_LIMIT		10
#define SPF_TIME_MS		20000L

/*
 * A resolver: look type up for name within ms; the status (DNS_OK ...)
 * and the answer in *res (the caller frees it; never NULL on return).
 */
typedef int (*spf_dns_fn)(int, const char *, long, struct dns_result **,
    void *);

/* What to check, and how. */
struct spf_request {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* client (v4-mapped: v4) */
	const char	*sender;	/* MAIL FROM, "" for <> */
	const char	*helo;		/* HELO or EHLO name */
	const char	*receiver;	/* %{r} (NULL: unknown) */
	spf_dns_fn	 dns;		/* NULL: lib/dns */
	void		*dns_ctx;
	long		 lookup_limit;	/* DNS-asking terms */
	long		 void_limit;	/* empty answers */
	long		 mx_limit;	/* MX hosts per mx */
	long		 ptr_limit;	/* PTR names looked at */
	long		 time_ms;	/* for all of it */
	long long	 now;		/* %{t} (0: time(NULL)) */
};

/* What came of it. */
struct spf_answer {
	int		 result;	/* SPF_NONE ... */
	char		*identity;	/* its value in resinfo */
	int		 helo;		/* 1: smtp.helo */
	char		*domain;	/* the domain checked */
	char		*why;		/* the reason, for logs */
	char		*exp;		/* fail: exp= (or NULL) */
	int		 lookups;	/* terms that asked DNS */
	int		 voids;		/* void lookups */
};

/* spf.c */
void		 spf_request_init(struct spf_request *);
void		 spf_request_conf(struct spf_request *);
int		 spf_request_addr(struct spf_request *, const char *);
int		 spf_request_sockaddr(struct spf_request *,
		    const struct sockaddr *);
int		 spf_check_mailfrom(const struct spf_request *,
		    struct spf_answer *);
int		 spf_check_helo(const struct spf_request *,
		    struct spf_answer *);
int		 spf_check_host(const struct spf_request *, const char *,
		    const char *, struct spf_answer *);
void		 spf_answer_free(struct spf_answer *);
const char	*spf_result_str(int);

/* spf_dns.c */
int		 spf_dns_lookup(int, const char *, long,
		    struct dns_result **, void *);
void		 spf_resinfo(struct buf *, const struct spf_answer *);
void		 spf_resinfo_value(struct buf *, const char *);

#endif
