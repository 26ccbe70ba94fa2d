/*
 * smtpd_cmd - the SMTP commands other than DATA, STARTTLS and AUTH: HELO
 * EHLO MAIL RCPT RSET NOOP QUIT HELP VRFY, the ones we know but do not
 * offer (502), and the rest (500).
 *
 * A command line has already been bounded and stripped of its CRLF or
 * bare LF by the reader.  What is left is still the client's: control
 * characters are refused outright (a CR inside a line could otherwise end
 * up in a header or a log), and addresses go through addr_parse_path().
 * Sequence errors get 503 5.5.1, syntax errors 501, unknown ESMTP
 * parameters 555 5.5.4.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "smtpd.h"

struct smtpd_cmd_tab {
	const char	*name;
	int		 counter;
	void		(*fn)(struct smtpd_state *, char *);
};

/*
 * smtpd_cmd_helo - HELO and EHLO (s->where says which): who the client
 * says it is
 */
static void
smtpd_cmd_helo(struct smtpd_state *s, char *args)
{
	int esmtp = strcmp(s->where, "EHLO") == 0;

	if (*args == '\0') {
		smtpd_reply(s, "501 5.5.4 Syntax: %s hostname", s->where);
		return;
	}
	smtpd_reset(s);
	if (smtpd_milter_helo(s, args) < 0)
		return;
	free(s->helo);
	s->helo = xstrdup(args);
	s->esmtp = esmtp;
	if (!esmtp) {
		smtpd_reply(s, "250 %s", smtpd_hostname());
		return;
	}
	lineio_printf(s->io, "250-%s\r\n", smtpd_hostname());
	lineio_puts(s->io, "250-PIPELINING\r\n");
	if (var_message_size_limit > 0)
		lineio_printf(s->io, "250-SIZE %lld\r\n",
		    var_message_size_limit);
	else
		lineio_puts(s->io, "250-SIZE\r\n");
	if (smtpd_tls_offered(s))
		lineio_puts(s->io, "250-STARTTLS\r\n");
	smtpd_auth_ehlo(s);
	lineio_puts(s->io, "250-8BITMIME\r\n");
	lineio_puts(s->io, "250-DSN\r\n");
	lineio_puts(s->io, "250-CHUNKING\r\n");
	lineio_puts(s->io, "250-ENHANCEDSTATUSCODES\r\n");
	smtpd_reply(s, "250 SMTPUTF8");
}

/* smtpd_is_ascii - no byte over 127 */
static int
smtpd_is_ascii(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p > 127)
			return 0;
	return 1;
}

/*
 * smtpd_cmd_params - the ESMTP parameters of MAIL or RCPT, each NAME
 * (with its VALUE, or NULL without "=") given to fn: 1 when fn took it, 0
 * when it knows no such parameter (refused here), -1 after its reply.  0,
 * or -1 after a reply.
 */
static int
smtpd_cmd_params(struct smtpd_state *s, const char *params,
    int (*fn)(struct smtpd_state *, const char *, const char *, void *),
    void *ctx)
{
	char *copy = xstrdup(params), *cp = copy, *tok, *val;
	int r = 1;

	while (r > 0 && (tok = mystrtok(&cp, " \t")) != NULL) {
		if ((val = strchr(tok, '=')) != NULL)
			*val++ = '\0';
		if ((r = fn(s, tok, val, ctx)) == 0)
			smtpd_reply(s, "555 5.5.4 Unsupported option: %s",
			    printable(tok, s->tmp));
	}
	free(copy);
	return r > 0 ? 0 : -1;
}

/*
 * smtpd_mail_param - one ESMTP parameter after MAIL FROM:<...>
 * (smtpd_cmd_params)
 */
