/*
 * queue_list - the queue as mailq and "cartero queue list" show it, in
 * Postfix's postqueue -p format:
 *
 *	-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
 *	ID[*!]          SIZE Day Mon dd hh:mm:ss  sender
 *	(why the next recipients wait, from defer/ID)
 *	                                         recipient
 *
 * "*" marks a message in active/ (being delivered), "!" one in hold/.
 * Or, for "cartero queue list --json", postqueue -j's JSON lines: one
 * object a message, its queue_name, queue_id, arrival_time, message_size,
 * sender and recipients (address, delay_reason).
 * Recipients already done are not shown; the others are grouped by the
 * reason they wait.  A file that is being written, or is corrupt, is not
 * listed; one that goes while it is listed was delivered.  The caller
 * must be able to read the queue directories (root or mail_owner).
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "queue.h"
#include "util.h"

#define QUEUE_LIST_DEFER_MAX	(256 * 1024)	/* of a defer/ file */

struct queue_list {
	FILE		*fp;
	const char	*qdir;
	int		 json;
	int		 count;
	long long	 bytes;
};

/* queue_list_reason - the reason a recipient waits, from defer/ID */
static const char *
queue_list_reason(const char *text, const char *rcpt, struct buf *out)
{
	const char	*line, *nl, *tab1, *tab2;
	size_t		 rlen = strlen(rcpt);

	for (line = text; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		tab1 = memchr(line, '\t', (size_t)(nl - line));
		if (tab1 != NULL && (size_t)(tab1 - line) == rlen &&
		    strncasecmp(line, rcpt, rlen) == 0 &&
		    (tab2 = memchr(tab1 + 1, '\t', (size_t)(nl - tab1 - 1)))
		    != NULL) {
			buf_reset(out);
			buf_append(out, tab2 + 1, (size_t)(nl - tab2 - 1));
			return buf_str(out);
		}
		if (*nl == '\0')
			break;
	}
	return NULL;
}

/* queue_list_read - a whole small file (bounded), or "" */
static void
queue_list_read(const char *path, struct buf *out)
{
	char	 chunk[4096];
	ssize_t	 n;
	int	 fd;

	buf_reset(out);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 &&
	    !buf_overflowed(out))
		buf_append(out, chunk, (size_t)n);
	close(fd);
}

/* queue_list_rcpts - the open recipients of m, grouped by reason */
static void
queue_list_rcpts(struct queue_list *l, const struct queue_msg *m,
    const char *defer)
{
	struct buf	**reasons, *reason = buf_new(256, 0);
	struct buf	*pr = buf_new(256, 0);
	int		 i, j, *done;

	reasons = xcalloc((size_t)m->nrcpt + 1, sizeof(*reasons));
	done = xcalloc((size_t)m->nrcpt + 1, sizeof(*done));
	for (i = 0; i < m->nrcpt; i++) {
		reasons[i] = buf_new(64, 0);
		if (m->rcpt[i].done) {
			done[i] = 1;
			continue;
		}
		if (queue_list_reason(defer, m->rcpt[i].addr, reason) != NULL)
			buf_puts(reasons[i], buf_str(reason));
	}
	for (i = 0; i < m->nrcpt; i++) {
		if (done[i])
			continue;
		if (buf_len(reasons[i]) > 0)
			fprintf(l->fp, "(%s)\n",
			    printable(buf_str(reasons[i]), pr));
		for (j = i; j < m->nrcpt; j++) {
			if (done[j] || strcmp(buf_str(reasons[i]),
			    buf_str(reasons[j])) != 0)
				continue;
			fprintf(l->fp, "%41s%s\n", "",
			    printable(m->rcpt[j].addr, pr));
			if (j != i)
				done[j] = 1;
		}
		done[i] = 1;
	}
	for (i = 0; i < m->nrcpt; i++)
		buf_free(&reasons[i]);
	free(reasons);
	free(done);
	buf_free(&reason);
	buf_free(&pr);
}

