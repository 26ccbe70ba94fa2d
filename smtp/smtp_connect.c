/*
 * smtp_connect - where a delivery goes, and the connection to it.
 *
 * Dispatcher side: a request's nexthop (lib/deliver.h: a domain, looked
 * up by MX; [host] or [host]:port, or for lmtp inet:host:port, by A and
 * AAAA only; unix:/path for lmtp) becomes the list of addresses to try,
 * in order (lib/dns_mx.c: MX preference, equal ones shuffled, the
 * implicit MX).  A null MX bounces (5.1.10), a name that does not exist
 * bounces (5.1.2), a temporary DNS failure defers (4.4.3).
 *
 * smtp_destination_networks is a hard limit: an address outside it is
 * dropped here and checked again in the worker before connect(), so no
 * DNS answer (10.0.0.1, 169.254.1.1, ::1) can point our mail at a host
 * the admin did not allow.  When no address is left the mail is
 * deferred with the address named ("4.4.1 ... not in
 * smtp_destination_networks").
 *
 * An address where cartero itself listens (smtp_myself.c) is left out
 * too; when that leaves none, the mail loops back to myself: 5.4.6.
 *
 * Worker side: smtp_connect() connects within smtp_connect_timeout.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "deliver.h"
#include "dns.h"
#include "event.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "smtp.h"

/* What "public" leaves out: never a destination unless listed. */
#define SMTP_NOT_PUBLIC \
	"0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 " \
	"169.254.0.0/16 172.16.0.0/12 192.168.0.0/16 224.0.0.0/4 " \
	"240.0.0.0/4 [::]/128 [::1]/128 [fc00::]/7 [fe80::]/10 [ff00::]/8"

/* A routing lookup in progress. */
struct smtp_route {
	struct smtp_job		*job;
	struct attr		*req;
	smtp_route_fn		 fn;
	struct dns_mx_query	*q;
	char			*host;
	unsigned		 port;
	int			 mx;	/* looked up by MX */
	int			 loops;	/* an address was myself */
	int			 status;	/* the outcome, once known */
	char			 dsn[12];
	struct buf		*why;
};

