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

/* Quota words: want is "result bytes count" (-1: kept as given). */
static const struct {
	const char	*in;
	int		 lax;
	const char	*want;
	const char	*name;
} rules[] = {
	{ "1G", 0, "1 1073741824 -1", "a table's value: a size alone" },
	{ "500m quota_messages=100", 0, "1 524288000 100",
	    "a size, then a message count" },
	{ "none", 0, "1 0 -1", "none: no limit for this user" },
	{ "quota=2048", 1, "1 2048 -1", "quota= in bytes" },
	{ "quota=10k quota_messages=5", 1, "1 10240 5", "both limits" },
	{ "userdb_mail=maildir:~/M nice=10 quota=1m", 1, "1 1048576 -1",
	    "lax: other extra fields are skipped" },
	{ "nodelay quota=1m", 1, "1 1048576 -1",
	    "lax: a bare word is skipped" },
	{ "userdb_quota_rule=*:storage=1G", 1, "1 1073741824 -1",
	    "Dovecot's rule, storage with a unit" },
	{ "quota_rule=*:storage=1024:messages=10", 1, "1 1048576 10",
	    "storage without a unit is KiB, messages too" },
	{ "userdb_quota_rule=*:bytes=1000", 1, "1 1000 -1", "bytes=" },
	{ "userdb_quota_rule=Trash:storage=+100M", 1, "0 -1 -1",
	    "a folder's rule is not ours" },
	{ "userdb_quota_rule=*:storage=1T", 1, "-1 -1 -1", "an unknown unit" },
	{ "userdb_quota_rule=*:ignore", 1, "-1 -1 -1", "not name=value" },
	{ "userdb_quota_rule=*:files=9", 1, "-1 -1 -1", "an unknown limit" },
	{ "", 1, "0 -1 -1", "nothing" },
	{ "quota=lots", 1, "-1 -1 -1", "a bad size is refused, even lax" },
	{ "quota=1m quota_messages=-3", 1, "-1 -1 -1",
	    "a bad count refuses the whole (no half quota)" },
	{ "quota=99999999999999999999", 1, "-1 -1 -1", "a huge size" },
	{ "quota=9100000000000000", 1, "-1 -1 -1", "past 2^53 bytes" },
	{ "quota=8g", 1, "1 8589934592 -1", "8g" },
	{ "1G 2G", 0, "-1 -1 -1", "strict: a second bare size" },
	{ "quota=1G colour=blue", 0, "-1 -1 -1", "strict: unknown words" },
};

int
main(void)
{
	struct buf *b = buf_new(256, 0), *why = buf_new(64, 0);
	size_t i, n = sizeof(cases) / sizeof(cases[0]);
	size_t nr = sizeof(rules) / sizeof(rules[0]);
	long long qb, qc;
	char big[2000];
	int r;

	plan((int)n + (int)nr + 5);
	for (i = 0; i < nr; i++) {
		qb = qc = -1;
		r = quota_rule_parse(rules[i].in, rules[i].lax, &qb, &qc, why);
		buf_reset(b);
		buf_appendf(b, "%d %lld %lld", r, qb, qc);
		is_str(buf_str(b), rules[i].want, rules[i].name);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	qb = qc = -1;
	ok(quota_rule_parse(big, 1, &qb, &qc, why) == -1 && qb == -1,
	    "an over-long field is refused");
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
	buf_free(&why);
	return done_testing();
}
