/*
 * milter_wire - a milter's connection and the protocol's packets: a
 * four-byte length in network order (the command byte included), the
 * command byte, the data.  Numbers in the data are four bytes in network
 * order, strings end with a NUL.
 *
 * Every write and read has the deadline of the command in progress
 * (m->deadline, set by the caller): a milter that hangs costs at most
 * that.  A packet's length is checked before anything is read into
 * memory: zero or above MILTER_PACKET_MAX is a broken milter.  Readers of
 * the data (milter_get32, milter_getstr) never step past its end.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "milter_int.h"
#include "util.h"

/* milter_wait - wait for fd to be ready before the deadline: 0, -1 */
static int
milter_wait(struct milter *m, short events, const char *what)
{
	struct pollfd	pfd;
	long long	left;
	int		r;

	for (;;) {
		left = m->deadline - now_ms();
		if (left <= 0) {
			buf_setf(m->why, "timeout while %s", what);
			return -1;
		}
		pfd.fd = m->fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, left > 86400000 ? 86400000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR) {
			buf_setf(m->why, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

/* milter_connect_addr - one non-blocking connect within the deadline */
static int
milter_connect_addr(struct milter *m, const struct sockaddr *sa,
    socklen_t len)
{
	socklen_t	elen = sizeof(int);
	int		err = 0;

	if ((m->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		buf_setf(m->why, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(m->fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS) {
		buf_setf(m->why, "connect: %s", strerror(errno));
		fd_close(&m->fd);
		return -1;
	}
	if (milter_wait(m, POLLOUT, "connecting") < 0) {
		fd_close(&m->fd);
		return -1;
	}
	if (getsockopt(m->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 ||
	    err != 0) {
		buf_setf(m->why, "connect: %s", strerror(err ? err : errno));
		fd_close(&m->fd);
		return -1;
	}
	return 0;
}

/*
 * milter_open - connect to the milter within milter_connect_timeout:
 * 0, or -1 and m->why.  A host name is looked up with getaddrinfo, each
 * address tried in turn.
 */
int
milter_open(struct milter *m)
{
	struct addrinfo	 hints, *res, *ai;
	struct sockaddr_un un;
	int		 r, one = 1;

	m->deadline = now_ms() + m->connect_timeout * 1000;
	if (m->family == AF_UNIX) {
		memset(&un, 0, sizeof(un));
		un.sun_family = AF_UNIX;
		if (strlen(m->host) >= sizeof(un.sun_path)) {
			buf_setf(m->why, "socket path too long");
			return -1;
		}
		memcpy(un.sun_path, m->host, strlen(m->host) + 1);
		return milter_connect_addr(m, (struct sockaddr *)&un,
		    sizeof(un));
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = m->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(m->host, m->port, &hints, &res)) != 0) {
		buf_setf(m->why, "look up %s: %s", m->host, gai_strerror(r));
		return -1;
	}
	r = -1;
	for (ai = res; ai != NULL && r < 0; ai = ai->ai_next)
		r = milter_connect_addr(m, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	if (r == 0)
		(void)setsockopt(m->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	return r;
}

/* milter_close - close the connection, if open */
void
milter_close(struct milter *m)
{
	fd_close(&m->fd);
}

/* milter_write - all of len bytes before the deadline: 0, -1 */
static int
milter_write(struct milter *m, const char *p, size_t len)
{
	ssize_t		n;

	while (len > 0) {
		if (milter_wait(m, POLLOUT, "sending") < 0)
			return -1;
		n = send(m->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			buf_setf(m->why, "write: %s", strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* milter_read - exactly len bytes before the deadline: 0, -1 */
static int
milter_read(struct milter *m, char *p, size_t len)
{
	ssize_t		n;

	while (len > 0) {
		if (milter_wait(m, POLLIN, "waiting for a reply") < 0)
			return -1;
		n = recv(m->fd, p, len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			if (n == 0)
				buf_setf(m->why, "connection closed");
			else
				buf_setf(m->why, "read: %s", strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* milter_send - one packet: command cmd, data (NULL: none) */
int
milter_send(struct milter *m, int cmd, const struct buf *data)
{
	size_t		 dlen = data ? buf_len(data) : 0;
	unsigned char	 head[5];
	uint32_t	 n = (uint32_t)dlen + 1;

	head[0] = (unsigned char)(n >> 24);
	head[1] = (unsigned char)(n >> 16);
	head[2] = (unsigned char)(n >> 8);
	head[3] = (unsigned char)n;
	head[4] = (unsigned char)cmd;
	if (milter_write(m, (char *)head, sizeof(head)) < 0)
		return -1;
	return dlen ? milter_write(m, buf_str(data), dlen) : 0;
}

/*
 * milter_recv - one packet: its command into *cmd, its data into data
 * (NUL after it, as every buf).  A length of zero or over
 * MILTER_PACKET_MAX is refused before the data is read.
 */
int
milter_recv(struct milter *m, int *cmd, struct buf *data)
{
	unsigned char	 head[5];
	uint32_t	 n;
	char		 chunk[8192];
	size_t		 left, k;

	if (milter_read(m, (char *)head, sizeof(head)) < 0)
		return -1;
	n = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 |
	    (uint32_t)head[2] << 8 | head[3];
	if (n == 0 || n > MILTER_PACKET_MAX) {
		buf_setf(m->why, "bad packet length %lu",
		    (unsigned long)n);
		return -1;
	}
	*cmd = head[4];
	buf_reset(data);
	for (left = n - 1; left > 0; left -= k) {
		k = left < sizeof(chunk) ? left : sizeof(chunk);
		if (milter_read(m, chunk, k) < 0)
			return -1;
		buf_append(data, chunk, k);
	}
	return 0;
}

/* milter_put32 - a number in network order */
void
milter_put32(struct buf *b, uint32_t v)
{
	unsigned char	 p[4];

	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	buf_append(b, p, 4);
}

/* milter_putstr - a string and its NUL */
void
milter_putstr(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s) + 1);
}

/* milter_get32 - the number at *off, if four bytes are left: 0, -1 */
int
milter_get32(const struct buf *b, size_t *off, uint32_t *v)
{
	const unsigned char *p;

	if (buf_len(b) < 4 || *off > buf_len(b) - 4)
		return -1;
	p = (const unsigned char *)buf_str(b) + *off;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	*off += 4;
	return 0;
}

/* milter_getstr - the string at *off, if its NUL is in the data: NULL */
const char *
milter_getstr(const struct buf *b, size_t *off)
{
	const char	*s, *nul;

	if (*off >= buf_len(b))
		return NULL;
	s = buf_str(b) + *off;
	if ((nul = memchr(s, '\0', buf_len(b) - *off)) == NULL)
		return NULL;
	*off += (size_t)(nul - s) + 1;
	return s;
}
