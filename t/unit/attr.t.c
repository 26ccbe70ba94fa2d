/*
 * attr.t - the attribute protocol between cartero's processes (lib/ipc.c
 * attr_*): lists of "name=value" lines ended by an empty line, values
 * percent-encoded as in queue files.  Covers attr_set/attr_get (replace,
 * numbers), attr_format (the escaping of special characters), attr_parse
 * and attr_read (decoding, duplicate names, lines without '=', a missing
 * empty line, EOF in the middle, CRLF, an over-long record), attr_end,
 * and writing and reading several lists through one stream.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ipc.h"
#include "lineio.h"
#include "msg.h"
#include "util.h"
#include "../tap.h"

/* A list as the tests write it: "name=value" pairs, NULL ends. */
#define ATTR_PAIRS	6

/* attr_show - the list as "name=[value] ..." (values raw), for comparing */
static const char *
attr_show(const struct attr *a)
{
	static struct buf *b;
	int i;

	if (b == NULL)
		b = buf_new(256, 0);
	buf_reset(b);
	for (i = 0; i < a->count; i++)
		buf_appendf(b, "%s%s=[%s]", i ? " " : "", a->name[i],
		    a->value[i]);
	return buf_str(b);
}

/* What attr_format writes for a list. */
static const struct {
	const char	*desc;
	const char	*pairs[ATTR_PAIRS * 2 + 1];
	const char	*wire;
} formats[] = {
	{ "an empty list is one empty line", { NULL }, "\n" },
	{ "plain values as they are",
	    { "queue_id", "4XyZ12", "size", "1234", NULL },
	    "queue_id=4XyZ12\nsize=1234\n\n" },
	{ "an empty value", { "sender", "", NULL }, "sender=\n\n" },
	{ "LF, CR and TAB are encoded",
	    { "reason", "a\nb\rc\td", NULL }, "reason=a%0Ab%0Dc%09d\n\n" },
	{ "'%' itself is encoded", { "x", "100%", NULL }, "x=100%25\n\n" },
	{ "DEL and other controls", { "x", "\x7f\x01\x1f", NULL },
	    "x=%7F%01%1F\n\n" },
	{ "'=' in a value stays", { "x", "a=b==", NULL }, "x=a=b==\n\n" },
	{ "spaces and punctuation stay",
	    { "reason", " 5.1.1 <ana@mired.org>: no ", NULL },
	    "reason= 5.1.1 <ana@mired.org>: no \n\n" },
	{ "UTF-8 bytes stay raw",
	    { "rcpt", "jos\xc3\xa9@ma\xc3\xb1" "ana.es", NULL },
	    "rcpt=jos\xc3\xa9@ma\xc3\xb1" "ana.es\n\n" },
	{ "attr_set replaces a name in place",
	    { "a", "1", "b", "2", "a", "3", NULL }, "a=3\nb=2\n\n" },
};

/*
 * What attr_parse makes of a list held in memory (its empty line not
 * included), and attr_read of the same text followed by an empty line;
 * NULL: refused.
 */
static const struct attr_parse_case {
	const char	*desc, *wire, *want;
} parses[] = {
	{ "two lines", "a=1\nb=2\n", "a=[1] b=[2]" },
	{ "an empty value", "sender=\n", "sender=[]" },
	{ "a value with '='", "x=a=b\n", "x=[a=b]" },
	{ "percent escapes decoded", "r=a%0Ab%0Dc%25d%3D\n",
	    "r=[a\nb\rc%d=]" },
	{ "lowercase hex decoded too", "r=%7e%7E\n", "r=[~~]" },
	{ "%00 is left as it is (no NUL in a value)", "r=a%00b\n",
	    "r=[a%00b]" },
	{ "a bad escape is left as it is", "r=%zz%4\n", "r=[%zz%4]" },
	{ "a '%' at the end", "r=50%\n", "r=[50%]" },
	{ "a duplicate name: the last one wins", "a=1\nb=2\na=3\n",
	    "a=[3] b=[2]" },
	{ "names are case sensitive", "a=1\nA=2\n", "a=[1] A=[2]" },
	{ "a line without '='", "a=1\njunk\n", NULL },
	{ "an empty name", "=1\n", NULL },
	{ "a name with spaces is kept", "a b=1\n", "a b=[1]" },
};