static int
smtpd_mail_param(struct smtpd_state *s, const char *tok, const char *val,
    void *ctx)
{
	char *end;
	long long size;

	(void)ctx;
	if (strcasecmp(tok, "SIZE") == 0 && val != NULL) {
		size = strtoll(val, &end, 10);
		if (!isdigit((unsigned char)*val) || *end != '\0' || size < 0) {
			smtpd_reply(s, "501 5.5.4 Bad SIZE parameter syntax");
			return -1;
		}
		s->declared_size = size;
	} else if (strcasecmp(tok, "BODY") == 0 && val != NULL) {
		if (strcasecmp(val, "8BITMIME") == 0)
			s->body8bit = 1;
		else if (strcasecmp(val, "7BIT") == 0)
			s->body8bit = 0;
		else {
			smtpd_reply(s, "501 5.5.4 Bad BODY parameter value "
			    "(7BIT or 8BITMIME)");
			return -1;
		}
	} else if (strcasecmp(tok, "SMTPUTF8") == 0 && val == NULL) {
		s->smtputf8 = 1;
	} else if (strcasecmp(tok, "RET") == 0 && val != NULL) {
		if (s->ret != SMTPD_RET_NONE ||
		    (s->ret = smtpd_dsn_ret(val)) < 0) {
			s->ret = SMTPD_RET_NONE;
			smtpd_reply(s, "501 5.5.4 Bad RET parameter "
			    "(FULL or HDRS, once)");
			return -1;
		}
	} else if (strcasecmp(tok, "ENVID") == 0 && val != NULL) {
		if (s->envid != NULL || smtpd_dsn_envid(val, s->tmp) < 0) {
			smtpd_reply(s, "501 5.5.4 Bad ENVID parameter syntax");
			return -1;
		}
		s->envid = xstrdup(buf_str(s->tmp));
	} else if (strcasecmp(tok, "AUTH") == 0 && val != NULL &&
	    var_smtpd_sasl_auth_enable) {
		/*
		 * RFC 4954 5: who submitted the message first.  We trust no
		 * client's word for it: accepted, ignored.
		 */
	} else
		return 0;
	return 1;
}

/*
 * smtpd_cmd_path - the path of MAIL or RCPT (cmd) after its prefix
 * ("FROM:", "TO:") into addr, then each parameter that follows it given
 * to fn with ctx (smtpd_cmd_params); the parameters' text into
 * *paramsp.  -1 after a reply: the command's
 * syntax, what is wrong with the address (in why) or a parameter, or a
 * UTF-8 address in a transaction whose MAIL did not say SMTPUTF8 (RFC
 * 6531 3.4).
 */
static int
smtpd_cmd_path(struct smtpd_state *s, const char *args, const char *prefix,
    const char *cmd, struct buf *addr,
    int (*fn)(struct smtpd_state *, const char *, const char *, void *),
    void *ctx, const char **paramsp, struct buf *why)
{
	const char *params;
	size_t n = strlen(prefix);

	if (strncasecmp(args, prefix, n) != 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: %s %s<address>", cmd, prefix);
		return -1;
	}
	if (addr_parse_path(args + n, addr, &params, why) < 0) {
		smtpd_reply(s, "%s", buf_str(why));
		return -1;
	}
	*paramsp = params;
	if (smtpd_cmd_params(s, params, fn, ctx) < 0)
		return -1;
	if (!s->smtputf8 && !smtpd_is_ascii(buf_str(addr))) {
		smtpd_reply(s, "553 5.6.7 Must declare SMTPUTF8 to send "
		    "unicode address");
		return -1;
	}
	return 0;
}

/*
 * smtpd_cmd_mail - MAIL FROM:<sender> [SIZE=n] [BODY=...] [SMTPUTF8]
 * [RET=FULL|HDRS] [ENVID=xtext]
 */
