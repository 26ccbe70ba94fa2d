/*
 * dns - every DNS lookup of the suite goes through here: c-ares queries
 * (never the C library's blocking resolver), driven by lib/event.c for
 * programs with an event loop, or by poll(2) with a time limit for
 * those without (dns_lookup_wait; smtpd is one session per process).
 *
 * One c-ares channel per process, opened by dns_init (smtpd: before its
 * chroot, where /dev/urandom, c-ares' seed of query ids, is missing) or
 * at the first lookup, with the parameters in force: dns_servers (none:
 * /etc/resolv.conf, read at that moment), dns_timeout, dns_tries.  dns_reset() closes it and empties the
 * cache, so that the next lookup after a reload uses the new parameters.
 * A broken dns_servers never falls back to /etc/resolv.conf: lookups
 * then fail temporarily (mail is deferred) and the reason is logged.
 *
 * Answers are distrusted: c-ares checks that an answer matches its
 * question and parses the records (ares_parse_*_reply, which follow
 * CNAME chains); the TTLs and the SOA of a negative answer come from a
 * bounds-checked walk of the packet here.  Names from answers are not
 * checked here: a caller checks them (dns_name_check) before it uses
 * them, as dns_mx.c and smtpd_peer.c do.
 *
 * Every query is sent with the AD bit set (RFC 6840 5.7), so that a
 * validating resolver says in its answer whether it validated it; that
 * bit is dns_result.secure, and it is all the DNSSEC there is here: the
 * resolver validates, and DANE (smtp) trusts it only as far as the admin
 * trusts dns_servers.
 *
 * /etc/hosts is read only on request (dns_hosts_name, dns_hosts_addr),
 * for the client name that smtpd logs, as the C library's "files dns"
 * did; routing mail by MX asks DNS only.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/nameser.h>

#include <ares.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dns.h"
#include "event.h"
#include "msg.h"
#include "params.h"
#include "util.h"

/* A lookup in progress. */
struct dns_query {
	int		 type;
	char		*name;		/* checked, lower case */
	dns_fn		 fn;		/* NULL: cancelled */
	void		*ctx;
	int		 starting;	/* inside ares_query: keep the answer */
	struct dns_result *ready;	/* an answer to hand over */
};

static ares_channel dns_channel;
static int dns_open_done;		/* the channel is open */
static char *dns_broken;		/* why dns_servers cannot be used */
static int dns_evmode;			/* sockets are watched by event.c */
static int dns_pending;			/* queries c-ares still holds */
static int dns_dropping;		/* dns_forked: answer nobody */

static void	 dns_event(int, int, void *);
static void	 dns_timer_set(void);

/* dns_status_str - a status in words */
const char *
dns_status_str(int status)
{
	switch (status) {
	case DNS_OK:
		return "ok";
	case DNS_NOTFOUND:
		return "not found";
	case DNS_NODATA:
		return "no data";
	case DNS_TEMPFAIL:
		return "temporary failure";
	case DNS_BADNAME:
		return "bad name";
	case DNS_NULLMX:
		return "null MX";
	}
	return "unknown status";
}

/* dns_type_str - a record type's name */
const char *
dns_type_str(int type)
{
	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_PTR:
		return "PTR";
	case DNS_T_MX:
		return "MX";
	case DNS_T_TXT:
		return "TXT";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_TLSA:
		return "TLSA";
	}
	return "?";
}

/* dns_result_new - an answer without records */
struct dns_result *
dns_result_new(int type, const char *name, int status, const char *why)
{
	struct dns_result *r = xcalloc(1, sizeof(*r));

	r->type = type;
	r->name = xstrdup(name);
	r->status = status;
	r->why = why != NULL ? xstrdup(why) : NULL;
	return r;
}

/* dns_rr_add - a new, zeroed record at the end of r's */
static struct dns_rr *
dns_rr_add(struct dns_result *r)
{
	struct dns_rr *rr;

	r->rr = xrealloc(r->rr, (r->nrr + 1) * sizeof(*r->rr));
	rr = &r->rr[r->nrr++];
	memset(rr, 0, sizeof(*rr));
	rr->type = r->type;
	return rr;
}

