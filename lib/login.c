/*
 * login - the jail and the plaintext relay of the login sides (pop3d, imapd).
 *
 * Before a login, network input is parsed by a process that runs as
 * mail_owner, owns no mail, and is chrooted to $queue_directory/empty
 * (DESIGN.md, privilege rule 1).  The one thing it needs from outside is
 * the auth service (and the anvil service, for the per-client limits),
 * so the jail holds hard links to their sockets at empty/private/auth and
 * empty/private/anvil: the client APIs connect to
 * $queue_directory/private/NAME, and inside the jail the queue directory
 * is "/".
 *
 * login_limit() is the check at connect that both login sides make: the
 * per-client connection count and rate (anvil), unless the client is in
 * client_limit_exceptions.  login_timeout and login_starttls_timeout bound
 * the time before the login and the TLS handshake.
 *
 * login_main() is a login side's main: the server skeleton, and before
 * the first client the TLS certificate and the jail.
 *
 * login_open() and login_close() are the start and the end of a login
 * side's session (who the client is, the line reader, those limits, TLS
 * at connect; lingering or flushing at the end), the program giving its
 * differences in a struct login_side.
 *
 * login_relay() carries plaintext between the client and the mailbox
 * process when the login side must stay in between without TLS.
 *
 * Secrets: a login process serves up to login_max_use clients, so what a
 * session held (its lines, LOGIN and AUTHENTICATE arguments, SASL buffers,
 * relay buffers, TLS plaintext) must not be there for the next one to
 * find if that one takes the process over (issue 9).  login_secret()
 * makes the buffers for such text (they leave no copy behind when they
 * grow), login_wipe() overwrites one after use, login_end() wipes and
 * releases what a session held, login_tls_ctx() makes TLS overwrite
 * plaintext records, and the relays overwrite their buffers.  What this
 * cannot reach (a copy in a freed block of OpenSSL or libc) goes when
 * the process does: login_max_use renews the login processes more often
 * than other services.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "anvilc.h"
#include "authc.h"
#include "base64.h"
#include "buf.h"
#include "lineio.h"
#include "login.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "server.h"
#include "tls.h"
#include "util.h"

static int login_stale;		/* auth failed: exit after the session */

/*
 * login_link - renew the jail's link to the socket of a service ("auth",
 * "anvil").  master may have made a new socket since the last start;
 * several processes may start at once, so the link is made under a
 * temporary name and renamed.  A service that is not there is warned
 * about by the caller's words (what, when empty: say nothing, the client
 * API warns when it first needs the service) and its old link goes.
 */
static void
login_link(const char *jail, gid_t gid, const char *name, const char *what)
{
	struct buf	*src, *dir, *tmp, *dst;
	struct stat	 st;

	src = buf_new(256, 0);
	dir = buf_new(256, 0);
	tmp = buf_new(256, 0);
	dst = buf_new(256, 0);
	buf_setf(src, "%s/private/%s", var_queue_directory, name);
	buf_setf(dir, "%s/private", jail);
	buf_setf(tmp, "%s/%s.%ld", buf_str(dir), name, (long)getpid());
	buf_setf(dst, "%s/%s", buf_str(dir), name);
	if (mkdir(buf_str(dir), 0750) < 0 && errno != EEXIST)
		msg_fatal("mkdir %s: %m", buf_str(dir));
	if (lstat(buf_str(dir), &st) < 0 || !S_ISDIR(st.st_mode))
		msg_fatal("%s: not a directory", buf_str(dir));
	if (chown(buf_str(dir), 0, gid) < 0 || chmod(buf_str(dir), 0750) < 0)
		msg_fatal("chown/chmod %s: %m", buf_str(dir));
	if (lstat(buf_str(src), &st) < 0 || !S_ISSOCK(st.st_mode)) {
		if (*what != '\0')
			msg_warn("%s: no %s socket (is the %s service in "
			    "master.cf?): %s", buf_str(src), name, name, what);
		(void)unlink(buf_str(dst));
		goto out;
	}
	(void)unlink(buf_str(tmp));
	if (link(buf_str(src), buf_str(tmp)) < 0 ||
	    rename(buf_str(tmp), buf_str(dst)) < 0) {
		msg_warn("link %s to %s: %m%s%s", buf_str(src),
		    buf_str(dst), *what ? ": " : "", what);
		(void)unlink(buf_str(tmp));
	}
out:
	buf_free(&src);
	buf_free(&dir);
	buf_free(&tmp);
	buf_free(&dst);
}

