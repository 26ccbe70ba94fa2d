/*
 * fuzz_pipe - libFuzzer target: what the pipe agent does with what it
 * does not trust (pipe/pipe_argv.c, pipe/pipe_copy.c).  The input's first
 * line is a recipient and a sender (split at the first space), the rest a
 * message.  ${recipient}, ${sender} and ${mailbox}@${domain} must each
 * expand to one argument equal to the value (no shell, no splitting, no
 * loss); the command's stdin, without flags and with ". >", must be
 * what a plain line-by-line reference (fuzz_expect) makes of the message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "deliver.h"
#include "msg.h"
#include "params.h"
#include "../pipe/pipe.h"

/* fuzz_stdin - the whole stdin for a message in fd (offset 0) */
static void
fuzz_stdin(const struct pipe_attr *a, const struct pipe_env *e, int fd,
    size_t len, struct buf *out)
{
	struct buf *why = buf_new(64, 0);
	struct pipe_copy *c = pipe_copy_new(a, e, fd, 0, (off_t)len);
	char data[777];
	ssize_t n;

	while ((n = pipe_copy_feed(c, data, sizeof(data), why)) > 0)
		buf_append(out, data, (size_t)n);
	if (n < 0)
		abort();
	pipe_copy_free(&c);
	buf_free(&why);
}

/* fuzz_expect - the stdin for a message, line by line: the reference */
static void
fuzz_expect(const char *p, size_t len, int quote, struct buf *out)
{
	const char *end = p + len, *nl;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (quote && n > 0 && *p == '.')
			buf_putc(out, '.');
		if (quote && n >= 5 && memcmp(p, "From ", 5) == 0)
			buf_putc(out, '>');
		buf_append(out, p, n);
		buf_putc(out, '\n');
		p += n + (nl != NULL);
	}
}

/* fuzz_same - abort unless two bufs hold the same bytes */
static void
fuzz_same(const struct buf *x, const struct buf *y)
{
	if (buf_len(x) != buf_len(y) || memcmp(buf_str(x), buf_str(y),
	    buf_len(x)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *text = (const char *)data, *nl, *sp;
	char *args[] = {"user=nobody", "argv=/bin/x", "${recipient}",
	    "${sender}", "${mailbox}@${domain}", NULL};
	char *quoting[] = {"flags=.>", "user=nobody", "argv=/bin/x", NULL};
	struct buf *rcpt = buf_new(64, 0), *sender = buf_new(64, 0),
	    *why = buf_new(64, 0), *got = buf_new(256, 0),
	    *want = buf_new(256, 0);
	struct deliver_rcpt r = {NULL, NULL, NULL, NULL};
	struct pipe_env e;
	struct pipe_attr a, q;
	char **v, tmpl[] = "/tmp/fuzz_pipe.XXXXXX";
	size_t mlen;
	int fd;

	msg_set_flags(0);
	var_recipient_delimiter = "+";
	var_mail_owner = "";
	nl = memchr(text, '\n', len);
	mlen = nl ? len - (size_t)(nl + 1 - text) : 0;
	buf_append(rcpt, text, nl ? (size_t)(nl - text) : len);
	if (memchr(buf_str(rcpt), '\0', buf_len(rcpt)) != NULL)
		goto out;		/* no NUL reaches an argument */
	if ((sp = strchr(buf_str(rcpt), ' ')) != NULL) {
		buf_set(sender, sp + 1);
		buf_truncate(rcpt, (size_t)(sp - buf_str(rcpt)));
	}
	r.addr = buf_str(rcpt);
	e.sender = buf_str(sender);
	e.nexthop = NULL;
	e.size = (off_t)mlen;
	e.rcpt = &r;
	e.nrcpt = 1;
	pipe_attr_init(&a);
	pipe_attr_init(&q);
	if (pipe_attr_parse(&a, args, why) < 0 ||
	    pipe_attr_parse(&q, quoting, why) < 0)
		abort();
	if ((v = pipe_argv_expand(&a, &e, why)) != NULL) {
		if (strcmp(v[1], r.addr) != 0 || (*e.sender &&
		    strcmp(v[2], e.sender) != 0) || (strchr(r.addr, '@') &&
		    strcmp(v[3], r.addr) != 0) || v[4] != NULL)
			abort();
		pipe_argv_free(&v);
	} else if (buf_len(rcpt) < 8192)
		abort();		/* only an over-long argument fails */
	fd = mkstemp(tmpl);
	if (fd < 0)
		abort();
	unlink(tmpl);
	if (mlen > 0 && write(fd, nl + 1, mlen) != (ssize_t)mlen)
		abort();
	fuzz_expect(nl ? nl + 1 : "", mlen, 0, want);
	fuzz_stdin(&a, &e, fd, mlen, got);
	fuzz_same(got, want);
	buf_reset(got);
	buf_reset(want);
	fuzz_expect(nl ? nl + 1 : "", mlen, 1, want);
	fuzz_stdin(&q, &e, fd, mlen, got);
	fuzz_same(got, want);
	close(fd);
	pipe_attr_free(&a);
	pipe_attr_free(&q);
out:
	buf_free(&rcpt);
	buf_free(&sender);
	buf_free(&why);
	buf_free(&got);
	buf_free(&want);
	return 0;
}
