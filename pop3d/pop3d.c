/*
 * pop3d - the POP3 server's login side (RFC 1939 AUTHORIZATION state,
 * RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 SASL).
 *
 * A master service (SERVER_SINGLE): the greeting, CAPA, STLS and the TLS
 * handshake (or implicit TLS with pop3d_tls_wrappermode), USER/PASS and
 * AUTH PLAIN/LOGIN.  Passwords go to the auth service (lib/authc.h); on
 * success its token and the client's socket go back to auth, which starts
 * the mailbox program, pop3 (pop3.c), as the account's user: that process
 * answers the PASS or AUTH ("+OK Logged in.") and serves the mailbox.  It
 * is a program of its own that links no TLS library, so that each
 * logged-in session stays small.  Without TLS this process is then done
 * with the client.  With TLS it keeps the TLS connection and
 * relays plaintext into one end of a socket pair whose other end went to
 * auth, so the mailbox side never sees TLS; it does the same without TLS
 * when the client had pipelined commands after its login, which must not
 * be lost.
 *
 * Privileges: everything here parses network input, so as root the
 * process confines itself before the first connection: it opens the TLS
 * key, chroots to $queue_directory/empty (which holds nothing but a link
 * to the auth socket) and becomes mail_owner for good.  Without root (a
 * sandbox) it runs as the invoking user, with one warning.
 *
 * Distrust: command lines are bounded (POP3D_LINE_MAX), may end in CRLF or
 * a bare LF, NULs are refused, client text is made printable before it is
 * logged, passwords are never logged and are wiped after use.  Errors
 * count towards pop3d_hard_error_limit; the idle timeout is login_timeout
 * (or pop3d_timeout if shorter), a TLS handshake has login_starttls_timeout
 * in all, and a client over its connection count or rate (lib/login.c,
 * anvil) is refused before anything else.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "authc.h"
#include "buf.h"
#include "lineio.h"
#include "login.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "server.h"
#include "tls.h"
#include "util.h"
#include "pop3d.h"

static struct tls_ctx *pop3d_tls_ctx;	/* NULL: no TLS offered */

/* pop3d_plaintext_ok - may a password be sent on this connection now? */
static int
pop3d_plaintext_ok(struct pop3d_state *s)
{
	return authc_plaintext_allowed(s->sap, s->tls != NULL);
}

/*
 * pop3d_capa_login - CAPA before login (RFC 2449): USER and SASL only
 * where passwords are allowed, STLS while TLS is available and not yet on.
 */
static void
pop3d_capa_login(struct pop3d_state *s)
{
	struct buf	*more = buf_new(64, 256);
	int		 plain, login;

	if (pop3d_plaintext_ok(s)) {
		buf_puts(more, "USER\r\n");
		plain = authc_mech_enabled("PLAIN");
		login = authc_mech_enabled("LOGIN");
		if (plain || login)
			buf_appendf(more, "SASL%s%s\r\n", plain ? " PLAIN" : "",
			    login ? " LOGIN" : "");
	}
	if (pop3d_tls_ctx != NULL && s->tls == NULL)
		buf_puts(more, "STLS\r\n");
	pop3d_capa(s, buf_str(more));
	buf_free(&more);
}

/*
 * pop3d_login - check a login with auth and, when good, hand the session
 * over (lib/login.c): the mailbox side greets it.  Failures arrive after
 * auth's delay.
 */
static void
pop3d_login(struct pop3d_state *s, const char *mech, const char *user,
    const char *pass, const char *authzid)
{
	struct login_client lc = { s->fd, s->tls, s->io, s->addr, s->sap };
	struct buf	*why = buf_new(256, 4096);

	/* A reply to a pipelined USER must not be overtaken: login_attempt. */
	switch (login_attempt(&lc, "pop3", mech, user, pass, authzid,
	    2 * (int)var_pop3d_timeout, NULL, NULL, why)) {
	case LOGIN_OK:
		s->done = 1;
		/* FALLTHROUGH */
	case LOGIN_GONE:
		s->quit = 1;
		break;
	case LOGIN_NOSESSION:
		s->quit = 1;
		pop3d_reply(s, "-ERR [SYS/TEMP] Cannot open the mailbox, try "
		    "again later.");
		break;
	case LOGIN_LIMIT:
		pop3d_reply(s, "-ERR [IN-USE] %s", buf_str(why));
		break;
	case LOGIN_FAILED:
		pop3d_reply(s, "-ERR [AUTH] Authentication failed.");
		break;
	case LOGIN_TEMP:
		pop3d_reply(s, "-ERR [SYS/TEMP] Temporary authentication "
		    "failure, try again later.");
		break;
	}
	buf_free(&why);
}

