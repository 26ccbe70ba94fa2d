/*
 * pickup - moves mail that sendmail left in maildrop/ into the queue.
 *
 * One process, run by master as mail_owner (SERVER_LOOP).  It scans
 * maildrop/ when it starts, whenever anyone connects to public/pickup
 * (sendmail does after each message) and on master's periodic wakeup.
 *
 * maildrop/ is writable by every local user (mode 1733), so each file is
 * distrusted: opened without following symlinks, refused unless it is a
 * plain file with one link, and parsed with queue_read(); a bad one is
 * moved to corrupt/ with a warning.  Only the envelope's sender, its
 * recipients and the full name are taken from it; the submitting user is
 * the file's owner, whatever the file says.  The copy in incoming/ gets a
 * Received: header, and Message-ID:, Date: and From: when they are
 * missing.  The maildrop file is removed only after the incoming file is
 * committed, so a crash can duplicate a message but never lose one.
 *
 * With non_smtpd_milters the message is also kept in memory (up to
 * message_size_limit) as it is written, and shown to the milters before
 * the commit (pickup_milter.c): refused, the file is committed with a
 * reject= attribute and qmgr bounces it; tempfailed, it stays in
 * maildrop/ for a later scan; discarded, it goes; edited, a new file
 * holds the edited message and envelope; quarantined, it gets a hold=
 * attribute and qmgr puts it on hold.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "milter.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "server.h"
#include "util.h"
#include "pickup.h"

#define PICKUP_HEADER_MAX	(1024 * 1024)	/* header section scanned */
#define PICKUP_LINE_MAX		8192		/* header lines, in pieces */
#define PICKUP_RESCAN_MS	60000		/* scan even without wakeups */
#define PICKUP_FULLNAME_MAX	200
#define PICKUP_MILTER_SLACK	65536		/* our headers, for milters */

/* What pickup_filter says becomes of the file. */
#define PICKUP_KEEP		0	/* commit it */
#define PICKUP_WAIT		1	/* leave it in maildrop/ for later */
#define PICKUP_DROP		2	/* remove it: discarded */

/* Where the message goes: the queue file, and a copy for milters. */
struct pickup_out {
	struct queue_writer *w;
	struct buf	*copy;		/* NULL: no non_smtpd_milters */
};

/* What the header section already has. */
struct pickup_hdrs {
	int	 message_id;
	int	 date;
	int	 from;
};

/* pickup_header_is - does the line start with this field name? */
static int
pickup_header_is(const char *line, const char *name)
{
	size_t	 n = strlen(name);

	return strncasecmp(line, name, n) == 0;
}

/* pickup_header_name - is line "name:" shaped (RFC 5322 field-name)? */
static int
pickup_header_name(const char *line)
{
	size_t	 n;

	for (n = 0; line[n] > 32 && line[n] < 127 && line[n] != ':'; n++)
		;
	return n > 0 && line[n] == ':';
}

/* pickup_move_corrupt - a bad maildrop file goes to corrupt/ */
static void
pickup_move_corrupt(const char *name, const char *why)
{
	struct buf	*from, *to;

	from = buf_new(256, PATH_MAX);
	to = buf_new(256, PATH_MAX);
	queue_path(from, var_queue_directory, QUEUE_MAILDROP, name);
	queue_path(to, var_queue_directory, QUEUE_CORRUPT, name);
	msg_warn("maildrop/%s: %s: moved to corrupt/", name, why);
	if (rename(buf_str(from), buf_str(to)) < 0) {
		msg_warn("rename %s to %s: %m; removing it", buf_str(from),
		    buf_str(to));
		if (unlink(buf_str(from)) < 0 && errno != ENOENT)
			msg_warn("unlink %s: %m", buf_str(from));
	}
	buf_free(&from);
	buf_free(&to);
}

/* pickup_clean - keep what a header may safely hold: no control chars */
static const char *
pickup_clean(const char *s, struct buf *out)
{
	const unsigned char *p;

	buf_reset(out);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 32 || *p == 127)
			continue;
		if (*p == '"' || *p == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *p);
	}
	return buf_str(out);
}

