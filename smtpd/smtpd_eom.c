/*
 * smtpd_eom - the whole message, before the reply to its end: signed or
 * checked.
 *
 * Mail of a client in mynetworks or an authenticated one is signed
 * (DKIM) when its From: domain has a key in dkim_signing_keys.  Other
 * mail is checked: every DKIM signature (smtpd_dkim_verify), the ARC
 * chain it brings (smtpd_arc_verify, RFC 8617), SPF of the MAIL FROM
 * domain or the HELO name (smtpd_spf_verify), and with both the From:
 * domain's DMARC policy (smtpd_dmarc_verify): its reject refuses the
 * message (550 5.7.1; 451 4.7.5 when a DNS failure may be why it
 * failed), its quarantine files it into the recipients' Junk folder (a
 * late folder= attribute of the queue file).  The results go into one
 * Authentication-Results field under our authserv_id.  The headers made
 * here go right after our Received: header (queue_insert), where a
 * signature covers what later hops see.
 *
 * smtpd_data feeds every byte it puts into the queue file after our
 * Received: header; the signing key is chosen at the end by the From:
 * domain (or its nearest parent with a key; none, or several From:
 * fields: unsigned).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc.h"
#include "authres.h"
#include "buf.h"
#include "dkim.h"
#include "dmarc.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "spf.h"
#include "util.h"
#include "smtpd.h"

struct smtpd_eom {
	int		 trusted;	/* mynetworks or authenticated */
	struct buf	*head;		/* the header section, for DMARC */
	int		 last;		/* the last byte fed (for "\n\n") */
	int		 in_body;	/* head is whole */
	int		 quarantine;	/* DMARC says so */
	struct dkim_sign *signer;
	struct dkim_verify *verifier;
	struct arc_verify *arc;		/* the ARC chain it brings */
	struct buf	*why;
};

/* smtpd_eom_begin - what this message will get, from who sends it */
struct smtpd_eom *
smtpd_eom_begin(const struct smtpd_state *s)
{
	struct smtpd_eom *e;

	e = xcalloc(1, sizeof(*e));
	e->trusted = s->in_mynetworks || s->sasl_user != NULL;
	e->why = buf_new(128, 1024);
	/* The key is chosen at the end, by the From: domain. */
	if (e->trusted && dkim_signers_any() &&
	    (e->signer = dkim_sign_new(NULL, NULL, NULL, var_dkim_sign_headers,
	    0, var_dkim_signature_ttl, e->why)) == NULL)
		msg_warn("not signing: %s", buf_str(e->why));
	if (!e->trusted && var_smtpd_dkim_verify)
		e->verifier = dkim_verify_new(0);
	if (!e->trusted && var_smtpd_arc_verify)
		e->arc = arc_verify_new(0);
	if (!e->trusted && var_smtpd_dmarc_verify && var_smtpd_dkim_verify &&
	    var_smtpd_spf_verify) {
		e->head = buf_new(1024, (size_t)var_dkim_header_size_limit);
		e->last = '\n';
	}
	return e;
}

/* smtpd_eom_head - keep the header section, up to its empty line */
static void
smtpd_eom_head(struct smtpd_eom *e, const char *p, size_t n)
{
	size_t k;

	if (n == 0)
		return;
	for (k = 0; k < n && !e->in_body; k++) {
		if (p[k] == '\n' && e->last == '\n')
			e->in_body = 1;
		e->last = (unsigned char)p[k];
	}
	buf_append(e->head, p, k);
}

/* smtpd_eom_data - bytes of the message as they go into the file */
void
smtpd_eom_data(struct smtpd_eom *e, const char *p, size_t n)
{
	if (e->verifier != NULL)
		dkim_verify_update(e->verifier, p, n);
	if (e->arc != NULL)
		arc_verify_update(e->arc, p, n);
	if (e->signer != NULL)
		dkim_sign_update(e->signer, p, n);
	if (e->head != NULL && !e->in_body)
		smtpd_eom_head(e, p, n);
}

/*
 * smtpd_spf - the SPF result of the client for MAIL FROM (of the HELO name
 * for the null sender), asked once per transaction (at RCPT when
 * smtpd_spf_reject_fail wants it, else at the end of DATA); NULL for a
 * client address SPF cannot take
 */
const struct spf_answer *
smtpd_spf(struct smtpd_state *s)
{
	struct spf_request req;

	if (s->spf != NULL)
		return s->spf;
	spf_request_init(&req);
	spf_request_conf(&req);
	if (spf_request_sockaddr(&req, (const struct sockaddr *)&s->sa) < 0)
		return NULL;
	req.sender = s->sender != NULL ? s->sender : "";
	req.helo = s->helo != NULL ? s->helo : "";
	req.receiver = smtpd_hostname();
	s->spf = xcalloc(1, sizeof(*s->spf));
	(void)spf_check_mailfrom(&req, s->spf);
	return s->spf;
}

/* smtpd_spf_free - forget the transaction's SPF result */
void
smtpd_spf_free(struct smtpd_state *s)
{
	if (s->spf == NULL)
		return;
	spf_answer_free(s->spf);
	free(s->spf);
	s->spf = NULL;
}

/*
 * smtpd_eom_dmarc - the From: domain's policy against the results; the
 * reply when it refuses the message (or "" to take it)
 */
static void
smtpd_eom_dmarc(struct smtpd_eom *e, const struct spf_answer *spf,
    const struct dkim_result *res, size_t nres, struct buf *ar,
    struct buf *reply)
{
	struct dmarc_request req;
	struct dmarc_answer ans;
	struct dmarc_dkim *dk;
	size_t i;
	int unsure;

