/*
 * imapd - the IMAP server's login side (RFC 3501 not-authenticated state,
 * RFC 2595 STARTTLS, RFC 4959 SASL-IR, RFC 2971 ID), the program imapd.
 *
 * A master service (SERVER_SINGLE): the greeting, CAPABILITY, ID, NOOP,
 * LOGOUT, STARTTLS and the TLS handshake (or implicit TLS with
 * imapd_tls_wrappermode), LOGIN and AUTHENTICATE PLAIN/LOGIN.  Passwords
 * go to the auth service (lib/authc.h); on success its token and the
 * client's socket go back to auth, which starts the program imap (the
 * mailbox side, imap.c) as the account's user (lib/login.c does the
 * login, the handover and the relay for both login sides).  This process
 * then answers the LOGIN or AUTHENTICATE ("tag OK [CAPABILITY ...]
 * Logged in"): the mailbox side speaks only when spoken to.  Without TLS
 * this process is then done with the client; with TLS it keeps the TLS
 * connection and relays plaintext into one end
 * of a socket pair whose other end went to auth, so the mailbox side never
 * sees TLS.  It relays without TLS too when the client pipelined commands
 * after its login, which must reach the mailbox side in order.
 *
 * Privileges: everything here parses network input, so as root the
 * process confines itself before the first connection: it opens the TLS
 * key, chroots to $queue_directory/empty (which holds nothing but links
 * to the auth and anvil sockets) and becomes mail_owner for good.
 * Without root (a sandbox) it runs as the invoking user, with one
 * warning.
 *
 * Distrust: commands are read through lib/imapparse.c (bounded lines and
 * literals), client text is made printable before it is logged,
 * passwords are never logged and are wiped after use.  BAD and NO count
 * towards imapd_hard_error_limit; the idle timeout is login_timeout (or
 * imapd_timeout if shorter), a TLS handshake has login_starttls_timeout in
 * all, and a client over its connection count or rate (lib/login.c,
 * anvil) is refused before anything else.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "authc.h"
#include "buf.h"
#include "imapparse.h"
#include "lineio.h"
#include "login.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "server.h"
#include "tls.h"
#include "util.h"
#include "imapd.h"

#define IMAPD_LOGIN_LITERAL	8192		/* literals before login */

static struct tls_ctx *imapd_tls_ctx;	/* NULL: no TLS offered */

/* imapd_plaintext_ok - may a password be sent on this connection now? */
static int
imapd_plaintext_ok(struct imapd_state *s)
{
	return authc_plaintext_allowed(s->sap, s->tls != NULL);
}

/* imapd_login_caps - the capabilities before login */
static void
imapd_login_caps(struct imapd_state *s, struct buf *out)
{
	buf_puts(out, IMAPD_CAPS_COMMON);
	if (imapd_tls_ctx != NULL && s->tls == NULL)
		buf_puts(out, " STARTTLS");
	if (!imapd_plaintext_ok(s)) {
		buf_puts(out, " LOGINDISABLED");
		return;
	}
	if (authc_mech_enabled("PLAIN"))
		buf_puts(out, " AUTH=PLAIN");
	if (authc_mech_enabled("LOGIN"))
		buf_puts(out, " AUTH=LOGIN");
}