/* pop3d_refuse_plaintext - the password would travel in clear: refuse */
static int
pop3d_refuse_plaintext(struct pop3d_state *s)
{
	if (pop3d_plaintext_ok(s))
		return 0;
	pop3d_reply(s, "-ERR [AUTH] Plaintext authentication disallowed on "
	    "non-secure connections");
	return 1;
}

/* pop3d_cmd_user - USER name */
static void
pop3d_cmd_user(struct pop3d_state *s, char *args)
{

	if (pop3d_refuse_plaintext(s))
		return;
	if (args == NULL || *args == '\0') {
		pop3d_reply(s, "-ERR Syntax: USER name");
		return;
	}
	if (strlen(args) >= AUTHC_FIELD_MAX) {
		pop3d_reply(s, "-ERR [AUTH] User name too long.");
		return;
	}
	free(s->user);
	s->user = xstrdup(args);
	pop3d_reply(s, "+OK");
}

/* pop3d_cmd_pass - PASS secret (the rest of the line, blanks and all) */
static void
pop3d_cmd_pass(struct pop3d_state *s, char *args)
{
	char *user;

	if (pop3d_refuse_plaintext(s))
		return;
	if (s->user == NULL) {
		pop3d_reply(s, "-ERR No user name given: USER first.");
		return;
	}
	user = s->user;
	s->user = NULL;
	if (args == NULL || *args == '\0')
		pop3d_reply(s, "-ERR Syntax: PASS password");
	else
		pop3d_login(s, "PLAIN", user, args, "");
	free(user);
}

/* pop3d_sasl_refuse - a response too long, or the exchange aborted */
static void
pop3d_sasl_refuse(void *ctx, const char *why)
{
	pop3d_reply(ctx, "-ERR %s", why);
}

/* pop3d_sasl_invalid - a response that is not valid SASL */
static void
pop3d_sasl_invalid(void *ctx, const char *mech)
{
	pop3d_reply(ctx, "-ERR [AUTH] Invalid SASL %s response.", mech);
}

/* pop3d_sasl_login - the exchange gave credentials: check them */
static void
pop3d_sasl_login(void *ctx, const char *mech, const char *user,
    const char *pass, const char *authzid)
{
	pop3d_login(ctx, mech, user, pass, authzid);
}

static const struct login_sasl pop3d_sasl = {
	pop3d_sasl_refuse, pop3d_sasl_invalid,
	pop3d_sasl_login,
};

/* pop3d_cmd_auth - AUTH [mechanism [initial-response]] (RFC 5034) */
static void
pop3d_cmd_auth(struct pop3d_state *s, char *args)
{
	char *mech, *initial, *rest;

	mech = pop3d_split(args, &rest);
	if (mech == NULL) {
		/* The mechanisms, as clients of the old AUTH draft ask. */
		pop3d_reply(s, "+OK");
		if (pop3d_plaintext_ok(s)) {
			if (authc_mech_enabled("PLAIN"))
				lineio_puts(s->io, "PLAIN\r\n");
			if (authc_mech_enabled("LOGIN"))
				lineio_puts(s->io, "LOGIN\r\n");
		}
		lineio_puts(s->io, ".\r\n");
		return;
	}
	initial = pop3d_split(rest, &rest);
	if (rest != NULL && *rest != '\0') {
		pop3d_reply(s, "-ERR Syntax: AUTH mechanism "
		    "[initial-response]");
		return;
	}
	if ((strcasecmp(mech, "PLAIN") != 0 && strcasecmp(mech, "LOGIN") != 0)
	    || !authc_mech_enabled(mech)) {
		pop3d_reply(s, "-ERR Unsupported authentication mechanism.");
		return;
	}
	if (pop3d_refuse_plaintext(s))
		return;
	free(s->user);
	s->user = NULL;
	if (login_sasl(strcasecmp(mech, "PLAIN") == 0 ? "PLAIN" : "LOGIN",
	    initial, s->io, &pop3d_sasl, s) < 0)
		s->quit = 1;		/* the client went away */
	login_wipe(s->line);
}

/*
 * pop3d_cmd_stls - STLS (RFC 2595): the handshake, then a fresh start:
 * input pipelined before it is discarded, and USER is forgotten.
 */
static void
pop3d_cmd_stls(struct pop3d_state *s, char *args)
{
	if (args != NULL && *args != '\0') {
		pop3d_reply(s, "-ERR Syntax: STLS");
		return;
	}
	if (s->tls != NULL) {
		pop3d_reply(s, "-ERR TLS is already active.");
		return;
	}
	if (pop3d_tls_ctx == NULL) {
		pop3d_reply(s, "-ERR [SYS/PERM] TLS is not available.");
		return;
	}
	pop3d_reply(s, "+OK Begin TLS negotiation now.");
	s->tls = login_starttls(pop3d_tls_ctx, s->fd, s->io, var_pop3d_timeout,
	    "STLS", s->addr);
	if (s->tls == NULL) {
		s->quit = 1;
		return;
	}
	free(s->user);
	s->user = NULL;
}

