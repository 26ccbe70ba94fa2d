/*
 * queue_trust - the queue file of a delivery request, opened only if it
 * can be trusted (see queue_trust.h).  Used by local and pipe, which run
 * as root and hand the file's content to a user's process.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "queue.h"
#include "queue_trust.h"
#include "util.h"

/* queue_trust_owner - mail_owner's uid (ours without root), once */
static int
queue_trust_owner(uid_t *uid, struct buf *why)
{
	static uid_t owner = (uid_t)-1;
	gid_t gid;

	if (owner == (uid_t)-1) {
		if (!privs_is_root())
			owner = geteuid();
		else if (privs_lookup(var_mail_owner, &owner, &gid, why) < 0) {
			owner = (uid_t)-1;
			return -1;
		}
	}
	*uid = owner;
	return 0;
}

/* queue_trust_check - is the open file one to deliver from? 0, or -1 */
static int
queue_trust_check(int fd, const char *path, uid_t owner, struct buf *why)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		buf_setf(why, "fstat queue file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode) && st.st_uid == owner && st.st_nlink == 1)
		return 0;
	buf_setf(why, "queue file %s is untrusted (%s); not delivered from",
	    path, !S_ISREG(st.st_mode) ? "not a regular file" :
	    st.st_uid != owner ? "not owned by mail_owner" :
	    "more than one link");
	return -1;
}

/* queue_trust_open - the queue file of a request, or -1 with why, dsn */
int
queue_trust_open(const char *id, const char *req_path, off_t offset,
    off_t size, struct buf *why, const char **dsn)
{
	struct buf *path = buf_new(256, 0);
	struct stat st;
	uid_t owner;
	int fd = -1;

	*dsn = "4.3.0";
	queue_path(path, var_queue_directory, QUEUE_ACTIVE, id);
	if (req_path != NULL && strcmp(req_path, buf_str(path)) != 0) {
		buf_setf(why, "queue file %s is not %s", req_path,
		    buf_str(path));
		*dsn = "4.3.5";
		goto fail;
	}
	if (queue_trust_owner(&owner, why) < 0)
		goto fail;
	fd = open(buf_str(path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		buf_setf(why, "open queue file %s: %s", buf_str(path),
		    errno == ELOOP ? "a symbolic link" : strerror(errno));
		msg_warn("%s: %s", id, buf_str(why));
		goto fail;
	}
	if (queue_trust_check(fd, buf_str(path), owner, why) < 0) {
		msg_warn("%s: %s", id, buf_str(why));
		goto fail;
	}
	if (fstat(fd, &st) < 0 || offset + size > st.st_size) {
		buf_setf(why, "queue file %s is shorter than the request says",
		    id);
		*dsn = "4.3.5";
		goto fail;
	}
	buf_free(&path);
	return fd;
fail:
	fd_close(&fd);
	buf_free(&path);
	return -1;
}

/* queue_trust_read - the next bytes of a message, by pread */
ssize_t
queue_trust_read(int fd, char *data, size_t size, off_t *off, off_t *left,
    struct buf *why)
{
	ssize_t got;

	if (*left == 0)
		return 0;
	do
		got = pread(fd, data, *left > (off_t)size ? size :
		    (size_t)*left, *off);
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		buf_setf(why, "read queue file: %s", got < 0 ?
		    strerror(errno) : "short file");
		return -1;
	}
	*off += got;
	*left -= got;
	return got;
}
