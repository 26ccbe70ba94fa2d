/*
 * smtp_tls - the smtp agent's STARTTLS: the level per destination and
 * the client handshake.
 */
#ifndef CARTERO_SMTP_TLS_H
#define CARTERO_SMTP_TLS_H

struct buf;
struct lineio;
struct tls;

#define SMTP_TLS_NONE		0
#define SMTP_TLS_MAY		1
#define SMTP_TLS_ENCRYPT	2
#define SMTP_TLS_VERIFY		3

int	smtp_tls_level(const char *);
int	smtp_tls_handshake(struct lineio *, int, const char *, int,
	    struct tls **, struct buf *);

#endif
