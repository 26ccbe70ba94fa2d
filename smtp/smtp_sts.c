/*
 * smtp_sts - a destination's MTA-STS policy (RFC 8461), in a worker:
 * the TXT record of _mta-sts.DOMAIN, the policy from
 * https://mta-sts.DOMAIN/.well-known/mta-sts.txt (lib/https.c), and the
 * cache of policies in smtp_mta_sts_cache_directory, a file per domain.
 *
 * What is in force (RFC 8461 3.3, 5.1):
 *	- a cached policy whose TXT id is still the one published, and
 *	  whose max_age has not passed;
 *	- else the one fetched now, when the TXT record names a policy (it
 *	  is then cached, replacing the old one atomically);
 *	- else, when the fetch fails or the TXT lookup fails or finds none,
 *	  a cached policy that has not expired (an attacker who blocks the
 *	  fetch or the TXT record gains nothing while it lives);
 *	- else none: mail goes as the TLS level says.
 *
 * Every failure is logged with its reason; none defers mail by itself.
 * The fetched text is parsed (lib/mtasts.c) before it is cached, and
 * a cache file is parsed again when read; the domain is checked to be a
 * host name before it names a file.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dns.h"
#include "https.h"
#include "msg.h"
#include "mtasts.h"
#include "params.h"
#include "util.h"
#include "smtp.h"
#include "smtp_tls.h"

/* smtp_sts_path - the cache file of a domain: 0, -1 when no file name */
static int
smtp_sts_path(const char *domain, struct buf *path)
{
	if (!dns_name_ok(domain))
		return -1;
	buf_setf(path, "%s/", var_smtp_mta_sts_cache_directory);
	buf_puts(path, domain);
	if (buf_overflowed(path))
		return -1;
	lowercase(path->data + buf_len(path) - strlen(domain));
	return 0;
}

/* smtp_sts_cached - the cached policy of a domain: 1, 0 (none) */
static int
smtp_sts_cached(const char *path, struct mtasts *p)
{
	struct buf *why = buf_new(128, 1024), *text;

	text = file_slurp(path, (size_t)var_smtp_mta_sts_policy_size_limit +
	    128, why);
	if (text == NULL) {
		if (errno != ENOENT)
			msg_warn("MTA-STS cache: %s", buf_str(why));
		buf_free(&why);
		return 0;
	}
	if (mtasts_load(buf_str(text), buf_len(text), p, why) < 0) {
		msg_warn("MTA-STS cache %s: %s: ignored", path, buf_str(why));
		buf_free(&text);
		buf_free(&why);
		return 0;
	}
	buf_free(&text);
	buf_free(&why);
	return 1;
}

/* smtp_sts_txt - the policy id the DNS publishes: 1, 0 none, -1 failed */
static int
smtp_sts_txt(const char *domain, char *id)
{
	struct dns_result *r;
	struct buf *name = buf_new(64, 1024), *why = buf_new(64, 1024);
	char one[MTASTS_ID_MAX + 1];
	size_t i;
	int n = 0, status;

	buf_setf(name, "_mta-sts.%s", domain);
	status = dns_lookup_wait(DNS_T_TXT, buf_str(name),
	    (long)var_smtp_mta_sts_timeout * 1000, &r);
	/* Records not starting with "v=STSv1" are not ours (3.1). */
	for (i = 0; status == DNS_OK && i < r->nrr; i++)
		if (strncmp(r->rr[i].text, "v=STSv1", 7) == 0 &&
		    (r->rr[i].text[7] == ';' || r->rr[i].text[7] == ' ' ||
		    r->rr[i].text[7] == '\t' || r->rr[i].text[7] == '\0')) {
			n++;
			if (mtasts_txt(r->rr[i].text, one, why) == 0)
				memcpy(id, one, sizeof(one));
			else
				n = 2;	/* a malformed one: none */
		}
	if (status == DNS_TEMPFAIL)
		msg_info("MTA-STS: %s", r->why != NULL ? r->why : "lookup "
		    "failed");
	else if (n > 1)
		msg_info("MTA-STS: %s: %s", buf_str(name), buf_len(why) > 0 ?
		    buf_str(why) : "more than one STSv1 record: none used");
	dns_result_free(&r);
	buf_free(&name);
	buf_free(&why);
	return status == DNS_TEMPFAIL ? -1 : n == 1;
}

/* smtp_sts_fetch - fetch, parse and cache a domain's policy: 1, 0 */
static int
smtp_sts_fetch(const char *domain, const char *id, const char *path,
    struct mtasts *p)
{
	struct buf *host = buf_new(64, 1024), *why = buf_new(128, 2048);
	struct buf *body = buf_new(1024, 0), *file = buf_new(1024, 0);
	struct https_get g;
	int r = 0;

	memset(&g, 0, sizeof(g));
	buf_setf(host, "mta-sts.%s", domain);
	g.host = buf_str(host);
	g.port = 443;
	g.path = "/.well-known/mta-sts.txt";
	g.timeout = (int)var_smtp_mta_sts_timeout;
	g.limit = (size_t)var_smtp_mta_sts_policy_size_limit;
	g.allowed = smtp_dest_allowed;
	g.rule = "smtp_destination_networks";
	if ((g.ctx = smtp_tls_client(why)) == NULL ||
	    https_get(&g, body, why) < 0 ||
	    mtasts_parse(buf_str(body), buf_len(body), p, why) < 0) {
		msg_info("MTA-STS policy of %s not fetched: %s", domain,
		    buf_str(why));
		goto out;
	}
	memcpy(p->id, id, strlen(id) + 1);
	p->fetched = (long long)time(NULL);
	mtasts_save(p, buf_str(body), buf_len(body), file);
	if (mkdir_p(var_smtp_mta_sts_cache_directory, 0700) < 0 ||
	    file_replace(path, file, 0600, (uid_t)-1, (gid_t)-1, why) < 0)
		msg_warn("MTA-STS cache %s: %s", path, buf_str(why));
	msg_info("MTA-STS policy of %s fetched: id=%s mode=%s max_age=%lld "
	    "mx=%d", domain, id, mtasts_mode_str(p->mode), p->max_age,
	    p->nmx);
	r = 1;
out:
	buf_free(&host);
	buf_free(&why);
	buf_free(&body);
	buf_free(&file);
	return r;
}

/*
 * smtp_sts_policy - the MTA-STS policy in force for a domain: 1 with
 * *p filled (mtasts_free it), 0 none
 */
int
smtp_sts_policy(const char *domain, struct mtasts *p)
{
	struct buf *path = buf_new(256, 4096);
	struct mtasts cached;
	char id[MTASTS_ID_MAX + 1] = "";
	int have, txt, live, r = 0;

	memset(p, 0, sizeof(*p));
	if (!var_smtp_mta_sts || smtp_sts_path(domain, path) < 0) {
		buf_free(&path);
		return 0;
	}
	have = smtp_sts_cached(buf_str(path), &cached);
	live = have && cached.fetched + cached.max_age > (long long)time(NULL);
	txt = smtp_sts_txt(domain, id);
	if (live && (txt <= 0 || strcmp(id, cached.id) == 0)) {
		*p = cached;		/* still the one published */
		r = 1;
	} else if (txt == 1 && smtp_sts_fetch(domain, id, buf_str(path), p))
		r = 1;
	else if (live) {
		msg_info("MTA-STS: the cached policy of %s stays in force",
		    domain);
		*p = cached;
		r = 1;
	}
	if (have && (r == 0 || p->mx != cached.mx))
		mtasts_free(&cached);
	buf_free(&path);
	return r;
}
