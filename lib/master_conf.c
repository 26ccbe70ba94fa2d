/*
 * master_conf - master.cf, Postfix's service table.
 *
 * A logical line is
 *	service type private unpriv chroot wakeup maxproc command [args...]
 * where "-" takes the default (private y, unpriv y, chroot n, wakeup 0,
 * maxproc $default_process_limit, or 1 with a wakeup time).  Lines that
 * start with white space continue the one before; blank lines and lines
 * whose first non-white character is '#' are skipped.  Types are inet
 * (service "port", "host:port" or "[v6]:port"; without a host,
 * $inet_interfaces) and unix (a socket in $queue_directory/private or
 * public).  Arguments are passed to the command, "-o name=value" pairs
 * first.
 *
 * The file is root's, but it is still read with a size cap, and a bad line
 * stops the load with the file and line named.  master runs what it
 * reads; smtp (is a destination myself?), qmgr (an agent's process
 * limit) and cartero check read it too.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "master_conf.h"

#define MASTER_CF_MAX	(1024 * 1024)	/* bytes of master.cf */
#define MASTER_FIELDS	8

/* master_conf_flag - a y/n/- column */
static int
master_conf_flag(const char *s, int def)
{
	if (strcmp(s, "-") == 0)
		return def;
	if (strcmp(s, "y") == 0 || strcmp(s, "yes") == 0)
		return 1;
	if (strcmp(s, "n") == 0 || strcmp(s, "no") == 0)
		return 0;
	return -1;
}

/* master_conf_num - a numeric column; -1 if bad */
static int
master_conf_num(const char *s, int def, int allow_query)
{
	char	*end;
	long	 n;

	if (strcmp(s, "-") == 0)
		return def;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	/* Postfix's "60?" (no wakeup while unused): we always wake. */
	if (allow_query && *end == '?')
		end++;
	if (errno != 0 || *end != '\0' || n < 0 || n > INT_MAX / 1000)
		return -1;
	return (int)n;
}

/* master_serv_free - free one service (its fds are closed elsewhere) */
void
master_serv_free(struct master_serv *s)
{
	int	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nlisteners; i++) {
		free(s->listeners[i]->addr);
		free(s->listeners[i]);
	}
	free(s->listeners);
	strv_free(s->args, s->nargs);
	free(s->name);
	free(s->command);
	free(s->path);
	free(s->file);
	buf_free(&s->status_in);
	free(s);
}

/* master_conf_free - free a list of services */
void
master_conf_free(struct master_serv **list)
{
	struct master_serv *s, *next;

	for (s = *list; s != NULL; s = next) {
		next = s->next;
		master_serv_free(s);
	}
	*list = NULL;
}

/* master_conf_add_listener - one more address for a service */
static void
master_conf_add_listener(struct master_serv *s, const char *addr,
    int optional)
{
	struct master_listener *l;

	l = xcalloc(1, sizeof(*l));
	l->serv = s;
	l->addr = xstrdup(addr);
	l->fd = -1;
	l->optional = optional;
	s->listeners = xrealloc(s->listeners,
	    (size_t)(s->nlisteners + 1) * sizeof(*s->listeners));
	s->listeners[s->nlisteners++] = l;
}

/*
 * master_conf_addrs - the addresses a service listens on: an inet
 * service without a host gets one per $inet_interfaces entry.
 */
int
master_conf_addrs(struct master_serv *s, struct buf *why)
{
	struct buf	*addr;
	char		*list, *cp, *word;
	int		 ok = 0;

	addr = buf_new(128, 1024);
	if (s->type == MASTER_UNIX) {
		buf_setf(addr, "%s/%s/%s", var_queue_directory,
		    s->private ? "private" : "public", s->name);
		master_conf_add_listener(s, buf_str(addr), 0);
		goto done;
	}
	if (strchr(s->name, ':') != NULL) {
		master_conf_add_listener(s, s->name, 0);
		goto done;
	}
	list = xstrdup(var_inet_interfaces);
	for (cp = list; (word = mystrtok(&cp, ", \t\r\n")) != NULL; ) {
		lowercase(word);
		buf_reset(addr);
		if (strcmp(word, "all") == 0) {
			buf_setf(addr, ":%s", s->name);
			master_conf_add_listener(s, buf_str(addr), 0);
		} else if (strcmp(word, "loopback-only") == 0) {
			buf_setf(addr, "127.0.0.1:%s", s->name);
			master_conf_add_listener(s, buf_str(addr), 0);
			buf_setf(addr, "[::1]:%s", s->name);
			master_conf_add_listener(s, buf_str(addr), 1);
		} else if (*word == '[') {
			buf_setf(addr, "%s:%s", word, s->name);
			master_conf_add_listener(s, buf_str(addr), 0);
		} else if (strchr(word, ':') != NULL) {
			buf_setf(addr, "[%s]:%s", word, s->name);
			master_conf_add_listener(s, buf_str(addr), 0);
		} else {
			buf_setf(addr, "%s:%s", word, s->name);
			master_conf_add_listener(s, buf_str(addr), 0);
		}
	}
	free(list);
	if (s->nlisteners == 0) {
		buf_setf(why, "%s, line %d: service %s: inet_interfaces is "
		    "empty", s->file, s->line, s->name);
		goto out;
	}
done:
	if (buf_overflowed(addr)) {
		buf_setf(why, "%s, line %d: service %s: address too long",
		    s->file, s->line, s->name);
		goto out;
	}
	ok = 1;
out:
	buf_free(&addr);
	return ok ? 0 : -1;
}

