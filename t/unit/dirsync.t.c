/*
 * dirsync.t.c - tests of lib/dirsync.c, the syncs of a directory shared
 * between processes: several processes renaming and waiting (each one
 * returns only after a sync that began after its rename, and the syncs
 * are made one at a time, also by children that inherited the state),
 * waiters sharing one sync, an injected failure failing the waiters that
 * relied on it and not the later ones, a holder killed in its sync, and
 * a state file with numbers that cannot be.
 *
 * The fsync of the directory goes through dirsync_fsync_hook, which logs
 * each sync's start and end on a clock shared by all the processes.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirsync.h"
#include "fsyncs.h"
#include "msg.h"
#include "../tap.h"

#define SYNCS_MAX	4096
#define OPS_MAX		1024
#define WRITERS		6	/* processes renaming at once */
#define RENAMES		25	/* renames each */
#define WAITERS		5	/* processes waiting for one sync */

/* What every process logs, in shared memory. */
struct shared {
	uint64_t	 clock;
	int		 nsync;
	int		 inside;	/* syncs running now */
	int		 most_inside;	/* the most at once */
	int		 fail_at;	/* the nsync that fails (EIO), 0 none */
	int		 die_at;	/* the nsync whose process dies */
	int		 delay_us;	/* each sync's extra time */
	struct {
		uint64_t start, end;
		int	 err;
	} sync[SYNCS_MAX];
	int		 nop;
	struct {
		uint64_t renamed, returned;
		int	 r, err;
	} op[OPS_MAX];
};

static struct shared *sh;
static char base[] = "/tmp/dirsync.t.XXXXXX";
static char dir[256], state[256];

/* tick - the next instant of the shared clock */
static uint64_t
tick(void)
{
	return __atomic_add_fetch(&sh->clock, 1, __ATOMIC_SEQ_CST);
}

