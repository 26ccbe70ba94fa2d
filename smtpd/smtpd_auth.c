/*
 * smtpd_auth - SMTP AUTH (RFC 4954) with the SASL mechanisms PLAIN (RFC
 * 4616) and LOGIN, checked by the auth service (lib/authc.h): smtpd never
 * sees a password file and never runs as a user who could read one.
 *
 * AUTH is offered when smtpd_sasl_auth_enable is on and a password may be
 * sent on this connection: under TLS, from loopback, or anywhere when
 * disable_plaintext_auth = no (and never before STARTTLS at
 * smtpd_tls_security_level = encrypt).  A client that tries anyway gets
 * 538 5.7.11 (or 530 5.7.0 at level encrypt).  Success is 235 2.7.0;
 * bad credentials 535 5.7.8, after the auth service's failure delay; a
 * broken auth service 454 4.7.0.
 *
 * Everything the client sends here is distrusted: the response lines are
 * bounded (12288 octets, RFC 4954 4), base64 is checked strictly, user
 * names and passwords are bounded and may not hold NUL.  Secrets are wiped
 * from memory when done with, and never logged.
 */
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include "authc.h"
#include "base64.h"
#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "smtpd.h"

#define SMTPD_AUTH_LINE_MAX	12288	/* a response line, RFC 4954 4 */

static const char *const smtpd_auth_mechs[] = { "PLAIN", "LOGIN", NULL };

/* smtpd_auth_wipe - overwrite a buffer that held a secret */
static void
smtpd_auth_wipe(struct buf *b)
{
	if (b != NULL && b->data != NULL)
		explicit_bzero(b->data, b->size);
	if (b != NULL)
		buf_reset(b);
}

/* smtpd_auth_offered - does EHLO list AUTH on this connection? */
int
smtpd_auth_offered(struct smtpd_state *s)
{
	int i;

	if (!var_smtpd_sasl_auth_enable || smtpd_tls_required(s) ||
	    !authc_plaintext_allowed((struct sockaddr *)&s->sa,
	    s->tls != NULL))
		return 0;
	for (i = 0; smtpd_auth_mechs[i] != NULL; i++)
		if (authc_mech_enabled(smtpd_auth_mechs[i]))
			return 1;
	return 0;
}

/* smtpd_auth_ehlo - the AUTH line of the EHLO reply, when offered */
void
smtpd_auth_ehlo(struct smtpd_state *s)
{
	int i;

	if (!smtpd_auth_offered(s))
		return;
	lineio_puts(s->io, "250-AUTH");
	for (i = 0; smtpd_auth_mechs[i] != NULL; i++)
		if (authc_mech_enabled(smtpd_auth_mechs[i]))
			lineio_printf(s->io, " %s", smtpd_auth_mechs[i]);
	lineio_puts(s->io, "\r\n");
}

/*
 * smtpd_auth_response - send a 334 challenge and read the client's
 * response line into out.  0, or -1 after a reply (or a lost client).
 */
static int
smtpd_auth_response(struct smtpd_state *s, const char *challenge,
    struct buf *out)
{
	size_t cap;
	int r;

	smtpd_reply(s, "334 %s", challenge);
	lineio_set_cap(s->io, SMTPD_AUTH_LINE_MAX);
	r = lineio_get(s->io, out, LINEIO_SKIP);
	cap = var_line_length_limit > 2 ? (size_t)var_line_length_limit - 2 :
	    998;
	lineio_set_cap(s->io, cap);
	switch (r) {
	case LINE_OK:
		break;
	case LINE_TOOLONG:
		smtpd_reply(s, "500 5.5.6 Authentication Exchange line is too "
		    "long");
		return -1;
	default:
		smtpd_lost(s, r, "");
		return -1;
	}
	if (strcmp(buf_str(out), "*") == 0) {
		smtpd_reply(s, "501 5.7.0 Authentication aborted");
		return -1;
	}
	return 0;
}

/*
 * smtpd_auth_decode - base64 text to a user name or password ("=": empty,
 * as an initial response).  0, or -1 after a 501 reply.
 */
static int
smtpd_auth_decode(struct smtpd_state *s, const char *text, struct buf *out,
    int initial)
{
	buf_reset(out);
	if (initial && strcmp(text, "=") == 0)
		return 0;
	if (base64_decode(out, text, strlen(text)) < 0 ||
	    memchr(buf_str(out), '\0', buf_len(out)) != NULL ||
	    buf_len(out) >= AUTHC_FIELD_MAX) {
		smtpd_auth_wipe(out);
		smtpd_reply(s, "501 5.5.2 Cannot decode response");
		return -1;
	}
	return 0;
}

/*
 * smtpd_auth_plain - PLAIN: one message "authzid NUL user NUL password",
 * in the AUTH line or after an empty challenge (read into resp, which
 * the caller wipes).  0 with the fields, or -1 after a reply.
 */
static int
smtpd_auth_plain(struct smtpd_state *s, const char *initial,
    struct buf *resp, struct buf *authzid, struct buf *user, struct buf *pass)
{
	const char *text = initial;

	if (text == NULL) {
		if (smtpd_auth_response(s, "", resp) < 0)
			return -1;
		text = buf_str(resp);
	}
	if (authc_sasl_plain_decode(text, authzid, user, pass) < 0) {
		smtpd_reply(s, "501 5.5.2 Cannot decode response");
		return -1;
	}
	return 0;
}

