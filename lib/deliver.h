/*
 * deliver - the delivery protocol between qmgr and a delivery agent
 * (local today, smtp next): one request per recipient, many requests per
 * connection over private/NAME, each an ipc.h attribute list; one reply
 * per request, in the order of the requests.
 *
 *	request: queue_id, path, offset, size, sender, recipient (the final
 *		address), orig_recipient (the queue file's recipient), and
 *		for alias targets command=... or file=...
 *	reply:	status=0|4|5, dsn=x.y.z, reason=text
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
/* The reply's. */
#define DELIVER_STATUS		"status"
#define DELIVER_DSN		"dsn"
#define DELIVER_REASON		"reason"

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
/* Fill a reply list: status, dsn and the formatted reason. */
void	deliver_reply_set(struct attr *, int, const char *, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
/* Read a reply: 0, or -1 when its status is missing or not 0, 4 or 5. */
int	deliver_reply_get(const struct attr *, struct deliver_reply *);

#endif
