/*
 * pipe_argv - the master.cf attributes of a pipe service, and argv='s
 * macros expanded into the command's arguments.
 *
 * The attributes come after the program in master.cf, split on blanks as
 * master gives them: flags=, user=USER[:GROUP] (required; never root and
 * never mail_owner), size=, eol=, null_sender=, and last argv=, whose
 * value and every word after it are the command and its arguments.
 *
 * In argv, ${name}, $(name) and $name expand; $$ is one $.  Each argument
 * is expanded on its own and stays one argument, whatever the values hold
 * (spaces, quotes, ;, $( ), `): no shell ever sees them.  An argument that
 * names a recipient's macro (recipient, original_recipient, user,
 * extension, mailbox, domain) becomes one argument per recipient of the
 * request, as in Postfix.  An unknown macro is a configuration error.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dec.h"
#include "deliver.h"
#include "params.h"
#include "pipe.h"
#include "privs.h"
#include "resolve.h"
#include "util.h"

#define PIPE_ARGV_MAX	(DELIVER_RCPT_MAX * 4 + 256)	/* arguments */
#define PIPE_ARG_MAX	8192		/* bytes of one argument */

/* The macros; RCPT: one argument per recipient. */
enum pipe_macro {
	PIPE_M_SENDER, PIPE_M_NEXTHOP, PIPE_M_SIZE, PIPE_M_RECIPIENT,
	PIPE_M_ORIG, PIPE_M_USER, PIPE_M_EXTENSION, PIPE_M_MAILBOX,
	PIPE_M_DOMAIN
};
#define PIPE_M_RCPT	PIPE_M_RECIPIENT	/* this one and those after */

static const char *const pipe_macro_names[] = {
	"sender", "nexthop", "size", "recipient", "original_recipient",
	"user", "extension", "mailbox", "domain", NULL
};

static const char pipe_flag_letters[] = "BDFORXhqu.>";

/* pipe_attr_init - an empty attribute set */
void
pipe_attr_init(struct pipe_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->name = buf_new(32, 256);
	a->home = buf_new(64, 4096);
	a->shell = buf_new(32, 4096);
	a->eol = buf_new(4, 16);
	a->null_sender = buf_new(16, 1024);
}

/* pipe_attr_free - forget an attribute set */
void
pipe_attr_free(struct pipe_attr *a)
{
	buf_free(&a->name);
	buf_free(&a->home);
	buf_free(&a->shell);
	buf_free(&a->eol);
	buf_free(&a->null_sender);
}

/* pipe_attr_flags - flags=letters */
static int
pipe_attr_flags(struct pipe_attr *a, const char *s, struct buf *why)
{
	const char *p;

	for (; *s; s++) {
		if ((p = strchr(pipe_flag_letters, *s)) == NULL) {
			buf_setf(why, "flags=: unknown flag '%c'", *s);
			return -1;
		}
		a->flags |= 1 << (p - pipe_flag_letters);
	}
	return 0;
}

/* pipe_attr_eol - eol=, with \r \n \t \\ */
static int
pipe_attr_eol(struct pipe_attr *a, const char *s, struct buf *why)
{
	buf_reset(a->eol);
	for (; *s; s++) {
		if (*s != '\\')
			buf_putc(a->eol, *s);
		else if (*++s == 'r')
			buf_putc(a->eol, '\r');
		else if (*s == 'n')
			buf_putc(a->eol, '\n');
		else if (*s == 't')
			buf_putc(a->eol, '\t');
		else if (*s == '\\')
			buf_putc(a->eol, '\\');
		else {
			buf_setf(why, "eol=: unknown escape");
			return -1;
		}
	}
	if (buf_len(a->eol) == 0 || buf_overflowed(a->eol)) {
		buf_setf(why, "eol=: empty or too long");
		return -1;
	}
	return 0;
}

/*
 * pipe_attr_user - user=USER[:GROUP]: the uid and gid the command runs
 * as, never root's and never mail_owner's (who could then change the
 * queue through the command), with the user's home and shell.
 */