/* dns_result_copy - a deep copy */
struct dns_result *
dns_result_copy(const struct dns_result *r)
{
	struct dns_result *c = dns_result_new(r->type, r->name, r->status,
	    r->why);
	struct dns_rr *rr;
	size_t i;

	c->ttl = r->ttl;
	c->secure = r->secure;
	for (i = 0; i < r->nrr; i++) {
		rr = dns_rr_add(c);
		*rr = r->rr[i];
		rr->name = r->rr[i].name ? xstrdup(r->rr[i].name) : NULL;
		if (r->rr[i].text != NULL) {
			rr->text = xmalloc(r->rr[i].len + 1);
			memcpy(rr->text, r->rr[i].text, r->rr[i].len + 1);
		}
	}
	return c;
}

/* dns_result_free - free an answer and clear the pointer */
void
dns_result_free(struct dns_result **rp)
{
	struct dns_result *r = *rp;
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrr; i++) {
		free(r->rr[i].name);
		free(r->rr[i].text);
	}
	free(r->rr);
	free(r->name);
	free(r->why);
	free(r);
	*rp = NULL;
}

/* dns_sock_state - c-ares opened, closed or changed a socket */
static void
dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	int mask = (readable ? EVENT_READ : 0) | (writable ? EVENT_WRITE : 0);

	if (!dns_evmode)
		return;
	if (mask == 0)
		event_del(fd);
	else if (event_mod(fd, mask) < 0 &&
	    event_add(fd, mask, dns_event, NULL) < 0)
		msg_warn("dns: cannot watch socket %d: %m", fd);
}

/* dns_tick - c-ares' time: retries and timeouts */
static void
dns_tick(void *ctx)
{
	if (!dns_open_done)
		return;
	ares_process_fd(dns_channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_timer_set();
}

/* dns_timer_set - wake event.c when c-ares next needs the time */
static void
dns_timer_set(void)
{
	struct timeval tv, *tvp;

	if (!dns_evmode)
		return;
	if (dns_pending == 0 || !dns_open_done) {
		event_timer_cancel(dns_tick, NULL);
		return;
	}
	tvp = ares_timeout(dns_channel, NULL, &tv);
	event_timer(tvp != NULL ? tvp->tv_sec * 1000 +
	    (tvp->tv_usec + 999) / 1000 : 1000, dns_tick, NULL);
}

/* dns_event - a c-ares socket is ready */
static void
dns_event(int fd, int mask, void *ctx)
{
	if (!dns_open_done)
		return;
	ares_process_fd(dns_channel,
	    (mask & (EVENT_READ | EVENT_ERROR)) ? fd : ARES_SOCKET_BAD,
	    (mask & EVENT_WRITE) ? fd : ARES_SOCKET_BAD);
	dns_timer_set();
}

/* dns_evmode_on - from now on event.c watches the sockets */
void
dns_evmode_on(void)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	int bits, i, mask;

	if (dns_evmode)
		return;
	dns_evmode = 1;
	if (!dns_open_done)
		return;
	bits = ares_getsock(dns_channel, socks, ARES_GETSOCK_MAXNUM);
	for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		mask = (ARES_GETSOCK_READABLE(bits, i) ? EVENT_READ : 0) |
		    (ARES_GETSOCK_WRITABLE(bits, i) ? EVENT_WRITE : 0);
		if (mask != 0)
			dns_sock_state(NULL, socks[i], mask & EVENT_READ,
			    mask & EVENT_WRITE);
	}
}

