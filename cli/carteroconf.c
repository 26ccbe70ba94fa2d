/*
 * carteroconf - show and edit main.cf, with postconf's habits.
 *
 *	carteroconf [-c dir] [-d | -n] [-hx] [name ...]
 *	carteroconf [-c dir] -e 'name = value' ...
 *	carteroconf [-c dir] -X name ...
 *	carteroconf -m
 *
 * Without options every parameter of the table is printed as "name = value"
 * with the value in force (unexpanded, as written); -n shows only what
 * main.cf sets, -d the defaults, -h values alone, -x expanded values.  -e and
 * -X edit main.cf in place: other lines, comments and their order are kept,
 * the new file is written beside the old one, flushed to disk, and renamed
 * over it, so a crash leaves either the old file or the new one.  A value
 * that does not suit a known parameter's type leaves main.cf unchanged.
 * -m prints cartero.conf(5), made from the same parameter table.
 *
 * Called by the name postconf (the symbolic link of the compatibility
 * package), it says so in its messages and usage, and -m lists the
 * lookup table types, as postconf -m does; the other options are the
 * same.  -v says what -e and -X change, line by line.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "buf.h"
#include "conf.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "util.h"

#ifndef CARTERO_SYSCONFDIR
#define CARTERO_SYSCONFDIR	"/etc/cartero"
#endif

#define CARTEROCONF_FILE_MAX	(4 * 1024 * 1024)

#define SHOW_NONDEFAULT	0x1		/* -n */
#define SHOW_DEFAULT	0x2		/* -d */
#define SHOW_VALUE_ONLY	0x4		/* -h */
#define SHOW_EXPAND	0x8		/* -x */

static const char *carteroconf_name = "carteroconf";	/* or postconf */

/* One physical line of main.cf, for editing. */
struct cc_line {
	char	*text;			/* without its \n */
	char	*name;			/* defined here, or NULL */
	int	 owner;			/* index of the defining line, or -1 */
	int	 drop;
};

/* One -e setting. */
struct cc_setting {
	char	*name;
	char	*value;
	int	 done;
};

/* usage - the synopsis, under the name we were called by, then exit 1 */
static void
usage(void)
{
	const char *n = carteroconf_name;

	fprintf(stderr,
	    "usage: %s [-v] [-c dir] [-d | -n] [-hx] [name ...]\n"
	    "       %s [-v] [-c dir] -e 'name = value' ...\n"
	    "       %s [-v] [-c dir] -X name ...\n"
	    "       %s -m\n", n, n, n, n);
	exit(1);
}

/* by_name - qsort comparison of name strings */
static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* by_param - qsort comparison of parameter table entries, by name */
static int
by_param(const void *a, const void *b)
{
	return strcmp((*(const struct param *const *)a)->name,
	    (*(const struct param *const *)b)->name);
}

/* is_known - a table parameter or a name set in main.cf */
static int
is_known(const char *name, int mode)
{
	if (param_find(name) != NULL)
		return 1;
	return (mode & SHOW_DEFAULT) == 0 && conf_raw(name) != NULL;
}

/* show - print one parameter as -h and -x ask */
static void
show(const char *name, const char *raw, int mode)
{
	struct buf *why;
	char *value = NULL;

	if (mode & SHOW_EXPAND) {
		why = buf_new(128, 0);
		if ((value = conf_expand(raw, why)) == NULL)
			msg_fatal("parameter %s: %s", name, buf_str(why));
		buf_free(&why);
		raw = value;
	}
	if (mode & SHOW_VALUE_ONLY)
		printf("%s\n", raw);
	else if (*raw == '\0')
		printf("%s =\n", name);
	else
		printf("%s = %s\n", name, raw);
	free(value);
}

