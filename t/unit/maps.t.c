/*
 * maps.t.c - lookup tables (hash: built by map_build, texthash:, lists,
 * alias syntax, duplicates, missing files, tables rebuilt while open) and
 * the parts of resolve that need no running instance: extension stripping,
 * address classes, the virtual passwd file, system users and aliases.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <db.h>
#include <dirent.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "resolve.h"
#include "userdb.h"
#include "util.h"
#include "../tap.h"

static char dir[] = "/tmp/cartero-maps-XXXXXX";

/* path - a file name in the test directory (static storage, 4 slots) */
static const char *
path(const char *name)
{
	static char slot[4][512];
	static int next;
	char *p = slot[next++ % 4];

	snprintf(p, sizeof(slot[0]), "%s/%s", dir, name);
	return p;
}

/* spec - "type:dir/name" (static storage, 4 slots) */
static const char *
spec(const char *type, const char *name)
{
	static char slot[4][600];
	static int next;
	char *p = slot[next++ % 4];

	snprintf(p, sizeof(slot[0]), "%s:%s/%s", type, dir, name);
	return p;
}

/* write_file - replace a file's contents */
static void
write_file(const char *name, const char *text)
{
	tap_write(path(name), text);
}

/* quiet - silence expected warnings (1) or let them through (0) */
static void
quiet(int on)
{
	msg_set_flags(on ? 0 : MSG_STDERR);
}

/* lookup - map_lookup returning the value, "(none)" or "(error)" */
static const char *
lookup(struct map *m, const char *key)
{
	static struct buf *v;
	int r;

	if (v == NULL)
		v = buf_new(64, 0);
	r = map_lookup(m, key, v);
	return r > 0 ? buf_str(v) : r == 0 ? "(none)" : "(error)";
}

/* A table source and what its lookups give. */
static const char table_src[] =
    "  orphan continuation\n"		/* nothing to continue: skipped */
    "# a comment\n"
    "\n"
    "ana@mired.org    ana\n"
    "Bob@Mired.ORG\tbob@example.org  \n"
    "long   first part,\n"
    "   second part\n"
    "\t# comment lines inside an entry are skipped\n"
    "\tthird part\n"
    "MiXeD  Value Keeps Its Case\n"
    "lonely\n"				/* no value: skipped */
    "joined\n"
    "  by continuation\n"		/* "joined by continuation" */
    "dup first\n"
    "DUP second\n"
    "crlf value\r\n";

/* A key and what a lookup must give ("(none)": nothing). */
struct want {
	const char	*key;
	const char	*value;
};

static const struct want table_want[] = {
	{ "ana@mired.org", "ana" },
	{ "ANA@MIRED.ORG", "ana" },
	{ "bob@mired.org", "bob@example.org" },
	{ "long", "first part, second part third part" },
	{ "mixed", "Value Keeps Its Case" },
	{ "lonely", "(none)" },
	{ "orphan", "(none)" },
	{ "joined", "by continuation" },
	{ "dup", "first" },
	{ "crlf", "value" },
	{ "nobody", "(none)" },
	{ "", "(none)" },
};

static const char alias_src[] =
    "# aliases\n"
    "postmaster: root\n"
    "MAILER-DAEMON:   postmaster\n"
    "root: ana,\n"
    "\tbob@mired.org\n"
    "abuse :postmaster\n"
    "\"list owner\": ana\n"
    "nocolon ana\n"
    "empty:\n"
    "root: carl\n";

static const struct want alias_want[] = {
	{ "postmaster", "root" },
	{ "Postmaster", "root" },
	{ "mailer-daemon", "postmaster" },
	{ "root", "ana, bob@mired.org" },
	{ "abuse", "postmaster" },
	{ "list owner", "ana" },
	{ "nocolon", "(none)" },
	{ "empty", "(none)" },
	{ "ana", "(none)" },
};

/* check_lookups - each key of want looked up in m, the check named what */
static void
check_lookups(struct map *m, const struct want *want, size_t n,
    const char *what)
{
	char name[256];
	size_t i;

	for (i = 0; m && i < n; i++) {
		snprintf(name, sizeof(name), "%s '%s'", what, want[i].key);
		is_str(lookup(m, want[i].key), want[i].value, name);
	}
}

