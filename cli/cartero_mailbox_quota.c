/*
 * cartero_mailbox_quota - "cartero mailbox quota": a user's quota and
 * usage, and the usage recounted (Dovecot's "doveadm quota get" and
 * "doveadm quota recalc").
 *
 *	cartero [-c config_dir] mailbox quota get user
 *	cartero [-c config_dir] mailbox quota recalc user|--all
 *
 * The limits are the account's (resolve_quota: virtual_passwd_file's
 * quota field, mailbox_quota_maps, else mailbox_size_limit and
 * mailbox_message_limit); the usage is the Maildir's maildirsize file
 * (lib/maildirsize.c), which get reads (recalculating it when it is due,
 * as a delivery would) and recalc rewrites from the messages themselves:
 * what an administrator runs after removing mail behind the servers'
 * backs.  --all does every user "cartero user list" shows.  The work runs
 * in a child as the mailbox's owner (cartero_user_as), never as root on
 * a user's files.
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "maildir.h"
#include "maildirsize.h"
#include "msg.h"
#include "resolve.h"
#include "util.h"
#include "cartero_user.h"

/* What the child does for one user. */
struct quota_job {
	const char	*name;
	const char	*maildir;
	long long	 bytes;		/* limits, 0: none */
	long long	 count;
	int		 recalc;
};

/* quota_usage - say how to run us */
static int
quota_usage(void)
{
	fprintf(stderr, "usage: cartero [-c config_dir] mailbox quota get "
	    "user\n"
	    "       cartero [-c config_dir] mailbox quota recalc "
	    "user|--all\n");
	return EX_USAGE;
}

/* quota_line - "TYPE used limit percent" of one resource */
static void
quota_line(const char *name, const char *type, long long used,
    long long limit)
{
	if (limit > 0)
		printf("%-24s %-8s %12lld %12lld %3lld%%\n", name, type, used,
		    limit, (long long)((long double)used * 100 /
		    (long double)limit));
	else
		printf("%-24s %-8s %12lld %12s %4s\n", name, type, used, "-",
		    "-");
}

/* quota_child - as the owner: the usage read, or recounted */
static int
quota_child(void *arg)
{
	const struct quota_job *j = arg;
	struct buf *why = buf_new(256, 4096);
	struct maildirsize ms;
	int r, limited = j->bytes > 0 || j->count > 0;

	memset(&ms, 0, sizeof(ms));
	if (access(j->maildir, F_OK) < 0 && errno == ENOENT) {
		/* Nothing delivered yet: nothing to count or keep. */
		if (j->recalc)
			printf("%s: no Maildir yet\n", j->name);
		else {
			quota_line(j->name, "STORAGE", 0, j->bytes);
			quota_line(j->name, "MESSAGE", 0, j->count);
		}
		buf_free(&why);
		return 0;
	}
	if (j->recalc)
		r = maildirsize_recalc(j->maildir, j->bytes, j->count, &ms,
		    why);
	else if ((r = maildirsize_get(j->maildir, j->bytes, j->count,
	    limited, &ms, why)) == 0 && !limited && ms.size == 0) {
		/* No quota and no file: count, without making one. */
		if ((ms.bytes = maildir_count(j->maildir, &ms.count)) < 0) {
			buf_setf(why, "read %s: %s", j->maildir,
			    strerror(errno));
			r = -1;
		}
	}
	if (r < 0) {
		msg_warn("%s: %s", j->name, buf_str(why));
		buf_free(&why);
		return 1;
	}
	if (j->recalc)
		printf("%s: %lld bytes in %lld messages\n", j->name, ms.bytes,
		    ms.count);
	else {
		quota_line(j->name, "STORAGE", ms.bytes, j->bytes);
		quota_line(j->name, "MESSAGE", ms.count, j->count);
	}
	buf_free(&why);
	return 0;
}

/* quota_user - get or recalc for one user: the exit status */
static int
quota_user(const char *name, int recalc)
{
	struct buf *why = buf_new(256, 4096);
	struct quota_job j;
	struct account acct;
	size_t len;
	int r;

	if (cartero_user_find(name, &acct) < 0) {
		buf_free(&why);
		return 1;
	}
	memset(&j, 0, sizeof(j));
	j.name = acct.name;
	j.maildir = acct.maildir;
	j.recalc = recalc;
	len = strlen(acct.maildir);
	if (resolve_quota(&acct, &j.bytes, &j.count, why) < 0) {
		msg_warn("%s: %s", acct.name, buf_str(why));
		r = 1;
	} else if (len == 0 || acct.maildir[len - 1] != '/') {
		msg_warn("%s: %s is an mbox (home_mailbox has no trailing /): "
		    "Maildir++ quota does not apply", acct.name, acct.maildir);
		r = 1;
	} else
		r = cartero_user_as(acct.uid, acct.gid, quota_child, &j);
	account_free(&acct);
	buf_free(&why);
	return r;
}

/* The names of --all, gathered before any is worked on. */
struct quota_names {
	char	**v;
	int	  n, size;
};

/* quota_gather - keep a name of "user list" */
static int
quota_gather(const char *name, const char *kind, void *arg)
{
	struct quota_names *names = arg;

	(void)kind;
	if (names->n == names->size) {
		names->size = names->size ? names->size * 2 : 16;
		names->v = xrealloc(names->v, (size_t)names->size *
		    sizeof(*names->v));
	}
	names->v[names->n++] = xstrdup(name);
	return 0;
}

/*
 * cartero_mailbox_quota - "mailbox quota ...": argv[0] is "quota"; the
 * exit status
 */
int
cartero_mailbox_quota(int argc, char **argv, const char *confdir)
{
	struct quota_names names;
	struct buf *why;
	char real[PATH_MAX];
	int recalc, i, r = 0;

	if (argc != 3)
		return quota_usage();
	if (strcmp(argv[1], "recalc") == 0)
		recalc = 1;
	else if (strcmp(argv[1], "get") == 0 && strcmp(argv[2], "--all") != 0)
		recalc = 0;
	else
		return quota_usage();
	why = buf_new(256, 4096);
	if (conf_load_real(confdir, real, why) < 0)
		msg_fatal("%s", buf_str(why));
	buf_free(&why);
	resolve_use_passdb(1);
	if (!recalc)
		printf("%-24s %-8s %12s %12s %4s\n", "user", "type", "used",
		    "limit", "%");
	if (strcmp(argv[2], "--all") != 0)
		return quota_user(argv[2], recalc);
	memset(&names, 0, sizeof(names));
	r = cartero_user_each(real, 1, 1, quota_gather, &names);
	for (i = 0; i < names.n; i++)
		r |= quota_user(names.v[i], recalc);
	strv_free(names.v, names.n);
	return r;
}
