/*
 * cartero_dkim - "cartero dkim keygen DOMAIN SELECTOR [--ed25519]
 * [--force] [--bits N]" and "cartero dkim show DOMAIN".
 *
 * keygen writes a new private key to $config_directory/dkim/
 * DOMAIN.SELECTOR.pem (mode 0600, owned by whoever runs it: root on a
 * real host, and smtpd reads its keys as root before it drops its
 * privileges, so that no process of mail_owner can read them), makes it the domain's entry in the
 * dkim_signing_keys table's source file (a hash: table is rebuilt as
 * carteromap does), and prints the TXT record to publish.  A domain that
 * signs with another selector, or a key file that exists, is replaced
 * only with --force.  show prints the record of the domain's key in the
 * table.  Signing with a new key starts at the next "cartero reload".
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "dec.h"
#include "dkim.h"
#include "dns.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "privs.h"
#include "util.h"
#include "cartero_check.h"
#include "cartero_user.h"

#define DKIM_TXT_STRING	255	/* bytes in one DNS character-string */

/* Options of keygen. */
struct dkim_opts {
	const char	*domain;
	const char	*selector;
	int		 ed25519;
	int		 force;
	int		 bits;
};

/* cartero_dkim_usage - say how to run us */
static int
cartero_dkim_usage(void)
{
	fprintf(stderr, "usage: cartero [-c config_dir] dkim keygen DOMAIN "
	    "SELECTOR [--ed25519] [--force] [--bits N]\n"
	    "       cartero [-c config_dir] dkim show DOMAIN\n");
	return 64;
}

/* cartero_dkim_print - the TXT record, in strings of at most 255 bytes */
void
cartero_dkim_print(const char *domain, const char *selector,
    const struct buf *rec)
{
	size_t	 at, n;

	printf("%s._domainkey.%s. IN TXT (", selector, domain);
	for (at = 0; at < buf_len(rec); at += n) {
		n = buf_len(rec) - at;
		if (n > DKIM_TXT_STRING)
			n = DKIM_TXT_STRING;
		printf("%s\"%.*s\"", at ? "\n\t" : " ", (int)n,
		    buf_str(rec) + at);
	}
	printf(" )\n");
}

/* cartero_dkim_table - the one hash: or texthash: source file of
 * dkim_signing_keys into path; its type's length, or -1 */
static int
cartero_dkim_table(struct buf *path)
{
	const char	*spec = var_dkim_signing_keys, *colon;

	if (spec == NULL || (colon = strchr(spec, ':')) == NULL ||
	    strpbrk(spec, ", \t") != NULL || colon[1] != '/' ||
	    (strncmp(spec, "hash:", 5) != 0 &&
	    strncmp(spec, "texthash:", 9) != 0)) {
		msg_warn("dkim_signing_keys = %s: not one hash: or texthash: "
		    "table with an absolute path; edit its table by hand",
		    spec ? spec : "");
		return -1;
	}
	buf_set(path, colon + 1);
	return (int)(colon - spec);
}

/* cartero_dkim_first - the first word of a table line, lower case */
static void
cartero_dkim_first(const char *line, size_t len, struct buf *word)
{
	size_t	 n = 0;

	while (n < len && line[n] != ' ' && line[n] != '\t')
		n++;
	buf_reset(word);
	buf_append(word, line, n);
	lowercase(word->data);
}

/*
 * cartero_dkim_edit - the source text with the domain's entry (its line
 * and continuation lines) replaced by "domain value"; the old value
 * into old ("" when none)
 */
static void
cartero_dkim_edit(const struct buf *src, const char *domain,
    const char *value, struct buf *out, struct buf *old)
{
	const char	*line = buf_str(src), *nl;
	struct buf	*word = buf_new(256, 0);
	size_t		 len, n;
	int		 skip = 0;

	buf_reset(old);
	for (; *line; line = nl ? nl + 1 : line + len) {
		nl = strchr(line, '\n');
		len = nl ? (size_t)(nl - line) : strlen(line);
		if (skip && len > 0 && (*line == ' ' || *line == '\t'))
			continue;
		skip = 0;
		if (len > 0 && *line != '#' && *line != ' ' && *line != '\t') {
			cartero_dkim_first(line, len, word);
			if (strcmp(buf_str(word), domain) == 0) {
				skip = 1;
				n = buf_len(word);
				while (n < len && (line[n] == ' ' ||
				    line[n] == '\t'))
					n++;
				buf_append(old, line + n, len - n);
				continue;
			}
		}
		buf_append(out, line, len);
		buf_putc(out, '\n');
	}
	buf_appendf(out, "%s %s\n", domain, value);
	buf_free(&word);
}

