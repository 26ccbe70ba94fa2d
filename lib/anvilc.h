/*
 * anvilc - the client side of the anvil service (anvil/anvil.c): the
 * per-client connection count and rate limits of smtpd, pop3d and imapd,
 * and the hourly counts of what an authenticated smtpd user sends.
 *
 * A process keeps one connection to $queue_directory/private/anvil and
 * registers each client connection that is not exempt; anvil forgets the
 * registrations of a process whose connection closes, so a killed process
 * leaves no count behind.  When anvil cannot be reached (a master.cf
 * without it), the client is let in and the process warns once.
 */
#ifndef CARTERO_ANVILC_H
#define CARTERO_ANVILC_H

#include <sys/socket.h>

enum { ANVILC_OK, ANVILC_COUNT, ANVILC_RATE };

/*
 * May this client connect?  service: master.cf's name of the service;
 * client: its address (NULL or not IP: a local process, never limited);
 * addr: the address as text, namaddr: "name[addr]" for the log;
 * exceptions: the CIDR list of clients exempt (no anvil round trip);
 * count_limit, rate_limit: 0 is no limit.  ANVILC_OK, or ANVILC_COUNT or
 * ANVILC_RATE after a Postfix-like warning in the log.  Call
 * anvilc_done() when the connection ends, whatever the answer was.
 */
int	anvilc_check(const char *, const struct sockaddr *, const char *,
	    const char *, const char *, long long, long long);
void	anvilc_done(void);

/*
 * Count n events of a kind ("message", "recipient") for an authenticated
 * user in anvil's current hour: 0 with the hour's total (these included)
 * in *rate, or -1 when anvil cannot be asked.
 */
int	anvilc_rate(const char *, const char *, long long, long long *);

#endif
