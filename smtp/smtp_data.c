/*
 * smtp_data - the message of a delivery: the queue file opened by the
 * worker itself (the path made from the queue id, never taken from the
 * request; a regular file, no symbolic link), and its bytes on the wire.
 *
 * The queue file keeps the message with LF line ends; SMTP wants CRLF,
 * and a line that starts with "." gets one more (RFC 5321 4.5.2), so
 * that the only CRLF.CRLF on the wire is the end we send.  A last line
 * without its LF gets a CRLF.  With BDAT (RFC 3030) the bytes go as they
 * are (CRLF lines, no dot-stuffing) after a count made beforehand.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "params.h"
#include "queue.h"
#include "util.h"
#include "smtp_data.h"

/* smtp_data_open - the queue file of a queue id: fd, or -1 with why */
int
smtp_data_open(const char *id, struct buf *why)
{
	struct buf *path = buf_new(256, 0);
	struct stat st;
	int fd = -1;

	if (!queue_id_ok(id))
		buf_setf(why, "bad queue id");
	else {
		queue_path(path, var_queue_directory, QUEUE_ACTIVE, id);
		fd = open(buf_str(path), O_RDONLY | O_NOFOLLOW | O_NOCTTY |
		    O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			buf_setf(why, "open queue file %s: %s", buf_str(path),
			    strerror(errno));
		else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			buf_setf(why, "queue file %s is not a regular file",
			    buf_str(path));
			close(fd);
			fd = -1;
		}
	}
	buf_free(&path);
	return fd;
}

/*
 * smtp_data_copy - size bytes of the message at offset as CRLF lines; for
 * DATA (bdat 0) dot-stuffed and ended by ".", for BDAT as they are.  To
 * io, or with io NULL only counted into *wire (BDAT's count).  0, -1
 * (the connection failed), or 1 with why (a read error)
 */
static int
smtp_data_copy(struct lineio *io, int fd, off_t offset, off_t size,
    int bdat, off_t *wire, struct buf *why)
{
	char in[8192], out[2 * sizeof(in) + 3];
	size_t i, n, o;
	ssize_t r;
	int bol = 1;

	for (*wire = 0; size > 0; offset += r, size -= r) {
		n = size > (off_t)sizeof(in) ? sizeof(in) : (size_t)size;
		if ((r = pread(fd, in, n, offset)) <= 0) {
			buf_setf(why, "read queue file: %s", r == 0 ?
			    "unexpected end" : strerror(errno));
			return 1;
		}
		for (i = 0, o = 0; i < (size_t)r; i++) {
			if (bol && in[i] == '.' && !bdat)
				out[o++] = '.';
			if (in[i] == '\n')
				out[o++] = '\r';
			out[o++] = in[i];
			bol = in[i] == '\n';
		}
		*wire += (off_t)o;
		if (io != NULL && lineio_write(io, out, o) < 0)
			return -1;
	}
	if (!bol)
		*wire += 2;
	if (io == NULL)
		return 0;
	if (!bol && lineio_write(io, "\r\n", 2) < 0)
		return -1;
	if ((!bdat && lineio_write(io, ".\r\n", 3) < 0) ||
	    lineio_flush(io) < 0)
		return -1;
	return 0;
}

/* smtp_data_wire - BDAT's count of the message: 0, or 1 with why */
int
smtp_data_wire(int fd, off_t offset, off_t size, off_t *wire,
    struct buf *why)
{
	return smtp_data_copy(NULL, fd, offset, size, 1, wire, why);
}

/*
 * smtp_data_slurp - the size bytes of a message at offset of fd, in a new
 * NUL-ended block (for the copies that change it: 7-bit, ARC), or NULL
 * with why
 */
char *
smtp_data_slurp(int fd, off_t offset, off_t size, struct buf *why)
{
	char *msg = xmalloc((size_t)size + 1);
	ssize_t r;
	off_t got;

	for (got = 0; got < size; got += r) {
		r = pread(fd, msg + got, (size_t)(size - got), offset + got);
		if (r <= 0) {
			buf_setf(why, "read queue file: %s", r == 0 ?
			    "unexpected end" : strerror(errno));
			free(msg);
			return NULL;
		}
	}
	msg[size] = '\0';
	return msg;
}

/* smtp_data_send - the message on the wire: 0, -1, or 1 with why */
int
smtp_data_send(struct lineio *io, int fd, off_t offset, off_t size,
    int bdat, struct buf *why)
{
	off_t wire;

	return smtp_data_copy(io, fd, offset, size, bdat, &wire, why);
}