/* pickup_bad_addr - an address with a control character is refused */
static int
pickup_bad_addr(const char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s))
			return 1;
	return 0;
}

/* pickup_data - bytes of the message into the file (and the copy) */
static int
pickup_data(struct pickup_out *o, const void *p, size_t n)
{
	if (o->copy != NULL)
		buf_append(o->copy, p, n);
	return queue_data(o->w, p, n);
}

/* pickup_put - write a string into the message */
static int
pickup_put(struct pickup_out *o, const char *s)
{
	return pickup_data(o, s, strlen(s));
}

/* pickup_add_missing - Message-ID:, Date:, From: where they lack */
static int
pickup_add_missing(struct pickup_out *o, const struct pickup_hdrs *have,
    const char *sender, const char *fullname, time_t arrival)
{
	struct buf	*h;
	char		 date[64], stamp[32];
	struct tm	 tm;
	int		 ret;

	h = buf_new(512, 8192);
	if (!have->message_id) {
		gmtime_r(&arrival, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
		buf_appendf(h, "Message-ID: <%s.%s@%s>\n", stamp,
		    queue_writer_id(o->w), var_myhostname);
	}
	if (!have->date)
		buf_appendf(h, "Date: %s\n",
		    rfc2822_date(arrival, date, sizeof(date)));
	if (!have->from) {
		if (fullname != NULL && *fullname != '\0') {
			struct buf *clean = buf_new(128, 1024);

			buf_appendf(h, "From: \"%s\" <%s>\n",
			    pickup_clean(fullname, clean), sender);
			buf_free(&clean);
		} else
			buf_appendf(h, "From: %s\n", sender);
	}
	ret = pickup_data(o, buf_str(h), buf_len(h));
	buf_free(&h);
	return ret;
}

/*
 * pickup_copy_body - copy the message: the header section first (noting
 * what it has, completing it), then the rest as it is.
 */
static int
pickup_copy_body(struct pickup_out *o, FILE *in, const char *sender,
    const char *fullname, time_t arrival)
{
	struct pickup_hdrs have = { 0, 0, 0 };
	char		 line[PICKUP_LINE_MAX], chunk[65536];
	size_t		 len = 0, seen = 0, n;
	int		 at_start = 1, body = 0, cont;

	/* The header section: until an empty line or a non-header line. */
	while (fgets(line, sizeof(line), in) != NULL) {
		len = strlen(line);
		if (at_start) {
			cont = (line[0] == ' ' || line[0] == '\t') && seen > 0;
			if ((!cont && !pickup_header_name(line)) ||
			    seen > PICKUP_HEADER_MAX) {
				body = 1;
				break;
			}
			if (pickup_header_is(line, "Message-ID:"))
				have.message_id = 1;
			else if (pickup_header_is(line, "Date:"))
				have.date = 1;
			else if (pickup_header_is(line, "From:"))
				have.from = 1;
		}
		if (pickup_data(o, line, len) < 0)
			return -1;
		seen += len;
		at_start = len > 0 && line[len - 1] == '\n';
	}
	if (ferror(in))
		return -1;
	if (!at_start && pickup_put(o, "\n") < 0)
		return -1;
	at_start = 1;
	if (pickup_add_missing(o, &have, sender, fullname, arrival) < 0)
		return -1;
	if (!body)
		return 0;

	/* A body with no empty line before it gets one. */
	if (strcmp(line, "\n") != 0 && pickup_put(o, "\n") < 0)
		return -1;
	if (pickup_data(o, line, len) < 0)
		return -1;
	at_start = len > 0 && line[len - 1] == '\n';
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0) {
		if (pickup_data(o, chunk, n) < 0)
			return -1;
		at_start = chunk[n - 1] == '\n';
	}
	if (ferror(in))
		return -1;
	if (!at_start && pickup_put(o, "\n") < 0)
		return -1;
	return 0;
}

