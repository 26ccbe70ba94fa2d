/*
 * dmarc.t - lib/dmarc: the record's tags (strictly: v=DMARC1 first, p=
 * required or rua= for p=none, bad values), the RFC5322.From domain from
 * header sections (one From, one address), alignment (relaxed by a test
 * public suffix list, strict), and whole checks against records from a
 * table: SPF or DKIM alignment, the org domain's record and its sp=, a
 * subdomain's own record, pct= with an injected sample, two records, a
 * bad one, a DNS failure; the resinfo.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "dmarc.h"
#include "dns.h"
#include "psl.h"
#include "spf.h"
#include "../tap.h"
#include "dns_table.h"

static const struct tap_text records[] = {
	{ "v=DMARC1; p=reject", "p=reject sp=- adkim=r aspf=r pct=100 rua=-",
	    "the smallest record" },
	{ "v=DMARC1;p=quarantine;sp=none;adkim=s;aspf=s;pct=50;"
	    "rua=mailto:d@mired.test;ri=3600;fo=1:d",
	    "p=quarantine sp=none adkim=s aspf=s pct=50 "
	    "rua=mailto:d@mired.test",
	    "every tag" },
	{ "v=DMARC1; P=Reject; ADKIM=S", "p=reject sp=- adkim=s aspf=r "
	    "pct=100 rua=-", "tag names and words in any case" },
	{ " v = DMARC1 ; p = none ; ", "p=none sp=- adkim=r aspf=r pct=100 "
	    "rua=-", "white space around tags, a final ;" },
	{ "v=DMARC1; p=reject; foo=bar", "p=reject sp=- adkim=r aspf=r "
	    "pct=100 rua=-", "an unknown tag is ignored" },
	{ "v=DMARC1; rua=mailto:a@b.test", "p=none sp=- adkim=r aspf=r "
	    "pct=100 rua=mailto:a@b.test", "no p= but rua=: p=none (6.6.3)" },
	{ "v=DMARC1; p=bogus; rua=mailto:a@b.test", "p=none sp=- adkim=r "
	    "aspf=r pct=100 rua=mailto:a@b.test", "bad p= but rua=: p=none" },
	{ "p=reject; v=DMARC1", NULL, "v= not first: invalid" },
	{ "v=dmarc1; p=reject", NULL, "v=dmarc1 in lower case: invalid" },
	{ "v=DMARC1", NULL, "no p=: invalid" },
	{ "v=DMARC1; p=bogus", NULL, "bad p=: invalid" },
	{ "v=DMARC1; p=reject; sp=bogus", NULL, "bad sp=: invalid" },
	{ "v=DMARC1; p=reject; pct=101", NULL, "pct=101: invalid" },
	{ "v=DMARC1; p=reject; pct=-1", NULL, "pct=-1: invalid" },
	{ "v=DMARC1; p=reject; adkim=x", NULL, "adkim=x: invalid" },
	{ "v=DMARC1; p=reject; p=none", NULL, "p= twice: invalid" },
	{ "v=DMARC1; p=reject; rua=nonsense", NULL, "a rua= without URI: "
	    "invalid" },
	{ "v=DMARC1; p=reject; fo=2", NULL, "fo=2: invalid" },
	{ "v=DMARC1; p=reject; junk", NULL, "a part without '=': invalid" },
	{ "v=DMARC10; p=reject", NULL, "v=DMARC10: not a record" },
};

static const struct tap_text froms[] = {
	{ "From: Ana <ana@Mired.ORG>\r\nTo: bob@x.test\r\n\r\n"
	    "From: x@y.test\r\n",
	    "mired.org", "one From; the body is not read" },
	{ "Subject: hi\nFrom: ana@mired.org\n", "mired.org",
	    "LF line ends, From not first" },
	{ "From: \"Ana, la de\"\r\n <ana@mired.org>\r\n\r\n", "mired.org",
	    "a folded From with a quoted comma" },
	{ "From: ana@mired.org (Ana)\r\n", "mired.org", "a comment" },
	{ "FROM : ana@mired.org.\r\n", "mired.org",
	    "FROM with a space before the colon, a final dot" },
	{ "X-From: a@b.test\r\nFrom: ana@mired.org\r\n", "mired.org",
	    "X-From is another field" },
	{ "From: ana@mired.org", "mired.org", "no line end at all" },
	{ "From: a@x.test\r\nFrom: b@y.test\r\n", "many", "two From fields" },
	{ "To: bob@x.test\r\n\r\nFrom: a@x.test\r\n", "none", "no From field" },
	{ "From: a@x.test, b@y.test\r\n", "many", "two addresses" },
	{ "From: undisclosed:;\r\n", "none", "an empty group" },
	{ "From: ana@[192.0.2.1]\r\n", "bad", "a domain literal" },
	{ "From: ana\r\n", "bad", "no domain" },
	{ "From:\r\n", "none", "an empty From" },
};

static const struct {
	const char	*domain;
	const char	*from;
	int		 strict;
	int		 want;
	const char	*name;
} aligns[] = {
	{ "mail.mired.test", "mired.test", 0, 1, "relaxed: a subdomain" },
	{ "mail.mired.test", "mired.test", 1, 0, "strict: not a subdomain" },
	{ "MIRED.test", "mired.test.", 1, 1, "strict: any case, final dot" },
	{ "a.x.co.test", "b.x.co.test", 0, 1,
	    "relaxed: siblings under co.test" },
	{ "x.co.test", "y.co.test", 0, 0, "relaxed: two orgs of co.test" },
	{ "mired.test", "mired.example", 0, 0, "relaxed: another TLD" },
	{ NULL, "mired.test", 0, 0, "no domain" },
};

static const struct dns_table_row zone[] = {
	{ "_dmarc.mired.test", DNS_T_TXT, "v=DMARC1; p=reject; sp=quarantine" },
	{ "_dmarc.mired.test", DNS_T_TXT, "some other text" },
	{ "_dmarc.own.mired.test", DNS_T_TXT, "v=DMARC1; p=none" },
	{ "_dmarc.strict.test", DNS_T_TXT, "v=DMARC1; p=reject; adkim=s; "
	    "aspf=s" },
	{ "_dmarc.half.test", DNS_T_TXT, "v=DMARC1; p=reject; pct=50" },
	{ "_dmarc.quar.test", DNS_T_TXT, "v=DMARC1; p=quarantine; pct=50" },
	{ "_dmarc.two.test", DNS_T_TXT, "v=DMARC1; p=reject" },
	{ "_dmarc.two.test", DNS_T_TXT, "v=DMARC1; p=none" },
	{ "_dmarc.bad.test", DNS_T_TXT, "v=DMARC1; p=bogus" },
	{ "_dmarc.temp.test", DNS_T_TXT, "TEMPFAIL" },
	{ NULL, 0, NULL }
};

static const struct {
	const char	*from;
	int		 spf;
	const char	*spf_domain;
	const char	*dkim;		/* d= of one signature */
	int		 dkim_pass;
	unsigned	 sample;
	const char	*want;		/* the resinfo */
	const char	*name;
} checks[] = {
	{ "mired.test", SPF_PASS, "mired.test", NULL, 0, 0,
	    "dmarc=pass (p=reject dis=none) header.from=mired.test",
	    "SPF aligned: pass" },
	{ "mired.test", SPF_PASS, "bounce.mired.test", NULL, 0, 0,
	    "dmarc=pass (p=reject dis=none) header.from=mired.test",
	    "SPF of a subdomain, relaxed: pass" },
	{ "mired.test", SPF_FAIL, "mired.test", NULL, 0, 0,
	    "dmarc=fail (p=reject dis=reject) header.from=mired.test",
	    "SPF fail, no DKIM: fail, reject" },
	{ "mired.test", SPF_SOFTFAIL, "mired.test", "mired.test", 0, 0,
	    "dmarc=fail (p=reject dis=reject) header.from=mired.test",
	    "a DKIM signature that failed does not count" },
	{ "mired.test", SPF_PASS, "evil.test", "mail.mired.test", 1, 0,
	    "dmarc=pass (p=reject dis=none) header.from=mired.test",
	    "DKIM aligned, SPF not: pass" },
	{ "mired.test", SPF_PASS, "evil.test", "evil.test", 1, 0,
	    "dmarc=fail (p=reject dis=reject) header.from=mired.test",
	    "SPF and DKIM pass for another domain: fail" },
	{ "sub.mired.test", SPF_NONE, "", NULL, 0, 0,
	    "dmarc=fail (p=reject sp=quarantine dis=quarantine) "
	    "header.from=sub.mired.test",
	    "a subdomain without a record: the org's sp=" },
	{ "own.mired.test", SPF_NONE, "", NULL, 0, 0,
	    "dmarc=fail (p=none dis=none) header.from=own.mired.test",
	    "a subdomain with its own record: its p=" },
	{ "strict.test", SPF_PASS, "mail.strict.test", NULL, 0, 0,
	    "dmarc=fail (p=reject dis=reject) header.from=strict.test",
	    "aspf=s: a subdomain is not aligned" },
	{ "strict.test", SPF_NONE, "", "strict.test", 1, 0,
	    "dmarc=pass (p=reject dis=none) header.from=strict.test",
	    "adkim=s: the same name is" },
	{ "half.test", SPF_FAIL, "half.test", NULL, 0, 49,
	    "dmarc=fail (p=reject dis=reject) header.from=half.test",
	    "pct=50, sample 49: in, reject" },
	{ "half.test", SPF_FAIL, "half.test", NULL, 0, 50,
	    "dmarc=fail (p=reject dis=quarantine) header.from=half.test",
	    "pct=50, sample 50: out, quarantine" },
	{ "quar.test", SPF_FAIL, "quar.test", NULL, 0, 99,
	    "dmarc=fail (p=quarantine dis=none) header.from=quar.test",
	    "pct=50, sample 99: quarantine lowered to none" },
	{ "two.test", SPF_FAIL, "two.test", NULL, 0, 0,
	    "dmarc=none header.from=two.test", "two records: none" },
	{ "bad.test", SPF_FAIL, "bad.test", NULL, 0, 0,
	    "dmarc=none header.from=bad.test", "an invalid record: none" },
	{ "temp.test", SPF_PASS, "temp.test", NULL, 0, 0,
	    "dmarc=temperror header.from=temp.test", "DNS failure: temperror" },
	{ "nodmarc.test", SPF_PASS, "nodmarc.test", NULL, 0, 0,
	    "dmarc=none header.from=nodmarc.test", "no record: none" },
	{ "", SPF_PASS, "x.test", NULL, 0, 0,
	    "dmarc=permerror header.from=\"\"", "no From domain: permerror" },
};