static int
pipe_attr_user(struct pipe_attr *a, const char *s, struct buf *why)
{
	struct buf *name = buf_new(32, 256);
	const char *colon = strchr(s, ':');
	struct passwd *pw;
	struct group *gr;
	uid_t owner;
	gid_t ogid;
	int rc = -1;

	a->user = s;
	buf_append(name, s, colon ? (size_t)(colon - s) : strlen(s));
	errno = 0;
	if (buf_len(name) == 0 || (pw = getpwnam(buf_str(name))) == NULL) {
		buf_setf(why, "user=%s: unknown user", s);
		goto out;
	}
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	buf_set(a->name, pw->pw_name);
	buf_set(a->home, pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
	buf_set(a->shell, pw->pw_shell && *pw->pw_shell ? pw->pw_shell :
	    "/bin/sh");
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL) {
			buf_setf(why, "user=%s: unknown group", s);
			goto out;
		}
		a->gid = gr->gr_gid;
	}
	if (a->uid == 0 || a->gid == 0) {
		buf_setf(why, "user=%s: the command must not run as root", s);
		goto out;
	}
	if (privs_lookup(var_mail_owner, &owner, &ogid, why) == 0 &&
	    a->uid == owner) {
		buf_setf(why, "user=%s: the command must not run as mail_owner "
		    "(%s)", s, var_mail_owner);
		goto out;
	}
	buf_reset(why);
	rc = 0;
out:
	buf_free(&name);
	return rc;
}

/* pipe_attr_parse - read master.cf's attributes: 0, or -1 with why */
int
pipe_attr_parse(struct pipe_attr *a, char **args, struct buf *why)
{
	unsigned long long num;
	const char *v;
	int i;

	buf_set(a->eol, "\n");
	buf_set(a->null_sender, "MAILER-DAEMON");
	for (i = 0; args[i] != NULL; i++) {
		if (strncmp(args[i], "argv=", 5) == 0) {
			a->argv = args + i;
			for (a->argc = 0; args[i + a->argc] != NULL; a->argc++)
				;
			break;
		}
		v = strchr(args[i], '=');
		if (v == NULL) {
			buf_setf(why, "\"%s\": expected name=value", args[i]);
			return -1;
		}
		v++;
		if (strncmp(args[i], "flags=", 6) == 0) {
			if (pipe_attr_flags(a, v, why) < 0)
				return -1;
		} else if (strncmp(args[i], "user=", 5) == 0) {
			if (pipe_attr_user(a, v, why) < 0)
				return -1;
		} else if (strncmp(args[i], "size=", 5) == 0) {
			if (dec_parse(v, strlen(v), LLONG_MAX, &num) < 0) {
				buf_setf(why, "size=%s: not a number", v);
				return -1;
			}
			a->size_limit = (long long)num;
		} else if (strncmp(args[i], "eol=", 4) == 0) {
			if (pipe_attr_eol(a, v, why) < 0)
				return -1;
		} else if (strncmp(args[i], "null_sender=", 12) == 0)
			buf_set(a->null_sender, v);
		else {
			buf_setf(why, "\"%s\": unknown attribute", args[i]);
			return -1;
		}
	}
	if (a->user == NULL) {
		buf_set(why, "user= is required");
		return -1;
	}
	if (a->argv == NULL || a->argv[0][5] == '\0') {
		buf_set(why, "argv= is required (last)");
		return -1;
	}
	return 0;
}

