/*
 * alias.t - local aliases: the parser of the aliases file (lib/maps.c
 * with MAP_ALIAS, as alias_maps reads it through lib/resolve.c: "name:
 * target, target", continuation lines, comments, quoted names, what a bad
 * line logs with its file and line), and the expansion of an address
 * (lib/alias.c: lists, quoted commas, <address>, |command, /file
 * and :include: targets as they are parsed today, extensions, myorigin
 * appended to bare names, the nesting limit, loops, a name that names
 * itself, duplicates, untrusted :include: files, lookup errors).
 *
 * Each case writes an aliases file, points alias_maps at it as texthash:
 * and compares what one lookup or one expansion gives, one target a line.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "resolve.h"
#include "util.h"
#include "alias.h"
#include "../tap.h"

static char dir[] = "/tmp/cartero-alias-XXXXXX";
static char logpath[128];
static int nfile;

/* write_file - replace a file of the test directory, set its mode */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char file[256];

	snprintf(file, sizeof(file), "%s/%s", dir, name);
	tap_write(file, text);
	if (chmod(file, mode) < 0) {
		perror(file);
		exit(1);
	}
	return file;
}

/* subst - text with @DIR@ replaced by the test directory */
static const char *
subst(const char *text)
{
	static struct buf *b;

	if (b == NULL)
		b = buf_new(256, 0);
	buf_reset(b);
	tap_subst(b, text, dir);
	return buf_str(b);
}

/*
 * use_aliases - a fresh aliases file (a new name each time, so that
 * alias_maps is reopened) as texthash:; returns its path.  Warnings go
 * to the log file, emptied first.
 */
static const char *
use_aliases(const char *text)
{
	static struct buf *spec, *file;
	char name[32];

	if (spec == NULL) {
		spec = buf_new(256, 0);
		file = buf_new(256, 0);
	}
	snprintf(name, sizeof(name), "aliases-%d", ++nfile);
	buf_set(file, write_file(name, subst(text), 0644));
	buf_setf(spec, "texthash:%s", buf_str(file));
	var_alias_maps = spec->data;
	if (truncate(logpath, 0) < 0) {
		perror(logpath);
		exit(1);
	}
	return buf_str(file);
}

/* logged - the warnings logged since use_aliases, "FILE" for its path */
static const char *
logged(const char *file)
{
	static struct buf *b;
	struct buf *text, *why = buf_new(64, 0);
	char *cp, *line, *w, *at;

	if (b == NULL)
		b = buf_new(256, 0);
	buf_reset(b);
	if ((text = file_slurp(logpath, 1 << 20, why)) == NULL) {
		printf("# %s\n", buf_str(why));
		buf_free(&why);
		return "(no log)";
	}
	for (cp = text->data; (line = strsep(&cp, "\n")) != NULL; ) {
		if ((w = strstr(line, "warning: ")) == NULL)
			continue;
		w += 9;
		if ((at = strstr(w, file)) != NULL) {
			buf_append(b, w, (size_t)(at - w));
			buf_puts(b, "FILE");
			w = at + strlen(file);
		}
		buf_puts(b, w);
		buf_putc(b, '\n');
	}
	buf_free(&text);
	buf_free(&why);
	return buf_str(b);
}

/*
 * The parser: an aliases file, one name looked up, the value it has
 * ("(none)": not an alias), and the warnings its reading logged.
 */
