/*
 * alias - expansion of local aliases (alias_maps), shared by qmgr (which
 * routes and counts the deliveries) and local (which confirms that a
 * command or file it is asked to run comes from the aliases).
 *
 * An alias value is a comma list of addresses, "|command", "/file" and
 * ":include:/file" (double quotes protect commas: "|prog -a, -b").  An
 * address in the list is expanded again, up to ALIAS_DEPTH_MAX levels.  A
 * name already on the way down ends the expansion there: "ana: ana" (or
 * "ana: ana, bob") delivers to ana's own account, and a loop a -> b -> a
 * ends at a's account, or fails with 5.4.6 when a has none.
 *
 * Commands and files are trusted only from alias_maps themselves and from
 * :include: files owned by root or by the user we run as and writable by
 * nobody else; anywhere else they fail with 5.7.1, so that the owner of an
 * include file cannot run commands as default_privs.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alias.h"
#include "buf.h"
#include "msg.h"
#include "params.h"
#include "resolve.h"
#include "util.h"

struct alias_state {
	alias_fn	 fn;
	void		*ctx;
	char		*chain[ALIAS_DEPTH_MAX + 1]; /* names on the way down */
	int		 depth;
	int		 count;		/* targets so far */
	struct buf	*why;
};

static int alias_list(struct alias_state *, const char *, const char *, int);

/* alias_strip_extension - "ana+x@d" -> "ana@d" */
void
alias_strip_extension(const char *addr, struct buf *out)
{
	const char *at = strrchr(addr, '@');
	char *local;

	local = at ? xstrndup(addr, (size_t)(at - addr)) : xstrdup(addr);
	resolve_strip_extension(local);
	buf_set(out, local);
	if (at != NULL)
		buf_puts(out, at);
	free(local);
}

/* alias_emit - hand one target to the caller, counting */
static void
alias_emit(struct alias_state *s, int kind, const char *value,
    const char *via, const char *dsn)
{
	if (++s->count == ALIAS_TARGETS_MAX + 1) {
		s->fn(ALIAS_ERROR, "alias expansion has too many targets",
		    via, "5.4.6", s->ctx);
		return;
	}
	if (s->count > ALIAS_TARGETS_MAX)
		return;
	s->fn(kind, value, via, dsn, s->ctx);
}

/* alias_local - the lowercased local part of an address */
static char *
alias_local(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return lowercase(at ? xstrndup(addr, (size_t)(at - addr)) :
	    xstrdup(addr));
}

/* alias_in_chain - is this name already on the way down?  Its index. */
static int
alias_in_chain(struct alias_state *s, const char *name)
{
	int i;

	for (i = 0; i < s->depth; i++)
		if (strcmp(s->chain[i], name) == 0)
			return i;
	return -1;
}

/*
 * alias_addr - expand one address.  The local part is looked up as it is
 * ("ana+lists"), then without its extension ("ana"), as Postfix does.
 */
static int
alias_addr(struct alias_state *s, const char *addr)
{
	struct buf *value;
	char *full, *bare, *key;
	int i, r;

	if (resolve_class(addr) != RESOLVE_LOCAL) {
		alias_emit(s, ALIAS_ADDR, addr, addr, NULL);
		return 0;
	}
	full = alias_local(addr);
	bare = resolve_strip_extension(xstrdup(full));
	if ((i = alias_in_chain(s, full)) >= 0 ||
	    (i = alias_in_chain(s, bare)) >= 0) {
		/* Itself: its account.  Further up: a loop. */
		alias_emit(s, ALIAS_ADDR, addr, addr,
		    i == s->depth - 1 ? NULL : "5.4.6");
		r = 0;
		goto out;
	}
	if (s->depth >= ALIAS_DEPTH_MAX) {
		alias_emit(s, ALIAS_ERROR, "aliases nested too deeply "
		    "(alias loop?)", addr, "5.4.6");
		r = 0;
		goto out;
	}
	value = buf_new(256, 0);
	key = full;
	r = resolve_alias(key, value, s->why);
	if (r == 0 && strcmp(full, bare) != 0) {
		key = bare;
		r = resolve_alias(key, value, s->why);
	}
	if (r == 0)
		alias_emit(s, ALIAS_ADDR, addr, addr, NULL);
	else if (r > 0) {
		s->chain[s->depth++] = key;
		r = alias_list(s, buf_str(value), addr, 1);
		s->chain[--s->depth] = NULL;
	}
	buf_free(&value);
out:
	free(full);
	free(bare);
	return r < 0 ? -1 : 0;
}

/*
 * alias_qualified - expand an address from an alias list.  A bare name
 * ("ana") gets @$myorigin, as Postfix appends it, when that keeps it
 * local: the logs, Delivered-To: and bounces then name a full address.
 */
static int
alias_qualified(struct alias_state *s, const char *e)
{
	struct buf *full;
	int r;

	if (strchr(e, '@') != NULL || var_myorigin == NULL ||
	    *var_myorigin == '\0')
		return alias_addr(s, e);
	full = buf_new(256, 0);
	buf_setf(full, "%s@%s", e, var_myorigin);
	r = alias_addr(s, resolve_class(buf_str(full)) == RESOLVE_LOCAL ?
	    buf_str(full) : e);
	buf_free(&full);
	return r;
}

