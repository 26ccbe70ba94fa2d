/*
 * pipe_argv.t.c - the pipe agent's master.cf attributes (refused: unknown
 * flags and attributes, root, mail_owner, group root, a missing user= or
 * argv=, bad eol= and size=), its macro expansion (every form, one
 * argument per recipient, $$, recipient_delimiter, q u h, unknown and
 * unbalanced macros, an argument over its cap) and its stdin (the flags'
 * lines, dot-stuffing and From_ quoting across the reads of the queue
 * file, eol=, a last line without LF, B).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "deliver.h"
#include "params.h"
#include "../../pipe/pipe.h"
#include "../tap.h"

/* attrs - parse a NULL-ended list into a; the why, or "" */
static const char *
attrs(struct pipe_attr *a, struct buf *why, char **list)
{
	pipe_attr_free(a);
	pipe_attr_init(a);
	buf_reset(why);
	if (pipe_attr_parse(a, list, why) == 0)
		return "";
	return buf_str(why);
}

/* has - does s contain sub? */
static int
has(const char *s, const char *sub)
{
	return s != NULL && strstr(s, sub) != NULL;
}

/* Attributes that are refused, and the why that says so. */
static const struct {
	const char	*args[5];
	const char	*why;
	const char	*name;
} refused[] = {
	{{"flags=FRZ", "user=nobody", "argv=/bin/x"}, "unknown flag 'Z'",
	    "an unknown flag is refused"},
	{{"flags=F", "argv=/bin/x", "user=nobody"}, "user= is required",
	    "user= after argv= is an argument: user= is missing"},
	{{"user=root", "argv=/bin/x"}, "must not run as root",
	    "user=root is refused"},
	{{"user=daemon", "argv=/bin/x"}, "must not run as mail_owner",
	    "user=mail_owner is refused"},
	{{"user=nobody:root", "argv=/bin/x"}, "must not run as root",
	    "user=USER:root (gid 0) is refused"},
	{{"user=no_such_user_x", "argv=/bin/x"}, "unknown user",
	    "an unknown user is refused"},
	{{"user=nobody", "chroot=/x", "argv=/bin/x"}, "unknown attribute",
	    "an unknown attribute is refused"},
	{{"user=nobody", "junk", "argv=/bin/x"}, "expected name=value",
	    "a word without = before argv= is refused"},
	{{"user=nobody", "argv="}, "argv= is required",
	    "an empty argv= is refused"},
	{{"user=nobody", "eol=\\q", "argv=/bin/x"}, "eol=",
	    "an unknown eol= escape is refused"},
	{{"user=nobody", "size=12x", "argv=/bin/x"}, "not a number",
	    "size= must be a number"},
};

static void
test_attrs(void)
{
	struct pipe_attr a;
	struct buf *why = buf_new(64, 0);
	char *good[] = {"flags=FRDO.>Bhqu", "user=nobody", "size=100",
	    "eol=\\r\\n", "null_sender=", "argv=/bin/x", "a", "user=y", NULL};
	size_t i;

	pipe_attr_init(&a);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (!ok(has(attrs(&a, why, (char **)refused[i].args),
		    refused[i].why), refused[i].name))
			fprintf(stderr, "#   why: %s\n", buf_str(why));
	is_str(attrs(&a, why, good), "", "every attribute at once is read");
	is_int(a.flags, (1 << 11) - 1 - PIPE_FLAG_FINAL,
	    "flags FRDO.>Bhqu set their bits");
	is_int(a.size_limit, 100, "size=100");
	is_str(buf_str(a.eol), "\r\n", "eol=\\r\\n is CR LF");
	is_str(buf_str(a.null_sender), "", "null_sender= may be empty");
	is_int(a.argc, 3, "argv= takes the rest of the line");
	is_str(a.argv[2], "user=y", "even words with =");
	pipe_attr_free(&a);
	buf_free(&why);
}

