/*
 * smtpd_peer - who the client is: its address (an IPv4-mapped IPv6
 * address made plain IPv4), its name when the PTR record's forward lookup
 * leads back to the address (cached for smtpd_peername_cache_time), and
 * whether it is in mynetworks.  Names are checked before they are
 * repeated in headers and logs.  The lookups go through lib/dns.c
 * (c-ares, its servers dns_servers), /etc/hosts first.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "dns.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "smtpd.h"

/* smtpd_unmap - an IPv4-mapped IPv6 address becomes plain IPv4 */
static void
smtpd_unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in sin;

	if (ss->ss_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = sin6->sin6_port;
	memcpy(&sin.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
}

/* smtpd_name_ok - a host name we will repeat in headers and logs */
static int
smtpd_name_ok(const char *name)
{
	const char *p;

	if (*name == '\0' || strlen(name) > 255)
		return 0;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_')
			return 0;
	return 1;
}

/* smtpd_peer_addr_is - is a record's address the client's? */
static int
smtpd_peer_addr_is(const struct sockaddr_storage *ss, const struct dns_rr *rr)
{
	if (ss->ss_family == AF_INET && rr->family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)ss)->sin_addr,
		    rr->addr, 4) == 0;
	if (ss->ss_family == AF_INET6 && rr->family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr,
		    rr->addr, 16) == 0;
	return 0;
}

/*
 * smtpd_peer_name - the client's PTR name when its forward lookup (A for
 * an IPv4 client, AAAA for IPv6) leads back to the address (a name anyone
 * could publish is not trusted), else "unknown", a temporary failure
 * included.  /etc/hosts first, then DNS (lib/dns.c), as the C library's
 * "hosts: files dns" did; each DNS lookup within smtpd_timeout.
 */
static char *
smtpd_peer_name(struct smtpd_state *s)
{
	struct sockaddr *sa = (struct sockaddr *)&s->sa;
	struct buf *name = buf_new(256, 1024), *rev = buf_new(128, 0);
	struct dns_result *r = NULL;
	long ms = (long)var_smtpd_timeout * 1000;
	int type = sa->sa_family == AF_INET ? DNS_T_A : DNS_T_AAAA;
	char *found = NULL;
	size_t i;

	if (dns_hosts_name(sa, name) < 0) {
		if (dns_reverse_name(sa, rev) == 0 && dns_lookup_wait(DNS_T_PTR,
		    buf_str(rev), ms, &r) == DNS_OK)
			buf_set(name, r->rr[0].name);
		dns_result_free(&r);
	}
	if (buf_len(name) > 0 && !buf_overflowed(name) &&
	    smtpd_name_ok(buf_str(name))) {
		if (dns_hosts_addr(buf_str(name), sa->sa_family, &r) !=
		    DNS_OK) {
			dns_result_free(&r);
			(void)dns_lookup_wait(type, buf_str(name), ms, &r);
		}
		for (i = 0; r->status == DNS_OK && i < r->nrr && !found; i++)
			if (smtpd_peer_addr_is(&s->sa, &r->rr[i]))
				found = xstrdup(buf_str(name));
		dns_result_free(&r);
	}
	buf_free(&name);
	buf_free(&rev);
	return found != NULL ? found : xstrdup("unknown");
}

/*
 * smtpd_peer_name_cached - smtpd_peer_name, reused for the next
 * connections from the same address for smtpd_peername_cache_time: a
 * client that sends one message per connection would otherwise cost two
 * lookups (and two readings of /etc/hosts) per message.
 */
static char *
smtpd_peer_name_cached(struct smtpd_state *s)
{
	static char	 addr[sizeof(s->addr)], *name;
	static long long at;
	long long	 now = now_ms();

	if (name != NULL && strcmp(addr, s->addr) == 0 &&
	    now - at < var_smtpd_peername_cache_time * 1000)
		return xstrdup(name);
	free(name);
	name = smtpd_peer_name(s);
	snprintf(addr, sizeof(addr), "%s", s->addr);
	at = now;
	return xstrdup(name);
}

/* smtpd_peer - who is the client: address, name, trusted network */
void
smtpd_peer(struct smtpd_state *s, int fd)
{
	socklen_t len = sizeof(s->sa);
	struct buf *b = buf_new(128, 0);

	memset(&s->sa, 0, sizeof(s->sa));
	if (getpeername(fd, (struct sockaddr *)&s->sa, &len) < 0 ||
	    (s->sa.ss_family != AF_INET && s->sa.ss_family != AF_INET6)) {
		/* A Unix socket: a process on this host. */
		snprintf(s->addr, sizeof(s->addr), "127.0.0.1");
		s->name = xstrdup("localhost");
		s->in_mynetworks = 1;
	} else {
		smtpd_unmap(&s->sa);
		if (addr_ntop((struct sockaddr *)&s->sa, s->addr,
		    sizeof(s->addr)) == NULL)
			snprintf(s->addr, sizeof(s->addr), "unknown");
		s->name = smtpd_peer_name_cached(s);
		s->in_mynetworks = addr_match_networks(
		    (struct sockaddr *)&s->sa, var_mynetworks);
	}
	buf_setf(b, "%s[%s]", s->name, s->addr);
	s->namaddr = buf_steal(&b);
}
