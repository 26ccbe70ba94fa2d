/*
 * authc - the client side of the auth service (see authc.h for the wire
 * protocol), and the SASL PLAIN decoder that smtpd, pop3d and imapd share.
 *
 * Each call is one short connection to $queue_directory/private/auth:
 * connect, send one attribute list (with the client's descriptor for a
 * session), read one answer, close.  Nothing here keeps state, so a
 * restarted auth service costs nothing but the call in flight.
 *
 * Passwords pass through here: every copy (the request as formatted, the
 * attribute list, the decoded SASL message) is wiped before it is freed.
 * What comes from the network (the SASL text) is distrusted: its size and
 * shape are checked before anything is sent on.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "authc.h"
#include "base64.h"
#include "buf.h"
#include "ipc.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"

#define AUTHC_REPLY_MAX	8192	/* longest answer line */

/* authc_wipe_buf - overwrite and free a buffer that held a secret */
static void
authc_wipe_buf(struct buf **bp)
{
	if (*bp == NULL)
		return;
	if ((*bp)->data != NULL)
		explicit_bzero((*bp)->data, (*bp)->size);
	buf_free(bp);
}

/* authc_wipe_attr - overwrite every value, then free the list */
static void
authc_wipe_attr(struct attr *a)
{
	int i;

	for (i = 0; i < a->count; i++)
		explicit_bzero(a->value[i], strlen(a->value[i]));
	attr_free(a);
}

/* authc_is_loopback - is the client this host (loopback, Unix socket)? */
static int
authc_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6;
	const unsigned char *a;

	if (sa == NULL)
		return 0;
	switch (sa->sa_family) {
	case AF_INET:
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->
		    sin_addr;
		return a[0] == 127;
	case AF_INET6:
		s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
		    s6->sin6_addr.s6_addr[12] == 127;
	case AF_UNIX:
		return 1;
	}
	return 0;
}

/* authc_plaintext_allowed - may a password be sent on this connection? */
int
authc_plaintext_allowed(const struct sockaddr *client, int secured)
{
	return secured || !var_disable_plaintext_auth ||
	    authc_is_loopback(client);
}

/* authc_mech_enabled - is the mechanism in auth_mechanisms? */
int
authc_mech_enabled(const char *mech)
{
	return mech != NULL && *mech != '\0' && var_auth_mechanisms != NULL &&
	    match_list(mech, var_auth_mechanisms);
}

/*
 * authc_call - one request to the auth service and its answer.  With
 * pass_fd >= 0 the descriptor travels with the first bytes.  0 with the
 * answer in reply, -1 with why (the service is down or broke off).
 */
static int
authc_call(const struct attr *req, int pass_fd, struct attr *reply,
    struct buf *why)
{
	struct buf *path, *wire;
	struct lineio *in = NULL;
	int sock = -1, r = -1, timeout, n;

	timeout = var_ipc_timeout > 0 && var_ipc_timeout < 86400 ?
	    (int)var_ipc_timeout : 3600;
	path = buf_new(256, 4096);
	wire = buf_new(512, 0);
	buf_setf(path, "%s/private/auth", var_queue_directory);
	if (buf_overflowed(path)) {
		buf_setf(why, "auth socket path too long");
		goto out;
	}
	if ((sock = ipc_connect(buf_str(path), timeout)) < 0) {
		buf_setf(why, "auth service unavailable: connect %s: %s",
		    buf_str(path), strerror(errno));
		goto out;
	}
	attr_format(req, wire);
	if (pass_fd >= 0) {
		if ((n = ipc_send_fd(sock, pass_fd, buf_str(wire),
		    buf_len(wire))) < 0) {
			buf_setf(why, "auth service: send descriptor: %s",
			    strerror(errno));
			goto out;
		}
	} else
		n = 0;
	if ((size_t)n < buf_len(wire) && write_full(sock, buf_str(wire) + n,
	    buf_len(wire) - (size_t)n) < 0) {
		buf_setf(why, "auth service: write: %s", strerror(errno));
		goto out;
	}
	in = lineio_new(sock, AUTHC_REPLY_MAX, timeout);
	switch (attr_read(in, reply)) {
	case LINE_OK:
		break;
	case LINE_TIMEOUT:
		buf_setf(why, "auth service: no answer in %d s", timeout);
		goto out;
	case LINE_EOF:
		buf_setf(why, "auth service: connection closed without an "
		    "answer");
		goto out;
	default:
		buf_setf(why, "auth service: malformed answer");
		goto out;
	}
	if (attr_get(reply, "status") == NULL) {
		buf_setf(why, "auth service: answer without a status");
		goto out;
	}
	r = 0;
out:
	lineio_free(&in);
	fd_close(&sock);
	buf_free(&path);
	authc_wipe_buf(&wire);
	return r;
}

/* authc_field_ok - a request field: present (or optional), bounded, one line */
static int
authc_field_ok(const char *what, const char *s, int optional,
    struct buf *why)
{
	if (s == NULL || *s == '\0') {
		if (optional)
			return 1;
		buf_setf(why, "Authentication failed: empty %s", what);
		return 0;
	}
	if (strlen(s) >= AUTHC_FIELD_MAX) {
		buf_setf(why, "Authentication failed: %s too long", what);
		return 0;
	}
	return 1;
}

