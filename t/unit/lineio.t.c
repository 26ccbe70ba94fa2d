/* lineio.t.c - unit tests of the bounded line reader, over a socketpair */
#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "../tap.h"

/* feed - a reader whose peer has sent data and then closed */
static struct lineio *
feed(const char *data, size_t len, size_t cap, int *peer)
{
	return lineio_new(tap_feed(data, len, peer), cap, 2);
}

/* unfeed - free a reader made by feed() and close both ends */
static void
unfeed(struct lineio **lp, int peer)
{
	int fd = lineio_fd(*lp);

	lineio_free(lp);
	close(fd);
	close(peer);
}

/* is_read - one read from fd (of at most 15 bytes) gives want */
static void
is_read(int fd, const char *want, const char *name)
{
	char got[16] = "";

	if (read(fd, got, sizeof(got) - 1) < 0)
		got[0] = '\0';
	is_str(got, want, name);
}

int
main(void)
{
	struct buf *line = buf_new(64, 0);
	struct lineio *l;
	int peer;
	char big[3000];
	static const char mixed[] = "EHLO a\r\nMAIL FROM:<x>\nbare\rcr\r\nlast";

	l = feed(mixed, sizeof(mixed) - 1, 100, &peer);
	ok(lineio_get(l, line, LINEIO_SKIP) == LINE_OK, "a CRLF line is read");
	is_str(buf_str(line), "EHLO a", "CRLF is stripped");
	ok(lineio_eol(l) == LINEIO_EOL_CRLF, "and reported as CRLF");
	lineio_get(l, line, LINEIO_SKIP);
	is_str(buf_str(line), "MAIL FROM:<x>", "a bare LF ends a command line");
	ok(lineio_eol(l) == LINEIO_EOL_LF, "and is reported as LF");
	lineio_get(l, line, LINEIO_SKIP);
	is_str(buf_str(line), "bare\rcr", "a bare CR does not end a line");
	ok(lineio_get(l, line, LINEIO_SKIP) == LINE_OK &&
	    lineio_eol(l) == LINEIO_EOL_NONE, "an unterminated last line is OK without EOL");
	is_str(buf_str(line), "last", "with its text");
	ok(lineio_get(l, line, LINEIO_SKIP) == LINE_EOF, "then EOF");
	unfeed(&l, peer);

	memset(big, 'a', sizeof(big));
	memcpy(big + 2000, "\r\nNOOP\r\n", 8);
	l = feed(big, 2008, 1000, &peer);
	ok(lineio_get(l, line, LINEIO_SKIP) == LINE_TOOLONG, "a line over the cap is refused");
	ok(buf_len(line) == 0, "and nothing of it is kept");
	ok(lineio_get(l, line, LINEIO_SKIP) == LINE_OK &&
	    strcmp(buf_str(line), "NOOP") == 0, "the dialog stays in step after it");
	unfeed(&l, peer);

	l = feed(big, 2008, 1000, &peer);
	ok(lineio_get(l, line, LINEIO_SPLIT) == LINE_PARTIAL && buf_len(line) == 1000,
	    "split mode hands out a chunk of the cap");
	ok(lineio_get(l, line, LINEIO_SPLIT) == LINE_OK && buf_len(line) == 1000 &&
	    lineio_eol(l) == LINEIO_EOL_CRLF, "then the rest, ended by its CRLF");
	ok(lineio_get(l, line, LINEIO_SPLIT) == LINE_OK &&
	    strcmp(buf_str(line), "NOOP") == 0, "then the next line");
	unfeed(&l, peer);

	{
		static const char exact[] = "0123456789\r\n";

		l = feed(exact, sizeof(exact) - 1, 10, &peer);
		ok(lineio_get(l, line, LINEIO_SKIP) == LINE_OK,
		    "a line exactly at the cap (CRLF not counted) is read");
		unfeed(&l, peer);
	}
	{
		int sv[2];

		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		l = lineio_new(sv[0], 100, 1);
		ok(lineio_get(l, line, LINEIO_SKIP) == LINE_TIMEOUT, "a silent peer times out");
		lineio_printf(l, "250 %s\r\n", "ok");
		ok(lineio_flush(l) == 0, "output is flushed");
		is_read(sv[1], "250 ok\r\n", "the peer reads what was written");
		lineio_free(&l);
		close(sv[0]);
		close(sv[1]);
	}
	{
		/* Output to a pipe (not a socket): written all the same. */
		int pv[2];

		if (pipe(pv) == 0) {
			l = lineio_new(pv[1], 100, 1);
			lineio_puts(l, "* OK pipe\r\n");
			ok(lineio_flush(l) == 0, "output to a pipe is flushed");
			is_read(pv[0], "* OK pipe\r\n", "and read from it");
			lineio_free(&l);
			close(pv[0]);
			close(pv[1]);
		}
	}
	{
		/*
		 * More output than the socket holds: the writer waits for
		 * room (bounded by the timeout) and fails when none comes.
		 */
		int sv[2], i, r = 0;
		static char chunk[8192];

		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		l = lineio_new(sv[0], 100, 1);
		memset(chunk, 'x', sizeof(chunk));
		for (i = 0; i < 256 && r == 0; i++)
			if ((r = lineio_write(l, chunk, sizeof(chunk))) == 0)
				r = lineio_flush(l);
		ok(r < 0 && i < 256,
		    "a peer that never reads makes the write time out");
		lineio_free(&l);
		close(sv[0]);
		close(sv[1]);
	}
	buf_free(&line);
	return done_testing();
}
