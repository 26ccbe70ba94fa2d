/*
 * login - what the login sides of pop3d and imapd share: their jail and
 * the plaintext relay.
 */
#ifndef CARTERO_LOGIN_H
#define CARTERO_LOGIN_H

#define LOGIN_JAIL	"empty"		/* under $queue_directory */
#define LOGIN_RELAY_BUF	65536		/* bytes in flight each way */

/*
 * Confine a login process, named prog in messages: as root, chroot to
 * $queue_directory/empty (whose only content is a link to the auth
 * socket) and become mail_owner for good; var_queue_directory becomes ""
 * (the jail's root).  Without root, privs_drop()'s warning and nothing
 * else.  Fatal on failure.
 */
void	login_jail(const char *prog);

/* Relay client fd <-> mailbox fd until either closes or timeout s idle. */
void	login_relay(int, int, int);

#endif
