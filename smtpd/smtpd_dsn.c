/*
 * smtpd_dsn - the parameters of the DSN extension (RFC 3461): RET= and
 * ENVID= of MAIL, NOTIFY= and ORCPT= of RCPT, checked and decoded for the
 * queue file (A envid=, A ret=, and N and C after a recipient's R).
 *
 * ENVID and ORCPT's address come as xtext ("+" and two upper-case hex
 * digits for a byte that may not stand for itself).  What they decode to
 * is the client's: a control character (CR, LF, NUL ...) or DEL anywhere
 * in it refuses the command, so that nothing decoded can split a record
 * of the queue file, a header of a bounce or a line of the log.  Bytes
 * over 127 are refused too: xtext is ASCII (RFC 3461 4), and the UTF-8
 * forms of RFC 6533 are not offered.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "util.h"
#include "smtpd.h"

#define SMTPD_ENVID_MAX		100	/* RFC 3461 4.4 */
#define SMTPD_ORCPT_MAX		500	/* RFC 3461 4.2 */

/* smtpd_dsn_hex - the value of an upper-case hex digit, or -1 */
static int
smtpd_dsn_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * smtpd_dsn_xtext - decode xtext into out: 0, or -1 when it is not xtext,
 * decodes to a control character, DEL or a byte over 127, is empty, or
 * decodes to more than max bytes
 */
int
smtpd_dsn_xtext(const char *in, size_t max, struct buf *out)
{
	int c, hi, lo;

	buf_reset(out);
	if (*in == '\0')
		return -1;
	while ((c = (unsigned char)*in++) != '\0') {
		if (c == '+') {
			if ((hi = smtpd_dsn_hex(in[0])) < 0 ||
			    (lo = smtpd_dsn_hex(in[1])) < 0)
				return -1;
			c = hi * 16 + lo;
			in += 2;
		} else if (c == '=' || c < 33 || c > 126)
			return -1;
		if (c < 32 || c >= 127 || buf_len(out) >= max)
			return -1;
		buf_putc(out, (char)c);
	}
	return 0;
}

/* smtpd_dsn_envid - ENVID=xtext: 0 (decoded in out) or -1 */
int
smtpd_dsn_envid(const char *val, struct buf *out)
{
	return smtpd_dsn_xtext(val, SMTPD_ENVID_MAX, out);
}

/* smtpd_dsn_ret - RET=FULL|HDRS: SMTPD_RET_*, or -1 */
int
smtpd_dsn_ret(const char *val)
{
	if (strcasecmp(val, "FULL") == 0)
		return SMTPD_RET_FULL;
	if (strcasecmp(val, "HDRS") == 0)
		return SMTPD_RET_HDRS;
	return -1;
}

/*
 * smtpd_dsn_notify - NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY,
 * each once: 0 with the canonical upper-case form in out, or -1
 */
int
smtpd_dsn_notify(const char *val, struct buf *out)
{
	static const char *const words[] = { "SUCCESS", "FAILURE", "DELAY" };
	char *list = xstrdup(val), *cp = list, *tok;
	int seen[3] = { 0, 0, 0 }, i, n = 0, r = 0;

	buf_reset(out);
	if (strcasecmp(val, "NEVER") == 0) {
		buf_set(out, "NEVER");
		free(list);
		return 0;
	}
	if (*val == '\0' || *val == ',' || val[strlen(val) - 1] == ',' ||
	    strstr(val, ",,") != NULL)
		r = -1;
	while (r == 0 && (tok = mystrtok(&cp, ",")) != NULL) {
		for (i = 0; i < 3; i++)
			if (strcasecmp(tok, words[i]) == 0)
				break;
		if (i == 3 || seen[i]++)
			r = -1;
		n++;
	}
	free(list);
	if (r < 0 || n == 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (seen[i])
			buf_appendf(out, "%s%s", buf_len(out) ? "," : "",
			    words[i]);
	return 0;
}

/*
 * smtpd_dsn_orcpt - ORCPT=addr-type;xtext: 0 with "addr-type;address"
 * (the address decoded) in out, or -1
 */
int
smtpd_dsn_orcpt(const char *val, struct buf *out)
{
	const char *semi = strchr(val, ';'), *p;
	struct buf *addr;
	int r;

	if (semi == NULL || semi == val)
		return -1;
	for (p = val; p < semi; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return -1;
	addr = buf_new(64, 0);
	r = smtpd_dsn_xtext(semi + 1, SMTPD_ORCPT_MAX, addr);
	if (r == 0) {
		buf_reset(out);
		buf_append(out, val, (size_t)(semi - val) + 1);
		buf_puts(out, buf_str(addr));
	}
	buf_free(&addr);
	return r;
}
