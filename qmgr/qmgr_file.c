/*
 * qmgr_file - a queue file's life in qmgr, from its move into active/ to
 * its removal (or its move to deferred/ or corrupt/).
 *
 * Opening checks what a file holds before anything is planned: a file
 * its writer is still at work on (a reused one, see queue.h) is left
 * alone; one a writer left unfinished when it died is removed (it was
 * never announced); one whose T record names another id than its own
 * holds another file's content (see queue.h) and goes to corrupt/
 * unread, and so does one whose checksum does not match (queue_verify).
 *
 * The no-loss rule, in order: a bounce is committed (fsync'd) before the
 * recipients it reports are marked done; recipients are marked done and
 * the file fdatasync'd before it is deferred; a file goes only when every
 * recipient has an outcome.  Removals are made durable by one fsync of
 * active/ per QMGR_SYNC_DELAY_MS, shared by all the files removed in that
 * time, so a crash can at worst repeat the deliveries of that short window.
 *
 * A finished small file is not removed but moved into recycle/, up to
 * QMGR_RECYCLE_MAX files, where smtpd takes it for its next message (see
 * queue.h: it spares the file system an inode per message, which on ext4
 * costs more CPU the faster mail flows).  It goes in as ".<id>", which no
 * writer takes, and gets its plain name only after the sync of active/
 * that makes its removal from active/ durable: a reused file can then
 * never reappear in active/ after a crash.  qmgr also keeps recycle/ at
 * QMGR_SPARE_MIN files or more with new empty ones (qmgr_file_spares).
 *
 * What becomes of the id (forgotten, or due again at a time) is told to
 * the queue's table (qmgr_queue.c).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "event.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "util.h"
#include "qmgr.h"

static int sync_pending;
static int recycle_est;		/* files in recycle/, as far as we know */
static int recycle_hold;	/* removals before recycle/ is counted again */
static char (*staged)[QUEUE_ID_MAX];	/* in recycle/ as ".id" */
static int staged_len, staged_size;

/* qmgr_file_move - rename id from one queue directory to another */
static int
qmgr_file_move(const char *id, const char *from, const char *to)
{
	struct buf *a = buf_new(256, 0), *b = buf_new(256, 0);
	int r;

	queue_path(a, var_queue_directory, from, id);
	queue_path(b, var_queue_directory, to, id);
	r = rename(buf_str(a), buf_str(b));
	if (r < 0 && errno == ENOENT && strcmp(to, QUEUE_CORRUPT) == 0) {
		/* First time anything is corrupt: make the directory. */
		buf_setf(b, "%s/%s", var_queue_directory, to);
		(void)mkdir(buf_str(b), 0700);
		queue_path(b, var_queue_directory, to, id);
		r = rename(buf_str(a), buf_str(b));
	}
	buf_free(&a);
	buf_free(&b);
	return r;
}

/* qmgr_file_corrupt - set a bad file aside in corrupt/ */
static void
qmgr_file_corrupt(const char *id, const char *why)
{
	msg_warn("%s: corrupt queue file (%s): moved to %s/", id, why,
	    QUEUE_CORRUPT);
	if (qmgr_file_move(id, QUEUE_ACTIVE, QUEUE_CORRUPT) < 0)
		msg_warn("%s: move to %s/: %m", id, QUEUE_CORRUPT);
	qmgr_queue_forget(id);
}

/*
 * qmgr_file_busy - is a writer still at work on incoming/id (a reused
 * file, see queue.h)?  Then leave it: the writer tells us when it is done.
 */
