/*
 * cartero_user - what the files of "cartero user" and "cartero mailbox"
 * share:
 *
 *	cartero_user.c		the command line, virtual users, passwords
 *	cartero_sysuser.c	system users: useradd, chpasswd, userdel
 *	cartero_user_show.c	"user show": where the mail is, its size
 *	cartero_mailbox.c	"mailbox resync|expunge"
 *	cartero_mailbox_quota.c	"mailbox quota get|recalc"
 */
#ifndef CARTERO_CLI_USER_H
#define CARTERO_CLI_USER_H

#include <sys/types.h>

struct buf;

#define USER_GROUP		"mail_users"	/* the system mail users */
#define USER_PASSWORD_MAX	1023	/* bytes of a password */
#define USER_SYSNAME_MAX	32	/* a system user's name (useradd) */

/* What the command line said besides the command and the name. */
struct user_opts {
	const char	*pwfile;	/* --password-file FILE */
	int		 virtual;	/* --virtual */
	int		 system;	/* --system */
	int		 remove_mail;	/* --remove-mail */
};

int	cartero_user(int, char **, const char *);
/* Called with a user's name and kind ("virtual", "system"); a status. */
typedef int (*cartero_user_fn)(const char *, const char *, void *);
/* fn for each virtual (if asked), then system (if asked) mail user, under
 * the configuration's real path: their statuses or'ed. */
int	cartero_user_each(const char *, int, int, cartero_user_fn, void *);
int	cartero_mailbox(int, char **, const char *);
int	cartero_mailbox_quota(int, char **, const char *);

/* cartero_user.c */
/* The new password of a user (a file, the terminal, stdin), hashed. */
int	cartero_user_new_hash(const char *, const char *, struct buf *,
	    struct buf *);
/* A mail user's account (resolve_account): 0, or -1 (said). */
struct account;
int	cartero_user_find(const char *, struct account *);
/* Run fn(arg) in a child as uid:gid (root drops to them); its status. */
int	cartero_user_as(uid_t, gid_t, int (*)(void *), void *);
/* Make a Maildir with its folders as uid:gid (an mbox: nothing); 0, -1. */
int	cartero_user_mkmaildir(const char *, uid_t, gid_t);
/* Remove a directory tree, as its owner; 0 or -1 (said). */
int	cartero_user_rmtree(const char *, uid_t, gid_t);

/* cartero_sysuser.c: each returns the command's exit status. */
int	cartero_sysuser_add(const char *, const struct user_opts *);
int	cartero_sysuser_passwd(const char *, const struct user_opts *);
int	cartero_sysuser_del(const char *, const struct user_opts *);
int	cartero_sysuser_list(cartero_user_fn, void *);
/* Is this a system user of group mail_users?  1, 0. */
int	cartero_sysuser_is_mail_user(const char *);

/* cartero_user_show.c */
int	cartero_user_show(const char *);

#endif