/* alias_read_include - an :include: file's text; -1 with why */
static char *
alias_read_include(const char *path, int *trusted, struct buf *why)
{
	struct stat st;
	char *text;
	ssize_t n;
	int fd;

	if (*path != '/') {
		buf_setf(why, ":include:%s: not an absolute path", path);
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		buf_setf(why, "open :include: file %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > ALIAS_INCLUDE_MAX) {
		buf_setf(why, ":include: file %s: %s", path,
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    "larger than 1 MB");
		close(fd);
		return NULL;
	}
	*trusted = (st.st_uid == 0 || st.st_uid == geteuid()) &&
	    (st.st_mode & 022) == 0;
	text = xmalloc((size_t)st.st_size + 1);
	n = read_full(fd, text, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		buf_setf(why, "read :include: file %s: %s", path,
		    strerror(errno));
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

/* alias_include - expand the list in an :include: file */
static int
alias_include(struct alias_state *s, const char *path, const char *via,
    int trusted)
{
	struct buf *key = buf_new(256, 0);
	char *text;
	int i, r, file_trusted = 0;

	buf_setf(key, ":include:%s", path);
	for (i = 0; i < s->depth; i++) {
		if (strcmp(s->chain[i], buf_str(key)) == 0) {
			buf_free(&key);
			return 0;	/* included twice on one path: once */
		}
	}
	if (s->depth >= ALIAS_DEPTH_MAX) {
		alias_emit(s, ALIAS_ERROR, ":include: files nested too deeply",
		    via, "5.4.6");
		buf_free(&key);
		return 0;
	}
	if ((text = alias_read_include(path, &file_trusted, s->why)) == NULL) {
		buf_free(&key);
		return -1;
	}
	s->chain[s->depth++] = buf_steal(&key);
	r = alias_list(s, text, via, trusted && file_trusted);
	free(s->chain[--s->depth]);
	s->chain[s->depth] = NULL;
	free(text);
	return r;
}

/* alias_element - one member of a list */
static int
alias_element(struct alias_state *s, char *e, const char *via, int trusted)
{
	size_t len;

	if (*e == '|' || *e == '/') {
		if (!trusted) {
			alias_emit(s, ALIAS_ERROR, *e == '|' ?
			    "a command in an untrusted :include: file" :
			    "a file in an untrusted :include: file", via,
			    "5.7.1");
			return 0;
		}
		if (*e == '|') {
			e = trim(e + 1);
			if (*e == '\0') {
				alias_emit(s, ALIAS_ERROR, "empty command in "
				    "alias", via, "5.3.5");
				return 0;
			}
			alias_emit(s, ALIAS_COMMAND, e, via, NULL);
		} else
			alias_emit(s, ALIAS_FILE, e, via, NULL);
		return 0;
	}
	if (strncasecmp(e, ":include:", 9) == 0)
		return alias_include(s, trim(e + 9), via, trusted);
	len = strlen(e);
	if (len >= 2 && e[0] == '<' && e[len - 1] == '>') {
		e[len - 1] = '\0';
		e = trim(e + 1);
	}
	if (*e == '\0')
		return 0;
	return alias_qualified(s, e);
}

/* alias_list - expand a comma (or line) separated list */
static int
alias_list(struct alias_state *s, const char *text, const char *via,
    int trusted)
{
	struct buf *e = buf_new(256, 0);
	const char *p = text;
	char *el;
	int quoted, r = 0;

	while (*p && r == 0) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '#') {	/* a comment line (include files) */
			p += strcspn(p, "\n");
			continue;
		}
		if (*p == '\0')
			break;
		buf_reset(e);
		for (quoted = 0; *p; p++) {
			if (*p == '"')
				quoted = !quoted;
			else if (*p == '\\' && quoted && p[1] != '\0')
				buf_putc(e, *++p);
			else if (!quoted && (*p == ',' || *p == '\n'))
				break;
			else
				buf_putc(e, *p);
		}
		el = trim(e->data);
		r = alias_element(s, el, via, trusted);
	}
	buf_free(&e);
	return r;
}

/*
 * alias_expand - call fn for each target of addr.  0, or -1 with
 * why when a table or :include: file could not be read (try later).
 */
int
alias_expand(const char *addr, alias_fn fn, void *ctx, struct buf *why)
{
	struct alias_state s;

	memset(&s, 0, sizeof(s));
	s.fn = fn;
	s.ctx = ctx;
	s.why = why;
	return alias_addr(&s, addr);
}

struct alias_confirm_state {
	int		 kind;
	const char	*target;
	int		 found;
};

/* alias_confirm_fn - look for the target among the expansion */
static void
alias_confirm_fn(int kind, const char *value, const char *via,
    const char *dsn, void *ctx)
{
	struct alias_confirm_state *c = ctx;

	if (kind == c->kind && strcmp(value, c->target) == 0)
		c->found = 1;
}

/* alias_confirm - does addr's expansion name this command or file? */
int
alias_confirm(const char *addr, int kind, const char *target,
    struct buf *why)
{
	struct alias_confirm_state c;

	c.kind = kind;
	c.target = target;
	c.found = 0;
	if (alias_expand(addr, alias_confirm_fn, &c, why) < 0)
		return -1;
	return c.found;
}
