/*
 * fuzz_imap - libFuzzer target: the IMAP command reader and the syntaxes
 * around it (lib/imapparse.c, lib/imapparse_date.c, the sequence sets of
 * imapd/imapd_set.c), and mailbox names (lib/mutf7.c,
 * lib/mailbox_list.c).
 *
 * The input is a client's byte stream: commands are read from it until
 * it ends (literals, continuations and all; the server's own output is
 * dropped).  The low bits of its first octet (read, not skipped) choose
 * a byte budget per command and whether an APPENDed message is outside
 * it.  Every argument is then taken as a sequence set, a number, a flag
 * name, a date, a date-time and a mailbox name.  Checks: a command never
 * holds more than IMAPPARSE_ARGS_MAX tokens, a parsed set's ranges are
 * sorted, disjoint and not adjacent, parentheses in a command that was
 * accepted balance, a literal never passes the limit, a name accepted
 * for a path maps to one directory entry directly under the Maildir,
 * and modified UTF-7 that decodes encodes back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../imapd/imapd_set.c"
#include "buf.h"
#include "imapparse.h"
#include "lineio.h"
#include "mailbox.h"
#include "msg.h"
#include "mutf7.h"

#define FUZZ_LITERAL_MAX	512
#define FUZZ_CMD_MAX		1024	/* the budget, when chosen */

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
	struct imapparse_reader	 rd;
	struct imapparse_cmd	 c;
	struct imapd_set	 set;
	struct fuzz_in		 in;
	struct buf		*path, *why, *flags;
	time_t			 t;
	uint64_t		 v;
	int			 r, i, k, depth, y, m, d, n = 0;

	msg_set_flags(0);
	memset(&rd, 0, sizeof(rd));
	memset(&c, 0, sizeof(c));
	in.p = data;
	in.left = len;
	rd.io = lineio_new(-1, IMAPD_LINE_MAX, 0);
	lineio_set_hooks(rd.io, fuzz_read, fuzz_write, &in);
	rd.literal_max = FUZZ_LITERAL_MAX;
	rd.cmd_max = len > 0 && (data[0] & 1) ? FUZZ_CMD_MAX : 0;
	rd.append = len > 0 && (data[0] & 2);
	rd.secret = 1;
	path = buf_new(64, 0);
	why = buf_new(64, 4096);
	flags = buf_new(64, 0);
	while (n++ < 64) {
		r = imapparse_read(&rd, &c, why);
		if (r == IMAPPARSE_READ_EOF || r == IMAPPARSE_READ_TIMEOUT ||
		    r == IMAPPARSE_READ_BYE)
			break;
		if (r != IMAPPARSE_READ_OK)
			continue;
		if (c.nargs > IMAPPARSE_ARGS_MAX || c.tag == NULL ||
		    c.name == NULL)
			abort();
		for (i = 0, depth = 0; i < c.nargs; i++) {
			struct imapparse_arg *a = &c.args[i];

			if (a->type == IMAPPARSE_LPAREN)
				depth++;
			else if (a->type == IMAPPARSE_RPAREN && --depth < 0)
				abort();
			if (a->type != IMAPPARSE_ATOM &&
			    a->type != IMAPPARSE_STRING)
				continue;
			if (a->literal && a->len > FUZZ_LITERAL_MAX)
				abort();
			if (strlen(a->s) != a->len &&
			    a->type == IMAPPARSE_ATOM)
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
			if (imapparse_number64(a->s, &v) == 0 &&
			    v > INT64_MAX)
				abort();
			k = imapparse_system_flag(a->s);
			buf_reset(flags);
			imapparse_system_flags(flags, 0, k > 0 ? k : 0);
			if (k > 0 && strcasecmp(buf_str(flags), a->s) != 0)
				abort();
			(void)imapparse_date_parse(a->s, &y, &m, &d);
			(void)imapparse_date_time(a->s, &t);
			(void)imapparse_date_header(a->s, &y, &m, &d);
			fuzz_name(a->s, path, why);
		}
		if (depth != 0)
			abort();
	}
	imapparse_free(&c);
	lineio_free(&rd.io);
	buf_free(&why);
	buf_free(&path);
	buf_free(&flags);
	return 0;
}