static const struct parse_case {
	const char	*desc;
	const char	*text;		/* the aliases file */
	const char	*key, *value, *warn;
} parses[] = {
	{ "name: target", "postmaster: root\n", "postmaster", "root", "" },
	{ "names are matched without case", "PostMaster: root\n",
	    "postmaster", "root", "" },
	{ "  and looked up without case", "postmaster: root\n",
	    "POSTMASTER", "root", "" },
	{ "the value keeps its case", "ana: Ana@Example.ORG\n", "ana",
	    "Ana@Example.ORG", "" },
	{ "a list is one value", "staff: ana, bob,carl\n", "staff",
	    "ana, bob,carl", "" },
	{ "white space around ':' and the value", "staff   :   ana  \n",
	    "staff", "ana", "" },
	{ "no space after ':'", "staff:ana\n", "staff", "ana", "" },
	{ "a continuation line joins with one space",
	    "staff: ana,\n\tbob,\n    carl\n", "staff", "ana, bob, carl", "" },
	{ "a comment between a line and its continuation",
	    "staff: ana,\n# not here\n  bob\n", "staff", "ana, bob", "" },
	{ "comments and blank lines", "# top\n\n   # indented\nana: bob\n\n",
	    "ana", "bob", "" },
	{ "a '#' inside a value is kept", "ana: bob # not a comment\n",
	    "ana", "bob # not a comment", "" },
	{ "CRLF line ends", "ana: bob,\r\n  carl\r\n", "ana", "bob, carl", "" },
	{ "a quoted name with a space", "\"list owner\": ana\n",
	    "list owner", "ana", "" },
	{ "a quoted name with an escaped quote", "\"a\\\"b\": ana\n",
	    "a\"b", "ana", "" },
	{ "a quoted name, space before ':'", "\"x y\" : ana\n", "x y", "ana",
	    "" },
	{ "a command target is kept as written",
	    "prog: \"|/usr/bin/prog -a, -b\"\n", "prog",
	    "\"|/usr/bin/prog -a, -b\"", "" },
	{ "a bare command", "prog: |/bin/cat\n", "prog", "|/bin/cat", "" },
	{ "a file target", "arch: /var/log/arch\n", "arch", "/var/log/arch",
	    "" },
	{ ":include:", "list: :include:/etc/list\n", "list",
	    ":include:/etc/list", "" },
	{ "the first of two entries wins",
	    "root: ana\nroot: bob\n", "root", "ana",
	    "FILE, line 2: duplicate entry \"root\": keeping the first one\n" },

	/* Bad lines are logged with file and line and skipped. */
	{ "a line without ':'", "ana bob\ncarl: dan\n", "ana", "(none)",
	    "FILE, line 1: expected format: key: value; entry skipped\n" },
	{ "  the next line is still read", "ana bob\ncarl: dan\n", "carl",
	    "dan", NULL },
	{ "a name without a value", "# x\nempty:\n", "empty", "(none)",
	    "FILE, line 2: no value for key \"empty\"; entry skipped\n" },
	{ "an empty name", ": ana\n", "", "(none)",
	    "FILE, line 1: empty key; entry skipped\n" },
	{ "an unbalanced quote", "\"open: ana\nbob: carl\n", "bob", "carl",
	    "FILE, line 1: unbalanced quote in key; entry skipped\n" },
	{ "a quoted name without ':'", "\"x y\" ana\n", "x y", "(none)",
	    "FILE, line 1: expected format: key: value; entry skipped\n" },
	{ "a continuation line at the top", "  ana\nbob: carl\n", "bob",
	    "carl", "FILE, line 1: continuation line without an entry above "
	    "it; skipped\n" },
};

/* test_parse - one lookup per case */
static void
test_parse(void)
{
	struct buf *why = buf_new(64, 0), *v = buf_new(256, 0);
	const char *file, *got;
	char name[256];
	size_t i;
	int r;

	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		const struct parse_case *c = &parses[i];

		file = use_aliases(c->text);
		buf_reset(why);
		r = resolve_alias(c->key, v, why);
		got = r == 1 ? buf_str(v) : r == 0 ? "(none)" : buf_str(why);
		is_str(got, c->value, c->desc);
		if (c->warn != NULL) {
			snprintf(name, sizeof(name), "  logged: %s", c->desc);
			is_str(logged(file), c->warn, name);
		}
	}
	buf_free(&why);
	buf_free(&v);
}

/*
 * The expansion: an aliases file, an address, and what it expands to, one
 * target a line: "addr ADDRESS [dsn]", "command TEXT via A", "file PATH
 * via A" or "error DSN REASON via A", where A is the address whose alias
 * named it.  rc -1: a lookup failed (the why is compared).
 */
