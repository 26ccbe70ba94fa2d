/*
 * pipe_copy - the command's stdin: the lines the flags ask for, then the
 * message from the queue file, a lib/command.h feed.
 *
 * First, as Postfix writes them: F "From sender  date", R "Return-Path:
 * <sender>", O "X-Original-To: recipient", D "Delivered-To: recipient"
 * (the null sender is null_sender=, MAILER-DAEMON by default, in From_).
 * Then the message (LF line ends in the queue file), each line end made
 * eol= ("\n" by default), "." put before a line that starts with "."
 * (flag .), ">" before one that starts with "From " (flag >), a line end
 * after a last line without one, and a blank line at the end (flag B).
 * Addresses in the added lines have control characters made '?', so no
 * recipient can add a header line of its own.
 *
 * Only the first five bytes of a line are ever held back (to see "From "
 * across reads), so a long line costs no memory.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "deliver.h"
#include "pipe.h"
#include "queue_trust.h"
#include "util.h"

#define PIPE_COPY_READ	(16 * 1024)	/* queue file bytes per read */

struct pipe_copy {
	const struct pipe_attr *attr;
	int		 qfd;
	off_t		 off;		/* next queue file byte */
	off_t		 left;		/* message bytes still to read */
	struct buf	*out;		/* made, not yet fed */
	size_t		 out_done;
	char		*in;
	int		 bol;		/* at the start of a line */
	char		 lead[5];	/* a line's first bytes, held back */
	size_t		 nlead;
	int		 ended;		/* the end's bytes are in out */
};

/* pipe_copy_eol - a line end, as eol= says */
static void
pipe_copy_eol(struct pipe_copy *c)
{
	buf_append(c->out, buf_str(c->attr->eol), buf_len(c->attr->eol));
}

/* pipe_copy_line - an added line: name, the value made printable, eol */
static void
pipe_copy_line(struct pipe_copy *c, const char *name, const char *value,
    const char *close)
{
	struct buf *clean = buf_new(128, 0);

	buf_puts(c->out, name);
	buf_puts(c->out, printable(value, clean));
	buf_puts(c->out, close);
	pipe_copy_eol(c);
	buf_free(&clean);
}

/* pipe_copy_from - the From_ line: "From sender  Mon Dec  7 06:05:31 2026" */
static void
pipe_copy_from(struct pipe_copy *c, const char *sender)
{
	struct buf *tail = buf_new(64, 0);
	time_t now = time(NULL);
	char date[64];
	struct tm tm;

	localtime_r(&now, &tm);
	if (strftime(date, sizeof(date), "%a %b %e %T %Y", &tm) == 0)
		date[0] = '\0';
	buf_setf(tail, "  %s", date);
	pipe_copy_line(c, "From ", *sender ? sender : "MAILER-DAEMON",
	    buf_str(tail));
	buf_free(&tail);
}

/* pipe_copy_new - the feed of one delivery's stdin */
struct pipe_copy *
pipe_copy_new(const struct pipe_attr *a, const struct pipe_env *e, int qfd,
    off_t offset, off_t size)
{
	struct pipe_copy *c = xcalloc(1, sizeof(*c));
	const char *sender = *e->sender ? e->sender :
	    buf_str(a->null_sender);

	c->attr = a;
	c->qfd = qfd;
	c->off = offset;
	c->left = size;
	c->out = buf_new(PIPE_COPY_READ * 2, 0);
	c->in = xmalloc(PIPE_COPY_READ);
	c->bol = 1;
	if (a->flags & PIPE_FLAG_FROM)
		pipe_copy_from(c, sender);
	if (a->flags & PIPE_FLAG_RETURN)
		pipe_copy_line(c, "Return-Path: <", sender, ">");
	if (a->flags & PIPE_FLAG_ORIG)
		pipe_copy_line(c, "X-Original-To: ", e->rcpt[0].orig ?
		    e->rcpt[0].orig : e->rcpt[0].addr, "");
	if (a->flags & PIPE_FLAG_DELIVERED)
		pipe_copy_line(c, "Delivered-To: ", e->rcpt[0].addr, "");
	return c;
}

/* pipe_copy_lead - write out a line's held-back first bytes */
static void
pipe_copy_lead(struct pipe_copy *c)
{
	int flags = c->attr->flags;
	size_t i;

	if (c->nlead == 0)
		return;
	if ((flags & PIPE_FLAG_DOT) && c->lead[0] == '.')
		buf_putc(c->out, '.');
	if ((flags & PIPE_FLAG_QUOTE_FROM) && c->nlead == 5 &&
	    memcmp(c->lead, "From ", 5) == 0)
		buf_putc(c->out, '>');
	c->bol = 0;
	for (i = 0; i < c->nlead; i++) {
		if (c->lead[i] == '\n') {
			pipe_copy_eol(c);
			c->bol = 1;
		} else
			buf_putc(c->out, c->lead[i]);
	}
	c->nlead = 0;
}

/* pipe_copy_bytes - message bytes into out, line starts quoted */
static void
pipe_copy_bytes(struct pipe_copy *c, const char *p, size_t n)
{
	const char *nl;
	size_t run;

	while (n > 0) {
		if (c->bol) {
			c->lead[c->nlead++] = *p;
			if (*p == '\n' || c->nlead == sizeof(c->lead))
				pipe_copy_lead(c);
			p++;
			n--;
			continue;
		}
		/* The rest of the line goes as it is. */
		nl = memchr(p, '\n', n);
		run = nl ? (size_t)(nl - p) : n;
		buf_append(c->out, p, run);
		p += run;
		n -= run;
		if (nl != NULL) {
			pipe_copy_eol(c);
			c->bol = 1;
			p++;
			n--;
		}
	}
}

/* pipe_copy_end - what follows the message's last byte */
static void
pipe_copy_end(struct pipe_copy *c)
{
	pipe_copy_lead(c);
	if (!c->bol)
		pipe_copy_eol(c);
	if (c->attr->flags & PIPE_FLAG_BLANK)
		pipe_copy_eol(c);
	c->ended = 1;
}

/* pipe_copy_feed - the next stdin bytes: > 0, 0 at the end, -1 with why */
ssize_t
pipe_copy_feed(void *ctx, char *data, size_t size, struct buf *why)
{
	struct pipe_copy *c = ctx;
	ssize_t got;
	size_t n;

	while (c->out_done == buf_len(c->out)) {
		buf_reset(c->out);
		c->out_done = 0;
		if (c->ended)
			return 0;
		if (c->left == 0) {
			pipe_copy_end(c);
			continue;
		}
		got = queue_trust_read(c->qfd, c->in, PIPE_COPY_READ, &c->off,
		    &c->left, why);
		if (got < 0)
			return -1;
		pipe_copy_bytes(c, c->in, (size_t)got);
	}
	n = buf_len(c->out) - c->out_done;
	n = n < size ? n : size;
	memcpy(data, buf_str(c->out) + c->out_done, n);
	c->out_done += n;
	return (ssize_t)n;
}

/* pipe_copy_free - forget a feed */
void
pipe_copy_free(struct pipe_copy **cp)
{
	if (*cp == NULL)
		return;
	buf_free(&(*cp)->out);
	free((*cp)->in);
	free(*cp);
	*cp = NULL;
}
