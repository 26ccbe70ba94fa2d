/*
 * mime - RFC 5322/2045 message structure for imapd: one pass over a message
 * held in memory with CRLF line ends, giving the part tree with byte ranges
 * (IMAP octet counts), the FETCH BODY/BODYSTRUCTURE and ENVELOPE forms (RFC
 * 3501 7.4.2), section resolution for BODY[section], and the decoding
 * helpers SEARCH needs (header unfolding, RFC 2047 encoded words, base64 and
 * quoted-printable bodies, charsets to UTF-8, case-insensitive matching).
 * Distrusts all of its input: malformed MIME never makes mime_parse fail,
 * nesting and the number of parts are bounded.
 */
#ifndef CARTERO_MIME_H
#define CARTERO_MIME_H

#include <stddef.h>

struct buf;

#define MIME_DEPTH_MAX	20		/* nested multipart/message levels */
#define MIME_PARTS_MAX	5000		/* parts in one message */
#define MIME_SIZE_MAX	0xffffffffUL	/* an IMAP number is 32 bits */

struct mime_param {
	const char	*name;		/* as written (case kept) */
	const char	*value;		/* unquoted; RFC 2231 pieces joined */
};

/*
 * One part.  Offsets are from the start of the buffer given to mime_parse.
 * A "message" (the root, or what a message/rfc822 part encloses) has the
 * message header in hdr_*; a body part of a multipart has its MIME header
 * there.  hdr_len includes the blank line that ends the header (0 when the
 * part has no header at all); body_off = hdr_off + hdr_len.  Strings are
 * NUL-terminated, owned by the tree, NULL when the header field is absent.
 */
struct mime_part {
	size_t		 hdr_off, hdr_len;
	size_t		 body_off, body_len;
	size_t		 lines;		/* CRLF-counted lines of the body */
	const char	*type;		/* "text", "multipart" (lowercase) */
	const char	*subtype;	/* "plain", "mixed" (lowercase) */
	const char	*type_raw;	/* as written, NULL if defaulted */
	const char	*subtype_raw;
	struct mime_param *params;	/* Content-Type parameters */
	size_t		 nparams;
	const char	*id;		/* Content-ID */
	const char	*description;	/* Content-Description */
	const char	*encoding;	/* Content-Transfer-Encoding or NULL */
	const char	*md5;		/* Content-MD5 */
	const char	*disposition;	/* Content-Disposition value */
	struct mime_param *disp_params;
	size_t		 ndisp_params;
	const char	**language;	/* Content-Language tags */
	size_t		 nlanguage;
	const char	*location;	/* Content-Location */
	struct mime_part *parent;	/* NULL for the root */
	struct mime_part *child;	/* first part of a multipart */
	struct mime_part *next;		/* next sibling in the multipart */
	size_t		 nchildren;
	struct mime_part *message;	/* message/rfc822: what it encloses */
	int		 depth;		/* 0 for the root */
	int		 flags;
};

#define MIME_F_MESSAGE	0x01	/* a message (root or enclosed) */
#define MIME_F_BROKEN	0x02	/* a multipart whose parts were not found */
#define MIME_F_NOEND	0x04	/* multipart without its closing boundary */
#define MIME_F_8BIT	0x08	/* 8-bit bytes in the header */

/*
 * Parse a whole message (CRLF line ends; bare LF is tolerated).  The
 * buffer is not copied and must outlive the tree only for the functions
 * that take it again (mime_section output offsets refer to it).  Fails
 * (NULL + why) only when len > MIME_SIZE_MAX.
 */
struct mime_part *mime_parse(const char *, size_t, struct buf *);
void	mime_free(struct mime_part **);

/* Length of the header of msg including its blank line (all if none). */
size_t	mime_header_size(const char *, size_t);

/*
 * The part at "1.2.3" (RFC 3501 numbering: a single-part message is its
 * own part 1, and so, leniently, is any leaf); "" is the root; NULL: none.
 */
const struct mime_part *mime_part_find(const struct mime_part *,
	    const char *);

