/*
 * milter - the client side of Sendmail's mail filter protocol (version 6,
 * as libmilter speaks it), for smtpd_milters and non_smtpd_milters.
 *
 * One struct milters is one SMTP session (or one locally posted message)
 * and holds one connection to each milter of a list, opened at
 * milters_connect() and closed at milters_free().  The caller reports the
 * session's stages in order: connect, helo, mail, rcpt (each recipient
 * smtpd accepted), data, then the whole message at the end of DATA
 * (milters_message: as it goes into the queue file, dots unstuffed, with
 * the Received header smtpd adds), and milters_abort() when a transaction
 * ends without a message (RSET, a refused MAIL, a lost client).  Each call
 * answers a struct milter_reply: CONTINUE (go on), REJECT or TEMPFAIL with
 * the SMTP reply to give (close: 421, end the session), or DISCARD
 * (accept, then drop the message).  At the end of the message a struct
 * milter_result also carries the edits and the edited message; a
 * quarantine reason means the message goes on hold.
 *
 * A refusal at connect holds for the whole session: every later call
 * gives the same answer, as Postfix's smtpd does.  Mail that does not
 * come by SMTP goes through the same calls as if from "localhost",
 * 127.0.0.1 and HELO localhost (as Postfix's non_smtpd_milters).
 *
 * Milters of a list are asked in order; the first that rejects, tempfails
 * or discards decides, and the ones after it are not asked about that
 * command.  As in Postfix, the message content goes to the milters one
 * after the other at the end of DATA, and each milter sees the message as
 * the milters before it edited it (Postfix's milter_message(): "each
 * milter sees the result of any changes made by a preceding milter").
 *
 * A milter that cannot be reached, times out, closes, or says something
 * the protocol does not allow is dropped for the session and its default
 * action decides (milter_default_action, or its own in braces): tempfail
 * and reject give that answer to this and every later stage of the
 * session; accept goes on without the milter; quarantine goes on without
 * it and puts the message on hold.
 *
 * Distrusted: everything a milter sends.  A packet's length is checked
 * against MILTER_PACKET_MAX before anything is allocated, every string
 * must end inside its packet, the number and size of edits and the size
 * of a replacement body (message_size_limit) are bounded, a reply text
 * has no control characters but its CRLFs, a header value's line breaks
 * must be folds, and an action the milter did not negotiate ends it.
 * I/O blocks, within the milter's connect, command and content timeouts.
 */
#ifndef CARTERO_MILTER_H
#define CARTERO_MILTER_H

#include <stddef.h>

struct buf;

/* The largest packet read from a milter: libmilter sends at most 64 KB of
 * data (1 MB when the MTA offers SMFIP_MDS_1M, which we do not). */
#define MILTER_PACKET_MAX	(1024 * 1024)
/* The most edits (header changes, recipients) of one message, all
 * milters together; more ends the milter that sent them. */
#define MILTER_EDIT_MAX		10000
/* The most text (names, values, addresses) of those edits together. */
#define MILTER_EDIT_BYTES	(1024 * 1024)
/* Body chunks sent to a milter, as libmilter's MILTER_CHUNK_SIZE. */
#define MILTER_CHUNK_MAX	65535

/* Decisions, of a stage or of the message. */
#define MILTER_CONTINUE		0	/* go on */
#define MILTER_REJECT		1	/* refuse: reply text (5xx) */
#define MILTER_TEMPFAIL		2	/* refuse for now: reply text (4xx) */
#define MILTER_DISCARD		3	/* accept, then throw the message away */

/* Stages, for macros (the same numbers as libmilter's SMFIM_*). */
#define MILTER_M_CONNECT	0
#define MILTER_M_HELO		1
#define MILTER_M_MAIL		2
#define MILTER_M_RCPT		3
#define MILTER_M_DATA		4
#define MILTER_M_EOM		5
#define MILTER_M_EOH		6
#define MILTER_M_COUNT		7

/* The answer to a stage. */
struct milter_reply {
	int		 decision;	/* MILTER_CONTINUE ... */
	int		 close;		/* 421: end the session after the reply */
	struct buf	*text;		/* REJECT/TEMPFAIL: "550 5.7.1 text"; may
					 * hold several CRLF-separated lines */
};

/* Edits of the message, in the order the milters asked for them. */
#define MILTER_E_ADDHDR		1	/* name, value: at the end */
#define MILTER_E_INSHDR		2	/* name, value, index: before the
					 * index-th header (0: first) */
