/*
 * auth - the authentication service (master.cf: auth unix - n n - 1 auth).
 *
 * One process, run as root, serves every smtpd, pop3d and imapd over
 * $queue_directory/private/auth (a directory only mail_owner and root can
 * enter).  It checks passwords (virtual users: the crypt(3) hash of the
 * passwd file; system users: PAM), maps a login to its account the way
 * delivery does (lib/resolve.c, so "ana" and "ana@mired.org" are one
 * account), hands out one-time tokens, and starts mailbox sessions as
 * their owner (auth_session.c).
 *
 * Everything runs in one event loop (lib/ipcserv.c), so a slow client
 * never holds up the others: every request is answered later
 * (IPCSERV_LATER, then ipcserv_reply): a failed login waits out its
 * delay on a timer, a password check (crypt or PAM) runs in a worker
 * process (auth_worker.c), and a session's exec is watched through a
 * pipe.  After a reload this process finishes the work in hand (up to
 * AUTH_RETIRE_GRACE) while the next one takes the new clients.
 * Requests come from processes that parse network input, so every field
 * is checked (size, service, mechanism) before it is used; passwords are
 * never logged and are wiped from the buffers that held them.
 *
 * Failed logins are counted per client address and per account, and
 * delayed more and more; logins in progress are capped per address and
 * mailbox sessions per user and address (auth_limit.c).  Each failure is
 * logged as "login failed: rip=ADDR, service=..., ..." with the client
 * address first, before any text the client chose, for fail2ban
 * (etc/fail2ban/filter.d/cartero.conf).  An unknown user's password is
 * hashed all the same (a dummy of the same scheme, auth_passwd.c), so the
 * time of a failure does not tell whether the account exists.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "authc.h"
#include "buf.h"
#include "event.h"
#include "ipc.h"
#include "ipcserv.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "resolve.h"
#include "server.h"
#include "util.h"

#define AUTH_REQUEST_MAX	16384	/* one request, all fields */
#define AUTH_CONNS_MAX		2000	/* clients at once */
#define AUTH_RETIRE_GRACE	(60 * 1000L)	/* ms for work in hand */

/* Texts for the client. */
#define AUTH_TEXT_FAILED	"Authentication failed"
#define AUTH_TEXT_TEMP		"Temporary authentication failure"
#define AUTH_TEXT_PLAINTEXT	"Plaintext authentication disallowed on " \
				"non-secure (SSL/TLS) connections"
#define AUTH_TEXT_MECH		"Unsupported authentication mechanism"

/* A client of the service (an smtpd, pop3d or imapd process). */
struct auth_conn {
	struct ipcserv_client *cl;
	int		 passed_fd;	/* passed to us, or -1 */
	int		 state_fd;	/* a second one (resume), or -1 */
	int		 inotify_fd;	/* a third one (resumed IDLE), or -1 */
	const struct attr *req;		/* the request in hand (ipcserv's) */
	struct attr	 reply;		/* its answer */
	int		 limited;	/* holds a login slot of its address */

	/* A login or session in hand. */
	struct account	 acct;
	char		 service[16];
	char		 mech[32];
	char		*user;		/* printable, for logs */
	char		*rip;
	pid_t		 pid;		/* session child */
	int		 resume;	/* the session is a resumed one */
	int		 status_fd;	/* its exec status pipe */
	struct buf	*status;
};

static int auth_sigpipe[2] = { -1, -1 };
int auth_root_sandbox;

static void auth_fail_delayed(void *);

/*
 * Connections.
 */

/* auth_conn_open - a new client */
static void *
auth_conn_open(struct ipcserv_client *cl)
{
	struct auth_conn *c = xcalloc(1, sizeof(*c));

	c->cl = cl;
	c->passed_fd = -1;
	c->state_fd = -1;
	c->inotify_fd = -1;
	c->status_fd = -1;
	c->pid = -1;
	c->status = buf_new(64, 1024);
	attr_init(&c->reply);
	return c;
}

/* auth_conn_close - forget a client */
static void
auth_conn_close(void *ctx)
{
	struct auth_conn *c = ctx;

	fd_close(&c->passed_fd);
	fd_close(&c->state_fd);
	fd_close(&c->inotify_fd);
	event_timer_cancel(auth_fail_delayed, c);
	if (!auth_limit_cancel(c) && c->limited)
		auth_limit_leave(c->rip);
	attr_free(&c->reply);
	account_free(&c->acct);
	free(c->user);
	free(c->rip);
	buf_free(&c->status);
	free(c);
}

