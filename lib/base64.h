/*
 * base64 - the one base64 codec (RFC 4648), its alphabet a parameter: the
 * standard one for SASL (RFC 4422) and MIME (RFC 2045), IMAP's modified
 * one for mailbox names (RFC 3501 section 5.1.3).
 */
#ifndef CARTERO_BASE64_H
#define CARTERO_BASE64_H

#include <stddef.h>
#include <sys/types.h>

struct buf;

/* An alphabet: its 64 letters, and each byte's value + 1 (0: no letter). */
struct base64_code {
	const char	*letters;
	unsigned char	 value[256];
};

extern const struct base64_code base64_rfc4648;	/* A-Za-z0-9+/ */
extern const struct base64_code base64_imap;	/* A-Za-z0-9+, */

/*
 * Flags.  BASE64_NOPAD: no '=', neither written nor accepted.
 * BASE64_LENIENT (decoding MIME): non-letters are skipped, the first '='
 * ends the text, and nothing fails.
 */
#define BASE64_NOPAD	(1 << 0)
#define BASE64_LENIENT	(1 << 1)

/*
 * Append the base64 form of data to out, in code's letters; the last
 * quantum is padded with '=' unless BASE64_NOPAD.
 */
void	base64_encode_code(struct buf *, const void *, size_t,
	    const struct base64_code *, int);
/*
 * Append the bytes that base64 text stands for to out.  Strict unless
 * BASE64_LENIENT: only letters, then at most two '=' that end the text
 * and complete its last quantum (none at all with BASE64_NOPAD); the
 * padding may be left off; one letter left over, or a short last quantum
 * whose unused bits are not zero (RFC 4648 section 3.5), is malformed.
 * -1 malformed (out then holds garbage), 0 ok.
 */
int	base64_decode_code(struct buf *, const char *, size_t,
	    const struct base64_code *, int);
/*
 * The same into memory, a piece at a time: decode from *in up to end into
 * out[0..room) (room >= 3), stopping between quanta when out is full;
 * *in is advanced.  The bytes written, or -1 when malformed.  Call again
 * while *in < end.
 */
ssize_t	base64_decode_some(const char **, const char *, unsigned char *,
	    size_t, const struct base64_code *, int);

/* The standard alphabet with padding, strict: SASL. */
void	base64_encode(struct buf *, const void *, size_t);
int	base64_decode(struct buf *, const char *, size_t);

#endif