/* dns_servers_set - dns_servers into the channel; -1 and why if bad */
static int
dns_servers_set(struct buf *why)
{
	struct ares_addr_port_node *list;
	struct dns_server *srv;
	size_t n, i;
	int rc;

	if (dns_servers_parse(var_dns_servers, &srv, &n, why) < 0)
		return -1;
	if (n == 0)
		return 0;			/* /etc/resolv.conf's */
	list = xcalloc(n, sizeof(*list));
	for (i = 0; i < n; i++) {
		list[i].next = i + 1 < n ? &list[i + 1] : NULL;
		list[i].family = srv[i].family;
		memcpy(&list[i].addr, srv[i].addr, srv[i].family == AF_INET ?
		    4 : 16);
		list[i].udp_port = list[i].tcp_port = (int)srv[i].port;
	}
	rc = ares_set_servers_ports(dns_channel, list);
	free(list);
	free(srv);
	if (rc != ARES_SUCCESS) {
		buf_setf(why, "dns_servers: %s", ares_strerror(rc));
		return -1;
	}
	return 0;
}

/*
 * dns_open - the channel, with the parameters in force; the hosts file
 * only ("f") for ares_gethostbyaddr, which then answers at once.  0, or
 * -1 when c-ares cannot start (logged; the next lookup tries again).
 */
static int
dns_open(void)
{
	struct ares_options o;
	struct buf *why;
	int rc, mask;

	if (dns_open_done)
		return 0;
	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		msg_warn("c-ares: %s", ares_strerror(rc));
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.timeout = (int)var_dns_timeout * 1000;
	o.tries = (int)var_dns_tries;
	o.sock_state_cb = dns_sock_state;
	o.lookups = "f";
	mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB |
	    ARES_OPT_LOOKUPS;
	if ((rc = ares_init_options(&dns_channel, &o, mask)) != ARES_SUCCESS) {
		msg_warn("c-ares: %s", ares_strerror(rc));
		return -1;
	}
	dns_open_done = 1;
	why = buf_new(128, 1024);
	if (dns_servers_set(why) < 0) {
		msg_warn("%s: every DNS lookup fails", buf_str(why));
		dns_broken = buf_steal(&why);
	}
	buf_free(&why);
	return 0;
}

/*
 * dns_init - open the channel now, before a chroot: c-ares seeds its
 * query ids from /dev/urandom, which a jail has not (it falls back to
 * rand()).  0, or -1 (logged) when c-ares cannot start.
 */
int
dns_init(void)
{
	return dns_open();
}

/*
 * dns_reset - close the channel, forget every answer (after a reload).
 * Lookups in flight are answered DNS_TEMPFAIL from inside; one that a
 * callback starts then opens a new channel.
 */
void
dns_reset(void)
{
	ares_channel old = dns_channel;

	dns_cache_flush();
	if (!dns_open_done)
		return;
	dns_open_done = 0;
	free(dns_broken);
	dns_broken = NULL;
	if (dns_evmode)
		event_timer_cancel(dns_tick, NULL);
	ares_destroy(old);
}

/*
 * dns_forked - in a child forked from a process whose channel is open
 * (the smtp agent's workers): its sockets and event loop are the
 * parent's, so the child forgets them, answering none of the parent's
 * queries, and opens its own channel at its first (blocking) lookup.
 */
void
dns_forked(void)
{
	dns_evmode = 0;
	if (dns_open_done) {
		dns_dropping = 1;
		ares_destroy(dns_channel);
		dns_dropping = 0;
		dns_open_done = 0;
	}
	dns_pending = 0;
}

/* dns_get32 - a 32-bit number in network order */
static unsigned
dns_get32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 |
	    (unsigned)p[2] << 8 | p[3];
}

/* dns_skip_name - past a (maybe compressed) name; NULL if malformed */
static const unsigned char *
dns_skip_name(const unsigned char *p, const unsigned char *end)
{
	while (p < end) {
		if (*p == 0)
			return p + 1;
		if ((*p & 0xc0) == 0xc0)
			return end - p >= 2 ? p + 2 : NULL;
		if (*p & 0xc0)
			return NULL;
		p += 1 + *p;
	}
	return NULL;
}

/*
 * dns_packet_ttls - the least TTL of the answer section (*ttl; UINT_MAX
 * when it is empty) and a negative answer's TTL from the authority
 * section's SOA (*neg: the lesser of its TTL and MINIMUM, RFC 2308; 0
 * without one).  A TTL over 2^31-1 counts as 0 (RFC 2181 8).  -1 on a
 * malformed packet.
 */
