/*
 * fuzz_dns - libFuzzer target: DNS answers as lib/dns.c reads them (the
 * packet walk for TTLs and the SOA, then c-ares' record parsers), for
 * each record type (TLSA by our own walk) and c-ares status; and the same bytes as a dns_servers
 * list and as a name to ask about.
 */
#include <ares.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dns.h"
#include "msg.h"
#include "params.h"
#include "util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const int types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_MX,
	    DNS_T_TXT, DNS_T_PTR, DNS_T_TLSA };
	static const int status[] = { ARES_SUCCESS, ARES_ENOTFOUND,
	    ARES_ENODATA };
	struct buf *out = buf_new(256, 1024), *why = buf_new(256, 0);
	struct dns_server *srv;
	struct dns_result *r;
	size_t i, j, k, n;
	char *text;

	msg_set_flags(0);
	var_dns_cache_max_ttl = 86400;
	var_dns_cache_negative_max_ttl = 300;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		for (j = 0; j < sizeof(status) / sizeof(status[0]); j++) {
			r = dns_parse_answer(types[i], "mired.org", status[j],
			    data, (int)len);
			if ((r->status == DNS_OK) != (r->nrr > 0) ||
			    r->ttl > 86400 || (r->status != DNS_OK &&
			    r->why == NULL))
				abort();
			for (k = 0; k < r->nrr; k++)
				if ((types[i] == DNS_T_MX ||
				    types[i] == DNS_T_PTR) &&
				    r->rr[k].name == NULL)
					abort();
				else if (types[i] == DNS_T_TLSA &&
				    (r->rr[k].text == NULL ||
				    r->rr[k].len == 0 || r->nrr > DNS_TLSA_MAX))
					abort();
			dns_result_free(&r);
		}
	text = xstrndup((const char *)data, len);
	if (dns_servers_parse(text, &srv, &n, why) == 0) {
		for (k = 0; k < n; k++)
			if (srv[k].port == 0 || srv[k].port > 65535)
				abort();
		free(srv);
	}
	if (dns_name_check(text, out) == 0 && (buf_len(out) > 253 ||
	    dns_name_check(buf_str(out), why) != 0 ||
	    strcmp(buf_str(out), buf_str(why)) != 0))
		abort();		/* a checked name checks again as is */
	free(text);
	buf_free(&out);
	buf_free(&why);
	return 0;
}
