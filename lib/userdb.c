/*
 * userdb - the user table: virtual_passwd_file without its secrets, for
 * the processes that must know whether a virtual user exists and where
 * its mailbox is (smtpd at RCPT, qmgr, local) but must never see a
 * password hash (DESIGN.md, rule 6; Dovecot's userdb beside its passdb).
 *
 * The admin edits ONE file, the passwd file (0600 root: only auth reads
 * it).  A root process derives the table from it, $queue_directory/etc/
 * users (0640 root:mail_owner's group), each line as in the passwd file
 * with the hash field replaced by "x"; comments, empty lines and lines
 * that the readers would skip as too long are left out.  The table is
 * written atomically (temporary file, rename), so a reader sees the old
 * table or the new one.  Who derives it:
 *	master, at start, at reload, and whenever it sees the passwd file
 *	change (it looks once a second): a hand edit reaches smtpd within
 *	about a second;
 *	"cartero user" after each change it makes: at once.
 * Inside smtpd's chroot (the queue directory) the table is /etc/users.
 *
 * Distrusts: nothing it reads is interpreted beyond the first two ':'
 * fields; the file's owner decides who could write it.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "userdb.h"
#include "util.h"

#define USERDB_FILE_MAX	(64 * 1024 * 1024)	/* a passwd file */

/* The passwd file the table was last made from. */
static struct stat userdb_src;
static int userdb_have_src;

/* userdb_path - where the table is: $queue_directory/etc/users */
const char *
userdb_path(struct buf *out)
{
	buf_setf(out, "%s/%s", var_queue_directory ? var_queue_directory : "",
	    USERDB_NAME);
	return buf_str(out);
}

/*
 * userdb_strip - a passwd-shaped text without its secrets: the second
 * field of each line replaced by "x", comments and empty lines dropped
 * (also used for the copies of /etc/passwd and /etc/group in smtpd's
 * chroot, master_jail.c).
 */
void
userdb_strip(const struct buf *in, struct buf *out)
{
	const char *p = buf_str(in), *end = p + buf_len(in), *nl, *c1, *c2;
	const char *s;
	size_t len;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		for (s = p; s < p + len && (*s == ' ' || *s == '\t'); s++)
			;
		/* The readers skip these: so does the table. */
		if (s == p + len || *s == '#' || len + 1 >= USERDB_LINE_MAX)
			continue;
		if ((c1 = memchr(p, ':', len)) == NULL) {
			buf_append(out, p, len);	/* a bare name */
			buf_putc(out, '\n');
			continue;
		}
		buf_append(out, p, (size_t)(c1 - p));
		buf_puts(out, ":x");
		c2 = memchr(c1 + 1, ':', (size_t)(p + len - c1 - 1));
		if (c2 != NULL)
			buf_append(out, c2, (size_t)(p + len - c2));
		buf_putc(out, '\n');
	}
}

/*
 * userdb_update - make the table match the passwd file: 1 written, 0 it
 * was current, -1 (why; the old table stays).  Without force, a passwd
 * file that has not changed (inode, size, mtime) since the last call is
 * not read.  A missing passwd file, or none configured, makes an empty
 * table: no virtual users.
 */
int
userdb_update(int force, struct buf *why)
{
	const char *src = var_virtual_passwd_file ? var_virtual_passwd_file :
	    "";
	struct buf *path = buf_new(256, 4096), *text = NULL, *out;
	struct stat st, tst;
	uid_t uid = (uid_t)-1, ouid;
	gid_t gid = 0;
	int r = -1, have = 0;

	userdb_path(path);
	if (*src != '\0') {
		if (stat(src, &st) == 0)
			have = 1;
		else if (errno != ENOENT) {
			buf_setf(why, "virtual_passwd_file %s: %s", src,
			    strerror(errno));
			goto out;
		}
	}
	if (!force && stat(buf_str(path), &tst) == 0 &&
	    have == userdb_have_src && (!have ||
	    (st.st_ino == userdb_src.st_ino &&
	    st.st_dev == userdb_src.st_dev &&
	    st.st_size == userdb_src.st_size &&
	    st.st_mtim.tv_sec == userdb_src.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == userdb_src.st_mtim.tv_nsec))) {
		r = 0;
		goto out;
	}
	if (have && (text = file_slurp(src, USERDB_FILE_MAX, why)) == NULL)
		goto out;
	out = buf_new(4096, 0);
	if (text != NULL)
		userdb_strip(text, out);
	if (privs_is_root()) {
		uid = 0;
		if (privs_lookup(var_mail_owner, &ouid, &gid, why) < 0) {
			buf_free(&out);
			goto out;
		}
	}
	if (file_replace(buf_str(path), out, 0640, uid, gid, why) == 0) {
		userdb_have_src = have;
		if (have)
			userdb_src = st;
		r = 1;
		if (have && (st.st_mode & 077) != 0 && privs_is_root())
			msg_warn("%s is mode %04o: only auth (root) needs to "
			    "read it; chmod 0600 %s", src,
			    (unsigned)(st.st_mode & 07777), src);
	}
	buf_free(&out);
out:
	if (text != NULL) {
		explicit_bzero(text->data, buf_len(text));
		buf_free(&text);
	}
	buf_free(&path);
	return r;
}