/* wire_fd - a descriptor to read text from (a temporary file) */
static int
wire_fd(const char *text, size_t len)
{
	char path[] = "/tmp/cartero-attr-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		perror("temporary file");
		exit(1);
	}
	unlink(path);
	return fd;
}

/* test_format - attr_format and attr_parse back */
static void
test_format(void)
{
	struct attr a, back;
	struct buf *b = buf_new(256, 0);
	char name[256];
	size_t i;
	int j, same;

	attr_init(&a);
	attr_init(&back);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		attr_clear(&a);
		for (j = 0; formats[i].pairs[j] != NULL; j += 2)
			attr_set(&a, formats[i].pairs[j],
			    formats[i].pairs[j + 1]);
		buf_reset(b);
		attr_format(&a, b);
		is_str(buf_str(b), formats[i].wire, formats[i].desc);

		/* What was written reads back as it was. */
		snprintf(name, sizeof(name), "  and parses back: %s",
		    formats[i].desc);
		same = attr_parse(buf_str(b), buf_len(b), &back) == 0 &&
		    back.count == a.count;
		for (j = 0; same && j < a.count; j++)
			same = strcmp(back.name[j], a.name[j]) == 0 &&
			    strcmp(back.value[j], a.value[j]) == 0;
		if (!ok(same, name))
			printf("#   got: %s\n", attr_show(&back));
	}
	attr_free(&a);
	attr_free(&back);
	buf_free(&b);
}

/* test_parse - attr_parse, and attr_read of the same text */
static void
test_parse(void)
{
	struct attr a;
	struct buf *b = buf_new(256, 0);
	struct lineio *io;
	char name[256];
	size_t i;
	int r, fd;

	attr_init(&a);
	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		r = attr_parse(parses[i].wire, strlen(parses[i].wire), &a);
		snprintf(name, sizeof(name), "attr_parse: %s", parses[i].desc);
		is_str(r == 0 ? attr_show(&a) : NULL, parses[i].want, name);

		buf_set(b, parses[i].wire);
		buf_puts(b, "\n");
		fd = wire_fd(buf_str(b), buf_len(b));
		io = lineio_new(fd, 65536, 5);
		r = attr_read(io, &a);
		snprintf(name, sizeof(name), "attr_read: %s", parses[i].desc);
		if (parses[i].want != NULL)
			is_str(r == LINE_OK ? attr_show(&a) : "(refused)",
			    parses[i].want, name);
		else
			is_int(r, LINE_ERROR, name);
		lineio_free(&io);
		close(fd);
	}
	attr_free(&a);
	buf_free(&b);
}

/* How attr_read ends on a stream (after the lists it reads first). */
static const struct {
	const char	*desc;
	const char	*wire;
	int		 result[3];	/* of up to three reads */
	const char	*last;		/* the last list read whole */
} reads[] = {
	{ "one list, then EOF", "a=1\n\n",
	    { LINE_OK, LINE_EOF, -1 }, "a=[1]" },
	{ "two lists in one stream", "a=1\n\nb=2\nc=3\n\n",
	    { LINE_OK, LINE_OK, LINE_EOF }, "b=[2] c=[3]" },
	{ "an empty list", "\n", { LINE_OK, LINE_EOF, -1 }, "" },
	{ "EOF before anything", "", { LINE_EOF, -1 }, NULL },
	{ "EOF in the middle of a list", "a=1\nb=2\n",
	    { LINE_ERROR, -1 }, NULL },
	{ "EOF in the middle of a line", "a=1\nb=",
	    { LINE_ERROR, -1 }, NULL },
	{ "the second list without its empty line", "a=1\n\nb=2\n",
	    { LINE_OK, LINE_ERROR, -1 }, "a=[1]" },
	{ "CRLF line ends", "a=1\r\nb=2\r\n\r\n",
	    { LINE_OK, LINE_EOF, -1 }, "a=[1] b=[2]" },
	{ "an encoded CR is kept, a raw one before LF is not",
	    "a=x%0D\r\n\n", { LINE_OK, -1 }, "a=[x\r]" },
	{ "a bad line after a good list", "a=1\n\nbad\n\n",
	    { LINE_OK, LINE_ERROR, -1 }, "a=[1]" },
};