/* pickup_sender - the envelope sender, qualified; "" stays null */
static void
pickup_sender(const char *given, const struct passwd *pw, uid_t uid,
    struct buf *out)
{
	buf_reset(out);
	if (given != NULL && *given == '\0')
		return;				/* the null sender, -f '<>' */
	if (given != NULL && strchr(given, '@') != NULL) {
		buf_puts(out, given);
		return;
	}
	if (given != NULL)
		buf_puts(out, given);
	else if (pw != NULL)
		buf_puts(out, pw->pw_name);
	else
		buf_appendf(out, "uid%ld", (long)uid);
	buf_appendf(out, "@%s", var_myorigin);
}

/* pickup_fullname - -F's name, else the owner's GECOS name (own mail) */
static void
pickup_fullname(const struct queue_msg *m, const struct passwd *pw,
    struct buf *out)
{
	const char	*given = queue_msg_attr(m, "fullname");
	size_t		 n;

	buf_reset(out);
	if (given != NULL) {
		buf_puts(out, given);
	} else if (pw != NULL && pw->pw_gecos != NULL &&
	    strcmp(m->sender, pw->pw_name) == 0) {
		n = strcspn(pw->pw_gecos, ",");
		buf_append(out, pw->pw_gecos, n);
	}
	if (buf_len(out) > PICKUP_FULLNAME_MAX)
		buf_truncate(out, PICKUP_FULLNAME_MAX);
}

/* pickup_envelope - the queue file's envelope records */
static void
pickup_envelope(struct queue_writer *w, const struct pickup_env *env,
    long uid)
{
	int i;

	queue_rec(w, 'F', buf_str(env->sender));
	queue_rec(w, 'A', "protocol=local");
	queue_recf(w, 'A', "uid=%ld", uid);
	for (i = 0; i < env->nrcpt; i++)
		queue_rec(w, 'R', env->rcpt[i]);
	queue_rec(w, 'M', NULL);
}

/*
 * pickup_rewrite - a new queue file for what the milters made of the
 * message (msg, len) and its envelope: 0, or -1 with none left
 */
static int
pickup_rewrite(struct pickup_out *o, const struct pickup_env *env,
    long uid, const char *msg, size_t len)
{
	struct buf *why = buf_new(128, 1024);
	char old[QUEUE_ID_MAX];

	snprintf(old, sizeof(old), "%s", queue_writer_id(o->w));
	queue_abort(&o->w);
	if ((o->w = queue_create(var_queue_directory, QUEUE_INCOMING,
	    why)) == NULL) {
		msg_warn("%s", buf_str(why));
		buf_free(&why);
		return -1;
	}
	buf_free(&why);
	msg_info("%s: edited by milters: replaced by %s", old,
	    queue_writer_id(o->w));
	pickup_envelope(o->w, env, uid);
	return queue_data(o->w, msg, len);
}

/*
 * pickup_late - an attribute (name=value, the value made printable and
 * cut at its first line end) once the message is written: 0, or -1
 */
static int
pickup_late(struct queue_writer *w, const char *name, const char *value)
{
	struct buf *rec = buf_new(128, 0), *pr = buf_new(128, 0);
	int r;

	buf_setf(rec, "%s=%.*s", name, (int)strcspn(value, "\r\n"), value);
	r = queue_rec_late(w, 'A', printable(buf_str(rec), pr));
	buf_free(&rec);
	buf_free(&pr);
	return r;
}

/*
 * pickup_filter - the written message (o->copy) through non_smtpd_milters
 * before its commit: PICKUP_KEEP (o->w, perhaps a new file, is to be
 * committed), PICKUP_WAIT or PICKUP_DROP (o->w is gone), or -1 (a write
 * failed)
 */
