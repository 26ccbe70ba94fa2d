/*
 * dmarc - DMARC evaluation (RFC 7489): policy discovery (6.6.3: the TXT
 * records of _dmarc.FROM-DOMAIN that start with v=DMARC1; none there, those
 * of _dmarc.ORGDOMAIN; two or more, or an invalid one: DMARC does not
 * apply), identifier alignment (3.1: relaxed, the same organizational
 * domain; strict, the same name) of SPF's domain when SPF passed and of
 * each passing DKIM signature's d=, the result, and the disposition: the
 * policy (sp= for a subdomain when the record is the organizational
 * domain's), lowered one step when the pct= sample leaves the message
 * out (6.6.4: reject to quarantine, quarantine to none).
 *
 * A DNS failure is temperror: the caller answers 451 rather than guess.
 * Both lookups together take at most time_ms.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dmarc.h"
#include "dns.h"
#include "params.h"
#include "psl.h"
#include "spf.h"
#include "util.h"

#define DMARC_TIME_MS	10000L

/* dmarc_request_init - an empty request with the parameters' time limit */
void
dmarc_request_init(struct dmarc_request *q)
{
	memset(q, 0, sizeof(*q));
	q->spf_result = SPF_NONE;
	q->time_ms = var_dmarc_time_limit > 0 ?
	    (long)var_dmarc_time_limit * 1000 : DMARC_TIME_MS;
}

/* dmarc_result_str - a result's name, as RFC 8601 writes it */
const char *
dmarc_result_str(int r)
{
	static const char *const names[] = { "none", "pass", "fail",
	    "temperror", "permerror" };

	return r >= 0 && r <= DMARC_PERMERROR ? names[r] : "permerror";
}

/* dmarc_policy_str - a policy's word */
const char *
dmarc_policy_str(int p)
{
	static const char *const names[] = { "none", "quarantine", "reject" };

	return p >= 0 && p <= DMARC_P_REJECT ? names[p] : "none";
}

/*
 * dmarc_aligned - whether an authenticated domain is aligned with the
 * From domain: strict, the same name; relaxed, the same org domain
 */
int
dmarc_aligned(const char *domain, const char *from, int strict)
{
	if (domain == NULL || from == NULL)
		return 0;
	if (dns_name_eq(domain, from))
		return 1;
	return !strict && psl_same_org(domain, from);
}

/*
 * dmarc_fetch - the one DMARC record at _dmarc.domain into *text (to
 * free); DMARC_NONE with *text NULL when there is none, DMARC_TEMPERROR,
 * or DMARC_PASS (a record; *several when there were more than one)
 */
static int
dmarc_fetch(const struct dmarc_request *q, long long deadline,
    const char *domain, char **text, int *several)
{
	struct buf *name = buf_new(128, 300);
	struct dns_result *r = NULL;
	dmarc_dns_fn fn = q->dns ? q->dns : spf_dns_lookup;
	long left = (long)(deadline - now_ms());
	size_t i, n = 0;
	int status, result = DMARC_NONE;

	*text = NULL;
	*several = 0;
	buf_setf(name, "_dmarc.%s", domain);
	if (left <= 0)
		status = DNS_TEMPFAIL;
	else
		status = fn(DNS_T_TXT, buf_str(name), left, &r, q->dns_ctx);
	if (status == DNS_TEMPFAIL) {
		result = DMARC_TEMPERROR;
	} else if (status == DNS_OK && r != NULL) {
		for (i = 0; i < r->nrr; i++)
			if (r->rr[i].text != NULL &&
			    strlen(r->rr[i].text) == r->rr[i].len &&
			    dmarc_record_is(r->rr[i].text) && n++ == 0)
				*text = xstrdup(r->rr[i].text);
		if (n > 1) {
			free(*text);
			*text = NULL;
			*several = 1;
		}
		if (n > 0)
			result = DMARC_PASS;
	}
	dns_result_free(&r);
	buf_free(&name);
	return result;
}

/*
 * dmarc_discover - the policy record of the From domain or of its org
 * domain into a->rec; DMARC_PASS when there is one to apply
 */
static int
dmarc_discover(const struct dmarc_request *q, struct dmarc_answer *a)
{
	long long deadline = now_ms() + q->time_ms;	/* <= 0: none left */
	struct buf *org = buf_new(64, 0), *why = buf_new(64, 256);
	const char *where = a->from_domain;
	char *text;
	int r, several;

	r = dmarc_fetch(q, deadline, where, &text, &several);
	if (r == DMARC_NONE && psl_org_domain(a->from_domain, org) == 0 &&
	    strcmp(buf_str(org), a->from_domain) != 0) {
		where = buf_str(org);
		r = dmarc_fetch(q, deadline, where, &text, &several);
	}
	if (r == DMARC_TEMPERROR) {
		a->why = xstrdup("DNS lookup of the DMARC record failed");
	} else if (r == DMARC_NONE) {
		a->why = xstrdup("no DMARC record");
	} else if (several) {
		a->why = xstrdup("more than one DMARC record");
		r = DMARC_NONE;
	} else if (dmarc_record_parse(text, &a->rec, why) < 0) {
		buf_appendf(why, " (in the DMARC record of %s)", where);
		a->why = xstrdup(buf_str(why));
		r = DMARC_NONE;
	} else {
		a->have_record = 1;
		a->record_domain = xstrdup(where);
	}
	free(text);
	buf_free(&org);
	buf_free(&why);
	return r;
}

