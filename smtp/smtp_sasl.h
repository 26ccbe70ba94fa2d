/*
 * smtp_sasl - the smtp agent's SASL client: AUTH PLAIN and LOGIN
 * (RFC 4954, RFC 4616) to a relayhost.
 */
#ifndef CARTERO_SMTP_SASL_H
#define CARTERO_SMTP_SASL_H

struct buf;
struct smtp_dest;

int	smtp_sasl_password(const char *, const struct smtp_dest *,
	    struct buf *, struct buf *);
void	smtp_sasl_plain(const char *, const char *, struct buf *);

#endif
