/*
 * pickup_milter - non_smtpd_milters: mail posted with sendmail shown to
 * the mail filters as Postfix does, as if it came by SMTP from
 * "localhost" [127.0.0.1] with HELO localhost: connect, HELO, MAIL, each
 * RCPT, DATA, then the whole message (with our Received: header) once
 * it is written.  One connection to each milter per message.
 *
 * There is no client to refuse one command to: a refusal at any stage
 * is the message's (REJECT: it bounces, TEMPFAIL: it stays in maildrop/
 * for a later scan, DISCARD: it is dropped), which pickup carries out.
 * The sender and recipient edits are made here, on the envelope.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "milter.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "pickup.h"

/* What the macros are taken from. */
struct pickup_macros {
	const struct pickup_env *env;
	const char	*qid;
	const char	*rcpt;		/* the recipient being sent */
};

/* pickup_milter_macro - a macro's value (milter_macro_fn) */
static const char *
pickup_milter_macro(const char *name, void *ctx)
{
	struct pickup_macros *c = ctx;
	const struct {
		const char	*name;
		const char	*value;
	} tab[] = {
		{ "j", var_myhostname },
		{ "{daemon_name}", var_milter_macro_daemon_name },
		{ "v", var_milter_macro_v },
		{ "_", "localhost [127.0.0.1]" },
		{ "{client_addr}", "127.0.0.1" },
		{ "{client_name}", "localhost" },
		{ "i", c->qid },
		{ "{mail_addr}", buf_str(c->env->sender) },
		{ "{rcpt_addr}", c->rcpt },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(name, tab[i].name) == 0)
			return tab[i].value;
	return NULL;
}

/* pickup_env_add - a recipient into the envelope: 1, 0 when it was in */
int
pickup_env_add(struct pickup_env *env, const char *rcpt)
{
	int i;

	for (i = 0; i < env->nrcpt; i++)
		if (strcmp(env->rcpt[i], rcpt) == 0)
			return 0;
	if (env->nrcpt >= env->size) {
		env->size = env->size ? env->size * 2 : 8;
		env->rcpt = xrealloc(env->rcpt, sizeof(char *) *
		    (size_t)env->size);
	}
	env->rcpt[env->nrcpt++] = xstrdup(rcpt);
	return 1;
}

/* pickup_env_free - the recipients' memory (the sender is the caller's) */
void
pickup_env_free(struct pickup_env *env)
{
	int i;

	for (i = 0; i < env->nrcpt; i++)
		free(env->rcpt[i]);
	free(env->rcpt);
	env->rcpt = NULL;
	env->nrcpt = env->size = 0;
}

/* pickup_milter_edit - one envelope edit on env (milter_envelope) */
static int
pickup_milter_edit(void *ctx, int type, const char *addr)
{
	struct pickup_env *env = ctx;
	int i;

	if (type == MILTER_E_CHGFROM)
		buf_set(env->sender, addr);
	else if (type == MILTER_E_ADDRCPT)
		return *addr != '\0' && pickup_env_add(env, addr);
	else if ((i = milter_strv_find(env->rcpt, env->nrcpt, addr)) >= 0)
		milter_strv_cut(env->rcpt, env->nrcpt--, i);
	else
		return 0;
	return 1;
}

/*
 * pickup_milter_stages - connect, HELO, MAIL, each RCPT and DATA: the
 * first decision that is not CONTINUE, with its reply in r
 */
static int
pickup_milter_stages(struct milters *ms, struct pickup_macros *c,
    struct milter_reply *r)
{
	int i, d;

	if ((d = milters_connect(ms, "localhost", "127.0.0.1", 0, r)) !=
	    MILTER_CONTINUE ||
	    (d = milters_helo(ms, "localhost", r)) != MILTER_CONTINUE ||
	    (d = milters_mail(ms, buf_str(c->env->sender), NULL, r)) !=
	    MILTER_CONTINUE)
		return d;
	for (i = 0; i < c->env->nrcpt; i++) {
		c->rcpt = c->env->rcpt[i];
		d = milters_rcpt(ms, c->rcpt, NULL, r);
		c->rcpt = NULL;
		if (d != MILTER_CONTINUE)
			return d;
	}
	return milters_data(ms, r);
}

/*
 * pickup_milter - the message (msg, len) of queue file qid and its
 * envelope through non_smtpd_milters: the decision, with the reply, the
 * edited message and the quarantine in res, the envelope edited and
 * *edits set to how many envelope edits took effect.  A milter list
 * that cannot be parsed tempfails (the message waits).
 */
int
pickup_milter(struct pickup_env *env, const char *qid, const char *msg,
    size_t len, struct milter_result *res, int *edits)
{
	struct pickup_macros c;
	struct milters *ms;
	struct buf *why = buf_new(128, 1024), *pr;
	int d;

	*edits = 0;
	c.env = env;
	c.qid = qid;
	c.rcpt = NULL;
	if ((ms = milters_new(var_non_smtpd_milters, pickup_milter_macro, &c,
	    why)) == NULL) {
		msg_warn("non_smtpd_milters: %s", buf_str(why));
		buf_free(&why);
		res->reply.decision = MILTER_TEMPFAIL;
		buf_set(res->reply.text, "451 4.3.5 Server configuration "
		    "error");
		return MILTER_TEMPFAIL;
	}
	buf_free(&why);
	if ((d = pickup_milter_stages(ms, &c, &res->reply)) == MILTER_CONTINUE)
		d = milters_message(ms, msg, len, res);
	else
		milters_abort(ms);
	milters_free(&ms);
	if (d == MILTER_CONTINUE)
		*edits = milter_envelope(res, qid, pickup_milter_edit, env);
	pr = buf_new(128, 0);
	if (d == MILTER_REJECT || d == MILTER_TEMPFAIL)
		msg_info("%s: milter-%s: from=<%s>: %s", qid, d ==
		    MILTER_REJECT ? "reject" : "tempfail",
		    printable(buf_str(env->sender), pr),
		    buf_str(res->reply.text));
	else if (d == MILTER_DISCARD)
		msg_info("%s: discard: milter triggers DISCARD action", qid);
	else if (res->quarantine != NULL)
		msg_info("%s: hold: milter triggers HOLD action: %s", qid,
		    printable(buf_str(res->quarantine), pr));
	buf_free(&pr);
	return d;
}
