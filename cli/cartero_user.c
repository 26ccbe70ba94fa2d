/*
 * cartero_user - "cartero user add|passwd|del|list|show": manage the mail
 * users, system users (cartero_sysuser.c) and the virtual users of
 * virtual_passwd_file (here).
 *
 *	cartero [-c config_dir] user add [--virtual] [--password-file FILE]
 *	    name[@domain]
 *	cartero [-c config_dir] user passwd [--virtual|--system]
 *	    [--password-file FILE] name[@domain]
 *	cartero [-c config_dir] user del [--virtual|--system] [--remove-mail]
 *	    name[@domain]
 *	cartero [-c config_dir] user list [--virtual|--system]
 *	cartero [-c config_dir] user show name[@domain]
 *
 * Which kind of user: name@domain, or --virtual, is a virtual user (a
 * bare name then means name@$mydomain, as it does in the file); --system
 * is a system user; a bare name is a system user for "add", and for the
 * other commands the virtual user name@$mydomain when the file has one,
 * else the system user.
 *
 * Passwords are read from --password-file (its first line), else from
 * the terminal without echo (twice, to catch a typing mistake), or as one
 * line from the standard input when it is not a terminal; never from the
 * command line, where ps(1) and shell histories would show them.  They
 * are stored as crypt(3) hashes: yescrypt, or SHA512-CRYPT ($6$) where
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
 *
 * Mailboxes are created, read and removed only by a child process that
 * runs as their owner (cartero_user_as), so a link a user planted in
 * his Maildir never makes root write or remove anything.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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
#include "maildir.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "resolve.h"
#include "userdb.h"
#include "util.h"
#include "cartero_user.h"

#define USER_FILE_MAX		(64 * 1024 * 1024)	/* passwd file */
#define USER_LOCAL_MAX		64	/* RFC 5321 local part */
#define USER_DOMAIN_MAX		253

static struct termios user_tty_saved;
static int user_tty_changed;

