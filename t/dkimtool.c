/*
 * dkimtool - not a test: the program t/dkim.t signs and verifies with
 * through lib/dkim*.c, so an independent implementation (dkimpy) can
 * check our signatures and we can check its.
 *
 *	dkimtool [-o name=value] [-n bytes] sign DOMAIN SELECTOR KEY.pem
 *		the DKIM-Signature header of the message on stdin
 *	dkimtool [-o name=value] [-n bytes] sign auto
 *		the same with the key dkim_signing_keys has for its From
 *	dkimtool [-o name=value] [-n bytes] verify KEYS
 *		one resinfo line per signature of the message on stdin;
 *		KEYS has "selector._domainkey.domain record" lines (the
 *		record as DNS joins its strings); DNS: use lib/dns.c
 *	dkimtool record KEY.pem
 *		the key record of a private key
 *	dkimtool [-n bytes] arc-verify KEYS|DNS [IP]
 *		the ARC chain's resinfo (lib/arc*.c), exit 0 on a pass
 *	dkimtool [-n bytes] arc-seal DOMAIN SELECTOR KEY.pem AUTHSERV-ID
 *	    RESULTS KEYS|DNS
 *		the chain checked, then our ARC set for it: the three
 *		fields to prepend (exit 1 and why when none is added)
 *
 * The message is fed in pieces of -n bytes (default 4096).  The exit
 * status is 0 when every signature passed (or the signing worked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "arc.h"
#include "conf.h"
#include "dkim.h"
#include "msg.h"
#include "params.h"
#include "util.h"

static struct buf *dkimtool_keys;	/* the KEYS file */

/* dkimtool_lookup - a key from the KEYS file */
static int
dkimtool_lookup(const char *d, const char *s, struct buf *txt,
    struct buf *why, void *arg)
{
	struct buf	*name = buf_new(256, 0);
	const char	*line = buf_str(dkimtool_keys), *nl;
	size_t		 len;

	buf_setf(name, "%s._domainkey.%s ", s, d);
	for (; *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		len = nl ? (size_t)(nl - line) : strlen(line);
		if (strncasecmp(line, buf_str(name), buf_len(name)) == 0) {
			buf_reset(txt);
			buf_append(txt, line + buf_len(name),
			    len - buf_len(name));
			buf_free(&name);
			return DKIM_KEY_OK;
		}
	}
	buf_setf(why, "%sis not in the keys file", buf_str(name));
	buf_free(&name);
	return DKIM_KEY_NONE;
}

/* dkimtool_feed - the message in pieces of step bytes */
static void
dkimtool_feed(const struct buf *msg, size_t step,
    void (*fn)(void *, const char *, size_t), void *arg)
{
	size_t	 at;

	for (at = 0; at < buf_len(msg); at += step)
		fn(arg, msg->data + at, at + step < buf_len(msg) ? step :
		    buf_len(msg) - at);
}

/* dkimtool_arc_verify, dkimtool_arc_seal - dkimtool_feed's callbacks */
static void
dkimtool_arc_verify(void *v, const char *p, size_t len)
{
	arc_verify_update(v, p, len);
}

static void
dkimtool_arc_seal(void *s, const char *p, size_t len)
{
	arc_seal_update(s, p, len);
}

/* dkimtool_arc - arc-verify and arc-seal (argv after the command) */
static int
dkimtool_arc(int seal, int argc, char **argv, const struct buf *msg,
    size_t step)
{
	struct buf	*why = buf_new(256, 0), *out = buf_new(4096, 0);
	struct arc_verify *v = arc_verify_new(0);
	struct arc_seal	*s;
	struct arc_result r;
	struct dkim_privkey *key;
	const char	*keys = argv[seal ? 5 : 0];
	int		 ret;

	if (strcmp(keys, "DNS") != 0 &&
	    (dkimtool_keys = file_slurp(keys, 0, why)) == NULL)
		msg_fatal("%s", buf_str(why));
	dkimtool_feed(msg, step, dkimtool_arc_verify, v);
	arc_verify_final(v, dkimtool_keys ? dkimtool_lookup : dkim_dns_lookup,
	    NULL, &r);
	arc_verify_free(&v);
	if (!seal) {
		arc_result_format(&r, argc > 1 ? argv[1] : NULL, out);
		printf("%s\n", buf_str(out));
		ret = r.cv == ARC_PASS ? 0 : 1;
		arc_result_free(&r);
		return ret;
	}
	if ((key = dkim_privkey_load(argv[2], why)) == NULL ||
	    (s = arc_seal_new(argv[0], argv[1], key, 0, why)) == NULL)
		msg_fatal("%s", buf_str(why));
	dkimtool_feed(msg, step, dkimtool_arc_seal, s);
	if ((ret = arc_seal_final(s, &r, argv[3], argv[4], out, why)) != 0)
		fprintf(stderr, "dkimtool: %s\n", buf_str(why));
	fputs(buf_str(out), stdout);
	arc_seal_free(&s);
	arc_result_free(&r);
	dkim_privkey_free(&key);
	return ret != 0;
}