/* queue_list_json_str - s as a JSON string on fp */
static void
queue_list_json_str(FILE *fp, const char *s)
{
	const unsigned char *p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/*
 * queue_list_json - one message as postqueue -j shows it: an object on a
 * line of its own, with its open recipients and why each waits
 */
static void
queue_list_json(struct queue_list *l, const char *sub, const char *id,
    const struct queue_msg *m, const char *defer)
{
	struct buf	*reason = buf_new(256, 0);
	const char	*r;
	int		 i, n = 0;

	fprintf(l->fp, "{\"queue_name\": ");
	queue_list_json_str(l->fp, sub);
	fprintf(l->fp, ", \"queue_id\": ");
	queue_list_json_str(l->fp, id);
	fprintf(l->fp, ", \"arrival_time\": %lld, \"message_size\": %lld, "
	    "\"sender\": ", (long long)m->arrival, (long long)m->size);
	queue_list_json_str(l->fp, m->sender);
	fprintf(l->fp, ", \"recipients\": [");
	for (i = 0; i < m->nrcpt; i++) {
		if (m->rcpt[i].done)
			continue;
		fprintf(l->fp, "%s{\"address\": ", n++ ? ", " : "");
		queue_list_json_str(l->fp, m->rcpt[i].addr);
		if ((r = queue_list_reason(defer, m->rcpt[i].addr,
		    reason)) != NULL) {
			fprintf(l->fp, ", \"delay_reason\": ");
			queue_list_json_str(l->fp, r);
		}
		fprintf(l->fp, "}");
	}
	fprintf(l->fp, "]}\n");
	buf_free(&reason);
}

/* queue_list_one - list one queue file; 1 if listed */
static int
queue_list_one(struct queue_list *l, const char *sub, const char *id,
    int mark)
{
	struct queue_msg m;
	struct buf	*path, *defer, *pr;
	char		 date[64], idmark[QUEUE_ID_MAX + 2];
	struct tm	 tm;
	time_t		 t;
	int		 fd, r;

	path = buf_new(256, PATH_MAX);
	queue_path(path, l->qdir, sub, id);
	if ((fd = open(buf_str(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		buf_free(&path);
		return 0;	/* gone meanwhile: delivered */
	}
	defer = buf_new(1024, QUEUE_LIST_DEFER_MAX);
	pr = buf_new(256, 0);
	/* Being written, or corrupt: not listed. */
	r = queue_read(fd, &m, pr);
	close(fd);
	if (r == 0) {
		queue_path(path, l->qdir, QUEUE_DEFER, id);
		queue_list_read(buf_str(path), defer);
	}
	if (r == 0 && l->json) {
		queue_list_json(l, sub, id, &m, buf_str(defer));
		l->count++;
		queue_msg_free(&m);
	} else if (r == 0) {
		if (l->count == 0)
			fprintf(l->fp, "-Queue ID-  --Size-- "
			    "----Arrival Time---- -Sender/Recipient-------\n");
		snprintf(idmark, sizeof(idmark), "%.*s%s", QUEUE_ID_MAX - 1,
		    id, mark ? (mark == '*' ? "*" : "!") : "");
		t = m.arrival;
		localtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a %b %e %H:%M:%S", &tm);
		fprintf(l->fp, "%-11s %8lld %-20.20s %s\n", idmark,
		    (long long)m.size, date,
		    *m.sender ? printable(m.sender, pr) : "MAILER-DAEMON");
		l->bytes += m.size;
		l->count++;
		queue_list_rcpts(l, &m, buf_str(defer));
		fprintf(l->fp, "\n");
		queue_msg_free(&m);
	}
	buf_free(&path);
	buf_free(&defer);
	buf_free(&pr);
	return r == 0;
}

/*
 * queue_list - list the queue of qdir on fp, as mailq, or with json as
 * postqueue -j (JSON lines, nothing for an empty queue): the number of
 * messages, or -1 with why when a queue directory cannot be read.
 */
int
queue_list(const char *qdir, FILE *fp, int json, struct buf *why)
{
	static const struct {
		const char	*sub;
		int		 mark;
	} queues[] = {
		{ QUEUE_MAILDROP, 0 },
		{ QUEUE_INCOMING, 0 },
		{ QUEUE_ACTIVE, '*' },
		{ QUEUE_DEFERRED, 0 },
		{ QUEUE_HOLD, '!' },
	};
	struct queue_list l = { fp, qdir, json, 0, 0 };
	struct dirent	*de;
	DIR		*dir;
	size_t		 q;

	for (q = 0; q < sizeof(queues) / sizeof(queues[0]); q++) {
		if ((dir = queue_opendir(qdir, queues[q].sub)) == NULL) {
			/* maildrop/ is write-only for users; that is fine. */
			if (errno == EACCES && strcmp(queues[q].sub,
			    QUEUE_MAILDROP) == 0)
				continue;
			if (errno == ENOENT)
				continue;
			buf_setf(why, "cannot read the queue: %s/%s: %s",
			    qdir, queues[q].sub, strerror(errno));
			return -1;
		}
		while ((de = readdir(dir)) != NULL)
			if (queue_id_ok(de->d_name))
				(void)queue_list_one(&l, queues[q].sub,
				    de->d_name, queues[q].mark);
		closedir(dir);
	}
	if (!json && l.count == 0)
		fprintf(fp, "Mail queue is empty\n");
	else if (!json)
		fprintf(fp, "-- %lld Kbytes in %d Request%s.\n",
		    (l.bytes + 1023) / 1024, l.count, l.count == 1 ? "" : "s");
	return l.count;
}
