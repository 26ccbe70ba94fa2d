/*
 * anvil_table.t.c - anvil's table: keys (IPv4, IPv6 per /64, IPv4-mapped),
 * counts, the fixed rate window, the sweep.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "../../anvil/anvil.h"
#include "../tap.h"

/* A service and an address, and the key they make (NULL: refused). */
static const struct {
	const char	*service;
	const char	*addr;
	const char	*key;
} keys[] = {
	{ "smtp", "192.0.2.7", "smtp 192.0.2.7" },
	{ "smtp", "2001:db8:1:2:3:4:5:6", "smtp 2001:db8:1:2::/64" },
	{ "smtp", "2001:db8:1:2::99", "smtp 2001:db8:1:2::/64" },
	{ "smtp", "2001:db8:1:3::1", "smtp 2001:db8:1:3::/64" },
	{ "imap", "::ffff:192.0.2.7", "imap 192.0.2.7" },
	{ "127.0.0.1:2525", "127.0.0.2", "127.0.0.1:2525 127.0.0.2" },
	{ "smtp", "not-an-address", NULL },
	{ "smtp", "192.0.2.7 x", NULL },
	{ "smtp", "", NULL },
	{ "", "192.0.2.7", NULL },
	{ "sm tp", "192.0.2.7", NULL },
};

int
main(void)
{
	struct anvil_table *t;
	struct anvil_entry *a, *b;
	struct buf *k = buf_new(64, 1024), *k2 = buf_new(64, 1024);
	size_t i;
	int r, n;
	char name[128];

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		r = anvil_table_key(keys[i].service, keys[i].addr, k);
		snprintf(name, sizeof(name), "key of \"%s\" \"%s\"",
		    keys[i].service, keys[i].addr);
		if (keys[i].key == NULL)
			ok(r < 0, name);
		else if (ok(r == 0, name))
			is_str(buf_str(k), keys[i].key, name);
	}

	/* Counts: open, open, close; a rate window of 60 s. */
	t = anvil_table_new(60000);
	anvil_table_key("smtp", "192.0.2.7", k);
	a = anvil_table_connect(t, buf_str(k), 1000);
	is_int(a->count, 1, "first connection: count 1");
	is_int(a->rate, 1, "... rate 1");
	b = anvil_table_connect(t, buf_str(k), 2000);
	ok(a == b, "the same client is the same entry");
	is_int(b->count, 2, "second connection: count 2");
	is_int(b->rate, 2, "... rate 2");
	anvil_table_disconnect(t, b);
	is_int(a->count, 1, "a close: count 1");
	is_int(a->rate, 2, "... the rate stays");
	ok(anvil_table_find(t, buf_str(k)) == a, "find gives the entry");

	/* Another service, another address, another /64: entries apart. */
	anvil_table_key("imap", "192.0.2.7", k2);
	b = anvil_table_connect(t, buf_str(k2), 3000);
	ok(b != a && b->count == 1, "another service counts apart");
	anvil_table_disconnect(t, b);

	/* The window: still in it at 60.999 s, a new one after. */
	a = anvil_table_connect(t, buf_str(k), 60999);
	is_int(a->rate, 3, "inside the window the rate grows");
	a = anvil_table_connect(t, buf_str(k), 61000);
	is_int(a->rate, 1, "a new window starts the rate again");
	is_int(a->count, 3, "... and keeps the count");

	/* The sweep keeps what is open or in its window. */
	is_int(anvil_table_sweep(t, 62000), 2, "sweep: both entries in "
	    "their window stay");
	is_int(anvil_table_sweep(t, 70000), 1, "sweep: the closed imap "
	    "entry out of its window goes");
	ok(anvil_table_find(t, buf_str(k2)) == NULL, "... it is not found");
	for (n = 0; n < 3; n++)
		anvil_table_disconnect(t, a);
	is_int(a->count, 0, "every connection closed: count 0");
	anvil_table_disconnect(t, a);
	is_int(a->count, 0, "a close too many does not go negative");
	is_int(anvil_table_sweep(t, 200000), 0, "sweep: the table is empty");

	/* Per-user counts: n at a time, no connection held, an hour. */
	ok(anvil_table_user_key("message", "ana@mired.org", k) == 0 &&
	    strcmp(buf_str(k), "message ana@mired.org") == 0,
	    "user key \"message ana@mired.org\"");
	ok(anvil_table_user_key("message", "ana mired", k2) < 0,
	    "a user with a space is refused");
	ok(anvil_table_user_key("message", "ana\n", k2) < 0,
	    "a user with a newline is refused");
	ok(anvil_table_user_key("", "ana", k2) < 0, "an empty kind is refused");
	anvil_table_free(&t);
	t = anvil_table_new(3600000);
	a = anvil_table_add(t, buf_str(k), 1, 1000);
	a = anvil_table_add(t, buf_str(k), 5, 2000);
	is_int(a->rate, 6, "add 1 then 5: rate 6");
	is_int(a->count, 0, "... and no connection is held");
	a = anvil_table_add(t, buf_str(k), 1, 3601000);
	is_int(a->rate, 1, "a new hour starts again");
	is_int(anvil_table_sweep(t, 7300000), 0, "sweep: the user's hour "
	    "is over, the entry goes");

	/* Many clients: the table grows and finds each. */
	for (n = 0; n < 5000; n++) {
		snprintf(name, sizeof(name), "smtp 10.%d.%d.1", n / 256,
		    n % 256);
		anvil_table_connect(t, name, 300000);
	}
	ok(anvil_table_find(t, "smtp 10.0.0.1") != NULL &&
	    anvil_table_find(t, "smtp 10.19.135.1") != NULL &&
	    anvil_table_find(t, "smtp 10.19.136.1") == NULL,
	    "5000 clients: every one found after the table grew");
	anvil_table_free(&t);
	ok(t == NULL, "free clears the pointer");
	buf_free(&k);
	buf_free(&k2);
	return done_testing();
}
