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
#include <errno.h>
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
	int		 after;		/* active: 'D', 'H' when done */
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
	q->after = 0;
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
	q->after = 0;
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
	struct dirent *de;
	struct stat st;
	struct qmgr_qid *q;
	DIR *d;

	if ((d = queue_opendir(var_queue_directory, sub)) == NULL) {
		msg_warn("scan %s/%s: %m", var_queue_directory, sub);
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
	m->active_at = qmgr_now();
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

/*
 * The administrator's commands (qmgr.c takes them from root or
 * mail_owner only).  A file qmgr does not have open is removed or moved
 * at once; an active one after its deliveries in progress come back
 * (qmgr_file_done asks qmgr_queue_after).  hold/ is never scanned: a held
 * file is known only by its name there, and release moves it to deferred/
 * due now.  Each log line is postsuper's.
 */

/* qmgr_queue_after - what is to become of an active id when it is done */
int
qmgr_queue_after(const char *id)
{
	struct qmgr_qid *q = qid_find(id);

	return q != NULL && q->state == QID_ACTIVE ? q->after : 0;
}

/* fifo_remove - take a pending entry out of the FIFO */
static void
fifo_remove(struct qmgr_qid *q)
{
	struct qmgr_qid **p, *prev = NULL;

	for (p = &fifo_head; *p != NULL; prev = *p, p = &(*p)->fnext) {
		if (*p == q) {
			*p = q->fnext;
			if (fifo_tail == q)
				fifo_tail = prev;
			q->fnext = NULL;
			return;
		}
	}
}

/* qmgr_queue_held - is there a file of id in hold/? */
static int
qmgr_queue_held(const char *id)
{
	struct buf *path = buf_new(256, 0);
	struct stat st;
	int r;

	queue_path(path, var_queue_directory, QUEUE_HOLD, id);
	r = lstat(buf_str(path), &st) == 0 && S_ISREG(st.st_mode);
	buf_free(&path);
	return r;
}

/*
 * qmgr_queue_drop - remove the file of id from dir, and its defer/ file:
 * 0, or -1 with why (ENOENT: it was not there)
 */
static int
qmgr_queue_drop(const char *id, const char *dir, struct buf *why)
{
	struct buf *path = buf_new(256, 0);
	int r, err;

	queue_path(path, var_queue_directory, dir, id);
	if ((r = unlink(buf_str(path))) < 0) {
		err = errno;
		buf_setf(why, "%s: remove %s/: %s", id, dir, strerror(err));
		errno = err;
	} else {
		queue_path(path, var_queue_directory, QUEUE_DEFER, id);
		(void)unlink(buf_str(path));
		buf_puts(path, QMGR_WARNED_SUFFIX);	/* delay notices sent */
		(void)unlink(buf_str(path));
		msg_info("%s: removed", id);
		buf_setf(why, "%s: removed", id);
	}
	buf_free(&path);
	return r;
}

/*
 * qmgr_queue_move - move the file of id from dir to hold/ or (release,
 * due now) from hold/ to deferred/: 0, or -1 with why
 */
static int
qmgr_queue_move(const char *id, const char *from, const char *to,
    struct buf *why)
{
	struct buf *a = buf_new(256, 0), *b = buf_new(256, 0);
	int r, err;

	queue_path(a, var_queue_directory, from, id);
	queue_path(b, var_queue_directory, to, id);
	/* Due now: a restart finds a deferred file's time in its mtime. */
	if (strcmp(to, QUEUE_DEFERRED) == 0)
		(void)utimensat(AT_FDCWD, buf_str(a), NULL,
		    AT_SYMLINK_NOFOLLOW);
	if ((r = rename(buf_str(a), buf_str(b))) < 0) {
		err = errno;
		buf_setf(why, "%s: move from %s/ to %s/: %s", id, from, to,
		    strerror(err));
		errno = err;
	} else {
		msg_info("%s: %s", id, strcmp(to, QUEUE_HOLD) == 0 ?
		    "placed on hold" : "released from hold");
		buf_setf(why, "%s: %s", id, strcmp(to, QUEUE_HOLD) == 0 ?
		    "placed on hold" : "released from hold");
	}
	buf_free(&a);
	buf_free(&b);
	return r;
}

/* qmgr_queue_admin_held - op on a file in hold/: 0 done, 1 nothing to do */
static int
qmgr_queue_admin_held(int op, const char *id, struct buf *answer)
{
	switch (op) {
	case 'D':
		return qmgr_queue_drop(id, QUEUE_HOLD, answer);
	case 'H':
		buf_setf(answer, "%s: already on hold", id);
		return 1;
	default:		/* 'U', 'Q': released, due now */
		if (qmgr_queue_move(id, QUEUE_HOLD, QUEUE_DEFERRED,
		    answer) < 0)
			return -1;
		fifo_push(qid_new(id, QID_PENDING, QUEUE_DEFERRED));
		return 0;
	}
}

/* qmgr_queue_admin_active - op on an open file: done when it comes back */
static int
qmgr_queue_admin_active(int op, struct qmgr_qid *q, struct buf *answer)
{
	switch (op) {
	case 'D':
	case 'H':
		q->after = op;
		buf_setf(answer, "%s: being delivered: it will be %s when its "
		    "deliveries in progress end", q->id, op == 'D' ?
		    "removed" : "placed on hold");
		return 0;
	case 'U':
		if (q->after != 'H')
			break;
		q->after = 0;
		buf_setf(answer, "%s: will not be placed on hold", q->id);
		return 0;
	default:
		buf_setf(answer, "%s: being delivered now", q->id);
		return 1;
	}
	buf_setf(answer, "%s: not on hold", q->id);
	return -1;
}

/*
 * qmgr_queue_admin_one - op ('D'elete, 'H'old, 'U'nhold, 'Q' requeue) on
 * one id: 0 done, 1 nothing to do, -1 refused; answer says which
 */
static int
qmgr_queue_admin_one(int op, const char *id, struct buf *answer)
{
	struct qmgr_qid *q = qid_find(id);
	int r;

	if (q == NULL && qmgr_queue_held(id))
		return qmgr_queue_admin_held(op, id, answer);
	if (q == NULL) {
		buf_setf(answer, "%s: no such message in the queue", id);
		return -1;
	}
	if (q->state == QID_ACTIVE)
		return qmgr_queue_admin_active(op, q, answer);
	switch (op) {
	case 'U':
		buf_setf(answer, "%s: not on hold", id);
		return -1;
	case 'Q':
		if (q->state == QID_PENDING) {
			buf_setf(answer, "%s: already due", id);
			return 1;
		}
		fifo_push(q);	/* the heap's entry is stale now */
		msg_info("%s: requeued", id);
		buf_setf(answer, "%s: requeued", id);
		return 0;
	}
	r = op == 'D' ? qmgr_queue_drop(id, q->dir, answer) :
	    qmgr_queue_move(id, q->dir, QUEUE_HOLD, answer);
	if (r < 0 && errno != ENOENT)
		return -1;
	if (r < 0)
		buf_setf(answer, "%s: no such message in the queue", id);
	if (q->state == QID_PENDING)
		fifo_remove(q);
	qid_forget(id);
	return r;
}

/* qmgr_queue_id_add - id at the end of *ids (n of them, room for *size) */
static void
qmgr_queue_id_add(char (**ids)[QUEUE_ID_MAX], int n, int *size,
    const char *id)
{
	if (n == *size) {
		*size *= 2;
		*ids = xrealloc(*ids, (size_t)*size * sizeof(**ids));
	}
	snprintf((*ids)[n], QUEUE_ID_MAX, "%s", id);
}

/* qmgr_queue_ids - every id qmgr knows, then those in hold/ */
static int
qmgr_queue_ids(char (**ids)[QUEUE_ID_MAX])
{
	struct qmgr_qid *q;
	struct dirent *de;
	DIR *d;
	int i, n = 0, size = 64;

	*ids = xcalloc((size_t)size, sizeof(**ids));
	for (i = 0; i < QID_HASH_SIZE; i++)
		for (q = qid_hash[i]; q != NULL; q = q->hnext)
			qmgr_queue_id_add(ids, n++, &size, q->id);
	if ((d = queue_opendir(var_queue_directory, QUEUE_HOLD)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (queue_id_ok(de->d_name) &&
			    strlen(de->d_name) < QUEUE_ID_MAX)
				qmgr_queue_id_add(ids, n++, &size, de->d_name);
		closedir(d);
	}
	return n;
}

/*
 * qmgr_queue_admin - an administrator's op on id, or on every message
 * with "ALL": 0 (answer says what was done), or -1 (answer says why not)
 */
int
qmgr_queue_admin(int op, const char *id, struct buf *answer)
{
	char (*ids)[QUEUE_ID_MAX];
	struct buf *one;
	int i, n, done = 0;

	if (strcmp(id, "ALL") != 0 && !queue_id_ok(id)) {
		buf_setf(answer, "bad queue id \"%.40s\"", id);
		return -1;
	}
	/* An id we do not know may have come or been deferred unseen. */
	if (strcmp(id, "ALL") == 0 || (qid_find(id) == NULL &&
	    !qmgr_queue_held(id))) {
		qmgr_queue_scan(QUEUE_INCOMING);
		qmgr_queue_scan(QUEUE_DEFERRED);
	}
	if (strcmp(id, "ALL") != 0)
		return qmgr_queue_admin_one(op, id, answer) < 0 ? -1 : 0;
	one = buf_new(256, 1024);
	n = qmgr_queue_ids(&ids);
	for (i = 0; i < n; i++)
		if (qmgr_queue_admin_one(op, ids[i], one) == 0)
			done++;
	free(ids);
	buf_free(&one);
	buf_setf(answer, "%d message%s %s", done, done == 1 ? "" : "s",
	    op == 'D' ? "removed (or to be, once delivered)" :
	    op == 'H' ? "placed on hold (or to be, once delivered)" :
	    op == 'U' ? "released from hold" : "requeued");
	return 0;
}
