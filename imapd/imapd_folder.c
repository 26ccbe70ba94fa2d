/*
 * imapd_folder - the commands on folders as a whole: CREATE, DELETE,
 * RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST (with RFC 5258 LIST-EXTENDED,
 * RFC 5819 LIST-STATUS, RFC 6154 SPECIAL-USE, RFC 3348 CHILDREN), LSUB,
 * STATUS, NAMESPACE (RFC 2342) and QUOTA (RFC 2087: the account's quota
 * as auth passed it, the usage from the Maildir's maildirsize file).
 *
 * Names come from the client and go through mailbox_list_path() (lib/
 * mailbox_list.c) before they touch the file system: a name that could
 * leave the Maildir is refused with NO [CANNOT].  The hierarchy separator
 * is "."; the one namespace is personal, with no prefix.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "imapparse.h"
#include "lineio.h"
#include "mailbox.h"
#include "maildirsize.h"
#include "mime.h"
#include "msg.h"
#include "name_code.h"
#include "params.h"
#include "util.h"
#include "imapd.h"

/* STATUS items. */
#define ST_MESSAGES	0x01
#define ST_RECENT	0x02
#define ST_UIDNEXT	0x04
#define ST_UIDVALIDITY	0x08
#define ST_UNSEEN	0x10
#define ST_HIGHESTMODSEQ 0x20
#define ST_COUNT	6		/* items, imapd_status_names' rows */

static const struct name_code imapd_status_names[ST_COUNT + 1] = {
	{ "MESSAGES", ST_MESSAGES },
	{ "RECENT", ST_RECENT },
	{ "UIDNEXT", ST_UIDNEXT },
	{ "UIDVALIDITY", ST_UIDVALIDITY },
	{ "UNSEEN", ST_UNSEEN },
	{ "HIGHESTMODSEQ", ST_HIGHESTMODSEQ },
	{ NULL, 0 },
};

/* imapd_special_use - the SPECIAL-USE attribute of a folder, or NULL */
const char *
imapd_special_use(const char *name)
{
	static const char *const tab[][2] = {
		{ "Sent", "\\Sent" },
		{ "Drafts", "\\Drafts" },
		{ "Trash", "\\Trash" },
		{ "Junk", "\\Junk" },
		{ "Archive", "\\Archive" },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(name, tab[i][0]) == 0)
			return tab[i][1];
	return NULL;
}

/* imapd_name_arg - the mailbox name argument, and nothing after it */
static const char *
imapd_name_arg(struct imapd_state *s, struct imapparse_cmd *c)
{
	const char *name;

	if ((name = imapparse_astring(c)) == NULL || !imapparse_arg_end(c)) {
		imapd_tag_bad(s, c, "Syntax: %s mailbox", c->name);
		return NULL;
	}
	return name;
}

/*
 * imapd_folder_refused - the NO of a CREATE, DELETE or RENAME that
 * mailbox_list refused with errno: the reason in s->why under its RFC
 * 5530 code, or, for a failure of ours, a warning and [SERVERBUG].
 */
static void
imapd_folder_refused(struct imapd_state *s, struct imapparse_cmd *c,
    const char *verb)
{
	const char *code;

	switch (errno) {
	case EEXIST:
		code = "ALREADYEXISTS";
		break;
	case ENOENT:
		code = "NONEXISTENT";
		break;
	case EINVAL:
	case EPERM:
		code = "CANNOT";
		break;
	default:
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
		imapd_tag_no(s, c, "[SERVERBUG] Cannot %s the mailbox.", verb);
		return;
	}
	imapd_tag_no(s, c, "[%s] %s", code, buf_str(s->why));
}

/* imapd_cmd_create - CREATE name (a trailing "." is dropped) */
void
imapd_cmd_create(struct imapd_state *s, struct imapparse_cmd *c)
{
	const char	*arg;
	char		*name;
	size_t		 len;

	if ((arg = imapd_name_arg(s, c)) == NULL)
		return;
	name = xstrdup(arg);
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	if (mailbox_list_create(s->maildir, name, s->why) == 0)
		imapd_tag_ok(s, c, "Create completed.");
	else
		imapd_folder_refused(s, c, "create");
	free(name);
}

/* imapd_is_selected - is this name the selected mailbox? */
static int
imapd_is_selected(struct imapd_state *s, const char *name)
{
	return s->selname != NULL &&
	    strcmp(s->selname, mailbox_list_canon(name)) == 0;
}

