/*
 * milter - a session's milters, stage by stage: the connection and the
 * option negotiation at connect, the macros before each command, the
 * envelope commands and their replies, abort and quit.  The message
 * content is milter_message.c's.
 *
 * Negotiation: we offer protocol version milter_protocol, every action,
 * and every step a milter may leave out (SMFIP_NO*) or take without
 * replying (SMFIP_NR_*); a milter that asks for a version we do not
 * speak, or for an action we did not offer, is dropped.  A stage the
 * milter does not want is not sent (its macros still are: the milter may
 * read them later); a command it takes without a reply is not waited for.
 *
 * A reply's meaning depends on the stage, as libmilter's: accept at
 * connect or HELO ends the milter's part in the session, at a later
 * stage its part in the message; reject or tempfail at RCPT refuses that
 * recipient only, at MAIL and later the message (the milter forgets the
 * transaction), at connect or HELO the session.  Discard at an envelope
 * stage throws the message away: the rest of the transaction goes by
 * without asking the milters and milters_message answers DISCARD.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "milter_int.h"
#include "msg.h"
#include "params.h"
#include "util.h"

#define MILTER_TEMPFAIL_TEXT	"451 4.7.1 Service unavailable - try again later"
#define MILTER_REJECT_TEXT	"550 5.7.1 Command rejected"
#define MILTER_SHUTDOWN_TEXT	"421 4.7.0 Server closing connection"

/* milter_sticky - the answer a failed milter or a refused connection
 * left for every later command */
int
milter_sticky(struct milters *ms, struct milter_reply *r)
{
	r->decision = ms->failed;
	if (ms->sticky != NULL) {
		buf_set(r->text, buf_str(ms->sticky));
		r->close = strncmp(buf_str(ms->sticky), "421", 3) == 0;
	}
	else
		buf_set(r->text, ms->failed == MILTER_REJECT ?
		    MILTER_REJECT_TEXT : MILTER_TEMPFAIL_TEXT);
	return r->decision;
}

/*
 * milter_fail - drop milter m for the session (why in m->why) and say
 * what milter_default_action makes of it.
 */
int
milter_fail(struct milters *ms, struct milter *m, struct milter_reply *r)
{
	struct buf	*text = buf_new(128, 0);
	int		 d = m->action;

	/* The reason may quote the milter: printable in the log. */
	msg_warn("milter %s: %s; default_action=%s", m->spec,
	    printable(buf_str(m->why), text), m->action_name);
	buf_free(&text);
	milter_close(m);
	m->state = MS_FAILED;
	m->in_msg = 0;
	if (d < 0) {
		ms->hold = 1;
		return MILTER_CONTINUE;
	}
	if (d == MILTER_CONTINUE)
		return MILTER_CONTINUE;
	ms->failed = d;
	return milter_sticky(ms, r);
}

/* milter_macro_value - the caller's value of a macro, or ours */
static const char *
milter_macro_value(struct milters *ms, const char *name)
{
	const char	*v;

	if (ms->macro != NULL && (v = ms->macro(name, ms->ctx)) != NULL)
		return v;
	if (strcmp(name, "{daemon_name}") == 0)
		return var_milter_macro_daemon_name;
	if (strcmp(name, "v") == 0)
		return var_milter_macro_v;
	if (strcmp(name, "j") == 0)
		return var_myhostname[0] ? var_myhostname : my_hostname();
	if (strcmp(name, "{mail_addr}") == 0)
		return ms->sender;
	if (strcmp(name, "{rcpt_addr}") == 0)
		return ms->rcpt;
	return NULL;
}

/* milter_macros - the macros of stage, before command cmd: 0, -1 */
int
milter_macros(struct milters *ms, struct milter *m, int stage, int cmd)
{
	char		*list = xstrdup(milter_macro_list(m, stage)), *p = list;
	const char	*name, *v;
	int		 r = 0;

	buf_reset(ms->pkt);
	buf_putc(ms->pkt, cmd);
	while ((name = mystrtok(&p, ", \t")) != NULL)
		if ((v = milter_macro_value(ms, name)) != NULL) {
			milter_putstr(ms->pkt, name);
			milter_putstr(ms->pkt, v);
		}
	free(list);
	if (buf_len(ms->pkt) > 1) {
		m->deadline = now_ms() + m->command_timeout * 1000;
		r = milter_send(m, MC_MACRO, ms->pkt);
	}
	return r;
}

