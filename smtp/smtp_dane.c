/*
 * smtp_dane - DANE for an MX host (RFC 7672 2.2), in a worker.
 *
 * Only a validating resolver's word counts: an answer is secure when it
 * comes with the AD bit (lib/dns.c asks with it set), so dns_servers
 * must be a validating resolver the admin trusts.  The TLSA records of
 * _PORT._tcp.HOST are asked for only when the host's address records
 * are secure (2.2.2); then:
 *	- a lookup that fails (SERVFAIL, timeout): the host is skipped,
 *	  since an attacker could be hiding the records;
 *	- no records, or records that are not secure: no DANE;
 *	- secure records of which some are usable (DANE-TA(2) or
 *	  DANE-EE(3), selector 0 or 1, matching type 0, 1 or 2 with the
 *	  right length): TLS required, the certificate checked by them;
 *	- secure records, none usable (PKIX-TA(0), PKIX-EE(1), unknown
 *	  parameters): TLS required, not authenticated (2.2, 3.1.3).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "dns.h"
#include "msg.h"
#include "params.h"
#include "smtp.h"
#include "smtp_tls.h"

/* A lookup's time limit: c-ares' own, which doubles at each round. */
#define SMTP_DANE_WAIT	((long)var_dns_timeout * 1000 * var_dns_tries * 2)

/* smtp_dane_usable - can a TLSA record authenticate an SMTP server? */
static int
smtp_dane_usable(const struct dns_rr *rr)
{
	if ((rr->usage != 2 && rr->usage != 3) || rr->selector > 1)
		return 0;
	return rr->mtype == 0 || (rr->mtype == 1 && rr->len == 32) ||
	    (rr->mtype == 2 && rr->len == 64);
}

/* smtp_dane_secure - are the host's address records validated? */
static int
smtp_dane_secure(const char *host)
{
	static const int types[] = { DNS_T_A, DNS_T_AAAA };
	struct dns_result *r;
	int i, secure = 0;

	for (i = 0; i < 2 && !secure; i++) {
		if (dns_lookup_wait(types[i], host, SMTP_DANE_WAIT, &r) ==
		    DNS_OK)
			secure = r->secure;
		dns_result_free(&r);
	}
	return secure;
}

/*
 * smtp_dane_host - DANE for a host: SMTP_DANE_OFF, SMTP_DANE_ON (the
 * records in *tlsa), SMTP_DANE_ENCRYPT, or -1 with why (skip the host)
 */
int
smtp_dane_host(const char *host, unsigned port, struct dns_result **tlsa,
    struct buf *why)
{
	struct buf *name;
	struct dns_result *r;
	size_t i, usable = 0;
	int status;

	*tlsa = NULL;
	if (!var_smtp_dane || strspn(host, "0123456789.:") == strlen(host) ||
	    !smtp_dane_secure(host))
		return SMTP_DANE_OFF;
	name = buf_new(64, 1024);
	buf_setf(name, "_%u._tcp.%s", port, host);
	status = dns_lookup_wait(DNS_T_TLSA, buf_str(name), SMTP_DANE_WAIT,
	    &r);
	buf_free(&name);
	if (status == DNS_TEMPFAIL) {
		buf_setf(why, "DANE: TLSA lookup for %s failed (%s): host "
		    "skipped", host, r->why != NULL ? r->why : "no answer");
		dns_result_free(&r);
		return -1;
	}
	if (status != DNS_OK || !r->secure) {
		dns_result_free(&r);
		return SMTP_DANE_OFF;
	}
	for (i = 0; i < r->nrr; i++)
		usable += (size_t)smtp_dane_usable(&r->rr[i]);
	if (usable == 0) {
		msg_info("DANE: %s has TLSA records, none usable: TLS "
		    "required, not authenticated", host);
		dns_result_free(&r);
		return SMTP_DANE_ENCRYPT;
	}
	*tlsa = r;
	return SMTP_DANE_ON;
}