/* show_table - every parameter of the table (or the named ones) */
static void
show_table(const char *dir, char **names, int mode)
{
	struct buf *why;
	const char **all;
	size_t i, n;

	if ((mode & SHOW_DEFAULT) == 0) {
		why = buf_new(256, 0);
		if (conf_load(dir, NULL, why) < 0)
			msg_fatal("%s", buf_str(why));
		buf_free(&why);
	}
	if (*names != NULL) {
		for (; *names != NULL; names++) {
			if (!is_known(*names, mode))
				msg_warn("unknown parameter: %s", *names);
			else
				show(*names, conf_raw(*names), mode);
		}
		return;
	}
	for (n = 0; param_table[n].name != NULL; n++)
		;
	all = xcalloc(n, sizeof(*all));
	for (i = 0; i < n; i++)
		all[i] = param_table[i].name;
	qsort(all, n, sizeof(*all), by_name);
	for (i = 0; i < n; i++)
		show(all[i], conf_raw(all[i]), mode);
	free(all);
}

/* show_file - what main.cf sets (-n) */
static void
show_file(const char *dir, char **names, int mode)
{
	struct conf_file cf;
	struct buf *path, *why;
	char **set;
	int i, n;

	path = buf_new(256, 0);
	why = buf_new(256, 0);
	buf_setf(path, "%s/main.cf", dir);
	if (mode & SHOW_EXPAND) {
		/* Expansion needs every value in force, checked. */
		if (conf_load(dir, NULL, why) < 0)
			msg_fatal("%s", buf_str(why));
	}
	if (conf_file_read(buf_str(path), &cf, why) < 0)
		msg_fatal("%s", buf_str(why));
	if (*names != NULL) {
		for (; *names != NULL; names++) {
			if (conf_file_get(&cf, *names) != NULL)
				show(*names, conf_file_get(&cf, *names), mode);
			else if (param_find(*names) == NULL)
				msg_warn("unknown parameter: %s", *names);
		}
	} else {
		set = xcalloc((size_t)cf.count + 1, sizeof(*set));
		for (i = n = 0; i < cf.count; i++) {
			if ((mode & SHOW_EXPAND) == 0 &&
			    !conf_known(cf.entries[i].name))
				msg_warn("%s, line %d: unknown parameter %s",
				    cf.path, cf.entries[i].line,
				    cf.entries[i].name);
			set[n++] = cf.entries[i].name;
		}
		qsort(set, (size_t)n, sizeof(*set), by_name);
		for (i = 0; i < n; i++)
			if (i == 0 || strcmp(set[i], set[i - 1]) != 0)
				show(set[i], conf_file_get(&cf, set[i]), mode);
		free(set);
	}
	conf_file_free(&cf);
	buf_free(&why);
	buf_free(&path);
}

/* roff - text with roff's special characters escaped */
static void
roff(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else
			putchar(*s);
	}
}

/* param_kind - a parameter's type in words, and its unit, for the man page */
static const char *
param_kind(const struct param *p, const char **unit)
{
	*unit = "";
	switch (p->type) {
	case PARAM_INT:
		return "whole number";
	case PARAM_TIME:
		*unit = " seconds";
		return "time";
	case PARAM_SIZE:
		*unit = " bytes";
		return "size";
	case PARAM_BOOL:
		return "yes or no";
	default:
		return NULL;
	}
}

