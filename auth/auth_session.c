/*
 * auth_session - one-time login tokens, and the start of a mailbox session
 * as its owner.
 *
 * A successful pop3 or imap login leaves a token: 128 random bits
 * (getrandom), bound to the service and the client's address, valid for
 * auth_token_lifetime, good for one session.  The login process then
 * passes the client's descriptor with the token; a token that is unknown,
 * stale or already used gets nothing.  When the descriptor is a TCP socket
 * its peer must be the address the login came from; a Unix socket is the
 * login process's TLS relay, which only the login process can hold.
 *
 * The session: fork; the child drops to the account's uid and gid (all
 * other groups dropped; never uid 0, except for a virtual mailbox in a
 * sandbox that runs everything as root), closes every other descriptor,
 * clears the environment, and runs the service's mailbox program
 * ($daemon_directory/pop3 or imap) with -M -c DIR and the client on fd 0
 * and 1.  Without root (a sandbox) the uid stays the invoking user's.  A
 * close-on-exec pipe tells the parent whether the exec happened: EOF if
 * it did, the reason if it did not.
 *
 * Resumption (imapd_hibernate_timeout): an imap session gets, in
 * $RESUME, a credential "ISSUED.NONCE.MAC": the time it was made, 128
 * random bits, and HMAC-SHA256 under a key only auth knows over the
 * service, the account, the client's address, that time and the nonce.
 * It is good for imapd_hibernate_credential_lifetime (hours, not days)
 * and ONCE: auth records the nonce of every credential it makes and a
 * resume takes it out, so a replayed credential gets nothing (issue 9).
 * The record is a table of AUTH_CRED_NONCES slots (3 MB), a nonce in one
 * of AUTH_CRED_PROBE slots from its hash; a new one takes a free or
 * expired slot there, else the one that expires first (that session,
 * when it sleeps, cannot wake: BYE, the client reconnects).  Each resumed process gets a fresh
 * one, made here in auth before the fork so that the table sees it.  When
 * the session sleeps in imap-hibernate (mail_owner, no access to any
 * mailbox) and the client stirs, imap-hibernate passes the client's
 * descriptor, the session's saved state and the credential back; a
 * credential that does not verify or is not outstanding gets nothing, so
 * imap-hibernate can wake only the sessions it was handed, once each.
 * The table lives in auth's memory only: when auth restarts, sessions
 * asleep then are refused on waking (imap-hibernate says BYE and the
 * client reconnects), the safe side.  The key still lives in
 * $data_directory/auth-resume.key (root, 0600).
 */
#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "addr.h"
#include "authc.h"
#include "buf.h"
#include "conf.h"
#include "hex.h"
#include "maildirsize.h"
#include "msg.h"
#include "params.h"
#include "quota.h"
#include "resolve.h"
#include "util.h"

/* An outstanding token. */
struct auth_token {
	char			 text[AUTH_TOKEN_BYTES * 2 + 1];
	char			*service;
	char			*rip;
	struct account		 acct;
	long long		 expires;	/* ms, now_ms() clock */
	struct auth_token	*next;
};

static struct auth_token *auth_tokens;	/* newest first */
static int auth_ntokens;

static unsigned char auth_cred_key[AUTH_CRED_KEY_BYTES];
static int auth_cred_ready;

/* The outstanding credentials' nonces (see above). */
struct auth_nonce {
	unsigned char	 n[AUTH_CRED_NONCE_BYTES];
	long long	 expires;	/* time(); 0: free or used */
};

static struct auth_nonce *auth_nonces;

/* auth_token_free - forget one token */
static void
auth_token_free(struct auth_token *t)
{
	explicit_bzero(t->text, sizeof(t->text));
	free(t->service);
	free(t->rip);
	account_free(&t->acct);
	free(t);
}