/* smtp_sockaddr - a numeric address into a sockaddr: 0, -1 */
static int
smtp_sockaddr(const char *addr, unsigned port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

/*
 * smtp_dest_allowed - is a numeric address in smtp_destination_networks
 * ("public" standing for every address outside SMTP_NOT_PUBLIC)?
 */
int
smtp_dest_allowed(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char *list, *p, *tok;
	int yes = 0;

	if (smtp_sockaddr(addr, 0, &ss, &len) < 0)
		return 0;
	p = list = xstrdup(var_smtp_destination_networks);
	while (!yes && (tok = mystrtok(&p, " ,\t\r\n")) != NULL) {
		if (strcasecmp(tok, "public") == 0)
			yes = !addr_match_networks((struct sockaddr *)&ss,
			    SMTP_NOT_PUBLIC);
		else
			yes = addr_match_networks((struct sockaddr *)&ss, tok);
	}
	free(list);
	return yes;
}

/*
 * smtp_nexthop - where a request goes: its nexthop, or the domain of its
 * recipient; -1 with why when there is none
 */
int
smtp_nexthop(const struct deliver_request *r, struct buf *out)
{
	const char *at;

	if (r->nexthop != NULL && *r->nexthop != '\0')
		return buf_set(out, r->nexthop), 0;
	if ((at = strrchr(r->recipient, '@')) == NULL || at[1] == '\0') {
		buf_setf(out, "no domain in recipient address and no nexthop");
		return -1;
	}
	buf_set(out, at + 1);
	lowercase(out->data);
	return 0;
}

/*
 * smtp_dest_parse - a route's "host addr port" (or "host unix /path")
 * from the dispatcher: 0, -1 when malformed
 */
int
smtp_dest_parse(const char *text, struct smtp_dest *d)
{
	char addr[128];

	memset(d, 0, sizeof(*d));
	if (sscanf(text, "%255s unix %107s", d->host, d->path) == 2)
		return 0;
	memset(d, 0, sizeof(*d));
	if (sscanf(text, "%255s %127s %u", d->host, addr, &d->port) != 3 ||
	    strlen(addr) >= sizeof(d->addr) || d->port == 0 ||
	    d->port > 65535)
		return -1;
	memcpy(d->addr, addr, strlen(addr) + 1);
	return 0;
}

/* smtp_route_add - one more address to try */
static void
smtp_route_add(struct smtp_route *r, const char *host, const char *addr,
    const char *path)
{
	long long n = attr_get_num(r->req, SMTP_X_NROUTE, 0);
	char name[32];

	if (n >= SMTP_ROUTE_MAX)
		return;
	snprintf(name, sizeof(name), SMTP_X_ROUTE ".%lld", n);
	if (path != NULL)
		attr_setf(r->req, name, "%s unix %s", host, path);
	else
		attr_setf(r->req, name, "%s %s %u", host, addr, r->port);
	attr_setf(r->req, SMTP_X_NROUTE, "%lld", n + 1);
}

/* smtp_route_addr - an address of a host: tried, or why not */
static void
smtp_route_addr(struct smtp_route *r, const char *host, const char *addr)
{
	if (!smtp_lmtp && smtp_myself(addr, r->port)) {
		r->loops = 1;
		msg_info("%s: %s[%s]:%u is myself: not tried", r->host, host,
		    addr, r->port);
	} else if (smtp_dest_allowed(addr))
		smtp_route_add(r, host, addr, NULL);
	else if (buf_len(r->why) == 0) {
		buf_setf(r->why, "address %s of %s not in "
		    "smtp_destination_networks", addr, host);
		msg_info("%s: %s", r->host, buf_str(r->why));
	}
}

/* smtp_route_finish - tell the dispatcher, from the event loop */
static void
smtp_route_finish(void *ctx)
{
	struct smtp_route *r = ctx;
	struct smtp_job *job = r->job;
	smtp_route_fn fn = r->fn;
	struct buf *why = r->why;
	int status = r->status;
	char dsn[12];

	memcpy(dsn, r->dsn, sizeof(dsn));
	if (status == 0 && attr_get_num(r->req, SMTP_X_NROUTE, 0) == 0 &&
	    r->loops) {
		status = 5;
		memcpy(dsn, "5.4.6", 6);
		buf_setf(why, "mail for %s loops back to myself", r->host);
	} else if (status == 0 && attr_get_num(r->req, SMTP_X_NROUTE, 0) == 0) {
		status = 4;
		memcpy(dsn, "4.4.1", 6);
		if (buf_len(why) == 0)
			buf_setf(why, "no address to deliver to for %s",
			    r->host);
	}
	r->why = NULL;
	free(r->host);
	free(r);
	fn(job, status, dsn, buf_str(why), 0);
	buf_free(&why);
}

/* smtp_route_got - the DNS answer: the addresses, or the outcome */
static void
smtp_route_got(struct dns_mx *mx, void *ctx)
{
	struct smtp_route *r = ctx;
	char addr[INET6_ADDRSTRLEN];
	size_t i, k;
	const char *type = r->mx ? "MX" : "A/AAAA";

	r->q = NULL;
	switch (mx->status) {
	case DNS_OK:
		for (i = 0; i < mx->nhost; i++)
			for (k = 0; k < mx->host[i].naddr; k++) {
				inet_ntop(mx->host[i].addr[k].family,
				    mx->host[i].addr[k].addr, addr,
				    sizeof(addr));
				smtp_route_addr(r, mx->host[i].name, addr);
			}
		break;
	case DNS_NULLMX:
		r->status = 5;
		memcpy(r->dsn, "5.1.10", 7);
		buf_setf(r->why, "Domain %s does not accept mail (nullMX)",
		    r->host);
		break;
	case DNS_NOTFOUND:
	case DNS_NODATA:
	case DNS_BADNAME:
		r->status = 5;
		memcpy(r->dsn, r->mx ? "5.1.2" : "5.4.4", 6);
		buf_setf(r->why, "Host or domain name not found. Name service "
		    "error for name=%s type=%s: %s", r->host, type,
		    mx->why != NULL ? mx->why : "Host not found");
		break;
	default:
		r->status = 4;
		memcpy(r->dsn, "4.4.3", 6);
		buf_setf(r->why, "Host or domain name not found. Name service "
		    "error for name=%s type=%s: %s, try again", r->host, type,
		    mx->why != NULL ? mx->why : "Host not found");
		break;
	}
	dns_mx_free(&mx);
	smtp_route_finish(r);
}

/* smtp_route_literal - an address given in the nexthop: no DNS */
static void
smtp_route_literal(struct smtp_route *r, const char *addr)
{
	smtp_route_addr(r, addr, addr);
	event_timer(0, smtp_route_finish, r);
}

/*
 * smtp_route_split - a nexthop into host, port and whether MX applies:
 * 0, or -1 with why
 */
static int
smtp_route_split(struct smtp_route *r, const char *key, struct buf *why)
{
	const char *p = key, *end, *colon;
	unsigned long port = smtp_lmtp ? (unsigned long)var_lmtp_tcp_port :
	    (unsigned long)var_smtp_tcp_port;
	char *e;

	r->mx = !smtp_lmtp;
	if (strncasecmp(p, "inet:", 5) == 0) {
		p += 5;
		r->mx = 0;
	}
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL)
			goto bad;
		r->host = xstrndup(p + 1, (size_t)(end - p - 1));
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			goto bad;
		r->mx = 0;
	} else {
		colon = strrchr(p, ':');
		r->host = colon != NULL ? xstrndup(p, (size_t)(colon - p)) :
		    xstrdup(p);
	}
	if (colon != NULL) {
		errno = 0;
		port = strtoul(colon + 1, &e, 10);
		if (colon[1] == '\0' || *e != '\0' || port == 0 ||
		    port > 65535)
			goto bad;
	}
	if (strncasecmp(r->host, "ipv6:", 5) == 0)
		memmove(r->host, r->host + 5, strlen(r->host + 5) + 1);
	if (r->host[0] == '\0')
		goto bad;
	r->port = (unsigned)port;
	return 0;