static int
dns_packet_ttls(const unsigned char *buf, int len, unsigned *ttl,
    unsigned *neg)
{
	const unsigned char *p = buf + HFIXEDSZ, *end = buf + len;
	unsigned qd, an, ns, i, type, rdlen, t, min;

	*ttl = UINT_MAX;
	*neg = 0;
	if (buf == NULL || len < HFIXEDSZ)
		return -1;
	qd = buf[4] << 8 | buf[5];
	an = buf[6] << 8 | buf[7];
	ns = buf[8] << 8 | buf[9];
	for (i = 0; i < qd; i++) {
		if ((p = dns_skip_name(p, end)) == NULL || end - p < QFIXEDSZ)
			return -1;
		p += QFIXEDSZ;
	}
	for (i = 0; i < an + ns; i++) {
		if ((p = dns_skip_name(p, end)) == NULL || end - p < RRFIXEDSZ)
			return -1;
		type = p[0] << 8 | p[1];
		t = dns_get32(p + 4);
		rdlen = p[8] << 8 | p[9];
		p += RRFIXEDSZ;
		if ((unsigned)(end - p) < rdlen)
			return -1;
		if (t > INT_MAX)
			t = 0;
		if (i < an) {
			if (t < *ttl)
				*ttl = t;
		} else if (type == T_SOA && rdlen >= 22) {
			min = dns_get32(p + rdlen - 4);
			*neg = t < min ? t : min;
		}
		p += rdlen;
	}
	return 0;
}

/* dns_parse_addr - A or AAAA records */
static int
dns_parse_addr(struct dns_result *r, const unsigned char *abuf, int alen)
{
	struct hostent *h = NULL;
	struct dns_rr *rr;
	int rc, i, want = r->type == DNS_T_A ? 4 : 16;

	rc = r->type == DNS_T_A ? ares_parse_a_reply(abuf, alen, &h, NULL,
	    NULL) : ares_parse_aaaa_reply(abuf, alen, &h, NULL, NULL);
	if (rc != ARES_SUCCESS)
		return rc;
	for (i = 0; h->h_length == want && h->h_addr_list[i] != NULL; i++) {
		rr = dns_rr_add(r);
		rr->family = want == 4 ? AF_INET : AF_INET6;
		memcpy(rr->addr, h->h_addr_list[i], want);
	}
	ares_free_hostent(h);
	return r->nrr > 0 ? ARES_SUCCESS : ARES_ENODATA;
}

/* dns_parse_mx - MX records ("" for the root: a null MX) */
static int
dns_parse_mx(struct dns_result *r, const unsigned char *abuf, int alen)
{
	struct ares_mx_reply *mx = NULL, *m;
	struct dns_rr *rr;
	int rc;

	if ((rc = ares_parse_mx_reply(abuf, alen, &mx)) != ARES_SUCCESS)
		return rc;
	for (m = mx; m != NULL; m = m->next) {
		rr = dns_rr_add(r);
		rr->pref = m->priority;
		rr->name = xstrdup(strcmp(m->host, ".") == 0 ? "" : m->host);
	}
	ares_free_data(mx);
	return r->nrr > 0 ? ARES_SUCCESS : ARES_ENODATA;
}

/* dns_parse_txt - TXT records, each one's strings joined */
static int
dns_parse_txt(struct dns_result *r, const unsigned char *abuf, int alen)
{
	struct ares_txt_ext *txt = NULL, *t;
	struct dns_rr *rr = NULL;
	int rc;

	if ((rc = ares_parse_txt_reply_ext(abuf, alen, &txt)) != ARES_SUCCESS)
		return rc;
	for (t = txt; t != NULL; t = t->next) {
		if (t->record_start || rr == NULL) {
			rr = dns_rr_add(r);
			rr->text = xstrdup("");
		}
		rr->text = xrealloc(rr->text, rr->len + t->length + 1);
		memcpy(rr->text + rr->len, t->txt, t->length);
		rr->len += t->length;
		rr->text[rr->len] = '\0';
	}
	ares_free_data(txt);
	return r->nrr > 0 ? ARES_SUCCESS : ARES_ENODATA;
}

