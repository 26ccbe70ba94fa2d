/*
 * smtp_data - the message of a delivery, from the queue file to the wire.
 */
#ifndef CARTERO_SMTP_DATA_H
#define CARTERO_SMTP_DATA_H

#include <sys/types.h>

struct buf;
struct lineio;

int	smtp_data_open(const char *, struct buf *);
int	smtp_data_wire(int, off_t, off_t, off_t *, struct buf *);
int	smtp_data_send(struct lineio *, int, off_t, off_t, int, struct buf *);

#endif