/*
 * smtpd_auth_login - LOGIN: "Username:" and "Password:" challenges, the
 * user name possibly already in the AUTH line; responses are read into
 * resp, which the caller wipes.  0, or -1 after a reply.
 */
static int
smtpd_auth_login(struct smtpd_state *s, const char *initial,
    struct buf *resp, struct buf *user, struct buf *pass)
{
	if (initial != NULL) {
		if (smtpd_auth_decode(s, initial, user, 1) < 0)
			return -1;
	} else if (smtpd_auth_response(s, "VXNlcm5hbWU6", resp) < 0 ||
	    smtpd_auth_decode(s, buf_str(resp), user, 0) < 0)
		return -1;
	if (smtpd_auth_response(s, "UGFzc3dvcmQ6", resp) < 0 ||
	    smtpd_auth_decode(s, buf_str(resp), pass, 0) < 0)
		return -1;
	return 0;
}

/*
 * smtpd_auth_check - may AUTH run now?  1 yes, 0 after a refusal.  The
 * order follows RFC 4954: sequence errors first, then the channel.
 */
static int
smtpd_auth_check(struct smtpd_state *s)
{
	if (!var_smtpd_sasl_auth_enable) {
		smtpd_reply(s, "503 5.5.1 Error: authentication not enabled");
		return 0;
	}
	if (s->helo == NULL) {
		smtpd_reply(s, "503 5.5.1 Error: send EHLO first");
		return 0;
	}
	if (s->sasl_user != NULL) {
		smtpd_reply(s, "503 5.5.1 Error: already authenticated");
		return 0;
	}
	if (s->sender != NULL) {
		smtpd_reply(s, "503 5.5.1 Error: MAIL transaction in "
		    "progress");
		return 0;
	}
	if (smtpd_tls_required(s)) {
		smtpd_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		return 0;
	}
	if (!authc_plaintext_allowed((struct sockaddr *)&s->sa,
	    s->tls != NULL)) {
		smtpd_reply(s, "538 5.7.11 Encryption required for requested "
		    "authentication mechanism");
		return 0;
	}
	return 1;
}

/* smtpd_auth_cmd - AUTH mechanism [initial-response] */
void
smtpd_auth_cmd(struct smtpd_state *s, char *args)
{
	struct buf *authzid, *user, *pass, *resp, *why, *pr;
	struct authc_reply reply;
	const char *mech;
	char *initial;
	int i, r;

	if (!smtpd_auth_check(s))
		return;
	mech = args;
	initial = args + strcspn(args, " \t");
	if (*initial != '\0') {
		*initial++ = '\0';
		initial += strspn(initial, " \t");
		if (*initial == '\0' ||
		    initial[strcspn(initial, " \t")] != '\0') {
			smtpd_reply(s, "501 5.5.4 Syntax: AUTH mechanism "
			    "[initial-response]");
			return;
		}
	} else
		initial = NULL;
	if (*mech == '\0') {
		smtpd_reply(s, "501 5.5.4 Syntax: AUTH mechanism "
		    "[initial-response]");
		return;
	}
	for (i = 0; smtpd_auth_mechs[i] != NULL; i++)
		if (strcasecmp(mech, smtpd_auth_mechs[i]) == 0 &&
		    authc_mech_enabled(smtpd_auth_mechs[i]))
			break;
	if (smtpd_auth_mechs[i] == NULL) {
		smtpd_reply(s, "504 5.5.4 Unrecognized authentication type");
		return;
	}
	mech = smtpd_auth_mechs[i];

	authzid = buf_new(64, 0);
	user = buf_new(64, 0);
	pass = buf_new(64, 0);
	resp = buf_new(256, 0);
	why = buf_new(128, 1024);
	pr = buf_new(64, 0);
	if (i == 0)
		r = smtpd_auth_plain(s, initial, resp, authzid, user, pass);
	else
		r = smtpd_auth_login(s, initial, resp, user, pass);
	smtpd_auth_wipe(resp);
	if (initial != NULL)
		explicit_bzero(initial, strlen(initial));
	if (r < 0)
		goto out;
	r = authc_login_mech("smtp", mech, buf_str(user), buf_str(pass),
	    buf_str(authzid), (struct sockaddr *)&s->sa, s->tls != NULL,
	    &reply, why);
	smtpd_auth_wipe(pass);
	if (r > 0) {
		s->sasl_method = xstrdup(mech);
		s->sasl_user = xstrdup(reply.account);
		msg_info("%s: sasl_method=%s, sasl_username=%s", s->namaddr,
		    mech, printable(reply.account, pr));
		smtpd_reply(s, "235 2.7.0 Authentication successful");
	} else if (r == 0) {
		msg_warn("%s: SASL %s authentication failed: %s, "
		    "sasl_username=%s", s->namaddr, mech,
		    printable(buf_str(why), s->tmp),
		    printable(buf_str(user), pr));
		smtpd_reply(s, "535 5.7.8 Authentication credentials invalid");
	} else {
		msg_warn("%s: SASL %s authentication: auth service: %s",
		    s->namaddr, mech, printable(buf_str(why), s->tmp));
		smtpd_reply(s, "454 4.7.0 Temporary authentication failure");
	}
out:
	smtpd_auth_wipe(pass);
	buf_free(&authzid);
	buf_free(&user);
	buf_free(&pass);
	buf_free(&resp);
	buf_free(&why);
	buf_free(&pr);
}
