/*
 * quota - a user's quota words (virtual_passwd_file's extra field,
 * mailbox_quota_maps), and warnings as a Maildir fills up: which of
 * quota_warning_percentages a delivery crossed, and the message that
 * tells the user.
 */
#ifndef CARTERO_QUOTA_H
#define CARTERO_QUOTA_H

struct buf;

/*
 * A user's quota words, blank-separated: quota=SIZE (1G, 500m, 2048,
 * none), quota_messages=N, and Dovecot's [userdb_]quota_rule=*:storage=
 * SIZE (no unit: KiB):messages=N (bytes=SIZE too).  Strict (a table's
 * value) also takes a size alone first ("1G") and refuses other words;
 * lax (the passwd file's extra field) skips them.  0 means no limit.
 * 1 found (*bytes, *count set where given, else kept), 0 none, -1 why
 * (nothing set).
 */
int	quota_rule_parse(const char *, int, long long *, long long *,
	    struct buf *);

/*
 * The environment variable in which auth gives a mailbox session (pop3,
 * imap) its account's quota, as maildirsize's first line: "<bytes>S,
 * <count>C".  quota_session() reads it; without it (a session not
 * started by auth), the defaults mailbox_size_limit and
 * mailbox_message_limit.
 */
#define QUOTA_ENV	"QUOTA"
void	quota_session(long long *, long long *);

/*
 * The highest percentage of the list ("80, 95") that usage crossed going
 * from before to after bytes of limit (before < p% <= after), or 0.
 * Entries that are not whole numbers from 1 to 100 are skipped.
 */
int	quota_warning_level(long long, long long, long long, const char *);
/* The warning: recipient, percentage, bytes used, limit, host name. */
void	quota_warning_message(struct buf *, const char *, int, long long,
	    long long, const char *);

#endif
