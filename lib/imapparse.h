/*
 * imapparse - IMAP's client syntax (RFC 3501 section 9), shared by the
 * login side imapd and the mailbox side imap, as Dovecot's lib-imap:
 *
 *	imapparse.c	the command reader (a tag, a name, tokens over lines
 *			and literals, every part bounded), taking the tokens
 *			one by one, numbers, system flag names
 *	imapparse_date.c  dates and date-times: SEARCH's, APPEND's,
 *			INTERNALDATE's, a Date: header's
 *
 * The reader knows nothing of a session: a program hands it a struct
 * imapparse_reader (where to read, and its limits).  The dates are plain
 * string functions, apart so that the login side links only the reader.
 */
#ifndef CARTERO_IMAPPARSE_H
#define CARTERO_IMAPPARSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct lineio;

#define IMAPPARSE_ARGS_MAX	100000	/* tokens in one command */
#define IMAPPARSE_DEPTH_MAX	32	/* nested parentheses */
#define IMAPPARSE_SMALL_LITERALS (1024 * 1024)	/* all other literals */

/*
 * What a program hands the reader: where the commands come from (the
 * "+" continuation for a literal goes back on the same lineio, whose
 * cap bounds a line) and the limits of one command.
 */
struct imapparse_reader {
	struct lineio	*io;
	long long	 cmd_max;	/* octets of lines, literals; 0: none */
	long long	 literal_max;	/* octets of one literal */
	int		 args_max;	/* tokens; 0: IMAPPARSE_ARGS_MAX */
	int		 append;	/* 1: APPEND's message not in cmd_max */
	int		 secret;	/* 1: wipe lines when freed (LOGIN) */
};

/* The tokens of a command. */
enum imapparse_type {
	IMAPPARSE_ATOM,		/* atoms, numbers, sets, NIL, BODY[...]<..> */
	IMAPPARSE_STRING,	/* quoted string or literal */
	IMAPPARSE_LPAREN,
	IMAPPARSE_RPAREN
};

struct imapparse_arg {
	enum imapparse_type type;
	char		*s;		/* NUL-terminated */
	size_t		 len;
	int		 literal;
};

struct imapparse_cmd {
	char		*tag;
	char		*name;		/* upper case */
	struct imapparse_arg *args;
	int		 nargs;
	int		 size;
	int		 pos;		/* the next argument to take */
	int		 uid;		/* UID FETCH, UID STORE, ... */
	int		 args_max;	/* the token cap of this command */
};

/* imapparse_read() results. */
#define IMAPPARSE_READ_OK	0
#define IMAPPARSE_READ_BAD	1	/* why: the reason; tag may be set */
#define IMAPPARSE_READ_NO	2	/* TOOBIG, before the literal */
#define IMAPPARSE_READ_EOF	3
#define IMAPPARSE_READ_TIMEOUT	4
#define IMAPPARSE_READ_BYE	5	/* must hang up (literal+ too big) */
#define IMAPPARSE_READ_EMPTY	6	/* an empty line: ignored */

/* imapparse.c */
int	imapparse_read(const struct imapparse_reader *, struct imapparse_cmd *,
	    struct buf *);
void	imapparse_free(struct imapparse_cmd *);
struct imapparse_arg *imapparse_arg(struct imapparse_cmd *);
struct imapparse_arg *imapparse_arg_peek(struct imapparse_cmd *);
int	imapparse_arg_end(struct imapparse_cmd *);
const char *imapparse_astring(struct imapparse_cmd *);
const char *imapparse_atom(struct imapparse_cmd *);
int	imapparse_arg_is(struct imapparse_arg *, const char *);
int	imapparse_arg_lparen(struct imapparse_cmd *);
int	imapparse_arg_rparen(struct imapparse_cmd *);
int	imapparse_number(const char *, uint32_t *);
int	imapparse_number64(const char *, uint64_t *);
int	imapparse_system_flag(const char *);
void	imapparse_system_flags(struct buf *, size_t, uint32_t);

/* imapparse_date.c */
int	imapparse_date_parse(const char *, int *, int *, int *);
int	imapparse_date_time(const char *, time_t *);
void	imapparse_date_format(struct buf *, time_t);
int	imapparse_date_header(const char *, int *, int *, int *);

#endif
