/*
 * hibstate.t - the head of a sleeping IMAP session's state as its readers
 * take it (lib/hibstate.c): where the head ends, the common fields and
 * their checks, and bounded numbers.  The state comes from a process the
 * reader does not trust, so most cases are hostile.
 */
#include <limits.h>
#include <string.h>

#include "attr.h"
#include "hibstate.h"
#include "../tap.h"

#define OK_HEAD	"account=ana@mired.org\nrip=127.0.0.2\ncredential=1.ab.cd\n" \
		"deadline=1000\nnotify=2000\n"

/* A head, and what hibstate_head() says of it: NULL ok, else a refusal. */
static const struct {
	const char	*desc;
	const char	*head;		/* without its empty line */
	int		 good;
	const char	*idle;
} heads[] = {
	{ "a whole head", OK_HEAD, 1, NULL },
	{ "in IDLE", OK_HEAD "idle=A12\n", 1, "A12" },
	{ "no account", "rip=1.2.3.4\ncredential=x\ndeadline=1\nnotify=1\n",
	    0, NULL },
	{ "an empty account", "account=\nrip=1.2.3.4\ncredential=x\n"
	    "deadline=1\nnotify=1\n", 0, NULL },
	{ "a blank in the account", "account=a b\nrip=1.2.3.4\n"
	    "credential=x\ndeadline=1\nnotify=1\n", 0, NULL },
	{ "an 8-bit rip", "account=a\nrip=%C3%A9\ncredential=x\n"
	    "deadline=1\nnotify=1\n", 0, NULL },
	{ "a control in the credential", "account=a\nrip=r\n"
	    "credential=x%0Ay\ndeadline=1\nnotify=1\n", 0, NULL },
	{ "an IDLE tag with a blank", OK_HEAD "idle=a%20b\n", 0, NULL },
	{ "a negative deadline", "account=a\nrip=r\ncredential=c\n"
	    "deadline=-5\nnotify=1\n", 0, NULL },
	{ "a deadline with a sign", "account=a\nrip=r\ncredential=c\n"
	    "deadline=+5\nnotify=1\n", 0, NULL },
	{ "a notify over LLONG_MAX", "account=a\nrip=r\ncredential=c\n"
	    "deadline=5\nnotify=9223372036854775808\n", 0, NULL },
	{ "no notify", "account=a\nrip=r\ncredential=c\ndeadline=5\n", 0,
	    NULL },
};

/* Numbers within bounds: the text, lo, hi, whether it is taken. */
static const struct {
	const char	*text;
	long long	 lo, hi;
	int		 good;
} nums[] = {
	{ "0", 0, 1, 1 },
	{ "1", 0, 1, 1 },
	{ "2", 0, 1, 0 },
	{ "0", 1, 4294967295LL, 0 },
	{ "4294967295", 1, 4294967295LL, 1 },
	{ "4294967296", 1, 4294967295LL, 0 },
	{ "", 0, 10, 0 },
	{ " 1", 0, 10, 0 },
	{ "1 ", 0, 10, 0 },
	{ "-1", 0, 10, 0 },
	{ "0x1", 0, 10, 0 },
	{ "9223372036854775807", 0, LLONG_MAX, 1 },
	{ "99999999999999999999", 0, LLONG_MAX, 0 },
};

int
main(void)
{
	struct hibstate_head h;
	struct attr	 a;
	char		 buf[512];
	long long	 n;
	size_t		 i;

	attr_init(&a);
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		if (attr_parse(heads[i].head, strlen(heads[i].head), &a) < 0) {
			ok(!heads[i].good, heads[i].desc);
			continue;
		}
		ok((hibstate_head(&a, &h) == NULL) == heads[i].good,
		    heads[i].desc);
		if (heads[i].good)
			is_str(h.idle, heads[i].idle, "  its IDLE tag");
	}

	snprintf(buf, sizeof(buf), "%s\n", OK_HEAD "count=0\nsize=0\n");
	is_int((long long)hibstate_head_end(buf, strlen(buf)),
	    (long long)strlen(buf), "the head ends at its empty line");
	is_int((long long)hibstate_head_end(buf, strlen(buf) - 1), 0,
	    "a head without its empty line has no end yet");
	{
		static char big[HIBSTATE_HEAD_MAX + 16];

		memset(big, 'x', sizeof(big));
		big[HIBSTATE_HEAD_MAX + 2] = '\n';
		big[HIBSTATE_HEAD_MAX + 3] = '\n';
		is_int((long long)hibstate_head_end(big, sizeof(big)), 0,
		    "an end past HIBSTATE_HEAD_MAX is not looked for");
	}

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		attr_clear(&a);
		attr_set(&a, "n", nums[i].text);
		snprintf(buf, sizeof(buf), "\"%s\" in [%lld, %lld]",
		    nums[i].text, nums[i].lo, nums[i].hi);
		ok((hibstate_num(&a, "n", nums[i].lo, nums[i].hi, &n) == 0) ==
		    nums[i].good, buf);
	}
	attr_clear(&a);
	ok(hibstate_num(&a, "n", 0, 10, &n) < 0, "an absent number");
	attr_free(&a);
	return done_testing();
}
