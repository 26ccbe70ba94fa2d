/*
 * qmgr_plan - a recipient of an active file, planned into deliveries.
 *
 * Each recipient is rewritten through virtual_alias_maps (catch-all
 * @domain keys too), then expanded through the aliases (lib/alias.c: aliases,
 * .forward-like includes, commands, files), each target routed
 * (lib/resolve.c: local_transport, relay_transport, default_transport,
 * relayhost, transport_maps), and each becomes a job on a transport's
 * queue (qmgr_deliver.c) or an outcome at once (unknown user, a loop,
 * error:text, discard:text).  The targets are collected first, so a lookup
 * failure halfway leaves no partial plan: the whole recipient is deferred
 * and expanded again later.  A file whose reject= attribute holds a
 * reply (a milter refused mail that came by pickup) bounces every
 * recipient with it.  A target already planned for the message
 * (two aliases naming one mailbox) is delivered once.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alias.h"
#include "buf.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "resolve.h"
#include "srs.h"
#include "util.h"
#include "qmgr.h"

struct qmgr_target {
	int	 kind;
	char	*value;
	char	*via;
	char	*dsn;
};

struct qmgr_plan {
	struct qmgr_target *t;
	int	 n, size;
};

/* qmgr_plan_fn - alias expansion callback: collect a target */
static void
qmgr_plan_fn(int kind, const char *value, const char *via, const char *dsn,
    void *ctx)
{
	struct qmgr_plan *p = ctx;

	if (p->n == p->size) {
		p->size = p->size ? p->size * 2 : 8;
		p->t = xrealloc(p->t, sizeof(*p->t) * (size_t)p->size);
	}
	p->t[p->n].kind = kind;
	p->t[p->n].value = xstrdup(value);
	p->t[p->n].via = xstrdup(via ? via : value);
	p->t[p->n].dsn = dsn ? xstrdup(dsn) : NULL;
	p->n++;
}

/* qmgr_plan_free - release collected targets */
static void
qmgr_plan_free(struct qmgr_plan *p)
{
	int i;

	for (i = 0; i < p->n; i++) {
		free(p->t[i].value);
		free(p->t[i].via);
		free(p->t[i].dsn);
	}
	free(p->t);
	memset(p, 0, sizeof(*p));
}

/* qmgr_plan_seen - was this target planned for m already? (else note it) */
static int
qmgr_plan_seen(struct qmgr_message *m, int kind, const char *value)
{
	struct buf *key = buf_new(256, 0);
	int i;

	buf_setf(key, "%c%s", kind == JOB_ADDR ? 'A' : kind == JOB_COMMAND ?
	    'C' : 'F', value);
	if (kind == JOB_ADDR)
		lowercase(key->data);
	for (i = 0; i < m->nseen; i++) {
		if (strcmp(m->seen[i], buf_str(key)) == 0) {
			buf_free(&key);
			return 1;
		}
	}
	if (m->nseen == m->seensize) {
		m->seensize = m->seensize ? m->seensize * 2 : 8;
		m->seen = xrealloc(m->seen, sizeof(char *) *
		    (size_t)m->seensize);
	}
	m->seen[m->nseen++] = buf_steal(&key);
	return 0;
}

/* qmgr_plan_job - a delivery of recipient r of m */
static struct qmgr_job *
qmgr_plan_job(struct qmgr_message *m, int r, int kind, const char *addr,
    const char *target)
{
	struct qmgr_job *j = xcalloc(1, sizeof(*j));

	j->msg = m;
	j->rcpt = r;
	j->kind = kind;
	j->addr = xstrdup(addr);
	j->target = target ? xstrdup(target) : NULL;
	j->state = -1;
	j->relay = "none";
	if (m->njobs == m->jobsize) {
		m->jobsize = m->jobsize ? m->jobsize * 2 : 4;
		m->jobs = xrealloc(m->jobs, sizeof(*m->jobs) *
		    (size_t)m->jobsize);
	}
	m->jobs[m->njobs++] = j;
	return j;
}

/* qmgr_plan_queue - hand a job to a transport (counted as pending) */
static void
qmgr_plan_queue(struct qmgr_job *j, struct qmgr_transport *tp,
    const char *nexthop)
{
	j->tp = tp;
	j->relay = tp->name;
	j->nexthop = xstrdup(nexthop ? nexthop : "");
	j->state = JOB_QUEUED;
	j->msg->pending++;
	qmgr_deliver_enqueue(j);
}

/*
 * qmgr_plan_error - error:text (bounce, or defer when the text starts
 * with a 4.x.x code) and discard:text (done, logged as sent)
 */
