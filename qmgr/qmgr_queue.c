/*
 * qmgr_queue - the queue's state in memory, and what happens to a queue
 * file from incoming/ to its removal.
 *
 * Every queue id qmgr knows is in one table, in one of three states:
 * pending (waiting in a FIFO to be opened; the file is still in incoming/,
 * deferred/ or, after a crash, active/), active (open, its deliveries
 * planned or running), or deferred (in deferred/, due at a time kept in a
 * heap and in the file's mtime, which is how a restart finds it again).
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
 * never reappear in active/ after a crash.  A file whose T record names
 * another id than its own holds another file's content (see queue.h) and
 * goes to corrupt/ unread, and so does one whose checksum does not match
 * (see queue_verify).
 */
#include <sys/stat.h>
#include <sys/time.h>
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

#include "alias.h"
#include "buf.h"
#include "event.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "resolve.h"
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
static int sync_pending;
static int recycle_est;		/* files in recycle/, as far as we know */
static int recycle_hold;	/* removals before recycle/ is counted again */
static char (*staged)[QUEUE_ID_MAX];	/* in recycle/ as ".id" */
static int staged_len, staged_size;

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

/* qmgr_queue_move - rename id from one queue directory to another */
static int
qmgr_queue_move(const char *id, const char *from, const char *to)
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

/* qmgr_queue_corrupt - set a bad file aside in corrupt/ */
static void
qmgr_queue_corrupt(const char *id, const char *why)
{
	msg_warn("%s: corrupt queue file (%s): moved to %s/", id, why,
	    QUEUE_CORRUPT);
	if (qmgr_queue_move(id, QUEUE_ACTIVE, QUEUE_CORRUPT) < 0)
		msg_warn("%s: move to %s/: %m", id, QUEUE_CORRUPT);
	qid_forget(id);
}

/*
 * Planning: expand each open recipient into deliveries.  Targets are
 * collected first, so that a lookup failure halfway leaves no partial
 * plan (the whole recipient is deferred and expanded again later).
 */
struct qmgr_target {
	int	 kind;
	char	*value;
	char	*via;
	char	*dsn;
};

struct qmgr_plan {
	struct qmgr_target *t;
	int	 n, size;
};

/* qmgr_plan_fn - alias expansion callback: collect a target */
static void
qmgr_plan_fn(int kind, const char *value, const char *via, const char *dsn,
    void *ctx)
{
	struct qmgr_plan *p = ctx;

	if (p->n == p->size) {
		p->size = p->size ? p->size * 2 : 8;
		p->t = xrealloc(p->t, sizeof(*p->t) * (size_t)p->size);
	}
	p->t[p->n].kind = kind;
	p->t[p->n].value = xstrdup(value);
	p->t[p->n].via = xstrdup(via ? via : value);
	p->t[p->n].dsn = dsn ? xstrdup(dsn) : NULL;
	p->n++;
}

/* qmgr_plan_free - release collected targets */
static void
qmgr_plan_free(struct qmgr_plan *p)
{
	int i;

	for (i = 0; i < p->n; i++) {
		free(p->t[i].value);
		free(p->t[i].via);
		free(p->t[i].dsn);
	}
	free(p->t);
	memset(p, 0, sizeof(*p));
}

/* qmgr_seen - has this target been planned for the message? (else note it) */
static int
qmgr_seen(struct qmgr_message *m, int kind, const char *value)
{
	struct buf *key = buf_new(256, 0);
	int i;

	buf_setf(key, "%c%s", kind == JOB_ADDR ? 'A' : kind == JOB_COMMAND ?
	    'C' : 'F', value);
	if (kind == JOB_ADDR)
		lowercase(key->data);
	for (i = 0; i < m->nseen; i++) {
		if (strcmp(m->seen[i], buf_str(key)) == 0) {
			buf_free(&key);
			return 1;
		}
	}
	if (m->nseen == m->seensize) {
		m->seensize = m->seensize ? m->seensize * 2 : 8;
		m->seen = xrealloc(m->seen, sizeof(char *) *
		    (size_t)m->seensize);
	}
	m->seen[m->nseen++] = buf_steal(&key);
	return 0;
}

