/*
 * qmgr_queue - the queue's state in memory: which files wait, which are
 * active, and when each deferred one is due.
 *
 * Every queue id qmgr knows is in one table, in one of three states:
 * pending (waiting in a FIFO to be opened; the file is still in incoming/,
 * deferred/ or, after a crash, active/), active (open, its deliveries
 * planned or running), or deferred (in deferred/, due at a time kept in a
 * heap and in the file's mtime, which is how a restart finds it again).
 * Directories are scanned only at start and on "W" and "F"; otherwise
 * ids come from public/qmgr (qmgr.c).  At most QMGR_ACTIVE_LIMIT files are
 * open at once, and at most QMGR_ACTIVATE_BATCH are opened per loop turn.
 * What happens to an active file is qmgr_file.c's; its recipients are
 * planned in qmgr_plan.c.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <fcntl.h>
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

#define QID_HASH_SIZE	4096

enum { QID_PENDING, QID_ACTIVE, QID_DEFERRED };

struct qmgr_qid {
	char		 id[QUEUE_ID_MAX];
	int		 state;
	const char	*dir;		/* where the file is: QUEUE_* */
	long long	 due;		/* deferred: retry time, s */
	struct qmgr_qid	*hnext;		/* hash chain */
	struct qmgr_qid	*fnext;		/* pending FIFO */
};

struct qmgr_due {
	long long	 due;
	char		 id[QUEUE_ID_MAX];
};

static struct qmgr_qid *qid_hash[QID_HASH_SIZE];
static struct qmgr_qid *fifo_head, *fifo_tail;
static struct qmgr_due *heap;
static int heap_len, heap_size;
static int active_count;

/* qid_bucket - the hash chain of id */
static struct qmgr_qid **
qid_bucket(const char *id)
{
	unsigned h = 5381;

	for (; *id; id++)
		h = h * 33 + (unsigned char)*id;
	return &qid_hash[h % QID_HASH_SIZE];
}

/* qid_find - the entry of id, or NULL */
static struct qmgr_qid *
qid_find(const char *id)
{
	struct qmgr_qid *q;

	for (q = *qid_bucket(id); q != NULL; q = q->hnext)
		if (strcmp(q->id, id) == 0)
			return q;
	return NULL;
}

/* qid_new - a new entry (the caller checked that id is unknown) */
static struct qmgr_qid *
qid_new(const char *id, int state, const char *dir)
{
	struct qmgr_qid *q = xcalloc(1, sizeof(*q)), **b = qid_bucket(id);

	snprintf(q->id, sizeof(q->id), "%s", id);
	q->state = state;
	q->dir = dir;
	q->hnext = *b;
	*b = q;
	return q;
}

/* qid_forget - drop id from the table (it must not be in the FIFO) */
static void
qid_forget(const char *id)
{
	struct qmgr_qid **p, *q;

	for (p = qid_bucket(id); (q = *p) != NULL; p = &q->hnext) {
		if (strcmp(q->id, id) == 0) {
			*p = q->hnext;
			free(q);
			return;
		}
	}
}

/* fifo_push - queue an entry for activation */
static void
fifo_push(struct qmgr_qid *q)
{
	q->state = QID_PENDING;
	q->fnext = NULL;
	if (fifo_tail)
		fifo_tail->fnext = q;
	else
		fifo_head = q;
	fifo_tail = q;
}

/* fifo_pop - the next entry to activate, or NULL */
static struct qmgr_qid *
fifo_pop(void)
{
	struct qmgr_qid *q = fifo_head;

	if (q != NULL) {
		fifo_head = q->fnext;
		if (fifo_head == NULL)
			fifo_tail = NULL;
		q->fnext = NULL;
	}
	return q;
}

