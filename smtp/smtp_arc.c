/*
 * smtp_arc - the ARC set (RFC 8617) cartero adds to mail that an alias
 * forwards to another site (qmgr marks such a request "forwarded"), so
 * that the next hop can trust what smtpd found when the mail came in:
 * its Authentication-Results field under our authserv_id becomes the
 * ARC-Authentication-Results of the new set, with the chain's own
 * result (arc=), and the set is sealed with the DKIM key of
 * arc_signing_domain (lib/arc.c, keys loaded before the jail).
 *
 * The copy that goes on the wire is the set, then the message, in a
 * memory file, as smtp_7bit.c makes its copies.  A message that cannot
 * be sealed (no key, a failed chain, no From:) goes as it is: the seal is
 * a courtesy to the next hop, never a reason to hold mail.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arc.h"
#include "authres.h"
#include "buf.h"
#include "dkim.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "smtp_data.h"

/*
 * smtp_arc_results - the results of our Authentication-Results field
 * (what follows its authserv-id and ';'), unfolded, into out
 */
static void
smtp_arc_results(const char *msg, size_t len, struct buf *out)
{
	const char *p = msg, *end = msg + len, *line, *semi;
	size_t flen;

	for (line = p; line < end && *line != '\n'; line = p) {
		/* One field: its first line and the folded ones after it. */
		for (p = line; p < end; p++)
			if (*p == '\n' && (p + 1 >= end || (p[1] != ' ' &&
			    p[1] != '\t')))
				break;
		flen = (size_t)(p - line);
		if (p < end)
			p++;
		if (flen <= strlen(AUTHRES_NAME) || strncasecmp(line,
		    AUTHRES_NAME ":", strlen(AUTHRES_NAME) + 1) != 0 ||
		    !authres_claims(line, flen, var_authserv_id) ||
		    (semi = memchr(line, ';', flen)) == NULL)
			continue;
		for (semi++; semi < line + flen; semi++)
			if (*semi != '\r' && *semi != '\n')
				buf_putc(out, *semi == '\t' ? ' ' : *semi);
		return;
	}
}

/*
 * smtp_arc_open - the message at offset/size of fd with our ARC set in
 * front: 1 with *cfd a memory file and *csize its size, 0 when it goes
 * as it is, -1 with why (a read error)
 */
int
smtp_arc_open(int fd, off_t offset, off_t size, int *cfd, off_t *csize,
    const char *qid, struct buf *why)
{
	struct arc_verify *v;
	struct arc_seal *seal;
	struct arc_result chain;
	struct buf *results = buf_new(512, 65536), *set = buf_new(2048, 0);
	char *msg;
	int r = 0, mfd;

	if ((msg = smtp_data_slurp(fd, offset, size, why)) == NULL) {
		buf_free(&results);
		buf_free(&set);
		return -1;
	}
	memset(&chain, 0, sizeof(chain));
	v = arc_verify_new(0);
	arc_verify_update(v, msg, (size_t)size);
	(void)arc_verify_final(v, dkim_dns_lookup, NULL, &chain);
	arc_verify_free(&v);
	smtp_arc_results(msg, (size_t)size, results);
	/* smtpd's results hold arc= when it checked the chain. */
	if (strstr(buf_str(results), "arc=") == NULL) {
		if (buf_len(results) > 0)
			buf_puts(results, "; ");
		arc_result_format(&chain, NULL, results);
	}
	buf_reset(why);
	if ((seal = arc_seal_new(NULL, NULL, NULL, 0, why)) == NULL ||
	    (arc_seal_update(seal, msg, (size_t)size), arc_seal_final(seal,
	    &chain, NULL, buf_str(results), set, why)) != 0) {
		if (buf_len(why) > 0)
			msg_info("%s: not ARC-sealed: %s", qid, buf_str(why));
		goto out;
	}
	if ((mfd = memfd_create("cartero-arc", MFD_CLOEXEC)) < 0 ||
	    write_full(mfd, buf_str(set), buf_len(set)) < 0 ||
	    write_full(mfd, msg, (size_t)size) < 0) {
		msg_warn("%s: not ARC-sealed: memory file: %m", qid);
		if (mfd >= 0)
			close(mfd);
		goto out;
	}
	*cfd = mfd;
	*csize = (off_t)buf_len(set) + size;
	r = 1;
out:
	arc_seal_free(&seal);
	arc_result_free(&chain);
	free(msg);
	buf_free(&results);
	buf_free(&set);
	return r;
}
