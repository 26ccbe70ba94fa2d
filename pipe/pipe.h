/*
 * pipe - delivery to an external command named in master.cf, as Postfix's
 * pipe(8): the mailman route of the seed
 *
 *	mailman unix - n n - - pipe
 *	  flags=FR user=list argv=/usr/lib/mailman/bin/postfix-to-mailman.py
 *	  ${nexthop} ${user}
 *
 * pipe.c serves qmgr's requests (lib/deliver.h) and maps the command's
 * exit to a reply; pipe_argv.c reads the master.cf attributes and expands
 * the ${name} macros of argv= into arguments, never through a shell;
 * pipe_copy.c makes the command's stdin (the flags' lines, then the
 * message, dot-stuffed or From_-quoted as the flags say).
 */
#ifndef CARTERO_PIPE_H
#define CARTERO_PIPE_H

#include <sys/types.h>

struct buf;
struct deliver_rcpt;

/* flags= letters. */
#define PIPE_FLAG_BLANK		(1 << 0)	/* B: a blank line at the end */
#define PIPE_FLAG_DELIVERED	(1 << 1)	/* D: Delivered-To: */
#define PIPE_FLAG_FROM		(1 << 2)	/* F: the From_ line */
#define PIPE_FLAG_ORIG		(1 << 3)	/* O: X-Original-To: */
#define PIPE_FLAG_RETURN	(1 << 4)	/* R: Return-Path: */
#define PIPE_FLAG_FINAL		(1 << 5)	/* X: final delivery */
#define PIPE_FLAG_FOLD_HOST	(1 << 6)	/* h: lower-case domains */
#define PIPE_FLAG_QUOTE		(1 << 7)	/* q: RFC 822-quote local parts */
#define PIPE_FLAG_FOLD_USER	(1 << 8)	/* u: lower-case local parts */
#define PIPE_FLAG_DOT		(1 << 9)	/* .: dot-stuffing */
#define PIPE_FLAG_QUOTE_FROM	(1 << 10)	/* >: ">From " */

/* The service's attributes, from master.cf (trusted). */
struct pipe_attr {
	int		 flags;
	const char	*user;		/* user=USER[:GROUP], as given */
	uid_t		 uid;
	gid_t		 gid;
	struct buf	*name;		/* the user's name, home and shell */
	struct buf	*home;
	struct buf	*shell;
	char		**argv;		/* argv=..., into the service's args */
	int		 argc;
	long long	 size_limit;	/* size=, 0: none */
	struct buf	*eol;		/* eol=, "\n" by default */
	struct buf	*null_sender;	/* null_sender=, "MAILER-DAEMON" */
};

/* One delivery's envelope, as the macros and the flags see it. */
struct pipe_env {
	const char	*sender;	/* "" for the null sender */
	const char	*nexthop;
	off_t		 size;		/* the message's */
	const struct deliver_rcpt *rcpt; /* recipients, nrcpt of them */
	int		 nrcpt;
};

/* pipe_argv.c */
void	pipe_attr_init(struct pipe_attr *);
void	pipe_attr_free(struct pipe_attr *);
/* Read master.cf's attributes: 0, or -1 with why. */
int	pipe_attr_parse(struct pipe_attr *, char **, struct buf *);
/* The command's arguments (NULL-ended, malloc'd): NULL with why. */
char	**pipe_argv_expand(const struct pipe_attr *, const struct pipe_env *,
	    struct buf *);
void	pipe_argv_free(char ***);
/* A recipient's parts: local part, user, extension, domain. */
void	pipe_addr_split(const char *, struct buf *, struct buf *,
	    struct buf *, struct buf *);

/* pipe_copy.c: the command's stdin, as a lib/command.h feed. */
struct pipe_copy;
struct pipe_copy *pipe_copy_new(const struct pipe_attr *,
	    const struct pipe_env *, int, off_t, off_t);
ssize_t	pipe_copy_feed(void *, char *, size_t, struct buf *);
void	pipe_copy_free(struct pipe_copy **);

#endif
