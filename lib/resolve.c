/*
 * resolve - what a recipient address means to this host, one answer for
 * smtpd (RCPT), qmgr (routing) and local (delivery), so that the MTA side
 * and the mailbox side cannot disagree about "ana" versus "ana@mired.org"
 * or about where a Maildir lives.
 *
 * Classes: an address without a domain, or whose domain is in
 * mydestination (exact, case-insensitive), is local; a domain in
 * relay_domains (or below one: "example.org" covers "a.example.org", as in
 * Postfix) is relayed; anything else is remote.
 *
 * Accounts of a local address, in this order:
 *  1. virtual_passwd_file, Dovecot's passwd-file shape:
 *	user@domain:hash:uid:gid:gecos:home:...
 *     Only auth reads that file (resolve_use_passdb) and gets the hash;
 *     every other process reads the table root derives from it without
 *     hashes ($queue_directory/etc/users, userdb.c), the same shape.
 *     A bare "user" key means user@$mydomain.  The address is looked up as
 *     written, then (all mydestination domains being one host's mail, as
 *     for system users) as local@$mydomain.  Empty uid/gid come from
 *     virtual_mail_owner (a user name, or "#uid" / "#uid:gid"); an empty
 *     home is $virtual_mailbox_base/DOMAIN/USER.  The file is read again
 *     when it changes; a missing file is an empty one (but one that goes
 *     away after it was read keeps its users, for processes in a chroot).
 *  2. the system's users, getpwnam(local part, lowercased), whose uid is
 *     in [first_valid_uid, last_valid_uid]: the others (root, bin,
 *     nobody, service users) are not mail users (Dovecot's rule).
 * The Maildir is home + "/" + home_mailbox in both cases.  A virtual
 * user's extra fields (the rest of the line after the shell) may give it
 * a quota (quota.c, quota_rule_parse); other extra fields are skipped.
 *
 * Aliases (alias_maps) are looked up by local part; the map is opened once
 * and kept (maps.c reopens it by itself when newaliases rebuilds it).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "dec.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "quota.h"
#include "resolve.h"
#include "userdb.h"
#include "util.h"


/* One line of the passwd file. */
struct pw_entry {
	char	*key;		/* "ana@mired.org", lowercased */
	char	*hash;
	char	*uid;		/* "": virtual_mail_owner's */
	char	*gid;
	char	*home;		/* "" takes the default */
	char	*extra;		/* the extra fields (the rest of the line) */
	int	 line;
};

/* The passwd file as last read. */
static struct {
	char		*path;
	int		 exists;	/* 0 no, 1 read, 2 gone */
	struct stat	 st;
	struct pw_entry	*v;
	size_t		 n;
} pw;

/* Read the passwd file itself, hashes and all (auth), not the table. */
static int resolve_passdb;

/* The alias maps and transport_maps, opened once. */
static struct map *alias_map;
static char *alias_spec;
static struct map *transport_map;
static char *transport_spec;
static struct map *virtual_map;
static char *virtual_spec;

/* resolve_domain_eq - same domain, ignoring case and a trailing dot? */
static int
resolve_domain_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	return alen == blen && alen > 0 && strncasecmp(a, b, alen) == 0;
}

/* resolve_in_list - is domain in the list (subdomains too if asked)? */
static int
resolve_in_list(const char *domain, const char *list, int subdomains)
{
	const char *p = list, *tok;
	size_t len, dlen = strlen(domain);

	if (list == NULL)
		return 0;
	while (*p != '\0') {
		p += strspn(p, ", \t\r\n");
		tok = p;
		p += strcspn(p, ", \t\r\n");
		if ((len = (size_t)(p - tok)) == 0)
			continue;
		if (*tok == '.') {
			/* ".example.org": subdomains only. */
			if (subdomains && dlen > len && strncasecmp(domain +
			    dlen - len, tok, len) == 0)
				return 1;
			continue;
		}
		if (resolve_domain_eq(domain, dlen, tok, len))
			return 1;
		if (subdomains && dlen > len + 1 &&
		    domain[dlen - len - 1] == '.' &&
		    strncasecmp(domain + dlen - len, tok, len) == 0)
			return 1;
	}
	return 0;
}

