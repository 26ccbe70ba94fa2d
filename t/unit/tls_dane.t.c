/*
 * tls_dane.t - DANE in lib/tls.c (RFC 7672 3): a TLS server with a
 * certificate from a CA of the test's own, made in memory, and clients
 * that check it by TLSA records of every usable kind (DANE-EE and
 * DANE-TA; the certificate or its public key; exact, SHA-256, SHA-512),
 * records that do not match, names that do (DANE-TA) or need not
 * (DANE-EE), and records of the PKIX usages, which are unusable.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "tls.h"
#include "util.h"
#include "../tap.h"

static char dir[] = "/tmp/tls_dane.t.XXXXXX";
static char chain[256], keyfile[256];
static X509 *ca, *leaf, *other;

/* cert_new - a certificate for key, signed by ikey (issuer in), named cn */
static X509 *
cert_new(EVP_PKEY *key, EVP_PKEY *ikey, X509 *issuer, const char *cn,
    int is_ca)
{
	X509 *x = X509_new();
	X509_NAME *n;
	X509_EXTENSION *e;
	X509V3_CTX v3;
	char san[128];

	ASN1_INTEGER_set(X509_get_serialNumber(x), is_ca ? 1 : 2);
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	if (is_ca)
		e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
		    "critical,CA:TRUE");
	else {
		snprintf(san, sizeof(san), "DNS:%s", cn);
		e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	}
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (!X509_sign(x, ikey, EVP_sha256()))
		exit(2);
	return x;
}

/* make_files - the CA, the server's chain and key; another key's cert */
static void
make_files(void)
{
	EVP_PKEY *cakey = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
	EVP_PKEY *okey = EVP_EC_gen("P-256");
	FILE *fp;

	if (mkdtemp(dir) == NULL || cakey == NULL || key == NULL ||
	    okey == NULL)
		exit(2);
	snprintf(chain, sizeof(chain), "%s/chain.pem", dir);
	snprintf(keyfile, sizeof(keyfile), "%s/key.pem", dir);
	ca = cert_new(cakey, cakey, NULL, "Test CA", 1);
	leaf = cert_new(key, cakey, ca, "mx.mired.org", 0);
	other = cert_new(okey, okey, NULL, "mx.mired.org", 0);
	if ((fp = fopen(chain, "w")) == NULL)
		exit(2);
	PEM_write_X509(fp, leaf);
	PEM_write_X509(fp, ca);
	fclose(fp);
	if ((fp = fopen(keyfile, "w")) == NULL ||
	    !PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL))
		exit(2);
	fclose(fp);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
	EVP_PKEY_free(okey);
}

/* assoc - a TLSA record's data for x: selector, matching type */
static size_t
assoc(X509 *x, int selector, int mtype, unsigned char *out)
{
	unsigned char *der = NULL;
	unsigned int n;
	int len;

	len = selector == 0 ? i2d_X509(x, &der) :
	    i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0)
		exit(2);
	if (mtype == 0) {
		memcpy(out, der, (size_t)len);
		n = (unsigned)len;
	} else
		EVP_Digest(der, (size_t)len, out, &n, mtype == 1 ?
		    EVP_sha256() : EVP_sha512(), NULL);
	OPENSSL_free(der);
	return n;
}

/* server - the other end: the handshake, then close */
static int
server(int fd)
{
	struct buf *why = buf_new(64, 0);
	struct tls_ctx *c = tls_ctx_new(chain, keyfile, why);
	struct tls *t;

	if (c == NULL)
		return 2;
	if ((t = tls_accept(c, fd, 10, why)) != NULL)
		tls_close(&t);
	return 0;
}

/* A case: the records (cert: 'l' leaf, 'c' CA, 'o' other), the host. */
struct dane_case {
	const char	*name;
	const char	*host;
	int		 nrec;
	struct {
		int	 usage, selector, mtype;
		char	 cert;
	}		 rec[2];
	const char	*want;		/* "DANE-EE", "DANE-TA", or why */
};