/* test_tables - hash: and texthash: from the same source */
static void
test_tables(void)
{
	struct buf *why = buf_new(64, 0);
	struct map *m;
	struct stat st;
	size_t i;
	int r;

	write_file("table", table_src);
	chmod(path("table"), 0640);
	quiet(1);
	r = map_build(spec("hash", "table"), 0, why);
	quiet(0);
	if (!ok(r == 0, "map_build hash:table"))
		printf("#   why: %s\n", buf_str(why));
	ok(stat(path("table.db"), &st) == 0, "table.db exists");
	is_int(st.st_mode & 0777, 0640, "table.db has the source's read bits");
	{
		DIR *d = opendir(dir);
		struct dirent *de;
		int tmp = 0;

		while (d != NULL && (de = readdir(d)) != NULL)
			if (strstr(de->d_name, ".tmp-") != NULL)
				tmp++;
		if (d != NULL)
			closedir(d);
		is_int(tmp, 0, "no temporary file left behind");
	}

	m = map_open(spec("hash", "table"), 0, why);
	if (!ok(m != NULL, "map_open hash:table"))
		printf("#   why: %s\n", buf_str(why));
	check_lookups(m, table_want, sizeof(table_want) / sizeof(table_want[0]),
	    "hash:");
	map_close(&m);
	ok(m == NULL, "map_close clears the pointer");

	quiet(1);
	m = map_open(spec("texthash", "table"), 0, why);
	quiet(0);
	ok(m != NULL, "map_open texthash:table");
	check_lookups(m, table_want, sizeof(table_want) / sizeof(table_want[0]),
	    "texthash:");
	map_close(&m);

	/* A table with many keys (the in-memory table grows). */
	{
		FILE *fp = fopen(path("big"), "w");

		for (i = 0; fp && i < 5000; i++)
			fprintf(fp, "key%zu value%zu\n", i, i);
		fclose(fp);
		ok(map_build(spec("hash", "big"), 0, why) == 0,
		    "build 5000 keys");
		m = map_open(spec("texthash", "big"), 0, why);
		is_str(lookup(m, "key4321"), "value4321",
		    "texthash: 5000 keys");
		map_close(&m);
		m = map_open(spec("hash", "big"), 0, why);
		is_str(lookup(m, "KEY0"), "value0", "hash: 5000 keys, first");
		is_str(lookup(m, "key4999"), "value4999",
		    "hash: 5000 keys, last");
		map_close(&m);
	}
	buf_free(&why);
}

/* test_aliases - "key: value" syntax */
static void
test_aliases(void)
{
	struct buf *why = buf_new(64, 0);
	struct map *m;
	int r;

	write_file("aliases", alias_src);
	quiet(1);
	r = map_build(spec("hash", "aliases"), MAP_ALIAS, why);
	quiet(0);
	if (!ok(r == 0, "map_build hash:aliases, alias syntax"))
		printf("#   why: %s\n", buf_str(why));
	m = map_open(spec("hash", "aliases"), MAP_ALIAS, why);
	ok(m != NULL, "map_open hash:aliases");
	check_lookups(m, alias_want, sizeof(alias_want) / sizeof(alias_want[0]),
	    "alias");
	map_close(&m);

	quiet(1);
	m = map_open(spec("texthash", "aliases"), MAP_ALIAS, why);
	quiet(0);
	is_str(lookup(m, "root"), "ana, bob@mired.org",
	    "texthash alias with continuation, first of two wins");
	map_close(&m);

	/* The same file without -a: "root:" is the key. */
	quiet(1);
	m = map_open(spec("texthash", "aliases"), 0, why);
	quiet(0);
	is_str(lookup(m, "postmaster:"), "root",
	    "without MAP_ALIAS the : stays");
	map_close(&m);
	buf_free(&why);
}

