/*
 * lastlogin - when a mail user last logged in (see lastlogin.h).
 *
 * auth logs every login, but finding a user's last one in the mail log
 * means reading the log; this costs the session three system calls
 * instead (open, write, close) and answers "cartero user show" with one
 * stat and one read.  The file is the user's, in the user's Maildir, and
 * written by a process running as the user: so it is opened without
 * following a symlink and without blocking on a FIFO, and what is read
 * back is distrusted (bounded, made printable).  A session that wakes up
 * from imap-hibernate is not a login and is not noted.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lastlogin.h"
#include "msg.h"
#include "util.h"

/* lastlogin_note - note a login in the Maildir (best effort) */
void
lastlogin_note(const char *maildir, const char *service, const char *addr)
{
	struct buf *path, *line;
	int fd;

	if (maildir == NULL || *maildir == '\0')
		return;
	path = buf_new(256, 4096);
	line = buf_new(64, LASTLOGIN_MAX);
	buf_setf(path, "%s/%s", maildir, LASTLOGIN_FILE);
	buf_setf(line, "%s %s\n", service, addr);
	fd = open(buf_str(path), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0 || write_full(fd, buf_str(line), buf_len(line)) < 0) {
		if (msg_verbose)
			msg_info("%s: %m", buf_str(path));
	}
	fd_close(&fd);
	buf_free(&path);
	buf_free(&line);
}

/* lastlogin_read - the last login noted in a Maildir: 1, 0, -1 */
int
lastlogin_read(const char *maildir, long long *when, struct buf *what,
    struct buf *why)
{
	struct buf *path = buf_new(256, 4096);
	char text[LASTLOGIN_MAX];
	struct stat st;
	ssize_t n = -1;
	int fd, r = -1;

	buf_reset(what);
	buf_setf(path, "%s/%s", maildir, LASTLOGIN_FILE);
	fd = file_open_user(buf_str(path), O_RDONLY, &st, why);
	if (fd < 0)
		r = errno == ENOENT ? 0 : -1;
	else if ((n = read_some(fd, text, sizeof(text) - 1)) < 0)
		buf_setf(why, "read %s: %s", buf_str(path), strerror(errno));
	else {
		text[n] = '\0';
		text[strcspn(text, "\n")] = '\0';
		printable(text, what);
		*when = (long long)st.st_mtime;
		r = 1;
	}
	fd_close(&fd);
	buf_free(&path);
	return r;
}
