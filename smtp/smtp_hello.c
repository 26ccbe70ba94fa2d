/*
 * smtp_hello - the start of a connection: connect, the greeting, EHLO
 * (HELO after a 5xx; LHLO for LMTP), STARTTLS as the host's TLS policy
 * asks (smtp_tls.c: the level, MTA-STS, DANE), AUTH when
 * smtp_sasl_password_maps has a password for the server (smtp_sasl.c).
 * A session comes out ready for MAIL, or none with the reason, and
 * whether the host answered at all (a destination no host of which
 * answers is down).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "tls.h"
#include "util.h"
#include "smtp_sasl.h"
#include "smtp_session.h"
#include "smtp_tls.h"

static int smtp_hello_ehlo(struct smtp_sess *, struct buf *);

/*
 * smtp_hello_auth - log in when smtp_sasl_password_maps has a password
 * for the server: 0 (logged in, or nothing to do), -1 with why
 */
static int
smtp_hello_auth(struct smtp_sess *s, struct buf *why)
{
	struct buf *user = buf_new(64, 1024), *pass = buf_new(64, 1024);
	struct buf *cmd = buf_new(128, 4096);
	int found, code = 235;

	buf_secret(pass);
	buf_secret(cmd);
	found = smtp_sasl_password(s->key, &s->dest, user, pass);
	if (found < 0) {
		buf_setf(why, "cannot read smtp_sasl_password_maps");
		code = -1;
	} else if (found == 0 || !(s->ext.flags & SMTP_EXT_AUTH))
		;			/* no password, or no AUTH: as is */
	else if (s->tls == NULL && var_smtp_sasl_auth_requires_tls) {
		buf_setf(why, "not sending a SASL password to %s without TLS "
		    "(smtp_sasl_auth_requires_tls)", s->relay);
		code = -1;
	} else if (s->ext.auth & SMTP_AUTH_PLAIN) {
		buf_set(cmd, "AUTH PLAIN ");
		smtp_sasl_plain(buf_str(user), buf_str(pass), cmd);
		code = smtp_chat_cmd_as(s, buf_str(cmd), "AUTH PLAIN",
		    (int)var_smtp_helo_timeout, why);
	} else if (s->ext.auth & SMTP_AUTH_LOGIN) {
		code = smtp_chat_cmd(s, "AUTH LOGIN",
		    (int)var_smtp_helo_timeout, why);
		buf_reset(cmd);
		base64_encode(cmd, buf_str(user), buf_len(user));
		if (code == 334)
			code = smtp_chat_cmd_as(s, buf_str(cmd),
			    "AUTH LOGIN", (int)var_smtp_helo_timeout, why);
		buf_reset(cmd);
		base64_encode(cmd, buf_str(pass), buf_len(pass));
		if (code == 334)
			code = smtp_chat_cmd_as(s, buf_str(cmd),
			    "AUTH LOGIN", (int)var_smtp_helo_timeout, why);
	} else {
		buf_setf(why, "host %s offers no SASL mechanism we speak "
		    "(PLAIN, LOGIN)", s->relay);
		code = -1;
	}
	if (code > 0 && code != 235) {
		buf_setf(why, "SASL authentication failed; server %s said: ",
		    s->relay);
		smtp_reply_str(&s->rep, why);
	}
	buf_free(&user);
	buf_free(&pass);
	buf_free(&cmd);
	return code == 235 ? 0 : -1;
}

#define SMTP_STARTTLS_REFUSED	(-1)	/* needed, missing: end politely */
#define SMTP_STARTTLS_FAILED	(-2)	/* the session is broken */
#define SMTP_STARTTLS_RETRY	(-3)	/* "may": again without TLS */

/* smtp_hello_fail - a TLS failure, blamed on the policy that asked */
static void
smtp_hello_fail(const struct smtp_tls_pol *p, struct buf *why)
{
	const char *label = smtp_tls_label(p);
	char *was;

	if (*label == '\0')
		return;
	was = xstrdup(buf_str(why));
	buf_setf(why, "%s%s", label, was);
	free(was);
}

/*
 * smtp_hello_starttls - TLS as the host's policy asks: 0 (TLS on, or
 * not to be had at "may"), or SMTP_STARTTLS_* with why
 */