static const struct dane_case cases[] = {
	{ "DANE-EE SPKI SHA-256", "mx.mired.org", 1, {{ 3, 1, 1, 'l' }},
	  "DANE-EE" },
	{ "DANE-EE certificate SHA-256", "mx.mired.org", 1, {{ 3, 0, 1, 'l' }},
	  "DANE-EE" },
	{ "DANE-EE SPKI SHA-512", "mx.mired.org", 1, {{ 3, 1, 2, 'l' }},
	  "DANE-EE" },
	{ "DANE-EE certificate exact", "mx.mired.org", 1, {{ 3, 0, 0, 'l' }},
	  "DANE-EE" },
	{ "DANE-EE SPKI exact", "mx.mired.org", 1, {{ 3, 1, 0, 'l' }},
	  "DANE-EE" },
	{ "DANE-EE ignores the name", "other.example", 1, {{ 3, 1, 1, 'l' }},
	  "DANE-EE" },
	{ "DANE-EE of another key", "mx.mired.org", 1, {{ 3, 1, 1, 'o' }},
	  "verify failed" },
	{ "DANE-TA certificate SHA-256", "mx.mired.org", 1,
	  {{ 2, 0, 1, 'c' }}, "DANE-TA" },
	{ "DANE-TA SPKI SHA-512", "mx.mired.org", 1, {{ 2, 1, 2, 'c' }},
	  "DANE-TA" },
	{ "DANE-TA checks the name", "other.example", 1, {{ 2, 0, 1, 'c' }},
	  "verify failed" },
	{ "DANE-TA of another CA", "mx.mired.org", 1, {{ 2, 0, 1, 'o' }},
	  "verify failed" },
	{ "one record matching of two", "mx.mired.org", 2,
	  {{ 3, 1, 1, 'o' }, { 3, 1, 1, 'l' }}, "DANE-EE" },
	{ "PKIX-EE is unusable", "mx.mired.org", 1, {{ 1, 1, 1, 'l' }},
	  "no usable TLSA record" },
	{ "PKIX-TA is unusable", "mx.mired.org", 1, {{ 0, 0, 1, 'c' }},
	  "no usable TLSA record" },
	{ "an unknown matching type is unusable", "mx.mired.org", 1,
	  {{ 3, 1, 7, 'l' }}, "no usable TLSA record" },
	{ "an unusable one beside a good one", "mx.mired.org", 2,
	  {{ 1, 1, 1, 'l' }, { 3, 1, 1, 'l' }}, "DANE-EE" },
};

/* run - one case: what the client says */
static void
run(struct tls_ctx *cl, const struct dane_case *dc, struct buf *out)
{
	static unsigned char data[2][4096];
	struct tls_tlsa rr[2];
	struct tls_check chk = { TLS_CHECK_DANE, dc->host, NULL, rr, 0 };
	struct tls *t;
	int sv[2], i;
	pid_t pid;
	X509 *x;

	for (i = 0; i < dc->nrec; i++) {
		x = dc->rec[i].cert == 'l' ? leaf : dc->rec[i].cert == 'c' ?
		    ca : other;
		rr[i].usage = (unsigned char)dc->rec[i].usage;
		rr[i].selector = (unsigned char)dc->rec[i].selector;
		rr[i].mtype = (unsigned char)dc->rec[i].mtype;
		rr[i].len = assoc(x, dc->rec[i].selector,
		    dc->rec[i].mtype > 2 ? 1 : dc->rec[i].mtype, data[i]);
		rr[i].data = data[i];
	}
	chk.ntlsa = (size_t)dc->nrec;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(2);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		_exit(server(sv[1]));
	}
	close(sv[1]);
	if ((t = tls_connect_check(cl, sv[0], 10, &chk, out)) != NULL) {
		buf_set(out, tls_dane_match(t));
		tls_close(&t);
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
}

int
main(void)
{
	struct buf *why = buf_new(64, 0), *out = buf_new(64, 0);
	struct tls_ctx *cl;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	make_files();
	if ((cl = tls_ctx_client(NULL, why)) == NULL) {
		printf("Bail out! %s\n", buf_str(why));
		return 1;
	}
	plan((int)(sizeof(cases) / sizeof(cases[0])));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(out);
		run(cl, &cases[i], out);
		if (!ok(strstr(buf_str(out), cases[i].want) != NULL,
		    cases[i].name))
			fprintf(stderr, "#   got: %s\n", buf_str(out));
		else
			printf("# %s\n", buf_str(out));
	}
	tls_ctx_free(&cl);
	unlink(chain);
	unlink(keyfile);
	rmdir(dir);
	buf_free(&why);
	buf_free(&out);
	return 0;
}
