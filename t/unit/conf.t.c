/*
 * conf.t - main.cf parsing, expansion, typed values and their errors.  Each
 * case writes a main.cf into a fresh directory, loads it with optional -o
 * overrides, and checks one value in force or the exact error text.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "../tap.h"

static char dir[64];

/* One load: main.cf text (NULL: no file), overrides, then either the value
 * of name (rc 0) or the error text (rc -1).  @DIR@ stands for the directory. */
static const struct conf_case {
	const char	*desc;
	const char	*maincf;
	const char	*ovr[3];
	int		 rc;
	const char	*name;
	const char	*want;
} cases[] = {
	/* Defaults. */
	{ "no main.cf: message_size_limit default", NULL, { NULL }, 0,
	    "message_size_limit", "10240000" },
	{ "no main.cf: smtpd_timeout 300s is 300", NULL, { NULL }, 0,
	    "smtpd_timeout", "300" },
	{ "no main.cf: maximal_queue_lifetime 5d", NULL, { NULL }, 0,
	    "maximal_queue_lifetime", "432000" },
	{ "config_directory is the directory read", NULL, { NULL }, 0,
	    "config_directory", "@DIR@" },
	{ "alias_maps default expands config_directory", "", { NULL }, 0,
	    "alias_maps", "hash:@DIR@/aliases" },
	{ "config_directory in main.cf is ignored",
	    "config_directory = /elsewhere\n", { NULL }, 0,
	    "config_directory", "@DIR@" },
	{ "home_mailbox default", "", { NULL }, 0,
	    "home_mailbox", "Maildir/" },

	/* Host names and expansion. */
	{ "mydomain is myhostname less its first label",
	    "myhostname = mail.mired.org\n", { NULL }, 0,
	    "mydomain", "mired.org" },
	{ "myorigin defaults to $myhostname",
	    "myhostname = mail.mired.org\n", { NULL }, 0,
	    "myorigin", "mail.mired.org" },
	{ "mydestination default expands two names",
	    "myhostname = mail.mired.org\n", { NULL }, 0,
	    "mydestination", "mail.mired.org, localhost.mired.org, localhost" },
	{ "a one-label myhostname gives mydomain localdomain",
	    "myhostname = solo\n", { NULL }, 0,
	    "mydomain", "localdomain" },
	{ "${name} and $(name)",
	    "mydomain = mired.org\nrelayhost = [${mydomain}]:$(mydomain)\n",
	    { NULL }, 0, "relayhost", "[mired.org]:mired.org" },
	{ "nested, defined after use, through names not in the table",
	    "virtual_mailbox_base = $top/mail\ntop = $base/x\nbase = /srv\n",
	    { NULL }, 0, "virtual_mailbox_base", "/srv/x/mail" },
	{ "an undefined name expands to nothing",
	    "relayhost = a${nosuchthing}b\n", { NULL }, 0, "relayhost", "ab" },
	{ "$$ is a literal $",
	    "smtpd_banner = costs $$5\n", { NULL }, 0,
	    "smtpd_banner", "costs $5" },
	{ "${name?text} when name is set",
	    "mydomain = mired.org\nrelayhost = ${mydomain?smtp.$mydomain}\n",
	    { NULL }, 0, "relayhost", "smtp.mired.org" },
	{ "${name:text} when name is empty",
	    "relayhost = ${relay_domains:none}\n", { NULL }, 0,
	    "relayhost", "none" },
	{ "${name:text} when name is set",
	    "relay_domains = x\nrelayhost = ${relay_domains:none}\n",
	    { NULL }, 0, "relayhost", "" },

	/* Syntax. */
	{ "continuation lines join with one space",
	    "mydestination = a,\n   b,\n\tc\n", { NULL }, 0,
	    "mydestination", "a, b, c" },
	{ "a comment between continuation lines",
	    "mynetworks = 10.0.0.0/8\n# office\n  192.168.0.0/16\n", { NULL },
	    0, "mynetworks", "10.0.0.0/8 192.168.0.0/16" },
	{ "# inside a value is kept; comment lines skipped",
	    "# main.cf\n\n   # indented comment\nrelayhost = x # y\n", { NULL },
	    0, "relayhost", "x # y" },
	{ "the last definition wins",
	    "relayhost = a\nrelayhost = b\n", { NULL }, 0, "relayhost", "b" },
	{ "CRLF line ends",
	    "relayhost = x\r\nmydomain = y\r\n", { NULL }, 0,
	    "relayhost", "x" },
	{ "no spaces around =",
	    "relayhost=x\n", { NULL }, 0, "relayhost", "x" },
	{ "an empty value",
	    "recipient_delimiter =\n", { NULL }, 0, "recipient_delimiter", "" },

	/* Types and units. */
	{ "TIME in minutes", "smtpd_timeout = 2m\n", { NULL }, 0,
	    "smtpd_timeout", "120" },
	{ "TIME in weeks", "maximal_queue_lifetime = 1w\n", { NULL }, 0,
	    "maximal_queue_lifetime", "604800" },
	{ "TIME in hours", "queue_run_delay = 1h\n", { NULL }, 0,
	    "queue_run_delay", "3600" },
	{ "SIZE with m", "message_size_limit = 10m\n", { NULL }, 0,
	    "message_size_limit", "10485760" },
	{ "SIZE with K", "message_size_limit = 512K\n", { NULL }, 0,
	    "message_size_limit", "524288" },
	{ "INT through expansion",
	    "n = 50\nsmtpd_hard_error_limit = $n\n", { NULL }, 0,
	    "smtpd_hard_error_limit", "50" },

	/* Overrides. */
	{ "-o beats main.cf", "relayhost = a\n", { "relayhost=b" }, 0,
	    "relayhost", "b" },
	{ "-o with spaces and a unit", "", { "smtpd_timeout = 1m" }, 0,
	    "smtpd_timeout", "60" },
	{ "-o takes part in expansion", "myhostname = mail.$mydomain\n",
	    { "mydomain=mired.org" }, 0, "myhostname", "mail.mired.org" },

	/* Errors: file, line and parameter. */
	{ "bad INT", "line_length_limit = abc\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 1: parameter line_length_limit: "
	    "\"abc\" is not a whole number" },
	{ "bad TIME, line counted past blanks and comments",
	    "\n# x\nsmtpd_timeout = 5x\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 3: parameter smtpd_timeout: \"5x\" is not a "
	    "time (a number with an optional unit s, m, h, d or w)" },
	{ "bad SIZE", "message_size_limit = 10q\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 1: parameter message_size_limit: \"10q\" is "
	    "not a size (bytes, or a number with k, m or g)" },
	{ "negative SIZE", "message_size_limit = -1\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 1: parameter message_size_limit: \"-1\" is "
	    "not a size (bytes, or a number with k, m or g)" },
	{ "INT overflow", "max_use = 99999999999999999999\n", { NULL }, -1,
	    NULL, "@DIR@/main.cf, line 1: parameter max_use: "
	    "\"99999999999999999999\" is not a whole number" },
	{ "below the minimum", "line_length_limit = 10\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 1: parameter line_length_limit: \"10\" is "
	    "below the minimum 80" },
	{ "above the maximum", "smtpd_timeout = 2d\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 1: parameter smtpd_timeout: \"2d\" is above "
	    "the maximum 86400" },
	{ "a bad value reached through expansion",
	    "t = soon\nsmtpd_timeout = $t\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 2: parameter smtpd_timeout: \"soon\" is not "
	    "a time (a number with an optional unit s, m, h, d or w)" },
	{ "expansion loop",
	    "mydomain = $myorigin\nmyorigin = $mydomain\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 1: parameter mydomain: expansion loop: "
	    "$mydomain -> $myorigin -> $mydomain" },
	{ "a name that expands to itself",
	    "relayhost = [$relayhost]\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 1: parameter relayhost: expansion loop: "
	    "$relayhost -> $relayhost" },
	{ "a lone $", "relayhost = 5$\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 1: parameter relayhost: \"$\" is not followed "
	    "by a parameter name (write $$ for a $)" },
	{ "an unclosed ${", "relayhost = ${mydomain\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 1: parameter relayhost: \"${mydomain\" is "
	    "not closed by \"}\"" },
	{ "a line without =", "relayhost = a\nthis is wrong\n", { NULL }, -1,
	    NULL, "@DIR@/main.cf, line 2: expected \"name = value\", found "
	    "\"this is wrong\"" },
	{ "a continuation line first", "  relayhost = a\n", { NULL }, -1, NULL,
	    "@DIR@/main.cf, line 1: a continuation line (starting with white "
	    "space) comes before any parameter" },
	{ "bad -o value", "", { "smtpd_timeout=abc" }, -1, NULL,
	    "command line: parameter smtpd_timeout: \"abc\" is not a time "
	    "(a number with an optional unit s, m, h, d or w)" },
	{ "-o without =", "", { "relayhost" }, -1, NULL,
	    "command line: expected name=value, found \"relayhost\"" },
};

