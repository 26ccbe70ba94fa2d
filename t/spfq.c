/*
 * spfq - the test program that t/spf.t drives lib/spf with (not
 * installed): one SPF check per line of standard input, its result on a
 * line of standard output, for the test to compare with another
 * implementation's.
 *
 *	spfq [-h] [-o name=value]...
 *	spfq -m [-o name=value]...
 *
 * Each input line is "IP SENDER HELO" (SENDER "<>": the null sender);
 * each output line "RESULT<tab>EXPLANATION<tab>IDENTITY: WHY" (the
 * explanation of exp=, "-" without one), or "badinput" for a line that
 * is not three words or has a bad address.  -h checks the HELO identity
 * instead of MAIL FROM.  -m checks DMARC instead: each line is
 * "FROM-DOMAIN SPF-RESULT SPF-DOMAIN DKIM-DOMAIN" (DKIM-DOMAIN "-": no
 * passing signature), each output line the resinfo and why.  Parameters
 * come from the defaults and -o (dns_servers=127.0.0.1:5353, ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "dmarc.h"
#include "msg.h"
#include "spf.h"
#include "util.h"

/* spfq_dmarc - one DMARC check of an input line, printed */
static void
spfq_dmarc(const char *line)
{
	static const char *const results[] = { "none", "neutral", "pass",
	    "fail", "softfail", "temperror", "permerror" };
	char from[256], spf[32], spfd[256], dkim[256];
	struct dmarc_request q;
	struct dmarc_answer a;
	struct dmarc_dkim sig;
	struct buf *out;
	size_t i;

	if (sscanf(line, "%255s %31s %255s %255s", from, spf, spfd, dkim)
	    != 4) {
		printf("badinput\n");
		return;
	}
	dmarc_request_init(&q);
	for (i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		if (strcmp(spf, results[i]) == 0)
			q.spf_result = (int)i;
	q.from_domain = from;
	q.spf_domain = spfd;
	sig.domain = dkim;
	sig.pass = 1;
	q.dkim = &sig;
	q.ndkim = strcmp(dkim, "-") != 0;
	dmarc_check(&q, &a);
	out = buf_new(128, 0);
	dmarc_resinfo(out, &a);
	printf("%s\t%s\n", buf_str(out), a.why ? a.why : "");
	buf_free(&out);
	dmarc_answer_free(&a);
}

int
main(int argc, char **argv)
{
	struct buf *why = buf_new(256, 0);
	char **over = xcalloc((size_t)argc + 1, sizeof(*over));
	char line[2048], ip[256], sender[1024], helo[512];
	struct spf_request q;
	struct spf_answer a;
	int c, nover = 0, helo_only = 0, dmarc = 0;

	msg_init("spfq", MSG_STDERR);
	while ((c = getopt(argc, argv, "hmo:")) != -1) {
		switch (c) {
		case 'h':
			helo_only = 1;
			break;
		case 'm':
			dmarc = 1;
			break;
		case 'o':
			over[nover++] = optarg;
			break;
		default:
			msg_fatal("usage: spfq [-hm] [-o name=value]...");
		}
	}
	if (conf_load("/nonexistent", over, why) < 0)
		msg_fatal("%s", buf_str(why));
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (dmarc) {
			spfq_dmarc(line);
			fflush(stdout);
			continue;
		}
		spf_request_init(&q);
		spf_request_conf(&q);
		q.receiver = "mx.spfq.test";
		if (sscanf(line, "%255s %1023s %511s", ip, sender, helo) != 3 ||
		    spf_request_addr(&q, ip) < 0) {
			printf("badinput\n");
			fflush(stdout);
			continue;
		}
		q.sender = strcmp(sender, "<>") == 0 ? "" : sender;
		q.helo = helo;
		if (helo_only)
			spf_check_helo(&q, &a);
		else
			spf_check_mailfrom(&q, &a);
		printf("%s\t%s\t%s: %s\n", spf_result_str(a.result),
		    a.exp ? a.exp : "-", a.identity, a.why);
		fflush(stdout);
		spf_answer_free(&a);
	}
	free(over);
	buf_free(&why);
	return 0;
}