/* imapd_cmd_delete - DELETE name */
void
imapd_cmd_delete(struct imapd_state *s, struct imapparse_cmd *c)
{
	const char *name;

	if ((name = imapd_name_arg(s, c)) == NULL)
		return;
	if (imapd_is_selected(s, name) && strcmp(s->selname, "INBOX") != 0) {
		/* The client loses its selection (as with a failed SELECT). */
		mailbox_close(&s->mb);
		free(s->selname);
		s->selname = NULL;
		free(s->msgs);
		s->msgs = NULL;
		s->count = s->size = s->nrecent = 0;
	}
	if (mailbox_list_delete(s->maildir, name, s->why) == 0)
		imapd_tag_ok(s, c, "Delete completed.");
	else
		imapd_folder_refused(s, c, "delete");
}

/* imapd_cmd_rename - RENAME old new */
void
imapd_cmd_rename(struct imapd_state *s, struct imapparse_cmd *c)
{
	const char	*from, *to;
	struct buf	*path;

	if ((from = imapparse_astring(c)) == NULL ||
	    (to = imapparse_astring(c)) == NULL || !imapparse_arg_end(c)) {
		imapd_tag_bad(s, c, "Syntax: RENAME mailbox new-name");
		return;
	}
	if (mailbox_list_rename(s->maildir, from, to, s->why) == 0) {
		if (imapd_is_selected(s, from) &&
		    strcmp(s->selname, "INBOX") != 0) {
			/* Its descriptors moved with it; keep names right. */
			path = buf_new(256, 0);
			if (mailbox_list_path(s->maildir, to, path,
			    s->why) == 0) {
				free(s->mb->path);
				s->mb->path = xstrdup(buf_str(path));
				free(s->selname);
				s->selname = xstrdup(to);
			}
			buf_free(&path);
		}
		imapd_tag_ok(s, c, "Rename completed.");
	} else
		imapd_folder_refused(s, c, "rename");
}

/* imapd_cmd_subscribe - SUBSCRIBE and UNSUBSCRIBE */
void
imapd_cmd_subscribe(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct buf *path;
	const char *name;
	int on = strcmp(c->name, "SUBSCRIBE") == 0;

	if ((name = imapd_name_arg(s, c)) == NULL)
		return;
	path = buf_new(256, 0);
	if (mailbox_list_path(s->maildir, name, path, s->why) < 0)
		imapd_tag_no(s, c, "[CANNOT] %s", buf_str(s->why));
	else if (mailbox_list_subscribe(s->maildir, name, on, s->why) < 0) {
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
		imapd_tag_no(s, c, "[SERVERBUG] Cannot change the "
		    "subscriptions.");
	} else
		imapd_tag_ok(s, c, "%s completed.", on ? "Subscribe" :
		    "Unsubscribe");
	buf_free(&path);
}

/*
 * imapd_status_text - the STATUS list "(MESSAGES 3 UNSEEN 1)" of a
 * folder; -1 with why when it cannot be opened (errno ENOENT: missing)
 */
static int
imapd_status_text(struct imapd_state *s, const char *name, int items,
    struct buf *out)
{
	struct mailbox	*mb;
	struct uidlist	*ul;
	unsigned long long v[ST_COUNT];
	int		 missing, i, recent = 0, unseen = 0;
	size_t		 start, k;

	if (imapd_open_folder(s, name, &mb, &missing) < 0) {
		if (missing)
			errno = ENOENT;
		return -1;
	}
	if (mailbox_sync(mb, 0, s->why) < 0) {
		mailbox_close(&mb);
		errno = EIO;
		return -1;
	}
	ul = &mb->ul;
	for (i = 0; i < ul->count; i++) {
		if (ul->v[i].uid >= ul->firstrecent)
			recent++;
		if (!(ul->v[i].flags & FLAG_SEEN))
			unseen++;
	}
	/* The values in the order of imapd_status_names. */
	v[0] = (unsigned long long)ul->count;
	v[1] = (unsigned long long)recent;
	v[2] = ul->uidnext;
	v[3] = ul->uidvalidity;
	v[4] = (unsigned long long)unseen;
	v[5] = (unsigned long long)ul->highestmodseq;
	buf_putc(out, '(');
	start = buf_len(out);
	for (k = 0; k < ST_COUNT; k++) {
		if (!(items & imapd_status_names[k].code))
			continue;
		if (buf_len(out) > start)
			buf_putc(out, ' ');
		buf_appendf(out, "%s %llu", imapd_status_names[k].name, v[k]);
	}
	buf_putc(out, ')');
	mailbox_close(&mb);
	return 0;
}

