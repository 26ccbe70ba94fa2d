/*
 * smtp - the smtp (and lmtp) delivery agent's shared declarations.
 *
 *	smtp.c		main; qmgr's connections: requests read as they
 *			come, replies in the order of the requests
 *	smtp_connect.c	routing: nexthop -> MX, A, AAAA (lib/dns_mx.c,
 *			asynchronously) -> addresses in
 *			smtp_destination_networks; connecting
 *	smtp_myself.c	mail loops: where cartero itself listens
 *	smtp_worker.c	the worker processes (one delivery at a time
 *			each, a connection kept for reuse), their pool
 *	smtp_session.c	a delivery: the hosts in turn, the transaction
 *			(MAIL, RCPT, DATA or BDAT), the kept connection
 *	smtp_hello.c	connect, greeting, EHLO, STARTTLS, AUTH
 *	smtp_chat.c	commands and their replies
 *	smtp_data.c	the message: the queue file, CRLF, dot-stuffing
 *	smtp_reply.c	the reply parser, EHLO keywords
 *	smtp_tls.c	STARTTLS, the policy per destination and MX host
 *	smtp_sts.c	MTA-STS: the TXT id, the policy fetched, cached
 *	smtp_dane.c	DANE: the TLSA records of an MX host
 *	smtp_sasl.c	AUTH PLAIN and LOGIN to a relayhost
 *
 * The dispatcher (smtp.c, smtp_connect.c) runs in one event loop and
 * never waits on the network: DNS is asynchronous and every SMTP dialog
 * runs in a worker process.  A worker gets a request with its route
 * (the addresses to try, in order, already filtered) and answers with
 * the reply for qmgr.
 */
#ifndef CARTERO_SMTP_H
#define CARTERO_SMTP_H

#include <sys/types.h>

#include "attr.h"

struct buf;
struct deliver_request;

/* Internal fields between dispatcher and worker (never sent to qmgr). */
#define SMTP_X_NROUTE	"x_nroute"	/* addresses to try */
#define SMTP_X_ROUTE	"x_route"	/* x_route.i = "host addr port" */
#define SMTP_X_KEY	"x_key"		/* nexthop: the cache key */
#define SMTP_X_CACHED	"x_cached"	/* reply: the connection is kept */

#define SMTP_ROUTE_MAX	64		/* addresses tried per delivery */

/* A route's address. */
struct smtp_dest {
	char		 host[256];	/* the MX host (or address) */
	char		 addr[64];	/* numeric; "": Unix socket */
	char		 path[108];	/* lmtp unix:/path */
	unsigned	 port;
};

/* smtp.c */
extern int smtp_lmtp;			/* the lmtp program */

/* smtp_connect.c (dispatcher side) */
struct smtp_job;
typedef void (*smtp_route_fn)(struct smtp_job *, int, const char *,
    const char *, int);
struct smtp_route;
struct smtp_route *smtp_route_start(const char *, struct attr *,
	    smtp_route_fn, struct smtp_job *);
void	smtp_route_cancel(struct smtp_route **);
int	smtp_dest_allowed(const char *);
int	smtp_nexthop(const struct deliver_request *, struct buf *);
/* smtp_connect.c (worker side) */
int	smtp_connect(const struct smtp_dest *, struct buf *);
int	smtp_dest_parse(const char *, struct smtp_dest *);
#define SMTP_DEST_NAME_MAX	400	/* host[address]:port */
const char *smtp_dest_name(const struct smtp_dest *, char *);

/* smtp_myself.c */
int	smtp_myself(const char *, unsigned);

/* smtp_worker.c */
void	smtp_worker_init(void);
int	smtp_worker_submit(struct smtp_job *, struct attr *);
int	smtp_worker_busy(void);
void	smtp_worker_close_fd(int);
/* smtp.c: a worker's (or the router's) reply to a job */
void	smtp_job_done(struct smtp_job *, const struct attr *);
void	smtp_fds_close_inherited(int);
void	smtp_main(int, char **, int) __attribute__((noreturn));

/* smtp_session.c (worker side) */
void	smtp_session_deliver(const struct attr *, struct attr *);
void	smtp_session_idle(void);
int	smtp_session_cached(void);

#endif