/* test_lists - lists, errors, rebuilding under an open table */
static void
test_lists(void)
{
	struct buf *why = buf_new(64, 0), *list = buf_new(256, 0);
	struct buf *want = buf_new(256, 0);
	struct map *m;

	write_file("first", "ana first-ana\n");
	write_file("second", "ana second-ana\nbob second-bob\n");
	ok(map_build(spec("hash", "first"), 0, why) == 0, "build first");
	buf_setf(list, "%s, %s", spec("hash", "first"),
	    spec("texthash", "second"));
	m = map_open(buf_str(list), 0, why);
	ok(m != NULL, "open a list of two tables");
	is_str(lookup(m, "ana"), "first-ana", "list: the first table wins");
	is_str(lookup(m, "bob"), "second-bob", "list: then the second");
	is_str(lookup(m, "carl"), "(none)", "list: in neither");

	/* Rebuild under the open map: the next lookup sees the new table. */
	write_file("first", "ana new-ana\n");
	ok(map_build(spec("hash", "first"), 0, why) == 0, "rebuild first");
	is_str(lookup(m, "ana"), "new-ana", "an open hash: table is reopened");
	write_file("second", "bob newer-bob\n");
	is_str(lookup(m, "bob"), "newer-bob", "a texthash: table is reread");
	map_close(&m);

	m = map_open(" ", 0, why);
	ok(m != NULL, "an empty list opens");
	is_str(lookup(m, "ana"), "(none)", "  and finds nothing");
	map_close(&m);
	is_str(lookup(NULL, "ana"), "(none)", "lookup in a NULL map");

	/* Missing .db files name the command that makes them. */
	buf_reset(why);
	m = map_open(spec("hash", "nothere"), 0, why);
	ok(m == NULL, "hash: without its .db fails");
	buf_setf(want, "%s: %s: No such file; run carteromap %s",
	    spec("hash", "nothere"), path("nothere.db"), spec("hash",
	    "nothere"));
	is_str(buf_str(why), buf_str(want), "  and says to run carteromap");
	m = map_open(spec("hash", "nothere"), MAP_ALIAS, why);
	buf_setf(want, "%s: %s: No such file; run newaliases",
	    spec("hash", "nothere"), path("nothere.db"));
	is_str(buf_str(why), buf_str(want), "  or newaliases for aliases");
	buf_setf(list, "%s %s", spec("hash", "first"), spec("hash", "nothere"));
	ok(map_open(buf_str(list), 0, why) == NULL,
	    "a list with one missing table fails");
	ok(map_open(spec("texthash", "nothere"), 0, why) == NULL &&
	    strstr(buf_str(why), "No such file") != NULL,
	    "texthash: of a missing file fails");
	ok(map_open(spec("btree", "first"), 0, why) == NULL &&
	    strstr(buf_str(why), "unsupported table type \"btree\"") != NULL,
	    "unknown types are refused");
	ok(map_open(path("first"), 0, why) == NULL &&
	    strstr(buf_str(why), "no table type") != NULL,
	    "a name without a type is refused");
	ok(map_build(spec("hash", "nothere"), 0, why) == -1 &&
	    strstr(buf_str(why), "No such file") != NULL,
	    "map_build of a missing source fails");
	ok(map_build(spec("texthash", "second"), 0, why) == 0,
	    "map_build of texthash: only checks it");

	/* A garbage .db is an error, not a crash. */
	write_file("junk", "a b\n");
	write_file("junk.db", "this is not a Berkeley DB file\n");
	quiet(1);
	m = map_open(spec("hash", "junk"), 0, why);
	quiet(0);
	ok(m == NULL, "a corrupt .db fails to open");
	printf("#   why: %s\n", buf_str(why));

	/* A table written without NULs (another tool) is read too. */
	{
		DB *db;
		DBT k, v;

		if (db_create(&db, NULL, 0) == 0 && db->open(db, NULL,
		    path("nonul.db"), NULL, DB_HASH, DB_CREATE, 0644) == 0) {
			memset(&k, 0, sizeof(k));
			memset(&v, 0, sizeof(v));
			k.data = "ana";
			k.size = 3;
			v.data = "nonul-value";
			v.size = 11;
			db->put(db, NULL, &k, &v, 0);
			db->close(db, 0);
		}
		quiet(1);
		m = map_open(spec("hash", "nonul"), 0, why);
		quiet(0);
		is_str(lookup(m, "ana"), "nonul-value", "keys without a NUL");
		map_close(&m);
	}
	buf_free(&why);
	buf_free(&list);
	buf_free(&want);
}