/* master_conf_same - do two services listen on the same addresses? */
int
master_conf_same(const struct master_serv *a, const struct master_serv *b)
{
	int	 i;

	if (a->type != b->type || a->nlisteners != b->nlisteners)
		return 0;
	for (i = 0; i < a->nlisteners; i++)
		if (strcmp(a->listeners[i]->addr, b->listeners[i]->addr) != 0)
			return 0;
	return 1;
}

/* master_conf_args - the command's arguments: -o pairs first, then the rest */
static int
master_conf_args(struct master_serv *s, char **av, int ac, struct buf *why)
{
	char	**opts, **rest;
	int	  nopts = 0, nrest = 0, i;

	opts = xcalloc((size_t)ac * 2 + 1, sizeof(char *));
	rest = xcalloc((size_t)ac + 1, sizeof(char *));
	for (i = 0; i < ac; i++) {
		if (*av[i] == '{' || *av[i] == '}') {
			buf_setf(why, "%s, line %d: service %s: arguments in "
			    "{ } are not supported", s->file, s->line,
			    s->name);
			goto fail;
		}
		if (strcmp(av[i], "-o") == 0) {
			if (i + 1 >= ac || strchr(av[i + 1], '=') == NULL ||
			    *av[i + 1] == '=') {
				buf_setf(why, "%s, line %d: service %s: -o "
				    "needs name=value", s->file, s->line,
				    s->name);
				goto fail;
			}
			opts[nopts++] = xstrdup("-o");
			opts[nopts++] = xstrdup(av[++i]);
		} else if (strncmp(av[i], "-o", 2) == 0) {
			if (strchr(av[i] + 2, '=') == NULL || av[i][2] == '=') {
				buf_setf(why, "%s, line %d: service %s: %s: "
				    "expected -o name=value", s->file, s->line,
				    s->name, av[i]);
				goto fail;
			}
			opts[nopts++] = xstrdup("-o");
			opts[nopts++] = xstrdup(av[i] + 2);
		} else
			rest[nrest++] = xstrdup(av[i]);
	}
	s->args = xcalloc((size_t)(nopts + nrest) + 1, sizeof(char *));
	memcpy(s->args, opts, (size_t)nopts * sizeof(char *));
	memcpy(s->args + nopts, rest, (size_t)nrest * sizeof(char *));
	s->nargs = nopts + nrest;
	free(opts);
	free(rest);
	return 0;
fail:
	strv_free(opts, nopts);
	strv_free(rest, nrest);
	return -1;
}

