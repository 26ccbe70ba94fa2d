/*
 * cartero_sysuser - "cartero user add|passwd|del|list" for system users:
 * accounts of /etc/passwd that only read mail.
 *
 * A system mail user is made with the system's own tools, useradd(8),
 * chpasswd(8) and userdel(8) (run without a shell, with a time limit,
 * their output reported): shell /usr/sbin/nologin, supplementary group
 * mail_users (made by groupadd --system when missing; "user list" lists
 * its members, and "passwd" and "del" refuse any other account, so that
 * the command never changes root's or a service's password), its home
 * mode 0700 (whatever HOME_MODE or UMASK login.defs says), and its
 * Maildir ($home/$home_mailbox) with the folders .Drafts .Sent .Trash
 * .Junk .Templates, mode 0700, made by a child that runs as the user.
 * The password is hashed here (cartero_user.c) and handed to chpasswd -e
 * on its standard input: neither it nor its hash is ever on a command
 * line.  An add that fails half way is undone (userdel -r).
 *
 * Needs root.  Distrusts: the name (checked against useradd's own rule
 * before anything is run) and a home directory that existed before
 * (left alone when it is not the new user's).
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "resolve.h"
#include "util.h"
#include "cartero_user.h"

#define SYSUSER_TOOL_TIME	60	/* seconds useradd & co. may take */
#define SYSUSER_OUTPUT_MAX	2048	/* their output kept for a reason */
#define SYSUSER_HOME_MODE	0700
#define SYSUSER_END_WAIT	5000	/* ms for its sessions to end */

/* What the feed gives the tool on its standard input. */
struct sysuser_input {
	const char	*text;
	size_t		 len, off;
};

/* cartero_sysuser_exec - in the tool's child: exec it */
static void
cartero_sysuser_exec(void *ctx, struct buf *why)
{
	char *const *argv = ctx;

	execv(argv[0], argv);
	buf_setf(why, "exec %s: %s", argv[0], strerror(errno));
}

/* cartero_sysuser_feed - the tool's standard input */
static ssize_t
cartero_sysuser_feed(void *ctx, char *chunk, size_t size, struct buf *why)
{
	struct sysuser_input *in = ctx;
	size_t n = in->len - in->off;

	(void)why;
	if (n > size)
		n = size;
	memcpy(chunk, in->text + in->off, n);
	in->off += n;
	return (ssize_t)n;
}

/*
 * cartero_sysuser_run - run a tool of the shadow suite (by its name,
 * found in /usr/sbin or /sbin) with these arguments and this input: 0 when
 * it exits 0, else -1 with why (its output).
 */
static int
cartero_sysuser_run(const char *const *args, const char *input,
    struct buf *why)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", NULL };
	struct sysuser_input in = { input ? input : "", 0, 0 };
	struct command_result r;
	struct command c;
	struct buf *path = buf_new(64, 1024), *line = buf_new(128, 0);
	char *argv[16];
	int i, ret = -1;

	for (i = 0; dirs[i] != NULL; i++) {
		buf_setf(path, "%s/%s", dirs[i], args[0]);
		if (access(buf_str(path), X_OK) == 0)
			break;
	}
	argv[0] = path->data;
	for (i = 1; args[i] != NULL && i < 15; i++)
		argv[i] = (char *)args[i];
	argv[i] = NULL;
	in.len = strlen(in.text);
	memset(&c, 0, sizeof(c));
	c.exec = cartero_sysuser_exec;
	c.exec_ctx = argv;
	c.feed = cartero_sysuser_feed;
	c.feed_ctx = &in;
	c.time_limit = SYSUSER_TOOL_TIME;
	c.output_max = SYSUSER_OUTPUT_MAX;
	if (command_run(&c, &r, why) < 0)
		goto out;
	if (r.exec_failed || r.feed_failed)
		;	/* why says it */
	else if (r.timed_out)
		buf_setf(why, "%s took more than %d s: stopped", args[0],
		    SYSUSER_TOOL_TIME);
	else if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
		buf_setf(why, "%s failed (status %d): %s", args[0],
		    WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1,
		    command_output(r.output, line));
	else
		ret = 0;
	buf_free(&r.output);
