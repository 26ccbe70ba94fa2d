/*
 * dns_mx - where mail for a domain goes (RFC 5321 5.1): its MX hosts by
 * preference, those of equal preference in random order (so that load
 * spreads as the domain asked), each with its A and AAAA records (A
 * first); without MX records (NODATA), the domain itself as the one
 * host (the implicit MX); a null MX (RFC 7505: "MX 0 .", every record
 * the root) is DNS_NULLMX, for the caller to bounce.  NXDOMAIN is
 * DNS_NOTFOUND; a temporary failure of the MX lookup is DNS_TEMPFAIL.
 *
 * The answer is DNS_OK when some host has an address; otherwise
 * DNS_TEMPFAIL when a host's lookups failed temporarily (the caller
 * defers), else the status of the hosts' lookups (DNS_NOTFOUND or
 * DNS_NODATA: nowhere to deliver, the caller bounces).  At most
 * dns_mx_host_limit hosts, the most preferred, are looked up.
 *
 * Distrusts: the MX exchanges, which go through dns_name_check (in
 * dns_query_start) before they are asked about: a bad one is a host
 * with DNS_BADNAME and no address.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dns.h"
#include "msg.h"
#include "params.h"
#include "util.h"

/* One A or AAAA lookup of one host. */
struct dns_mx_sub {
	struct dns_mx_query	*m;
	struct dns_query	*q;
	struct dns_result	*res;
};

/* An MX routing lookup in progress. */
struct dns_mx_query {
	dns_mx_fn		 fn;
	void			*ctx;
	int			 sync;
	struct dns_query	*mxq;
	struct dns_mx		*mx;	/* the answer being built */
	struct dns_mx_sub	*sub;	/* A then AAAA of each host */
	size_t			 nsub;
	int			 pending;
};

/* dns_mx_random - a number in [0, n) */
static unsigned
dns_mx_random(unsigned n)
{
	return arc4random_uniform(n);
}

/* dns_mx_cmp - by preference */
static int
dns_mx_cmp(const void *a, const void *b)
{
	const struct dns_rr *x = a, *y = b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

/*
 * dns_mx_sort - MX records by preference, those of equal preference
 * shuffled (rnd(n): a number in [0, n)).
 */
void
dns_mx_sort(struct dns_rr *rr, size_t n, unsigned (*rnd)(unsigned))
{
	struct dns_rr t;
	size_t i, j, k;

	qsort(rr, n, sizeof(*rr), dns_mx_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && rr[j].pref == rr[i].pref; j++)
			;
		for (k = j - 1; k > i; k--) {		/* Fisher-Yates */
			size_t r = i + rnd((unsigned)(k - i + 1));

			t = rr[k];
			rr[k] = rr[r];
			rr[r] = t;
		}
	}
}

/* dns_mx_null - is an MX answer a null MX (every exchange the root)? */
int
dns_mx_null(const struct dns_result *r)
{
	size_t i;

	if (r->status != DNS_OK || r->type != DNS_T_MX || r->nrr == 0)
		return 0;
	for (i = 0; i < r->nrr; i++)
		if (r->rr[i].name[0] != '\0')
			return 0;
	return 1;
}

/* dns_mx_free - free a routing answer and clear the pointer */
void
dns_mx_free(struct dns_mx **mp)
{
	struct dns_mx *mx = *mp;
	size_t i;

	if (mx == NULL)
		return;
	for (i = 0; i < mx->nhost; i++) {
		free(mx->host[i].name);
		free(mx->host[i].addr);
	}
	free(mx->host);
	free(mx->domain);
	free(mx->why);
	free(mx);
	*mp = NULL;
}

/* dns_mx_query_free - a finished or cancelled lookup */
static void
dns_mx_query_free(struct dns_mx_query *m)
{
	size_t i;

	for (i = 0; i < m->nsub; i++) {
		dns_cancel(&m->sub[i].q);
		dns_result_free(&m->sub[i].res);
	}
	dns_cancel(&m->mxq);
	free(m->sub);
	dns_mx_free(&m->mx);
	free(m);
}

