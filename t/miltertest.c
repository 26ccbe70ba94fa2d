/*
 * miltertest - the test program that t/milter.t and the root_milter_*.t
 * tests drive lib/milter*.c with (not installed): one SMTP-like session
 * through the milters of a list, with a message from a file, printing
 * each stage's decision and, at the end, the edits and the edited
 * message.
 *
 *	miltertest [-o name=value]... [-D name=value]... [-a addr] [-n name]
 *	    [-h helo] [-f sender] [-r rcpt]... [-u line] [-A] [-m count]
 *	    LIST FILE
 *
 * LIST is smtpd_milters' syntax; FILE the message (CRLF or LF; "-" is
 * standard input).  -o sets a parameter (milter_default_action=accept);
 * -D a macro value the caller knows ({auth_authen}=ana); -a the client's
 * address (default 127.0.0.1; "none": not an IP client), -n its name;
 * -u: an unknown command after HELO; -A: abort the transaction after
 * the recipients (no message), then run it again; -m: send the message count times in the same session.
 *
 * Output, one line each: "connect DECISION [text]", "helo ...", "unknown ...",
 * "mail ...", "rcpt ADDR ...", "data ...", "message ...", then for each
 * edit "edit TYPE index name: value", "quarantine REASON", "body N bytes",
 * and the edited message between "--- message" and "--- end" when a
 * milter changed it.  A refused stage ends the transaction as smtpd
 * would (a refused recipient only itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "milter.h"
#include "msg.h"
#include "params.h"
#include "util.h"

static char	**mt_macro;
static int	  mt_nmacro;

/* mt_macro_value - a -D value */
static const char *
mt_macro_value(const char *name, void *ctx)
{
	size_t		 len = strlen(name);
	int		 i;

	for (i = 0; i < mt_nmacro; i++)
		if (strncmp(mt_macro[i], name, len) == 0 &&
		    mt_macro[i][len] == '=')
			return mt_macro[i] + len + 1;
	return NULL;
}

/* mt_print - one stage's answer: 1 when it lets the stage go on */
static int
mt_print(const char *stage, const char *what, int d,
    const struct milter_reply *r)
{
	printf("%s%s%s %s", stage, what ? " " : "", what ? what : "",
	    milter_decision_str(d));
	if (d == MILTER_REJECT || d == MILTER_TEMPFAIL)
		printf(" %s", buf_str(r->text));
	if (r->close)
		printf(" close");
	printf("\n");
	fflush(stdout);
	return d == MILTER_CONTINUE || d == MILTER_DISCARD;
}

/* mt_result - the end of the message */
static void
mt_result(const struct milter_result *res)
{
	static const char *types[] = { "?", "addheader", "insheader",
	    "chgheader", "chgfrom", "addrcpt", "delrcpt" };
	size_t		 i;

	mt_print("message", NULL, res->reply.decision, &res->reply);
	for (i = 0; i < res->nedit; i++)
		printf("edit %s %ld %s: %s\n", types[res->edit[i].type],
		    res->edit[i].index, res->edit[i].name,
		    res->edit[i].value);
	if (res->quarantine)
		printf("quarantine %s\n", buf_str(res->quarantine));
	if (res->body)
		printf("body %zu bytes\n", buf_len(res->body));
	if (res->message) {
		printf("--- message\n");
		fwrite(buf_str(res->message), 1, buf_len(res->message),
		    stdout);
		printf("--- end\n");
	}
	fflush(stdout);
}

