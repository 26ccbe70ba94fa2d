/*
 * dkim_int - what the dkim*.c and arc*.c files share and nothing else
 * includes: the header section reader, body canonicalization, tag lists,
 * public keys, private keys, folding, digests signed and verified.
 */
#ifndef CARTERO_DKIM_INT_H
#define CARTERO_DKIM_INT_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "dkim.h"

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

/* A message being signed (DKIM-Signature, ARC set): who signs, when,
 * its header section and its relaxed body hash. */
struct dkim_msg {
	char			*domain;	/* NULL: chosen at the end */
	char			*selector;
	const struct dkim_privkey *key;
	time_t			 now;
	struct dkim_head	 head;
	struct dkim_body	 body;
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

/* dkim_sign.c: a message to sign: init (domain, selector, key NULL:
 * chosen later through dkim_msg_signer; now 0: the clock), feed, free */
int	dkim_msg_init(struct dkim_msg *, const char *, const char *,
	    const struct dkim_privkey *, time_t, struct buf *);
void	dkim_msg_feed(struct dkim_msg *, const char *, size_t);
void	dkim_msg_signer(struct dkim_msg *, const struct dkim_signer *);
void	dkim_msg_free(struct dkim_msg *);
/* dkim_sign.c: the h= list of a signing set (each name as often as the
 * message has it, "from" once more), is a name in a set, folding */
char	**dkim_sign_names(struct dkim_head *, const char *, size_t *);
int	dkim_sign_wanted(const char *, const char *);
void	dkim_fold(struct buf *, size_t *, const char *, int);
void	dkim_fold_b64(struct buf *, const struct buf *);
/* dkim_verify.c: a decimal tag, a base64 tag, a key looked up and
 * checked against an algorithm (DKIM_KEY_OK...: why on failure) */
int	dkim_tag_num(const struct dkim_tag *, long long *);
int	dkim_tag_b64(const struct dkim_tag *, struct buf **);
int	dkim_key_fetch(dkim_lookup_fn, void *, const char *, const char *,
	    int, struct dkim_pubkey *, struct buf *);
/* dkim_sign.c: sign or verify a SHA-256 digest as DKIM's algorithms do */
int	dkim_digest_sign(EVP_PKEY *, int, const unsigned char *,
	    struct buf *, struct buf *);
int	dkim_digest_verify(EVP_PKEY *, int, const unsigned char *,
	    const unsigned char *, size_t);

#endif
