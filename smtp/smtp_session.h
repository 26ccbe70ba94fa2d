/*
 * smtp_session - a connection of the smtp agent's worker, shared by
 * smtp_session.c (the transaction, reuse), smtp_hello.c (connect,
 * greeting, EHLO, STARTTLS, AUTH) and smtp_chat.c (commands, replies).
 */
#ifndef CARTERO_SMTP_SESSION_H
#define CARTERO_SMTP_SESSION_H

#include "smtp.h"
#include "smtp_reply.h"

struct buf;
struct lineio;
struct tls;

/* A connection. */
struct smtp_sess {
	int			 fd;
	struct lineio		*io;
	struct tls		*tls;
	char			*key;	/* the nexthop it serves */
	struct smtp_dest	 dest;
	struct smtp_ext		 ext;
	int			 uses;
	struct smtp_reply	 rep;
	struct buf		*line;
	char			 relay[SMTP_DEST_NAME_MAX]; /* for logs */
};

void	smtp_session_close(struct smtp_sess **, int);
/* smtp_chat.c */
int	smtp_chat_reply(struct smtp_sess *, int, const char *, struct buf *);
void	smtp_chat_said(struct smtp_sess *, const char *, struct buf *);
int	smtp_chat_cmd_as(struct smtp_sess *, const char *, const char *, int,
	    struct buf *);
int	smtp_chat_cmd(struct smtp_sess *, const char *, int, struct buf *);
/* smtp_hello.c */
struct smtp_tls_pol;
struct smtp_sess *smtp_hello_open(const struct smtp_dest *, const char *,
	    const struct smtp_tls_pol *, int, int *, struct buf *);

#endif
