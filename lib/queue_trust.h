/*
 * queue_trust - a delivery agent opens the queue file a request names,
 * trusting nothing of the request but the queue id.
 *
 * The path is built from the id (a request's path, if sent, must be that
 * path), and the file must be a regular file of mail_owner's with one
 * link, at least offset + size bytes long.  active/ is writable by
 * mail_owner, which parses network input: a hard link to another user's
 * file, a symbolic link, a FIFO or a device there is refused, and the
 * mail deferred, never delivered from (DESIGN.md, rule 4).  Without root
 * (a sandbox) mail_owner is whoever runs the agent.
 */
#ifndef CARTERO_QUEUE_TRUST_H
#define CARTERO_QUEUE_TRUST_H

#include <sys/types.h>

struct buf;

/*
 * Open active/ID read-only for a request (path may be NULL, offset and
 * size its message's): the fd, or -1 with why and *dsn (4.3.0 for a file
 * that cannot be opened or trusted, 4.3.5 for a request that does not
 * match the file).  An untrusted file is also logged.
 */
int	queue_trust_open(const char *, const char *, off_t, off_t,
	    struct buf *, const char **);
/*
 * The next message bytes of an open queue file: at most size of the *left
 * bytes from *off, both advanced; 0 when none is left, -1 with why on a
 * read error or a file shorter than *left.
 */
ssize_t	queue_trust_read(int, char *, size_t, off_t *, off_t *, struct buf *);

#endif
