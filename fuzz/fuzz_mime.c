/*
 * fuzz_mime - libFuzzer target: the MIME parser and everything imapd
 * builds on it (lib/mime.c, mime_imap.c, mime_decode.c): the part tree,
 * BODY and BODYSTRUCTURE, ENVELOPE, BODY[section] for every part, decoded
 * bodies and headers, and search.
 *
 * Checks: every part's header and body lie inside the message, in order;
 * the body of a part follows its header; children lie inside their
 * parent's body; nesting stays under MIME_DEPTH_MAX; a section range lies
 * inside the message; the IMAP output has balanced parentheses outside
 * quoted strings and literals.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "msg.h"

/* fuzz_check_part - a part and those below it lie where they should */
static size_t
fuzz_check_part(const struct mime_part *p, size_t len, int depth)
{
	const struct mime_part *c;
	size_t n = 1, k = 0;

	if (depth > 2 * MIME_DEPTH_MAX + 2 || p->depth > MIME_DEPTH_MAX)
		abort();
	if (p->hdr_off > len || p->hdr_len > len - p->hdr_off ||
	    p->body_off != p->hdr_off + p->hdr_len ||
	    p->body_len > len - p->body_off)
		abort();
	for (c = p->child; c != NULL; c = c->next, k++) {
		if (c->hdr_off < p->body_off ||
		    c->body_off + c->body_len > p->body_off + p->body_len ||
		    c->parent != p)
			abort();
		n += fuzz_check_part(c, len, depth + 1);
	}
	if (k != p->nchildren)
		abort();
	if (p->message != NULL) {
		if (p->message->hdr_off != p->body_off ||
		    p->message->body_off + p->message->body_len >
		    p->body_off + p->body_len)
			abort();
		n += fuzz_check_part(p->message, len, depth + 1);
	}
	return n;
}

/* fuzz_balanced - parentheses balance outside strings and literals */
static void
fuzz_balanced(const struct buf *b)
{
	const char *s = b->data, *e = s + b->len;
	long depth = 0;
	char *end;
	unsigned long n;

	for (; s < e; s++) {
		if (*s == '"') {
			for (s++; s < e && *s != '"'; s++)
				if (*s == '\\')
					s++;
			if (s >= e)
				abort();
		} else if (*s == '{') {
			n = strtoul(s + 1, &end, 10);
			if (end[0] != '}' || end[1] != '\r' || end[2] != '\n' ||
			    n > (unsigned long)(e - end - 3))
				abort();
			s = end + 2 + n;
		} else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth < 0)
			abort();
	}
	if (depth != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const specs[] = {
		"", "HEADER", "TEXT", "1", "1.MIME", "2", "1.1", "2.HEADER",
		"2.TEXT", "1.2.3", "HEADER.FIELDS (FROM SUBJECT)",
		"1.HEADER.FIELDS.NOT (\"Content-Type\" X)", "2.1.MIME",
		"3.1.1.1",
	};
	const char *msg = (const char *)data;
	struct buf *out = buf_new(256, 0), *synth = buf_new(64, 0);
	struct mime_part *root;
	size_t i, off, n;
	int r;

	msg_set_flags(0);
	if ((root = mime_parse(msg, len, out)) == NULL)
		abort();
	(void)fuzz_check_part(root, len, 0);
	if (root->body_off + root->body_len != len)
		abort();
	mime_bodystructure(out, msg, root, 1);
	fuzz_balanced(out);
	buf_reset(out);
	mime_bodystructure(out, msg, root, 0);
	fuzz_balanced(out);
	buf_reset(out);
	mime_envelope(out, msg + root->hdr_off, root->hdr_len);
	fuzz_balanced(out);
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		r = mime_section(msg, root, specs[i], &off, &n, synth);
		if (r == MIME_SECTION_RANGE && (off > len || n > len - off))
			abort();
		if (r == MIME_SECTION_SYNTH && n != synth->len)
			abort();
		if (r == -2)
			abort();
	}
	buf_reset(out);
	mime_decode_body(msg, root, out);
	buf_reset(out);
	mime_decode_words(msg, root->hdr_len, out);
	(void)mime_search(msg, len, "=?utf-8?", 8);
	(void)mime_search(out->data, out->len, "\303\211t", 3);
	mime_free(&root);
	buf_free(&out);
	buf_free(&synth);
	return 0;
}