/* auth_token_sweep - drop expired tokens, and the oldest beyond the cap */
static void
auth_token_sweep(void)
{
	struct auth_token **tp, *t;
	long long now = now_ms();
	int n = 0;

	for (tp = &auth_tokens; (t = *tp) != NULL; ) {
		if (t->expires <= now || n >= AUTH_TOKENS_MAX - 1) {
			*tp = t->next;
			auth_token_free(t);
			auth_ntokens--;
			continue;
		}
		n++;
		tp = &t->next;
	}
}

/* auth_copy_account - a deep copy */
static void
auth_copy_account(struct account *to, const struct account *from)
{
	memset(to, 0, sizeof(*to));
	to->name = xstrdup(from->name ? from->name : "");
	to->uid = from->uid;
	to->gid = from->gid;
	to->home = xstrdup(from->home ? from->home : "");
	to->maildir = xstrdup(from->maildir ? from->maildir : "");
	to->hash = NULL;	/* a session needs no hash */
	to->is_virtual = from->is_virtual;
	to->quota_bytes = from->quota_bytes;
	to->quota_count = from->quota_count;
}

/* auth_token_new - a fresh token for a login */
void
auth_token_new(const char *service, const char *rip,
    const struct account *acct, char *out, size_t len)
{
	unsigned char raw[AUTH_TOKEN_BYTES];
	struct auth_token *t;
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(raw)) {
		n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			msg_fatal("getrandom: %m");
		}
		got += (size_t)n;
	}
	auth_token_sweep();
	t = xcalloc(1, sizeof(*t));
	hex_encode(t->text, raw, AUTH_TOKEN_BYTES);
	explicit_bzero(raw, sizeof(raw));
	t->service = xstrdup(service);
	t->rip = xstrdup(rip);
	auth_copy_account(&t->acct, acct);
	t->expires = now_ms() + var_auth_token_lifetime * 1000;
	t->next = auth_tokens;
	auth_tokens = t;
	auth_ntokens++;
	if (len > 0) {
		snprintf(out, len, "%s", t->text);
	}
}

/* auth_token_match - compare a token in constant time */
static int
auth_token_match(const char *a, const char *b)
{
	unsigned char d = 0;
	size_t i;

	if (strlen(b) != AUTH_TOKEN_BYTES * 2)
		return 0;
	for (i = 0; i < AUTH_TOKEN_BYTES * 2; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return d == 0;
}

/* auth_peer_ok - is fd's peer (if it is TCP) the address of the login? */
static int
auth_peer_ok(int fd, const char *rip, struct buf *why)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char text[64];

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) {
		/* A socketpair end has no name to tell; a dead one fails. */
		if (errno == ENOTCONN) {
			buf_setf(why, "the client has gone");
			return 0;
		}
		if (errno == ENOTSOCK) {
			buf_setf(why, "the descriptor passed is not a socket");
			return 0;
		}
		buf_setf(why, "getpeername: %s", strerror(errno));
		return 0;
	}
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		return 1;	/* the login process's TLS relay */
	addr_ntop((struct sockaddr *)&ss, text, sizeof(text));
	if (strcmp(text, rip) != 0) {
		buf_setf(why, "the client address %s is not the one of the "
		    "login (%s)", text, rip);
		return 0;
	}
	return 1;
}

/* auth_token_redeem - use a token: 0 (account, service, rip are ours), -1 */
int
auth_token_redeem(const char *token, int fd, struct account *acct,
    char **service, char **rip, struct buf *why)
{
	struct auth_token **tp, *t;
	int r = -1;

	for (tp = &auth_tokens; (t = *tp) != NULL; tp = &t->next)
		if (auth_token_match(t->text, token))
			break;
	if (t == NULL) {
		buf_setf(why, "unknown or used login token");
		return -1;
	}
	/* One use, whatever happens next. */
	*tp = t->next;
	auth_ntokens--;
	if (t->expires <= now_ms())
		buf_setf(why, "login token expired");
	else if (auth_peer_ok(fd, t->rip, why)) {
		*acct = t->acct;
		memset(&t->acct, 0, sizeof(t->acct));
		*service = t->service;
		*rip = t->rip;
		t->service = t->rip = NULL;
		r = 0;
	}
	auth_token_free(t);
	auth_token_sweep();
	return r;
}

