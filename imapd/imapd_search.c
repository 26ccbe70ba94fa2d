/*
 * imapd_search - SEARCH and UID SEARCH (RFC 3501 6.4.4), with ESEARCH's
 * RETURN options (RFC 4731) and CONDSTORE's MODSEQ key (RFC 7162).
 *
 * The search program is parsed into a tree first (a syntax error is BAD
 * before any message is looked at), with nesting bounded; then each
 * message is tested, the keys of an AND cheapest first: flags, UIDs and
 * sequence numbers cost nothing, sizes, dates and the common header
 * fields come from the folder's cache, and only BODY, TEXT and rare
 * header fields read the message.  Strings match as RFC 3501 says,
 * case-insensitively as substrings, against header values with RFC 2047
 * encoded words decoded and against bodies with their transfer encoding
 * undone and their charset converted, all in UTF-8 (CHARSET UTF-8 and
 * US-ASCII are accepted, others get NO [BADCHARSET]).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "imapparse.h"
#include "lineio.h"
#include "mailbox.h"
#include "mime.h"
#include "msg.h"
#include "util.h"
#include "imapd.h"

enum {
	SK_ALL, SK_AND, SK_OR, SK_NOT, SK_SEQ, SK_UID, SK_FLAG, SK_UNFLAG,
	SK_KEYWORD, SK_UNKEYWORD, SK_NEW, SK_OLD, SK_RECENT, SK_BEFORE, SK_ON,
	SK_SINCE, SK_SENTBEFORE, SK_SENTON, SK_SENTSINCE, SK_LARGER,
	SK_SMALLER, SK_HEADER, SK_BODY, SK_TEXT, SK_MODSEQ
};

struct imapd_skey {
	int		 op;
	int		 cost;		/* 0 free, 1 cache, 2 message */
	uint32_t	 bit;
	long long	 num;		/* date (yyyymmdd), size, modseq */
	char		*field;
	char		*str;
	struct imapd_set set;
	struct imapd_skey *kids;
	int		 nkids;
};

/* The message being tested, with what has been loaded for it. */
struct imapd_sctx {
	struct imapd_state *s;
	int		 i;
	struct imapd_msg *m;
	uint64_t	 modseq;
	int		 have_rec;	/* 0 not tried, 1 yes, -1 failed */
	struct mailbox_cached rec;
	int		 have_text;
	struct imapd_text t;
	struct buf	*hay;
	struct buf	*tmp;
	uint32_t	 maxuid;
};

/* ESEARCH RETURN options. */
#define SR_MIN		0x1
#define SR_MAX		0x2
#define SR_ALL		0x4
#define SR_COUNT	0x8

/* imapd_skey_free - release a key tree */
static void
imapd_skey_free(struct imapd_skey *k)
{
	int i;

	for (i = 0; i < k->nkids; i++)
		imapd_skey_free(&k->kids[i]);
	free(k->kids);
	free(k->field);
	free(k->str);
	imapd_set_free(&k->set);
}

/* imapd_skey_kid - a new child of an AND/OR/NOT */
static struct imapd_skey *
imapd_skey_kid(struct imapd_skey *k)
{
	k->kids = xrealloc(k->kids, (size_t)(k->nkids + 1) * sizeof(*k->kids));
	memset(&k->kids[k->nkids], 0, sizeof(*k->kids));
	return &k->kids[k->nkids++];
}

/* imapd_skey_date - a date argument as yyyymmdd; -1 if not valid */
static long long
imapd_skey_date(struct imapparse_cmd *c)
{
	const char *p = imapparse_astring(c);
	int y, m, d;

	if (p == NULL || imapparse_date_parse(p, &y, &m, &d) < 0)
		return -1;
	return (long long)y * 10000 + m * 100 + d;
}

static int imapd_skey_parse(struct imapd_state *, struct imapparse_cmd *,
    struct imapd_skey *, int);