/* pipe_quote_local - an RFC 822 local part, quoted if it must be */
static void
pipe_quote_local(struct buf *out, const char *s, size_t len)
{
	static const char specials[] = "()<>@,;:\\\".[] ";
	size_t i;
	int quote = len == 0 || s[0] == '.' || s[len - 1] == '.';

	for (i = 0; i < len && !quote; i++)
		quote = ((unsigned char)s[i] < 33 || s[i] == 127 ||
		    (s[i] != '.' && strchr(specials, s[i]) != NULL) ||
		    (s[i] == '.' && i + 1 < len && s[i + 1] == '.'));
	if (!quote) {
		buf_append(out, s, len);
		return;
	}
	buf_putc(out, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_putc(out, '\\');
		buf_putc(out, s[i]);
	}
	buf_putc(out, '"');
}

/*
 * pipe_addr_split - a recipient's local part, user (the local part less
 * its extension), extension (after recipient_delimiter, or "") and domain
 */
void
pipe_addr_split(const char *addr, struct buf *local, struct buf *user,
    struct buf *ext, struct buf *domain)
{
	const char *at = strrchr(addr, '@');
	char *u;

	buf_reset(local);
	buf_reset(domain);
	buf_append(local, addr, at ? (size_t)(at - addr) : strlen(addr));
	if (at != NULL)
		buf_puts(domain, at + 1);
	u = xstrdup(buf_str(local));
	resolve_strip_extension(u);
	buf_set(user, u);
	buf_reset(ext);
	if (buf_len(local) > strlen(u))
		buf_puts(ext, buf_str(local) + strlen(u) + 1);
	free(u);
}

/* pipe_fold - lower-case b from byte from on */
static void
pipe_fold(struct buf *b, size_t from)
{
	if (from < buf_len(b))
		lowercase(b->data + from);
}

/* pipe_address - an address as flags q, u and h make it */
static void
pipe_address(struct buf *out, const char *addr, int flags)
{
	const char *at = strrchr(addr, '@');
	size_t llen = at ? (size_t)(at - addr) : strlen(addr), start;

	start = buf_len(out);
	if (flags & PIPE_FLAG_QUOTE)
		pipe_quote_local(out, addr, llen);
	else
		buf_append(out, addr, llen);
	if (flags & PIPE_FLAG_FOLD_USER)
		pipe_fold(out, start);
	if (at == NULL)
		return;
	start = buf_len(out);
	buf_puts(out, at);
	if (flags & PIPE_FLAG_FOLD_HOST)
		pipe_fold(out, start);
}

/* pipe_macro_value - append macro m's value for recipient i */
static void
pipe_macro_value(struct buf *out, int m, const struct pipe_attr *a,
    const struct pipe_env *e, int i)
{
	const char *rcpt = e->rcpt[i].addr;
	struct buf *local = buf_new(64, 0), *user = buf_new(64, 0),
	    *ext = buf_new(64, 0), *dom = buf_new(64, 0);
	const char *sender = *e->sender ? e->sender :
	    buf_str(a->null_sender);
	size_t start = buf_len(out);

	pipe_addr_split(rcpt, local, user, ext, dom);
	switch (m) {
	case PIPE_M_SENDER:
		if (*sender)
			pipe_address(out, sender, a->flags & PIPE_FLAG_QUOTE);
		break;
	case PIPE_M_NEXTHOP:
		buf_puts(out, e->nexthop && *e->nexthop ? e->nexthop :
		    buf_str(dom));
		if (a->flags & PIPE_FLAG_FOLD_HOST)
			pipe_fold(out, start);
		break;
	case PIPE_M_SIZE:
		buf_appendf(out, "%lld", (long long)e->size);
		break;
	case PIPE_M_RECIPIENT:
	case PIPE_M_ORIG:
		pipe_address(out, m == PIPE_M_ORIG && e->rcpt[i].orig ?
		    e->rcpt[i].orig : rcpt, a->flags);
		break;
	case PIPE_M_DOMAIN:
		buf_puts(out, buf_str(dom));
		if (a->flags & PIPE_FLAG_FOLD_HOST)
			pipe_fold(out, start);
		break;
	default:
		buf_puts(out, buf_str(m == PIPE_M_USER ? user :
		    m == PIPE_M_EXTENSION ? ext : local));
		if (a->flags & PIPE_FLAG_FOLD_USER)
			pipe_fold(out, start);
		break;
	}
	buf_free(&local);
	buf_free(&user);
	buf_free(&ext);
	buf_free(&dom);
}

