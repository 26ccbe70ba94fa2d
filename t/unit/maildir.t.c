/*
 * maildir.t.c - tests of lib/maildir.c: making a Maildir with its folders,
 * delivering into it durably and without following planted symlinks,
 * error classes, and the usage sum used for quotas.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "maildir.h"
#include "msg.h"
#include "util.h"
#include "../tap.h"

static char base[] = "/tmp/maildir.t.XXXXXX";
static int planted;
static char victim[512];

/* mode_of - permission bits of path, -1 if missing */
static int
mode_of(const char *fmt, const char *arg)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), fmt, base, arg);
	if (lstat(path, &st) < 0)
		return -1;
	return (int)(st.st_mode & 07777) | (S_ISDIR(st.st_mode) ? 010000 : 0);
}

/* only_file - the single entry of dir (malloc'd), NULL if not exactly one */
static char *
only_file(const char *dir, int *count)
{
	struct dirent *de;
	char *name = NULL;
	DIR *d;

	*count = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(*count)++;
		free(name);
		name = strdup(de->d_name);
	}
	closedir(d);
	return name;
}

/* plant - the tmp hook: put a symlink where the first tmp file goes */
static void
plant(const char *path)
{
	if (planted++ == 0 && symlink(victim, path) < 0)
		perror("symlink");
}