	dk = xcalloc(nres + 1, sizeof(*dk));
	unsure = spf->result == SPF_TEMPERROR;
	for (i = 0; i < nres; i++) {
		dk[i].domain = res[i].d;
		dk[i].pass = res[i].status == DKIM_PASS;
		unsure |= res[i].status == DKIM_TEMPERROR;
	}
	dmarc_request_init(&req);
	req.spf_result = spf->result;
	req.spf_domain = spf->domain;
	req.dkim = dk;
	req.ndkim = nres;
	(void)dmarc_check_header(&req, buf_str(e->head), buf_len(e->head),
	    &ans);
	buf_puts(ar, ";\n\t");
	dmarc_resinfo(ar, &ans);
	if (ans.result == DMARC_TEMPERROR || (ans.result == DMARC_FAIL &&
	    ans.disposition == DMARC_P_REJECT && unsure))
		buf_setf(reply, "451 4.7.5 DMARC of %s could not be checked "
		    "now (DNS): try again later", ans.from_domain ?
		    ans.from_domain : "the From: domain");
	else if (ans.result == DMARC_FAIL &&
	    ans.disposition == DMARC_P_REJECT)
		buf_setf(reply, "550 5.7.1 Rejected by the DMARC policy of "
		    "%s: neither DKIM nor SPF passes for it", ans.from_domain);
	else if (ans.result == DMARC_FAIL &&
	    ans.disposition == DMARC_P_QUARANTINE)
		e->quarantine = 1;
	dmarc_answer_free(&ans);
	free(dk);
}

/* smtpd_eom_arc - the ARC chain's result (RFC 8617), into the results */
static void
smtpd_eom_arc(const struct smtpd_state *s, struct smtpd_eom *e,
    struct buf *ar)
{
	struct arc_result res;

	memset(&res, 0, sizeof(res));
	(void)arc_verify_final(e->arc, dkim_dns_lookup, NULL, &res);
	buf_puts(ar, ";\n\t");
	arc_result_format(&res, s->addr, ar);
	arc_result_free(&res);
}

/*
 * smtpd_eom_quarantine - DMARC's quarantine: into the recipients' folder
 * smtpd_dmarc_quarantine_folder (local reads it from the queue file)
 */
static int
smtpd_eom_quarantine(struct queue_writer *qw, const char *qid)
{
	struct buf *rec;
	int r = 0;

	if (*var_smtpd_dmarc_quarantine_folder == '\0')
		return 0;
	rec = buf_new(64, 0);
	buf_setf(rec, "folder=%s", var_smtpd_dmarc_quarantine_folder);
	if ((r = queue_rec_late(qw, 'A', buf_str(rec))) == 0)
		msg_info("%s: DMARC quarantine: to folder %s", qid,
		    var_smtpd_dmarc_quarantine_folder);
	buf_free(&rec);
	return r;
}

/*
 * smtpd_eom_end - the message is whole: its signature or its results
 * into the file after our Received: header (at).  0 to go on and commit,
 * -1 with a reply in reply when the file could not take them
 */
int
smtpd_eom_end(struct smtpd_state *s, struct smtpd_eom *e,
    struct queue_writer *qw, const char *qid, off_t at, struct buf *reply)
{
	struct buf *hdr = buf_new(512, 0);
	struct dkim_result *res = NULL;
	const struct spf_answer *spf;
	size_t nres = 0, i;
	int r = 0;

	buf_reset(reply);
	if (e->signer != NULL) {
		buf_reset(e->why);
		if (dkim_sign_final(e->signer, hdr, e->why) != 0) {
			if (buf_len(e->why) > 0)
				msg_info("%s: not signed: %s", qid,
				    buf_str(e->why));
			buf_reset(hdr);
		}
	} else if (!e->trusted && (e->verifier != NULL || e->arc != NULL ||
	    var_smtpd_spf_verify)) {
		buf_setf(hdr, "%s: %s", AUTHRES_NAME, var_authserv_id);
		if (e->verifier != NULL) {
			nres = dkim_verify_final(e->verifier, dkim_dns_lookup,
			    NULL, &res);
			if (nres == 0)
				buf_puts(hdr, ";\n\tdkim=none");
			for (i = 0; i < nres; i++) {
				buf_puts(hdr, ";\n\t");
				dkim_result_format(&res[i], hdr);
			}
		}
		if (e->arc != NULL)
			smtpd_eom_arc(s, e, hdr);
		if (var_smtpd_spf_verify && (spf = smtpd_spf(s)) != NULL) {
			buf_puts(hdr, ";\n\t");
			spf_resinfo(hdr, spf);
			if (e->head != NULL)
				smtpd_eom_dmarc(e, spf, res, nres, hdr,
				    reply);
		}
		buf_puts(hdr, "\n");
	}
	if (buf_len(reply) > 0) {
		msg_info("%s: reject: END-OF-MESSAGE from %s: %s", qid,
		    s->namaddr, buf_str(reply));
		r = -1;
	} else if ((buf_len(hdr) > 0 && queue_insert(qw, at, buf_str(hdr),
	    buf_len(hdr)) < 0) || (e->quarantine &&
	    smtpd_eom_quarantine(qw, qid) < 0)) {
		msg_warn("%s: queue file write error: %m", qid);
		buf_set(reply, "451 4.3.0 Error: queue file write error");
		r = -1;
	}
	dkim_results_free(&res, nres);
	buf_free(&hdr);
	return r;
}

/* smtpd_eom_free - forget a message's signer and checks */
void
smtpd_eom_free(struct smtpd_eom **ep)
{
	struct smtpd_eom *e = *ep;

	if (e == NULL)
		return;
	buf_free(&e->head);
	dkim_sign_free(&e->signer);
	dkim_verify_free(&e->verifier);
	arc_verify_free(&e->arc);
	buf_free(&e->why);
	free(e);
	*ep = NULL;
}