out:
	buf_free(&path);
	buf_free(&line);
	return ret;
}

/* cartero_sysuser_name_ok - a name useradd takes (and we want): 0, -1 */
static int
cartero_sysuser_name_ok(const char *name, struct buf *why)
{
	size_t len = strlen(name);

	if (len == 0 || len > USER_SYSNAME_MAX ||
	    strchr("abcdefghijklmnopqrstuvwxyz_", name[0]) == NULL ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != len) {
		buf_setf(why, "\"%s\": a system user's name is 1 to %d lower "
		    "case letters, digits, '_', '.' or '-', starting with a "
		    "letter or '_' (name@domain makes a virtual user)", name,
		    USER_SYSNAME_MAX);
		return -1;
	}
	return 0;
}

/* cartero_sysuser_is_mail_user - is name in group mail_users? */
int
cartero_sysuser_is_mail_user(const char *name)
{
	struct passwd *pw;
	struct group *gr;
	char **m;

	if ((gr = getgrnam(USER_GROUP)) == NULL)
		return 0;
	for (m = gr->gr_mem; *m != NULL; m++)
		if (strcmp(*m, name) == 0)
			return 1;
	return (pw = getpwnam(name)) != NULL && pw->pw_gid == gr->gr_gid;
}

/* cartero_sysuser_mail_user - the user's entry, when a mail user's */
static struct passwd *
cartero_sysuser_mail_user(const char *name)
{
	struct buf *why = buf_new(128, 1024);
	struct passwd *pw = NULL;

	if (cartero_sysuser_name_ok(name, why) < 0)
		msg_warn("%s", buf_str(why));
	else if (getpwnam(name) == NULL)
		msg_warn("no user %s", name);
	else if (!cartero_sysuser_is_mail_user(name))
		msg_warn("%s is not a mail user (not in group %s): change it "
		    "with the system's own tools", name, USER_GROUP);
	else
		pw = getpwnam(name);
	buf_free(&why);
	return pw;
}

/* cartero_sysuser_setpw - give the user a password hash: 0, -1 why */
static int
cartero_sysuser_setpw(const char *name, const char *hash, struct buf *why)
{
	static const char *const args[] = { "chpasswd", "-e", NULL };
	struct buf *line = buf_new(256, 0);
	int r;

	buf_setf(line, "%s:%s\n", name, hash);
	r = cartero_sysuser_run(args, buf_str(line), why);
	explicit_bzero(line->data, line->size);
	buf_free(&line);
	return r;
}

/* cartero_sysuser_shell - the shell of a user who only reads mail */
static const char *
cartero_sysuser_shell(void)
{
	static const char *const shells[] = { "/usr/sbin/nologin",
	    "/sbin/nologin", NULL };
	int i;

	for (i = 0; shells[i] != NULL; i++)
		if (access(shells[i], X_OK) == 0)
			return shells[i];
	return "/bin/false";
}

