/*
 * smtpd_milter - smtpd_milters: the session's stages told to the mail
 * filters (lib/milter*.c) and their answers turned into replies.
 *
 * One struct milters per session, made once the client's address and
 * name are known.  Each hook returns 0 to go on, or -1 after it gave the
 * client the milter's refusal (a close answer, 421, ends the session
 * after it).  A discard at any stage before the end of the message marks
 * the transaction: the message is then taken and dropped.  The macros
 * come from the session's state (smtpd_milter_macro).
 *
 * Envelope edits at the end of the message (CHGFROM, ADDRCPT, DELRCPT)
 * are made on the session's sender and recipients, which smtpd_data then
 * writes into the queue file again.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "milter.h"
#include "msg.h"
#include "params.h"
#include "tls.h"
#include "util.h"
#include "smtpd.h"

#define SMTPD_MILTER_ARGS	32	/* ESMTP parameters passed on */

static struct buf *smtpd_milter_buf;	/* scratch for macro values */

/* smtpd_milter_macro - a macro's value from the session (milter_macro_fn) */
static const char *
smtpd_milter_macro(const char *name, void *ctx)
{
	struct smtpd_state *s = ctx;
	const struct {
		const char	*name;
		const char	*value;
	} tab[] = {
		{ "j", smtpd_hostname() },
		{ "{daemon_name}", var_milter_macro_daemon_name },
		{ "v", var_milter_macro_v },
		{ "{client_addr}", s->addr },
		{ "{client_name}", s->name },
		{ "i", s->qid },
		{ "{auth_type}", s->sasl_method },
		{ "{auth_authen}", s->sasl_user },
		{ "{mail_addr}", s->sender },
		{ "{rcpt_addr}", s->mrcpt },
		{ "{tls_version}", s->tls ? tls_version(s->tls) : NULL },
		{ "{cipher}", s->tls ? tls_cipher(s->tls) : NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(name, tab[i].name) == 0)
			return tab[i].value;
	if (smtpd_milter_buf == NULL)
		smtpd_milter_buf = buf_new(128, 0);
	if (strcmp(name, "_") == 0) {
		buf_setf(smtpd_milter_buf, "%s [%s]", s->name, s->addr);
		return buf_str(smtpd_milter_buf);
	}
	if (strcmp(name, "{cipher_bits}") == 0 && s->tls != NULL) {
		buf_setf(smtpd_milter_buf, "%d", tls_bits(s->tls));
		return buf_str(smtpd_milter_buf);
	}
	return NULL;
}

/*
 * smtpd_milter_answer - a stage's answer: 0 to go on, or -1 after the
 * refusal was logged and given to the client
 */
static int
smtpd_milter_answer(struct smtpd_state *s, const char *stage,
    struct milter_reply *r)
{
	struct buf *pr;

	if (r->decision == MILTER_DISCARD) {
		msg_info("%s: discard: %s from %s: milter triggers DISCARD "
		    "action", s->qid != NULL ? s->qid : "NOQUEUE", stage,
		    s->namaddr);
		s->mdiscard = 1;
	}
	if (r->decision != MILTER_REJECT && r->decision != MILTER_TEMPFAIL) {
		milter_reply_clear(r);
		return 0;
	}
	pr = buf_new(128, 0);
	msg_info("%s: milter-reject: %s from %s: %s", s->qid != NULL ?
	    s->qid : "NOQUEUE", stage, s->namaddr,
	    printable(buf_str(r->text), pr));
	buf_free(&pr);
	smtpd_reply(s, "%s", buf_str(r->text));
	if (r->close)
		s->quit = 1;
	milter_reply_clear(r);
	return -1;
}

/*
 * smtpd_milter_connect - the session's milters, told of the client.  0,
 * or -1 after a reply that ends the session.  A refusal that does not
 * close holds for every later command (lib/milter.c).
 */
int
smtpd_milter_connect(struct smtpd_state *s)
{
	struct milter_reply r;
	struct buf *why;
	int port = 0;

	if (*var_smtpd_milters == '\0')
		return 0;
	why = buf_new(128, 1024);
	s->milters = milters_new(var_smtpd_milters, smtpd_milter_macro, s,
	    why);
	if (s->milters == NULL) {
		msg_warn("smtpd_milters: %s", buf_str(why));
		buf_free(&why);
		smtpd_reply(s, "421 4.3.5 %s Error: server configuration "
		    "error", smtpd_hostname());
		return -1;
	}
	buf_free(&why);
	if (s->sa.ss_family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&s->sa)->sin_port);
	else if (s->sa.ss_family == AF_INET6)
		port = ntohs(((struct sockaddr_in6 *)&s->sa)->sin6_port);
	milter_reply_init(&r);
	milters_connect(s->milters, s->name, s->sa.ss_family == AF_INET ||
	    s->sa.ss_family == AF_INET6 ? s->addr : NULL, port, &r);
	if ((r.decision == MILTER_REJECT || r.decision == MILTER_TEMPFAIL) &&
	    r.close)
		return smtpd_milter_answer(s, "CONNECT", &r);
	if (r.decision == MILTER_REJECT || r.decision == MILTER_TEMPFAIL)
		msg_info("milter-reject: CONNECT from %s: %s", s->namaddr,
		    buf_str(r.text));
	milter_reply_clear(&r);
	return 0;
}