static const struct expand_case {
	const char	*desc;
	const char	*text;
	const char	*addr;
	const char	*want;
} expands[] = {
	{ "not an alias: the address itself", "postmaster: root\n",
	    "ana@mired.org", "addr ana@mired.org\n" },
	{ "a remote address is never looked up", "ana: bob\n",
	    "ana@example.org", "addr ana@example.org\n" },
	{ "one level", "postmaster: root\n", "postmaster@mired.org",
	    "addr root@mired.org\n" },
	{ "case of the local part is ignored", "postmaster: root\n",
	    "PostMaster@mired.org",
	    "addr root@mired.org\n" },
	{ "two levels", "postmaster: root\nroot: ana\n",
	    "postmaster@mired.org", "addr ana@mired.org\n" },
	{ "a list, in order, with a remote member",
	    "staff: ana, bob@example.org,carl\n", "staff@mired.org",
	    "addr ana@mired.org\n"
	    "addr bob@example.org\n"
	    "addr carl@mired.org\n" },
	{ "a list over continuation lines",
	    "staff: ana,\n  bob\n", "staff@mired.org",
	    "addr ana@mired.org\n"
	    "addr bob@mired.org\n" },
	{ "empty members are skipped", "staff: ana,, ,bob,\n",
	    "staff@mired.org",
	    "addr ana@mired.org\n"
	    "addr bob@mired.org\n" },
	{ "<address> members", "staff: <ana@mired.org>, < bob >\n",
	    "staff@mired.org",
	    "addr ana@mired.org\n"
	    "addr bob@mired.org\n" },
	{ "a member with a domain keeps it", "ana: ana@other.example\n",
	    "ana@mired.org", "addr ana@other.example\n" },
	{ "the name with its extension first", "ana+x: bob\nana: carl\n",
	    "ana+x@mired.org", "addr bob@mired.org\n" },
	{ "then without it", "ana: carl\n", "ana+x@mired.org",
	    "addr carl@mired.org\n" },
	{ "a command", "prog: |/usr/bin/prog -v\n", "prog@mired.org",
	    "command /usr/bin/prog -v via prog@mired.org\n" },
	{ "a quoted command keeps its commas",
	    "prog: \"|/usr/bin/prog -a, -b\", ana\n", "prog@mired.org",
	    "command /usr/bin/prog -a, -b via prog@mired.org\n"
	    "addr ana@mired.org\n" },
	{ "a backslash in quotes escapes", "prog: \"|echo \\\"x\\\"\"\n",
	    "prog@mired.org", "command echo \"x\" via prog@mired.org\n" },
	{ "a command with space after '|'", "prog: \"|  /bin/cat \"\n",
	    "prog@mired.org", "command /bin/cat via prog@mired.org\n" },
	{ "an empty command", "prog: \"|\"\n", "prog@mired.org",
	    "error 5.3.5 empty command in alias via prog@mired.org\n" },
	{ "a file", "arch: /var/log/arch, ana\n", "arch@mired.org",
	    "file /var/log/arch via arch@mired.org\n"
	    "addr ana@mired.org\n" },
	{ ":include: a trusted file",
	    "list: :include:@DIR@/members\n", "list@mired.org",
	    "addr ana@mired.org\n"
	    "command /bin/cat via list@mired.org\n"
	    "addr bob@example.org\n" },
	{ ":INCLUDE: in any case, space after it",
	    "list: :INCLUDE:  @DIR@/members\n", "list@mired.org",
	    "addr ana@mired.org\n"
	    "command /bin/cat via list@mired.org\n"
	    "addr bob@example.org\n" },
	{ "an untrusted :include: file: no commands or files",
	    "list: :include:@DIR@/open\n", "list@mired.org",
	    "addr ana@mired.org\n"
	    "error 5.7.1 a command in an untrusted :include: file via "
	    "list@mired.org\n"
	    "error 5.7.1 a file in an untrusted :include: file via "
	    "list@mired.org\n" },
	{ "an :include: that includes itself is read once",
	    "list: :include:@DIR@/self\n", "list@mired.org",
	    "addr carl@mired.org\n" },
	{ "an :include: path must be absolute",
	    "list: :include:members\n", "list@mired.org",
	    "rc -1 :include:members: not an absolute path\n" },
	{ "a missing :include: file is a lookup failure (retry)",
	    "list: :include:@DIR@/nosuch\n", "list@mired.org",
	    "rc -1 open :include: file @DIR@/nosuch: No such file or "
	    "directory\n" },

	/* Names that come back. */
	{ "a name that names itself: its own account",
	    "ana: ana, bob\n", "ana@mired.org",
	    "addr ana@mired.org\n"
	    "addr bob@mired.org\n" },
	{ "a loop a -> b -> a: a, with 5.4.6 if it has no account",
	    "a: b\nb: a\n", "a@mired.org",
	    "addr a@mired.org 5.4.6\n" },
	{ "a loop entered further down", "x: a\na: b\nb: a\n", "x@mired.org",
	    "addr a@mired.org 5.4.6\n" },
	{ "a loop through an extension", "ana: ana+x\n", "ana@mired.org",
	    "addr ana+x@mired.org\n" },
	{ "duplicates are all handed on (the caller merges them)",
	    "staff: ana, ana, team\nteam: ana\n", "staff@mired.org",
	    "addr ana@mired.org\n"
	    "addr ana@mired.org\n"
	    "addr ana@mired.org\n" },
	{ "19 levels are followed",
	    "a1: a2\na2: a3\na3: a4\na4: a5\na5: a6\na6: a7\na7: a8\n"
	    "a8: a9\na9: a10\na10: a11\na11: a12\na12: a13\na13: a14\n"
	    "a14: a15\na15: a16\na16: a17\na17: a18\na18: a19\na19: a20\n",
	    "a1@mired.org", "addr a20@mired.org\n" },
	{ "20 levels are too deep (5.4.6)",
	    "a1: a2\na2: a3\na3: a4\na4: a5\na5: a6\na6: a7\na7: a8\n"
	    "a8: a9\na9: a10\na10: a11\na11: a12\na12: a13\na13: a14\n"
	    "a14: a15\na15: a16\na16: a17\na17: a18\na18: a19\na19: a20\n"
	    "a20: a21\n",
	    "a1@mired.org", "error 5.4.6 aliases nested too deeply (alias "
	    "loop?) via a21@mired.org\n" },
};