/* imapd_status_items - "(MESSAGES UNSEEN ...)": the bits, or -1 */
static int
imapd_status_items(struct imapparse_cmd *c)
{
	struct imapparse_arg *a;
	int item, items = 0;

	if (!imapparse_arg_lparen(c))
		return -1;
	while ((a = imapparse_arg(c)) != NULL && a->type == IMAPPARSE_ATOM) {
		if ((item = name_code(imapd_status_names, a->s)) == 0)
			return -1;
		items |= item;
	}
	if (a == NULL || a->type != IMAPPARSE_RPAREN || items == 0)
		return -1;
	return items;
}

/* imapd_cmd_status - STATUS mailbox (items) */
void
imapd_cmd_status(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct buf	*out;
	const char	*name;
	int		 items;

	if ((name = imapparse_astring(c)) == NULL ||
	    (items = imapd_status_items(c)) < 0 || !imapparse_arg_end(c)) {
		imapd_tag_bad(s, c, "Syntax: STATUS mailbox (MESSAGES RECENT "
		    "UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)");
		return;
	}
	if (items & ST_HIGHESTMODSEQ)
		s->condstore = 1;	/* RFC 7162 3.1: it enables CONDSTORE */
	out = buf_new(256, 0);
	buf_puts(out, "* STATUS ");
	mime_imap_string(out, mailbox_list_canon(name),
	    strlen(mailbox_list_canon(name)));
	buf_putc(out, ' ');
	if (imapd_status_text(s, name, items, out) < 0) {
		if (errno == ENOENT)
			imapd_tag_no(s, c, "[NONEXISTENT] Mailbox does not "
			    "exist: %s", printable(name, s->tmp));
		else if (errno == EIO || errno == EACCES) {
			msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
			imapd_tag_no(s, c, "[SERVERBUG] Cannot read the "
			    "mailbox.");
		} else
			imapd_tag_no(s, c, "[CANNOT] %s", buf_str(s->why));
	} else {
		imapd_reply(s, "%s", buf_str(out));
		imapd_tag_ok(s, c, "Status completed.");
	}
	buf_free(&out);
}

/* The LIST options. */
#define LS_SUBSCRIBED	0x01	/* selection: subscribed only */
#define LS_RECURSIVE	0x02	/* selection: RECURSIVEMATCH */
#define LS_SPECIAL	0x04	/* selection: special-use only */
#define LR_SUBSCRIBED	0x10	/* return \Subscribed */
#define LR_CHILDREN	0x20
#define LR_SPECIAL	0x40
#define LR_STATUS	0x80
#define LS_EXTENDED	0x100	/* extended syntax was used */

/* imapd_list_push - add a name, or merge it with the same one */
static struct mailbox_list_entry *
imapd_list_push(struct mailbox_list_entry **v, int *n, const char *name)
{
	int i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].name, name) == 0)
			return &(*v)[i];
	*v = xrealloc(*v, (size_t)(*n + 1) * sizeof(**v));
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].name = xstrdup(name);
	return &(*v)[(*n)++];
}

/* imapd_list_options - "(A B)": the bits; -1 on an unknown option */
static int
imapd_list_options(struct imapparse_cmd *c, int ret, int *status)
{
	struct imapparse_arg *a;
	int bits = 0;

	while ((a = imapparse_arg(c)) != NULL && a->type == IMAPPARSE_ATOM) {
		if (strcasecmp(a->s, "SUBSCRIBED") == 0)
			bits |= ret ? LR_SUBSCRIBED : LS_SUBSCRIBED;
		else if (!ret && strcasecmp(a->s, "REMOTE") == 0)
			;
		else if (!ret && strcasecmp(a->s, "RECURSIVEMATCH") == 0)
			bits |= LS_RECURSIVE;
		else if (strcasecmp(a->s, "SPECIAL-USE") == 0)
			bits |= ret ? LR_SPECIAL : LS_SPECIAL;
		else if (ret && strcasecmp(a->s, "CHILDREN") == 0)
			bits |= LR_CHILDREN;
		else if (ret && strcasecmp(a->s, "STATUS") == 0) {
			if ((*status = imapd_status_items(c)) < 0)
				return -1;
			bits |= LR_STATUS;
		} else
			return -1;
	}
	if (a == NULL || a->type != IMAPPARSE_RPAREN)
		return -1;
	return bits;
}