/* test_resolve - extension, classes, passwd file, system users, aliases */
static void
test_resolve(void)
{
	struct buf *why = buf_new(64, 0), *v = buf_new(64, 0);
	struct buf *want = buf_new(256, 0);
	struct account a;
	struct passwd *root = getpwuid(0);
	struct buf *tbl;
	struct stat st;
	char s[64], owner[32];
	static const struct {
		const char *delim, *in, *out;
	} strip[] = {
		{ "+", "ana+lists", "ana" },
		{ "+", "ana+lists@mired.org", "ana@mired.org" },
		{ "+", "ana+a+b@mired.org", "ana@mired.org" },
		{ "+", "ana@mi+red.org", "ana@mi+red.org" },
		{ "+", "ana", "ana" },
		{ "+", "+lists", "+lists" },
		{ "+", "", "" },
		{ "-+", "ana-x+y", "ana" },
		{ "", "ana+lists", "ana+lists" },
	};
	size_t i;

	for (i = 0; i < sizeof(strip) / sizeof(strip[0]); i++) {
		var_recipient_delimiter = (char *)strip[i].delim;
		snprintf(s, sizeof(s), "%s", strip[i].in);
		is_str(resolve_strip_extension(s), strip[i].out, strip[i].in);
	}
	var_recipient_delimiter = "+";

	var_mydestination = "mired.org, localhost  Host.Mired.Org";
	var_relay_domains = "relay.org .sub.example";
	var_mydomain = "mired.org";
	is_int(resolve_class("ana@mired.org"), RESOLVE_LOCAL, "class: local");
	is_int(resolve_class("ana@MIRED.ORG"), RESOLVE_LOCAL, "  any case");
	is_int(resolve_class("ana@host.mired.org"), RESOLVE_LOCAL, "  third");
	is_int(resolve_class("ana@mired.org."), RESOLVE_LOCAL, "  final dot");
	is_int(resolve_class("ana"), RESOLVE_LOCAL, "  no domain");
	is_int(resolve_class("ana@sub.mired.org"), RESOLVE_REMOTE,
	    "  subdomains of mydestination are not local");
	is_int(resolve_class("x@relay.org"), RESOLVE_RELAY, "class: relay");
	is_int(resolve_class("x@a.relay.org"), RESOLVE_RELAY, "  subdomain");
	is_int(resolve_class("x@a.sub.example"), RESOLVE_RELAY, "  .domain");
	is_int(resolve_class("x@sub.example"), RESOLVE_REMOTE,
	    "  .domain is subdomains only");
	is_int(resolve_class("x@notrelay.org"), RESOLVE_REMOTE,
	    "class: remote");
	ok(resolve_is_local_domain("") == 1, "\"\" is a local domain");

	/* Virtual users. */
	write_file("passwd",
	    "# virtual users\n"
	    "ana@mired.org:{CRYPT}$6$salt$hash:::Ana Lopez::\n"
	    "bob:bobhash:1234:1235::/home/bobv:\n"
	    "carl@Other.ORG:h\n"
	    "ana@mired.org:second:1:1:::\n"
	    "bad@mired.org:h:notanumber-nor-user::::\n");
	var_virtual_passwd_file = (char *)path("passwd");
	var_virtual_mailbox_base = (char *)path("mail");
	var_home_mailbox = "Maildir/";
	var_virtual_mail_owner = "#5000:6000";
	var_alias_maps = "";

	resolve_use_passdb(1);		/* as auth: the file and its hashes */
	quiet(1);
	ok(resolve_account("ana@mired.org", &a, why) == 1, "virtual ana");
	quiet(0);
	ok(a.is_virtual, "  is virtual");
	is_str(a.name, "ana@mired.org", "  name");
	is_int(a.uid, 5000, "  uid from virtual_mail_owner");
	is_int(a.gid, 6000, "  gid from virtual_mail_owner");
	buf_setf(want, "%s/mired.org/ana", path("mail"));
	is_str(a.home, buf_str(want), "  home under virtual_mailbox_base");
	buf_puts(want, "/Maildir/");
	is_str(a.maildir, buf_str(want), "  maildir");
	is_str(a.hash, "{CRYPT}$6$salt$hash", "  hash, first line wins");
	account_free(&a);
	ok(a.name == NULL, "account_free clears");

	/*
	 * The others read the user table root derives: the same accounts,
	 * never a hash.
	 */
	var_virtual_passwd_file = xstrdup(var_virtual_passwd_file);
	var_virtual_mailbox_base = xstrdup(var_virtual_mailbox_base);
	var_queue_directory = xstrdup(path("q"));
	mkdir(path("q"), 0755);
	mkdir(path("q/etc"), 0755);
	snprintf(owner, sizeof(owner), "#%ld", (long)geteuid());
	var_mail_owner = owner;
	quiet(1);
	if (!is_int(userdb_update(1, why), 1, "userdb: the table is derived"))
		printf("#   why: %s\n", buf_str(why));
	quiet(0);
	is_int(userdb_update(0, why), 0, "  and not again while unchanged");
	tbl = file_slurp(path("q/etc/users"), 1 << 20, why);
	ok(tbl != NULL && strstr(buf_str(tbl), "hash") == NULL &&
	    strstr(buf_str(tbl), "$6$") == NULL &&
	    strstr(buf_str(tbl), "# virtual") == NULL,
	    "  without hashes or comments");
	ok(tbl != NULL && strstr(buf_str(tbl),
	    "bob:x:1234:1235::/home/bobv:\n") != NULL,
	    "  the other fields kept");
	buf_free(&tbl);
	ok(stat(path("q/etc/users"), &st) == 0 &&
	    (st.st_mode & 07777) == 0640, "  mode 0640");
	resolve_use_passdb(0);
	quiet(1);
	ok(resolve_account("ana@mired.org", &a, why) == 1 && a.is_virtual &&
	    a.uid == 5000, "a table reader finds ana");
	quiet(0);
	ok(a.hash == NULL, "  and gets no hash");
	account_free(&a);
	ok(resolve_account("bob@mired.org", &a, why) == 1 && a.uid == 1234 &&
	    a.hash == NULL, "  nor bob's");
	account_free(&a);
	resolve_use_passdb(1);
	quiet(1);
	(void)resolve_local_exists("x@mired.org", why);	/* rereads passwd */
	quiet(0);

	ok(resolve_account("ANA@Mired.Org", &a, why) == 1 &&
	    strcmp(a.name, "ana@mired.org") == 0, "lookup ignores case");
	account_free(&a);
	ok(resolve_account("ana", &a, why) == 1 &&
	    strcmp(a.name, "ana@mired.org") == 0, "bare ana is ana@$mydomain");
	account_free(&a);
	ok(resolve_account("ana@localhost", &a, why) == 1 &&
	    strcmp(a.name, "ana@mired.org") == 0,
	    "other mydestination domains fall back to $mydomain");
	account_free(&a);

	ok(resolve_account("bob@mired.org", &a, why) == 1,
	    "bare key bob is bob@mired.org");
	is_int(a.uid, 1234, "  uid from the file");
	is_int(a.gid, 1235, "  gid from the file");
	is_str(a.home, "/home/bobv", "  home from the file");
	is_str(a.maildir, "/home/bobv/Maildir/", "  maildir");
	account_free(&a);

	ok(resolve_account("carl@other.org", &a, why) == 1 &&
	    strcmp(a.name, "carl@other.org") == 0, "short line, other domain");
	buf_setf(want, "%s/other.org/carl/Maildir/", path("mail"));
	is_str(a.maildir, buf_str(want), "  maildir by domain and user");
	account_free(&a);
	is_int(resolve_account("carl@mired.org", &a, why), 0,
	    "carl is not in mired.org");

	buf_reset(why);
	is_int(resolve_account("bad@mired.org", &a, why), -1,
	    "a bad uid is a temporary error");
	ok(strstr(buf_str(why), "line 6: bad uid") != NULL,
	    "  naming the line");

	var_virtual_mail_owner = "#x";
	is_int(resolve_account("ana@mired.org", &a, why), -1,
	    "a bad virtual_mail_owner is an error");
	var_virtual_mail_owner = "#5000:6000";

	is_int(resolve_account("nosuchuser@mired.org", &a, why), 0,
	    "unknown user");
	is_int(resolve_local_exists("nosuchuser@mired.org", why), 0,
	    "  does not exist");
	is_int(resolve_local_exists("ana+tag@mired.org", why), 1,
	    "ana+tag exists");

	/* The file is read again when it changes. */
	write_file("passwd", "dave@mired.org:x:7:7::/d:\n");
	ok(resolve_account("dave@mired.org", &a, why) == 1 &&
	    a.uid == 7, "a changed passwd file is reread");
	account_free(&a);
	is_int(resolve_account("ana@mired.org", &a, why), 0,
	    "  and ana is gone");

	/* Quotas: the extra field, mailbox_quota_maps, the defaults. */
	write_file("passwd", "q1@mired.org:x:7:7::/d::quota=1m\n"
	    "q2@mired.org:x:7:7::/d:/bin/false:userdb_quota_rule=*:storage="
	    "2048:messages=9 nice=5\n"
	    "q3@mired.org:x:7:7::/d::\n"
	    "q4@mired.org:x:7:7::/d::quota=huge\n"
	    "q5@mired.org:x:7:7::/d::quota_messages=3\n"
	    "q6@mired.org:x:7:7::/d:\n");
	write_file("quotas", "q3@mired.org 5m quota_messages=100\nq5@mired.org 6m\n"
	    "q6@mired.org colour=blue\n");
	buf_setf(v, "texthash:%s", path("quotas"));
	var_mailbox_quota_maps = xstrdup(buf_str(v));
	var_mailbox_size_limit = 1000;
	var_mailbox_message_limit = 10;
	{
		static const struct {
			const char *user;
			long long b, c;
			const char *name;
		} q[] = {
			{ "q1@mired.org", 1048576, 10, "quota=1m, the default "
			    "count" },
			{ "q2@mired.org", 2097152, 9, "Dovecot's rule (KiB), "
			    "the shell field skipped" },
			{ "q3@mired.org", 5242880, 100, "no field: the table" },
			{ "q4@mired.org", 1000, 10, "a bad field: the defaults" },
			{ "q5@mired.org", 6291456, 3, "the field's count, the "
			    "table's size" },
			{ "q6@mired.org", 1000, 10, "a bad table value: the "
			    "defaults" },
		};
		long long qb, qc;

		quiet(1);
		for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
			qb = qc = -2;
			if (resolve_account(q[i].user, &a, why) == 1)
				(void)resolve_quota(&a, &qb, &qc, why);
			ok(qb == q[i].b && qc == q[i].c, q[i].name);
			account_free(&a);
		}
		quiet(0);
	}
	var_mailbox_quota_maps = "";
	var_mailbox_size_limit = 0;
	var_mailbox_message_limit = 0;
	write_file("passwd", "dave@mired.org:x:7:7::/d:\n");
	ok(resolve_account("dave@mired.org", &a, why) == 1 &&
	    a.quota_bytes == -1 && a.quota_count == -1,
	    "no extra field: no quota of its own");
	account_free(&a);

	/* System users (root exists everywhere). */
	if (root != NULL) {
		ok(resolve_account("Root@mired.org", &a, why) == 1,
		    "system user root");
		ok(!a.is_virtual && a.uid == 0 && a.hash == NULL,
		    "  is a system account with uid 0");
		buf_setf(want, "%s%sMaildir/", root->pw_dir,
		    root->pw_dir[strlen(root->pw_dir) - 1] == '/' ? "" : "/");
		is_str(a.maildir, buf_str(want), "  maildir in its home");
		account_free(&a);
	}

	/* A file that goes away keeps its users (a chroot sees that). */
	unlink(path("passwd"));
	quiet(1);
	ok(resolve_account("dave@mired.org", &a, why) == 1,
	    "a passwd file that vanished keeps its users");
	quiet(0);
	account_free(&a);
	write_file("passwd", "erin@mired.org:x:8:8::/e:\n");
	ok(resolve_account("erin@mired.org", &a, why) == 1,
	    "  until it comes back");
	account_free(&a);

	/* A missing passwd file is an empty one. */
	var_virtual_passwd_file = (char *)path("no-passwd");
	is_int(resolve_account("dave@mired.org", &a, why), 0,
	    "no passwd file: no virtual users");
	is_int(resolve_account("root", &a, why), 1, "  system users still");
	account_free(&a);
	var_first_valid_uid = 1000;
	var_last_valid_uid = 60000;
	is_int(resolve_account("root", &a, why), 0,
	    "  but not below first_valid_uid");
	is_int(resolve_local_exists("root@mired.org", why), 0,
	    "  root is no recipient without an alias");
	if (getpwnam("nobody") != NULL)
		is_int(resolve_account("nobody", &a, why), 0,
		    "  nor nobody, above last_valid_uid");
	else
		ok(1, "# SKIP no user nobody");
	var_first_valid_uid = var_last_valid_uid = 0;

	/* Aliases. */
	var_alias_maps = (char *)spec("hash", "aliases");
	ok(resolve_alias("postmaster", v, why) == 1 &&
	    strcmp(buf_str(v), "root") == 0, "alias postmaster -> root");
	is_int(resolve_alias("postmaster@ext.example", v, why), 0,
	    "a local part holding an '@' is not cut again");
	is_int(resolve_local_exists("postmaster@ext.example@mired.org", why),
	    0, "  so it is not postmaster");
	is_int(resolve_alias("ana", v, why), 0, "ana is no alias");
	is_int(resolve_local_exists("mailer-daemon@mired.org", why), 1,
	    "an alias exists");
	is_int(resolve_local_exists("abuse+x@mired.org", why), 1,
	    "an alias with an extension exists");
	var_alias_maps = (char *)spec("hash", "nothere");
	is_int(resolve_alias("postmaster", v, why), -1,
	    "missing alias database: temporary error");
	ok(strstr(buf_str(why), "run newaliases") != NULL, "  run newaliases");
	is_int(resolve_local_exists("postmaster", why), -1,
	    "  and existence is unknown");
	var_alias_maps = "";
	buf_free(&why);
	buf_free(&v);
	buf_free(&want);
}