/* What an expansion produced. */
static struct buf *got;

/* collect - the alias_fn: one line per target */
static void
collect(int kind, const char *value, const char *via, const char *dsn,
    void *ctx)
{
	switch (kind) {
	case ALIAS_ADDR:
		/* via is the address itself. */
		buf_appendf(got, "addr %s%s%s", value, dsn ? " " : "",
		    dsn ? dsn : "");
		if (strcmp(via, value) != 0)
			buf_appendf(got, " (via %s)", via);
		buf_putc(got, '\n');
		return;
	case ALIAS_COMMAND:
		buf_appendf(got, "command %s", value);
		break;
	case ALIAS_FILE:
		buf_appendf(got, "file %s", value);
		break;
	case ALIAS_ERROR:
		buf_appendf(got, "error %s %s", dsn ? dsn : "-", value);
		break;
	default:
		buf_appendf(got, "kind %d %s", kind, value);
	}
	buf_appendf(got, " via %s\n", via ? via : "(null)");
}

/* test_expand - one expansion per case */
static void
test_expand(void)
{
	struct buf *why = buf_new(64, 0), *want = buf_new(256, 0);
	size_t i;

	got = buf_new(256, 0);
	write_file("members", "# members\nana\n|/bin/cat\n\nbob@example.org\n",
	    0644);
	write_file("open", "ana, |/bin/sh, /tmp/x\n", 0666);
	write_file("self", subst("carl, :include:@DIR@/self\n"), 0644);
	for (i = 0; i < sizeof(expands) / sizeof(expands[0]); i++) {
		const struct expand_case *c = &expands[i];

		use_aliases(c->text);
		buf_reset(got);
		buf_reset(why);
		if (alias_expand(c->addr, collect, (void *)c->addr,
		    why) < 0)
			buf_appendf(got, "rc -1 %s\n", buf_str(why));
		buf_set(want, subst(c->want));
		is_str(buf_str(got), buf_str(want), c->desc);
	}
	buf_free(&why);
	buf_free(&want);
}