/* cartero_user_usage - say how to run us */
static int
cartero_user_usage(void)
{
	fprintf(stderr, "usage: cartero [-c config_dir] user add [--virtual] "
	    "[--password-file FILE] name[@domain]\n"
	    "       cartero [-c config_dir] user passwd [--virtual|--system] "
	    "[--password-file FILE] name[@domain]\n"
	    "       cartero [-c config_dir] user del [--virtual|--system] "
	    "[--remove-mail] name[@domain]\n"
	    "       cartero [-c config_dir] user list [--virtual|--system]\n"
	    "       cartero [-c config_dir] user show name[@domain]\n");
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

/* cartero_user_pwfile - the first line of a password file */
static int
cartero_user_pwfile(const char *path, struct buf *pw, struct buf *why)
{
	struct buf *text;
	const char *nl;
	size_t len;

	if ((text = file_slurp(path, USER_PASSWORD_MAX + 3, why)) == NULL)
		return -1;
	nl = memchr(buf_str(text), '\n', buf_len(text));
	len = nl ? (size_t)(nl - buf_str(text)) : buf_len(text);
	if (len > 0 && text->data[len - 1] == '\r')
		len--;
	buf_reset(pw);
	buf_append(pw, buf_str(text), len);	/* past the cap: overflow */
	explicit_bzero(text->data, text->size);
	buf_free(&text);
	return 0;
}

/*
 * cartero_user_password - the new password: from the file when one is
 * named, else from the tty (twice) or stdin
 */
static int
cartero_user_password(const char *name, const char *pwfile, struct buf *pw,
    struct buf *why)
{
	struct buf *again, *prompt;
	int r = -1;

	if (pwfile != NULL) {
		if (cartero_user_pwfile(pwfile, pw, why) < 0)
			return -1;
	} else if (!isatty(0)) {
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

/*
 * cartero_user_new_hash - the new password of name (from pwfile, else the
 * terminal or the standard input) as a crypt(3) hash into out; the
 * password itself is wiped.  0, or -1 with why.
 */
int
cartero_user_new_hash(const char *name, const char *pwfile, struct buf *out,
    struct buf *why)
{
	struct buf *pw = buf_new(64, USER_PASSWORD_MAX + 1);
	int r = -1;

	if (cartero_user_password(name, pwfile, pw, why) == 0)
		r = cartero_user_hash(buf_str(pw), out, why);
	if (pw->data != NULL)
		explicit_bzero(pw->data, pw->size);
	buf_free(&pw);
	return r;
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

/* cartero_user_list - fn(name, "virtual", arg) for each virtual user */
static int
cartero_user_list(const struct buf *text, cartero_user_fn fn, void *arg)
{
	struct buf *key = buf_new(128, 0);
	const char *p = buf_str(text), *end = p + buf_len(text), *nl;
	int ret = 0;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		cartero_user_key(p, (size_t)(nl - p), key);
		if (buf_len(key) > 0)
			ret |= fn(buf_str(key), "virtual", arg);
	}
	buf_free(&key);
	return ret;
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

/* cartero_user_as - run fn(arg) in a child as uid:gid; its exit status */
int
cartero_user_as(uid_t uid, gid_t gid, int (*fn)(void *), void *arg)
{
	struct buf *why;
	pid_t pid;
	int status;

	if (uid == 0 && privs_is_root()) {
		msg_warn("a mailbox owned by root: refused");
		return 1;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		msg_warn("fork: %m");
		return 1;
	}
	if (pid == 0) {
		why = buf_new(128, 1024);
		if (privs_is_root() && privs_set(uid, gid, why) < 0) {
			msg_warn("%s", buf_str(why));
			_exit(1);
		}
		if (!privs_is_root() && geteuid() != uid) {
			msg_warn("only root may act as uid %ld", (long)uid);
			_exit(1);
		}
		buf_free(&why);
		status = fn(arg);
		fflush(stdout);
		_exit(status);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			msg_warn("waitpid: %m");
			return 1;
		}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* cartero_user_mkmaildir_child - as the owner: make the Maildir */
static int
cartero_user_mkmaildir_child(void *arg)
{
	struct buf *why = buf_new(128, 4096);
	int r = 0;

	(void)umask(077);
	if (maildir_make(arg, 1, why) < 0) {
		msg_warn("%s", buf_str(why));
		r = 1;
	}
	buf_free(&why);
	return r;
}

/* cartero_user_mkmaildir - a Maildir and its folders, as uid:gid */
int
cartero_user_mkmaildir(const char *path, uid_t uid, gid_t gid)
{
	size_t len = strlen(path);

	if (len == 0 || path[len - 1] != '/') {
		msg_info("home_mailbox is not a Maildir (no trailing /): %s "
		    "is made at the first delivery", path);
		return 0;
	}
	return cartero_user_as(uid, gid, cartero_user_mkmaildir_child,
	    (void *)path) == 0 ? 0 : -1;
}

/* cartero_user_rm_one - nftw's callback: remove one entry */
static int
cartero_user_rm_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((type == FTW_DP || type == FTW_DNR ? rmdir(path) :
	    unlink(path)) < 0 && errno != ENOENT) {
		msg_warn("remove %s: %m", path);
		return 1;
	}
	return 0;
}

/* cartero_user_rmtree_child - the tree's removal, as its owner */
static int
cartero_user_rmtree_child(void *arg)
{
	int r;

	/* Depth first, symlinks removed and never followed, one fs. */
	r = nftw(arg, cartero_user_rm_one, 16, FTW_DEPTH | FTW_PHYS |
	    FTW_MOUNT);
	if (r < 0 && errno != ENOENT) {
		msg_warn("remove %s: %m", (const char *)arg);
		return 1;
	}
	return r > 0 ? 1 : 0;
}

/* cartero_user_rmtree - remove a directory tree as uid:gid; 0 or -1 */
int
cartero_user_rmtree(const char *path, uid_t uid, gid_t gid)
{
	if (path[0] != '/' || path[strspn(path, "/")] == '\0') {
		msg_warn("\"%s\": not a mailbox directory to remove", path);
		return -1;
	}
	return cartero_user_as(uid, gid, cartero_user_rmtree_child,
	    (void *)path) == 0 ? 0 : -1;
}

/* cartero_user_opts - the options and the one name among argv[2..] */
static int
cartero_user_opts(int argc, char **argv, struct user_opts *o,
    const char **name)
{
	int i;

	memset(o, 0, sizeof(*o));
	*name = NULL;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--virtual") == 0)
			o->virtual = 1;
		else if (strcmp(argv[i], "--system") == 0)
			o->system = 1;
		else if (strcmp(argv[i], "--remove-mail") == 0)
			o->remove_mail = 1;
		else if (strcmp(argv[i], "--password-file") == 0 &&
		    i + 1 < argc)
			o->pwfile = argv[++i];
		else if (strncmp(argv[i], "--password-file=", 16) == 0)
			o->pwfile = argv[i] + 16;
		else if (argv[i][0] == '-' || *name != NULL)
			return -1;
		else
			*name = argv[i];
	}
	return o->virtual && o->system ? -1 : 0;
}

/* cartero_user_args_ok - does the command take what was given? */
static int
cartero_user_args_ok(const char *cmd, const struct user_opts *o,
    const char *name)
{
	if (strcmp(cmd, "list") == 0)
		return name == NULL && o->pwfile == NULL && !o->remove_mail;
	if (name == NULL)
		return 0;
	if (strcmp(cmd, "add") == 0 || strcmp(cmd, "passwd") == 0)
		return !o->remove_mail;
	if (strcmp(cmd, "del") == 0)
		return o->pwfile == NULL;
	if (strcmp(cmd, "show") == 0)
		return o->pwfile == NULL && !o->remove_mail;
	return 0;
}

/*
 * cartero_user_kind - 1 for a virtual user, 0 for a system user, -1 (said)
 * when that cannot be told: see the top of this file.
 */
static int
cartero_user_kind(const char *cmd, const char *name, const struct user_opts *o)
{
	struct account acct;
	struct buf *why;
	int r;

	if (o->virtual || strchr(name, '@') != NULL) {
		if (o->system) {
			msg_warn("\"%s\": a system user's name has no @domain",
			    name);
			return -1;
		}
		return 1;
	}
	if (o->system || strcmp(cmd, "add") == 0)
		return 0;
	why = buf_new(128, 4096);
	resolve_use_passdb(1);
	r = resolve_account(name, &acct, why);
	if (r < 0)
		msg_warn("%s", buf_str(why));
	else
		r = r > 0 && acct.is_virtual;
	account_free(&acct);
	buf_free(&why);
	return r;
}

/* cartero_user_vpath - virtual_passwd_file, a symlink's target read */
static const char *
cartero_user_vpath(char *target, const char *real)
{
	const char *path = var_virtual_passwd_file;
	struct stat st;

	if (path == NULL || *path == '\0')
		msg_fatal("virtual_passwd_file is empty in %s/main.cf: there "
		    "is no file of virtual users", real);
	/* A symbolic link stays one: the file it names is rewritten. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (realpath(path, target) == NULL)
			msg_fatal("%s: %m", path);
		path = target;
	}
	return path;
}

/* cartero_user_vread - the file's text (empty when missing), or NULL */
static struct buf *
cartero_user_vread(const char *path, struct buf *why)
{
	struct buf *text;

	if ((text = file_slurp(path, USER_FILE_MAX, why)) == NULL &&
	    errno == ENOENT)
		text = buf_new(64, 0);
	return text;
}

/* cartero_user_vlist - fn for each virtual user: the statuses or'ed */
static int
cartero_user_vlist(const char *real, cartero_user_fn fn, void *arg)
{
	struct buf *why = buf_new(256, 4096), *text;
	char target[PATH_MAX];
	const char *path = cartero_user_vpath(target, real);
	int ret = 1;

	if ((text = cartero_user_vread(path, why)) == NULL)
		msg_warn("%s", buf_str(why));
	else
		ret = cartero_user_list(text, fn, arg);
	buf_free(&text);
	buf_free(&why);
	return ret;
}

/* cartero_user_said - log what was done to a virtual user */
static void
cartero_user_said(const char *cmd, const char *name, int found,
    int removed)
{
	const char *domain = strrchr(name, '@') + 1;

	if (strcmp(cmd, "add") == 0) {
		msg_info("user %s added", name);
		if (!resolve_is_local_domain(domain))
			msg_warn("%s is not in mydestination: mail for %s is "
			    "not delivered here until it is", domain, name);
	} else if (strcmp(cmd, "passwd") == 0)
		msg_info("password of %s changed", name);
	else {
		msg_info("user %s deleted; %s", name, removed ?
		    "the mailbox was removed" : "the mailbox, if any, is kept");
		if (found > 1)
			msg_info("%d lines of %s were removed", found, name);
	}
}

/*
 * cartero_user_vmailbox - before a virtual user is deleted with
 * --remove-mail: where the mailbox is and whose it is.  0, or -1 (said).
 */
static int
cartero_user_vmailbox(const char *name, struct account *acct)
{
	struct buf *why = buf_new(128, 4096);
	int r;

	resolve_use_passdb(1);
	if ((r = resolve_account(name, acct, why)) <= 0 ||
	    !acct->is_virtual) {
		msg_warn("%s: %s", name, r < 0 ? buf_str(why) :
		    "no virtual account to find the mailbox of");
		buf_free(&why);
		return -1;
	}
	buf_free(&why);
	return 0;
}

/*
 * cartero_user_vmaildir - a new virtual user's Maildir, so that its
 * folders are there for the first login; delivery or the first login
 * would make it too, so a failure is only a warning
 */
static void
cartero_user_vmaildir(const char *name)
{
	struct account acct;

	if (cartero_user_vmailbox(name, &acct) == 0 &&
	    cartero_user_mkmaildir(acct.maildir, acct.uid, acct.gid) < 0)
		msg_warn("the Maildir of %s is made at its first delivery or "
		    "login", name);
	account_free(&acct);
}

/* cartero_user_virtual - add, passwd or del a virtual user */
static int
cartero_user_virtual(const char *cmd, const char *arg,
    const struct user_opts *o, const char *real)
{
	struct buf *why = buf_new(256, 4096), *name = buf_new(128, 1024);
	struct buf *hash = buf_new(128, 1024), *out = buf_new(4096, 0);
	struct buf *text = NULL;
	struct account acct;
	char target[PATH_MAX];
	const char *path = cartero_user_vpath(target, real);
	int lockfd = -1, ret = 1, found, removed = 0;

	memset(&acct, 0, sizeof(acct));
	if (cartero_user_canon(arg, name, why) < 0) {
		msg_warn("%s", buf_str(why));
		goto done;
	}
	if ((lockfd = cartero_user_lockdir(path, why)) < 0 ||
	    (text = cartero_user_vread(path, why)) == NULL ||
	    (found = cartero_user_edit(cmd, buf_str(name), "", text, out,
	    why)) < 0) {
		msg_warn("%s", buf_str(why));
		goto done;
	}
	/* Find the user before asking for a password. */
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
		if (cartero_user_new_hash(buf_str(name), o->pwfile, hash,
		    why) < 0 || cartero_user_edit(cmd, buf_str(name),
		    buf_str(hash), text, out, why) < 0) {
			msg_warn("%s", buf_str(why));
			goto done;
		}
	} else if (o->remove_mail &&
	    cartero_user_vmailbox(buf_str(name), &acct) < 0)
		goto done;
	if (cartero_user_write(path, out, why) < 0) {
		msg_warn("%s", buf_str(why));
		goto done;
	}
	cartero_user_table();
	if (strcmp(cmd, "add") == 0)
		cartero_user_vmaildir(buf_str(name));
	if (acct.maildir != NULL) {
		if (cartero_user_rmtree(acct.maildir, acct.uid, acct.gid) < 0)
			goto done;
		(void)rmdir(acct.home);	/* when nothing else is left there */
		removed = 1;
	}
	cartero_user_said(cmd, buf_str(name), found, removed);
	ret = 0;
done:
	fd_close(&lockfd);
	account_free(&acct);
	buf_free(&why);
	buf_free(&name);
	buf_free(&hash);
	buf_free(&out);
	buf_free(&text);
	return ret;
}

/* cartero_user_find - a mail user's account: 0, or -1 (said) */
int
cartero_user_find(const char *name, struct account *acct)
{
	struct buf *why = buf_new(128, 4096);
	int r;

	if ((r = resolve_account(name, acct, why)) < 0)
		msg_warn("%s", buf_str(why));
	else if (r == 0)
		msg_warn("no user %s", name);
	buf_free(&why);
	return r > 0 ? 0 : -1;
}

/* cartero_user_print - a line of "user list" */
static int
cartero_user_print(const char *name, const char *kind, void *arg)
{
	(void)arg;
	printf("%s %s\n", name, kind);
	return 0;
}

/* cartero_user_each - fn for each mail user (see cartero_user.h) */
int
cartero_user_each(const char *real, int virtual, int system,
    cartero_user_fn fn, void *arg)
{
	int ret = 0;

	if (virtual)
		ret |= cartero_user_vlist(real, fn, arg);
	if (system)
		ret |= cartero_sysuser_list(fn, arg);
	return ret;
}

/*
 * cartero_user - "cartero user ...": argv[0] is "user"; the exit status.
 */
int
cartero_user(int argc, char **argv, const char *confdir)
{
	struct user_opts o;
	struct buf *why;
	const char *cmd, *name;
	char real[PATH_MAX];
	int kind, ret = 0;

	if (argc < 2 || cartero_user_opts(argc, argv, &o, &name) < 0)
		return cartero_user_usage();
	cmd = strcmp(argv[1], "delete") == 0 ? "del" : argv[1];
	if (!cartero_user_args_ok(cmd, &o, name))
		return cartero_user_usage();
	why = buf_new(256, 4096);
	if (conf_load_real(confdir, real, why) < 0)
		msg_fatal("%s", buf_str(why));
	buf_free(&why);
	if (strcmp(cmd, "list") == 0) {
		ret = cartero_user_each(real, !o.system, !o.virtual,
		    cartero_user_print, NULL);
		return fflush(stdout) == 0 ? ret : 1;
	}
	if (strcmp(cmd, "show") == 0)
		return cartero_user_show(name);
	if ((kind = cartero_user_kind(cmd, name, &o)) < 0)
		return 1;
	if (kind)
		return cartero_user_virtual(cmd, name, &o, real);
	if (strcmp(cmd, "add") == 0)
		return cartero_sysuser_add(name, &o);
	if (strcmp(cmd, "passwd") == 0)
		return cartero_sysuser_passwd(name, &o);
	return cartero_sysuser_del(name, &o);
}
