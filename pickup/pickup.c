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
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "server.h"
#include "util.h"

#define PICKUP_HEADER_MAX	(1024 * 1024)	/* header section scanned */
#define PICKUP_LINE_MAX		8192		/* header lines, in pieces */
#define PICKUP_RESCAN_MS	60000		/* scan even without wakeups */
#define PICKUP_FULLNAME_MAX	200

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

/* pickup_put - write a string into the message */
static int
pickup_put(struct queue_writer *w, const char *s)
{
	return queue_data(w, s, strlen(s));
}

/* pickup_add_missing - Message-ID:, Date:, From: where they lack */
static int
pickup_add_missing(struct queue_writer *w, const struct pickup_hdrs *have,
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
		    queue_writer_id(w), var_myhostname);
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
	ret = queue_data(w, buf_str(h), buf_len(h));
	buf_free(&h);
	return ret;
}

/*
 * pickup_copy_body - copy the message: the header section first (noting
 * what it has, completing it), then the rest as it is.
 */
static int
pickup_copy_body(struct queue_writer *w, FILE *in, const char *sender,
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
		if (queue_data(w, line, len) < 0)
			return -1;
		seen += len;
		at_start = len > 0 && line[len - 1] == '\n';
	}
	if (ferror(in))
		return -1;
	if (!at_start && pickup_put(w, "\n") < 0)
		return -1;
	at_start = 1;
	if (pickup_add_missing(w, &have, sender, fullname, arrival) < 0)
		return -1;
	if (!body)
		return 0;

	/* A body with no empty line before it gets one. */
	if (strcmp(line, "\n") != 0 && pickup_put(w, "\n") < 0)
		return -1;
	if (queue_data(w, line, len) < 0)
		return -1;
	at_start = len > 0 && line[len - 1] == '\n';
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0) {
		if (queue_data(w, chunk, n) < 0)
			return -1;
		at_start = chunk[n - 1] == '\n';
	}
	if (ferror(in))
		return -1;
	if (!at_start && pickup_put(w, "\n") < 0)
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

/*
 * pickup_file - one maildrop file into incoming/.  0 done (or moved
 * aside), -1 on a queue failure (stop the scan and retry later).
 */
static int
pickup_file(const char *name)
{
	struct queue_writer *w = NULL;
	struct queue_msg m;
	struct passwd	*pw;
	struct stat	 st;
	struct buf	*path, *why, *sender, *fullname, *pr;
	char		 date[64], qid[QUEUE_ID_MAX];
	FILE		*in = NULL;
	int		 fd, i, ret = 0, nrcpt = 0;
	time_t		 now;

	path = buf_new(256, PATH_MAX);
	why = buf_new(256, 4096);
	sender = buf_new(128, 2048);
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
			nrcpt++;
	if (nrcpt == 0 || pickup_bad_addr(m.sender)) {
		pickup_move_corrupt(name, nrcpt == 0 ? "no recipients" :
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
	pickup_sender(m.sender, pw, st.st_uid, sender);
	pickup_fullname(&m, pw, fullname);

	if ((w = queue_create(var_queue_directory, QUEUE_INCOMING,
	    why)) == NULL) {
		msg_warn("%s", buf_str(why));
		ret = -1;
		goto out;
	}
	snprintf(qid, sizeof(qid), "%s", queue_writer_id(w));
	queue_rec(w, 'F', buf_str(sender));
	queue_rec(w, 'A', "protocol=local");
	queue_recf(w, 'A', "uid=%ld", (long)st.st_uid);
	for (i = 0; i < m.nrcpt; i++)
		if (!m.rcpt[i].done)
			queue_rec(w, 'R', m.rcpt[i].addr);
	queue_rec(w, 'M', NULL);
	now = time(NULL);
	buf_setf(why, "Received: by %s (cartero, from userid %ld)\n"
	    "\tid %s; %s\n", var_myhostname, (long)st.st_uid, qid,
	    rfc2822_date(now, date, sizeof(date)));
	if (queue_data(w, buf_str(why), buf_len(why)) < 0)
		goto fail;
	if (lseek(fd, m.data_offset, SEEK_SET) < 0 ||
	    (in = fdopen(fd, "r")) == NULL)
		goto fail;
	fd = -1;
	if (pickup_copy_body(w, in, *buf_str(sender) ? buf_str(sender) :
	    "MAILER-DAEMON", buf_str(fullname), m.arrival) < 0)
		goto fail;
	if (queue_commit(w, why) < 0) {
		w = NULL;
		msg_warn("%s", buf_str(why));
		ret = -1;
		goto out;
	}
	w = NULL;
	msg_info("%s: uid=%ld from=<%s>", qid, (long)st.st_uid,
	    printable(buf_str(sender), pr));
	/* Only now may the original go; a crash before this duplicates. */
	if (unlink(buf_str(path)) < 0 && errno != ENOENT)
		msg_warn("remove %s: %m (it will be queued again)",
		    buf_str(path));
	queue_notify(var_queue_directory, qid);
	goto out;
fail:
	msg_warn("write queue file %s: %m", w != NULL ? qid : name);
	queue_abort(&w);
	ret = -1;
out:
	if (in != NULL)
		fclose(in);
	else if (fd >= 0)
		close(fd);
	queue_msg_free(&m);
	buf_free(&path);
	buf_free(&why);
	buf_free(&sender);
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
