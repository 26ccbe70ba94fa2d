/*
 * login - what the login sides of pop3d and imapd share: their jail and
 * the plaintext relay.
 */
#ifndef CARTERO_LOGIN_H
#define CARTERO_LOGIN_H

#define LOGIN_JAIL	"empty"		/* under $queue_directory */
#define LOGIN_RELAY_BUF	65536		/* bytes in flight each way */

#include <stddef.h>

/*
 * Confine a login process, named prog in messages: as root, chroot to
 * $queue_directory/empty (whose only content is a link to the auth
 * socket) and become mail_owner for good; var_queue_directory becomes ""
 * (the jail's root) and max_use becomes login_max_use.  Without root, privs_drop()'s warning and nothing
 * else.  Fatal on failure.
 */
void	login_jail(const char *prog);

/* Relay client fd <-> mailbox fd until either closes or timeout s idle. */
void	login_relay(int, int, int);

/*
 * Secrets of a session (see login.c): a buffer that leaves no copy behind
 * (size, cap as buf_new), overwrite one now, and the end of a session:
 * tls_close, wipe and free the line reader and the buffers named (a
 * NULL-ended list of struct buf **).  The server TLS context of a login
 * side, whose plaintext records are overwritten once read.
 */
struct buf;
struct lineio;
struct tls;
struct tls_ctx;
struct buf *login_secret(size_t, size_t);
void	login_wipe(struct buf *);
void	login_end(struct tls **, struct lineio **, ...);
struct tls_ctx *login_tls_ctx(struct buf *);

#endif
