/*
 * auth_pam - check a system user's password with PAM (service "cartero",
 * /etc/pam.d/cartero: common-auth and common-account on Debian).
 *
 * PAM calls block: a module may sleep on failure (pam_unix, pam_faildelay),
 * ask a network directory, or run a helper.  So each check runs in a
 * worker process forked for it, and the event loop stays free for the
 * other clients; the worker writes one result line on a pipe and exits.
 * A fork costs well under a millisecond here, far less than the hash the
 * module computes, and a module that leaks or crashes takes only its
 * worker with it.  The delay after a failure is ours (auth_failure_delay,
 * on a timer), so the worker tells libpam not to sleep.
 *
 * Result line: "1" ok, "0reason" refused, "Treason" temporary failure.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "auth.h"
#include "buf.h"
#include "event.h"
#include "msg.h"
#include "util.h"

#define AUTH_PAM_REPLY_MAX	512

/* A check in progress, in the parent. */
struct auth_pam_job {
	pid_t		 pid;
	int		 fd;		/* the worker's result pipe */
	struct buf	*reply;
	auth_pam_fn	 done;
	void		*ctx;
};

/* What the conversation function answers with, in the worker. */
struct auth_pam_creds {
	const char	*user;
	const char	*password;
};

static int auth_pam_jobs;

static void auth_pam_timeout(void *);

/* auth_pam_busy - checks in progress */
int
auth_pam_busy(void)
{
	return auth_pam_jobs;
}

/* auth_pam_conv - answer PAM's prompts: the password, or the user name */
static int
auth_pam_conv(int n, const struct pam_message **msgs,
    struct pam_response **resp, void *data)
{
	struct auth_pam_creds *creds = data;
	struct pam_response *r;
	int i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msgs[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			r[i].resp = strdup(creds->password);
			break;
		case PAM_PROMPT_ECHO_ON:
			r[i].resp = strdup(creds->user);
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			continue;
		default:
			goto fail;
		}
		if (r[i].resp == NULL)
			goto fail;
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
	return PAM_CONV_ERR;
}

/* auth_pam_nodelay - libpam's failure delay: ours runs on a timer */
static void
auth_pam_nodelay(int status, unsigned int usec, void *data)
{
	(void)status;
	(void)usec;
	(void)data;
}

/* auth_pam_result - the worker's verdict on a PAM status */
static void
auth_pam_result(pam_handle_t *pamh, int rc, const char *step, struct buf *out)
{
	const char *text = pam_strerror(pamh, rc);

	switch (rc) {
	case PAM_SUCCESS:
		buf_set(out, "1");
		break;
	case PAM_AUTH_ERR:
	case PAM_USER_UNKNOWN:
	case PAM_MAXTRIES:
	case PAM_PERM_DENIED:
	case PAM_ACCT_EXPIRED:
	case PAM_NEW_AUTHTOK_REQD:
	case PAM_CRED_INSUFFICIENT:
		buf_setf(out, "0%s: %s", step, text);
		break;
	default:
		buf_setf(out, "T%s: %s", step, text);
		break;
	}
}

