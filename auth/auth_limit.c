/*
 * auth_limit - the per-client limits of the auth service: failed logins
 * slowed more and more, logins in progress capped per client address, and
 * mailbox sessions counted per user and address.  Clients in
 * client_limit_exceptions ($mynetworks) are exempt from all three, except
 * that their failures still wait the flat auth_failure_delay (as every
 * failure did before the limits: a typo from webmail on this host is not
 * answered at once, and tests on 127.0.0.1 run as fast as ever).  Their
 * failures still count toward the account's: they only ever slow
 * failures, never a right password.
 *
 * Failures are counted per client address (IPv6: its /64, the block one
 * host usually holds) and per account (or login name, when unknown, so
 * that the count does not tell which names exist), the moment a check
 * fails: guesses sent in parallel see each other's failures.  A failure
 * waits auth_failure_delay, doubled for each earlier failure of the
 * address or the account (the larger count), up to auth_failure_delay_max;
 * a right password is never delayed.  A count is forgotten after
 * AUTH_LIMIT_FORGET without failures.  The table is bounded: past
 * AUTH_LIMIT_FAILS_MAX keys, the one quiet the longest is dropped.
 *
 * At most auth_client_login_limit logins of one address are in progress
 * (being checked, or waiting out their failure delay); more wait in line,
 * in order.  Waiting rather than a temporary failure: a refusal would come
 * at once and invite the next guess at once, while a wait holds the
 * guesser to auth_client_login_limit guesses per failure delay; a client
 * sees a slow answer, never an error, and its line empties as soon as
 * the guessing stops.  The connections that wait are bounded by the
 * login services' per-client connection limits.
 *
 * Sessions: auth starts every POP3 and IMAP mailbox process and reaps it,
 * so it counts them per (service, account, client address) and refuses a
 * login past mail_max_userip_connections (Dovecot's limit).  A granted
 * login counts from the moment it is granted (its token), so parallel
 * logins cannot all slip under the limit.  A session that imap-hibernate
 * holds has no process and is not counted: auth is not told when a held
 * session ends, so counting it would leak the slot; its resume goes
 * through auth (auth_resume) and counts again from then, and is never
 * refused (that would cut a session the user already has).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "buf.h"
#include "event.h"
#include "params.h"
#include "util.h"

#define AUTH_LIMIT_FAILS_MAX	4096		/* keys counted */
#define AUTH_LIMIT_FORGET	3600000LL	/* ms without failures */
#define AUTH_LIMIT_KEY_MAX	256		/* "a:addr" or "u:name" */

/* Failures of an address or an account. */
struct auth_limit_fail {
	char		 key[AUTH_LIMIT_KEY_MAX];
	long long	 count;
	long long	 last;		/* ms */
};

/* Logins of one address in progress. */
struct auth_limit_busy {
	char		 key[AUTH_LIMIT_KEY_MAX];
	int		 active;
	struct auth_limit_busy *next;
};

/* A login waiting for its address's turn. */
struct auth_limit_wait {
	char		 key[AUTH_LIMIT_KEY_MAX];
	void		(*go)(void *);
	void		*ctx;
	struct auth_limit_wait *next;
};

/* A mailbox session, or a granted login about to start one (pid 0). */
struct auth_limit_session {
	char		 service[8];
	char		*account;
	char		 rip[64];
	pid_t		 pid;
	long long	 expires;	/* ms, while pid is 0 */
};

static struct auth_limit_fail *auth_limit_fails;
static int auth_limit_nfails;
static struct auth_limit_busy *auth_limit_busy;
static struct auth_limit_wait *auth_limit_waiting;
static struct auth_limit_session *auth_limit_sessions;
static int auth_limit_nsessions, auth_limit_ssize;

/* auth_limit_init - once at start */
void
auth_limit_init(void)
{
	auth_limit_fails = xcalloc(AUTH_LIMIT_FAILS_MAX,
	    sizeof(*auth_limit_fails));
}

/* auth_limit_exempt - is the client address in client_limit_exceptions? */
int
auth_limit_exempt(const char *rip)
{
	struct sockaddr_storage ss;
	const struct sockaddr *sa = auth_limit_addr(rip, &ss);

	return sa != NULL && var_client_limit_exceptions != NULL &&
	    addr_match_networks(sa, var_client_limit_exceptions);
}

/* auth_limit_addr - a client address text as a sockaddr (NULL: unknown) */
const struct sockaddr *
auth_limit_addr(const char *rip, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, rip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return (struct sockaddr *)ss;
	}
	if (inet_pton(AF_INET6, rip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return (struct sockaddr *)ss;
	}
	if (strcmp(rip, "local") == 0) {	/* addr_ntop of AF_UNIX */
		ss->ss_family = AF_UNIX;
		return (struct sockaddr *)ss;
	}
	return NULL;
}

