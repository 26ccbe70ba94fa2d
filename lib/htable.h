/*
 * htable - a string-keyed hash table (as Postfix's htable): chained
 * buckets that double as the table fills, keys copied, values the
 * caller's.
 */
#ifndef CARTERO_HTABLE_H
#define CARTERO_HTABLE_H

#include <stddef.h>

struct htable_info {
	char			*key;		/* a copy, the table's */
	void			*value;		/* the caller's */
	struct htable_info	*next;		/* hash chain */
};

struct htable {
	struct htable_info	**bucket;
	size_t			 size;		/* buckets, a power of two */
	size_t			 used;		/* entries */
};

/* A table of size buckets at first (rounded up to a power of two). */
struct htable *htable_create(size_t);

/* The value of key, or NULL; htable_locate: its entry, or NULL. */
void	*htable_find(struct htable *, const char *);
struct htable_info *htable_locate(struct htable *, const char *);

/* Add key with value (key must not be there yet): the new entry. */
struct htable_info *htable_enter(struct htable *, const char *, void *);

/*
 * Remove every entry for which drop(value, ctx) says 1 (drop NULL:
 * every entry), free_fn (if not NULL) given its value; the entries left.
 */
size_t	htable_sweep(struct htable *, int (*)(void *, void *), void *,
	    void (*)(void *));

/* Free the table, its keys and (free_fn not NULL) its values; NULL it. */
void	htable_free(struct htable **, void (*)(void *));

#endif