/* auth_random - fill a buffer from getrandom(2) */
static void
auth_random(unsigned char *p, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = getrandom(p + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			msg_fatal("getrandom: %m");
		}
		got += (size_t)n;
	}
}

/*
 * auth_cred_init - the resume key: read it from the data directory, or
 * make one there; a key in memory only when that cannot be done.
 */
void
auth_cred_init(void)
{
	struct buf *path = buf_new(256, 4096);
	struct stat st;
	ssize_t n;
	int fd;

	auth_random(auth_cred_key, sizeof(auth_cred_key));
	auth_cred_ready = 1;
	buf_setf(path, "%s/auth-resume.key", var_data_directory);
	if (buf_overflowed(path))
		goto out;
	fd = open(buf_str(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid() && (st.st_mode & 077) == 0 &&
		    st.st_size == (off_t)sizeof(auth_cred_key)) {
			n = read(fd, auth_cred_key, sizeof(auth_cred_key));
			if (n == (ssize_t)sizeof(auth_cred_key)) {
				close(fd);
				goto out;
			}
		}
		close(fd);
		msg_warn("%s: not a key of this service: making a new one",
		    buf_str(path));
		(void)unlink(buf_str(path));
		auth_random(auth_cred_key, sizeof(auth_cred_key));
	}
	fd = open(buf_str(path), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0 || write_full(fd, auth_cred_key,
	    sizeof(auth_cred_key)) < 0 || fsync(fd) < 0) {
		msg_warn("cannot keep the resume key in %s (%m): hibernated "
		    "IMAP sessions end when auth restarts", buf_str(path));
		if (fd >= 0) {
			close(fd);
			(void)unlink(buf_str(path));
		}
		goto out;
	}
	close(fd);
out:
	buf_free(&path);
}

/*
 * auth_cred_mac - "ISSUED.NONCE.MAC" for (service, account, rip, issued,
 * nonce in hex); an empty string when it cannot be made
 */
static void
auth_cred_mac(const char *service, const char *account, const char *rip,
    long long issued, const char *nonce, char *out, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct buf *msg;
	int n;

	if (!auth_cred_ready)
		auth_cred_init();
	msg = buf_new(256, 0);
	buf_appendf(msg, "%s\n%s\n%s\n%lld\n%s", service, account, rip, issued,
	    nonce);
	if (HMAC(EVP_sha256(), auth_cred_key, (int)sizeof(auth_cred_key),
	    (const unsigned char *)buf_str(msg), buf_len(msg), mac,
	    &maclen) == NULL)
		maclen = 0;
	buf_free(&msg);
	n = snprintf(out, len, "%lld.%s.", issued, nonce);
	if (n < 0 || (size_t)n + 2 * (size_t)maclen + 1 > len || maclen == 0) {
		if (len > 0)
			out[0] = '\0';
		return;
	}
	hex_encode(out + n, mac, maclen);
	explicit_bzero(mac, sizeof(mac));
}

/* auth_nonce_slot - where a nonce's slots start (it is random already) */
static size_t
auth_nonce_slot(const unsigned char *n)
{
	return ((size_t)n[0] | (size_t)n[1] << 8 | (size_t)n[2] << 16) &
	    (AUTH_CRED_NONCES - 1);
}

/*
 * auth_cred_make - a fresh resume credential of (service, account, rip),
 * recorded as outstanding.  Call it in auth itself, not in a child.
 */