static int
smtp_hello_starttls(struct smtp_sess *s, const struct smtp_tls_pol *p,
    int notls, struct buf *why)
{
	int level = notls ? SMTP_TLS_NONE : p->level;
	int code;

	if (level == SMTP_TLS_NONE || s->dest.path[0] != '\0')
		return 0;
	if (!(s->ext.flags & SMTP_EXT_STARTTLS)) {
		if (level == SMTP_TLS_MAY) {
			if (p->sts == MTASTS_TESTING)
				msg_info("MTA-STS policy (testing) of %s: %s "
				    "offers no STARTTLS: would fail",
				    p->domain, s->relay);
			return 0;
		}
		buf_setf(why, "TLS is required, but was not offered by host "
		    "%s", s->relay);
		smtp_hello_fail(p, why);
		return SMTP_STARTTLS_REFUSED;
	}
	code = smtp_chat_cmd(s, "STARTTLS", (int)var_smtp_helo_timeout,
	    why);
	if (code < 0)
		return SMTP_STARTTLS_FAILED;
	if (code != 220) {
		if (level == SMTP_TLS_MAY)
			return 0;
		smtp_chat_said(s, "STARTTLS", why);
		smtp_hello_fail(p, why);
		return SMTP_STARTTLS_REFUSED;
	}
	if (smtp_tls_handshake(s->io, s->fd, s->dest.host, p, &s->tls,
	    why) < 0) {
		buf_appendf(why, " (%s)", s->relay);
		smtp_hello_fail(p, why);
		return level == SMTP_TLS_MAY ? SMTP_STARTTLS_RETRY :
		    SMTP_STARTTLS_FAILED;
	}
	msg_info("TLS connection established to %s: %s", s->relay,
	    tls_info(s->tls));
	if (smtp_hello_ehlo(s, why) < 0)
		return SMTP_STARTTLS_FAILED;
	return 0;
}

/*
 * smtp_hello_open - connect to an address, greeting and EHLO: the
 * session, or NULL with why (*answered: the host greeted us with 2xx)
 */
struct smtp_sess *
smtp_hello_open(const struct smtp_dest *d, const char *key,
    const struct smtp_tls_pol *pol, int notls, int *answered, struct buf *why)
{
	struct smtp_sess *s;
	int fd, code, tls;

	*answered = 0;
	if ((fd = smtp_connect(d, why)) < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->dest = *d;
	s->key = xstrdup(key);
	s->io = lineio_new(fd, (size_t)var_smtp_reply_length_limit,
	    (int)var_smtp_helo_timeout);
	s->line = buf_new(256, (size_t)var_smtp_reply_length_limit + 1);
	smtp_reply_init(&s->rep, (int)var_smtp_reply_line_limit,
	    (size_t)var_smtp_reply_length_limit * 4);
	smtp_dest_name(d, s->relay);
	code = smtp_chat_reply(s, (int)var_smtp_helo_timeout,
	    "while receiving the initial server greeting", why);
	if (code > 0 && code / 100 != 2) {
		buf_setf(why, "host %s refused to talk to me: ", s->relay);
		smtp_reply_str(&s->rep, why);
	}
	if (code / 100 != 2) {
		smtp_session_close(&s, code > 0);
		return NULL;
	}
	*answered = 1;
	if (smtp_hello_ehlo(s, why) < 0) {
		smtp_session_close(&s, 0);
		return NULL;
	}
	if ((tls = smtp_hello_starttls(s, pol, notls, why)) < 0) {
		smtp_session_close(&s, tls == SMTP_STARTTLS_REFUSED);
		*answered = tls == SMTP_STARTTLS_RETRY ? 2 : 1;
		return NULL;
	}
	if (smtp_hello_auth(s, why) < 0) {
		smtp_session_close(&s, 1);
		return NULL;
	}
	return s;
}

/* smtp_hello_ehlo - EHLO (HELO after a 5xx) or LHLO: 0, -1 with why */
static int
smtp_hello_ehlo(struct smtp_sess *s, struct buf *why)
{
	struct buf *cmd = buf_new(128, 512);
	int code;

	buf_setf(cmd, "%s %s", smtp_lmtp ? "LHLO" : "EHLO",
	    var_smtp_helo_name);
	code = smtp_chat_cmd(s, buf_str(cmd), (int)var_smtp_helo_timeout,
	    why);
	if (code / 100 == 2)
		smtp_reply_ehlo(&s->rep, &s->ext);
	else if (code / 100 == 5 && !smtp_lmtp) {
		memset(&s->ext, 0, sizeof(s->ext));
		buf_setf(cmd, "HELO %s", var_smtp_helo_name);
		code = smtp_chat_cmd(s, buf_str(cmd),
		    (int)var_smtp_helo_timeout, why);
	}
	if (code > 0 && code / 100 != 2) {
		buf_truncate(cmd, 4);
		smtp_chat_said(s, buf_str(cmd), why);
	}
	buf_free(&cmd);
	return code / 100 == 2 ? 0 : -1;
}

