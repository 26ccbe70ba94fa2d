/*
 * tap.h - the Test Anything Protocol for the C unit tests: plan(), ok(),
 * is_str(), is_int(), done_testing().  prove reads what they print on
 * standard output; a failure is also told on standard error (which test,
 * and what was got and expected), which prove passes through even when it
 * is not verbose, so a CI log says which assertion failed and why.
 *
 * struct tap_text is a row of a table of cases, text in and text out.
 * Below them, what several unit tests need around their checks: a whole
 * file read (tap_slurp) or written (tap_write, tap_put: dir/rel, mode
 * 0600), whether dir/rel exists (tap_exists), how many files it holds
 * (tap_count), @DIR@ replaced in a text (tap_subst), a socket with what a
 * peer sent (tap_feed).
 */
#ifndef CARTERO_TAP_H
#define CARTERO_TAP_H

#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"

/* A case of a table of text cases: what goes in, what must come out. */
struct tap_text {
	const char	*in;
	const char	*want;
	const char	*name;		/* of the check */
};

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

/* tap_slurp - a whole file in a new buf, empty when it cannot be read */
static __attribute__((unused)) struct buf *
tap_slurp(const char *path)
{
	struct buf *why = buf_new(64, 0), *b;

	if ((b = file_slurp(path, 0, why)) == NULL)
		b = buf_new(16, 0);
	buf_free(&why);
	return b;
}

/* tap_write - replace a file's contents; exit when it cannot be written */
static void __attribute__((unused))
tap_write(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) == EOF) {
		perror(path);
		exit(1);
	}
}

/* tap_put - the file dir/rel (mode 0600) with text; exit when it fails */
static void __attribute__((unused))
tap_put(const char *dir, const char *rel, const char *text)
{
	struct buf *p = buf_new(256, 0);
	int fd;

	buf_setf(p, "%s/%s", dir, rel);
	fd = open(buf_str(p), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) < 0) {
		perror(buf_str(p));
		exit(1);
	}
	close(fd);
	buf_free(&p);
}

/* tap_exists - does dir/rel exist? */
static int __attribute__((unused))
tap_exists(const char *dir, const char *rel)
{
	struct buf *p = buf_new(256, 0);
	struct stat st;
	int r;

	buf_setf(p, "%s/%s", dir, rel);
	r = stat(buf_str(p), &st) == 0;
	buf_free(&p);
	return r;
}

/*
 * tap_count - the files of dir/rel whose names start with prefix (NULL:
 * any), dot files aside; -1 when it cannot be read
 */
static int __attribute__((unused))
tap_count(const char *dir, const char *rel, const char *prefix)
{
	struct buf *p = buf_new(256, 0);
	struct dirent *de;
	DIR *d;
	int n = -1;

	buf_setf(p, "%s/%s", dir, rel);
	if ((d = opendir(buf_str(p))) != NULL) {
		n = 0;
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' && (prefix == NULL ||
			    strncmp(de->d_name, prefix, strlen(prefix)) == 0))
				n++;
		closedir(d);
	}
	buf_free(&p);
	return n;
}

/* tap_subst - append text to out with each @DIR@ replaced by dir */
static void __attribute__((unused))
tap_subst(struct buf *out, const char *text, const char *dir)
{
	const char *at;

	while ((at = strstr(text, "@DIR@")) != NULL) {
		buf_append(out, text, (size_t)(at - text));
		buf_puts(out, dir);
		text = at + 5;
	}
	buf_puts(out, text);
}

/*
 * tap_feed - a socket from which data can be read, after which the peer
 * (*peer, the other end, for the caller to close) has shut its side
 */
static int __attribute__((unused))
tap_feed(const char *data, size_t len, int *peer)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    write(sv[1], data, len) != (ssize_t)len) {
		perror("tap_feed");
		exit(1);
	}
	shutdown(sv[1], SHUT_WR);
	*peer = sv[1];
	return sv[0];
}

#endif