/* man_page - cartero.conf(5), made from the parameter table */
static void
man_page(void)
{
	const struct param **all, *p;
	const char *kind, *unit;
	size_t i, n;

	for (n = 0; param_table[n].name != NULL; n++)
		;
	all = xcalloc(n, sizeof(*all));
	for (i = 0; i < n; i++)
		all[i] = &param_table[i];
	qsort(all, n, sizeof(*all), by_param);

	printf(".\\\" Made by carteroconf -m from the parameter table; "
	    "do not edit.\n");
	printf(".TH CARTERO.CONF 5 \"\" \"cartero %s\" \"File Formats\"\n",
	    PACKAGE_VERSION);
	printf(".SH NAME\n"
	    "cartero.conf \\- cartero's main.cf parameters\n"
	    ".SH SYNOPSIS\n");
	roff(CARTERO_SYSCONFDIR);
	printf("/main.cf\n"
	    ".PP\n"
	    "\\fBcarteroconf\\fR [\\fB\\-n\\fR | \\fB\\-d\\fR]"
	    " [\\fIname\\fR ...]\n"
	    ".SH DESCRIPTION\n"
	    "main.cf sets the parameters of every cartero program: the SMTP\n"
	    "server, the queue manager, local delivery, the commands.\n"
	    "It uses Postfix's syntax, and parameters carry Postfix's names\n"
	    "where the meaning is the same.\n"
	    ".IP \\(bu 2\n"
	    "A line \\fIname\\fR = \\fIvalue\\fR sets a parameter.\n"
	    "White space around the = and at the end of the line is ignored.\n"
	    "When a name is set twice, the last setting counts.\n"
	    ".IP \\(bu 2\n"
	    "A line that starts with white space continues the line before\n"
	    "it; the pieces are joined with one space.\n"
	    ".IP \\(bu 2\n"
	    "Blank lines, and lines whose first non-blank character is #,\n"
	    "are comments.\n"
	    "A # after a value is part of the value.\n"
	    ".IP \\(bu 2\n"
	    "\\fB$\\fIname\\fR, \\fB${\\fIname\\fB}\\fR and "
	    "\\fB$(\\fIname\\fB)\\fR are replaced by the value of another\n"
	    "parameter, when the value is used; the order of the lines does\n"
	    "not matter.\n"
	    "\\fB${\\fIname\\fB?\\fItext\\fB}\\fR gives \\fItext\\fR when\n"
	    "\\fIname\\fR is not empty, \\fB${\\fIname\\fB:\\fItext\\fB}\\fR\n"
	    "when it is empty; \\fB$$\\fR is a $.\n"
	    "A name that is not set gives the empty string;\n"
	    "a loop (a = $b, b = $a) is an error.\n"
	    ".IP \\(bu 2\n"
	    "Times are seconds, or a number with a unit: s (seconds),\n"
	    "m (minutes), h (hours), d (days), w (weeks).\n"
	    "Sizes are bytes, or a number with k, m or g (kibibytes,\n"
	    "mebibytes, gibibytes: 10m is 10485760).\n"
	    "A boolean is yes or no (true, false, 1 and 0 work too).\n"
	    ".IP \\(bu 2\n"
	    "Names that are not in the list below are kept (master.cf may\n"
	    "refer to them with $) but draw a warning.\n"
	    ".PP\n"
	    "A program reads main.cf once when it starts; after an edit run\n"
	    "\\fBcartero reload\\fR.\n"
	    "A value that does not suit its parameter, or a line that is not\n"
	    "\\fIname\\fR = \\fIvalue\\fR, stops the program with the file,\n"
	    "line and parameter named.\n"
	    "Every program takes \\fB\\-c\\fR \\fIdir\\fR to read\n"
	    "\\fIdir\\fR/main.cf instead; the environment variable\n"
	    "\\fBCARTERO_CONFIG_DIR\\fR does the same.\n"
	    "\\fBconfig_directory\\fR is always the directory read, whatever\n"
	    "main.cf says.\n"
	    ".SH PARAMETERS\n");
	for (i = 0; i < n; i++) {
		p = all[i];
		printf(".TP\n\\fB%s\\fR (default: ", p->name);
		if (strcmp(p->name, "config_directory") == 0)
			roff(CARTERO_SYSCONFDIR);
		else if (*p->def == '\0')
			fputs("empty", stdout);
		else
			roff(p->def);
		printf(")\n");
		roff(p->desc);
		putchar('\n');
		if ((kind = param_kind(p, &unit)) != NULL) {
			printf("Type: %s", kind);
			if (p->min != 0 && p->max != 0)
				printf(", from %lld to %lld%s", p->min, p->max,
				    unit);
			else if (p->min != 0)
				printf(", at least %lld%s", p->min, unit);
			printf(".\n");
		}
	}
	printf(".SH FILES\n"
	    ".TP\n");
	roff(CARTERO_SYSCONFDIR);
	printf("/main.cf\n"
	    "The parameters.\n"
	    ".TP\n");
	roff(CARTERO_SYSCONFDIR);
	printf("/master.cf\n"
	    "The services that master starts.\n"
	    ".SH SEE ALSO\n"
	    ".BR carteroconf (1),\n"
	    ".BR carteromap (1),\n"
	    ".BR sendmail (1),\n"
	    ".BR master.cf (5),\n"
	    ".BR cartero (8)\n");
	free(all);
}

