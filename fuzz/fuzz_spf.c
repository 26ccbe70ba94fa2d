/*
 * fuzz_spf - libFuzzer target: SPF, DMARC and the public suffix list's
 * helpers on hostile text.  The input's first line is a MAIL FROM
 * address, the rest an SPF record that every TXT lookup answers (so that
 * include and redirect recurse into it, up to the limits), with A, AAAA,
 * MX and PTR answers that always exist; both an IPv4 and an IPv6 client
 * are checked.  The whole input is also a DMARC record, a header section
 * for the From domain, a domain for the organizational domain, and a
 * label for Punycode.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dmarc.h"
#include "dns.h"
#include "msg.h"
#include "psl.h"
#include "punycode.h"
#include "spf.h"
#include "util.h"

static const char *fz_record;

/* fz_dns - every name has every record; TXT is the fuzzed record */
static int
fz_dns(int type, const char *name, long ms, struct dns_result **res,
    void *ctx)
{
	struct dns_result *r = dns_result_new(type, name, DNS_OK, NULL);
	struct dns_rr *rr = xcalloc(1, sizeof(*rr));

	(void)ms;
	(void)ctx;
	r->rr = rr;
	r->nrr = 1;
	rr->type = type;
	if (type == DNS_T_TXT) {
		rr->text = xstrdup(fz_record);
		rr->len = strlen(fz_record);
	} else if (type == DNS_T_MX || type == DNS_T_PTR) {
		rr->name = xstrdup("host.example.org");
	} else {
		rr->family = type == DNS_T_A ? AF_INET : AF_INET6;
		rr->addr[0] = 192;
		rr->addr[3] = 1;
	}
	*res = r;
	return DNS_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *text = xstrndup((const char *)data, len), *nl;
	struct buf *out = buf_new(64, 0), *why = buf_new(64, 0);
	struct spf_request q;
	struct spf_answer a;
	struct dmarc_record rec;

	msg_set_flags(0);
	nl = strchr(text, '\n');
	fz_record = nl ? nl + 1 : "v=spf1 include:%{l}.%{d} a mx ptr -all";
	if (nl != NULL)
		*nl = '\0';
	spf_request_init(&q);
	q.dns = fz_dns;
	q.sender = text;
	q.helo = "helo.example.org";
	spf_request_addr(&q, "192.0.2.1");
	spf_check_mailfrom(&q, &a);
	if (a.result < SPF_NONE || a.result > SPF_PERMERROR ||
	    a.lookups > q.lookup_limit + 1 || a.why == NULL)
		abort();
	spf_resinfo(out, &a);
	spf_answer_free(&a);
	spf_request_addr(&q, "2001:db8::1");
	spf_check_mailfrom(&q, &a);
	spf_answer_free(&a);
	if (nl != NULL)
		*nl = '\n';

	if (dmarc_record_parse(text, &rec, why) == 0) {
		if (rec.p < 0 || rec.p > DMARC_P_REJECT || rec.pct > 100)
			abort();
		dmarc_record_free(&rec);
	}
	buf_reset(out);
	if (dmarc_from_domain((const char *)data, len, out, why) == 0 &&
	    strchr(buf_str(out), '@') != NULL)
		abort();
	if (psl_org_domain(text, out) == 0 && buf_len(out) > 253)
		abort();
	buf_reset(out);
	(void)punycode_encode((const char *)data, len, out);
	free(text);
	buf_free(&out);
	buf_free(&why);
	return 0;
}
