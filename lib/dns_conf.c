/*
 * dns_conf - the pure parts of lib/dns.c: the dns_servers list, the names
 * we are willing to ask about, and reverse (PTR) names.
 *
 * dns_servers is a list of host[:port] separated by commas or white
 * space: 127.0.0.1, 127.0.0.1:5353, [::1]:53, or a bare IPv6 address
 * (::1) without a port.  Hosts are numeric addresses only: the servers
 * that resolve names cannot need a name lookup themselves.
 *
 * Distrusts: names from the network (MX exchanges, PTR targets, client
 * input) handed to dns_name_check before they are asked about.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dec.h"
#include "dns.h"
#include "util.h"

#define DNS_NAME_MAX	253	/* characters, without the trailing dot */
#define DNS_LABEL_MAX	63

/* dns_server_one - one host[:port] of dns_servers into srv; -1 if bad */
static int
dns_server_one(const char *tok, struct dns_server *srv)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *end, *port = NULL;
	unsigned long long n;
	size_t len;

	if (tok[0] == '[') {
		if ((end = strchr(tok, ']')) == NULL)
			return -1;
		len = end - (tok + 1);
		tok++;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -1;
	} else if ((end = strchr(tok, ':')) != NULL &&
	    strchr(end + 1, ':') == NULL) {
		len = end - tok;		/* IPv4:port */
		port = end + 1;
	} else
		len = strlen(tok);		/* IPv4, or a bare IPv6 */
	if (len == 0 || len >= sizeof(host))
		return -1;
	memcpy(host, tok, len);
	host[len] = '\0';
	memset(srv, 0, sizeof(*srv));
	srv->port = 53;
	if (inet_pton(AF_INET, host, srv->addr) == 1)
		srv->family = AF_INET;
	else if (inet_pton(AF_INET6, host, srv->addr) == 1)
		srv->family = AF_INET6;
	else
		return -1;
	if (port != NULL) {
		if (dec_parse(port, strlen(port), 65535, &n) < 0 || n == 0)
			return -1;
		srv->port = (unsigned)n;
	}
	return 0;
}

/*
 * dns_servers_parse - the dns_servers list into a malloc'd array (*n
 * entries, none for an empty list); -1 and why on the first bad entry.
 */
int
dns_servers_parse(const char *text, struct dns_server **out, size_t *n,
    struct buf *why)
{
	char *copy = xstrdup(text), *p = copy, *tok;
	struct dns_server *srv = NULL;
	size_t cnt = 0;

	while ((tok = mystrtok(&p, ", \t\r\n")) != NULL) {
		srv = xrealloc(srv, (cnt + 1) * sizeof(*srv));
		if (dns_server_one(tok, &srv[cnt]) < 0) {
			buf_setf(why, "dns_servers: bad server \"%s\" "
			    "(want an address, address:port or [IPv6]:port)",
			    tok);
			free(srv);
			free(copy);
			return -1;
		}
		cnt++;
	}
	free(copy);
	*out = srv;
	*n = cnt;
	return 0;
}

/*
 * dns_name_ok - a domain name we would ask about: letters, digits, '-'
 * and '_' in labels of 1 to 63 characters, 253 at most, no trailing dot
 * (DKIM selectors and domains, MTA-STS hosts and patterns)
 */
int
dns_name_ok(const char *s)
{
	size_t n = 0, label = 0;

	for (; *s != '\0'; s++, n++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)*s) || *s == '-' ||
		    *s == '_') {
			if (++label > DNS_LABEL_MAX)
				return 0;
		} else
			return 0;
	}
	return n > 0 && n <= DNS_NAME_MAX && label > 0;
}

/*
 * dns_name_check - name made ready to ask about: one trailing dot
 * dropped, lower case, as dns_name_ok says.  0 with the name in out; -1
 * and why.
 */
int
dns_name_check(const char *name, struct buf *out)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	buf_reset(out);
	if (len == 0 || len > DNS_NAME_MAX) {
		buf_set(out, len == 0 ? "empty name" : "name too long");
		return -1;
	}
	buf_append(out, name, len);
	lowercase(out->data);
	if (!dns_name_ok(buf_str(out))) {
		buf_set(out, "not a valid domain name");
		return -1;
	}
	return 0;
}

/*
 * dns_reverse_name - the PTR name of an address: d.c.b.a.in-addr.arpa,
 * or the 32 nibbles of ip6.arpa.  -1 for another family.
 */
int
dns_reverse_name(const struct sockaddr *sa, struct buf *out)
{
	const unsigned char *a;
	int i;

	buf_reset(out);
	if (sa->sa_family == AF_INET) {
		a = (const unsigned char *)
		    &((const struct sockaddr_in *)sa)->sin_addr;
		buf_setf(out, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1],
		    a[0]);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	for (i = 15; i >= 0; i--)
		buf_appendf(out, "%x.%x.", a[i] & 0xf, a[i] >> 4);
	buf_puts(out, "ip6.arpa");
	return 0;
}

/* dns_name_len - a name's length without its final dot */
static size_t
dns_name_len(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

/* dns_name_eq - are two DNS names the same (any case, a final dot)? */
int
dns_name_eq(const char *a, const char *b)
{
	size_t la = dns_name_len(a);

	return la == dns_name_len(b) && strncasecmp(a, b, la) == 0;
}

/* dns_name_under - is name the domain itself or a name under it? */
int
dns_name_under(const char *name, const char *domain)
{
	size_t n = dns_name_len(name), d = dns_name_len(domain);

	if (n == d)
		return strncasecmp(name, domain, n) == 0;
	return n > d && name[n - d - 1] == '.' &&
	    strncasecmp(name + n - d, domain, d) == 0;
}