/* imapd_tagged - a tagged response; NO and BAD count as errors */
static void
imapd_tagged(struct imapd_state *s, struct imapparse_cmd *c, const char *what,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
imapd_tagged(struct imapd_state *s, struct imapparse_cmd *c, const char *what,
    const char *fmt, ...)
{
	struct buf *text = buf_new(128, 4096);
	va_list ap;

	va_start(ap, fmt);
	buf_vappendf(text, fmt, ap);
	va_end(ap);
	if (strcmp(what, "OK") != 0)
		s->errors++;
	imapd_reply(s, "%s %s %s", c->tag ? c->tag : "*", what,
	    buf_str(text));
	buf_free(&text);
}

/* imapd_wipe_cmd - forget the arguments of a command (passwords) */
static void
imapd_wipe_cmd(struct imapparse_cmd *c)
{
	int i;

	for (i = 0; i < c->nargs; i++)
		if (c->args[i].s != NULL)
			explicit_bzero(c->args[i].s, c->args[i].len);
}

/* imapd_logged_in - the session is on: answer the LOGIN or AUTHENTICATE */
static int
imapd_logged_in(void *ctx)
{
	struct imapd_state *s = ctx;

	s->done = 1;
	imapd_reply(s, "%s OK [CAPABILITY " IMAPD_CAPS_MAILBOX "] Logged in",
	    s->login_tag);
	return lineio_flush(s->io);
}

/*
 * imapd_login - check a login with auth and, when good, hand the session
 * over (lib/login.c) and answer the command.  Failures arrive after
 * auth's delay.
 */
static void
imapd_login(struct imapd_state *s, struct imapparse_cmd *c, const char *mech,
    const char *user, const char *pass, const char *authzid)
{
	struct login_client lc = { s->fd, s->tls, s->io, s->addr, s->sap };
	struct buf	*why = buf_new(256, 4096);
	enum login_result r;

	s->login_tag = c->tag;		/* imapd_logged_in answers it */
	switch (r = login_attempt(&lc, "imap", mech, user, pass, authzid,
	    2 * (int)var_imapd_timeout, imapd_logged_in, s, why)) {
	case LOGIN_OK:
	case LOGIN_GONE:
		s->quit = 1;
		break;
	case LOGIN_LIMIT:
		imapd_tagged(s, c, "NO", "[LIMIT] %s", buf_str(why));
		break;
	case LOGIN_FAILED:
		imapd_tagged(s, c, "NO", "[AUTHENTICATIONFAILED] "
		    "Authentication failed.");
		break;
	case LOGIN_NOSESSION:
	case LOGIN_TEMP:
		imapd_tagged(s, c, "NO", "[UNAVAILABLE] %s, try again later.",
		    r == LOGIN_TEMP ? "Temporary authentication failure" :
		    "Cannot open the mailbox");
		s->errors--;		/* ours, not the client's */
		break;
	}
	buf_free(&why);
}

/* imapd_refuse_plaintext - the password would travel in clear: refuse */
static int
imapd_refuse_plaintext(struct imapd_state *s, struct imapparse_cmd *c)
{
	if (imapd_plaintext_ok(s))
		return 0;
	imapd_tagged(s, c, "NO", "[PRIVACYREQUIRED] Plaintext authentication "
	    "disallowed on non-secure connections; use STARTTLS first.");
	return 1;
}

/* imapd_cmd_login - LOGIN user password */
static void
imapd_cmd_login(struct imapd_state *s, struct imapparse_cmd *c)
{
	const char *user, *pass;

	if ((user = imapparse_astring(c)) == NULL ||
	    (pass = imapparse_astring(c)) == NULL || !imapparse_arg_end(c)) {
		imapd_tagged(s, c, "BAD", "LOGIN takes two arguments: the "
		    "user name and the password (quote a password with "
		    "blanks)");
		return;
	}
	if (imapd_refuse_plaintext(s, c))
		return;
	if (*user == '\0' || *pass == '\0' || strlen(user) >=
	    AUTHC_FIELD_MAX || strlen(pass) >= AUTHC_FIELD_MAX) {
		imapd_tagged(s, c, "NO", "[AUTHENTICATIONFAILED] "
		    "Authentication failed.");
		return;
	}
	imapd_login(s, c, "PLAIN", user, pass, "");
}

/* imapd_sasl_refuse - a response too long, or the exchange aborted */
static void
imapd_sasl_refuse(void *ctx, const char *why)
{
	struct imapd_state *s = ctx;

	imapd_tagged(s, s->sasl_cmd, "BAD", "%s", why);
}

/* imapd_sasl_invalid - a response that is not valid SASL */
static void
imapd_sasl_invalid(void *ctx, const char *mech)
{
	struct imapd_state *s = ctx;

	imapd_tagged(s, s->sasl_cmd, "BAD", "Invalid SASL %s response.", mech);
}

/* imapd_sasl_login - the exchange gave credentials: check them */
static void
imapd_sasl_login(void *ctx, const char *mech, const char *user,
    const char *pass, const char *authzid)
{
	struct imapd_state *s = ctx;

	imapd_login(s, s->sasl_cmd, mech, user, pass, authzid);
}

static const struct login_sasl imapd_sasl = {
	imapd_sasl_refuse, imapd_sasl_invalid,
	imapd_sasl_login,
};

/* imapd_cmd_authenticate - AUTHENTICATE mechanism [initial-response] */
static void
imapd_cmd_authenticate(struct imapd_state *s, struct imapparse_cmd *c)
{
	const char *mech, *initial = NULL;

	if ((mech = imapparse_atom(c)) == NULL) {
		imapd_tagged(s, c, "BAD", "Syntax: AUTHENTICATE mechanism "
		    "[initial-response]");
		return;
	}
	if (!imapparse_arg_end(c) && ((initial = imapparse_atom(c)) == NULL ||
	    !imapparse_arg_end(c))) {
		imapd_tagged(s, c, "BAD", "Syntax: AUTHENTICATE mechanism "
		    "[initial-response]");
		return;
	}
	if ((strcasecmp(mech, "PLAIN") != 0 && strcasecmp(mech, "LOGIN") != 0)
	    || !authc_mech_enabled(mech)) {
		imapd_tagged(s, c, "NO", "Unsupported authentication "
		    "mechanism.");
		return;
	}
	if (imapd_refuse_plaintext(s, c))
		return;
	s->sasl_cmd = c;
	if (login_sasl(strcasecmp(mech, "PLAIN") == 0 ? "PLAIN" : "LOGIN",
	    initial, s->io, &imapd_sasl, s) < 0)
		s->quit = 1;		/* the client went away */
	s->sasl_cmd = NULL;
}

/*
 * imapd_cmd_starttls - STARTTLS (RFC 2595): the handshake, then a fresh
 * start: input pipelined before it is discarded.
 */
static void
imapd_cmd_starttls(struct imapd_state *s, struct imapparse_cmd *c)
{
	if (!imapparse_arg_end(c)) {
		imapd_tagged(s, c, "BAD", "STARTTLS takes no arguments");
		return;
	}
	if (s->tls != NULL) {
		imapd_tagged(s, c, "BAD", "TLS is already active.");
		return;
	}
	if (imapd_tls_ctx == NULL) {
		imapd_tagged(s, c, "NO", "[UNAVAILABLE] TLS is not "
		    "available.");
		return;
	}
	imapd_tagged(s, c, "OK", "Begin TLS negotiation now.");
	s->tls = login_starttls(imapd_tls_ctx, s->fd, s->io, var_imapd_timeout,
	    "STARTTLS", s->addr);
	if (s->tls == NULL)
		s->quit = 1;
}

/* imapd_cmd_capability - CAPABILITY */
static void
imapd_cmd_capability(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct buf *caps = buf_new(256, 0);

	imapd_login_caps(s, caps);
	imapd_reply(s, "* CAPABILITY %s", buf_str(caps));
	imapd_tagged(s, c, "OK", "Capability completed.");
	buf_free(&caps);
}

/* imapd_cmd_id - ID (RFC 2971): the client's list is read, ours sent */
static void
imapd_cmd_id(struct imapd_state *s, struct imapparse_cmd *c)
{
	imapd_reply(s, "* ID (\"name\" \"" IMAPD_IMPLEMENTATION "\" "
	    "\"vendor\" \"" IMAPD_IMPLEMENTATION "\")");
	imapd_tagged(s, c, "OK", "ID completed.");
}

/* imapd_login_cmd - one command of the not-authenticated state */
static void
imapd_login_cmd(struct imapd_state *s, struct imapparse_cmd *c)
{
	static const char *const later[] = {
		"SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE",
		"UNSUBSCRIBE", "LIST", "LSUB", "STATUS", "APPEND", "CHECK",
		"CLOSE", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE",
		"IDLE", "NAMESPACE", "ENABLE", "UNSELECT", "GETQUOTA",
		"GETQUOTAROOT", "SETQUOTA", NULL
	};
	int i;

	if (c->uid) {
		imapd_tagged(s, c, "BAD", "Log in first: LOGIN or "
		    "AUTHENTICATE.");
		return;
	}
	if (strcmp(c->name, "CAPABILITY") == 0)
		imapd_cmd_capability(s, c);
	else if (strcmp(c->name, "NOOP") == 0)
		imapd_tagged(s, c, "OK", "NOOP completed.");
	else if (strcmp(c->name, "LOGOUT") == 0) {
		imapd_reply(s, "* BYE Logging out");
		imapd_tagged(s, c, "OK", "Logout completed.");
		s->quit = 1;
	} else if (strcmp(c->name, "LOGIN") == 0)
		imapd_cmd_login(s, c);
	else if (strcmp(c->name, "AUTHENTICATE") == 0)
		imapd_cmd_authenticate(s, c);
	else if (strcmp(c->name, "STARTTLS") == 0)
		imapd_cmd_starttls(s, c);
	else if (strcmp(c->name, "ID") == 0)
		imapd_cmd_id(s, c);
	else {
		for (i = 0; later[i] != NULL; i++)
			if (strcmp(later[i], c->name) == 0) {
				imapd_tagged(s, c, "BAD", "Log in first: LOGIN "
				    "or AUTHENTICATE.");
				return;
			}
		imapd_tagged(s, c, "BAD", "Unknown command %s",
		    printable(c->name, s->tmp));
	}
}

/* imapd_serve - the commands before the login, until the session ends */
static void
imapd_serve(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct imapparse_reader rd = {
		.io = s->io,
		.cmd_max = var_imapd_login_command_max,
		.literal_max = IMAPD_LOGIN_LITERAL,
		.args_max = IMAPD_LOGIN_ARGS_MAX,
		.secret = 1,		/* LOGIN's password */
	};
	struct buf *caps = buf_new(256, 0);

	imapd_login_caps(s, caps);
	imapd_reply(s, "* OK [CAPABILITY %s] cartero IMAP ready.",
	    buf_str(caps));
	buf_free(&caps);
	while (!s->quit) {
		if (imapd_error_limit(s))
			break;
		switch (imapparse_read(&rd, c, s->why)) {
		case IMAPPARSE_READ_OK:
			imapd_login_cmd(s, c);
			break;
		case IMAPPARSE_READ_EMPTY:
			break;
		case IMAPPARSE_READ_BAD:
			imapd_tagged(s, c, "BAD", "%s", buf_str(s->why));
			break;
		case IMAPPARSE_READ_NO:
			imapd_tagged(s, c, "NO", "%s", buf_str(s->why));
			break;
		case IMAPPARSE_READ_BYE:
			imapd_reply(s, "* BYE %s", buf_str(s->why));
			s->quit = 1;
			break;
		case IMAPPARSE_READ_TIMEOUT:
			msg_info("timeout before login from %s", s->addr);
			imapd_reply(s, "* BYE Disconnected for inactivity.");
			s->quit = 1;
			break;
		default:
			s->quit = 1;
			break;
		}
		imapd_wipe_cmd(c);
		imapparse_free(c);
	}
}

/* imapd_service - one IMAP connection before (and around) login */
static void
imapd_service(int fd, char *service, char **argv)
{
	struct login_side side = {
		var_imapd_timeout, IMAPD_LINE_MAX,
		var_imapd_client_connection_count_limit,
		var_imapd_client_connection_rate_limit,
		var_imapd_tls_wrappermode, imapd_tls_ctx,
		"* BYE [UNAVAILABLE]"
	};
	struct imapd_state s;
	struct imapparse_cmd c;

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	s.fd = fd;
	s.reply = buf_new(256, 0);
	s.tmp = buf_new(256, 0);
	s.why = buf_new(256, 4096);
	s.sap = login_peer(fd, &s.sa, s.addr, sizeof(s.addr));
	if (login_open(&side, service, fd, s.sap, s.addr, &s.io,
	    &s.tls) == 0) {
		imapd_serve(&s, &c);
		login_close(s.io, fd, s.errors >= var_imapd_hard_error_limit &&
		    s.tls == NULL, s.done, s.addr);
	}
	/* The next client of this process finds nothing of this one. */
	imapd_wipe_cmd(&c);
	imapparse_free(&c);
	login_end(&s.tls, &s.io, &s.reply, &s.tmp, &s.why, NULL);
	login_recycle(fd);
}

/* main - the login side, a service under master */
int
main(int argc, char **argv)
{
	login_main(argc, argv, "imapd", imapd_service, &imapd_tls_ctx,
	    &var_imapd_tls_wrappermode, "STARTTLS");
}
