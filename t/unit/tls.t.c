/*
 * tls.t - lib/tls.c: contexts from good and bad files, the handshake over
 * a socketpair with a real OpenSSL client in a child process, TLS 1.1
 * refused, timeouts, lineio on top of tls_read/tls_write, and tls_proxy
 * relaying a megabyte each way.  The certificate is made here, in memory,
 * so the test needs nothing from outside.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "buf.h"
#include "lineio.h"
#include "tls.h"
#include "util.h"
#include "../tap.h"

#define BIG	(1024 * 1024)

static char dir[] = "/tmp/tls.t.XXXXXX";
static char cert[256], key[256], key2[256], junk[256];

/* make_key - a new P-256 key written to path */
static EVP_PKEY *
make_key(const char *path)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	FILE *fp = fopen(path, "w");

	if (k == NULL || fp == NULL || !PEM_write_PrivateKey(fp, k, NULL,
	    NULL, 0, NULL, NULL))
		exit(2);
	fclose(fp);
	return k;
}

/* make_files - a self-signed certificate, its key, another key, junk */
static void
make_files(void)
{
	EVP_PKEY *k;
	X509 *x;
	X509_NAME *n;
	FILE *fp;

	if (mkdtemp(dir) == NULL)
		exit(2);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(key2, sizeof(key2), "%s/other.pem", dir);
	snprintf(junk, sizeof(junk), "%s/junk.pem", dir);
	k = make_key(key);
	EVP_PKEY_free(make_key(key2));
	x = X509_new();
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"mail.mired.org", -1, -1, 0);
	X509_set_issuer_name(x, n);
	if (!X509_sign(x, k, EVP_sha256()) || (fp = fopen(cert, "w")) == NULL)
		exit(2);
	PEM_write_X509(fp, x);
	fclose(fp);
	X509_free(x);
	EVP_PKEY_free(k);
	if ((fp = fopen(junk, "w")) == NULL)
		exit(2);
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
	    "-----END CERTIFICATE-----\n", fp);
	fclose(fp);
}

/* test_cert_info - a certificate's end and name, for cartero check */
static void
test_cert_info(void)
{
	struct buf *why = buf_new(64, 0);
	time_t end = 0;
	int name_ok = -1;

	ok(tls_cert_info(cert, "mail.mired.org", &end, &name_ok, why) == 0,
	    "tls_cert_info reads a certificate");
	ok(end > time(NULL) + 86000 && end <= time(NULL) + 86400,
	    "... its end, a day from now");
	is_int(name_ok, 1, "... it names mail.mired.org (its CN)");
	tls_cert_info(cert, "otro.example", &end, &name_ok, why);
	is_int(name_ok, 0, "... and not otro.example");
	ok(tls_cert_info(junk, "x", &end, &name_ok, why) < 0 &&
	    strstr(buf_str(why), "holds no PEM certificate") != NULL,
	    "a broken certificate: -1, and why");
	ok(tls_cert_info("/nonexistent.pem", "x", &end, &name_ok, why) < 0 &&
	    strstr(buf_str(why), "cannot read /nonexistent.pem") != NULL,
	    "a missing file: -1, and why");
	buf_free(&why);
}

/* test_sni_files - tls_server_sni_maps values */
static void
test_sni_files(void)
{
	struct buf *c = buf_new(64, 0), *k = buf_new(64, 0), *why = buf_new(64,
	    0);

	ok(tls_sni_files("/k.pem /c.pem", c, k, why) == 0 &&
	    strcmp(buf_str(k), "/k.pem") == 0 &&
	    strcmp(buf_str(c), "/c.pem") == 0, "\"keyfile certfile\"");
	ok(tls_sni_files("  /both.pem ", c, k, why) == 0 &&
	    strcmp(buf_str(k), "/both.pem") == 0 &&
	    strcmp(buf_str(c), "/both.pem") == 0, "one file with both");
	ok(tls_sni_files("/a, /b", c, k, why) == 0 &&
	    strcmp(buf_str(c), "/b") == 0, "a comma between them");
	ok(tls_sni_files("/a /b /c", c, k, why) < 0 &&
	    strstr(buf_str(why), "expected") != NULL, "three files: -1, why");
	ok(tls_sni_files(" ", c, k, why) < 0, "none: -1");
	buf_free(&c);
	buf_free(&k);
	buf_free(&why);
}