/* test_more - the target cap, confirmation, errors of the table */
static void
test_more(void)
{
	struct buf *why = buf_new(64, 0), *text = buf_new(1024, 0);
	const char *nl;
	int i, n;

	/* 10,000 targets at most: then one error. */
	buf_puts(text, "big: ");
	for (i = 0; i < ALIAS_TARGETS_MAX + 5; i++)
		buf_appendf(text, "%su%d@example.org", i ? "," : "", i);
	buf_putc(text, '\n');
	use_aliases(buf_str(text));
	buf_reset(got);
	is_int(alias_expand("big@mired.org", collect, "big@mired.org",
	    why), 0, "an alias of 10,005 targets expands");
	for (n = 0, nl = buf_str(got); (nl = strchr(nl, '\n')) != NULL; nl++)
		n++;
	is_int(n, ALIAS_TARGETS_MAX + 1, "  to 10,000 and one error");
	ok(strstr(buf_str(got), "error 5.4.6 alias expansion has too many "
	    "targets") != NULL, "  the error says why");

	/* alias_confirm: is a command or file really an alias's? */
	use_aliases("prog: |/bin/cat, /tmp/f\nlist: :include:@DIR@/open\n");
	is_int(alias_confirm("prog@mired.org", ALIAS_COMMAND,
	    "/bin/cat", why), 1, "confirm: a command of the alias");
	is_int(alias_confirm("prog@mired.org", ALIAS_FILE, "/tmp/f",
	    why), 1, "confirm: a file of the alias");
	is_int(alias_confirm("prog@mired.org", ALIAS_COMMAND,
	    "/bin/sh", why), 0, "confirm: another command is not");
	is_int(alias_confirm("prog@mired.org", ALIAS_FILE,
	    "/bin/cat", why), 0, "confirm: a command is no file");
	is_int(alias_confirm("list@mired.org", ALIAS_COMMAND,
	    "/bin/sh", why), 0, "confirm: not from an untrusted include");
	is_int(alias_confirm("ana@mired.org", ALIAS_COMMAND,
	    "/bin/cat", why), 0, "confirm: not an alias at all");

	/* A table that cannot be opened is a lookup failure. */
	var_alias_maps = "hash:/nonexistent/aliases";
	buf_reset(why);
	is_int(alias_expand("ana@mired.org", collect, "ana@mired.org",
	    why), -1, "a missing alias table: -1");
	is_str(buf_str(why), "hash:/nonexistent/aliases: /nonexistent/"
	    "aliases.db: No such file; run newaliases", "  with why");
	var_alias_maps = "";
	buf_reset(got);
	is_int(alias_expand("postmaster@mired.org", collect,
	    "postmaster@mired.org", why), 0, "no alias_maps: 0");
	is_str(buf_str(got), "addr postmaster@mired.org\n",
	    "  the address itself");

	/* alias_strip_extension */
	buf_reset(text);
	alias_strip_extension("ana+lists@mired.org", text);
	is_str(buf_str(text), "ana@mired.org", "strip the extension");
	alias_strip_extension("ana+x", text);
	is_str(buf_str(text), "ana", "  of a bare name");
	buf_free(&why);
	buf_free(&text);
}

int
main(void)
{
	msg_init("alias.t", 0);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	write_file("log", "", 0600);
	msg_logfile(logpath);
	var_mydestination = "mired.org, localhost";
	var_mydomain = "mired.org";
	var_myorigin = "mired.org";
	var_relay_domains = "";
	var_recipient_delimiter = "+";

	test_parse();
	test_expand();
	test_more();

	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return done_testing();
}
