/*
 * maildir - delivery into a Maildir (DJB's format, Maildir++ folders).
 *
 * A delivery is a success only once the message is durable under new/:
 * the file is written in tmp/ (created with O_EXCL|O_NOFOLLOW, so a name
 * planted there, symlink or not, is never written through), fsync'd,
 * linked into new/, and new/ itself is fsync'd.  The tmp/ name is then
 * removed; a crash before that leaves a stray file in tmp/ that readers
 * ignore and clean, never a lost or half message in new/.  Several
 * messages for one Maildir can share the sync of new/ (a batch): the disk's
 * sync rate is what limits delivery, and this halves the syncs of a busy
 * mailbox.
 *
 * Names are "SECONDS.M<usec>P<pid>Q<count>.HOST" (DJB's modern form; the
 * counter makes two deliveries of one process in one microsecond
 * distinct), and in new/ they carry ",S=<bytes>" as Dovecot writes it, so
 * that quota sums and POP3/IMAP sizes need no stat().
 *
 * Temporary or permanent?  Like Postfix, almost every failure is
 * temporary: the queue retries and, after maximal_queue_lifetime, returns
 * the message anyway, so an administrator's mistake (permissions, a full
 * disk, an unmounted file system, a quota) costs a delay, not the mail.
 * Permanent are only the errors that no retry of this message can cure:
 * the message is too big for the file system (EFBIG), the path is too
 * long (ENAMETOOLONG), or the mailbox path is structurally broken by its
 * owner (a symlink loop, ELOOP, or a file where a directory must be,
 * ENOTDIR).  EACCES stays temporary: it is the typical result of a wrong
 * chown that the administrator fixes within the queue lifetime.
 *
 * The code runs as the mailbox owner (local switched uid before calling),
 * so nothing here needs to distrust the Maildir's own directories; what it
 * distrusts is the content of tmp/ and new/.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fsyncs.h"
#include "maildir.h"
#include "msg.h"
#include "util.h"

#define MAILDIR_COPY_CHUNK	(256 * 1024)	/* pread/write size */
#define MAILDIR_NAME_TRIES	20		/* new names after EEXIST */
#define MAILDIR_MODE		0700

/* The folders a new Maildir gets, as the seed's maildirmake steps make. */
static const char *const maildir_folders[] = {
	".Drafts", ".Sent", ".Trash", ".Junk", ".Templates", NULL
};

void	(*maildir_tmp_hook)(const char *);

/* maildir_errno_temp - is this errno worth a retry? (see the top comment) */
static int
maildir_errno_temp(int err)
{
	switch (err) {
	case EFBIG:
	case ENAMETOOLONG:
	case ELOOP:
	case ENOTDIR:
		return 0;
	default:
		return 1;
	}
}

/* maildir_fail - set why and *temp from errno; returns -1 */
static int
maildir_fail(struct buf *why, int *temp, int err, const char *what,
    const char *path)
{
	buf_setf(why, "%s %s: %s", what, path, strerror(err));
	if (temp != NULL)
		*temp = maildir_errno_temp(err);
	errno = err;
	return -1;
}