/*
 * milter_ask - command cmd with data to m, and its final reply's code
 * unless noreply (then MR_CONTINUE); -1 on failure (m->why).  Progress
 * starts the wait again; modifications are taken only at the end of a
 * message, into res (milter_collect).  The final reply's data stays in
 * ms->in.
 */
int
milter_ask(struct milters *ms, struct milter *m, int cmd,
    const struct buf *data, int noreply, long long timeout,
    struct milter_result *res, int idx)
{
	int		 c;

	m->deadline = now_ms() + timeout * 1000;
	if (milter_send(m, cmd, data) < 0)
		return -1;
	if (noreply)
		return MR_CONTINUE;
	for (;;) {
		if (milter_recv(m, &c, ms->in) < 0)
			return -1;
		switch (c) {
		case MR_PROGRESS:
			m->deadline = now_ms() + timeout * 1000;
			continue;
		case MR_ACCEPT:
		case MR_CONTINUE:
		case MR_DISCARD:
		case MR_REJECT:
		case MR_TEMPFAIL:
		case MR_REPLYCODE:
		case MR_SHUTDOWN:
		case MR_CONN_FAIL:
			return c;
		case MR_SKIP:
			if (cmd == MC_BODY && (m->pflags & MP_SKIP))
				return c;
			break;
		default:
			if (cmd == MC_EOM && res != NULL) {
				if (milter_collect(ms, m, c, res, idx) < 0)
					return -1;
				continue;
			}
		}
		buf_setf(m->why, "unexpected reply '%c' (0x%02x) to '%c'",
		    c > ' ' && c < 127 ? c : '?', c, cmd);
		return -1;
	}
}

/* milter_replycode - a custom reply "4xx/5xx text": its decision, -1 */
static int
milter_replycode(struct milters *ms, struct milter *m, struct milter_reply *r)
{
	const char	*t = buf_str(ms->in);
	size_t		 len = strnlen(t, buf_len(ms->in)), i;

	if (len < 3 || (t[0] != '4' && t[0] != '5') || t[1] < '0' ||
	    t[1] > '9' || t[2] < '0' || t[2] > '9' ||
	    (t[3] != '\0' && t[3] != ' ' && t[3] != '-')) {
		buf_setf(m->why, "bad reply code in \"%.40s\"", t);
		return -1;
	}
	if (len >= r->text->cap) {
		buf_setf(m->why, "reply text over %zu bytes", r->text->cap);
		return -1;
	}
	/* Lines of a multi-line reply end with CRLF and repeat the code;
	 * no other control character goes to the client. */
	for (i = 0; i < len; i++) {
		if ((unsigned char)t[i] == 127 || ((unsigned char)t[i] < ' ' &&
		    t[i] != '\r' && t[i] != '\n' && t[i] != '\t')) {
			buf_setf(m->why, "control character in reply text");
			return -1;
		}
		if (t[i] != '\r' && t[i] != '\n')
			continue;
		if (t[i] == '\n' || t[i + 1] != '\n' || i + 5 > len ||
		    strncmp(t + i + 2, t, 3) != 0) {
			buf_setf(m->why, "bad multi-line reply");
			return -1;
		}
		i++;
	}
	buf_set(r->text, t);
	return t[0] == '4' ? MILTER_TEMPFAIL : MILTER_REJECT;
}

/*
 * milter_decide - what reply code c of m at stage means: a decision, and
 * m's state after it; -1 when the code is not one the stage may have
 * (then m->why).  session: the stage is connect or HELO; rcpt: it is
 * RCPT (a refusal is the recipient's only).
 */