/* authc_login_mech - check a password with a named mechanism: 1, 0, -1 */
int
authc_login_mech(const char *service, const char *mech, const char *user,
    const char *password, const char *authzid, const struct sockaddr *client,
    int secured, struct authc_reply *out, struct buf *why)
{
	struct attr req, reply;
	const char *status, *v;
	char rip[64];
	int r;

	memset(out, 0, sizeof(*out));
	if (service == NULL || *service == '\0' || mech == NULL ||
	    *mech == '\0')
		msg_panic("%s: no service or mechanism", __func__);
	if (!authc_field_ok("user name", user, 0, why) ||
	    !authc_field_ok("password", password, 0, why) ||
	    !authc_field_ok("authorization identity", authzid, 1, why))
		return 0;
	attr_init(&req);
	attr_init(&reply);
	attr_set(&req, "request", "login");
	attr_set(&req, "service", service);
	attr_set(&req, "mech", mech);
	attr_set(&req, "user", user);
	attr_set(&req, "password", password);
	if (authzid != NULL && *authzid != '\0')
		attr_set(&req, "authzid", authzid);
	attr_set(&req, "rip", addr_ntop(client, rip, sizeof(rip)));
	attr_set(&req, "secured", secured ? "1" : "0");
	if (authc_call(&req, -1, &reply, why) < 0) {
		r = -1;
		goto out;
	}
	status = attr_get(&reply, "status");
	if (strcmp(status, "ok") == 0) {
		v = attr_get(&reply, "account");
		if (v == NULL || *v == '\0' ||
		    strlen(v) >= sizeof(out->account)) {
			buf_setf(why, "auth service: bad account in answer");
			r = -1;
			goto out;
		}
		memcpy(out->account, v, strlen(v) + 1);
		v = attr_get(&reply, "token");
		if (v != NULL && strlen(v) < sizeof(out->token))
			memcpy(out->token, v, strlen(v) + 1);
		r = 1;
	} else {
		v = attr_get(&reply, "reason");
		buf_set(why, v != NULL && *v != '\0' ? v :
		    "Authentication failed");
		r = strcmp(status, "fail") == 0 ? 0 : -1;
		v = attr_get(&reply, "code");
		out->limit = v != NULL && strcmp(v, "limit") == 0;
	}
out:
	authc_wipe_attr(&req);
	attr_free(&reply);
	return r;
}

/* authc_login - check a password (PLAIN, or POP3 USER/PASS): 1, 0, -1 */
int
authc_login(const char *service, const char *user, const char *password,
    const char *authzid, const struct sockaddr *client, int secured,
    struct authc_reply *out, struct buf *why)
{
	return authc_login_mech(service, "PLAIN", user, password, authzid,
	    client, secured, out, why);
}

/* authc_session - pass the client to auth, which starts the mailbox side */
int
authc_session(const char *token, int client_fd, struct buf *why)
{
	struct attr req, reply;
	const char *v;
	int r = -1;

	if (token == NULL || *token == '\0' ||
	    strlen(token) >= AUTHC_TOKEN_MAX) {
		buf_setf(why, "no valid login token");
		return -1;
	}
	if (client_fd < 0) {
		buf_setf(why, "no client descriptor");
		return -1;
	}
	attr_init(&req);
	attr_init(&reply);
	attr_set(&req, "request", "session");
	attr_set(&req, "token", token);
	if (authc_call(&req, client_fd, &reply, why) < 0)
		goto out;
	if (strcmp(attr_get(&reply, "status"), "ok") == 0)
		r = 0;
	else {
		v = attr_get(&reply, "reason");
		buf_set(why, v != NULL && *v != '\0' ? v :
		    "the mailbox session could not start");
	}
out:
	authc_wipe_attr(&req);
	attr_free(&reply);
	return r;
}

/* authc_sasl_plain_decode - split a SASL PLAIN message: 0, or -1 malformed */
int
authc_sasl_plain_decode(const char *b64, struct buf *authzid,
    struct buf *user, struct buf *pass)
{
	struct buf *raw;
	const char *p, *nul1, *nul2, *end;
	size_t len;
	int r = -1;

	buf_reset(authzid);
	buf_reset(user);
	buf_reset(pass);
	if (b64 == NULL)
		return -1;
	len = strlen(b64);
	/* Three fields of at most AUTHC_FIELD_MAX - 1 bytes, two NULs. */
	if (len > (3 * AUTHC_FIELD_MAX + 3) / 3 * 4 + 4)
		return -1;
	raw = buf_new(len, 0);
	if (base64_decode(raw, b64, len) < 0)
		goto out;
	p = buf_str(raw);
	end = p + buf_len(raw);
	if ((nul1 = memchr(p, '\0', (size_t)(end - p))) == NULL)
		goto out;
	if ((nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1))) == NULL)
		goto out;
	if (memchr(nul2 + 1, '\0', (size_t)(end - nul2 - 1)) != NULL)
		goto out;
	if (nul1 - p >= AUTHC_FIELD_MAX || nul2 - nul1 - 1 >= AUTHC_FIELD_MAX ||
	    end - nul2 - 1 >= AUTHC_FIELD_MAX)
		goto out;
	if (nul2 == nul1 + 1 || end == nul2 + 1)
		goto out;		/* empty user or password */
	buf_append(authzid, p, (size_t)(nul1 - p));
	buf_append(user, nul1 + 1, (size_t)(nul2 - nul1 - 1));
	buf_append(pass, nul2 + 1, (size_t)(end - nul2 - 1));
	if (buf_overflowed(authzid) || buf_overflowed(user) ||
	    buf_overflowed(pass))
		goto out;
	r = 0;
out:
	if (r < 0) {
		buf_reset(authzid);
		buf_reset(user);
		if (pass->data != NULL)
			explicit_bzero(pass->data, pass->size);
		buf_reset(pass);
	}
	authc_wipe_buf(&raw);
	return r;
}
