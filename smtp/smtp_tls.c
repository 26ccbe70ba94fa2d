/*
 * smtp_tls - the smtp agent's STARTTLS.
 *
 * The level of a destination is smtp_tls_policy_maps' value for its
 * nexthop (as qmgr names it), else smtp_tls_security_level: none, may
 * (TLS when offered; a failed handshake: the same host again without
 * TLS), encrypt (no TLS, no mail: deferred), verify (encrypt, and the
 * certificate must chain to smtp_tls_CAfile's CAs, or else the system's
 * CA store, and name the host: the MX host, or the nexthop's [host]).
 *
 * Two policies published by the destination raise it, host by host
 * (smtp_tls_host), for a domain routed by MX:
 *	- DANE (smtp_dane.c, RFC 7672): validated TLSA records of the MX
 *	  host make TLS required and the certificate checked by them; it
 *	  comes first (RFC 8461 2: DANE is preferred where both exist);
 *	- MTA-STS (smtp_sts.c, RFC 8461), unless the maps say verify for
 *	  the nexthop: in enforce mode a host that matches no mx pattern
 *	  is skipped, and the others get verify with the MX host's name;
 *	  in testing mode nothing changes but what would fail is logged.
 * A host that a policy rejects is skipped like one that did not answer;
 * the reason names the policy ("MTA-STS policy: ...", "DANE: ...").
 *
 * After the server's 220 to STARTTLS, whatever else it sent before the
 * handshake is discarded (a server, or a man in the middle, that
 * pipelines replies there could otherwise have them read as the
 * encrypted session's): the handshake starts on an empty buffer.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dns.h"
#include "lineio.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "tls.h"
#include "util.h"
#include "smtp.h"
#include "smtp_tls.h"

static struct tls_ctx *smtp_tls_ctx;
static struct map *smtp_tls_policy;

/* smtp_tls_name - a level's value: SMTP_TLS_*, or -1 */
static int
smtp_tls_name(const char *v)
{
	static const char *names[] = { "none", "may", "encrypt", "verify" };
	char *w = xstrdup(v), *t = trim(w);
	int i;

	for (i = 0; i < 4; i++)
		if (strcasecmp(t, names[i]) == 0)
			break;
	free(w);
	return i < 4 ? i : -1;
}

/* smtp_tls_mapped - the maps' level for a nexthop, or -1 */
static int
smtp_tls_mapped(const char *key)
{
	struct buf *v, *why;
	int level = -1;

	if (*var_smtp_tls_policy_maps == '\0')
		return -1;
	v = buf_new(64, 1024);
	why = buf_new(64, 1024);
	if (smtp_tls_policy == NULL && (smtp_tls_policy =
	    map_open(var_smtp_tls_policy_maps, 0, why)) == NULL)
		msg_warn("smtp_tls_policy_maps: %s", buf_str(why));
	/* A table that cannot be read: the safe end, encrypt. */
	if (smtp_tls_policy == NULL)
		level = SMTP_TLS_ENCRYPT;
	else if (map_lookup(smtp_tls_policy, key, v) > 0 &&
	    (level = smtp_tls_name(buf_str(v))) < 0) {
		msg_warn("smtp_tls_policy_maps: bad level \"%s\" for %s: "
		    "encrypt", buf_str(v), key);
		level = SMTP_TLS_ENCRYPT;
	}
	buf_free(&v);
	buf_free(&why);
	return level;
}

/* smtp_tls_default - smtp_tls_security_level's value */
static int
smtp_tls_default(void)
{
	int level;

	if ((level = smtp_tls_name(var_smtp_tls_security_level)) < 0) {
		msg_warn("bad smtp_tls_security_level \"%s\": encrypt",
		    var_smtp_tls_security_level);
		level = SMTP_TLS_ENCRYPT;
	}
	return level;
}

/* smtp_tls_level - the TLS level for a nexthop */
int
smtp_tls_level(const char *key)
{
	int level;

	return (level = smtp_tls_mapped(key)) >= 0 ? level :
	    smtp_tls_default();
}

/* smtp_tls_dest_init - a nexthop's policy, MTA-STS asked when needed */
void
smtp_tls_dest_init(struct smtp_tls_dest *d, const char *key)
{
	memset(d, 0, sizeof(*d));
	d->key = xstrdup(key);
	d->level = smtp_tls_mapped(key);
	d->mapped = d->level >= 0;
	if (!d->mapped)
		d->level = smtp_tls_default();
	/* A domain routed by MX: no [host], no port, no address. */
	d->by_mx = !smtp_lmtp && strpbrk(key, "[]:/") == NULL &&
	    strspn(key, "0123456789.") != strlen(key);
}

/* smtp_tls_dest_free - forget a destination's policy */
void
smtp_tls_dest_free(struct smtp_tls_dest *d)
{
	if (d->sts)
		mtasts_free(&d->policy);
	free(d->key);
	memset(d, 0, sizeof(*d));
}

