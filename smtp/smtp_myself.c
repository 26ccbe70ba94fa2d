/*
 * smtp_myself - is a destination this cartero itself?  Mail that loops
 * back to us must bounce (5.4.6), not go round until it expires.
 *
 * A destination is "myself" only when cartero listens on that address
 * and port: an smtpd service of master.cf, on its own host:port or on
 * each address of $inet_interfaces (all: every address of this host,
 * loopback-only: 127.0.0.1 and ::1).  An address on lo where cartero
 * does not listen (a test's sink on 127.0.0.2, another MTA on the same
 * host) is not myself.
 *
 * master.cf is read once, by the dispatcher, through lib/master_conf.c
 * as master reads it (so the addresses are the ones master binds).  A
 * master.cf that cannot be read leaves no listener: the check then finds
 * nothing (and says so in the log once).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "master_conf.h"
#include "msg.h"
#include "params.h"
#include "server.h"
#include "util.h"
#include "smtp.h"

#define SMTP_MYSELF_MAX		64

/* A listener: an address (or any, for "all") and a port. */
struct smtp_listener {
	int		 any;
	char		 addr[INET6_ADDRSTRLEN];
	unsigned	 port;
};

static struct smtp_listener smtp_myself_list[SMTP_MYSELF_MAX];
static int smtp_myself_count = -1;	/* -1: not read yet */

/* smtp_myself_norm - an address in its canonical text, or "" */
static void
smtp_myself_norm(const char *in, char *out)
{
	unsigned char a[16];

	out[0] = '\0';
	if (inet_pton(AF_INET, in, a) == 1)
		inet_ntop(AF_INET, a, out, INET6_ADDRSTRLEN);
	else if (inet_pton(AF_INET6, in, a) == 1)
		inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
}

/* smtp_myself_add - one listener */
static void
smtp_myself_add(const char *addr, int any, unsigned port)
{
	struct smtp_listener *l;

	if (smtp_myself_count >= SMTP_MYSELF_MAX || port == 0)
		return;
	l = &smtp_myself_list[smtp_myself_count];
	l->any = any;
	l->port = port;
	if (!any) {
		smtp_myself_norm(addr, l->addr);
		if (l->addr[0] == '\0')
			return;		/* a host name: not ours to resolve */
	}
	smtp_myself_count++;
}

/*
 * smtp_myself_listener - one listener of an smtpd service, as master_conf
 * spells it: "host:port", "[v6]:port" or ":port" (every address)
 */
static void
smtp_myself_listener(const char *spec)
{
	struct buf *host = buf_new(64, 1024), *port = buf_new(16, 256);
	struct buf *why = buf_new(64, 1024);

	if (server_addr_split(spec, host, port, why) == 0)
		smtp_myself_add(buf_str(host), buf_len(host) == 0,
		    (unsigned)server_port(buf_str(port)));
	buf_free(&host);
	buf_free(&port);
	buf_free(&why);
}

/* smtp_myself_read - our smtpd listeners, from master.cf */
static void
smtp_myself_read(void)
{
	struct buf *path = buf_new(256, 0), *why = buf_new(128, 1024);
	struct master_serv *list, *sv;
	int i;

	smtp_myself_count = 0;
	buf_setf(path, "%s/master.cf", conf_dir());
	if (master_conf_read(buf_str(path), &list, why) < 0)
		msg_warn("cannot tell mail loops: %s", buf_str(why));
	else {
		for (sv = list; sv != NULL; sv = sv->next)
			if (sv->type == MASTER_INET &&
			    strcmp(sv->command, "smtpd") == 0)
				for (i = 0; i < sv->nlisteners; i++)
					smtp_myself_listener(
					    sv->listeners[i]->addr);
		master_conf_free(&list);
	}
	buf_free(&path);
	buf_free(&why);
}

/* smtp_myself_local - is an address one of this host's? */
static int
smtp_myself_local(const char *addr)
{
	struct ifaddrs *ifa, *i;
	char text[INET6_ADDRSTRLEN];
	int yes = 0;

	if (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0)
		return 1;
	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i != NULL && !yes; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)
			    i->ifa_addr)->sin_addr, text, sizeof(text));
		else if (i->ifa_addr->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)
			    i->ifa_addr)->sin6_addr, text, sizeof(text));
		else
			continue;
		yes = strcmp(text, addr) == 0;
	}
	freeifaddrs(ifa);
	return yes;
}

/* smtp_myself - does cartero itself listen on addr:port? */
int
smtp_myself(const char *addr, unsigned port)
{
	char norm[INET6_ADDRSTRLEN];
	int i;

	if (smtp_myself_count < 0)
		smtp_myself_read();
	smtp_myself_norm(addr, norm);
	if (norm[0] == '\0')
		return 0;
	for (i = 0; i < smtp_myself_count; i++) {
		if (smtp_myself_list[i].port != port)
			continue;
		if (smtp_myself_list[i].any ? smtp_myself_local(norm) :
		    strcmp(smtp_myself_list[i].addr, norm) == 0)
			return 1;
	}
	return 0;
}