/* show_map_types - postconf -m: the lookup table types, one a line */
static void
show_map_types(void)
{
	const char *p = MAP_TYPE_NAMES;
	size_t n;

	for (; *p != '\0'; p += n + strspn(p + n, " ")) {
		n = strcspn(p, " ");
		printf("%.*s\n", (int)n, p);
	}
}

/* read_text - a file's text (bounded); NULL with errno ENOENT if absent */
static char *
read_text(const char *path)
{
	struct buf *b;
	char chunk[8192];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return NULL;
		msg_fatal("open %s: %m", path);
	}
	b = buf_new(sizeof(chunk), CARTEROCONF_FILE_MAX);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			msg_fatal("read %s: %m", path);
		buf_append(b, chunk, (size_t)n);
		if (buf_overflowed(b))
			msg_fatal("%s: larger than %d bytes", path,
			    CARTEROCONF_FILE_MAX);
	}
	close(fd);
	return buf_steal(&b);
}

/* split_lines - main.cf's physical lines, each marked with what it defines */
static struct cc_line *
split_lines(char *text, int *count)
{
	struct cc_line *lines = NULL;
	char *line, *next, *p;
	size_t nlen;
	int n = 0, owner = -1;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lines = xrealloc(lines, (size_t)(n + 1) * sizeof(*lines));
		lines[n].text = line;
		lines[n].name = NULL;
		lines[n].owner = -1;
		lines[n].drop = 0;
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (*p == '\0' || *p == '#')
			;			/* comment or blank */
		else if (p != line)
			lines[n].owner = owner;	/* continuation */
		else if ((nlen = conf_name_len(line)) > 0 &&
		    line[nlen + strspn(line + nlen, " \t")] == '=') {
			lines[n].name = xstrndup(line, nlen);
			lines[n].owner = owner = n;
		} else
			owner = -1;		/* not a definition: kept */
		n++;
	}
	*count = n;
	return lines;
}

/* drop_definition - mark line i's definition, continuations included */
static void
drop_definition(struct cc_line *lines, int count, int i)
{
	int j;

	for (j = i; j < count; j++)
		if (lines[j].owner == i)
			lines[j].drop = 1;
}

/* write_file - replace path by text: temp file, fsync, rename, fsync dir */
static void
write_file(const char *path, const char *text, size_t len)
{
	struct buf *tmp;
	struct stat st;
	mode_t mode = 0644;
	int fd;

	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	tmp = buf_new(256, 0);
	buf_setf(tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp->data)) < 0)
		msg_fatal("create a temporary file beside %s: %m", path);
	if (fchmod(fd, mode) < 0 ||
	    (geteuid() == 0 && stat(path, &st) == 0 &&
	    fchown(fd, st.st_uid, st.st_gid) < 0) ||
	    write_full(fd, text, len) < 0 || fsync(fd) < 0) {
		msg_warn("write %s: %m", buf_str(tmp));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		msg_warn("write %s: %m", buf_str(tmp));
		goto fail;
	}
	fd = -1;
	if (rename(buf_str(tmp), path) < 0) {
		msg_warn("rename %s to %s: %m", buf_str(tmp), path);
		goto fail;
	}
	if (fsync_dir(path) < 0)
		msg_warn("fsync the directory of %s: %m", path);
	buf_free(&tmp);
	return;
fail:
	fd_close(&fd);
	unlink(buf_str(tmp));
	msg_fatal("%s is unchanged", path);
}

