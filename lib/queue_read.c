/*
 * queue_read - reading a queue file: its envelope records one at a time
 * (each with its file offset), the checks of a finished file (T record's
 * id, S record's size and checksum against the message), the A records,
 * and marking a recipient done in place (R becomes D).
 *
 * The reader distrusts the file: every record is checked, values are
 * decoded, and a file whose message is shorter or longer than its S record
 * says, or whose checksum or T record's id does not match, is called
 * corrupt rather than half-delivered.  The writer is queue.c.
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
#include "msg.h"
#include "queue.h"
#include "util.h"

#define QUEUE_RBUF_SIZE		(64 * 1024)	/* envelope read chunk */
#define QUEUE_REC_MAX		(64 * 1024)	/* longest envelope record */

/*
 * Reading.  A small reader over pread() that hands out envelope records
 * one at a time and knows the file offset of each.
 */
struct queue_reader {
	int	 fd;
	char	*buf;
	size_t	 len;		/* bytes held */
	size_t	 start;		/* first unconsumed byte */
	off_t	 buf_off;	/* file offset of buf[0] */
	int	 eof;
};

/* queue_reader_line - next record, NUL-terminated in place; 1, 0 EOF, -1 */
static int
queue_reader_line(struct queue_reader *r, char **line, off_t *off,
    struct buf *why)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->len - r->start);
		if (nl != NULL) {
			*nl = '\0';
			*line = r->buf + r->start;
			*off = r->buf_off + (off_t)r->start;
			if (strlen(*line) != (size_t)(nl - *line)) {
				buf_setf(why, "NUL byte in the envelope at "
				    "offset %lld", (long long)*off);
				return -1;
			}
			r->start = (size_t)(nl - r->buf) + 1;
			return 1;
		}
		if (r->eof) {
			if (r->len > r->start) {
				buf_setf(why, "unterminated record at "
				    "offset %lld", (long long)(r->buf_off +
				    (off_t)r->start));
				return -1;
			}
			return 0;
		}
		/* Slide what is left to the front, then read more. */
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->len - r->start);
			r->len -= r->start;
			r->buf_off += (off_t)r->start;
			r->start = 0;
		}
		if (r->len >= QUEUE_REC_MAX) {
			buf_setf(why, "record longer than %d bytes at "
			    "offset %lld", QUEUE_REC_MAX,
			    (long long)r->buf_off);
			return -1;
		}
		do
			n = pread(r->fd, r->buf + r->len, QUEUE_RBUF_SIZE,
			    r->buf_off + (off_t)r->len);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			buf_setf(why, "read: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			r->eof = 1;
		r->len += (size_t)n;
	}
}

/* queue_parse_num - all digits, into a long long; -1 on error */
static long long
queue_parse_num(const char *s, const char **end)
{
	unsigned long long v;
	const char *p;

	if ((p = dec_scan(s, NULL, LLONG_MAX, &v)) == NULL)
		return -1;
	if (end != NULL)
		*end = p;
	else if (*p != '\0')
		return -1;
	return (long long)v;
}

