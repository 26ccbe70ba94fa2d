/*
 * ipcserv - one process serving many clients on one Unix socket in one
 * event loop (lib/event.c), as Postfix's multi_server: anvil, auth, qmgr
 * and imap-hibernate.  The service gives a table of callbacks; ipcserv
 * owns the listening socket, the clients (at most clients_max), their
 * idle timers, and what happens when master retires the process.
 *
 * Two kinds of service:
 *
 *	request		attribute records (lib/attr.h): a client sends a
 *			request (lines "name=value", an empty line), the
 *			service fills in the reply (IPCSERV_REPLY) or says
 *			IPCSERV_LATER and calls ipcserv_reply() when it has
 *			the answer (after a delay timer, a worker's verdict).
 *			A client's next request is read only after the reply
 *			to the last one went out.  Descriptors passed with a
 *			request (fds_max of them) are the service's to take
 *			with ipcserv_take_fd(); those left are closed when the
 *			reply has gone.
 *	readable	the service reads and frames its own protocol (qmgr's
 *			notification lines, imap-hibernate's handovers): it is
 *			called when the client is readable, and reads from
 *			ipcserv_client_fd().
 *
 * A client has idle_ms (0: forever) for its next whole request: the timer
 * starts when it connects and when a reply has gone out, and a readable
 * service restarts it with ipcserv_wait().  When master retires the
 * process (reload, stop), ipcserv stops accepting; the clients in hand
 * (and the service's own work, busy()) have retire_ms to finish, then the
 * process exits (at once with retire_ms 0, or when nothing is left).
 */
#ifndef CARTERO_IPCSERV_H
#define CARTERO_IPCSERV_H

struct attr;
struct ipcserv_client;

#define IPCSERV_REPLY	0	/* the reply is filled in: send it */
#define IPCSERV_LATER	1	/* ipcserv_reply() will send it */

struct ipcserv_ops {
	const char	*name;		/* for messages: "anvil" */
	size_t		 request_max;	/* bytes of one request */
	int		 clients_max;	/* at once; more are refused */
	long		 idle_ms;	/* for a whole request (0: forever) */
	long		 retire_ms;	/* retired: time for work in hand */
	int		 retire_alone;	/* retired: wait for busy() only, not
					 * for the clients (they just notify) */
	int		 fds_max;	/* descriptors one request may bring */
	const char	*malformed;	/* status for a malformed request */
	/* A new client: its context (may be NULL). */
	void		*(*open)(struct ipcserv_client *);
	/* One request: IPCSERV_REPLY (empty: malformed) or IPCSERV_LATER. */
	int		 (*request)(void *, const struct attr *, struct attr *);
	/* Instead of request: the client is readable. */
	void		 (*readable)(void *);
	/* The client went away (or was dropped): forget its context. */
	void		 (*close)(void *);
	/* Retired: does the service still have work of its own? */
	int		 (*busy)(void);
	/* Before each wait: the longest wait in ms (-1: none). */
	int		 (*loop)(void);
};

/* Serve clients on the listening socket lfd; never returns. */
void	ipcserv_run(int, const struct ipcserv_ops *)
	    __attribute__((noreturn));

/* ipcserv_run's set-up without its loop (lfd -1: no listener): tests. */
void	ipcserv_start(int, const struct ipcserv_ops *);
/* Serve a descriptor already connected (a socketpair): 0, -1. */
int	ipcserv_add(int);

/* The reply to a request that said IPCSERV_LATER. */
void	ipcserv_reply(struct ipcserv_client *, const struct attr *);
/* The n-th descriptor of the request in hand, now the caller's; -1. */
int	ipcserv_take_fd(struct ipcserv_client *, int);
/* A readable service: the client's socket; the idle timer restarts. */
int	ipcserv_client_fd(const struct ipcserv_client *);
void	ipcserv_wait(struct ipcserv_client *);
/* Close a client (its close callback runs first; not from request). */
void	ipcserv_drop(struct ipcserv_client *);
/* Has master retired us (a reload or a stop)? */
int	ipcserv_retired(void);
/* The service's own work ended: go if retired and nothing is left. */
void	ipcserv_retire_check(void);

#endif