void
auth_cred_make(const char *service, const char *account, const char *rip,
    char *out, size_t len)
{
	struct auth_nonce *e, *best;
	unsigned char n[AUTH_CRED_NONCE_BYTES];
	char nonce[2 * AUTH_CRED_NONCE_BYTES + 1];
	long long now = (long long)time(NULL);
	size_t h;
	int i;

	if (auth_nonces == NULL)
		auth_nonces = xcalloc(AUTH_CRED_NONCES, sizeof(*auth_nonces));
	auth_random(n, sizeof(n));
	best = NULL;
	for (h = auth_nonce_slot(n), i = 0; i < AUTH_CRED_PROBE; i++) {
		e = &auth_nonces[(h + (size_t)i) & (AUTH_CRED_NONCES - 1)];
		if (e->expires <= now) {
			best = e;
			break;
		}
		if (best == NULL || e->expires < best->expires)
			best = e;
	}
	if (best->expires > now)
		msg_warn("%d resume credentials outstanding near one slot: "
		    "the oldest is forgotten", AUTH_CRED_PROBE);
	e = best;
	memcpy(e->n, n, sizeof(n));
	e->expires = now + var_imapd_hibernate_credential_lifetime;
	hex_encode(nonce, e->n, sizeof(e->n));
	auth_cred_mac(service, account, rip, now, nonce, out, len);
}

/*
 * auth_cred_use - take an outstanding nonce (hex) out of the table; 1 if
 * it was there and unexpired, else 0.
 */
static int
auth_cred_use(const char *hex)
{
	struct auth_nonce *e;
	unsigned char n[AUTH_CRED_NONCE_BYTES];
	long long now = (long long)time(NULL);
	unsigned int v;
	size_t h;
	int i;

	if (hex_decode(n, hex, sizeof(n)) < 0)
		return 0;
	if (auth_nonces == NULL)
		return 0;
	for (h = auth_nonce_slot(n), i = 0; i < AUTH_CRED_PROBE; i++) {
		e = &auth_nonces[(h + (size_t)i) & (AUTH_CRED_NONCES - 1)];
		if (e->expires == 0 || memcmp(e->n, n, sizeof(n)) != 0)
			continue;
		v = e->expires > now;
		explicit_bzero(e, sizeof(*e));
		return (int)v;
	}
	return 0;
}

/*
 * auth_resume_check - may a hibernated session of account wake on fd?
 * The credential must verify, be outstanding (it is used up now), not be
 * older than imapd_hibernate_credential_lifetime, and fd's peer (TCP) be
 * the client's address.  1 yes, 0 no (why).
 */
int
auth_resume_check(const char *service, const char *account,
    const char *rip, const char *cred, int fd, struct buf *why)
{
	char want[AUTH_CRED_MAX], nonce[2 * AUTH_CRED_NONCE_BYTES + 1], *end;
	unsigned char d = 0;
	long long issued, now = (long long)time(NULL);
	size_t i, len;

	errno = 0;
	issued = strtoll(cred, &end, 10);
	if (errno != 0 || end == cred || *end != '.' || issued <= 0 ||
	    strspn(end + 1, "0123456789abcdef") != sizeof(nonce) - 1 ||
	    end[sizeof(nonce)] != '.') {
		buf_setf(why, "bad resume credential");
		return 0;
	}
	if (issued > now + 60 ||
	    now - issued > var_imapd_hibernate_credential_lifetime) {
		buf_setf(why, "stale resume credential");
		return 0;
	}
	memcpy(nonce, end + 1, sizeof(nonce) - 1);
	nonce[sizeof(nonce) - 1] = '\0';
	auth_cred_mac(service, account, rip, issued, nonce, want,
	    sizeof(want));
	len = strlen(want);
	if (len == 0 || strlen(cred) != len) {
		buf_setf(why, "bad resume credential");
		return 0;
	}
	for (i = 0; i < len; i++)
		d |= (unsigned char)want[i] ^ (unsigned char)cred[i];
	explicit_bzero(want, sizeof(want));
	if (d != 0) {
		buf_setf(why, "bad resume credential");
		return 0;
	}
	if (!auth_cred_use(nonce)) {
		buf_setf(why, "resume credential already used or unknown "
		    "(auth restarted?)");
		return 0;
	}
	return auth_peer_ok(fd, rip, why);
}

/* auth_session_fail - the child could not start: say why, and go */
static void __attribute__((noreturn))
auth_session_fail(int fd, const char *what, const char *arg, int err)
{
	char text[512];
	int len;

	if (err != 0)
		len = snprintf(text, sizeof(text), "%s %s: %s", what, arg,
		    strerror(err));
	else
		len = snprintf(text, sizeof(text), "%s %s", what, arg);
	if (len > 0)
		(void)write_full(fd, text, (size_t)len < sizeof(text) ?
		    (size_t)len : sizeof(text) - 1);
	_exit(127);
}