static int
qmgr_file_busy(const char *id)
{
	struct buf *path = buf_new(256, 0);
	int fd, busy = 0;

	queue_path(path, var_queue_directory, QUEUE_INCOMING, id);
	if ((fd = open(buf_str(path), O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) >= 0) {
		busy = queue_busy(fd);
		close(fd);
	}
	buf_free(&path);
	if (busy) {
		if (msg_verbose)
			msg_debug("%s: still being written", id);
		qmgr_queue_forget(id);
	}
	return busy;
}

/*
 * qmgr_file_unfinished - what a writer left in incoming/ when it died
 * before the end (queue_unfinished): never announced, so removed.
 */
static void
qmgr_file_unfinished(const char *id)
{
	struct buf *path = buf_new(256, 0);

	queue_path(path, var_queue_directory, QUEUE_ACTIVE, id);
	if (unlink(buf_str(path)) < 0 && errno != ENOENT)
		msg_warn("%s: remove %s: %m", id, buf_str(path));
	else
		msg_info("%s: removed a file its writer left unfinished",
		    id);
	buf_free(&path);
	qmgr_queue_forget(id);
}

/*
 * qmgr_file_held - a new file that a milter quarantined (its hold=
 * attribute) goes into hold/ instead: 1 when it went (m is freed), 0
 */
static int
qmgr_file_held(struct qmgr_message *m)
{
	const char *why = queue_msg_attr(&m->q, "hold");
	struct buf *pr;

	if (why == NULL)
		return 0;
	if (qmgr_file_move(m->id, QUEUE_ACTIVE, QUEUE_HOLD) < 0) {
		msg_warn("%s: move from %s/ to %s/: %m", m->id, QUEUE_ACTIVE,
		    QUEUE_HOLD);
		return 0;
	}
	pr = buf_new(64, 0);
	msg_info("%s: placed on hold: %s", m->id, printable(why, pr));
	buf_free(&pr);
	close(m->fd);
	queue_msg_free(&m->q);
	qmgr_queue_forget(m->id);
	free(m);
	return 1;
}

/*
 * qmgr_file_open - move a pending file from dir into active/ and read
 * it: the message, or NULL (the queue was told what became of id)
 */
struct qmgr_message *
qmgr_file_open(const char *id, const char *dir, struct buf *why)
{
	struct qmgr_message *m;
	struct buf *path;
	int fd, r, incoming = strcmp(dir, QUEUE_INCOMING) == 0;

	if (incoming && qmgr_file_busy(id))
		return NULL;
	if (strcmp(dir, QUEUE_ACTIVE) != 0 &&
	    qmgr_file_move(id, dir, QUEUE_ACTIVE) < 0) {
		if (errno != ENOENT) {
			msg_warn("%s: move from %s/ to %s/: %m", id, dir,
			    QUEUE_ACTIVE);
			if (strcmp(dir, QUEUE_DEFERRED) == 0) {
				qmgr_queue_retry(id, (long long)time(NULL) +
				    var_minimal_backoff_time, dir);
				return NULL;
			}
		}
		qmgr_queue_forget(id);
		return NULL;
	}
	path = buf_new(256, 0);
	queue_path(path, var_queue_directory, QUEUE_ACTIVE, id);
	fd = open(buf_str(path), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			qmgr_queue_forget(id);
		else {
			/* Try again later; the file stays in active/. */
			msg_warn("%s: open %s: %m", id, buf_str(path));
			qmgr_queue_retry(id, (long long)time(NULL) +
			    var_minimal_backoff_time, QUEUE_ACTIVE);
		}
		buf_free(&path);
		return NULL;
	}
	buf_free(&path);
	m = xcalloc(1, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->fd = fd;
	m->was_deferred = strcmp(dir, QUEUE_INCOMING) != 0;
	r = queue_read(fd, &m->q, why);
	if (r == 0 && *m->q.file_id != '\0' &&
	    strcmp(m->q.file_id, id) != 0) {
		/* Another file's content (see queue.h); never announced. */
		buf_setf(why, "it holds the content of %s", m->q.file_id);
		queue_msg_free(&m->q);
		r = -1;
	} else if (r == 0 && queue_verify(fd, &m->q, why) < 0) {
		/* Some of its writes never reached the disk (a crash). */
		queue_msg_free(&m->q);
		r = -1;
	}
	if (r < 0 && incoming && queue_unfinished(fd, id)) {
		close(fd);
		free(m);
		qmgr_file_unfinished(id);
		return NULL;
	}
	if (r < 0) {
		close(fd);
		free(m);
		qmgr_file_corrupt(id, buf_str(why));
		return NULL;
	}
	if (incoming && qmgr_file_held(m))
		return NULL;
	return m;
}

/*
 * qmgr_file_sync - make the removals of the last moments durable, then
 * free the files staged in recycle/ for reuse (or, if the sync failed,
 * remove them: their removal from active/ may not be on disk).
 */
static void
qmgr_file_sync(void *ctx)
{
	struct buf *dir = buf_new(256, 0), *from = buf_new(256, 0);
	struct buf *to = buf_new(256, 0);
	int i, synced;

	sync_pending = 0;
	buf_setf(dir, "%s/%s", var_queue_directory, QUEUE_ACTIVE);
	if (!(synced = fsync_dirname(buf_str(dir)) == 0))
		msg_warn("fsync %s: %m", buf_str(dir));
	for (i = 0; i < staged_len; i++) {
		buf_setf(from, "%s/%s/.%s", var_queue_directory,
		    QUEUE_RECYCLE, staged[i]);
		queue_path(to, var_queue_directory, QUEUE_RECYCLE, staged[i]);
		if (!synced || rename(buf_str(from), buf_str(to)) < 0) {
			(void)unlink(buf_str(from));
			recycle_est--;
		}
	}
	staged_len = 0;
	buf_free(&dir);
	buf_free(&from);
	buf_free(&to);
}

/* qmgr_file_free - release a finished message */
static void
qmgr_file_free(struct qmgr_message *m)
{
	int i;

	for (i = 0; i < m->njobs; i++) {
		free(m->jobs[i]->addr);
		free(m->jobs[i]->target);
		free(m->jobs[i]->reason);
		free(m->jobs[i]->relay_own);
		free(m->jobs[i]->nexthop);
		free(m->jobs[i]);
	}
	free(m->jobs);
	for (i = 0; i < m->nseen; i++)
		free(m->seen[i]);
	free(m->seen);
	if (m->fd >= 0)
		close(m->fd);
	queue_msg_free(&m->q);
	free(m);
	qmgr_queue_closed();
}

/* qmgr_file_write_defer - defer/ID: why each open recipient waits */
static void
qmgr_file_write_defer(struct qmgr_message *m, const char *open_rcpt)
{
	struct buf *text = buf_new(1024, 0), *tmp = buf_new(256, 0);
	struct buf *path = buf_new(256, 0), *pr = buf_new(256, 0);
	struct qmgr_job *j;
	int i, k, fd;

	for (i = 0; i < m->q.nrcpt; i++) {
		if (!open_rcpt[i])
			continue;
		for (k = 0; k < m->njobs; k++) {
			j = m->jobs[k];
			if (j->rcpt == i && j->state == JOB_DEFER)
				break;
		}
		buf_puts(text, printable(m->q.rcpt[i].addr, pr));
		buf_appendf(text, "\t%s\t", k < m->njobs ? m->jobs[k]->dsn :
		    "4.3.0");
		printable(k < m->njobs && m->jobs[k]->reason ?
		    m->jobs[k]->reason : "waiting", pr);
		for (k = 0; pr->data[k]; k++)
			if (pr->data[k] == '\t')
				pr->data[k] = ' ';
		buf_puts(text, buf_str(pr));
		buf_putc(text, '\n');
	}
	buf_setf(tmp, "%s/%s/t.%s", var_queue_directory, QUEUE_DEFER, m->id);
	queue_path(path, var_queue_directory, QUEUE_DEFER, m->id);
	fd = open(buf_str(tmp), O_CREAT | O_TRUNC | O_WRONLY | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) {
		buf_setf(path, "%s/%s", var_queue_directory, QUEUE_DEFER);
		(void)mkdir(buf_str(path), 0700);
		queue_path(path, var_queue_directory, QUEUE_DEFER, m->id);
		fd = open(buf_str(tmp), O_CREAT | O_TRUNC | O_WRONLY |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0 || write_full(fd, buf_str(text), buf_len(text)) < 0 ||
	    close(fd) < 0 || rename(buf_str(tmp), buf_str(path)) < 0) {
		msg_warn("%s: write %s: %m", m->id, buf_str(path));
		(void)unlink(buf_str(tmp));
	}
	buf_free(&text);
	buf_free(&tmp);
	buf_free(&path);
	buf_free(&pr);
}

/*
 * qmgr_file_recycle_clean - at start, remove the files a previous run staged
 * in recycle/ but did not free: after a crash their removal from active/
 * may not be durable, so they are never reused.
 */
static void
qmgr_file_recycle_clean(const char *dir)
{
	struct buf *path = buf_new(256, 0);
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || !queue_id_ok(de->d_name + 1))
			continue;
		buf_setf(path, "%s/%s", dir, de->d_name);
		(void)unlink(buf_str(path));
	}
	closedir(d);
	buf_free(&path);
}

/* qmgr_file_recycle_count - the files in recycle/ now */
static int
qmgr_file_recycle_count(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = queue_opendir(var_queue_directory, QUEUE_RECYCLE)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (queue_id_ok(de->d_name))
				n++;
		closedir(d);
	}
	return n;
}