/* dns_mx_host_status - a host's addresses from its lookups, its status */
static int
dns_mx_host_status(struct dns_host *h, struct dns_mx_sub *a,
    struct dns_mx_sub *aaaa)
{
	struct dns_mx_sub *s[2] = { a, aaaa };
	int i;
	size_t j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < s[i]->res->nrr; j++) {
			h->addr = xrealloc(h->addr, (h->naddr + 1) *
			    sizeof(*h->addr));
			h->addr[h->naddr++] = s[i]->res->rr[j];
			h->addr[h->naddr - 1].name = NULL;
		}
	if (h->naddr > 0)
		return DNS_OK;
	if (a->res->status == DNS_TEMPFAIL || aaaa->res->status == DNS_TEMPFAIL)
		return DNS_TEMPFAIL;
	return a->res->status;
}

/* dns_mx_finish - put the answer together and hand it over */
static void
dns_mx_finish(struct dns_mx_query *m)
{
	struct dns_mx *mx = m->mx;
	struct dns_result *a, *aaaa, *temp = NULL;
	int good = 0;
	size_t i;

	for (i = 0; mx->status == DNS_OK && i < mx->nhost; i++) {
		a = m->sub[2 * i].res;
		aaaa = m->sub[2 * i + 1].res;
		mx->host[i].status = dns_mx_host_status(&mx->host[i],
		    &m->sub[2 * i], &m->sub[2 * i + 1]);
		if (mx->host[i].status == DNS_OK)
			good = 1;
		else if (mx->host[i].status == DNS_TEMPFAIL && temp == NULL)
			temp = a->status == DNS_TEMPFAIL ? a : aaaa;
	}
	if (mx->status == DNS_OK && !good) {
		if (temp != NULL)
			mx->status = DNS_TEMPFAIL;
		else if (mx->nhost > 0) {
			mx->status = mx->host[0].status;
			temp = m->sub[0].res;
		} else
			mx->status = DNS_NOTFOUND;
		mx->why = xstrdup(temp != NULL && temp->why != NULL ?
		    temp->why : "no MX host has an address");
	}
	m->mx = NULL;
	m->fn(mx, m->ctx);
	dns_mx_query_free(m);
}

/* dns_mx_addr_got - an A or AAAA answer of a host */
static void
dns_mx_addr_got(struct dns_result *r, void *ctx)
{
	struct dns_mx_sub *s = ctx;
	struct dns_mx_query *m = s->m;

	s->q = NULL;
	s->res = r;
	if (--m->pending == 0)
		dns_mx_finish(m);
}

/* dns_mx_start_hosts - look up the hosts' addresses */
static void
dns_mx_start_hosts(struct dns_mx_query *m)
{
	struct dns_mx *mx = m->mx;
	size_t i;

	m->nsub = 2 * mx->nhost;
	m->sub = xcalloc(m->nsub, sizeof(*m->sub));
	m->pending = 1;			/* no answer finishes it meanwhile */
	for (i = 0; i < m->nsub; i++) {
		m->sub[i].m = m;
		m->pending++;
		m->sub[i].q = dns_query_start(i % 2 ? DNS_T_AAAA : DNS_T_A,
		    mx->host[i / 2].name, m->sync, dns_mx_addr_got, &m->sub[i]);
	}
	if (--m->pending == 0)
		dns_mx_finish(m);
}

/* dns_mx_host_add - one more host to try */
static void
dns_mx_host_add(struct dns_mx *mx, const char *name, unsigned pref)
{
	struct dns_host *h;

	mx->host = xrealloc(mx->host, (mx->nhost + 1) * sizeof(*mx->host));
	h = &mx->host[mx->nhost++];
	memset(h, 0, sizeof(*h));
	h->name = xstrdup(name);
	h->pref = pref;
	h->status = DNS_TEMPFAIL;
}