/* test_read - attr_read over a stream */
static void
test_read(void)
{
	struct attr a;
	struct lineio *io;
	char name[256];
	const char *last;
	size_t i;
	int j, r, fd, good;

	attr_init(&a);
	for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		fd = wire_fd(reads[i].wire, strlen(reads[i].wire));
		io = lineio_new(fd, 65536, 5);
		good = 1;
		last = NULL;
		for (j = 0; j < 3 && reads[i].result[j] != -1; j++) {
			r = attr_read(io, &a);
			if (r != reads[i].result[j]) {
				printf("#   read %d: got %d, expected %d\n",
				    j + 1, r, reads[i].result[j]);
				good = 0;
			}
			if (r == LINE_OK)
				last = attr_show(&a);
		}
		ok(good, reads[i].desc);
		snprintf(name, sizeof(name), "  the list read: %s",
		    reads[i].desc);
		is_str(last, reads[i].last, name);
		lineio_free(&io);
		close(fd);
	}
	attr_free(&a);
}

/*
 * A record over the reader's cap, and at it: the cap of the reader, the
 * bytes of the "big=" line, what attr_read says and the value's length.
 */
static const struct {
	size_t		 cap;
	size_t		 line;
	int		 result;
	long long	 vlen;
} longs[] = {
	{ 1024, 2004, LINE_TOOLONG, -1 },
	{ 1024, 1024, LINE_OK, 1020 },
	{ 65536, 65535, LINE_OK, 65531 },	/* local's LOCAL_ATTR_MAX */
	{ 65536, 65536, LINE_OK, 65532 },	/* the edge: whole, not cut */
	{ 65536, 65537, LINE_TOOLONG, -1 },
	{ 131072, 70000, LINE_TOOLONG, -1 },	/* over attr_read's own cap */
};

/* test_long - one case of longs[] each */
static void
test_long(void)
{
	struct attr a;
	struct buf *b = buf_new(1024, 0), *name = buf_new(64, 0);
	struct lineio *io;
	const char *v;
	size_t i;
	int fd, r;

	attr_init(&a);
	for (i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
		buf_set(b, "big=");
		while (buf_len(b) < longs[i].line)
			buf_putc(b, 'z');
		buf_puts(b, "\nnext=1\n\n");
		fd = wire_fd(buf_str(b), buf_len(b));
		io = lineio_new(fd, longs[i].cap, 5);
		r = attr_read(io, &a);
		buf_setf(name, "a %zu-byte line, cap %zu", longs[i].line,
		    longs[i].cap);
		is_int(r, longs[i].result, buf_str(name));
		v = r == LINE_OK ? attr_get(&a, "big") : NULL;
		is_int(v != NULL ? (long long)strlen(v) : -1, longs[i].vlen,
		    "  the value's length");
		if (r == LINE_OK)
			is_str(attr_get(&a, "next"), "1",
			    "  and the next line");
		lineio_free(&io);
		close(fd);
	}
	attr_free(&a);
	buf_free(&b);
	buf_free(&name);
}