/* qmgr_job_new - a delivery of recipient r of m */
static struct qmgr_job *
qmgr_job_new(struct qmgr_message *m, int r, int kind, const char *addr,
    const char *target)
{
	struct qmgr_job *j = xcalloc(1, sizeof(*j));

	j->msg = m;
	j->rcpt = r;
	j->kind = kind;
	j->addr = xstrdup(addr);
	j->target = target ? xstrdup(target) : NULL;
	j->state = -1;
	j->relay = "none";
	if (m->njobs == m->jobsize) {
		m->jobsize = m->jobsize ? m->jobsize * 2 : 4;
		m->jobs = xrealloc(m->jobs, sizeof(*m->jobs) *
		    (size_t)m->jobsize);
	}
	m->jobs[m->njobs++] = j;
	return j;
}

/* qmgr_job_queue - hand a job to a transport (counted as pending) */
static void
qmgr_job_queue(struct qmgr_job *j, const char *transport)
{
	j->tp = qmgr_deliver_transport(transport);
	j->relay = transport;
	j->state = JOB_QUEUED;
	j->msg->pending++;
	qmgr_deliver_enqueue(j);
}

/* qmgr_plan_addr - a final address: an account here, or elsewhere */
static void
qmgr_plan_addr(struct qmgr_message *m, int r, const struct qmgr_target *t,
    struct buf *why)
{
	struct qmgr_job *j;
	struct account acct;
	struct buf *bare;
	int found;

	if (qmgr_seen(m, JOB_ADDR, t->value))
		return;
	if (resolve_class(t->value) != RESOLVE_LOCAL) {
		j = qmgr_job_new(m, r, JOB_ADDR, t->value, NULL);
		qmgr_job_queue(j, "smtp");
		return;
	}
	bare = buf_new(256, 0);
	alias_strip_extension(t->value, bare);
	memset(&acct, 0, sizeof(acct));
	found = resolve_account(buf_str(bare), &acct, why);
	buf_free(&bare);
	j = qmgr_job_new(m, r, JOB_ADDR, t->value, NULL);
	if (found > 0) {
		account_free(&acct);
		qmgr_job_queue(j, "local");
	} else if (found == 0) {
		if (t->dsn != NULL)
			qmgr_job_result(j, 5, t->dsn, "mail forwarding loop in "
			    "the aliases, and no such user here");
		else
			qmgr_job_result(j, 5, "5.1.1", "unknown user");
	} else
		qmgr_job_result(j, 4, "4.3.0", buf_str(why));
}

/* qmgr_plan_rcpt - expand recipient r of m into jobs */
static void
qmgr_plan_rcpt(struct qmgr_message *m, int r, struct buf *why)
{
	struct qmgr_plan plan;
	struct qmgr_job *j;
	const char *addr = m->q.rcpt[r].addr;
	int i;

	memset(&plan, 0, sizeof(plan));
	if (alias_expand(addr, qmgr_plan_fn, &plan, why) < 0) {
		j = qmgr_job_new(m, r, JOB_ADDR, addr, NULL);
		qmgr_job_result(j, 4, "4.3.0", buf_str(why));
		qmgr_plan_free(&plan);
		return;
	}
	for (i = 0; i < plan.n; i++) {
		struct qmgr_target *t = &plan.t[i];

		switch (t->kind) {
		case ALIAS_ADDR:
			qmgr_plan_addr(m, r, t, why);
			break;
		case ALIAS_COMMAND:
		case ALIAS_FILE:
			if (qmgr_seen(m, t->kind == ALIAS_COMMAND ?
			    JOB_COMMAND : JOB_FILE, t->value))
				break;
			j = qmgr_job_new(m, r, t->kind == ALIAS_COMMAND ?
			    JOB_COMMAND : JOB_FILE, t->via, t->value);
			qmgr_job_queue(j, "local");
			break;
		default:
			j = qmgr_job_new(m, r, JOB_ADDR, t->via, NULL);
			qmgr_job_result(j, 5, t->dsn ? t->dsn : "5.3.0",
			    t->value);
			break;
		}
	}
	qmgr_plan_free(&plan);
}

/*
 * qmgr_queue_busy - is a writer still at work on incoming/id (a reused
 * file, see queue.h)?  Then leave it: the writer tells us when it is done.
 */
static int
qmgr_queue_busy(const char *id)
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
		qid_forget(id);
	}
	return busy;
}

/*
 * qmgr_queue_unfinished - what a writer left in incoming/ when it died
 * before the end (queue_unfinished): never announced, so removed.
 */
static void
qmgr_queue_unfinished(const char *id)
{
	struct buf *path = buf_new(256, 0);

	queue_path(path, var_queue_directory, QUEUE_ACTIVE, id);
	if (unlink(buf_str(path)) < 0 && errno != ENOENT)
		msg_warn("%s: remove %s: %m", id, buf_str(path));
	else
		msg_info("%s: removed a file its writer left unfinished",
		    id);
	buf_free(&path);
	qid_forget(id);
}

