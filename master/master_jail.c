/*
 * master_jail - the files a service chrooted to the queue directory (smtpd,
 * master.cf chroot column y) reads from /etc, copied into
 * $queue_directory/etc, as Debian's postfix does: the time zone, the
 * resolver's files (hosts, resolv.conf, nsswitch.conf, host.conf,
 * services), and the users and groups (getpwnam of a recipient, of
 * virtual_mail_owner), with any password field replaced by "x" on the way.
 *
 * master copies them at start and at reload, and again whenever one
 * changes (it looks once a second, with the user table, master.c):
 * glibc rereads these files itself, so a new system user or resolver is
 * seen inside the chroot within about a second, without a restart.  A
 * file missing on the host is removed from the copy.  Only as root: no
 * process chroots without it.
 *
 * Distrusts: nothing; the sources are root's.  Copies are written
 * atomically (temporary file, rename), mode 0644, owned by root.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "params.h"
#include "userdb.h"
#include "util.h"
#include "master.h"

#define MASTER_JAIL_FILE_MAX	(16 * 1024 * 1024)

/* The files: name under /etc, passwd-like (password field to "x")? */
static const struct {
	const char	*name;
	int		 strip;
} master_jail_names[] = {
	{ "localtime", 0 },
	{ "hosts", 0 },
	{ "resolv.conf", 0 },
	{ "nsswitch.conf", 0 },
	{ "host.conf", 0 },
	{ "services", 0 },
	{ "passwd", 1 },
	{ "group", 1 },
};
#define MASTER_JAIL_NFILES \
	(sizeof(master_jail_names) / sizeof(master_jail_names[0]))

/* What we copied last. */
struct master_jail_file {
	const char	*name;
	int		 strip;
	struct stat	 st;		/* of the source when copied */
	int		 have;		/* copied (0: not, or missing) */
};
static struct master_jail_file master_jail_files[MASTER_JAIL_NFILES];

/* master_jail_read - a whole file, any bytes; NULL with why */
static struct buf *
master_jail_read(const char *path, struct buf *why)
{
	struct buf *b = buf_new(8192, MASTER_JAIL_FILE_MAX);
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		buf_setf(why, "open %s: %s", path, strerror(errno));
		buf_free(&b);
		return NULL;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (buf_append(b, chunk, (size_t)n),
		    buf_overflowed(b))) {
			buf_setf(why, "read %s: %s", path, n < 0 ?
			    strerror(errno) : "too large");
			close(fd);
			buf_free(&b);
			return NULL;
		}
	}
	close(fd);
	return b;
}

/* master_jail_one - bring one copy up to date: 0, or -1 with why */
static int
master_jail_one(struct master_jail_file *f, int force, struct buf *why)
{
	struct buf *src = buf_new(64, 256), *dst = buf_new(256, 4096);
	struct buf *text = NULL, *out;
	struct stat st;
	int r = -1;

	buf_setf(src, "/etc/%s", f->name);
	buf_setf(dst, "%s/etc/%s", var_queue_directory, f->name);
	if (stat(buf_str(src), &st) < 0) {
		if (f->have || force)
			(void)unlink(buf_str(dst));
		f->have = 0;
		r = 0;
		goto out;
	}
	if (!force && f->have && st.st_ino == f->st.st_ino &&
	    st.st_dev == f->st.st_dev && st.st_size == f->st.st_size &&
	    st.st_mtim.tv_sec == f->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == f->st.st_mtim.tv_nsec) {
		r = 0;
		goto out;
	}
	if ((text = master_jail_read(buf_str(src), why)) == NULL)
		goto out;
	if (f->strip) {
		out = buf_new(4096, 0);
		userdb_strip(text, out);
		buf_free(&text);
		text = out;
	}
	if (file_replace(buf_str(dst), text, 0644, 0, 0, why) < 0)
		goto out;
	f->st = st;
	f->have = 1;
	r = 0;
out:
	buf_free(&text);
	buf_free(&src);
	buf_free(&dst);
	return r;
}

/*
 * master_jail_update - copy what changed (everything, with force) into
 * $queue_directory/etc.  0, or -1 with why (the other files are still
 * done).
 */
int
master_jail_update(int force, struct buf *why)
{
	size_t i;
	int r = 0;

	if (!master_root)
		return 0;
	for (i = 0; i < MASTER_JAIL_NFILES; i++) {
		master_jail_files[i].name = master_jail_names[i].name;
		master_jail_files[i].strip = master_jail_names[i].strip;
		if (master_jail_one(&master_jail_files[i], force, why) < 0)
			r = -1;
	}
	return r;
}
