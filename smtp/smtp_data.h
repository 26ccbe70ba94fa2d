/*
 * smtp_data - the message of a delivery, from the queue file to the wire.
 */
#ifndef CARTERO_SMTP_DATA_H
#define CARTERO_SMTP_DATA_H

#include <sys/types.h>

struct buf;
struct lineio;

/* Where the bytes of a message to send are. */
struct smtp_body {
	int	 fd;		/* the queue file, or a 7-bit copy */
	off_t	 offset;
	off_t	 size;
};

int	smtp_data_open(const char *, struct buf *);
char	*smtp_data_slurp(int, off_t, off_t, struct buf *);
int	smtp_data_wire(int, off_t, off_t, off_t *, struct buf *);
int	smtp_data_send(struct lineio *, int, off_t, off_t, int, struct buf *);

/* smtp_arc.c: our ARC set in front of mail an alias forwards */
int	smtp_arc_open(int, off_t, off_t, int *, off_t *, const char *,
	    struct buf *);

/* smtp_7bit.c: for a server without 8BITMIME (RFC 6152) */
int	smtp_7bit_open(int, off_t, off_t, int *, off_t *, struct buf *);
int	smtp_7bit_convert(struct buf *, const char *, size_t);
void	smtp_7bit_qp(struct buf *, const char *, size_t);

#endif