/* imapd_skey_string - a key with a string argument (and a field) */
static int
imapd_skey_string(struct imapparse_cmd *c, struct imapd_skey *k, int op,
    const char *field)
{
	const char *p;

	if (field == NULL && op == SK_HEADER) {
		if ((p = imapparse_astring(c)) == NULL)
			return -1;
		field = p;
	}
	if ((p = imapparse_astring(c)) == NULL)
		return -1;
	k->op = op;
	k->field = field != NULL ? xstrdup(field) : NULL;
	k->str = xstrdup(p);
	return 0;
}

/* imapd_skey_cached_field - is a header field in the cache? */
static int
imapd_skey_cached_field(const char *f)
{
	static const char *const list[] = {
		"From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID",
		"In-Reply-To", "References", "Reply-To", "Sender",
		"Content-Type", "List-Id", "X-Priority", "Priority",
		"Importance", "Delivered-To", "Return-Path", "X-Spam-Flag",
		NULL
	};
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strcasecmp(f, list[i]) == 0)
			return 1;
	return 0;
}

/* imapd_skey_one - one search key; -1 when not valid */
static int
imapd_skey_one(struct imapd_state *s, struct imapparse_cmd *c,
    struct imapd_skey *k, int depth)
{
	static const struct {
		const char	*name;
		int		 op;
		uint32_t	 bit;
	} flags[] = {
		{ "ANSWERED", SK_FLAG, FLAG_ANSWERED },
		{ "DELETED", SK_FLAG, FLAG_DELETED },
		{ "DRAFT", SK_FLAG, FLAG_DRAFT },
		{ "FLAGGED", SK_FLAG, FLAG_FLAGGED },
		{ "SEEN", SK_FLAG, FLAG_SEEN },
		{ "UNANSWERED", SK_UNFLAG, FLAG_ANSWERED },
		{ "UNDELETED", SK_UNFLAG, FLAG_DELETED },
		{ "UNDRAFT", SK_UNFLAG, FLAG_DRAFT },
		{ "UNFLAGGED", SK_UNFLAG, FLAG_FLAGGED },
		{ "UNSEEN", SK_UNFLAG, FLAG_SEEN },
	};
	static const struct {
		const char	*name;
		int		 op;
	} dates[] = {
		{ "BEFORE", SK_BEFORE }, { "ON", SK_ON }, { "SINCE", SK_SINCE },
		{ "SENTBEFORE", SK_SENTBEFORE }, { "SENTON", SK_SENTON },
		{ "SENTSINCE", SK_SENTSINCE },
	};
	struct imapparse_arg *a;
	const char	*w, *p;
	uint64_t	 n;
	size_t		 i;