/*
 * auth_limit_addr_key - "a:" and the address counted: an IPv6 address
 * by its /64 (an IPv4-mapped one as IPv4), anything else as given.
 */
static void
auth_limit_addr_key(const char *rip, char *key, size_t size)
{
	struct in6_addr a6;
	char text[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET6, rip, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			snprintf(key, size, "a:%s", inet_ntop(AF_INET,
			    &a6.s6_addr[12], text, sizeof(text)));
			return;
		}
		memset(&a6.s6_addr[8], 0, 8);
		snprintf(key, size, "a:%s/64", inet_ntop(AF_INET6, &a6, text,
		    sizeof(text)));
		return;
	}
	snprintf(key, size, "a:%s", rip);
}

/* auth_limit_count - one more failure of key, forgetting an old count */
static long long
auth_limit_count(const char *key, long long now)
{
	int i, oldest = 0;

	for (i = 0; i < auth_limit_nfails; i++) {
		if (strcmp(auth_limit_fails[i].key, key) == 0)
			break;
		if (auth_limit_fails[i].last < auth_limit_fails[oldest].last)
			oldest = i;
	}
	if (i == auth_limit_nfails) {
		if (auth_limit_nfails < AUTH_LIMIT_FAILS_MAX)
			auth_limit_nfails++;
		else
			i = oldest;
		snprintf(auth_limit_fails[i].key,
		    sizeof(auth_limit_fails[i].key), "%s", key);
		auth_limit_fails[i].count = 0;
	} else if (now - auth_limit_fails[i].last > AUTH_LIMIT_FORGET)
		auth_limit_fails[i].count = 0;
	auth_limit_fails[i].last = now;
	return ++auth_limit_fails[i].count;
}

/*
 * auth_limit_fail - a login of account (or login name) from rip failed:
 * count it for both; the delay in ms, the larger count in *count.
 */