/* resolve_is_local_domain - is the domain in mydestination ("" is)? */
int
resolve_is_local_domain(const char *domain)
{
	if (domain == NULL || *domain == '\0')
		return 1;
	return resolve_in_list(domain, var_mydestination, 0);
}

/* resolve_class - local, relay or remote, by the address's domain */
enum resolve_class
resolve_class(const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *domain = at ? at + 1 : "";

	if (resolve_is_local_domain(domain))
		return RESOLVE_LOCAL;
	if (resolve_in_list(domain, var_relay_domains, 1))
		return RESOLVE_RELAY;
	return RESOLVE_REMOTE;
}

/* resolve_strip_extension - cut "ana+lists" to "ana" (local part or address) */
char *
resolve_strip_extension(char *addr)
{
	char *at, *end, *p;

	if (addr == NULL || var_recipient_delimiter == NULL ||
	    *var_recipient_delimiter == '\0')
		return addr;
	at = strrchr(addr, '@');
	end = at ? at : addr + strlen(addr);
	for (p = addr + 1; p < end; p++)	/* never empty the local part */
		if (strchr(var_recipient_delimiter, *p) != NULL)
			break;
	if (p < end)
		memmove(p, end, strlen(end) + 1);
	return addr;
}

/*
 * The passwd file.
 */

/* resolve_pw_cmp - order entries by key, then by line */
static int
resolve_pw_cmp(const void *a, const void *b)
{
	const struct pw_entry *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	return r ? r : x->line - y->line;
}

/* resolve_pw_clear - forget the entries read */
static void
resolve_pw_clear(void)
{
	size_t i;

	for (i = 0; i < pw.n; i++) {
		free(pw.v[i].key);
		free(pw.v[i].hash);
		free(pw.v[i].uid);
		free(pw.v[i].gid);
		free(pw.v[i].home);
		free(pw.v[i].extra);
	}
	free(pw.v);
	pw.v = NULL;
	pw.n = 0;
}

/* resolve_pw_field - the next ':' field of *pp ("" past the end) */
static char *
resolve_pw_field(char **pp)
{
	char *s = *pp, *colon;

	if (s == NULL)
		return xstrdup("");
	if ((colon = strchr(s, ':')) != NULL) {
		*colon = '\0';
		*pp = colon + 1;
	} else
		*pp = NULL;
	return xstrdup(s);
}

