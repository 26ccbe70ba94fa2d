/*
 * quota - warnings as a Maildir fills up: which of quota_warning_percentages
 * a delivery crossed, and the message that tells the user.
 */
#ifndef CARTERO_QUOTA_H
#define CARTERO_QUOTA_H

struct buf;

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
