/*
 * privs - privilege changes: looking up the user to run as, changing to it
 * for good, chroot.
 *
 * Started as root, a program calls privs_drop() once, after it has opened
 * what needs root; the change is permanent (setgroups, setgid, setuid, and a
 * check that root cannot be regained).  Without root, in a developer's
 * sandbox, the drops are skipped with one warning per process: everything
 * then runs as the invoking user.
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dec.h"
#include "msg.h"
#include "privs.h"

static int privs_warned;	/* the "not root" warning was given */

/* privs_is_root - are we running with root's effective uid? */
int
privs_is_root(void)
{
	return geteuid() == 0;
}

/* privs_number - parse a decimal id; -1 if not one */
static long long
privs_number(const char *s)
{
	unsigned long long n;

	if (dec_parse(s, strlen(s), 0x7fffffffULL, &n) < 0)
		return -1;
	return (long long)n;
}

/*
 * privs_lookup - find the uid and gid of a user given by name or as "#uid"
 * (a numeric uid without a passwd entry takes a gid of the same number).
 */
int
privs_lookup(const char *name, uid_t *uid, gid_t *gid, struct buf *why)
{
	struct passwd	*pw;
	long long	 n;

	if (name == NULL || *name == '\0') {
		buf_setf(why, "empty user name");
		return -1;
	}
	if (*name == '#') {
		if ((n = privs_number(name + 1)) < 0) {
			buf_setf(why, "bad numeric user id \"%s\"", name);
			return -1;
		}
		*uid = (uid_t)n;
		if ((pw = getpwuid(*uid)) != NULL)
			*gid = pw->pw_gid;
		else
			*gid = (gid_t)n;
		return 0;
	}
	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			buf_setf(why, "look up user %s: %s", name,
			    strerror(errno));
		else
			buf_setf(why, "unknown user %s: create it or set "
			    "another user", name);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* privs_set - change to uid and gid for good (needs root) */
int
privs_set(uid_t uid, gid_t gid, struct buf *why)
{
	if (setgroups(1, &gid) < 0) {
		buf_setf(why, "setgroups %ld: %s", (long)gid, strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) < 0) {
		buf_setf(why, "setgid %ld: %s", (long)gid, strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) < 0) {
		buf_setf(why, "setuid %ld: %s", (long)uid, strerror(errno));
		return -1;
	}
	/* A drop that could be undone is no drop at all. */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		buf_setf(why, "setuid %ld: root privileges could be regained",
		    (long)uid);
		return -1;
	}
	return 0;
}

/* privs_not_root - say once per process that a drop was skipped */
static void
privs_not_root(const char *what)
{
	if (privs_warned)
		return;
	privs_warned = 1;
	msg_warn("not running as root: %s skipped, running as uid %ld",
	    what, (long)geteuid());
}

/* privs_drop - become user name (mail_owner) for good; fatal on failure */
void
privs_drop(const char *name)
{
	struct buf	*why;
	uid_t		 uid;
	gid_t		 gid;

	if (!privs_is_root()) {
		privs_not_root("privilege drop");
		return;
	}
	why = buf_new(128, 1024);
	if (privs_lookup(name, &uid, &gid, why) < 0)
		msg_fatal("mail_owner: %s", buf_str(why));
	if (privs_set(uid, gid, why) < 0)
		msg_fatal("drop privileges to %s: %s", name, buf_str(why));
	buf_free(&why);
	if (msg_verbose)
		msg_debug("running as %s (uid %ld, gid %ld)", name,
		    (long)uid, (long)gid);
}

/* privs_chroot - confine the process to dir (skipped without root) */
int
privs_chroot(const char *dir, struct buf *why)
{
	if (!privs_is_root()) {
		privs_not_root("chroot");
		return 0;
	}
	if (chdir(dir) < 0) {
		buf_setf(why, "chdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (chroot(dir) < 0) {
		buf_setf(why, "chroot %s: %s", dir, strerror(errno));
		return -1;
	}
	if (chdir("/") < 0) {
		buf_setf(why, "chdir / in %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}
