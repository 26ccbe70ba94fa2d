/*
 * quota - a user's quota words, and warnings as a Maildir fills up (see
 * quota.h).
 *
 * The quota words come from virtual_passwd_file's extra field (lax: the
 * words of other uses, Dovecot's userdb_mail= and the like, are skipped)
 * and from mailbox_quota_maps (strict: a value must be all quota).  A
 * size is bounded (MAILDIRSIZE_NUM_MAX), a word list by QUOTA_LIST_MAX;
 * a bad value is refused whole, so a typo never becomes half a quota.
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
#include "dec.h"
#include "maildirsize.h"
#include "params.h"
#include "quota.h"
#include "util.h"

#define QUOTA_LIST_MAX	1024	/* bytes of the percentage list, or words */

/*
 * quota_size - a size: "1G", "500m", "2048" (bytes, or KiB for kib:
 * Dovecot's storage=), "none" (0: no limit); -1 when bad or too large
 */
static long long
quota_size(const char *s, int kib)
{
	long long v;

	if (strcmp(s, "none") == 0)
		return 0;
	if ((v = parse_size(s)) < 0)
		return -1;
	if (kib && *s != '\0' && s[strlen(s) - 1] >= '0' &&
	    s[strlen(s) - 1] <= '9') {
		if (v > MAILDIRSIZE_NUM_MAX / 1024)
			return -1;
		v *= 1024;
	}
	return v > MAILDIRSIZE_NUM_MAX ? -1 : v;
}

/* quota_count - a message count, or "none" (0); -1 when bad */
static long long
quota_count(const char *s)
{
	unsigned long long v;

	if (strcmp(s, "none") == 0)
		return 0;
	if (dec_parse(s, strlen(s), MAILDIRSIZE_NUM_MAX, &v) < 0)
		return -1;
	return (long long)v;
}

/*
 * quota_dovecot - a Dovecot rule, "*:storage=1G:messages=100" (bytes=
 * too); the rules of one folder (Trash:...) are not ours: skipped
 */
static int
quota_dovecot(char *rule, long long *b, long long *c, struct buf *why)
{
	char *p = rule, *item, *v;
	long long n;

	if (strncmp(rule, "*:", 2) != 0)
		return 0;
	for (p += 2; (item = mystrtok(&p, ":")) != NULL;) {
		if ((v = strchr(item, '=')) == NULL) {
			buf_setf(why, "quota rule: \"%s\" is not "
			    "name=value", item);
			return -1;
		}
		*v++ = '\0';
		if (strcmp(item, "storage") == 0 || strcmp(item, "bytes") == 0)
			n = quota_size(v, item[0] == 's');
		else if (strcmp(item, "messages") == 0)
			n = quota_count(v);
		else {
			buf_setf(why, "quota rule: unknown limit \"%s\" "
			    "(storage, bytes, messages)", item);
			return -1;
		}
		if (n < 0) {
			buf_setf(why, "quota rule: bad %s \"%s\"", item, v);
			return -1;
		}
		if (item[0] == 'm')
			*c = n;
		else
			*b = n;
	}
	return 1;
}

/* quota_session - the session's quota: QUOTA_ENV, or the defaults */
void
quota_session(long long *bytes, long long *count)
{
	struct maildirsize ms;
	struct buf *line = buf_new(64, 256);
	const char *env = getenv(QUOTA_ENV);

	*bytes = var_mailbox_size_limit;
	*count = var_mailbox_message_limit;
	if (env != NULL) {
		buf_setf(line, "%s\n", env);
		if (!buf_overflowed(line) && maildirsize_parse(buf_str(line),
		    buf_len(line), &ms) == 0) {
			*bytes = ms.limit_bytes;
			*count = ms.limit_count;
		}
	}
	buf_free(&line);
}

/* quota_rule_parse - a user's quota words (see quota.h) */
int
quota_rule_parse(const char *text, int lax, long long *bytes,
    long long *count, struct buf *why)
{
	char copy[QUOTA_LIST_MAX], *p, *tok, *v;
	long long b = *bytes, c = *count;
	int found = 0, first = 1, r;

	if (text == NULL)
		return 0;
	if (strlen(text) >= sizeof(copy)) {
		buf_setf(why, "quota words longer than %d bytes",
		    QUOTA_LIST_MAX - 1);
		return -1;
	}
	memcpy(copy, text, strlen(text) + 1);
	for (p = copy; (tok = mystrtok(&p, " \t")) != NULL; first = 0) {
		if ((v = strchr(tok, '=')) == NULL) {
			if (lax)
				continue;
			if (!first || (b = quota_size(tok, 0)) < 0) {
				buf_setf(why, "\"%s\" is not a size (1G, "
				    "500m, none) or name=value", tok);
				return -1;
			}
			found = 1;
			continue;
		}
		*v++ = '\0';
		if (strcmp(tok, "quota") == 0) {
			if ((b = quota_size(v, 0)) < 0) {
				buf_setf(why, "quota=%s: not a size (1G, "
				    "500m, none)", v);
				return -1;
			}
		} else if (strcmp(tok, "quota_messages") == 0) {
			if ((c = quota_count(v)) < 0) {
				buf_setf(why, "quota_messages=%s: not a "
				    "number", v);
				return -1;
			}
		} else if (strcmp(tok, "quota_rule") == 0 ||
		    strcmp(tok, "userdb_quota_rule") == 0) {
			if ((r = quota_dovecot(v, &b, &c, why)) < 0)
				return -1;
			if (r == 0)
				continue;
		} else if (lax)
			continue;
		else {
			buf_setf(why, "unknown quota word \"%s\" (quota=, "
			    "quota_messages=, quota_rule=)", tok);
			return -1;
		}
		found = 1;
	}
	*bytes = b;
	*count = c;
	return found;
}

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