/* resolve_pw_read - read the passwd file into pw (sorted, first key wins) */
static int
resolve_pw_read(const char *path, struct buf *why)
{
	FILE *fp;
	char line[USERDB_LINE_MAX], *p, *key;
	size_t cap = 0, i, j, len;
	int lineno = 0, skipping = 0;
	struct buf *k = buf_new(64, 0);

	if ((fp = fopen(path, "re")) == NULL) {
		buf_setf(why, "open %s: %s", path, strerror(errno));
		buf_free(&k);
		return -1;
	}
	resolve_pw_clear();
	while (fgets(line, sizeof(line), fp) != NULL) {
		len = strlen(line);
		if (skipping) {	/* the rest of an over-long line */
			skipping = len > 0 && line[len - 1] != '\n';
			continue;
		}
		lineno++;
		if (len > 0 && line[len - 1] != '\n' && !feof(fp)) {
			msg_warn("%s, line %d: line too long; skipped", path,
			    lineno);
			skipping = 1;
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		p = line + strspn(line, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		key = resolve_pw_field(&p);
		if (*key == '\0') {
			msg_warn("%s, line %d: empty user name; skipped",
			    path, lineno);
			free(key);
			continue;
		}
		if (strchr(key, '@') == NULL) {
			buf_setf(k, "%s@%s", key, var_mydomain ?
			    var_mydomain : "");
			free(key);
			key = xstrdup(buf_str(k));
		}
		if (pw.n == cap) {
			cap = cap ? cap * 2 : 16;
			pw.v = xrealloc(pw.v, cap * sizeof(*pw.v));
		}
		pw.v[pw.n].key = lowercase(key);
		pw.v[pw.n].hash = resolve_pw_field(&p);
		pw.v[pw.n].uid = resolve_pw_field(&p);
		pw.v[pw.n].gid = resolve_pw_field(&p);
		free(resolve_pw_field(&p));		/* gecos */
		pw.v[pw.n].home = resolve_pw_field(&p);
		free(resolve_pw_field(&p));		/* shell */
		/* Extra fields hold ':' (Dovecot's "*:storage=1G"). */
		pw.v[pw.n].extra = xstrdup(p != NULL ? p : "");
		pw.v[pw.n].line = lineno;
		pw.n++;
	}
	if (ferror(fp)) {
		buf_setf(why, "read %s: %s", path, strerror(errno));
		fclose(fp);
		resolve_pw_clear();
		buf_free(&k);
		return -1;
	}
	fclose(fp);
	buf_free(&k);
	qsort(pw.v, pw.n, sizeof(*pw.v), resolve_pw_cmp);
	/* Keep the first line of each key, as the lookup tables do. */
	for (i = j = 0; i < pw.n; i++) {
		if (j > 0 && strcmp(pw.v[j - 1].key, pw.v[i].key) == 0) {
			msg_warn("%s, line %d: duplicate user \"%s\": keeping"
			    " line %d", path, pw.v[i].line, pw.v[i].key,
			    pw.v[j - 1].line);
			free(pw.v[i].key);
			free(pw.v[i].hash);
			free(pw.v[i].uid);
			free(pw.v[i].gid);
			free(pw.v[i].home);
			free(pw.v[i].extra);
			continue;
		}
		pw.v[j++] = pw.v[i];
	}
	pw.n = j;
	return 0;
}

/*
 * resolve_use_passdb - read virtual_passwd_file itself and fill in the
 * hash (auth, and the unit tests); otherwise (smtpd, qmgr, local) the
 * hash-free table that root derives from it (userdb.c).
 */
void
resolve_use_passdb(int on)
{
	resolve_passdb = on;
}

/* resolve_pw_load - make pw current: read the file if it changed */
static int
resolve_pw_load(struct buf *why)
{
	static struct buf *table;
	const char *path = var_virtual_passwd_file ? var_virtual_passwd_file :
	    "";
	struct stat st;

	if (!resolve_passdb && *path != '\0') {
		if (table == NULL)
			table = buf_new(256, 0);
		path = userdb_path(table);
	}

	if (pw.path == NULL || strcmp(pw.path, path) != 0) {
		free(pw.path);
		pw.path = xstrdup(path);
		pw.exists = -1;		/* force a read */
	}
	if (*path == '\0' || stat(path, &st) < 0) {
		if (*path != '\0' && errno != ENOENT) {
			buf_setf(why, "virtual_passwd_file %s: %s", path,
			    strerror(errno));
			return -1;
		}
		/*
		 * A file that was read and is gone now: keep its users.  A
		 * process in a chroot sees this too, and losing every
		 * virtual user there would refuse all their mail.
		 */
		if (pw.exists == 1) {
			msg_warn("virtual_passwd_file %s has gone; keeping the"
			    " %zu users read before", path, pw.n);
			pw.exists = 2;
		}
		if (pw.exists >= 1)
			return 0;
		resolve_pw_clear();
		pw.exists = 0;
		return 0;
	}
	if (pw.exists == 1 && st.st_ino == pw.st.st_ino &&
	    st.st_dev == pw.st.st_dev && st.st_size == pw.st.st_size &&
	    st.st_mtim.tv_sec == pw.st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == pw.st.st_mtim.tv_nsec)
		return 0;
	if (resolve_pw_read(path, why) < 0) {
		pw.exists = -1;
		return -1;
	}
	pw.st = st;
	pw.exists = 1;
	return 0;
}

/* resolve_pw_find - the entry of a lowercased key, or NULL */
static struct pw_entry *
resolve_pw_find(const char *key)
{
	size_t lo = 0, hi = pw.n, mid;
	int r;

	/* Keys are unique after the load: a plain binary search. */
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((r = strcmp(key, pw.v[mid].key)) == 0)
			return &pw.v[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* resolve_virtual_find - the passwd entry of a local address, or NULL */
static int
resolve_virtual_find(const char *addr, struct pw_entry **ep, struct buf *why)
{
	struct buf *local = buf_new(64, 0), *domain = buf_new(64, 0);
	struct buf *key = buf_new(128, 0);
	const char *mydomain = var_mydomain ? var_mydomain : "";

	*ep = NULL;
	if (resolve_pw_load(why) < 0) {
		buf_free(&local);
		buf_free(&domain);
		buf_free(&key);
		return -1;
	}
	addr_split(addr, local, domain);
	lowercase(local->data);
	if (buf_len(domain) > 0) {
		buf_setf(key, "%s@%s", buf_str(local), buf_str(domain));
		*ep = resolve_pw_find(buf_str(key));
	}
	if (*ep == NULL && *mydomain != '\0' &&
	    resolve_is_local_domain(buf_str(domain))) {
		buf_setf(key, "%s@%s", buf_str(local), mydomain);
		lowercase(key->data);
		*ep = resolve_pw_find(buf_str(key));
	}
	buf_free(&local);
	buf_free(&domain);
	buf_free(&key);
	return *ep != NULL;
}

/* resolve_owner - uid and gid of virtual_mail_owner */
static int
resolve_owner(uid_t *uid, gid_t *gid, struct buf *why)
{
	const char *owner = var_virtual_mail_owner ? var_virtual_mail_owner :
	    "";
	struct passwd *pwd;
	unsigned long u, g;
	char *end;

	if (*owner == '#') {
		errno = 0;
		u = strtoul(owner + 1, &end, 10);
		g = u;
		if (*end == ':')
			g = strtoul(end + 1, &end, 10);
		if (errno || end == owner + 1 || *end != '\0') {
			buf_setf(why, "virtual_mail_owner \"%s\": expected a"
			    " user name, #uid or #uid:gid", owner);
			return -1;
		}
		*uid = (uid_t)u;
		*gid = (gid_t)g;
		return 0;
	}
	errno = 0;
	if (*owner != '\0' && (pwd = getpwnam(owner)) != NULL) {
		*uid = pwd->pw_uid;
		*gid = pwd->pw_gid;
		return 0;
	}
	/*
	 * Without root nothing can switch users anyway (a sandbox): the mail
	 * is the invoking user's.
	 */
	if (geteuid() != 0) {
		*uid = geteuid();
		*gid = getegid();
		return 0;
	}
	buf_setf(why, "virtual_mail_owner \"%s\": no such user", owner);
	return -1;
}

/*
 * resolve_id - the uid or gid field (is_gid) s of passwd entry e: a
 * numeric id or a user/group name; -1 with why if neither
 */
static int
resolve_id(const struct pw_entry *e, const char *s, int is_gid,
    unsigned long *id, struct buf *why)
{
	struct passwd *pwd;
	struct group *grp;
	unsigned long long n;

	if (dec_parse(s, strlen(s), ULONG_MAX, &n) == 0) {
		*id = (unsigned long)n;
		return 0;
	}
	if (is_gid && (grp = getgrnam(s)) != NULL) {
		*id = grp->gr_gid;
		return 0;
	}
	if (!is_gid && (pwd = getpwnam(s)) != NULL) {
		*id = pwd->pw_uid;
		return 0;
	}
	buf_setf(why, "%s, line %d: bad %s \"%s\"", pw.path, e->line,
	    is_gid ? "gid" : "uid", s);
	return -1;
}

/* resolve_path_part_ok - may this name be a directory under the base? */
static int
resolve_path_part_ok(const char *s)
{
	return *s != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0;
}

/* resolve_join - "a" "/" "b" without doubling the slash */
static char *
resolve_join(const char *a, const char *b)
{
	struct buf *r = buf_new(256, 0);
	size_t alen = strlen(a);

	buf_puts(r, a);
	if (*b != '\0') {
		if (alen == 0 || a[alen - 1] != '/')
			buf_putc(r, '/');
		buf_puts(r, b);
	}
	return buf_steal(&r);
}

/* resolve_virtual_account - fill acct from a passwd entry */
static int
resolve_virtual_account(struct pw_entry *e, struct account *acct,
    struct buf *why)
{
	struct buf *local = buf_new(64, 0), *domain = buf_new(64, 0);
	struct buf *home = buf_new(256, 0);
	uid_t ouid = 0;
	gid_t ogid = 0;
	unsigned long id;
	int r = -1;

	if ((!*e->uid || !*e->gid) && resolve_owner(&ouid, &ogid, why) < 0)
		goto out;
	acct->uid = ouid;
	acct->gid = ogid;
	if (*e->uid) {
		if (resolve_id(e, e->uid, 0, &id, why) < 0)
			goto out;
		acct->uid = (uid_t)id;
	}
	if (*e->gid) {
		if (resolve_id(e, e->gid, 1, &id, why) < 0)
			goto out;
		acct->gid = (gid_t)id;
	}
	if (*e->home)
		buf_set(home, e->home);
	else {
		addr_split(e->key, local, domain);
		if (!resolve_path_part_ok(buf_str(local)) ||
		    !resolve_path_part_ok(buf_str(domain))) {
			buf_setf(why, "%s, line %d: user \"%s\" cannot name a"
			    " mailbox directory; give it a home", pw.path,
			    e->line, e->key);
			goto out;
		}
		buf_setf(home, "%s/%s/%s", var_virtual_mailbox_base ?
		    var_virtual_mailbox_base : "", buf_str(domain),
		    buf_str(local));
	}
	acct->name = xstrdup(e->key);
	acct->home = xstrdup(buf_str(home));
	acct->maildir = resolve_join(buf_str(home), var_home_mailbox ?
	    var_home_mailbox : "");
	acct->hash = resolve_passdb ? xstrdup(e->hash) : NULL;
	acct->is_virtual = 1;
	acct->quota_bytes = acct->quota_count = -1;
	buf_reset(local);
	if (quota_rule_parse(e->extra, 1, &acct->quota_bytes,
	    &acct->quota_count, local) < 0)
		msg_warn("%s, line %d: user \"%s\": %s; the default quota "
		    "applies", pw.path, e->line, e->key, buf_str(local));
	r = 1;
out:
	buf_free(&local);
	buf_free(&domain);
	buf_free(&home);
	return r;
}

/*
 * resolve_uid_ok - may a system user of this uid get mail and log in: is
 * it within [first_valid_uid, last_valid_uid] (last 0: no upper bound)?
 */
int
resolve_uid_ok(uid_t uid)
{
	return (long long)uid >= var_first_valid_uid &&
	    (var_last_valid_uid <= 0 || (long long)uid <= var_last_valid_uid);
}

/* resolve_system_user - getpwnam of the lowercased local part: 1/0/-1 */
static int
resolve_system_user(const char *addr, struct passwd **pwdp, struct buf *why)
{
	struct buf *local = buf_new(64, 0), *domain = buf_new(64, 0);
	struct passwd *pwd;

	addr_split(addr, local, domain);
	lowercase(local->data);
	*pwdp = NULL;
	if (buf_len(local) == 0 || strchr(buf_str(local), '/') != NULL) {
		buf_free(&local);
		buf_free(&domain);
		return 0;
	}
	errno = 0;
	pwd = getpwnam(buf_str(local));
	if (pwd == NULL && errno != 0 && errno != ENOENT && errno != ESRCH &&
	    errno != EBADF && errno != EPERM) {
		buf_setf(why, "getpwnam %s: %s", buf_str(local),
		    strerror(errno));
		buf_free(&local);
		buf_free(&domain);
		return -1;
	}
	buf_free(&local);
	buf_free(&domain);
	/*
	 * bin, daemon, nobody and the service users are not mail users:
	 * outside [first_valid_uid, last_valid_uid] they are nobody here
	 * (an alias can still name them, and root's mail goes by its).
	 */
	if (pwd != NULL && !resolve_uid_ok(pwd->pw_uid))
		pwd = NULL;
	*pwdp = pwd;
	return pwd != NULL;
}

/* resolve_account - find the account of a local address: 1, 0, -1 */
int
resolve_account(const char *addr, struct account *acct, struct buf *why)
{
	struct pw_entry *e;
	struct passwd *pwd;
	int r;

	memset(acct, 0, sizeof(*acct));
	if ((r = resolve_virtual_find(addr, &e, why)) != 0) {
		if (r < 0)
			return -1;
		if ((r = resolve_virtual_account(e, acct, why)) < 0)
			account_free(acct);
		return r;
	}
	if ((r = resolve_system_user(addr, &pwd, why)) <= 0)
		return r;
	acct->name = xstrdup(pwd->pw_name);
	acct->uid = pwd->pw_uid;
	acct->gid = pwd->pw_gid;
	acct->home = xstrdup(pwd->pw_dir);
	acct->maildir = resolve_join(pwd->pw_dir, var_home_mailbox ?
	    var_home_mailbox : "");
	acct->hash = NULL;
	acct->is_virtual = 0;
	acct->quota_bytes = acct->quota_count = -1;
	return 1;
}

/* account_free - release what resolve_account filled in */
void
account_free(struct account *acct)
{
	free(acct->name);
	free(acct->home);
	free(acct->maildir);
	free(acct->hash);
	memset(acct, 0, sizeof(*acct));
}

/* resolve_map_open - (re)open *mp for spec: 1 open, 0 none, -1 why */
static int
resolve_map_open(struct map **mp, char **specp, const char *spec, int flags,
    struct buf *why)
{
	if (spec == NULL || spec[strspn(spec, ", \t\r\n")] == '\0')
		return 0;
	if (*mp == NULL || *specp == NULL || strcmp(*specp, spec) != 0) {
		map_close(mp);
		free(*specp);
		*specp = NULL;
		if ((*mp = map_open(spec, flags, why)) == NULL)
			return -1;
		*specp = xstrdup(spec);
	}
	return 1;
}

/*
 * resolve_quota - an account's limits: for each of bytes and count, the
 * passwd file's (acct), else mailbox_quota_maps's (by the account's
 * name), else mailbox_size_limit and mailbox_message_limit; 0 is no
 * limit.  0, or -1 with why (the table cannot be read: try later).  A
 * bad value in the table is warned about and the defaults apply.
 */
int
resolve_quota(const struct account *acct, long long *bytes, long long *count,
    struct buf *why)
{
	static struct map *quota_map;
	static char *quota_spec;
	struct buf *value;
	long long b = acct->quota_bytes, c = acct->quota_count;
	long long mb = -1, mc = -1;
	int r;

	if ((b < 0 || c < 0) && acct->name != NULL) {
		if ((r = resolve_map_open(&quota_map, &quota_spec,
		    var_mailbox_quota_maps, 0, why)) < 0)
			return -1;
		value = buf_new(64, 4096);
		if (r > 0 && (r = map_lookup(quota_map, acct->name,
		    value)) < 0)
			buf_setf(why, "mailbox_quota_maps: cannot look up %s",
			    acct->name);
		else if (r > 0 && quota_rule_parse(buf_str(value), 0, &mb, &mc,
		    why) < 0) {
			msg_warn("mailbox_quota_maps, %s: %s; the default "
			    "quota applies", acct->name, buf_str(why));
			mb = mc = -1;
		}
		buf_free(&value);
		if (r < 0)
			return -1;
	}
	*bytes = b >= 0 ? b : mb >= 0 ? mb : (long long)var_mailbox_size_limit;
	*count = c >= 0 ? c : mc >= 0 ? mc :
	    (long long)var_mailbox_message_limit;
	return 0;
}

/* resolve_map_addr - look up addr, then addr without its extension */
static int
resolve_map_addr(struct map *map, const char *addr, struct buf *value)
{
	char *bare;
	int r;

	if ((r = map_lookup(map, addr, value)) != 0)
		return r;
	bare = resolve_strip_extension(xstrdup(addr));
	r = strcmp(bare, addr) != 0 ? map_lookup(map, bare, value) : 0;
	free(bare);
	return r;
}

/*
 * resolve_open - open alias_maps now: 1 open, 0 none configured, -1 why.
 * A process about to chroot calls it first (smtpd): inside, the table's
 * path is out of sight, and resolve_changed() tells when to exit.
 */
int
resolve_open(struct buf *why)
{
	int r;

	/* virtual_alias_maps too: smtpd reads it at RCPT. */
	if ((r = resolve_map_open(&alias_map, &alias_spec, var_alias_maps,
	    MAP_ALIAS, why)) < 0 || resolve_map_open(&virtual_map,
	    &virtual_spec, var_virtual_alias_maps, 0, why) < 0)
		return -1;
	return r;
}

/* resolve_changed - was an alias table rebuilt since it was opened? */
int
resolve_changed(void)
{
	return map_changed(alias_map) || map_changed(virtual_map);
}

/* resolve_alias - look a local part up in alias_maps: 1, 0, -1 */
int
resolve_alias(const char *local, struct buf *result, struct buf *why)
{
	int r;

	if ((r = resolve_open(why)) <= 0)
		return r;
	/*
	 * The key is the local part as the caller cut it, at the address's
	 * last '@'.  It is never cut again: "postmaster@ext.example" (the
	 * local part of "postmaster@ext.example"@mired.org, when
	 * allow_at_in_local_part lets one in) is not postmaster.
	 */
	r = map_lookup(alias_map, local, result);
	if (r < 0) {
		buf_set(why, buf_str(result));
		buf_reset(result);
	}
	return r;
}

/*
 * resolve_virtual_alias - look addr up in virtual_alias_maps: the whole
 * address, then without its extension, then "@domain" (catch-all).  1
 * with the value in result, 0 not found, -1 with why.
 */
int
resolve_virtual_alias(const char *addr, struct buf *result, struct buf *why)
{
	const char *at = strrchr(addr, '@');
	int r;

	if ((r = resolve_map_open(&virtual_map, &virtual_spec,
	    var_virtual_alias_maps, 0, why)) <= 0)
		return r;
	r = resolve_map_addr(virtual_map, addr, result);
	if (r == 0 && at != NULL && at[1] != '\0')
		r = map_lookup(virtual_map, at, result);
	if (r < 0) {
		buf_setf(why, "virtual_alias_maps: %s", buf_str(result));
		buf_reset(result);
	}
	return r;
}

/* resolve_local_exists - is the local address an alias or an account? */
int
resolve_local_exists(const char *addr, struct buf *why)
{
	struct buf *local = buf_new(64, 0), *domain = buf_new(64, 0);
	struct buf *value = buf_new(256, 0);
	struct pw_entry *e;
	struct passwd *pwd;
	char *bare = xstrdup(addr);
	int r;

	addr_split(addr, local, domain);
	if ((r = resolve_virtual_alias(addr, value, why)) != 0)
		goto out;
	/* The alias of the whole local part, then without its extension. */
	if ((r = resolve_alias(buf_str(local), value, why)) != 0)
		goto out;
	resolve_strip_extension(bare);
	if (strcmp(bare, addr) != 0) {
		addr_split(bare, local, domain);
		if ((r = resolve_alias(buf_str(local), value, why)) != 0)
			goto out;
	}
	if ((r = resolve_virtual_find(bare, &e, why)) != 0)
		goto out;
	r = resolve_system_user(bare, &pwd, why);
out:
	free(bare);
	buf_free(&local);
	buf_free(&domain);
	buf_free(&value);
	return r;
}

/*
 * Routing: which transport (a master.cf service) and nexthop a final
 * address goes to, as Postfix's trivial-rewrite says it.  By class: local
 * -> local_transport; relay_domains -> relay_transport; other domains ->
 * default_transport; the nexthop of the last two is the parameter's own
 * (smtp:[host]), else relayhost, else the recipient's domain.  Then
 * transport_maps, looked up with the whole address, the address without
 * its extension, the domain, and ".parent" domains (.b.example for
 * a.b.example), overrides it: "transport:nexthop" both; "transport:" the
 * transport, with the recipient's domain as nexthop; ":nexthop" the
 * nexthop only; ":" or "" nothing.  error:text and discard:text give the
 * text as nexthop.
 */

/* resolve_split - "transport:nexthop" into its two halves */
static void
resolve_split(const char *value, struct buf *transport, struct buf *nexthop)
{
	const char *colon = strchr(value, ':');

	if (colon == NULL) {
		buf_set(transport, value);
		buf_reset(nexthop);
		return;
	}
	buf_reset(transport);
	buf_append(transport, value, (size_t)(colon - value));
	buf_set(nexthop, colon + 1);
}

/* resolve_transport_lookup - the transport_maps value of addr: 1, 0, -1 */
static int
resolve_transport_lookup(const char *addr, struct buf *value,
    struct buf *why)
{
	const char *at = strrchr(addr, '@'), *domain, *p;
	int r;

	if ((r = resolve_map_open(&transport_map, &transport_spec,
	    var_transport_maps, 0, why)) <= 0)
		return r;
	if ((r = resolve_map_addr(transport_map, addr, value)) != 0 ||
	    at == NULL || at[1] == '\0')
		goto out;
	domain = at + 1;
	if ((r = map_lookup(transport_map, domain, value)) != 0)
		goto out;
	for (p = strchr(domain + 1, '.'); p != NULL; p = strchr(p + 1, '.'))
		if ((r = map_lookup(transport_map, p, value)) != 0)
			break;
out:
	if (r < 0) {
		buf_setf(why, "transport_maps: %s", buf_str(value));
		buf_reset(value);
	}
	return r;
}

/*
 * resolve_route - the transport and nexthop of a final address: 0, or -1
 * with why when transport_maps could not be read (try again later)
 */
int
resolve_route(const char *addr, struct buf *transport, struct buf *nexthop,
    struct buf *why)
{
	const char *at = strrchr(addr, '@'), *domain = at ? at + 1 : "";
	enum resolve_class class = resolve_class(addr);
	struct buf *value = buf_new(256, 0), *t = buf_new(64, 0);
	struct buf *n = buf_new(256, 0);
	int r;

	resolve_split(class == RESOLVE_LOCAL ? var_local_transport :
	    class == RESOLVE_RELAY ? var_relay_transport :
	    var_default_transport, transport, nexthop);
	if (class == RESOLVE_LOCAL)
		buf_reset(nexthop);
	else if (buf_len(nexthop) == 0)
		buf_set(nexthop, var_relayhost && *var_relayhost ?
		    var_relayhost : domain);
	if ((r = resolve_transport_lookup(addr, value, why)) > 0) {
		resolve_split(trim(value->data), t, n);
		if (buf_len(t) > 0) {
			buf_set(transport, buf_str(t));
			buf_set(nexthop, buf_len(n) > 0 ? buf_str(n) : domain);
		} else if (buf_len(n) > 0)
			buf_set(nexthop, buf_str(n));
	}
	buf_free(&value);
	buf_free(&t);
	buf_free(&n);
	return r < 0 ? -1 : 0;
}
