/*
 * master_conf.t - master.cf parsing (lib/master_conf.c): service lines,
 * continuation lines, comments, -o overrides (apart and joined), the
 * defaults of '-' columns, wakeup and maxproc, the listening addresses of
 * inet and unix services, and bad lines (unknown type, missing columns,
 * bad flags and numbers, an -o without '=', bad names and commands,
 * duplicates), each with its error naming the file and the line.
 *
 * Each case writes a master.cf, reads it with master_conf_read() and
 * compares either a one-line summary per service or the exact error.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "master_conf.h"
#include "../tap.h"

static char dir[] = "/tmp/cartero-mastercf-XXXXXX";
static char cf[128];

/*
 * One master.cf: its text, then the services it gives, one summary line
 * each ("name/type private unpriv chroot wakeup maxproc command [args]
 * @addr..."), or NULL and the error, where @CF@ stands for the file.
 * inet_interfaces is "127.0.0.1" unless iface says otherwise.
 */
static const struct mcf_case {
	const char	*desc;
	const char	*iface;
	const char	*text;
	const char	*want;
	const char	*err;
} cases[] = {
	/* Service lines and the defaults of '-'. */
	{ "one inet line, every column given", NULL,
	    "smtp inet n y y 0 50 smtpd\n",
	    "smtp/inet 0 1 1 0 50 smtpd @127.0.0.1:smtp\n", NULL },
	{ "'-' takes the defaults: private y, unpriv y, chroot n, "
	    "maxproc 100", NULL,
	    "qmgr unix - - - - - qmgr\n",
	    "qmgr/unix 1 1 0 0 100 qmgr @/q/private/qmgr\n", NULL },
	{ "an inet service is never private", NULL,
	    "2525 inet y - - - - smtpd\n",
	    "2525/inet 0 1 0 0 100 smtpd @127.0.0.1:2525\n", NULL },
	{ "unix private n: public/", NULL,
	    "pickup unix n - - - - pickup\n",
	    "pickup/unix 0 1 0 0 100 pickup @/q/public/pickup\n", NULL },
	{ "yes and no spelled out", NULL,
	    "local unix no yes no - - local\n",
	    "local/unix 0 1 0 0 100 local @/q/public/local\n", NULL },
	{ "maxproc 0: no limit", NULL,
	    "local unix - n - - 0 local\n",
	    "local/unix 1 0 0 0 0 local @/q/private/local\n", NULL },
	{ "a wakeup time makes maxproc '-' 1", NULL,
	    "pickup unix n - - 60 - pickup\n",
	    "pickup/unix 0 1 0 60 1 pickup @/q/public/pickup\n", NULL },
	{ "Postfix's 60? wakeup is read as 60", NULL,
	    "pickup unix n - - 60? 1 pickup\n",
	    "pickup/unix 0 1 0 60 1 pickup @/q/public/pickup\n", NULL },
	{ "wakeup 0 is no wakeup", NULL,
	    "qmgr unix n - - 0 - qmgr\n",
	    "qmgr/unix 0 1 0 0 100 qmgr @/q/public/qmgr\n", NULL },

	/* Blank lines, comments, continuation lines. */
	{ "comments and blank lines are skipped", NULL,
	    "# master.cf\n\n   \n  # indented comment\nsmtp inet n - n - - "
	    "smtpd\n\t\n# end\n",
	    "smtp/inet 0 1 0 0 100 smtpd @127.0.0.1:smtp\n", NULL },
	{ "continuation lines join the line above", NULL,
	    "smtp inet n - n - - smtpd\n  -o smtpd_banner=hi\n"
	    "\t-o myhostname=mx\n",
	    "smtp/inet 0 1 0 0 100 smtpd -o smtpd_banner=hi -o myhostname=mx "
	    "@127.0.0.1:smtp\n", NULL },
	{ "a comment between a line and its continuation", NULL,
	    "smtp inet n - n - - smtpd\n# note\n  -o a=b\n",
	    "smtp/inet 0 1 0 0 100 smtpd -o a=b @127.0.0.1:smtp\n", NULL },
	{ "columns split over continuation lines", NULL,
	    "smtp inet\n n - n\n - -\n smtpd\n",
	    "smtp/inet 0 1 0 0 100 smtpd @127.0.0.1:smtp\n", NULL },
	{ "CRLF line ends", NULL,
	    "smtp inet n - n - - smtpd\r\n  -o a=b\r\n",
	    "smtp/inet 0 1 0 0 100 smtpd -o a=b @127.0.0.1:smtp\n", NULL },
	{ "no final newline", NULL,
	    "smtp inet n - n - - smtpd",
	    "smtp/inet 0 1 0 0 100 smtpd @127.0.0.1:smtp\n", NULL },
	{ "an empty file: no services", NULL, "", "", NULL },
	{ "only comments: no services", NULL, "# nothing\n\n", "", NULL },
	{ "several services, in file order", NULL,
	    "smtp inet n - n - - smtpd\nqmgr unix n - n 300 1 qmgr\n"
	    "local unix - n n - - local\n",
	    "smtp/inet 0 1 0 0 100 smtpd @127.0.0.1:smtp\n"
	    "qmgr/unix 0 1 0 300 1 qmgr @/q/public/qmgr\n"
	    "local/unix 1 0 0 0 100 local @/q/private/local\n", NULL },
	{ "the same name as inet and unix is two services", NULL,
	    "smtp inet n - n - - smtpd\nsmtp unix - - n - - smtpd\n",
	    "smtp/inet 0 1 0 0 100 smtpd @127.0.0.1:smtp\n"
	    "smtp/unix 1 1 0 0 100 smtpd @/q/private/smtp\n", NULL },

	/* Arguments and -o overrides. */
	{ "-o pairs go first, other arguments after", NULL,
	    "smtp inet n - n - - smtpd -v -o a=b extra -o c=d\n",
	    "smtp/inet 0 1 0 0 100 smtpd -o a=b -o c=d -v extra "
	    "@127.0.0.1:smtp\n", NULL },
	{ "-oname=value joined is split", NULL,
	    "smtp inet n - n - - smtpd -osmtpd_tls_security_level=may\n",
	    "smtp/inet 0 1 0 0 100 smtpd -o smtpd_tls_security_level=may "
	    "@127.0.0.1:smtp\n", NULL },
	{ "an -o value may hold '=' and be empty", NULL,
	    "smtp inet n - n - - smtpd -o a=x=y -o b=\n",
	    "smtp/inet 0 1 0 0 100 smtpd -o a=x=y -o b= @127.0.0.1:smtp\n",
	    NULL },

	/* Listening addresses. */
	{ "host:port names its own address", NULL,
	    "127.0.0.2:2525 inet n - n - - smtpd\n",
	    "127.0.0.2:2525/inet 0 1 0 0 100 smtpd @127.0.0.2:2525\n", NULL },
	{ "[v6]:port", NULL,
	    "[::1]:2525 inet n - n - - smtpd\n",
	    "[::1]:2525/inet 0 1 0 0 100 smtpd @[::1]:2525\n", NULL },
	{ "inet_interfaces all", "all",
	    "25 inet n - n - - smtpd\n",
	    "25/inet 0 1 0 0 100 smtpd @:25\n", NULL },
	{ "inet_interfaces loopback-only: v4 and v6", "loopback-only",
	    "25 inet n - n - - smtpd\n",
	    "25/inet 0 1 0 0 100 smtpd @127.0.0.1:25 @[::1]:25\n", NULL },
	{ "inet_interfaces list, v6 bracketed, case folded",
	    "127.0.0.1, ::1 [::2] LOCALHOST",
	    "25 inet n - n - - smtpd\n",
	    "25/inet 0 1 0 0 100 smtpd @127.0.0.1:25 @[::1]:25 @[::2]:25 "
	    "@localhost:25\n", NULL },

	/* Bad lines: the file and the line are named. */
	{ "missing columns", NULL,
	    "# x\nsmtp inet n - n - -\n",
	    NULL, "@CF@, line 2: expected \"service type private unpriv "
	    "chroot wakeup maxproc command\", found 7 fields" },
	{ "one field", NULL,
	    "smtp\n",
	    NULL, "@CF@, line 1: expected \"service type private unpriv "
	    "chroot wakeup maxproc command\", found 1 field" },
	{ "unknown type", NULL,
	    "smtp inet n - n - - smtpd\nsmtp fifo n - n - - smtpd\n",
	    NULL, "@CF@, line 2: service smtp: unsupported type \"fifo\" "
	    "(inet or unix)" },
	{ "the type is case sensitive", NULL,
	    "smtp INET n - n - - smtpd\n",
	    NULL, "@CF@, line 1: service smtp: unsupported type \"INET\" "
	    "(inet or unix)" },
	{ "a bad y/n column", NULL,
	    "smtp inet n maybe n - - smtpd\n",
	    NULL, "@CF@, line 1: service smtp: the private, unpriv and "
	    "chroot columns take y, n or -" },
	{ "a bad wakeup time", NULL,
	    "pickup unix n - n soon 1 pickup\n",
	    NULL, "@CF@, line 1: service pickup: bad wakeup time \"soon\"" },
	{ "a negative wakeup time", NULL,
	    "pickup unix n - n -5 1 pickup\n",
	    NULL, "@CF@, line 1: service pickup: bad wakeup time \"-5\"" },
	{ "a wakeup time with trailing junk", NULL,
	    "pickup unix n - n 60s 1 pickup\n",
	    NULL, "@CF@, line 1: service pickup: bad wakeup time \"60s\"" },
	{ "a wakeup time too large", NULL,
	    "pickup unix n - n 99999999999 1 pickup\n",
	    NULL, "@CF@, line 1: service pickup: bad wakeup time "
	    "\"99999999999\"" },
	{ "a bad process limit", NULL,
	    "smtp inet n - n - lots smtpd\n",
	    NULL, "@CF@, line 1: service smtp: bad process limit \"lots\"" },
	{ "'?' only after a wakeup time", NULL,
	    "smtp inet n - n - 5? smtpd\n",
	    NULL, "@CF@, line 1: service smtp: bad process limit \"5?\"" },
	{ "a wakeup time on an inet service", NULL,
	    "smtp inet n - n 60 1 smtpd\n",
	    NULL, "@CF@, line 1: service smtp: a wakeup time needs a unix "
	    "service" },
	{ "a wakeup time with maxproc 2", NULL,
	    "pickup unix n - n 60 2 pickup\n",
	    NULL, "@CF@, line 1: service pickup: a service with a wakeup "
	    "time runs one process: set maxproc to 1" },
	{ "-o without a value", NULL,
	    "smtp inet n - n - - smtpd -o\n",
	    NULL, "@CF@, line 1: service smtp: -o needs name=value" },
	{ "-o without '='", NULL,
	    "smtp inet n - n - - smtpd\n  -o smtpd_banner\n",
	    NULL, "@CF@, line 1: service smtp: -o needs name=value" },
	{ "-o with an empty name", NULL,
	    "smtp inet n - n - - smtpd -o =x\n",
	    NULL, "@CF@, line 1: service smtp: -o needs name=value" },
	{ "-oname without '='", NULL,
	    "smtp inet n - n - - smtpd -obanner\n",
	    NULL, "@CF@, line 1: service smtp: -obanner: expected -o "
	    "name=value" },
	{ "{ } arguments", NULL,
	    "smtp inet n - n - - smtpd { -o a=b }\n",
	    NULL, "@CF@, line 1: service smtp: arguments in { } are not "
	    "supported" },
	{ "a command with a path", NULL,
	    "smtp inet n - n - - /bin/sh\n",
	    NULL, "@CF@, line 1: service smtp: the command \"/bin/sh\" must "
	    "be a program name in daemon_directory" },
	{ "a command starting with '.'", NULL,
	    "smtp inet n - n - - ..\n",
	    NULL, "@CF@, line 1: service smtp: the command \"..\" must be a "
	    "program name in daemon_directory" },
	{ "a command starting with '-'", NULL,
	    "smtp inet n - n - - -v\n",
	    NULL, "@CF@, line 1: service smtp: the command \"-v\" must be a "
	    "program name in daemon_directory" },
	{ "a unix service name with '/'", NULL,
	    "../x unix - - n - - qmgr\n",
	    NULL, "@CF@, line 1: bad service name \"../x\"" },
	{ "a unix service name starting with '.'", NULL,
	    ".hidden unix - - n - - qmgr\n",
	    NULL, "@CF@, line 1: bad service name \".hidden\"" },
	{ "a continuation line first", NULL,
	    "# top\n  -o a=b\nsmtp inet n - n - - smtpd\n",
	    NULL, "@CF@, line 2: a continuation line with nothing to "
	    "continue" },
	{ "a duplicate service names both lines", NULL,
	    "smtp inet n - n - - smtpd\n\nsmtp inet n - n - - smtpd -v\n",
	    NULL, "@CF@, line 3: service smtp/inet is already defined on "
	    "line 1" },
	{ "an error in a continued line names its first line", NULL,
	    "smtp inet n - n - - smtpd\nsubmission inet n - n - - smtpd\n"
	    "  -o a=b\n  -o broken\n",
	    NULL, "@CF@, line 2: service submission: -o needs name=value" },
	{ "a bad line after good ones returns nothing", NULL,
	    "smtp inet n - n - - smtpd\nqmgr unix n - n x 1 qmgr\n",
	    NULL, "@CF@, line 2: service qmgr: bad wakeup time \"x\"" },
	{ "inet_interfaces empty", "",
	    "25 inet n - n - - smtpd\n",
	    NULL, "@CF@, line 1: service 25: inet_interfaces is empty" },
};

