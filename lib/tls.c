/*
 * tls - TLS over OpenSSL: the server side (with a certificate per server
 * name, SNI, from tls_server_sni_maps), the client side of the smtp agent
 * (tls_ctx_client, tls_connect), and a certificate's facts for "cartero
 * check" (tls_cert_info).
 *
 * Policy, fixed here rather than configured: TLS 1.2 and 1.3 only (older
 * versions are refused in the handshake); for 1.2 only ECDHE key exchange
 * with AEAD ciphers (AES-GCM, ChaCha20-Poly1305), for 1.3 OpenSSL's
 * suites; no compression (CRIME), no renegotiation (a client could make
 * us spend CPU, and it confuses the STARTTLS boundary), no session cache
 * and no tickets (every process has its own keys, so resumption would not
 * work across processes anyway; and each session keeps less memory).
 *
 * Sessions run on the caller's socket, made non-blocking: OpenSSL returns
 * WANT_READ or WANT_WRITE and we poll() for the fd with the session's
 * timeout, so no wait is unbounded (a client that trickles a handshake
 * byte by byte still meets the deadline given to tls_accept()).
 *
 * What the peer sends is distrusted: OpenSSL parses it; we only hand out
 * decrypted bytes, whose framing the protocol's reader bounds.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "tls.h"
#include "util.h"

#define TLS_CIPHERS_12	"ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL"
#define TLS_PROXY_BUF	16384

/* A certificate of tls_server_sni_maps: the name it is for, its context. */
struct tls_sni {
	char		*name;		/* "mired.org" or ".mired.org" */
	struct tls_ctx	*ctx;
};

struct tls_ctx {
	SSL_CTX		*ctx;
	struct tls_sni	*sni;		/* tls_server_sni_maps, or none */
	size_t		 nsni;
};

struct tls {
	SSL		*ssl;
	int		 fd;
	int		 fl;		/* the fd's own flags */
	int		 timeout;	/* seconds, 0: none */
	int		 dead;		/* failed: no close_notify */
	char		 info[128];
};

/* tls_why - the reason of OpenSSL's last error, after a prefix */
static void
tls_why(struct buf *why, const char *prefix)
{
	unsigned long e, last = 0;
	const char *r;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (why == NULL)
		return;
	r = last ? ERR_reason_error_string(last) : NULL;
	if (r != NULL)
		buf_setf(why, "%s: %s", prefix, r);
	else if (last)
		buf_setf(why, "%s: OpenSSL error %lx", prefix, last);
	else
		buf_setf(why, "%s", prefix);
}

/* tls_readable - can we read this file: 0, or -1 with why */
static int
tls_readable(const char *what, const char *path, struct buf *why)
{
	FILE *fp;

	if (path == NULL || *path == '\0') {
		buf_setf(why, "%s is empty", what);
		return -1;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		buf_setf(why, "cannot read %s %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	fclose(fp);
	return 0;
}

/* tls_ssl_ctx - an OpenSSL context of TLS 1.2 and 1.3 only: NULL, why */
static SSL_CTX *
tls_ssl_ctx(const SSL_METHOD *method, struct buf *why)
{
	SSL_CTX *ctx;

	if (OPENSSL_init_ssl(0, NULL) == 0) {
		tls_why(why, "OpenSSL initialization failed");
		return NULL;
	}
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(method)) == NULL) {
		tls_why(why, "SSL_CTX_new");
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) {
		tls_why(why, "cannot limit the TLS versions to 1.2 and 1.3");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* tls_ctx_new - a server context with our policy, certificate and key */
struct tls_ctx *
tls_ctx_new(const char *cert, const char *key, struct buf *why)
{
	struct tls_ctx *c;
	SSL_CTX *ctx;
	struct buf *pfx;
	long opts;

	if (tls_readable("tls_cert_file", cert, why) < 0 ||
	    tls_readable("tls_key_file", key, why) < 0)
		return NULL;
	if ((ctx = tls_ssl_ctx(TLS_server_method(), why)) == NULL)
		return NULL;
	pfx = buf_new(128, 0);
	opts = SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION;
#ifdef SSL_OP_NO_CLIENT_RENEGOTIATION
	opts |= SSL_OP_NO_CLIENT_RENEGOTIATION;
#endif
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* Mail protocols frame their own data: a bare EOF is an EOF. */
	opts |= SSL_OP_IGNORE_UNEXPECTED_EOF;
#endif
	SSL_CTX_set_options(ctx, opts);
	if (!SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12)) {
		tls_why(why, "cannot set the TLS 1.2 ciphers");
		goto bad;
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	    SSL_MODE_RELEASE_BUFFERS);
	buf_setf(pfx, "tls_cert_file %s", cert);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_why(why, buf_str(pfx));
		goto bad;
	}
	buf_setf(pfx, "tls_key_file %s", key);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_why(why, buf_str(pfx));
		goto bad;
	}
	buf_setf(pfx, "tls_key_file %s does not match tls_cert_file %s",
	    key, cert);
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_why(why, buf_str(pfx));
		goto bad;
	}
	/* Seed the generator now, before a chroot hides the system's. */
	if (RAND_status() != 1) {
		tls_why(why, "the random number generator has no seed");
		goto bad;
	}
	buf_free(&pfx);
	c = xcalloc(1, sizeof(*c));
	c->ctx = ctx;
	return c;