/* auth_request_clear - done with the request in hand */
static void
auth_request_clear(struct auth_conn *c)
{
	c->req = NULL;	/* ipcserv wipes it once the answer is out */
	if (c->limited) {
		auth_limit_leave(c->rip);
		c->limited = 0;
	}
	account_free(&c->acct);
	free(c->user);
	free(c->rip);
	c->user = c->rip = NULL;
	c->service[0] = c->mech[0] = '\0';
	c->pid = -1;
	if (c->passed_fd >= 0) {
		close(c->passed_fd);
		c->passed_fd = -1;
	}
	if (c->state_fd >= 0) {
		close(c->state_fd);
		c->state_fd = -1;
	}
	if (c->inotify_fd >= 0) {
		close(c->inotify_fd);
		c->inotify_fd = -1;
	}
	c->resume = 0;
}

/* auth_send - the answer to the request in hand (it ends the request) */
static void
auth_send(struct auth_conn *c, const struct attr *a)
{
	auth_request_clear(c);
	ipcserv_reply(c->cl, a);	/* may close c, or start the next */
}

/* auth_send_status - a short answer: status and reason */
static void
auth_send_status(struct auth_conn *c, const char *status, const char *reason)
{
	attr_clear(&c->reply);
	attr_set(&c->reply, "status", status);
	if (reason != NULL)
		attr_set(&c->reply, "reason", reason);
	auth_send(c, &c->reply);
}

/*
 * Failed logins.
 */

/* auth_fail_delayed - the delay is over: say no */
static void
auth_fail_delayed(void *ctx)
{
	struct auth_conn *c = ctx;

	auth_send(c, &c->reply);
}

/*
 * auth_login_fail - a refused login: count, log, answer after the delay.
 * The client address comes first in the log line, before the user name
 * the client chose, so that no user name can make fail2ban ban another
 * address.
 */
static void
auth_login_fail(struct auth_conn *c, const char *why)
{
	long long n;
	long delay;

	delay = auth_limit_fail(c->rip, c->acct.name != NULL ? c->acct.name :
	    c->user, &n);
	msg_info("login failed: rip=%s, service=%s, method=%s, user=<%s>, "
	    "reason=%s, failures=%lld, delay=%ld.%03lds", c->rip, c->service,
	    c->mech, c->user, why, n, delay / 1000, delay % 1000);
	attr_clear(&c->reply);
	attr_set(&c->reply, "status", "fail");
	attr_set(&c->reply, "reason", AUTH_TEXT_FAILED);
	if (delay > 0)
		event_timer(delay, auth_fail_delayed, c);
	else
		auth_send(c, &c->reply);
}

/* auth_login_tempfail - the check could not be made */
static void
auth_login_tempfail(struct auth_conn *c, const char *why)
{
	msg_warn("login temporary failure: user=<%s>, method=%s, rip=%s, "
	    "service=%s, reason=%s", c->user, c->mech, c->rip, c->service,
	    why);
	auth_send_status(c, "tempfail", AUTH_TEXT_TEMP);
}

/* auth_login_ok - the password is right: token, log, answer */
static void
auth_login_ok(struct auth_conn *c)
{
	char token[AUTHC_TOKEN_MAX];
	struct buf *why;

	token[0] = '\0';
	if (strcmp(c->service, "smtp") != 0 && !auth_limit_exempt(c->rip)) {
		why = buf_new(128, 1024);
		if (auth_limit_userip_full(c->service, c->acct.name, c->rip,
		    why)) {
			/* The password was right: no failure, no delay. */
			msg_info("login refused: rip=%s, service=%s, "
			    "method=%s, user=<%s>, reason=%s", c->rip,
			    c->service, c->mech, c->acct.name, buf_str(why));
			attr_clear(&c->reply);
			attr_set(&c->reply, "status", "fail");
			attr_set(&c->reply, "code", "limit");
			attr_set(&c->reply, "reason", buf_str(why));
			buf_free(&why);
			auth_send(c, &c->reply);
			return;
		}
		buf_free(&why);
		auth_limit_userip_pending(c->service, c->acct.name, c->rip);
	}
	if (strcmp(c->service, "smtp") != 0)
		auth_token_new(c->service, c->rip, &c->acct, token,
		    sizeof(token));
	msg_info("login: user=<%s>, method=%s, rip=%s, service=%s",
	    c->acct.name, c->mech, c->rip, c->service);
	attr_clear(&c->reply);
	attr_set(&c->reply, "status", "ok");
	attr_set(&c->reply, "account", c->acct.name);
	attr_set(&c->reply, "token", token);
	explicit_bzero(token, sizeof(token));
	auth_send(c, &c->reply);
}

