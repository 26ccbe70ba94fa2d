/*
 * fuzz_imap - libFuzzer target: imapd's command reader and the syntaxes
 * around it (imapd/imapd_parse.c), and mailbox names (lib/mutf7.c,
 * lib/mailbox_list.c).
 *
 * The input is a client's byte stream: commands are read from it until
 * it ends (literals, continuations and all; the server's own output is
 * dropped).  Every argument is then taken as a sequence set, a date, a
 * date-time and a mailbox name.  Checks: a command never holds more than
 * IMAPD_ARGS_MAX tokens, a parsed set's ranges are sorted, disjoint and
 * not adjacent, parentheses in a command that was accepted
 * balance, a literal never passes the limit, a name accepted for a path
 * maps to one directory entry directly under the Maildir, and modified
 * UTF-7 that decodes encodes back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../imapd/imapd_parse.c"
#include "../imapd/imapd_set.c"
#include "mutf7.h"

#define FUZZ_LITERAL_MAX	512

struct fuzz_in {
	const uint8_t	*p;
	size_t		 left;
};

static ssize_t
fuzz_read(void *ctx, void *buf, size_t n)
{
	struct fuzz_in *in = ctx;

	if (n > in->left)
		n = in->left;
	if (n > 7)
		n = 7;		/* short reads: lines split anywhere */
	memcpy(buf, in->p, n);
	in->p += n;
	in->left -= n;
	return (ssize_t)n;
}

static ssize_t
fuzz_write(void *ctx, const void *buf, size_t n)
{
	return (ssize_t)n;
}

/* fuzz_name - what a name may become on disk */
static void
fuzz_name(const char *name, struct buf *path, struct buf *why)
{
	struct buf *u = buf_new(64, 0), *back = buf_new(64, 0);
	const char *rest;

	if (mailbox_list_path("/m", name, path, why) == 0 &&
	    strcmp(buf_str(path), "/m") != 0) {
		rest = buf_str(path) + 3;	/* past "/m/" */
		if (rest[0] != '.' || strchr(rest, '/') != NULL ||
		    strstr(rest, "..") != NULL || rest[1] == '\0')
			abort();
	}
	if (mutf7_decode(name, u) == 0 && memchr(buf_str(u), '\0',
	    buf_len(u)) == NULL && mutf7_valid(name)) {
		if (mutf7_encode(buf_str(u), back) < 0 ||
		    strcmp(buf_str(back), name) != 0)
			abort();
	}
	buf_free(&u);
	buf_free(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct imapd_state	 s;
	struct imapd_cmd	 c;
	struct imapd_set	 set;
	struct fuzz_in		 in;
	struct buf		*path, *why;
	time_t			 t;
	int			 r, i, k, depth, y, m, d, n = 0;

	msg_set_flags(0);
	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	in.p = data;
	in.left = len;
	s.why = buf_new(64, 4096);
	s.io = lineio_new(-1, IMAPD_LINE_MAX, 0);
	lineio_set_hooks(s.io, fuzz_read, fuzz_write, &in);
	path = buf_new(64, 0);
	why = buf_new(64, 0);
	while (n++ < 64) {
		r = imapd_cmd_read(&s, &c, FUZZ_LITERAL_MAX, s.why);
		if (r == IMAPD_READ_EOF || r == IMAPD_READ_TIMEOUT ||
		    r == IMAPD_READ_BYE)
			break;
		if (r != IMAPD_READ_OK)
			continue;
		if (c.nargs > IMAPD_ARGS_MAX || c.tag == NULL ||
		    c.name == NULL)
			abort();
		for (i = 0, depth = 0; i < c.nargs; i++) {
			struct imapd_arg *a = &c.args[i];

			if (a->type == IMAPD_LPAREN)
				depth++;
			else if (a->type == IMAPD_RPAREN && --depth < 0)
				abort();
			if (a->type != IMAPD_ATOM && a->type != IMAPD_STRING)
				continue;
			if (a->literal && a->len > FUZZ_LITERAL_MAX)
				abort();
			if (strlen(a->s) != a->len && a->type == IMAPD_ATOM)
				abort();
			if (imapd_set_parse(a->s, &set) == 0) {
				for (k = 0; k < set.count; k++)
					if (set.r[k].lo > set.r[k].hi ||
					    (k > 0 && set.r[k].lo <=
					    set.r[k - 1].hi + 1ULL))
						abort();
				(void)imapd_set_has(&set, 5, 10);
				imapd_set_free(&set);
			}
			(void)imapd_date_parse(a->s, &y, &m, &d);
			(void)imapd_datetime_parse(a->s, &t);
			(void)imapd_rfc2822_date(a->s, &y, &m, &d);
			fuzz_name(a->s, path, why);
		}
		if (depth != 0)
			abort();
	}
	imapd_cmd_free(&c);
	lineio_free(&s.io);
	buf_free(&s.why);
	buf_free(&path);
	buf_free(&why);
	return 0;
}
