/*
 * fuzz_smtp_reply - libFuzzer target: the smtp agent's reply parser and
 * EHLO keywords (smtp/smtp_reply.c).
 *
 * The input is a server's byte stream, cut into lines at LF (a CR before
 * it dropped, as the line reader does) and fed to smtp_reply_line until
 * a reply ends, then the next.  Checks: a reply never holds more lines
 * than its limit nor more text than its cap, a whole reply's code is
 * 200..599 with an enhanced code of its class or none, and the one-line
 * form has no control character.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../smtp/smtp_reply.c"

#define FUZZ_LINES	8
#define FUZZ_TEXT	512

/* fuzz_check - what a whole reply must be */
static void
fuzz_check(struct smtp_reply *r)
{
	struct smtp_ext ext;
	struct buf *one = buf_new(64, 0);
	size_t i;

	if (r->code < 200 || r->code > 599 || r->nlines > FUZZ_LINES ||
	    buf_len(r->text) > FUZZ_TEXT)
		abort();
	if (r->dsn[0] != '\0' && r->dsn[0] != '0' + r->code / 100)
		abort();
	smtp_reply_ehlo(r, &ext);
	if (ext.size < 0)
		abort();
	smtp_reply_str(r, one);
	for (i = 0; i < buf_len(one); i++)
		if ((unsigned char)buf_str(one)[i] < ' ')
			abort();
	buf_free(&one);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct smtp_reply r;
	const char *p = (const char *)data, *end = p + len, *nl;
	size_t n;
	int res;

	smtp_reply_init(&r, FUZZ_LINES, FUZZ_TEXT);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		res = smtp_reply_line(&r, p, n);
		if (res == SMTP_REPLY_DONE)
			fuzz_check(&r);
		if (res != SMTP_REPLY_MORE)
			smtp_reply_reset(&r);
		p = nl + 1;
	}
	smtp_reply_free(&r);
	return 0;
}