static int
pickup_filter(struct pickup_out *o, struct pickup_env *env, long uid)
{
	struct milter_result res;
	struct buf *copy = o->copy;
	char qid[QUEUE_ID_MAX];
	int d, edits = 0, r = PICKUP_KEEP;

	o->copy = NULL;
	snprintf(qid, sizeof(qid), "%s", queue_writer_id(o->w));
	milter_result_init(&res);
	if (buf_overflowed(copy)) {
		msg_info("%s: reject: message size exceeds message_size_limit",
		    qid);
		buf_set(res.reply.text, "552 5.3.4 Message size exceeds "
		    "fixed limit");
		d = MILTER_REJECT;
	} else
		d = pickup_milter(env, qid, buf_str(copy), buf_len(copy), &res,
		    &edits);
	if (d == MILTER_CONTINUE && env->nrcpt == 0) {
		msg_info("%s: discard: milters removed every recipient", qid);
		d = MILTER_DISCARD;
	}
	if (d == MILTER_TEMPFAIL || d == MILTER_DISCARD) {
		queue_abort(&o->w);
		r = d == MILTER_TEMPFAIL ? PICKUP_WAIT : PICKUP_DROP;
	} else if (d == MILTER_REJECT)
		r = pickup_late(o->w, "reject", buf_str(res.reply.text));
	else if ((res.message != NULL || edits > 0) && pickup_rewrite(o, env,
	    uid, res.message != NULL ? buf_str(res.message) : buf_str(copy),
	    res.message != NULL ? buf_len(res.message) : buf_len(copy)) < 0)
		r = -1;
	else if (res.quarantine != NULL) {
		buf_setf(copy, "milter: %s", buf_str(res.quarantine));
		r = pickup_late(o->w, "hold", buf_str(copy));
	}
	milter_result_clear(&res);
	buf_free(&copy);
	return r;
}

/*
 * pickup_file - one maildrop file into incoming/.  0 done (or moved
 * aside, or left for later), -1 on a queue failure (stop the scan and
 * retry later).
 */
