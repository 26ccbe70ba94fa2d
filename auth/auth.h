/*
 * auth - the authentication service: the one place that checks passwords
 * and maps a login to an account, and the one that starts a mailbox
 * session as its owner.  Runs as root (PAM needs it) on
 * $queue_directory/private/auth; see lib/authc.h for the wire protocol.
 *
 *	auth.c		main, the event loop, requests, logins
 *	auth_limit.c	per-client limits: failure counts and growing
 *			delays, logins in progress per address, mailbox
 *			sessions per user and address
 *	auth_worker.c	blocking checks (crypt, PAM) in worker processes
 *	auth_passwd.c	virtual users: crypt(3) hashes of the passwd file;
 *			the dummy hash checked for unknown users
 *	auth_pam.c	system users: PAM, in a worker
 *	auth_session.c	one-time tokens and the fork-setuid-exec of the
 *			mailbox side
 */
#ifndef CARTERO_AUTH_H
#define CARTERO_AUTH_H

#include <sys/types.h>

struct buf;
struct account;
struct sockaddr;
struct sockaddr_storage;

#define AUTH_PAM_SERVICE	"cartero"	/* /etc/pam.d/cartero */
#define AUTH_WORKER_TIMEOUT	60	/* s a check may take */
#define AUTH_WORKERS_MAX	16	/* checks running at once */
#define AUTH_WORKERS_QUEUE_MAX	4096	/* checks waiting for a worker */
#define AUTH_WORKER_ARGS	4	/* strings a check takes, NULL ended */
#define AUTH_WORKER_REPLY_MAX	512	/* its result line */
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

/*
 * auth_worker.c: run(args, out) runs in a worker process and puts its
 * verdict in out ("1", "0reason", "Treason"); done(ctx, result, reason)
 * is called from the event loop when it ends.  start: 0, or -1 with why
 * (done is then not called).  busy: checks running or waiting.
 */
typedef void (*auth_worker_fn)(void *, enum auth_result, const char *);
typedef void (*auth_worker_run)(const char *const *, struct buf *);
int	auth_worker_start(auth_worker_run, const char *const *,
	    auth_worker_fn, void *, struct buf *);
int	auth_worker_busy(void);

/*
 * auth_passwd.c: check a password against a passwd-file hash, here
 * (verify) or in a worker (start: hash, password, done, ctx, why).
 * learn: the hash of a known account sets the dummy's scheme and cost, the
 * first time; dummy: check a password against the dummy hash in a worker
 * (an unknown user costs what a known one does) and fail with reason.
 */
enum auth_result auth_passwd_verify(const char *, const char *, struct buf *);
int	auth_passwd_start(const char *, const char *, auth_worker_fn, void *,
	    struct buf *);
void	auth_passwd_learn(const char *);
int	auth_passwd_dummy(const char *, const char *, auth_worker_fn, void *,
	    struct buf *);

/* auth_pam.c: a PAM check of (user, password, client address) in a
 * worker; as auth_worker_start. */
int	auth_pam_start(const char *, const char *, const char *,
	    auth_worker_fn, void *, struct buf *);

/*
 * auth_limit.c: per-client limits (client_limit_exceptions are exempt).
 * exempt: is this client address exempt?  fail: one more failure of the
 * address (IPv6: its /64) and of the account, counted now; the delay in
 * ms before the answer, and the larger count in *count.  enter: a login
 * from rip may start now (1, the caller must leave() when answered) or
 * waits in line (0: go(ctx) is called when it may, and leave() is owed
 * then); cancel: forget a waiting ctx (1 if it was waiting).  userip:
 * mailbox sessions per service, account and rip; full: at the limit (why:
 * the text for the client); pending: a login was granted, its session
 * comes soon; started/ended: a session process.
 */
void	auth_limit_init(void);
int	auth_limit_exempt(const char *);
/* a client address text as a sockaddr (NULL: unknown) */
const struct sockaddr *auth_limit_addr(const char *,
	    struct sockaddr_storage *);
long	auth_limit_fail(const char *, const char *, long long *);
int	auth_limit_enter(const char *, void (*)(void *), void *);
void	auth_limit_leave(const char *);
int	auth_limit_cancel(void *);
int	auth_limit_userip_full(const char *, const char *, const char *,
	    struct buf *);
void	auth_limit_userip_pending(const char *, const char *, const char *);
void	auth_limit_userip_started(const char *, const char *, const char *,
	    pid_t);
void	auth_limit_userip_ended(pid_t);

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
