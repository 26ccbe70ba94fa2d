/*
 * ipcserv - one process serving many clients on one Unix socket in one
 * event loop (lib/event.c), with lib/ipc.h attribute records: a client
 * sends a request (lines "name=value", an empty line), the service fills
 * in the reply, ipcserv sends it.  A client may keep its connection for as
 * long as it lives; the service hears when it goes (close callback), so it
 * can forget what that client held.  For services under master's
 * SERVER_LOOP (anvil): when master retires the process (reload, stop),
 * ipcserv stops accepting and exits.
 */
#ifndef CARTERO_IPCSERV_H
#define CARTERO_IPCSERV_H

struct attr;

struct ipcserv_ops {
	const char	*name;		/* for messages: "anvil" */
	size_t		 request_max;	/* bytes of one request */
	int		 clients_max;	/* at once; more are refused */
	/* A new client: its context (may be NULL). */
	void		*(*open)(void);
	/* One request: fill reply (empty: "status=fail" is sent). */
	void		 (*request)(void *, const struct attr *, struct attr *);
	/* The client went away (or was dropped): forget its context. */
	void		 (*close)(void *);
};

/* Serve clients on the listening socket lfd; never returns. */
void	ipcserv_run(int, const struct ipcserv_ops *)
	    __attribute__((noreturn));

#endif