/* master_conf_line - one logical line into a service */
static struct master_serv *
master_conf_line(const char *path, int line, char *text, struct buf *why)
{
	struct master_serv *s;
	char		**av, *cp, *word;
	int		  ac = 0, size = 16;

	av = xcalloc((size_t)size, sizeof(char *));
	for (cp = text; (word = mystrtok(&cp, " \t\r\n")) != NULL; ) {
		if (ac + 1 >= size) {
			size *= 2;
			av = xrealloc(av, (size_t)size * sizeof(char *));
		}
		av[ac++] = word;
	}
	s = xcalloc(1, sizeof(*s));
	s->file = xstrdup(path);
	s->line = line;
	s->status[0] = s->status[1] = -1;
	if (ac < MASTER_FIELDS) {
		buf_setf(why, "%s, line %d: expected \"service type private "
		    "unpriv chroot wakeup maxproc command\", found %d field%s",
		    path, line, ac, ac == 1 ? "" : "s");
		goto fail;
	}
	s->name = xstrdup(av[0]);
	if (strcmp(av[1], "inet") == 0)
		s->type = MASTER_INET;
	else if (strcmp(av[1], "unix") == 0)
		s->type = MASTER_UNIX;
	else {
		buf_setf(why, "%s, line %d: service %s: unsupported type "
		    "\"%s\" (inet or unix)", path, line, s->name, av[1]);
		goto fail;
	}
	if (*s->name == '\0' || strchr(s->name, '/') != NULL ||
	    (s->type == MASTER_UNIX && *s->name == '.')) {
		buf_setf(why, "%s, line %d: bad service name \"%s\"", path,
		    line, s->name);
		goto fail;
	}
	if ((s->private = master_conf_flag(av[2], 1)) < 0 ||
	    (s->unpriv = master_conf_flag(av[3], 1)) < 0 ||
	    (s->chroot = master_conf_flag(av[4], 0)) < 0) {
		buf_setf(why, "%s, line %d: service %s: the private, unpriv "
		    "and chroot columns take y, n or -", path, line, s->name);
		goto fail;
	}
	if (s->type == MASTER_INET)
		s->private = 0;		/* as Postfix: not meaningful */
	if ((s->wakeup = master_conf_num(av[5], 0, 1)) < 0) {
		buf_setf(why, "%s, line %d: service %s: bad wakeup time "
		    "\"%s\"", path, line, s->name, av[5]);
		goto fail;
	}
	if ((s->maxproc = master_conf_num(av[6], s->wakeup > 0 ? 1 :
	    (int)var_default_process_limit, 0)) < 0) {
		buf_setf(why, "%s, line %d: service %s: bad process limit "
		    "\"%s\"", path, line, s->name, av[6]);
		goto fail;
	}
	if (s->wakeup > 0 && s->type != MASTER_UNIX) {
		buf_setf(why, "%s, line %d: service %s: a wakeup time needs "
		    "a unix service", path, line, s->name);
		goto fail;
	}
	if (s->wakeup > 0 && s->maxproc != 1) {
		buf_setf(why, "%s, line %d: service %s: a service with a "
		    "wakeup time runs one process: set maxproc to 1", path,
		    line, s->name);
		goto fail;
	}
	if (*av[7] == '\0' || strchr(av[7], '/') != NULL ||
	    *av[7] == '.' || *av[7] == '-') {
		buf_setf(why, "%s, line %d: service %s: the command \"%s\" "
		    "must be a program name in daemon_directory", path, line,
		    s->name, av[7]);
		goto fail;
	}
	s->command = xstrdup(av[7]);
	{
		struct buf *p = buf_new(128, PATH_MAX);

		buf_setf(p, "%s/%s", var_daemon_directory, s->command);
		s->path = buf_steal(&p);
	}
	if (master_conf_args(s, av + MASTER_FIELDS, ac - MASTER_FIELDS,
	    why) < 0)
		goto fail;
	if (master_conf_addrs(s, why) < 0)
		goto fail;
	free(av);
	return s;
fail:
	free(av);
	master_serv_free(s);
	return NULL;
}

/* master_conf_find - the service of that type and name in list, or NULL */
const struct master_serv *
master_conf_find(const struct master_serv *list, enum master_type type,
    const char *name)
{
	for (; list != NULL; list = list->next)
		if (list->type == type && strcmp(list->name, name) == 0)
			return list;
	return NULL;
}

/* master_conf_flush - turn the logical line held so far into a service */
static int
master_conf_flush(const char *path, int start, struct buf *logical,
    struct master_serv *head, struct master_serv ***tail, struct buf *why)
{
	struct master_serv *s;
	const struct master_serv *dup;

	if (buf_len(logical) == 0)
		return 0;
	if (buf_overflowed(logical)) {
		buf_setf(why, "%s, line %d: the line is too long", path, start);
		return -1;
	}
	if ((s = master_conf_line(path, start, logical->data, why)) == NULL)
		return -1;
	if ((dup = master_conf_find(head, s->type, s->name)) != NULL) {
		buf_setf(why, "%s, line %d: service %s/%s is already defined "
		    "on line %d", path, start, s->name,
		    s->type == MASTER_INET ? "inet" : "unix", dup->line);
		master_serv_free(s);
		return -1;
	}
	**tail = s;
	*tail = &s->next;
	buf_reset(logical);
	return 0;
}

/*
 * master_conf_read - parse master.cf at path into a list of services.
 * 0, or -1 with "FILE, line N: ..." in why and nothing returned.
 */
int
master_conf_read(const char *path, struct master_serv **list,
    struct buf *why)
{
	struct master_serv *head = NULL, **tail = &head;
	struct buf	*text, *logical;
	char		*cp, *p, *q;
	int		 lineno = 0, start = 0;

	*list = NULL;
	if ((text = file_slurp(path, MASTER_CF_MAX, why)) == NULL)
		return -1;
	logical = buf_new(1024, MASTER_CF_MAX);
	for (cp = text->data; cp != NULL; ) {
		p = strsep(&cp, "\n");
		lineno++;
		/* Blank and comment lines are skipped and end nothing. */
		q = p + strspn(p, " \t\r");
		if (*q == '\0' || *q == '#')
			continue;
		if (q != p) {
			if (buf_len(logical) == 0) {
				buf_setf(why, "%s, line %d: a continuation "
				    "line with nothing to continue", path,
				    lineno);
				goto fail;
			}
			buf_putc(logical, ' ');
			buf_puts(logical, q);
			continue;
		}
		if (master_conf_flush(path, start, logical, head, &tail,
		    why) < 0)
			goto fail;
		buf_puts(logical, p);
		start = lineno;
	}
	if (master_conf_flush(path, start, logical, head, &tail, why) < 0)
		goto fail;
	buf_free(&text);
	buf_free(&logical);
	*list = head;
	return 0;
fail:
	buf_free(&text);
	buf_free(&logical);
	master_conf_free(&head);
	return -1;
}
