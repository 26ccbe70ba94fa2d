/*
 * smtp - the SMTP delivery agent: mail to other hosts, by their MX or
 * through a relayhost.  The service itself is smtp_agent.c's, shared with
 * the lmtp program (smtp/libsmtp.a); see smtp(8).
 */
#include "smtp.h"

int
main(int argc, char **argv)
{
	smtp_main(argc, argv, 0);
}
