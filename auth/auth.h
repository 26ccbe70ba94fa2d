/*
 * auth - the authentication service: the one place that checks passwords
 * and maps a login to an account, and the one that starts a mailbox
 * session as its owner.  Runs as root (PAM needs it) on
 * $queue_directory/private/auth; see lib/authc.h for the wire protocol.
 *
 *	auth.c		main, the event loop, requests, logins, failure
 *			delays and counts
 *	auth_passwd.c	virtual users: crypt(3) hashes of the passwd file
 *	auth_pam.c	system users: PAM, in a worker process per check
 *	auth_session.c	one-time tokens and the fork-setuid-exec of the
 *			mailbox side
 */
#ifndef CARTERO_AUTH_H
#define CARTERO_AUTH_H

#include <sys/types.h>

struct buf;
struct account;

#define AUTH_PAM_SERVICE	"cartero"	/* /etc/pam.d/cartero */
#define AUTH_PAM_TIMEOUT	60	/* s a PAM check may take */
#define AUTH_PAM_MAX		64	/* PAM checks at once */
#define AUTH_TOKEN_BYTES	16	/* 128 random bits */
#define AUTH_TOKENS_MAX		4096	/* outstanding tokens */
#define AUTH_CRED_KEY_BYTES	32	/* the resume key */
#define AUTH_CRED_NONCE_BYTES	16	/* a credential's nonce */
#define AUTH_CRED_NONCES	131072	/* outstanding credentials (2^n) */
#define AUTH_CRED_PROBE		64	/* slots a nonce may take */
#define AUTH_CRED_MAX		(24 + 2 * 16 + 2 * 64 + 2)
					/* issued.nonce.mac, NUL */

/*
 * mail_owner is root: a sandbox that runs everything as root, where a
 * virtual mailbox owned by root (virtual_mail_owner = root) is opened as
 * root, its owner.  Set once by auth.c.
 */
extern int auth_root_sandbox;

/* Outcome of a password check. */
enum auth_result { AUTH_OK, AUTH_FAIL, AUTH_TEMPFAIL };

/* auth_passwd.c: check a password against a passwd-file hash. */
enum auth_result auth_passwd_verify(const char *, const char *, struct buf *);

/*
 * auth_pam.c: start a PAM check of (user, password) for a client address
 * in a worker process; done(ctx, result, reason) is called from the event
 * loop when it ends.  -1 with why if it could not start.
 */
typedef void (*auth_pam_fn)(void *, enum auth_result, const char *);
int	auth_pam_start(const char *, const char *, const char *, auth_pam_fn,
	    void *, struct buf *);
int	auth_pam_busy(void);	/* checks in progress */

/* auth_session.c: tokens. */
void	auth_token_new(const char *, const char *, const struct account *,
	    char *, size_t);	/* service, rip, account -> token text */
/* token, fd -> account, service, rip (the caller's to free); 0 or -1 */
int	auth_token_redeem(const char *, int, struct account *, char **,
	    char **, struct buf *);

/*
 * auth_session.c: resume credentials of hibernated imap sessions.
 * auth_cred_init() once at start (root: the key file); make: service,
 * account, rip -> hex text, recorded as outstanding; check: service,
 * account, rip, credential, client fd -> 1 good (and now used up), 0
 * refused (why).
 */
void	auth_cred_init(void);
void	auth_cred_make(const char *, const char *, const char *, char *,
	    size_t);
int	auth_resume_check(const char *, const char *, const char *,
	    const char *, int, struct buf *);

/*
 * auth_session.c: fork the mailbox side for a redeemed token with the
 * client on fd 0/1 (and a resumed session's state on fd 4, and its
 * IDLE's inotify descriptor on fd 5, when those are not -1).  Returns the child's pid and, in *statusfd, a pipe
 * that reads EOF when exec succeeded or the reason when it did not; -1
 * with why if nothing was started.
 */
pid_t	auth_session_start(const struct account *, const char *,
	    const char *, int, int, int, int *, struct buf *);

#endif