/*
 * Append the IMAP body structure of part (without the "BODY " or
 * "BODYSTRUCTURE " label) as a parenthesized list: extended != 0 gives
 * BODYSTRUCTURE (with the extension data), 0 gives BODY.  msg is the
 * buffer given to mime_parse (message/rfc822 parts need the enclosed
 * header for their ENVELOPE).
 */
void	mime_bodystructure(struct buf *, const char *, const struct mime_part *,
	    int);

/* Append the ENVELOPE list of the message whose header is hdr/len. */
void	mime_envelope(struct buf *, const char *, size_t);

/*
 * Resolve a FETCH BODY[section] spec (the text between the brackets,
 * without partial: "", "1.2", "HEADER", "TEXT", "2.MIME",
 * "1.HEADER.FIELDS (FROM TO)", "HEADER.FIELDS.NOT (\"X-A\" B)"; case
 * insensitive).  Returns MIME_SECTION_RANGE with *off and *len the bytes of
 * msg, MIME_SECTION_SYNTH with the bytes in synth (reset first), -1 when
 * the section does not exist in this message (IMAP answers ""), -2 when
 * spec is not valid syntax (BAD).
 */
#define MIME_SECTION_RANGE	0
#define MIME_SECTION_SYNTH	1
int	mime_section(const char *, const struct mime_part *, const char *,
	    size_t *, size_t *, struct buf *);
/* Check the syntax of a section spec only: 0 valid, -1 not. */
int	mime_section_check(const char *);

/*
 * Header fields.  mime_header_next iterates over the fields of hdr (stops
 * at the blank line): *name, *nlen the field name, *val, *vlen the raw value
 * (after the colon, folding kept, final CRLF dropped).  Returns 1 per
 * field, 0 at the end.  Start with *pos = 0.
 */
int	mime_header_next(const char *, size_t, size_t *, const char **,
	    size_t *, const char **, size_t *);
/* Append the unfolded value of the first field called name; 1 found, 0 not. */
int	mime_header_get(const char *, size_t, const char *, struct buf *);
/* Append a raw value unfolded (CRLF removed), outer white space trimmed. */
void	mime_unfold(const char *, size_t, struct buf *);
/* Append header lines whose names are (not) in the list; see mime_section. */
void	mime_header_fields(const char *, size_t, const char *const *, size_t,
	    int, struct buf *);

/*
 * Decoding.  mime_decode_words appends text with RFC 2047 encoded words
 * (=?charset?Q|B?...?=) decoded to UTF-8 (white space between adjacent
 * encoded words dropped); words in unknown charsets or malformed ones stay
 * as written; other bytes are copied.  mime_charset_to_utf8 appends in
 * converted to UTF-8 (US-ASCII, UTF-8, ISO-8859-1/15, windows-1252 built
 * in, others through iconv); returns 0, or -1 if the charset is unknown
 * (then in is appended raw).
 */
void	mime_decode_words(const char *, size_t, struct buf *);
int	mime_charset_to_utf8(const char *, const char *, size_t, struct buf *);
/* Decode quoted-printable / base64 body text, lenient: junk is skipped. */
void	mime_decode_qp(const char *, size_t, struct buf *);
void	mime_decode_base64(const char *, size_t, struct buf *);
/*
 * Append the body of a leaf part, transfer encoding undone and, for text
 * parts, converted to UTF-8 from its charset (for SEARCH BODY/TEXT).  For
 * a multipart or message/rfc822 part, or a root whose body is multipart:
 * the decoded text of every text leaf below it, each followed by "\n".
 * msg is the buffer given to mime_parse.
 */
void	mime_decode_body(const char *, const struct mime_part *, struct buf *);

/*
 * Case-insensitive substring search in UTF-8 text (ASCII and Latin-1
 * letters fold, other bytes compare exactly).  Returns 1 if needle occurs
 * in hay; an empty needle always matches.
 */
int	mime_search(const char *, size_t, const char *, size_t);

/*
 * RFC 3501 strings: mime_imap_string appends s as NIL (s NULL), a quoted
 * string when it can carry s, a literal {n}\r\n... otherwise (CR, LF, NUL,
 * 8-bit, or long).  mime_imap_nstring does the same for a C string.
 */
void	mime_imap_string(struct buf *, const char *, size_t);
void	mime_imap_nstring(struct buf *, const char *);

#endif
