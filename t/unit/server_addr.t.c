/*
 * server_addr.t.c - the one reader of master.cf's service addresses:
 * server_addr_split ("host:port", "[v6]:port", ":port", "port") and
 * server_port (numbers, names, the mail ports /etc/services may lack).
 */
#include <stdio.h>

#include "buf.h"
#include "server.h"
#include "../tap.h"

/* An address and what it splits into, "host|port" (NULL: refused). */
static const struct tap_text splits[] = {
	{ "127.0.0.1:2525", "127.0.0.1|2525", "IPv4 and number" },
	{ "[::1]:25", "::1|25", "IPv6 in brackets" },
	{ ":587", "|587", "every address" },
	{ "*:587", "|587", "every address, as *" },
	{ "2525", "|2525", "a port alone" },
	{ "mail.mired.org:smtp", "mail.mired.org|25", "a name and a port name" },
	{ "127.0.0.1:imaps", "127.0.0.1|993", "imaps" },
	{ "submissions", "|465", "submissions alone" },
	{ "127.0.0.1:nosuch", "127.0.0.1|nosuch", "an unknown name is kept" },
	{ "::1:25", NULL, "IPv6 without brackets" },
	{ "[::1]25", NULL, "no colon after the bracket" },
	{ "[::1:25", NULL, "no closing bracket" },
	{ "127.0.0.1:", NULL, "no port" },
};

/* A port column and its number, in text ("0": not a port). */
static const struct tap_text ports[] = {
	{ "25", "25", "25" }, { "65535", "65535", "the highest" },
	{ "0", "0", "zero" }, { "65536", "0", "too high" },
	{ "25x", "0", "junk after the number" }, { "", "0", "empty" },
	{ "-25", "0", "negative" }, { "smtp", "25", "smtp" },
	{ "SUBMISSION", "587", "any case" }, { "pop3s", "995", "pop3s" },
	{ "imap2", "143", "imap2" }, { "lmtp", "24", "lmtp" },
	{ "nosuch", "0", "unknown" },
};

int
main(void)
{
	struct buf *host = buf_new(64, 1024), *port = buf_new(16, 256);
	struct buf *why = buf_new(64, 1024), *got = buf_new(64, 0);
	size_t i;

	for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		buf_reset(why);
		if (server_addr_split(splits[i].in, host, port, why) == 0)
			buf_setf(got, "%s|%s", buf_str(host), buf_str(port));
		else if (buf_len(why) > 0)
			buf_set(got, "(refused)");
		else
			buf_set(got, "(refused without a reason)");
		is_str(buf_str(got), splits[i].want != NULL ? splits[i].want :
		    "(refused)", splits[i].name);
	}
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		buf_setf(got, "%d", server_port(ports[i].in));
		is_str(buf_str(got), ports[i].want, ports[i].name);
	}
	buf_free(&host);
	buf_free(&port);
	buf_free(&why);
	buf_free(&got);
	return done_testing();
}
