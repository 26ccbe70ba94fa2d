/*
 * login - what the login sides of pop3d and imapd share: their jail, the
 * per-client limits at connect, and the plaintext relay.
 */
#ifndef CARTERO_LOGIN_H
#define CARTERO_LOGIN_H

#include <sys/socket.h>

#define LOGIN_JAIL	"empty"		/* under $queue_directory */
#define LOGIN_RELAY_BUF	65536		/* bytes in flight each way */

#include <stddef.h>

struct buf;
struct lineio;
struct tls;
struct tls_ctx;

/*
 * Confine a login process, named prog in messages: as root, chroot to
 * $queue_directory/empty (whose only content is links to the auth and
 * anvil sockets) and become mail_owner for good; var_queue_directory
 * becomes "" (the jail's root) and max_use becomes login_max_use.
 * Without root, privs_drop()'s warning and nothing
 * else.  Fatal on failure.
 */
void	login_jail(const char *prog);

/*
 * A login side's main (prog: "pop3d", "imapd"): server_main() with the
 * service, one client at a time, privileges kept (the jail drops them).
 * Before the first client, still root (or the invoking user), it refuses
 * command arguments, reads the TLS certificate and key into *ctx (NULL
 * without them: an implicit-TLS service, *wrappermode, cannot run; a
 * plain one runs without offering starttls, the command's name), then
 * login_jail(prog).  Never returns.
 */
void	login_main(int, char **, const char *, void (*)(int, char *, char **),
	    struct tls_ctx **, const int *, const char *)
	    __attribute__((noreturn));

/*
 * The per-client connection count and rate limits at connect (anvil),
 * unless the client is in client_limit_exceptions: service (master.cf's
 * name), client (NULL: unknown, not limited), its address as text, the
 * program's count and rate limits.  0: go on; 1: refuse (logged).
 * login_limit_end() (login_end() calls it) when the connection ends,
 * whatever the answer.
 */
int	login_limit(const char *, const struct sockaddr *, const char *,
	    long long, long long);
void	login_limit_end(void);

/*
 * The start and end of a login side's session, the same in pop3d and
 * imapd but for these (struct login_side): the program's timeout,
 * command line cap, per-client limits, implicit TLS (wrappermode, with
 * the TLS context) and the words a client over a limit is refused with
 * (before " Too many connections from ADDR"; not said under implicit
 * TLS, there is no handshake to hold us longer).
 *	login_peer(fd, sa, addr, size): the client's address into sa and
 *		addr (text); &sa, or NULL when unknown.
 *	login_open(side, service, fd, client, addr, &io, &tls): the line
 *		reader (io), the limits, the TLS handshake at connect (tls);
 *		0: greet the client and serve it; -1: end the session.
 *	login_close(io, fd, linger, done, addr): after the commands: linger
 *		(a client over the hard error limit, without TLS) or flush
 *		what is pending unless the session went on (done), and log.
 * Either way, login_end() follows.
 */
struct login_side {
	long long	 timeout;
	size_t		 line_max;
	long long	 count_limit;
	long long	 rate_limit;
	int		 wrappermode;
	struct tls_ctx	*tls_ctx;
	const char	*busy;
};

struct sockaddr_storage;
struct sockaddr *login_peer(int, struct sockaddr_storage *, char *, size_t);
int	login_open(const struct login_side *, const char *, int,
	    const struct sockaddr *, const char *, struct lineio **,
	    struct tls **);
void	login_close(struct lineio *, int, int, int, const char *);

/*
 * Seconds a login side waits for a command before the login (the
 * smaller of login_timeout and the program's own timeout, given), and
 * for a TLS handshake (login_starttls_timeout, no longer than that).
 */
int	login_timeout(long long);
int	login_tls_timeout(long long);

/*
 * The TLS handshake of a login side on the client's socket fd, at
 * connect (implicit TLS) or after STARTTLS/STLS: what the client
 * pipelined before it is discarded, the handshake has
 * login_tls_timeout(own) seconds in all (own: the program's timeout),
 * then reads and writes of io go through TLS with login_timeout(own).
 * What io holds for the client (the command's go-ahead) leaves first;
 * NULL, without a log, when that write fails.
 * ctx NULL: no certificate.  The TLS session, or NULL (logged as what,
 * e.g. "STARTTLS", from addr): the client is to be dropped.
 */
struct tls *login_starttls(struct tls_ctx *, int, struct lineio *,
	    long long, const char *, const char *);

/* Relay client fd <-> mailbox fd until either closes or timeout s idle. */
void	login_relay(int, int, int);