long
auth_limit_fail(const char *rip, const char *account, long long *count)
{
	char key[AUTH_LIMIT_KEY_MAX], *p;
	long long n, m, delay, max;

	auth_limit_addr_key(rip, key, sizeof(key));
	n = auth_limit_count(key, now_ms());
	snprintf(key, sizeof(key), "u:%s", account);
	for (p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	m = auth_limit_count(key, now_ms());
	*count = n > m ? n : m;
	delay = var_auth_failure_delay * 1000;
	if (delay == 0 || auth_limit_exempt(rip))
		return (long)delay;
	max = var_auth_failure_delay_max * 1000;
	if (max < delay)
		max = delay;
	for (n = 1; n < *count && delay < max; n++)
		delay *= 2;
	return (long)(delay < max ? delay : max);
}

/* auth_limit_busy_find - the in-progress entry of an address key */
static struct auth_limit_busy *
auth_limit_busy_find(const char *key, int make)
{
	struct auth_limit_busy *b;

	for (b = auth_limit_busy; b != NULL; b = b->next)
		if (strcmp(b->key, key) == 0)
			return b;
	if (!make)
		return NULL;
	b = xcalloc(1, sizeof(*b));
	snprintf(b->key, sizeof(b->key), "%s", key);
	b->next = auth_limit_busy;
	auth_limit_busy = b;
	return b;
}

/* auth_limit_wake - start the waiting logins whose address has room */
static void
auth_limit_wake(void *unused)
{
	struct auth_limit_wait **wp = &auth_limit_waiting, *w;
	struct auth_limit_busy *b;

	while ((w = *wp) != NULL) {
		b = auth_limit_busy_find(w->key, 1);
		if (b->active >= var_auth_client_login_limit) {
			wp = &w->next;
			continue;
		}
		*wp = w->next;
		b->active++;
		w->go(w->ctx);
		free(w);
		/* go() may have changed the line: start over. */
		wp = &auth_limit_waiting;
	}
}

/* auth_limit_enter - may a login from rip start now (1), or wait (0)? */
int
auth_limit_enter(const char *rip, void (*go)(void *), void *ctx)
{
	char key[AUTH_LIMIT_KEY_MAX];
	struct auth_limit_busy *b;
	struct auth_limit_wait *w, **wp;

	auth_limit_addr_key(rip, key, sizeof(key));
	b = auth_limit_busy_find(key, 1);
	if (b->active < var_auth_client_login_limit) {
		b->active++;
		return 1;
	}
	w = xcalloc(1, sizeof(*w));
	snprintf(w->key, sizeof(w->key), "%s", key);
	w->go = go;
	w->ctx = ctx;
	for (wp = &auth_limit_waiting; *wp != NULL; wp = &(*wp)->next)
		;
	*wp = w;
	return 0;
}

/* auth_limit_leave - a login from rip is answered: let the next one in */
void
auth_limit_leave(const char *rip)
{
	char key[AUTH_LIMIT_KEY_MAX];
	struct auth_limit_busy *b, **bp;

	auth_limit_addr_key(rip, key, sizeof(key));
	for (bp = &auth_limit_busy; (b = *bp) != NULL; bp = &b->next)
		if (strcmp(b->key, key) == 0)
			break;
	if (b == NULL)
		return;
	if (--b->active <= 0) {
		*bp = b->next;
		free(b);
	}
	if (auth_limit_waiting != NULL)
		event_timer(0, auth_limit_wake, NULL);
}

/* auth_limit_cancel - a waiting login's client is gone: was it waiting? */
int
auth_limit_cancel(void *ctx)
{
	struct auth_limit_wait **wp, *w;

	for (wp = &auth_limit_waiting; (w = *wp) != NULL; wp = &w->next)
		if (w->ctx == ctx) {
			*wp = w->next;
			free(w);
			return 1;
		}
	return 0;
}

/* auth_limit_session_match - is session i the one of this key? */
static int
auth_limit_session_match(int i, const char *service, const char *account,
    const char *rip)
{
	struct auth_limit_session *s = &auth_limit_sessions[i];

	return strcmp(s->service, service) == 0 && strcmp(s->rip, rip) == 0 &&
	    strcmp(s->account, account) == 0;
}

/* auth_limit_session_drop - forget session i */
static void
auth_limit_session_drop(int i)
{
	free(auth_limit_sessions[i].account);
	auth_limit_sessions[i] = auth_limit_sessions[--auth_limit_nsessions];
}

/* auth_limit_session_add - remember a session (pid), or a grant (pid 0) */
static void
auth_limit_session_add(const char *service, const char *account,
    const char *rip, pid_t pid)
{
	struct auth_limit_session *s;

	if (auth_limit_nsessions == auth_limit_ssize) {
		auth_limit_ssize = auth_limit_ssize ? 2 * auth_limit_ssize : 64;
		auth_limit_sessions = xrealloc(auth_limit_sessions,
		    (size_t)auth_limit_ssize * sizeof(*auth_limit_sessions));
	}
	s = &auth_limit_sessions[auth_limit_nsessions++];
	snprintf(s->service, sizeof(s->service), "%s", service);
	s->account = xstrdup(account);
	snprintf(s->rip, sizeof(s->rip), "%s", rip);
	s->pid = pid;
	s->expires = now_ms() + var_auth_token_lifetime * 1000;
}

/* auth_limit_userip_full - is (service, account, rip) at its limit? */
int
auth_limit_userip_full(const char *service, const char *account,
    const char *rip, struct buf *why)
{
	long long now = now_ms();
	int i, n = 0;

	if (var_mail_max_userip_connections <= 0)
		return 0;
	for (i = 0; i < auth_limit_nsessions; i++) {
		if (auth_limit_sessions[i].pid == 0 &&
		    auth_limit_sessions[i].expires < now) {
			auth_limit_session_drop(i--);
			continue;
		}
		if (auth_limit_session_match(i, service, account, rip))
			n++;
	}
	if (n < var_mail_max_userip_connections)
		return 0;
	buf_setf(why, "Maximum number of connections from user+IP exceeded "
	    "(mail_max_userip_connections=%lld)",
	    var_mail_max_userip_connections);
	return 1;
}

/* auth_limit_userip_pending - a login was granted: count it already */
void
auth_limit_userip_pending(const char *service, const char *account,
    const char *rip)
{
	auth_limit_session_add(service, account, rip, 0);
}

/* auth_limit_userip_started - a session process runs: count it */
void
auth_limit_userip_started(const char *service, const char *account,
    const char *rip, pid_t pid)
{
	int i;

	for (i = 0; i < auth_limit_nsessions; i++)
		if (auth_limit_sessions[i].pid == 0 &&
		    auth_limit_session_match(i, service, account, rip)) {
			auth_limit_sessions[i].pid = pid;
			return;
		}
	auth_limit_session_add(service, account, rip, pid);
}

/* auth_limit_userip_ended - a session process is gone */
void
auth_limit_userip_ended(pid_t pid)
{
	int i;

	for (i = 0; i < auth_limit_nsessions; i++)
		if (auth_limit_sessions[i].pid == pid) {
			auth_limit_session_drop(i);
			return;
		}
}
