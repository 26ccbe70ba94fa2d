/*
 * tap.h - the Test Anything Protocol for the C unit tests: plan(), ok(),
 * is_str(), is_int(), done_testing().  prove reads what they print.
 */
#ifndef CARTERO_TAP_H
#define CARTERO_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static void
plan(int n)
{
	printf("1..%d\n", n);
}

static int
tap_result(int good, const char *name)
{
	tap_n++;
	if (!good)
		tap_failed++;
	printf("%sok %d - %s\n", good ? "" : "not ", tap_n, name);
	return good;
}

#define ok(cond, name)	tap_result((cond) != 0, (name))

static int
is_str(const char *got, const char *want, const char *name)
{
	int good = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	if (!tap_result(good, name))
		printf("#   got: '%s'\n#   expected: '%s'\n",
		    got ? got : "(null)", want ? want : "(null)");
	return good;
}

static int
is_int(long long got, long long want, const char *name)
{
	if (!tap_result(got == want, name))
		printf("#   got: %lld\n#   expected: %lld\n", got, want);
	return got == want;
}

static int
done_testing(void)
{
	if (tap_n == 0)
		printf("1..0\n");
	return tap_failed ? 1 : 0;
}

#endif
