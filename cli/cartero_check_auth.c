/*
 * cartero_check_auth - the records that make a domain's mail trusted
 * (README, "Deliverability"), for each domain of mydestination: SPF, the
 * DKIM key of dkim_signing_keys, DMARC, and the optional MTA-STS and
 * TLS-RPT.  Each is printed as the line to publish (the record DNS has,
 * when it is good); a missing or wrong SPF, DKIM or DMARC record is a
 * finding that says what to write.  MTA-STS and TLS-RPT are suggestions:
 * a site may well go without them.
 *
 * SPF is judged by our own evaluator (lib/spf.c): when this host's public
 * address is known, the record must let it send for the domain.  What
 * DNS answers is distrusted: texts are made printable before they are
 * shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "dkim.h"
#include "dmarc.h"
#include "dns.h"
#include "params.h"
#include "spf.h"
#include "util.h"
#include "cartero_check.h"

#define CHECK_AUTH_MS	10000	/* a lookup's time limit */

/*
 * check_txt - the TXT records of name that start with prefix (no case):
 * how many, the first into out; -1 when the lookup failed (a finding)
 */
static int
check_txt(const char *name, const char *prefix, struct buf *out)
{
	struct dns_result *r;
	size_t i, len = strlen(prefix);
	int st, n = 0;

	buf_reset(out);
	st = dns_lookup_wait(DNS_T_TXT, name, CHECK_AUTH_MS, &r);
	if (st != DNS_OK && st != DNS_NOTFOUND && st != DNS_NODATA) {
		check_finding("%s: the TXT lookup failed (%s): check "
		    "dns_servers and the network", name, r->why != NULL ?
		    r->why : dns_status_str(st));
		dns_result_free(&r);
		return -1;
	}
	for (i = 0; st == DNS_OK && i < r->nrr; i++) {
		if (r->rr[i].type != DNS_T_TXT || r->rr[i].text == NULL ||
		    r->rr[i].len < len ||
		    strncasecmp(r->rr[i].text, prefix, len) != 0)
			continue;
		if (n++ == 0)
			buf_append(out, r->rr[i].text, r->rr[i].len);
	}
	dns_result_free(&r);
	return n;
}

/* check_auth_spf - one SPF record that lets this host send */
static void
check_auth_spf(const char *domain, const char *address, struct buf *rec)
{
	struct spf_request req;
	struct spf_answer ans;
	struct buf *sender, *pr = buf_new(128, 1024);
	int n;

	if ((n = check_txt(domain, "v=spf1", rec)) < 0)
		goto out;
	if (n == 0) {
		check_finding("%s has no SPF record: add \"%s. IN TXT "
		    "\\\"v=spf1 mx -all\\\"\" (its MX hosts send its mail)",
		    domain, domain);
		printf("%s. IN TXT \"v=spf1 mx -all\"\n", domain);
		goto out;
	}
	printf("%s. IN TXT \"%s\"\n", domain, printable(buf_str(rec), pr));
	if (n > 1) {
		check_finding("%s has %d SPF records: keep one (two make "
		    "every check fail, RFC 7208 4.5)", domain, n);
		goto out;
	}
	if (address == NULL)
		goto out;
	spf_request_init(&req);
	spf_request_conf(&req);
	if (spf_request_addr(&req, address) < 0)
		goto out;
	sender = buf_new(128, 1024);
	buf_setf(sender, "postmaster@%s", domain);
	req.sender = buf_str(sender);
	req.helo = var_myhostname;
	req.receiver = var_myhostname;
	(void)spf_check_host(&req, domain, buf_str(sender), &ans);
	if (ans.result != SPF_PASS)
		check_finding("%s: SPF gives %s for this host's address %s "
		    "(%s): add \"ip4:%s\" (or \"mx\") before the \"all\" of "
		    "its record", domain, spf_result_str(ans.result), address,
		    ans.why != NULL ? printable(ans.why, pr) : "",
		    address);
	spf_answer_free(&ans);
	buf_free(&sender);
out:
	buf_free(&pr);
}

