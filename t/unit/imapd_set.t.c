/*
 * imapd_set.t - IMAP sequence sets (imapd/imapd_set.c): ranges and '*',
 * reversed ranges, sorting and merging, membership by binary search,
 * '*' resolved against the largest number, invalid sets refused, and a
 * set written back compactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "../../imapd/imapd.h"
#include "../tap.h"

/* merge_tests - a sequence set is sorted and merged (issue 9, item 10) */
static void
merge_tests(void)
{
	static const struct {
		const char *set;
		const char *merged;	/* the ranges without '*' */
		uint32_t star_lo, star_hi;
	} t[] = {
		{ "1:5,3:9,2", "1:9", 0, 0 },		/* overlapping */
		{ "1:3,4:6,8,7", "1:8", 0, 0 },		/* adjacent */
		{ "5:2,9", "2:5,9", 0, 0 },		/* reversed */
		{ "7,3:1,4,20:10,4294967295,4294967294:5", "1:4294967295",
		    0, 0 },				/* to the top */
		{ "1:*,1:*,*:1,1:*", "", 1, 1 },	/* '*' many times */
		{ "*,4:*,*:9,3", "3", 4, 9 },
		{ "*:*", "", 0, 0 },
	};
	struct imapd_set set;
	struct buf *b = buf_new(64, 0), *name = buf_new(64, 0);
	uint32_t lo, hi;
	size_t i;
	int k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(b);
		buf_setf(name, "set %s merged to \"%s\"", t[i].set,
		    t[i].merged);
		if (imapd_set_parse(t[i].set, &set) < 0) {
			ok(0, buf_str(name));
			continue;
		}
		for (k = 0; k < set.count; k++) {
			buf_appendf(b, "%s%u", k ? "," : "", set.r[k].lo);
			if (set.r[k].hi != set.r[k].lo)
				buf_appendf(b, ":%u", set.r[k].hi);
		}
		is_str(buf_str(b), t[i].merged, buf_str(name));
		buf_setf(b, "star %d %u..%u", set.star, set.star_lo,
		    set.star_hi);
		buf_setf(name, "star %d %u..%u", strchr(t[i].set, '*') !=
		    NULL, t[i].star_lo, t[i].star_hi);
		is_str(buf_str(b), buf_str(name), "... and its '*' part");
		imapd_set_free(&set);
	}
	(void)imapd_set_parse("*,4:*,*:9,3", &set);
	imapd_set_star(&set, 6, &lo, &hi);
	buf_setf(b, "%u:%u", lo, hi);
	is_str(buf_str(b), "4:9", "4:* and *:9 with '*' = 6 name 4:9");
	imapd_set_star(&set, 2, &lo, &hi);
	buf_setf(b, "%u:%u", lo, hi);
	is_str(buf_str(b), "2:9", "... with '*' = 2, 2:9");
	ok(imapd_set_has(&set, 3, 2) && !imapd_set_has(&set, 1, 2) &&
	    !imapd_set_has(&set, 10, 2), "... its members");
	imapd_set_free(&set);
	(void)imapd_set_parse("2:4,8:10,20", &set);
	ok(!imapd_set_has(&set, 1, 9) && imapd_set_has(&set, 2, 9) &&
	    imapd_set_has(&set, 4, 9) && !imapd_set_has(&set, 5, 9) &&
	    imapd_set_has(&set, 9, 9) && !imapd_set_has(&set, 11, 9) &&
	    imapd_set_has(&set, 20, 9) && !imapd_set_has(&set, 21, 9),
	    "membership by binary search");
	imapd_set_free(&set);
	buf_free(&b);
	buf_free(&name);
}

int
main(void)
{
	struct imapd_set set;

	msg_init("imapd_set.t", MSG_STDERR);
	ok(imapd_set_parse("1:3,5,7:*", &set) == 0 && set.count == 2 &&
	    set.star && set.star_lo == 7, "a set with ranges and '*'");
	ok(imapd_set_has(&set, 2, 10) && imapd_set_has(&set, 5, 10) &&
	    !imapd_set_has(&set, 6, 10) && imapd_set_has(&set, 10, 10),
	    "... membership, '*' being the largest");
	imapd_set_free(&set);
	ok(imapd_set_parse("9:3", &set) == 0 && imapd_set_has(&set, 4, 10),
	    "a reversed range");
	imapd_set_free(&set);
	merge_tests();
	ok(imapd_set_parse("0", &set) < 0 && imapd_set_parse("1,", &set) < 0 &&
	    imapd_set_parse("1:x", &set) < 0 && imapd_set_parse("", &set) < 0 &&
	    imapd_set_parse("4294967296", &set) < 0, "invalid sets");
	{
		struct buf *b = buf_new(64, 0);
		uint32_t v[] = { 1, 2, 3, 5, 7, 8 };

		imapd_set_format(b, v, 6);
		is_str(buf_str(b), "1:3,5,7:8", "a set written compactly");
		buf_free(&b);
	}

	return done_testing();
}
