/*
 * anvil_table - counts and rates per service and client, in a hash table.
 *
 * The rate is counted in fixed windows, as Postfix's anvil does: a window
 * opens with a client's first connection and lasts anvil_rate_time_unit;
 * the next connection after it opens a new one.  An entry lives while a
 * connection of it is open or its window runs, so the table holds at most
 * the connections open now plus those of the last window; a hard cap
 * (ANVIL_TABLE_MAX) bounds it anyway, and past it connections are not
 * counted (the caller lets them in, as when anvil is down).
 *
 * The client addresses come from cartero's own processes, but they were
 * read off the network: a key is built only from an address that parses.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "htable.h"
#include "util.h"
#include "anvil.h"

#define ANVIL_TABLE_MAX		200000	/* entries */
#define ANVIL_TABLE_BUCKETS	1024	/* at first; doubles as it fills */

struct anvil_table {
	struct htable		*entries;	/* of struct anvil_entry */
	long long		 unit;	/* ms */
};

/* anvil_table_new - an empty table */
struct anvil_table *
anvil_table_new(long long unit_ms)
{
	struct anvil_table *t = xcalloc(1, sizeof(*t));

	t->entries = htable_create(ANVIL_TABLE_BUCKETS);
	t->unit = unit_ms > 0 ? unit_ms : 1;
	return t;
}

/* anvil_table_free - forget every entry, then the table */
void
anvil_table_free(struct anvil_table **tp)
{
	if (*tp == NULL)
		return;
	htable_free(&(*tp)->entries, free);
	free(*tp);
	*tp = NULL;
}

/* anvil_table_key - "service client": a /64 for IPv6 */
int
anvil_table_key(const char *service, const char *addr, struct buf *key)
{
	struct in6_addr a6;
	struct in_addr a4;
	char text[INET6_ADDRSTRLEN];
	const char *p;

	if (*service == '\0' || strlen(service) >= ANVIL_SERVICE_MAX)
		return -1;
	for (p = service; *p; p++)
		if (*p <= ' ' || *p >= 127)
			return -1;
	buf_reset(key);
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		inet_ntop(AF_INET, &a4, text, sizeof(text));
		buf_setf(key, "%s %s", service, text);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &a6) != 1)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		memcpy(&a4, &a6.s6_addr[12], 4);
		inet_ntop(AF_INET, &a4, text, sizeof(text));
		buf_setf(key, "%s %s", service, text);
		return 0;
	}
	memset(&a6.s6_addr[8], 0, 8);
	inet_ntop(AF_INET6, &a6, text, sizeof(text));
	buf_setf(key, "%s %s/64", service, text);
	return 0;
}

/* anvil_table_find - the entry of a key, or NULL */
struct anvil_entry *
anvil_table_find(struct anvil_table *t, const char *key)
{
	return htable_find(t->entries, key);
}

/*
 * anvil_table_user_key - "kind user" for a per-user count (kind: a word,
 * user: printable, no space): 0, or -1 when either is not
 */
int
anvil_table_user_key(const char *kind, const char *user, struct buf *key)
{
	const char *p;

	if (*kind == '\0' || *user == '\0' ||
	    strlen(kind) + strlen(user) >= 2 * ANVIL_SERVICE_MAX)
		return -1;
	for (p = kind; *p; p++)
		if (*p <= ' ' || *p >= 127)
			return -1;
	for (p = user; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 127)
			return -1;
	buf_setf(key, "%s %s", kind, user);
	return 0;
}

/*
 * anvil_table_add - n events of key at now, counted in the current
 * window (no connection held): its entry, NULL when the table is full
 */
struct anvil_entry *
anvil_table_add(struct anvil_table *t, const char *key, long long n,
    long long now)
{
	struct anvil_entry *e;

	if ((e = anvil_table_find(t, key)) == NULL) {
		if (t->entries->used >= ANVIL_TABLE_MAX)
			return NULL;
		e = xcalloc(1, sizeof(*e));
		e->start = now;
		htable_enter(t->entries, key, e);
	}
	if (now - e->start >= t->unit) {
		e->start = now;
		e->rate = 0;
	}
	e->rate += n;
	return e;
}

/* anvil_table_connect - count a connection of key at now */
struct anvil_entry *
anvil_table_connect(struct anvil_table *t, const char *key, long long now)
{
	struct anvil_entry *e;

	if ((e = anvil_table_add(t, key, 1, now)) != NULL)
		e->count++;
	return e;
}

/* anvil_table_disconnect - a connection of the entry closed */
void
anvil_table_disconnect(struct anvil_table *t, struct anvil_entry *e)
{
	if (e->count > 0)
		e->count--;
}

/* When a sweep runs, and how long a window lasts. */
struct anvil_table_clock {
	long long	 now;
	long long	 unit;
};

/* anvil_table_done - nothing open and the window over (an htable_sweep) */
static int
anvil_table_done(void *value, void *ctx)
{
	const struct anvil_entry *e = value;
	const struct anvil_table_clock *c = ctx;

	return e->count == 0 && c->now - e->start >= c->unit;
}

/* anvil_table_sweep - forget what no longer counts; entries left */
long
anvil_table_sweep(struct anvil_table *t, long long now)
{
	struct anvil_table_clock c = { now, t->unit };

	return (long)htable_sweep(t->entries, anvil_table_done, &c, free);
}