static unsigned sample_value, samples_taken;

/* sample - the injected pct= sample */
static unsigned
sample(void *ctx)
{
	(void)ctx;
	samples_taken++;
	return sample_value;
}

/* record_summary - a parsed record in words, or NULL */
static const char *
record_summary(const char *text, struct buf *out)
{
	struct dmarc_record r;
	struct buf *why = buf_new(64, 0);
	int bad = dmarc_record_parse(text, &r, why) < 0;

	buf_free(&why);
	if (bad)
		return NULL;
	buf_setf(out, "p=%s sp=%s adkim=%c aspf=%c pct=%d rua=%s",
	    dmarc_policy_str(r.p), r.sp < 0 ? "-" : dmarc_policy_str(r.sp),
	    r.adkim, r.aspf, r.pct, r.rua ? r.rua : "-");
	dmarc_record_free(&r);
	return buf_str(out);
}

/* from_summary - the From domain, or the failure's word */
static const char *
from_summary(const char *h, struct buf *out)
{
	struct buf *why = buf_new(64, 0);
	int r = dmarc_from_domain(h, strlen(h), out, why);

	buf_free(&why);
	switch (r) {
	case 0: return buf_str(out);
	case DMARC_FROM_MANY: return "many";
	case DMARC_FROM_NONE: return "none";
	default: return "bad";
	}
}

