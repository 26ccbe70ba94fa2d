/*
 * smtp_reply - the SMTP client's reply parser (RFC 5321 4.2, RFC 3463,
 * RFC 2034) and the EHLO keywords (RFC 1869): one line at a time, so
 * that the session's bounded line reader feeds it.
 */
#ifndef CARTERO_SMTP_REPLY_H
#define CARTERO_SMTP_REPLY_H

#include <stddef.h>

struct buf;

#define SMTP_REPLY_MORE	0	/* "250-": read on */
#define SMTP_REPLY_DONE	1	/* the last line: the reply is whole */
/* Not a reply, a code that changed, or more lines than the limit: */
#define SMTP_REPLY_BAD	(-1)

/* A reply being read, or read. */
struct smtp_reply {
	int		 code;		/* 250 */
	char		 dsn[12];	/* "2.1.0" (first line), or "" */
	struct buf	*text;		/* the lines' texts (without code and
					 * enhanced code), '\n' between */
	int		 nlines;
	int		 lines_max;	/* the limit on nlines */
};

/* EHLO's keywords. */
#define SMTP_EXT_PIPELINING	0x01
#define SMTP_EXT_SIZE		0x02
#define SMTP_EXT_8BITMIME	0x04
#define SMTP_EXT_SMTPUTF8	0x08
#define SMTP_EXT_DSN		0x10
#define SMTP_EXT_STARTTLS	0x20
#define SMTP_EXT_AUTH		0x40
#define SMTP_EXT_CHUNKING	0x80
#define SMTP_EXT_BINARYMIME	0x100

#define SMTP_AUTH_PLAIN		0x1
#define SMTP_AUTH_LOGIN		0x2

struct smtp_ext {
	int		 flags;		/* SMTP_EXT_* */
	long long	 size;		/* SIZE's value; 0: none given */
	int		 auth;		/* SMTP_AUTH_* offered */
};

void	smtp_reply_init(struct smtp_reply *, int, size_t);
void	smtp_reply_free(struct smtp_reply *);
void	smtp_reply_reset(struct smtp_reply *);
int	smtp_reply_line(struct smtp_reply *, const char *, size_t);
void	smtp_reply_ehlo(const struct smtp_reply *, struct smtp_ext *);
/* The reply in one line, for a reason: "550 5.1.1 no such user" */
void	smtp_reply_str(const struct smtp_reply *, struct buf *);

#endif
