/*
 * fuzz_deliver - libFuzzer target: the delivery protocol (lib/deliver.c).
 * Any input is parsed as an attribute list and read as a request and as a
 * reply; a request the reader accepts must come back the same through the
 * writer and the reader, and a reply the same through deliver_reply_set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "deliver.h"
#include "ipc.h"
#include "msg.h"

/* same - two strings, either NULL */
static int
same(const char *x, const char *y)
{
	return (x == NULL && y == NULL) ||
	    (x != NULL && y != NULL && strcmp(x, y) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf *wire = buf_new(64, 0), *why = buf_new(64, 1024);
	struct deliver_request r, back;
	struct deliver_reply rep, rep2;
	struct attr a, b;

	msg_set_flags(0);
	attr_init(&a);
	attr_init(&b);
	if (attr_parse((const char *)data, len, &a) == 0) {
		if (deliver_request_get(&a, &r, why) == 0) {
			deliver_request_format(&r, wire);
			if (attr_parse(buf_str(wire), buf_len(wire), &b) != 0 ||
			    deliver_request_get(&b, &back, why) != 0)
				abort();
			if (!same(r.queue_id, back.queue_id) ||
			    !same(r.path, back.path) ||
			    !same(r.sender, back.sender) ||
			    !same(r.recipient, back.recipient) ||
			    !same(r.orig_recipient, back.orig_recipient) ||
			    !same(r.command, back.command) ||
			    !same(r.file, back.file) ||
			    r.offset != back.offset || r.size != back.size)
				abort();
		}
		if (deliver_reply_get(&a, &rep) == 0) {
			deliver_reply_set(&b, rep.status, rep.dsn, "%s",
			    rep.reason);
			if (deliver_reply_get(&b, &rep2) != 0 ||
			    rep2.status != rep.status ||
			    strcmp(rep2.dsn, rep.dsn) != 0 ||
			    strncmp(rep2.reason, rep.reason, 2047) != 0)
				abort();
		}
	}
	attr_free(&a);
	attr_free(&b);
	buf_free(&wire);
	buf_free(&why);
	return 0;
}
