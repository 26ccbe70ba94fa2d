/*
 * smtp_tls - the smtp agent's STARTTLS: the level per destination and
 * per MX host (smtp_tls_policy_maps, MTA-STS, DANE) and the client
 * handshake.
 */
#ifndef CARTERO_SMTP_TLS_H
#define CARTERO_SMTP_TLS_H

#include "mtasts.h"

struct buf;
struct dns_result;
struct lineio;
struct smtp_dest;
struct tls;
struct tls_ctx;

#define SMTP_TLS_NONE		0
#define SMTP_TLS_MAY		1
#define SMTP_TLS_ENCRYPT	2
#define SMTP_TLS_VERIFY		3
#define SMTP_TLS_DANE		4	/* TLSA records (smtp_dane.c) */

/* A destination's policy, for the hosts of one delivery. */
struct smtp_tls_dest {
	char			*key;		/* the nexthop */
	int			 level;		/* maps or default */
	int			 mapped;	/* level from the maps */
	int			 by_mx;		/* a domain, by MX */
	int			 looked;	/* MTA-STS asked */
	int			 sts;		/* a policy in force */
	struct mtasts		 policy;
};

/* What a connection to one host must have. */
struct smtp_tls_pol {
	int			 level;		/* SMTP_TLS_* */
	int			 sts;		/* its MTASTS_* */
	const char		*domain;	/* the policy's domain */
	struct dns_result	*tlsa;		/* SMTP_TLS_DANE */
};

int	smtp_tls_level(const char *);
void	smtp_tls_dest_init(struct smtp_tls_dest *, const char *);
void	smtp_tls_dest_free(struct smtp_tls_dest *);
int	smtp_tls_host(struct smtp_tls_dest *, const struct smtp_dest *,
	    struct smtp_tls_pol *, struct buf *);
void	smtp_tls_pol_free(struct smtp_tls_pol *);
const char *smtp_tls_label(const struct smtp_tls_pol *);
struct tls_ctx *smtp_tls_client(struct buf *);
int	smtp_tls_handshake(struct lineio *, int, const char *,
	    const struct smtp_tls_pol *, struct tls **, struct buf *);

/* smtp_sts.c */
int	smtp_sts_policy(const char *, struct mtasts *);

/* smtp_dane.c */
#define SMTP_DANE_OFF		0	/* no DANE for the host */
#define SMTP_DANE_ON		1	/* usable records */
#define SMTP_DANE_ENCRYPT	2	/* secure records, none usable */
int	smtp_dane_host(const char *, unsigned, struct dns_result **,
	    struct buf *);

#endif
