/*
 * quota - warnings as a Maildir fills up (see quota.h).
 *
 * A warning is due when one delivery takes usage from below a
 * percentage of mailbox_size_limit to or past it: so each threshold warns
 * once as the mailbox fills, and again only after the mailbox went back
 * below it and filled up once more.  A delivery that crosses several
 * thresholds gives one warning, the highest.  The comparison is done in
 * long double, so that no size or limit overflows it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "quota.h"
#include "util.h"

#define QUOTA_LIST_MAX	1024	/* bytes of the percentage list */

/* quota_warning_level - the highest percentage crossed, or 0 */
int
quota_warning_level(long long before, long long after, long long limit,
    const char *list)
{
	char copy[QUOTA_LIST_MAX], *p, *tok, *end;
	long double b, a, mark;
	long v;
	int best = 0;

	if (limit <= 0 || list == NULL || strlen(list) >= sizeof(copy))
		return 0;
	memcpy(copy, list, strlen(list) + 1);
	b = (long double)before * 100;
	a = (long double)after * 100;
	for (p = copy; (tok = mystrtok(&p, ", \t")) != NULL;) {
		v = strtol(tok, &end, 10);
		if (*end != '\0' || tok[0] < '0' || tok[0] > '9' || v < 1 ||
		    v > 100)
			continue;
		mark = (long double)v * (long double)limit;
		if (b < mark && a >= mark && v > best)
			best = (int)v;
	}
	return best;
}

/* quota_warning_message - the warning the user finds in the Maildir */
void
quota_warning_message(struct buf *out, const char *rcpt, int pct,
    long long used, long long limit, const char *host)
{
	char date[64];

	buf_reset(out);
	buf_appendf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\n"
	    "To: <%s>\n"
	    "Subject: Your mailbox is %d%% full\n"
	    "Date: %s\n"
	    "Message-ID: <%lld.%ld.quota@%s>\n"
	    "Auto-Submitted: auto-generated\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "Your mailbox holds %lld bytes of the %lld it may hold (%d%%).\n"
	    "When it is full, new mail to you is returned to its senders.\n"
	    "Delete old mail, or move it elsewhere, to make room.\n",
	    host, rcpt, pct, rfc2822_date(time(NULL), date, sizeof(date)),
	    now_ms(), (long)getpid(), host, used, limit,
	    (int)((long double)used * 100 / (long double)limit));
}