/* summary - one line per service, as the table writes it */
static void
summary(const struct master_serv *list, struct buf *out)
{
	const struct master_serv *s;
	int i;

	buf_reset(out);
	for (s = list; s != NULL; s = s->next) {
		buf_appendf(out, "%s/%s %d %d %d %d %d %s", s->name,
		    s->type == MASTER_INET ? "inet" : "unix", s->private,
		    s->unpriv, s->chroot, s->wakeup, s->maxproc, s->command);
		for (i = 0; i < s->nargs; i++)
			buf_appendf(out, " %s", s->args[i]);
		for (i = 0; i < s->nlisteners; i++)
			buf_appendf(out, " @%s", s->listeners[i]->addr);
		buf_putc(out, '\n');
	}
}

/* write_cf - replace master.cf */
static void
write_cf(const char *text)
{
	FILE *fp = fopen(cf, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) == EOF) {
		perror(cf);
		exit(1);
	}
}

/* run_case - read one master.cf and compare */
static void
run_case(const struct mcf_case *c)
{
	struct master_serv *list = (struct master_serv *)1;
	struct buf *why = buf_new(64, 0), *got = buf_new(256, 0);
	struct buf *want = buf_new(256, 0);
	const char *at;
	int r;

	var_inet_interfaces = (char *)(c->iface ? c->iface : "127.0.0.1");
	write_cf(c->text);
	r = master_conf_read(cf, &list, why);
	if (c->err == NULL) {
		if (r != 0)
			printf("# error: %s\n", buf_str(why));
		summary(r == 0 ? list : NULL, got);
		is_str(buf_str(got), c->want, c->desc);
	} else {
		if ((at = strstr(c->err, "@CF@")) != NULL)
			buf_setf(want, "%.*s%s%s", (int)(at - c->err), c->err,
			    cf, at + 4);
		else
			buf_set(want, c->err);
		if (!is_str(r == 0 ? "(no error)" : buf_str(why),
		    buf_str(want), c->desc))
			printf("#   return %d\n", r);
		ok(r == -1 && list == NULL, "  -1 and no services");
	}
	master_conf_free(&list);
	buf_free(&why);
	buf_free(&got);
	buf_free(&want);
}

