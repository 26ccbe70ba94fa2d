/*
 * lineio - a buffered, bounded line reader and writer on a socket.
 *
 * The reader never holds more than its input buffer; a line longer than the
 * cap is either skipped to its end (LINE_TOOLONG, the dialog stays in step)
 * or handed out in chunks (LINE_PARTIAL).  Every wait for input or output
 * is bounded by the timeout.  Read and write hooks let TLS sit underneath.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "util.h"

#define LINEIO_INSIZE	16384
#define LINEIO_OUTSIZE	16384

struct lineio {
	int		 fd;
	size_t		 cap;
	int		 timeout;	/* seconds */
	int		 eol;
	int		 error;		/* sticky write error */
	int		 notsock;	/* fd is a pipe or tty: poll, then write */
	char		*in;
	size_t		 in_start, in_end;
	char		*out;
	size_t		 out_len;
	lineio_read_fn	 rfn;
	lineio_write_fn	 wfn;
	void		*hctx;
};

/* lineio_new - wrap a connected fd */
struct lineio *
lineio_new(int fd, size_t cap, int timeout)
{
	struct lineio *l = xcalloc(1, sizeof(*l));

	l->fd = fd;
	l->cap = cap ? cap : 1000;
	l->timeout = timeout;
	l->in = xmalloc(LINEIO_INSIZE);
	l->out = xmalloc(LINEIO_OUTSIZE);
	return l;
}

/*
 * lineio_wipe - overwrite both buffers (what a client sent, what it was
 * told) and forget what was buffered; for the login sides (lib/login.c)
 */
void
lineio_wipe(struct lineio *l)
{
	explicit_bzero(l->in, LINEIO_INSIZE);
	explicit_bzero(l->out, LINEIO_OUTSIZE);
	l->in_start = l->in_end = 0;
	l->out_len = 0;
}

/* lineio_free - release; the fd stays open */
void
lineio_free(struct lineio **lp)
{
	if (*lp == NULL)
		return;
	free((*lp)->in);
	free((*lp)->out);
	free(*lp);
	*lp = NULL;
}

int
lineio_fd(struct lineio *l)
{
	return l->fd;
}

void
lineio_set_timeout(struct lineio *l, int timeout)
{
	l->timeout = timeout;
}

void
lineio_set_cap(struct lineio *l, size_t cap)
{
	l->cap = cap;
}

/* lineio_set_hooks - route reads and writes through another layer (TLS) */
void
lineio_set_hooks(struct lineio *l, lineio_read_fn r, lineio_write_fn w,
    void *ctx)
{
	l->rfn = r;
	l->wfn = w;
	l->hctx = ctx;
}

/* lineio_wait - wait for the fd to be ready; 1 ready, 0 timeout, -1 error */
static int
lineio_wait(struct lineio *l, short events)
{
	struct pollfd pfd;
	int r;

	pfd.fd = l->fd;
	pfd.events = events;
	for (;;) {
		r = poll(&pfd, 1, l->timeout > 0 ? l->timeout * 1000 : -1);
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -1 : r;
	}
}

/* lineio_fill - read more input; bytes read, 0 EOF, -1 error, -2 timeout */
static ssize_t
lineio_fill(struct lineio *l)
{
	ssize_t n;
	int w;

	if (l->in_start == l->in_end)
		l->in_start = l->in_end = 0;
	else if (l->in_start > 0 && l->in_end == LINEIO_INSIZE) {
		memmove(l->in, l->in + l->in_start, l->in_end - l->in_start);
		l->in_end -= l->in_start;
		l->in_start = 0;
	}
	for (;;) {
		if (l->rfn == NULL) {
			w = lineio_wait(l, POLLIN);
			if (w == 0)
				return -2;
			if (w < 0)
				return -1;
			n = read(l->fd, l->in + l->in_end, LINEIO_INSIZE - l->in_end);
		} else
			n = l->rfn(l->hctx, l->in + l->in_end,
			    LINEIO_INSIZE - l->in_end);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == ETIMEDOUT)
			return -2;
		if (n > 0)
			l->in_end += (size_t)n;
		return n;
	}
}