static void
qmgr_plan_error(struct qmgr_job *j, int discard, const char *text)
{
	char code[16];
	size_t n = strspn(text, "0123456789.");

	if (discard) {
		struct buf *why = buf_new(128, 0);

		buf_setf(why, "discarded%s%s", *text ? ": " : "", text);
		qmgr_job_result(j, 0, "2.0.0", buf_str(why));
		buf_free(&why);
		return;
	}
	snprintf(code, sizeof(code), "5.0.0");
	if (n >= 5 && n < sizeof(code) && (text[0] == '4' || text[0] ==
	    '5') && (text[n] == ' ' || text[n] == '\0')) {
		memcpy(code, text, n);
		code[n] = '\0';
		text += n + strspn(text + n, " ");
	}
	qmgr_job_result(j, code[0] - '0', code, *text ? text :
	    "mail for this address is refused (transport_maps)");
}

static void qmgr_plan_local(struct qmgr_message *, int,
    const struct qmgr_target *, struct buf *);

/* qmgr_plan_addr - a final address: routed (lib/resolve.c), or local */
static void
qmgr_plan_addr(struct qmgr_message *m, int r, const struct qmgr_target *t,
    struct buf *why)
{
	struct qmgr_job *j;
	struct qmgr_transport *tp;
	struct buf *tname, *nexthop;

	if (qmgr_plan_seen(m, JOB_ADDR, t->value))
		return;
	tname = buf_new(64, 0);
	nexthop = buf_new(256, 0);
	if (resolve_route(t->value, tname, nexthop, why) < 0) {
		j = qmgr_plan_job(m, r, JOB_ADDR, t->value, NULL);
		qmgr_job_result(j, 4, "4.3.0", buf_str(why));
		goto out;
	}
	if (strcmp(buf_str(tname), "error") == 0 ||
	    strcmp(buf_str(tname), "discard") == 0) {
		j = qmgr_plan_job(m, r, JOB_ADDR, t->value, NULL);
		qmgr_plan_error(j, buf_str(tname)[0] == 'd', buf_str(nexthop));
		goto out;
	}
	tp = qmgr_deliver_transport(buf_str(tname));
	if (!tp->is_local) {
		j = qmgr_plan_job(m, r, JOB_ADDR, t->value, NULL);
		/* Not the address the sender wrote: forwarded, SRS's job. */
		j->forwarded = strcasecmp(t->value, m->q.rcpt[r].addr) != 0;
		qmgr_plan_queue(j, tp, buf_str(nexthop));
		goto out;
	}
	qmgr_plan_local(m, r, t, why);
out:
	buf_free(&tname);
	buf_free(&nexthop);
}

/* qmgr_plan_local - a local address: its account, or unknown */
static void
qmgr_plan_local(struct qmgr_message *m, int r, const struct qmgr_target *t,
    struct buf *why)
{
	struct qmgr_job *j;
	struct account acct;
	struct buf *bare;
	int found;

	bare = buf_new(256, 0);
	alias_strip_extension(t->value, bare);
	memset(&acct, 0, sizeof(acct));
	found = resolve_account(buf_str(bare), &acct, why);
	buf_free(&bare);
	j = qmgr_plan_job(m, r, JOB_ADDR, t->value, NULL);
	if (found > 0) {
		account_free(&acct);
		qmgr_plan_queue(j, qmgr_deliver_local(), NULL);
	} else if (found == 0) {
		if (t->dsn != NULL)
			qmgr_job_result(j, 5, t->dsn, "mail forwarding loop in "
			    "the aliases, and no such user here");
		else
			qmgr_job_result(j, 5, "5.1.1", "unknown user");
	} else
		qmgr_job_result(j, 4, "4.3.0", buf_str(why));
}

/*
 * qmgr_plan_srs - an SRS address of ours with a good hash: the address
 * it stands for into out (smtpd refused the bad ones at RCPT; one that
 * went bad since, too old now, is left to bounce as unknown)
 */
static int
qmgr_plan_srs(const char *addr, struct buf *out)
{
	struct buf *why;
	int r;

	if (qmgr_srs == NULL || !srs_is_srs(addr))
		return 0;
	why = buf_new(128, 1024);
	buf_reset(out);
	if ((r = srs_reverse(qmgr_srs, addr, out, why)) == SRS_ERROR)
		msg_info("SRS address %s: %s", addr, buf_str(why));
	buf_free(&why);
	return r == SRS_REWRITTEN;
}

/*
 * qmgr_plan_virtual - rewrite addr through virtual_alias_maps (again for
 * each address it gives, but one that names itself), then expand each
 * address through the aliases into p: 0, or -1 with why (try later)
 */