/* test_paths - the program path, the file and line kept per service */
static void
test_paths(void)
{
	struct master_serv *list = NULL;
	struct buf *why = buf_new(64, 0);

	var_inet_interfaces = "127.0.0.1";
	write_cf("# a\nsmtp inet n - n - - smtpd\n\nlocal unix - n n - - "
	    "local\n  -o x=y\n");
	if (!ok(master_conf_read(cf, &list, why) == 0, "read two services"))
		printf("#   why: %s\n", buf_str(why));
	if (list == NULL || list->next == NULL)
		return;
	is_str(list->path, "/d/smtpd", "path is daemon_directory/command");
	is_str(list->file, cf, "the file is kept");
	is_int(list->line, 2, "  and the line of the first service");
	is_int(list->next->line, 4, "  and of the second (continued)");
	is_int(list->status[0], -1, "no status pipe yet");
	ok(master_conf_same(list, list), "a service is the same as itself");
	ok(!master_conf_same(list, list->next), "  not as another");
	master_conf_free(&list);
	ok(list == NULL, "master_conf_free clears the list");

	/* A file that cannot be read. */
	buf_reset(why);
	ok(master_conf_read("/nonexistent/master.cf", &list, why) == -1 &&
	    list == NULL, "a missing master.cf fails");
	ok(strstr(buf_str(why), "/nonexistent/master.cf") != NULL,
	    "  naming the file");
	buf_free(&why);
}