/* auth_check_done - a worker's verdict (crypt, dummy or PAM) */
static void
auth_check_done(void *ctx, enum auth_result r, const char *why)
{
	struct auth_conn *c = ctx;

	switch (r) {
	case AUTH_OK:
		auth_login_ok(c);
		break;
	case AUTH_FAIL:
		auth_login_fail(c, why);
		break;
	default:
		auth_login_tempfail(c, why);
		break;
	}
}

/*
 * Logins.
 */

/* auth_root_ok - may an account with uid 0 log in? */
static int
auth_root_ok(const struct account *acct)
{
	/*
	 * Never a system root login.  A virtual user's mailbox owned by
	 * root happens only in a sandbox that runs everything as root
	 * (mail_owner and virtual_mail_owner root): its owner is root.
	 */
	return acct->is_virtual && auth_root_sandbox;
}

/*
 * auth_lookup - the account of a login name: 1, 0 unknown, -1.  A virtual
 * account is found first (ana@mired.org, or ana meaning ana@$mydomain),
 * then a system user by the local part, but only when the login's domain
 * is one of ours: "ana@gmail.com" is nobody here.
 */
static int
auth_lookup(const char *login, struct account *acct, struct buf *why)
{
	const char *at = strrchr(login, '@');
	int r;

	if (*login == '\0' || *login == '@' || (at != NULL && at[1] == '\0'))
		return 0;
	if ((r = resolve_account(login, acct, why)) <= 0)
		return r;
	if (!acct->is_virtual && at != NULL &&
	    !resolve_is_local_domain(at + 1)) {
		account_free(acct);
		return 0;
	}
	return 1;
}

/* auth_field - a request field, checked: NULL if absent, empty or too long */
static const char *
auth_field(struct auth_conn *c, const char *name)
{
	const char *v = attr_get(c->req, name);

	if (v == NULL || *v == '\0' || strlen(v) >= AUTHC_FIELD_MAX)
		return NULL;
	return v;
}

/*
 * auth_login_dummy - a login that cannot succeed: hash the password all
 * the same (auth_passwd_dummy), so that its time tells nothing, then fail
 */
static void
auth_login_dummy(struct auth_conn *c, const char *pass, const char *why)
{
	struct buf *err = buf_new(128, 1024);

	if (auth_passwd_dummy(pass, why, auth_check_done, c, err) < 0) {
		msg_warn("dummy password check: %s", buf_str(err));
		auth_login_fail(c, why);
	}
	buf_free(&err);
}

/* auth_login_check - a login's turn: find the account, check the password */
static void
auth_login_check(void *ctx)
{
	struct auth_conn *c = ctx;
	struct buf *why = buf_new(256, 4096);
	struct account authz;
	const char *user, *pass, *authzid;
	int r;

	user = auth_field(c, "user");
	pass = auth_field(c, "password");
	authzid = attr_get(c->req, "authzid");
	if (user == NULL || pass == NULL) {
		auth_login_fail(c, "empty or over-long user name or password");
		goto out;
	}
	if (authzid != NULL && strlen(authzid) >= AUTHC_FIELD_MAX) {
		auth_login_fail(c, "over-long authorization identity");
		goto out;
	}
	if ((r = auth_lookup(user, &c->acct, why)) < 0) {
		auth_login_tempfail(c, buf_str(why));
		goto out;
	}
	if (r == 0) {
		auth_login_dummy(c, pass, "unknown user");
		goto out;
	}
	if (c->acct.is_virtual)
		auth_passwd_learn(c->acct.hash);
	/* No proxy logins: an authzid must name the same account. */
	if (authzid != NULL && *authzid != '\0') {
		r = auth_lookup(authzid, &authz, why);
		if (r < 0) {
			auth_login_tempfail(c, buf_str(why));
			goto out;
		}
		if (r == 0 || strcmp(authz.name, c->acct.name) != 0) {
			if (r > 0)
				account_free(&authz);
			auth_login_dummy(c, pass, "authorization identity "
			    "is another user");
			goto out;
		}
		account_free(&authz);
	}
	if (c->acct.uid == 0 && !auth_root_ok(&c->acct)) {
		auth_login_dummy(c, pass, "root login refused");
		goto out;
	}
	if (c->acct.is_virtual)
		r = auth_passwd_start(c->acct.hash, pass, auth_check_done, c,
		    why);
	else
		r = auth_pam_start(c->acct.name, pass, c->rip, auth_check_done,
		    c, why);
	if (r < 0)
		auth_login_tempfail(c, buf_str(why));
out:
	buf_free(&why);
}

