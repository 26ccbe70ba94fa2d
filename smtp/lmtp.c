/*
 * lmtp - the LMTP delivery agent (RFC 2033): the smtp agent's code
 * (smtp/libsmtp.a: smtp_agent.c and smtp_*.c) with LHLO and one reply per recipient after the data;
 * nexthops unix:/path, inet:host:port or [host]:port (port 24 by
 * default), never an MX lookup.
 */
#include "smtp.h"

int
main(int argc, char **argv)
{
	smtp_main(argc, argv, 1);
}