/* smtpd_milter_helo - HELO or EHLO with name: 0, or -1 after a reply */
int
smtpd_milter_helo(struct smtpd_state *s, const char *name)
{
	struct milter_reply r;

	if (s->milters == NULL)
		return 0;
	milter_reply_init(&r);
	milters_helo(s->milters, name, &r);
	return smtpd_milter_answer(s, s->where, &r);
}

/*
 * smtpd_milter_args - the ESMTP parameters text split at white space
 * into av (at most SMTPD_MILTER_ARGS, NULL ended); the copy to free
 */
static char *
smtpd_milter_args(const char *params, char **av)
{
	char *copy = xstrdup(params != NULL ? params : ""), *cp = copy;
	int n = 0;

	while (n < SMTPD_MILTER_ARGS && (av[n] = mystrtok(&cp, " \t")) != NULL)
		n++;
	av[n] = NULL;
	return copy;
}

/*
 * smtpd_milter_addr - MAIL or RCPT (stage, fn) with its address and
 * ESMTP parameters text: 0, or -1 after a reply
 */
static int
smtpd_milter_addr(struct smtpd_state *s, const char *stage,
    int (*fn)(struct milters *, const char *, char **,
    struct milter_reply *), const char *addr, const char *params)
{
	struct milter_reply r;
	char *av[SMTPD_MILTER_ARGS + 1], *copy;

	copy = smtpd_milter_args(params, av);
	milter_reply_init(&r);
	fn(s->milters, addr, av, &r);
	free(copy);
	return smtpd_milter_answer(s, stage, &r);
}

/*
 * smtpd_milter_mail - MAIL FROM, once smtpd's own checks passed (sender
 * already in s->sender): 0, or -1 after a reply
 */
int
smtpd_milter_mail(struct smtpd_state *s, const char *params)
{
	if (s->milters == NULL)
		return 0;
	s->mtxn = 1;
	if (smtpd_milter_addr(s, "MAIL", milters_mail, s->sender,
	    params) == 0)
		return 0;
	smtpd_milter_abort(s);
	return -1;
}

/*
 * smtpd_milter_rcpt - RCPT TO that smtpd accepted: 0 to take it, or -1
 * after a reply that refuses this recipient only
 */
int
smtpd_milter_rcpt(struct smtpd_state *s, const char *rcpt,
    const char *params)
{
	int ret;

	if (s->milters == NULL)
		return 0;
	s->mrcpt = rcpt;
	ret = smtpd_milter_addr(s, "RCPT", milters_rcpt, rcpt, params);
	s->mrcpt = NULL;
	return ret;
}

/*
 * smtpd_milter_step - a stage without arguments (fn) named stage in the
 * log: 0, or -1 after a reply
 */
static int
smtpd_milter_step(struct smtpd_state *s, const char *stage,
    int (*fn)(struct milters *, struct milter_reply *))
{
	struct milter_reply r;

	if (s->milters == NULL)
		return 0;
	milter_reply_init(&r);
	fn(s->milters, &r);
	return smtpd_milter_answer(s, stage, &r);
}

