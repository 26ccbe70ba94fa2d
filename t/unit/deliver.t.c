/*
 * deliver.t.c - the delivery protocol (lib/deliver.c): the writer's bytes
 * are those of the attribute list qmgr built before lib/ spoke it (an old
 * agent reads a new qmgr, and the reverse), requests and replies survive
 * the round trip, and the reader refuses hostile requests: empty, missing
 * or duplicate fields, bad numbers, over-long lines.
 */
#include <sys/socket.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "deliver.h"
#include "ipc.h"
#include "lineio.h"
#include "msg.h"
#include "../tap.h"

/* old_format - the request as qmgr wrote it field by field (issue 9) */
static void
old_format(const struct deliver_request *r, struct buf *out)
{
	struct attr a;

	attr_init(&a);
	attr_set(&a, "queue_id", r->queue_id);
	attr_set(&a, "path", r->path);
	attr_setf(&a, "offset", "%lld", (long long)r->offset);
	attr_setf(&a, "size", "%lld", (long long)r->size);
	attr_set(&a, "sender", r->sender);
	attr_set(&a, "recipient", r->recipient);
	attr_set(&a, "orig_recipient", r->orig_recipient);
	if (r->command != NULL)
		attr_set(&a, "command", r->command);
	else if (r->file != NULL)
		attr_set(&a, "file", r->file);
	attr_format(&a, out);
	attr_free(&a);
}

/* parse - a wire text (with its empty line) into a, then into r: 0/-1 */
static int
parse(const char *wire, struct attr *a, struct deliver_request *r,
    struct buf *why)
{
	buf_reset(why);
	if (attr_parse(wire, strlen(wire), a) < 0) {
		buf_set(why, "attr_parse refused it");
		return -1;
	}
	return deliver_request_get(a, r, why);
}

/* same_request - are two requests the same, field by field? */
static int
same_request(const struct deliver_request *x, const struct deliver_request *y)
{
#define SAME(f) ((x->f == NULL && y->f == NULL) || (x->f != NULL && \
	y->f != NULL && strcmp(x->f, y->f) == 0))
	return SAME(queue_id) && SAME(path) && SAME(sender) &&
	    SAME(recipient) && SAME(orig_recipient) && SAME(command) &&
	    SAME(file) && x->offset == y->offset && x->size == y->size;
#undef SAME
}

/* The fields after file, for a request that goes no further than local. */
#define LOCAL_ONLY	NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, NULL

/* Requests the writer must put as the old qmgr did, and read back. */
static const struct deliver_request good[] = {
	{ "4Fq7Zk2xAbc", "/var/spool/cartero/active/4Fq7Zk2xAbc", 312, 4096,
	    "bob@mired.org", "ana@mired.org", "ana@mired.org", NULL, NULL,
	    LOCAL_ONLY },
	{ "A1", "/q/active/A1", 0, 0, "", "ana+x@mired.org",
	    "postmaster@mired.org", NULL, NULL, LOCAL_ONLY },
	{ "B2", "/q/active/B2", 7, 9, "a%b=c@x", "root@mired.org",
	    "root@mired.org", "/usr/bin/procmail -a \"x, y\"\n%", NULL,
	    LOCAL_ONLY },
	{ "C3", "/q/active/C3", 1, 2, "x\r\n\001@y", "ana@mired.org",
	    "ana@mired.org", NULL, "/var/log/mail=copy", LOCAL_ONLY },
	{ "D4", "/q/D4", LLONG_MAX - 5, 5, "\x7f", "a=b@c", "a=b@c", NULL,
	    NULL, LOCAL_ONLY },
};

