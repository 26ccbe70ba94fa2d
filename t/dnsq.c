/*
 * dnsq - the test program that t/dns.t drives lib/dns.c with (not
 * installed, not a diagnostic of cartero): looks names up and prints the
 * answers, one line each, for the test to compare.
 *
 *	dnsq [-acfk] [-r N] [-w ms] [-o name=value]... TYPE NAME...
 *
 * TYPE is A, AAAA, MX, TXT, PTR, or ROUTE (dns_mx_hosts).  Parameters
 * come from the defaults and -o (dns_servers=127.0.0.1:5353, ...).  -a:
 * every name at once under lib/event.c (dns_lookup, dns_mx_hosts); else
 * one after the other, blocking (dns_lookup_wait, dns_mx_hosts_wait),
 * each within -w ms (default 30000).  -r N: the whole set N times in the
 * same process (the second time from the cache); -f: flush the cache
 * (dns_reset) between rounds; -k: dns_reset while the asynchronous
 * lookups are in flight; -c: cancel the first name's asynchronous lookup
 * at once (it must never answer).
 *
 * Output: "NAME status=S ttl=T" then one line per record ("  MX 10 mx1",
 * "  A 127.0.0.1", "  TXT text", "  PTR name"); for ROUTE "NAME status=S
 * implicit=I" then "  host PREF NAME status=S ADDR..." per host.  Lines
 * come in the order the answers do.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "dns.h"
#include "event.h"
#include "msg.h"
#include "params.h"
#include "util.h"

static int dnsq_left, dnsq_kill, dnsq_cancel;

/* dnsq_type - a type's number from its name (ROUTE: 0) */
static int
dnsq_type(const char *s)
{
	static const int types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_MX,
	    DNS_T_TXT, DNS_T_PTR };
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(s, dns_type_str(types[i])) == 0)
			return types[i];
	if (strcasecmp(s, "ROUTE") == 0)
		return 0;
	msg_fatal("unknown type %s", s);
}

/* dnsq_addr - a record's address, printable */
static const char *
dnsq_addr(const struct dns_rr *rr, char *text, size_t len)
{
	if (inet_ntop(rr->family, rr->addr, text, len) == NULL)
		return "?";
	return text;
}

/* dnsq_done - an answer printed: why it failed, if it did; one less left */
static void
dnsq_done(int status, const char *why)
{
	if (status != DNS_OK)
		printf("  why %s\n", why ? why : "(none)");
	fflush(stdout);
	dnsq_left--;
}

/* dnsq_print - one lookup's answer */
static void
dnsq_print(struct dns_result *r, void *ctx)
{
	char text[INET6_ADDRSTRLEN];
	size_t i;

	printf("%s status=%s ttl=%u\n", (char *)ctx, dns_status_str(r->status),
	    r->ttl);
	for (i = 0; i < r->nrr; i++) {
		switch (r->type) {
		case DNS_T_MX:
			printf("  MX %u %s\n", r->rr[i].pref, r->rr[i].name);
			break;
		case DNS_T_TXT:
			printf("  TXT %s\n", r->rr[i].text);
			break;
		case DNS_T_PTR:
			printf("  PTR %s\n", r->rr[i].name);
			break;
		default:
			printf("  %s %s\n", dns_type_str(r->type),
			    dnsq_addr(&r->rr[i], text, sizeof(text)));
		}
	}
	dnsq_done(r->status, r->why);
	dns_result_free(&r);
}

/* dnsq_print_mx - one routing answer */
static void
dnsq_print_mx(struct dns_mx *mx, void *ctx)
{
	char text[INET6_ADDRSTRLEN];
	size_t i, j;

	printf("%s status=%s implicit=%d\n", (char *)ctx,
	    dns_status_str(mx->status), mx->implicit);
	for (i = 0; i < mx->nhost; i++) {
		printf("  host %u %s status=%s", mx->host[i].pref,
		    mx->host[i].name, dns_status_str(mx->host[i].status));
		for (j = 0; j < mx->host[i].naddr; j++)
			printf(" %s", dnsq_addr(&mx->host[i].addr[j], text,
			    sizeof(text)));
		printf("\n");
	}
	dnsq_done(mx->status, mx->why);
	dns_mx_free(&mx);
}

/* dnsq_round - every name once */
static void
dnsq_round(int type, int async, long ms, char **names, int n)
{
	struct dns_mx_query *mq = NULL;
	struct dns_query *q = NULL;
	struct dns_result *r;
	struct dns_mx *mx;
	int i;

	dnsq_left = n;
	for (i = 0; i < n; i++) {
		if (async && type == 0)
			mq = dns_mx_hosts(names[i], dnsq_print_mx, names[i]);
		else if (async)
			q = dns_lookup(type, names[i], dnsq_print, names[i]);
		if (async && i == 0 && dnsq_cancel) {
			dns_cancel(&q);
			dns_mx_cancel(&mq);
			dnsq_left--;
		}
		if (async)
			continue;
		if (type == 0) {
			(void)dns_mx_hosts_wait(names[i], ms, &mx);
			dnsq_print_mx(mx, names[i]);
		} else {
			(void)dns_lookup_wait(type, names[i], ms, &r);
			dnsq_print(r, names[i]);
		}
	}
	if (async && dnsq_kill)
		dns_reset();
	while (dnsq_left > 0)
		event_loop(-1);
}

int
main(int argc, char **argv)
{
	struct buf *why = buf_new(256, 0);
	char **over = xcalloc((size_t)argc + 1, sizeof(*over));
	int c, async = 0, rounds = 1, flush = 0, nover = 0, type, i;
	long ms = 30000;

	msg_init("dnsq", MSG_STDERR);
	while ((c = getopt(argc, argv, "acfko:r:w:")) != -1) {
		switch (c) {
		case 'a':
			async = 1;
			break;
		case 'c':
			dnsq_cancel = 1;
			break;
		case 'f':
			flush = 1;
			break;
		case 'k':
			dnsq_kill = 1;
			break;
		case 'o':
			over[nover++] = optarg;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'w':
			ms = atol(optarg);
			break;
		default:
			msg_fatal("usage: dnsq [-acfk] [-r N] [-w ms] "
			    "[-o name=value] TYPE NAME...");
		}
	}
	if (argc - optind < 2)
		msg_fatal("usage: dnsq [-acfk] [-r N] [-w ms] [-o name=value] "
		    "TYPE NAME...");
	if (conf_load("/nonexistent", over, why) < 0)
		msg_fatal("%s", buf_str(why));
	type = dnsq_type(argv[optind]);
	for (i = 0; i < rounds; i++) {
		if (i > 0 && flush)
			dns_reset();
		dnsq_round(type, async, ms, argv + optind + 1,
		    argc - optind - 1);
	}
	free(over);
	buf_free(&why);
	return 0;
}
