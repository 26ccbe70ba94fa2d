/*
 * lastlogin.t.c - tests of lib/lastlogin.c: a login noted and read back,
 * none noted, a long or hostile line, a planted symlink or FIFO that
 * neither the session nor "cartero user show" follows or waits on.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "lastlogin.h"
#include "msg.h"
#include "util.h"
#include "../tap.h"

static char base[] = "/tmp/lastlogin.t.XXXXXX";

int
main(void)
{
	struct buf *what = buf_new(64, 0), *why = buf_new(64, 0);
	char path[1024], victim[1024], longname[600];
	long long when = 0;
	time_t t0 = time(NULL);

	plan(11);
	msg_init("lastlogin.t", MSG_STDERR);
	if (mkdtemp(base) == NULL)
		return 1;
	is_int(lastlogin_read(base, &when, what, why), 0,
	    "no login noted: 0");
	lastlogin_note(base, "imapd", "192.0.2.7");
	is_int(lastlogin_read(base, &when, what, why), 1, "a login noted: 1");
	is_str(buf_str(what), "imapd 192.0.2.7", "the service and address");
	ok(when >= (long long)t0 - 1 && when <= (long long)time(NULL) + 1,
	    "and its time");
	lastlogin_note(base, "pop3d", "2001:db8::1");
	lastlogin_read(base, &when, what, why);
	is_str(buf_str(what), "pop3d 2001:db8::1",
	    "the next login replaces it");

	/* What the user wrote there is shown printable and bounded. */
	snprintf(path, sizeof(path), "%s/%s", base, LASTLOGIN_FILE);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[3] = '\033';
	lastlogin_note(base, longname, "a");
	lastlogin_read(base, &when, what, why);
	ok(buf_len(what) < LASTLOGIN_MAX && strchr(buf_str(what), '\033') ==
	    NULL, "a long line with an escape: bounded, printable");

	/* A symlink is neither written through nor read. */
	unlink(path);
	snprintf(victim, sizeof(victim), "%s/victim", base);
	if (symlink(victim, path) < 0)
		perror("symlink");
	lastlogin_note(base, "imapd", "x");
	ok(access(victim, F_OK) < 0 && errno == ENOENT,
	    "a login does not write through a planted symlink");
	is_int(lastlogin_read(base, &when, what, why), -1,
	    "reading it is an error");
	unlink(path);

	/* A FIFO: no one waits on it. */
	if (mkfifo(path, 0600) < 0)
		perror("mkfifo");
	lastlogin_note(base, "imapd", "x");
	ok(1, "a login does not wait on a FIFO");
	is_int(lastlogin_read(base, &when, what, why), -1,
	    "show says it is not a file");
	unlink(path);
	snprintf(path, sizeof(path), "%s/nonexistent", base);
	lastlogin_note(path, "imapd", "x");
	ok(1, "a missing Maildir is no error for the session");
	rmdir(base);
	buf_free(&what);
	buf_free(&why);
	return done_testing();
}