/* dns_parse_ptr - PTR records (c-ares gives every target as an alias) */
static int
dns_parse_ptr(struct dns_result *r, const unsigned char *abuf, int alen)
{
	static const unsigned char any[4];
	struct hostent *h = NULL;
	char **a;
	int rc;

	if ((rc = ares_parse_ptr_reply(abuf, alen, any, sizeof(any), AF_INET,
	    &h)) != ARES_SUCCESS)
		return rc;
	for (a = h->h_aliases; a != NULL && *a != NULL; a++)
		dns_rr_add(r)->name = xstrdup(*a);
	if (r->nrr == 0 && h->h_name != NULL)
		dns_rr_add(r)->name = xstrdup(h->h_name);
	ares_free_hostent(h);
	return r->nrr > 0 ? ARES_SUCCESS : ARES_ENODATA;
}

/*
 * dns_parse_tlsa - TLSA records (RFC 6698 2.1): usage, selector,
 * matching type, then the data; c-ares has no parser for them, so the
 * answer section is walked here with every length checked.
 */
static int
dns_parse_tlsa(struct dns_result *r, const unsigned char *abuf, int alen)
{
	const unsigned char *p = abuf + HFIXEDSZ, *end = abuf + alen;
	unsigned qd = abuf[4] << 8 | abuf[5], an = abuf[6] << 8 | abuf[7];
	unsigned i, type, rdlen;
	struct dns_rr *rr;

	for (i = 0; i < qd; i++) {
		if ((p = dns_skip_name(p, end)) == NULL || end - p < QFIXEDSZ)
			return ARES_EBADRESP;
		p += QFIXEDSZ;
	}
	for (i = 0; i < an; i++) {
		if ((p = dns_skip_name(p, end)) == NULL || end - p < RRFIXEDSZ)
			return ARES_EBADRESP;
		type = p[0] << 8 | p[1];
		rdlen = p[8] << 8 | p[9];
		p += RRFIXEDSZ;
		if ((unsigned)(end - p) < rdlen)
			return ARES_EBADRESP;
		/* CNAMEs on the way are skipped; a TLSA needs 3 + 1 bytes. */
		if (type == DNS_T_TLSA && rdlen > 3 && r->nrr < DNS_TLSA_MAX) {
			rr = dns_rr_add(r);
			rr->usage = p[0];
			rr->selector = p[1];
			rr->mtype = p[2];
			rr->len = rdlen - 3;
			rr->text = xmalloc(rr->len + 1);
			memcpy(rr->text, p + 3, rr->len);
			rr->text[rr->len] = '\0';
		}
		p += rdlen;
	}
	return r->nrr > 0 ? ARES_SUCCESS : ARES_ENODATA;
}

/* dns_parse_rr - the records of an answer, by type */
static int
dns_parse_rr(struct dns_result *r, const unsigned char *abuf, int alen)
{
	switch (r->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		return dns_parse_addr(r, abuf, alen);
	case DNS_T_MX:
		return dns_parse_mx(r, abuf, alen);
	case DNS_T_TXT:
		return dns_parse_txt(r, abuf, alen);
	case DNS_T_PTR:
		return dns_parse_ptr(r, abuf, alen);
	case DNS_T_TLSA:
		return dns_parse_tlsa(r, abuf, alen);
	}
	return ARES_ENOTIMP;
}

/* dns_cap - a TTL no longer than a parameter's limit */
static unsigned
dns_cap(unsigned ttl, long long max)
{
	return (long long)ttl > max ? (unsigned)max : ttl;
}

/*
 * dns_parse_answer - what an answer means: c-ares' status for it
 * (ARES_SUCCESS, ARES_ENOTFOUND, ...) and the packet (NULL if none).
 */