/* Requests the reader must refuse: the wire text and what why says. */
static const struct tap_text bad[] = {
	{ "\n", "empty request", "an empty list" },
	{ "offset=0\nsize=1\nrecipient=a@b\n\n", "bad queue_id",
	    "no queue_id" },
	{ "queue_id=\noffset=0\nsize=1\nrecipient=a@b\n\n", "bad queue_id",
	    "an empty queue_id" },
	{ "queue_id=../x\noffset=0\nsize=1\nrecipient=a@b\n\n",
	    "bad queue_id", "a queue_id that is a path" },
	{ "queue_id=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	    "offset=0\nsize=1\nrecipient=a@b\n\n", "bad queue_id",
	    "an over-long queue_id" },
	{ "queue_id=A1\noffset=0\nsize=1\n\n", "no recipient",
	    "no recipient" },
	{ "queue_id=A1\noffset=0\nsize=1\nrecipient=\n\n", "no recipient",
	    "an empty recipient" },
	{ "queue_id=A1\nsize=1\nrecipient=a@b\n\n", "bad offset or size",
	    "no offset" },
	{ "queue_id=A1\noffset=0\nrecipient=a@b\n\n", "bad offset or size",
	    "no size" },
	{ "queue_id=A1\noffset=0\nsize=-1\nrecipient=a@b\n\n",
	    "bad offset or size", "a negative size" },
	{ "queue_id=A1\noffset=1x\nsize=1\nrecipient=a@b\n\n",
	    "bad offset or size", "an offset that is not a number" },
	{ "queue_id=A1\noffset=99999999999999999999999\nsize=1\n"
	    "recipient=a@b\n\n", "bad offset or size",
	    "an offset past the largest number" },
	{ "queue_id=A1\noffset=9223372036854775807\nsize=1\n"
	    "recipient=a@b\n\n", "bad offset or size",
	    "an offset and size whose sum overflows" },
	{ "queue_id=A1\noffset=0\nsize=1\nrecipient=a@b\nrecipient=c@d\n\n",
	    "a field given twice", "a duplicate recipient" },
	{ "queue_id=A1\nqueue_id=A1\noffset=0\nsize=1\nrecipient=a@b\n\n",
	    "a field given twice", "a duplicate queue_id, even the same" },
	{ "queue_id=A1\noffset=0\nsize=1\nrecipient=a@b\ncommand=x\n"
	    "command=y\n\n", "a field given twice", "a duplicate command" },
	{ "queue_id=A1\noffset=0\nsize=1\nrecipient=a@b\ncommand=x\n"
	    "file=/y\n\n", "both command and file",
	    "both a command and a file" },
	{ "queue_id=A1\noffset=0\nsize=1\nrecipient=a@b\nrcpt_count=0\n\n",
	    "bad rcpt_count", "a recipient count of 0" },
	{ "queue_id=A1\noffset=0\nsize=1\nrecipient=a@b\nrcpt_count=1001\n"
	    "\n", "bad rcpt_count", "a recipient count over the cap" },
	{ "queue_id=A1\noffset=0\nsize=1\nrecipient=a@b\nrcpt_count=x\n\n",
	    "bad rcpt_count", "a recipient count that is not a number" },
	{ "queue_id=A1\noffset=0\nsize=1\nrecipient=a@b\nrcpt_count=3\n"
	    "recipient.1=c@d\n\n", "recipient of rcpt_count missing",
	    "fewer recipients than the count" },
	{ "queue_id=A1\noffset=0\nsize=1\nrecipient=a@b\nrcpt_count=2\n"
	    "recipient.1=\n\n", "recipient of rcpt_count missing",
	    "an empty second recipient" },
	{ "queue_id=A1\noffset=0\nsize=1\nrecipient=a@b\nrcpt_count=2\n"
	    "recipient.1=c@d\ncommand=x\n\n", "more than one recipient",
	    "a command with two recipients" },
};

/* test_writer - byte for byte the old wire, and read back the same */
static void
test_writer(struct buf *why)
{
	struct buf *now = buf_new(256, 0), *old = buf_new(256, 0);
	struct buf *name = buf_new(64, 0);
	struct deliver_request r;
	struct attr a;
	size_t i;

	attr_init(&a);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		buf_reset(now);
		buf_reset(old);
		deliver_request_format(&good[i], now);
		old_format(&good[i], old);
		buf_setf(name, "request %zu: the bytes of the old qmgr", i);
		is_str(buf_str(now), buf_str(old), buf_str(name));
		buf_setf(name, "request %zu: read back", i);
		is_int(parse(buf_str(now), &a, &r, why), 0, buf_str(name));
		buf_setf(name, "request %zu: every field the same", i);
		ok(same_request(&r, &good[i]), buf_str(name));
	}
	attr_free(&a);
	buf_free(&now);
	buf_free(&old);
	buf_free(&name);
}

/* test_old_agent_words - a hand-made request, as root_local.t sends */
static void
test_old_agent_words(struct buf *why)
{
	struct deliver_request r;
	struct attr a;
	const char *wire = "queue_id=Z9\noffset=0\nsize=12\n"
	    "recipient=ana@mired.org\nnew_field=ignored\n\n";

	attr_init(&a);
	is_int(parse(wire, &a, &r, why), 0, "the fields qmgr may leave out "
	    "are not needed, an unknown one is ignored");
	is_str(r.sender, "", "no sender: the null sender");
	is_str(r.orig_recipient, "ana@mired.org", "no orig_recipient: the "
	    "recipient");
	ok(r.path == NULL && r.command == NULL && r.file == NULL,
	    "no path, command or file");
	is_int((long long)r.size, 12, "the size");
	attr_free(&a);
}

