/*
 * smtp_sasl - the password for a server, and the SASL PLAIN response.
 *
 * smtp_sasl_password_maps is looked up with the nexthop as qmgr gives it
 * ([relay.example]:587), then [host]:port, [host], host:port and host of
 * the address being tried; its value is user:password.  The buffers that
 * hold a password are marked secret (wiped when freed); the password
 * is never logged.  The dialog (which mechanism, only over TLS unless
 * smtp_sasl_auth_requires_tls = no) is smtp_session.c's.
 */
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "smtp.h"
#include "smtp_sasl.h"

static struct map *smtp_sasl_map;

/*
 * smtp_sasl_password - user and password for a destination: 1 found,
 * 0 none (or SASL off), -1 a table that cannot be read
 */
int
smtp_sasl_password(const char *key, const struct smtp_dest *d,
    struct buf *user, struct buf *pass)
{
	struct buf *v, *why, *k;
	const char *colon;
	int i, found = 0;

	if (!var_smtp_sasl_auth_enable || *var_smtp_sasl_password_maps == '\0')
		return 0;
	why = buf_new(64, 1024);
	if (smtp_sasl_map == NULL && (smtp_sasl_map =
	    map_open(var_smtp_sasl_password_maps, 0, why)) == NULL) {
		msg_warn("smtp_sasl_password_maps: %s", buf_str(why));
		buf_free(&why);
		return -1;
	}
	v = buf_new(64, 1024);
	buf_secret(v);
	k = buf_new(64, 600);
	for (i = 0; i < 5 && found == 0; i++) {
		switch (i) {
		case 0: buf_set(k, key); break;
		case 1: buf_setf(k, "[%s]:%u", d->host, d->port); break;
		case 2: buf_setf(k, "[%s]", d->host); break;
		case 3: buf_setf(k, "%s:%u", d->host, d->port); break;
		default: buf_set(k, d->host); break;
		}
		found = map_lookup(smtp_sasl_map, buf_str(k), v);
	}
	if (found > 0 && (colon = strchr(buf_str(v), ':')) != NULL) {
		buf_reset(user);
		buf_append(user, buf_str(v), (size_t)(colon - buf_str(v)));
		buf_set(pass, colon + 1);
	} else if (found > 0) {
		msg_warn("smtp_sasl_password_maps: the value for %s is not "
		    "user:password", buf_str(k));
		found = -1;
	}
	buf_free(&v);
	buf_free(&k);
	buf_free(&why);
	return found < 0 ? -1 : found;
}

/* smtp_sasl_plain - the PLAIN response: base64 of NUL user NUL pass */
void
smtp_sasl_plain(const char *user, const char *pass, struct buf *out)
{
	struct buf *raw = buf_new(128, 0);

	buf_secret(raw);
	buf_putc(raw, '\0');
	buf_puts(raw, user);
	buf_putc(raw, '\0');
	buf_puts(raw, pass);
	base64_encode(out, buf_str(raw), buf_len(raw));
	buf_free(&raw);
}
