/*
 * cartero_check - "cartero check": the administrator's one command after
 * installing or changing cartero.
 *
 *	cartero [-c config_dir] check [--address ADDR]
 *	cartero [-c config_dir] check --clients
 *	cartero [-c config_dir] check --autoconfig DIR
 *
 * It looks at the configuration (main.cf's syntax and values, unknown
 * parameters with the nearest known name, master.cf, files and tables that
 * parameters name, hash: tables older than their source, quota words
 * that do not read in mailbox_quota_maps or the passwd file), permissions
 * (the queue's directories, the password file and TLS key, Maildirs and
 * homes open to others, wrong owners), the ports master.cf configures (it connects to each), the TLS
 * certificates, and DNS (cartero_check_dns.c).  Each finding is one line
 * on stdout saying what is wrong and what to do; the exit status is 0
 * when there is none, 1 otherwise.  Notes that are not findings (the SRV
 * records to publish) start with '#' or are records in zone-file form.
 *
 * --clients prints the settings to give to users; --autoconfig DIR writes
 * the files mail clients fetch to set themselves up
 * (cartero_check_clients.c).
 *
 * It changes nothing (but the files --autoconfig writes): it is safe to
 * run at any time, as root or as the instance's owner.  What it reads
 * (master.cf, the passwd file) is the administrator's; it is still read
 * with caps.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "maps.h"
#include "master_conf.h"
#include "msg.h"
#include "params.h"
#include "quota.h"
#include "resolve.h"
#include "server.h"
#include "userdb.h"
#include "util.h"
#include "cartero_check.h"

#define CHECK_PASSWD_MAX	(16 * 1024 * 1024)
#define CHECK_CONNECT_MS	3000

struct check_serv *check_servs;
int	check_nservs;
static int check_count;		/* findings so far */

/*
 * The queue's directories as master makes them (master.c): mode and
 * whether mail_owner owns it (else root).  Without root (a sandbox) they
 * are the invoking user's, with only the owner's bits.
 */
static const struct check_dir {
	const char	*name;
	mode_t		 mode;
	int		 owned;
} check_dirs[] = {
	{ "incoming", 0700, 1 }, { "active", 0700, 1 },
	{ "deferred", 0700, 1 }, { "hold", 0700, 1 },
	{ "maildrop", 01733, 1 }, { "corrupt", 0700, 1 },
	{ "defer", 0700, 1 }, { "private", 0700, 1 },
	{ "public", 0711, 1 }, { "pid", 0755, 0 }, { "etc", 0755, 0 },
	{ NULL, 0, 0 },
};

/* check_finding - one finding: a line with its fix */
void
check_finding(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	check_count++;
}

/* check_usage - how to run "cartero check" */
static void
check_usage(void)
{
	fprintf(stderr, "usage: cartero [-c config_dir] check "
	    "[--address ADDR] [--clients] [--autoconfig DIR]\n");
	exit(EX_USAGE);
}

/*
 * check_distance - the edit distance (Levenshtein) of two names, capped:
 * what "did you mean" ranks the known names by
 */
static size_t
check_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, diag, up, best;

	if (la > 100 || lb > 100)
		return (size_t)-1;
	row = xcalloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

/* check_unknown - a finding for an unknown parameter, with a suggestion */
static void
check_unknown(const char *where, const char *name)
{
	const struct param *p, *near = NULL;
	size_t d, best = (size_t)-1;

	for (p = param_table; p->name != NULL; p++)
		if ((d = check_distance(name, p->name)) < best) {
			best = d;
			near = p;
		}
	if (near != NULL && (best <= 2 || best <= strlen(name) / 4))
		check_finding("%s: unknown parameter %s: did you mean %s?",
		    where, name, near->name);
	else
		check_finding("%s: unknown parameter %s: remove it (the "
		    "parameters are in cartero.conf(5))", where, name);
}

