/*
 * spf_mech - the SPF mechanisms that ask DNS (RFC 7208 section 5: a, mx,
 * ptr, exists) and the queries of an evaluation: each under the time
 * left, void answers counted (4.6.4), address lists compared with the
 * client under a prefix length.
 *
 * Distrusts the answers: an mx with more than mx_limit hosts is a
 * permerror, a ptr looks at ptr_limit names at most, a name that lib/dns
 * refuses to ask about counts as one that does not exist.
 */
#include <sys/socket.h>

#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include "addr.h"
#include "buf.h"
#include "dns.h"
#include "spf.h"
#include "spf_int.h"
#include "util.h"

/*
 * spf_query - one lookup of the evaluation, in the time left; its status
 * (a name lib/dns will not ask about: DNS_NOTFOUND) and *r to free
 */
int
spf_query(struct spf_eval *e, int type, const char *name,
    struct dns_result **r)
{
	long left = (long)(e->deadline - now_ms());
	spf_dns_fn fn = e->req->dns ? e->req->dns : spf_dns_lookup;
	int status;

	if (left <= 0) {
		*r = dns_result_new(type, name, DNS_TEMPFAIL,
		    "the SPF time limit passed");
		return DNS_TEMPFAIL;
	}
	status = fn(type, name, left, r, e->req->dns_ctx);
	if (*r == NULL)
		*r = dns_result_new(type, name, status, NULL);
	if (status == DNS_BADNAME)
		status = (*r)->status = DNS_NOTFOUND;
	return status;
}

/* spf_void - one more void lookup: 0, or -1 past the limit (a permerror) */
int
spf_void(struct spf_eval *e, const char *name)
{
	if (++e->voids <= e->req->void_limit)
		return 0;
	buf_setf(e->why, "more than %ld void lookups (%s)",
	    e->req->void_limit, name);
	return -1;
}

/* spf_addr_type - the address record type that compares with the client */
static int
spf_addr_type(const struct spf_eval *e)
{
	return e->family == AF_INET ? DNS_T_A : DNS_T_AAAA;
}

/*
 * spf_addrs_match - look name's addresses up, compare with the client;
 * a void answer counted when count_void
 */
static int
spf_addrs_match(struct spf_eval *e, const char *name, int cidr4, int cidr6,
    int count_void)
{
	struct dns_result *r;
	int status, m = SPF_M_NOMATCH;
	size_t i;

	status = spf_query(e, spf_addr_type(e), name, &r);
	if (status == DNS_TEMPFAIL) {
		buf_setf(e->why, "lookup of %s failed: %s", name,
		    r->why ? r->why : "temporary failure");
		m = SPF_M_TEMP;
	} else if (status != DNS_OK || r->nrr == 0) {
		if (count_void && spf_void(e, name) < 0)
			m = SPF_M_PERM;
	} else {
		for (i = 0; i < r->nrr; i++)
			if (r->rr[i].family == e->family &&
			    addr_prefix_eq(r->rr[i].addr, e->addr,
			    e->family == AF_INET ? cidr4 : cidr6))
				m = SPF_M_MATCH;
	}
	dns_result_free(&r);
	return m;
}

/* spf_mech_a - "a": the target's addresses */
int
spf_mech_a(struct spf_eval *e, const char *target, int cidr4, int cidr6)
{
	return spf_addrs_match(e, target, cidr4, cidr6, 1);
}

/* spf_mech_mx - "mx": the addresses of the target's MX hosts */
int
spf_mech_mx(struct spf_eval *e, const char *target, int cidr4, int cidr6)
{
	struct dns_result *r;
	int status, m = SPF_M_NOMATCH;
	size_t i;

	status = spf_query(e, DNS_T_MX, target, &r);
	if (status == DNS_TEMPFAIL) {
		buf_setf(e->why, "MX lookup of %s failed", target);
		m = SPF_M_TEMP;
	} else if (status != DNS_OK || r->nrr == 0) {
		if (spf_void(e, target) < 0)
			m = SPF_M_PERM;
	} else if (r->nrr > (size_t)e->req->mx_limit) {
		buf_setf(e->why, "%s has more than %ld MX hosts", target,
		    e->req->mx_limit);
		m = SPF_M_PERM;
	} else {
		for (i = 0; i < r->nrr && m == SPF_M_NOMATCH; i++)
			if (r->rr[i].name != NULL && *r->rr[i].name != '\0')
				m = spf_addrs_match(e, r->rr[i].name, cidr4,
				    cidr6, 0);
	}
	dns_result_free(&r);
	return m;
}