/* dmarc_dispose - the policy that applies and what it does to a failure */
static void
dmarc_dispose(const struct dmarc_request *q, struct dmarc_answer *a)
{
	int subdomain = strcmp(a->record_domain, a->from_domain) != 0;
	unsigned n;

	a->policy = subdomain && a->rec.sp >= 0 ? a->rec.sp : a->rec.p;
	if (a->result != DMARC_FAIL) {
		a->disposition = DMARC_P_NONE;
		return;
	}
	a->disposition = a->policy;
	if (a->rec.pct >= 100 || a->policy == DMARC_P_NONE)
		return;
	n = q->sample ? q->sample(q->sample_ctx) % 100 :
	    arc4random_uniform(100);
	if (n < (unsigned)a->rec.pct)
		return;
	a->disposition--;		/* 6.6.4: one step down */
	a->sampled_out = 1;
}

/*
 * dmarc_check - DMARC for a message whose From domain, SPF and DKIM
 * results the request holds; the result, also in *a (to free)
 */
int
dmarc_check(const struct dmarc_request *q, struct dmarc_answer *a)
{
	struct buf *why = buf_new(128, 512);
	size_t i;
	int r;

	memset(a, 0, sizeof(*a));
	a->policy = -1;
	a->from_domain = lowercase(xstrdup(q->from_domain ?
	    q->from_domain : ""));
	if (psl_org_domain(a->from_domain, why) < 0) {
		a->why = xstrdup("no From domain to check");
		buf_free(&why);
		return a->result = DMARC_PERMERROR;
	}
	if ((r = dmarc_discover(q, a)) != DMARC_PASS) {
		buf_free(&why);
		return a->result = r;
	}
	a->spf_aligned = q->spf_result == SPF_PASS && dmarc_aligned(
	    q->spf_domain, a->from_domain, a->rec.aspf == 's');
	for (i = 0; i < q->ndkim && !a->dkim_aligned; i++)
		a->dkim_aligned = q->dkim[i].pass && dmarc_aligned(
		    q->dkim[i].domain, a->from_domain, a->rec.adkim == 's');
	a->result = a->spf_aligned || a->dkim_aligned ? DMARC_PASS :
	    DMARC_FAIL;
	dmarc_dispose(q, a);
	if (a->result == DMARC_PASS)
		buf_setf(why, "%s aligned with %s", a->dkim_aligned ?
		    "DKIM" : "SPF", a->from_domain);
	else
		buf_setf(why, "neither SPF nor DKIM aligned with %s; policy "
		    "%s%s", a->from_domain, dmarc_policy_str(a->policy),
		    a->sampled_out ? ", lowered by pct=" : "");
	a->why = buf_steal(&why);
	return a->result;
}

/*
 * dmarc_check_header - dmarc_check with the From domain of a header
 * section (q->from_domain is ignored); no single From domain is a
 * permerror whose why says what was wrong (6.6.1)
 */
int
dmarc_check_header(const struct dmarc_request *q, const char *header,
    size_t len, struct dmarc_answer *a)
{
	struct dmarc_request copy = *q;
	struct buf *domain = buf_new(64, 0), *why = buf_new(128, 512);
	int r;

	if (dmarc_from_domain(header, len, domain, why) < 0) {
		memset(a, 0, sizeof(*a));
		a->policy = -1;
		a->from_domain = xstrdup("");
		a->why = buf_steal(&why);
		r = a->result = DMARC_PERMERROR;
	} else {
		copy.from_domain = buf_str(domain);
		r = dmarc_check(&copy, a);
	}
	buf_free(&domain);
	buf_free(&why);
	return r;
}

/* dmarc_answer_free - an answer's memory */
void
dmarc_answer_free(struct dmarc_answer *a)
{
	dmarc_record_free(&a->rec);
	free(a->from_domain);
	free(a->record_domain);
	free(a->why);
	memset(a, 0, sizeof(*a));
}

/*
 * dmarc_resinfo - "dmarc=fail (p=reject dis=reject) header.from=mired.org"
 * appended to out (p= the record's, sp= when it applied, dis= what to do)
 */
void
dmarc_resinfo(struct buf *out, const struct dmarc_answer *a)
{
	buf_appendf(out, "dmarc=%s", dmarc_result_str(a->result));
	if (a->have_record) {
		buf_appendf(out, " (p=%s", dmarc_policy_str(a->rec.p));
		if (a->rec.sp >= 0 && a->policy == a->rec.sp &&
		    strcmp(a->record_domain, a->from_domain) != 0)
			buf_appendf(out, " sp=%s", dmarc_policy_str(a->rec.sp));
		buf_appendf(out, " dis=%s)", dmarc_policy_str(a->disposition));
	}
	buf_puts(out, " header.from=");
	spf_resinfo_value(out, a->from_domain);
}
