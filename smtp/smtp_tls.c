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
 * After the server's 220 to STARTTLS, whatever else it sent before the
 * handshake is discarded (a server, or a man in the middle, that
 * pipelines replies there could otherwise have them read as the
 * encrypted session's): the handshake starts on an empty buffer.
 */
#include <strings.h>
#include <stdlib.h>

#include "buf.h"
#include "lineio.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "tls.h"
#include "util.h"
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

/* smtp_tls_level - the TLS level for a nexthop */
int
smtp_tls_level(const char *key)
{
	struct buf *v, *why;
	int level = -1;

	if (*var_smtp_tls_policy_maps != '\0') {
		v = buf_new(64, 1024);
		why = buf_new(64, 1024);
		if (smtp_tls_policy == NULL &&
		    (smtp_tls_policy = map_open(var_smtp_tls_policy_maps, 0,
		    why)) == NULL)
			msg_warn("smtp_tls_policy_maps: %s", buf_str(why));
		/* A table that cannot be read: the safe end, encrypt. */
		if (smtp_tls_policy == NULL)
			level = SMTP_TLS_ENCRYPT;
		else if (map_lookup(smtp_tls_policy, key, v) > 0 &&
		    (level = smtp_tls_name(buf_str(v))) < 0) {
			msg_warn("smtp_tls_policy_maps: bad level \"%s\" for "
			    "%s: encrypt", buf_str(v), key);
			level = SMTP_TLS_ENCRYPT;
		}
		buf_free(&v);
		buf_free(&why);
	}
	if (level < 0 && (level = smtp_tls_name(var_smtp_tls_security_level))
	    < 0) {
		msg_warn("bad smtp_tls_security_level \"%s\": encrypt",
		    var_smtp_tls_security_level);
		level = SMTP_TLS_ENCRYPT;
	}
	return level;
}

/*
 * smtp_tls_handshake - after the 220 to STARTTLS: drop what the server
 * sent after it, the handshake, the session under io; 0, -1 with why
 */
int
smtp_tls_handshake(struct lineio *io, int fd, const char *host, int level,
    struct tls **tp, struct buf *why)
{
	if (smtp_tls_ctx == NULL &&
	    (smtp_tls_ctx = tls_ctx_client(var_smtp_tls_CAfile, why)) == NULL)
		return -1;
	lineio_discard(io);
	if ((*tp = tls_connect(smtp_tls_ctx, fd, (int)var_smtp_starttls_timeout,
	    host, level >= SMTP_TLS_VERIFY, why)) == NULL)
		return -1;
	lineio_set_hooks(io, tls_read, tls_write, *tp);
	return 0;
}
