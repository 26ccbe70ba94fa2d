/*
 * authres - Authentication-Results (RFC 8601): whose results a header
 * field claims to hold.  A message from outside must not bring results
 * that claim our authserv-id: a reader would take them for ours.
 */
#ifndef CARTERO_AUTHRES_H
#define CARTERO_AUTHRES_H

#include <stddef.h>

#define AUTHRES_NAME	"Authentication-Results"

/*
 * Does a whole header field (name, colon, value, with its folding; len
 * bytes) claim the authserv-id id (compared without regard to case)?
 * A value whose authserv-id cannot be read claims it too: such a field
 * is no use to anyone and may be a disguise.
 */
int	authres_claims(const char *, size_t, const char *);

struct buf;

/* Append " (text)" to out: a comment of a resinfo, its parentheses,
 * backslashes and bytes that are not printable US-ASCII made "?". */
void	authres_comment(struct buf *, const char *);

#endif
