/*
 * smtpd - the SMTP server (RFC 5321) under the server skeleton: one
 * session per connection, blocking reads and writes through lineio, each
 * bounded by smtpd_timeout, every command line bounded by
 * line_length_limit.
 *
 * This file holds the session: the greeting, the command loop, replies
 * (which count errors: past smtpd_soft_error_limit each error reply waits a
 * second, at smtpd_hard_error_limit the session ends with 421), and the
 * client's identity.  Commands end with CRLF or a bare LF, so that people
 * can type them with telnet or nc.  Everything the client sends is
 * distrusted; it is made printable before it is logged.  A client not in
 * smtpd_client_event_limit_exceptions is counted by anvil (lib/anvilc.c)
 * and refused with 421 over smtpd_client_connection_count_limit or
 * _rate_limit, before the greeting and before any TLS handshake.
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
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "resolve.h"
#include "server.h"
#include "util.h"
#include "smtpd.h"

static const char *smtpd_cmd_names[SMTPD_C_COUNT] = {
	"helo", "ehlo", "mail", "rcpt", "data", "rset", "noop", "vrfy",
	"help", "quit", "starttls", "auth", "unknown",
};

/* smtpd_hostname - the name we greet with: myhostname or the system's */
const char *
smtpd_hostname(void)
{
	return var_myhostname != NULL && *var_myhostname != '\0' ?
	    var_myhostname : my_hostname();
}

/*
 * smtpd_reply - send one reply line (CRLF added).  Replies are buffered
 * and go out when the client has no more pipelined input for us (lineio
 * flushes before it waits).  A 4xx or 5xx reply counts as an error.
 */
int
smtpd_reply(struct smtpd_state *s, const char *fmt, ...)
{
	va_list ap;
	int code;

	buf_reset(s->reply);
	va_start(ap, fmt);
	buf_vappendf(s->reply, fmt, ap);
	va_end(ap);
	code = atoi(buf_str(s->reply));
	s->last_code = code;
	if (code >= 400 && code != 421) {
		s->errors++;
		if (s->errors > var_smtpd_soft_error_limit) {
			/* Slow down a client that keeps failing. */
			(void)lineio_flush(s->io);
			sleep(1);
		}
	}
	if (msg_verbose)
		msg_debug("> %s: %s", s->namaddr,
		    printable(buf_str(s->reply), s->tmp));
	buf_puts(s->reply, "\r\n");
	return lineio_write(s->io, buf_str(s->reply), buf_len(s->reply));
}

/* smtpd_reset - forget the mail transaction (RSET, HELO, after DATA) */
void
smtpd_reset(struct smtpd_state *s)
{
	int i;

	free(s->sender);
	s->sender = NULL;
	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpt[i]);
	s->nrcpt = 0;
	s->rcpt_rejected = 0;
	s->declared_size = 0;
	s->body8bit = 0;
	s->smtputf8 = 0;
}

/*
 * smtpd_session_reset - forget everything the client told us: the
 * transaction, HELO/EHLO and its authentication.  After STARTTLS nothing
 * said in plaintext may carry over (RFC 3207 4.2).
 */
void
smtpd_session_reset(struct smtpd_state *s)
{
	smtpd_reset(s);
	free(s->helo);
	s->helo = NULL;
	s->esmtp = 0;
	free(s->sasl_method);
	free(s->sasl_user);
	s->sasl_method = s->sasl_user = NULL;
}

/*
 * smtpd_protocol - the "with" of our Received: header (RFC 3848): SMTP,
 * ESMTP, and with an S for TLS and an A for an authenticated client
 */
const char *
smtpd_protocol(struct smtpd_state *s)
{
	if (!s->esmtp)
		return "SMTP";
	if (s->tls != NULL)
		return s->sasl_user != NULL ? "ESMTPSA" : "ESMTPS";
	return s->sasl_user != NULL ? "ESMTPA" : "ESMTP";
}

/*
 * smtpd_lost - the client went away (LINE_EOF, LINE_ERROR) or stopped
 * talking (LINE_TIMEOUT): log it, and say 421 to a client that is still
 * there.  The session ends.
 */
void
smtpd_lost(struct smtpd_state *s, int how, const char *detail)
{
	if (how == LINE_TIMEOUT) {
		msg_info("timeout after %s%s from %s", s->where, detail,
		    s->namaddr);
		smtpd_reply(s, "421 4.4.2 %s Error: timeout exceeded",
		    smtpd_hostname());
	} else
		msg_info("lost connection after %s%s from %s", s->where,
		    detail, s->namaddr);
	s->quit = 1;
}

