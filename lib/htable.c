/*
 * htable - a string-keyed hash table: anvil's per-client entries, the
 * in-memory (texthash:) lookup tables.
 *
 * Chains hang from a power-of-two array of buckets, hashed with FNV-1a;
 * the array doubles when the entries reach twice the buckets, so chains
 * stay short whatever the keys.  The keys may come from the network or
 * from files users edit; the table bounds nothing itself: its users cap
 * what they enter.
 */
#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "util.h"

/* htable_hash - FNV-1a of a key, as a bucket of t */
static size_t
htable_hash(const struct htable *t, const char *key)
{
	unsigned long long h = 14695981039346656037ULL;

	for (; *key; key++) {
		h ^= (unsigned char)*key;
		h *= 1099511628211ULL;
	}
	return (size_t)h & (t->size - 1);
}

/* htable_create - an empty table */
struct htable *
htable_create(size_t size)
{
	struct htable *t = xcalloc(1, sizeof(*t));

	for (t->size = 1; t->size < size; t->size *= 2)
		;
	t->bucket = xcalloc(t->size, sizeof(*t->bucket));
	return t;
}

/* htable_link - put an entry at the head of its chain */
static void
htable_link(struct htable *t, struct htable_info *e)
{
	size_t h = htable_hash(t, e->key);

	e->next = t->bucket[h];
	t->bucket[h] = e;
}

/* htable_grow - twice the buckets, every entry rehashed */
static void
htable_grow(struct htable *t)
{
	struct htable_info **old = t->bucket, *e, *next;
	size_t i, n = t->size;

	t->size = n * 2;
	t->bucket = xcalloc(t->size, sizeof(*t->bucket));
	for (i = 0; i < n; i++)
		for (e = old[i]; e != NULL; e = next) {
			next = e->next;
			htable_link(t, e);
		}
	free(old);
}

/* htable_locate - the entry of a key, or NULL */
struct htable_info *
htable_locate(struct htable *t, const char *key)
{
	struct htable_info *e;

	for (e = t->bucket[htable_hash(t, key)]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* htable_find - the value of a key, or NULL */
void *
htable_find(struct htable *t, const char *key)
{
	struct htable_info *e = htable_locate(t, key);

	return e != NULL ? e->value : NULL;
}

/* htable_enter - add a key that is not there yet */
struct htable_info *
htable_enter(struct htable *t, const char *key, void *value)
{
	struct htable_info *e;

	if (t->used >= 2 * t->size)
		htable_grow(t);
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->value = value;
	htable_link(t, e);
	t->used++;
	return e;
}

/* htable_sweep - remove the entries drop() names; entries left */
size_t
htable_sweep(struct htable *t, int (*drop)(void *, void *), void *ctx,
    void (*free_fn)(void *))
{
	struct htable_info **ep, *e;
	size_t i;

	for (i = 0; i < t->size; i++)
		for (ep = &t->bucket[i]; (e = *ep) != NULL; ) {
			if (drop != NULL && !drop(e->value, ctx)) {
				ep = &e->next;
				continue;
			}
			*ep = e->next;
			if (free_fn != NULL)
				free_fn(e->value);
			free(e->key);
			free(e);
			t->used--;
		}
	return t->used;
}

/* htable_free - every entry, then the table */
void
htable_free(struct htable **tp, void (*free_fn)(void *))
{
	if (*tp == NULL)
		return;
	htable_sweep(*tp, NULL, NULL, free_fn);
	free((*tp)->bucket);
	free(*tp);
	*tp = NULL;
}
