/*
 * smtpd_peer - who the client is: its address (an IPv4-mapped IPv6
 * address made plain IPv4), its name when the PTR record's forward lookup
 * leads back to the address (cached for smtpd_peername_cache_time), and
 * whether it is in mynetworks.  Names are checked before they are
 * repeated in headers and logs.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
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

/*
 * smtpd_peer_name - the client's PTR name when its forward lookup leads
 * back to the address (a name anyone could publish is not trusted), else
 * "unknown".
 */
static char *
smtpd_peer_name(struct smtpd_state *s, socklen_t len)
{
	struct addrinfo hints, *res, *ai;
	char host[NI_MAXHOST], num[NI_MAXHOST];
	int found = 0;

	if (getnameinfo((struct sockaddr *)&s->sa, len, host, sizeof(host),
	    NULL, 0, NI_NAMEREQD) != 0 || !smtpd_name_ok(host))
		return xstrdup("unknown");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = s->sa.ss_family;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return xstrdup("unknown");
	for (ai = res; ai != NULL && !found; ai = ai->ai_next)
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof(num),
		    NULL, 0, NI_NUMERICHOST) == 0 &&
		    strcmp(num, s->addr) == 0)
			found = 1;
	freeaddrinfo(res);
	return xstrdup(found ? host : "unknown");
}

/*
 * smtpd_peer_name_cached - smtpd_peer_name, reused for the next
 * connections from the same address for smtpd_peername_cache_time: a
 * client that sends one message per connection would otherwise cost two
 * lookups (and two readings of /etc/hosts) per message.
 */
static char *
smtpd_peer_name_cached(struct smtpd_state *s, socklen_t len)
{
	static char	 addr[sizeof(s->addr)], *name;
	static long long at;
	long long	 now = now_ms();

	if (name != NULL && strcmp(addr, s->addr) == 0 &&
	    now - at < var_smtpd_peername_cache_time * 1000)
		return xstrdup(name);
	free(name);
	name = smtpd_peer_name(s, len);
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
		len = s->sa.ss_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		if (addr_ntop((struct sockaddr *)&s->sa, s->addr,
		    sizeof(s->addr)) == NULL)
			snprintf(s->addr, sizeof(s->addr), "unknown");
		s->name = smtpd_peer_name_cached(s, len);
		s->in_mynetworks = addr_match_networks(
		    (struct sockaddr *)&s->sa, var_mynetworks);
	}
	buf_setf(b, "%s[%s]", s->name, s->addr);
	s->namaddr = buf_steal(&b);
}