bad:
	buf_free(&pfx);
	SSL_CTX_free(ctx);
	return NULL;
}

/*
 * tls_ctx_cleanse - have OpenSSL overwrite a record's plaintext once it
 * has been read and free its buffers between records, so a process that
 * serves many clients (the login sides) keeps none of an earlier one's
 * text (SSL_OP_CLEANSE_PLAINTEXT, OpenSSL 3).
 */
void
tls_ctx_cleanse(struct tls_ctx *c)
{
	size_t i;

#ifdef SSL_OP_CLEANSE_PLAINTEXT
	SSL_CTX_set_options(c->ctx, SSL_OP_CLEANSE_PLAINTEXT);
#endif
	for (i = 0; i < c->nsni; i++)
		tls_ctx_cleanse(c->sni[i].ctx);
}

/*
 * SNI (RFC 6066 3): tls_server_sni_maps, a lookup table from a domain to
 * "keyfile certfile" or one PEM file with both, as Postfix's.  Every entry
 * is read when the context is made (as root, before a chroot: the keys
 * may be root's only), each into a context of its own with our policy; a
 * handshake whose client names a server gets the context of that name,
 * else of its closest parent written ".mired.org", else the default.  An
 * entry that cannot be read is skipped with a warning, so one domain's
 * broken file does not take TLS away from the others.
 */

/*
 * tls_sni_files - the certificate and key files of a tls_server_sni_maps
 * value ("keyfile certfile", or one file with both) into cert and key:
 * 0, or -1 with why
 */
int
tls_sni_files(const char *value, struct buf *cert, struct buf *key,
    struct buf *why)
{
	char *copy, *cp, *w[3];
	int n = 0;

	copy = cp = xstrdup(value);
	while (n < 3 && (w[n] = mystrtok(&cp, ", \t")) != NULL)
		n++;
	if (n == 1 || n == 2) {
		buf_set(key, w[0]);
		buf_set(cert, w[n - 1]);
	} else
		buf_setf(why, "expected \"keyfile certfile\" or one file "
		    "with both, found \"%s\"", value);
	free(copy);
	return n == 1 || n == 2 ? 0 : -1;
}

/* tls_sni_add - one entry of the map: a context for name; a map_walk_fn */
static int
tls_sni_add(const char *name, const char *value, void *arg,
    struct buf *why)
{
	struct tls_ctx *c = arg, *sub;
	struct buf *cert = buf_new(128, PATH_MAX), *key = buf_new(128,
	    PATH_MAX), *err = buf_new(128, 1024);

	if (tls_sni_files(value, cert, key, err) < 0 ||
	    (sub = tls_ctx_new(buf_str(cert), buf_str(key), err)) == NULL)
		msg_warn("tls_server_sni_maps: %s: %s; clients asking for %s "
		    "get the default certificate", name, buf_str(err), name);
	else {
		c->sni = xrealloc(c->sni, (c->nsni + 1) * sizeof(*c->sni));
		c->sni[c->nsni].name = lowercase(xstrdup(name));
		c->sni[c->nsni++].ctx = sub;
	}
	buf_free(&cert);
	buf_free(&key);
	buf_free(&err);
	return 0;
}