/* pop3d_cmd_quit - QUIT before login */
static void
pop3d_cmd_quit(struct pop3d_state *s, char *args)
{
	pop3d_reply(s, "+OK Logging out.");
	s->quit = 1;
}

struct pop3d_login_tab {
	const char	*name;
	void		(*fn)(struct pop3d_state *, char *);
};

static const struct pop3d_login_tab pop3d_login_cmds[] = {
	{ "USER", pop3d_cmd_user },
	{ "PASS", pop3d_cmd_pass },
	{ "AUTH", pop3d_cmd_auth },
	{ "STLS", pop3d_cmd_stls },
	{ "QUIT", pop3d_cmd_quit },
	{ NULL, NULL },
};

/* The TRANSACTION commands, refused politely before login. */
static const char *const pop3d_later_cmds[] = {
	"STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL", NULL,
};

/* pop3d_login_cmd - one command line of the AUTHORIZATION state */
static void
pop3d_login_cmd(struct pop3d_state *s)
{
	const struct pop3d_login_tab *c;
	char *verb, *args;
	int i;

	verb = pop3d_split(s->line->data, &args);
	if (verb == NULL) {
		pop3d_reply(s, "-ERR Unknown command: empty line");
		return;
	}
	if (strcasecmp(verb, "CAPA") == 0) {
		pop3d_capa_login(s);
		return;
	}
	for (c = pop3d_login_cmds; c->name != NULL; c++)
		if (strcasecmp(c->name, verb) == 0) {
			c->fn(s, args);
			return;
		}
	for (i = 0; pop3d_later_cmds[i] != NULL; i++)
		if (strcasecmp(pop3d_later_cmds[i], verb) == 0) {
			pop3d_reply(s, "-ERR Log in first: USER and PASS, or "
			    "AUTH.");
			return;
		}
	if (strcasecmp(verb, "APOP") == 0) {
		pop3d_reply(s, "-ERR APOP is not supported: use USER and "
		    "PASS, or AUTH.");
		return;
	}
	pop3d_reply(s, "-ERR Unknown command: %s", printable(verb, s->tmp));
}

/* pop3d_serve - the commands before the login, until the session ends */
static void
pop3d_serve(struct pop3d_state *s)
{
	pop3d_reply(s, "+OK cartero POP3 ready.");
	while (!s->quit) {
		if (pop3d_error_limit(s))
			break;
		switch (lineio_get(s->io, s->line, LINEIO_SKIP)) {
		case LINE_OK:
			if (strlen(s->line->data) != buf_len(s->line)) {
				pop3d_reply(s, "-ERR NUL in the command line");
				break;
			}
			pop3d_login_cmd(s);
			login_wipe(s->line);
			break;
		case LINE_TOOLONG:
			pop3d_reply(s, "-ERR Line too long.");
			break;
		case LINE_TIMEOUT:
			msg_info("timeout before login from %s", s->addr);
			pop3d_reply(s, "-ERR Disconnected for inactivity.");
			s->quit = 1;
			break;
		default:
			s->quit = 1;
			break;
		}
	}
}

/* pop3d_service - one POP3 connection before (and around) login */
static void
pop3d_service(int fd, char *service, char **argv)
{
	struct login_side side = {
		var_pop3d_timeout, POP3D_LINE_MAX,
		var_pop3d_client_connection_count_limit,
		var_pop3d_client_connection_rate_limit,
		var_pop3d_tls_wrappermode, pop3d_tls_ctx, "-ERR [SYS/TEMP]"
	};
	struct pop3d_state s;

	memset(&s, 0, sizeof(s));
	s.fd = fd;
	s.line = login_secret(256, 0);
	s.reply = buf_new(256, 0);
	s.tmp = buf_new(256, 0);
	s.sap = login_peer(fd, &s.sa, s.addr, sizeof(s.addr));
	if (login_open(&side, service, fd, s.sap, s.addr, &s.io,
	    &s.tls) == 0) {
		pop3d_serve(&s);
		login_close(s.io, fd, s.errors >= var_pop3d_hard_error_limit &&
		    s.tls == NULL, s.done, s.addr);
	}
	/* The next client of this process finds nothing of this one. */
	if (s.user != NULL)
		explicit_bzero(s.user, strlen(s.user));
	free(s.user);
	login_end(&s.tls, &s.io, &s.line, &s.reply, &s.tmp, NULL);
	login_recycle(fd);
}

/* main - the login side, a service under master */
int
main(int argc, char **argv)
{
	login_main(argc, argv, "pop3d", pop3d_service, &pop3d_tls_ctx,
	    &var_pop3d_tls_wrappermode, "STLS");
}