/*
 * The SASL exchanges of the login sides (PLAIN, RFC 4616; LOGIN) on the
 * client's line reader io, challenges as "+ text" lines (RFC 5034,
 * RFC 3501), responses read by login_sasl_read(); the protocol's part
 * given as callbacks with their context:
 *	refuse(ctx, why): a response too long or "*" (aborted): answer
 *		with why;
 *	invalid(ctx, mech): the response is not valid for mech: answer;
 *	login(ctx, mech, user, password, authzid): check and answer.
 * login_sasl() runs mech ("PLAIN" or "LOGIN", which the caller checked)
 * with the initial response, if any (NULL: none; "=": an empty one), and
 * wipes every buffer that held a secret.  It returns 0, or -1 when the
 * client went away during the exchange (end of input, timeout).
 */
struct login_sasl {
	void	(*refuse)(void *, const char *);
	void	(*invalid)(void *, const char *);
	void	(*login)(void *, const char *, const char *, const char *,
		    const char *);
};

int	login_sasl(const char *, const char *, struct lineio *,
	    const struct login_sasl *, void *);

/*
 * A client's response in a SASL exchange, read from io into out once the
 * challenge went out (each protocol words its challenge): LOGIN_SASL_OK;
 * LOGIN_SASL_TOOLONG (the rest of the line skipped) and
 * LOGIN_SASL_ABORTED ("*"), with *why (if not NULL) set to the words to
 * refuse it with; LOGIN_SASL_TIMEOUT and LOGIN_SASL_LOST (end of input,
 * an error): the client is gone.
 */
enum login_sasl_read { LOGIN_SASL_OK, LOGIN_SASL_TOOLONG, LOGIN_SASL_ABORTED,
	LOGIN_SASL_TIMEOUT, LOGIN_SASL_LOST };

enum login_sasl_read login_sasl_read(struct lineio *, struct buf *,
	    const char **);

/*
 * A login through auth, as both login sides make it: service ("pop3",
 * "imap"), mechanism, user, password, authzid (or NULL), the client
 * (sockaddr and address text) and whether TLS is on.  Logs the outcome;
 * the caller answers the client.  LOGIN_OK fills rep (token, account);
 * LOGIN_LIMIT (a limit, why says which), LOGIN_FAILED (wrong password or
 * unknown user) and LOGIN_TEMP (auth unreachable or failing: why) do not.
 */
enum login_result { LOGIN_OK, LOGIN_LIMIT, LOGIN_FAILED, LOGIN_TEMP,
	LOGIN_GONE, LOGIN_NOSESSION };

struct authc_reply;
enum login_result login_check(const char *, const char *, const char *,
	    const char *, const char *, const struct sockaddr *, const char *,
	    int, struct authc_reply *, struct buf *);

/*
 * The client of a login side, for the handover: its socket, TLS (or
 * NULL), line reader (what it pipelined after the login is still there)
 * address text and sockaddr (NULL: unknown).
 */
struct login_client {
	int		 fd;
	struct tls	*tls;
	struct lineio	*io;
	const char	*addr;
	const struct sockaddr *sa;
};

/*
 * Give a logged-in client to its mailbox process: auth redeems token and
 * starts the session for account.  With no TLS and nothing pipelined the
 * client's own socket goes and this process is done; else a socket pair
 * goes, fed with the pipelined input, and this process relays (TLS or
 * plain) until either side ends or nothing moves for relay_timeout
 * seconds.  started(ctx), if not NULL, runs once the session is on and
 * before any relaying (the IMAP side answers the LOGIN there; -1 from it
 * ends the handover).  0: the session went; -1: it could not start (why),
 * and the client is still ours to answer.
 */
int	login_handover(struct login_client *, const char *, const char *,
	    int, int (*)(void *), void *, struct buf *);

/*
 * A login as both login sides make it: what the client is owed leaves
 * first (a reply to a pipelined command must not be overtaken by the
 * login's delay), login_check() for service, mech, user, password and
 * authzid, and when good login_handover() with the relay timeout,
 * started and its ctx.  LOGIN_OK: the session went; LOGIN_GONE: the
 * client went away first; LOGIN_NOSESSION: the login was good but the
 * session could not start (logged); else login_check()'s answer (why).
 */
enum login_result login_attempt(struct login_client *, const char *,
	    const char *, const char *, const char *, const char *, int,
	    int (*)(void *), void *, struct buf *);

/*
 * After a session (login_end()), on the client's fd: a process in which
 * a login met LOGIN_TEMP closes fd and exits, for master to start a
 * fresh one (the jail's link to auth's socket may be stale).
 */
void	login_recycle(int);

/*
 * Secrets of a session (see login.c): a buffer that leaves no copy behind
 * (size, cap as buf_new), overwrite one now, and the end of a session:
 * login_limit_end(), tls_close, wipe and free the line reader and the
 * buffers named (a NULL-ended list of struct buf **).  The server TLS
 * context of a login side, whose plaintext records are overwritten once
 * read.
 */
struct buf *login_secret(size_t, size_t);
void	login_wipe(struct buf *);
void	login_end(struct tls **, struct lineio **, ...);
struct tls_ctx *login_tls_ctx(struct buf *);

#endif