/* imapd_list_line - one "* LIST" (and "* STATUS") response */
static void
imapd_list_line(struct imapd_state *s, const char *cmd,
    const struct mailbox_list_entry *e, int opts, int status)
{
	struct buf	*out = buf_new(256, 0);
	const char	*su = imapd_special_use(e->name);
	size_t		 start;

	buf_appendf(out, "* %s (", cmd);
	start = buf_len(out);
#define LS_ATTR(a)	do { if (buf_len(out) > start) buf_putc(out, ' '); \
			buf_puts(out, a); } while (0)
	if (!e->exists) {
		LS_ATTR("\\Noselect");
		if (opts & LS_EXTENDED)
			LS_ATTR("\\NonExistent");
	}
	if (strcmp(cmd, "LIST") == 0) {
		LS_ATTR(e->children ? "\\HasChildren" : "\\HasNoChildren");
		if (e->subscribed && (opts & (LR_SUBSCRIBED | LS_SUBSCRIBED)))
			LS_ATTR("\\Subscribed");
		if (su != NULL && e->exists)
			LS_ATTR(su);
	}
#undef LS_ATTR
	buf_puts(out, ") \".\" ");
	mime_imap_string(out, e->name, strlen(e->name));
	if ((opts & LS_RECURSIVE) && e->subkids && !e->subscribed)
		buf_puts(out, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	imapd_reply(s, "%s", buf_str(out));
	if ((opts & LR_STATUS) && e->exists) {
		buf_reset(out);
		buf_puts(out, "* STATUS ");
		mime_imap_string(out, e->name, strlen(e->name));
		buf_putc(out, ' ');
		if (imapd_status_text(s, e->name, status, out) == 0)
			imapd_reply(s, "%s", buf_str(out));
	}
	buf_free(&out);
}

/* imapd_list_join - a reference and a pattern as one pattern, allocated */
static char *
imapd_list_join(const char *ref, const char *pat)
{
	size_t len = strlen(ref) + strlen(pat) + 1;
	char *p = xmalloc(len);

	snprintf(p, len, "%s%s", ref, pat);
	return p;
}

/*
 * imapd_list_names - every name LIST or LSUB (c) may show; -1 after a
 * NO when the folders cannot be read
 */
static int
imapd_list_names(struct imapd_state *s, struct imapparse_cmd *c,
    struct mailbox_list_entry **vp, int *np)
{
	struct mailbox_list_entry *all, *e;
	char		**subs;
	int		 n, nsubs, i, k;
	size_t		 len;

	*vp = NULL;
	*np = 0;
	if (mailbox_list_scan(s->maildir, &all, &n, s->why) < 0) {
		msg_warn("user=<%s>: %s", s->account, buf_str(s->why));
		imapd_tag_no(s, c, "[SERVERBUG] Cannot list the mailboxes.");
		return -1;
	}
	for (i = 0; i < n; i++) {
		e = imapd_list_push(vp, np, all[i].name);
		e->exists = all[i].exists;
		e->children = all[i].children;
	}
	mailbox_list_free(all, n);
	mailbox_list_subscriptions(s->maildir, &subs, &nsubs);
	for (i = 0; i < nsubs; i++) {
		e = imapd_list_push(vp, np, subs[i]);
		e->subscribed = 1;
	}
	strv_free(subs, nsubs);
	/* Parents of subscribed names (RECURSIVEMATCH). */
	for (i = 0; i < *np; i++) {
		if (!(*vp)[i].subscribed)
			continue;
		for (k = 0; k < *np; k++) {
			len = strlen((*vp)[k].name);
			if (strncmp((*vp)[i].name, (*vp)[k].name, len) == 0 &&
			    (*vp)[i].name[len] == '.')
				(*vp)[k].subkids = 1;
		}
	}
	return 0;
}

/* imapd_list_show - does a name match the patterns and the selection? */
static int
imapd_list_show(const struct mailbox_list_entry *e, char **pats, int npats,
    int opts)
{
	int i, wild;

	for (i = 0; i < npats; i++) {
		if (!mailbox_list_match(pats[i], e->name))
			continue;
		wild = strchr(pats[i], '%') != NULL;
		if (opts & LS_SUBSCRIBED) {
			if (e->subscribed)
				return 1;
			if ((opts & LS_RECURSIVE) && e->subkids)
				return 1;
			continue;
		}
		if (opts & LS_SPECIAL)
			return e->exists && imapd_special_use(e->name) != NULL;
		/* A parent that exists only through its children: '%'. */
		if (!e->exists && !wild)
			continue;
		return 1;
	}
	return 0;
}

