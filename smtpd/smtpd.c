/*
 * smtpd - the SMTP server (RFC 5321) under the server skeleton: one
 * session per connection, blocking reads and writes through lineio, each
 * bounded by smtpd_timeout, every command line bounded by
 * line_length_limit.
 *
 * This file holds the session: the greeting, the command loop (which ends
 * the session with 421 at smtpd_hard_error_limit errors; replies and the
 * error count are in smtpd_chat.c, the client's identity in smtpd_peer.c).
 * Commands end with CRLF or a bare LF, so that people
 * can type them with telnet or nc.  Everything the client sends is
 * distrusted; it is made printable before it is logged.  A client not in
 * smtpd_client_event_limit_exceptions is counted by anvil (lib/anvilc.c)
 * and refused with 421 over smtpd_client_connection_count_limit or
 * _rate_limit, before the greeting and before any TLS handshake.  A
 * client that talks before the greeting (a spam bot that does not wait:
 * Postfix's postscreen calls it pregreet) gets 554 instead of 220 and is
 * disconnected (smtpd_forbid_unauth_pipelining; never mynetworks, whose
 * scripts and typed dialogs may not wait); what counts is what has arrived by the time the
 * greeting is due, after the client's name was looked up, which costs
 * one recv(MSG_PEEK) and no waiting.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "anvilc.h"
#include "buf.h"
#include "dkim.h"
#include "dns.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "resolve.h"
#include "server.h"
#include "util.h"
#include "smtpd.h"

/* smtpd_service - one SMTP session on a connected socket */
static void
smtpd_service(int fd, char *service, char **argv)
{
	struct smtpd_state s;
	size_t cap;
	int r;

	memset(&s, 0, sizeof(s));
	s.where = "CONNECT";
	s.line = buf_new(256, 0);
	s.reply = buf_new(256, 0);
	s.tmp = buf_new(256, 0);
	s.fd = fd;
	smtpd_peer(&s, fd);
	msg_info("connect from %s", s.namaddr);

	/* line_length_limit counts the CRLF; the reader's cap does not. */
	cap = var_line_length_limit > 2 ? (size_t)var_line_length_limit - 2 :
	    998;
	s.io = lineio_new(fd, cap, (int)var_smtpd_timeout);
	/*
	 * Over a per-client limit: 421, and no TLS handshake (wrapper mode)
	 * to hold the process longer.  Implicit TLS: the handshake comes
	 * before the greeting.
	 */
	if (anvilc_check(service, (struct sockaddr *)&s.sa, s.addr, s.namaddr,
	    var_smtpd_client_event_limit_exceptions,
	    var_smtpd_client_connection_count_limit,
	    var_smtpd_client_connection_rate_limit) != ANVILC_OK) {
		if (!var_smtpd_tls_wrappermode)
			smtpd_reply(&s, "421 4.7.0 %s Error: too many "
			    "connections from %s", smtpd_hostname(), s.addr);
		s.quit = 1;
	} else if (var_smtpd_tls_wrappermode && smtpd_tls_wrapper(&s) < 0)
		s.quit = 1;
	else if (!var_smtpd_tls_wrappermode && smtpd_early_talker(&s)) {
		msg_info("PREGREET from %s: the client talked before the "
		    "greeting", s.namaddr);
		smtpd_reply(&s, "554 5.5.1 %s Error: talking before the "
		    "greeting", smtpd_hostname());
		s.quit = s.linger = 1;
	} else if (smtpd_milter_connect(&s) < 0)
		s.quit = 1;
	else
		smtpd_reply(&s, "220 %s", var_smtpd_banner);

	while (!s.quit) {
		if (s.errors >= var_smtpd_hard_error_limit) {
			msg_info("too many errors after %s from %s", s.where,
			    s.namaddr);
			smtpd_reply(&s, "421 4.7.0 %s Error: too many errors",
			    smtpd_hostname());
			break;
		}
		r = lineio_get(s.io, s.line, LINEIO_SKIP);
		switch (r) {
		case LINE_OK:
			smtpd_cmd(&s);
			break;
		case LINE_TOOLONG:
			msg_info("line too long after %s from %s", s.where,
			    s.namaddr);
			smtpd_reply(&s, "500 5.5.2 Error: line too long");
			break;
		default:
			smtpd_lost(&s, r, "");
			break;
		}
	}
	if (s.linger && s.tls == NULL)
		lineio_linger(s.io, fd, fd);
	else
		(void)lineio_flush(s.io);
	smtpd_tls_end(&s);
	anvilc_done();
	smtpd_log_disconnect(&s);
	smtpd_session_reset(&s);
	smtpd_milter_free(&s);
	free(s.rcpt);
	free(s.rnotify);
	free(s.rorcpt);
	free(s.name);
	free(s.namaddr);
	lineio_free(&s.io);
	buf_free(&s.line);
	buf_free(&s.reply);
	buf_free(&s.tmp);
	/*
	 * A chrooted smtpd cannot reopen a rebuilt alias database: like
	 * Postfix's daemons, it leaves after the session, and master starts
	 * a fresh one that opens the new table before its chroot.
	 */
	if (resolve_changed()) {
		msg_info("alias database changed: exiting after this session");
		exit(0);
	}
}

/*
 * smtpd_pre_jail - before the chroot to the queue directory (master.cf
 * chroot y): read the TLS certificate and key, parse the restriction
 * lists and open their tables and smtpd_sender_login_maps, open the
 * alias database, load the DKIM signing keys,
 * whose path is out of sight inside, and the DNS resolver, which seeds
 * its query ids from /dev/urandom (lib/dns.c).  The user table is inside
 * ($queue_directory/etc/users); so are master's copies of /etc/passwd,
 * the resolver's files and the time zone (master_jail.c).
 */
static void
smtpd_pre_jail(char *service, char **argv)
{
	struct buf *why = buf_new(128, 4096);

	smtpd_tls_init();
	smtpd_check_init();
	(void)dns_init();		/* failing: lookups fail, logged */
	if (resolve_open(why) < 0)
		msg_warn("%s", buf_str(why));	/* RCPT answers 451 */
	/* The keys may be readable by root alone. */
	buf_reset(why);
	if (*var_dkim_signing_keys != '\0' && dkim_signers_load(why) < 0)
		msg_warn("%s: mail is not signed", buf_str(why));
	buf_free(&why);
}

/* smtpd_post_jail - check the settings we interpret ourselves */
static void
smtpd_post_jail(char *service, char **argv)
{
	smtpd_data_init();
}

/* main - hand the service to the server skeleton */
int
main(int argc, char **argv)
{
	server_main(argc, argv, SERVER_SINGLE, smtpd_service,
	    SERVER_PRE_JAIL, smtpd_pre_jail,
	    SERVER_POST_JAIL, smtpd_post_jail,
	    SERVER_END);
}
