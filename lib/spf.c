/*
 * spf - RFC 7208's check_host(): the domain's one "v=spf1" TXT record
 * (none: none; two: permerror), its terms checked whole, then evaluated
 * in order, the first match giving its qualifier; include (pass matches;
 * none or permerror inside is a permerror), redirect= when nothing
 * matched, exp= for a fail's explanation.  spf_check_mailfrom is the
 * MAIL FROM identity (postmaster@HELO for a null sender, 2.4),
 * spf_check_helo the HELO identity.
 *
 * The limits bound every evaluation whatever the records say: lookup_limit
 * terms that ask DNS across all includes and redirects (the 11th is a
 * permerror, and so recursion is as deep as that at most), void_limit
 * void answers, mx_limit and ptr_limit names, time_ms in all (then a
 * temperror).  A DNS failure is a temperror.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "dns.h"
#include "params.h"
#include "spf.h"
#include "spf_int.h"
#include "util.h"

static int spf_host(struct spf_eval *, const char *, const char *, int);

/* spf_request_init - a request with RFC 7208's limits, no client yet */
void
spf_request_init(struct spf_request *q)
{
	memset(q, 0, sizeof(*q));
	q->family = AF_INET;
	q->sender = "";
	q->lookup_limit = SPF_LOOKUP_LIMIT;
	q->void_limit = SPF_VOID_LIMIT;
	q->mx_limit = SPF_MX_LIMIT;
	q->ptr_limit = SPF_PTR_LIMIT;
	q->time_ms = SPF_TIME_MS;
}

/* spf_request_conf - the limits from the parameters (after conf_load) */
void
spf_request_conf(struct spf_request *q)
{
	q->lookup_limit = (long)var_spf_lookup_limit;
	q->void_limit = (long)var_spf_void_lookup_limit;
	q->mx_limit = (long)var_spf_mx_host_limit;
	q->ptr_limit = (long)var_spf_ptr_name_limit;
	q->time_ms = (long)var_spf_time_limit * 1000;
}

/* spf_request_addr - the client's address from text; 0, or -1 if bad */
int
spf_request_addr(struct spf_request *q, const char *text)
{
	if (inet_pton(AF_INET, text, q->addr) == 1) {
		q->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, q->addr) == 1) {
		q->family = AF_INET6;
		return 0;
	}
	return -1;
}

/* spf_request_sockaddr - the client's address from smtpd's peer; 0, or -1 */
int
spf_request_sockaddr(struct spf_request *q, const struct sockaddr *sa)
{
	memset(q->addr, 0, sizeof(q->addr));
	if (sa->sa_family == AF_INET) {
		memcpy(q->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(q->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    16);
	} else {
		return -1;
	}
	q->family = sa->sa_family;
	return 0;
}

/* spf_result_str - a result's name, as RFC 8601 writes it */
const char *
spf_result_str(int result)
{
	static const char *const names[] = { "none", "neutral", "pass",
	    "fail", "softfail", "temperror", "permerror" };

	if (result < 0 || result > SPF_PERMERROR)
		return "permerror";
	return names[result];
}

/* spf_sockaddr - the client as a socket address (for its reverse name) */
void
spf_sockaddr(const struct spf_eval *e, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (e->family == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, e->addr, 4);
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, e->addr, 16);
	}
}

/*
 * spf_domain_ok - whether a domain can be checked (4.3): labels of 1 to
 * 63 octets, 253 in all, at least two
 */
static int
spf_domain_ok(const char *d)
{
	size_t len = strlen(d), label = 0, labels = 1, i;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (d[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			labels++;
		} else if (++label > 63) {
			return 0;
		}
	}
	return label > 0 && labels >= 2;
}

/* spf_is_record - whether a TXT string is an SPF record (4.5) */
static int
spf_is_record(const char *text)
{
	return strncasecmp(text, "v=spf1", 6) == 0 &&
	    (text[6] == ' ' || text[6] == '\0');
}

/*
 * spf_fetch - the domain's SPF record into *text (to free); SPF_NONE
 * with *text set, or the result that ends check_host() here
 */
static int
spf_fetch(struct spf_eval *e, const char *domain, char **text)
{
	struct dns_result *r;
	int status, result = SPF_NONE;
	size_t i, n = 0, len = 0;

	*text = NULL;
	status = spf_query(e, DNS_T_TXT, domain, &r);
	if (status == DNS_TEMPFAIL) {
		buf_setf(e->why, "TXT lookup of %s failed: %s", domain,
		    r->why ? r->why : "temporary failure");
		result = SPF_TEMPERROR;
	} else if (status == DNS_OK) {
		for (i = 0; i < r->nrr; i++) {
			if (r->rr[i].text == NULL ||
			    !spf_is_record(r->rr[i].text))
				continue;
			if (n++ == 0) {
				*text = xstrdup(r->rr[i].text);
				len = r->rr[i].len;
			}
		}
		if (n > 1) {
			buf_setf(e->why, "%s has %zu SPF records", domain, n);
			result = SPF_PERMERROR;
		} else if (n == 1 && strlen(*text) != len) {
			buf_setf(e->why, "%s's SPF record holds a NUL", domain);
			result = SPF_PERMERROR;
		}
	}
	if (result != SPF_NONE || n != 1) {
		free(*text);
		*text = NULL;
	}
	if (result == SPF_NONE && n == 0)
		buf_setf(e->why, "%s has no SPF record", domain);
	dns_result_free(&r);
	return result;
}

