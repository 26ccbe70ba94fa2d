/*
 * lastlogin - when a mail user last logged in: the file
 * MAILDIR/cartero-lastlogin, written by the mailbox side (imap, pop3) as
 * the user at the start of each session, read by "cartero user show".
 * Its mtime is the time; its one line, "SERVICE ADDRESS", the service and
 * the client's address.
 */
#ifndef CARTERO_LASTLOGIN_H
#define CARTERO_LASTLOGIN_H

struct buf;

#define LASTLOGIN_FILE	"cartero-lastlogin"
#define LASTLOGIN_MAX	256	/* bytes of the line read back */

/* Note a login: Maildir, service, client address; failures are ignored. */
void	lastlogin_note(const char *, const char *, const char *);
/* The last login of a Maildir: 1 (seconds, the line), 0 none, -1 why. */
int	lastlogin_read(const char *, long long *, struct buf *, struct buf *);

#endif