/* smtpd_unmap - an IPv4-mapped IPv6 address becomes plain IPv4 */
static void
smtpd_unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in sin;

	if (ss->ss_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = sin6->sin6_port;
	memcpy(&sin.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
}

/* smtpd_name_ok - a host name we will repeat in headers and logs */
static int
smtpd_name_ok(const char *name)
{
	const char *p;

	if (*name == '\0' || strlen(name) > 255)
		return 0;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_')
			return 0;
	return 1;
}

/*
 * smtpd_peer_name - the client's PTR name when its forward lookup leads
 * back to the address (a name anyone could publish is not trusted), else
 * "unknown".
 */
static char *
smtpd_peer_name(struct smtpd_state *s, socklen_t len)
{
	struct addrinfo hints, *res, *ai;
	char host[NI_MAXHOST], num[NI_MAXHOST];
	int found = 0;

	if (getnameinfo((struct sockaddr *)&s->sa, len, host, sizeof(host),
	    NULL, 0, NI_NAMEREQD) != 0 || !smtpd_name_ok(host))
		return xstrdup("unknown");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = s->sa.ss_family;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return xstrdup("unknown");
	for (ai = res; ai != NULL && !found; ai = ai->ai_next)
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof(num),
		    NULL, 0, NI_NUMERICHOST) == 0 &&
		    strcmp(num, s->addr) == 0)
			found = 1;
	freeaddrinfo(res);
	return xstrdup(found ? host : "unknown");
}

/*
 * smtpd_peer_name_cached - smtpd_peer_name, reused for the next
 * connections from the same address for smtpd_peername_cache_time: a
 * client that sends one message per connection would otherwise cost two
 * lookups (and two readings of /etc/hosts) per message.
 */
static char *
smtpd_peer_name_cached(struct smtpd_state *s, socklen_t len)
{
	static char	 addr[sizeof(s->addr)], *name;
	static long long at;
	long long	 now = now_ms();

	if (name != NULL && strcmp(addr, s->addr) == 0 &&
	    now - at < var_smtpd_peername_cache_time * 1000)
		return xstrdup(name);
	free(name);
	name = smtpd_peer_name(s, len);
	snprintf(addr, sizeof(addr), "%s", s->addr);
	at = now;
	return xstrdup(name);
}

/* smtpd_peer - who is the client: address, name, trusted network */
static void
smtpd_peer(struct smtpd_state *s, int fd)
{
	socklen_t len = sizeof(s->sa);
	struct buf *b = buf_new(128, 0);

	memset(&s->sa, 0, sizeof(s->sa));
	if (getpeername(fd, (struct sockaddr *)&s->sa, &len) < 0 ||
	    (s->sa.ss_family != AF_INET && s->sa.ss_family != AF_INET6)) {
		/* A Unix socket: a process on this host. */
		snprintf(s->addr, sizeof(s->addr), "127.0.0.1");
		s->name = xstrdup("localhost");
		s->in_mynetworks = 1;
	} else {
		smtpd_unmap(&s->sa);
		len = s->sa.ss_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		if (addr_ntop((struct sockaddr *)&s->sa, s->addr,
		    sizeof(s->addr)) == NULL)
			snprintf(s->addr, sizeof(s->addr), "unknown");
		s->name = smtpd_peer_name_cached(s, len);
		s->in_mynetworks = addr_match_networks(
		    (struct sockaddr *)&s->sa, var_mynetworks);
	}
	buf_setf(b, "%s[%s]", s->name, s->addr);
	s->namaddr = buf_steal(&b);
}

/* smtpd_log_disconnect - Postfix's summary: ehlo=1 mail=1 ... commands=5 */
static void
smtpd_log_disconnect(struct smtpd_state *s)
{
	struct buf *b = buf_new(256, 0);
	int i, good = 0, all = 0;

	buf_setf(b, "disconnect from %s", s->namaddr);
	for (i = 0; i < SMTPD_C_COUNT; i++) {
		if (s->count[i] == 0)
			continue;
		good += s->good[i];
		all += s->count[i];
		if (s->good[i] == s->count[i])
			buf_appendf(b, " %s=%d", smtpd_cmd_names[i],
			    s->count[i]);
		else
			buf_appendf(b, " %s=%d/%d", smtpd_cmd_names[i],
			    s->good[i], s->count[i]);
	}
	if (good == all)
		buf_appendf(b, " commands=%d", all);
	else
		buf_appendf(b, " commands=%d/%d", good, all);
	msg_info("%s", buf_str(b));
	buf_free(&b);
}

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
		r = line_get(s.io, s.line, LINEIO_SKIP);
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
	(void)lineio_flush(s.io);
	smtpd_tls_end(&s);
	anvilc_done();
	smtpd_log_disconnect(&s);
	smtpd_session_reset(&s);
	free(s.rcpt);
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
 * chroot y): read the TLS certificate and key, and open the alias
 * database, whose path is out of sight inside.  The user table is inside
 * ($queue_directory/etc/users); so are master's copies of /etc/passwd,
 * the resolver's files and the time zone (master_jail.c).
 */
static void
smtpd_pre_jail(char *service, char **argv)
{
	struct buf *why = buf_new(128, 4096);

	smtpd_tls_init();
	if (resolve_open(why) < 0)
		msg_warn("%s", buf_str(why));	/* RCPT answers 451 */
	buf_free(&why);
}

/* smtpd_post_jail - check the settings we interpret ourselves */
static void
smtpd_post_jail(char *service, char **argv)
{
	smtpd_check_init();
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