	if (depth > IMAPPARSE_DEPTH_MAX || (a = imapparse_arg(c)) == NULL)
		return -1;
	memset(k, 0, sizeof(*k));
	if (a->type == IMAPPARSE_LPAREN) {
		k->op = SK_AND;
		while ((a = imapparse_arg_peek(c)) != NULL &&
		    a->type != IMAPPARSE_RPAREN)
			if (imapd_skey_parse(s, c, imapd_skey_kid(k),
			    depth + 1) < 0)
				return -1;
		if (!imapparse_arg_rparen(c) || k->nkids == 0)
			return -1;
		return 0;
	}
	if (a->type != IMAPPARSE_ATOM)
		return -1;
	w = a->s;
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcasecmp(w, flags[i].name) == 0) {
			k->op = flags[i].op;
			k->bit = flags[i].bit;
			return 0;
		}
	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
		if (strcasecmp(w, dates[i].name) == 0) {
			k->op = dates[i].op;
			k->cost = 1;
			return (k->num = imapd_skey_date(c)) < 0 ? -1 : 0;
		}
	if (strcasecmp(w, "ALL") == 0)
		k->op = SK_ALL;
	else if (strcasecmp(w, "NEW") == 0)
		k->op = SK_NEW;
	else if (strcasecmp(w, "OLD") == 0)
		k->op = SK_OLD;
	else if (strcasecmp(w, "RECENT") == 0)
		k->op = SK_RECENT;
	else if (strcasecmp(w, "KEYWORD") == 0 ||
	    strcasecmp(w, "UNKEYWORD") == 0) {
		k->op = (w[0] == 'U' || w[0] == 'u') ? SK_UNKEYWORD :
		    SK_KEYWORD;
		if ((p = imapparse_atom(c)) == NULL)
			return -1;
		k->str = xstrdup(p);
	} else if (strcasecmp(w, "LARGER") == 0 ||
	    strcasecmp(w, "SMALLER") == 0) {
		k->op = (w[0] == 'L' || w[0] == 'l') ? SK_LARGER : SK_SMALLER;
		k->cost = 1;
		if ((p = imapparse_atom(c)) == NULL ||
		    imapparse_number64(p, &n) < 0)
			return -1;
		k->num = (long long)n;
	} else if (strcasecmp(w, "MODSEQ") == 0) {
		k->op = SK_MODSEQ;
		/* Optional entry name and type (RFC 7162), ignored. */
		if ((a = imapparse_arg_peek(c)) != NULL &&
		    a->type == IMAPPARSE_STRING) {
			c->pos++;
			if ((p = imapparse_atom(c)) == NULL)
				return -1;
		}
		if ((p = imapparse_atom(c)) == NULL ||
		    imapparse_number64(p, &n) < 0)
			return -1;
		k->num = (long long)n;
		s->condstore = 1;
	} else if (strcasecmp(w, "UID") == 0) {
		k->op = SK_UID;
		if ((p = imapparse_atom(c)) == NULL ||
		    imapd_set_parse(p, &k->set) < 0)
			return -1;
	} else if (strcasecmp(w, "NOT") == 0) {
		k->op = SK_NOT;
		if (imapd_skey_parse(s, c, imapd_skey_kid(k), depth + 1) < 0)
			return -1;
		k->cost = k->kids[0].cost;
	} else if (strcasecmp(w, "OR") == 0) {
		k->op = SK_OR;
		if (imapd_skey_parse(s, c, imapd_skey_kid(k), depth + 1) < 0 ||
		    imapd_skey_parse(s, c, imapd_skey_kid(k), depth + 1) < 0)
			return -1;
		k->cost = k->kids[0].cost > k->kids[1].cost ? k->kids[0].cost :
		    k->kids[1].cost;
	} else if (strcasecmp(w, "FROM") == 0 || strcasecmp(w, "TO") == 0 ||
	    strcasecmp(w, "CC") == 0 || strcasecmp(w, "BCC") == 0 ||
	    strcasecmp(w, "SUBJECT") == 0) {
		if (imapd_skey_string(c, k, SK_HEADER, w) < 0)
			return -1;
		k->cost = 1;
	} else if (strcasecmp(w, "HEADER") == 0) {
		if (imapd_skey_string(c, k, SK_HEADER, NULL) < 0)
			return -1;
		k->cost = imapd_skey_cached_field(k->field) ? 1 : 2;
	} else if (strcasecmp(w, "BODY") == 0) {
		if (imapd_skey_string(c, k, SK_BODY, "") < 0)
			return -1;
		k->cost = 2;
	} else if (strcasecmp(w, "TEXT") == 0) {
		if (imapd_skey_string(c, k, SK_TEXT, "") < 0)
			return -1;
		k->cost = 2;
	} else if (imapd_set_parse(w, &k->set) == 0) {
		k->op = SK_SEQ;
	} else
		return -1;
	return 0;
}

/* imapd_skey_cost_cmp - cheaper keys first */
static int
imapd_skey_cost_cmp(const void *a, const void *b)
{
	return ((const struct imapd_skey *)a)->cost -
	    ((const struct imapd_skey *)b)->cost;
}

/* imapd_skey_parse - a key, recursively; ANDs sorted by cost */
static int
imapd_skey_parse(struct imapd_state *s, struct imapparse_cmd *c,
    struct imapd_skey *k, int depth)
{
	int i;