/* mt_transaction - MAIL, RCPTs, DATA, the message (or abort) */
static void
mt_transaction(struct milters *ms, const char *from, char **rcpt, int nrcpt,
    int abort, const struct buf *text)
{
	struct milter_reply r;
	struct milter_result res;
	int		 i, ok = 0;

	milter_reply_init(&r);
	if (!mt_print("mail", from, milters_mail(ms, from, NULL, &r), &r)) {
		milters_abort(ms);
		goto out;
	}
	for (i = 0; i < nrcpt; i++)
		ok += mt_print("rcpt", rcpt[i], milters_rcpt(ms, rcpt[i], NULL,
		    &r), &r);
	if (ok == 0 || abort) {
		printf("abort\n");
		milters_abort(ms);
		goto out;
	}
	if (!mt_print("data", NULL, milters_data(ms, &r), &r)) {
		milters_abort(ms);
		goto out;
	}
	milter_result_init(&res);
	(void)milters_message(ms, buf_str(text), buf_len(text), &res);
	mt_result(&res);
	milter_result_clear(&res);
out:
	milter_reply_clear(&r);
}

int
main(int argc, char **argv)
{
	struct buf	*why = buf_new(256, 0), *text;
	char		**over = xcalloc((size_t)argc + 1, sizeof(*over));
	char		**rcpt = xcalloc((size_t)argc + 1, sizeof(*rcpt));
	const char	*addr = "127.0.0.1", *name = "localhost";
	const char	*helo = "client.example", *from = "ana@mired.org";
	const char	*unknown = NULL;
	struct milter_reply r;
	struct milters	*ms;
	int		 c, nover = 0, nrcpt = 0, abort = 0, count = 1, i;

	msg_init("miltertest", MSG_STDERR);
	mt_macro = xcalloc((size_t)argc + 1, sizeof(*mt_macro));
	while ((c = getopt(argc, argv, "a:AD:f:h:m:n:o:r:u:")) != -1) {
		switch (c) {
		case 'a':
			addr = strcmp(optarg, "none") == 0 ? NULL : optarg;
			break;
		case 'A':
			abort = 1;
			break;
		case 'D':
			mt_macro[mt_nmacro++] = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 'h':
			helo = optarg;
			break;
		case 'm':
			count = atoi(optarg);
			break;
		case 'n':
			name = optarg;
			break;
		case 'o':
			over[nover++] = optarg;
			break;
		case 'r':
			rcpt[nrcpt++] = optarg;
			break;
		case 'u':
			unknown = optarg;
			break;
		default:
			msg_fatal("usage: miltertest [-A] [-o name=value] "
			    "[-D macro=value] [-a addr] [-n name] [-h helo] "
			    "[-f from] [-r rcpt] [-m count] LIST FILE");
		}
	}
	if (argc - optind != 2)
		msg_fatal("usage: miltertest [options] LIST FILE");
	if (nrcpt == 0)
		rcpt[nrcpt++] = "bob@mired.org";
	if (conf_load("/nonexistent", over, why) < 0)
		msg_fatal("%s", buf_str(why));
	if ((text = file_slurp(strcmp(argv[optind + 1], "-") == 0 ?
	    "/dev/stdin" : argv[optind + 1], 64 << 20, why)) == NULL)
		msg_fatal("%s", buf_str(why));
	if ((ms = milters_new(argv[optind], mt_macro_value, NULL, why)) ==
	    NULL) {
		printf("config %s\n", buf_str(why));
		return 2;
	}
	milter_reply_init(&r);
	/* A refused connection: smtpd still reads, and refuses, HELO. */
	(void)mt_print("connect", NULL, milters_connect(ms, name, addr, 25,
	    &r), &r);
	if (mt_print("helo", helo, milters_helo(ms, helo, &r), &r)) {
		if (unknown)
			(void)mt_print("unknown", unknown, milters_unknown(ms,
			    unknown, &r), &r);
		if (abort)
			mt_transaction(ms, from, rcpt, nrcpt, 1, text);
		for (i = 0; i < count; i++)
			mt_transaction(ms, from, rcpt, nrcpt, 0, text);
	}
	milter_reply_clear(&r);
	milters_free(&ms);
	printf("quit\n");
	buf_free(&text);
	buf_free(&why);
	free(over);
	free(rcpt);
	free(mt_macro);
	return 0;
}
