/*
 * smtpd_check - who may send to whom.  At RCPT time:
 *
 *	1. smtpd_relay_restrictions, then smtpd_recipient_restrictions,
 *	   each in order, the first decision wins (smtpd_restrict.c);
 *	2. a recipient in mydestination must be deliverable: an alias or an
 *	   account (virtual or system), with or without its +extension;
 *	   postmaster always is (RFC 5321 4.5.1).
 *
 * Before both, a local part that holds an '@' of its own
 * ("postmaster@ext.example"@mired.org) is refused, 553 5.1.3, unless
 * allow_at_in_local_part: whatever cuts it again at its last '@' would
 * send it somewhere the checks never saw.  MAIL refuses such a sender
 * (5.1.7) for the same reason: its bounces would take that road.
 *
 * And at MAIL time smtpd_client_restrictions and smtpd_sender_restrictions
 * (smtpd_check_mail), an authenticated user's hourly message and
 * recipient rates (smtpd_check_rate, through anvil), and whether the
 * queue's file system has room (queue_minfree plus the size the client
 * announced).  The restriction
 * lists are checked when smtpd starts: a wrong name stops it.
 */
#include <sys/statvfs.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "anvilc.h"
#include "buf.h"
#include "msg.h"
#include "params.h"
#include "resolve.h"
#include "spf.h"
#include "srs.h"
#include "util.h"
#include "smtpd.h"

static struct srs *smtpd_srs;	/* bounces to SRS addresses, or NULL */

/*
 * smtpd_check_init - the restriction lists and smtpd_sender_login_maps
 * (before the chroot: tables are outside it); a mistake stops smtpd
 */
void
smtpd_check_init(void)
{
	smtpd_restrict_init();
	smtpd_sender_login_init();
	smtpd_srs = srs_start();	/* its secret: outside the chroot */
}

/*
 * smtpd_check_srs - a recipient SRS wrote (a bounce of mail we forwarded):
 * 1 with a good hash (qmgr sends it back to the original sender), 0 not
 * SRS, -1 with the reply in why (a bad hash, too old)
 */
static int
smtpd_check_srs(const char *addr, const char *shown, struct buf *why)
{
	struct buf *out, *err;
	int r;

	if (smtpd_srs == NULL || !srs_is_srs(addr))
		return 0;
	out = buf_new(256, 1024);
	err = buf_new(128, 1024);
	if ((r = srs_reverse(smtpd_srs, addr, out, err)) == SRS_ERROR)
		buf_setf(why, "550 5.1.1 <%s>: Recipient address rejected: "
		    "%s", shown, buf_str(err));
	buf_free(&out);
	buf_free(&err);
	return r == SRS_REWRITTEN ? 1 : r == SRS_ERROR ? -1 : 0;
}

/* smtpd_check_local - is a local recipient deliverable: 1, 0, -1 (why) */
static int
smtpd_check_local(const char *addr, struct buf *why)
{
	struct buf *local, *domain;
	int r;

	local = buf_new(64, 0);
	domain = buf_new(64, 0);
	addr_split(addr, local, domain);
	/* resolve_local_exists() also tries ana+lists as ana. */
	if (strcasecmp(buf_str(local), "postmaster") == 0)
		r = 1;
	else
		r = resolve_local_exists(addr, why);
	buf_free(&local);
	buf_free(&domain);
	return r;
}

/*
 * smtpd_check_spf - smtpd_spf_reject_fail: a client outside mynetworks
 * that did not authenticate, for whose MAIL FROM (or HELO) SPF says fail,
 * is refused at RCPT (RFC 7372's 5.7.23).  0 go on, -1 with the reply
 */
static int
smtpd_check_spf(struct smtpd_state *s, struct buf *why)
{
	const struct spf_answer *a;
	struct buf *pr;

	if (!var_smtpd_spf_reject_fail || !var_smtpd_spf_verify ||
	    s->in_mynetworks || s->sasl_user != NULL ||
	    (a = smtpd_spf(s)) == NULL || a->result != SPF_FAIL)
		return 0;
	pr = buf_new(128, 1024);
	buf_setf(why, "550 5.7.23 <%s>: Sender address rejected: SPF of %s "
	    "does not allow %s to send its mail", printable(a->identity ?
	    a->identity : "", pr), a->domain ? a->domain : "?", s->addr);
	buf_free(&pr);
	return -1;
}