/* client_new - a client session on fd, TLS max version maxv (0: any) */
static SSL *
client_new(int fd, int maxv)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	SSL *s;

	if (maxv) {
		SSL_CTX_set_min_proto_version(c, TLS1_VERSION);
		SSL_CTX_set_max_proto_version(c, maxv);
		SSL_CTX_set_cipher_list(c, "ALL:@SECLEVEL=0");
	}
	s = SSL_new(c);
	SSL_CTX_free(c);
	SSL_set_fd(s, fd);
	return s;
}

/* client_io - write all of a buffer, or read exactly n bytes: 0 or -1 */
static int
client_io(SSL *s, char *p, int n, int wr)
{
	int r;

	while (n > 0) {
		r = wr ? SSL_write(s, p, n) : SSL_read(s, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= r;
	}
	return 0;
}

/* run_child - fork fn(fd) on the other end of a socketpair */
static pid_t
run_child(int (*fn)(int), int *fdp)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(2);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		_exit(fn(sv[1]));
	}
	close(sv[1]);
	*fdp = sv[0];
	return pid;
}

/* child_status - the child's exit code */
static int
child_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* cl_echo - handshake, say hello, expect the server's echo, close */
static int
cl_echo(int fd)
{
	SSL *s = client_new(fd, 0);
	char got[64] = "";
	const char *want = "you said: hello\r\n";

	if (SSL_connect(s) != 1 || client_io(s, "hello\r\n", 7, 1) < 0 ||
	    client_io(s, got, (int)strlen(want), 0) < 0)
		return 1;
	SSL_shutdown(s);
	SSL_free(s);
	return strcmp(got, want) == 0 ? 0 : 3;
}

/* cl_old - a TLS 1.1 client: its handshake must fail */
static int
cl_old(int fd)
{
	SSL *s = client_new(fd, TLS1_1_VERSION);

	return SSL_connect(s) == 1 ? 1 : 0;
}

/* cl_silent - connect and say nothing until the server gives up */
static int
cl_silent(int fd)
{
	char c;

	return read(fd, &c, 1) <= 0 ? 0 : 1;
}

/* cl_idle - handshake, then say nothing */
static int
cl_idle(int fd)
{
	SSL *s = client_new(fd, 0);
	char c;

	if (SSL_connect(s) != 1)
		return 1;
	return SSL_read(s, &c, 1) <= 0 ? 0 : 1;
}

/* cl_proxy - a megabyte up, then read the backend's megabyte back */
static int
cl_proxy(int fd)
{
	SSL *s = client_new(fd, 0);
	char *up = malloc(BIG), *down = malloc(BIG);
	int i;

	for (i = 0; i < BIG; i++)
		up[i] = (char)('a' + i % 26);
	if (SSL_connect(s) != 1 || client_io(s, up, BIG, 1) < 0 ||
	    client_io(s, down, BIG, 0) < 0)
		return 1;
	for (i = 0; i < BIG; i++)
		if (down[i] != (char)('A' + i % 26))
			return 3;
	SSL_shutdown(s);
	SSL_free(s);
	return 0;
}

/* backend - the plain side of the proxy: read a megabyte, send one back */
static int
backend(int fd)
{
	char *p = malloc(BIG);
	size_t i;

	if (read_full(fd, p, BIG) != BIG)
		return 1;
	for (i = 0; i < BIG; i++)
		if (p[i] != (char)('a' + i % 26))
			return 3;
	for (i = 0; i < BIG; i++)
		p[i] = (char)('A' + i % 26);
	return write_full(fd, p, BIG) == BIG ? 0 : 1;
}

