/*
 * htable.t - the string hash table: enter, find, locate, growth past
 * many times the first buckets (every key still found), sweeping some
 * entries and then all, values freed by the caller's function.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "util.h"
#include "../tap.h"

#define N	5000

static int freed;

/* count_free - a value's free function that counts */
static void
count_free(void *v)
{
	freed++;
	free(v);
}

/* odd - drop the entries whose value is odd */
static int
odd(void *v, void *ctx)
{
	return *(int *)v % 2 == 1;
}

int
main(void)
{
	struct htable *t = htable_create(3);
	char key[32];
	int i, *v, all = 1;

	plan(12);
	ok(t->size == 4 && t->used == 0, "an empty table, a power of two");
	ok(htable_find(t, "x") == NULL, "nothing is found in it");
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "smtp 10.0.%d.%d", i / 256, i % 256);
		v = xcalloc(1, sizeof(*v));
		*v = i;
		htable_enter(t, key, v);
	}
	ok(t->used == N, "every key entered");
	ok(t->size >= N / 2, "the buckets grew with the entries");
	for (i = 0; i < N && all; i++) {
		snprintf(key, sizeof(key), "smtp 10.0.%d.%d", i / 256, i % 256);
		v = htable_find(t, key);
		all = v != NULL && *v == i;
	}
	ok(all, "every key is found with its value after growing");
	ok(htable_find(t, "smtp 10.0.0.") == NULL &&
	    htable_find(t, "") == NULL, "a prefix, the empty key: not there");
	is_str(htable_locate(t, "smtp 10.0.1.2")->key, "smtp 10.0.1.2",
	    "locate gives the entry with its own copy of the key");
	ok(htable_sweep(t, odd, NULL, count_free) == N / 2 && freed == N / 2,
	    "sweep drops the odd values and frees them");
	ok(htable_find(t, "smtp 10.0.0.1") == NULL &&
	    *(int *)htable_find(t, "smtp 10.0.0.2") == 2,
	    "the odd ones are gone, the even ones stay");
	ok(htable_sweep(t, NULL, NULL, count_free) == 0 && freed == N,
	    "a sweep with no test empties the table");
	v = xcalloc(1, sizeof(*v));
	htable_enter(t, "again", v);
	ok(htable_find(t, "again") == v, "an emptied table takes keys again");
	htable_free(&t, count_free);
	ok(t == NULL && freed == N + 1, "free frees the values and NULLs it");
	return done_testing();
}
