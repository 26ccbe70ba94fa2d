/*
 * base64 - RFC 4648 base64, for SASL (RFC 4422) exchanges in smtpd, pop3d
 * and imapd.
 */
#ifndef CARTERO_BASE64_H
#define CARTERO_BASE64_H

#include <stddef.h>

struct buf;

/* Append the base64 form of data to out. */
void	base64_encode(struct buf *, const void *, size_t);
/*
 * Append the bytes that base64 text stands for to out.  Padding may be
 * left off; white space, stray characters or data after the padding make
 * it -1 (out then holds garbage).  0 ok.
 */
int	base64_decode(struct buf *, const char *, size_t);

#endif
