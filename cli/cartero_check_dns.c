/*
 * cartero_check_dns - the parts of "cartero check" that look outward: the
 * TLS certificates the servers present (tls_cert_file and each of
 * tls_server_sni_maps: readable, the key matching, not expired nor
 * expiring within 30 days, naming myhostname), DNS through lib/dns
 * (c-ares, dns_servers: the MX of each domain of mydestination, the A
 * record of myhostname, the PTR of this host's public address), and the
 * RFC 6186 SRV records to publish.
 *
 * Each DNS finding says what record to add, in zone-file form, so the
 * administrator can paste it.  What DNS answers is distrusted: names are
 * made printable before they are shown.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dns.h"
#include "maps.h"
#include "params.h"
#include "tls.h"
#include "util.h"
#include "cartero_check.h"

#define CHECK_CERT_DAYS		30	/* "expires soon" */
#define CHECK_DNS_MS		10000	/* a lookup's time limit */

/* The SRV records of RFC 6186 (and RFC 8314's submissions). */
static const struct check_srv {
	const char	*name;
	enum check_proto proto;
	int		 wrapped;
} check_srvs[] = {
	{ "_submission._tcp", CHECK_SUBMISSION, 0 },
	{ "_submissions._tcp", CHECK_SUBMISSION, 1 },
	{ "_imap._tcp", CHECK_IMAP, 0 },
	{ "_imaps._tcp", CHECK_IMAP, 1 },
	{ "_pop3._tcp", CHECK_POP3, 0 },
	{ "_pop3s._tcp", CHECK_POP3, 1 },
	{ NULL, 0, 0 },
};

/* check_cert - a certificate and key that a server presents for host */
static void
check_cert(const char *what, const char *cert, const char *key,
    const char *host)
{
	struct buf *why = buf_new(128, 1024);
	struct tls_ctx *ctx;
	char date[32];
	time_t end, now = time(NULL);
	int name_ok = 0;

	if (tls_cert_info(cert, host, &end, &name_ok, why) < 0) {
		check_finding("%s: %s: install a certificate (certbot, or "
		    "tools/mkcert for a self-signed one)", what, buf_str(why));
		goto out;
	}
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&end));
	if (end <= now)
		check_finding("%s %s expired on %s: renew it (certbot renew) "
		    "and run cartero reload", what, cert, date);
	else if (end - now < CHECK_CERT_DAYS * 86400)
		check_finding("%s %s expires on %s, in %lld days: renew it "
		    "(certbot renew) and run cartero reload", what, cert, date,
		    (long long)(end - now) / 86400);
	if (host != NULL && !name_ok)
		check_finding("%s %s is not for %s (clients will warn): use "
		    "one whose subjectAltName names %s", what, cert, host,
		    host);
	if ((ctx = tls_ctx_new(cert, key, why)) == NULL)
		check_finding("%s: %s: give the key of this certificate",
		    what, buf_str(why));
	tls_ctx_free(&ctx);
out:
	buf_free(&why);
}

/* check_sni - one entry of tls_server_sni_maps; a map_walk_fn */
static int
check_sni(const char *name, const char *value, void *arg, struct buf *why)
{
	struct buf *cert = buf_new(128, 0), *key = buf_new(128, 0);
	struct buf *what = buf_new(128, 0), *err = buf_new(128, 1024);

	buf_setf(what, "tls_server_sni_maps, %s", name);
	if (tls_sni_files(value, cert, key, err) < 0)
		check_finding("%s: %s: fix the entry", buf_str(what),
		    buf_str(err));
	else
		check_cert(buf_str(what), buf_str(cert), buf_str(key),
		    *name == '.' ? NULL : name);
	buf_free(&cert);
	buf_free(&key);
	buf_free(&what);
	buf_free(&err);
	return 0;
}

/* check_tls - the default certificate and those of SNI */
void
check_tls(void)
{
	struct buf *why = buf_new(128, 1024);
	struct map *m;

	/* A missing file is check_files()' finding already. */
	if (access(var_tls_cert_file, F_OK) == 0)
		check_cert("tls_cert_file", var_tls_cert_file,
		    var_tls_key_file, var_myhostname);
	if (*var_tls_server_sni_maps != '\0' &&
	    (m = map_open(var_tls_server_sni_maps, 0, why)) != NULL) {
		(void)map_walk(m, check_sni, NULL, why);
		map_close(&m);
	}
	buf_free(&why);
}

/* check_mx - the MX records of a domain of ours */
static void
check_mx(const char *domain)
{
	struct dns_result *r;
	struct buf *p = buf_new(128, 1024);
	size_t i;
	int st;

	st = dns_lookup_wait(DNS_T_MX, domain, CHECK_DNS_MS, &r);
	if (st == DNS_NOTFOUND || st == DNS_NODATA)
		check_finding("%s has no MX record: add \"@ IN MX 10 %s.\" "
		    "to its zone", domain, var_myhostname);
	else if (st != DNS_OK)
		check_finding("%s: the MX lookup failed (%s): check "
		    "dns_servers and the network", domain, r->why != NULL ?
		    r->why : dns_status_str(st));
	else if (dns_mx_null(r))
		check_finding("%s has a null MX (\"MX 0 .\"): it refuses all "
		    "mail; replace it with \"@ IN MX 10 %s.\"", domain,
		    var_myhostname);
	else {
		for (i = 0; i < r->nrr; i++)
			if (dns_name_eq(r->rr[i].name, var_myhostname))
				break;
		if (i == r->nrr)
			check_finding("%s has its MX at %s, not at this host: "
			    "add \"@ IN MX 10 %s.\" if %s receives its mail",
			    domain, printable(r->rr[0].name, p), var_myhostname,
			    var_myhostname);
	}
	dns_result_free(&r);
	buf_free(&p);
}

