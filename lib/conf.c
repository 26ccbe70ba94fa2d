/*
 * conf - main.cf in Postfix's syntax, and the values in force.
 *
 * A logical line is "name = value"; a physical line that starts with white
 * space continues the logical line before it (joined with one space); blank
 * lines and lines whose first non-white character is '#' are skipped and do
 * not end a logical line.  A '#' elsewhere is part of the value.  The last
 * definition of a name wins.
 *
 * Values in force come from, in rising order: the table's defaults, main.cf,
 * then -o overrides.  $name, ${name} and $(name) expand to the named value
 * (recursively); ${name?text} gives text when $name is not empty and
 * ${name:text} when it is; $$ is a literal $.  An undefined name expands to
 * nothing.  A loop, a syntax error, or a value that does not fit its type or
 * bounds fails the whole load with "FILE, line N: parameter NAME: ..." and
 * leaves the variables of a previous load untouched (a reload with a broken
 * main.cf keeps the old settings).
 *
 * main.cf is trusted (root's file) but still read with a size cap, and
 * expansion is capped in depth and length so that a careless "a = $b$b" chain
 * cannot exhaust memory.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "dec.h"
#include "conf.h"
#include "msg.h"
#include "params.h"
#include "util.h"

#ifndef CARTERO_SYSCONFDIR
#define CARTERO_SYSCONFDIR	"/etc/cartero"
#endif

#define CONF_FILE_MAX	(4 * 1024 * 1024)	/* a bigger main.cf: refused */
#define CONF_EXPAND_MAX	(1024 * 1024)		/* an expanded value */
#define CONF_DEPTH_MAX	64			/* $a -> $b -> ... */

/* One name and its raw value in force, with where it came from. */
struct conf_val {
	char	*name;
	char	*raw;
	char	*where;		/* "FILE, line N", "command line", "default" */
};

/* Every value in force: the table's parameters first, in table order. */
struct conf_state {
	char		*dir;
	struct conf_val	*vals;
	int		 count;
	int		 alloc;
};

static struct conf_state *conf_cur;	/* after conf_load(), or defaults */

/* Old string values of var_*: kept so that pointers taken before a reload
 * stay valid. */
static char	**conf_retired;
static size_t	  conf_nretired;

static int	conf_expand_str(struct conf_state *, const char *, struct buf *,
		    const char **, int, struct buf *);

/* conf_default_dir - $CARTERO_CONFIG_DIR, else the compiled-in directory */
const char *
conf_default_dir(void)
{
	const char *dir = getenv("CARTERO_CONFIG_DIR");

	return dir != NULL && *dir != '\0' ? dir : CARTERO_SYSCONFDIR;
}

/*
 * conf_command_name - the name a command runs under: compat (postconf,
 * postmap, as the compatibility package links them) when the last part
 * of argv0 is that name, else its own; its messages go to stderr under
 * that name
 */
const char *
conf_command_name(const char *argv0, const char *own, const char *compat)
{
	const char *slash = strrchr(argv0, '/');
	const char *name = own;

	if (strcmp(slash != NULL ? slash + 1 : argv0, compat) == 0)
		name = compat;
	msg_init(name, MSG_STDERR);
	return name;
}

/*
 * conf_option - the options of the commands about their configuration:
 * -c dir (the directory, into *dir), -v (a more verbose log); 1 when ch
 * is one of them, 0 when it is the command's own
 */
int
conf_option(int ch, const char *arg, const char **dir)
{
	switch (ch) {
	case 'c':
		*dir = arg;
		return 1;
	case 'v':
		msg_verbose++;
		return 1;
	default:
		return 0;
	}
}

/*
 * conf_load_real - conf_load() of directory dir (NULL: the default) by
 * its absolute path, given back in real (PATH_MAX bytes), for a command
 * that hands the directory on.  -1 with why.
 */
