/*
 * cartero_user_show - "cartero user show NAME": one mail user at a glance.
 *
 *	cartero [-c config_dir] user show name[@domain]
 *
 * The account is found as delivery finds it (resolve.c: a virtual user
 * first, then a system user), and the lines say what kind it is, where
 * its mail lives, how many messages and bytes it holds, its quota (its
 * own, or mailbox_size_limit and mailbox_message_limit: resolve_quota)
 * and the last login
 * (lastlogin.c: the mailbox side notes each login in the Maildir).  With
 * a quota the usage is the Maildir's maildirsize file (maildirsize.c,
 * recalculated when due, as a delivery would); without one the files are
 * counted (new/ and cur/ of the Maildir and its folders, sizes from the
 * ",S=" of the names where they have one).  The
 * mailbox is read by a child running as its owner: the user's own
 * links lead nowhere root could be made to look.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "lastlogin.h"
#include "maildir.h"
#include "maildirsize.h"
#include "msg.h"
#include "params.h"
#include "resolve.h"
#include "util.h"
#include "cartero_user.h"

/* What the child shows. */
struct show_job {
	const char	*maildir;
	long long	 bytes;		/* the quota, 0: none */
	long long	 count;
};

/* cartero_user_show_quota - the quota lines */
static void
cartero_user_show_quota(const struct show_job *j, long long used,
    long long n)
{
	if (j->bytes <= 0 && j->count <= 0)
		printf("quota:      none\n");
	if (j->bytes > 0)
		printf("quota:      %lld of %lld bytes used (%lld%%)\n", used,
		    j->bytes, (long long)((long double)used * 100 /
		    (long double)j->bytes));
	if (j->count > 0)
		printf("quota:      %lld of %lld messages (%lld%%)\n", n,
		    j->count, (long long)((long double)n * 100 /
		    (long double)j->count));
}

/* cartero_user_show_login - the last login line */
static void
cartero_user_show_login(const char *maildir)
{
	struct buf *what = buf_new(64, 0), *why = buf_new(128, 4096);
	long long when = 0;
	char date[64];
	time_t t;
	int r;

	if ((r = lastlogin_read(maildir, &when, what, why)) < 0)
		printf("last login: unknown (%s)\n", buf_str(why));
	else if (r == 0)
		printf("last login: never (none noted)\n");
	else {
		t = (time_t)when;
		printf("last login: %s, %s\n", rfc2822_date(t, date,
		    sizeof(date)), buf_str(what));
	}
	buf_free(&what);
	buf_free(&why);
}

/* cartero_user_show_child - as the owner: the mailbox's lines */
static int
cartero_user_show_child(void *arg)
{
	const struct show_job *j = arg;
	const char *maildir = j->maildir;
	struct buf *why = buf_new(256, 4096);
	struct maildirsize ms;
	size_t len = strlen(maildir);
	long long count = 0, bytes;
	struct stat st;

	if (len > 0 && maildir[len - 1] != '/') {
		/* An mbox file (home_mailbox without a trailing "/"). */
		bytes = stat(maildir, &st) == 0 ? (long long)st.st_size : 0;
		printf("size:       %lld bytes (mbox)\n", bytes);
		cartero_user_show_quota(j, bytes, 0);
		buf_free(&why);
		return 0;
	}
	if ((j->bytes > 0 || j->count > 0) && access(maildir, F_OK) == 0) {
		if (maildirsize_get(maildir, j->bytes, j->count, 1, &ms,
		    why) < 0) {
			msg_warn("%s", buf_str(why));
			buf_free(&why);
			return 1;
		}
		bytes = ms.bytes;
		count = ms.count;
	} else if ((bytes = maildir_count(maildir, &count)) < 0) {
		msg_warn("read %s: %m", maildir);
		buf_free(&why);
		return 1;
	}
	buf_free(&why);
	if (access(maildir, F_OK) < 0 && errno == ENOENT)
		printf("messages:   0 (no Maildir yet)\n");
	else
		printf("messages:   %lld\n", count);
	printf("size:       %lld bytes\n", bytes);
	cartero_user_show_quota(j, bytes, count);
	cartero_user_show_login(maildir);
	return 0;
}

/* cartero_user_show - "user show NAME": the exit status */
int
cartero_user_show(const char *name)
{
	struct buf *why = buf_new(128, 4096);
	struct show_job j;
	struct account acct;
	int r;

	resolve_use_passdb(1);
	if (cartero_user_find(name, &acct) < 0) {
		buf_free(&why);
		return 1;
	}
	printf("user:       %s\n", acct.name);
	if (acct.is_virtual)
		printf("kind:       virtual (uid %ld, gid %ld)\n",
		    (long)acct.uid, (long)acct.gid);
	else
		printf("kind:       system (uid %ld, gid %ld%s)\n",
		    (long)acct.uid, (long)acct.gid,
		    cartero_sysuser_is_mail_user(acct.name) ? ", group "
		    USER_GROUP : ", not in group " USER_GROUP);
	printf("mailbox:    %s\n", acct.maildir);
	memset(&j, 0, sizeof(j));
	j.maildir = acct.maildir;
	if (resolve_quota(&acct, &j.bytes, &j.count, why) < 0) {
		msg_warn("%s: %s", acct.name, buf_str(why));
		account_free(&acct);
		buf_free(&why);
		return 1;
	}
	r = cartero_user_as(acct.uid, acct.gid, cartero_user_show_child, &j);
	account_free(&acct);
	buf_free(&why);
	return r;
}
