/* fuzz_addr - libFuzzer target: SMTP paths, header address lists, CIDR lists */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "msg.h"

/* fuzz_addr_cb - every address found in a header must be bounded */
static void
fuzz_addr_cb(const char *addr, void *ctx)
{
	(void)ctx;
	if (strlen(addr) > 100000)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);
	struct buf *addr = buf_new(16, 0), *why = buf_new(16, 0);
	const char *rest;
	struct sockaddr_in sin;
	size_t i;

	memcpy(s, data, len);
	s[len] = '\0';
	msg_set_flags(0);
	if (addr_parse_path(s, addr, &rest, why) == 0) {
		if (buf_len(addr) > ADDR_MAX)
			abort();
		for (i = 0; i < buf_len(addr); i++)
			if ((unsigned char)addr->data[i] < 0x20)
				abort();
		if (rest < s || rest > s + strlen(s))
			abort();
	} else if (strncmp(buf_str(why), "501 ", 4) != 0)
		abort();
	addr_parse_header(s, fuzz_addr_cb, NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	addr_match_networks((struct sockaddr *)&sin, s);
	buf_free(&addr);
	buf_free(&why);
	free(s);
	return 0;
}