/* expand - the expanded arguments joined by '|', or "ERROR: why" */
static const char *
expand(struct buf *out, char **list, const struct pipe_env *e)
{
	struct pipe_attr a;
	struct buf *why = buf_new(64, 0);
	char **v;
	int i;

	pipe_attr_init(&a);
	buf_reset(out);
	if (pipe_attr_parse(&a, list, why) < 0)
		buf_setf(out, "ATTR: %s", buf_str(why));
	else if ((v = pipe_argv_expand(&a, e, why)) == NULL)
		buf_setf(out, "ERROR: %s", buf_str(why));
	else {
		for (i = 0; v[i] != NULL; i++)
			buf_appendf(out, "%s%s", i ? "|" : "", v[i]);
		pipe_argv_free(&v);
	}
	pipe_attr_free(&a);
	buf_free(&why);
	return buf_str(out);
}

static void
test_expand(void)
{
	struct buf *out = buf_new(256, 0);
	struct deliver_rcpt r[2] = {
		{"Ana-Lists+x@D.Org", "ana@d.org", NULL, NULL},
		{"bob@e.org", NULL, NULL, NULL}
	};
	struct pipe_env e = {"", NULL, 42, r, 2};
	char *forms[] = {"user=nobody", "argv=/bin/x", "${sender}",
	    "${nexthop}", "$size", "--to=${recipient}", "$(user):$extension",
	    "$$", "a$$b", "$mailbox@${domain}", "${original_recipient}", NULL};
	char *fold[] = {"flags=hqu", "user=nobody", "argv=/bin/x",
	    "${recipient}", "${nexthop}", "${sender}", NULL};
	char *unknown[] = {"user=nobody", "argv=/bin/x", "${recipent}", NULL};
	char *open_brace[] = {"user=nobody", "argv=/bin/x", "${user", NULL};
	char *trailing[] = {"user=nobody", "argv=/bin/x", "a$", NULL};
	char *long_arg[] = {"user=nobody", "argv=/bin/x", "${recipient}",
	    NULL};
	char *cmd[] = {"user=nobody", "argv=/bin/${user}", NULL};
	char *quote_only[] = {"flags=q", "user=nobody", "argv=/bin/x",
	    "${recipient}", NULL};
	struct deliver_rcpt q[1] = {{"a b\"c\\d@X.Org", NULL, NULL, NULL}};
	struct deliver_rcpt dots[3] = {{".a@x", NULL, NULL, NULL},
	    {"a..b@x", NULL, NULL, NULL}, {"a.b@x", NULL, NULL, NULL}};
	struct pipe_env qe = {"S\"ender@A.Org", "MX.Org", 1, q, 1};
	struct pipe_env de = {"s@x", "n", 1, dots, 3};
	char *big = xmalloc(9000);
	struct deliver_rcpt br[1] = {{big, NULL, NULL, NULL}};
	struct pipe_env be = {"", NULL, 1, br, 1};

	var_recipient_delimiter = "+-";
	is_str(expand(out, forms, &e),
	    "/bin/x|MAILER-DAEMON|D.Org|42|--to=Ana-Lists+x@D.Org|"
	    "--to=bob@e.org|Ana:Lists+x|bob:|$|a$b|Ana-Lists+x@D.Org|"
	    "bob@e.org|ana@d.org|bob@e.org",
	    "${name} $name $(name) $$; a recipient's macro once per "
	    "recipient; nexthop defaults to the domain; the first of "
	    "recipient_delimiter splits user and extension");
	is_str(expand(out, fold, &qe),
	    "/bin/x|\"a b\\\"c\\\\d\"@x.org|mx.org|\"S\\\"ender\"@A.Org",
	    "q quotes local parts with \" and \\ escaped; u and h fold "
	    "the recipient and nexthop, not the sender");
	is_str(expand(out, quote_only, &de),
	    "/bin/x|\".a\"@x|\"a..b\"@x|a.b@x",
	    "q quotes a leading dot and two dots, not one inner dot");
	ok(has(expand(out, unknown, &e), "unknown macro \"recipent\""),
	    "an unknown macro is an error");
	ok(has(expand(out, open_brace, &e), "unbalanced"),
	    "an unbalanced ${ is an error");
	ok(has(expand(out, trailing, &e), "unknown macro"),
	    "a lone $ at the end is an error");
	memset(big, 'a', 8999);
	big[8999] = '\0';
	ok(has(expand(out, long_arg, &be), "more than 8192 bytes"),
	    "an argument over its cap is an error, not cut");
	is_str(expand(out, cmd, &e), "/bin/Ana|/bin/bob",
	    "the command itself expands like any argument");
	free(big);
	buf_free(&out);
}

