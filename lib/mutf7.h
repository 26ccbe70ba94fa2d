/*
 * mutf7 - IMAP's modified UTF-7 (RFC 3501 section 5.1.3) for mailbox
 * names: printable US-ASCII stands for itself ("&" is "&-"), anything
 * else is UTF-16 in a base64 variant (',' for '/', no padding) between
 * "&" and "-".  The decoder is strict: only the one canonical spelling of
 * a name is valid, so two spellings can never name one folder.
 */
#ifndef CARTERO_MUTF7_H
#define CARTERO_MUTF7_H

struct buf;

/* Append the UTF-8 form of a modified UTF-7 name; -1 if not canonical. */
int	mutf7_decode(const char *, struct buf *);
/* Append the modified UTF-7 form of UTF-8 text; -1 if not valid UTF-8. */
int	mutf7_encode(const char *, struct buf *);
/* Is this the canonical modified UTF-7 spelling of some name?  1/0. */
int	mutf7_valid(const char *);
/* Is this valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF)? */
int	utf8_valid(const char *, size_t);

#endif
