/*
 * dns_cache - the answers this process has had, each kept for its TTL
 * (answers give it, capped by dns_cache_max_ttl; NXDOMAIN and NODATA by
 * their SOA, RFC 2308, capped by dns_cache_negative_max_ttl) and never
 * more than dns_cache_size of them: when full, the least recently used
 * goes.  Temporary failures are never kept.
 *
 * A hash of (type, name) over doubly linked entries, most recently used
 * first.  The clock is monotonic milliseconds, replaceable for tests.
 * dns_cache_flush empties it (cartero reload, through dns_reset).
 */
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "params.h"
#include "util.h"

struct dns_cache_entry {
	struct dns_result	*res;
	long long		 expires;	/* ms, on the cache's clock */
	unsigned		 hash;
	struct dns_cache_entry	*chain;		/* next in the bucket */
	struct dns_cache_entry	*prev, *next;	/* use order, newest first */
};

static struct dns_cache_entry **dns_cache_tab;
static size_t dns_cache_nbucket, dns_cache_n;
static struct dns_cache_entry *dns_cache_head, *dns_cache_tail;
static long long (*dns_cache_now)(void) = now_ms;

/* dns_cache_clock - use another clock (tests) */
void
dns_cache_clock(long long (*fn)(void))
{
	dns_cache_now = fn != NULL ? fn : now_ms;
}

/* dns_cache_hash - FNV-1a of the type and the (lower case) name */
static unsigned
dns_cache_hash(int type, const char *name)
{
	unsigned h = 2166136261u ^ (unsigned)type;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

/* dns_cache_find - the entry of (type, name), or NULL */
static struct dns_cache_entry *
dns_cache_find(int type, const char *name, unsigned h)
{
	struct dns_cache_entry *e;

	if (dns_cache_tab == NULL)
		return NULL;
	for (e = dns_cache_tab[h % dns_cache_nbucket]; e; e = e->chain)
		if (e->hash == h && e->res->type == type &&
		    strcmp(e->res->name, name) == 0)
			return e;
	return NULL;
}

/* dns_cache_unlink - take e out of the use order */
static void
dns_cache_unlink(struct dns_cache_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		dns_cache_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		dns_cache_tail = e->prev;
	e->prev = e->next = NULL;
}

/* dns_cache_front - make e the most recently used */
static void
dns_cache_front(struct dns_cache_entry *e)
{
	e->next = dns_cache_head;
	e->prev = NULL;
	if (dns_cache_head)
		dns_cache_head->prev = e;
	dns_cache_head = e;
	if (dns_cache_tail == NULL)
		dns_cache_tail = e;
}

/* dns_cache_drop - remove and free one entry */
static void
dns_cache_drop(struct dns_cache_entry *e)
{
	struct dns_cache_entry **pp;

	pp = &dns_cache_tab[e->hash % dns_cache_nbucket];
	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	dns_cache_unlink(e);
	dns_result_free(&e->res);
	free(e);
	dns_cache_n--;
}

/*
 * dns_cache_get - a copy of the answer to (type, name) while it lives,
 * its ttl the seconds left; NULL when there is none.
 */
struct dns_result *
dns_cache_get(int type, const char *name)
{
	struct dns_cache_entry *e;
	struct dns_result *r;
	long long now = dns_cache_now();

	if ((e = dns_cache_find(type, name, dns_cache_hash(type, name)))
	    == NULL)
		return NULL;
	if (e->expires <= now) {
		dns_cache_drop(e);
		return NULL;
	}
	dns_cache_unlink(e);
	dns_cache_front(e);
	r = dns_result_copy(e->res);
	r->ttl = (unsigned)((e->expires - now + 999) / 1000);
	return r;
}

/* dns_cache_put - keep a copy of an answer for its ttl (0: not at all) */
void
dns_cache_put(const struct dns_result *r)
{
	struct dns_cache_entry *e;
	unsigned h;

	if (var_dns_cache_size <= 0 || r->ttl == 0 ||
	    r->status == DNS_TEMPFAIL || r->status == DNS_BADNAME)
		return;
	if (dns_cache_tab == NULL) {
		dns_cache_nbucket = (size_t)var_dns_cache_size / 2 + 1;
		dns_cache_tab = xcalloc(dns_cache_nbucket,
		    sizeof(*dns_cache_tab));
	}
	h = dns_cache_hash(r->type, r->name);
	if ((e = dns_cache_find(r->type, r->name, h)) != NULL)
		dns_cache_drop(e);
	while (dns_cache_n >= (size_t)var_dns_cache_size && dns_cache_tail)
		dns_cache_drop(dns_cache_tail);
	e = xcalloc(1, sizeof(*e));
	e->res = dns_result_copy(r);
	e->expires = dns_cache_now() + (long long)r->ttl * 1000;
	e->hash = h;
	e->chain = dns_cache_tab[h % dns_cache_nbucket];
	dns_cache_tab[h % dns_cache_nbucket] = e;
	dns_cache_front(e);
	dns_cache_n++;
}

/* dns_cache_count - how many answers are kept (tests) */
size_t
dns_cache_count(void)
{
	return dns_cache_n;
}

/* dns_cache_flush - forget every answer (and the table's size) */
void
dns_cache_flush(void)
{
	while (dns_cache_head)
		dns_cache_drop(dns_cache_head);
	free(dns_cache_tab);
	dns_cache_tab = NULL;
	dns_cache_nbucket = 0;
}
