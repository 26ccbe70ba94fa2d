/*
 * smtp_7bit - a message with 8-bit bytes for a server that does not offer
 * 8BITMIME (RFC 6152 3: the client converts it to 7 bits, or returns it).
 * As Postfix does by default, each leaf MIME part whose body has 8-bit
 * bytes and whose Content-Transfer-Encoding is none, 7bit or 8bit is sent
 * quoted-printable (RFC 2045 6.7): its Content-Transfer-Encoding field is
 * replaced, and a message without MIME-Version gets one.  Everything else
 * (multipart boundaries, preambles, base64 parts, headers, which 8BITMIME
 * does not cover) goes as it is.  The structure comes from lib/mime.c,
 * which distrusts its input and bounds nesting and parts.
 *
 * The converted message is written into a memory file (memfd) that the
 * caller sends like the queue file, so that DATA, BDAT's count and the
 * dot-stuffing are the same code.  The whole message is read into memory:
 * it is at most message_size_limit.
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "mime.h"
#include "util.h"
#include "smtp_data.h"

#define SMTP_7BIT_LINE	76	/* quoted-printable line length (RFC 2045) */

/* smtp_7bit_has8 - does the range hold a byte with the high bit set? */
static int
smtp_7bit_has8(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] & 0x80)
			return 1;
	return 0;
}

/* smtp_7bit_qp - append len bytes as quoted-printable, LF line ends */
void
smtp_7bit_qp(struct buf *out, const char *p, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0, need;
	unsigned char c;
	int eol;

	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c == '\n') {
			buf_putc(out, '\n');
			col = 0;
			continue;
		}
		if (c == '\r' && i + 1 < len && p[i + 1] == '\n')
			continue;	/* CRLF in the file: one line end */
		eol = i + 1 == len || p[i + 1] == '\n' ||
		    (p[i + 1] == '\r' && i + 2 < len && p[i + 2] == '\n');
		/* Literal: printable ASCII but '=', and blanks not at the end. */
		need = ((c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !eol)) ? 1 : 3;
		/* Room for a soft break "=" unless this ends the line. */
		if (col + need > SMTP_7BIT_LINE - (eol ? 0 : 1)) {
			buf_puts(out, "=\n");
			col = 0;
		}
		if (need == 1)
			buf_putc(out, (char)c);
		else {
			buf_putc(out, '=');
			buf_putc(out, hex[c >> 4]);
			buf_putc(out, hex[c & 15]);
		}
		col += need;
	}
}

/* smtp_7bit_header - a part's header without its transfer encoding */
static void
smtp_7bit_header(struct buf *out, const char *h, size_t len, int root)
{
	static const char cte[] = "content-transfer-encoding";
	const char *nl, *end = h + len, *field, *colon;
	int mime_version = 0;

	/* The blank line that ends it is written after the new field. */
	while (len > 0 && (h[len - 1] == '\n' || h[len - 1] == '\r') &&
	    (len < 2 || h[len - 2] == '\n' || h[len - 2] == '\r'))
		len--;
	end = h + len;
	while (h < end) {
		field = h;
		do {
			nl = memchr(h, '\n', (size_t)(end - h));
			h = nl != NULL ? nl + 1 : end;
		} while (h < end && (*h == ' ' || *h == '\t'));
		colon = memchr(field, ':', (size_t)(h - field));
		if (colon != NULL && (size_t)(colon - field) == sizeof(cte) - 1 &&
		    strncasecmp(field, cte, sizeof(cte) - 1) == 0)
			continue;
		if (colon != NULL && colon - field == 12 &&
		    strncasecmp(field, "mime-version", 12) == 0)
			mime_version = 1;
		buf_append(out, field, (size_t)(h - field));
		if (h == end && h > field && h[-1] != '\n')
			buf_putc(out, '\n');
	}
	if (root && !mime_version)
		buf_puts(out, "MIME-Version: 1.0\n");
	buf_puts(out, "Content-Transfer-Encoding: quoted-printable\n\n");
}

/* smtp_7bit_leaf - must this leaf be converted? */
static int
smtp_7bit_leaf(const char *msg, const struct mime_part *p)
{
	if (p->child != NULL || p->message != NULL || p->hdr_len == 0 ||
	    !smtp_7bit_has8(msg + p->body_off, p->body_len))
		return 0;
	return p->encoding == NULL || strcasecmp(p->encoding, "7bit") == 0 ||
	    strcasecmp(p->encoding, "8bit") == 0;
}

/* smtp_7bit_walk - convert the leaves under p, in the order of the bytes */
static void
smtp_7bit_walk(struct buf *out, const char *msg, const struct mime_part *p,
    size_t *done)
{
	const struct mime_part *c;

	if (p->message != NULL)
		smtp_7bit_walk(out, msg, p->message, done);
	for (c = p->child; c != NULL; c = c->next)
		smtp_7bit_walk(out, msg, c, done);
	if (!smtp_7bit_leaf(msg, p) || p->hdr_off < *done)
		return;
	buf_append(out, msg + *done, p->hdr_off - *done);
	smtp_7bit_header(out, msg + p->hdr_off, p->hdr_len, p->parent == NULL);
	smtp_7bit_qp(out, msg + p->body_off, p->body_len);
	*done = p->body_off + p->body_len;
}

/*
 * smtp_7bit_convert - the message msg/len with its 8-bit leaves made
 * quoted-printable, appended to out: 1, or 0 when nothing needs it (no
 * 8-bit byte in a body that may be converted; out untouched).
 */
int
smtp_7bit_convert(struct buf *out, const char *msg, size_t len)
{
	struct buf *why;
	struct mime_part *root;
	size_t start = buf_len(out), done = 0;

	if (!smtp_7bit_has8(msg, len))
		return 0;
	why = buf_new(64, 0);
	root = mime_parse(msg, len, why);
	buf_free(&why);
	if (root == NULL)
		return 0;
	smtp_7bit_walk(out, msg, root, &done);
	mime_free(&root);
	if (done == 0) {
		buf_truncate(out, start);
		return 0;
	}
	buf_append(out, msg + done, len - done);
	return 1;
}

/*
 * smtp_7bit_open - the message at offset/size of fd converted for a
 * server without 8BITMIME: 1 with *cfd a memory file and *csize its
 * size, 0 when it goes as it is, -1 with why (a read error).
 */
int
smtp_7bit_open(int fd, off_t offset, off_t size, int *cfd, off_t *csize,
    struct buf *why)
{
	struct buf *out;
	char *msg;
	int mfd, conv = 0;

	if ((msg = smtp_data_slurp(fd, offset, size, why)) == NULL)
		return -1;
	out = buf_new((size_t)size + size / 8 + 256, 0);
	if (smtp_7bit_convert(out, msg, (size_t)size)) {
		if ((mfd = memfd_create("cartero-7bit", MFD_CLOEXEC)) < 0 ||
		    write_full(mfd, buf_str(out), buf_len(out)) < 0) {
			buf_setf(why, "memory file for the 7-bit copy: %s",
			    strerror(errno));
			if (mfd >= 0)
				close(mfd);
			conv = -1;
		} else {
			*cfd = mfd;
			*csize = (off_t)buf_len(out);
			conv = 1;
		}
	}
	free(msg);
	buf_free(&out);
	return conv;
}
