/*
 * mailbox_list - the folders of a Maildir (Maildir++): IMAP names to
 * directories, listing, CREATE, DELETE, RENAME and subscriptions.
 *
 * INBOX is the Maildir itself; any other folder "A.B" is the directory
 * Maildir/.A.B, named in modified UTF-7 exactly as IMAP sends it (as
 * Dovecot and Courier store it), with "." as the hierarchy separator.
 * The name is the one thing here that comes from the network, so it is
 * checked before it touches a path: canonical modified UTF-7 (no control
 * characters, one spelling per name), no '/' or '\', no empty component
 * (which rules out "..", a leading or trailing '.', and ".." inside), not
 * below INBOX, bounded length.  A valid name therefore always maps to a
 * single directory entry directly inside the Maildir.
 *
 * A folder is made under a temporary name and renamed into place, so no
 * half-made folder is ever listed; a deleted one is first renamed out of
 * the way ("..deleted.*", which is no folder name) and then removed
 * without following symlinks.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "mailbox.h"
#include "maildir.h"
#include "maildirsize.h"
#include "msg.h"
#include "mutf7.h"
#include "util.h"

#define LIST_DIR_MODE		0700
#define LIST_REMOVE_DEPTH	4	/* folder/cur/file; deeper: not ours */
#define LIST_SUBS_MAX		(1024 * 1024)

/* mailbox_list_canon - "INBOX" in any case is INBOX */
const char *
mailbox_list_canon(const char *name)
{
	return strcasecmp(name, "INBOX") == 0 ? "INBOX" : name;
}

/* mailbox_list_valid - may this name be a folder below the Maildir? */
static int
mailbox_list_valid(const char *name, struct buf *why)
{
	const char *p;

	if (*name == '\0') {
		buf_setf(why, "Empty mailbox name");
		return 0;
	}
	if (strlen(name) > MAILBOX_NAME_MAX) {
		buf_setf(why, "Mailbox name too long");
		return 0;
	}
	if (strncasecmp(name, "INBOX.", 6) == 0) {
		buf_setf(why, "INBOX cannot have children here: use "
		    "top-level names");
		return 0;
	}
	for (p = name; *p != '\0'; p++)
		if (*p == '/' || *p == '\\' || (*p == '~' && p == name)) {
			buf_setf(why, "Mailbox names may not contain '/' or "
			    "'\\' or start with '~'");
			return 0;
		}
	if (name[0] == '.' || name[strlen(name) - 1] == '.' ||
	    strstr(name, "..") != NULL) {
		buf_setf(why, "Mailbox name has an empty hierarchy level");
		return 0;
	}
	if (!mutf7_valid(name)) {
		buf_setf(why, "Mailbox name is not valid modified UTF-7");
		return 0;
	}
	return 1;
}

/* mailbox_list_path - the directory of a folder name (see mailbox.h) */
int
mailbox_list_path(const char *maildir, const char *name, struct buf *path,
    struct buf *why)
{
	size_t len = strlen(maildir);

	while (len > 1 && maildir[len - 1] == '/')
		len--;
	buf_reset(path);
	buf_append(path, maildir, len);
	if (strcmp(mailbox_list_canon(name), "INBOX") == 0)
		return 0;
	if (!mailbox_list_valid(name, why))
		return -1;
	buf_appendf(path, "/.%s", name);
	return 0;
}

/* mailbox_list_isdir - is dir/name a directory (not a symlink)? */
static int
mailbox_list_isdir(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode);
}

/* mailbox_list_entry_cmp - INBOX first, then by name */
static int
mailbox_list_entry_cmp(const void *a, const void *b)
{
	const struct mailbox_list_entry *x = a, *y = b;
	int xi = strcmp(x->name, "INBOX") == 0, yi = strcmp(y->name,
	    "INBOX") == 0;

	if (xi != yi)
		return yi - xi;
	return strcmp(x->name, y->name);
}

/* mailbox_list_push - one more entry */
static void
mailbox_list_push(struct mailbox_list_entry **v, int *n, int *size,
    const char *name, size_t len, int exists)
{
	if (*n == *size) {
		*size = *size ? *size * 2 : 32;
		*v = xrealloc(*v, (size_t)*size * sizeof(**v));
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].name = xstrndup(name, len);
	(*v)[*n].exists = exists;
	(*n)++;
}

