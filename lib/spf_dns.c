/*
 * spf_dns - what ties lib/spf to the rest of the suite: the production
 * resolver (lib/dns.c's blocking, cached lookups) and the resinfo of an
 * Authentication-Results header field (RFC 8601 2.7.2: "spf=pass
 * smtp.mailfrom=ana@mired.org").
 */
#include <string.h>

#include "buf.h"
#include "dns.h"
#include "spf.h"

/* spf_dns_lookup - an spf_dns_fn through lib/dns.c, within ms */
int
spf_dns_lookup(int type, const char *name, long ms, struct dns_result **r,
    void *ctx)
{
	(void)ctx;
	return dns_lookup_wait(type, name, ms, r);
}

/*
 * spf_resinfo_value - a property's value: as it is when it is made of
 * atext, '@' and '.', else a quoted-string (RFC 8601 2.2's pvalue)
 */
void
spf_resinfo_value(struct buf *out, const char *v)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~.@";
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(atext, *p) != NULL))
			break;
	if (*p == '\0' && *v != '\0') {
		buf_puts(out, v);
		return;
	}
	buf_putc(out, '"');
	for (p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *p);
	}
	buf_putc(out, '"');
}

/*
 * spf_resinfo - "spf=RESULT smtp.mailfrom=IDENTITY" (or smtp.helo=) for
 * an answer, appended to out
 */
void
spf_resinfo(struct buf *out, const struct spf_answer *a)
{
	buf_appendf(out, "spf=%s %s=", spf_result_str(a->result),
	    a->helo ? "smtp.helo" : "smtp.mailfrom");
	spf_resinfo_value(out, a->identity ? a->identity : "");
}