/* check_a - the A records of myhostname: present, with our address */
static void
check_a(const char *address)
{
	struct dns_result *r;
	char text[INET_ADDRSTRLEN];
	struct buf *list = buf_new(64, 1024);
	size_t i;
	int st, found = 0;

	st = dns_lookup_wait(DNS_T_A, var_myhostname, CHECK_DNS_MS, &r);
	if (st == DNS_NOTFOUND || st == DNS_NODATA)
		check_finding("%s has no A record: add \"%s. IN A %s\"",
		    var_myhostname, var_myhostname, address != NULL ?
		    address : "<this host's public address>");
	else if (st != DNS_OK)
		check_finding("%s: the A lookup failed (%s): check "
		    "dns_servers and the network", var_myhostname,
		    r->why != NULL ? r->why : dns_status_str(st));
	else if (address != NULL) {
		for (i = 0; i < r->nrr; i++) {
			if (r->rr[i].family != AF_INET ||
			    inet_ntop(AF_INET, r->rr[i].addr, text,
			    sizeof(text)) == NULL)
				continue;
			found |= strcmp(text, address) == 0;
			buf_appendf(list, "%s%s", buf_len(list) ? ", " : "",
			    text);
		}
		if (!found)
			check_finding("%s has the address %s, not this host's "
			    "%s: change it to \"%s. IN A %s\"", var_myhostname,
			    buf_str(list), address, var_myhostname, address);
	}
	dns_result_free(&r);
	buf_free(&list);
}

/* check_ptr - the PTR record of our public address */
static void
check_ptr(const char *address)
{
	struct sockaddr_in sin;
	struct dns_result *r;
	struct buf *name = buf_new(128, 1024), *p = buf_new(128, 1024);
	int st;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, address, &sin.sin_addr) != 1 ||
	    dns_reverse_name((struct sockaddr *)&sin, name) < 0) {
		check_finding("--address %s: not an IPv4 address: give one",
		    address);
		goto out;
	}
	st = dns_lookup_wait(DNS_T_PTR, buf_str(name), CHECK_DNS_MS, &r);
	if (st == DNS_NOTFOUND || st == DNS_NODATA)
		check_finding("%s has no PTR record: ask the address's owner "
		    "(your provider) for \"%s. IN PTR %s.\"", address,
		    buf_str(name), var_myhostname);
	else if (st != DNS_OK)
		check_finding("%s: the PTR lookup failed (%s): check "
		    "dns_servers and the network", address, r->why != NULL ?
		    r->why : dns_status_str(st));
	else if (r->nrr == 0 || !dns_name_eq(r->rr[0].name,
	    var_myhostname))
		check_finding("%s has the PTR %s, not %s: ask the address's "
		    "owner (your provider) for \"%s. IN PTR %s.\"", address,
		    r->nrr ? printable(r->rr[0].name, p) : "(none)",
		    var_myhostname, buf_str(name), var_myhostname);
	dns_result_free(&r);
out:
	buf_free(&name);
	buf_free(&p);
}

/*
 * check_address - this host's address toward the Internet (the source of
 * a route to a documentation address: connecting a UDP socket sends
 * nothing), when it is public; else NULL
 */
const char *
check_address(char *out, size_t len)
{
	struct sockaddr_in sin, me;
	socklen_t slen = sizeof(me);
	unsigned char *a;
	int fd, r;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(9);
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return NULL;
	r = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &slen) < 0;
	close(fd);
	if (r)
		return NULL;
	a = (unsigned char *)&me.sin_addr;
	if (a[0] == 0 || a[0] == 127 || a[0] == 10 ||
	    (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	    (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
	    (a[0] == 100 && (a[1] & 0xc0) == 64)) {
		printf("# this host's address %u.%u.%u.%u is private: give "
		    "the public one with --address to check its DNS\n", a[0],
		    a[1], a[2], a[3]);
		return NULL;
	}
	return inet_ntop(AF_INET, &me.sin_addr, out, (socklen_t)len);
}

/*
 * check_dns - MX of our domains, A of myhostname, PTR of our address
 * (NULL: not known)
 */
void
check_dns(const char *address)
{
	char **domains;
	int i;

	domains = check_domains();
	for (i = 0; domains[i] != NULL; i++)
		check_mx(domains[i]);
	strv_free(domains, i);
	check_a(address);
	if (address != NULL)
		check_ptr(address);
}

/* check_srv_port - the port of the first service of a kind, or 0 */
static int
check_srv_port(enum check_proto proto, int wrapped)
{
	int i;

	for (i = 0; i < check_nservs; i++)
		if (check_serv_proto(&check_servs[i]) == proto &&
		    check_serv_wrapped(&check_servs[i]) == wrapped &&
		    check_servs[i].port != 0)
			return check_servs[i].port;
	return 0;
}

/* check_srv - the SRV records mail clients look for (RFC 6186, 8314) */
void
check_srv(void)
{
	const struct check_srv *s;
	char **domains;
	int i, port;

	domains = check_domains();
	for (i = 0; domains[i] != NULL; i++) {
		printf("# SRV records for %s, for mail clients that look "
		    "for them (RFC 6186):\n", domains[i]);
		for (s = check_srvs; s->name != NULL; s++) {
			if ((port = check_srv_port(s->proto, s->wrapped)) > 0)
				printf("%s.%s. IN SRV 0 1 %d %s.\n", s->name,
				    domains[i], port, var_myhostname);
			else
				printf("%s.%s. IN SRV 0 0 0 .\n", s->name,
				    domains[i]);
		}
	}
	strv_free(domains, i);
}
