/*
 * fuzz_mtasts - libFuzzer target: what MTA-STS reads from the network
 * (lib/mtasts.c, lib/https.c), chosen by the input's first byte:
 *	0  a _mta-sts TXT record (mtasts_txt)
 *	1  a policy file (mtasts_parse), then its patterns matched against
 *	   a host name taken from the policy's own first mx
 *	2  a cache file (mtasts_load)
 *	3  an HTTP answer's head (https_head)
 *	4  an MX pattern and a host name, split at the first space
 * Checks: an id is 1 to 32 letters and digits; a policy has a known mode,
 * max_age within a year, patterns whenever it enforces or tests, and
 * each pattern matches itself (a wildcard one with a label put in); a
 * status is a 3-digit number.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "https.h"
#include "msg.h"
#include "mtasts.h"
#include "util.h"

/* fuzz_policy_ok - a parsed policy's invariants */
static void
fuzz_policy_ok(const struct mtasts *p)
{
	char host[300];
	int i;

	if (p->mode < MTASTS_NONE || p->mode > MTASTS_ENFORCE ||
	    p->max_age < 0 || p->max_age > MTASTS_MAX_AGE ||
	    (p->mode != MTASTS_NONE && p->nmx == 0))
		abort();
	for (i = 0; i < p->nmx; i++) {
		if (strncmp(p->mx[i], "*.", 2) == 0)
			snprintf(host, sizeof(host), "x%s", p->mx[i] + 1);
		else
			snprintf(host, sizeof(host), "%s", p->mx[i]);
		if (!mtasts_match(p, host))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf *why, *ct;
	struct mtasts p;
	char id[MTASTS_ID_MAX + 1], *text, *sp;
	size_t i;
	int st;

	msg_set_flags(0);
	if (len == 0)
		return 0;
	why = buf_new(128, 0);
	ct = buf_new(64, 0);
	text = xstrndup((const char *)data + 1, len - 1);
	switch (data[0] % 5) {
	case 0:
		if (mtasts_txt(text, id, why) == 0) {
			if (strlen(id) == 0 || strlen(id) > MTASTS_ID_MAX)
				abort();
			for (i = 0; id[i] != '\0'; i++)
				if (!isalnum((unsigned char)id[i]))
					abort();
		}
		break;
	case 1:
		if (mtasts_parse((const char *)data + 1, len - 1, &p, why) == 0) {
			fuzz_policy_ok(&p);
			mtasts_free(&p);
		}
		break;
	case 2:
		if (mtasts_load((const char *)data + 1, len - 1, &p, why) == 0) {
			fuzz_policy_ok(&p);
			mtasts_free(&p);
		}
		break;
	case 3:
		st = https_head((const char *)data + 1, len - 1, ct);
		if (st > 999 || st < -1)
			abort();
		break;
	case 4:
		if ((sp = strchr(text, ' ')) != NULL) {
			*sp = '\0';
			(void)mtasts_pattern(text, sp + 1);
		}
		break;
	}
	free(text);
	buf_free(&why);
	buf_free(&ct);
	return 0;
}