bad:
	buf_setf(why, "bad nexthop \"%s\"", key);
	return -1;
}

/*
 * smtp_route_start - the addresses for a nexthop, added to the request
 * (x_route.i); fn(job, status, dsn, why, dead) is called from the event
 * loop, never from inside this call
 */
struct smtp_route *
smtp_route_start(const char *key, struct attr *req, smtp_route_fn fn,
    struct smtp_job *job)
{
	struct smtp_route *r = xcalloc(1, sizeof(*r));
	struct sockaddr_storage ss;
	socklen_t len;

	r->job = job;
	r->req = req;
	r->fn = fn;
	r->why = buf_new(128, 2048);
	if (smtp_lmtp && strncasecmp(key, "unix:", 5) == 0) {
		r->host = xstrdup(key);
		if (strlen(key + 5) >= sizeof(((struct smtp_dest *)0)->path) ||
		    key[5] != '/') {
			r->status = 5;
			memcpy(r->dsn, "5.3.5", 6);
			buf_setf(r->why, "bad nexthop \"%s\"", key);
		} else
			smtp_route_add(r, "localhost", NULL, key + 5);
		event_timer(0, smtp_route_finish, r);
	} else if (smtp_route_split(r, key, r->why) < 0) {
		if (r->host == NULL)
			r->host = xstrdup(key);
		r->status = 5;
		memcpy(r->dsn, "5.3.5", 6);
		event_timer(0, smtp_route_finish, r);
	} else if (smtp_sockaddr(r->host, 0, &ss, &len) == 0)
		smtp_route_literal(r, r->host);
	else if (r->mx)
		r->q = dns_mx_hosts(r->host, smtp_route_got, r);
	else
		r->q = dns_mx_host(r->host, smtp_route_got, r);
	return r;
}

/* smtp_route_cancel - forget a routing lookup: no callback */
void
smtp_route_cancel(struct smtp_route **rp)
{
	struct smtp_route *r = *rp;

	if (r == NULL)
		return;
	*rp = NULL;
	event_timer_cancel(smtp_route_finish, r);
	dns_mx_cancel(&r->q);
	buf_free(&r->why);
	free(r->host);
	free(r);
}

/* smtp_dest_name - "host[address]:port", or "host[/path]" (LMTP) */
const char *
smtp_dest_name(const struct smtp_dest *d, char *name)
{
	if (d->path[0] != '\0')
		snprintf(name, SMTP_DEST_NAME_MAX, "%s[%s]", d->host, d->path);
	else
		snprintf(name, SMTP_DEST_NAME_MAX, "%s[%s]:%u", d->host,
		    d->addr, d->port);
	return name;
}

/* smtp_connect_wait - a non-blocking connect's end: 0, -1 with errno */
static int
smtp_connect_wait(int fd, int timeout)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int r, err = 0;

	while ((r = poll(&pfd, 1, timeout * 1000)) < 0 && errno == EINTR)
		;
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* smtp_connect - connect to one address: the socket, or -1 with why */
int
smtp_connect(const struct smtp_dest *d, struct buf *why)
{
	struct sockaddr_storage ss;
	struct sockaddr_un un;
	socklen_t len;
	int fd;

	if (d->path[0] != '\0') {
		memset(&un, 0, sizeof(un));
		un.sun_family = AF_UNIX;
		memcpy(un.sun_path, d->path, strlen(d->path) + 1);
		memcpy(&ss, &un, sizeof(un));
		len = sizeof(un);
	} else if (smtp_sockaddr(d->addr, d->port, &ss, &len) < 0 ||
	    !smtp_dest_allowed(d->addr)) {
		/* The dispatcher checked; a worker checks again. */
		buf_setf(why, "address %s not in smtp_destination_networks",
		    d->addr);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		buf_setf(why, "socket: %s", strerror(errno));
		return -1;
	}
	if ((connect(fd, (struct sockaddr *)&ss, len) < 0 &&
	    errno != EINPROGRESS) ||
	    smtp_connect_wait(fd, (int)var_smtp_connect_timeout) < 0) {
		char name[SMTP_DEST_NAME_MAX];

		buf_setf(why, "connect to %s: %s", smtp_dest_name(d, name),
		    errno == ETIMEDOUT ? "Connection timed out" :
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
