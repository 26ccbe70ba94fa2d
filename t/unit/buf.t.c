/* buf.t.c - unit tests of lib/buf.c and the string helpers of lib/util.c */
#include <string.h>

#include "buf.h"
#include "util.h"
#include "../tap.h"

int
main(void)
{
	struct buf *b = buf_new(4, 0), *capped = buf_new(4, 10), *p;
	int i;
	char s[] = "  hello world \t\n";
	static const struct {
		const char *in;
		long long size;
	} sizes[] = {
		{ "10240000", 10240000 }, { "10k", 10240 }, { "2m", 2097152 },
		{ "1g", 1073741824LL }, { "", -1 }, { "x", -1 }, { "10q", -1 },
		{ "-5", -1 },
	};
	static const struct {
		const char *in;
		long long secs;
	} times[] = {
		{ "300", 300 }, { "300s", 300 }, { "5m", 300 }, { "2h", 7200 },
		{ "5d", 432000 }, { "1w", 604800 }, { "5x", -1 }, { "", -1 },
	};

	ok(buf_len(b) == 0 && strcmp(buf_str(b), "") == 0, "a new buffer is empty");
	buf_appendf(b, "%s@%s", "ana", "mired.org");
	is_str(buf_str(b), "ana@mired.org", "appendf joins local part and domain");
	for (i = 0; i < 1000; i++)
		buf_putc(b, 'x');
	is_int(buf_len(b), 1013, "an uncapped buffer grows");
	ok(!buf_overflowed(b), "and does not overflow");
	buf_puts(capped, "0123456789");
	ok(!buf_overflowed(capped), "a buffer may fill exactly to its cap");
	ok(buf_putc(capped, 'x') < 0, "one more byte is refused");
	ok(buf_overflowed(capped) && buf_len(capped) == 10,
	    "the overflow flag sticks and the length stays at the cap");
	buf_reset(capped);
	buf_appendf(capped, "%s", "a long string that will not fit");
	is_str(buf_str(capped), "a long str", "appendf keeps what fits");
	ok(buf_overflowed(capped), "appendf past the cap overflows");
	buf_set(b, "abcdef");
	buf_truncate(b, 3);
	is_str(buf_str(b), "abc", "truncate shortens");
	buf_setf(b, "%d-%d", 1, 2);
	is_str(buf_str(b), "1-2", "setf replaces");
	buf_append(b, "\0z", 2);
	is_int(buf_len(b), 5, "binary data keeps its NULs");
	p = buf_new(16, 0);
	buf_puts(p, "stolen");
	{
		char *st = buf_steal(&p);

		is_str(st, "stolen", "steal hands over the string");
		ok(p == NULL, "and clears the pointer");
		free(st);
	}
	buf_free(&b);
	ok(b == NULL, "free clears the pointer");

	is_str(trim(s), "hello world", "trim strips both ends");
	ok(match_list("Mired.ORG", "localhost, mired.org example.com"),
	    "match_list ignores case and takes commas and spaces");
	ok(!match_list("mired", "mired.org"), "match_list matches whole words");
	for (i = 0; i < (int)(sizeof(sizes) / sizeof(sizes[0])); i++)
		is_int(parse_size(sizes[i].in), sizes[i].size, sizes[i].in);
	for (i = 0; i < (int)(sizeof(times) / sizeof(times[0])); i++)
		is_int(parse_time(times[i].in, 's'), times[i].secs, times[i].in);
	{
		struct buf *o = buf_new(16, 0);

		is_str(printable("a\r\nb\x01", o), "a??b?", "printable masks controls");
		buf_free(&o);
	}
	return done_testing();
}