/* tls_sni_find - the context for a server name, or NULL: the default */
static struct tls_ctx *
tls_sni_find(struct tls_ctx *c, const char *name)
{
	const char *p;
	size_t i;

	for (p = name; p != NULL; p = strchr(p + 1, '.'))
		for (i = 0; i < c->nsni; i++)
			if (strcasecmp(c->sni[i].name, p) == 0)
				return c->sni[i].ctx;
	return NULL;
}

/* tls_sni_pick - OpenSSL's servername callback: the client's name's */
static int
tls_sni_pick(SSL *ssl, int *alert, void *arg)
{
	struct tls_ctx *sub;
	const char *name;

	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (name == NULL || strlen(name) > 253 ||
	    (sub = tls_sni_find(arg, name)) == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	if (SSL_set_SSL_CTX(ssl, sub->ctx) == NULL)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

/* tls_sni_load - the certificates of a tls_server_sni_maps list */
static void
tls_sni_load(struct tls_ctx *c, const char *maps)
{
	struct buf *why = buf_new(128, 1024);
	struct map *m;

	if ((m = map_open(maps, 0, why)) == NULL ||
	    map_walk(m, tls_sni_add, c, why) < 0)
		msg_warn("tls_server_sni_maps: %s; every client gets the "
		    "default certificate", buf_str(why));
	map_close(&m);
	buf_free(&why);
	if (c->nsni > 0) {
		SSL_CTX_set_tlsext_servername_callback(c->ctx, tls_sni_pick);
		SSL_CTX_set_tlsext_servername_arg(c->ctx, c);
	}
}

/*
 * tls_ctx_server - the context of tls_cert_file and tls_key_file, with
 * the certificates of tls_server_sni_maps (tls_sni.c) beside it
 */
struct tls_ctx *
tls_ctx_server(struct buf *why)
{
	struct tls_ctx *c;

	if ((c = tls_ctx_new(var_tls_cert_file, var_tls_key_file,
	    why)) == NULL)
		return NULL;
	if (var_tls_server_sni_maps != NULL && *var_tls_server_sni_maps)
		tls_sni_load(c, var_tls_server_sni_maps);
	return c;
}

/* tls_ctx_free - release a context, and those of its SNI names */
void
tls_ctx_free(struct tls_ctx **cp)
{
	size_t i;

	if (*cp == NULL)
		return;
	for (i = 0; i < (*cp)->nsni; i++) {
		free((*cp)->sni[i].name);
		tls_ctx_free(&(*cp)->sni[i].ctx);
	}
	free((*cp)->sni);
	SSL_CTX_free((*cp)->ctx);
	free(*cp);
	*cp = NULL;
}

/*
 * tls_cert_info - the first certificate of a PEM file: when it expires
 * (*not_after) and whether it is good for host (*name_ok: its
 * subjectAltName, else its CN, as mail clients check it).  0, or -1 with
 * why.  For "cartero check", which reads what the servers will present.
 */
int
tls_cert_info(const char *path, const char *host, time_t *not_after,
    int *name_ok, struct buf *why)
{
	struct tm tm;
	FILE *fp;
	X509 *x;
	int r = -1;

	if ((fp = fopen(path, "re")) == NULL) {
		buf_setf(why, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	ERR_clear_error();
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL) {
		buf_setf(why, "%s holds no PEM certificate", path);
		tls_why(NULL, NULL);
		return -1;
	}
	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		buf_setf(why, "%s: the certificate's end date is unreadable",
		    path);
	else {
		*not_after = timegm(&tm);
		*name_ok = host != NULL && *host != '\0' &&
		    X509_check_host(x, host, 0, 0, NULL) == 1;
		r = 0;
	}
	X509_free(x);
	return r;
}

/*
 * tls_poll - wait until fd can do what OpenSSL wants (events), at most ms
 * milliseconds (-1: no limit); 1 ready, 0 timeout, -1 error
 */
static int
tls_poll(int fd, short events, long long ms)
{
	struct pollfd pfd;
	int r;

	pfd.fd = fd;
	pfd.events = events;
	for (;;) {
		r = poll(&pfd, 1, ms < 0 ? -1 : ms > INT_MAX ? INT_MAX :
		    (int)ms);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

/*
 * tls_result - what an SSL call that returned r <= 0 means: POLLIN or
 * POLLOUT (retry when the fd is ready), 0 for a clean end of input, or -1
 * with errno set (ECONNRESET, EPROTO...)
 */
static int
tls_result(struct tls *t, int r)
{
	int saved = errno;

	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return POLLOUT;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		t->dead = 1;
		if (ERR_peek_error() == 0 && (r == 0 || saved == 0))
			return 0;	/* EOF without close_notify */
		ERR_clear_error();
		errno = saved ? saved : ECONNRESET;
		return -1;
	default:
		t->dead = 1;
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

/*
 * tls_want - after an SSL call returned r <= 0: 0 when it should be retried
 * (the fd is ready), 1 for a clean end of input, or -1 with errno set
 * (ETIMEDOUT after the deadline, or the session's timeout when the
 * deadline is 0)
 */
static int
tls_want(struct tls *t, int r, long long deadline)
{
	long long ms;
	int ev, w;

	if ((ev = tls_result(t, r)) <= 0)
		return ev == 0 ? 1 : -1;
	if (deadline > 0) {
		ms = deadline - now_ms();
		if (ms <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	} else
		ms = t->timeout > 0 ? (long long)t->timeout * 1000 : -1;
	w = tls_poll(t->fd, (short)ev, ms);
	if (w == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return w < 0 ? -1 : 0;
}

/* tls_free - release a session and give the fd its flags back */
static void
tls_free(struct tls *t)
{
	SSL_free(t->ssl);
	(void)fcntl(t->fd, F_SETFL, t->fl);
	free(t);
}

/* tls_session_new - a session on fd, made non-blocking: NULL with why */
static struct tls *
tls_session_new(struct tls_ctx *c, int fd, int timeout, struct buf *why)
{
	struct tls *t;

	t = xcalloc(1, sizeof(*t));
	t->fd = fd;
	t->timeout = timeout;
	if ((t->fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, t->fl | O_NONBLOCK) < 0) {
		buf_setf(why, "fcntl: %s", strerror(errno));
		free(t);
		return NULL;
	}
	ERR_clear_error();
	if ((t->ssl = SSL_new(c->ctx)) == NULL || !SSL_set_fd(t->ssl, fd)) {
		tls_why(why, "SSL_new");
		tls_free(t);
		return NULL;
	}
	return t;
}

/*
 * tls_handshake - SSL_accept or SSL_connect until done, bounded by the
 * session's timeout in all: the session, or NULL (freed) with why
 */
static struct tls *
tls_handshake(struct tls *t, int (*step)(SSL *), const char *peer,
    struct buf *why)
{
	long long deadline = 0;
	int r, w;

	if (t->timeout > 0)
		deadline = now_ms() + (long long)t->timeout * 1000;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((r = step(t->ssl)) == 1)
			break;
		if (SSL_get_error(t->ssl, r) == SSL_ERROR_SSL) {
			tls_why(why, "TLS handshake failed");
			if (SSL_get_verify_result(t->ssl) != X509_V_OK)
				buf_appendf(why, " (%s)",
				    X509_verify_cert_error_string(
				    SSL_get_verify_result(t->ssl)));
			tls_free(t);
			return NULL;
		}
		if ((w = tls_want(t, r, deadline)) == 0)
			continue;
		if (w > 0)
			buf_setf(why, "TLS handshake failed: the %s "
			    "closed the connection", peer);
		else if (errno == ETIMEDOUT)
			buf_setf(why, "TLS handshake timed out");
		else
			buf_setf(why, "TLS handshake failed: %s",
			    strerror(errno));
		tls_free(t);
		return NULL;
	}
	snprintf(t->info, sizeof(t->info), "%s with cipher %s",
	    SSL_get_version(t->ssl), SSL_get_cipher_name(t->ssl));
	return t;
}

/* tls_accept - the server handshake, bounded by timeout seconds in all */
struct tls *
tls_accept(struct tls_ctx *c, int fd, int timeout, struct buf *why)
{
	struct tls *t;

	if ((t = tls_session_new(c, fd, timeout, why)) == NULL)
		return NULL;
	return tls_handshake(t, SSL_accept, "client", why);
}

/*
 * tls_ctx_client - a client context: TLS 1.2 and 1.3, the CAs of a PEM
 * file (cafile) or else the system's store for tls_connect's
 * verification.  NULL with why.
 */
struct tls_ctx *
tls_ctx_client(const char *cafile, struct buf *why)
{
	struct tls_ctx *c;
	SSL_CTX *ctx;

	if ((ctx = tls_ssl_ctx(TLS_client_method(), why)) == NULL)
		return NULL;
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	if (cafile != NULL && *cafile != '\0') {
		if (!SSL_CTX_load_verify_locations(ctx, cafile, NULL)) {
			tls_why(why, "cannot read the CA file");
			buf_appendf(why, " (%s)", cafile);
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else if (!SSL_CTX_set_default_verify_paths(ctx))
		ERR_clear_error();	/* no store: verify fails */
	if (SSL_CTX_dane_enable(ctx) <= 0)
		ERR_clear_error();	/* then DANE fails, nothing else */
	c = xcalloc(1, sizeof(*c));
	c->ctx = ctx;
	return c;
}

/*
 * tls_connect - the client handshake with the server named host (SNI
 * when it is a name), bounded by timeout seconds; with verify, the
 * server's chain must lead to the CA store and name host.  NULL with why.
 */
struct tls *
tls_connect(struct tls_ctx *c, int fd, int timeout, const char *host,
    int verify, struct buf *why)
{
	struct tls_check chk = { verify ? TLS_CHECK_PKIX : TLS_CHECK_NONE,
	    host, NULL, NULL, 0 };

	return tls_connect_check(c, fd, timeout, &chk, why);
}

/*
 * tls_dane_set - DANE (RFC 7672 3) on a session: the records as trust
 * anchors (DANE-TA) or the server's own key (DANE-EE, whose names and
 * dates are not checked, 3.1.1); host and names are the names a
 * DANE-TA chain's certificate must have.  0, -1 with why when no record
 * is usable.
 */
static int
tls_dane_set(struct tls *t, const struct tls_check *chk, struct buf *why)
{
	size_t i, usable = 0;
	int r;

	if (SSL_dane_enable(t->ssl, chk->host) <= 0) {
		tls_why(why, "cannot enable DANE");
		return -1;
	}
	(void)SSL_dane_set_flags(t->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (i = 0; chk->names != NULL && chk->names[i] != NULL; i++)
		(void)SSL_add1_host(t->ssl, chk->names[i]);
	for (i = 0; i < chk->ntlsa; i++) {
		/* PKIX-TA(0) and PKIX-EE(1) are unusable in SMTP (3.1.3). */
		if (chk->tlsa[i].usage != 2 && chk->tlsa[i].usage != 3)
			continue;
		r = SSL_dane_tlsa_add(t->ssl, chk->tlsa[i].usage,
		    chk->tlsa[i].selector, chk->tlsa[i].mtype,
		    chk->tlsa[i].data, chk->tlsa[i].len);
		if (r > 0)
			usable++;
		ERR_clear_error();	/* an unusable one: skipped */
	}
	if (usable == 0) {
		buf_setf(why, "no usable TLSA record");
		return -1;
	}
	SSL_set_verify(t->ssl, SSL_VERIFY_PEER, NULL);
	return 0;
}

/*
 * tls_connect_check - the client handshake, the server checked as chk
 * says: not at all, against the CA store and host (PKIX), the same
 * without failing (NOTE: tls_verified() tells afterwards), or by its
 * TLSA records (DANE).  NULL with why.
 */
struct tls *
tls_connect_check(struct tls_ctx *c, int fd, int timeout,
    const struct tls_check *chk, struct buf *why)
{
	const char *host = chk->host;
	struct tls *t;

	if ((t = tls_session_new(c, fd, timeout, why)) == NULL)
		return NULL;
	if (host != NULL && strchr(host, ':') == NULL &&
	    strspn(host, "0123456789.") != strlen(host))
		(void)SSL_set_tlsext_host_name(t->ssl, host);
	if (chk->mode == TLS_CHECK_DANE) {
		if (host == NULL || tls_dane_set(t, chk, why) < 0) {
			if (host == NULL)
				buf_setf(why, "DANE needs the server's name");
			tls_free(t);
			return NULL;
		}
	} else if (chk->mode != TLS_CHECK_NONE) {
		if (host == NULL || !SSL_set1_host(t->ssl, host)) {
			buf_setf(why, "cannot verify the server's name");
			tls_free(t);
			return NULL;
		}
		if (chk->mode == TLS_CHECK_PKIX)
			SSL_set_verify(t->ssl, SSL_VERIFY_PEER, NULL);
	}
	return tls_handshake(t, SSL_connect, "server", why);
}

/*
 * tls_verified - after a handshake: did the server's certificate pass
 * the checks asked for?  1, or 0 with why (OpenSSL's words).
 */
int
tls_verified(struct tls *t, struct buf *why)
{
	long r = SSL_get_verify_result(t->ssl);

	if (SSL_get0_peer_certificate(t->ssl) == NULL) {
		buf_setf(why, "the server sent no certificate");
		return 0;
	}
	if (r != X509_V_OK) {
		buf_setf(why, "%s", X509_verify_cert_error_string(r));
		return 0;
	}
	return 1;
}

/* tls_dane_match - after a DANE handshake: "DANE-EE", "DANE-TA" */
const char *
tls_dane_match(struct tls *t)
{
	uint8_t usage;

	if (SSL_get0_dane_tlsa(t->ssl, &usage, NULL, NULL, NULL, NULL) < 0)
		return "none";
	return usage == 3 ? "DANE-EE" : usage == 2 ? "DANE-TA" : "PKIX";
}

/* tls_set_timeout - the bound on each later wait, in seconds */
void
tls_set_timeout(struct tls *t, int timeout)
{
	t->timeout = timeout;
}

/* tls_read - lineio read hook: decrypted bytes, 0 at the end, -1 */
ssize_t
tls_read(void *ctx, void *p, size_t len)
{
	struct tls *t = ctx;
	int n, w;

	if (len > INT_MAX)
		len = INT_MAX;
	if (t->dead)
		return 0;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((n = SSL_read(t->ssl, p, (int)len)) > 0)
			return n;
		if ((w = tls_want(t, n, 0)) == 0)
			continue;
		return w > 0 ? 0 : -1;
	}
}

/* tls_write - lineio write hook: all of it, or -1 */
ssize_t
tls_write(void *ctx, const void *p, size_t len)
{
	struct tls *t = ctx;
	const char *c = p;
	size_t done = 0, chunk;
	int n, w;

	if (t->dead) {
		errno = EPIPE;
		return -1;
	}
	while (done < len) {
		chunk = len - done > INT_MAX ? INT_MAX : len - done;
		ERR_clear_error();
		errno = 0;
		if ((n = SSL_write(t->ssl, c + done, (int)chunk)) > 0) {
			done += (size_t)n;
			continue;
		}
		if ((w = tls_want(t, n, 0)) == 0)
			continue;
		if (w > 0)
			errno = EPIPE;
		return -1;
	}
	return (ssize_t)done;
}

/* tls_pending - plaintext that OpenSSL holds for the next read */
size_t
tls_pending(struct tls *t)
{
	int n = SSL_pending(t->ssl);

	return n > 0 ? (size_t)n : 0;
}

/* tls_info - "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384", for logs */
const char *
tls_info(struct tls *t)
{
	return t->info;
}

/* tls_version - "TLSv1.2", "TLSv1.3" */
const char *
tls_version(struct tls *t)
{
	return SSL_get_version(t->ssl);
}

/* tls_cipher - the cipher's OpenSSL or IANA name */
const char *
tls_cipher(struct tls *t)
{
	return SSL_get_cipher_name(t->ssl);
}

/* tls_bits - the cipher's secret bits */
int
tls_bits(struct tls *t)
{
	return SSL_get_cipher_bits(t->ssl, NULL);
}

/*
 * tls_close - say close_notify once (the socket's buffer takes it; we do
 * not wait for the peer's), release the session.  The fd stays open.
 */
void
tls_close(struct tls **tp)
{
	struct tls *t = *tp;

	if (t == NULL)
		return;
	if (!t->dead) {
		ERR_clear_error();
		(void)SSL_shutdown(t->ssl);
		ERR_clear_error();
	}
	tls_free(t);
	*tp = NULL;
}

/*
 * The proxy's state: bytes going to the plain side (from TLS) and bytes
 * going to the TLS side (from the plain side), each with its own buffer,
 * and what OpenSSL wants before its next read or write can go on.
 */
struct tls_proxy_dir {
	char	 buf[TLS_PROXY_BUF];
	size_t	 off, len;
	int	 eof;		/* the source closed */
	short	 want;		/* what the last SSL call waits for */
};

/*
 * tls_proxy_step - move what can move without waiting; 1 progress, 0 none,
 * -1 error
 */
static int
tls_proxy_step(struct tls *t, int fd, struct tls_proxy_dir *in,
    struct tls_proxy_dir *out)
{
	ssize_t n;
	int r, w, moved = 0;

	/* From the TLS client; SSL_read also drains what OpenSSL holds. */
	if (in->len == 0 && !in->eof) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_read(t->ssl, in->buf, sizeof(in->buf))) > 0) {
			in->off = 0;
			in->len = (size_t)r;
			moved = 1;
		} else if ((w = tls_result(t, r)) > 0)
			in->want = (short)w;
		else if (w == 0 || errno == ECONNRESET)
			in->eof = 1;
		else
			return -1;
	}
	/* To the plain side. */
	if (in->len > 0) {
		n = send(fd, in->buf + in->off, in->len, MSG_NOSIGNAL);
		if (n > 0) {
			in->off += (size_t)n;
			in->len -= (size_t)n;
			moved = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
	/* From the plain side. */
	if (out->len == 0 && !out->eof) {
		n = read(fd, out->buf, sizeof(out->buf));
		if (n > 0) {
			out->off = 0;
			out->len = (size_t)n;
			moved = 1;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			out->eof = 1;
	}
	/* To the TLS client. */
	if (out->len > 0) {
		ERR_clear_error();
		errno = 0;
		r = SSL_write(t->ssl, out->buf + out->off, (int)out->len);
		if (r > 0) {
			out->off += (size_t)r;
			out->len -= (size_t)r;
			moved = 1;
		} else if ((w = tls_result(t, r)) > 0)
			out->want = (short)w;
		else
			return -1;
	}
	return moved;
}

/*
 * tls_proxy_events - what the next poll waits for.  An fd with nothing
 * to wait for is left out (-1), so a hang-up on it cannot make poll spin.
 */
static void
tls_proxy_events(struct tls *t, int fd, struct tls_proxy_dir *in,
    struct tls_proxy_dir *out, struct pollfd *pfd)
{
	pfd[0].events = pfd[1].events = 0;
	if (in->len == 0 && !in->eof)
		pfd[0].events |= in->want;
	if (out->len > 0)
		pfd[0].events |= out->want;
	if (in->len > 0)
		pfd[1].events |= POLLOUT;
	if (out->len == 0 && !out->eof)
		pfd[1].events |= POLLIN;
	pfd[0].fd = pfd[0].events ? t->fd : -1;
	pfd[1].fd = pfd[1].events ? fd : -1;
}

/* tls_proxy - relay between the TLS client and a plain socket */
int
tls_proxy(struct tls *t, int fd, int timeout)
{
	struct tls_proxy_dir *in, *out;
	struct pollfd pfd[2];
	int fl, r, ret = -1;

	if (t->dead || (fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	in = xcalloc(1, sizeof(*in));
	out = xcalloc(1, sizeof(*out));
	in->want = POLLIN;
	out->want = POLLOUT;
	for (;;) {
		while ((r = tls_proxy_step(t, fd, in, out)) > 0)
			;
		if (r < 0)
			break;
		/* Either side gone: pass on what the other already sent. */
		if ((in->eof && in->len == 0) || (out->eof && out->len == 0)) {
			ret = 0;
			break;
		}
		tls_proxy_events(t, fd, in, out, pfd);
		r = poll(pfd, 2, timeout > 0 ? timeout * 1000 : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			errno = ETIMEDOUT;
		if (r <= 0)
			break;
	}
	/* The session's plaintext: the next client must not find it. */
	explicit_bzero(in, sizeof(*in));
	explicit_bzero(out, sizeof(*out));
	free(in);
	free(out);
	(void)fcntl(fd, F_SETFL, fl);
	return ret;
}