/*
 * spf_ptr_names - the client's validated names (5.5): PTR names, at most
 * ptr_limit, whose addresses include the client; NULL-ended, to free
 */
static char **
spf_ptr_names(struct spf_eval *e, int count_void)
{
	struct sockaddr_storage ss;
	struct buf *rev = buf_new(80, 256);
	struct dns_result *r;
	char **names;
	size_t i, n = 0;
	int status;

	memset(&ss, 0, sizeof(ss));
	spf_sockaddr(e, &ss);
	names = xcalloc(1, sizeof(*names));
	if (dns_reverse_name((struct sockaddr *)&ss, rev) < 0) {
		buf_free(&rev);
		return names;
	}
	status = spf_query(e, DNS_T_PTR, buf_str(rev), &r);
	if ((status == DNS_NOTFOUND || status == DNS_NODATA ||
	    (status == DNS_OK && r->nrr == 0)) && count_void)
		(void)spf_void(e, buf_str(rev));
	if (status == DNS_OK) {
		names = xrealloc(names, (r->nrr + 1) * sizeof(*names));
		for (i = 0; i < r->nrr && i < (size_t)e->req->ptr_limit; i++)
			if (r->rr[i].name != NULL && spf_addrs_match(e,
			    r->rr[i].name, e->family == AF_INET ? 32 : 128,
			    128, 0) == SPF_M_MATCH)
				names[n++] = xstrdup(r->rr[i].name);
		names[n] = NULL;
	}
	dns_result_free(&r);
	buf_free(&rev);
	return names;
}

/* spf_names_free - a NULL-ended list of names */
static void
spf_names_free(char **names)
{
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

/*
 * spf_mech_ptr - "ptr": a validated name of the client is the target or
 * under it; a DNS error only means no match (5.5)
 */
int
spf_mech_ptr(struct spf_eval *e, const char *target)
{
	char **names = spf_ptr_names(e, 1);
	int m = SPF_M_NOMATCH;
	size_t i;

	if (e->voids > e->req->void_limit)
		m = SPF_M_PERM;
	for (i = 0; names[i] != NULL && m == SPF_M_NOMATCH; i++)
		if (dns_name_under(names[i], target))
			m = SPF_M_MATCH;
	spf_names_free(names);
	return m;
}

/*
 * spf_pname - %{p}: a validated name of the client, the domain or one
 * under it by preference, else any; "unknown" without one (7.3)
 */
const char *
spf_pname(struct spf_eval *e, const char *domain)
{
	char **names;
	size_t i, pick = 0;

	if (e->pname != NULL)
		return e->pname;
	names = spf_ptr_names(e, 0);
	for (i = 0; names[i] != NULL; i++)
		if (dns_name_under(names[i], domain)) {
			pick = i;
			break;
		}
	e->pname = xstrdup(names[0] != NULL ? names[pick] : "unknown");
	spf_names_free(names);
	return e->pname;
}

/* spf_mech_exists - "exists": the target has an A record (5.7) */
int
spf_mech_exists(struct spf_eval *e, const char *target)
{
	struct dns_result *r;
	int status, m = SPF_M_NOMATCH;

	status = spf_query(e, DNS_T_A, target, &r);
	if (status == DNS_TEMPFAIL) {
		buf_setf(e->why, "lookup of %s failed", target);
		m = SPF_M_TEMP;
	} else if (status == DNS_OK && r->nrr > 0) {
		m = SPF_M_MATCH;
	} else if (spf_void(e, target) < 0) {
		m = SPF_M_PERM;
	}
	dns_result_free(&r);
	return m;
}