/*
 * smtpd_check_rcpt - may this client send to this recipient?  0 yes, or
 * -1 with the whole reply ("550 5.1.1 <x>: ...") in why.
 */
int
smtpd_check_rcpt(struct smtpd_state *s, const char *addr, struct buf *why)
{
	enum resolve_class class = resolve_class(addr);
	struct smtpd_req q;
	struct buf *err, *pr;
	int r;

	pr = buf_new(64, 0);
	printable(addr, pr);
	if (!var_allow_at_in_local_part && addr_local_has_at(addr)) {
		buf_setf(why, "553 5.1.3 <%s>: Recipient address rejected: "
		    "an '@' in the local part is not allowed", buf_str(pr));
		buf_free(&pr);
		return -1;
	}
	q.sender = s->sender;
	q.rcpt = addr;
	q.class = class;
	if (smtpd_restrict(s, SMTPD_LIST_RELAY, &q, why) < 0 ||
	    smtpd_restrict(s, SMTPD_LIST_RCPT, &q, why) < 0) {
		buf_free(&pr);
		return -1;
	}
	if (smtpd_check_spf(s, why) < 0) {
		buf_free(&pr);
		return -1;
	}
	if (class != RESOLVE_LOCAL || (r = smtpd_check_srs(addr, buf_str(pr),
	    why)) != 0) {
		buf_free(&pr);
		return class != RESOLVE_LOCAL || r > 0 ? 0 : -1;
	}
	err = buf_new(64, 1024);
	r = smtpd_check_local(addr, err);
	if (r == 0)
		buf_setf(why, "550 5.1.1 <%s>: Recipient address rejected: "
		    "User unknown in local recipient table", buf_str(pr));
	else if (r < 0) {
		msg_warn("recipient <%s> from %s: lookup failed: %s",
		    buf_str(pr), s->namaddr, buf_str(err));
		buf_setf(why, "451 4.3.0 <%s>: Temporary lookup failure",
		    buf_str(pr));
	}
	buf_free(&err);
	buf_free(&pr);
	return r == 1 ? 0 : -1;
}

/*
 * smtpd_check_mail - the client and sender restrictions, at MAIL FROM:
 * 0 go on, -1 with the whole reply in why
 */
int
smtpd_check_mail(struct smtpd_state *s, const char *sender, struct buf *why)
{
	struct smtpd_req q;

	q.sender = sender;
	q.rcpt = NULL;
	q.class = RESOLVE_LOCAL;
	if (smtpd_restrict(s, SMTPD_LIST_CLIENT, &q, why) < 0 ||
	    smtpd_restrict(s, SMTPD_LIST_SENDER, &q, why) < 0)
		return -1;
	return 0;
}

/*
 * smtpd_check_rate - one more message or recipient (kind) of an
 * authenticated user, counted by anvil per hour: 0 within the limit (0:
 * none), -1 with a 450 4.7.1 reply in why and a warning in the log
 */
int
smtpd_check_rate(struct smtpd_state *s, const char *kind, long long limit,
    struct buf *why)
{
	long long rate;

	if (s->sasl_user == NULL || limit <= 0 ||
	    anvilc_rate(kind, s->sasl_user, 1, &rate) < 0 || rate <= limit)
		return 0;
	msg_warn("%s rate limit exceeded: %lld in an hour from %s for user "
	    "%s", kind, rate, s->namaddr, printable(s->sasl_user, s->tmp));
	buf_setf(why, "450 4.7.1 Error: %s rate limit exceeded for user %s",
	    kind, buf_str(s->tmp));
	return -1;
}

/*
 * smtpd_check_space - room in the queue for a message of this size (0:
 * unknown) and queue_minfree besides?  0 yes, -1 no.  When the file
 * system cannot say, we let the write find out.
 */
int
smtpd_check_space(long long size)
{
	struct statvfs sv;
	unsigned long long avail;

	if (var_queue_minfree <= 0 && size <= 0)
		return 0;
	/* In the chroot, the queue directory is "" (its root). */
	if (statvfs(*var_queue_directory ? var_queue_directory : "/",
	    &sv) < 0) {
		msg_warn("statvfs %s: %m", var_queue_directory);
		return 0;
	}
	avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (avail < (unsigned long long)var_queue_minfree +
	    (unsigned long long)size)
		return -1;
	return 0;
}