/*
 * lineio_content - length of the line so far plus take more input bytes,
 * not counting a line end (LF, or CR LF) when the input holds one.  A CR
 * still waiting for its LF is not counted either.
 */
static size_t
lineio_content(struct lineio *l, struct buf *line, size_t take, int has_nl)
{
	size_t len = buf_len(line) + take;
	char last;

	if (len == 0)
		return 0;
	if (has_nl) {
		len--;
		if (len == 0)
			return 0;
		last = take >= 2 ? l->in[l->in_start + take - 2] :
		    line->data[buf_len(line) - 1];
		if (last == '\r')
			len--;
	} else {
		last = take > 0 ? l->in[l->in_start + take - 1] :
		    line->data[buf_len(line) - 1];
		if (last == '\r')
			len--;
	}
	return len;
}

/*
 * lineio_get - the next line without its CRLF or LF.  lineio_eol() tells how
 * it ended.  Output is flushed before any wait for input, so a reply is
 * never left unsent while we wait for the client; pipelined commands that
 * are already buffered get their replies in one write.
 */
int
lineio_get(struct lineio *l, struct buf *line, int flags)
{
	char *nl;
	size_t avail, take;
	ssize_t n;
	int skipping = 0;

	buf_reset(line);
	for (;;) {
		avail = l->in_end - l->in_start;
		nl = memchr(l->in + l->in_start, '\n', avail);
		take = nl ? (size_t)(nl - (l->in + l->in_start)) + 1 : avail;
		if (!skipping && lineio_content(l, line, take, nl != NULL) > l->cap) {
			if (flags == LINEIO_SPLIT) {
				take = buf_len(line) < l->cap ?
				    l->cap - buf_len(line) : 0;
				if (take > avail)
					take = avail;
				/* Never split a CR from its LF. */
				if (take > 1 && l->in[l->in_start + take - 1] == '\r')
					take--;
				buf_append(line, l->in + l->in_start, take);
				l->in_start += take;
				l->eol = LINEIO_EOL_NONE;
				return LINE_PARTIAL;
			}
			skipping = 1;
		}
		if (!skipping)
			buf_append(line, l->in + l->in_start, take);
		l->in_start += take;
		if (nl) {
			if (skipping) {
				buf_reset(line);
				l->eol = LINEIO_EOL_NONE;
				return LINE_TOOLONG;
			}
			buf_truncate(line, buf_len(line) - 1);
			if (buf_len(line) > 0 && line->data[buf_len(line) - 1] == '\r') {
				buf_truncate(line, buf_len(line) - 1);
				l->eol = LINEIO_EOL_CRLF;
			} else
				l->eol = LINEIO_EOL_LF;
			return LINE_OK;
		}
		/* About to wait for the client: send what it is waiting for. */
		if (l->out_len > 0 && lineio_flush(l) < 0)
			return LINE_ERROR;
		n = lineio_fill(l);
		if (n == -2)
			return LINE_TIMEOUT;
		if (n < 0)
			return LINE_ERROR;
		if (n == 0) {
			l->eol = LINEIO_EOL_NONE;
			if (skipping)
				return LINE_TOOLONG;
			return buf_len(line) > 0 ? LINE_OK : LINE_EOF;
		}
	}
}

/* lineio_eol - how the last line ended */
int
lineio_eol(struct lineio *l)
{
	return l->eol;
}

/* lineio_pending - input bytes already buffered (pipelined commands) */
size_t
lineio_pending(struct lineio *l)
{
	return l->in_end - l->in_start;
}

/* lineio_discard - forget buffered input (after STARTTLS) */
void
lineio_discard(struct lineio *l)
{
	l->in_start = l->in_end = 0;
}

/* lineio_read - raw read: buffered bytes first, then the fd */
ssize_t
lineio_read(struct lineio *l, void *p, size_t n)
{
	ssize_t r;
	size_t avail;

	if (l->in_start == l->in_end) {
		r = lineio_fill(l);
		if (r == -2) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (r <= 0)
			return r;
	}
	avail = l->in_end - l->in_start;
	if (n > avail)
		n = avail;
	memcpy(p, l->in + l->in_start, n);
	l->in_start += n;
	return (ssize_t)n;
}