/* check_main_cf - main.cf's syntax and names: 0, -1 if it cannot load */
static int
check_main_cf(const char *dir)
{
	struct conf_file cf;
	struct buf *path = buf_new(256, PATH_MAX), *why = buf_new(256, 4096);
	struct buf *where = buf_new(256, 0);
	int i, r = 0;

	buf_setf(path, "%s/main.cf", dir);
	if (conf_file_read(buf_str(path), &cf, why) < 0) {
		check_finding("%s: fix the line", buf_str(why));
		r = -1;
		goto out;
	}
	for (i = 0; i < cf.count; i++)
		if (!conf_known(cf.entries[i].name)) {
			buf_setf(where, "%s, line %d", cf.path,
			    cf.entries[i].line);
			check_unknown(buf_str(where), cf.entries[i].name);
		}
	conf_file_free(&cf);
	/* The values: types, bounds, $name loops. */
	if (conf_load(dir, NULL, why) < 0) {
		check_finding("%s: fix the value", buf_str(why));
		r = -1;
	}
out:
	buf_free(&path);
	buf_free(&why);
	buf_free(&where);
	return r;
}

/* check_serv_add - an inet service of master.cf into check_servs */
static void
check_serv_add(const struct master_serv *sv)
{
	struct buf *host = buf_new(64, 1024), *port = buf_new(16, 256);
	struct buf *why = buf_new(64, 1024);
	struct check_serv *s;
	int i;

	check_servs = xrealloc(check_servs, (size_t)(check_nservs + 1) *
	    sizeof(*check_servs));
	s = &check_servs[check_nservs++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(sv->name);
	s->command = xstrdup(sv->command);
	s->line = sv->line;
	s->opts = xcalloc((size_t)sv->nargs + 1, sizeof(*s->opts));
	/* master_conf puts the -o pairs first. */
	for (i = 0; i + 1 < sv->nargs && strcmp(sv->args[i], "-o") == 0;
	    i += 2)
		s->opts[s->nopts++] = xstrdup(sv->args[i + 1]);
	/* The addresses master binds; optional ones ([::1]) are not checked. */
	s->hosts = xcalloc((size_t)sv->nlisteners + 1, sizeof(*s->hosts));
	for (i = 0; i < sv->nlisteners; i++) {
		if (server_addr_split(sv->listeners[i]->addr, host, port,
		    why) < 0)
			continue;
		s->port = server_port(buf_str(port));
		if (!sv->listeners[i]->optional)
			s->hosts[s->nhosts++] = xstrdup(buf_len(host) == 0 ?
			    "127.0.0.1" : buf_str(host));
	}
	if (s->port == 0)
		check_finding("%s, line %d: service %s: unknown port in \"%s\": "
		    "write its number", sv->file, sv->line, s->name, s->name);
	buf_free(&host);
	buf_free(&port);
	buf_free(&why);
}

/* check_service - one service of master.cf: its program and -o names */
static void
check_service(const struct master_serv *sv)
{
	struct buf *where = buf_new(256, 0);
	char *eq;
	int i;

	if (access(sv->path, X_OK) < 0)
		check_finding("%s, line %d: service %s: no program %s (%s): "
		    "fix the command or daemon_directory", sv->file, sv->line,
		    sv->name, sv->path, strerror(errno));
	buf_setf(where, "%s, line %d, service %s, -o", sv->file, sv->line,
	    sv->name);
	for (i = 0; i + 1 < sv->nargs && strcmp(sv->args[i], "-o") == 0;
	    i += 2) {
		eq = strchr(sv->args[i + 1], '=');
		*eq = '\0';		/* master_conf made sure of the '=' */
		if (!conf_known(sv->args[i + 1]))
			check_unknown(buf_str(where), sv->args[i + 1]);
		*eq = '=';
	}
	if (sv->type == MASTER_INET)
		check_serv_add(sv);
	buf_free(&where);
}

/*
 * check_master_cf - master.cf as master reads it (lib/master_conf.c):
 * its first bad line, else each service's program and -o names, and its
 * inet services kept
 */
static void
check_master_cf(const char *dir)
{
	struct buf *path = buf_new(256, PATH_MAX), *why = buf_new(256, 4096);
	struct master_serv *list, *sv;

	buf_setf(path, "%s/master.cf", dir);
	if (access(buf_str(path), F_OK) < 0)
		check_finding("%s: %s: master.cf is needed: install it",
		    buf_str(path), strerror(errno));
	else if (master_conf_read(buf_str(path), &list, why) < 0)
		check_finding("%s: fix the line (master will not start)",
		    buf_str(why));
	else {
		for (sv = list; sv != NULL; sv = sv->next)
			check_service(sv);
		master_conf_free(&list);
	}
	buf_free(&path);
	buf_free(&why);
}

/* check_serv_bool - a yes/no parameter as a service sees it */
int
check_serv_bool(const struct check_serv *s, const char *name)
{
	const struct param *p;
	size_t len = strlen(name);
	int i;

	for (i = s->nopts - 1; i >= 0; i--)
		if (strncmp(s->opts[i], name, len) == 0 &&
		    s->opts[i][len] == '=')
			return strcasecmp(s->opts[i] + len + 1, "yes") == 0;
	if ((p = param_find(name)) == NULL || p->type != PARAM_BOOL)
		return 0;
	return *(int *)p->var;
}

/* check_serv_proto - what a client of the service speaks */
enum check_proto
check_serv_proto(const struct check_serv *s)
{
	if (strcmp(s->command, "imapd") == 0)
		return CHECK_IMAP;
	if (strcmp(s->command, "pop3d") == 0)
		return CHECK_POP3;
	if (strcmp(s->command, "smtpd") != 0)
		return CHECK_OTHER;
	if (s->port == 25)
		return CHECK_MX;
	return CHECK_SUBMISSION;
}

/* check_serv_wrapped - does TLS start at connect (465, 993, 995)? */
int
check_serv_wrapped(const struct check_serv *s)
{
	switch (check_serv_proto(s)) {
	case CHECK_IMAP:
		return check_serv_bool(s, "imapd_tls_wrappermode");
	case CHECK_POP3:
		return check_serv_bool(s, "pop3d_tls_wrappermode");
	case CHECK_OTHER:
		return 0;
	default:
		return check_serv_bool(s, "smtpd_tls_wrappermode");
	}
}

/* check_domains - the real domains of mydestination (not localhost) */
char **
check_domains(void)
{
	char *list = xstrdup(var_mydestination), *cp = list, *w, **out;
	int n = 0, i;

	out = xcalloc(strlen(list) / 2 + 2, sizeof(*out));
	while ((w = mystrtok(&cp, ", \t\r\n")) != NULL) {
		lowercase(w);
		if (strchr(w, '.') == NULL || strchr(w, ':') != NULL ||
		    strncmp(w, "localhost.", 10) == 0)
			continue;
		for (i = 0; i < n && strcmp(out[i], w) != 0; i++)
			;
		if (i == n)
			out[n++] = xstrdup(w);
	}
	free(list);
	return out;
}

/* check_exists - a finding when the file a parameter names is missing */
static void
check_exists(const char *param, const char *path, int mode,
    const char *fix)
{
	if (*path == '\0' || access(path, mode) == 0)
		return;
	check_finding("%s = %s: %s: %s", param, path, strerror(errno), fix);
}

/* check_table - one "type:path" of a table parameter */
static void
check_table(const char *param, const char *spec)
{
	struct stat db, src;
	struct buf *dbpath = buf_new(256, 0);
	const char *path = strchr(spec, ':') + 1;
	const char *how = strcmp(param, "alias_maps") == 0 ||
	    strcmp(param, "alias_database") == 0 ? "newaliases" :
	    "carteromap";

	if (strncasecmp(spec, "texthash:", 9) == 0)
		check_exists(param, path, R_OK, "create it or fix the "
		    "parameter");
	else if (strncasecmp(spec, "hash:", 5) != 0)
		check_finding("%s: unknown table type in \"%s\": use hash: or "
		    "texthash:", param, spec);
	else {
		buf_setf(dbpath, "%s.db", path);
		if (stat(buf_str(dbpath), &db) < 0)
			check_finding("%s: %s is missing: run %s%s%s", param,
			    buf_str(dbpath), how, *how == 'c' ? " hash:" : "",
			    *how == 'c' ? path : "");
		else if (stat(path, &src) == 0 &&
		    src.st_mtime > db.st_mtime)
			check_finding("%s: %s is older than %s: run %s%s%s",
			    param, buf_str(dbpath), path, how, *how == 'c' ?
			    " hash:" : "", *how == 'c' ? path : "");
	}
	buf_free(&dbpath);
}

/* check_tables - each table of a list that a parameter names */
static void
check_tables(const char *param, const char *value)
{
	char *list = xstrdup(value), *cp = list, *w;

	while ((w = mystrtok(&cp, ", \t\r\n")) != NULL)
		if (strchr(w, ':') == NULL)
			check_finding("%s: \"%s\" has no table type: write "
			    "hash:%s", param, w, w);
		else
			check_table(param, w);
	free(list);
}

/* check_suffix - does name end with suffix? */
static int
check_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

/* check_files - the files, directories and tables parameters name */
static void
check_files(void)
{
	const struct param *p;
	const char *v, *make = "create it or fix the parameter";
	char *dir, *slash;

	for (p = param_table; p->name != NULL; p++) {
		if (p->type != PARAM_STR || (v = *(char **)p->var) == NULL ||
		    *v == '\0')
			continue;
		if (check_suffix(p->name, "_maps") ||
		    strcmp(p->name, "alias_database") == 0)
			check_tables(p->name, v);
		else if (strcmp(p->name, "maillog_file") == 0) {
			dir = xstrdup(v);
			if ((slash = strrchr(dir, '/')) != NULL &&
			    slash != dir) {
				*slash = '\0';
				check_exists(p->name, dir, W_OK, "create the "
				    "directory or fix the parameter");
			}
			free(dir);
		} else if (strcmp(p->name, "virtual_passwd_file") == 0 ||
		    strcmp(p->name, "smtp_mta_sts_cache_directory") == 0)
			continue;	/* missing: no virtual users; the
					 * smtp agent makes its cache */
		else if (check_suffix(p->name, "_file") ||
		    check_suffix(p->name, "_CAfile"))
			check_exists(p->name, v, R_OK, make);
		else if (strcmp(p->name, "queue_directory") == 0 ||
		    strcmp(p->name, "data_directory") == 0)
			check_exists(p->name, v, X_OK, "cartero start makes "
			    "it");
		else if (check_suffix(p->name, "_directory"))
			check_exists(p->name, v, X_OK, make);
		else if (check_suffix(p->name, "_path"))
			check_exists(p->name, v, X_OK, "install it or fix the "
			    "parameter");
	}
}

/*
 * check_mode - a finding when path is not owned by uid or is open to the
 * bits of mask; owner is uid's name in the fix.  Symbolic links are not
 * followed where users could plant them (follow 0).
 */
static void
check_mode(const char *what, const char *path, uid_t uid, const char *owner,
    mode_t mask, mode_t fixmode, int follow)
{
	struct stat st;

	if ((follow ? stat(path, &st) : lstat(path, &st)) < 0)
		return;
	if (st.st_uid != uid)
		check_finding("%s %s is owned by uid %ld, not %s: chown%s %s "
		    "%s", what, path, (long)st.st_uid, owner,
		    S_ISDIR(st.st_mode) ? " -R" : "", owner, path);
	if (st.st_mode & mask)
		check_finding("%s %s is open to others (mode %04o): chmod %04o "
		    "%s", what, path, (unsigned)(st.st_mode & 07777),
		    (unsigned)fixmode, path);
}

/*
 * check_secrets - the password hashes and the TLS key: root's (or the
 * sandbox owner's), unreadable by others (the key may be its group's, as
 * Debian's ssl-cert group has it)
 */
static void
check_secrets(void)
{
	struct passwd *pw = getpwuid(geteuid());
	char *me = xstrdup(pw != NULL ? pw->pw_name : "root");

	check_mode("virtual_passwd_file", var_virtual_passwd_file, geteuid(),
	    me, 0077, 0600, 1);
	check_mode("tls_key_file", var_tls_key_file, geteuid(), me, 0007,
	    0600, 1);
	free(me);
}

/* check_queue - the queue's directories: owners and modes */
static void
check_queue(void)
{
	const struct check_dir *d;
	struct passwd *pw;
	struct buf *path = buf_new(256, PATH_MAX);
	struct stat st;
	uid_t owner = geteuid(), want;
	mode_t mode;
	int root = geteuid() == 0;

	if (root) {
		if ((pw = getpwnam(var_mail_owner)) == NULL) {
			check_finding("mail_owner %s: no such user: create it "
			    "(adduser --system %s)", var_mail_owner,
			    var_mail_owner);
			goto out;
		}
		owner = pw->pw_uid;
	}
	if (access(var_queue_directory, X_OK) < 0)
		goto out;		/* check_files() said so */
	for (d = check_dirs; d->name != NULL; d++) {
		buf_setf(path, "%s/%s", var_queue_directory, d->name);
		if (lstat(buf_str(path), &st) < 0) {
			check_finding("queue directory %s is missing: cartero "
			    "start makes it", buf_str(path));
			continue;
		}
		want = !root || d->owned ? owner : 0;
		mode = root ? d->mode : d->mode & 0700;
		if (st.st_uid != want)
			check_finding("queue directory %s is owned by uid %ld, "
			    "not %s: chown %s %s", buf_str(path),
			    (long)st.st_uid, want == 0 ? "root" :
			    var_mail_owner, want == 0 ? "root" :
			    var_mail_owner, buf_str(path));
		if ((st.st_mode & 07777) != mode)
			check_finding("queue directory %s has mode %04o, not "
			    "%04o: chmod %04o %s", buf_str(path),
			    (unsigned)(st.st_mode & 07777), (unsigned)mode,
			    (unsigned)mode, buf_str(path));
	}
out:
	buf_free(&path);
}

/* check_account - a mail account's Maildir and home */
static void
check_account(const char *name)
{
	struct account acct;
	struct buf *why = buf_new(128, 1024);
	struct passwd *pw;
	char *owner, *maildir;
	size_t len;

	memset(&acct, 0, sizeof(acct));
	if (resolve_account(name, &acct, why) <= 0) {
		buf_free(&why);
		return;
	}
	pw = getpwuid(acct.uid);
	owner = xstrdup(pw != NULL ? pw->pw_name : name);
	/* "Maildir/" named as the directory it is, for the chmod. */
	maildir = xstrdup(acct.maildir);
	while ((len = strlen(maildir)) > 1 && maildir[len - 1] == '/')
		maildir[len - 1] = '\0';
	check_mode("the Maildir", maildir, acct.uid, owner, 0077, 0700, 0);
	if (acct.home != NULL && strcmp(acct.home, maildir) != 0)
		check_mode("the home", acct.home, acct.uid, owner, 0007,
		    0750, 0);
	free(maildir);
	free(owner);
	account_free(&acct);
	buf_free(&why);
}

/* check_virtual_text - the passwd file, else the hash-free user table */
struct buf *
check_virtual_text(void)
{
	struct buf *text, *why = buf_new(128, 1024), *path = buf_new(256, 0);

	if ((text = file_slurp(var_virtual_passwd_file, CHECK_PASSWD_MAX,
	    why)) == NULL && (text = file_slurp(userdb_path(path),
	    CHECK_PASSWD_MAX, why)) == NULL)
		text = buf_new(1, 0);
	buf_free(&why);
	buf_free(&path);
	return text;
}

/*
 * check_mailboxes - the Maildirs and homes of the virtual users (the
 * passwd file, else the user table) and of system users with a Maildir
 */
static void
check_mailboxes(void)
{
	struct buf *text, *why = buf_new(128, 1024), *path = buf_new(256, 0);
	struct passwd *pw;
	struct stat st;
	char *cp, *line;

	text = check_virtual_text();
	for (cp = text->data; cp != NULL && *cp != '\0'; ) {
		line = strsep(&cp, "\n");
		if (*line == '#' || strchr(line, ':') == NULL)
			continue;
		line[strcspn(line, ":")] = '\0';
		check_account(line);
	}
	buf_free(&text);
	setpwent();
	while ((pw = getpwent()) != NULL) {
		if (!resolve_uid_ok(pw->pw_uid))
			continue;
		buf_setf(path, "%s/%s", pw->pw_dir, var_home_mailbox);
		if (stat(buf_str(path), &st) == 0)
			check_account(pw->pw_name);
	}
	endpwent();
	buf_free(&why);
	buf_free(&path);
}

/* check_quota_entry - one mailbox_quota_maps entry: do its words read? */
static int
check_quota_entry(const char *key, const char *value, void *arg,
    struct buf *why)
{
	struct buf *err = buf_new(128, 1024);
	long long b = -1, c = -1;

	(void)arg;
	(void)why;
	if (quota_rule_parse(value, 0, &b, &c, err) < 0)
		check_finding("mailbox_quota_maps: %s: %s: give a size (1G) or "
		    "quota=SIZE quota_messages=N", key, buf_str(err));
	buf_free(&err);
	return 0;
}

/*
 * check_quotas - the quota words of mailbox_quota_maps (a table that
 * cannot be opened is check_tables's finding) and of the passwd file's
 * extra fields (after the seventh ':')
 */
static void
check_quotas(void)
{
	struct buf *text, *err = buf_new(128, 1024);
	struct map *m;
	long long b, c;
	char *cp, *line, *extra;
	int i;

	if (var_mailbox_quota_maps != NULL && *var_mailbox_quota_maps != '\0' &&
	    (m = map_open(var_mailbox_quota_maps, 0, err)) != NULL) {
		(void)map_walk(m, check_quota_entry, NULL, err);
		map_close(&m);
	}
	text = check_virtual_text();
	for (cp = text->data; cp != NULL && *cp != '\0'; ) {
		line = strsep(&cp, "\n");
		for (extra = line, i = 0; i < 7 && extra != NULL; i++)
			if ((extra = strchr(extra, ':')) != NULL)
				extra++;
		b = c = -1;
		if (*line == '#' || extra == NULL ||
		    quota_rule_parse(extra, 1, &b, &c, err) >= 0)
			continue;
		line[strcspn(line, ":")] = '\0';
		check_finding("virtual_passwd_file: user %s: %s: fix its quota "
		    "field (quota=1G quota_messages=N)", line, buf_str(err));
	}
	buf_free(&text);
	buf_free(&err);
}

/* check_connect - does something accept a connection at host, port? */
static int
check_connect(const char *host, int port, struct buf *why)
{
	struct addrinfo hints, *res;
	char service[16];
	socklen_t len;
	int fd, r, err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%d", port);
	if ((r = getaddrinfo(host, service, &hints, &res)) != 0) {
		buf_setf(why, "%s", gai_strerror(r));
		return 0;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd < 0 || (connect(fd, res->ai_addr, res->ai_addrlen) < 0 &&
	    errno != EINPROGRESS))
		err = errno;
	else if ((r = fd_wait(fd, POLLOUT, CHECK_CONNECT_MS / 1000)) <= 0)
		err = r == 0 ? ETIMEDOUT : errno;
	else {
		len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
	}
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	if (err != 0)
		buf_setf(why, "%s", strerror(err));
	return err == 0;
}

/*
 * check_listen - connect to each inet service of master.cf where master
 * binds it (an "every address" listener: on loopback)
 */
static void
check_listen(void)
{
	struct check_serv *s;
	struct buf *why = buf_new(128, 1024);
	int i, j;

	for (i = 0; i < check_nservs; i++) {
		s = &check_servs[i];
		if (s->port == 0)
			continue;
		for (j = 0; j < s->nhosts; j++)
			if (!check_connect(s->hosts[j], s->port, why))
				check_finding("%s/master.cf, line %d: service "
				    "%s: nothing listens on %s port %d (%s): "
				    "start cartero (cartero start) or see the "
				    "log", var_config_directory, s->line,
				    s->name, s->hosts[j], s->port,
				    buf_str(why));
	}
	buf_free(&why);
}

/* check_opt_arg - the value of "--opt VALUE" or "--opt=VALUE", or NULL */
static const char *
check_opt_arg(int argc, char **argv, int *i, const char *opt)
{
	size_t len = strlen(opt);

	if (strcmp(argv[*i], opt) == 0) {
		if (*i + 1 >= argc)
			check_usage();
		return argv[++*i];
	}
	if (strncmp(argv[*i], opt, len) == 0 && argv[*i][len] == '=')
		return argv[*i] + len + 1;
	return NULL;
}

/* cartero_check - "cartero check [options]": the exit status */
int
cartero_check(int argc, char **argv, const char *confdir)
{
	const char *address = NULL, *autodir = NULL, *v;
	char real[PATH_MAX], text[64];
	int i, clients = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--clients") == 0)
			clients = 1;
		else if ((v = check_opt_arg(argc, argv, &i,
		    "--autoconfig")) != NULL)
			autodir = v;
		else if ((v = check_opt_arg(argc, argv, &i,
		    "--address")) != NULL)
			address = v;
		else
			check_usage();
	}
	if (confdir == NULL)
		confdir = conf_default_dir();
	if (realpath(confdir, real) == NULL) {
		check_finding("config_directory %s: %s: install cartero or "
		    "give -c DIR", confdir, strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (check_main_cf(real) < 0)
		return 1;
	check_master_cf(real);
	if (clients || autodir != NULL) {
		if (check_count > 0)
			return 1;
		return clients ? check_clients() : check_autoconfig(autodir);
	}
	check_files();
	check_queue();
	check_secrets();
	check_mailboxes();
	check_quotas();
	check_listen();
	check_tls();
	if (address == NULL)
		address = check_address(text, sizeof(text));
	check_dns(address);
	check_auth(address);
	check_srv();
	return check_count > 0 ? 1 : 0;
}