struct dns_result *
dns_parse_answer(int type, const char *name, int status,
    const unsigned char *abuf, int alen)
{
	struct dns_result *r = dns_result_new(type, name, DNS_TEMPFAIL, NULL);
	struct buf *why = buf_new(128, 1024);
	unsigned ttl = 0, neg = 0;
	int rc;

	if (status == ARES_ENOTFOUND)
		r->status = DNS_NOTFOUND;
	else if (status == ARES_ENODATA)
		r->status = DNS_NODATA;
	else if (status == ARES_EBADNAME)
		r->status = DNS_BADNAME;
	else if (status == ARES_SUCCESS)
		r->status = DNS_OK;
	if (r->status == DNS_OK || r->status == DNS_NOTFOUND ||
	    r->status == DNS_NODATA) {
		if (abuf == NULL || dns_packet_ttls(abuf, alen, &ttl, &neg) < 0)
			r->status = DNS_TEMPFAIL, status = ARES_EBADRESP;
		else if (r->status == DNS_OK &&
		    (rc = dns_parse_rr(r, abuf, alen)) != ARES_SUCCESS) {
			r->status = rc == ARES_ENODATA ? DNS_NODATA :
			    DNS_TEMPFAIL;
			status = rc;
		}
	}
	/* The AD bit: a validating resolver vouches for the answer. */
	r->secure = r->status != DNS_TEMPFAIL && abuf != NULL &&
	    alen > 3 && (abuf[3] & 0x20) != 0;
	if (r->status == DNS_OK)
		r->ttl = dns_cap(ttl, var_dns_cache_max_ttl);
	else if (r->status == DNS_NOTFOUND || r->status == DNS_NODATA)
		r->ttl = dns_cap(neg, var_dns_cache_negative_max_ttl);
	if (r->status != DNS_OK) {
		buf_setf(why, "%s %s: %s", name, dns_type_str(type),
		    r->status == DNS_NOTFOUND ? "host not found (NXDOMAIN)" :
		    r->status == DNS_NODATA ? "no such record" :
		    ares_strerror(status));
		r->why = buf_steal(&why);
	}
	buf_free(&why);
	return r;
}

/* dns_query_free - a finished or cancelled query */
static void
dns_query_free(struct dns_query *q)
{
	dns_result_free(&q->ready);
	free(q->name);
	free(q);
}

/* dns_query_ready - hand a kept answer over, from event.c's timer */
static void
dns_query_ready(void *ctx)
{
	struct dns_query *q = ctx;
	struct dns_result *r = q->ready;

	q->ready = NULL;
	q->fn(r, q->ctx);
	dns_query_free(q);
}

/* dns_answer - c-ares is done with a query */
static void
dns_answer(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct dns_query *q = arg;
	struct dns_result *r;

	dns_pending--;
	if (dns_dropping) {
		/* The parent's query, in a child: not ours to answer. */
		dns_query_free(q);
		return;
	}
	r = dns_parse_answer(q->type, q->name, status, abuf, alen);
	dns_cache_put(r);
	if (q->starting) {
		q->ready = r;			/* dns_query_start hands it */
		return;
	}
	if (q->fn != NULL)
		q->fn(r, q->ctx);
	else
		dns_result_free(&r);
	dns_query_free(q);
}

/*
 * dns_sent - c-ares has an answer to dns_send's query: its RCODE in
 * c-ares' words, as ares_query would say it
 */
static void
dns_sent(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	if (status == ARES_SUCCESS && (abuf == NULL || alen < HFIXEDSZ))
		status = ARES_EBADRESP;
	else if (status == ARES_SUCCESS) {
		switch (abuf[3] & 0x0f) {
		case NOERROR:
			if ((abuf[6] << 8 | abuf[7]) == 0)
				status = ARES_ENODATA;
			break;
		case FORMERR:
			status = ARES_EFORMERR;
			break;
		case SERVFAIL:
			status = ARES_ESERVFAIL;
			break;
		case NXDOMAIN:
			status = ARES_ENOTFOUND;
			break;
		case NOTIMP:
			status = ARES_ENOTIMP;
			break;
		default:
			status = ARES_EREFUSED;
			break;
		}
	}
	dns_answer(arg, status, timeouts, abuf, alen);
}

/*
 * dns_send - a query with the AD bit set (RFC 6840 5.7: a validating
 * resolver then says in its answer's AD bit whether it validated it);
 * ares_query cannot set it, so the packet is made here
 */
