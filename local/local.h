/*
 * local - the local delivery agent: Maildir (or mbox) delivery as the
 * mailbox owner, and the command and file targets of aliases.
 *
 * qmgr talks to it over private/local with ipc.h attribute lists, one
 * request per recipient, many requests per connection:
 *	request: queue_id, path, offset, size, sender, recipient (the final
 *		address), orig_recipient (the queue file's recipient), and
 *		for alias targets command=... or file=...
 *	reply:	status=0|4|5, dsn=x.y.z, reason=text
 *
 * Alias expansion (local_alias.c) is shared with qmgr: qmgr expands to
 * route and count the deliveries; local expands again to confirm that a
 * command or file it is asked to run really comes from the aliases, so a
 * process that can reach private/local cannot make it run anything else.
 */
#ifndef CARTERO_LOCAL_H
#define CARTERO_LOCAL_H

#include <sys/types.h>

struct attr;
struct buf;

#define LOCAL_ATTR_MAX		65536	/* a request on the wire */

/* What an alias expands to. */
enum {
	ALIAS_ADDR,		/* a final address (an account, or remote) */
	ALIAS_COMMAND,		/* "|command" */
	ALIAS_FILE,		/* "/file" */
	ALIAS_ERROR		/* a permanent error: dsn and reason */
};

#define ALIAS_DEPTH_MAX		20	/* nested aliases */
#define ALIAS_TARGETS_MAX	10000	/* targets of one address */
#define ALIAS_INCLUDE_MAX	(1024 * 1024) /* an :include: file's bytes */

/*
 * Called for each target: kind, value (address, command, file or reason),
 * via (the address whose alias named it; for ALIAS_ADDR the address
 * itself), dsn (for ALIAS_ERROR; for an ALIAS_ADDR reached by an alias
 * loop "5.4.6", the status to use when it has no account; else NULL).
 */
typedef void (*alias_fn)(int, const char *, const char *, const char *,
    void *);

/* Expand an address: 0, or -1 with why when a lookup failed (retry). */
int	local_alias_expand(const char *, alias_fn, void *, struct buf *);
/* Does addr expand to this command/file target?  1 yes, 0 no, -1 (why). */
int	local_alias_confirm(const char *, int, const char *, struct buf *);
/* The address with its extension removed ("ana+x@d" -> "ana@d"). */
void	local_strip_extension(const char *, struct buf *);

/* local_deliver.c: one delivery, done as the right user already. */
struct local_job {
	const char	*kind;	/* "maildir", "mbox", "command", "file" */
	const char	*target; /* Maildir, mbox, file path or command */
	const char	*queue_id;
	const char	*sender;
	const char	*recipient;
	const char	*orig_recipient;
	const char	*home;
	const char	*user;
	off_t		 offset;
	off_t		 size;
	long long	 size_limit;	/* mailbox_size_limit, 0: none */
};

void	local_job_from_attr(struct local_job *, const struct attr *);
void	local_job_to_attr(const struct local_job *, struct attr *);
/* Deliver, and put status/dsn/reason into the reply. */
void	local_deliver(const struct local_job *, int, struct attr *);
/* Deliver n jobs (queue files, replies alike), Maildirs in batches. */
void	local_deliver_many(const struct local_job *const *, const int *,
	    struct attr *const *, int);
/* Does the message already say "Delivered-To: recipient"? 1/0 */
int	local_deliver_looped(int, off_t, off_t, const char *);
void	local_reply(struct attr *, int, const char *, const char *, ...)
	    __attribute__((format(printf, 4, 5)));

#endif
