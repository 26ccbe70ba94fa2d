/*
 * smtpd_bdat - BDAT (CHUNKING, RFC 3030): "BDAT size [LAST]" and exactly
 * size bytes of the message after it, no dot-stuffing and no end mark.
 * The chunks of a message go into one queue file through what DATA uses
 * (smtpd_data.c: the header watch, message_size_limit, the bare LF rule,
 * the Received: header, the commit before 250); each chunk but the last
 * is answered "250 2.0.0 Ok: N octets received", the last with the queue
 * id.  CRLF becomes LF, as in every queue file.
 *
 * The bytes of a chunk are always read, even when the chunk is refused
 * (no MAIL, no RCPT, DATA already used): otherwise they would be taken
 * for commands, which is how one smuggles a message past a filter.  A
 * BDAT line whose size cannot be read gets 501 and the session ends,
 * for the same reason: we could not know where the next command starts.
 * BINARYMIME is not offered: the queue file keeps lines, not bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "util.h"
#include "smtpd.h"

#define SMTPD_BDAT_READ		8192	/* bytes read at a time */
#define SMTPD_BDAT_SIZE_MAX	(1LL << 50)	/* beyond any message */

struct smtpd_bdat {
	struct smtpd_msg *m;
	struct buf	*pend;		/* the start of a line not yet ended */
};

/* smtpd_bdat_free - forget the chunks so far (RSET, HELO, the end) */
void
smtpd_bdat_free(struct smtpd_state *s)
{
	if (s->bdat == NULL)
		return;
	smtpd_data_free(&s->bdat->m);
	s->qid = NULL;
	buf_free(&s->bdat->pend);
	free(s->bdat);
	s->bdat = NULL;
}

/*
 * smtpd_bdat_lines - hand the whole lines in pend to the message; keep
 * the rest, but not more than a piece of SMTPD_DATA_CHUNK (a CR at its
 * end waits: an LF may follow in the next chunk)
 */
static void
smtpd_bdat_lines(struct smtpd_bdat *b)
{
	char *p = b->pend->data, *lf;
	size_t len = buf_len(b->pend), n;
	int eol;

	while ((lf = memchr(p, '\n', len)) != NULL) {
		n = (size_t)(lf - p);
		eol = n > 0 && p[n - 1] == '\r' ? LINEIO_EOL_CRLF :
		    LINEIO_EOL_LF;
		smtpd_data_feed(b->m, p, eol == LINEIO_EOL_CRLF ? n - 1 : n, 1,
		    eol);
		p += n + 1;
		len -= n + 1;
	}
	while (len >= SMTPD_DATA_CHUNK) {
		n = SMTPD_DATA_CHUNK - 1;
		smtpd_data_feed(b->m, p, n, 0, LINEIO_EOL_NONE);
		p += n;
		len -= n;
	}
	memmove(b->pend->data, p, len);
	buf_truncate(b->pend, len);
}

/*
 * smtpd_bdat_read - read a chunk of size bytes, into the message when b
 * is not NULL.  0, or the LINE_* code that cut it short.
 */
static int
smtpd_bdat_read(struct smtpd_state *s, struct smtpd_bdat *b,
    long long size)
{
	char chunk[SMTPD_BDAT_READ];
	ssize_t n;
	size_t want;

	while (size > 0) {
		want = size < (long long)sizeof(chunk) ? (size_t)size :
		    sizeof(chunk);
		if ((n = lineio_read(s->io, chunk, want)) <= 0)
			return n == 0 ? LINE_EOF : errno == ETIMEDOUT ?
			    LINE_TIMEOUT : LINE_ERROR;
		size -= n;
		if (b != NULL) {
			buf_append(b->pend, chunk, (size_t)n);
			smtpd_bdat_lines(b);
		}
	}
	return 0;
}

/* smtpd_bdat_args - "size [LAST]": the size, or -1 */
static long long
smtpd_bdat_args(char *args, int *last)
{
	char *tok, *end;
	long long size;

	*last = 0;
	if ((tok = mystrtok(&args, " \t")) == NULL || *tok < '0' ||
	    *tok > '9')
		return -1;
	errno = 0;
	size = strtoll(tok, &end, 10);
	if (*end != '\0' || errno != 0 || size > SMTPD_BDAT_SIZE_MAX)
		return -1;
	if ((tok = mystrtok(&args, " \t")) != NULL) {
		if (strcasecmp(tok, "LAST") != 0 ||
		    mystrtok(&args, " \t") != NULL)
			return -1;
		*last = 1;
	}
	return size;
}

/* smtpd_bdat - BDAT size [LAST] */
void
smtpd_bdat(struct smtpd_state *s, char *args)
{
	struct smtpd_bdat *b;
	struct buf *detail;
	long long size;
	int last, r;

	if ((size = smtpd_bdat_args(args, &last)) < 0) {
		msg_info("bad BDAT syntax from %s", s->namaddr);
		smtpd_reply(s, "501 5.5.4 Syntax: BDAT count [LAST]");
		s->quit = s->linger = 1;
		return;
	}
	if (s->bdat == NULL && smtpd_data_check(s)) {
		s->bdat = xcalloc(1, sizeof(*s->bdat));
		if ((s->bdat->m = smtpd_data_begin(s)) == NULL ||
		    smtpd_milter_data(s) < 0)
			smtpd_bdat_free(s);
	}
	/* Refused: the chunk is read all the same, and dropped. */
	if (s->bdat == NULL) {
		if ((r = smtpd_bdat_read(s, NULL, size)) != 0)
			smtpd_lost(s, r, "");
		return;
	}
	b = s->bdat;
	if (b->pend == NULL)
		b->pend = buf_new(SMTPD_DATA_CHUNK + SMTPD_BDAT_READ, 0);
	if ((r = smtpd_bdat_read(s, b, size)) != 0) {
		detail = buf_new(64, 0);
		buf_setf(detail, " (%lld bytes)", smtpd_data_size(b->m));
		smtpd_lost(s, r, buf_str(detail));
		buf_free(&detail);
		smtpd_reset(s);
		return;
	}
	if (!last) {
		smtpd_reply(s, "250 2.0.0 Ok: %lld octets received", size);
		return;
	}
	if (buf_len(b->pend) > 0)	/* a last line without its CRLF */
		smtpd_data_feed(b->m, buf_str(b->pend), buf_len(b->pend), 1,
		    LINEIO_EOL_NONE);
	smtpd_data_done(s, b->m);
	smtpd_reset(s);
}