/* mailbox_list_scan - every folder of a Maildir (see mailbox.h) */
int
mailbox_list_scan(const char *maildir, struct mailbox_list_entry **vp,
    int *np, struct buf *why)
{
	struct mailbox_list_entry *v = NULL;
	struct dirent	*de;
	struct buf	*tmp = buf_new(64, 0);
	DIR		*d;
	const char	*dot;
	int		 n = 0, size = 0, i, j, dfd;

	*vp = NULL;
	*np = 0;
	if ((d = opendir(maildir)) == NULL) {
		buf_setf(why, "open %s: %s", maildir, strerror(errno));
		buf_free(&tmp);
		return -1;
	}
	dfd = dirfd(d);
	mailbox_list_push(&v, &n, &size, "INBOX", 5, 1);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || de->d_name[1] == '.' ||
		    de->d_name[1] == '\0')
			continue;
		if (!mailbox_list_valid(de->d_name + 1, tmp) ||
		    !mailbox_list_isdir(dfd, de->d_name))
			continue;
		mailbox_list_push(&v, &n, &size, de->d_name + 1,
		    strlen(de->d_name + 1), 1);
	}
	closedir(d);
	/* Parents that exist only as a prefix of their children. */
	qsort(v, (size_t)n, sizeof(*v), mailbox_list_entry_cmp);
	for (i = 0, j = n; i < j; i++) {
		int k, found;

		for (dot = strchr(v[i].name, '.'); dot != NULL;
		    dot = strchr(dot + 1, '.')) {
			size_t len = (size_t)(dot - v[i].name);

			found = 0;
			for (k = 0; k < n && !found; k++)
				if (strlen(v[k].name) == len &&
				    strncmp(v[k].name, v[i].name, len) == 0)
					found = 1;
			if (!found)
				mailbox_list_push(&v, &n, &size, v[i].name,
				    len, 0);
		}
	}
	qsort(v, (size_t)n, sizeof(*v), mailbox_list_entry_cmp);
	for (i = 0; i < n; i++) {
		size_t len = strlen(v[i].name);

		/* Sorted: children follow their parent ("A" < "A.B"). */
		for (j = i + 1; j < n; j++) {
			if (strncmp(v[j].name, v[i].name, len) != 0)
				break;
			if (v[j].name[len] == '.') {
				v[i].children = 1;
				break;
			}
		}
		/* "A-" sorts between "A" and "A.B": look on a little. */
		for (; !v[i].children && j < n &&
		    strncmp(v[j].name, v[i].name, len) == 0; j++)
			if (v[j].name[len] == '.')
				v[i].children = 1;
	}
	buf_free(&tmp);
	*vp = v;
	*np = n;
	return 0;
}

