/*
 * ipc - Unix-domain sockets between cartero's processes: listening,
 * connecting with a timeout, accepting, and descriptors that travel with
 * SCM_RIGHTS.  What the requests and replies say is attr.c's.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ipc.h"
#include "lineio.h"
#include "msg.h"
#include "queue.h"
#include "util.h"

/* ipc_addr - fill a sockaddr_un; -1 if the path is too long */
static int
ipc_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* ipc_listen - a listening stream socket at path (replacing a stale one) */
int
ipc_listen(const char *path, int backlog, mode_t mode)
{
	struct sockaddr_un sun;
	int fd, saved;

	if (ipc_addr(&sun, path) < 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, mode) < 0 || listen(fd, backlog) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* ipc_connect - connect to the socket at path, waiting at most timeout s */
int
ipc_connect(const char *path, int timeout)
{
	struct sockaddr_un sun;
	struct pollfd pfd;
	int fd, err = 0, saved;
	socklen_t len = sizeof(err);

	if (ipc_addr(&sun, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout * 1000) <= 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			goto fail;
		if (err) {
			errno = err;
			goto fail;
		}
	}
	set_nonblock(fd, 0);
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * ipc_tell - a request that wants no answer: connect to the socket at
 * path (waiting at most timeout s), write text, hang up.  0, or -1 with
 * why (the path and what failed).
 */
int
ipc_tell(const char *path, const char *text, int timeout, struct buf *why)
{
	int fd, r = 0;

	if ((fd = ipc_connect(path, timeout)) < 0) {
		buf_setf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (write_full(fd, text, strlen(text)) < 0) {
		buf_setf(why, "write %s: %s", path, strerror(errno));
		r = -1;
	}
	close(fd);
	return r;
}

/* ipc_send_fd - send data with a descriptor attached */
int
ipc_send_fd(int sock, int fd, const void *data, size_t len)
{
	return ipc_send_fds(sock, &fd, 1, data, len);
}

/*
 * ipc_recv_fd - receive data and maybe a descriptor (*fd = -1 if none);
 * any further descriptors that came along are closed.
 */
int
ipc_recv_fd(int sock, int *fd, void *data, size_t len)
{
	int	fds[IPC_FDS_MAX], k, n;

	n = ipc_recv_fds(sock, fds, data, len);
	*fd = fds[0];
	for (k = 1; k < IPC_FDS_MAX; k++)
		fd_close(&fds[k]);
	return n;
}

/* A message: data, and room for IPC_FDS_MAX descriptors. */
struct ipc_msg {
	struct msghdr	 m;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(IPC_FDS_MAX * sizeof(int))];
	} cm;
};

/* ipc_msg_init - a message of len bytes at data, ctl bytes of control */
static void
ipc_msg_init(struct ipc_msg *im, void *data, size_t len, size_t ctl)
{
	memset(im, 0, sizeof(*im));
	im->iov.iov_base = data;
	im->iov.iov_len = len;
	im->m.msg_iov = &im->iov;
	im->m.msg_iovlen = 1;
	im->m.msg_control = im->cm.buf;
	im->m.msg_controllen = ctl;
}

/* ipc_send_fds - send data with up to IPC_FDS_MAX descriptors attached */
int
ipc_send_fds(int sock, const int *fds, int nfds, const void *data,
    size_t len)
{
	struct ipc_msg im;
	struct cmsghdr *c;
	ssize_t n;

	if (nfds < 1 || nfds > IPC_FDS_MAX) {
		errno = EINVAL;
		return -1;
	}
	ipc_msg_init(&im, (void *)data, len,
	    CMSG_SPACE((size_t)nfds * sizeof(int)));
	c = CMSG_FIRSTHDR(&im.m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	do
		n = sendmsg(sock, &im.m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : (int)n;
}

/* ipc_recv_fds - receive data and up to IPC_FDS_MAX descriptors */
int
ipc_recv_fds(int sock, int *fds, void *data, size_t len)
{
	struct ipc_msg im;
	struct cmsghdr *c;
	ssize_t n;
	size_t k, got = 0;
	int fd;

	for (k = 0; k < IPC_FDS_MAX; k++)
		fds[k] = -1;
	ipc_msg_init(&im, data, len, sizeof(im.cm.buf));
	do
		n = recvmsg(sock, &im.m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&im.m); c; c = CMSG_NXTHDR(&im.m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (k = 0; CMSG_LEN((k + 1) * sizeof(int)) <= c->cmsg_len;
		    k++) {
			memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (got < IPC_FDS_MAX)
				fds[got++] = fd;
			else
				close(fd);
		}
	}
	return (int)n;
}

/*
 * ipc_accept - the next client waiting on a non-blocking listening
 * socket, itself non-blocking and close-on-exec; -1 when none is waiting
 * (an error other than "none now" is logged).
 */
int
ipc_accept(int lfd)
{
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR && errno != ECONNABORTED)
		msg_warn("accept: %m");
	return fd;
}