/* heap_push - remember when id is due */
static void
heap_push(long long due, const char *id)
{
	struct qmgr_due e;
	int i, parent;

	if (heap_len == heap_size) {
		heap_size = heap_size ? heap_size * 2 : 64;
		heap = xrealloc(heap, sizeof(*heap) * (size_t)heap_size);
	}
	e.due = due;
	snprintf(e.id, sizeof(e.id), "%s", id);
	for (i = heap_len++; i > 0; i = parent) {
		parent = (i - 1) / 2;
		if (heap[parent].due <= due)
			break;
		heap[i] = heap[parent];
	}
	heap[i] = e;
}

/* heap_pop - remove the earliest entry */
static void
heap_pop(void)
{
	struct qmgr_due last;
	int i = 0, child;

	if (heap_len == 0)
		return;
	last = heap[--heap_len];
	for (;;) {
		child = 2 * i + 1;
		if (child >= heap_len)
			break;
		if (child + 1 < heap_len && heap[child + 1].due <
		    heap[child].due)
			child++;
		if (heap[child].due >= last.due)
			break;
		heap[i] = heap[child];
		i = child;
	}
	if (heap_len > 0)
		heap[i] = last;
}

static void qmgr_queue_due_timer(void *);

/* qmgr_queue_arm - set the timer for the earliest deferred file */
static void
qmgr_queue_arm(void)
{
	long long wait;

	if (heap_len == 0) {
		event_timer_cancel(qmgr_queue_due_timer, NULL);
		return;
	}
	wait = (heap[0].due - (long long)time(NULL)) * 1000;
	if (wait < 0)
		wait = 0;
	if (wait > 86400000)
		wait = 86400000;
	event_timer((long)wait, qmgr_queue_due_timer, NULL);
}

/* qmgr_queue_due_timer - a deferred file's time has come */
static void
qmgr_queue_due_timer(void *ctx)
{
	qmgr_queue_run_due();
}

/* qmgr_queue_defer_at - put a known id into the deferred state */
static void
qmgr_queue_defer_at(struct qmgr_qid *q, long long due, const char *dir)
{
	q->state = QID_DEFERRED;
	q->due = due;
	q->dir = dir;
	heap_push(due, q->id);
	qmgr_queue_arm();
}

/* qmgr_queue_run_due - move every deferred file that is due to pending */
void
qmgr_queue_run_due(void)
{
	long long now = (long long)time(NULL);
	struct qmgr_qid *q;

	while (heap_len > 0 && heap[0].due <= now) {
		q = qid_find(heap[0].id);
		if (q != NULL && q->state == QID_DEFERRED &&
		    q->due == heap[0].due)
			fifo_push(q);
		heap_pop();
	}
	qmgr_queue_arm();
}

/* qmgr_queue_flush - "F": every deferred file is due now */
void
qmgr_queue_flush(void)
{
	struct qmgr_qid *q;
	int i;

	qmgr_queue_scan(QUEUE_DEFERRED);
	for (i = 0; i < QID_HASH_SIZE; i++)
		for (q = qid_hash[i]; q != NULL; q = q->hnext)
			if (q->state == QID_DEFERRED)
				fifo_push(q);
	heap_len = 0;
	qmgr_queue_arm();
}

/* qmgr_queue_add - a file in sub (incoming/) to activate */
void
qmgr_queue_add(const char *id, const char *sub)
{
	if (!queue_id_ok(id)) {
		msg_warn("ignoring bad queue id \"%.40s\"", id);
		return;
	}
	if (qid_find(id) != NULL)
		return;
	fifo_push(qid_new(id, QID_PENDING, sub));
}

/*
 * qmgr_queue_stale - a writer's temporary file in incoming/ (t.ID): one
 * that nobody has touched for queue_temp_lifetime was left by a writer
 * that died before it finished, and no 250 was ever given for it.  The
 * inode's change time is the clock, not its modification time: a reused
 * file (queue.h) keeps the mtime of its old content until the writer's
 * first flush, but the rename that made it t.ID set its ctime.
 */