/* check_auth_dkim - a signing key, and its record in DNS */
static void
check_auth_dkim(const char *domain, struct buf *rec)
{
	const struct dkim_signer *s;
	struct buf *want = buf_new(1024, 0), *why = buf_new(128, 1024);
	struct buf *name = buf_new(128, 1024);
	const char *key;
	int n;

	if ((s = dkim_signer_find(domain, why)) == NULL) {
		if (buf_len(why) > 0)
			check_finding("%s", buf_str(why));
		else
			check_finding("%s has no DKIM signing key: run "
			    "\"cartero dkim keygen %s SELECTOR\", publish the "
			    "record it prints, then \"cartero reload\"",
			    domain, domain);
		goto out;
	}
	if (dkim_privkey_record(s->key, want, why) < 0) {
		check_finding("%s: %s", s->path, buf_str(why));
		goto out;
	}
	cartero_dkim_print(domain, s->selector, want);
	buf_setf(name, "%s._domainkey.%s", s->selector, domain);
	if ((n = check_txt(buf_str(name), "v=DKIM1", rec)) == 0)
		n = check_txt(buf_str(name), "k=", rec);
	if (n == 0)
		check_finding("%s has no DKIM record at %s: publish the record "
		    "above (cartero dkim show %s)", domain, buf_str(name),
		    domain);
	else if (n > 0 && (key = strstr(buf_str(want), "p=")) != NULL &&
	    strstr(buf_str(rec), key) == NULL)
		check_finding("%s: its DKIM record at %s has another key than "
		    "%s: publish the record above (cartero dkim show %s)",
		    domain, buf_str(name), s->path, domain);
out:
	buf_free(&want);
	buf_free(&why);
	buf_free(&name);
}

/* check_auth_dmarc - a DMARC policy that reads */
static void
check_auth_dmarc(const char *domain, struct buf *rec)
{
	struct dmarc_record d;
	struct buf *name = buf_new(128, 1024), *why = buf_new(128, 1024);
	struct buf *pr = buf_new(128, 1024);
	int n;

	buf_setf(name, "_dmarc.%s", domain);
	if ((n = check_txt(buf_str(name), "v=DMARC1", rec)) < 0)
		goto out;
	if (n == 0) {
		check_finding("%s has no DMARC record: add \"%s. IN TXT "
		    "\\\"v=DMARC1; p=none; rua=mailto:postmaster@%s\\\"\" "
		    "(p=quarantine or p=reject once all its mail passes)",
		    domain, buf_str(name), domain);
		printf("%s. IN TXT \"v=DMARC1; p=none; "
		    "rua=mailto:postmaster@%s\"\n", buf_str(name), domain);
		goto out;
	}
	printf("%s. IN TXT \"%s\"\n", buf_str(name),
	    printable(buf_str(rec), pr));
	memset(&d, 0, sizeof(d));
	if (n > 1)
		check_finding("%s has %d DMARC records at %s: keep one "
		    "(receivers ignore them all)", domain, n, buf_str(name));
	else if (dmarc_record_parse(buf_str(rec), &d, why) < 0)
		check_finding("%s: its DMARC record at %s does not read (%s): "
		    "receivers ignore it", domain, buf_str(name),
		    printable(buf_str(why), pr));
	dmarc_record_free(&d);
out:
	buf_free(&name);
	buf_free(&why);
	buf_free(&pr);
}

/* check_auth_optional - MTA-STS and TLS-RPT, printed when missing */
static void
check_auth_optional(const char *domain, struct buf *rec)
{
	struct buf *name = buf_new(128, 1024), *pr = buf_new(128, 1024);
	char id[16];
	time_t now = time(NULL);
	struct tm tm;

	buf_setf(name, "_mta-sts.%s", domain);
	if (check_txt(buf_str(name), "v=STSv1", rec) > 0)
		printf("%s. IN TXT \"%s\"\n", buf_str(name),
		    printable(buf_str(rec), pr));
	else {
		gmtime_r(&now, &tm);
		strftime(id, sizeof(id), "%Y%m%d", &tm);
		printf("# optional, MTA-STS (RFC 8461): senders then insist "
		    "on TLS to your MX; with this file at "
		    "https://mta-sts.%s/.well-known/mta-sts.txt:\n"
		    "#   version: STSv1 | mode: testing | mx: %s | "
		    "max_age: 604800\n%s. IN TXT \"v=STSv1; id=%s\"\n",
		    domain, var_myhostname, buf_str(name), id);
	}
	buf_setf(name, "_smtp._tls.%s", domain);
	if (check_txt(buf_str(name), "v=TLSRPTv1", rec) > 0)
		printf("%s. IN TXT \"%s\"\n", buf_str(name),
		    printable(buf_str(rec), pr));
	else
		printf("# optional, TLS-RPT (RFC 8460): reports of TLS "
		    "failures toward you:\n%s. IN TXT \"v=TLSRPTv1; "
		    "rua=mailto:postmaster@%s\"\n", buf_str(name), domain);
	buf_free(&name);
	buf_free(&pr);
}

/* check_auth - the deliverability records of each domain of ours */
void
check_auth(const char *address)
{
	struct buf *rec = buf_new(1024, 65536);
	char **domains;
	int i;

	domains = check_domains();
	for (i = 0; domains[i] != NULL; i++) {
		printf("# Records for %s's mail to be trusted (README: "
		    "Deliverability):\n", domains[i]);
		check_auth_spf(domains[i], address, rec);
		check_auth_dkim(domains[i], rec);
		check_auth_dmarc(domains[i], rec);
		check_auth_optional(domains[i], rec);
	}
	strv_free(domains, i);
	buf_free(&rec);
}
