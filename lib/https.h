/*
 * https - one small HTTPS GET (the smtp agent's MTA-STS policy fetch):
 * TLS 1.2 or 1.3 with the certificate verified for the host name, no
 * redirects, a size limit and a time limit on the whole fetch.
 */
#ifndef CARTERO_HTTPS_H
#define CARTERO_HTTPS_H

#include <stddef.h>

struct buf;
struct tls_ctx;

/* A fetch. */
struct https_get {
	const char	*host;		/* looked up by A and AAAA */
	unsigned	 port;		/* 443 */
	const char	*path;		/* "/.well-known/mta-sts.txt" */
	struct tls_ctx	*ctx;		/* tls_ctx_client's */
	int		 timeout;	/* seconds, the whole fetch */
	size_t		 limit;		/* the body's most bytes */
	int		(*allowed)(const char *);	/* may we connect to
					 * this numeric address? */
	const char	*rule;		/* allowed's name, for why */
};

/* The body of a 200 answer: 0, -1 with why. */
int	https_get(const struct https_get *, struct buf *, struct buf *);
/* The head of an answer: its status, content type; -1 when malformed. */
int	https_head(const char *, size_t, struct buf *);

#endif
