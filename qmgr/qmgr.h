/*
 * qmgr - the queue manager: one process per instance that moves queue
 * files from incoming/ (or deferred/, when their retry time comes) into
 * active/, expands and routes their recipients, hands each delivery to a
 * delivery agent, and then removes, defers or bounces.
 *
 * All of the queue's state lives in memory: which ids wait to be
 * activated (a FIFO), which are active (with their deliveries), and when
 * each deferred file is due (a heap).  qmgr is woken over public/qmgr,
 * never by polling a directory; directories are scanned only at start and
 * on the "W" (wakeup) and "F" (flush) commands.
 */
#ifndef CARTERO_QMGR_H
#define CARTERO_QMGR_H

#include <sys/types.h>

#include "queue.h"

struct buf;

#define QMGR_ACTIVE_LIMIT	500	/* messages open at once */
#define QMGR_ACTIVATE_BATCH	100	/* activations per loop turn */
#define QMGR_CONN_IDLE_MS	30000	/* idle agent connections close */
#define QMGR_DEAD_AGENT_MS	5000	/* an unreachable agent rests */
#define QMGR_SYNC_DELAY_MS	100	/* group commit of removals */
#define QMGR_RECYCLE_MAX	1000	/* finished files kept for reuse */
#define QMGR_SPARE_MIN		256	/* recycle/ topped up to this... */
#define QMGR_SPARE_CHECK_MS	1000	/* ...when counted, this often */
#define QMGR_PIPELINE		32	/* requests in flight per connection */
#define QMGR_WARNED_SUFFIX	".delay" /* defer/ID.delay: delay notice sent */

/* Where a delivery stands. */
enum {
	JOB_QUEUED,		/* waiting for or at a delivery agent */
	JOB_SENT,
	JOB_DEFER,
	JOB_BOUNCE
};

/* What a delivery goes to. */
enum {
	JOB_ADDR,
	JOB_COMMAND,
	JOB_FILE
};

struct qmgr_message;
struct qmgr_transport;

struct qmgr_job {
	struct qmgr_message	*msg;
	int			 rcpt;	/* index in msg->q.rcpt */
	int			 kind;	/* JOB_ADDR ... */
	char			*addr;	/* final address (or the alias) */
	char			*target; /* command or file, or NULL */
	struct qmgr_transport	*tp;
	int			 state;	/* JOB_QUEUED ... */
	char			 dsn[16];
	char			*reason;
	const char		*relay;	/* for the log: local, none */
	char			*relay_own; /* the agent's relay=, or NULL */
	char			*nexthop; /* "" for local */
	struct qmgr_dest	*dest;	/* its destination's queue */
	struct qmgr_job		*batch;	/* more jobs of the same request */
	int			 notice; /* a success notice: NOTICE_* */
	int			 warn;	/* due a delay notice now */
	int			 resent; /* sent again, on a new connection */
	int			 forwarded; /* an alias sends it off-site: SRS */
	struct qmgr_job		*next;	/* in the destination's queue */
};

/* What a delivered recipient's success notice says (NOTIFY=SUCCESS). */
enum {
	NOTICE_NONE,		/* none (the next hop took NOTIFY on) */
	NOTICE_DELIVERED,
	NOTICE_RELAYED
};

struct qmgr_message {
	char			 id[QUEUE_ID_MAX];
	int			 fd;
	struct queue_msg	 q;
	struct qmgr_job		**jobs;
	int			 njobs;
	int			 jobsize;
	int			 pending;	/* jobs still JOB_QUEUED */
	int			 was_deferred; /* a defer/ID file may exist */
	double			 active_at;	/* s: went active */
	char			**seen;	/* targets already planned */
	int			 nseen;
	int			 seensize;
	struct qmgr_message	*prev, *next;	/* the active list */
};

struct qmgr_conn;

/*
 * A destination: a transport's jobs for one nexthop, with its own cap on
 * requests in flight, and its own "dead" time after an agent said it is
 * down.  Destinations are served in turn.
 */
struct qmgr_dest {
	struct qmgr_transport	*tp;
	char			*nexthop;
	struct qmgr_job		*head, *tail;	/* waiting jobs */
	int			 busy;		/* requests in flight */
	long long		 dead_until;	/* ms: defer at once before */
	char			*dead_reason;
	char			 dead_dsn[16];
	struct qmgr_dest	*next;
};

struct qmgr_transport {
	char			*name;		/* a master.cf service */
	char			*socket;	/* DIR/private/NAME, or NULL */
	int			 limit;		/* connections */
	int			 rcpt_limit;	/* recipients per request */
	int			 dest_limit;	/* requests per dest, 0: any */
	struct qmgr_dest	*dests, *turn;	/* turn: served next */
	struct qmgr_conn	*conns;
	int			 nconns;
	long long		 dead_until;	/* ms: do not try before */
	int			 fill;		/* fill a connection first */
	int			 is_local;	/* local_transport */
	struct qmgr_transport	*next;
};

/* qmgr.c */
int	qmgr_stopping(void);
const char *qmgr_hostname(void);
double	qmgr_now(void);
double	qmgr_delay(const struct qmgr_message *);
void	qmgr_log_job(const struct qmgr_job *, const char *);

/* qmgr_queue.c: the ids, pending, active and deferred */
void	qmgr_queue_scan(const char *);
void	qmgr_queue_add(const char *, const char *);
int	qmgr_queue_activate(void);	/* 1: more could go now */
void	qmgr_queue_run_due(void);
void	qmgr_queue_flush(void);
void	qmgr_queue_forget(const char *);
void	qmgr_queue_retry(const char *, long long, const char *);
void	qmgr_queue_closed(void);
int	qmgr_queue_after(const char *);	/* 'D', 'H' or 0 */
int	qmgr_queue_admin(int, const char *, struct buf *);

/* qmgr_file.c: an active file, from active/ to its removal */
void	qmgr_file_init(void);
struct qmgr_message *qmgr_file_open(const char *, const char *, struct buf *);
void	qmgr_file_done(struct qmgr_message *);

/* qmgr_plan.c: a recipient into jobs */
void	qmgr_plan_rcpt(struct qmgr_message *, int, struct buf *);

/* qmgr_deliver.c */
void	qmgr_deliver_init(void);
/* qmgr.c: the SRS rewriter (lib/srs.c), NULL when off. */
extern struct srs *qmgr_srs;
struct qmgr_transport *qmgr_deliver_transport(const char *);
struct qmgr_transport *qmgr_deliver_local(void);
void	qmgr_deliver_enqueue(struct qmgr_job *);
int	qmgr_deliver_busy(void);
void	qmgr_deliver_flush(void);	/* forget dead destinations */
void	qmgr_job_result(struct qmgr_job *, int, const char *, const char *);

/* qmgr_bounce.c */
int	qmgr_bounce(struct qmgr_message *, struct buf *);
int	qmgr_bounce_notice(struct qmgr_message *, int, struct buf *);

#endif
