/*
 * cartero_user - "cartero user add|passwd|del|list": manage the virtual
 * users of virtual_passwd_file.
 *
 *	cartero [-c config_dir] user add name[@domain]
 *	cartero [-c config_dir] user passwd name[@domain]
 *	cartero [-c config_dir] user del name[@domain]
 *	cartero [-c config_dir] user list
 *
 * A bare name means name@$mydomain, as it does in the file.  Passwords are
 * read from the terminal without echo (twice, to catch a typing mistake),
 * or as one line from the standard input when it is not a terminal; never
 * from the command line, where ps(1) and shell histories would show them.
 * They are stored as crypt(3) hashes: yescrypt, or SHA512-CRYPT ($6$) where
 * libxcrypt has no yescrypt.
 *
 * The file is rewritten whole, atomically: a temporary file in the same
 * directory, written, fsync'd, given the old file's mode and owner, then
 * renamed over it, so a reader (auth) sees the old file or the new one,
 * never half of one; a new file is mode 0600 (only auth, root, reads the
 * hashes).  The hash-free user table that smtpd, qmgr and local read is
 * derived again right after (userdb.c).  Two concurrent runs are
 * serialized by a lock on the directory.  Lines that are not the user's
 * (comments, other users, fields we do not use) are kept as they are.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "resolve.h"
#include "userdb.h"
#include "util.h"

#define USER_FILE_MAX		(64 * 1024 * 1024)	/* passwd file */
#define USER_PASSWORD_MAX	1023	/* bytes of a password */
#define USER_LOCAL_MAX		64	/* RFC 5321 local part */
#define USER_DOMAIN_MAX		253

int	cartero_user(int, char **, const char *);

static struct termios user_tty_saved;
static int user_tty_changed;

/* cartero_user_usage - say how to run us */
static int
cartero_user_usage(void)
{
	fprintf(stderr, "usage: cartero [-c config_dir] user add|passwd|del "
	    "name[@domain]\n       cartero [-c config_dir] user list\n");
	return EX_USAGE;
}

/* cartero_user_canon - "ana" or "Ana@Mired.org" to "ana@mired.org" */
static int
cartero_user_canon(const char *name, struct buf *out, struct buf *why)
{
	const char *at = strrchr(name, '@'), *p;
	size_t llen, dlen;

	buf_reset(out);
	if (at == NULL) {
		if (var_mydomain == NULL || *var_mydomain == '\0') {
			buf_setf(why, "\"%s\" has no domain and mydomain is "
			    "empty: write name@domain", name);
			return -1;
		}
		buf_setf(out, "%s@%s", name, var_mydomain);
	} else
		buf_puts(out, name);
	lowercase(out->data);
	at = strrchr(buf_str(out), '@');
	llen = (size_t)(at - buf_str(out));
	dlen = strlen(at + 1);
	if (llen == 0 || llen > USER_LOCAL_MAX) {
		buf_setf(why, "\"%s\": the user name must have 1 to %d "
		    "characters", name, USER_LOCAL_MAX);
		return -1;
	}
	for (p = buf_str(out); p < at; p++) {
		if (*p <= ' ' || *p >= 127 || *p == ':' || *p == '/' ||
		    *p == '@' || *p == '#' || *p == '\\') {
			buf_setf(why, "\"%s\": the user name may not contain "
			    "white space, control characters, or any of "
			    ": / @ # \\", name);
			return -1;
		}
	}
	if ((llen == 1 && at[-1] == '.') || (llen == 2 &&
	    strncmp(buf_str(out), "..", 2) == 0)) {
		buf_setf(why, "\"%s\": not a user name", name);
		return -1;
	}
	if (dlen == 0 || dlen > USER_DOMAIN_MAX || at[1] == '.' ||
	    at[1] == '-' || strstr(at + 1, "..") != NULL ||
	    strspn(at + 1, "abcdefghijklmnopqrstuvwxyz0123456789.-") != dlen) {
		buf_setf(why, "\"%s\": not a valid domain name", name);
		return -1;
	}
	return 0;
}

/* cartero_user_key - the canonical key of a passwd file line, or "" */
static void
cartero_user_key(const char *line, size_t len, struct buf *key)
{
	const char *p = line, *end = line + len, *colon;

	buf_reset(key);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#')
		return;
	colon = memchr(p, ':', (size_t)(end - p));
	buf_append(key, p, (size_t)((colon ? colon : end) - p));
	if (buf_len(key) == 0)
		return;
	if (strchr(buf_str(key), '@') == NULL)
		buf_appendf(key, "@%s", var_mydomain ? var_mydomain : "");
	lowercase(key->data);
}

