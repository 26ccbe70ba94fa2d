/*
 * resolve - what a recipient address means to this host, the same answer
 * for smtpd (RCPT), qmgr (routing) and local (delivery):
 *	RESOLVE_LOCAL	its domain is in mydestination (or it has none);
 *	RESOLVE_RELAY	its domain is in relay_domains;
 *	RESOLVE_REMOTE	any other domain.
 * resolve_route() says which transport and nexthop an address goes to.
 * For local addresses, resolve_local_user() finds the account: an alias, a
 * virtual user (virtual_passwd_file), or a system user (getpwnam).
 */
#ifndef CARTERO_RESOLVE_H
#define CARTERO_RESOLVE_H

#include <sys/types.h>

struct buf;

enum resolve_class { RESOLVE_LOCAL, RESOLVE_RELAY, RESOLVE_REMOTE };

enum resolve_class resolve_class(const char *);	/* by address */
int	resolve_is_local_domain(const char *);		/* domain in mydestination */

struct account {
	char	*name;		/* "ana@mired.org" (virtual) or "ana" (system) */
	uid_t	 uid;
	gid_t	 gid;
	char	*home;
	char	*maildir;	/* home + home_mailbox */
	char	*hash;		/* crypt(3) hash (virtual, auth only), or NULL */
	int	 is_virtual;
	long long quota_bytes;	/* the passwd file's quota, -1: none given */
	long long quota_count;	/* (quota.c: quota_limits) */
};

/*
 * Look up the account of a local address (extension removed, alias already
 * expanded).  1 found, 0 no such user, -1 temporary error (why).
 */
int	resolve_account(const char *, struct account *, struct buf *);
int	resolve_uid_ok(uid_t);		/* in [first_valid_uid, last_valid_uid] */
void	account_free(struct account *);
/*
 * An account's quota (bytes, count; 0: none): its own (the passwd file,
 * mailbox_quota_maps) or mailbox_size_limit and mailbox_message_limit.
 * 0, or -1 with why (a table that cannot be read).
 */
int	resolve_quota(const struct account *, long long *, long long *,
	    struct buf *);
/* Read the passwd file with its hashes (auth only), not the user table. */
void	resolve_use_passdb(int);
/* Is this local address deliverable: an alias or an account?  1/0/-1. */
int	resolve_local_exists(const char *, struct buf *);
/* Strip the recipient_delimiter extension from a local part (in place). */
char	*resolve_strip_extension(char *);
/* Open alias_maps now (before a chroot): 1, 0 none, -1 (why). */
int	resolve_open(struct buf *);
/* Has the alias database been rebuilt since it was opened? */
int	resolve_changed(void);
/* Alias lookup of a local part: 1 found (value in result), 0, -1. */
int	resolve_alias(const char *, struct buf *, struct buf *);
/*
 * virtual_alias_maps of an address: the whole address, without its
 * extension, then @domain.  1 (the value in result), 0, -1 (why).
 */
int	resolve_virtual_alias(const char *, struct buf *, struct buf *);
/*
 * The transport (a master.cf service name, or error, discard) and nexthop
 * of a final address: local_transport, relay_transport or
 * default_transport by its class, relayhost, then transport_maps.  0, or
 * -1 with why (transport_maps unreadable: try again later).
 */
int	resolve_route(const char *, struct buf *, struct buf *, struct buf *);

#endif
