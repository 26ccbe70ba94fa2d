/*
 * server - the skeleton every daemon under master runs in.
 *
 * master starts a service with the listening socket on fd SERVER_LISTEN_FD
 * and a status pipe on fd SERVER_STATUS_FD, and these arguments:
 *	-c DIR		configuration directory
 *	-n NAME		service name (master.cf column 1)
 *	-t TYPE		inet or unix
 *	-u		unprivileged: drop to mail_owner (master.cf column 4)
 *	-z DIR		chroot to DIR (master.cf column 5)
 *	-o name=value	parameter override, repeatable
 *	-v		verbose
 * then the command's own arguments.  The skeleton reads main.cf, opens the
 * log, runs the pre-jail hook (still root), chroots and drops privileges,
 * and then either
 *	SERVER_SINGLE:	accepts one connection at a time and calls the
 *			service with it, telling master busy/idle; exits after
 *			max_use connections or max_idle seconds idle;
 *	SERVER_LOOP:	calls the service once with the listening fd; the
 *			service runs its own loop and never returns (pickup;
 *			anvil, auth, qmgr and imap-hibernate hand it to
 *			lib/ipcserv.c).
 * Run by hand without master, "-S ADDR" makes the skeleton bind ADDR itself
 * (host:port or a socket path), for tests and debugging; "-f" logs to stderr.
 */
#ifndef CARTERO_SERVER_H
#define CARTERO_SERVER_H

#include <stddef.h>

struct buf;

#define SERVER_LISTEN_FD	3
#define SERVER_STATUS_FD	4

/* Status bytes a child writes to master, with its pid: "B pid\n", "I pid\n". */
#define SERVER_STAT_BUSY	'B'
#define SERVER_STAT_IDLE	'I'

enum server_mode { SERVER_SINGLE, SERVER_LOOP };

enum {
	SERVER_END = 0,
	SERVER_PRE_JAIL,	/* void (*)(char *service, char **argv) */
	SERVER_POST_JAIL,	/* void (*)(char *service, char **argv) */
	SERVER_PRE_ACCEPT,	/* void (*)(void): before each accept (SINGLE) */
	SERVER_NO_DROP,		/* (no value) never drop privileges, even with -u */
};

typedef void (*server_fn)(int, char *, char **);	/* fd, service name, args */

void	server_main(int, char **, enum server_mode, server_fn, ...)
	    __attribute__((noreturn));

extern int server_foreground;	/* -f given */

/*
 * The start of a program that auth executes for one logged-in session
 * (pop3, imap), as the account's user with the client on fd 0/1: options
 * -c DIR, -o name=value (repeatable), -v, and -M (what auth passes; it
 * means nothing more), main.cf, and the log under the name logname
 * ("$syslog_name/logname", and maillog_file when this user may write
 * it).  usage is the text after "usage: " of a wrong option.  Fatal on
 * error.
 */
void	server_session_init(int, char **, const char *, const char *);
/* The account (USER) and client address (IP) auth named; "unknown" if not. */
void	server_session_env(const char **, char *, size_t);

/*
 * Bind and listen on ADDR: "host:port", "[v6addr]:port", "port" or
 * ":port" (every address: IPv6 and IPv4 on one socket where the host has
 * IPv6), or a Unix socket path (anything with a '/', mode 0666).  The port
 * may be a service name ("smtp").  Returns a non-blocking, close-on-exec
 * fd, or -1 with why.  Used by -S and by master.
 */
int	server_listen(const char *, int, struct buf *);
/* A port number or name ("2525", "smtp", "imaps"): the number, or 0. */
int	server_port(const char *);
/* "host:port", "[v6]:port", ":port" or "port" into host ("": every
 * address) and port (a number when server_port knows the name). */
int	server_addr_split(const char *, struct buf *, struct buf *,
	    struct buf *);

#endif