static void
dns_send(struct dns_query *q)
{
	unsigned char *pkt = NULL;
	int len, rc;

	if ((rc = ares_create_query(q->name, C_IN, q->type, 0, 1, &pkt, &len,
	    0)) != ARES_SUCCESS) {
		dns_answer(q, rc, 0, NULL, 0);
		return;
	}
	pkt[3] |= 0x20;
	ares_send(dns_channel, pkt, len, dns_sent, q);
	ares_free_string(pkt);
}

/*
 * dns_query_start - start a lookup whose answer goes to fn(ctx): from
 * the cache, the servers of dns_servers, or at once for a bad name.  A
 * blocking (sync) query answered at once is answered inside this call,
 * and NULL returned; any other one is answered later: by dns_drive when
 * sync, else from event.c.
 */
struct dns_query *
dns_query_start(int type, const char *name, int sync, dns_fn fn, void *ctx)
{
	struct dns_query *q = xcalloc(1, sizeof(*q));
	struct buf *clean = buf_new(256, 1024);

	if (dns_type_str(type)[0] == '?')
		msg_panic("%s: type %d", __func__, type);
	q->type = type;
	q->fn = fn;
	q->ctx = ctx;
	if (dns_name_check(name, clean) < 0) {
		q->name = xstrdup(name);
		q->ready = dns_result_new(type, name, DNS_BADNAME,
		    buf_str(clean));
	} else {
		q->name = buf_steal(&clean);
		if ((q->ready = dns_cache_get(type, q->name)) == NULL &&
		    (dns_open() < 0 || dns_broken != NULL))
			q->ready = dns_result_new(type, q->name, DNS_TEMPFAIL,
			    dns_broken ? dns_broken : "c-ares cannot start");
	}
	buf_free(&clean);
	if (q->ready == NULL) {
		q->starting = 1;
		dns_pending++;
		dns_send(q);
		q->starting = 0;
		dns_timer_set();
	}
	if (q->ready != NULL && sync) {
		dns_query_ready(q);
		return NULL;
	}
	if (q->ready != NULL)
		event_timer(0, dns_query_ready, q);
	return q;
}

/* dns_lookup - look a record type up; fn(result, ctx) from event.c */
struct dns_query *
dns_lookup(int type, const char *name, dns_fn fn, void *ctx)
{
	dns_evmode_on();
	return dns_query_start(type, name, 0, fn, ctx);
}

/* dns_cancel - forget a lookup: its callback will not be called */
void
dns_cancel(struct dns_query **qp)
{
	struct dns_query *q = *qp;

	if (q == NULL)
		return;
	*qp = NULL;
	if (q->ready != NULL) {
		event_timer_cancel(dns_query_ready, q);
		dns_query_free(q);
	} else
		q->fn = NULL;		/* dns_answer frees it */
}

/*
 * dns_drive - run c-ares by poll(2) until *answer is set or ms
 * milliseconds have passed (0; -1 on the time limit).  Asynchronous
 * lookups in flight may be answered meanwhile too.
 */