/* auth_pam_worker - the child: run PAM, write the verdict, exit */
static void __attribute__((noreturn))
auth_pam_worker(int fd, const char *user, const char *password,
    const char *rip)
{
	struct auth_pam_creds creds = { user, password };
	struct pam_conv conv = { auth_pam_conv, &creds };
	pam_handle_t *pamh = NULL;
	struct buf *out = buf_new(128, AUTH_PAM_REPLY_MAX);
	const void *item;
	int rc;

	/* PAM modules wait for their own helpers (unix_chkpwd). */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	rc = pam_start(AUTH_PAM_SERVICE, user, &conv, &pamh);
	if (rc != PAM_SUCCESS) {
		buf_setf(out, "Tpam_start: %s", pam_strerror(pamh, rc));
		goto out;
	}
	(void)pam_set_item(pamh, PAM_RHOST, rip);
	(void)pam_set_item(pamh, PAM_RUSER, user);
	(void)pam_set_item(pamh, PAM_FAIL_DELAY,
	    (const void *)auth_pam_nodelay);
	rc = pam_authenticate(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (rc != PAM_SUCCESS) {
		auth_pam_result(pamh, rc, "authentication", out);
		goto end;
	}
	rc = pam_acct_mgmt(pamh, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (rc != PAM_SUCCESS) {
		auth_pam_result(pamh, rc, "account", out);
		goto end;
	}
	/* A module may map the name; the account must stay the one asked. */
	if (pam_get_item(pamh, PAM_USER, &item) == PAM_SUCCESS &&
	    item != NULL && strcmp(item, user) != 0)
		buf_setf(out, "0PAM changed the user name");
	else
		buf_set(out, "1");
end:
	pam_end(pamh, rc);
out:
	(void)write_full(fd, buf_str(out), buf_len(out));
	_exit(0);
}

/* auth_pam_finish - the worker is done: tell the caller */
static void
auth_pam_finish(struct auth_pam_job *job, enum auth_result r,
    const char *reason)
{
	event_del(job->fd);
	close(job->fd);
	event_timer_cancel(auth_pam_timeout, job);
	auth_pam_jobs--;
	job->done(job->ctx, r, reason);
	buf_free(&job->reply);
	free(job);
}

/* auth_pam_read - the worker's result pipe is readable */
static void
auth_pam_read(int fd, int mask, void *ctx)
{
	struct auth_pam_job *job = ctx;
	char chunk[AUTH_PAM_REPLY_MAX];
	const char *s;
	ssize_t n;

	n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		buf_append(job->reply, chunk, (size_t)n);
		return;
	}
	/* EOF (or an error): the worker has said all it will. */
	s = buf_str(job->reply);
	if (buf_len(job->reply) == 0)
		auth_pam_finish(job, AUTH_TEMPFAIL, "PAM worker died");
	else if (*s == '1')
		auth_pam_finish(job, AUTH_OK, "");
	else if (*s == '0')
		auth_pam_finish(job, AUTH_FAIL, s + 1);
	else
		auth_pam_finish(job, AUTH_TEMPFAIL, s + 1);
}

/* auth_pam_timeout - a worker that hangs is killed */
static void
auth_pam_timeout(void *ctx)
{
	struct auth_pam_job *job = ctx;

	(void)kill(job->pid, SIGKILL);
	auth_pam_finish(job, AUTH_TEMPFAIL, "PAM check timed out");
}

/* auth_pam_start - check (user, password) with PAM in a worker */
int
auth_pam_start(const char *user, const char *password, const char *rip,
    auth_pam_fn done, void *ctx, struct buf *why)
{
	struct auth_pam_job *job;
	int p[2];
	pid_t pid;

	if (auth_pam_jobs >= AUTH_PAM_MAX) {
		buf_setf(why, "too many PAM checks in progress (%d)",
		    AUTH_PAM_MAX);
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		buf_setf(why, "pipe: %s", strerror(errno));
		return -1;
	}
	switch (pid = fork()) {
	case -1:
		buf_setf(why, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	case 0:
		close(p[0]);
		auth_pam_worker(p[1], user, password, rip);
	}
	close(p[1]);
	job = xcalloc(1, sizeof(*job));
	job->pid = pid;
	job->fd = p[0];
	job->reply = buf_new(64, AUTH_PAM_REPLY_MAX);
	job->done = done;
	job->ctx = ctx;
	(void)set_nonblock(job->fd, 1);
	if (event_add(job->fd, EVENT_READ, auth_pam_read, job) < 0) {
		buf_setf(why, "event_add: %s", strerror(errno));
		(void)kill(pid, SIGKILL);
		close(job->fd);
		buf_free(&job->reply);
		free(job);
		return -1;
	}
	auth_pam_jobs++;
	event_timer(AUTH_PAM_TIMEOUT * 1000L, auth_pam_timeout, job);
	return 0;
}
