/*
 * authc - the client side of the auth service, for smtpd (SMTP AUTH) and
 * the login halves of pop3d and imapd.
 *
 * The auth service listens on $queue_directory/private/auth and runs as
 * root; it is the one place that checks passwords (virtual users' passwd
 * file, PAM for system users) and maps a login to an account.  These calls
 * are small and synchronous: each connects, sends one request, waits for
 * the answer (at most ipc_timeout) and closes.
 *
 * Wire protocol (lib/ipc.h attribute lists, percent-encoded values):
 *	login:	 request=login service=pop3 mech=PLAIN user=ana
 *		 password=... [authzid=...] rip=127.0.0.1 secured=0|1
 *	  reply: status=ok account=ana@mired.org token=<32 hex>
 *		 status=fail reason=<text for the client>
 *		 status=fail code=limit reason=<text>	(the password was
 *		 right, but the user has mail_max_userip_connections
 *		 sessions from that address)
 *		 status=tempfail reason=<text>
 *	session: request=session token=<32 hex>, the client's descriptor
 *		 sent with the first bytes (SCM_RIGHTS)
 *	  reply: status=ok pid=N | status=fail reason=...
 *	resume:	 request=resume service=imap account=... rip=...
 *		 credential=<64 hex>, the client's descriptor and the
 *		 session's saved state (a memfd) sent with the first bytes;
 *		 from imap-hibernate (imapd/imap_hibernate.c)
 *	  reply: as for session
 * A token is one-time, bound to the service and the client address, and
 * lives auth_token_lifetime; logins for "smtp" get none (no handover).
 */
#ifndef CARTERO_AUTHC_H
#define CARTERO_AUTHC_H

#include <sys/socket.h>

struct buf;

#define AUTHC_ACCOUNT_MAX	512	/* account name, NUL included */
#define AUTHC_TOKEN_MAX		64	/* token text, NUL included */
#define AUTHC_FIELD_MAX		1024	/* user, password: shorter */

/* The account: "ana@mired.org" (virtual) or "ana" (system); no token
 * for smtp. */
struct authc_reply {
	char	account[AUTHC_ACCOUNT_MAX];
	char	token[AUTHC_TOKEN_MAX];
	int	limit;		/* refused: a limit (why says which), not
				 * the password */
};

/*
 * Check a password.  service: "smtp", "pop3" or "imap"; secured: the
 * connection is under TLS (a loopback client is recognised from client
 * by the service itself).  The mechanism logged and checked against
 * auth_mechanisms is PLAIN (POP3 USER/PASS counts as PLAIN, as in
 * Dovecot); authc_login_mech() names another.  Returns 1 (out filled),
 * 0 refused (why: text to show the client), -1 temporary failure (why).
 * A refusal arrives after auth_failure_delay.
 */
int	authc_login(const char *, const char *, const char *, const char *,
	    const struct sockaddr *, int, struct authc_reply *, struct buf *);
/* service, mech ("LOGIN"), user, password, authzid, client, secured, ... */
int	authc_login_mech(const char *, const char *, const char *,
	    const char *, const char *, const struct sockaddr *, int,
	    struct authc_reply *, struct buf *);

/*
 * Hand the session over: auth redeems the token, forks, and runs
 * $daemon_directory/<service>d -M as the account with client_fd on its
 * fd 0 and 1.  The caller keeps its copy of the fd (close it, or keep
 * relaying TLS into it).  0 ok, -1 with why.
 */
int	authc_session(const char *, int, struct buf *);

/* Are passwords allowed on this connection (TLS, loopback, or
 * disable_plaintext_auth = no)?  1/0.  client may be NULL (unknown). */
int	authc_plaintext_allowed(const struct sockaddr *, int);
/* Is a SASL mechanism ("PLAIN", any case) in auth_mechanisms?  1/0. */
int	authc_mech_enabled(const char *);

/*
 * SASL PLAIN (RFC 4616): base64 of "authzid NUL authcid NUL passwd".
 * 0 ok (authzid may come back empty), -1 malformed (bad base64, wrong
 * number of NULs, empty user or password, a field too long).
 */
int	authc_sasl_plain_decode(const char *, struct buf *, struct buf *,
	    struct buf *);

#endif