int
dns_drive(void *const *answer, long ms)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	long long deadline = now_ms() + ms, left;
	struct timeval max, tv, *tvp;
	int bits, i, n, wait;

	while (*answer == NULL) {
		if ((left = deadline - now_ms()) <= 0 || !dns_open_done)
			return -1;
		bits = ares_getsock(dns_channel, socks, ARES_GETSOCK_MAXNUM);
		for (i = n = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			if (!ARES_GETSOCK_READABLE(bits, i) &&
			    !ARES_GETSOCK_WRITABLE(bits, i))
				continue;
			pfd[n].fd = socks[i];
			pfd[n].events = (ARES_GETSOCK_READABLE(bits, i) ?
			    POLLIN : 0) | (ARES_GETSOCK_WRITABLE(bits, i) ?
			    POLLOUT : 0);
			pfd[n++].revents = 0;
		}
		max.tv_sec = left / 1000;
		max.tv_usec = (left % 1000) * 1000;
		tvp = ares_timeout(dns_channel, &max, &tv);
		wait = (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
		if (poll(pfd, n, wait) < 0 && errno != EINTR)
			msg_fatal("poll: %m");
		for (i = 0; i < n; i++)
			if (pfd[i].revents != 0)
				ares_process_fd(dns_channel,
				    (pfd[i].revents & (POLLIN | POLLERR |
				    POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
				    (pfd[i].revents & POLLOUT) ? pfd[i].fd :
				    ARES_SOCKET_BAD);
		ares_process_fd(dns_channel, ARES_SOCKET_BAD,
		    ARES_SOCKET_BAD);
	}
	dns_timer_set();
	return 0;
}

/* dns_wait_got - a blocking lookup's callback: keep the answer */
static void
dns_wait_got(struct dns_result *r, void *ctx)
{
	*(void **)ctx = r;
}

/*
 * dns_lookup_wait - look a record type up and wait at most ms for the
 * answer (a temporary failure past it); its status, and the answer in
 * *res for the caller to free.
 */
int
dns_lookup_wait(int type, const char *name, long ms, struct dns_result **res)
{
	struct dns_result *r;
	struct dns_query *q;
	void *answer = NULL;

	q = dns_query_start(type, name, 1, dns_wait_got, &answer);
	if (dns_drive(&answer, ms) < 0) {
		dns_cancel(&q);
		answer = dns_result_new(type, name, DNS_TEMPFAIL,
		    "lookup timed out");
	}
	*res = r = answer;
	return r->status;
}

/* What the hosts file said (ares_gethostbyaddr). */
struct dns_hosts {
	int		 answered;
	int		 found;
	struct buf	*out;
};

/* dns_hosts_got - the hosts file's answer */
static void
dns_hosts_got(void *arg, int status, int timeouts, struct hostent *h)
{
	struct dns_hosts *dh = arg;

	dh->answered = 1;
	if (status == ARES_SUCCESS && h != NULL && h->h_name != NULL) {
		buf_set(dh->out, h->h_name);
		dh->found = 1;
	}
}

/*
 * dns_hosts_name - the name /etc/hosts gives an address (its first
 * line's first name), in out; -1 when it has none.
 */
int
dns_hosts_name(const struct sockaddr *sa, struct buf *out)
{
	struct dns_hosts dh = { 0, 0, out };
	const void *addr;
	int len;

	if (sa->sa_family == AF_INET) {
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
		len = 4;
	} else if (sa->sa_family == AF_INET6) {
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		len = 16;
	} else
		return -1;
	if (dns_open() < 0)
		return -1;
	buf_reset(out);
	/* With lookups "f" c-ares reads the file and answers at once. */
	ares_gethostbyaddr(dns_channel, addr, len, sa->sa_family,
	    dns_hosts_got, &dh);
	if (!dh.answered)
		msg_panic("%s: c-ares answered later", __func__);
	return dh.found ? 0 : -1;
}

/*
 * dns_hosts_addr - the addresses /etc/hosts gives a name in one family
 * (AF_INET: A records, AF_INET6: AAAA), as an answer in *res; its status,
 * DNS_NOTFOUND when the file has none.
 */
int
dns_hosts_addr(const char *name, int family, struct dns_result **res)
{
	struct hostent *h = NULL;
	struct dns_result *r;
	struct dns_rr *rr;
	int i, len = family == AF_INET ? 4 : 16;

	r = dns_result_new(family == AF_INET ? DNS_T_A : DNS_T_AAAA, name,
	    DNS_NOTFOUND, "not in the hosts file");
	if (dns_open() == 0 && ares_gethostbyname_file(dns_channel, name,
	    family, &h) == ARES_SUCCESS) {
		for (i = 0; h->h_length == len && h->h_addr_list[i]; i++) {
			rr = dns_rr_add(r);
			rr->family = family;
			memcpy(rr->addr, h->h_addr_list[i], len);
		}
		ares_free_hostent(h);
	}
	if (r->nrr > 0) {
		r->status = DNS_OK;
		free(r->why);
		r->why = NULL;
	}
	*res = r;
	return r->status;
}