/*
 * imapd_list_parse - LIST's arguments: the patterns (each joined to the
 * reference) into *pats, *npats (the caller frees them), the LS_ options
 * into *opts and the STATUS items into *status.  -1: a syntax error;
 * 1: the pattern is "", a question for the separator and the root.
 */
static int
imapd_list_parse(struct imapparse_cmd *c, char ***pats, int *npats,
    int *opts, int *status)
{
	struct imapparse_arg *a;
	const char *ref, *pat;
	int r;

	if (imapparse_arg_lparen(c)) {
		if ((r = imapd_list_options(c, 0, status)) < 0)
			return -1;
		*opts |= r | LS_EXTENDED;
		if ((*opts & LS_RECURSIVE) && !(*opts & LS_SUBSCRIBED))
			return -1;	/* RFC 5258 3: not alone */
	}
	if ((ref = imapparse_astring(c)) == NULL)
		return -1;
	if (imapparse_arg_lparen(c)) {
		*opts |= LS_EXTENDED;
		while ((a = imapparse_arg(c)) != NULL &&
		    (a->type == IMAPPARSE_ATOM ||
		    a->type == IMAPPARSE_STRING)) {
			*pats = xrealloc(*pats, (size_t)(*npats + 1) *
			    sizeof(**pats));
			(*pats)[(*npats)++] = imapd_list_join(ref, a->s);
		}
		if (a == NULL || a->type != IMAPPARSE_RPAREN || *npats == 0)
			return -1;
	} else {
		if ((pat = imapparse_astring(c)) == NULL)
			return -1;
		if (*pat == '\0')
			return imapparse_arg_end(c) ? 1 : -1;
		*pats = xmalloc(sizeof(**pats));
		(*pats)[(*npats)++] = imapd_list_join(ref, pat);
	}
	if ((a = imapparse_arg(c)) != NULL) {
		if (!imapparse_arg_is(a, "RETURN") ||
		    !imapparse_arg_lparen(c) ||
		    (r = imapd_list_options(c, 1, status)) < 0)
			return -1;
		*opts |= r | LS_EXTENDED;
	}
	return imapparse_arg_end(c) ? 0 : -1;
}

/* imapd_cmd_list - LIST [(selection)] reference pattern(s) [RETURN (..)] */
void
imapd_cmd_list(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct mailbox_list_entry *v = NULL;
	char		**pats = NULL;
	int		 npats = 0, opts = 0, status = 0, n = 0, i, r;

	r = imapd_list_parse(c, &pats, &npats, &opts, &status);
	if (r < 0)
		imapd_tag_bad(s, c, "Syntax: LIST [(options)] reference "
		    "mailbox [RETURN (options)]");
	else if (r == 1) {
		/* The hierarchy separator and the root. */
		imapd_reply(s, "* LIST (\\Noselect) \".\" \"\"");
		imapd_tag_ok(s, c, "List completed.");
	} else if (imapd_list_names(s, c, &v, &n) == 0) {
		for (i = 0; i < n; i++)
			if (imapd_list_show(&v[i], pats, npats, opts))
				imapd_list_line(s, "LIST", &v[i], opts,
				    status);
		imapd_tag_ok(s, c, "List completed.");
	}
	strv_free(pats, npats);
	mailbox_list_free(v, n);
}

/* imapd_cmd_lsub - LSUB reference pattern */
void
imapd_cmd_lsub(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct mailbox_list_entry *v = NULL;
	const char	*ref, *pat;
	char		*full;
	int		 n = 0, i;

	if ((ref = imapparse_astring(c)) == NULL ||
	    (pat = imapparse_astring(c)) == NULL || !imapparse_arg_end(c)) {
		imapd_tag_bad(s, c, "Syntax: LSUB reference mailbox");
		return;
	}
	if (imapd_list_names(s, c, &v, &n) < 0)
		return;
	full = imapd_list_join(ref, pat);
	for (i = 0; i < n; i++)
		if (v[i].subscribed && mailbox_list_match(full, v[i].name))
			imapd_list_line(s, "LSUB", &v[i], 0, 0);
	imapd_tag_ok(s, c, "Lsub completed.");
	free(full);
	mailbox_list_free(v, n);
}

