/*
 * pop3 - the mailbox side of the POP3 server, a program of its own.
 *
 * auth executes "$daemon_directory/pop3 -M -c DIR" after a good login, as
 * the account's user (never root), with the client on fd 0/1; the
 * environment names the account (USER, MAILDIR, and IP, the client's
 * address when known).  This opens the Maildir (pop3d_maildrop.c), says
 * "+OK Logged in." and serves the TRANSACTION and UPDATE states
 * (pop3d_cmd.c).  It is not the login program pop3d run with another flag
 * because that one links OpenSSL: mapping and relocating libssl and
 * libcrypto costs about half a megabyte per process, and there is one of
 * these processes per logged-in session.  This one links neither TLS nor
 * the auth client.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "server.h"
#include "pop3d.h"

/* main - open the Maildir and serve one logged-in session */
int
main(int argc, char **argv)
{
	struct pop3d_state s;
	struct buf	*why;
	const char	*maildir;
	int		 r;

	server_session_init(argc, argv, "pop3d", "pop3 [-M] [-c config_dir] "
	    "[-o name=value] [-v]: run by auth with the client on fd 0/1 and "
	    "MAILDIR set");
	why = buf_new(256, 4096);
	memset(&s, 0, sizeof(s));
	s.mailbox = 1;
	s.outfd = 1;
	s.timeout = (int)var_pop3d_timeout;
	s.pre_msg = -1;
	s.line = buf_new(256, 0);
	s.reply = buf_new(256, 0);
	s.tmp = buf_new(256, 0);
	server_session_env(&s.account, s.addr, sizeof(s.addr));
	s.io = lineio_new(0, POP3D_LINE_MAX, s.timeout);
	lineio_set_hooks(s.io, pop3d_io_read, pop3d_io_write, &s);
	pop3d_io_timeouts(&s);

	if ((maildir = getenv("MAILDIR")) == NULL || *maildir == '\0') {
		msg_warn("user=<%s>: no MAILDIR in the environment",
		    s.account);
		pop3d_reply(&s, "-ERR [SYS/PERM] No mailbox for this account.");
		lineio_linger(s.io, 0, s.outfd);
		exit(1);
	}
	r = pop3d_maildrop_open(maildir, &s.mbox, why);
	if (r == POP3D_MBOX_INUSE) {
		msg_info("user=<%s>, rip=%s: mailbox in use by another POP3 "
		    "session", s.account, s.addr);
		pop3d_reply(&s, "-ERR [IN-USE] Mailbox is locked by another "
		    "POP3 session");
		lineio_linger(s.io, 0, s.outfd);
		exit(0);
	}
	if (r < 0) {
		msg_warn("user=<%s>: %s", s.account, buf_str(why));
		pop3d_reply(&s, "-ERR [SYS/TEMP] Cannot open the mailbox, "
		    "try again later.");
		lineio_linger(s.io, 0, s.outfd);
		exit(1);
	}
	s.msg_count = s.mbox->count;
	for (r = 0; r < s.mbox->count; r++)
		s.msg_size += s.mbox->msgs[r].size;
	msg_info("login: user=<%s>, rip=%s, messages=%d, size=%lld",
	    s.account, s.addr, s.msg_count, s.msg_size);
	pop3d_reply(&s, "+OK Logged in.");
	pop3d_cmd_loop(&s);
	pop3d_maildrop_close(&s.mbox);
	buf_free(&s.pre);
	lineio_free(&s.io);
	buf_free(&s.line);
	buf_free(&s.reply);
	buf_free(&s.tmp);
	buf_free(&why);
	return 0;
}