/* login_jail - chroot to the empty jail and become mail_owner */
void
login_jail(const char *prog)
{
	struct buf	*why, *jail;
	struct stat	 st;
	uid_t		 uid;
	gid_t		 gid;

	tzset();	/* the jail has no /etc/localtime */
	/* What a session left behind goes with the process: renew sooner. */
	var_max_use = var_login_max_use;
	if (!privs_is_root()) {
		privs_drop(var_mail_owner);	/* warns, once */
		return;
	}
	why = buf_new(256, 4096);
	if (privs_lookup(var_mail_owner, &uid, &gid, why) < 0)
		msg_fatal("mail_owner: %s", buf_str(why));
	if (uid == 0)
		msg_fatal("mail_owner %s is root: refusing to run %s as root",
		    var_mail_owner, prog);
	jail = buf_new(256, 0);
	buf_setf(jail, "%s/%s", var_queue_directory, LOGIN_JAIL);
	if (mkdir(buf_str(jail), 0755) < 0 && errno != EEXIST)
		msg_fatal("mkdir %s: %m", buf_str(jail));
	if (lstat(buf_str(jail), &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != 0)
		msg_fatal("%s: not a directory owned by root", buf_str(jail));
	login_link(buf_str(jail), gid, "auth", "logins will fail");
	login_link(buf_str(jail), gid, "anvil", "");
	if (privs_chroot(buf_str(jail), why) < 0)
		msg_fatal("%s", buf_str(why));
	/* Seen from inside, the queue directory is the jail's root. */
	var_queue_directory = "";
	if (privs_set(uid, gid, why) < 0)
		msg_fatal("drop privileges to %s: %s", var_mail_owner,
		    buf_str(why));
	buf_free(&jail);
	buf_free(&why);
}

/* What login_main() was given, for login_prepare(). */
static struct {
	const char	 *prog;
	struct tls_ctx	**ctx;
	const int	 *wrappermode;
	const char	 *starttls;
} login_main_args;

/*
 * login_prepare - the pre-jail step of a login side: arguments, the TLS
 * certificate, then the jail
 */
static void
login_prepare(char *service, char **argv)
{
	struct buf	*why = buf_new(256, 4096);
	const char	*prog = login_main_args.prog;

	(void)service;
	if (*argv != NULL)
		msg_fatal("unexpected argument \"%s\"", *argv);
	if ((*login_main_args.ctx = login_tls_ctx(why)) == NULL) {
		if (*login_main_args.wrappermode)
			msg_fatal("%s_tls_wrappermode: %s", prog, buf_str(why));
		msg_warn("%s: %s will not be offered", buf_str(why),
		    login_main_args.starttls);
	}
	buf_free(&why);
	login_jail(prog);
}

/* login_main - a login side's main: the server skeleton, login_prepare() */
void
login_main(int argc, char **argv, const char *prog,
    void (*service)(int, char *, char **), struct tls_ctx **ctx,
    const int *wrappermode, const char *starttls)
{
	login_main_args.prog = prog;
	login_main_args.ctx = ctx;
	login_main_args.wrappermode = wrappermode;
	login_main_args.starttls = starttls;
	server_main(argc, argv, SERVER_SINGLE, service,
	    SERVER_PRE_JAIL, login_prepare,
	    SERVER_NO_DROP,
	    SERVER_END);
}

/*
 * login_relay - plaintext both ways between the client and the mailbox
 * side (used when input was pipelined after the login and no TLS is on),
 * until either side closes or nothing moves for timeout seconds.
 */
void
login_relay(int cfd, int mfd, int timeout)
{
	struct pollfd	 pfd[2];
	char		*buf[2];
	size_t		 len[2] = { 0, 0 }, off[2] = { 0, 0 };
	int		 fd[2] = { cfd, mfd }, eof[2] = { 0, 0 }, i, r;
	ssize_t		 n;

	buf[0] = xmalloc(LOGIN_RELAY_BUF);	/* client to mailbox */
	buf[1] = xmalloc(LOGIN_RELAY_BUF);	/* mailbox to client */
	(void)set_nonblock(cfd, 1);
	(void)set_nonblock(mfd, 1);
	for (;;) {
		if ((eof[0] && len[0] == 0) || (eof[1] && len[1] == 0))
			break;
		for (i = 0; i < 2; i++) {
			pfd[i].fd = fd[i];
			pfd[i].events = 0;
			if (len[i] == 0 && !eof[i])
				pfd[i].events |= POLLIN;
			if (len[1 - i] > 0)
				pfd[i].events |= POLLOUT;
			if (pfd[i].events == 0)
				pfd[i].fd = -1;
		}
		r = poll(pfd, 2, timeout > 0 ? timeout * 1000 : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (i = 0; i < 2; i++) {
			if (len[i] == 0 && !eof[i] && pfd[i].revents != 0) {
				n = read(fd[i], buf[i], LOGIN_RELAY_BUF);
				if (n > 0) {
					len[i] = (size_t)n;
					off[i] = 0;
				} else if (n == 0 || (errno != EAGAIN &&
				    errno != EINTR))
					eof[i] = 1;
			}
			if (len[1 - i] > 0 && pfd[i].revents != 0) {
				n = send(fd[i], buf[1 - i] + off[1 - i],
				    len[1 - i], MSG_NOSIGNAL);
				if (n > 0) {
					off[1 - i] += (size_t)n;
					len[1 - i] -= (size_t)n;
				} else if (n < 0 && errno != EAGAIN &&
				    errno != EINTR)
					goto out;
			}
		}
		/* The mailbox side closed: shut the client's direction. */
		if (eof[1] && len[1] == 0)
			(void)shutdown(cfd, SHUT_WR);
	}
out:
	explicit_bzero(buf[0], LOGIN_RELAY_BUF);
	explicit_bzero(buf[1], LOGIN_RELAY_BUF);
	free(buf[0]);
	free(buf[1]);
}

/*
 * login_limit - the per-client limits at connect: 0 to go on, 1 when the
 * client (addr, as text) holds or opened too many connections to the
 * service (limits of the caller's program; a warning is logged).  Call
 * login_limit_end() when the connection ends.
 */
int
login_limit(const char *service, const struct sockaddr *client,
    const char *addr, long long count_limit, long long rate_limit)
{
	return anvilc_check(service, client, addr, addr,
	    var_client_limit_exceptions, count_limit, rate_limit) != ANVILC_OK;
}

/* login_peer - the client's address, as sockaddr (NULL: unknown) and text */
struct sockaddr *
login_peer(int fd, struct sockaddr_storage *sa, char *addr, size_t size)
{
	socklen_t len = sizeof(*sa);
	struct sockaddr *sap = NULL;

	memset(sa, 0, sizeof(*sa));
	if (getpeername(fd, (struct sockaddr *)sa, &len) == 0)
		sap = (struct sockaddr *)sa;
	addr_ntop(sap, addr, size);
	return sap;
}

/*
 * login_open - the start of a login side's session on fd: its line reader
 * into *io, the per-client limits (a client over one is refused with
 * side->busy, unless under implicit TLS), the TLS handshake at connect
 * into *tls.  0: greet and serve the client; -1: the session ends.
 */
int
login_open(const struct login_side *side, const char *service, int fd,
    const struct sockaddr *client, const char *addr, struct lineio **io,
    struct tls **tls)
{
	if (msg_verbose)
		msg_debug("connect from %s", addr);
	*io = lineio_new(fd, side->line_max, login_timeout(side->timeout));
	/* Over a per-client limit: no TLS handshake to hold us longer. */
	if (login_limit(service, client, addr, side->count_limit,
	    side->rate_limit)) {
		if (!side->wrappermode) {
			if (msg_verbose)
				msg_debug("> %s: %s Too many connections "
				    "from %s", addr, side->busy, addr);
			(void)lineio_printf(*io, "%s Too many connections "
			    "from %s\r\n", side->busy, addr);
			(void)lineio_flush(*io);
		}
		return -1;
	}
	if (side->wrappermode) {
		*tls = login_starttls(side->tls_ctx, fd, *io, side->timeout,
		    "TLS", addr);
		if (*tls == NULL)
			return -1;
	}
	return 0;
}

/*
 * login_close - the end of a served session: linger (the client may
 * still write) or flush what is pending, unless the session went on to
 * its mailbox process (done); log the disconnect.
 */
void
login_close(struct lineio *io, int fd, int linger, int done,
    const char *addr)
{
	if (linger)
		lineio_linger(io, fd, fd);
	else if (!done)
		(void)lineio_flush(io);
	if (msg_verbose)
		msg_debug("disconnect from %s%s", addr,
		    done ? " (logged in)" : "");
}

/* login_limit_end - the connection checked by login_limit() has ended */
void
login_limit_end(void)
{
	anvilc_done();
}

/*
 * login_timeout - the idle timeout before the login, in seconds:
 * login_timeout, or the program's own (pop3d_timeout, imapd_timeout) when
 * that is shorter.
 */
int
login_timeout(long long own)
{
	return (int)(own < var_login_timeout ? own : var_login_timeout);
}

/* login_tls_timeout - the time limit of a TLS handshake, in seconds */
int
login_tls_timeout(long long own)
{
	int before = login_timeout(own);

	return var_login_starttls_timeout < before ?
	    (int)var_login_starttls_timeout : before;
}

/* login_secret - a new buffer for text that may hold a secret */
struct buf *
login_secret(size_t size, size_t cap)
{
	struct buf *b = buf_new(size, cap);

	buf_secret(b);
	return b;
}

/* login_wipe - overwrite all a buffer holds or held, and empty it */
void
login_wipe(struct buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL)
		explicit_bzero(b->data, b->size);
	buf_reset(b);
}

/*
 * login_end - the end of a session in a login process: its per-client
 * count goes down (login_limit_end), its TLS is closed, its line
 * reader's buffers and each buffer named (a NULL-ended list) are
 * overwritten, and all are released.  The client's fd stays open.
 */
void
login_end(struct tls **tls, struct lineio **io, ...)
{
	struct buf **bp;
	va_list ap;

	login_limit_end();
	if (tls != NULL)
		tls_close(tls);
	if (io != NULL && *io != NULL) {
		lineio_wipe(*io);
		lineio_free(io);
	}
	va_start(ap, io);
	while ((bp = va_arg(ap, struct buf **)) != NULL) {
		login_wipe(*bp);
		buf_free(bp);
	}
	va_end(ap);
}

/*
 * login_tls_ctx - the server TLS context of a login side: the certificate
 * (read now, while root), with plaintext records overwritten once read.
 * NULL with why when there is no usable certificate.
 */
struct tls_ctx *
login_tls_ctx(struct buf *why)
{
	struct tls_ctx *c = tls_ctx_server(why);

	if (c != NULL)
		tls_ctx_cleanse(c);
	return c;
}

/* login_starttls - the TLS handshake, then io through TLS */
struct tls *
login_starttls(struct tls_ctx *ctx, int fd, struct lineio *io,
    long long own, const char *what, const char *addr)
{
	struct buf	*why = buf_new(128, 1024);
	struct tls	*t = NULL;

	if (lineio_flush(io) < 0) {
		buf_free(&why);
		return NULL;
	}
	lineio_discard(io);
	if (ctx == NULL)
		buf_setf(why, "no TLS certificate");
	else
		t = tls_accept(ctx, fd, login_tls_timeout(own), why);
	if (t == NULL)
		msg_info("%s from %s: %s", what, addr, buf_str(why));
	else {
		tls_set_timeout(t, login_timeout(own));
		lineio_set_hooks(io, tls_read, tls_write, t);
		if (msg_verbose)
			msg_debug("%s from %s: %s", what, addr, tls_info(t));
	}
	buf_free(&why);
	return t;
}

/*
 * login_attempt - flush what the client is owed, check the login with
 * auth and, when good, hand the session over; the caller answers
 */
enum login_result
login_attempt(struct login_client *c, const char *service, const char *mech,
    const char *user, const char *pass, const char *authzid,
    int relay_timeout, int (*started)(void *), void *ctx, struct buf *why)
{
	struct authc_reply rep;
	enum login_result r;

	if (lineio_flush(c->io) < 0)
		return LOGIN_GONE;
	r = login_check(service, mech, user, pass, authzid, c->sa, c->addr,
	    c->tls != NULL, &rep, why);
	if (r == LOGIN_OK && login_handover(c, rep.token, rep.account,
	    relay_timeout, started, ctx, why) < 0) {
		msg_warn("user=<%s>, rip=%s: cannot start the mailbox session: "
		    "%s", rep.account, c->addr, buf_str(why));
		r = LOGIN_NOSESSION;
	}
	explicit_bzero(&rep, sizeof(rep));
	/* A jail with a stale auth socket link: a fresh process. */
	if (r == LOGIN_TEMP)
		login_stale = 1;
	return r;
}

/* login_recycle - after a session: a process that found auth failing exits */
void
login_recycle(int fd)
{
	if (!login_stale)
		return;
	close(fd);
	exit(0);
}

/* login_check - one login through auth, logged; the caller answers */
enum login_result
login_check(const char *service, const char *mech, const char *user,
    const char *pass, const char *authzid, const struct sockaddr *client,
    const char *addr, int secured, struct authc_reply *rep, struct buf *why)
{
	struct buf	*tmp = buf_new(64, 0);
	enum login_result r;

	switch (authc_login_mech(service, mech, user, pass, authzid, client,
	    secured, rep, why)) {
	case 1:
		r = LOGIN_OK;
		break;
	case 0:
		if (rep->limit) {
			msg_info("login refused: user=<%s>, rip=%s: %s",
			    printable(user, tmp), addr, buf_str(why));
			r = LOGIN_LIMIT;
		} else {
			msg_info("authentication failed: method=%s, "
			    "user=<%s>, rip=%s", mech, printable(user, tmp),
			    addr);
			r = LOGIN_FAILED;
		}
		break;
	default:
		msg_warn("login of user=<%s>, rip=%s: %s",
		    printable(user, tmp), addr, buf_str(why));
		r = LOGIN_TEMP;
		break;
	}
	buf_free(&tmp);
	return r;
}

/* login_handover - the session to the mailbox process; relay if needed */
int
login_handover(struct login_client *c, const char *token,
    const char *account, int relay_timeout, int (*started)(void *),
    void *ctx, struct buf *why)
{
	char	 pend[16384];
	ssize_t	 n;
	int	 sv[2];

	if (c->tls == NULL && lineio_pending(c->io) == 0) {
		if (authc_session(token, c->fd, why) < 0)
			return -1;
		msg_info("login: user=<%s>, rip=%s, mailbox session started",
		    account, c->addr);
		if (started != NULL)
			(void)started(ctx);
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		buf_setf(why, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (authc_session(token, sv[1], why) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	msg_info("login: user=<%s>, rip=%s, mailbox session started%s",
	    account, c->addr, c->tls != NULL ? ", TLS" : "");
	if (started != NULL && started(ctx) < 0) {
		close(sv[0]);
		return 0;
	}
	/* Pipelined input is the mailbox side's, in order. */
	while (lineio_pending(c->io) > 0) {
		n = lineio_read(c->io, pend, sizeof(pend));
		if (n <= 0 || write_full(sv[0], pend, (size_t)n) < 0)
			break;
	}
	explicit_bzero(pend, sizeof(pend));
	if (c->tls != NULL) {
		if (tls_proxy(c->tls, sv[0], relay_timeout) < 0 && msg_verbose)
			msg_debug("proxy for %s: %m", c->addr);
	} else
		login_relay(c->fd, sv[0], relay_timeout);
	close(sv[0]);
	return 0;
}

/* login_b64_text - decode base64 text that must not hold a NUL */
static int
login_b64_text(const char *b64, struct buf *out)
{
	buf_reset(out);
	if (strcmp(b64, "=") == 0)
		return 0;
	if (base64_decode(out, b64, strlen(b64)) < 0 ||
	    memchr(buf_str(out), '\0', buf_len(out)) != NULL ||
	    buf_overflowed(out))
		return -1;
	return 0;
}

/* login_sasl_read - a response in a SASL exchange, and what it was */
enum login_sasl_read
login_sasl_read(struct lineio *io, struct buf *out, const char **why)
{
	const char	*text = NULL;
	enum login_sasl_read r;

	switch (lineio_get(io, out, LINEIO_SKIP)) {
	case LINE_OK:
		r = LOGIN_SASL_OK;
		if (strcmp(buf_str(out), "*") == 0) {
			r = LOGIN_SASL_ABORTED;
			text = "Authentication aborted by client.";
		}
		break;
	case LINE_TOOLONG:
		r = LOGIN_SASL_TOOLONG;
		text = "Response too long.";
		break;
	case LINE_TIMEOUT:
		r = LOGIN_SASL_TIMEOUT;
		break;
	default:
		r = LOGIN_SASL_LOST;
		break;
	}
	if (why != NULL)
		*why = text;
	return r;
}

/*
 * login_sasl_ask - a challenge and its response into line: 0; -1 when
 * the response refused the exchange (told to ops); -2 when the client
 * is gone
 */
static int
login_sasl_ask(struct lineio *io, const char *challenge, struct buf *line,
    const struct login_sasl *ops, void *ctx)
{
	const char *why;

	lineio_printf(io, "+ %s\r\n", challenge);
	switch (login_sasl_read(io, line, &why)) {
	case LOGIN_SASL_OK:
		return 0;
	case LOGIN_SASL_TOOLONG:
	case LOGIN_SASL_ABORTED:
		ops->refuse(ctx, why);
		return -1;
	default:
		return -2;
	}
}

/* login_sasl - a PLAIN or LOGIN exchange, then the login */
int
login_sasl(const char *mech, const char *initial, struct lineio *io,
    const struct login_sasl *ops, void *ctx)
{
	struct buf	*line = login_secret(256, 0);
	struct buf	*authzid = login_secret(64, AUTHC_FIELD_MAX);
	struct buf	*user = login_secret(64, AUTHC_FIELD_MAX);
	struct buf	*pass = login_secret(64, AUTHC_FIELD_MAX);
	const char	*resp = initial;
	int		 r = 0;

	if (strcmp(mech, "PLAIN") == 0) {
		if (resp == NULL) {
			if ((r = login_sasl_ask(io, "", line, ops, ctx)) < 0)
				goto out;
			resp = buf_str(line);
		}
		if (authc_sasl_plain_decode(strcmp(resp, "=") == 0 ? "" :
		    resp, authzid, user, pass) < 0)
			ops->invalid(ctx, mech);
		else
			ops->login(ctx, mech, buf_str(user), buf_str(pass),
			    buf_str(authzid));
		goto out;
	}
	/* LOGIN: "Username:" and "Password:", each in base64. */
	if (resp == NULL) {
		if ((r = login_sasl_ask(io, "VXNlcm5hbWU6", line, ops,
		    ctx)) < 0)
			goto out;
		resp = buf_str(line);
	}
	if (login_b64_text(resp, user) < 0 || buf_len(user) == 0) {
		ops->invalid(ctx, mech);
		goto out;
	}
	if ((r = login_sasl_ask(io, "UGFzc3dvcmQ6", line, ops, ctx)) < 0)
		goto out;
	if (login_b64_text(buf_str(line), pass) < 0 || buf_len(pass) == 0) {
		ops->invalid(ctx, mech);
		goto out;
	}
	ops->login(ctx, mech, buf_str(user), buf_str(pass), "");
out:
	login_wipe(line);
	login_wipe(pass);
	buf_free(&line);
	buf_free(&authzid);
	buf_free(&user);
	buf_free(&pass);
	return r == -2 ? -1 : 0;
}
