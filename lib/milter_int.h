/*
 * milter_int - what the files of lib/milter*.c share and no caller needs:
 * the protocol's numbers (Sendmail's libmilter names them SMFIC_*,
 * SMFIR_*, SMFIF_*, SMFIP_*), one milter's connection and state, the set
 * of a session.
 */
#ifndef CARTERO_MILTER_INT_H
#define CARTERO_MILTER_INT_H

#include <stdint.h>

#include "milter.h"

/* Commands, MTA to milter. */
#define MC_ABORT	'A'
#define MC_BODY		'B'
#define MC_CONNECT	'C'
#define MC_MACRO	'D'
#define MC_EOM		'E'
#define MC_HELO		'H'
#define MC_HEADER	'L'
#define MC_MAIL		'M'
#define MC_EOH		'N'
#define MC_OPTNEG	'O'
#define MC_QUIT		'Q'
#define MC_RCPT		'R'
#define MC_DATA		'T'
#define MC_UNKNOWN	'U'

/* Replies, milter to MTA. */
#define MR_ADDRCPT	'+'
#define MR_DELRCPT	'-'
#define MR_ADDRCPT_PAR	'2'
#define MR_SHUTDOWN	'4'
#define MR_ACCEPT	'a'
#define MR_REPLBODY	'b'
#define MR_CONTINUE	'c'
#define MR_DISCARD	'd'
#define MR_CHGFROM	'e'
#define MR_CONN_FAIL	'f'
#define MR_ADDHEADER	'h'
#define MR_INSHEADER	'i'
#define MR_CHGHEADER	'm'
#define MR_PROGRESS	'p'
#define MR_QUARANTINE	'q'
#define MR_REJECT	'r'
#define MR_SKIP		's'
#define MR_TEMPFAIL	't'
#define MR_REPLYCODE	'y'

/* Actions a milter may take (we allow them all). */
#define MA_ADDHDRS	0x001
#define MA_CHGBODY	0x002
#define MA_ADDRCPT	0x004
#define MA_DELRCPT	0x008
#define MA_CHGHDRS	0x010
#define MA_QUARANTINE	0x020
#define MA_CHGFROM	0x040
#define MA_ADDRCPT_PAR	0x080
#define MA_SETSYMLIST	0x100
#define MA_ALL		0x1ff

/* Protocol steps: the milter does not want a stage, or sends no reply. */
#define MP_NOCONNECT	0x000001
#define MP_NOHELO	0x000002
#define MP_NOMAIL	0x000004
#define MP_NORCPT	0x000008
#define MP_NOBODY	0x000010
#define MP_NOHDRS	0x000020
#define MP_NOEOH	0x000040
#define MP_NR_HDR	0x000080
#define MP_NOUNKNOWN	0x000100
#define MP_NODATA	0x000200
#define MP_SKIP		0x000400
#define MP_RCPT_REJ	0x000800
#define MP_NR_CONN	0x001000
#define MP_NR_HELO	0x002000
#define MP_NR_MAIL	0x004000
#define MP_NR_RCPT	0x008000
#define MP_NR_DATA	0x010000
#define MP_NR_UNKN	0x020000
#define MP_NR_EOH	0x040000
#define MP_NR_BODY	0x080000
/* What we offer: every skip and no-reply step, SKIP; not RCPT_REJ
 * (refused recipients are not sent), not HDR_LEADSPC, no larger chunks. */
#define MP_OFFER	0x0ff7ff

/* One milter's state. */
#define MS_CLOSED	0	/* not connected yet */
#define MS_READY	1	/* negotiated, takes commands */
#define MS_DONE		2	/* accepted the connection: no more */
#define MS_FAILED	3	/* dropped: the default action */

struct milter {
	char		*spec;		/* as configured */
	int		 family;	/* AF_UNIX, AF_INET, AF_INET6, AF_UNSPEC */
	char		*host;		/* or path */
	char		*port;
	int		 fd;
	int		 state;		/* MS_* */
	int		 in_msg;	/* MAIL went and the milter goes on */
	int		 msg_done;	/* accepted or refused this message */
	uint32_t	 version;
	uint32_t	 actions;	/* MA_* it may take */
	uint32_t	 pflags;	/* MP_* it asked for */
	char		*macros[MILTER_M_COUNT];	/* its own lists, or NULL */
	long long	 deadline;	/* of the command in progress, ms */
	long long	 connect_timeout;	/* s; milter_connect_timeout or */
	long long	 command_timeout;	/* its own in { ... } */
	long long	 content_timeout;
	long long	 protocol;
	int		 action;	/* default action: a decision, -1 hold */
	const char	*action_name;
	struct buf	*why;
};

struct milters {
	struct milter	*m;
	int		 n;
	milter_macro_fn	 macro;
	void		*ctx;
	int		 failed;	/* sticky default action (decision) */
	struct buf	*sticky;	/* its reply text, when a milter gave it */
	int		 discard;	/* a milter discarded the message */
	int		 hold;		/* default action quarantine hit */
	int		 body_by;	/* the milter whose body res->body is */
	size_t		 edit_bytes;	/* text of the message's edits so far */
	struct buf	*pkt;		/* a packet being made */
	struct buf	*in;		/* a packet read */
	struct buf	*arg;		/* a command's data */
	char		*sender;	/* of the transaction: {mail_addr} */
	char		*rcpt;		/* the last recipient: {rcpt_addr} */
};

/* milter.c: the session's stages. */
int		 milter_fail(struct milters *, struct milter *,
		    struct milter_reply *);
int		 milter_sticky(struct milters *, struct milter_reply *);
int		 milter_macros(struct milters *, struct milter *, int, int);
int		 milter_ask(struct milters *, struct milter *, int,
		    const struct buf *, int, long long, struct milter_result *,
		    int);
int		 milter_decide(struct milters *, struct milter *, int, int, int,
		    struct milter_reply *);

/* milter_message.c: the message's content and the edits asked for. */
int		 milter_collect(struct milters *, struct milter *, int,
		    struct milter_result *, int);

/* milter_list.c: the list, addresses, default action, macro lists. */
int		 milter_parse(struct milter *, const char *, struct buf *);
const char	*milter_macro_list(const struct milter *, int);

/* milter_wire.c: connection and packets. */
int		 milter_open(struct milter *);
void		 milter_close(struct milter *);
int		 milter_send(struct milter *, int, const struct buf *);
int		 milter_recv(struct milter *, int *, struct buf *);
void		 milter_put32(struct buf *, uint32_t);
void		 milter_putstr(struct buf *, const char *);
int		 milter_get32(const struct buf *, size_t *, uint32_t *);
const char	*milter_getstr(const struct buf *, size_t *);

/* milter_edit.c: a message's header as a list of fields, and the edits. */
struct milter_field {
	char		*raw;		/* the whole field, line endings kept */
	size_t		 len;
};

struct milter_msg {
	struct milter_field *f;
	size_t		 n;
	const char	*rest;		/* from the empty line (or the first
					 * line that is no header) on */
	size_t		 restlen;
	const char	*body;		/* after the empty line */
	size_t		 bodylen;
	int		 crlf;		/* lines end with CRLF, else LF */
};

void		 milter_msg_parse(struct milter_msg *, const char *, size_t);
void		 milter_msg_free(struct milter_msg *);
/* A field's name, and its value as a milter sees it (no leading white
 * space, folds as LF, no line end). */
void		 milter_field_split(const struct milter_field *, struct buf *,
		    struct buf *);
int		 milter_edit_add(struct milter_result *, int, long,
		    const char *, const char *, int);

#endif