/* auth_login - request=login: check the request, then wait for a slot */
static void
auth_login(struct auth_conn *c)
{
	struct sockaddr_storage ss;
	struct buf *tmp = buf_new(64, 0);
	const char *service, *mech, *user, *rip, *secured;
	char *p;

	service = auth_field(c, "service");
	mech = auth_field(c, "mech");
	user = auth_field(c, "user");
	rip = auth_field(c, "rip");
	secured = attr_get(c->req, "secured");
	c->rip = xstrdup(printable(rip ? rip : "unknown", tmp));
	c->user = xstrdup(printable(user ? user : "", tmp));
	snprintf(c->service, sizeof(c->service), "%s",
	    printable(service ? service : "?", tmp));
	snprintf(c->mech, sizeof(c->mech), "%s",
	    printable(mech ? mech : "?", tmp));
	for (p = c->mech; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (strlen(c->rip) > 60)
		c->rip[60] = '\0';

	if (service == NULL || (strcmp(service, "smtp") != 0 &&
	    strcmp(service, "pop3") != 0 && strcmp(service, "imap") != 0)) {
		msg_warn("login request with a bad service \"%s\"", c->service);
		auth_send_status(c, "tempfail", "bad request: unknown service");
		goto out;
	}
	if (mech == NULL || !authc_mech_enabled(mech)) {
		msg_info("login refused: user=<%s>, method=%s, rip=%s, "
		    "service=%s, reason=mechanism not in auth_mechanisms",
		    c->user, c->mech, c->rip, c->service);
		auth_send_status(c, "fail", AUTH_TEXT_MECH);
		goto out;
	}
	/* PLAIN and LOGIN both carry the password itself. */
	if (!authc_plaintext_allowed(rip ? auth_limit_addr(rip, &ss) : NULL,
	    secured != NULL && strcmp(secured, "1") == 0)) {
		msg_info("login refused: user=<%s>, method=%s, rip=%s, "
		    "service=%s, reason=plaintext password without TLS",
		    c->user, c->mech, c->rip, c->service);
		auth_send_status(c, "fail", AUTH_TEXT_PLAINTEXT);
		goto out;
	}
	/* A client over its logins in progress waits in line. */
	if (!auth_limit_exempt(c->rip)) {
		c->limited = 1;
		if (!auth_limit_enter(c->rip, auth_login_check, c))
			goto out;
	}
	auth_login_check(c);
out:
	buf_free(&tmp);
}

/*
 * Sessions.
 */

/* auth_session_status - the session child's exec status pipe */
static void
auth_session_status(int fd, int mask, void *ctx)
{
	struct auth_conn *c = ctx;

	if (fd_read_append(fd, c->status, 512) != 0)
		return;			/* more, or nothing yet */
	event_del(fd);
	close(fd);
	c->status_fd = -1;
	if (buf_len(c->status) == 0) {
		buf_reset(c->status);
		msg_info("%s: user=<%s>, service=%s, rip=%s, pid=%ld",
		    c->resume ? "resume" : "session", c->acct.name,
		    c->service, c->rip, (long)c->pid);
		attr_clear(&c->reply);
		attr_set(&c->reply, "status", "ok");
		attr_setf(&c->reply, "pid", "%ld", (long)c->pid);
		auth_send(c, &c->reply);
	} else {
		msg_warn("session: user=<%s>, service=%s, rip=%s: the mailbox "
		    "side did not start: %s", c->acct.name, c->service, c->rip,
		    buf_str(c->status));
		attr_clear(&c->reply);
		attr_set(&c->reply, "status", "fail");
		attr_set(&c->reply, "reason", buf_str(c->status));
		buf_reset(c->status);
		auth_send(c, &c->reply);
	}
}

/*
 * auth_session_go - start the session's process (auth_session_start) on
 * the client's descriptor and, for a resumed session, the saved state
 * and inotify ones; count it for the user and address (a resumed one
 * again, never refused), hand the descriptors over to it and watch its
 * status pipe.  A failure is logged and told to the client.
 */
static void
auth_session_go(struct auth_conn *c, struct buf *why)
{
	int sfd;

	if ((c->pid = auth_session_start(&c->acct, c->service, c->rip,
	    c->passed_fd, c->resume ? c->state_fd : -1,
	    c->resume ? c->inotify_fd : -1, &sfd, why)) < 0) {
		msg_warn("%s: user=<%s>, service=%s, rip=%s: %s",
		    c->resume ? "resume" : "session", c->acct.name, c->service,
		    c->rip, buf_str(why));
		auth_send_status(c, "fail", buf_str(why));
		return;
	}
	if (!auth_limit_exempt(c->rip))
		auth_limit_userip_started(c->service, c->acct.name, c->rip,
		    c->pid);
	/* The child has the client now. */
	close(c->passed_fd);
	c->passed_fd = -1;
	if (c->resume) {
		close(c->state_fd);
		c->state_fd = -1;
		if (c->inotify_fd >= 0) {
			close(c->inotify_fd);
			c->inotify_fd = -1;
		}
	}
	c->status_fd = sfd;
	(void)set_nonblock(sfd, 1);
	if (event_add(sfd, EVENT_READ, auth_session_status, c) < 0) {
		msg_warn("event_add: %m");
		close(sfd);
		c->status_fd = -1;
		auth_send_status(c, "fail", "internal error");
	}
}

/* auth_session - request=session: redeem the token, start the session */
static void
auth_session(struct auth_conn *c)
{
	struct buf *why = buf_new(256, 4096);
	const char *token = attr_get(c->req, "token");
	char *service = NULL, *rip = NULL;

	if (c->passed_fd < 0) {
		auth_send_status(c, "fail", "no client descriptor came with "
		    "the session request");
		goto out;
	}
	if (token == NULL || auth_token_redeem(token, c->passed_fd, &c->acct,
	    &service, &rip, why) < 0) {
		msg_warn("session refused: %s", token == NULL ? "no token" :
		    buf_str(why));
		auth_send_status(c, "fail", token == NULL ? "no token" :
		    buf_str(why));
		goto out;
	}
	snprintf(c->service, sizeof(c->service), "%s", service);
	c->rip = rip;
	rip = NULL;
	auth_session_go(c, why);
out:
	free(service);
	free(rip);
	buf_free(&why);
}

/*
 * auth_resume - request=resume: a session that imap-hibernate held wakes.
 * The client's descriptor and the saved state come with it; the
 * credential must be the one this service gave the session.
 */
static void
auth_resume(struct auth_conn *c)
{
	struct buf *why = buf_new(256, 4096), *tmp = buf_new(64, 0);
	const char *service, *account, *rip, *cred;
	int r;

	service = auth_field(c, "service");
	account = auth_field(c, "account");
	rip = auth_field(c, "rip");
	cred = auth_field(c, "credential");
	c->rip = xstrdup(printable(rip ? rip : "unknown", tmp));
	c->user = xstrdup(printable(account ? account : "", tmp));
	snprintf(c->service, sizeof(c->service), "%s",
	    printable(service ? service : "?", tmp));
	if (strlen(c->rip) > 60)
		c->rip[60] = '\0';
	if (c->passed_fd < 0 || c->state_fd < 0) {
		auth_send_status(c, "fail", "the client and state descriptors "
		    "must come with a resume request");
		goto out;
	}
	if (service == NULL || strcmp(service, "imap") != 0 ||
	    account == NULL || rip == NULL || cred == NULL) {
		msg_warn("resume refused: user=<%s>, rip=%s: incomplete "
		    "request", c->user, c->rip);
		auth_send_status(c, "fail", "incomplete resume request");
		goto out;
	}
	if (!auth_resume_check(service, account, rip, cred, c->passed_fd,
	    why)) {
		msg_warn("resume refused: user=<%s>, rip=%s: %s", c->user,
		    c->rip, buf_str(why));
		auth_send_status(c, "fail", buf_str(why));
		goto out;
	}
	if ((r = auth_lookup(account, &c->acct, why)) <= 0 ||
	    strcmp(c->acct.name, account) != 0 ||
	    (c->acct.uid == 0 && !auth_root_ok(&c->acct))) {
		msg_warn("resume refused: user=<%s>, rip=%s: %s", c->user,
		    c->rip, r < 0 ? buf_str(why) : "the account is gone");
		auth_send_status(c, r < 0 ? "tempfail" : "fail",
		    "the account is not available");
		goto out;
	}
	c->resume = 1;
	auth_session_go(c, why);
out:
	buf_free(&why);
	buf_free(&tmp);
}

/*
 * Requests.
 */

/* auth_request - a whole request has arrived: serve it, answer later */
static int
auth_request(void *ctx, const struct attr *req, struct attr *unused)
{
	struct auth_conn *c = ctx;
	struct buf *tmp;
	const char *what;

	c->req = req;
	c->passed_fd = ipcserv_take_fd(c->cl, 0);
	c->state_fd = ipcserv_take_fd(c->cl, 1);
	c->inotify_fd = ipcserv_take_fd(c->cl, 2);
	attr_clear(&c->reply);
	what = attr_get(req, "request");
	if (what == NULL) {
		msg_warn("malformed request on the auth socket");
		auth_send_status(c, "tempfail", "malformed request");
	} else if (strcmp(what, "login") == 0)
		auth_login(c);
	else if (strcmp(what, "session") == 0)
		auth_session(c);
	else if (strcmp(what, "resume") == 0)
		auth_resume(c);
	else {
		tmp = buf_new(64, 64);
		msg_warn("unknown request \"%s\" on the auth socket",
		    printable(what, tmp));
		buf_free(&tmp);
		auth_send_status(c, "tempfail", "unknown request");
	}
	return IPCSERV_LATER;
}

/*
 * Children and master.
 */

/* auth_onchld - SIGCHLD: wake the loop */
static void
auth_onchld(int sig)
{
	int saved = errno;

	(void)sig;
	(void)write(auth_sigpipe[1], "", 1);
	errno = saved;
}

/* auth_reap - collect exited children (PAM workers, mailbox sessions) */
static void
auth_reap(int fd, int mask, void *ctx)
{
	char drain[64];
	pid_t pid;
	int status;

	while (read(fd, drain, sizeof(drain)) > 0)
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		auth_limit_userip_ended(pid);
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL &&
		    WTERMSIG(status) != SIGTERM && WTERMSIG(status) != SIGPIPE)
			msg_warn("process %ld killed by signal %d", (long)pid,
			    WTERMSIG(status));
		else if (msg_verbose)
			msg_debug("process %ld exited, status 0x%x", (long)pid,
			    status);
	}
}