/*
 * qmgr_file_recycle - move a finished file into recycle/ for smtpd to
 * reuse: 0, or -1 when it should simply be removed.  smtpd takes files
 * without telling us, so the count is an estimate that is checked by
 * counting the directory when it says recycle/ is full; when it really is
 * full, files are removed for a while before it is counted again.
 */
static int
qmgr_file_recycle(struct qmgr_message *m, const char *path)
{
	struct buf *to;
	int r;

	/* Only a file that names its own id can be told apart when reused. */
	if (m->q.data_offset + m->q.size > QUEUE_RECYCLE_SIZE_MAX ||
	    strcmp(m->q.file_id, m->id) != 0)
		return -1;
	if (recycle_est >= QMGR_RECYCLE_MAX) {
		if (recycle_hold > 0) {
			recycle_hold--;
			return -1;
		}
		recycle_est = qmgr_file_recycle_count();
		if (recycle_est >= QMGR_RECYCLE_MAX) {
			recycle_hold = QMGR_RECYCLE_MAX / 4;
			return -1;
		}
	}
	to = buf_new(256, 0);
	buf_setf(to, "%s/%s/.%s", var_queue_directory, QUEUE_RECYCLE, m->id);
	r = rename(path, buf_str(to));
	buf_free(&to);
	if (r < 0)
		return -1;
	if (staged_len == staged_size) {
		staged_size = staged_size ? staged_size * 2 : 64;
		staged = xrealloc(staged, sizeof(*staged) *
		    (size_t)staged_size);
	}
	snprintf(staged[staged_len++], QUEUE_ID_MAX, "%s", m->id);
	recycle_est++;
	return 0;
}

