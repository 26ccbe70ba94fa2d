/*
 * pop3 - the mailbox side of the POP3 server, a program of its own.
 *
 * auth runs "$daemon_directory/pop3 -M -c DIR" after a good login, as the
 * account's user, with the client on fd 0/1 (pop3d_cmd.c has the rest).
 * It is not the login program pop3d run with another flag because that
 * one links OpenSSL: mapping and relocating libssl and libcrypto costs
 * about half a megabyte per process, and there is one of these processes
 * per logged-in session.  This one links neither TLS nor the auth client.
 */
#include "pop3d.h"

/* main - serve one logged-in session */
int
main(int argc, char **argv)
{
	pop3d_mailbox_main(argc, argv);
}