/* main_cf_path - DIR/main.cf, following a symbolic link to the real file */
static char *
main_cf_path(const char *dir)
{
	struct buf *path = buf_new(256, 0);
	char *real;

	buf_setf(path, "%s/main.cf", dir);
	if ((real = realpath(buf_str(path), NULL)) != NULL) {
		buf_free(&path);
		return real;
	}
	return buf_steal(&path);
}

/* parse_setting - split "name = value" or "name=value" */
static void
parse_setting(const char *arg, struct cc_setting *set)
{
	const char *eq;
	size_t nlen;

	nlen = conf_name_len(arg);
	for (eq = arg + nlen; *eq == ' ' || *eq == '\t'; eq++)
		;
	if (nlen == 0 || *eq != '=')
		msg_fatal("\"%s\": expected name = value", arg);
	if (strpbrk(arg, "\r\n") != NULL)
		msg_fatal("parameter %.*s: the value contains a line break",
		    (int)nlen, arg);
	set->name = xstrndup(arg, nlen);
	for (eq++; *eq == ' ' || *eq == '\t'; eq++)
		;
	set->value = xstrdup(eq);
	trim(set->value);		/* only the end: the start is clean */
	set->done = 0;
	if (strcmp(set->name, "config_directory") == 0)
		msg_warn("config_directory in main.cf is ignored: "
		    "the directory read is always the one in use (-c)");
	else if (!conf_known(set->name))
		msg_warn("unknown parameter: %s", set->name);
}

/* check_settings - refuse values that do not suit their parameters */
static void
check_settings(const char *dir, struct cc_setting *sets, int nsets,
    const char *path)
{
	struct buf *why = buf_new(256, 0);
	struct buf *o;
	char **ovr;
	int i;

	/* First against main.cf as it will be: the settings as overrides. */
	ovr = xcalloc((size_t)nsets + 1, sizeof(*ovr));
	for (i = 0; i < nsets; i++) {
		o = buf_new(128, 0);
		buf_setf(o, "%s=%s", sets[i].name, sets[i].value);
		ovr[i] = buf_steal(&o);
	}
	msg_set_flags(0);		/* main.cf's own warnings: not now */
	i = conf_load(dir, ovr, why);
	msg_set_flags(MSG_STDERR);
	if (i < 0) {
		if (strncmp(buf_str(why), "command line: ", 14) == 0)
			msg_fatal("%s; %s is unchanged", buf_str(why) + 14,
			    path);
		/* main.cf is already broken elsewhere: say so, and check the
		 * new values on their own so the edit can still fix it. */
		msg_warn("%s", buf_str(why));
	}
	for (i = 0; i < nsets; i++) {
		if (conf_check(sets[i].name, sets[i].value, why) < 0)
			msg_fatal("parameter %s: %s; %s is unchanged",
			    sets[i].name, buf_str(why), path);
		free(ovr[i]);
	}
	free(ovr);
	buf_free(&why);
}