int
main(int argc, char **argv)
{
	struct buf	*why = buf_new(256, 0), *msg, *out = buf_new(1024, 0);
	char		**over = xcalloc((size_t)argc + 1, sizeof(*over));
	struct dkim_privkey *key;
	struct dkim_sign *s;
	struct dkim_verify *v;
	struct dkim_result *r;
	size_t		 step = 4096, at, n, i;
	int		 c, nover = 0, ret = 0;
	ssize_t		 got;
	char		 chunk[4096];

	msg_init("dkimtool", MSG_STDERR);
	while ((c = getopt(argc, argv, "n:o:")) != -1) {
		if (c == 'n')
			step = (size_t)atol(optarg);
		else if (c == 'o')
			over[nover++] = optarg;
		else
			msg_fatal("usage: dkimtool [-n bytes] [-o name=value] "
			    "sign|verify|record ...");
	}
	argv += optind;
	argc -= optind;
	if (argc < 2 || step == 0)
		msg_fatal("usage: dkimtool [-n bytes] [-o name=value] "
		    "sign|verify|record ...");
	if (conf_load("/nonexistent", over, why) < 0)
		msg_fatal("%s", buf_str(why));
	if (strcmp(argv[0], "record") == 0) {
		if ((key = dkim_privkey_load(argv[1], why)) == NULL ||
		    dkim_privkey_record(key, out, why) < 0)
			msg_fatal("%s", buf_str(why));
		printf("%s\n", buf_str(out));
		return 0;
	}
	msg = buf_new(65536, 0);
	while ((got = read(0, chunk, sizeof(chunk))) > 0)
		buf_append(msg, chunk, (size_t)got);
	if (got < 0)
		msg_fatal("read: %m");
	if (strcmp(argv[0], "arc-verify") == 0)
		return dkimtool_arc(0, argc - 1, argv + 1, msg, step);
	if (strcmp(argv[0], "arc-seal") == 0 && argc == 7)
		return dkimtool_arc(1, argc - 1, argv + 1, msg, step);
	if (strcmp(argv[0], "sign") == 0 && (argc == 4 || (argc == 2 &&
	    strcmp(argv[1], "auto") == 0))) {
		key = NULL;
		if ((argc == 4 && (key = dkim_privkey_load(argv[3],
		    why)) == NULL) || (s = dkim_sign_new(argc == 4 ? argv[1] :
		    NULL, argc == 4 ? argv[2] : NULL, key,
		    var_dkim_sign_headers, 0, var_dkim_signature_ttl,
		    why)) == NULL)
			msg_fatal("%s", buf_str(why));
		for (at = 0; at < buf_len(msg); at += step)
			dkim_sign_update(s, msg->data + at, at + step <
			    buf_len(msg) ? step : buf_len(msg) - at);
		if ((ret = dkim_sign_final(s, out, why)) != 0)
			msg_fatal("%s", buf_str(why));
		fputs(buf_str(out), stdout);
		return 0;
	}
	if (strcmp(argv[0], "verify") != 0)
		msg_fatal("usage: dkimtool sign DOMAIN SELECTOR KEY|auto | "
		    "verify KEYS|DNS | record KEY");
	if (strcmp(argv[1], "DNS") != 0 &&
	    (dkimtool_keys = file_slurp(argv[1], 0, why)) == NULL)
		msg_fatal("%s", buf_str(why));
	v = dkim_verify_new(0);
	for (at = 0; at < buf_len(msg); at += step)
		dkim_verify_update(v, msg->data + at, at + step <
		    buf_len(msg) ? step : buf_len(msg) - at);
	n = dkim_verify_final(v, dkimtool_keys ? dkimtool_lookup :
	    dkim_dns_lookup, NULL, &r);
	for (i = 0; i < n; i++) {
		buf_reset(out);
		dkim_result_format(&r[i], out);
		printf("%s\n", buf_str(out));
		if (r[i].status != DKIM_PASS)
			ret = 1;
	}
	if (n == 0) {
		printf("dkim=none\n");
		ret = 1;
	}
	return ret;
}