/* copy - the whole stdin of a delivery of text, read n bytes at a time */
static const char *
copy(struct buf *out, char **list, const char *text, size_t n)
{
	struct deliver_rcpt r[1] = {{"l@x.org", "L@x.org", NULL, NULL}};
	struct pipe_env e = {"s@y.org", NULL, 0, r, 1};
	struct buf *why = buf_new(64, 0);
	struct pipe_attr a;
	struct pipe_copy *c;
	char tmpl[] = "/tmp/pipe_argv.t.XXXXXX", *data = xmalloc(n);
	ssize_t got;
	int fd = mkstemp(tmpl);

	buf_reset(out);
	unlink(tmpl);
	/* Some bytes before the message, as a queue file's envelope. */
	if (fd < 0 || write(fd, "ENVELOPE", 8) != 8 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		buf_set(out, "ERROR: temporary file");
		goto out;
	}
	pipe_attr_init(&a);
	if (pipe_attr_parse(&a, list, why) < 0) {
		buf_setf(out, "ATTR: %s", buf_str(why));
		pipe_attr_free(&a);
		goto out;
	}
	e.size = (off_t)strlen(text);
	c = pipe_copy_new(&a, &e, fd, 8, e.size);
	while ((got = pipe_copy_feed(c, data, n, why)) > 0)
		buf_append(out, data, (size_t)got);
	if (got < 0)
		buf_setf(out, "ERROR: %s", buf_str(why));
	pipe_copy_free(&c);
	pipe_attr_free(&a);
out:
	if (fd >= 0)
		close(fd);
	free(data);
	buf_free(&why);
	return buf_str(out);
}

static void
test_copy(void)
{
	struct buf *out = buf_new(1024, 0), *text = buf_new(40000, 0),
	    *want = buf_new(40000, 0);
	char *plain[] = {"user=nobody", "argv=/bin/x", NULL};
	char *quote[] = {"flags=RDO.>B", "user=nobody", "argv=/bin/x", NULL};
	char *crlf[] = {"flags=.", "eol=\\r\\n", "user=nobody", "argv=/bin/x",
	    NULL};
	char *from[] = {"flags=F", "user=nobody", "argv=/bin/x", NULL};
	size_t i;

	is_str(copy(out, plain, "Subject: a\n\nFrom x\n.y\nend", 3),
	    "Subject: a\n\nFrom x\n.y\nend\n",
	    "no flags: the message as it is, a last line ended");
	is_str(copy(out, quote, "S: a\n\nFrom x\n.\n..y\nFrom\nFromage\n", 1),
	    "Return-Path: <s@y.org>\nX-Original-To: L@x.org\n"
	    "Delivered-To: l@x.org\nS: a\n\n>From x\n..\n...y\nFrom\n"
	    "Fromage\n\n",
	    "R O D first; . and > on line starts only (read a byte at a "
	    "time); B");
	is_str(copy(out, crlf, "a\n.b\n\nc", 5), "a\r\n..b\r\n\r\nc\r\n",
	    "eol=\\r\\n ends every line, the added one too");
	ok(strncmp(copy(out, from, "x\n", 64), "From s@y.org  ", 14) == 0 &&
	    has(buf_str(out), "\nx\n"), "F: From sender, two spaces, date");
	/* "From " and "." on the far side of each 16 KiB read. */
	buf_puts(want, "Return-Path: <s@y.org>\nX-Original-To: L@x.org\n"
	    "Delivered-To: l@x.org\n");
	for (i = 0; i < 3; i++) {
		/* "From " from 2 bytes before the end of a read on */
		while (buf_len(text) % 16384 != 16384 - 3) {
			buf_putc(text, 'z');
			buf_putc(want, 'z');
		}
		buf_puts(text, "\nFrom a\n.b\n");
		buf_puts(want, "\n>From a\n..b\n");
	}
	buf_puts(want, "\n");
	is_str(copy(out, quote, buf_str(text), 4096), buf_str(want),
	    "a line start cut by a read of the queue file is still quoted");
	buf_free(&out);
	buf_free(&text);
	buf_free(&want);
}

int
main(void)
{
	var_mail_owner = "daemon";
	test_attrs();
	test_expand();
	test_copy();
	return done_testing();
}
