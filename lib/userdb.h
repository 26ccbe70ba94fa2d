/*
 * userdb - the user table: virtual_passwd_file without its password
 * hashes, derived by root (master, "cartero user") for smtpd, qmgr and
 * local, which must never read the passwd file itself (see userdb.c).
 */
#ifndef CARTERO_USERDB_H
#define CARTERO_USERDB_H

struct buf;

#define USERDB_NAME	"etc/users"	/* under $queue_directory */
#define USERDB_LINE_MAX	4096		/* longest line, passwd or table */

/* The table's path ($queue_directory/etc/users) into the buffer. */
const char *userdb_path(struct buf *);
/* Append the text with each line's second field replaced by "x". */
void	userdb_strip(const struct buf *, struct buf *);
/* Derive the table if the passwd file changed (or force): 1, 0, -1 why. */
int	userdb_update(int, struct buf *);

#endif
