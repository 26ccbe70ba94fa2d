/*
 * dkim_int - what the dkim*.c files share and nothing else includes:
 * the header section reader, body canonicalization, tag lists, public
 * keys, private keys.
 */
#ifndef CARTERO_DKIM_INT_H
#define CARTERO_DKIM_INT_H

#include <stddef.h>

#include <openssl/evp.h>

struct buf;
struct htable;

#define DKIM_LINE_MAX		78	/* folding of what we write */
#define DKIM_TAGS_MAX		64	/* tags in one tag list */
#define DKIM_HASH_LEN		32	/* SHA-256 */
#define DKIM_TXT_MAX		16384	/* a key record */

/* A header field: where it is in the section's text. */
struct dkim_field {
	size_t		 off;		/* first byte of the name */
	size_t		 len;		/* up to, not with, its last LF */
	size_t		 nlen;		/* the name (0: no colon or not
					 * RFC 5322 ftext: ignored) */
};

/* The header section of a message, as it arrives, then split. */
struct dkim_head {
	struct buf		*text;	/* LF line ends, capped */
	struct dkim_field	*f;
	size_t			 n;
	int			 bol;	/* at the start of a line */
	int			 cr;	/* a CR waits for what follows */
	int			 done;	/* the empty line was seen */
	struct htable		*names;	/* lower-case name -> dkim_pos */
};

/* The fields of one name, top to bottom; used: taken from the bottom. */
struct dkim_pos {
	size_t		*at;
	size_t		 n;
	size_t		 used;
};

/* The canonical body as it is hashed, one signature's. */
struct dkim_body {
	int		 relaxed;
	int		 cr;		/* a CR waits */
	int		 wsp;		/* relaxed: white space waits */
	int		 any;		/* something was hashed */
	size_t		 crlf;		/* line ends that wait for more */
	long long	 limit;		/* l=, -1: none */
	long long	 count;		/* canonical bytes seen */
	EVP_MD_CTX	*md;
	size_t		 nout;
	unsigned char	 out[1024];
};

/* A tag of a tag list: name, trimmed value, the raw value's place. */
struct dkim_tag {
	char		 name[16];
	const char	*val;
	size_t		 vlen;
	size_t		 raw_start;	/* after "=" */
	size_t		 raw_end;	/* before ";" or the end */
};

struct dkim_tags {
	struct dkim_tag	 t[DKIM_TAGS_MAX];
	size_t		 n;
};

/* A public key from a key record. */
struct dkim_pubkey {
	EVP_PKEY	*pkey;
	int		 alg;		/* DKIM_ALG_* */
	int		 testing;	/* t=y */
	int		 strict;	/* t=s */
};

struct dkim_privkey {
	EVP_PKEY	*pkey;
	int		 alg;
};

/* dkim_canon.c */
void	dkim_head_init(struct dkim_head *);
size_t	dkim_head_feed(struct dkim_head *, const char *, size_t);
void	dkim_head_split(struct dkim_head *);
void	dkim_head_free(struct dkim_head *);
int	dkim_head_is(const struct dkim_head *, size_t, const char *);
void	dkim_canon_header(int, const char *, size_t, struct buf *);
int	dkim_head_hash(struct dkim_head *, char **, size_t, int,
	    EVP_MD_CTX *, struct buf *);
int	dkim_body_init(struct dkim_body *, int, long long);
void	dkim_body_feed(struct dkim_body *, const char *, size_t);
int	dkim_body_final(struct dkim_body *, unsigned char *);
void	dkim_body_free(struct dkim_body *);

/* dkim_tag.c */
int	dkim_tags_parse(const char *, size_t, struct dkim_tags *,
	    struct buf *);
const struct dkim_tag *dkim_tags_get(const struct dkim_tags *,
	    const char *);
void	dkim_tag_compact(const struct dkim_tag *, struct buf *);
char	**dkim_tag_list(const struct dkim_tag *, size_t *);
int	dkim_list_has(const struct dkim_tag *, const char *);
int	dkim_key_parse(const char *, size_t, struct dkim_pubkey *, int *,
	    struct buf *);
void	dkim_pubkey_free(struct dkim_pubkey *);

/* dkim_sign.c: sign or verify a SHA-256 digest as DKIM's algorithms do */
int	dkim_digest_sign(EVP_PKEY *, int, const unsigned char *,
	    struct buf *, struct buf *);
int	dkim_digest_verify(EVP_PKEY *, int, const unsigned char *,
	    const unsigned char *, size_t);

#endif