/*
 * lineio_linger - end a session that the client may still be writing to:
 * send what is buffered, close our direction of out, and read (and drop)
 * what comes on in for up to two seconds.  Closing a TCP socket with
 * unread input makes the kernel send a reset, which can destroy our last
 * reply on its way.
 */
void
lineio_linger(struct lineio *l, int in, int out)
{
	struct pollfd	 pfd;
	char		 junk[4096];
	long long	 end;

	(void)lineio_flush(l);
	(void)shutdown(out, SHUT_WR);
	end = now_ms() + 2000;
	pfd.fd = in;
	pfd.events = POLLIN;
	while (now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			break;
		if (read(in, junk, sizeof(junk)) <= 0)
			break;
	}
}

/* lineio_flush - send buffered output; 0 or -1 */
int
lineio_flush(struct lineio *l)
{
	size_t done = 0;
	ssize_t n;
	int w;

	if (l->error)
		return -1;
	while (done < l->out_len) {
		if (l->wfn == NULL && !l->notsock) {
			/*
			 * A socket almost always has room: try first, and
			 * wait (bounded) only when it says it is full.
			 */
			n = send(l->fd, l->out + done, l->out_len - done,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno == ENOTSOCK) {
				l->notsock = 1;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				if (lineio_wait(l, POLLOUT) <= 0) {
					l->error = 1;
					return -1;
				}
				continue;
			}
		} else if (l->wfn == NULL) {
			w = lineio_wait(l, POLLOUT);
			if (w <= 0) {
				l->error = 1;
				return -1;
			}
			n = write(l->fd, l->out + done, l->out_len - done);
		} else
			n = l->wfn(l->hctx, l->out + done, l->out_len - done);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			l->error = 1;
			return -1;
		}
		done += (size_t)n;
	}
	l->out_len = 0;
	return 0;
}

/*
 * lineio_vreply - one protocol reply or response line: fmt and ap into
 * line (which keeps it, CRLF added), logged to peer under -v (tmp holds
 * the printable copy), then buffered: the replies to pipelined commands
 * leave in one write, before the next wait for input.
 */
int
lineio_vreply(struct lineio *l, struct buf *line, const char *peer,
    struct buf *tmp, const char *fmt, va_list ap)
{
	buf_reset(line);
	buf_vappendf(line, fmt, ap);
	if (msg_verbose)
		msg_debug("> %s: %.200s", peer, printable(buf_str(line), tmp));
	buf_puts(line, "\r\n");
	return lineio_write(l, buf_str(line), buf_len(line));
}

/* lineio_reply - lineio_vreply() with the arguments in the call */
int
lineio_reply(struct lineio *l, struct buf *line, const char *peer,
    struct buf *tmp, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = lineio_vreply(l, line, peer, tmp, fmt, ap);
	va_end(ap);
	return r;
}

/* lineio_write - buffer output, flushing when the buffer fills */
int
lineio_write(struct lineio *l, const void *p, size_t n)
{
	const char *c = p;
	size_t chunk;

	while (n > 0) {
		if (l->out_len == LINEIO_OUTSIZE && lineio_flush(l) < 0)
			return -1;
		chunk = LINEIO_OUTSIZE - l->out_len;
		if (chunk > n)
			chunk = n;
		memcpy(l->out + l->out_len, c, chunk);
		l->out_len += chunk;
		c += chunk;
		n -= chunk;
	}
	return l->error ? -1 : 0;
}

/* lineio_puts - buffer a C string */
int
lineio_puts(struct lineio *l, const char *s)
{
	return lineio_write(l, s, strlen(s));
}

/* lineio_printf - buffer printf-style output */
int
lineio_printf(struct lineio *l, const char *fmt, ...)
{
	char small[1024], *big = NULL;
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return lineio_write(l, small, (size_t)n);
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r = lineio_write(l, big, (size_t)n);
	free(big);
	return r;
}