int
main(void)
{
	char dir[] = "/tmp/dmarc.t.XXXXXX", path[64];
	struct buf *out = buf_new(64, 0), *why = buf_new(64, 0);
	struct dmarc_request q;
	struct dmarc_answer a;
	struct dmarc_dkim sig;
	const char *hdr;
	size_t i;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/list.dat", dir);
	tap_write(path, "test\nco.test\n");
	if (psl_load(path, 1, why) < 0)
		return 1;
	for (i = 0; i < sizeof(records) / sizeof(records[0]); i++)
		is_str(record_summary(records[i].in, out), records[i].want,
		    records[i].name);
	for (i = 0; i < sizeof(froms) / sizeof(froms[0]); i++) {
		buf_reset(out);
		is_str(from_summary(froms[i].in, out), froms[i].want,
		    froms[i].name);
	}
	for (i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++)
		is_int(dmarc_aligned(aligns[i].domain, aligns[i].from,
		    aligns[i].strict), aligns[i].want, aligns[i].name);

	dns_table_rows = zone;
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		dmarc_request_init(&q);
		q.dns = dns_table_lookup;
		q.sample = sample;
		sample_value = checks[i].sample;
		q.from_domain = checks[i].from;
		q.spf_result = checks[i].spf;
		q.spf_domain = checks[i].spf_domain;
		if (checks[i].dkim != NULL) {
			sig.domain = checks[i].dkim;
			sig.pass = checks[i].dkim_pass;
			q.dkim = &sig;
			q.ndkim = 1;
		}
		dmarc_check(&q, &a);
		buf_reset(out);
		dmarc_resinfo(out, &a);
		if (!is_str(buf_str(out), checks[i].want, checks[i].name))
			fprintf(stderr, "#   why: %s\n", a.why);
		dmarc_answer_free(&a);
	}
	dmarc_request_init(&q);
	q.dns = dns_table_lookup;
	q.sample = sample;
	q.from_domain = "mired.test";
	q.spf_result = SPF_FAIL;
	samples_taken = 0;
	dmarc_check(&q, &a);
	is_int(samples_taken, 0, "pct=100: no sample taken");
	is_int(a.disposition, DMARC_P_REJECT, "  the disposition is reject");
	ok(a.why != NULL && strstr(a.why, "reject") != NULL,
	    "  the reason names the policy");
	dmarc_answer_free(&a);
	q.from_domain = "sub.sub.mired.test";
	dns_table_asked = 0;
	is_int(dmarc_check(&q, &a), DMARC_FAIL, "a deeper subdomain fails");
	is_int(dns_table_asked, 2, "  after two lookups, its own and the "
	    "org's");
	is_str(a.record_domain, "mired.test", "  the record is the org's");
	dmarc_answer_free(&a);
	q.time_ms = 10000;
	hdr = "From: Ana <ana@mired.test>\r\n\r\n";
	is_int(dmarc_check_header(&q, hdr, strlen(hdr), &a), DMARC_FAIL,
	    "from a header section: its From domain");
	is_str(a.from_domain, "mired.test", "  mired.test");
	dmarc_answer_free(&a);
	hdr = "From: a@x.test\r\nFrom: b@y.test\r\n";
	is_int(dmarc_check_header(&q, hdr, strlen(hdr), &a), DMARC_PERMERROR,
	    "two From fields: permerror");
	is_str(a.why, "2 From fields", "  and why");
	buf_reset(out);
	dmarc_resinfo(out, &a);
	is_str(buf_str(out), "dmarc=permerror header.from=\"\"",
	    "  its resinfo");
	dmarc_answer_free(&a);
	q.time_ms = 0;
	is_int(dmarc_check(&q, &a), DMARC_TEMPERROR, "no time left: temperror");
	dmarc_answer_free(&a);

	psl_unload();
	unlink(path);
	rmdir(dir);
	buf_free(&out);
	buf_free(&why);
	return done_testing();
}
