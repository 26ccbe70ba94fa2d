/*
 * tls - the server side of TLS (OpenSSL) for smtpd, pop3d and imapd.
 *
 * One context per process, made from tls_cert_file and tls_key_file
 * before the process drops privileges (the key may be readable by root
 * only).  TLS 1.2 and 1.3 only; ECDHE with AEAD ciphers for 1.2, OpenSSL's
 * suites for 1.3; no compression, no renegotiation, no session cache.
 *
 * A session runs on a connected socket that the caller owns: every wait
 * (handshake, read, write) is bounded by the session's timeout, and
 * tls_read/tls_write fit lineio_set_hooks(), so a protocol keeps reading
 * lines after STARTTLS:
 *
 *	if ((t = tls_accept(ctx, fd, var_smtpd_timeout, why)) == NULL)
 *		...log why, end the session...
 *	lineio_discard(io);	(input pipelined before the handshake)
 *	lineio_set_hooks(io, tls_read, tls_write, t);
 *	...
 *	tls_close(&t);		(close_notify; the fd stays open)
 *
 * Reload: a process reads the files once.  master retires its children on
 * SIGHUP (idle ones exit at once, busy ones after their connection), and
 * the new children read the files again.
 */
#ifndef CARTERO_TLS_H
#define CARTERO_TLS_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

struct buf;
struct tls_ctx;
struct tls;

/*
 * A server context from a certificate chain file (PEM, the server's
 * certificate first) and its private key (PEM).  NULL with why ("cannot
 * read tls_cert_file /etc/cartero/cert.pem: No such file or directory").
 */
struct tls_ctx	*tls_ctx_new(const char *, const char *, struct buf *);
/*
 * The same from var_tls_cert_file and var_tls_key_file, with a context for
 * each name of tls_server_sni_maps (SNI): a client that names one gets its
 * certificate, any other the default.  An entry that cannot be read is
 * skipped with a warning.
 */
struct tls_ctx	*tls_ctx_server(struct buf *);
/* A tls_server_sni_maps value ("keyfile certfile", or one file with
 * both) into its certificate and key files: 0, or -1 with why. */
int		 tls_sni_files(const char *, struct buf *, struct buf *,
		    struct buf *);
/* The first certificate of a PEM file: its end, does it name host? */
int		 tls_cert_info(const char *, const char *, time_t *, int *,
		    struct buf *);
void		 tls_ctx_free(struct tls_ctx **);
void		 tls_ctx_cleanse(struct tls_ctx *);	/* see tls.c */

/*
 * The server handshake on a connected socket, waiting at most timeout
 * seconds in all (0: no limit).  The fd becomes non-blocking while the
 * session lives.  NULL with why ("TLS handshake timed out", "unsupported
 * protocol", "peer closed the connection").  The session keeps timeout as
 * the bound on each later wait.
 */
struct tls	*tls_accept(struct tls_ctx *, int, int, struct buf *);
void		 tls_set_timeout(struct tls *, int);	/* s, 0: none */

/*
 * The client side (the smtp agent): a context with the CAs of a PEM file
 * (NULL or "": the system's CA store), and the handshake on a connected socket with the server named host
 * (SNI), timeout seconds in all; verify: the chain must lead to the CA
 * store and the certificate name host.  NULL with why.
 */
struct tls_ctx	*tls_ctx_client(const char *, struct buf *);
struct tls	*tls_connect(struct tls_ctx *, int, int, const char *, int,
		    struct buf *);

/* A TLSA record (RFC 6698) for DANE. */
struct tls_tlsa {
	unsigned char		 usage, selector, mtype;
	const unsigned char	*data;
	size_t			 len;
};

/* How tls_connect_check checks the server. */
struct tls_check {
	int			 mode;	/* TLS_CHECK_* */
	const char		*host;	/* SNI; the name to check */
	const char *const	*names;	/* DANE-TA: more names, NULL
					 * ended (or NULL) */
	const struct tls_tlsa	*tlsa;	/* DANE: the records */
	size_t			 ntlsa;
};
#define TLS_CHECK_NONE	0	/* encrypt only */
#define TLS_CHECK_PKIX	1	/* CA store and host name, required */
#define TLS_CHECK_NOTE	2	/* the same, only noted: tls_verified */
#define TLS_CHECK_DANE	3	/* TLSA records (usage 2, 3), required */

struct tls	*tls_connect_check(struct tls_ctx *, int, int,
		    const struct tls_check *, struct buf *);
int		 tls_verified(struct tls *, struct buf *);
const char	*tls_dane_match(struct tls *);	/* "DANE-EE", ... */

/*
 * lineio hooks (the first argument is the struct tls *): bytes read, 0
 * at the end of input (close_notify or EOF), -1 with errno ETIMEDOUT,
 * ECONNRESET or EPROTO.  tls_write writes everything or fails.
 */
ssize_t		 tls_read(void *, void *, size_t);
ssize_t		 tls_write(void *, const void *, size_t);
size_t		 tls_pending(struct tls *);	/* plaintext held */

/* "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384" */
const char	*tls_info(struct tls *);
const char	*tls_version(struct tls *);	/* "TLSv1.3" */
const char	*tls_cipher(struct tls *);	/* TLS_AES_256_GCM_SHA384 */
int		 tls_bits(struct tls *);	/* 256 */

/* Send close_notify (without waiting for the peer's), free, clear. */
void		 tls_close(struct tls **);

/*
 * Relay bytes both ways between the TLS client and a plain socket (the
 * other end of a socketpair) until either side closes; what the other
 * side already sent is passed on first.  0 after a close, -1 after an
 * error or timeout seconds without traffic (errno ETIMEDOUT).
 */
int		 tls_proxy(struct tls *, int, int);

#endif