int
main(void)
{
	struct buf *why = buf_new(64, 0), *line = buf_new(64, 0);
	struct tls_ctx *ctx;
	struct lineio *io;
	struct tls *t;
	int fd, sv[2], r;
	pid_t pid, bpid;

	signal(SIGPIPE, SIG_IGN);
	make_files();

	ok(tls_ctx_new("/nonexistent/cert.pem", key, why) == NULL,
	    "a missing certificate: no context");
	ok(strstr(buf_str(why), "cannot read tls_cert_file "
	    "/nonexistent/cert.pem: No such file") != NULL,
	    "... and why names the parameter, the file and the error");
	ok(tls_ctx_new(junk, key, why) == NULL, "a broken certificate: none");
	ok(strstr(buf_str(why), junk) != NULL, "... why names the file");
	ok(tls_ctx_new(cert, key2, why) == NULL, "a key of another "
	    "certificate: none");
	ok(strstr(buf_str(why), "mismatch") != NULL,
	    "... why says the key does not match");
	ctx = tls_ctx_new(cert, key, why);
	ok(ctx != NULL, "a good pair makes a context");
	if (ctx == NULL) {
		printf("# %s\n", buf_str(why));
		return done_testing();
	}
	test_cert_info();
	test_sni_files();

	/* A session with lineio on top. */
	pid = run_child(cl_echo, &fd);
	t = tls_accept(ctx, fd, 10, why);
	ok(t != NULL, "the handshake with an OpenSSL client succeeds");
	if (t != NULL) {
		ok(strncmp(tls_info(t), "TLSv1.3 with cipher TLS_", 24) == 0,
		    "tls_info says TLSv1.3 with cipher TLS_...");
		is_str(tls_version(t), "TLSv1.3", "tls_version");
		ok(tls_bits(t) >= 128, "tls_bits");
		io = lineio_new(fd, 100, 10);
		lineio_set_hooks(io, tls_read, tls_write, t);
		r = lineio_get(io, line, LINEIO_SKIP);
		ok(r == LINE_OK && strcmp(buf_str(line), "hello") == 0,
		    "lineio_get reads a line through tls_read");
		lineio_printf(io, "you said: %s\r\n", buf_str(line));
		ok(lineio_flush(io) == 0, "lineio writes through tls_write");
		is_int(lineio_get(io, line, LINEIO_SKIP), LINE_EOF,
		    "the client's close_notify is the end of input");
		is_int(tls_pending(t), 0, "nothing pending");
		lineio_free(&io);
		tls_close(&t);
		ok(t == NULL, "tls_close clears the pointer");
	}
	close(fd);
	is_int(child_status(pid), 0, "the client got its echo");

	/* TLS 1.1 is refused. */
	pid = run_child(cl_old, &fd);
	t = tls_accept(ctx, fd, 10, why);
	ok(t == NULL, "a TLS 1.1 client is refused");
	ok(strstr(buf_str(why), "unsupported protocol") != NULL,
	    "... why: unsupported protocol");
	close(fd);
	is_int(child_status(pid), 0, "the client saw its handshake fail");

	/* Timeouts. */
	pid = run_child(cl_silent, &fd);
	t = tls_accept(ctx, fd, 1, why);
	ok(t == NULL && strcmp(buf_str(why), "TLS handshake timed out") == 0,
	    "a silent client: the handshake times out");
	close(fd);
	child_status(pid);
	pid = run_child(cl_idle, &fd);
	t = tls_accept(ctx, fd, 1, why);
	ok(t != NULL, "an idle client completes its handshake");
	if (t != NULL) {
		io = lineio_new(fd, 100, 1);
		lineio_set_hooks(io, tls_read, tls_write, t);
		is_int(lineio_get(io, line, LINEIO_SKIP), LINE_TIMEOUT,
		    "then lineio_get says LINE_TIMEOUT");
		lineio_free(&io);
		tls_close(&t);
	}
	close(fd);
	child_status(pid);

	/* The proxy: a megabyte each way, then the backend closes. */
	pid = run_child(cl_proxy, &fd);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 2;
	if ((bpid = fork()) == 0) {
		close(sv[0]);
		close(fd);
		_exit(backend(sv[1]));
	}
	close(sv[1]);
	t = tls_accept(ctx, fd, 10, why);
	ok(t != NULL, "proxy: handshake");
	if (t != NULL) {
		is_int(tls_proxy(t, sv[0], 10), 0,
		    "tls_proxy returns 0 when the plain side closes");
		tls_close(&t);
	}
	close(sv[0]);
	close(fd);
	is_int(child_status(bpid), 0, "the backend got the client's megabyte");
	is_int(child_status(pid), 0, "the client got the backend's megabyte");

	tls_ctx_free(&ctx);
	ok(ctx == NULL, "tls_ctx_free clears the pointer");
	unlink(cert);
	unlink(key);
	unlink(key2);
	unlink(junk);
	rmdir(dir);
	buf_free(&why);
	buf_free(&line);
	return done_testing();
}