/* mailbox_list_free - free a listing */
void
mailbox_list_free(struct mailbox_list_entry *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* mailbox_list_upper - ASCII upper case */
static int
mailbox_list_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/*
 * mailbox_list_match_at - pattern against name by dynamic programming
 * (time bounded by the product of the lengths, whatever the wildcards).
 */
static int
mailbox_list_match_at(const char *p, const char *s, int icase)
{
	size_t	 m = strlen(p), n = strlen(s), i, j;
	char	*prev, *cur, *t;
	int	 r;

	prev = xcalloc(n + 1, 1);
	cur = xcalloc(n + 1, 1);
	prev[0] = 1;		/* empty pattern, empty name */
	for (i = 1; i <= m; i++) {
		int c = (unsigned char)p[i - 1];

		cur[0] = (c == '*' || c == '%') && prev[0];
		for (j = 1; j <= n; j++) {
			int d = (unsigned char)s[j - 1];

			if (c == '*')
				cur[j] = prev[j] || cur[j - 1];
			else if (c == '%')
				cur[j] = prev[j] || (d != '.' && cur[j - 1]);
			else if (icase)
				cur[j] = prev[j - 1] && mailbox_list_upper(c) ==
				    mailbox_list_upper(d);
			else
				cur[j] = prev[j - 1] && c == d;
		}
		t = prev;
		prev = cur;
		cur = t;
	}
	r = prev[n];
	free(prev);
	free(cur);
	return r;
}

/* mailbox_list_match - IMAP LIST pattern (INBOX matched in any case) */
int
mailbox_list_match(const char *pattern, const char *name)
{
	if (strcmp(name, "INBOX") == 0)
		return mailbox_list_match_at(pattern, name, 1);
	return mailbox_list_match_at(pattern, name, 0);
}

/* mailbox_list_mkfolder - tmp/ new/ cur/ and maildirfolder in a dir */
static int
mailbox_list_mkfolder(int dfd)
{
	int fd;

	if (mkdirat(dfd, "tmp", LIST_DIR_MODE) < 0 ||
	    mkdirat(dfd, "new", LIST_DIR_MODE) < 0 ||
	    mkdirat(dfd, "cur", LIST_DIR_MODE) < 0)
		return -1;
	fd = openat(dfd, "maildirfolder", O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* mailbox_list_remove - remove a directory tree (no symlinks followed) */
static int
mailbox_list_remove(int parent, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (depth > LIST_REMOVE_DEPTH)
		return -1;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return unlinkat(parent, name, 0);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		if ((errno == EISDIR || errno == EPERM) &&
		    mailbox_list_remove(dirfd(d), de->d_name, depth + 1) == 0)
			continue;
		r = -1;
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0)
		r = -1;
	return r;
}

/* mailbox_list_open_maildir - the Maildir as a directory fd */
static int
mailbox_list_open_maildir(const char *maildir, struct buf *why)
{
	int fd = open(maildir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		buf_setf(why, "open %s: %s", maildir, strerror(errno));
	return fd;
}

/*
 * mailbox_list_open_folder - what creating and deleting a folder check
 * first: the name is not INBOX (refused with inbox_why and inbox_err)
 * and valid; then the Maildir is opened, dot is ".name" and tmp a
 * temporary name starting with prefix.  The Maildir's fd, or -1 with
 * why and *err.
 */
static int
mailbox_list_open_folder(const char *maildir, const char *name,
    const char *prefix, const char *inbox_why, int inbox_err, struct buf *dot,
    struct buf *tmp, struct buf *why, int *err)
{
	int mfd;

	if (strcmp(mailbox_list_canon(name), "INBOX") == 0) {
		buf_setf(why, "%s", inbox_why);
		*err = inbox_err;
		return -1;
	}
	if (!mailbox_list_valid(name, why)) {
		*err = EINVAL;
		return -1;
	}
	if ((mfd = mailbox_list_open_maildir(maildir, why)) < 0) {
		*err = errno;
		return -1;
	}
	buf_setf(dot, ".%s", name);
	buf_setf(tmp, "%s.%ld.%lld", prefix, (long)getpid(), now_ms());
	return mfd;
}

/* mailbox_list_end - free the names of a create or delete; r, errno err */
static int
mailbox_list_end(struct buf **dot, struct buf **tmp, int err, int r)
{
	buf_free(dot);
	buf_free(tmp);
	errno = err;
	return r;
}

/* mailbox_list_create - make a folder; -1 with errno EEXIST if it exists */
int
mailbox_list_create(const char *maildir, const char *name, struct buf *why)
{
	struct buf	*dot = buf_new(256, 0), *tmp = buf_new(64, 0);
	int		 mfd, fd = -1, r = -1, err = 0;

	if ((mfd = mailbox_list_open_folder(maildir, name, "..creating",
	    "INBOX always exists", EEXIST, dot, tmp, why, &err)) < 0)
		goto out;
	if (mailbox_list_isdir(mfd, buf_str(dot))) {
		buf_setf(why, "Mailbox already exists");
		err = EEXIST;
		close(mfd);
		goto out;
	}
	if (mkdirat(mfd, buf_str(tmp), LIST_DIR_MODE) < 0 ||
	    (fd = openat(mfd, buf_str(tmp), O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0 || mailbox_list_mkfolder(fd) < 0) {
		err = errno;
		buf_setf(why, "create %s/%s: %s", maildir, buf_str(dot),
		    strerror(err));
		(void)mailbox_list_remove(mfd, buf_str(tmp), 0);
	} else if (renameat2(mfd, buf_str(tmp), mfd, buf_str(dot),
	    RENAME_NOREPLACE) < 0) {
		err = errno;
		if (err == EEXIST || err == ENOTEMPTY) {
			err = EEXIST;
			buf_setf(why, "Mailbox already exists");
		} else
			buf_setf(why, "rename to %s/%s: %s", maildir,
			    buf_str(dot), strerror(err));
		(void)mailbox_list_remove(mfd, buf_str(tmp), 0);
	} else
		r = 0;
	fd_close(&fd);
	close(mfd);
out:
	return mailbox_list_end(&dot, &tmp, err, r);
}

/*
 * mailbox_list_unquota - remove a deleted folder's tree (renamed to tmp
 * in the Maildir mfd) and take its messages off the Maildir's quota
 * (maildirsize); files that could not be removed are left to the next
 * recalculation
 */
static void
mailbox_list_unquota(const char *maildir, const char *tmp, int mfd)
{
	struct buf *path = buf_new(256, 0), *why = buf_new(128, 4096);
	long long bytes, count;

	buf_setf(path, "%s/%s", maildir, tmp);
	bytes = maildir_count(buf_str(path), &count);
	if (mailbox_list_remove(mfd, tmp, 0) < 0)
		msg_warn("remove %s: some files remain", buf_str(path));
	else if (bytes > 0 && maildirsize_add(maildir, -bytes, -count,
	    why) < 0)
		msg_warn("quota: %s", buf_str(why));
	buf_free(&path);
	buf_free(&why);
}

/* mailbox_list_delete - remove a folder; errno ENOENT if there is none */
int
mailbox_list_delete(const char *maildir, const char *name, struct buf *why)
{
	struct buf	*dot = buf_new(256, 0), *tmp = buf_new(64, 0);
	int		 mfd, r = -1, err = 0;

	if ((mfd = mailbox_list_open_folder(maildir, name, "..deleted",
	    "INBOX cannot be deleted", EPERM, dot, tmp, why, &err)) < 0)
		goto out;
	if (!mailbox_list_isdir(mfd, buf_str(dot))) {
		buf_setf(why, "Mailbox does not exist");
		err = ENOENT;
	} else if (renameat(mfd, buf_str(dot), mfd, buf_str(tmp)) < 0) {
		err = errno;
		buf_setf(why, "rename %s/%s: %s", maildir, buf_str(dot),
		    strerror(err));
	} else {
		mailbox_list_unquota(maildir, buf_str(tmp), mfd);
		r = 0;
	}
	close(mfd);
out:
	return mailbox_list_end(&dot, &tmp, err, r);
}

/*
 * mailbox_list_rename_inbox - RENAME INBOX: a new folder takes all of
 * INBOX's messages; INBOX stays, empty (RFC 3501 6.3.5).
 */
static int
mailbox_list_rename_inbox(const char *maildir, const char *to,
    struct buf *why)
{
	static const char *const sub[] = { "new", "cur", NULL };
	struct buf	*dot = buf_new(256, 0);
	struct dirent	*de;
	DIR		*d;
	int		 mfd, sfd, dfd, i, r = -1;

	if (mailbox_list_create(maildir, to, why) < 0)
		goto out;
	if ((mfd = mailbox_list_open_maildir(maildir, why)) < 0)
		goto out;
	for (i = 0; sub[i] != NULL; i++) {
		buf_setf(dot, ".%s/%s", to, sub[i]);
		sfd = openat(mfd, sub[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		dfd = openat(mfd, buf_str(dot), O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0 || dfd < 0 || (d = fdopendir(sfd)) == NULL) {
			buf_setf(why, "open %s: %s", maildir, strerror(errno));
			fd_close(&sfd);
			fd_close(&dfd);
			close(mfd);
			goto out;
		}
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				(void)renameat(dirfd(d), de->d_name, dfd,
				    de->d_name);
		closedir(d);
		close(dfd);
	}
	close(mfd);
	r = 0;
out:
	buf_free(&dot);
	return r;
}

/*
 * mailbox_list_rename - RENAME: the folder and every folder below it.
 * errno EEXIST when the new name exists, ENOENT when the old one does not.
 */
int
mailbox_list_rename(const char *maildir, const char *from, const char *to,
    struct buf *why)
{
	struct buf	*a = buf_new(256, 0), *b = buf_new(256, 0);
	struct dirent	*de;
	DIR		*d;
	char		**kids = NULL;
	size_t		 flen;
	int		 mfd = -1, n = 0, size = 0, i, r = -1, err = 0;

	if (strcmp(mailbox_list_canon(to), "INBOX") == 0) {
		buf_setf(why, "INBOX already exists");
		err = EEXIST;
		goto out;
	}
	if (!mailbox_list_valid(to, why)) {
		err = EINVAL;
		goto out;
	}
	if (strcmp(mailbox_list_canon(from), "INBOX") == 0) {
		r = mailbox_list_rename_inbox(maildir, to, why);
		err = errno;
		goto out;
	}
	if (!mailbox_list_valid(from, why)) {
		err = EINVAL;
		goto out;
	}
	if ((mfd = mailbox_list_open_maildir(maildir, why)) < 0) {
		err = errno;
		goto out;
	}
	buf_setf(a, ".%s", from);
	buf_setf(b, ".%s", to);
	if (!mailbox_list_isdir(mfd, buf_str(a))) {
		buf_setf(why, "Mailbox does not exist");
		err = ENOENT;
		goto out;
	}
	if (mailbox_list_isdir(mfd, buf_str(b))) {
		buf_setf(why, "Mailbox already exists");
		err = EEXIST;
		goto out;
	}
	/* The children, listed before anything moves. */
	flen = strlen(buf_str(a));
	if ((d = fdopendir(dup(mfd))) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, buf_str(a), flen) != 0 ||
			    de->d_name[flen] != '.')
				continue;
			if (n == size) {
				size = size ? size * 2 : 16;
				kids = xrealloc(kids, (size_t)size *
				    sizeof(*kids));
			}
			kids[n++] = xstrdup(de->d_name + flen);
		}
		closedir(d);
	}
	if (renameat2(mfd, buf_str(a), mfd, buf_str(b),
	    RENAME_NOREPLACE) < 0) {
		err = errno == ENOTEMPTY ? EEXIST : errno;
		buf_setf(why, "rename %s/%s: %s", maildir, buf_str(a),
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		buf_setf(a, ".%s%s", from, kids[i]);
		buf_setf(b, ".%s%s", to, kids[i]);
		if (renameat2(mfd, buf_str(a), mfd, buf_str(b),
		    RENAME_NOREPLACE) < 0)
			msg_warn("rename %s/%s: %m", maildir, buf_str(a));
	}
	r = 0;
out:
	strv_free(kids, n);
	fd_close(&mfd);
	buf_free(&a);
	buf_free(&b);
	errno = err;
	return r;
}

/* mailbox_list_subscriptions - the subscribed names */
int
mailbox_list_subscriptions(const char *maildir, char ***vp, int *np)
{
	struct buf	*path = buf_new(256, 0), *why = buf_new(64, 0), *text;
	char		**v = NULL, *p, *nl;
	int		 n = 0, size = 0;

	buf_setf(path, "%s/%s", maildir, MAILBOX_SUBS_FILE);
	text = file_slurp(buf_str(path), LIST_SUBS_MAX, why);
	if (text != NULL) {
		for (p = text->data; (nl = strchr(p, '\n')) != NULL ||
		    *p != '\0'; p = nl + 1) {
			if (nl != NULL)
				*nl = '\0';
			if (*p != '\0') {
				if (n == size) {
					size = size ? size * 2 : 16;
					v = xrealloc(v, (size_t)size *
					    sizeof(*v));
				}
				v[n++] = xstrdup(mailbox_list_canon(p));
			}
			if (nl == NULL)
				break;
		}
		buf_free(&text);
	}
	buf_free(&path);
	buf_free(&why);
	*vp = v;
	*np = n;
	return 0;
}

/* mailbox_list_subscribe - add (on) or remove a subscription */
int
mailbox_list_subscribe(const char *maildir, const char *name, int on,
    struct buf *why)
{
	struct buf	*out = buf_new(256, 0);
	char		**v;
	int		 n, i, mfd, lfd, found = 0, r = -1;

	name = mailbox_list_canon(name);
	if ((mfd = mailbox_list_open_maildir(maildir, why)) < 0)
		goto out;
	lfd = openat(mfd, MAILBOX_LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (lfd >= 0)
		(void)flock(lfd, LOCK_EX);
	mailbox_list_subscriptions(maildir, &v, &n);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i], name) == 0) {
			found = 1;
			if (!on)
				continue;
		}
		buf_appendf(out, "%s\n", v[i]);
	}
	if (on && !found)
		buf_appendf(out, "%s\n", name);
	r = file_replace_at(mfd, maildir, MAILBOX_SUBS_FILE, out, NULL, why);
	strv_free(v, n);
	fd_close(&lfd);
	close(mfd);
out:
	buf_free(&out);
	return r;
}
