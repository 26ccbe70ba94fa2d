/*
 * auth_passwd - check a virtual user's password against the crypt(3) hash
 * of the passwd file (virtual_passwd_file, read through lib/resolve.c).
 *
 * Any hash that libxcrypt verifies is accepted: yescrypt ($y$), SHA512-CRYPT
 * ($6$), SHA256-CRYPT ($5$), bcrypt ($2b$), and the older ones.  A
 * Dovecot-style scheme prefix ("{SHA512-CRYPT}$6$...") is accepted for
 * the crypt(3) schemes and stripped.  A hash that is empty or starts with
 * '!' or '*' locks the account.  Comparison is in constant time.
 */
#include <crypt.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "buf.h"

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
