/*
 * anvil - the per-client connection counter (see anvil.c).
 *
 * The table: one entry per service and client, holding the connections
 * open now and those opened in the current rate window.  A client is its
 * address for IPv4 and its /64 for IPv6 (one host's share of a subnet:
 * anybody with one IPv6 address has 2^64 of them), for counts and rates
 * alike.
 */
#ifndef CARTERO_ANVIL_H
#define CARTERO_ANVIL_H

struct buf;

#define ANVIL_SERVICE_MAX	128	/* bytes of a service name */

struct anvil_entry {
	long long		 count;	/* open now */
	long long		 rate;	/* opened in this window */
	long long		 start;	/* ms: the window's start */
};

struct anvil_table;

/* A table whose rate window is unit_ms long. */
struct anvil_table *anvil_table_new(long long);
void	anvil_table_free(struct anvil_table **);

/*
 * The key of a service and a client address ("1.2.3.4", "2001:db8::1";
 * an IPv4-mapped IPv6 address counts as IPv4): 0, or -1 when either is
 * not what it should be.
 */
int	anvil_table_key(const char *, const char *, struct buf *);

/*
 * A connection opens, at now (ms): its entry, with count and rate
 * including this one; NULL when the table is full.
 */
struct anvil_entry *anvil_table_connect(struct anvil_table *, const char *,
	    long long);
/*
 * The key of a per-user count: a kind ("message", "recipient") and an
 * authenticated user's name: 0, or -1 when either is not what it should be.
 */
int	anvil_table_user_key(const char *, const char *, struct buf *);
/* n events of a key at now (ms), no connection held: its entry or NULL. */
struct anvil_entry *anvil_table_add(struct anvil_table *, const char *,
	    long long, long long);
/* The entry of a key, or NULL. */
struct anvil_entry *anvil_table_find(struct anvil_table *, const char *);
/* A connection of the entry closed. */
void	anvil_table_disconnect(struct anvil_table *, struct anvil_entry *);
/* Forget entries with nothing open and their window over; entries left. */
long	anvil_table_sweep(struct anvil_table *, long long);

#endif