/* qmgr_file_remove - every recipient has an outcome: the file goes */
static void
qmgr_file_remove(struct qmgr_message *m)
{
	struct buf *path = buf_new(256, 0);

	queue_path(path, var_queue_directory, QUEUE_ACTIVE, m->id);
	if (qmgr_file_recycle(m, buf_str(path)) < 0 &&
	    unlink(buf_str(path)) < 0 && errno != ENOENT) {
		msg_warn("%s: remove %s: %m", m->id, buf_str(path));
		buf_free(&path);
		return;
	}
	if (m->was_deferred) {
		queue_path(path, var_queue_directory, QUEUE_DEFER, m->id);
		(void)unlink(buf_str(path));
		if (var_delay_warning_time > 0) {
			buf_puts(path, QMGR_WARNED_SUFFIX);
			(void)unlink(buf_str(path));
		}
	}
	msg_info("%s: removed", m->id);
	if (!sync_pending) {
		sync_pending = 1;
		event_timer(QMGR_SYNC_DELAY_MS, qmgr_file_sync, NULL);
	}
	buf_free(&path);
}

/* qmgr_file_warned - which recipients defer/ID.delay says were warned */
static char *
qmgr_file_warned(struct qmgr_message *m, const char *path)
{
	char *warned = xcalloc((size_t)m->q.nrcpt + 1, 1), line[64];
	long n;
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL)
		return warned;
	while (fgets(line, sizeof(line), fp) != NULL) {
		n = strtol(line, NULL, 10);
		if (n >= 0 && n < m->q.nrcpt)
			warned[n] = 1;
	}
	fclose(fp);
	return warned;
}

