/* fuzz_lineio - libFuzzer target: the bounded line reader, both modes */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "msg.h"

#define CAP 64

/* fuzz_lines - read everything; no line may pass the cap */
static void
fuzz_lines(const uint8_t *data, size_t len, int flags)
{
	struct buf *line = buf_new(16, 0);
	struct lineio *l;
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	if (len > 0 && write(sv[1], data, len) != (ssize_t)len)
		abort();
	shutdown(sv[1], SHUT_WR);
	l = lineio_new(sv[0], CAP, 1);
	while ((r = lineio_get(l, line, flags)) == LINE_OK ||
	    r == LINE_PARTIAL || r == LINE_TOOLONG)
		if (buf_len(line) > CAP + 1)
			abort();
	if (r != LINE_EOF)
		abort();
	lineio_free(&l);
	close(sv[0]);
	close(sv[1]);
	buf_free(&line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	msg_set_flags(0);
	if (len > 60000)
		return 0;
	fuzz_lines(data, len, LINEIO_SKIP);
	fuzz_lines(data, len, LINEIO_SPLIT);
	return 0;
}