/* test_hostile - each bad request refused, and the reason says why */
static void
test_hostile(struct buf *why)
{
	struct deliver_request r;
	struct attr a;
	size_t i;

	attr_init(&a);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!is_int(parse(bad[i].in, &a, &r, why), -1, bad[i].name))
			continue;
		if (!ok(strstr(buf_str(why), bad[i].want) != NULL, bad[i].name))
			printf("#   why: '%s'\n#   expected to contain: '%s'\n",
			    buf_str(why), bad[i].want);
	}
	is_int(attr_parse("queue_id\n", 9, &a), -1,
	    "a line without '=' is refused by the list reader");
	attr_free(&a);
}

/* reader - a line reader whose peer sent data and closed */
static struct lineio *
reader(const char *data, size_t len)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return NULL;
	if (write(sv[1], data, len) != (ssize_t)len)
		return NULL;
	close(sv[1]);
	return lineio_new(sv[0], DELIVER_REQUEST_MAX, 2);
}

/* test_stream - requests back to back, and the over-long line */
static void
test_stream(struct buf *why)
{
	struct buf *wire = buf_new(1024, 0), *rcpt = buf_new(1024, 0);
	struct deliver_request r, w = good[0];
	struct lineio *l;
	struct attr a;

	attr_init(&a);
	/* A long recipient that fits, then the second request. */
	while (buf_len(rcpt) < DELIVER_REQUEST_MAX - 200)
		buf_puts(rcpt, "aaaaaaaaaa");
	buf_puts(rcpt, "@mired.org");
	w.recipient = buf_str(rcpt);
	deliver_request_format(&w, wire);
	deliver_request_format(&good[2], wire);
	l = reader(buf_str(wire), buf_len(wire));
	is_int(attr_read(l, &a), LINE_OK, "a request near the cap is read");
	is_int(deliver_request_get(&a, &r, why), 0, "and accepted");
	is_int((long long)strlen(r.recipient), (long long)buf_len(rcpt),
	    "with the whole recipient");
	is_int(attr_read(l, &a), LINE_OK, "the next request on the stream");
	is_int(deliver_request_get(&a, &r, why), 0, "is accepted");
	ok(same_request(&r, &good[2]), "and is the one sent");
	is_int(attr_read(l, &a), LINE_EOF, "then the end");
	lineio_free(&l);

	/* A recipient over the cap. */
	while (buf_len(rcpt) <= DELIVER_REQUEST_MAX)
		buf_puts(rcpt, "aaaaaaaaaa");
	w.recipient = buf_str(rcpt);
	buf_reset(wire);
	deliver_request_format(&w, wire);
	l = reader(buf_str(wire), buf_len(wire));
	is_int(attr_read(l, &a), LINE_TOOLONG, "a line over the cap is "
	    "refused by the reader");
	lineio_free(&l);
	attr_free(&a);
	buf_free(&wire);
	buf_free(&rcpt);
}

/* test_reply - the reply's bytes, its round trip, bad replies */
static void
test_reply(void)
{
	struct buf *wire = buf_new(256, 0);
	struct deliver_reply r;
	struct attr a;

	attr_init(&a);
	deliver_reply_set(&a, 4, "4.2.0", "mailbox %s: %s", "ana", "50%\n");
	attr_format(&a, wire);
	is_str(buf_str(wire), "status=4\ndsn=4.2.0\nreason=mailbox ana: "
	    "50%25%0A\n\n", "a reply's bytes");
	is_int(attr_parse(buf_str(wire), buf_len(wire), &a), 0, "it parses");
	is_int(deliver_reply_get(&a, &r), 0, "it is a reply");
	is_int(r.status, 4, "its status");
	is_str(r.dsn, "4.2.0", "its dsn");
	is_str(r.reason, "mailbox ana: 50%\n", "its reason, decoded");

	attr_parse("status=0\n", 9, &a);
	is_int(deliver_reply_get(&a, &r), 0, "a bare status is a reply");
	ok(r.status == 0 && *r.dsn == '\0' && *r.reason == '\0',
	    "with no dsn and no reason");
	attr_parse("dsn=2.0.0\n", 10, &a);
	is_int(deliver_reply_get(&a, &r), -1, "no status: refused");
	attr_parse("status=3\n", 9, &a);
	is_int(deliver_reply_get(&a, &r), -1, "status 3: refused");
	attr_parse("status=4294967300\n", 18, &a);
	is_int(deliver_reply_get(&a, &r), -1, "a status that is 4 as an int "
	    "only after truncation: refused");
	attr_parse("status=5x\n", 10, &a);
	is_int(deliver_reply_get(&a, &r), -1, "status 5x: refused");
	attr_free(&a);
	buf_free(&wire);
}