/* imapd_cmd_namespace - NAMESPACE: personal, no prefix, "." */
void
imapd_cmd_namespace(struct imapd_state *s, struct imapparse_cmd *c)
{
	if (!imapd_tag_no_args(s, c))
		return;
	imapd_reply(s, "* NAMESPACE ((\"\" \".\")) NIL NIL");
	imapd_tag_ok(s, c, "Namespace completed.");
}

/*
 * imapd_quota_read - the Maildir's usage under the account's quota, from
 * its maildirsize file (recalculated when due): 0, or -1 (logged)
 */
static int
imapd_quota_read(struct imapd_state *s, struct maildirsize *ms)
{
	if (maildirsize_get(s->maildir, s->quota_bytes, s->quota_count, 1, ms,
	    s->why) == 0)
		return 0;
	msg_warn("user=<%s>: quota: %s", s->account, buf_str(s->why));
	return -1;
}

/*
 * imapd_quota_line - "* QUOTA "" (STORAGE used limit MESSAGE used limit)"
 * (RFC 2087; STORAGE in KiB), the resources that have a limit
 */
static void
imapd_quota_line(struct imapd_state *s)
{
	struct maildirsize ms;
	struct buf *out;

	if ((s->quota_bytes <= 0 && s->quota_count <= 0) ||
	    imapd_quota_read(s, &ms) < 0) {
		imapd_reply(s, "* QUOTA \"\" ()");
		return;
	}
	out = buf_new(128, 0);
	if (s->quota_bytes > 0)
		buf_appendf(out, "STORAGE %lld %lld", (ms.bytes + 1023) / 1024,
		    s->quota_bytes / 1024);
	if (s->quota_count > 0)
		buf_appendf(out, "%sMESSAGE %lld %lld", buf_len(out) ? " " : "",
		    ms.count, s->quota_count);
	imapd_reply(s, "* QUOTA \"\" (%s)", buf_str(out));
	buf_free(&out);
}

/* imapd_cmd_getquota - GETQUOTA root: the one root is "" */
void
imapd_cmd_getquota(struct imapd_state *s, struct imapparse_cmd *c)
{
	const char *root;

	if ((root = imapd_name_arg(s, c)) == NULL)
		return;
	if (*root != '\0') {
		imapd_tag_no(s, c, "[NONEXISTENT] No such quota root");
		return;
	}
	imapd_quota_line(s);
	imapd_tag_ok(s, c, "Getquota completed.");
}

/* imapd_cmd_getquotaroot - GETQUOTAROOT mailbox */
void
imapd_cmd_getquotaroot(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct buf *out;
	const char *name;

	if ((name = imapd_name_arg(s, c)) == NULL)
		return;
	out = buf_new(128, 0);
	if (mailbox_list_path(s->maildir, name, out, s->why) < 0) {
		imapd_tag_no(s, c, "[CANNOT] %s", buf_str(s->why));
		buf_free(&out);
		return;
	}
	buf_reset(out);
	buf_puts(out, "* QUOTAROOT ");
	mime_imap_string(out, mailbox_list_canon(name),
	    strlen(mailbox_list_canon(name)));
	buf_puts(out, " \"\"");
	imapd_reply(s, "%s", buf_str(out));
	imapd_quota_line(s);
	imapd_tag_ok(s, c, "Getquotaroot completed.");
	buf_free(&out);
}

/* imapd_cmd_setquota - SETQUOTA: quotas are the administrator's */
void
imapd_cmd_setquota(struct imapd_state *s, struct imapparse_cmd *c)
{
	imapd_tag_no(s, c, "[NOPERM] Quotas are set by the administrator "
	    "(mailbox_size_limit, mailbox_quota_maps).");
}

/*
 * imapd_over_quota - would bytes and count more pass the account's
 * quota?  A quota that cannot be read lets the message in (logged).
 */
int
imapd_over_quota(struct imapd_state *s, long long bytes, long long count)
{
	struct maildirsize ms;
	int r;

	if (s->quota_bytes <= 0 && s->quota_count <= 0)
		return 0;
	if (imapd_quota_read(s, &ms) < 0)
		return 0;
	if ((r = maildirsize_fits(s->maildir, &ms, bytes, count, s->why)) < 0)
		msg_warn("user=<%s>: quota: %s", s->account, buf_str(s->why));
	return r == 0;
}
