/*
 * hibstate - reading the head of a sleeping IMAP session's state (see
 * hibstate.h).  The state comes from a process that is not trusted by its
 * reader (imap-hibernate runs as mail_owner, the woken imap as the
 * account), so every field is checked: bounded, visible ASCII, numbers
 * digits only and within their range.
 */
#include <sys/types.h>

#include <limits.h>
#include <string.h>

#include "attr.h"
#include "dec.h"
#include "hibstate.h"

/* hibstate_head_end - the head's length, empty line included, or 0 */
size_t
hibstate_head_end(const char *data, size_t len)
{
	return attr_end(data, len < HIBSTATE_HEAD_MAX ? len :
	    HIBSTATE_HEAD_MAX);
}

/* hibstate_visible - is text non-empty visible ASCII (safe to log)? */
static int
hibstate_visible(const char *text)
{
	if (text == NULL || *text == '\0')
		return 0;
	for (; *text; text++)
		if (*text <= ' ' || *text > '~')
			return 0;
	return 1;
}

/* hibstate_num - a number attribute within [lo, hi]: 0, -1 */
int
hibstate_num(const struct attr *a, const char *name, long long lo,
    long long hi, long long *out)
{
	const char		*v = attr_get(a, name);
	unsigned long long	 n;

	if (v == NULL || dec_parse(v, strlen(v), (unsigned long long)hi,
	    &n) < 0 || (long long)n < lo)
		return -1;
	*out = (long long)n;
	return 0;
}

/* hibstate_head - the head's common part, checked: NULL, or why not */
const char *
hibstate_head(const struct attr *a, struct hibstate_head *h)
{
	memset(h, 0, sizeof(*h));
	h->account = attr_get(a, HIBSTATE_ACCOUNT);
	h->rip = attr_get(a, HIBSTATE_RIP);
	h->credential = attr_get(a, HIBSTATE_CREDENTIAL);
	h->idle = attr_get(a, HIBSTATE_IDLE);
	if (!hibstate_visible(h->account) || !hibstate_visible(h->rip) ||
	    !hibstate_visible(h->credential) ||
	    (h->idle != NULL && !hibstate_visible(h->idle)) ||
	    hibstate_num(a, HIBSTATE_DEADLINE, 0, LLONG_MAX,
	    &h->deadline) < 0 ||
	    hibstate_num(a, HIBSTATE_NOTIFY, 0, LLONG_MAX, &h->notify) < 0)
		return "malformed state";
	return NULL;
}