static void
qmgr_queue_stale(int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode) ||
	    (long long)time(NULL) - (long long)st.st_ctime <
	    (long long)var_queue_temp_lifetime)
		return;
	if (unlinkat(dfd, name, 0) < 0)
		msg_warn("remove stale %s/%s: %m", QUEUE_INCOMING, name);
	else
		msg_info("%s: removed a writer's unfinished file, untouched "
		    "for %lld s", name, (long long)time(NULL) -
		    (long long)st.st_ctime);
}

/* qmgr_queue_scan - learn the files of one queue directory */
void
qmgr_queue_scan(const char *sub)
{
	struct buf *path = buf_new(256, 0);
	struct dirent *de;
	struct stat st;
	struct qmgr_qid *q;
	DIR *d;

	buf_setf(path, "%s/%s", var_queue_directory, sub);
	if ((d = opendir(buf_str(path))) == NULL) {
		msg_warn("scan %s: %m", buf_str(path));
		buf_free(&path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(sub, QUEUE_INCOMING) == 0 &&
		    strncmp(de->d_name, "t.", 2) == 0 &&
		    queue_id_ok(de->d_name + 2)) {
			qmgr_queue_stale(dirfd(d), de->d_name);
			continue;
		}
		if (!queue_id_ok(de->d_name) || qid_find(de->d_name) != NULL)
			continue;
		if (strcmp(sub, QUEUE_DEFERRED) != 0) {
			fifo_push(qid_new(de->d_name, QID_PENDING, sub));
			continue;
		}
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		q = qid_new(de->d_name, QID_DEFERRED, QUEUE_DEFERRED);
		qmgr_queue_defer_at(q, (long long)st.st_mtime, QUEUE_DEFERRED);
	}
	closedir(d);
	buf_free(&path);
}

/* qmgr_queue_forget - the id is gone from the queue (the file went) */
void
qmgr_queue_forget(const char *id)
{
	qid_forget(id);
}

/* qmgr_queue_retry - the file of id waits in dir until due (s) */
void
qmgr_queue_retry(const char *id, long long due, const char *dir)
{
	struct qmgr_qid *q;

	if ((q = qid_find(id)) == NULL)
		q = qid_new(id, QID_DEFERRED, dir);
	qmgr_queue_defer_at(q, due, dir);
}

/* qmgr_queue_closed - an active file was closed: room for another */
void
qmgr_queue_closed(void)
{
	active_count--;
}

/* qmgr_queue_start - activate one pending file */
static void
qmgr_queue_start(struct qmgr_qid *q)
{
	struct buf *why = buf_new(256, 4096), *pr = buf_new(256, 0);
	struct qmgr_message *m;
	int i, open_rcpts = 0;

	if ((m = qmgr_file_open(q->id, q->dir, why)) == NULL) {
		buf_free(&why);
		buf_free(&pr);
		return;
	}
	q->state = QID_ACTIVE;
	q->dir = QUEUE_ACTIVE;
	active_count++;
	for (i = 0; i < m->q.nrcpt; i++)
		if (!m->q.rcpt[i].done)
			open_rcpts++;
	msg_info("%s: from=<%s>, size=%lld, nrcpt=%d (queue active)", m->id,
	    printable(m->q.sender, pr), (long long)m->q.size, open_rcpts);
	/* One pending count held while planning: no early finish. */
	m->pending = 1;
	for (i = 0; i < m->q.nrcpt; i++)
		if (!m->q.rcpt[i].done)
			qmgr_plan_rcpt(m, i, why);
	if (--m->pending == 0)
		qmgr_file_done(m);
	buf_free(&why);
	buf_free(&pr);
}

/* qmgr_queue_activate - open pending files while there is room */
int
qmgr_queue_activate(void)
{
	struct qmgr_qid *q;
	int n;

	for (n = 0; n < QMGR_ACTIVATE_BATCH && active_count <
	    QMGR_ACTIVE_LIMIT && (q = fifo_pop()) != NULL; n++)
		qmgr_queue_start(q);
	return fifo_head != NULL && active_count < QMGR_ACTIVE_LIMIT;
}
