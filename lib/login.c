/*
 * login - the jail of the login sides (pop3d, imapd).
 *
 * Before a login, network input is parsed by a process that runs as
 * mail_owner, owns no mail, and is chrooted to $queue_directory/empty
 * (DESIGN.md, privilege rule 1).  The one thing it needs from outside is
 * the auth service, so the jail holds a hard link to the auth socket at
 * empty/private/auth: the client API connects to
 * $queue_directory/private/auth, and inside the jail the queue directory
 * is "/".
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "login.h"
#include "msg.h"
#include "params.h"
#include "privs.h"

/*
 * login_link_auth - renew the jail's link to the auth socket.  master may
 * have made a new socket since the last start; several processes may
 * start at once, so the link is made under a temporary name and renamed.
 */
static void
login_link_auth(const char *jail, gid_t gid)
{
	struct buf	*src, *dir, *tmp, *dst;
	struct stat	 st;

	src = buf_new(256, 0);
	dir = buf_new(256, 0);
	tmp = buf_new(256, 0);
	dst = buf_new(256, 0);
	buf_setf(src, "%s/private/auth", var_queue_directory);
	buf_setf(dir, "%s/private", jail);
	buf_setf(tmp, "%s/auth.%ld", buf_str(dir), (long)getpid());
	buf_setf(dst, "%s/auth", buf_str(dir));
	if (mkdir(buf_str(dir), 0750) < 0 && errno != EEXIST)
		msg_fatal("mkdir %s: %m", buf_str(dir));
	if (lstat(buf_str(dir), &st) < 0 || !S_ISDIR(st.st_mode))
		msg_fatal("%s: not a directory", buf_str(dir));
	if (chown(buf_str(dir), 0, gid) < 0 || chmod(buf_str(dir), 0750) < 0)
		msg_fatal("chown/chmod %s: %m", buf_str(dir));
	if (lstat(buf_str(src), &st) < 0 || !S_ISSOCK(st.st_mode)) {
		msg_warn("%s: no auth socket (is the auth service in "
		    "master.cf?): logins will fail", buf_str(src));
		goto out;
	}
	(void)unlink(buf_str(tmp));
	if (link(buf_str(src), buf_str(tmp)) < 0 ||
	    rename(buf_str(tmp), buf_str(dst)) < 0) {
		msg_warn("link %s to %s: %m: logins will fail",
		    buf_str(src), buf_str(dst));
		(void)unlink(buf_str(tmp));
	}
out:
	buf_free(&src);
	buf_free(&dir);
	buf_free(&tmp);
	buf_free(&dst);
}

/* login_jail - chroot to the empty jail and become mail_owner */
void
login_jail(const char *prog)
{
	struct buf	*why, *jail;
	struct stat	 st;
	uid_t		 uid;
	gid_t		 gid;

	tzset();	/* the jail has no /etc/localtime */
	if (!privs_is_root()) {
		privs_drop(var_mail_owner);	/* warns, once */
		return;
	}
	why = buf_new(256, 4096);
	if (privs_lookup(var_mail_owner, &uid, &gid, why) < 0)
		msg_fatal("mail_owner: %s", buf_str(why));
	if (uid == 0)
		msg_fatal("mail_owner %s is root: refusing to run %s as root",
		    var_mail_owner, prog);
	jail = buf_new(256, 0);
	buf_setf(jail, "%s/%s", var_queue_directory, LOGIN_JAIL);
	if (mkdir(buf_str(jail), 0755) < 0 && errno != EEXIST)
		msg_fatal("mkdir %s: %m", buf_str(jail));
	if (lstat(buf_str(jail), &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != 0)
		msg_fatal("%s: not a directory owned by root", buf_str(jail));
	login_link_auth(buf_str(jail), gid);
	if (privs_chroot(buf_str(jail), why) < 0)
		msg_fatal("%s", buf_str(why));
	/* Seen from inside, the queue directory is the jail's root. */
	var_queue_directory = "";
	if (privs_set(uid, gid, why) < 0)
		msg_fatal("drop privileges to %s: %s", var_mail_owner,
		    buf_str(why));
	buf_free(&jail);
	buf_free(&why);
}
