/*
 * deliver - the delivery protocol between qmgr and a delivery agent
 * (local today, smtp next): one request per recipient, many requests per
 * connection over private/NAME, each an ipc.h attribute list; one reply
 * per request, in the order of the requests.
 *
 *	request: queue_id, path, offset, size, sender, recipient (the final
 *		address), orig_recipient (the queue file's recipient), and
 *		for alias targets command=... or file=...; for the transports
 *		that send mail on (smtp, lmtp, pipe): nexthop (a domain,
 *		[host]:port, unix:/path, inet:host:port), the message's DSN
 *		envid and ret, body (8BITMIME, BINARYMIME) and smtputf8=1;
 *		per recipient its DSN notify and orcpt.  A request may carry
 *		more than one recipient of one message (one SMTP transaction):
 *		rcpt_count=N, the first as above and recipient number i
 *		(1 <= i < N) as recipient.i, orig_recipient.i, notify.i and
 *		orcpt.i.
 *	reply:	status=0|4|5, dsn=x.y.z, reason=text for the first
 *		recipient, status.i, dsn.i, reason.i for recipient i, and
 *		optionally relay=host[address]:port, for the log, and
 *		dead=1 when the failure was the destination's (no host of
 *		it answered, or it refused us at the greeting): qmgr holds
 *		the destination's other mail for a while without trying.
 *
 * The field names below are the wire format: a qmgr and an agent of two
 * releases must read each other during an upgrade, so a name never
 * changes and a new field is one an old reader may ignore.
 */
#ifndef CARTERO_DELIVER_H
#define CARTERO_DELIVER_H

#include <sys/types.h>

struct attr;
struct buf;

#define DELIVER_REQUEST_MAX	65536	/* a request's line on the wire */
#define DELIVER_REPLY_MAX	65536	/* a reply on the wire */
#define DELIVER_HEADER_MAX	(64 * 1024)	/* header read for loops */

/* The request's fields, in the order the writer puts them. */
#define DELIVER_QUEUE_ID	"queue_id"
#define DELIVER_PATH		"path"
#define DELIVER_OFFSET		"offset"
#define DELIVER_SIZE		"size"
#define DELIVER_SENDER		"sender"
#define DELIVER_RECIPIENT	"recipient"
#define DELIVER_ORIG_RCPT	"orig_recipient"
#define DELIVER_COMMAND		"command"
#define DELIVER_FILE		"file"
#define DELIVER_NEXTHOP		"nexthop"
#define DELIVER_ENVID		"envid"
#define DELIVER_RET		"ret"
#define DELIVER_BODY		"body"
#define DELIVER_SMTPUTF8	"smtputf8"
#define DELIVER_FOLDER		"folder"
#define DELIVER_FORWARDED	"forwarded"
#define DELIVER_NOTIFY		"notify"
#define DELIVER_ORCPT		"orcpt"
#define DELIVER_RCPT_COUNT	"rcpt_count"
/* The reply's. */
#define DELIVER_STATUS		"status"
#define DELIVER_DSN		"dsn"
#define DELIVER_REASON		"reason"
#define DELIVER_RELAY		"relay"
#define DELIVER_DEAD		"dead"

#define DELIVER_RCPT_MAX	1000	/* recipients in one request */

/* A recipient of a request; strings as in struct deliver_request. */
struct deliver_rcpt {
	const char	*addr;		/* the final address */
	const char	*orig;		/* the queue file's recipient */
	const char	*notify;	/* DSN NOTIFY ("NEVER", "SUCCESS,DELAY"...),
					 * or NULL */
	const char	*orcpt;		/* DSN ORCPT "type;address", or NULL */
};

/*
 * One delivery.  The strings belong to the caller (the writer's) or point
 * into the attribute list read (the reader's): no copies.
 */
struct deliver_request {
	const char	*queue_id;
	const char	*path;		/* the queue file; NULL: not sent */
	off_t		 offset;	/* of the message in the queue file */
	off_t		 size;		/* of the message */
	const char	*sender;	/* "" for the null sender */
	const char	*recipient;	/* the final address */
	const char	*orig_recipient; /* the queue file's recipient */
	const char	*command;	/* an alias's "|command", or NULL */
	const char	*file;		/* an alias's "/file", or NULL */
	/* For the transports that send mail on; NULL or 0: none. */
	const char	*nexthop;
	const char	*envid;		/* DSN ENVID (decoded) */
	const char	*ret;		/* DSN RET: "FULL" or "HDRS" */
	const char	*body;		/* "8BITMIME" or "BINARYMIME" */
	int		 smtputf8;	/* the message needs SMTPUTF8 */
	const char	*folder;	/* local: the Maildir++ folder (Junk) */
	int		 forwarded;	/* smtp: an alias sends it off-site */
	const char	*notify;	/* the first recipient's NOTIFY */
	const char	*orcpt;		/* the first recipient's ORCPT */
	/*
	 * Recipients in all (0 is taken as 1: just the first).  The
	 * writer takes recipients 1..nrcpt-1 from more[0..nrcpt-2]; the
	 * reader leaves more NULL: deliver_request_rcpt() gives each.
	 */
	int		 nrcpt;
	const struct deliver_rcpt *more;
};

struct deliver_reply {
	int		 status;	/* 0 sent, 4 defer, 5 bounce */
	const char	*dsn;		/* "x.y.z", or "" */
	const char	*reason;	/* text, or "" */
};

/* Append a request's wire form (its lines and the empty line) to out. */
void	deliver_request_format(const struct deliver_request *, struct buf *);
/* Read a request from an attribute list: 0, or -1 with why (malformed). */
int	deliver_request_get(const struct attr *, struct deliver_request *,
	    struct buf *);
/* Recipient i (0 <= i < nrcpt) of a request read by deliver_request_get. */
void	deliver_request_rcpt(const struct attr *, const struct deliver_request *,
	    int, struct deliver_rcpt *);
/* Fill a reply list: status, dsn and the formatted reason. */
void	deliver_reply_set(struct attr *, int, const char *, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
/* Add recipient i's status, dsn and reason to a reply (i = 0: the first). */
void	deliver_reply_add(struct attr *, int, int, const char *, const char *,
	    ...) __attribute__((format(printf, 5, 6)));
/* Read a reply: 0, or -1 when its status is missing or not 0, 4 or 5. */
int	deliver_reply_get(const struct attr *, struct deliver_reply *);
/* The same for recipient i of a reply. */
int	deliver_reply_get_rcpt(const struct attr *, int, struct deliver_reply *);
/*
 * An agent's read of qmgr's requests (attr_read) ended with this LINE_*
 * result: log why, unless it is the ordinary end (EOF, qmgr restarting).
 */
void	deliver_request_end(int);
/*
 * Does the header of the message at offset, size in the queue file hold
 * "Delivered-To: recipient" (any case)?  1/0: a delivery loop.
 */
int	deliver_looped(int, off_t, off_t, const char *);

#endif
