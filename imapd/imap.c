/*
 * imap - the mailbox side of the IMAP server, a program of its own.
 *
 * auth executes "$daemon_directory/imap -M -c DIR" after a good login (or
 * to wake a session that slept in imap-hibernate), as the account's user
 * (never root), with the client on fd 0/1; imapd_session.c serves the
 * session.  It is not the login program imapd because that one links
 * OpenSSL: mapping and relocating libssl and libcrypto costs about half a
 * megabyte per process, and there is one of these processes per
 * logged-in session.
 *
 * The environment names the account: USER, MAILDIR, QUOTA (its limits,
 * lib/quota.h), IP (the client's address when known), and, for a session that wakes up, RESUME (its
 * credential) and RESUME_FD (the saved state's descriptor).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "maildir.h"
#include "msg.h"
#include "params.h"
#include "quota.h"
#include "server.h"
#include "imapd.h"

/* main - check the Maildir and serve one logged-in session */
int
main(int argc, char **argv)
{
	struct imapd_state s;
	const char	*fd;
	int		 one = 1;

	server_session_init(argc, argv, "imapd", "imap [-M] [-c config_dir] "
	    "[-o name=value] [-v]: run by auth with the client on fd 0/1 and "
	    "MAILDIR set");
	signal(SIGPIPE, SIG_IGN);	/* a write to a gone client fails */
	memset(&s, 0, sizeof(s));
	s.why = buf_new(256, 4096);
	s.outfd = 1;
	s.idle_fd = -1;
	s.idle_wd[0] = s.idle_wd[1] = s.idle_wd[2] = -1;
	/*
	 * Replies are written in pieces; with Nagle on, the last piece of a
	 * FETCH waits for the client's delayed ACK (tens of ms).  Over the
	 * TLS relay's socket pair this fails harmlessly.
	 */
	(void)setsockopt(s.outfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s.timeout = (int)var_imapd_timeout;
	s.reply = buf_new(256, 0);
	s.tmp = buf_new(256, 0);
	server_session_env(&s.account, s.addr, sizeof(s.addr));
	quota_session(&s.quota_bytes, &s.quota_count);
	s.io = lineio_new(0, IMAPD_LINE_MAX, s.timeout);
	lineio_set_hooks(s.io, imapd_io_read, imapd_io_write, &s);

	/* A new account's Maildir is made here, as its owner. */
	if ((s.maildir = getenv("MAILDIR")) != NULL && *s.maildir != '\0' &&
	    access(s.maildir, F_OK) < 0 && errno == ENOENT &&
	    maildir_make(s.maildir, 1, s.why) < 0)
		msg_warn("user=<%s>: %s", s.account, buf_str(s.why));
	if (s.maildir == NULL || *s.maildir == '\0' ||
	    access(s.maildir, R_OK | X_OK) < 0) {
		msg_warn("user=<%s>: no usable MAILDIR (%s): %m", s.account,
		    s.maildir ? s.maildir : "unset");
		imapd_reply(&s, "* BYE [UNAVAILABLE] No mailbox for this "
		    "account.");
		lineio_linger(s.io, 0, s.outfd);
		exit(1);
	}
	s.hib_ms = var_imapd_hibernate_timeout * 1000;
	s.resume_cred = getenv("RESUME");
	if ((fd = getenv("RESUME_FD")) != NULL)
		imapd_resumed(&s, fd);
	else
		msg_info("login: user=<%s>, rip=%s, imap session", s.account,
		    s.addr);
	imapd_session(&s);
	imapd_unselect(&s);
	lineio_free(&s.io);
	buf_free(&s.reply);
	buf_free(&s.tmp);
	buf_free(&s.why);
	return 0;
}
