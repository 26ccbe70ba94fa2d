/*
 * quota.t.c - tests of lib/quota.c: which warning percentage a delivery
 * crossed (a table of cases, the list's parser among them), and the
 * warning message.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "quota.h"
#include "../tap.h"

static const struct {
	long long	 before, after, limit;
	const char	*list;
	int		 want;
	const char	*name;
} cases[] = {
	{ 0, 500, 1000, "80, 95", 0, "below every threshold: none" },
	{ 700, 800, 1000, "80, 95", 80, "reaching 80% exactly warns" },
	{ 700, 850, 1000, "80, 95", 80, "crossing 80%" },
	{ 800, 850, 1000, "80, 95", 0, "already at 80%: no second warning" },
	{ 850, 960, 1000, "80, 95", 95, "crossing 95%" },
	{ 100, 990, 1000, "80, 95", 95, "crossing both: the highest, once" },
	{ 100, 990, 1000, "95 80", 95, "the list's order does not matter" },
	{ 100, 990, 1000, "95,80", 95, "commas without blanks" },
	{ 990, 2000, 1000, "80, 95, 100", 100, "100% (full) is one too" },
	{ 100, 990, 1000, "", 0, "an empty list: no warnings" },
	{ 100, 990, 0, "80, 95", 0, "no limit: no warnings" },
	{ 100, 990, 1000, "x, 0, 101, -5, 8a, 90", 90,
	    "entries that are not 1 to 100 are skipped" },
	{ 100, 990, 1000, "99999999999999999999999", 0,
	    "a huge number is skipped" },
	{ 4000000000000000000LL, 5000000000000000000LL,
	    5000000000000000000LL, "80, 95", 95, "huge sizes do not overflow" },
};

int
main(void)
{
	struct buf *b = buf_new(256, 0);
	size_t i, n = sizeof(cases) / sizeof(cases[0]);

	plan((int)n + 4);
	for (i = 0; i < n; i++)
		is_int(quota_warning_level(cases[i].before, cases[i].after,
		    cases[i].limit, cases[i].list), cases[i].want,
		    cases[i].name);
	quota_warning_message(b, "ana@mired.org", 80, 820, 1000,
	    "mail.mired.org");
	ok(strstr(buf_str(b), "\nSubject: Your mailbox is 80% full\n") != NULL,
	    "the subject says the percentage");
	ok(strstr(buf_str(b), "To: <ana@mired.org>\n") != NULL,
	    "it is addressed to the user");
	ok(strstr(buf_str(b), "\nAuto-Submitted: auto-generated\n") != NULL,
	    "auto-generated (RFC 3834): no one answers it");
	ok(strstr(buf_str(b), "820 bytes of the 1000") != NULL,
	    "the body says how full");
	buf_free(&b);
	return done_testing();
}