/* smtpd_milter_data - DATA (or the first BDAT): 0, or -1 after a reply */
int
smtpd_milter_data(struct smtpd_state *s)
{
	return smtpd_milter_step(s, "DATA", milters_data);
}

/*
 * smtpd_milter_other - a command without a stage of its own (STARTTLS,
 * AUTH, VRFY...): 0, or -1 after a reply
 */
int
smtpd_milter_other(struct smtpd_state *s)
{
	return smtpd_milter_step(s, s->where, milters_other);
}

/*
 * smtpd_milter_unknown - a command smtpd does not serve (line: verb and
 * arguments): 0 for smtpd's own reply, or -1 after the milter's
 */
int
smtpd_milter_unknown(struct smtpd_state *s, const char *verb,
    const char *args)
{
	struct milter_reply r;
	struct buf *line;
	int ret;

	if (s->milters == NULL)
		return 0;
	line = buf_new(64, 0);
	buf_setf(line, "%s%s%s", verb, *args ? " " : "", args);
	milter_reply_init(&r);
	milters_unknown(s->milters, buf_str(line), &r);
	buf_free(&line);
	ret = smtpd_milter_answer(s, "UNKNOWN", &r);
	return ret;
}

/* smtpd_milter_abort - the transaction ends without a message */
void
smtpd_milter_abort(struct smtpd_state *s)
{
	if (s->milters != NULL && s->mtxn)
		milters_abort(s->milters);
	s->mtxn = 0;
	s->mdiscard = 0;
}

/* smtpd_milter_free - the session is over */
void
smtpd_milter_free(struct smtpd_state *s)
{
	milters_free(&s->milters);
	buf_free(&smtpd_milter_buf);
}

/*
 * smtpd_milter_message - the whole message (our Received: header first)
 * at the end of DATA: the decision, with the edits in res.  A refusal is
 * logged, not yet replied (smtpd_data answers).
 */
int
smtpd_milter_message(struct smtpd_state *s, const char *msg, size_t len,
    struct milter_result *res)
{
	struct buf *pr;
	int d;

	s->mtxn = 0;
	d = milters_message(s->milters, msg, len, res);
	if (d == MILTER_CONTINUE && s->mdiscard)
		d = res->reply.decision = MILTER_DISCARD;
	pr = buf_new(128, 0);
	if (d == MILTER_REJECT || d == MILTER_TEMPFAIL)
		msg_info("%s: milter-reject: END-OF-MESSAGE from %s: %s",
		    s->qid, s->namaddr, printable(buf_str(res->reply.text),
		    pr));
	else if (d == MILTER_DISCARD)
		msg_info("%s: discard: END-OF-MESSAGE from %s: milter "
		    "triggers DISCARD action", s->qid, s->namaddr);
	else if (res->quarantine != NULL)
		msg_info("%s: hold: END-OF-MESSAGE from %s: milter triggers "
		    "HOLD action: %s", s->qid, s->namaddr,
		    printable(buf_str(res->quarantine), pr));
	buf_free(&pr);
	s->mdiscard = 0;
	return d;
}

/* smtpd_milter_edit - one envelope edit on the session (milter_envelope) */
static int
smtpd_milter_edit(void *ctx, int type, const char *addr)
{
	struct smtpd_state *s = ctx;
	int i;

	if (type == MILTER_E_CHGFROM) {
		free(s->sender);
		s->sender = xstrdup(addr);
		return 1;
	}
	if (type == MILTER_E_ADDRCPT)
		return *addr != '\0' && s->nrcpt < var_smtpd_recipient_limit &&
		    smtpd_rcpt_add(s, addr, NULL, NULL);
	if ((i = milter_strv_find(s->rcpt, s->nrcpt, addr)) < 0)
		return 0;
	milter_strv_cut(s->rcpt, s->nrcpt, i);
	milter_strv_cut(s->rnotify, s->nrcpt, i);
	milter_strv_cut(s->rorcpt, s->nrcpt, i);
	s->nrcpt--;
	return 1;
}

/*
 * smtpd_milter_envelope - the sender and recipient edits of res made on
 * the session's envelope: how many took effect
 */
int
smtpd_milter_envelope(struct smtpd_state *s, const struct milter_result *res)
{
	return milter_envelope(res, s->qid, smtpd_milter_edit, s);
}