	if (imapd_skey_one(s, c, k, depth) < 0)
		return -1;
	if (k->op == SK_AND) {
		qsort(k->kids, (size_t)k->nkids, sizeof(*k->kids),
		    imapd_skey_cost_cmp);
		for (i = 0; i < k->nkids; i++)
			if (k->kids[i].cost > k->cost)
				k->cost = k->kids[i].cost;
	}
	return 0;
}

/* imapd_sctx_rec - the cache record of the message; 0 when unavailable */
static int
imapd_sctx_rec(struct imapd_sctx *x)
{
	if (x->have_rec == 0)
		x->have_rec = imapd_cached(x->s, x->s->mb, x->m->uid,
		    &x->rec) > 0 ? 1 : -1;
	return x->have_rec > 0;
}

/* imapd_sctx_text - the message itself; 0 when unavailable */
static int
imapd_sctx_text(struct imapd_sctx *x)
{
	if (x->have_text == 0)
		x->have_text = imapd_text_load(x->s, x->s->mb, x->m->uid,
		    &x->t) == 0 ? 1 : -1;
	return x->have_text > 0;
}

/* imapd_local_date - a time as yyyymmdd in local time */
static long long
imapd_local_date(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return (long long)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
}

/* imapd_date_cmp - BEFORE/ON/SINCE of a yyyymmdd against the key's */
static int
imapd_date_test(int op, long long have, long long want)
{
	switch (op) {
	case SK_BEFORE:
	case SK_SENTBEFORE:
		return have < want;
	case SK_ON:
	case SK_SENTON:
		return have == want;
	default:
		return have >= want;
	}
}

/* imapd_header_match - a header field of hdr contains the string? */
static int
imapd_header_match(struct imapd_sctx *x, const char *hdr, size_t len,
    const char *field, const char *needle)
{
	const char	*n, *v;
	size_t		 pos = 0, nlen, vlen;

	while (mime_header_next(hdr, len, &pos, &n, &nlen, &v, &vlen)) {
		if (nlen != strlen(field) || strncasecmp(n, field, nlen) != 0)
			continue;
		if (*needle == '\0')
			return 1;
		buf_reset(x->tmp);
		mime_unfold(v, vlen, x->tmp);
		buf_reset(x->hay);
		mime_decode_words(buf_str(x->tmp), buf_len(x->tmp), x->hay);
		if (mime_search(buf_str(x->hay), buf_len(x->hay), needle,
		    strlen(needle)))
			return 1;
	}
	return 0;
}