/*
 * qmgr_file_warn - delay notices once a message has waited
 * delay_warning_time: one per recipient, whose numbers in the queue file
 * go into defer/ID.delay after its notice (removed with the message)
 */
static void
qmgr_file_warn(struct qmgr_message *m, long long age)
{
	struct buf *path, *why, *add;
	struct qmgr_job *j;
	char *warned;
	int i, fd;

	if (var_delay_warning_time <= 0 || age < var_delay_warning_time)
		return;
	path = buf_new(256, 0);
	why = buf_new(256, 4096);
	add = buf_new(64, 0);
	queue_path(path, var_queue_directory, QUEUE_DEFER, m->id);
	buf_puts(path, QMGR_WARNED_SUFFIX);
	warned = qmgr_file_warned(m, buf_str(path));
	for (i = 0; i < m->njobs; i++) {
		j = m->jobs[i];
		j->warn = j->state == JOB_DEFER && !warned[j->rcpt];
		if (j->warn)
			buf_appendf(add, "%d\n", j->rcpt);
	}
	if (buf_len(add) == 0)
		goto out;
	if (qmgr_bounce_notice(m, JOB_DEFER, why) < 0)
		msg_warn("%s: cannot create a delay notice: %s", m->id,
		    buf_str(why));
	else if ((fd = open(buf_str(path), O_CREAT | O_WRONLY | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
	    write_full(fd, buf_str(add), buf_len(add)) < 0 || close(fd) < 0)
		msg_warn("%s: write %s: %m", m->id, buf_str(path));
out:
	free(warned);
	buf_free(&path);
	buf_free(&why);
	buf_free(&add);
}

/*
 * qmgr_file_defer - some recipients wait: record, back off, deferred/
 * (or hold/, when the administrator said so while it was active)
 */
static void
qmgr_file_defer(struct qmgr_message *m, const char *open_rcpt,
    int marked, int hold)
{
	struct timespec ts[2];
	long long now = (long long)time(NULL), age, delay;
	const char *dir = QUEUE_DEFERRED;

	if (marked && fdatasync(m->fd) < 0)
		msg_warn("%s: fdatasync: %m", m->id);
	qmgr_file_write_defer(m, open_rcpt);
	age = now - (long long)m->q.arrival;
	qmgr_file_warn(m, age);
	delay = age;
	if (delay > var_maximal_backoff_time)
		delay = var_maximal_backoff_time;
	if (delay < var_minimal_backoff_time)
		delay = var_minimal_backoff_time;
	ts[0].tv_sec = (time_t)now;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = (time_t)(now + delay);
	ts[1].tv_nsec = 0;
	if (futimens(m->fd, ts) < 0)
		msg_warn("%s: set retry time: %m", m->id);
	if (hold && qmgr_file_move(m->id, QUEUE_ACTIVE, QUEUE_HOLD) == 0) {
		msg_info("%s: placed on hold", m->id);
		qmgr_queue_forget(m->id);
		return;
	}
	if (hold)
		msg_warn("%s: move to %s/: %m", m->id, QUEUE_HOLD);
	if (qmgr_file_move(m->id, QUEUE_ACTIVE, QUEUE_DEFERRED) < 0) {
		msg_warn("%s: move to %s/: %m", m->id, QUEUE_DEFERRED);
		dir = QUEUE_ACTIVE;
	}
	qmgr_queue_retry(m->id, now + delay, dir);
}

/*
 * qmgr_file_done - every job of m has an outcome: bounce what failed,
 * mark what is finished, then remove the file or defer it.
 */
void
qmgr_file_done(struct qmgr_message *m)
{
	struct buf *why = buf_new(256, 4096);
	struct qmgr_job *j;
	char *open_rcpt;
	int i, nbounce = 0, nopen = 0, marked = 0;
	int after = qmgr_queue_after(m->id);

	if (after == 'D') {
		/* Deleted by the administrator: no bounce, no notice. */
		qmgr_file_remove(m);
		qmgr_queue_forget(m->id);
		buf_free(&why);
		qmgr_file_free(m);
		return;
	}
	for (i = 0; i < m->njobs; i++)
		if (m->jobs[i]->state == JOB_BOUNCE)
			nbounce++;
	/* No-loss: the bounce is on disk before anything is marked done. */
	if (nbounce > 0 && qmgr_bounce(m, why) < 0) {
		msg_warn("%s: cannot create a bounce: %s: the failed "
		    "recipients stay in the queue", m->id, buf_str(why));
		for (i = 0; i < m->njobs; i++) {
			j = m->jobs[i];
			if (j->state != JOB_BOUNCE)
				continue;
			j->state = JOB_DEFER;
			free(j->reason);
			j->reason = xstrdup("cannot create the bounce message");
			snprintf(j->dsn, sizeof(j->dsn), "4.3.0");
		}
	}
	/* A success notice is a courtesy: it never holds up the message. */
	if (qmgr_bounce_notice(m, JOB_SENT, why) < 0)
		msg_warn("%s: cannot create a success notice: %s", m->id,
		    buf_str(why));
	open_rcpt = xcalloc((size_t)m->q.nrcpt + 1, 1);
	for (i = 0; i < m->njobs; i++)
		if (m->jobs[i]->state != JOB_SENT &&
		    m->jobs[i]->state != JOB_BOUNCE)
			open_rcpt[m->jobs[i]->rcpt] = 1;
	for (i = 0; i < m->q.nrcpt; i++)
		if (!m->q.rcpt[i].done && open_rcpt[i])
			nopen++;
	if (nopen == 0) {
		qmgr_file_remove(m);
		qmgr_queue_forget(m->id);
	} else {
		for (i = 0; i < m->q.nrcpt; i++) {
			if (m->q.rcpt[i].done || open_rcpt[i])
				continue;
			if (queue_mark_done(m->fd, m->q.rcpt[i].offset) < 0)
				msg_warn("%s: mark recipient done: %m", m->id);
			else
				marked++;
		}
		qmgr_file_defer(m, open_rcpt, marked, after == 'H');
	}
	free(open_rcpt);
	buf_free(&why);
	qmgr_file_free(m);
}

/*
 * qmgr_file_spares - count recycle/ (smtpd takes files without telling
 * us) and top it up to QMGR_SPARE_MIN with new empty files, so that a
 * writer seldom makes a file of its own while the client waits; again
 * every QMGR_SPARE_CHECK_MS
 */
static void
qmgr_file_spares(void *ctx)
{
	(void)ctx;
	recycle_est = qmgr_file_recycle_count();
	if (recycle_est < QMGR_SPARE_MIN)
		recycle_est += queue_spare_add(var_queue_directory,
		    QMGR_SPARE_MIN - recycle_est);
	event_timer(QMGR_SPARE_CHECK_MS, qmgr_file_spares, NULL);
}

/* qmgr_file_init - the queue directories qmgr writes must exist */
void
qmgr_file_init(void)
{
	static const char *const dirs[] = { QUEUE_INCOMING, QUEUE_ACTIVE,
	    QUEUE_DEFERRED, QUEUE_DEFER, QUEUE_CORRUPT, NULL };
	struct buf *path = buf_new(256, 0);
	int i;

	for (i = 0; dirs[i] != NULL; i++) {
		buf_setf(path, "%s/%s", var_queue_directory, dirs[i]);
		if (mkdir(buf_str(path), 0700) < 0 && errno != EEXIST)
			msg_fatal("create %s: %m", buf_str(path));
	}
	/* Without recycle/ files are just removed (see queue.h). */
	buf_setf(path, "%s/%s", var_queue_directory, QUEUE_RECYCLE);
	if (mkdir(buf_str(path), 0700) < 0 && errno != EEXIST) {
		msg_warn("create %s: %m: queue files will not be reused",
		    buf_str(path));
		recycle_est = QMGR_RECYCLE_MAX;
		recycle_hold = INT_MAX;
	} else {
		qmgr_file_recycle_clean(buf_str(path));
		qmgr_file_spares(NULL);
	}
	buf_free(&path);
}