int
milter_decide(struct milters *ms, struct milter *m, int c, int session,
    int rcpt, struct milter_reply *r)
{
	int		 d;

	switch (c) {
	case MR_CONTINUE:
		return MILTER_CONTINUE;
	case MR_ACCEPT:
		if (session) {
			m->deadline = now_ms() + m->command_timeout *
			    1000;
			(void)milter_send(m, MC_QUIT, NULL);
			milter_close(m);
			m->state = MS_DONE;
		} else {
			m->msg_done = 1;
			m->in_msg = 0;
		}
		return MILTER_CONTINUE;
	case MR_DISCARD:
		if (session) {
			buf_setf(m->why, "discard at connect or HELO");
			return -1;
		}
		ms->discard = 1;
		return MILTER_DISCARD;
	case MR_SHUTDOWN:
	case MR_CONN_FAIL:
		/* The session ends: 421 now and to anything after it. */
		if (!ms->failed) {
			ms->failed = MILTER_TEMPFAIL;
			ms->sticky = buf_new(64, 0);
			buf_set(ms->sticky, MILTER_SHUTDOWN_TEXT);
		}
		milter_close(m);
		m->state = MS_FAILED;
		m->in_msg = 0;
		return milter_sticky(ms, r);
	case MR_REPLYCODE:
		if ((d = milter_replycode(ms, m, r)) < 0)
			return -1;
		break;
	case MR_REJECT:
		buf_set(r->text, MILTER_REJECT_TEXT);
		d = MILTER_REJECT;
		break;
	case MR_TEMPFAIL:
		buf_set(r->text, MILTER_TEMPFAIL_TEXT);
		d = MILTER_TEMPFAIL;
		break;
	default:
		buf_setf(m->why, "unexpected reply '%c'", c);
		return -1;
	}
	if (!rcpt) {
		m->in_msg = 0;
		m->msg_done = 1;
	}
	return d;
}

/*
 * milter_offer - the actions and steps of protocol version v (what older
 * libmilters know: 2 the first five actions and six steps, 3 quarantine
 * and SMFIP_NOEOH, 4 and 5 the header no-reply, unknown and DATA steps,
 * 6 the rest)
 */
static void
milter_offer(long long v, uint32_t *actions, uint32_t *steps)
{
	*actions = v >= 6 ? MA_ALL : v >= 3 ? 0x3f : 0x1f;
	*steps = v >= 6 ? MP_OFFER : v >= 4 ? 0x3ff : v >= 3 ? 0x7f : 0x3f;
}

/* milter_negotiate - connect and agree on the protocol: 0, -1 */
static int
milter_negotiate(struct milters *ms, struct milter *m)
{
	uint32_t	 stage, actions, steps;
	size_t		 off = 0;
	const char	*list;
	int		 c;

	if (milter_open(m) < 0)
		return -1;
	m->state = MS_READY;
	milter_offer(m->protocol, &actions, &steps);
	buf_reset(ms->pkt);
	milter_put32(ms->pkt, (uint32_t)m->protocol);
	milter_put32(ms->pkt, actions);
	milter_put32(ms->pkt, steps);
	m->deadline = now_ms() + m->command_timeout * 1000;
	if (milter_send(m, MC_OPTNEG, ms->pkt) < 0 ||
	    milter_recv(m, &c, ms->in) < 0)
		return -1;
	if (c != MC_OPTNEG || milter_get32(ms->in, &off, &m->version) < 0 ||
	    milter_get32(ms->in, &off, &m->actions) < 0 ||
	    milter_get32(ms->in, &off, &m->pflags) < 0) {
		buf_setf(m->why, "bad negotiation reply");
		return -1;
	}
	if (m->version < 2 || m->version > 6) {
		buf_setf(m->why, "protocol version %lu not supported",
		    (unsigned long)m->version);
		return -1;
	}
	if (m->actions & ~actions) {
		buf_setf(m->why, "asks for actions 0x%lx we do not offer",
		    (unsigned long)(m->actions & ~actions));
		return -1;
	}
	/* Steps beyond ours (larger chunks, leading spaces): not done. */
	m->pflags &= steps;
	while (off < buf_len(ms->in)) {
		if (milter_get32(ms->in, &off, &stage) < 0 ||
		    (list = milter_getstr(ms->in, &off)) == NULL) {
			buf_setf(m->why, "bad macro list in negotiation");
			return -1;
		}
		if (stage < MILTER_M_COUNT && (m->actions & MA_SETSYMLIST)) {
			free(m->macros[stage]);
			m->macros[stage] = xstrdup(list);
		}
	}
	return 0;
}

