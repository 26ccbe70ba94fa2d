/*
 * punycode - RFC 3492's encoding of a Unicode label into ASCII, and the
 * IDNA A-label of a UTF-8 label ("bücher" -> "xn--bcher-kva"), as the
 * public suffix list needs to compare its Unicode rules with names as
 * DNS carries them.  No normalization (the list's rules are lower case
 * already).
 */
#ifndef CARTERO_PUNYCODE_H
#define CARTERO_PUNYCODE_H

#include <stddef.h>

struct buf;

int	punycode_encode(const char *, size_t, struct buf *);
int	punycode_alabel(const char *, size_t, struct buf *);

#endif
