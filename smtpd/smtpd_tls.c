/*
 * smtpd_tls - TLS in smtpd: STARTTLS (RFC 3207) and implicit TLS
 * (smtpd_tls_wrappermode, the SMTPS port 465 of RFC 8314).
 *
 * The certificate and key (tls_cert_file, tls_key_file, one pair for every
 * server, overridable per service with master.cf -o) are read once, before
 * the process drops privileges.  When they cannot be read, smtpd warns and
 * serves without TLS (STARTTLS is not offered and answers 454), except in
 * wrapper mode and at smtpd_tls_security_level = encrypt, where a server
 * without TLS makes no sense: there it stops with the reason.
 *
 * STARTTLS rules (RFC 3207 4.2): whatever the client pipelined after the
 * command is thrown away unread (otherwise a man in the middle could slip
 * plaintext commands into the protected session: the classic STARTTLS
 * injection), and the session starts over as if just connected: no HELO,
 * no transaction, no authentication.
 *
 * Certificate reload: master retires a service's processes on SIGHUP
 * (idle ones exit at once, busy ones after their session) and the new
 * processes read the files again.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "tls.h"
#include "util.h"
#include "smtpd.h"

enum { SMTPD_TLS_NONE, SMTPD_TLS_MAY, SMTPD_TLS_ENCRYPT };

static struct tls_ctx *smtpd_tls_ctx;
static int smtpd_tls_level = SMTPD_TLS_MAY;

/*
 * smtpd_tls_init - the security level and the server context.  Runs
 * before the privilege drop: the key may be readable by root only.
 */
void
smtpd_tls_init(void)
{
	struct buf *why;

	if (strcasecmp(var_smtpd_tls_security_level, "none") == 0)
		smtpd_tls_level = SMTPD_TLS_NONE;
	else if (strcasecmp(var_smtpd_tls_security_level, "may") == 0)
		smtpd_tls_level = SMTPD_TLS_MAY;
	else if (strcasecmp(var_smtpd_tls_security_level, "encrypt") == 0)
		smtpd_tls_level = SMTPD_TLS_ENCRYPT;
	else
		msg_fatal("parameter smtpd_tls_security_level: unknown level "
		    "\"%s\" (known: none, may, encrypt)",
		    var_smtpd_tls_security_level);
	if (smtpd_tls_level == SMTPD_TLS_NONE && !var_smtpd_tls_wrappermode)
		return;
	why = buf_new(128, 1024);
	smtpd_tls_ctx = tls_ctx_server(why);
	if (smtpd_tls_ctx == NULL) {
		if (var_smtpd_tls_wrappermode)
			msg_fatal("smtpd_tls_wrappermode = yes needs a "
			    "certificate: %s", buf_str(why));
		if (smtpd_tls_level == SMTPD_TLS_ENCRYPT)
			msg_fatal("smtpd_tls_security_level = encrypt needs a "
			    "certificate: %s", buf_str(why));
		msg_warn("%s; serving without TLS (STARTTLS is not offered)",
		    buf_str(why));
	}
	buf_free(&why);
}

/* smtpd_tls_offered - does EHLO list STARTTLS? */
int
smtpd_tls_offered(struct smtpd_state *s)
{
	return s->tls == NULL && smtpd_tls_ctx != NULL &&
	    smtpd_tls_level != SMTPD_TLS_NONE;
}

/* smtpd_tls_required - must the client say STARTTLS before MAIL or AUTH? */
int
smtpd_tls_required(struct smtpd_state *s)
{
	return s->tls == NULL && smtpd_tls_level == SMTPD_TLS_ENCRYPT;
}

/*
 * smtpd_tls_handshake - TLS on the connection, bounded by
 * smtpd_starttls_timeout in all (a client that opens TLS and stalls must
 * not hold the process for smtpd_timeout per read); from here on lineio reads and writes through it.  0, or -1: the
 * connection is unusable (the handshake failed half-way), end it.
 */
static int
smtpd_tls_handshake(struct smtpd_state *s)
{
	struct buf *why = buf_new(128, 1024);

	s->tls = tls_accept(smtpd_tls_ctx, s->fd,
	    (int)(var_smtpd_starttls_timeout < var_smtpd_timeout ?
	    var_smtpd_starttls_timeout : var_smtpd_timeout), why);
	if (s->tls == NULL) {
		msg_info("SSL_accept error from %s: %s", s->namaddr,
		    buf_str(why));
		buf_free(&why);
		return -1;
	}
	buf_free(&why);
	tls_set_timeout(s->tls, (int)var_smtpd_timeout);
	lineio_set_hooks(s->io, tls_read, tls_write, s->tls);
	msg_info("TLS connection established from %s: %s (%d bits)",
	    s->namaddr, tls_info(s->tls), tls_bits(s->tls));
	return 0;
}

/* smtpd_tls_wrapper - implicit TLS: the handshake before the greeting */
int
smtpd_tls_wrapper(struct smtpd_state *s)
{
	if (smtpd_tls_ctx == NULL)
		msg_panic("%s: wrapper mode without a TLS context", __func__);
	s->where = "CONNECT";
	return smtpd_tls_handshake(s);
}

/* smtpd_tls_starttls - STARTTLS: 220, then the handshake */
void
smtpd_tls_starttls(struct smtpd_state *s, char *args)
{
	size_t pending;

	if (*args != '\0') {
		smtpd_reply(s, "501 5.5.4 Syntax: STARTTLS");
		return;
	}
	if (s->tls != NULL) {
		smtpd_reply(s, "503 5.5.1 Error: TLS already active");
		return;
	}
	if (smtpd_tls_level == SMTPD_TLS_NONE && smtpd_tls_ctx == NULL) {
		smtpd_reply(s, "502 5.5.1 Error: STARTTLS is not offered here");
		return;
	}
	if (smtpd_tls_ctx == NULL) {
		smtpd_reply(s, "454 4.7.0 TLS not available due to local "
		    "problem");
		return;
	}
	if (s->sender != NULL) {
		smtpd_reply(s, "503 5.5.1 Error: MAIL transaction in progress");
		return;
	}
	smtpd_reply(s, "220 2.0.0 Ready to start TLS");
	if (lineio_flush(s->io) < 0) {
		smtpd_lost(s, LINE_ERROR, "");
		return;
	}
	/* Anything the client sent after STARTTLS is plaintext: drop it. */
	if ((pending = lineio_pending(s->io)) > 0) {
		msg_info("discarding %zu bytes pipelined after STARTTLS from "
		    "%s", pending, s->namaddr);
		lineio_discard(s->io);
	}
	if (smtpd_tls_handshake(s) < 0) {
		s->quit = 1;
		return;
	}
	smtpd_session_reset(s);
}

/* smtpd_tls_end - close_notify to a client still there, free the session */
void
smtpd_tls_end(struct smtpd_state *s)
{
	if (s->tls == NULL)
		return;
	lineio_set_hooks(s->io, NULL, NULL, NULL);
	tls_close(&s->tls);
}