/* milters_start - a reply made ready for a stage: the sticky failure */
static int
milters_start(struct milters *ms, struct milter_reply *r)
{
	buf_reset(r->text);
	r->decision = MILTER_CONTINUE;
	r->close = 0;
	return ms->failed ? milter_sticky(ms, r) : MILTER_CONTINUE;
}

/*
 * milters_stage - one envelope command to every milter that takes it:
 * its macros (stage -1: none), the command unless the milter skips the stage (noflag),
 * the reply unless it need not reply (nrflag).  The first milter that
 * does not let it continue decides.
 */
static int
milters_stage(struct milters *ms, int stage, int cmd, uint32_t noflag,
    uint32_t nrflag, struct milter_reply *r)
{
	struct milter	*m;
	int		 i, c, d, session = stage >= 0 && stage <= MILTER_M_HELO;

	if (milters_start(ms, r) != MILTER_CONTINUE)
		return r->decision;
	if (ms->discard && !session)
		return MILTER_CONTINUE;
	for (i = 0; i < ms->n; i++) {
		m = &ms->m[i];
		if (m->state != MS_READY || (!session && m->msg_done))
			continue;
		if (stage >= 0 && milter_macros(ms, m, stage, cmd) < 0)
			c = -1;
		else if (m->pflags & noflag)
			c = MR_CONTINUE;
		else
			c = milter_ask(ms, m, cmd, ms->arg, m->pflags & nrflag,
			    m->command_timeout, NULL, i);
		if (c == MR_CONTINUE && cmd == MC_MAIL)
			m->in_msg = 1;
		if (c < 0 || (d = milter_decide(ms, m, c, session,
		    cmd == MC_RCPT, r)) < 0)
			d = milter_fail(ms, m, r);
		if (d != MILTER_CONTINUE)
			return r->decision = d;
	}
	return MILTER_CONTINUE;
}

/*
 * milters_connect - connect to every milter, negotiate, and send the
 * client: name ("[addr]" when it has none), addr (NULL: not an IP
 * client), port.
 */
int
milters_connect(struct milters *ms, const char *name, const char *addr,
    int port, struct milter_reply *r)
{
	struct milter	*m;
	int		 i, d;

	if (milters_start(ms, r) != MILTER_CONTINUE)
		return r->decision;
	for (i = 0; i < ms->n; i++) {
		m = &ms->m[i];
		if (m->state == MS_CLOSED && milter_negotiate(ms, m) < 0 &&
		    (d = milter_fail(ms, m, r)) != MILTER_CONTINUE)
			return d;
	}
	buf_reset(ms->arg);
	milter_putstr(ms->arg, name);
	if (addr != NULL && strncasecmp(addr, "IPv6:", 5) == 0)
		addr += 5;
	if (addr == NULL)
		buf_putc(ms->arg, 'U');
	else {
		buf_putc(ms->arg, strchr(addr, ':') ? '6' : '4');
		buf_putc(ms->arg, (port >> 8) & 0xff);
		buf_putc(ms->arg, port & 0xff);
		milter_putstr(ms->arg, addr);
	}
	d = milters_stage(ms, MILTER_M_CONNECT, MC_CONNECT, MP_NOCONNECT,
	    MP_NR_CONN, r);
	if ((d == MILTER_REJECT || d == MILTER_TEMPFAIL) && !ms->failed) {
		/* As Postfix: the session is refused, command by command. */
		ms->failed = d;
		ms->sticky = buf_new(128, 0);
		buf_set(ms->sticky, buf_str(r->text));
	}
	return d;
}

/*
 * milters_other - the answer to a command without a stage of its own
 * (AUTH, STARTTLS, VRFY, ...): what a failed milter or a refused
 * connection left, else continue.
 */
int
milters_other(struct milters *ms, struct milter_reply *r)
{
	return milters_start(ms, r);
}

/* milters_helo - HELO or EHLO's name */
int
milters_helo(struct milters *ms, const char *helo, struct milter_reply *r)
{
	buf_reset(ms->arg);
	milter_putstr(ms->arg, helo);
	return milters_stage(ms, MILTER_M_HELO, MC_HELO, MP_NOHELO,
	    MP_NR_HELO, r);
}