/* cartero_user_onsig - a signal while echo is off: restore it, go */
static void
cartero_user_onsig(int sig)
{
	if (user_tty_changed)
		(void)tcsetattr(0, TCSAFLUSH, &user_tty_saved);
	(void)write(2, "\n", 1);
	_exit(128 + sig);
}

/* cartero_user_readline - one line from fd 0, bounded; -1 at EOF/error */
static int
cartero_user_readline(struct buf *out)
{
	char c;
	ssize_t n;
	int any = 0;

	buf_reset(out);
	for (;;) {
		n = read(0, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return any ? 0 : -1;
		any = 1;
		if (c == '\n')
			break;
		buf_putc(out, c);	/* past the cap: overflow flag */
	}
	if (buf_len(out) > 0 && out->data[buf_len(out) - 1] == '\r')
		buf_truncate(out, buf_len(out) - 1);
	return 0;
}

/* cartero_user_prompt - read a password from the terminal, echo off */
static int
cartero_user_prompt(const char *prompt, struct buf *out, struct buf *why)
{
	struct termios t;
	int r;

	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	if (tcgetattr(0, &user_tty_saved) < 0) {
		buf_setf(why, "tcgetattr: %s", strerror(errno));
		return -1;
	}
	t = user_tty_saved;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	t.c_lflag |= ICANON;
	user_tty_changed = 1;
	if (tcsetattr(0, TCSAFLUSH, &t) < 0) {
		user_tty_changed = 0;
		buf_setf(why, "tcsetattr: %s", strerror(errno));
		return -1;
	}
	r = cartero_user_readline(out);
	(void)tcsetattr(0, TCSAFLUSH, &user_tty_saved);
	user_tty_changed = 0;
	fprintf(stderr, "\n");
	if (r < 0)
		buf_setf(why, "no password given");
	return r;
}

/* cartero_user_password - the new password, from the tty or stdin */
static int
cartero_user_password(const char *name, struct buf *pw, struct buf *why)
{
	struct buf *again, *prompt;
	int r = -1;

	if (!isatty(0)) {
		if (cartero_user_readline(pw) < 0) {
			buf_setf(why, "no password on the standard input");
			return -1;
		}
	} else {
		sig_catch(cartero_user_onsig, 0, SIGINT, SIGTERM, SIGHUP,
		    SIGQUIT, SIGTSTP, 0);
		again = buf_new(64, USER_PASSWORD_MAX + 1);
		prompt = buf_new(64, 1024);
		buf_setf(prompt, "New password for %s: ", name);
		if (cartero_user_prompt(buf_str(prompt), pw, why) < 0)
			goto out;
		if (cartero_user_prompt("Retype new password: ", again,
		    why) < 0)
			goto out;
		if (buf_len(pw) != buf_len(again) || memcmp(buf_str(pw),
		    buf_str(again), buf_len(pw)) != 0) {
			buf_setf(why, "the passwords do not match; nothing "
			    "changed");
			goto out;
		}
		r = 0;
out:
		explicit_bzero(again->data, again->size);
		buf_free(&again);
		buf_free(&prompt);
		if (r < 0)
			return -1;
	}
	if (buf_overflowed(pw)) {
		buf_setf(why, "the password is longer than %d bytes",
		    USER_PASSWORD_MAX);
		return -1;
	}
	if (buf_len(pw) == 0) {
		buf_setf(why, "an empty password is not allowed");
		return -1;
	}
	if (memchr(buf_str(pw), '\0', buf_len(pw)) != NULL) {
		buf_setf(why, "the password contains a NUL byte");
		return -1;
	}
	return 0;
}

/* cartero_user_hash - a crypt(3) hash of the password: yescrypt, else $6$ */
static int
cartero_user_hash(const char *pw, struct buf *out, struct buf *why)
{
	static struct crypt_data cd;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *h;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting,
	    (int)sizeof(setting)) == NULL &&
	    crypt_gensalt_rn("$6$", 0, NULL, 0, setting,
	    (int)sizeof(setting)) == NULL) {
		buf_setf(why, "crypt_gensalt: %s (neither yescrypt nor "
		    "SHA512-CRYPT is available)", strerror(errno));
		return -1;
	}
	memset(&cd, 0, sizeof(cd));
	h = crypt_rn(pw, setting, &cd, (int)sizeof(cd));
	if (h == NULL || *h == '*') {
		buf_setf(why, "crypt: %s", strerror(errno));
		explicit_bzero(&cd, sizeof(cd));
		return -1;
	}
	buf_set(out, h);
	explicit_bzero(&cd, sizeof(cd));
	return 0;
}

