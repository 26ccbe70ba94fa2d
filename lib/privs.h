/*
 * privs - privilege changes.  As root: chroot, setgroups/setgid/setuid to a
 * named or numeric user.  Without root (a developer's sandbox) the drops are
 * skipped; privs_drop() warns once per process.
 */
#ifndef CARTERO_PRIVS_H
#define CARTERO_PRIVS_H

#include <sys/types.h>

struct buf;

int	privs_lookup(const char *, uid_t *, gid_t *, struct buf *);	/* name or #uid */
int	privs_set(uid_t, gid_t, struct buf *);	/* permanent; -1 with why */
void	privs_drop(const char *);	/* to mail_owner: msg_fatal on failure */
int	privs_chroot(const char *, struct buf *);
int	privs_is_root(void);

#endif