/* subst - the text with @DIR@ replaced by the test directory */
static char *
subst(const char *s)
{
	struct buf *b = buf_new(128, 0);

	tap_subst(b, s, dir);
	return buf_steal(&b);
}

/* value_of - a parameter's variable as text */
static const char *
value_of(const char *name, char *tmp, size_t len)
{
	const struct param *p = param_find(name);

	if (p == NULL)
		return NULL;
	switch (p->type) {
	case PARAM_STR:
		return *(char **)p->var;
	case PARAM_BOOL:
		snprintf(tmp, len, "%d", *(int *)p->var);
		return tmp;
	default:
		snprintf(tmp, len, "%lld", *(long long *)p->var);
		return tmp;
	}
}

/* write_maincf - main.cf with this text, or none */
static void
write_maincf(const char *text)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/main.cf", dir);
	unlink(path);
	if (text == NULL)
		return;
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(path);
		exit(1);
	}
}

/* run_case - one row of cases[] */
static void
run_case(const struct conf_case *c)
{
	struct buf *why = buf_new(256, 0);
	char tmp[64], *want;
	int rc;

	write_maincf(c->maincf);
	rc = conf_load(dir, (char **)c->ovr, why);
	want = subst(c->want);
	if (c->rc == 0) {
		if (rc < 0)
			printf("# conf_load: %s\n", buf_str(why));
		is_str(rc == 0 ? value_of(c->name, tmp, sizeof(tmp)) : NULL,
		    want, c->desc);
	} else
		is_str(rc < 0 ? buf_str(why) : "(loaded)", want, c->desc);
	free(want);
	buf_free(&why);
}

