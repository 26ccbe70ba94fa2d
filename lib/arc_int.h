/*
 * arc_int - what the arc*.c files share: the ARC sets of a header
 * section (parsed by arc_set.c) and the ARC-Seal's hash over them.
 */
#ifndef CARTERO_ARC_INT_H
#define CARTERO_ARC_INT_H

#include <stddef.h>

#include <openssl/evp.h>

#include "dkim_int.h"

#define ARC_MAX		50		/* RFC 8617 4.2.1 */
#define ARC_ABSENT	((size_t)-1)

/* The members of a set, indices of f[]. */
#define ARC_AAR		0
#define ARC_AMS		1
#define ARC_AS		2

/* One ARC set: its three fields (indices into the head's fields) and
 * the tag lists of the AMS and the AS. */
struct arc_set {
	size_t		 f[3];
	struct dkim_tags ams;
	struct dkim_tags as;
	int		 cv;		/* the AS's cv=: ARC_NONE... */
};

/* arc_set.c */
int	arc_sets_read(struct dkim_head *, struct arc_set **, int *, int *,
	    struct buf *);
int	arc_hash_field(EVP_MD_CTX *, const char *, size_t, int, struct buf *);
int	arc_hash_sets(struct dkim_head *, const struct arc_set *, int,
	    EVP_MD_CTX *, struct buf *);
int	arc_alg(const struct dkim_tag *);

#endif