/* spf_counted - one more DNS-asking term: 0, or -1 past the limit */
static int
spf_counted(struct spf_eval *e, const struct spf_term *t)
{
	if (++e->lookups <= e->req->lookup_limit)
		return 0;
	buf_setf(e->why, "more than %ld DNS-asking terms (at %.80s)",
	    e->req->lookup_limit, t->text);
	return -1;
}

/* spf_include - include:, check_host() of its target; an SPF_M_ value */
static int
spf_include(struct spf_eval *e, const char *target, const char *sender)
{
	switch (spf_host(e, target, sender, 0)) {
	case SPF_PASS:
		return SPF_M_MATCH;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		return SPF_M_NOMATCH;
	case SPF_TEMPERROR:
		return SPF_M_TEMP;
	case SPF_NONE:
		buf_setf(e->why, "included %s has no SPF record", target);
		return SPF_M_PERM;
	}
	return SPF_M_PERM;
}

/* spf_term_eval - whether one mechanism matches; an SPF_M_ value */
static int
spf_term_eval(struct spf_eval *e, const struct spf_scope *s,
    const struct spf_term *t, struct buf *name)
{
	switch (t->kind) {
	case SPF_T_ALL:
		return SPF_M_MATCH;
	case SPF_T_IP4:
	case SPF_T_IP6:
		if ((t->kind == SPF_T_IP4) != (e->family == AF_INET))
			return SPF_M_NOMATCH;
		return addr_prefix_eq(t->ip, e->addr,
		    e->family == AF_INET ? t->cidr4 : t->cidr6);
	case SPF_T_REDIRECT:
	case SPF_T_EXP:
	case SPF_T_OTHER:
		return SPF_M_NOMATCH;
	}
	if (spf_counted(e, t) < 0 || spf_target(e, s, t->arg, name) < 0)
		return SPF_M_PERM;
	switch (t->kind) {
	case SPF_T_INCLUDE:
		return spf_include(e, buf_str(name), s->sender);
	case SPF_T_A:
		return spf_mech_a(e, buf_str(name), t->cidr4, t->cidr6);
	case SPF_T_MX:
		return spf_mech_mx(e, buf_str(name), t->cidr4, t->cidr6);
	case SPF_T_PTR:
		return spf_mech_ptr(e, buf_str(name));
	default:
		return spf_mech_exists(e, buf_str(name));
	}
}

/*
 * spf_record_eval - a parsed record's terms in order; with nothing
 * matched, redirect= or neutral (4.7)
 */
static int
spf_record_eval(struct spf_eval *e, const struct spf_scope *s,
    const struct spf_record *rec, int want_exp)
{
	struct buf *name = buf_new(128, 4096);
	const struct spf_term *t;
	size_t i;
	int m, result = SPF_NEUTRAL;

	for (i = 0; i < rec->nterm; i++) {
		t = &rec->term[i];
		m = spf_term_eval(e, s, t, name);
		if (m == SPF_M_NOMATCH)
			continue;
		if (m == SPF_M_MATCH) {
			buf_setf(e->why, "%s matched in the record of %s",
			    t->text, s->domain);
			result = t->qual;
		} else {
			result = m == SPF_M_TEMP ? SPF_TEMPERROR :
			    SPF_PERMERROR;
		}
		if (result == SPF_FAIL && want_exp && rec->exp >= 0)
			spf_explain(e, s, rec->term[rec->exp].arg);
		buf_free(&name);
		return result;
	}
	if (rec->redirect >= 0) {
		t = &rec->term[rec->redirect];
		if (spf_counted(e, t) < 0 || spf_target(e, s, t->arg,
		    name) < 0)
			result = SPF_PERMERROR;
		else if ((result = spf_host(e, buf_str(name), s->sender,
		    want_exp)) == SPF_NONE) {
			buf_setf(e->why, "redirect to %s, which has no SPF "
			    "record", buf_str(name));
			result = SPF_PERMERROR;
		}
	} else {
		buf_setf(e->why, "no term of %s's record matched", s->domain);
	}
	buf_free(&name);
	return result;
}

/*
 * spf_host - check_host(<ip>, domain, sender): the record found, parsed
 * and evaluated (want_exp: a fail looks its exp= up)
 */