/* smtp_tls_sts - the MTA-STS policy of a destination, asked once */
static int
smtp_tls_sts(struct smtp_tls_dest *d)
{
	if (!d->looked) {
		d->looked = 1;
		/* The admin's verify for the nexthop is as strong. */
		if (d->by_mx && !(d->mapped && d->level >= SMTP_TLS_VERIFY))
			d->sts = smtp_sts_policy(d->key, &d->policy);
	}
	return d->sts && d->policy.mode != MTASTS_NONE;
}

/*
 * smtp_tls_host - what a connection to a host of the destination needs:
 * 0, or -1 with why when the host must be skipped
 */
int
smtp_tls_host(struct smtp_tls_dest *d, const struct smtp_dest *h,
    struct smtp_tls_pol *p, struct buf *why)
{
	int dane;

	memset(p, 0, sizeof(*p));
	p->level = d->level;
	if (!d->by_mx || h->path[0] != '\0')
		return 0;
	/* DANE first: where it applies, MTA-STS does not (RFC 8461 2). */
	if ((dane = smtp_dane_host(h->host, h->port, &p->tlsa, why)) < 0)
		return -1;
	if (dane == SMTP_DANE_ON) {
		p->level = SMTP_TLS_DANE;
		return 0;
	}
	if (smtp_tls_sts(d)) {
		p->domain = d->key;
		p->sts = d->policy.mode;
		if (!mtasts_match(&d->policy, h->host)) {
			buf_setf(why, "MTA-STS policy: MX host %s does not "
			    "match the policy of %s", h->host, d->key);
			if (p->sts == MTASTS_ENFORCE)
				return -1;
			msg_info("%s (mode testing: tried anyway)",
			    buf_str(why));
		}
	}
	if (p->sts == MTASTS_ENFORCE)
		p->level = SMTP_TLS_VERIFY;
	else if (dane == SMTP_DANE_ENCRYPT && p->level < SMTP_TLS_ENCRYPT)
		p->level = SMTP_TLS_ENCRYPT;
	return 0;
}

/* smtp_tls_pol_free - a host's policy done with */
void
smtp_tls_pol_free(struct smtp_tls_pol *p)
{
	dns_result_free(&p->tlsa);
}

/* smtp_tls_label - what a failure is blamed on: "MTA-STS policy: " */
const char *
smtp_tls_label(const struct smtp_tls_pol *p)
{
	if (p->level == SMTP_TLS_DANE)
		return "DANE: ";
	if (p->sts == MTASTS_ENFORCE)
		return "MTA-STS policy: ";
	return "";
}

/* smtp_tls_client - the client context (smtp_tls_CAfile): NULL, why */
struct tls_ctx *
smtp_tls_client(struct buf *why)
{
	if (smtp_tls_ctx == NULL)
		smtp_tls_ctx = tls_ctx_client(var_smtp_tls_CAfile, why);
	return smtp_tls_ctx;
}

/*
 * smtp_tls_handshake - after the 220 to STARTTLS: drop what the server
 * sent after it, the handshake, the session under io; 0, -1 with why
 */
int
smtp_tls_handshake(struct lineio *io, int fd, const char *host,
    const struct smtp_tls_pol *p, struct tls **tp, struct buf *why)
{
	struct tls_tlsa rr[DNS_TLSA_MAX];
	struct tls_check chk = { TLS_CHECK_NONE, host, NULL, rr, 0 };
	struct buf *note;
	size_t i;

	if (smtp_tls_client(why) == NULL)
		return -1;
	if (p->level == SMTP_TLS_DANE) {
		chk.mode = TLS_CHECK_DANE;
		for (i = 0; i < p->tlsa->nrr && i < DNS_TLSA_MAX; i++) {
			rr[i].usage = p->tlsa->rr[i].usage;
			rr[i].selector = p->tlsa->rr[i].selector;
			rr[i].mtype = p->tlsa->rr[i].mtype;
			rr[i].data = (const unsigned char *)p->tlsa->rr[i].text;
			rr[i].len = p->tlsa->rr[i].len;
		}
		chk.ntlsa = i;
	} else if (p->level >= SMTP_TLS_VERIFY)
		chk.mode = TLS_CHECK_PKIX;
	else if (p->sts == MTASTS_TESTING)
		chk.mode = TLS_CHECK_NOTE;
	lineio_discard(io);
	if ((*tp = tls_connect_check(smtp_tls_ctx, fd,
	    (int)var_smtp_starttls_timeout, &chk, why)) == NULL)
		return -1;
	if (chk.mode == TLS_CHECK_NOTE) {
		note = buf_new(128, 1024);
		if (!tls_verified(*tp, note))
			msg_info("MTA-STS policy (testing) of %s: the "
			    "certificate of %s would fail: %s", p->domain,
			    host, buf_str(note));
		buf_free(&note);
	} else if (chk.mode == TLS_CHECK_DANE)
		msg_info("DANE: %s authenticated by a %s record", host,
		    tls_dane_match(*tp));
	lineio_set_hooks(io, tls_read, tls_write, *tp);
	return 0;
}