/* big_chain - a0 = 0123456789, a1 = $a0$a0, ... relayhost = $a40 */
static char *
big_chain(void)
{
	struct buf *b = buf_new(1024, 0);
	int i;

	buf_puts(b, "a0 = 0123456789\n");
	for (i = 1; i <= 40; i++)
		buf_appendf(b, "a%d = $a%d$a%d\n", i, i - 1, i - 1);
	buf_puts(b, "relayhost = $a40\n");
	return buf_steal(&b);
}

/* read_file - a small file's text */
static char *
read_file(const char *path)
{
	static char text[4096];
	ssize_t n;
	int fd;

	text[0] = '\0';
	if ((fd = open(path, O_RDONLY)) < 0)
		return text;
	n = read(fd, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	return text;
}

int
main(void)
{
	struct buf *why = buf_new(256, 0);
	struct conf_file cf;
	char path[128], logpath[128], *s;
	size_t i;

	snprintf(dir, sizeof(dir), "/tmp/conf.t.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/main.cf", dir);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	msg_init("conf.t", 0);
	msg_logfile(logpath);

	plan((int)(sizeof(cases) / sizeof(cases[0])) + 25);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);

	/* Unknown names warn but load. */
	write_maincf("relayhost = a\nmy_custom = x\n");
	ok(conf_load(dir, NULL, why) == 0, "an unknown name is not an error");
	ok(strstr(read_file(logpath), "main.cf, line 2: unknown parameter "
	    "my_custom") != NULL, "an unknown name is logged with its line");
	is_str(conf_raw("my_custom"), "x",
	    "conf_raw sees names not in the table");

	/* Per-transport limits: any service's name, not in the table. */
	{
		long long v = 0;

		write_maincf("mailman_destination_recipient_limit = 1\n"
		    "smtp_destination_concurrency_limit = $lim\nlim = 7\n"
		    "bad_destination_recipient_limit = many\n");
		ok(conf_load(dir, NULL, why) == 0, "per-transport limits load");
		ok(strstr(read_file(logpath), "unknown parameter mailman_") ==
		    NULL, "and are not logged as unknown");
		ok(conf_int("mailman_destination_recipient_limit", 1, 1000, &v,
		    why) == 1 && v == 1, "conf_int reads one");
		ok(conf_int("smtp_destination_concurrency_limit", 1, 1000, &v,
		    why) == 1 && v == 7, "conf_int expands $names");
		ok(conf_int("bad_destination_recipient_limit", 1, 1000, &v,
		    why) < 0 && strstr(buf_str(why), "\"many\" is not a number")
		    != NULL, "conf_int refuses a word, explained");
		ok(conf_int("lmtp_destination_recipient_limit", 1, 1000, &v,
		    why) == 0, "conf_int: 0 when unset");
	}

	/* A failed load keeps the values of the last good one. */
	write_maincf("relayhost = keep\nmyorigin = $mydomain\n"
	    "mydomain = m.org\n");
	ok(conf_load(dir, NULL, why) == 0, "a good load");
	write_maincf("relayhost = lost\nsmtpd_timeout = never\n");
	ok(conf_load(dir, NULL, why) < 0, "then a bad one");
	is_str(var_relayhost, "keep", "the bad load changed no variable");
	is_str(conf_raw("myorigin"), "$mydomain", "conf_raw is unexpanded");
	s = conf_expand("<$myorigin/${relayhost}>", why);
	is_str(s, "<m.org/keep>", "conf_expand uses the values in force");
	free(s);
	s = conf_expand("$a", why);
	ok(s != NULL && *s == '\0', "conf_expand of an undefined name");
	free(s);
	is_str(conf_dir(), dir, "conf_dir is the directory loaded");

	/* conf_check, for carteroconf -e. */
	ok(conf_check("smtpd_timeout", "5m", why) == 0,
	    "conf_check: a good time");
	ok(conf_check("smtpd_timeout", "abc", why) < 0 &&
	    strstr(buf_str(why), "\"abc\" is not a time") != NULL,
	    "conf_check: a bad time, explained");
	ok(conf_check("relayhost", "$relayhost", why) == 0,
	    "conf_check expands against the values in force");
	ok(conf_check("no_such_name", "x", why) == 0,
	    "conf_check: any value for a name not in the table");

	/* A runaway expansion stops at the cap. */
	s = big_chain();
	write_maincf(s);
	free(s);
	ok(conf_load(dir, NULL, why) < 0 && strstr(buf_str(why),
	    "parameter relayhost: value is longer than") != NULL,
	    "a value that doubles 40 times is refused");

	/* The lower level: conf_file_read keeps every definition. */
	write_maincf("# c\nrelayhost = a\nfoo = b\n  c\nrelayhost = d\n");
	ok(conf_file_read(path, &cf, why) == 0 && cf.count == 3,
	    "conf_file_read gives each definition");
	is_int(cf.count == 3 ? cf.entries[1].line : 0, 3,
	    "an entry knows its first line");
	is_str(conf_file_get(&cf, "relayhost"), "d",
	    "conf_file_get gives the last definition");
	conf_file_free(&cf);
	write_maincf(NULL);
	ok(conf_file_read(path, &cf, why) == 0 && cf.count == 0,
	    "a missing main.cf reads as empty");
	conf_file_free(&cf);

	unlink(logpath);
	rmdir(dir);
	buf_free(&why);
	return done_testing();
}