/* cartero_user_lockdir - lock the directory of the file: an fd, or -1 */
static int
cartero_user_lockdir(const char *path, struct buf *why)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash == NULL)
		buf_set(why, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		buf_setf(why, "open %s: %s", slash ? dir : ".",
		    strerror(errno));
		free(dir);
		return -1;
	}
	if (flock(fd, LOCK_EX) < 0) {
		buf_setf(why, "lock %s: %s", dir, strerror(errno));
		close(fd);
		free(dir);
		return -1;
	}
	free(dir);
	return fd;
}

/* cartero_user_write - replace the file by text, atomically */
static int
cartero_user_write(const char *path, const struct buf *text, struct buf *why)
{
	struct stat st;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	mode_t mode = 0600;	/* a new file: only auth (root) reads hashes */

	if (stat(path, &st) == 0) {
		mode = st.st_mode & 07777;
		uid = st.st_uid;
		gid = st.st_gid;
	} else if (errno != ENOENT) {
		buf_setf(why, "stat %s: %s", path, strerror(errno));
		return -1;
	}
	return file_replace(path, text, mode, privs_is_root() ? uid :
	    (uid_t)-1, gid, why);
}

/*
 * cartero_user_table - derive the hash-free user table at once, so smtpd
 * knows a new user now, not at master's next look.  An instance that has
 * never run has no $queue_directory/etc yet: master makes it at start.
 */
static void
cartero_user_table(void)
{
	struct buf *why = buf_new(128, 4096), *path = buf_new(256, 0);
	struct stat st;

	buf_setf(path, "%s/etc", var_queue_directory);
	if (stat(buf_str(path), &st) == 0 && userdb_update(1, why) < 0)
		msg_warn("user table not updated (master updates it within "
		    "a second): %s", buf_str(why));
	buf_free(&why);
	buf_free(&path);
}

/* cartero_user_list - print the users' names */
static int
cartero_user_list(const struct buf *text)
{
	struct buf *key = buf_new(128, 0);
	const char *p = buf_str(text), *end = p + buf_len(text), *nl;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		cartero_user_key(p, (size_t)(nl - p), key);
		if (buf_len(key) > 0)
			printf("%s\n", buf_str(key));
	}
	buf_free(&key);
	return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * cartero_user_edit - the new text of the file: the user's line added,
 * its hash replaced, or its lines removed.  The number of lines of the
 * user found, or -1 with why.
 */
static int
cartero_user_edit(const char *cmd, const char *name, const char *hash,
    const struct buf *text, struct buf *out, struct buf *why)
{
	struct buf *key = buf_new(128, 0);
	const char *p = buf_str(text), *end = p + buf_len(text), *nl, *c1, *c2;
	int found = 0;

	buf_reset(out);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		cartero_user_key(p, (size_t)(nl - p), key);
		if (buf_len(key) == 0 || strcmp(buf_str(key), name) != 0) {
			buf_append(out, p, (size_t)(nl - p));
			buf_putc(out, '\n');
			continue;
		}
		found++;
		if (strcmp(cmd, "del") == 0 || found > 1)
			continue;	/* a duplicate was never in force */
		if (strcmp(cmd, "passwd") == 0) {
			/* Keep the name as written and every other field. */
			c1 = memchr(p, ':', (size_t)(nl - p));
			c2 = c1 ? memchr(c1 + 1, ':', (size_t)(nl - c1 - 1)) :
			    NULL;
			if (c1 == NULL) {
				buf_append(out, p, (size_t)(nl - p));
				buf_appendf(out, ":%s::::::\n", hash);
			} else {
				buf_append(out, p, (size_t)(c1 - p + 1));
				buf_puts(out, hash);
				if (c2 != NULL)
					buf_append(out, c2, (size_t)(nl - c2));
				buf_putc(out, '\n');
			}
		} else {
			buf_append(out, p, (size_t)(nl - p));
			buf_putc(out, '\n');
		}
	}
	if (strcmp(cmd, "add") == 0 && found == 0)
		buf_appendf(out, "%s:%s::::::\n", name, hash);
	buf_free(&key);
	if (buf_overflowed(out)) {
		buf_setf(why, "the new file would be too large");
		return -1;
	}
	return found;
}