/* queue_parse_sum - exactly QUEUE_SUM_WIDTH lowercase hex digits */
static int
queue_parse_sum(const char *s, uint64_t *sum)
{
	uint64_t v = 0;
	int i, d;

	for (i = 0; i < QUEUE_SUM_WIDTH; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	if (s[i] != '\0' && s[i] != ' ')
		return -1;
	*sum = v;
	return 0;
}

/* queue_read_rec - take one envelope record into m; 1 at M, 0, -1 */
static int
queue_read_rec(struct queue_msg *m, char *line, off_t off, int *seen,
    struct buf *why)
{
	struct queue_rcpt *rc;
	const char *end;
	long long v;
	char *value = line + 1, **field;
	int type = (unsigned char)line[0];

	/* T, S and F come first, in that order, once each. */
	if ((*seen == 0 && type != 'T') || (*seen == 1 && type != 'S') ||
	    (*seen == 2 && type != 'F') ||
	    (*seen > 2 && (type == 'T' || type == 'S' || type == 'F'))) {
		if (*seen < 3)
			buf_setf(why, "record %c where %c belongs at offset "
			    "%lld", isprint(type) ? type : '?',
			    "TSF"[*seen], (long long)off);
		else
			buf_setf(why, "repeated %c record at offset %lld",
			    type, (long long)off);
		return -1;
	}
	switch (type) {
	case 'T':
		if ((v = queue_parse_num(value, &end)) < 0 || *end != ' ' ||
		    (m->arrival_usec = (long)queue_parse_num(end + 1,
		    &end)) < 0 || m->arrival_usec >= 1000000)
			goto bad;
		m->arrival = (time_t)v;
		/* The id the writer gave the file (older files: none). */
		if (*end == ' ') {
			if (!queue_id_ok(end + 1))
				goto bad;
			snprintf(m->file_id, sizeof(m->file_id), "%s", end + 1);
		} else if (*end != '\0')
			goto bad;
		break;
	case 'S':
		m->sum_offset = off + (off_t)strlen(line) + 1;
		if ((v = queue_parse_num(value, &end)) < 0)
			goto bad;
		m->size = (off_t)v;
		/* The checksum and the format (older files: none). */
		m->format = 1;
		if (*end == ' ') {
			if (queue_parse_sum(end + 1, &m->sum) < 0)
				goto bad;
			m->has_sum = 1;
			m->format = 2;
			end += 1 + QUEUE_SUM_WIDTH;
		}
		if (*end == ' ' && m->has_sum) {
			if ((v = queue_parse_num(end + 1, &end)) < 3 ||
			    *end != '\0')
				goto bad;
			if (v > QUEUE_FORMAT) {
				buf_setf(why, "queue file format %lld, newer "
				    "than this cartero's (%d)", v,
				    QUEUE_FORMAT);
				return -1;
			}
			m->format = (int)v;
		} else if (*end != '\0')
			goto bad;
		break;
	case 'F':
		m->sender = xstrdup(queue_decode(value));
		break;
	case 'A':
		queue_decode(value);
		if (strchr(value, '=') == NULL || value[0] == '=')
			goto bad;
		m->attr = xrealloc(m->attr, sizeof(char *) *
		    (size_t)(m->nattr + 2));
		m->attr[m->nattr++] = xstrdup(value);
		m->attr[m->nattr] = NULL;
		break;
	case 'R':
	case 'D':
		queue_decode(value);
		if (*value == '\0')
			goto bad;
		m->rcpt = xrealloc(m->rcpt, sizeof(*m->rcpt) *
		    (size_t)(m->nrcpt + 1));
		rc = &m->rcpt[m->nrcpt++];
		rc->addr = xstrdup(value);
		rc->orig = NULL;
		rc->notify = NULL;
		rc->orcpt = NULL;
		rc->offset = off;
		rc->done = type == 'D';
		break;
	case 'O':
	case 'N':
	case 'C':
		/* After their recipient's R or D, in any order, once each. */
		if (m->nrcpt == 0 || *seen != 'R')
			goto bad;
		rc = &m->rcpt[m->nrcpt - 1];
		field = type == 'O' ? &rc->orig : type == 'N' ? &rc->notify :
		    &rc->orcpt;
		if (*field != NULL)
			goto bad;
		*field = xstrdup(queue_decode(value));
		return 0;
	case 'M':
		if (*value != '\0')
			goto bad;
		return 1;
	default:
		buf_setf(why, "unknown record type '%c' at offset %lld",
		    isprint(type) ? type : '?', (long long)off);
		return -1;
	}
	if (*seen < 3)
		(*seen)++;
	else
		*seen = (type == 'R' || type == 'D') ? 'R' : 3;
	return 0;

bad:
	buf_setf(why, "malformed %c record at offset %lld", type,
	    (long long)off);
	return -1;
}

/* queue_read - read and check the envelope of an open queue file */
int
queue_read(int fd, struct queue_msg *m, struct buf *why)
{
	struct queue_reader r;
	struct stat st;
	off_t off;
	char *line;
	int seen = 0, got, rc = -1;

	memset(m, 0, sizeof(*m));
	memset(&r, 0, sizeof(r));
	r.fd = fd;
	r.buf = xmalloc(QUEUE_REC_MAX + QUEUE_RBUF_SIZE + 1);
	for (;;) {
		if ((got = queue_reader_line(&r, &line, &off, why)) < 0)
			goto out;
		if (got == 0) {
			buf_setf(why, "no message record (truncated file?)");
			goto out;
		}
		if ((got = queue_read_rec(m, line, off, &seen, why)) < 0)
			goto out;
		if (got == 1)
			break;
	}
	if (seen < 3) {
		buf_setf(why, "no %c record", "TSF"[seen]);
		goto out;
	}
	m->data_offset = off + 2;
	if (fstat(fd, &st) < 0) {
		buf_setf(why, "fstat: %s", strerror(errno));
		goto out;
	}
	if (st.st_size - m->data_offset != m->size) {
		buf_setf(why, "message is %lld bytes, the S record says %lld",
		    (long long)(st.st_size - m->data_offset),
		    (long long)m->size);
		goto out;
	}
	if (lseek(fd, m->data_offset, SEEK_SET) < 0) {
		buf_setf(why, "lseek: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(r.buf);
	if (rc < 0)
		queue_msg_free(m);
	return rc;
}

/*
 * queue_verify - does the file still hold what its writer wrote?  The
 * checksum of the S record covers every byte after that record, with
 * each recipient's D read as the R it was written as (qmgr marks done
 * recipients in place).  0 when it matches or the file has none, -1 with
 * why otherwise: the file holds, in part or in whole, other content (a
 * crash kept the writes of a reused or new file from the disk).
 */
int
queue_verify(int fd, const struct queue_msg *m, struct buf *why)
{
	char *chunk;
	uint64_t h = QUEUE_SUM_INIT;
	off_t off = m->sum_offset;
	ssize_t n;
	int k = 0, i;

	if (!m->has_sum)
		return 0;
	chunk = xmalloc(QUEUE_RBUF_SIZE);
	for (;;) {
		do
			n = pread(fd, chunk, QUEUE_RBUF_SIZE, off);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			buf_setf(why, "read: %s", strerror(errno));
			free(chunk);
			return -1;
		}
		if (n == 0)
			break;
		for (; k < m->nrcpt && m->rcpt[k].offset < off + n; k++) {
			i = (int)(m->rcpt[k].offset - off);
			if (i >= 0 && chunk[i] == 'D')
				chunk[i] = 'R';
		}
		h = queue_sum(h, chunk, (size_t)n);
		off += n;
	}
	free(chunk);
	if (h != m->sum) {
		buf_setf(why, "its content does not match its checksum");
		return -1;
	}
	return 0;
}

/* queue_msg_free - release what queue_read() allocated */
void
queue_msg_free(struct queue_msg *m)
{
	int i;

	free(m->sender);
	for (i = 0; i < m->nattr; i++)
		free(m->attr[i]);
	free(m->attr);
	for (i = 0; i < m->nrcpt; i++) {
		free(m->rcpt[i].addr);
		free(m->rcpt[i].orig);
		free(m->rcpt[i].notify);
		free(m->rcpt[i].orcpt);
	}
	free(m->rcpt);
	m->sender = NULL;
	m->attr = NULL;
	m->rcpt = NULL;
	m->nattr = m->nrcpt = 0;
}

/* queue_msg_attr - the value of an A record, or NULL */
const char *
queue_msg_attr(const struct queue_msg *m, const char *name)
{
	size_t len = strlen(name);
	int i;

	for (i = 0; i < m->nattr; i++)
		if (strncmp(m->attr[i], name, len) == 0 &&
		    m->attr[i][len] == '=')
			return m->attr[i] + len + 1;
	return NULL;
}

/* queue_mark_done - rewrite an R record to D in place */
int
queue_mark_done(int fd, off_t offset)
{
	char c;
	ssize_t n;

	do
		n = pread(fd, &c, 1, offset);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		if (n == 0)
			errno = EINVAL;
		return -1;
	}
	if (c == 'D')
		return 0;
	if (c != 'R') {
		errno = EINVAL;
		return -1;
	}
	do
		n = pwrite(fd, "D", 1, offset);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}