/* cartero_dkim_keygen - a new key, the table, the record */
static int
cartero_dkim_keygen(const struct dkim_opts *o, const char *confdir)
{
	struct buf	*src_path = buf_new(256, 0), *key_path = buf_new(256, 0);
	struct buf	*why = buf_new(256, 0), *src, *text = buf_new(1024, 0);
	struct buf	*old = buf_new(256, 0), *value = buf_new(256, 0);
	struct buf	*osel = buf_new(64, 0), *opath = buf_new(256, 0);
	struct buf	*rec = buf_new(1024, 0);
	struct dkim_privkey *key;
	uid_t		 uid;
	gid_t		 gid;
	int		 tlen;

	if ((tlen = cartero_dkim_table(src_path)) < 0)
		return 1;
	if ((src = file_slurp(buf_str(src_path), 0, why)) == NULL) {
		if (errno != ENOENT)
			msg_fatal("%s", buf_str(why));
		src = buf_new(64, 0);
	}
	buf_setf(key_path, "%s/dkim", var_config_directory);
	if (mkdir_p(buf_str(key_path), 0755) < 0)
		msg_fatal("mkdir %s: %m", buf_str(key_path));
	buf_appendf(key_path, "/%s.%s.pem", o->domain, o->selector);
	buf_setf(value, "%s:%s", o->selector, buf_str(key_path));
	cartero_dkim_edit(src, o->domain, buf_str(value), text, old);
	if (buf_len(old) > 0 && !o->force &&
	    (dkim_signer_parse(buf_str(old), osel, opath, why) < 0 ||
	    strcmp(buf_str(osel), o->selector) != 0)) {
		msg_warn("%s has the entry \"%s\" in %s; --force replaces it",
		    o->domain, buf_str(old), buf_str(src_path));
		return 1;
	}
	if (!o->force && access(buf_str(key_path), F_OK) == 0) {
		msg_warn("%s exists; --force replaces it (and the record "
		    "published for it)", buf_str(key_path));
		return 1;
	}
	uid = (uid_t)-1;		/* ours: root's on a real host */
	gid = (gid_t)-1;
	if ((key = dkim_privkey_generate(o->ed25519 ? DKIM_ALG_ED25519_SHA256 :
	    DKIM_ALG_RSA_SHA256, o->bits, why)) == NULL ||
	    dkim_privkey_write(key, buf_str(key_path), uid, gid, why) < 0 ||
	    dkim_privkey_record(key, rec, why) < 0)
		msg_fatal("%s", buf_str(why));
	if (file_replace(buf_str(src_path), text, 0644, (uid_t)-1, (gid_t)-1,
	    why) < 0)
		msg_fatal("%s", buf_str(why));
	if (tlen == 4) {
		buf_setf(value, "hash:%s", buf_str(src_path));
		if (map_build(buf_str(value), 0, why) < 0)
			msg_fatal("%s", buf_str(why));
	}
	printf("# %s: %s key %s, in %s\n", o->domain, o->ed25519 ?
	    "Ed25519" : "RSA", buf_str(key_path), buf_str(src_path));
	printf("# publish this record in DNS; signing with it starts at the "
	    "next \"cartero%s%s reload\"\n", confdir ? " -c " : "",
	    confdir ? confdir : "");
	cartero_dkim_print(o->domain, o->selector, rec);
	dkim_privkey_free(&key);
	buf_free(&src_path), buf_free(&key_path), buf_free(&why);
	buf_free(&src), buf_free(&text), buf_free(&old), buf_free(&value);
	buf_free(&osel), buf_free(&opath), buf_free(&rec);
	return 0;
}

/* cartero_dkim_show - the record of the domain's key in the table */
static int
cartero_dkim_show(const char *domain)
{
	struct buf	*why = buf_new(256, 0), *rec = buf_new(1024, 0);
	const struct dkim_signer *s;

	if ((s = dkim_signer_find(domain, why)) == NULL) {
		if (buf_len(why) == 0)
			msg_warn("%s has no key in dkim_signing_keys (%s)",
			    domain, var_dkim_signing_keys);
		else
			msg_warn("%s", buf_str(why));
		return 1;
	}
	if (dkim_privkey_record(s->key, rec, why) < 0)
		msg_fatal("%s", buf_str(why));
	printf("# %s: %s\n", domain, s->path);
	cartero_dkim_print(s->domain, s->selector, rec);
	buf_free(&why);
	buf_free(&rec);
	return 0;
}

/* cartero_dkim - "cartero dkim ..." */
int
cartero_dkim(int argc, char **argv, const char *confdir)
{
	struct dkim_opts o;
	struct buf	*why;
	const char	*word[3];
	char		 real[PATH_MAX];
	unsigned long long bits;
	int		 i, n = 0;

	memset(&o, 0, sizeof(o));
	o.bits = 2048;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ed25519") == 0)
			o.ed25519 = 1;
		else if (strcmp(argv[i], "--force") == 0)
			o.force = 1;
		else if (strcmp(argv[i], "--bits") == 0 && i + 1 < argc) {
			i++;
			if (dec_parse(argv[i], strlen(argv[i]), 65536,
			    &bits) < 0) {
				msg_warn("--bits %s: not a number", argv[i]);
				return 64;
			}
			o.bits = (int)bits;
		}
		else if (argv[i][0] == '-' || n == 3)
			return cartero_dkim_usage();
		else
			word[n++] = argv[i];
	}
	if (n < 2 || !((strcmp(word[0], "keygen") == 0 && n == 3) ||
	    (strcmp(word[0], "show") == 0 && n == 2)))
		return cartero_dkim_usage();
	if (o.bits < 1024 || o.bits > 4096) {
		msg_warn("--bits %d: use 1024 to 4096 (2048 is the default)",
		    o.bits);
		return 64;
	}
	o.domain = lowercase(xstrdup(word[1]));
	if (!dns_name_ok(o.domain) || strchr(o.domain, '.') == NULL) {
		msg_warn("\"%s\" is not a domain name", word[1]);
		return 64;
	}
	why = buf_new(256, 4096);
	if (conf_load_real(confdir, real, why) < 0)
		msg_fatal("%s", buf_str(why));
	buf_free(&why);
	if (strcmp(word[0], "show") == 0)
		return cartero_dkim_show(o.domain);
	o.selector = word[2];
	if (!dns_name_ok(o.selector)) {
		msg_warn("\"%s\" is not a selector (letters, digits, - and _, "
		    "labels between dots)", o.selector);
		return 64;
	}
	return cartero_dkim_keygen(&o, confdir);
}
