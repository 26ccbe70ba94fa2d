/*
 * dkim_dns - the key lookup of verification through lib/dns.c: the TXT
 * record at SELECTOR._domainkey.DOMAIN (RFC 6376 section 3.6.2), blocking
 * for at most dkim_key_lookup_timeout, from the per-process cache when it
 * has the answer.
 */
#include <string.h>

#include "buf.h"
#include "dkim.h"
#include "dns.h"
#include "params.h"

/*
 * dkim_dns_lookup - the key record into txt: with several TXT records,
 * the first that starts with "v=DKIM1" (else the first); no name or no
 * record is DKIM_KEY_NONE, a failure of DNS DKIM_KEY_TEMP
 */
int
dkim_dns_lookup(const char *domain, const char *selector, struct buf *txt,
    struct buf *why, void *arg)
{
	struct dns_result *r = NULL;
	struct buf	*name = buf_new(256, 1024);
	const struct dns_rr *rr = NULL;
	size_t		 i;
	int		 st;

	buf_setf(name, "%s._domainkey.%s", selector, domain);
	st = dns_lookup_wait(DNS_T_TXT, buf_str(name),
	    var_dkim_key_lookup_timeout * 1000, &r);
	if (r != NULL && r->status == DNS_OK)
		for (i = 0; i < r->nrr; i++) {
			if (r->rr[i].type != DNS_T_TXT)
				continue;
			if (rr == NULL || (strncmp(r->rr[i].text, "v=DKIM1", 7)
			    == 0 && strncmp(rr->text, "v=DKIM1", 7) != 0))
				rr = &r->rr[i];
		}
	if (rr != NULL) {
		buf_reset(txt);
		buf_append(txt, rr->text, rr->len);
		st = DKIM_KEY_OK;
	} else {
		st = r != NULL && r->status == DNS_TEMPFAIL ? DKIM_KEY_TEMP :
		    DKIM_KEY_NONE;
		buf_setf(why, "%s: %s", buf_str(name), r == NULL ?
		    "lookup failed" : r->why ? r->why : st == DKIM_KEY_TEMP ?
		    "DNS failure" : "no key record");
	}
	(void)arg;
	dns_result_free(&r);
	buf_free(&name);
	return st;
}