#define MILTER_E_CHGHDR		3	/* name, value, index: the index-th
					 * header of that name (1: first);
					 * value "": delete it; none: add */
#define MILTER_E_CHGFROM	4	/* name: new sender, value: ESMTP args */
#define MILTER_E_ADDRCPT	5	/* name: recipient, value: ESMTP args */
#define MILTER_E_DELRCPT	6	/* name: recipient as given at RCPT */

struct milter_edit {
	int		 type;		/* MILTER_E_* */
	long		 index;
	char		*name;
	char		*value;		/* "" when none */
	int		 milter;	/* which of the list (0 first) */
};

/* The answer at the end of the message; edits, body and message only
 * with CONTINUE (a refused or discarded message keeps none). */
struct milter_result {
	struct milter_reply reply;
	struct milter_edit *edit;	/* header and envelope edits */
	size_t		 nedit;
	struct buf	*body;		/* replacement body (CRLF), or NULL */
	struct buf	*quarantine;	/* reason for hold, or NULL */
	struct buf	*message;	/* the message with every edit made, in
					 * the line endings of the original;
					 * NULL when nothing changed it */
};

/*
 * A macro's value for a stage, from the caller: name as configured
 * ("j", "{auth_authen}"), NULL when it has none (then not sent).
 */
typedef const char *(*milter_macro_fn)(const char *name, void *ctx);

struct milters;

/* The list (smtpd_milters' value, "inet:127.0.0.1:8891, unix:/path"):
 * NULL and why when an entry is malformed; an empty list gives an empty
 * set whose every stage continues. */
struct milters	*milters_new(const char *, milter_macro_fn, void *,
		    struct buf *);
int		 milters_count(const struct milters *);
/* Stages.  addr: the client's address text (NULL: not an IP client,
 * sent as unknown family), port its port; args: ESMTP parameters, NULL
 * ended (NULL: none).  Each fills the reply and returns its decision. */
int		 milters_connect(struct milters *, const char *, const char *,
		    int, struct milter_reply *);
int		 milters_helo(struct milters *, const char *,
		    struct milter_reply *);
int		 milters_mail(struct milters *, const char *, char **,
		    struct milter_reply *);
int		 milters_rcpt(struct milters *, const char *, char **,
		    struct milter_reply *);
int		 milters_data(struct milters *, struct milter_reply *);
/* A command without a stage (AUTH, STARTTLS, VRFY...): refused when a
 * milter failed (tempfail, reject) or refused the connection. */
int		 milters_other(struct milters *, struct milter_reply *);
/* A command smtpd does not know (the whole line), before smtpd's 502. */
int		 milters_unknown(struct milters *, const char *,
		    struct milter_reply *);
/* The whole message (header, empty line, body; CRLF or LF) at the end
 * of DATA: headers, end of headers, body, end of message to each milter
 * in turn.  The transaction is over afterwards whatever the answer. */
int		 milters_message(struct milters *, const char *, size_t,
		    struct milter_result *);
/* The transaction ends without a message (RSET, refused, client gone). */
void		 milters_abort(struct milters *);
/* QUIT to every milter, connections closed, everything freed. */
void		 milters_free(struct milters **);

void		 milter_reply_init(struct milter_reply *);
void		 milter_reply_clear(struct milter_reply *);
void		 milter_result_init(struct milter_result *);
void		 milter_result_clear(struct milter_result *);
const char	*milter_decision_str(int);

/*
 * Edits applied to a message (what milters_message does between milters
 * and for result->message): header edits of list in order, then the body
 * replaced when body is not NULL; out gets the new message in the line
 * endings of the old.  Returns 0, or -1 and why (out too large: cap).
 */
int		 milter_edit_apply(const struct milter_edit *, size_t,
		    const struct buf *, const char *, size_t, struct buf *,
		    struct buf *);

/*
 * The sender and recipient edits (CHGFROM, ADDRCPT, DELRCPT), each
 * address checked as a path, to fn(ctx, type, address), which returns 1
 * when it took effect (logged); how many did.  Helpers for recipient
 * lists: find (case-insensitive, -1) and cut one out (freed).
 */
int		 milter_envelope(const struct milter_result *, const char *,
		    int (*)(void *, int, const char *), void *);
int		 milter_strv_find(char **, int, const char *);
void		 milter_strv_cut(char **, int, int);

#endif