/* cleanup - remove the test directory */
static void
cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
			unlink(path(de->d_name));
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* walk_count - a map_walk_fn: count entries, note one, stop on "stop" */
static int
walk_count(const char *key, const char *value, void *arg, struct buf *why)
{
	int *n = arg;

	if (strcmp(key, "stop") == 0) {
		buf_set(why, "stopped");
		return -1;
	}
	if (strcmp(key, "bob@mired.org") == 0 &&
	    strcmp(value, "bob@example.org") == 0)
		n[1]++;
	n[0]++;
	return 0;
}

/* test_walk - map_walk over hash: and texthash: tables and a list */
static void
test_walk(void)
{
	struct buf *why = buf_new(64, 0), *list = buf_new(256, 0);
	struct map *m;
	int n[2];
	const char *type[] = { "hash", "texthash" };
	int i;

	write_file("walk", "ana@mired.org ana\nbob@mired.org bob@example.org\n"
	    "carmen carmen@example.org\n");
	write_file("stopper", "stop here\n");
	quiet(1);
	map_build(spec("hash", "walk"), 0, why);
	map_build(spec("hash", "stopper"), 0, why);
	quiet(0);
	for (i = 0; i < 2; i++) {
		m = map_open(spec(type[i], "walk"), 0, why);
		n[0] = n[1] = 0;
		ok(m != NULL && map_walk(m, walk_count, n, why) == 0,
		    "map_walk goes through the whole table");
		is_int(n[0], 3, "... each of its 3 entries once");
		is_int(n[1], 1, "... with keys and values as stored");
		map_close(&m);
	}
	buf_setf(list, "%s, %s", spec("hash", "stopper"),
	    spec("texthash", "walk"));
	m = map_open(buf_str(list), 0, why);
	n[0] = n[1] = 0;
	ok(m != NULL && map_walk(m, walk_count, n, why) == -1,
	    "map_walk stops when the function says -1");
	is_str(buf_str(why), "stopped", "... with its why");
	is_int(n[0], 0, "... and goes no further");
	map_close(&m);
	ok(map_walk(NULL, walk_count, n, why) == 0, "no map: nothing to walk");
	unlink(path("walk"));
	unlink(path("walk.db"));
	unlink(path("stopper"));
	unlink(path("stopper.db"));
	buf_free(&why);
	buf_free(&list);
}

int
main(void)
{
	msg_init("maps.test", MSG_STDERR);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_tables();
	test_aliases();
	test_lists();
	test_resolve();
	test_walk();
	cleanup();
	plan(tap_n);
	return done_testing();
}