/* edit - -e (settings) or -X (names to remove) */
static void
edit(const char *dir, char **args, int remove)
{
	struct cc_setting *sets;
	struct cc_line *lines;
	struct buf *out;
	char *path, *text;
	int i, j, count, nsets, changed = 0;

	if (*args == NULL)
		usage();
	path = main_cf_path(dir);
	for (nsets = 0; args[nsets] != NULL; nsets++)
		;
	sets = xcalloc((size_t)nsets, sizeof(*sets));
	for (i = 0; i < nsets; i++) {
		if (!remove)
			parse_setting(args[i], &sets[i]);
		else if (conf_name_len(args[i]) != strlen(args[i]) || !*args[i])
			msg_fatal("\"%s\" is not a parameter name", args[i]);
		else
			sets[i].name = xstrdup(args[i]);
	}
	if (!remove)
		check_settings(dir, sets, nsets, path);

	if ((text = read_text(path)) == NULL)
		text = xstrdup("");
	lines = split_lines(text, &count);
	out = buf_new(strlen(text) + 256, 0);
	for (i = 0; i < count; i++) {
		if (lines[i].name == NULL || lines[i].drop)
			continue;
		for (j = nsets - 1; j >= 0; j--)
			if (strcmp(sets[j].name, lines[i].name) == 0)
				break;
		if (j < 0)
			continue;
		drop_definition(lines, count, i);
		changed = 1;
		if (!remove && !sets[j].done) {
			/* The first definition becomes the new one. */
			lines[i].drop = 0;
			lines[i].text = NULL;
			sets[j].done = 1;
			msg_debug("%s, line %d: %s = %s", path, i + 1,
			    sets[j].name, sets[j].value);
		} else
			msg_debug("%s, line %d: %s removed", path, i + 1,
			    lines[i].name);
	}
	for (i = 0; i < count; i++) {
		if (lines[i].drop)
			continue;
		if (lines[i].text == NULL) {
			for (j = nsets - 1; strcmp(sets[j].name,
			    lines[i].name) != 0; j--)
				;
			buf_appendf(out, "%s = %s\n", sets[j].name,
			    sets[j].value);
		} else
			buf_appendf(out, "%s\n", lines[i].text);
	}
	for (i = 0; !remove && i < nsets; i++) {
		for (j = i + 1; j < nsets; j++)	/* the last -e of a name */
			if (strcmp(sets[i].name, sets[j].name) == 0)
				break;
		if (sets[i].done || j < nsets)
			continue;
		buf_appendf(out, "%s = %s\n", sets[i].name, sets[i].value);
		msg_debug("%s: %s = %s added at the end", path, sets[i].name,
		    sets[i].value);
		changed = 1;
	}
	if (changed) {
		write_file(path, buf_str(out), buf_len(out));
		msg_debug("%s: written (%zu bytes)", path, buf_len(out));
	} else
		msg_debug("%s: nothing to change", path);

	for (i = 0; i < count; i++)
		free(lines[i].name);
	free(lines);
	for (i = 0; i < nsets; i++) {
		free(sets[i].name);
		free(sets[i].value);
	}
	free(sets);
	buf_free(&out);
	free(text);
	free(path);
}

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	int ch, mode = 0, editing = 0, manual = 0;

	carteroconf_name = conf_command_name(argv[0], "carteroconf",
	    "postconf");
	while ((ch = getopt(argc, argv, "c:dehmnvxX")) != -1) {
		if (conf_option(ch, optarg, &dir))
			continue;
		switch (ch) {
		case 'd':
			mode |= SHOW_DEFAULT;
			break;
		case 'e':
		case 'X':
			if (editing && editing != ch)
				msg_fatal("-e and -X exclude each other");
			editing = ch;
			break;
		case 'h':
			mode |= SHOW_VALUE_ONLY;
			break;
		case 'm':
			manual = 1;
			break;
		case 'n':
			mode |= SHOW_NONDEFAULT;
			break;
		case 'x':
			mode |= SHOW_EXPAND;
			break;
		default:
			usage();
		}
	}
	argv += optind;
	if (dir == NULL)
		dir = conf_default_dir();
	if ((mode & SHOW_DEFAULT) && (mode & SHOW_NONDEFAULT))
		msg_fatal("-d and -n exclude each other");
	if ((editing || manual) && mode != 0)
		msg_fatal("-%c does not go with -d, -n, -h or -x",
		    manual ? 'm' : editing);
	if (editing && manual)
		msg_fatal("-m does not go with -%c", editing);

	if (manual) {
		if (*argv != NULL)
			usage();
		if (strcmp(carteroconf_name, "postconf") == 0)
			show_map_types();	/* postconf -m's meaning */
		else
			man_page();
	} else if (editing)
		edit(dir, argv, editing == 'X');
	else if (mode & SHOW_NONDEFAULT)
		show_file(dir, argv, mode);
	else
		show_table(dir, argv, mode);
	if (fflush(stdout) == EOF || ferror(stdout))
		msg_fatal("write to standard output: %m");
	return 0;
}