/* qmgr_queue_open - move a pending file into active/ and read it */
static struct qmgr_message *
qmgr_queue_open(struct qmgr_qid *q, struct buf *why)
{
	struct qmgr_message *m;
	struct buf *path;
	int fd, r, incoming = strcmp(q->dir, QUEUE_INCOMING) == 0;

	if (incoming && qmgr_queue_busy(q->id))
		return NULL;
	if (strcmp(q->dir, QUEUE_ACTIVE) != 0 &&
	    qmgr_queue_move(q->id, q->dir, QUEUE_ACTIVE) < 0) {
		if (errno != ENOENT) {
			msg_warn("%s: move from %s/ to %s/: %m", q->id, q->dir,
			    QUEUE_ACTIVE);
			if (strcmp(q->dir, QUEUE_DEFERRED) == 0) {
				qmgr_queue_defer_at(q, (long long)time(NULL) +
				    var_minimal_backoff_time, q->dir);
				return NULL;
			}
		}
		qid_forget(q->id);
		return NULL;
	}
	path = buf_new(256, 0);
	queue_path(path, var_queue_directory, QUEUE_ACTIVE, q->id);
	fd = open(buf_str(path), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			qid_forget(q->id);
		else {
			/* Try again later; the file stays in active/. */
			msg_warn("%s: open %s: %m", q->id, buf_str(path));
			qmgr_queue_defer_at(q, (long long)time(NULL) +
			    var_minimal_backoff_time, QUEUE_ACTIVE);
		}
		buf_free(&path);
		return NULL;
	}
	buf_free(&path);
	m = xcalloc(1, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", q->id);
	m->fd = fd;
	m->was_deferred = strcmp(q->dir, QUEUE_INCOMING) != 0;
	r = queue_read(fd, &m->q, why);
	if (r == 0 && *m->q.file_id != '\0' &&
	    strcmp(m->q.file_id, q->id) != 0) {
		/* Another file's content (see queue.h); never announced. */
		buf_setf(why, "it holds the content of %s", m->q.file_id);
		queue_msg_free(&m->q);
		r = -1;
	} else if (r == 0 && queue_verify(fd, &m->q, why) < 0) {
		/* Some of its writes never reached the disk (a crash). */
		queue_msg_free(&m->q);
		r = -1;
	}
	if (r < 0 && incoming && queue_unfinished(fd, q->id)) {
		close(fd);
		free(m);
		qmgr_queue_unfinished(q->id);
		return NULL;
	}
	if (r < 0) {
		close(fd);
		free(m);
		qmgr_queue_corrupt(q->id, buf_str(why));
		return NULL;
	}
	q->state = QID_ACTIVE;
	q->dir = QUEUE_ACTIVE;
	return m;
}

/* qmgr_queue_start - activate one pending file */
static void
qmgr_queue_start(struct qmgr_qid *q)
{
	struct buf *why = buf_new(256, 4096), *pr = buf_new(256, 0);
	struct qmgr_message *m;
	int i, open_rcpts = 0;

	if ((m = qmgr_queue_open(q, why)) == NULL) {
		buf_free(&why);
		buf_free(&pr);
		return;
	}
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
		qmgr_queue_done(m);
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
 * qmgr_queue_sync - make the removals of the last moments durable, then
 * free the files staged in recycle/ for reuse (or, if the sync failed,
 * remove them: their removal from active/ may not be on disk).
 */
static void
qmgr_queue_sync(void *ctx)
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

/* qmgr_queue_free - release a finished message */
static void
qmgr_queue_free(struct qmgr_message *m)
{
	int i;

	for (i = 0; i < m->njobs; i++) {
		free(m->jobs[i]->addr);
		free(m->jobs[i]->target);
		free(m->jobs[i]->reason);
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
	active_count--;
}

/* qmgr_queue_write_defer - defer/ID: why each open recipient waits */
static void
qmgr_queue_write_defer(struct qmgr_message *m, const char *open_rcpt)
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
 * qmgr_recycle_clean - at start, remove the files a previous run staged
 * in recycle/ but did not free: after a crash their removal from active/
 * may not be durable, so they are never reused.
 */
static void
qmgr_recycle_clean(const char *dir)
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

/* qmgr_recycle_count - the files in recycle/ now */
static int
qmgr_recycle_count(void)
{
	struct buf *path = buf_new(256, 0);
	struct dirent *de;
	DIR *d;
	int n = 0;

	buf_setf(path, "%s/%s", var_queue_directory, QUEUE_RECYCLE);
	if ((d = opendir(buf_str(path))) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (queue_id_ok(de->d_name))
				n++;
		closedir(d);
	}
	buf_free(&path);
	return n;
}

/*
 * qmgr_queue_recycle - move a finished file into recycle/ for smtpd to
 * reuse: 0, or -1 when it should simply be removed.  smtpd takes files
 * without telling us, so the count is an estimate that is checked by
 * counting the directory when it says recycle/ is full; when it really is
 * full, files are removed for a while before it is counted again.
 */
static int
qmgr_queue_recycle(struct qmgr_message *m, const char *path)
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
		if ((recycle_est = qmgr_recycle_count()) >= QMGR_RECYCLE_MAX) {
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

/* qmgr_queue_remove - every recipient has an outcome: the file goes */
static void
qmgr_queue_remove(struct qmgr_message *m)
{
	struct buf *path = buf_new(256, 0);

	queue_path(path, var_queue_directory, QUEUE_ACTIVE, m->id);
	if (qmgr_queue_recycle(m, buf_str(path)) < 0 &&
	    unlink(buf_str(path)) < 0 && errno != ENOENT) {
		msg_warn("%s: remove %s: %m", m->id, buf_str(path));
		buf_free(&path);
		return;
	}
	if (m->was_deferred) {
		queue_path(path, var_queue_directory, QUEUE_DEFER, m->id);
		(void)unlink(buf_str(path));
	}
	msg_info("%s: removed", m->id);
	if (!sync_pending) {
		sync_pending = 1;
		event_timer(QMGR_SYNC_DELAY_MS, qmgr_queue_sync, NULL);
	}
	buf_free(&path);
}

/* qmgr_queue_defer - some recipients wait: record, back off, deferred/ */
static void
qmgr_queue_defer(struct qmgr_message *m, const char *open_rcpt,
    int marked)
{
	struct timespec ts[2];
	struct qmgr_qid *q;
	long long now = (long long)time(NULL), age, delay;
	const char *dir = QUEUE_DEFERRED;

	if (marked && fdatasync(m->fd) < 0)
		msg_warn("%s: fdatasync: %m", m->id);
	qmgr_queue_write_defer(m, open_rcpt);
	age = now - (long long)m->q.arrival;
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
	if (qmgr_queue_move(m->id, QUEUE_ACTIVE, QUEUE_DEFERRED) < 0) {
		msg_warn("%s: move to %s/: %m", m->id, QUEUE_DEFERRED);
		dir = QUEUE_ACTIVE;
	}
	if ((q = qid_find(m->id)) == NULL)
		q = qid_new(m->id, QID_DEFERRED, dir);
	qmgr_queue_defer_at(q, now + delay, dir);
}

/*
 * qmgr_queue_done - every job of m has an outcome: bounce what failed,
 * mark what is finished, then remove the file or defer it.
 */
void
qmgr_queue_done(struct qmgr_message *m)
{
	struct buf *why = buf_new(256, 4096);
	struct qmgr_job *j;
	char *open_rcpt;
	int i, nbounce = 0, nopen = 0, marked = 0;

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
	open_rcpt = xcalloc((size_t)m->q.nrcpt + 1, 1);
	for (i = 0; i < m->njobs; i++)
		if (m->jobs[i]->state != JOB_SENT &&
		    m->jobs[i]->state != JOB_BOUNCE)
			open_rcpt[m->jobs[i]->rcpt] = 1;
	for (i = 0; i < m->q.nrcpt; i++)
		if (!m->q.rcpt[i].done && open_rcpt[i])
			nopen++;
	if (nopen == 0) {
		qmgr_queue_remove(m);
		qid_forget(m->id);
	} else {
		for (i = 0; i < m->q.nrcpt; i++) {
			if (m->q.rcpt[i].done || open_rcpt[i])
				continue;
			if (queue_mark_done(m->fd, m->q.rcpt[i].offset) < 0)
				msg_warn("%s: mark recipient done: %m", m->id);
			else
				marked++;
		}
		qmgr_queue_defer(m, open_rcpt, marked);
	}
	free(open_rcpt);
	buf_free(&why);
	qmgr_queue_free(m);
}

/* qmgr_queue_init - the queue directories qmgr writes must exist */
void
qmgr_queue_init(void)
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
		qmgr_recycle_clean(buf_str(path));
		recycle_est = qmgr_recycle_count();
	}
	buf_free(&path);
}