/* hook - fsync of the directory, logged, maybe failing or dying */
static int
hook(int fd)
{
	int k, in, most, r, err;

	k = __atomic_fetch_add(&sh->nsync, 1, __ATOMIC_SEQ_CST);
	if (k >= SYNCS_MAX)
		abort();
	sh->sync[k].start = tick();
	in = __atomic_add_fetch(&sh->inside, 1, __ATOMIC_SEQ_CST);
	while ((most = __atomic_load_n(&sh->most_inside, __ATOMIC_SEQ_CST)) <
	    in && !__atomic_compare_exchange_n(&sh->most_inside, &most, in, 0,
	    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	if (sh->die_at == k + 1)
		kill(getpid(), SIGKILL);
	if (sh->delay_us > 0)
		usleep((useconds_t)sh->delay_us);
	r = fsync(fd);
	err = r < 0 ? errno : 0;
	if (sh->fail_at == k + 1) {
		r = -1;
		err = EIO;
	}
	__atomic_sub_fetch(&sh->inside, 1, __ATOMIC_SEQ_CST);
	sh->sync[k].err = err;
	sh->sync[k].end = tick();
	errno = err;
	return r;
}

/* one - one writer's rename and wait, logged: the op's index */
static int
one(struct dirsync *ds, const char *name, struct dirsync_ticket *t)
{
	char tmp[512], final[512];
	int k, fd;

	snprintf(tmp, sizeof(tmp), "%s/t.%s", dir, name);
	snprintf(final, sizeof(final), "%s/%s", dir, name);
	if ((fd = open(tmp, O_CREAT | O_WRONLY | O_TRUNC, 0600)) >= 0)
		close(fd);
	k = __atomic_fetch_add(&sh->nop, 1, __ATOMIC_SEQ_CST);
	if (k >= OPS_MAX)
		abort();
	dirsync_mark(ds, t);
	if (rename(tmp, final) < 0)
		abort();
	sh->op[k].renamed = tick();
	dirsync_after(ds, t);
	sh->op[k].r = dirsync_wait(ds, t);
	sh->op[k].err = sh->op[k].r < 0 ? errno : 0;
	sh->op[k].returned = tick();
	return k;
}

/* covered - did a good sync begin after op k's rename and end before it
 * returned? */
static int
covered(int k)
{
	int i;

	for (i = 0; i < sh->nsync; i++)
		if (sh->sync[i].err == 0 &&
		    sh->sync[i].start > sh->op[k].renamed &&
		    sh->sync[i].end != 0 &&
		    sh->sync[i].end < sh->op[k].returned)
			return 1;
	return 0;
}

/* met_failure - did a failed sync run between op k's rename and return? */
static int
met_failure(int k)
{
	int i;

	for (i = 0; i < sh->nsync; i++)
		if (sh->sync[i].err != 0 &&
		    sh->sync[i].start > sh->op[k].renamed &&
		    sh->sync[i].end < sh->op[k].returned)
			return 1;
	return 0;
}

/* reap - wait for n children: how many exited 0 */
static int
reap(int n)
{
	int status, good = 0;

	while (n-- > 0)
		if (wait(&status) > 0 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			good++;
	return good;
}

/* reset - a clean log */
static void
reset(void)
{
	memset(sh, 0, sizeof(*sh));
}

/* test_concurrent - WRITERS processes, RENAMES renames each */
static void
test_concurrent(void)
{
	struct dirsync *ds;
	struct dirsync_ticket t;
	char name[64];
	int i, j, bad_cover = 0, bad_fail = 0, renames;

	reset();
	sh->delay_us = 1000;
	/* Opened before fork(): the children inherit the state's fd. */
	ds = dirsync_open(dir, state);
	ok(ds != NULL, "open the shared syncs of a directory");
	for (i = 0; i < WRITERS; i++) {
		if (fork() == 0) {
			for (j = 0; j < RENAMES; j++) {
				snprintf(name, sizeof(name), "c%d.%d", i, j);
				one(ds, name, &t);
			}
			_exit(0);
		}
	}
	is_int(reap(WRITERS), WRITERS, "every writer ran to its end");
	renames = sh->nop;
	for (i = 0; i < sh->nop; i++) {
		if (sh->op[i].r == 0 && !covered(i))
			bad_cover++;
		if (sh->op[i].r != 0)
			bad_fail++;
	}
	is_int(renames, WRITERS * RENAMES, "every rename was made");
	is_int(bad_fail, 0, "no wait failed");
	is_int(bad_cover, 0, "each wait returned after a sync that began "
	    "after its rename");
	is_int(sh->most_inside, 1, "one sync at a time, children of one "
	    "opener included");
	ok(sh->nsync < renames, "renames shared syncs");
	printf("# %d syncs for %d renames\n", sh->nsync, renames);
	dirsync_close(&ds);
	ok(ds == NULL, "close clears the pointer");
}

/*
 * test_group - WAITERS processes rename while the lock is held from
 * outside; once it goes, one sync serves them all.  With fail set, that
 * sync fails, and so does every one of them.
 */
static void
test_group(int fail)
{
	struct dirsync *ds;
	struct dirsync_ticket t;
	char name[64], c;
	int i, k, fd, p[2], good, failed = 0, unfair = 0;

	reset();
	sh->delay_us = 1000;
	ds = dirsync_open(dir, state);	/* the children inherit it */
	fd = open(state, O_RDWR);
	if (ds == NULL || fd < 0 || flock(fd, LOCK_EX) < 0 || pipe(p) < 0)
		abort();
	sh->fail_at = fail ? 1 : 0;
	for (i = 0; i < WAITERS; i++) {
		if (fork() == 0) {
			close(p[0]);
			snprintf(name, sizeof(name), "g%d.%d", fail, i);
			(void)write(p[1], "x", 1);
			k = one(ds, name, &t);
			_exit(sh->op[k].r == 0 ? 0 : 1);
		}
	}
	close(p[1]);
	for (i = 0; i < WAITERS; i++)
		(void)read(p[0], &c, 1);
	close(p[0]);
	usleep(100000);		/* let them reach the lock */
	is_int(sh->nsync, 0, "no sync while the lock is held");
	flock(fd, LOCK_UN);
	close(fd);
	good = reap(WAITERS);
	for (i = 0; i < sh->nop; i++) {
		if (sh->op[i].r < 0 && sh->op[i].err == EIO)
			failed++;
		if (fail && !met_failure(i))
			unfair++;
	}
	if (!fail) {
		is_int(good, WAITERS, "every waiter returned 0");
		is_int(sh->nsync, 1, "one sync served every waiter");
		dirsync_close(&ds);
		return;
	}
	is_int(good, 0, "a failed sync fails every waiter that relied on it");
	is_int(failed, WAITERS, "with the sync's errno (EIO)");
	is_int(unfair, 0, "and only waiters whose rename it may have covered");
	is_int(sh->nsync, 1, "the failure was one sync");
	k = one(ds, "after-failure", &t);
	ok(sh->op[k].r == 0 && covered(k), "a rename after the failed sync "
	    "is not failed by it");
	dirsync_close(&ds);
}

/* test_killed - a process dies holding the lock, in its sync */
static void
test_killed(void)
{
	struct dirsync *ds;
	struct dirsync_ticket t;
	int k, status;
	pid_t pid;

	reset();
	sh->die_at = 1;
	if ((pid = fork()) == 0) {
		ds = dirsync_open(dir, state);
		(void)one(ds, "killed", &t);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && sh->nsync == 1, "a writer killed in its "
	    "sync, holding the lock");
	ds = dirsync_open(dir, state);
	alarm(20);
	k = one(ds, "survivor", &t);
	alarm(0);
	ok(sh->op[k].r == 0 && covered(k), "the next writer is not wedged "
	    "and makes its own sync");
	dirsync_close(&ds);
}

/* rename_only - a writer's rename, with its ticket, and no wait */
static void
rename_only(struct dirsync *ds, const char *name, struct dirsync_ticket *t)
{
	char tmp[512], final[512];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/t.%s", dir, name);
	snprintf(final, sizeof(final), "%s/%s", dir, name);
	if ((fd = open(tmp, O_CREAT | O_WRONLY | O_TRUNC, 0600)) >= 0)
		close(fd);
	dirsync_mark(ds, t);
	if (rename(tmp, final) < 0)
		abort();
	dirsync_after(ds, t);
}

/*
 * test_early - a writer alone starts its own sync at the rename; with
 * another writer at work it takes the shared syncs; a dead writer's slot
 * is freed; a shared sync that failed after the mark fails the early
 * writer too.
 */
static void
test_early(void)
{
	struct dirsync *ds1, *ds2;
	struct dirsync_ticket t, t2;
	struct dirsync_writer w, w2;
	uint64_t v[5];
	pid_t pid;
	int fd, st;

	reset();
	dirsync_fsync_hook = NULL;	/* real syncs: early ones are AIO */
	ds1 = dirsync_open(dir, state);
	ds2 = dirsync_open(dir, state);
	rename_only(ds1, "e1", &t);
	dirsync_enter(ds1, &w);
	ok(w.early && w.slot >= 0, "a writer alone begins its own sync at "
	    "the rename");
	is_int(dirsync_leave(ds1, &t, &w), 0, "and waits for it at the end");
	is_int(w.slot, -1, "its slot given back");

	rename_only(ds1, "e2", &t);
	dirsync_enter(ds1, &w);
	rename_only(ds2, "e3", &t2);
	dirsync_enter(ds2, &w2);
	ok(w.early && !w2.early && w2.slot >= 0 && w2.slot != w.slot,
	    "a second writer while the first is at work: shared syncs");
	is_int(dirsync_leave(ds1, &t, &w), 0, "the first ends");
	is_int(dirsync_leave(ds2, &t2, &w2), 0, "the second makes or finds "
	    "a shared sync");

	/* A writer that dies between its rename and its end. */
	if ((pid = fork()) == 0) {
		rename_only(ds1, "e4", &t);
		dirsync_enter(ds1, &w);
		_exit(w.slot >= 0 ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "a child took a slot and died in it");
	rename_only(ds1, "e5", &t);
	dirsync_enter(ds1, &w);
	ok(w.early, "the dead writer's slot does not count");
	is_int(dirsync_leave(ds1, &t, &w), 0, "the sync ends");

	rename_only(ds1, "e6", &t);
	dirsync_enter(ds1, &w);
	dirsync_cancel(ds1, &w);
	ok(w.slot == -1 && !w.early, "a writer that gives up frees its slot");

	rename_only(ds1, "e7", &t);
	dirsync_enter(ds1, &w);
	/* A shared sync numbered past the mark failed meanwhile. */
	fd = open(state, O_RDWR);
	if (fd < 0 || pread(fd, v, sizeof(v), 0) != (ssize_t)sizeof(v))
		abort();
	v[1] = v[2] = v[3] = t.before + 1;
	v[4] = EIO;
	if (pwrite(fd, v, sizeof(v), 0) != (ssize_t)sizeof(v))
		abort();
	ok(w.early && dirsync_leave(ds1, &t, &w) == -1 && errno == EIO,
	    "a failed shared sync that may have held the rename fails the "
	    "early writer with its errno");
	v[3] = v[4] = 0;
	if (pwrite(fd, v, sizeof(v), 0) != (ssize_t)sizeof(v))
		abort();
	close(fd);
	dirsync_fsync_hook = hook;
	rename_only(ds1, "e8", &t);
	dirsync_enter(ds1, &w);
	ok(!w.early && w.slot == -1, "with a test's sync hook set, never "
	    "early");
	dirsync_close(&ds1);
	dirsync_close(&ds2);
}

/* test_bad_state - numbers that cannot be are set right by a real sync */
static void
test_bad_state(void)
{
	struct dirsync *ds;
	struct dirsync_ticket t;
	uint64_t v[5] = { 0x63617274646e7331ULL, 5, 100, 0, 0 };
	int fd, k, n;

	reset();
	fd = open(state, O_WRONLY);
	if (fd < 0 || pwrite(fd, v, sizeof(v), 0) != (ssize_t)sizeof(v))
		abort();
	close(fd);
	ds = dirsync_open(dir, state);
	is_int(sh->nsync, 1, "a state with completed past started is set "
	    "right with a sync");
	n = sh->nsync;
	k = one(ds, "after-bad-state", &t);
	ok(sh->op[k].r == 0 && sh->nsync == n + 1 && covered(k),
	    "and a rename after it still waits for a sync of its own");
	dirsync_close(&ds);
}

/* test_no_state - without the state file, plain syncs */
static void
test_no_state(void)
{
	struct dirsync *ds;
	struct dirsync_ticket t;
	char missing[300];
	int k;

	reset();
	snprintf(missing, sizeof(missing), "%s/nowhere/state", base);
	ds = dirsync_open(dir, missing);
	ok(ds != NULL, "a state file that cannot be made is not fatal");
	k = one(ds, "plain-1", &t);
	k = one(ds, "plain-2", &t);
	ok(sh->op[k].r == 0 && sh->nsync == 2 && covered(k),
	    "then every wait makes its own sync");
	dirsync_close(&ds);
	snprintf(missing, sizeof(missing), "%s/nowhere", base);
	ok(dirsync_open(missing, state) == NULL && errno == ENOENT,
	    "a directory that cannot be opened gives NULL");
}

int
main(void)
{
	char cmd[300];

	msg_init("dirsync.t", 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || mkdtemp(base) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/incoming", base);
	snprintf(state, sizeof(state), "%s/incoming.sync", base);
	if (mkdir(dir, 0700) < 0)
		return 1;
	dirsync_fsync_hook = hook;

	test_concurrent();
	test_group(0);
	test_group(1);
	test_killed();
	test_early();
	test_bad_state();
	test_no_state();

	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	(void)system(cmd);
	return done_testing();
}