static int
spf_host(struct spf_eval *e, const char *domain, const char *sender,
    int want_exp)
{
	struct spf_scope s;
	struct spf_record rec;
	struct buf *full;
	char *text, *local, *at, *reason;
	int result;

	if (!spf_domain_ok(domain)) {
		buf_setf(e->why, "%.300s is not a domain to check", domain);
		return SPF_NONE;
	}
	if ((result = spf_fetch(e, domain, &text)) != SPF_NONE)
		return result;
	if (text == NULL)
		return SPF_NONE;
	if (spf_record_parse(text + 6, &rec, e->why) < 0) {
		reason = xstrdup(buf_str(e->why));
		buf_setf(e->why, "the record of %s: %s", domain, reason);
		free(reason);
		spf_record_free(&rec);
		free(text);
		return SPF_PERMERROR;
	}
	/* 4.3: a sender without a local part is postmaster@ its domain. */
	at = strrchr(sender, '@');
	local = at != NULL && at > sender ? xstrndup(sender,
	    (size_t)(at - sender)) : xstrdup("postmaster");
	full = buf_new(128, 0);
	buf_setf(full, "%s@%s", local, at != NULL ? at + 1 : sender);
	s.sender = buf_str(full);
	s.local = local;
	s.sdomain = at != NULL ? at + 1 : sender;
	s.domain = domain;
	result = spf_record_eval(e, &s, &rec, want_exp);
	buf_free(&full);
	free(local);
	spf_record_free(&rec);
	free(text);
	return result;
}

/* spf_answer_set - the answer's fields from an evaluation */
static void
spf_answer_set(struct spf_answer *a, struct spf_eval *e, int result)
{
	a->result = result;
	a->why = xstrdup(buf_str(e->why));
	a->exp = result == SPF_FAIL && buf_len(e->exp) > 0 ?
	    xstrdup(buf_str(e->exp)) : NULL;
	a->lookups = e->lookups;
	a->voids = e->voids;
}

/*
 * spf_check_host - check_host(<ip>, domain, sender) with the request's
 * client, limits and resolver; the result, also in *a (to free)
 */
int
spf_check_host(const struct spf_request *q, const char *domain,
    const char *sender, struct spf_answer *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	struct spf_eval e;
	char *d;
	int result;

	memset(a, 0, sizeof(*a));
	memset(&e, 0, sizeof(e));
	e.req = q;
	e.family = q->family;
	memcpy(e.addr, q->addr, sizeof(e.addr));
	if (e.family == AF_INET6 && memcmp(e.addr, mapped, 12) == 0) {
		e.family = AF_INET;	/* ::ffff:192.0.2.3 is 192.0.2.3 */
		memmove(e.addr, e.addr + 12, 4);
		memset(e.addr + 4, 0, 12);
	}
	e.deadline = now_ms() + (q->time_ms > 0 ? q->time_ms : 1);
	e.why = buf_new(128, 1024);
	e.exp = buf_new(128, 4096);
	d = lowercase(xstrdup(domain));
	if (*d != '\0' && d[strlen(d) - 1] == '.')
		d[strlen(d) - 1] = '\0';
	result = spf_host(&e, d, sender, 1);
	spf_answer_set(a, &e, result);
	a->domain = d;
	if (a->identity == NULL)
		a->identity = xstrdup(sender);
	free(e.pname);
	buf_free(&e.why);
	buf_free(&e.exp);
	return result;
}

/*
 * spf_check_mailfrom - the MAIL FROM identity (2.4): the sender's domain,
 * or postmaster@HELO for the null sender
 */
int
spf_check_mailfrom(const struct spf_request *q, struct spf_answer *a)
{
	const char *at = strrchr(q->sender, '@');
	struct buf *s = buf_new(128, 0);
	int result;

	if (*q->sender == '\0' || at == NULL)
		buf_setf(s, "postmaster@%s", q->helo ? q->helo : "");
	else
		buf_set(s, q->sender);
	at = strrchr(buf_str(s), '@');
	result = spf_check_host(q, at + 1, buf_str(s), a);
	free(a->identity);
	a->identity = buf_steal(&s);
	return result;
}

/* spf_check_helo - the HELO identity (2.3): postmaster@HELO */
int
spf_check_helo(const struct spf_request *q, struct spf_answer *a)
{
	struct buf *s = buf_new(128, 0);
	const char *helo = q->helo ? q->helo : "";
	int result;

	buf_setf(s, "postmaster@%s", helo);
	result = spf_check_host(q, helo, buf_str(s), a);
	free(a->identity);
	a->identity = xstrdup(helo);
	a->helo = 1;
	buf_free(&s);
	return result;
}

/* spf_answer_free - an answer's strings */
void
spf_answer_free(struct spf_answer *a)
{
	free(a->identity);
	free(a->domain);
	free(a->why);
	free(a->exp);
	memset(a, 0, sizeof(*a));
}