/*
 * cartero_user - "cartero user ...": argv[0] is "user"; the exit status.
 */
int
cartero_user(int argc, char **argv, const char *confdir)
{
	struct buf *why = buf_new(256, 4096), *name = buf_new(128, 1024);
	struct buf *pw = buf_new(64, USER_PASSWORD_MAX + 1);
	struct buf *hash = buf_new(128, 1024), *out = buf_new(4096, 0);
	struct buf *text = NULL;
	char real[PATH_MAX], target[PATH_MAX];
	struct stat st;
	const char *cmd, *path;
	int lockfd = -1, ret = 1, found;

	if (argc < 2)
		return cartero_user_usage();
	cmd = argv[1];
	if (strcmp(cmd, "delete") == 0)
		cmd = "del";
	if (strcmp(cmd, "list") == 0 ? argc != 2 :
	    (argc != 3 || (strcmp(cmd, "add") != 0 &&
	    strcmp(cmd, "passwd") != 0 && strcmp(cmd, "del") != 0)))
		return cartero_user_usage();
	if (conf_load_real(confdir, real, why) < 0)
		msg_fatal("%s", buf_str(why));
	path = var_virtual_passwd_file;
	if (path == NULL || *path == '\0')
		msg_fatal("virtual_passwd_file is empty in %s/main.cf: there "
		    "is no file of virtual users", real);
	/* A symbolic link stays one: the file it names is rewritten. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (realpath(path, target) == NULL)
			msg_fatal("%s: %m", path);
		path = target;
	}
	if (argc == 3 && cartero_user_canon(argv[2], name, why) < 0) {
		msg_warn("%s", buf_str(why));
		goto done;
	}

	if (strcmp(cmd, "list") != 0 &&
	    (lockfd = cartero_user_lockdir(path, why)) < 0) {
		msg_warn("%s", buf_str(why));
		goto done;
	}
	if ((text = file_slurp(path, USER_FILE_MAX, why)) == NULL) {
		if (errno != ENOENT) {
			msg_warn("%s", buf_str(why));
			goto done;
		}
		text = buf_new(64, 0);
	}
	if (strcmp(cmd, "list") == 0) {
		ret = cartero_user_list(text);
		goto done;
	}
	/* Find the user before asking for a password. */
	if ((found = cartero_user_edit(cmd, buf_str(name), "", text, out,
	    why)) < 0) {
		msg_warn("%s", buf_str(why));
		goto done;
	}
	if (strcmp(cmd, "add") == 0 && found > 0) {
		msg_warn("user %s exists already (use \"cartero user passwd\" "
		    "to change the password)", buf_str(name));
		goto done;
	}
	if (strcmp(cmd, "add") != 0 && found == 0) {
		msg_warn("no user %s in %s", buf_str(name), path);
		goto done;
	}
	if (strcmp(cmd, "del") != 0) {
		if (cartero_user_password(buf_str(name), pw, why) < 0 ||
		    cartero_user_hash(buf_str(pw), hash, why) < 0) {
			msg_warn("%s", buf_str(why));
			goto done;
		}
		if (cartero_user_edit(cmd, buf_str(name), buf_str(hash), text,
		    out, why) < 0) {
			msg_warn("%s", buf_str(why));
			goto done;
		}
	}
	if (cartero_user_write(path, out, why) < 0) {
		msg_warn("%s", buf_str(why));
		goto done;
	}
	cartero_user_table();
	if (strcmp(cmd, "add") == 0) {
		msg_info("user %s added", buf_str(name));
		if (!resolve_is_local_domain(strrchr(buf_str(name), '@') + 1))
			msg_warn("%s is not in mydestination: mail for %s is "
			    "not delivered here until it is",
			    strrchr(buf_str(name), '@') + 1, buf_str(name));
	} else if (strcmp(cmd, "passwd") == 0)
		msg_info("password of %s changed", buf_str(name));
	else {
		msg_info("user %s deleted; the mailbox, if any, is kept",
		    buf_str(name));
		if (found > 1)
			msg_info("%d lines of %s were removed", found,
			    buf_str(name));
	}
	ret = 0;
done:
	fd_close(&lockfd);
	if (pw->data != NULL)
		explicit_bzero(pw->data, pw->size);
	buf_free(&pw);
	buf_free(&why);
	buf_free(&name);
	buf_free(&hash);
	buf_free(&out);
	buf_free(&text);
	return ret;
}