static int
pickup_file(const char *name)
{
	struct pickup_out o = { NULL, NULL };
	struct pickup_env env = { NULL, NULL, 0, 0 };
	struct queue_msg m;
	struct passwd	*pw;
	struct stat	 st;
	struct buf	*path, *why, *fullname, *pr;
	char		 date[64], qid[QUEUE_ID_MAX];
	FILE		*in = NULL;
	int		 fd, i, ret = 0, r;
	time_t		 now;

	path = buf_new(256, PATH_MAX);
	why = buf_new(256, 4096);
	env.sender = buf_new(128, 2048);
	fullname = buf_new(64, 1024);
	pr = buf_new(128, 0);
	memset(&m, 0, sizeof(m));
	queue_path(path, var_queue_directory, QUEUE_MAILDROP, name);
	fd = open(buf_str(path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			pickup_move_corrupt(name, "a symbolic link");
		else if (errno != ENOENT)
			msg_warn("open %s: %m", buf_str(path));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		msg_warn("fstat %s: %m", buf_str(path));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		pickup_move_corrupt(name, S_ISREG(st.st_mode) ?
		    "a file with more than one link" : "not a regular file");
		goto out;
	}
	if (queue_read(fd, &m, why) < 0) {
		pickup_move_corrupt(name, buf_str(why));
		goto out;
	}
	for (i = 0; i < m.nrcpt; i++)
		if (!m.rcpt[i].done)
			pickup_env_add(&env, m.rcpt[i].addr);
	if (env.nrcpt == 0 || pickup_bad_addr(m.sender)) {
		pickup_move_corrupt(name, env.nrcpt == 0 ? "no recipients" :
		    "bad sender address");
		goto out;
	}
	for (i = 0; i < m.nrcpt; i++) {
		if (pickup_bad_addr(m.rcpt[i].addr) ||
		    *m.rcpt[i].addr == '\0') {
			pickup_move_corrupt(name, "bad recipient address");
			goto out;
		}
	}
	pw = getpwuid(st.st_uid);
	pickup_sender(m.sender, pw, st.st_uid, env.sender);
	pickup_fullname(&m, pw, fullname);

	if ((o.w = queue_create(var_queue_directory, QUEUE_INCOMING,
	    why)) == NULL) {
		msg_warn("%s", buf_str(why));
		ret = -1;
		goto out;
	}
	snprintf(qid, sizeof(qid), "%s", queue_writer_id(o.w));
	if (*var_non_smtpd_milters != '\0')
		o.copy = buf_new(8192, var_message_size_limit > 0 ?
		    (size_t)var_message_size_limit + PICKUP_MILTER_SLACK : 0);
	pickup_envelope(o.w, &env, (long)st.st_uid);
	now = time(NULL);
	buf_setf(why, "Received: by %s (cartero, from userid %ld)\n"
	    "\tid %s; %s\n", var_myhostname, (long)st.st_uid, qid,
	    rfc2822_date(now, date, sizeof(date)));
	if (pickup_data(&o, buf_str(why), buf_len(why)) < 0)
		goto fail;
	if (lseek(fd, m.data_offset, SEEK_SET) < 0 ||
	    (in = fdopen(fd, "r")) == NULL)
		goto fail;
	fd = -1;
	if (pickup_copy_body(&o, in, *buf_str(env.sender) ?
	    buf_str(env.sender) : "MAILER-DAEMON", buf_str(fullname),
	    m.arrival) < 0)
		goto fail;
	if (o.copy != NULL) {
		if ((r = pickup_filter(&o, &env, (long)st.st_uid)) < 0)
			goto fail;
		if (r == PICKUP_WAIT)
			goto out;	/* in maildrop/ until a later scan */
		if (r == PICKUP_DROP)
			goto done;
		snprintf(qid, sizeof(qid), "%s", queue_writer_id(o.w));
	}
	if (queue_commit(o.w, why) < 0) {
		o.w = NULL;
		msg_warn("%s", buf_str(why));
		ret = -1;
		goto out;
	}
	o.w = NULL;
	msg_info("%s: uid=%ld from=<%s>", qid, (long)st.st_uid,
	    printable(buf_str(env.sender), pr));
	queue_notify(var_queue_directory, qid);
done:
	/* Only now may the original go; a crash before this duplicates. */
	if (unlink(buf_str(path)) < 0 && errno != ENOENT)
		msg_warn("remove %s: %m (it will be queued again)",
		    buf_str(path));
	goto out;
fail:
	msg_warn("write queue file %s: %m", o.w != NULL ? qid : name);
	queue_abort(&o.w);
	ret = -1;
out:
	if (in != NULL)
		fclose(in);
	else if (fd >= 0)
		close(fd);
	queue_msg_free(&m);
	pickup_env_free(&env);
	buf_free(&o.copy);
	buf_free(&path);
	buf_free(&why);
	buf_free(&env.sender);
	buf_free(&fullname);
	buf_free(&pr);
	return ret;
}

/* pickup_scan - every file in maildrop/ */
static void
pickup_scan(void)
{
	struct dirent	*de;
	DIR		*dir;

	if ((dir = queue_opendir(var_queue_directory, QUEUE_MAILDROP)) ==
	    NULL) {
		msg_warn("open %s/%s: %m", var_queue_directory,
		    QUEUE_MAILDROP);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		/* Dot files and sendmail's files in progress ("t.ID"). */
		if (de->d_name[0] == '.' || strncmp(de->d_name, "t.", 2) == 0)
			continue;
		if (!queue_id_ok(de->d_name)) {
			pickup_move_corrupt(de->d_name,
			    "not a queue file name");
			continue;
		}
		if (pickup_file(de->d_name) < 0)
			break;		/* the queue is in trouble: later */
	}
	closedir(dir);
}

/* pickup_drain - take every waiting wakeup connection */
static void
pickup_drain(int lfd)
{
	char	 junk[256];
	int	 fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) >= 0) {
		/* What was sent does not matter: any line means "look". */
		(void)read(fd, junk, sizeof(junk));
		close(fd);
	}
}

/* pickup_service - the loop: scan, wait for a wakeup, scan again */
static void
pickup_service(int lfd, char *service, char **argv)
{
	struct pollfd	 pfd;
	int		 n;

	pickup_scan();
	for (;;) {
		pfd.fd = lfd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, PICKUP_RESCAN_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			msg_fatal("poll: %m");
		}
		if (n > 0)
			pickup_drain(lfd);
		pickup_scan();
	}
}

/* main - a SERVER_LOOP daemon */
int
main(int argc, char **argv)
{
	server_main(argc, argv, SERVER_LOOP, pickup_service, SERVER_END);
}