/* auth_setup - the loop's fixed parts */
static void
auth_setup(void)
{
	struct sigaction sa;
	struct buf *why = buf_new(128, 1024);
	uid_t uid;
	gid_t gid;

	if (privs_is_root()) {
		if (privs_lookup(var_mail_owner, &uid, &gid, why) == 0 &&
		    uid == 0) {
			auth_root_sandbox = 1;
			msg_warn("mail_owner is root: virtual mailboxes owned "
			    "by root are opened as root (no privilege "
			    "separation)");
		}
	} else
		msg_warn("not running as root: PAM checks of system users need "
		    "root, and mailbox sessions run as the invoking user");
	buf_free(&why);
	auth_limit_init();
	auth_cred_init();

	event_init();
	if (pipe2(auth_sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		msg_fatal("pipe: %m");
	if (event_add(auth_sigpipe[0], EVENT_READ, auth_reap, NULL) < 0)
		msg_fatal("event_add: %m");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = auth_onchld;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	if (sigaction(SIGCHLD, &sa, NULL) < 0)
		msg_fatal("sigaction: %m");
}

/*
 * Requests come one at a time per client, each answered later; a client
 * has ipc_timeout for its next one; after a reload the logins and
 * sessions in hand (and the password checks in workers) may finish.
 */
static struct ipcserv_ops auth_ops = {
	.name = "auth",
	.request_max = AUTH_REQUEST_MAX,
	.clients_max = AUTH_CONNS_MAX,
	.retire_ms = AUTH_RETIRE_GRACE,
	.fds_max = 3,		/* client, session state, IDLE's inotify */
	.malformed = "tempfail",
	.open = auth_conn_open,
	.request = auth_request,
	.close = auth_conn_close,
	.busy = auth_worker_busy,
};

/* auth_service - SERVER_LOOP: serve every client until master says stop */
static void
auth_service(int lfd, char *service, char **argv)
{
	auth_setup();
	auth_ops.idle_ms = (long)var_ipc_timeout * 1000;
	ipcserv_run(lfd, &auth_ops);
}

int
main(int argc, char **argv)
{
	resolve_use_passdb(1);		/* the one reader of password hashes */
	server_main(argc, argv, SERVER_LOOP, auth_service, SERVER_END);
}