/* auth_session_child - become the account and run the mailbox side */
static void __attribute__((noreturn))
auth_session_child(const struct account *acct, const char *service,
    const char *prog, const char *path, const char *rip, int client,
    int state, int ino, int status, char *cred, const char *quota)
{
	const char *confdir = conf_dir();
	char *av[6];
	sigset_t none;
	int fd, exe;

	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* The status pipe to fd 3, the client to 0 and 1, /dev/null to 2. */
	if ((fd = fcntl(status, F_DUPFD_CLOEXEC, 10)) < 0)
		_exit(127);
	status = fd;
	/* A resumed session's saved state to fd 4, its inotify to 5. */
	if (state >= 0) {
		if ((fd = fcntl(state, F_DUPFD_CLOEXEC, 10)) < 0)
			auth_session_fail(status, "dup", "state", errno);
		state = fd;
	}
	if (state >= 0 && ino >= 0) {
		if ((fd = fcntl(ino, F_DUPFD_CLOEXEC, 10)) < 0)
			auth_session_fail(status, "dup", "inotify", errno);
		ino = fd;
	} else
		ino = -1;
	if (dup2(client, 0) < 0 || dup2(client, 1) < 0)
		auth_session_fail(status, "dup2", "client", errno);
	if ((fd = open("/dev/null", O_WRONLY)) < 0)
		auth_session_fail(status, "open", "/dev/null", errno);
	if (fd != 2) {
		if (dup2(fd, 2) < 0)
			auth_session_fail(status, "dup2", "/dev/null", errno);
		close(fd);
	}
	if (dup2(status, 3) < 0)
		auth_session_fail(status, "dup2", "status pipe", errno);
	status = 3;
	(void)set_cloexec(status, 1);
	if (state >= 0) {
		if (dup2(state, 4) < 0)
			auth_session_fail(status, "dup2", "state", errno);
		state = 4;
	}
	if (ino >= 0) {
		if (dup2(ino, 5) < 0)
			auth_session_fail(status, "dup2", "inotify", errno);
		ino = 5;
	}
	fd = ino >= 0 ? 6 : state >= 0 ? 5 : 4;
	if (close_range((unsigned)fd, ~0U, 0) < 0) {
		for (; fd < 65536; fd++)
			(void)close(fd);
	}
	(void)set_nonblock(0, 0);

	/*
	 * Open the program while we may still reach it: the folder it is
	 * installed in (a developer's checkout, a CI clone) need not be
	 * searchable by the account, and fexecve() checks only the file.
	 */
	if ((exe = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		auth_session_fail(status, "open", path, errno);

	/* The account's uid and gid, no other group, never root. */
	if (geteuid() == 0) {
		if (acct->uid == 0 && !(acct->is_virtual && auth_root_sandbox))
			auth_session_fail(status, "refusing to run a mailbox "
			    "session as root:", acct->name, 0);
		if (setgroups(1, &acct->gid) < 0)
			auth_session_fail(status, "setgroups", acct->name,
			    errno);
		if (setgid(acct->gid) < 0)
			auth_session_fail(status, "setgid", acct->name, errno);
		if (setuid(acct->uid) < 0)
			auth_session_fail(status, "setuid", acct->name, errno);
		if (getuid() != acct->uid || geteuid() != acct->uid ||
		    (acct->uid != 0 && setuid(0) == 0))
			auth_session_fail(status, "the uid change did not "
			    "hold for", acct->name, 0);
	}
	umask(077);
	if (acct->home == NULL || *acct->home == '\0' ||
	    chdir(acct->home) < 0)
		(void)chdir("/");

	clearenv();
	if (setenv("USER", acct->name, 1) < 0 ||
	    setenv("HOME", acct->home ? acct->home : "/", 1) < 0 ||
	    setenv("MAILDIR", acct->maildir ? acct->maildir : "", 1) < 0 ||
	    setenv("CARTERO_CONFIG_DIR", confdir, 1) < 0 ||
	    setenv(QUOTA_ENV, quota, 1) < 0 ||
	    setenv("IP", rip, 1) < 0)
		auth_session_fail(status, "setenv", "USER", errno);
	if (strcmp(service, "imap") == 0) {
		if ((*cred != '\0' && setenv("RESUME", cred, 1) < 0) ||
		    (state >= 0 && setenv("RESUME_FD", "4", 1) < 0) ||
		    (ino >= 0 && setenv("RESUME_INOTIFY", "5", 1) < 0))
			auth_session_fail(status, "setenv", "RESUME", errno);
		explicit_bzero(cred, strlen(cred));
	}

	av[0] = (char *)prog;
	av[1] = "-M";
	av[2] = "-c";
	av[3] = (char *)confdir;
	av[4] = NULL;
	fexecve(exe, av, environ);
	/* A script cannot run from a close-on-exec fd: try it by name. */
	execv(path, av);
	auth_session_fail(status, "exec", path, errno);
}

/*
 * The services with a mailbox side, each run by the program of its name
 * in daemon_directory.  pop3 is not the login program pop3d: a separate
 * program without OpenSSL keeps each session small.
 */
static const char *const auth_session_progs[] = { "pop3", "imap", NULL };

/* auth_session_start - fork the mailbox side of a session */
pid_t
auth_session_start(const struct account *acct, const char *service,
    const char *rip, int client, int state, int ino, int *statusfd,
    struct buf *why)
{
	struct buf *path, *quota;
	const char *prog;
	char cred[AUTH_CRED_MAX];
	long long qb, qc;
	int p[2], i;
	pid_t pid = -1;

	*statusfd = -1;
	cred[0] = '\0';
	path = buf_new(256, 4096);
	quota = buf_new(64, 4096);
	for (i = 0; auth_session_progs[i] != NULL; i++)
		if (strcmp(service, auth_session_progs[i]) == 0)
			break;
	if ((prog = auth_session_progs[i]) == NULL) {
		buf_setf(why, "no mailbox program for service %s", service);
		goto out;
	}
	buf_setf(path, "%s/%s", var_daemon_directory, prog);
	if (buf_overflowed(path)) {
		buf_setf(why, "daemon_directory too long");
		goto out;
	}
	if (access(buf_str(path), X_OK) < 0) {
		buf_setf(why, "%s: %s", buf_str(path), strerror(errno));
		goto out;
	}
	if (geteuid() == 0 && acct->uid == 0 &&
	    !(acct->is_virtual && auth_root_sandbox)) {
		buf_setf(why, "refusing to run a mailbox session as root (%s)",
		    acct->name);
		goto out;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		buf_setf(why, "pipe: %s", strerror(errno));
		goto out;
	}
	/* The account's quota, for the session (QUOTA_ENV); here, where the
	 * table stays open between logins. */
	if (resolve_quota(acct, &qb, &qc, quota) < 0) {
		msg_warn("%s: %s; the session gets the default quota",
		    acct->name, buf_str(quota));
		qb = var_mailbox_size_limit;
		qc = var_mailbox_message_limit;
	}
	buf_reset(quota);
	maildirsize_limits(quota, qb, qc);
	/* Made here: the child's copy of the nonce table would be lost. */
	if (strcmp(service, "imap") == 0 && var_imapd_hibernate_timeout > 0)
		auth_cred_make(service, acct->name, rip, cred, sizeof(cred));
	switch (pid = fork()) {
	case -1:
		buf_setf(why, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		goto out;
	case 0:
		close(p[0]);
		auth_session_child(acct, service, prog,
		    buf_str(path), rip, client, state, ino, p[1], cred,
		    buf_str(quota));
	}
	close(p[1]);
	*statusfd = p[0];
out:
	explicit_bzero(cred, sizeof(cred));
	buf_free(&path);
	buf_free(&quota);
	return pid;
}