/* imapd_skey_test - does the message match a key? */
static int
imapd_skey_test(struct imapd_sctx *x, struct imapd_skey *k)
{
	struct imapd_msg *m = x->m;
	const char	*hdr;
	size_t		 hlen;
	int		 i, y, mo, d, bit;

	switch (k->op) {
	case SK_ALL:
		return 1;
	case SK_AND:
		for (i = 0; i < k->nkids; i++)
			if (!imapd_skey_test(x, &k->kids[i]))
				return 0;
		return 1;
	case SK_OR:
		return imapd_skey_test(x, &k->kids[0]) ||
		    imapd_skey_test(x, &k->kids[1]);
	case SK_NOT:
		return !imapd_skey_test(x, &k->kids[0]);
	case SK_SEQ:
		return imapd_set_has(&k->set, (uint32_t)x->i + 1,
		    (uint32_t)x->s->count);
	case SK_UID:
		return imapd_set_has(&k->set, m->uid, x->maxuid);
	case SK_FLAG:
		return (m->flags & k->bit) != 0;
	case SK_UNFLAG:
		return (m->flags & k->bit) == 0;
	case SK_KEYWORD:
	case SK_UNKEYWORD:
		bit = imapparse_system_flag(k->str);
		if (bit > 0)
			i = (m->flags & (uint32_t)bit) != 0;
		else {
			bit = mailbox_keyword(x->s->mb, k->str, 0, NULL);
			i = bit >= 0 && (m->kw & (1U << bit)) != 0;
		}
		return k->op == SK_KEYWORD ? i : !i;
	case SK_NEW:
		return m->recent && !(m->flags & FLAG_SEEN);
	case SK_OLD:
		return !m->recent;
	case SK_RECENT:
		return m->recent;
	case SK_MODSEQ:
		return x->modseq >= (uint64_t)k->num;
	case SK_BEFORE:
	case SK_ON:
	case SK_SINCE:
		if (!imapd_sctx_rec(x))
			return 0;
		return imapd_date_test(k->op, imapd_local_date((time_t)
		    x->rec.idate), k->num);
	case SK_SENTBEFORE:
	case SK_SENTON:
	case SK_SENTSINCE:
		if (!imapd_sctx_rec(x))
			return 0;
		buf_reset(x->tmp);
		if (mime_header_get(x->rec.headers, x->rec.headers_len, "Date",
		    x->tmp) && imapparse_date_header(buf_str(x->tmp), &y, &mo,
		    &d) == 0)
			return imapd_date_test(k->op, (long long)y * 10000 +
			    mo * 100 + d, k->num);
		return imapd_date_test(k->op, imapd_local_date((time_t)
		    x->rec.idate), k->num);
	case SK_LARGER:
	case SK_SMALLER:
		if (!imapd_sctx_rec(x))
			return 0;
		return k->op == SK_LARGER ? x->rec.size > k->num :
		    x->rec.size < k->num;
	case SK_HEADER:
		if (imapd_skey_cached_field(k->field)) {
			if (!imapd_sctx_rec(x))
				return 0;
			return imapd_header_match(x, x->rec.headers,
			    x->rec.headers_len, k->field, k->str);
		}
		if (!imapd_sctx_text(x))
			return 0;
		hdr = buf_str(x->t.text) + x->t.mime->hdr_off;
		hlen = x->t.mime->hdr_len;
		return imapd_header_match(x, hdr, hlen, k->field, k->str);
	case SK_BODY:
	case SK_TEXT:
		if (!imapd_sctx_text(x))
			return 0;
		buf_reset(x->hay);
		if (k->op == SK_TEXT) {
			buf_reset(x->tmp);
			mime_unfold(buf_str(x->t.text) + x->t.mime->hdr_off,
			    x->t.mime->hdr_len, x->tmp);
			mime_decode_words(buf_str(x->tmp), buf_len(x->tmp),
			    x->hay);
			buf_putc(x->hay, '\n');
		}
		mime_decode_body(buf_str(x->t.text), x->t.mime, x->hay);
		return mime_search(buf_str(x->hay), buf_len(x->hay), k->str,
		    strlen(k->str));
	}
	return 0;
}

/* imapd_search_return - "RETURN (MIN MAX ALL COUNT)"; -1 if not valid */
static int
imapd_search_return(struct imapparse_cmd *c)
{
	struct imapparse_arg *a;
	int r = 0;

	if (!imapparse_arg_lparen(c))
		return -1;
	while ((a = imapparse_arg(c)) != NULL && a->type == IMAPPARSE_ATOM) {
		if (strcasecmp(a->s, "MIN") == 0)
			r |= SR_MIN;
		else if (strcasecmp(a->s, "MAX") == 0)
			r |= SR_MAX;
		else if (strcasecmp(a->s, "ALL") == 0)
			r |= SR_ALL;
		else if (strcasecmp(a->s, "COUNT") == 0)
			r |= SR_COUNT;
		else
			return -1;
	}
	if (a == NULL || a->type != IMAPPARSE_RPAREN)
		return -1;
	return r == 0 ? SR_ALL : r;
}

