/*
 * uidlist.t - sorting and searching records by the UID they begin with
 * (uidlist_cmp, uidlist_search): found at either end and in the middle,
 * not found between, below, above, in an empty array; the top UID.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uidlist.h"
#include "../tap.h"

struct rec {
	uint32_t	 uid;
	const char	*name;
};

int
main(void)
{
	struct rec v[] = {
		{ 9, "i" }, { 0xffffffffU, "top" }, { 1, "a" }, { 5, "e" },
		{ 3, "c" },
	};
	int n = (int)(sizeof(v) / sizeof(v[0]));

	plan(10);
	qsort(v, (size_t)n, sizeof(v[0]), uidlist_cmp);
	ok(v[0].uid == 1 && v[1].uid == 3 && v[2].uid == 5 && v[3].uid == 9 &&
	    v[4].uid == 0xffffffffU, "uidlist_cmp sorts by UID, top last");
	is_str(v[2].name, "e", "the records move whole");
	ok(uidlist_search(v, n, sizeof(v[0]), 1) == 0, "the first is found");
	ok(uidlist_search(v, n, sizeof(v[0]), 5) == 2, "the middle one");
	ok(uidlist_search(v, n, sizeof(v[0]), 0xffffffffU) == 4,
	    "the last, the top UID");
	ok(uidlist_search(v, n, sizeof(v[0]), 4) == -1, "between: -1");
	ok(uidlist_search(v, n, sizeof(v[0]), 0) == -1, "below: -1");
	ok(uidlist_search(v, n - 1, sizeof(v[0]), 0xffffffffU) == -1,
	    "past n: -1");
	ok(uidlist_search(v, 0, sizeof(v[0]), 1) == -1, "an empty array");
	ok(uidlist_cmp(&v[1], &v[1]) == 0, "a record equals itself");
	return done_testing();
}
