/*
 * queue_notify - telling qmgr that a new file is in incoming/, over
 * $queue_directory/public/qmgr: one line, the queue id.  A failure is only
 * a warning: qmgr finds the file at its next scan of incoming/.  Also the
 * administrator's commands (cartero queue), which qmgr answers.
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dec.h"
#include "hex.h"
#include "ipc.h"
#include "lineio.h"
#include "msg.h"
#include "queue.h"
#include "util.h"

#define QUEUE_NOTIFY_TIMEOUT	2		/* seconds */
#define QUEUE_NOTIFY_ANSWER_WAIT 30		/* seconds for an answer */
#define QUEUE_NOTIFY_ANSWER_MAX	1024		/* bytes */

/*
 * The connection to qmgr is kept from one notification to the next: a
 * connect and an accept per message cost smtpd and qmgr more than the
 * line itself.  qmgr closes a client that stays quiet for its client
 * timeout (10 s); a connection idle for QUEUE_NOTIFY_REUSE_MS, half of
 * that, is replaced rather than reused, so that a line never crosses
 * qmgr closing its end.  A write to a connection qmgr has dropped (it
 * restarted) fails at once, and the line goes over a new one.
 */
#define QUEUE_NOTIFY_REUSE_MS	5000

static struct {
	int	  fd;
	char	 *dir;
	long long last;		/* ms: the last line sent */
} queue_qmgr = { -1, NULL, 0 };

/* queue_notify_connect - a new connection to DIR/public/qmgr, or -1 */
static int
queue_notify_connect(const char *dir, const char *id)
{
	struct sockaddr_un sun;
	struct timeval tv = { QUEUE_NOTIFY_TIMEOUT, 0 };
	int fd, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/public/qmgr",
	    dir);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		msg_warn("%s: cannot notify qmgr: socket path too long", id);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		msg_warn("%s: cannot notify qmgr: socket: %m", id);
		return -1;
	}
	/* On Linux the send timeout also bounds a connect to a full backlog. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		msg_warn("%s: cannot notify qmgr: connect %s: %m (it will "
		    "find the file on its next scan)", id, sun.sun_path);
		close(fd);
		return -1;
	}
	return fd;
}

/* queue_notify_drop - forget the connection to qmgr */
static void
queue_notify_drop(void)
{
	if (queue_qmgr.fd >= 0)
		close(queue_qmgr.fd);
	queue_qmgr.fd = -1;
}

/* queue_notify - tell qmgr about a new file in incoming/; warn on failure */
void
queue_notify(const char *dir, const char *id)
{
	char line[QUEUE_ID_MAX + 4];
	long long now = now_ms();
	ssize_t len, n = -1;
	int tries, err = 0;

	len = snprintf(line, sizeof(line), "I%s\n", id);
	if (len < 0 || (size_t)len >= sizeof(line)) {
		msg_warn("%s: cannot notify qmgr: queue id too long", id);
		return;
	}
	if (queue_qmgr.fd >= 0 && (strcmp(queue_qmgr.dir, dir) != 0 ||
	    now - queue_qmgr.last >= QUEUE_NOTIFY_REUSE_MS))
		queue_notify_drop();
	for (tries = 0; tries < 2; tries++) {
		if (queue_qmgr.fd < 0) {
			if ((queue_qmgr.fd = queue_notify_connect(dir, id)) < 0)
				return;
			free(queue_qmgr.dir);
			queue_qmgr.dir = xstrdup(dir);
			tries++;	/* a new connection gets one try */
		}
		n = send(queue_qmgr.fd, line, (size_t)len, MSG_NOSIGNAL);
		if (n == len)
			break;
		err = n < 0 ? errno : EIO;
		queue_notify_drop();
	}
	if (n != len) {
		msg_warn("%s: cannot notify qmgr: write %s/public/qmgr: %s", id,
		    dir, strerror(err));
		return;
	}
	queue_qmgr.last = now;
}

/*
 * queue_notify_ask - send an administrator's command line (see qmgr.c:
 * "D<id>", "H<id>", ...) to qmgr over DIR/public/qmgr and read its
 * one-line answer into reply: 0 when qmgr did it ("ok ..."), 1 when it
 * refused ("error ..."), -1 when it could not be asked (reply says why).
 */
int
queue_notify_ask(const char *dir, const char *line, struct buf *reply)
{
	struct buf *path = buf_new(256, 0), *in;
	struct lineio *io;
	int fd, r = -1, got;

	buf_reset(reply);
	buf_setf(path, "%s/public/qmgr", dir);
	if ((fd = ipc_connect(buf_str(path), QUEUE_NOTIFY_TIMEOUT)) < 0) {
		buf_setf(reply, "connect %s: %s (is the mail system running?)",
		    buf_str(path), strerror(errno));
		buf_free(&path);
		return -1;
	}
	io = lineio_new(fd, QUEUE_NOTIFY_ANSWER_MAX, QUEUE_NOTIFY_ANSWER_WAIT);
	in = buf_new(256, QUEUE_NOTIFY_ANSWER_MAX);
	if (lineio_printf(io, "%s\n", line) < 0 || lineio_flush(io) < 0)
		buf_setf(reply, "write %s: %s", buf_str(path), strerror(errno));
	else if ((got = lineio_get(io, in, LINEIO_SKIP)) != LINE_OK)
		buf_setf(reply, "no answer from qmgr on %s%s", buf_str(path),
		    got == LINE_TIMEOUT ? " (timeout)" : "");
	else if (strncmp(buf_str(in), "ok ", 3) == 0) {
		buf_set(reply, buf_str(in) + 3);
		r = 0;
	} else if (strncmp(buf_str(in), "error ", 6) == 0) {
		buf_set(reply, buf_str(in) + 6);
		r = 1;
	} else
		buf_setf(reply, "a strange answer from qmgr: %s",
		    printable(buf_str(in), path));
	lineio_free(&io);
	close(fd);
	buf_free(&in);
	buf_free(&path);
	return r;
}