/* imapd_cmd_search - SEARCH [RETURN (...)] [CHARSET x] keys */
void
imapd_cmd_search(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct imapd_skey	 prog;
	struct imapd_sctx	 x;
	struct imapparse_arg	*a;
	struct buf		*out;
	uint32_t		*hits = NULL;
	uint64_t		 maxmod = 0;
	int			 nhits = 0, i, k, ret = -1, hasmodseq = 0;

	memset(&prog, 0, sizeof(prog));
	prog.op = SK_AND;
	a = imapparse_arg_peek(c);
	if (imapparse_arg_is(a, "RETURN")) {
		c->pos++;
		if ((ret = imapd_search_return(c)) < 0)
			goto bad;
		a = imapparse_arg_peek(c);
	}
	if (imapparse_arg_is(a, "CHARSET")) {
		const char *cs;

		c->pos++;
		if ((cs = imapparse_astring(c)) == NULL)
			goto bad;
		if (strcasecmp(cs, "UTF-8") != 0 &&
		    strcasecmp(cs, "US-ASCII") != 0) {
			imapd_tag_no(s, c, "[BADCHARSET (UTF-8 US-ASCII)] "
			    "Unsupported charset %s", printable(cs, s->tmp));
			return;
		}
	}
	while (!imapparse_arg_end(c))
		if (imapd_skey_parse(s, c, imapd_skey_kid(&prog), 1) < 0)
			goto bad;
	if (prog.nkids == 0)
		goto bad;
	qsort(prog.kids, (size_t)prog.nkids, sizeof(*prog.kids),
	    imapd_skey_cost_cmp);
	for (i = 0; i < prog.nkids; i++)
		if (prog.kids[i].op == SK_MODSEQ)
			hasmodseq = 1;
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.hay = buf_new(4096, 0);
	x.tmp = buf_new(1024, 0);
	x.maxuid = s->count > 0 ? s->msgs[s->count - 1].uid : 0;
	hits = xcalloc((size_t)s->count + 1, sizeof(*hits));
	k = -1;
	for (i = 0; i < s->count; i++) {
		x.i = i;
		x.m = &s->msgs[i];
		k = uidlist_find_near(&s->mb->ul, x.m->uid, k + 1);
		x.modseq = k >= 0 ? s->mb->ul.v[k].modseq : 0;
		x.have_rec = 0;
		x.have_text = 0;
		if (imapd_skey_test(&x, &prog)) {
			hits[nhits++] = c->uid ? x.m->uid : (uint32_t)i + 1;
			if (x.modseq > maxmod)
				maxmod = x.modseq;
		}
		if (x.have_text > 0)
			imapd_text_free(&x.t);
	}
	buf_free(&x.hay);
	buf_free(&x.tmp);
	mailbox_cache_flush(s->mb);
	out = buf_new(256, 0);
	if (ret < 0) {
		buf_puts(out, "* SEARCH");
		for (i = 0; i < nhits; i++)
			buf_appendf(out, " %u", hits[i]);
		if (hasmodseq && nhits > 0)
			buf_appendf(out, " (MODSEQ %llu)",
			    (unsigned long long)maxmod);
	} else {
		buf_puts(out, "* ESEARCH (TAG ");
		mime_imap_string(out, c->tag, strlen(c->tag));
		buf_putc(out, ')');
		if (c->uid)
			buf_puts(out, " UID");
		if ((ret & SR_MIN) && nhits > 0)
			buf_appendf(out, " MIN %u", hits[0]);
		if ((ret & SR_MAX) && nhits > 0)
			buf_appendf(out, " MAX %u", hits[nhits - 1]);
		if ((ret & SR_ALL) && nhits > 0) {
			buf_puts(out, " ALL ");
			imapd_set_format(out, hits, nhits);
		}
		if (ret & SR_COUNT)
			buf_appendf(out, " COUNT %d", nhits);
		if (hasmodseq && nhits > 0)
			buf_appendf(out, " MODSEQ %llu",
			    (unsigned long long)maxmod);
	}
	imapd_reply(s, "%s", buf_str(out));
	buf_free(&out);
	free(hits);
	imapd_skey_free(&prog);
	imapd_tag_ok(s, c, "Search completed.");
	return;
bad:
	imapd_skey_free(&prog);
	imapd_tag_bad(s, c, "Invalid search: SEARCH [RETURN (...)] [CHARSET "
	    "UTF-8] keys");
}
