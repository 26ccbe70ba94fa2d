/*
 * login.t - the SASL response reader of the login sides: a response, "*"
 * (aborted), a line over the cap (and the dialog kept in step after it),
 * a timeout, the end of input; the words a refusal is given with.
 */
#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "login.h"
#include "../tap.h"

int
main(void)
{
	static const char in[] = "dXNlcg==\r\n*\r\n"
	    "0123456789012345678901234567890123456789\r\nUGFzcw==\n";
	struct lineio	*io;
	struct buf	*line = buf_new(64, 0);
	const char	*why = "unset";
	int		 peer, sv[2];

	plan(13);
	io = lineio_new(tap_feed(in, sizeof(in) - 1, &peer), 32, 2);
	ok(login_sasl_read(io, line, &why) == LOGIN_SASL_OK,
	    "a response is read");
	is_str(buf_str(line), "dXNlcg==", "without its CRLF");
	ok(why == NULL, "no words to refuse a response with");
	ok(login_sasl_read(io, line, &why) == LOGIN_SASL_ABORTED,
	    "\"*\" aborts the exchange");
	is_str(why, "Authentication aborted by client.", "and says so");
	ok(login_sasl_read(io, line, &why) == LOGIN_SASL_TOOLONG,
	    "a line over the cap is too long");
	is_str(why, "Response too long.", "and says so");
	ok(login_sasl_read(io, line, NULL) == LOGIN_SASL_OK,
	    "the next line is read whole: the long one was skipped");
	is_str(buf_str(line), "UGFzcw==", "a bare LF ends a line too");
	ok(login_sasl_read(io, line, &why) == LOGIN_SASL_LOST &&
	    why == NULL, "the end of input: the client is gone");
	lineio_free(&io);
	close(peer);

	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "a quiet client");
	io = lineio_new(sv[0], 32, 1);
	ok(login_sasl_read(io, line, &why) == LOGIN_SASL_TIMEOUT,
	    "no response in time: a timeout");
	ok(why == NULL, "no words for a client that is gone");
	lineio_free(&io);
	close(sv[0]);
	close(sv[1]);
	buf_free(&line);
	return done_testing();
}