/* test_long - long continued lines, a file over the cap, a NUL byte */
static void
test_long(void)
{
	struct master_serv *list = NULL;
	struct buf *why = buf_new(64, 0), *text = buf_new(1024, 0);
	struct buf *want = buf_new(64, 0);
	int i, r;

	buf_puts(text, "smtp inet n - n - - smtpd\n");
	for (i = 0; i < 40000; i++)
		buf_puts(text, "  -o x=y\n");	/* 360,000 bytes */
	buf_puts(text, "qmgr unix n - n - - qmgr\n");
	var_inet_interfaces = "127.0.0.1";
	write_cf(buf_str(text));
	ok(master_conf_read(cf, &list, why) == 0,
	    "a long continued line under 1 MB is read");
	is_int(list != NULL ? list->nargs : -1, 80000, "  with its 40000 -o");
	is_str(list != NULL && list->next != NULL ? list->next->name : NULL,
	    "qmgr", "  and the line after it");
	master_conf_free(&list);

	for (i = 0; i < 80000; i++)
		buf_puts(text, "  -o x=y\n");	/* 1,080,000 bytes */
	write_cf(buf_str(text));
	buf_setf(want, "%s: file is larger than %d bytes", cf, 1024 * 1024);
	r = master_conf_read(cf, &list, why);
	is_str(r == 0 ? "(no error)" : buf_str(why), buf_str(want),
	    "a master.cf over 1 MB");
	ok(r == -1 && list == NULL, "  -1 and no services");

	write_cf("smtp inet n - n - - smtpd\n");
	{
		FILE *fp = fopen(cf, "a");

		fputs("qmgr unix n - n - - qmgr", fp);
		fputc('\0', fp);
		fputs("\n", fp);
		fclose(fp);
	}
	buf_setf(want, "%s: file contains a NUL byte", cf);
	r = master_conf_read(cf, &list, why);
	is_str(r == 0 ? "(no error)" : buf_str(why), buf_str(want),
	    "a NUL byte");
	master_conf_free(&list);
	buf_free(&why);
	buf_free(&text);
	buf_free(&want);
}

int
main(void)
{
	size_t i;

	msg_init("master_conf.t", MSG_STDERR);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cf, sizeof(cf), "%s/master.cf", dir);
	var_queue_directory = "/q";
	var_daemon_directory = "/d";
	var_default_process_limit = 100;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_paths();
	test_long();

	unlink(cf);
	rmdir(dir);
	return done_testing();
}
