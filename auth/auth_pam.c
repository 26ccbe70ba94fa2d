/*
 * auth_pam - check a system user's password with PAM (service "cartero",
 * /etc/pam.d/cartero: common-auth and common-account on Debian).
 *
 * PAM calls block (a module may sleep on failure, ask a network
 * directory, or run a helper), so each check runs in a worker process
 * (auth_worker.c).  The delay after a failure is ours (auth_limit.c, on a
 * timer), so the worker tells libpam not to sleep.
 *
 * Result line: "1" ok, "0reason" refused, "Treason" temporary failure.
 */
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "auth.h"
#include "buf.h"

/* What the conversation function answers with, in the worker. */
struct auth_pam_creds {
	const char	*user;
	const char	*password;
};

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

/* auth_pam_run - in the worker: run PAM on args user, password, rip */
static void
auth_pam_run(const char *const *args, struct buf *out)
{
	const char *user = args[0];
	struct auth_pam_creds creds = { user, args[1] };
	struct pam_conv conv = { auth_pam_conv, &creds };
	pam_handle_t *pamh = NULL;
	const void *item;
	int rc;

	rc = pam_start(AUTH_PAM_SERVICE, user, &conv, &pamh);
	if (rc != PAM_SUCCESS) {
		buf_setf(out, "Tpam_start: %s", pam_strerror(pamh, rc));
		return;
	}
	(void)pam_set_item(pamh, PAM_RHOST, args[2]);
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
}

/* auth_pam_start - check (user, password) with PAM in a worker */
int
auth_pam_start(const char *user, const char *password, const char *rip,
    auth_worker_fn done, void *ctx, struct buf *why)
{
	const char *args[AUTH_WORKER_ARGS] = { user, password, rip, NULL };

	return auth_worker_start(auth_pam_run, args, done, ctx, why);
}