static int
qmgr_plan_virtual(const char *addr, int depth, struct qmgr_plan *p,
    struct buf *why)
{
	struct buf *value = buf_new(256, 0), *e = buf_new(256, 0);
	const char *s, *tok;
	size_t len;
	int r;

	if (depth == 0 && qmgr_plan_srs(addr, value)) {
		/* A bounce to an address SRS made: back to its sender. */
		qmgr_plan_fn(ALIAS_ADDR, buf_str(value), addr, NULL, p);
		r = 0;
		goto out;
	}
	if ((r = resolve_virtual_alias(addr, value, why)) <= 0) {
		if (r == 0)
			r = alias_expand(addr, qmgr_plan_fn, p, why);
		goto out;
	}
	if (depth >= ALIAS_DEPTH_MAX || p->n >= ALIAS_TARGETS_MAX) {
		qmgr_plan_fn(ALIAS_ERROR, "virtual_alias_maps nested too deeply"
		    " or too many addresses (a loop?)", addr, "5.4.6", p);
		goto out;
	}
	for (s = buf_str(value); r >= 0 && *s != '\0'; ) {
		s += strspn(s, ", \t\r\n");
		tok = s;
		s += (len = strcspn(s, ", \t\r\n"));
		if (len == 0)
			continue;
		buf_reset(e);
		buf_append(e, tok, len);
		if (memchr(tok, '@', len) == NULL)
			buf_appendf(e, "@%s", var_myorigin ? var_myorigin : "");
		r = strcasecmp(buf_str(e), addr) == 0 ? alias_expand(buf_str(e),
		    qmgr_plan_fn, p, why) : qmgr_plan_virtual(buf_str(e),
		    depth + 1, p, why);
	}
out:
	buf_free(&value);
	buf_free(&e);
	return r < 0 ? -1 : 0;
}

/*
 * qmgr_plan_reject - m was refused before it was queued (its reject=
 * attribute, "550 5.7.1 text"): recipient r bounces with that reply.
 * 1, or 0 when m has no such attribute
 */
static int
qmgr_plan_reject(struct qmgr_message *m, int r)
{
	const char *v = queue_msg_attr(&m->q, "reject"), *p;
	struct qmgr_job *j;
	char dsn[16];
	size_t n;

	if (v == NULL)
		return 0;
	snprintf(dsn, sizeof(dsn), "5.7.1");
	p = v + strspn(v, "0123456789");
	p += strspn(p, " -");
	n = strspn(p, "0123456789.");
	if (n >= 5 && n < sizeof(dsn) && p[0] == '5' && p[1] == '.')
		snprintf(dsn, sizeof(dsn), "%.*s", (int)n, p);
	j = qmgr_plan_job(m, r, JOB_ADDR, m->q.rcpt[r].addr, NULL);
	qmgr_job_result(j, 5, dsn, v);
	return 1;
}

/* qmgr_plan_rcpt - expand recipient r of m into jobs */
void
qmgr_plan_rcpt(struct qmgr_message *m, int r, struct buf *why)
{
	struct qmgr_plan plan;
	struct qmgr_job *j;
	const char *addr = m->q.rcpt[r].addr;
	int i;

	if (qmgr_plan_reject(m, r))
		return;
	memset(&plan, 0, sizeof(plan));
	if (qmgr_plan_virtual(addr, 0, &plan, why) < 0) {
		j = qmgr_plan_job(m, r, JOB_ADDR, addr, NULL);
		qmgr_job_result(j, 4, "4.3.0", buf_str(why));
		qmgr_plan_free(&plan);
		return;
	}
	for (i = 0; i < plan.n; i++) {
		struct qmgr_target *t = &plan.t[i];

		switch (t->kind) {
		case ALIAS_ADDR:
			qmgr_plan_addr(m, r, t, why);
			break;
		case ALIAS_COMMAND:
		case ALIAS_FILE:
			if (qmgr_plan_seen(m, t->kind == ALIAS_COMMAND ?
			    JOB_COMMAND : JOB_FILE, t->value))
				break;
			j = qmgr_plan_job(m, r, t->kind == ALIAS_COMMAND ?
			    JOB_COMMAND : JOB_FILE, t->via, t->value);
			qmgr_plan_queue(j, qmgr_deliver_local(), NULL);
			break;
		default:
			j = qmgr_plan_job(m, r, JOB_ADDR, t->via, NULL);
			qmgr_job_result(j, 5, t->dsn ? t->dsn : "5.3.0",
			    t->value);
			break;
		}
	}
	qmgr_plan_free(&plan);
}