int
conf_load_real(const char *dir, char *real, struct buf *why)
{
	if (dir == NULL)
		dir = conf_default_dir();
	if (realpath(dir, real) == NULL) {
		buf_setf(why, "configuration directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	return conf_load(real, NULL, why);
}

/* conf_name_len - length of the parameter name at s (letters, digits, _) */
size_t
conf_name_len(const char *s)
{
	size_t n = 0;

	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

/* conf_file_add - append one entry to a parsed file */
static void
conf_file_add(struct conf_file *cf, const char *name, size_t nlen,
    const char *value, int line)
{
	struct conf_entry *e;

	cf->entries = xrealloc(cf->entries,
	    (size_t)(cf->count + 1) * sizeof(*cf->entries));
	e = &cf->entries[cf->count++];
	e->name = xstrndup(name, nlen);
	e->value = xstrdup(value);
	e->line = line;
}

/* conf_file_extend - join a continuation line to the last entry */
static void
conf_file_extend(struct conf_file *cf, const char *more)
{
	struct conf_entry *e = &cf->entries[cf->count - 1];
	struct buf *b = buf_new(strlen(e->value) + strlen(more) + 2, 0);

	buf_puts(b, e->value);
	if (*e->value != '\0')
		buf_putc(b, ' ');
	buf_puts(b, more);
	free(e->value);
	e->value = buf_steal(&b);
}

/* conf_file_parse - split text into logical name = value lines */
static int
conf_file_parse(struct conf_file *cf, char *text, struct buf *why)
{
	char *line, *next, *p, *value;
	size_t nlen;
	int cont, lineno = 0;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		cont = *line == ' ' || *line == '\t';
		p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if (cont) {
			if (cf->count == 0) {
				buf_setf(why, "%s, line %d: a continuation "
				    "line (starting with white space) comes "
				    "before any parameter", cf->path, lineno);
				return -1;
			}
			conf_file_extend(cf, p);
			continue;
		}
		nlen = conf_name_len(p);
		value = p + nlen;
		while (*value == ' ' || *value == '\t')
			value++;
		if (nlen == 0 || *value != '=') {
			buf_setf(why, "%s, line %d: expected \"name = value\", "
			    "found \"%.40s\"", cf->path, lineno, p);
			return -1;
		}
		value++;
		while (*value == ' ' || *value == '\t')
			value++;
		conf_file_add(cf, p, nlen, value, lineno);
	}
	return 0;
}

/*
 * conf_file_read - parse the main.cf at path.  A file that does not exist
 * reads as empty (every parameter at its default).
 */
int
conf_file_read(const char *path, struct conf_file *cf, struct buf *why)
{
	struct buf *text;
	int rc;

	memset(cf, 0, sizeof(*cf));
	cf->path = xstrdup(path);
	buf_reset(why);
	if ((text = file_slurp(path, CONF_FILE_MAX, why)) == NULL) {
		if (errno != ENOENT) {
			conf_file_free(cf);
			return -1;
		}
		buf_reset(why);		/* no main.cf: all defaults */
		return 0;
	}
	rc = conf_file_parse(cf, text->data, why);
	buf_free(&text);
	if (rc < 0)
		conf_file_free(cf);
	return rc;
}

/* conf_file_free - release what conf_file_read() made */
void
conf_file_free(struct conf_file *cf)
{
	int i;

	for (i = 0; i < cf->count; i++) {
		free(cf->entries[i].name);
		free(cf->entries[i].value);
	}
	free(cf->entries);
	free(cf->path);
	memset(cf, 0, sizeof(*cf));
}

/* conf_file_get - the raw value of the last definition of name, or NULL */
const char *
conf_file_get(const struct conf_file *cf, const char *name)
{
	int i;

	for (i = cf->count - 1; i >= 0; i--)
		if (strcmp(cf->entries[i].name, name) == 0)
			return cf->entries[i].value;
	return NULL;
}

/* conf_state_find - the value of name (len bytes) in force, or NULL */
static struct conf_val *
conf_state_find(struct conf_state *st, const char *name, size_t len)
{
	int i;

	for (i = 0; i < st->count; i++)
		if (strncmp(st->vals[i].name, name, len) == 0 &&
		    st->vals[i].name[len] == '\0')
			return &st->vals[i];
	return NULL;
}

/* conf_state_set - set name's raw value and where it came from */
static void
conf_state_set(struct conf_state *st, const char *name, const char *raw,
    const char *where)
{
	struct conf_val *v;

	if ((v = conf_state_find(st, name, strlen(name))) == NULL) {
		if (st->count == st->alloc) {
			st->alloc = st->alloc ? st->alloc * 2 : 64;
			st->vals = xrealloc(st->vals,
			    (size_t)st->alloc * sizeof(*st->vals));
		}
		v = &st->vals[st->count++];
		v->name = xstrdup(name);
	} else {
		free(v->raw);
		free(v->where);
	}
	v->raw = xstrdup(raw);
	v->where = xstrdup(where);
}

/* conf_state_free - release a state */
static void
conf_state_free(struct conf_state **stp)
{
	struct conf_state *st = *stp;
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < st->count; i++) {
		free(st->vals[i].name);
		free(st->vals[i].raw);
		free(st->vals[i].where);
	}
	free(st->vals);
	free(st->dir);
	free(st);
	*stp = NULL;
}

/* conf_state_new - every parameter at its default, config_directory = dir */
static struct conf_state *
conf_state_new(const char *dir)
{
	struct conf_state *st = xcalloc(1, sizeof(*st));
	const struct param *p;

	st->dir = xstrdup(dir);
	for (p = param_table; p->name != NULL; p++)
		conf_state_set(st, p->name, p->def, "default");
	conf_state_set(st, "config_directory", dir, "default");
	return st;
}

/* conf_expand_into - expand a value in force into a fresh capped buffer */
static struct buf *
conf_expand_into(struct conf_state *st, const char *s, const char **stack,
    int depth, struct buf *why)
{
	struct buf *out = buf_new(64, CONF_EXPAND_MAX);

	if (conf_expand_str(st, s, out, stack, depth, why) < 0) {
		buf_free(&out);
		return NULL;
	}
	return out;
}

/* conf_expand_name - append the expansion of one named value */
static int
conf_expand_name(struct conf_state *st, const char *name, size_t len,
    struct buf *out, const char **stack, int depth, struct buf *why)
{
	struct conf_val *v;
	int i;

	if ((v = conf_state_find(st, name, len)) == NULL)
		return 0;			/* undefined: empty */
	for (i = 0; i < depth; i++) {
		if (strcmp(stack[i], v->name) != 0)
			continue;
		buf_set(why, "expansion loop: ");
		for (i = 0; i < depth; i++)
			buf_appendf(why, "$%s -> ", stack[i]);
		buf_appendf(why, "$%s", v->name);
		return -1;
	}
	if (depth >= CONF_DEPTH_MAX) {
		buf_setf(why, "expansion nested deeper than %d levels",
		    CONF_DEPTH_MAX);
		return -1;
	}
	stack[depth] = v->name;
	return conf_expand_str(st, v->raw, out, stack, depth + 1, why);
}

/* conf_expand_cond - ${name?text} or ${name:text} */
static int
conf_expand_cond(struct conf_state *st, const char *name, size_t len, int op,
    const char *text, size_t tlen, struct buf *out, const char **stack,
    int depth, struct buf *why)
{
	struct buf *val;
	char *t;
	int empty, rc;

	val = buf_new(64, CONF_EXPAND_MAX);
	rc = conf_expand_name(st, name, len, val, stack, depth, why);
	empty = buf_len(val) == 0;
	buf_free(&val);
	if (rc < 0)
		return -1;
	if ((op == '?') == empty)
		return 0;
	t = xstrndup(text, tlen);
	rc = conf_expand_str(st, t, out, stack, depth, why);
	free(t);
	return rc;
}

/* conf_expand_str - append s to out with every $name expanded */
static int
conf_expand_str(struct conf_state *st, const char *s, struct buf *out,
    const char **stack, int depth, struct buf *why)
{
	const char *name, *text;
	size_t len;
	int open, close, nest, op;

	while (*s != '\0' && !buf_overflowed(out)) {
		if (*s != '$') {
			buf_putc(out, *s++);
			continue;
		}
		s++;
		if (*s == '$') {
			buf_putc(out, *s++);
			continue;
		}
		if (*s != '{' && *s != '(') {
			if ((len = conf_name_len(s)) == 0) {
				buf_setf(why, "\"$\" is not followed by a "
				    "parameter name (write $$ for a $)");
				return -1;
			}
			if (conf_expand_name(st, s, len, out, stack, depth,
			    why) < 0)
				return -1;
			s += len;
			continue;
		}
		open = *s++;
		close = open == '{' ? '}' : ')';
		name = s;
		if ((len = conf_name_len(s)) == 0) {
			buf_setf(why, "\"$%c\" is not followed by a parameter "
			    "name", open);
			return -1;
		}
		s += len;
		if (*s == close) {
			if (conf_expand_name(st, name, len, out, stack, depth,
			    why) < 0)
				return -1;
			s++;
			continue;
		}
		if (*s != '?' && *s != ':') {
			buf_setf(why, "\"$%c%.*s\" is not closed by \"%c\"",
			    open, (int)len, name, close);
			return -1;
		}
		op = *s++;
		text = s;
		for (nest = 0; *s != '\0'; s++) {
			if (*s == open)
				nest++;
			else if (*s == close && nest-- == 0)
				break;
		}
		if (*s != close) {
			buf_setf(why, "\"$%c%.*s%c\" is not closed by \"%c\"",
			    open, (int)len, name, op, close);
			return -1;
		}
		if (conf_expand_cond(st, name, len, op, text,
		    (size_t)(s - text), out, stack, depth, why) < 0)
			return -1;
		s++;
	}
	if (buf_overflowed(out)) {
		buf_setf(why, "value is longer than %d bytes after expansion",
		    CONF_EXPAND_MAX);
		return -1;
	}
	return 0;
}

/* conf_blame - rewrite why as "WHERE: parameter NAME: why" */
static void
conf_blame(struct buf *why, const char *where, const char *name)
{
	char *what = xstrdup(buf_str(why));

	buf_setf(why, "%s: parameter %s: %s", where, name, what);
	free(what);
}

/* conf_expand_param - expand the value in force of a named parameter */
static char *
conf_expand_param(struct conf_state *st, const char *name, struct buf *why)
{
	const char *stack[CONF_DEPTH_MAX + 1];
	struct buf *out = buf_new(64, CONF_EXPAND_MAX);

	if (conf_expand_name(st, name, strlen(name), out, stack, 0, why) < 0) {
		buf_free(&out);
		return NULL;
	}
	return buf_steal(&out);
}

/*
 * conf_state_hosts - the defaults of myhostname and mydomain, which depend
 * on the host: myhostname is the system's host name (with .$mydomain, or
 * .localdomain, added when it has no dot); mydomain is myhostname less its
 * first label, or localdomain.  On error why says which parameter.
 */
static int
conf_state_hosts(struct conf_state *st, struct buf *why)
{
	struct conf_val *host, *dom;
	struct buf *b;
	char *s, *dot;

	host = conf_state_find(st, "myhostname", strlen("myhostname"));
	dom = conf_state_find(st, "mydomain", strlen("mydomain"));
	if (*host->raw == '\0') {
		b = buf_new(256, 0);
		buf_puts(b, my_hostname());
		if (strchr(buf_str(b), '.') == NULL) {
			s = NULL;
			if (*dom->raw != '\0' && (s = conf_expand_param(st,
			    "mydomain", why)) == NULL) {
				buf_free(&b);
				conf_blame(why, dom->where, "mydomain");
				return -1;
			}
			buf_appendf(b, ".%s", s != NULL && *s != '\0' ? s :
			    "localdomain");
			free(s);
		}
		free(host->raw);
		host->raw = buf_steal(&b);
	}
	if (*dom->raw == '\0') {
		if ((s = conf_expand_param(st, "myhostname", why)) == NULL) {
			conf_blame(why, host->where, "myhostname");
			return -1;
		}
		dot = strchr(s, '.');
		free(dom->raw);
		dom->raw = xstrdup(dot != NULL && dot[1] != '\0' ? dot + 1 :
		    "localdomain");
		free(s);
	}
	return 0;
}

/* conf_number - digits with an optional unit from units (mult per unit) */
static int
conf_number(const char *s, const char *units, const long long *mult,
    long long *res)
{
	const char *u;
	unsigned long long v;
	long long n;

	if ((s = dec_scan(s, NULL, LLONG_MAX, &v)) == NULL)
		return -1;
	n = (long long)v;
	if (*s != '\0') {
		if (s[1] != '\0' ||
		    (u = strchr(units, tolower((unsigned char)*s))) == NULL)
			return -1;
		if (n > LLONG_MAX / mult[u - units])
			return -1;
		n *= mult[u - units];
	}
	*res = n;
	return 0;
}

/* conf_convert - check a parameter's expanded value against its type */
static int
conf_convert(const struct param *p, const char *value, long long *num,
    struct buf *why)
{
	static const long long time_mult[] = { 1, 60, 3600, 86400, 604800 };
	static const long long size_mult[] = { 1024, 1024 * 1024,
	    1024 * 1024 * 1024 };
	/* Numbers with a unit: a time, a size. */
	static const struct {
		const char	*units;
		const long long	*mult;
		const char	*what;
	} unit[] = {
		{ "smhdw", time_mult, "a time (a number with an optional unit "
		    "s, m, h, d or w)" },
		{ "kmg", size_mult, "a size (bytes, or a number with k, m or "
		    "g)" },
	};
	char *copy = xstrdup(value), *v = trim(copy);
	int neg, rc = 0, u;

	switch (p->type) {
	case PARAM_STR:
		break;
	case PARAM_INT:
		neg = *v == '-';
		if (conf_number(v + (neg || *v == '+'), "", NULL, num) < 0) {
			buf_setf(why, "\"%s\" is not a whole number", v);
			rc = -1;
		} else if (neg)
			*num = -*num;
		break;
	case PARAM_TIME:
	case PARAM_SIZE:
		u = p->type == PARAM_SIZE;
		if (conf_number(v, unit[u].units, unit[u].mult, num) < 0) {
			buf_setf(why, "\"%s\" is not %s", v, unit[u].what);
			rc = -1;
		}
		break;
	case PARAM_BOOL:
		if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
		    strcmp(v, "1") == 0)
			*num = 1;
		else if (strcasecmp(v, "no") == 0 ||
		    strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*num = 0;
		else {
			buf_setf(why, "\"%s\" is not yes or no", v);
			rc = -1;
		}
		break;
	}
	if (rc == 0 && p->type != PARAM_STR && p->type != PARAM_BOOL &&
	    (p->min != 0 || p->max != 0)) {
		if (*num < p->min) {
			buf_setf(why, "\"%s\" is below the minimum %lld", v,
			    p->min);
			rc = -1;
		} else if (p->max != 0 && *num > p->max) {
			buf_setf(why, "\"%s\" is above the maximum %lld", v,
			    p->max);
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

/* conf_override - apply one -o name=value */
static int
conf_override(struct conf_state *st, const char *arg, struct buf *why)
{
	const char *value;
	size_t nlen;
	char *name;

	while (*arg == ' ' || *arg == '\t')
		arg++;
	nlen = conf_name_len(arg);
	value = arg + nlen;
	while (*value == ' ' || *value == '\t')
		value++;
	if (nlen == 0 || *value != '=') {
		buf_setf(why, "command line: expected name=value, found \"%s\"",
		    arg);
		return -1;
	}
	value++;
	while (*value == ' ' || *value == '\t')
		value++;
	name = xstrndup(arg, nlen);
	if (strcmp(name, "config_directory") != 0) {
		conf_state_set(st, name, value, "command line");
		trim(conf_state_find(st, name, nlen)->raw);
	}
	free(name);
	return 0;
}

/* conf_retire - keep an old string value reachable (see conf_retired) */
static void
conf_retire(char *s)
{
	if (s == NULL)
		return;
	conf_retired = xrealloc(conf_retired,
	    (conf_nretired + 1) * sizeof(*conf_retired));
	conf_retired[conf_nretired++] = s;
}

/* conf_values - expand and check every parameter of the table */
static int
conf_values(struct conf_state *st, char **strs, long long *nums,
    struct buf *why)
{
	const char *stack[CONF_DEPTH_MAX + 1];
	const struct param *p;
	struct buf *out;
	int i;

	for (i = 0, p = param_table; p->name != NULL; i++, p++) {
		stack[0] = st->vals[i].name;
		out = conf_expand_into(st, st->vals[i].raw, stack, 1, why);
		if (out == NULL ||
		    conf_convert(p, buf_str(out), &nums[i], why) < 0) {
			conf_blame(why, st->vals[i].where, p->name);
			buf_free(&out);
			return -1;
		}
		strs[i] = buf_steal(&out);
	}
	return 0;
}

/* conf_commit - store checked values into the var_* variables */
static void
conf_commit(char **strs, const long long *nums)
{
	const struct param *p;
	int i;

	for (i = 0, p = param_table; p->name != NULL; i++, p++) {
		switch (p->type) {
		case PARAM_STR:
			conf_retire(*(char **)p->var);
			*(char **)p->var = strs[i];
			strs[i] = NULL;
			break;
		case PARAM_BOOL:
			*(int *)p->var = (int)nums[i];
			break;
		default:
			*(long long *)p->var = nums[i];
			break;
		}
	}
}

/*
 * conf_known - is name a parameter: in the table, or named after a
 * master.cf service (TRANSPORT_destination_recipient_limit,
 * _concurrency_limit), which any service may have?
 */
int
conf_known(const char *name)
{
	static const char *const suffixes[] = {
	    "_destination_recipient_limit",
	    "_destination_concurrency_limit", NULL };
	size_t len = strlen(name), slen;
	int i;

	if (param_find(name) != NULL)
		return 1;
	for (i = 0; suffixes[i] != NULL; i++) {
		slen = strlen(suffixes[i]);
		if (len > slen && strcmp(name + len - slen, suffixes[i]) == 0)
			return 1;
	}
	return 0;
}

/* conf_read - the state of DIR/main.cf plus overrides, or NULL and why */
static struct conf_state *
conf_read(const char *dir, char **overrides, struct buf *why)
{
	struct conf_state *st;
	struct conf_file cf;
	struct buf *b;
	int i;

	b = buf_new(256, 0);
	buf_setf(b, "%s/main.cf", dir);
	i = conf_file_read(buf_str(b), &cf, why);
	buf_free(&b);
	if (i < 0)
		return NULL;
	st = conf_state_new(dir);
	b = buf_new(256, 0);
	for (i = 0; i < cf.count; i++) {
		if (!conf_known(cf.entries[i].name))
			msg_warn("%s, line %d: unknown parameter %s",
			    cf.path, cf.entries[i].line, cf.entries[i].name);
		if (strcmp(cf.entries[i].name, "config_directory") == 0)
			continue;		/* always the directory read */
		buf_setf(b, "%s, line %d", cf.path, cf.entries[i].line);
		conf_state_set(st, cf.entries[i].name, cf.entries[i].value,
		    buf_str(b));
	}
	buf_free(&b);
	conf_file_free(&cf);
	for (i = 0; overrides != NULL && overrides[i] != NULL; i++)
		if (conf_override(st, overrides[i], why) < 0)
			goto bad;
	if (conf_state_hosts(st, why) < 0)
		goto bad;
	return st;
bad:
	conf_state_free(&st);
	return NULL;
}

/*
 * conf_load - read main.cf and -o overrides, check, fill the var_*.  On
 * error nothing changes.  Pointers from an earlier conf_raw() are not valid
 * after a successful load; var_* strings stay valid.
 */
int
conf_load(const char *dir, char **overrides, struct buf *why)
{
	struct conf_state *st;
	char **strs;
	long long *nums;
	int n, rc = -1;

	if (dir == NULL)
		dir = conf_default_dir();
	if ((st = conf_read(dir, overrides, why)) == NULL)
		return -1;
	for (n = 0; param_table[n].name != NULL; n++)
		;
	strs = xcalloc((size_t)n, sizeof(*strs));
	nums = xcalloc((size_t)n, sizeof(*nums));
	if (conf_values(st, strs, nums, why) == 0) {
		conf_commit(strs, nums);
		conf_state_free(&conf_cur);
		conf_cur = st;
		st = NULL;
		buf_reset(why);
		rc = 0;
	}
	strv_free(strs, n);
	free(nums);
	conf_state_free(&st);
	return rc;
}

/* conf_current - the state in force: the last load, else the defaults */
static struct conf_state *
conf_current(void)
{
	struct buf *why;

	if (conf_cur == NULL) {
		conf_cur = conf_state_new(CARTERO_SYSCONFDIR);
		why = buf_new(128, 0);
		if (conf_state_hosts(conf_cur, why) < 0)
			msg_panic("%s: %s", __func__, buf_str(why));
		buf_free(&why);
	}
	return conf_cur;
}

/* conf_dir - the configuration directory in use */
const char *
conf_dir(void)
{
	return conf_cur != NULL ? conf_cur->dir : conf_default_dir();
}

/* conf_raw - the unexpanded value in force of name, or NULL if unset */
const char *
conf_raw(const char *name)
{
	struct conf_val *v;

	v = conf_state_find(conf_current(), name, strlen(name));
	return v != NULL ? v->raw : NULL;
}

/* conf_expand - expand $name references in s against the values in force */
char *
conf_expand(const char *s, struct buf *why)
{
	const char *stack[CONF_DEPTH_MAX + 1];
	struct buf *out;

	out = conf_expand_into(conf_current(), s, stack, 0, why);
	return out != NULL ? buf_steal(&out) : NULL;
}

/* conf_check - would value suit the named parameter? (for carteroconf -e) */
int
conf_check(const char *name, const char *value, struct buf *why)
{
	const struct param *p;
	long long num;
	char *s;
	int rc;

	if ((p = param_find(name)) == NULL)
		return 0;
	if ((s = conf_expand(value, why)) == NULL)
		return -1;
	rc = conf_convert(p, s, &num, why);
	free(s);
	return rc;
}

/*
 * conf_int - the integer value in force of any parameter, in the table or
 * not (TRANSPORT_destination_recipient_limit): 1 with *out, 0 when it is
 * not set, -1 with why when it is not an integer in [min, max].
 */
int
conf_int(const char *name, long long min, long long max, long long *out,
    struct buf *why)
{
	unsigned long long n;
	const char *raw;
	char *s, *t;
	int rc = 1;

	if ((raw = conf_raw(name)) == NULL)
		return 0;
	if ((s = conf_expand(raw, why)) == NULL)
		return -1;
	t = trim(s);
	if (dec_parse(t, strlen(t), (unsigned long long)max, &n) < 0 ||
	    (long long)n < min) {
		buf_setf(why, "parameter %s: \"%s\" is not a number from %lld "
		    "to %lld", name, t, min, max);
		rc = -1;
	} else
		*out = (long long)n;
	free(s);
	return rc;
}
