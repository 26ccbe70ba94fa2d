/*
 * imap - the mailbox side of the IMAP server as a program of its own.
 *
 * auth runs "$daemon_directory/imap -M -c DIR" (or, as before,
 * "imapd -M -c DIR") after a good login, as the account's user, with the
 * client on fd 0/1; imapd_session.c has the rest.  It is not the login
 * program imapd because that one links OpenSSL: mapping and relocating
 * libssl and libcrypto costs about half a megabyte per process, and there
 * is one of these processes per logged-in session.
 */
#include "imapd.h"

/* main - serve one logged-in session */
int
main(int argc, char **argv)
{
	imapd_mailbox_main(argc, argv);
}
