/*
 * addr - mail addresses: RFC 5321 paths in MAIL FROM/RCPT TO (with the
 * ESMTP parameters after them), RFC 5322 address lists in headers (for
 * sendmail -t), splitting local part and domain, and client address
 * matching against CIDR lists (mynetworks).  Distrusts all of its input.
 */
#ifndef CARTERO_ADDR_H
#define CARTERO_ADDR_H

#include <sys/socket.h>

struct buf;

#define ADDR_MAX	512	/* longest path we accept (RFC 5321 4.5.3.1.3: 256) */

/*
 * Parse "<local@domain> PARAMS" (the text after "MAIL FROM:" or "RCPT TO:",
 * leading space allowed).  The address, unquoted and without <>, goes to
 * addr ("" for the null path <>); *params points at what follows.  Accepts a
 * source route (<@a,@b:x@y>, dropped), quoted local parts, address
 * literals, UTF-8 (SMTPUTF8).  Returns 0, or -1 with an SMTP reply text
 * ("501 5.1.3 ...") in why.
 */
int	addr_parse_path(const char *, struct buf *, const char **, struct buf *);

/* Split at the last '@'.  No '@': domain is "".  Domain is lowercased. */
void	addr_split(const char *, struct buf *, struct buf *);

/* Has the local part (before the last '@') an '@' of its own? */
int	addr_local_has_at(const char *);

/*
 * Call fn for each address in an RFC 5322 address-list header value
 * ("Ana <ana@mired.org>, bob@mired.org, group: x@y;").  Returns the count.
 */
int	addr_parse_header(const char *, void (*)(const char *, void *), void *);

/* Do the first bits (a prefix length) of two addresses agree? */
int	addr_prefix_eq(const unsigned char *, const unsigned char *, int);

/* Is the sockaddr in the CIDR list ("127.0.0.0/8 [::1]/128 192.168.100.0/24")? */
int	addr_match_networks(const struct sockaddr *, const char *);

/* Printable numeric form of a sockaddr ("127.0.0.1", "::1"). */
const char *addr_ntop(const struct sockaddr *, char *, size_t);

#endif
