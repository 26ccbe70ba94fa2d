/*
 * local - the local delivery agent: Maildir (or mbox) delivery as the
 * mailbox owner, and the command and file targets of aliases.
 *
 * qmgr talks to it over private/local in the delivery protocol of
 * lib/deliver.h: one request per recipient, many requests per connection,
 * one reply (status, dsn, reason) per request, in order.
 *
 * Alias expansion (lib/alias.c) is shared with qmgr: qmgr expands to
 * route and count the deliveries; local expands again to confirm that a
 * command or file it is asked to run really comes from the aliases, so a
 * process that can reach private/local cannot make it run anything else.
 *
 * The parent and its worker (local.c) speak a wire of their own: a
 * local_job (local_job_to_attr), which names the mailbox, the uid's home
 * and user as the parent found them, with the request's fields under the
 * same names.
 */
#ifndef CARTERO_LOCAL_H
#define CARTERO_LOCAL_H

#include <sys/types.h>

struct attr;

/* The worker wire's own fields (the request's are deliver.h's). */
#define LOCAL_JOB_KIND		"kind"
#define LOCAL_JOB_TARGET	"target"
#define LOCAL_JOB_HOME		"home"
#define LOCAL_JOB_USER		"user"
#define LOCAL_JOB_SIZE_LIMIT	"size_limit"
#define LOCAL_JOB_COUNT_LIMIT	"count_limit"
#define LOCAL_JOB_FOLDER	"folder"
#define LOCAL_JOB_BATCH_LEFT	"batch_left"	/* packets still to come */

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
	long long	 size_limit;	/* the user's quota in bytes, 0: none */
	long long	 count_limit;	/* in messages (Maildir), 0: none */
	const char	*folder;	/* a Maildir++ folder ("Junk"), "": inbox */
};

void	local_job_from_attr(struct local_job *, const struct attr *);
void	local_job_to_attr(const struct local_job *, struct attr *);
/* Deliver, and put status/dsn/reason into the reply. */
void	local_deliver(const struct local_job *, int, struct attr *);
/* Deliver n jobs (queue files, replies alike), Maildirs in batches. */
void	local_deliver_many(const struct local_job *const *, const int *,
	    struct attr *const *, int);

#endif