/* maildir_mkdir - one directory, mode 0700; an existing one is fine */
static int
maildir_mkdir(const char *path, struct buf *why)
{
	struct stat st;

	if (mkdir(path, MAILDIR_MODE) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	return maildir_fail(why, NULL, errno, "create directory", path);
}

/* maildir_mkparents - create the missing parents of path, mode 0700 */
static int
maildir_mkparents(const char *path, struct buf *why)
{
	struct buf *dir = buf_new(256, 0);
	struct stat st;
	const char *p;
	int r = 0;

	for (p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		if (p[1] == '\0' || p[1] == '/')
			continue;
		buf_reset(dir);
		buf_append(dir, path, (size_t)(p - path));
		if (stat(buf_str(dir), &st) == 0 && S_ISDIR(st.st_mode))
			continue;
		if ((r = maildir_mkdir(buf_str(dir), why)) < 0)
			break;
	}
	buf_free(&dir);
	return r;
}

/* maildir_make_one - path/{tmp,new,cur}; a folder also gets maildirfolder */
static int
maildir_make_one(const char *path, int folder, struct buf *why)
{
	static const char *const sub[] = { "tmp", "new", "cur", NULL };
	struct buf *p = buf_new(256, 0);
	int i, fd, r = -1;

	if (maildir_mkdir(path, why) < 0)
		goto out;
	for (i = 0; sub[i] != NULL; i++) {
		buf_setf(p, "%s/%s", path, sub[i]);
		if (maildir_mkdir(buf_str(p), why) < 0)
			goto out;
	}
	if (folder) {
		buf_setf(p, "%s/maildirfolder", path);
		fd = open(buf_str(p), O_CREAT | O_WRONLY | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd < 0) {
			maildir_fail(why, NULL, errno, "create", buf_str(p));
			goto out;
		}
		close(fd);
	}
	r = 0;
out:
	buf_free(&p);
	return r;
}

/*
 * maildir_make - create a Maildir, its missing parents, and (with_folders)
 * the Maildir++ folders, all mode 0700, as the current user.  Existing
 * parts are left as they are.
 */
int
maildir_make(const char *path, int with_folders, struct buf *why)
{
	struct buf *p;
	int i, r = 0;
	size_t len = strlen(path);

	if (len == 0) {
		buf_setf(why, "empty Maildir path");
		errno = EINVAL;
		return -1;
	}
	p = buf_new(256, 0);
	buf_puts(p, path);
	while (buf_len(p) > 1 && p->data[buf_len(p) - 1] == '/')
		buf_truncate(p, buf_len(p) - 1);
	if (maildir_mkparents(buf_str(p), why) < 0 ||
	    maildir_make_one(buf_str(p), 0, why) < 0) {
		buf_free(&p);
		return -1;
	}
	len = buf_len(p);
	for (i = 0; with_folders && maildir_folders[i] != NULL; i++) {
		buf_truncate(p, len);
		buf_appendf(p, "/%s", maildir_folders[i]);
		if ((r = maildir_make_one(buf_str(p), 1, why)) < 0)
			break;
	}
	buf_free(&p);
	return r;
}

/*
 * maildir_folder_ok - may name be a Maildir++ folder that mail is filed
 * into ("Junk")?  Letters, digits, '-' and '_', at most 64: nothing that
 * walks out of the Maildir or into a subfolder.
 */
int
maildir_folder_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= 64 && strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

/*
 * maildir_make_folder - the Maildir++ folder name of the Maildir at path
 * (made when missing, with its maildirfolder file); its path into out
 */
int
maildir_make_folder(const char *path, const char *name, struct buf *out,
    struct buf *why)
{
	struct stat st;

	if (!maildir_folder_ok(name)) {
		buf_setf(why, "bad folder name");
		errno = EINVAL;
		return -1;
	}
	buf_setf(out, "%s%s.%s", path, *path != '\0' &&
	    path[strlen(path) - 1] == '/' ? "" : "/", name);
	if (lstat(buf_str(out), &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return maildir_make_one(buf_str(out), 1, why);
}

/* maildir_host - this host's name with '/' and ':' escaped, as DJB says */
static const char *
maildir_host(void)
{
	static char host[256];
	const char *h;
	size_t n = 0;

	if (host[0] != '\0')
		return host;
	for (h = my_hostname(); *h && n + 5 < sizeof(host); h++) {
		if (*h == '/' || *h == ':') {
			snprintf(host + n, sizeof(host) - n, "\\%03o",
			    (unsigned char)*h);
			n += 4;
		} else
			host[n++] = *h;
	}
	host[n] = '\0';
	return host;
}

/* maildir_unique - a fresh base name: SECONDS.M<usec>P<pid>Q<count>.HOST */
static void
maildir_unique(struct buf *name)
{
	static unsigned long count;
	struct timeval tv;

	gettimeofday(&tv, NULL);
	buf_setf(name, "%lld.M%ldP%ldQ%lu.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++count, maildir_host());
}

/* maildir_copy - write prefix, then len bytes of fd from offset, to out */
static int
maildir_copy(int out, const char *prefix, int fd, off_t offset, off_t len,
    const char *path, struct buf *why, int *temp)
{
	static char *chunk;
	size_t want;
	ssize_t n;

	if (prefix != NULL && *prefix != '\0' &&
	    write_full(out, prefix, strlen(prefix)) < 0)
		return maildir_fail(why, temp, errno, "write", path);
	if (chunk == NULL)
		chunk = xmalloc(MAILDIR_COPY_CHUNK);
	while (len > 0) {
		want = len > MAILDIR_COPY_CHUNK ? MAILDIR_COPY_CHUNK :
		    (size_t)len;
		do
			n = pread(fd, chunk, want, offset);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			buf_setf(why, "read queue file: %s", strerror(errno));
			*temp = 1;
			return -1;
		}
		if (n == 0) {
			/* The queue file is shorter than its S record. */
			buf_setf(why, "read queue file: premature end of "
			    "message (%lld bytes missing)", (long long)len);
			*temp = 1;
			errno = EIO;
			return -1;
		}
		if (write_full(out, chunk, (size_t)n) < 0)
			return maildir_fail(why, temp, errno, "write", path);
		offset += n;
		len -= n;
	}
	return 0;
}

/* The state of one message of a batch on its way to new/. */
struct maildir_item {
	struct buf	*tmp;		/* its tmp/ path */
	struct buf	*new;		/* its new/ path */
	int		 out;		/* the tmp/ file while it is open */
	int		 linked;	/* it is in new/, waiting for the sync */
};

/* maildir_item_fail - a message failed: say why, take its tmp/ file back */
static void
maildir_item_fail(struct maildir_msg *m, struct maildir_item *it, int err,
    const char *what, const char *path)
{
	if (what != NULL)
		maildir_fail(m->why, &m->temp, err, what, path);
	m->status = -1;
	m->err = err;
	fd_close(&it->out);
	(void)unlink(buf_str(it->tmp));
}

/* maildir_write_one - create a message's tmp/ file and write it: 0 or -1 */
static int
maildir_write_one(const char *path, struct maildir_msg *m,
    struct maildir_item *it, struct buf *name)
{
	long long size;
	int tries;

	size = (long long)m->len;
	if (m->prefix != NULL)
		size += (long long)strlen(m->prefix);
	for (tries = 0; tries < MAILDIR_NAME_TRIES; tries++) {
		maildir_unique(name);
		buf_setf(it->tmp, "%s/tmp/%s", path, buf_str(name));
		if (maildir_tmp_hook != NULL)
			maildir_tmp_hook(buf_str(it->tmp));
		it->out = open(buf_str(it->tmp), O_CREAT | O_EXCL | O_WRONLY |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (it->out >= 0 || errno != EEXIST)
			break;
		msg_warn("%s exists: trying another name", buf_str(it->tmp));
	}
	if (it->out < 0) {
		/* Not ours to unlink: the name may be someone else's. */
		maildir_fail(m->why, &m->temp, errno, "create",
		    buf_str(it->tmp));
		m->err = errno;
		return -1;
	}
	buf_setf(it->new, "%s/new/%s,S=%lld", path, buf_str(name), size);
	if (maildir_copy(it->out, m->prefix, m->fd, m->offset, m->len,
	    buf_str(it->tmp), m->why, &m->temp) < 0) {
		maildir_item_fail(m, it, errno, NULL, NULL);
		return -1;
	}
	/*
	 * No early write-back here (sync_file_range): the fdatasyncs of
	 * the batch run at the same time anyway (fsyncs), and they alone
	 * make the files durable.
	 */
	return 0;
}

/*
 * maildir_deliver_batch - deliver n messages into the Maildir at path.
 * Each file is written in tmp/ and fdatasync'd (all files of the batch at
 * the same time), then linked into new/;
 * one fsync of new/ then makes every link durable (group commit: the
 * no-loss rule holds for each message, and a batch of n costs n file
 * syncs plus ONE directory sync instead of n).  A message succeeds only
 * if new/ was synced after its link; a failed sync of new/ takes every
 * link of the batch back (a retry must not make duplicates).
 */
void
maildir_deliver_batch(const char *path, struct maildir_msg *msgs, int n)
{
	struct maildir_item *items = xcalloc((size_t)n, sizeof(*items));
	struct maildir_item *it;
	struct maildir_msg *m;
	struct buf *name = buf_new(128, 0), *dir = buf_new(256, 0);
	int *fds = xcalloc((size_t)n, sizeof(int));
	int *data_only = xcalloc((size_t)n, sizeof(int));
	int *errs = xcalloc((size_t)n, sizeof(int));
	int i, k, nfd, linked = 0, err;

	for (i = 0; i < n; i++) {
		m = &msgs[i];
		it = &items[i];
		m->status = -1;
		m->temp = 1;
		m->err = 0;
		it->out = -1;
		it->tmp = buf_new(256, 0);
		it->new = buf_new(256, 0);
		(void)maildir_write_one(path, m, it, name);
	}
	/* Every file's sync at once (see fsyncs.c), then the links. */
	for (i = 0, nfd = 0; i < n; i++)
		if (items[i].out >= 0) {
			data_only[nfd] = 1;
			fds[nfd++] = items[i].out;
		}
	(void)fsyncs(nfd, fds, data_only, errs);
	for (i = 0, k = 0; i < n; i++) {
		it = &items[i];
		if (it->out < 0)
			continue;
		if ((err = errs[k++]) != 0) {
			maildir_item_fail(&msgs[i], it, err, "fsync",
			    buf_str(it->tmp));
			continue;
		}
		err = close(it->out);
		it->out = -1;
		if (err < 0)
			maildir_item_fail(&msgs[i], it, errno, "close",
			    buf_str(it->tmp));
		else
			it->linked = 1;		/* synced: link it below */
	}
	for (i = 0; i < n; i++) {
		it = &items[i];
		if (!it->linked)
			continue;
		if (link(buf_str(it->tmp), buf_str(it->new)) == 0)
			(void)unlink(buf_str(it->tmp));
		else if ((errno == EPERM || errno == ENOTSUP ||
		    errno == EXDEV || errno == EMLINK) &&
		    rename(buf_str(it->tmp), buf_str(it->new)) == 0)
			;	/* a file system without hard links */
		else {
			it->linked = 0;
			maildir_item_fail(&msgs[i], it, errno, "link into",
			    buf_str(it->new));
			continue;
		}
		linked++;
	}
	if (linked > 0) {
		buf_setf(dir, "%s/new", path);
		err = fsync_dirname(buf_str(dir)) < 0 ? errno : 0;
		for (i = 0; i < n; i++) {
			if (!items[i].linked)
				continue;
			if (err == 0) {
				msgs[i].status = 0;
				continue;
			}
			/*
			 * In new/ but maybe not on disk: call it a failure
			 * and take it back, or the retry makes a duplicate.
			 */
			(void)unlink(buf_str(items[i].new));
			maildir_fail(msgs[i].why, &msgs[i].temp, err, "fsync",
			    buf_str(dir));
			msgs[i].err = err;
		}
	}
	for (i = 0; i < n; i++) {
		fd_close(&items[i].out);
		buf_free(&items[i].tmp);
		buf_free(&items[i].new);
	}
	free(items);
	free(fds);
	free(data_only);
	free(errs);
	buf_free(&name);
	buf_free(&dir);
}

/*
 * maildir_deliver - deliver prefix + len bytes of fd at offset into the
 * Maildir at path.  0 when the message is durable in new/; -1 with why,
 * *temp and errno otherwise.
 */
int
maildir_deliver(const char *path, const char *prefix, int fd, off_t offset,
    off_t len, struct buf *why, int *temp)
{
	struct maildir_msg m;

	memset(&m, 0, sizeof(m));
	m.prefix = prefix;
	m.fd = fd;
	m.offset = offset;
	m.len = len;
	m.why = why;
	maildir_deliver_batch(path, &m, 1);
	*temp = m.temp;
	errno = m.err;
	return m.status;
}

/* maildir_name_size - the ",S=" size in a file name, or -1 */
static long long
maildir_name_size(const char *name)
{
	const char *s = strstr(name, ",S=");
	long long v = 0;

	if (s == NULL)
		return -1;
	for (s += 3; *s >= '0' && *s <= '9'; s++) {
		if (v > 0x7fffffffffffLL)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return (*s == '\0' || *s == ',' || *s == ':') ? v : -1;
}

/*
 * maildir_file_size - the size a quota counts for a message file in the
 * directory dfd: its name's ",S=", else the file's size; -1 when it is
 * neither (gone, not a regular file)
 */
long long
maildir_file_size(int dfd, const char *name)
{
	struct stat st;
	long long s;

	if ((s = maildir_name_size(name)) >= 0)
		return s;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return -1;
	return (long long)st.st_size;
}

/*
 * maildir_sum_dir - bytes of the messages in one new/ or cur/ directory;
 * their number is added to *count
 */
static long long
maildir_sum_dir(const char *path, long long *count)
{
	struct dirent *de;
	long long sum = 0, s;
	DIR *d;

	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((s = maildir_file_size(dirfd(d), de->d_name)) < 0)
			continue;
		sum += s;
		(*count)++;
	}
	closedir(d);
	return sum;
}

/*
 * maildir_count - bytes in new/ and cur/ of a Maildir and its Maildir++
 * folders, and the number of messages in *count (what a quota counts:
 * maildir_file_size).  A missing Maildir uses nothing; one that cannot
 * be read gives -1 (with errno).
 */
long long
maildir_count(const char *path, long long *count)
{
	struct buf *p = buf_new(256, 0);
	struct dirent *de;
	long long sum = 0;
	DIR *d;

	*count = 0;
	if ((d = opendir(path)) == NULL) {
		buf_free(&p);
		return errno == ENOENT ? 0 : -1;
	}
	buf_setf(p, "%s/new", path);
	sum += maildir_sum_dir(buf_str(p), count);
	buf_setf(p, "%s/cur", path);
	sum += maildir_sum_dir(buf_str(p), count);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		buf_setf(p, "%s/%s/new", path, de->d_name);
		sum += maildir_sum_dir(buf_str(p), count);
		buf_setf(p, "%s/%s/cur", path, de->d_name);
		sum += maildir_sum_dir(buf_str(p), count);
	}
	closedir(d);
	buf_free(&p);
	return sum;
}