/* cartero_sysuser_home - make the new user's own home mode 0700 */
static void
cartero_sysuser_home(const struct passwd *pw)
{
	struct stat st;
	int fd;

	fd = open(pw->pw_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		msg_warn("home %s: %m", pw->pw_dir);
	else if (st.st_uid != pw->pw_uid)
		msg_warn("home %s existed and is not %s's: left as it is",
		    pw->pw_dir, pw->pw_name);
	else if ((st.st_mode & 07777) != SYSUSER_HOME_MODE &&
	    fchmod(fd, SYSUSER_HOME_MODE) < 0)
		msg_warn("chmod %s: %m", pw->pw_dir);
	fd_close(&fd);
}

/* cartero_sysuser_maildir - the user's Maildir and folders: 0, -1 */
static int
cartero_sysuser_maildir(const struct passwd *pw, struct buf *path)
{
	buf_setf(path, "%s/%s", pw->pw_dir, var_home_mailbox ?
	    var_home_mailbox : "");
	return cartero_user_mkmaildir(buf_str(path), pw->pw_uid, pw->pw_gid);
}

/* cartero_sysuser_group - make group mail_users if missing: 0, -1 why */
static int
cartero_sysuser_group(struct buf *why)
{
	static const char *const args[] = { "groupadd", "--system",
	    USER_GROUP, NULL };

	if (getgrnam(USER_GROUP) != NULL)
		return 0;
	if (cartero_sysuser_run(args, NULL, why) < 0)
		return -1;
	msg_info("group %s created", USER_GROUP);
	return 0;
}

/* cartero_sysuser_undo - remove a user whose add failed half way */
static void
cartero_sysuser_undo(const char *name)
{
	const char *args[] = { "userdel", "-r", name, NULL };
	struct buf *why = buf_new(128, 4096);

	if (cartero_sysuser_run(args, NULL, why) < 0)
		msg_warn("%s; remove user %s by hand", buf_str(why), name);
	else
		msg_info("user %s removed again", name);
	buf_free(&why);
}

/* cartero_sysuser_add - "user add NAME": a new system mail user */
int
cartero_sysuser_add(const char *name, const struct user_opts *o)
{
	const char *args[] = { "useradd", "-m", "-s", cartero_sysuser_shell(),
	    "-G", USER_GROUP, "-K", "UMASK=0077", "-c", "cartero mail user",
	    name, NULL };
	struct buf *why = buf_new(256, 4096), *path = buf_new(256, 0);
	struct buf *hash = buf_new(128, 1024);
	struct passwd *ent;
	int ret = 1;

	if (!privs_is_root()) {
		msg_warn("only root adds system users (name@domain adds a "
		    "virtual user)");
		goto done;
	}
	if (cartero_sysuser_name_ok(name, why) < 0) {
		msg_warn("%s", buf_str(why));
		goto done;
	}
	if (getpwnam(name) != NULL) {
		msg_warn("user %s exists already (use \"cartero user passwd\" "
		    "to change the password)", name);
		goto done;
	}
	if (cartero_user_new_hash(name, o->pwfile, hash, why) < 0 ||
	    cartero_sysuser_group(why) < 0 ||
	    cartero_sysuser_run(args, NULL, why) < 0) {
		msg_warn("%s", buf_str(why));
		goto done;
	}
	if (cartero_sysuser_setpw(name, buf_str(hash), why) < 0 ||
	    (ent = getpwnam(name)) == NULL) {
		msg_warn("%s", buf_len(why) ? buf_str(why) :
		    "the new user is not found");
		cartero_sysuser_undo(name);
		goto done;
	}
	cartero_sysuser_home(ent);
	if (cartero_sysuser_maildir(ent, path) < 0) {
		cartero_sysuser_undo(name);
		goto done;
	}
	msg_info("system user %s added: uid %ld, group %s, mail in %s", name,
	    (long)ent->pw_uid, USER_GROUP, buf_str(path));
	if (!resolve_uid_ok(ent->pw_uid))
		msg_warn("uid %ld is outside first_valid_uid..last_valid_uid: "
		    "%s gets no mail and no login", (long)ent->pw_uid, name);
	ret = 0;
done:
	buf_free(&hash);
	buf_free(&why);
	buf_free(&path);
	return ret;
}

/* cartero_sysuser_passwd - "user passwd NAME" of a system mail user */
int
cartero_sysuser_passwd(const char *name, const struct user_opts *o)
{
	struct buf *why = buf_new(256, 4096), *hash = buf_new(128, 1024);
	int ret = 1;

	if (cartero_sysuser_mail_user(name) == NULL)
		goto done;
	if (cartero_user_new_hash(name, o->pwfile, hash, why) < 0 ||
	    cartero_sysuser_setpw(name, buf_str(hash), why) < 0) {
		msg_warn("%s", buf_str(why));
		goto done;
	}
	msg_info("password of %s changed", name);
	ret = 0;
done:
	buf_free(&hash);
	buf_free(&why);
	return ret;
}

/* cartero_sysuser_procs - signal the processes of uid (0: count): how many */
static int
cartero_sysuser_procs(uid_t uid, int sig)
{
	struct buf *path = buf_new(64, 256), *why = buf_new(64, 1024), *text;
	unsigned long real, eff;
	struct dirent *de;
	const char *p;
	int n = 0;
	DIR *d;

	if (uid == 0 || (d = opendir("/proc")) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[strspn(de->d_name, "0123456789")] != '\0')
			continue;
		buf_setf(path, "/proc/%s/status", de->d_name);
		if ((text = file_slurp(buf_str(path), 65536, why)) == NULL)
			continue;	/* gone meanwhile */
		/* "Uid:\treal\teffective...": either one is the user's. */
		if ((p = strstr(buf_str(text), "\nUid:")) != NULL &&
		    sscanf(p + 5, "%lu %lu", &real, &eff) == 2 &&
		    (real == uid || eff == uid)) {
			n++;
			if (sig != 0)
				(void)kill((pid_t)atol(de->d_name), sig);
		}
		buf_free(&text);
	}
	closedir(d);
out:
	buf_free(&path);
	buf_free(&why);
	return n;
}

