/*
 * auth_passwd - check a virtual user's password against the crypt(3) hash
 * of the passwd file (virtual_passwd_file, read through lib/resolve.c).
 *
 * Any hash that libxcrypt verifies is accepted: yescrypt ($y$), SHA512-CRYPT
 * ($6$), SHA256-CRYPT ($5$), bcrypt ($2b$), and the older ones.  A
 * Dovecot-style scheme prefix ("{SHA512-CRYPT}$6$...") is accepted for
 * the crypt(3) schemes and stripped.  A hash that is empty or starts with
 * '!' or '*' locks the account.  Comparison is in constant time.
 *
 * The hash runs in a worker process (auth_worker.c): a slow hash (bcrypt
 * or yescrypt at a high cost) must not stall every other login.  An
 * unknown user costs the same as a known one: the password is hashed
 * with a dummy setting of the scheme and cost of the first account looked
 * up (libxcrypt's default, yescrypt, until then), in a worker too, so the
 * time of a failure does not tell whether the account exists.
 */
#include <crypt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "buf.h"
#include "util.h"

#define AUTH_PASSWD_BCRYPT_SETTING	29	/* "$2b$12$" + 22 salt chars */

/* The dummy's setting: scheme, cost and salt, no hash. */
static char *auth_passwd_setting;

/* The crypt(3) schemes Dovecot names, all verified by crypt_rn(). */
static const char *const auth_passwd_schemes[] = {
	"CRYPT", "DES-CRYPT", "MD5-CRYPT", "SHA256-CRYPT", "SHA512-CRYPT",
	"BLF-CRYPT", "YESCRYPT", NULL,
};

/* auth_passwd_strip - the hash without a "{SCHEME}" prefix, or NULL */
static const char *
auth_passwd_strip(const char *stored, struct buf *why)
{
	const char *end;
	size_t len;
	int i;

	if (*stored != '{')
		return stored;
	if ((end = strchr(stored, '}')) == NULL) {
		buf_setf(why, "malformed password scheme prefix");
		return NULL;
	}
	len = (size_t)(end - stored - 1);
	for (i = 0; auth_passwd_schemes[i] != NULL; i++)
		if (strlen(auth_passwd_schemes[i]) == len &&
		    strncasecmp(stored + 1, auth_passwd_schemes[i], len) == 0)
			return end + 1;
	buf_setf(why, "unsupported password scheme {%.*s}: use a crypt(3) "
	    "hash (cartero user passwd makes one)", (int)(len > 32 ? 32 : len),
	    stored + 1);
	return NULL;
}

/* auth_passwd_equal - compare two strings in time independent of content */
static int
auth_passwd_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = 0;

	if (la != lb)
		return 0;
	for (i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return d == 0;
}

/* auth_passwd_verify - does password match the stored hash? */
enum auth_result
auth_passwd_verify(const char *stored, const char *password, struct buf *why)
{
	static struct crypt_data cd;
	const char *hash, *out;
	enum auth_result r;

	if (stored == NULL || *stored == '\0') {
		buf_setf(why, "account has no password");
		return AUTH_FAIL;
	}
	if ((hash = auth_passwd_strip(stored, why)) == NULL)
		return AUTH_TEMPFAIL;
	if (*hash == '\0' || *hash == '!' || *hash == '*') {
		buf_setf(why, "account locked");
		return AUTH_FAIL;
	}
	memset(&cd, 0, sizeof(cd));
	out = crypt_rn(password, hash, &cd, (int)sizeof(cd));
	if (out == NULL || *out == '*') {
		buf_setf(why, "password hash not understood by crypt(3)");
		r = AUTH_TEMPFAIL;
	} else if (auth_passwd_equal(out, hash))
		r = AUTH_OK;
	else {
		buf_setf(why, "password mismatch");
		r = AUTH_FAIL;
	}
	explicit_bzero(&cd, sizeof(cd));
	return r;
}

/* auth_passwd_run - in a worker: args hash, password -> the verdict */
static void
auth_passwd_run(const char *const *args, struct buf *out)
{
	struct buf *why = buf_new(64, 400);

	switch (auth_passwd_verify(args[0], args[1], why)) {
	case AUTH_OK:
		buf_set(out, "1");
		break;
	case AUTH_FAIL:
		buf_setf(out, "0%s", buf_str(why));
		break;
	default:
		buf_setf(out, "T%s", buf_str(why));
		break;
	}
	buf_free(&why);
}

/* auth_passwd_start - check a password against a stored hash in a worker */
int
auth_passwd_start(const char *stored, const char *password,
    auth_worker_fn done, void *ctx, struct buf *why)
{
	const char *args[AUTH_WORKER_ARGS] = { stored ? stored : "", password,
	    NULL };

	return auth_worker_start(auth_passwd_run, args, done, ctx, why);
}

/*
 * auth_passwd_learn - the first usable hash sets the dummy's scheme and
 * cost.  Only its setting is kept (for "$2b$": the first 29 characters,
 * else up to its last '$'), never the hash itself.
 */
void
auth_passwd_learn(const char *stored)
{
	struct buf *why;
	const char *hash, *end;
	size_t len;

	if (auth_passwd_setting != NULL || stored == NULL)
		return;
	why = buf_new(64, 400);
	hash = auth_passwd_strip(stored, why);
	buf_free(&why);
	if (hash == NULL || *hash != '$')
		return;
	if (strncmp(hash, "$2", 2) == 0)
		len = strlen(hash) < AUTH_PASSWD_BCRYPT_SETTING ? 0 :
		    AUTH_PASSWD_BCRYPT_SETTING;
	else
		len = (end = strrchr(hash, '$')) == NULL ? 0 :
		    (size_t)(end - hash);
	if (len > 0)
		auth_passwd_setting = xstrndup(hash, len);
}

/* auth_passwd_dummy_run - in a worker: hash with the dummy, then refuse */
static void
auth_passwd_dummy_run(const char *const *args, struct buf *out)
{
	static struct crypt_data cd;
	const char *got;

	memset(&cd, 0, sizeof(cd));
	got = crypt_rn(args[1], args[0], &cd, (int)sizeof(cd));
	buf_setf(out, "0%s (dummy %.*s hash checked%s)", args[2],
	    (int)strcspn(args[0] + 1, "$") + 2, args[0],
	    got == NULL || *got == '*' ? ", but it failed" : "");
	explicit_bzero(&cd, sizeof(cd));
}

/*
 * auth_passwd_dummy - the login cannot succeed (unknown user, refused
 * account): spend on the password what a known account's check costs,
 * in a worker, then fail with reason.
 */
int
auth_passwd_dummy(const char *password, const char *reason,
    auth_worker_fn done, void *ctx, struct buf *why)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *args[AUTH_WORKER_ARGS];

	if (auth_passwd_setting == NULL) {
		if (crypt_gensalt_rn(NULL, 0, NULL, 0, salt,
		    (int)sizeof(salt)) == NULL) {
			buf_setf(why, "crypt_gensalt: no default hash scheme");
			return -1;
		}
		auth_passwd_setting = xstrdup(salt);
	}
	args[0] = auth_passwd_setting;
	args[1] = password;
	args[2] = reason;
	args[3] = NULL;
	return auth_worker_start(auth_passwd_dummy_run, args, done, ctx, why);
}