/* pipe_macro_find - the macro named by s[0..len), or -1 */
static int
pipe_macro_find(const char *s, size_t len)
{
	int m;

	for (m = 0; pipe_macro_names[m] != NULL; m++)
		if (strlen(pipe_macro_names[m]) == len &&
		    strncmp(pipe_macro_names[m], s, len) == 0)
			return m;
	return -1;
}

/*
 * pipe_arg_expand - expand one argument for recipient i into out (out
 * may be NULL: just check it).  Returns the highest macro seen (-1:
 * none), or -2 with why for a syntax error or an unknown macro.
 */
static int
pipe_arg_expand(const char *arg, const struct pipe_attr *a,
    const struct pipe_env *e, int i, struct buf *out, struct buf *why)
{
	const char *p = arg, *name, *close;
	size_t len;
	int m, top = -1;

	while (*p) {
		if (*p != '$') {
			if (out)
				buf_putc(out, *p);
			p++;
			continue;
		}
		p++;
		if (*p == '$') {
			if (out)
				buf_putc(out, '$');
			p++;
			continue;
		}
		if (*p == '{' || *p == '(') {
			close = strchr(p, *p == '{' ? '}' : ')');
			if (close == NULL) {
				buf_setf(why, "argv: \"%s\": unbalanced %c",
				    arg, *p);
				return -2;
			}
			name = p + 1;
			len = (size_t)(close - name);
			p = close + 1;
		} else {
			for (name = p; isalnum((unsigned char)*p) || *p == '_';
			    p++)
				;
			len = (size_t)(p - name);
		}
		if ((m = pipe_macro_find(name, len)) < 0) {
			buf_setf(why, "argv: \"%s\": unknown macro \"%.*s\"",
			    arg, (int)len, name);
			return -2;
		}
		if (m > top)
			top = m;
		if (out)
			pipe_macro_value(out, m, a, e, i);
	}
	return top;
}

/* pipe_argv_free - free an expanded argument vector */
void
pipe_argv_free(char ***argvp)
{
	int n;

	if (*argvp == NULL)
		return;
	for (n = 0; (*argvp)[n] != NULL; n++)
		;
	strv_free(*argvp, n);
	*argvp = NULL;
}

/*
 * pipe_argv_expand - the command's arguments for a delivery: each of
 * argv= expanded, once, or once per recipient when it names a
 * recipient's macro.  NULL with why on an error.
 */
char **
pipe_argv_expand(const struct pipe_attr *a, const struct pipe_env *e,
    struct buf *why)
{
	struct buf *arg = buf_new(128, PIPE_ARG_MAX);
	char **v = xcalloc(PIPE_ARGV_MAX + 1, sizeof(*v));
	const char *src;
	int i, k, n = 0, top, count;

	for (i = 0; i < a->argc; i++) {
		src = i == 0 ? a->argv[0] + 5 : a->argv[i];
		if ((top = pipe_arg_expand(src, a, e, 0, NULL, why)) == -2)
			goto fail;
		count = top >= PIPE_M_RCPT ? e->nrcpt : 1;
		for (k = 0; k < count; k++) {
			if (n == PIPE_ARGV_MAX) {
				buf_set(why, "argv: too many arguments");
				goto fail;
			}
			buf_reset(arg);
			(void)pipe_arg_expand(src, a, e, k, arg, why);
			if (buf_overflowed(arg)) {
				buf_setf(why, "argv: \"%s\": expands to more "
				    "than %d bytes", src, PIPE_ARG_MAX);
				goto fail;
			}
			v[n++] = xstrdup(buf_str(arg));
		}
	}
	buf_free(&arg);
	return v;
fail:
	buf_free(&arg);
	pipe_argv_free(&v);
	return NULL;
}