/* test_many - a request with several recipients and DSN, and its reply */
static void
test_many(struct buf *why)
{
	static const struct deliver_rcpt more[] = {
		{ "pepe@otro.test", "pepe@otro.test", "NEVER", NULL },
		{ "luis@otro.test", "alias@mired.org", NULL,
		    "rfc822;luis@otro.test" },
	};
	struct buf *wire = buf_new(256, 0);
	struct deliver_request w = good[0], r;
	struct deliver_rcpt rc;
	struct deliver_reply rep;
	struct attr a;

	attr_init(&a);
	w.recipient = "maria@otro.test";
	w.orig_recipient = "maria@otro.test";
	w.notify = "SUCCESS,DELAY";
	w.orcpt = "rfc822;maria@otro.test";
	w.nexthop = "otro.test";
	w.envid = "QQ314159";
	w.ret = "HDRS";
	w.body = "8BITMIME";
	w.smtputf8 = 1;
	w.nrcpt = 3;
	w.more = more;
	deliver_request_format(&w, wire);
	ok(strstr(buf_str(wire), "\nrcpt_count=3\nrecipient.1=pepe@otro.test"
	    "\norig_recipient.1=pepe@otro.test\nnotify.1=NEVER\n") != NULL,
	    "the second recipient's lines carry .1");
	is_int(parse(buf_str(wire), &a, &r, why), 0, "three recipients read");
	ok(same_request(&r, &w), "the common fields the same");
	is_int(r.nrcpt, 3, "rcpt_count");
	is_str(r.nexthop, "otro.test", "nexthop");
	ok(strcmp(r.envid, "QQ314159") == 0 && strcmp(r.ret, "HDRS") == 0 &&
	    strcmp(r.body, "8BITMIME") == 0 && r.smtputf8 == 1,
	    "envid, ret, body and smtputf8");
	deliver_request_rcpt(&a, &r, 0, &rc);
	ok(strcmp(rc.addr, "maria@otro.test") == 0 &&
	    strcmp(rc.notify, "SUCCESS,DELAY") == 0 &&
	    strcmp(rc.orcpt, "rfc822;maria@otro.test") == 0,
	    "recipient 0 with its notify and orcpt");
	deliver_request_rcpt(&a, &r, 1, &rc);
	ok(strcmp(rc.addr, "pepe@otro.test") == 0 && rc.orcpt == NULL &&
	    strcmp(rc.notify, "NEVER") == 0, "recipient 1");
	deliver_request_rcpt(&a, &r, 2, &rc);
	ok(strcmp(rc.addr, "luis@otro.test") == 0 &&
	    strcmp(rc.orig, "alias@mired.org") == 0 && rc.notify == NULL &&
	    strcmp(rc.orcpt, "rfc822;luis@otro.test") == 0, "recipient 2");

	attr_clear(&a);
	deliver_reply_add(&a, 0, 0, "2.0.0", "250 ok");
	deliver_reply_add(&a, 1, 5, "5.1.1", "550 no such user %s", "pepe");
	deliver_reply_add(&a, 2, 4, "4.2.2", "452 full");
	attr_set(&a, DELIVER_RELAY, "mx.otro.test[127.0.0.3]:25");
	buf_reset(wire);
	attr_format(&a, wire);
	is_int(attr_parse(buf_str(wire), buf_len(wire), &a), 0, "reply parses");
	is_int(deliver_reply_get(&a, &rep), 0, "recipient 0's outcome");
	ok(rep.status == 0 && strcmp(rep.reason, "250 ok") == 0, "sent");
	is_int(deliver_reply_get_rcpt(&a, 1, &rep), 0, "recipient 1's");
	ok(rep.status == 5 && strcmp(rep.dsn, "5.1.1") == 0 &&
	    strcmp(rep.reason, "550 no such user pepe") == 0, "bounced");
	is_int(deliver_reply_get_rcpt(&a, 2, &rep), 0, "recipient 2's");
	is_int(rep.status, 4, "deferred");
	is_int(deliver_reply_get_rcpt(&a, 3, &rep), -1, "no recipient 3");
	attr_free(&a);
	buf_free(&wire);
}

int
main(void)
{
	struct buf *why = buf_new(128, 0);

	msg_set_flags(0);
	test_writer(why);
	test_old_agent_words(why);
	test_hostile(why);
	test_stream(why);
	test_reply();
	test_many(why);
	buf_free(&why);
	return done_testing();
}
