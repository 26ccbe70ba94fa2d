/*
 * dns - every DNS lookup of the suite, through c-ares, asynchronously
 * under lib/event.c or blocking with a time limit, with a per-process
 * cache that honours TTLs.
 *
 *	dns.c		the channel, queries, answers, the blocking wait,
 *			/etc/hosts
 *	dns_cache.c	the bounded TTL cache
 *	dns_mx.c	RFC 5321 5.1 routing: MX, implicit MX, null MX
 *	dns_conf.c	dns_servers, reverse names, names we ask about
 *
 * A callback owns the result it is given (dns_result_free, dns_mx_free).
 * An asynchronous lookup always answers from the event loop, never from
 * inside the call that started it, even from the cache.
 */
#ifndef CARTERO_DNS_H
#define CARTERO_DNS_H

#include <stddef.h>

struct buf;
struct sockaddr;

/* Record types, by their numbers in DNS. */
#define DNS_T_A		1
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28
#define DNS_T_TLSA	52	/* DANE (RFC 6698) */
#define DNS_TLSA_MAX	32	/* TLSA records kept of an answer */

/* What became of a lookup. */
#define DNS_OK		0
#define DNS_NOTFOUND	1	/* NXDOMAIN: the name does not exist */
#define DNS_NODATA	2	/* the name exists, no record of the type */
#define DNS_TEMPFAIL	3	/* SERVFAIL, timeout, refused, network */
#define DNS_BADNAME	4	/* not a name we would ask about */
#define DNS_NULLMX	5	/* dns_mx_hosts: "MX 0 ." (RFC 7505) */

/* One record of an answer. */
struct dns_rr {
	int		 type;
	unsigned	 pref;		/* MX: preference */
	char		*name;		/* MX exchange ("": root), PTR target */
	char		*text;		/* TXT: its strings joined, NUL ended;
					 * TLSA: the association data */
	size_t		 len;		/* TXT, TLSA: the length of text */
	unsigned char	 usage;		/* TLSA: certificate usage */
	unsigned char	 selector;	/* TLSA: 0 certificate, 1 public key */
	unsigned char	 mtype;		/* TLSA: 0 exact, 1 SHA-256, 2 SHA-512 */
	int		 family;	/* A: AF_INET, AAAA: AF_INET6 */
	unsigned char	 addr[16];	/* A: 4 bytes, AAAA: 16 */
};

/* An answer, or why there is none. */
struct dns_result {
	int		 status;	/* DNS_OK ... */
	int		 type;
	char		*name;		/* the name asked about, lower case */
	unsigned	 ttl;		/* seconds it may be cached (capped) */
	int		 secure;	/* AD: the resolver validated it */
	struct dns_rr	*rr;
	size_t		 nrr;
	char		*why;		/* a failure in words, for logs */
};

/* An MX host (or the domain itself) with its A and AAAA records. */
struct dns_host {
	char		*name;
	unsigned	 pref;
	int		 status;	/* DNS_OK when it has an address */
	struct dns_rr	*addr;
	size_t		 naddr;
};

/* Where mail for a domain goes: the hosts to try, in order. */
struct dns_mx {
	int		 status;	/* DNS_OK: at least one address */
	char		*domain;
	int		 implicit;	/* no MX: the domain's own A/AAAA */
	struct dns_host	*host;
	size_t		 nhost;
	char		*why;
};

/* A server of dns_servers. */
struct dns_server {
	int		 family;
	unsigned char	 addr[16];
	unsigned	 port;
};

struct dns_query;
struct dns_mx_query;
typedef void (*dns_fn)(struct dns_result *, void *);
typedef void (*dns_mx_fn)(struct dns_mx *, void *);

/* dns.c: lookups under lib/event.c, and blocking ones (ms: time limit). */
struct dns_query *dns_lookup(int, const char *, dns_fn, void *);
void		 dns_cancel(struct dns_query **);
int		 dns_lookup_wait(int, const char *, long,
		    struct dns_result **);
void		 dns_result_free(struct dns_result **);
struct dns_result *dns_result_new(int, const char *, int, const char *);
struct dns_result *dns_result_copy(const struct dns_result *);
struct dns_result *dns_parse_answer(int, const char *, int,
		    const unsigned char *, int);
const char	*dns_status_str(int);
const char	*dns_type_str(int);
int		 dns_init(void);	/* before a chroot (optional) */
void		 dns_reset(void);	/* a reload: new servers, no cache */
void		 dns_forked(void);	/* a child: the parent's channel not ours */
/* /etc/hosts, for who a client is: name of an address, addresses of a
 * name in one family (AF_INET: A, AF_INET6: AAAA). */
int		 dns_hosts_name(const struct sockaddr *, struct buf *);
int		 dns_hosts_addr(const char *, int, struct dns_result **);

/* dns_mx.c */
struct dns_mx_query *dns_mx_hosts(const char *, dns_mx_fn, void *);
struct dns_mx_query *dns_mx_host(const char *, dns_mx_fn, void *);
void		 dns_mx_cancel(struct dns_mx_query **);
int		 dns_mx_hosts_wait(const char *, long, struct dns_mx **);
void		 dns_mx_free(struct dns_mx **);
void		 dns_mx_sort(struct dns_rr *, size_t, unsigned (*)(unsigned));
int		 dns_mx_null(const struct dns_result *);

/* dns_cache.c */
struct dns_result *dns_cache_get(int, const char *);
void		 dns_cache_put(const struct dns_result *);
void		 dns_cache_flush(void);
size_t		 dns_cache_count(void);
void		 dns_cache_clock(long long (*)(void));	/* tests: ms clock */

/* dns_conf.c */
int		 dns_servers_parse(const char *, struct dns_server **,
		    size_t *, struct buf *);
int		 dns_name_ok(const char *);
int		 dns_name_check(const char *, struct buf *);
int		 dns_reverse_name(const struct sockaddr *, struct buf *);
/* Names compared in any case, a final dot or not: the same, under. */
int		 dns_name_eq(const char *, const char *);
int		 dns_name_under(const char *, const char *);

/* Inside dns*.c only: start a lookup, blocking (sync) or not; drive the
 * blocking ones until the answer's pointer is set or the time limit. */
struct dns_query *dns_query_start(int, const char *, int, dns_fn, void *);
int		 dns_drive(void *const *, long);
void		 dns_evmode_on(void);	/* lookups answered from event.c */

#endif
