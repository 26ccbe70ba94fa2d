/*
 * imapd_set - sequence sets (RFC 3501 section 9, sequence-set): parsing,
 * membership, and resolving one against the selected mailbox's view.
 *
 * A set comes from the client and may be a 64 KiB line of ranges that
 * overlap ("1:*,1:*,..."): it is sorted and merged when parsed, so that
 * testing a number costs a binary search and marking the messages a set
 * names costs about one pass over them, never ranges x messages (issue 9).
 * Numbers are nz-number (1 to 2^32 - 1) or '*', kept symbolic until the
 * set meets a mailbox.
 */
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dec.h"
#include "uidlist.h"
#include "util.h"
#include "imapd.h"

/* imapd_set_num - one nz-number or '*' (0) of a set; NULL if bad */
static const char *
imapd_set_num(const char *p, uint32_t *v)
{
	unsigned long long n;

	if (*p == '*') {
		*v = 0;
		return p + 1;
	}
	if (*p == '0' || (p = dec_scan(p, NULL, 0xffffffffULL, &n)) == NULL)
		return NULL;
	*v = (uint32_t)n;
	return p;
}

/*
 * imapd_set_merge - sort the ranges without '*' and merge those that
 * overlap or touch, so that "1:5,3:9,10,2" is "1:10" (issue 9: a set of
 * 16,000 copies of "1:*" must not cost 16,000 passes over a mailbox).
 */
static void
imapd_set_merge(struct imapd_set *set)
{
	int i, n;

	if (set->count < 2)
		return;
	/* By their low ends, the ranges' first members. */
	_Static_assert(offsetof(struct imapd_range, lo) == 0, "lo first");
	qsort(set->r, (size_t)set->count, sizeof(*set->r), uidlist_cmp);
	for (n = 0, i = 1; i < set->count; i++) {
		if (set->r[n].hi == 0xffffffffU ||
		    set->r[i].lo <= set->r[n].hi + 1) {
			if (set->r[i].hi > set->r[n].hi)
				set->r[n].hi = set->r[i].hi;
		} else
			set->r[++n] = set->r[i];
	}
	set->count = n + 1;
}

/*
 * imapd_set_parse - a sequence set ("1:3,5,7:*"), merged as struct
 * imapd_set says; '*' stays symbolic until the set is resolved against a
 * mailbox.  -1 when it is not a valid set.
 */
int
imapd_set_parse(const char *p, struct imapd_set *set)
{
	int size = 0;
	uint32_t a, b, t;

	memset(set, 0, sizeof(*set));
	if (p == NULL || *p == '\0')
		return -1;
	for (;;) {
		if ((p = imapd_set_num(p, &a)) == NULL)
			goto bad;
		b = a;
		if (*p == ':' && (p = imapd_set_num(p + 1, &b)) == NULL)
			goto bad;
		if (a == 0 || b == 0) {
			/* n:* holds every number from n to '*'. */
			set->star = 1;
			if ((t = a ? a : b) != 0) {
				if (set->star_lo == 0 || t < set->star_lo)
					set->star_lo = t;
				if (t > set->star_hi)
					set->star_hi = t;
			}
		} else {
			if (a > b) {
				t = a;
				a = b;
				b = t;
			}
			if (set->count == size) {
				size = size ? size * 2 : 8;
				set->r = xrealloc(set->r, (size_t)size *
				    sizeof(*set->r));
			}
			set->r[set->count].lo = a;
			set->r[set->count].hi = b;
			set->count++;
		}
		if (*p == '\0')
			break;
		if (*p++ != ',')
			goto bad;
	}
	imapd_set_merge(set);
	return 0;
bad:
	imapd_set_free(set);
	return -1;
}

/* imapd_set_free - release a set */
void
imapd_set_free(struct imapd_set *set)
{
	free(set->r);
	memset(set, 0, sizeof(*set));
}

/*
 * imapd_set_star - the range that the parts with '*' name when '*' is
 * max (lo <= hi); call only when set->star.
 */
void
imapd_set_star(const struct imapd_set *set, uint32_t max, uint32_t *lo,
    uint32_t *hi)
{
	*lo = *hi = max;
	if (set->star_lo != 0 && set->star_lo < max)
		*lo = set->star_lo;
	if (set->star_hi > max)
		*hi = set->star_hi;
}

/* imapd_set_has - is n in the set, '*' being max?  (a binary search) */
int
imapd_set_has(const struct imapd_set *set, uint32_t n, uint32_t max)
{
	uint32_t lo, hi;
	int a, b, m;

	if (set->star) {
		imapd_set_star(set, max, &lo, &hi);
		if (n >= lo && n <= hi)
			return 1;
	}
	for (a = 0, b = set->count; a < b; ) {
		m = a + (b - a) / 2;
		if (n < set->r[m].lo)
			b = m;
		else if (n > set->r[m].hi)
			a = m + 1;
		else
			return 1;
	}
	return 0;
}

/* imapd_set_format - ascending numbers as a compact set ("1:3,7") */
void
imapd_set_format(struct buf *out, const uint32_t *v, int n)
{
	int i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j] == v[j - 1] + 1; j++)
			;
		if (i > 0)
			buf_putc(out, ',');
		if (j - 1 > i)
			buf_appendf(out, "%u:%u", v[i], v[j - 1]);
		else
			buf_appendf(out, "%u", v[i]);
	}
}

/* imapd_set_lower_bound - the first view index with uid >= a UID */
static int
imapd_set_lower_bound(struct imapd_state *s, uint32_t uid)
{
	int lo = 0, hi = s->count;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (s->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * imapd_set_resolve - the view indexes (ascending) a sequence or UID set
 * names.  -1 for a set that is not valid or (sequence numbers) names a
 * message that does not exist; 0 with *out malloc'd (maybe empty).
 */
int
imapd_set_resolve(struct imapd_state *s, const char *text, int uid,
    int **out, int *n)
{
	struct imapd_set set;
	char	*mark;
	uint32_t lo, hi, t, max;
	int	 i, k, *v;

	*out = NULL;
	*n = 0;
	if (imapd_set_parse(text, &set) < 0)
		return -1;
	if (uid)
		max = s->count > 0 ? s->msgs[s->count - 1].uid : 0;
	else
		max = (uint32_t)s->count;
	/*
	 * The set's ranges are merged (imapd_set_parse), so each message is
	 * marked about once: the ranges without '*', then the one with.
	 */
	mark = xcalloc((size_t)s->count + 1, 1);
	for (k = 0; k <= set.count; k++) {
		if (k < set.count) {
			lo = set.r[k].lo;
			hi = set.r[k].hi;
		} else if (!set.star)
			break;
		else if (!uid && s->count == 0)
			continue;	/* "1:*" or "*" in an empty mailbox */
		else
			imapd_set_star(&set, max, &lo, &hi);
		if (!uid) {
			if (lo == 0 || hi > (uint32_t)s->count) {
				free(mark);
				imapd_set_free(&set);
				return -1;
			}
			for (t = lo; t <= hi; t++)
				mark[t - 1] = 1;
			continue;
		}
		if (lo == 0)
			continue;	/* '*' in an empty mailbox */
		for (i = imapd_set_lower_bound(s, lo); i < s->count &&
		    s->msgs[i].uid <= hi; i++)
			mark[i] = 1;
	}
	v = xcalloc((size_t)s->count + 1, sizeof(*v));
	for (i = 0; i < s->count; i++)
		if (mark[i])
			v[(*n)++] = i;
	free(mark);
	imapd_set_free(&set);
	*out = v;
	return 0;
}