/* test_stream - attr_write to a socket, attr_read at the other end */
static void
test_stream(void)
{
	struct attr out, in;
	struct lineio *w, *r;
	int sv[2], n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
	attr_init(&out);
	attr_init(&in);
	w = lineio_new(sv[0], 65536, 5);
	r = lineio_new(sv[1], 65536, 5);
	attr_set(&out, "recipient", "ana@mired.org");
	attr_set(&out, "reason", "line 1\nline 2 100%");
	attr_setf(&out, "offset", "%lld", 123456789012LL);
	is_int(attr_write(w, &out), 0, "attr_write");
	attr_clear(&out);
	attr_set(&out, "status", "0");
	is_int(attr_write(w, &out), 0, "attr_write a second list");
	is_int(attr_read(r, &in), LINE_OK, "attr_read the first");
	is_str(attr_get(&in, "reason"), "line 1\nline 2 100%",
	    "  a value with LF and % arrives whole");
	is_int(attr_get_num(&in, "offset", -1), 123456789012LL,
	    "  attr_get_num");
	is_int(in.count, 3, "  three attributes");
	is_int(attr_read(r, &in), LINE_OK, "attr_read the second");
	is_str(attr_show(&in), "status=[0]", "  only its own attributes");
	shutdown(sv[0], SHUT_WR);
	is_int(attr_read(r, &in), LINE_EOF, "EOF between lists: LINE_EOF");
	is_int(in.count, 0, "  and an empty list");
	lineio_free(&w);
	lineio_free(&r);
	close(sv[0]);
	close(sv[1]);

	/* attr_get and attr_get_num on what is absent or malformed. */
	attr_clear(&out);
	attr_set(&out, "n", "42");
	attr_set(&out, "bad", "42x");
	attr_set(&out, "empty", "");
	attr_set(&out, "neg", "-7");
	ok(attr_get(&out, "none") == NULL, "attr_get of an absent name");
	is_int(attr_get_num(&out, "n", -1), 42, "attr_get_num");
	is_int(attr_get_num(&out, "neg", 0), -7, "  negative");
	is_int(attr_get_num(&out, "bad", -1), -1, "  malformed: the default");
	is_int(attr_get_num(&out, "empty", -1), -1, "  empty: the default");
	is_int(attr_get_num(&out, "none", 9), 9, "  absent: the default");
	n = out.count;
	attr_clear(&out);
	ok(n == 4 && out.count == 0, "attr_clear empties");
	attr_free(&out);
	ok(out.name == NULL && out.count == 0, "attr_free resets");
	attr_free(&in);
}

/* What attr_end finds: the length of the first whole list, or 0. */
static const struct attr_end_case {
	const char	*data;
	size_t		 want;		/* what attr_end says */
} ends[] = {
	{ "", 0 },
	{ "\n", 1 },
	{ "a=1\n", 0 },
	{ "a=1\n\n", 5 },
	{ "a=1\nb=2\n\nc=3\n\n", 9 },
	{ "a=1\n\n\n", 5 },
	{ "a=1", 0 },
	{ "a=1\r\n\r\n", 0 },	/* the protocol's own writer sends LF */
};

/* test_end - attr_end */
static void
test_end(void)
{
	struct buf *name = buf_new(64, 0);
	const char *p;
	size_t i;

	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		buf_set(name, "attr_end of \"");
		for (p = ends[i].data; *p; p++)
			buf_puts(name, *p == '\n' ? "\\n" : *p == '\r' ?
			    "\\r" : (char []){ *p, '\0' });
		buf_putc(name, '"');
		is_int((long long)attr_end(ends[i].data, strlen(ends[i].data)),
		    (long long)ends[i].want, buf_str(name));
	}
	is_int((long long)attr_end("a=1\n\nb", 3), 0,
	    "attr_end looks only at len bytes");
	buf_free(&name);
}

int
main(void)
{
	msg_init("attr.t", MSG_STDERR);
	test_format();
	test_parse();
	test_read();
	test_long();
	test_stream();
	test_end();
	return done_testing();
}
