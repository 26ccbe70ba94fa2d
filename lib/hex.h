/*
 * hex - hexadecimal digits: auth's tokens and credentials, MIME's
 * quoted-printable, the queue file's %XX escapes.
 */
#ifndef CARTERO_HEX_H
#define CARTERO_HEX_H

#include <stddef.h>

/* The value of a hex digit (either case), or -1. */
int	hex_value(int);
/* Write data as 2 * len lower-case digits and a NUL into out. */
void	hex_encode(char *, const void *, size_t);
/* Read 2 * len digits (either case) into len bytes of out; -1 if bad. */
int	hex_decode(void *, const char *, size_t);

#endif