/*
 * cartero_sysuser_end - end the mail sessions of a user about to go (a
 * mail user's only processes: its shell is nologin); userdel refuses
 * while any runs
 */
static void
cartero_sysuser_end(const struct passwd *pw)
{
	long long deadline = now_ms() + SYSUSER_END_WAIT;
	int n;

	if ((n = cartero_sysuser_procs(pw->pw_uid, SIGTERM)) == 0)
		return;
	msg_info("ending %d process%s of %s (its mail sessions)", n,
	    n > 1 ? "es" : "", pw->pw_name);
	while (cartero_sysuser_procs(pw->pw_uid, 0) > 0 &&
	    now_ms() < deadline)
		usleep(50000);
}

/* cartero_sysuser_del - "user del NAME": userdel, -r with --remove-mail */
int
cartero_sysuser_del(const char *name, const struct user_opts *o)
{
	const char *args[] = { "userdel", name, NULL, NULL };
	struct buf *why = buf_new(256, 4096);
	struct passwd *pw;
	int ret = 1;

	if ((pw = cartero_sysuser_mail_user(name)) == NULL)
		goto done;
	cartero_sysuser_end(pw);
	if (o->remove_mail) {
		args[1] = "-r";
		args[2] = name;
	}
	if (cartero_sysuser_run(args, NULL, why) < 0) {
		msg_warn("%s", buf_str(why));
		goto done;
	}
	msg_info("user %s deleted; %s", name, o->remove_mail ?
	    "its home and mail were removed" : "its home and mail are kept");
	ret = 0;
done:
	buf_free(&why);
	return ret;
}

/*
 * cartero_sysuser_list - fn(name, "system", arg) for the members of
 * mail_users, then the users whose primary group it is: their statuses
 * or'ed
 */
int
cartero_sysuser_list(cartero_user_fn fn, void *arg)
{
	struct passwd *pw;
	struct group *gr;
	char **names;
	gid_t gid;
	int i, n, ret = 0;

	if ((gr = getgrnam(USER_GROUP)) == NULL)
		return 0;
	gid = gr->gr_gid;
	for (n = 0; gr->gr_mem[n] != NULL; n++)
		;
	names = xcalloc((size_t)n + 1, sizeof(*names));
	for (i = 0; i < n; i++) {
		names[i] = xstrdup(gr->gr_mem[i]);
		ret |= fn(names[i], "system", arg);
	}
	setpwent();
	while ((pw = getpwent()) != NULL) {
		if (pw->pw_gid != gid)
			continue;
		for (i = 0; i < n && strcmp(names[i], pw->pw_name) != 0; i++)
			;
		if (i == n)
			ret |= fn(pw->pw_name, "system", arg);
	}
	endpwent();
	strv_free(names, n);
	return ret;
}
