/*
 * fuzz_admin - libFuzzer target: the small parsers of what an admin (or a
 * mail user, for the last-login file) writes, chosen by the input's first
 * byte:
 *	0  master.cf (lib/master_conf.c: master, smtp, qmgr, cartero check)
 *	1  a tls_server_sni_maps value (tls_sni_files)
 *	2  quota_warning_percentages, with sizes from the input
 *	3  a Maildir's cartero-lastlogin file (written by the user's sessions)
 *	4  a Maildir's maildirsize file (lib/maildirsize.c; the user's too)
 *	5  a user's quota words (virtual_passwd_file, mailbox_quota_maps)
 * Checks: every service read has a name, a command and a listener; an SNI
 * value gives a key and a certificate or a reason; a warning level is 0 or
 * one of the percentages allowed (1..100); the last login read back is
 * printable and bounded; maildirsize's limits and totals are never
 * negative nor past their bounds; quota words give -1 (none) or a bounded
 * limit, and nothing at all when refused.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lastlogin.h"
#include "maildirsize.h"
#include "master_conf.h"
#include "msg.h"
#include "params.h"
#include "quota.h"
#include "tls.h"

/* fuzz_dir - a directory of this process's own for the files */
static const char *
fuzz_dir(void)
{
	static char dir[64];

	if (*dir == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-admin.%d", (int)getpid());
		mkdir(dir, 0700);
	}
	return dir;
}

/* fuzz_file - data into fuzz_dir()/name; the path */
static const char *
fuzz_file(const char *name, const uint8_t *data, size_t len)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, len, fp);
	fclose(fp);
	return path;
}

/* fuzz_master - master.cf */
static void
fuzz_master(const uint8_t *data, size_t len)
{
	struct buf *why = buf_new(64, 0);
	struct master_serv *list, *s;

	if (master_conf_read(fuzz_file("master.cf", data, len), &list,
	    why) == 0) {
		for (s = list; s != NULL; s = s->next)
			if (s->name == NULL || s->command == NULL ||
			    s->nlisteners < 1 || s->maxproc < 0)
				abort();
		master_conf_free(&list);
	} else if (buf_len(why) == 0)
		abort();
	buf_free(&why);
}

/* fuzz_sni - a tls_server_sni_maps value */
static void
fuzz_sni(const char *text)
{
	struct buf *cert = buf_new(64, 0), *key = buf_new(64, 0);
	struct buf *why = buf_new(64, 0);

	if (tls_sni_files(text, cert, key, why) == 0) {
		if (buf_len(cert) == 0 || buf_len(key) == 0)
			abort();
	} else if (buf_len(why) == 0)
		abort();
	buf_free(&cert);
	buf_free(&key);
	buf_free(&why);
}

/* fuzz_quota - a percentage list, the sizes from its first 24 bytes */
static void
fuzz_quota(const uint8_t *data, size_t len)
{
	long long v[3] = { 0, 0, 0 };
	char *list;
	int level;

	if (len < sizeof(v))
		return;
	memcpy(v, data, sizeof(v));
	list = strndup((const char *)data + sizeof(v), len - sizeof(v));
	level = quota_warning_level(v[0], v[1], v[2], list);
	if (level < 0 || level > 100)
		abort();
	free(list);
}

/* fuzz_lastlogin - a last-login file as a user may leave it */
static void
fuzz_lastlogin(const uint8_t *data, size_t len)
{
	struct buf *what = buf_new(64, 0), *why = buf_new(64, 0);
	const char *dir;
	long long when = 0;
	size_t i;

	(void)fuzz_file(LASTLOGIN_FILE, data, len);
	dir = fuzz_dir();
	if (lastlogin_read(dir, &when, what, why) == 1) {
		if (buf_len(what) >= LASTLOGIN_MAX)
			abort();
		for (i = 0; i < buf_len(what); i++)
			if ((unsigned char)buf_str(what)[i] < ' ')
				abort();
	}
	buf_free(&what);
	buf_free(&why);
}

/* fuzz_maildirsize - a maildirsize file's text */
static void
fuzz_maildirsize(const uint8_t *data, size_t len)
{
	struct maildirsize ms;

	memset(&ms, 0, sizeof(ms));
	(void)maildirsize_parse((const char *)data, len, &ms);
	if (ms.bytes < 0 || ms.count < 0 || ms.limit_bytes < 0 ||
	    ms.limit_count < 0 || ms.limit_bytes > MAILDIRSIZE_NUM_MAX ||
	    ms.limit_count > MAILDIRSIZE_NUM_MAX)
		abort();
}

/* fuzz_quota_words - quota words, lax or strict by the first byte */
static void
fuzz_quota_words(const uint8_t *data, size_t len)
{
	struct buf *why;
	long long b = -1, c = -1;
	char *text;
	int r;

	if (len < 1)
		return;
	why = buf_new(64, 1024);
	text = strndup((const char *)data + 1, len - 1);
	r = quota_rule_parse(text, data[0] & 1, &b, &c, why);
	if ((r < 0 && (b != -1 || c != -1)) || b < -1 || c < -1 ||
	    b > MAILDIRSIZE_NUM_MAX || c > MAILDIRSIZE_NUM_MAX)
		abort();
	free(text);
	buf_free(&why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *text;

	msg_set_flags(0);
	var_daemon_directory = "/usr/libexec/cartero";
	var_queue_directory = "/var/spool/cartero";
	var_inet_interfaces = "all";
	var_default_process_limit = 100;
	if (len < 1)
		return 0;
	switch (data[0] % 6) {
	case 0:
		fuzz_master(data + 1, len - 1);
		break;
	case 1:
		text = strndup((const char *)data + 1, len - 1);
		fuzz_sni(text);
		free(text);
		break;
	case 2:
		fuzz_quota(data + 1, len - 1);
		break;
	case 3:
		fuzz_lastlogin(data + 1, len - 1);
		break;
	case 4:
		fuzz_maildirsize(data + 1, len - 1);
		break;
	default:
		fuzz_quota_words(data + 1, len - 1);
		break;
	}
	return 0;
}