int
main(void)
{
	static const char msg[] = "Subject: hi\n\nhello\nworld\n";
	struct buf *why = buf_new(128, 0), *b;
	char md[512], dir[600], path[1200], qf[512], *name;
	const char *prefix = "Return-Path: <bob@mired.org>\n"
	    "Delivered-To: ana@mired.org\n";
	long long want, n;
	int fd, temp, count, r;

	plan(31);
	msg_init("maildir.t", 0);	/* quiet: a warning is expected */
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	umask(022);

	/* Making: missing parents, the Maildir, the folders, all 0700. */
	snprintf(md, sizeof(md), "%s/mail/mired.org/ana/Maildir", base);
	ok(maildir_make(md, 1, why) == 0, "maildir_make creates a Maildir "
	    "with its parents");
	is_int(mode_of("%s/mail/mired.org%s", ""), 010700,
	    "a missing parent is created mode 0700");
	is_int(mode_of("%s/mail/mired.org/ana/Maildir%s", ""), 010700,
	    "the Maildir is mode 0700");
	is_int(mode_of("%s/mail/mired.org/ana/Maildir/%s", "new"), 010700,
	    "new/ is mode 0700");
	is_int(mode_of("%s/mail/mired.org/ana/Maildir/%s", "tmp"), 010700,
	    "tmp/ is mode 0700");
	is_int(mode_of("%s/mail/mired.org/ana/Maildir/%s", "cur"), 010700,
	    "cur/ is mode 0700");
	is_int(mode_of("%s/mail/mired.org/ana/Maildir/%s", ".Sent/cur"),
	    010700, ".Sent/cur is mode 0700");
	ok(mode_of("%s/mail/mired.org/ana/Maildir/%s",
	    ".Templates/maildirfolder") > 0, ".Templates has maildirfolder");
	ok(mode_of("%s/mail/mired.org/ana/Maildir/%s", ".Drafts/new") > 0 &&
	    mode_of("%s/mail/mired.org/ana/Maildir/%s", ".Trash/tmp") > 0 &&
	    mode_of("%s/mail/mired.org/ana/Maildir/%s", ".Junk/cur") > 0,
	    "the other folders exist");
	ok(maildir_make(md, 1, why) == 0, "making it again is harmless");

	/* A queue-file stand-in: envelope junk, then the message. */
	snprintf(qf, sizeof(qf), "%s/queuefile", base);
	fd = open(qf, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (write(fd, "T1 0\nM\n", 7) != 7 ||
	    write(fd, msg, sizeof(msg) - 1) != (ssize_t)sizeof(msg) - 1)
		perror("write");

	/* Delivering. */
	r = maildir_deliver(md, prefix, fd, 7, sizeof(msg) - 1, why, &temp);
	ok(r == 0, "maildir_deliver succeeds");
	if (r < 0)
		printf("# %s\n", buf_str(why));
	snprintf(dir, sizeof(dir), "%s/new", md);
	name = only_file(dir, &count);
	is_int(count, 1, "one file in new/");
	want = (long long)strlen(prefix) + (long long)sizeof(msg) - 1;
	snprintf(path, sizeof(path), ",S=%lld", want);
	ok(name != NULL && strstr(name, path) != NULL,
	    "its name carries ,S=<size>");
	snprintf(path, sizeof(path), "%s/%s", dir, name ? name : "none");
	b = tap_slurp(path);
	is_int((long long)buf_len(b), want, "its size is prefix + message");
	ok(buf_len(b) > strlen(prefix) &&
	    strncmp(buf_str(b), prefix, strlen(prefix)) == 0 &&
	    strcmp(buf_str(b) + strlen(prefix), msg) == 0,
	    "its content is prefix + message");
	buf_free(&b);
	snprintf(path, sizeof(path), "%s/new/%s", md, name ? name : "none");
	is_int(mode_of("%s%s", path + strlen(base)), 0600,
	    "the message file is mode 0600");
	free(name);
	snprintf(dir, sizeof(dir), "%s/tmp", md);
	name = only_file(dir, &count);
	is_int(count, 0, "tmp/ is empty after delivery");
	free(name);

	/* A symlink planted at the tmp/ name is not followed. */
	snprintf(victim, sizeof(victim), "%s/victim", base);
	maildir_tmp_hook = plant;
	r = maildir_deliver(md, prefix, fd, 7, sizeof(msg) - 1, why, &temp);
	maildir_tmp_hook = NULL;
	ok(r == 0, "delivery with a planted symlink still succeeds");
	ok(access(victim, F_OK) < 0 && errno == ENOENT,
	    "the symlink target was not created");
	snprintf(dir, sizeof(dir), "%s/new", md);
	name = only_file(dir, &count);
	is_int(count, 2, "a second file in new/ (a fresh name)");
	free(name);

	/* Usage: the two messages, from their ,S= sizes. */
	is_int(maildir_count(md, &n), 2 * want, "maildir_count sums new/");
	snprintf(path, sizeof(path), "%s/.Sent/cur/123.M1P1Q1.host:2,S", md);
	b = tap_slurp(qf);
	r = open(path, O_CREAT | O_WRONLY, 0600);
	if (write(r, "12345", 5) != 5)
		perror("write");
	close(r);
	buf_free(&b);
	is_int(maildir_count(md, &n), 2 * want + 5,
	    "a folder file without ,S= counts by its size");
	is_int(maildir_file_size(AT_FDCWD, path), 5,
	    "maildir_file_size: the file's size without ,S=");
	is_int(n, 3, "and counts the messages of every folder");
	snprintf(path, sizeof(path), "%s/nonexistent", base);
	is_int(maildir_count(path, &n), 0, "a missing Maildir uses nothing");

	/* Errors and their classes. */
	snprintf(path, sizeof(path), "%s/nonexistent", base);
	ok(maildir_deliver(path, prefix, fd, 7, sizeof(msg) - 1, why,
	    &temp) < 0 && temp == 1, "a missing Maildir is a temporary error");
	ok(strstr(buf_str(why), "nonexistent") != NULL,
	    "the error names the path");
	ok(maildir_deliver(qf, prefix, fd, 7, sizeof(msg) - 1, why,
	    &temp) < 0 && temp == 0 && errno == ENOTDIR,
	    "a file where the Maildir belongs is a permanent error");
	ok(maildir_deliver(md, prefix, fd, 7, sizeof(msg) + 100, why,
	    &temp) < 0 && temp == 1, "a short queue file is a temporary error");
	snprintf(dir, sizeof(dir), "%s/tmp", md);
	name = only_file(dir, &count);
	is_int(count, 1, "a failed delivery leaves no file in tmp/ "
	    "(only the planted symlink)");
	free(name);
	snprintf(path, sizeof(path), "%s/queuefile/Maildir", base);
	ok(maildir_make(path, 0, why) < 0,
	    "maildir_make under a file fails");
	close(fd);

	buf_free(&why);
	snprintf(path, sizeof(path), "rm -rf '%s'", base);
	if (system(path) != 0)
		printf("# could not remove %s\n", base);
	return done_testing();
}