static void
smtpd_cmd_mail(struct smtpd_state *s, char *args)
{
	struct buf *addr, *why;
	const char *params;

	if (s->helo == NULL) {
		smtpd_reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->sender != NULL) {
		smtpd_reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (smtpd_tls_required(s)) {
		smtpd_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		return;
	}
	addr = buf_new(64, ADDR_MAX);
	why = buf_new(64, 1024);
	smtpd_reset(s);		/* no transaction: leftovers of a failed MAIL */
	if (smtpd_cmd_path(s, args, "FROM:", "MAIL", addr, smtpd_mail_param,
	    NULL, &params, why) < 0)
		goto out;
	if (var_message_size_limit > 0 &&
	    s->declared_size > var_message_size_limit) {
		smtpd_reply(s, "552 5.3.4 Message size exceeds fixed limit");
		goto out;
	}
	if (!var_allow_at_in_local_part && addr_local_has_at(buf_str(addr))) {
		msg_info("NOQUEUE: reject: MAIL from %s: local part holds an "
		    "'@'; from=<%s>", s->namaddr, printable(buf_str(addr),
		    s->tmp));
		smtpd_reply(s, "553 5.1.7 <%s>: Sender address rejected: "
		    "an '@' in the local part is not allowed", buf_str(s->tmp));
		goto out;
	}
	buf_reset(why);
	if (smtpd_check_mail(s, buf_str(addr), why) < 0) {
		msg_info("NOQUEUE: reject: MAIL from %s: %s; from=<%s> "
		    "proto=%s helo=<%s>", s->namaddr, buf_str(why),
		    printable(buf_str(addr), s->tmp),
		    s->esmtp ? "ESMTP" : "SMTP", s->helo);
		smtpd_reply(s, "%s", buf_str(why));
		goto out;
	}
	if (smtpd_check_rate(s, "message", var_smtpd_sasl_message_rate_limit,
	    why) < 0) {
		smtpd_reply(s, "%s", buf_str(why));
		goto out;
	}
	if (smtpd_check_space(s->declared_size) < 0) {
		msg_warn("not enough free space in %s for a message from %s",
		    var_queue_directory, s->namaddr);
		smtpd_reply(s, "452 4.3.1 Insufficient system storage");
		goto out;
	}
	s->sender = xstrdup(buf_str(addr));
	if (smtpd_milter_mail(s, params) < 0) {
		free(s->sender);
		s->sender = NULL;
		goto out;
	}
	smtpd_reply(s, "250 2.1.0 Ok");
out:
	if (s->sender == NULL)
		smtpd_reset(s);		/* no half transaction left */
	buf_free(&addr);
	buf_free(&why);
}

/*
 * smtpd_rcpt_param - one ESMTP parameter after RCPT TO:<...>
 * (smtpd_cmd_params): the DSN's NOTIFY (canonical, into dsn[0]) and
 * ORCPT (decoded, into dsn[1])
 */
static int
smtpd_rcpt_param(struct smtpd_state *s, const char *tok, const char *val,
    void *ctx)
{
	struct buf **dsn = ctx;

	if (strcasecmp(tok, "NOTIFY") == 0 && val != NULL) {
		if (buf_len(dsn[0]) > 0 || smtpd_dsn_notify(val, dsn[0]) < 0) {
			smtpd_reply(s, "501 5.5.4 Bad NOTIFY parameter syntax");
			return -1;
		}
	} else if (strcasecmp(tok, "ORCPT") == 0 && val != NULL) {
		if (buf_len(dsn[1]) > 0 || smtpd_dsn_orcpt(val, dsn[1]) < 0) {
			smtpd_reply(s, "501 5.5.4 Bad ORCPT parameter syntax");
			return -1;
		}
	} else
		return 0;
	return 1;
}

/* smtpd_cmd_rcpt - RCPT TO:<recipient>: check it, remember it */
static void
smtpd_cmd_rcpt(struct smtpd_state *s, char *args)
{
	struct buf *addr, *why, *log2, *notify = NULL, *orcpt = NULL;
	struct buf *dsn[2];
	const char *params;

	if (s->sender == NULL) {
		smtpd_reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	addr = buf_new(64, ADDR_MAX);
	why = buf_new(64, 1024);
	dsn[0] = notify = buf_new(32, 0);
	dsn[1] = orcpt = buf_new(64, 0);
	if (smtpd_cmd_path(s, args, "TO:", "RCPT", addr, smtpd_rcpt_param, dsn,
	    &params, why) < 0)
		goto out;
	if (buf_len(addr) == 0) {
		smtpd_reply(s, "501 5.1.3 Bad recipient address syntax");
		goto out;
	}
	if (s->nrcpt >= var_smtpd_recipient_limit) {
		smtpd_reply(s, "452 4.5.3 Error: too many recipients");
		goto out;
	}
	buf_reset(why);
	if (smtpd_check_rcpt(s, buf_str(addr), why) != 0) {
		log2 = buf_new(64, 0);
		printable(s->sender, log2);
		msg_info("NOQUEUE: reject: RCPT from %s: %s; from=<%s> "
		    "to=<%s> proto=%s helo=<%s>", s->namaddr, buf_str(why),
		    buf_str(log2), printable(buf_str(addr), s->tmp),
		    s->esmtp ? "ESMTP" : "SMTP", s->helo);
		buf_free(&log2);
		smtpd_reply(s, "%s", buf_str(why));
		s->rcpt_rejected++;
		goto out;
	}
	buf_reset(why);
	if (smtpd_check_rate(s, "recipient",
	    var_smtpd_sasl_recipient_rate_limit, why) < 0) {
		smtpd_reply(s, "%s", buf_str(why));
		goto out;
	}
	if (smtpd_milter_rcpt(s, buf_str(addr), params) < 0)
		goto out;
	/* The same recipient twice gets one copy. */
	(void)smtpd_rcpt_add(s, buf_str(addr), buf_len(notify) ?
	    buf_str(notify) : NULL, buf_len(orcpt) ? buf_str(orcpt) : NULL);
	smtpd_reply(s, "250 2.1.5 Ok");
out:
	buf_free(&addr);
	buf_free(&why);
	buf_free(&notify);
	buf_free(&orcpt);
}

/* smtpd_cmd_bare - 1 when verb came without arguments; else 501 */
static int
smtpd_cmd_bare(struct smtpd_state *s, const char *args, const char *verb)
{
	if (*args == '\0')
		return 1;
	smtpd_reply(s, "501 5.5.4 Syntax: %s", verb);
	return 0;
}

/* smtpd_cmd_data - DATA: see smtpd_data.c */
static void
smtpd_cmd_data(struct smtpd_state *s, char *args)
{
	if (smtpd_cmd_bare(s, args, "DATA"))
		smtpd_data(s);
}

/* smtpd_cmd_rset - RSET: drop the transaction */
static void
smtpd_cmd_rset(struct smtpd_state *s, char *args)
{
	if (smtpd_cmd_bare(s, args, "RSET")) {
		smtpd_reset(s);
		smtpd_reply(s, "250 2.0.0 Ok");
	}
}

/* smtpd_cmd_noop - NOOP (arguments allowed and ignored, RFC 5321 4.1.1.9) */
static void
smtpd_cmd_noop(struct smtpd_state *s, char *args)
{
	smtpd_reply(s, "250 2.0.0 Ok");
}

/* smtpd_cmd_quit - QUIT */
static void
smtpd_cmd_quit(struct smtpd_state *s, char *args)
{
	smtpd_reply(s, "221 2.0.0 Bye");
	s->quit = 1;
}

/*
 * smtpd_cmd_vrfy - VRFY never says whether a user exists (that would hand
 * out the list of accounts); RFC 5321 3.5.3 allows 252 for that.
 */
static void
smtpd_cmd_vrfy(struct smtpd_state *s, char *args)
{
	if (*args == '\0') {
		smtpd_reply(s, "501 5.5.4 Syntax: VRFY address");
		return;
	}
	smtpd_reply(s, "252 2.0.0 Cannot VRFY user, but will accept message "
	    "and attempt delivery");
}

/* smtpd_cmd_help - HELP */
static void
smtpd_cmd_help(struct smtpd_state *s, char *args)
{
	smtpd_reply(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT "
	    "RSET NOOP QUIT HELP VRFY STARTTLS AUTH");
}

/* smtpd_cmd_unimpl - commands we know of but do not offer */
static void
smtpd_cmd_unimpl(struct smtpd_state *s, char *args)
{
	if (smtpd_milter_unknown(s, s->where, args) < 0)
		return;
	smtpd_reply(s, "502 5.5.1 Error: command not offered by this server");
}

/* smtpd_cmd_nonsmtp - a web client talking to the mail port: hang up */
static void
smtpd_cmd_nonsmtp(struct smtpd_state *s, char *args)
{
	msg_warn("non-SMTP command from %s: %s", s->namaddr,
	    printable(buf_str(s->line), s->tmp));
	smtpd_reply(s, "554 5.7.0 Error: non-SMTP command, closing");
	s->quit = 1;
}

static const struct smtpd_cmd_tab smtpd_cmd_tab[] = {
	{ "HELO", SMTPD_C_HELO, smtpd_cmd_helo },
	{ "EHLO", SMTPD_C_EHLO, smtpd_cmd_helo },
	{ "MAIL", SMTPD_C_MAIL, smtpd_cmd_mail },
	{ "RCPT", SMTPD_C_RCPT, smtpd_cmd_rcpt },
	{ "DATA", SMTPD_C_DATA, smtpd_cmd_data },
	{ "RSET", SMTPD_C_RSET, smtpd_cmd_rset },
	{ "NOOP", SMTPD_C_NOOP, smtpd_cmd_noop },
	{ "QUIT", SMTPD_C_QUIT, smtpd_cmd_quit },
	{ "VRFY", SMTPD_C_VRFY, smtpd_cmd_vrfy },
	{ "HELP", SMTPD_C_HELP, smtpd_cmd_help },
	{ "STARTTLS", SMTPD_C_STARTTLS, smtpd_tls_starttls },
	{ "AUTH", SMTPD_C_AUTH, smtpd_auth_cmd },
	{ "EXPN", SMTPD_C_UNKNOWN, smtpd_cmd_unimpl },
	{ "ETRN", SMTPD_C_UNKNOWN, smtpd_cmd_unimpl },
	{ "TURN", SMTPD_C_UNKNOWN, smtpd_cmd_unimpl },
	{ "ATRN", SMTPD_C_UNKNOWN, smtpd_cmd_unimpl },
	{ "BDAT", SMTPD_C_BDAT, smtpd_bdat },
	{ "SEND", SMTPD_C_UNKNOWN, smtpd_cmd_unimpl },
	{ "SOML", SMTPD_C_UNKNOWN, smtpd_cmd_unimpl },
	{ "SAML", SMTPD_C_UNKNOWN, smtpd_cmd_unimpl },
	{ "GET", SMTPD_C_UNKNOWN, smtpd_cmd_nonsmtp },
	{ "POST", SMTPD_C_UNKNOWN, smtpd_cmd_nonsmtp },
	{ "PUT", SMTPD_C_UNKNOWN, smtpd_cmd_nonsmtp },
	{ "HEAD", SMTPD_C_UNKNOWN, smtpd_cmd_nonsmtp },
	{ "CONNECT", SMTPD_C_UNKNOWN, smtpd_cmd_nonsmtp },
	{ NULL, 0, NULL }
};

/*
 * smtpd_cmd_debug - the command line in the verbose log; of AUTH only
 * the mechanism, since its initial response may hold a password
 */
static void
smtpd_cmd_debug(struct smtpd_state *s)
{
	struct buf *b = buf_new(64, 0);
	const char *line = buf_str(s->line);
	size_t n;

	buf_set(b, line);
	if (strcaseprefix(line, "AUTH ")) {
		n = 5 + strspn(line + 5, " \t");
		n += strcspn(line + n, " \t");
		if (n < buf_len(b)) {
			buf_truncate(b, n);
			buf_puts(b, " ...");
		}
	}
	msg_debug("< %s: %s", s->namaddr, printable(buf_str(b), s->tmp));
	buf_free(&b);
}

/* smtpd_cmd - serve the command line in s->line */
int
smtpd_cmd(struct smtpd_state *s)
{
	const struct smtpd_cmd_tab *t;
	char *line, *verb, *args, *end;
	size_t i, len = buf_len(s->line);
	int counter;

	if (msg_verbose)
		smtpd_cmd_debug(s);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s->line->data[i];

		if ((c < 32 && c != '\t') || c == 127) {
			s->count[SMTPD_C_UNKNOWN]++;
			s->where = "UNKNOWN";
			smtpd_reply(s, "500 5.5.2 Error: bad character in "
			    "command");
			return 0;
		}
	}
	line = s->line->data;
	line += strspn(line, " \t");
	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (*line == '\0') {
		s->count[SMTPD_C_UNKNOWN]++;
		smtpd_reply(s, "500 5.5.2 Error: bad syntax");
		return 0;
	}
	verb = line;
	args = line + strcspn(line, " \t");
	if (*args != '\0') {
		*args++ = '\0';
		args += strspn(args, " \t");
	}
	for (t = smtpd_cmd_tab; t->name != NULL; t++)
		if (strcasecmp(verb, t->name) == 0)
			break;
	if (t->name == NULL) {
		s->count[SMTPD_C_UNKNOWN]++;
		s->where = "UNKNOWN";
		/* A browser's header lines after its GET. */
		if (verb[strlen(verb) - 1] == ':' && s->count[SMTPD_C_HELO] +
		    s->count[SMTPD_C_EHLO] == 0) {
			smtpd_cmd_nonsmtp(s, args);
			return 0;
		}
		if (smtpd_milter_unknown(s, verb, args) < 0)
			return 0;
		smtpd_reply(s, "500 5.5.2 Error: command not recognized");
		return 0;
	}
	counter = t->counter;
	s->where = t->name;
	s->count[counter]++;
	s->last_code = 0;
	if ((counter == SMTPD_C_STARTTLS || counter == SMTPD_C_AUTH ||
	    counter == SMTPD_C_VRFY) && smtpd_milter_other(s) < 0)
		return 0;
	t->fn(s, args);
	if (s->last_code > 0 && s->last_code < 400)
		s->good[counter]++;
	return 0;
}