/* milters_addr_args - "<addr>" and the ESMTP parameters into ms->arg */
static void
milters_addr_args(struct milters *ms, const char *addr, char **args)
{
	buf_reset(ms->arg);
	buf_putc(ms->arg, '<');
	buf_puts(ms->arg, addr);
	buf_putc(ms->arg, '>');
	buf_putc(ms->arg, '\0');
	while (args != NULL && *args != NULL)
		milter_putstr(ms->arg, *args++);
}

/* milters_mail - MAIL FROM: the sender (no brackets), its parameters */
int
milters_mail(struct milters *ms, const char *sender, char **args,
    struct milter_reply *r)
{
	milters_abort(ms);
	ms->sender = xstrdup(sender);
	milters_addr_args(ms, sender, args);
	return milters_stage(ms, MILTER_M_MAIL, MC_MAIL, MP_NOMAIL,
	    MP_NR_MAIL, r);
}

/* milters_rcpt - RCPT TO: a recipient (no brackets), its parameters */
int
milters_rcpt(struct milters *ms, const char *rcpt, char **args,
    struct milter_reply *r)
{
	free(ms->rcpt);
	ms->rcpt = xstrdup(rcpt);
	milters_addr_args(ms, rcpt, args);
	return milters_stage(ms, MILTER_M_RCPT, MC_RCPT, MP_NORCPT,
	    MP_NR_RCPT, r);
}

/* milters_data - DATA */
int
milters_data(struct milters *ms, struct milter_reply *r)
{
	buf_reset(ms->arg);
	return milters_stage(ms, MILTER_M_DATA, MC_DATA, MP_NODATA,
	    MP_NR_DATA, r);
}

/*
 * milters_unknown - a command smtpd does not know, whole (no macros, as
 * Postfix's empty milter_unknown_command_macros); the reply is the one to
 * give instead of smtpd's own when it refuses.
 */
int
milters_unknown(struct milters *ms, const char *line, struct milter_reply *r)
{
	buf_reset(ms->arg);
	milter_putstr(ms->arg, line);
	return milters_stage(ms, -1, MC_UNKNOWN, MP_NOUNKNOWN, MP_NR_UNKN, r);
}

/*
 * milters_abort - the transaction is over: ABORT to each milter still
 * in it; every milter takes part in the next one again.
 */
void
milters_abort(struct milters *ms)
{
	struct milter	*m;
	int		 i;

	for (i = 0; i < ms->n; i++) {
		m = &ms->m[i];
		if (m->state == MS_READY && m->in_msg) {
			m->deadline = now_ms() + m->command_timeout *
			    1000;
			if (milter_send(m, MC_ABORT, NULL) < 0) {
				struct milter_reply r;

				milter_reply_init(&r);
				(void)milter_fail(ms, m, &r);
				milter_reply_clear(&r);
			}
		}
		m->in_msg = 0;
		m->msg_done = 0;
	}
	ms->discard = 0;
	free(ms->sender);
	free(ms->rcpt);
	ms->sender = ms->rcpt = NULL;
}

/* milters_free - QUIT to every milter, and everything freed */
void
milters_free(struct milters **msp)
{
	struct milters	*ms = *msp;
	struct milter	*m;
	int		 i, j;

	if (ms == NULL)
		return;
	for (i = 0; i < ms->n; i++) {
		m = &ms->m[i];
		if (m->state == MS_READY) {
			m->deadline = now_ms() + m->command_timeout *
			    1000;
			(void)milter_send(m, MC_QUIT, NULL);
		}
		milter_close(m);
		free(m->spec);
		free(m->host);
		free(m->port);
		for (j = 0; j < MILTER_M_COUNT; j++)
			free(m->macros[j]);
		buf_free(&m->why);
	}
	free(ms->m);
	free(ms->sender);
	free(ms->rcpt);
	buf_free(&ms->pkt);
	buf_free(&ms->in);
	buf_free(&ms->arg);
	buf_free(&ms->sticky);
	free(ms);
	*msp = NULL;
}
