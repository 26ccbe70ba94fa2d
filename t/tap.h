/*
 * tap.h - the Test Anything Protocol for the C unit tests: plan(), ok(),
 * is_str(), is_int(), done_testing().  prove reads what they print on
 * standard output; a failure is also told on standard error (which test,
 * and what was got and expected), which prove passes through even when it
 * is not verbose, so a CI log says which assertion failed and why.
 */
#ifndef CARTERO_TAP_H
#define CARTERO_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed, tap_planned;

static void __attribute__((unused))
plan(int n)
{
	printf("1..%d\n", n);
	tap_planned = 1;
}

static int __attribute__((unused))
tap_result(int good, const char *name)
{
	tap_n++;
	if (!good)
		tap_failed++;
	printf("%sok %d - %s\n", good ? "" : "not ", tap_n, name);
	if (!good) {
		fflush(stdout);
		fprintf(stderr, "#   Failed test %d - %s\n", tap_n, name);
	}
	return good;
}

#define ok(cond, name)	tap_result((cond) != 0, (name))

static int __attribute__((unused))
is_str(const char *got, const char *want, const char *name)
{
	int good = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	if (!tap_result(good, name))
		fprintf(stderr, "#   got: '%s'\n#   expected: '%s'\n",
		    got ? got : "(null)", want ? want : "(null)");
	return good;
}

static int __attribute__((unused))
is_int(long long got, long long want, const char *name)
{
	if (!tap_result(got == want, name))
		fprintf(stderr, "#   got: %lld\n#   expected: %lld\n", got,
		    want);
	return got == want;
}

static int __attribute__((unused))
done_testing(void)
{
	if (!tap_planned)
		printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
