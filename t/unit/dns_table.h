/*
 * dns_table.h - a resolver from a table of records, for the unit tests
 * of what asks DNS through a function (lib/spf, lib/dmarc): the answers
 * of "name type" pairs as lib/dns.c would give them.  A name that has
 * records of another type is DNS_NODATA, one with none DNS_NOTFOUND; a
 * row whose value is "TEMPFAIL" makes its lookups fail temporarily.
 * Names compare without case.  The queries are counted (dns_table_asked).
 */
#ifndef CARTERO_T_DNS_TABLE_H
#define CARTERO_T_DNS_TABLE_H

#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "util.h"

/* A record: owner name, type, value ("10 mx.a.test" for MX). */
struct dns_table_row {
	const char	*name;
	int		 type;
	const char	*value;
};

static const struct dns_table_row *dns_table_rows;
static int dns_table_asked;

/* dns_table_lookup - an spf_dns_fn (and dmarc's) over dns_table_rows */
static int __attribute__((unused))
dns_table_lookup(int type, const char *name, long ms,
    struct dns_result **res, void *ctx)
{
	const struct dns_table_row *row;
	struct dns_result *r;
	struct dns_rr *rr;
	int seen = 0;

	(void)ms;
	(void)ctx;
	dns_table_asked++;
	r = dns_result_new(type, name, DNS_OK, NULL);
	for (row = dns_table_rows; row->name != NULL; row++) {
		if (strcasecmp(row->name, name) != 0)
			continue;
		seen = 1;
		if (row->type != type)
			continue;
		if (strcmp(row->value, "TEMPFAIL") == 0) {
			r->status = DNS_TEMPFAIL;
			break;
		}
		r->rr = xrealloc(r->rr, (r->nrr + 1) * sizeof(*r->rr));
		rr = &r->rr[r->nrr++];
		memset(rr, 0, sizeof(*rr));
		rr->type = type;
		switch (type) {
		case DNS_T_A:
			rr->family = AF_INET;
			inet_pton(AF_INET, row->value, rr->addr);
			break;
		case DNS_T_AAAA:
			rr->family = AF_INET6;
			inet_pton(AF_INET6, row->value, rr->addr);
			break;
		case DNS_T_MX:
			rr->pref = (unsigned)atoi(row->value);
			rr->name = xstrdup(strchr(row->value, ' ') + 1);
			break;
		case DNS_T_PTR:
			rr->name = xstrdup(row->value);
			break;
		default:
			rr->text = xstrdup(row->value);
			rr->len = strlen(row->value);
		}
	}
	if (r->status == DNS_OK && r->nrr == 0)
		r->status = seen ? DNS_NODATA : DNS_NOTFOUND;
	*res = r;
	return r->status;
}

#endif
