/*
 * smtpd_state - what smtpd remembers of a session and when it forgets it:
 * the mail transaction (RSET, HELO, after DATA), everything the client
 * said (after STARTTLS nothing said in plaintext carries over), and the
 * protocol name that state gives the Received: header.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "smtpd.h"

/* smtpd_reset - forget the mail transaction (RSET, HELO, after DATA) */
void
smtpd_reset(struct smtpd_state *s)
{
	int i;

	smtpd_milter_abort(s);
	free(s->sender);
	s->sender = NULL;
	for (i = 0; i < s->nrcpt; i++) {
		free(s->rcpt[i]);
		free(s->rnotify[i]);
		free(s->rorcpt[i]);
	}
	s->nrcpt = 0;
	free(s->envid);
	s->envid = NULL;
	smtpd_bdat_free(s);
	s->qid = NULL;
	s->ret = SMTPD_RET_NONE;
	s->rcpt_rejected = 0;
	s->declared_size = 0;
	s->body8bit = 0;
	s->smtputf8 = 0;
	smtpd_spf_free(s);
}

/*
 * smtpd_rcpt_add - a recipient into the transaction, with its DSN NOTIFY
 * and ORCPT (or NULL): 1, or 0 when it was there already (one copy)
 */
int
smtpd_rcpt_add(struct smtpd_state *s, const char *rcpt, const char *notify,
    const char *orcpt)
{
	int i;

	for (i = 0; i < s->nrcpt; i++)
		if (strcmp(s->rcpt[i], rcpt) == 0)
			return 0;
	if (s->nrcpt >= s->rcpt_size) {
		s->rcpt_size = s->rcpt_size ? s->rcpt_size * 2 : 8;
		s->rcpt = xrealloc(s->rcpt, sizeof(char *) *
		    (size_t)s->rcpt_size);
		s->rnotify = xrealloc(s->rnotify, sizeof(char *) *
		    (size_t)s->rcpt_size);
		s->rorcpt = xrealloc(s->rorcpt, sizeof(char *) *
		    (size_t)s->rcpt_size);
	}
	s->rnotify[s->nrcpt] = notify != NULL ? xstrdup(notify) : NULL;
	s->rorcpt[s->nrcpt] = orcpt != NULL ? xstrdup(orcpt) : NULL;
	s->rcpt[s->nrcpt++] = xstrdup(rcpt);
	return 1;
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