/* dns_mx_got - the MX answer: the hosts, or the end */
static void
dns_mx_got(struct dns_result *r, void *ctx)
{
	struct dns_mx_query *m = ctx;
	struct dns_mx *mx = m->mx;
	size_t i;

	m->mxq = NULL;
	mx->status = r->status;
	if (dns_mx_null(r)) {
		mx->status = DNS_NULLMX;
		mx->why = xstrdup("the domain accepts no mail (null MX)");
	} else if (r->status == DNS_OK) {
		dns_mx_sort(r->rr, r->nrr, dns_mx_random);
		for (i = 0; i < r->nrr &&
		    mx->nhost < (size_t)var_dns_mx_host_limit; i++)
			if (r->rr[i].name[0] != '\0')
				dns_mx_host_add(mx, r->rr[i].name,
				    r->rr[i].pref);
	} else if (r->status == DNS_NODATA) {
		mx->status = DNS_OK;
		mx->implicit = 1;
		dns_mx_host_add(mx, r->name, 0);
	} else
		mx->why = xstrdup(r->why != NULL ? r->why : "lookup failed");
	dns_result_free(&r);
	if (mx->status == DNS_OK)
		dns_mx_start_hosts(m);
	else
		dns_mx_finish(m);
}

/*
 * dns_mx_start - start a routing lookup, its handle in *mp first (sync:
 * for dns_drive; then it may be answered, and freed, before this returns)
 */
static void
dns_mx_start(const char *domain, int sync, dns_mx_fn fn, void *ctx,
    struct dns_mx_query **mp)
{
	struct dns_mx_query *m = xcalloc(1, sizeof(*m));
	struct dns_query *q;

	m->fn = fn;
	m->ctx = ctx;
	m->sync = sync;
	m->mx = xcalloc(1, sizeof(*m->mx));
	m->mx->domain = xstrdup(domain);
	m->mx->status = DNS_TEMPFAIL;
	*mp = m;
	if ((q = dns_query_start(DNS_T_MX, domain, sync, dns_mx_got, m)) !=
	    NULL)
		m->mxq = q;
}

/* dns_mx_hosts - where mail for a domain goes; fn(answer, ctx) later */
struct dns_mx_query *
dns_mx_hosts(const char *domain, dns_mx_fn fn, void *ctx)
{
	struct dns_mx_query *m;

	dns_evmode_on();
	dns_mx_start(domain, 0, fn, ctx, &m);
	return m;
}

/*
 * dns_mx_host - the addresses of one host, without an MX lookup (a
 * nexthop [host]:port), as an answer of one implicit host
 */
struct dns_mx_query *
dns_mx_host(const char *host, dns_mx_fn fn, void *ctx)
{
	struct dns_mx_query *m = xcalloc(1, sizeof(*m));

	dns_evmode_on();
	m->fn = fn;
	m->ctx = ctx;
	m->mx = xcalloc(1, sizeof(*m->mx));
	m->mx->domain = xstrdup(host);
	m->mx->status = DNS_OK;
	m->mx->implicit = 1;
	dns_mx_host_add(m->mx, host, 0);
	dns_mx_start_hosts(m);
	return m;
}

/* dns_mx_cancel - forget a routing lookup: no callback */
void
dns_mx_cancel(struct dns_mx_query **mp)
{
	if (*mp == NULL)
		return;
	dns_mx_query_free(*mp);
	*mp = NULL;
}

/* dns_mx_wait_got - a blocking routing lookup's callback */
static void
dns_mx_wait_got(struct dns_mx *mx, void *ctx)
{
	*(void **)ctx = mx;
}

/*
 * dns_mx_hosts_wait - where mail for a domain goes, waiting at most ms
 * (a temporary failure past it); its status, the answer in *mxp.
 */
int
dns_mx_hosts_wait(const char *domain, long ms, struct dns_mx **mxp)
{
	struct dns_mx *mx;
	struct dns_mx_query *m;
	void *answer = NULL;

	dns_mx_start(domain, 1, dns_mx_wait_got, &answer, &m);
	if (answer == NULL && dns_drive(&answer, ms) < 0) {
		dns_mx_cancel(&m);
		answer = mx = xcalloc(1, sizeof(*mx));
		mx->domain = xstrdup(domain);
		mx->status = DNS_TEMPFAIL;
		mx->why = xstrdup("lookup timed out");
	}
	*mxp = mx = answer;
	return mx->status;
}
