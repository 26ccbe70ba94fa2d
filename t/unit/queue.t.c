/*
 * queue.t.c - queue files: write, commit, read back, encoding of odd
 * values, marking recipients done, abort, write failures, corrupt files,
 * and the qmgr notification.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dirsync.h"
#include "msg.h"
#include "fsyncs.h"
#include "queue.h"
#include "util.h"
#include "../tap.h"

static char dir[] = "/tmp/queue.t.XXXXXX";
static int dir_syncs;		/* fsyncs of incoming/ (dirsync's) */
static int dir_sync_fail;	/* errno the next ones fail with, or 0 */

/* count_files - files in DIR/sub, and how many are temporary */
static int
count_files(const char *sub, int *tmp)
{
	if (tmp)
		*tmp = tap_count(dir, sub, "t.");
	return tap_count(dir, sub, NULL);
}

/* spew - write a file whole */
static void
spew(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);

	if (fd >= 0) {
		if (write(fd, text, len) < 0)
			perror(path);
		close(fd);
	}
}

/* read_path - queue_read on a path: 0/-1, why filled */
static int
read_path(const char *path, struct queue_msg *m, struct buf *why)
{
	int fd = open(path, O_RDWR), r;

	if (fd < 0)
		return -2;
	buf_reset(why);
	r = queue_read(fd, m, why);
	close(fd);
	return r;
}

static void
test_roundtrip(void)
{
	struct buf *why = buf_new(64, 0), *path = buf_new(64, 0), *f;
	struct queue_writer *w;
	struct queue_msg m;
	struct stat st;
	char id[QUEUE_ID_MAX], data[64];
	const char *body = "Subject: hi\n\nhello\n";
	size_t nl;
	int fd, tmp;

	w = queue_create(dir, QUEUE_INCOMING, why);
	ok(w != NULL, "queue_create makes a writer");
	snprintf(id, sizeof(id), "%s", queue_writer_id(w));
	ok(queue_id_ok(id), "the id is a valid queue id");
	ok(count_files(QUEUE_INCOMING, &tmp) == 1 && tmp == 1,
	    "while written the file is temporary (t.)");
	ok(queue_rec(w, 'F', "bob@mired.org") == 0, "F record");
	ok(queue_recf(w, 'A', "client=%s", "192.0.2.1") == 0, "A record");
	ok(queue_rec(w, 'A', "helo=x") == 0, "another A record");
	ok(queue_rec(w, 'R', "ana@mired.org") == 0, "R record");
	ok(queue_rec(w, 'O', "Ana@Mired.org") == 0, "O record");
	ok(queue_rec(w, 'N', "SUCCESS,DELAY") == 0, "N record");
	ok(queue_rec(w, 'C', "rfc822;Ana@Mired.org") == 0, "C record");
	ok(queue_rec(w, 'R', "root@mired.org") == 0, "second R record");
	ok(queue_rec(w, 'T', "1 2") < 0, "T is queue_create's, refused");
	ok(queue_rec(w, 'S', "3") < 0, "S is queue_commit's, refused");
	ok(queue_data(w, body, 10) == 0 && queue_data(w, body + 10,
	    strlen(body) - 10) == 0, "message data in two pieces");
	ok(queue_rec(w, 'R', "late@mired.org") < 0,
	    "no envelope records after the message");
	is_int(queue_writer_size(w), (long long)strlen(body),
	    "writer counts message bytes");
	ok(queue_commit(w, why) == 0, "commit succeeds");
	ok(count_files(QUEUE_INCOMING, &tmp) == 1 && tmp == 0,
	    "after commit one file, not temporary");
	queue_path(path, dir, QUEUE_INCOMING, id);
	ok(stat(buf_str(path), &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the file is named by its id, mode 0600");

	f = tap_slurp(buf_str(path));
	ok(strstr(buf_str(f), "\nS000000000000019 ") != NULL,
	    "S record holds the size, fixed width, then the checksum");
	nl = strcspn(buf_str(f), "\n");
	ok(nl > strlen(id) && buf_str(f)[nl - strlen(id) - 1] == ' ' &&
	    strncmp(buf_str(f) + nl - strlen(id), id, strlen(id)) == 0,
	    "the T record ends with the queue id");
	buf_free(&f);

	fd = open(buf_str(path), O_RDWR);
	ok(queue_read(fd, &m, why) == 0, "queue_read accepts it");
	is_str(m.file_id, id, "the T record's id is the file's name");
	ok(m.has_sum && queue_verify(fd, &m, why) == 0,
	    "the checksum matches");
	is_int(m.format, QUEUE_FORMAT, "the S record ends with the format");
	is_str(m.sender, "bob@mired.org", "sender read back");
	is_int(m.size, (long long)strlen(body), "size read back");
	ok(m.arrival > time(NULL) - 60 && m.arrival <= time(NULL),
	    "arrival is now");
	is_int(m.nattr, 2, "two attributes");
	is_str(queue_msg_attr(&m, "client"), "192.0.2.1", "attr client");
	is_str(queue_msg_attr(&m, "helo"), "x", "attr helo");
	ok(queue_msg_attr(&m, "hel") == NULL, "attr lookup is by whole name");
	is_int(m.nrcpt, 2, "two recipients");
	is_str(m.rcpt[0].addr, "ana@mired.org", "first recipient");
	is_str(m.rcpt[0].orig, "Ana@Mired.org", "its original form");
	ok(m.rcpt[1].orig == NULL && !m.rcpt[0].done && !m.rcpt[1].done,
	    "second has no O record; neither is done");
	is_str(m.rcpt[0].notify, "SUCCESS,DELAY", "first's DSN NOTIFY");
	is_str(m.rcpt[0].orcpt, "rfc822;Ana@Mired.org", "first's DSN ORCPT");
	ok(m.rcpt[1].notify == NULL && m.rcpt[1].orcpt == NULL,
	    "second has neither");
	is_int(lseek(fd, 0, SEEK_CUR), m.data_offset,
	    "the file offset is left at the message");
	memset(data, 0, sizeof(data));
	ok(read(fd, data, sizeof(data) - 1) == (ssize_t)strlen(body) &&
	    strcmp(data, body) == 0, "message bytes read back");

	/* Mark the second recipient done. */
	ok(queue_mark_done(fd, m.rcpt[1].offset) == 0, "mark done");
	ok(queue_mark_done(fd, m.rcpt[1].offset) == 0, "mark done twice");
	ok(queue_mark_done(fd, m.data_offset) < 0,
	    "mark done refuses an offset that is not a recipient");
	queue_msg_free(&m);
	ok(queue_read(fd, &m, why) == 0 && queue_verify(fd, &m, why) == 0,
	    "a recipient marked done keeps the checksum good");
	queue_msg_free(&m);
	/* One changed byte of the message: the checksum says so. */
	ok(pwrite(fd, "J", 1, (off_t)(st.st_size - 3)) == 1, "flip a byte");
	ok(queue_read(fd, &m, why) == 0 && queue_verify(fd, &m, why) < 0,
	    "a changed message byte fails the checksum");
	ok(strstr(buf_str(why), "checksum") != NULL, "and why says so");
	queue_msg_free(&m);
	ok(pwrite(fd, "l", 1, (off_t)(st.st_size - 3)) == 1, "put it back");
	close(fd);
	ok(read_path(buf_str(path), &m, why) == 0 && m.nrcpt == 2 &&
	    !m.rcpt[0].done && m.rcpt[1].done &&
	    strcmp(m.rcpt[1].addr, "root@mired.org") == 0,
	    "re-read: the second recipient is done");
	queue_msg_free(&m);
	unlink(buf_str(path));
	buf_free(&why);
	buf_free(&path);
}

static void
test_encoding(void)
{
	static const struct tap_text cases[] = {
		{ "plain@x.org", "plain@x.org", "encode: plain" },
		{ "", "", "encode: empty" },
		{ "100%", "100%25", "encode: %" },
		{ "a\r\nb", "a%0D%0Ab", "encode: CR LF" },
		{ "tab\there", "tab%09here", "encode: tab" },
		{ "del\177", "del%7F", "encode: DEL" },
		{ "ñandú@例え.jp", "ñandú@例え.jp", "encode: UTF-8 kept" },
		{ "%41", "%2541", "encode: % before hex" },
	};
	struct buf *b = buf_new(64, 0), *why = buf_new(64, 0);
	struct buf *path = buf_new(64, 0), *f;
	struct queue_writer *w;
	struct queue_msg m;
	char *copy, id[QUEUE_ID_MAX];
	size_t i;
	int good = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(b);
		queue_encode(b, cases[i].in);
		is_str(buf_str(b), cases[i].want, cases[i].name);
		copy = xstrdup(buf_str(b));
		is_str(queue_decode(copy), cases[i].in, "decode undoes it");
		free(copy);
	}
	copy = xstrdup("50% off %zz %4");
	is_str(queue_decode(copy), "50% off %zz %4",
	    "decode leaves stray % alone");
	free(copy);

	/* Odd values through a whole file; the null sender. */
	w = queue_create(dir, QUEUE_INCOMING, why);
	snprintf(id, sizeof(id), "%s", queue_writer_id(w));
	queue_rec(w, 'F', "");
	queue_rec(w, 'A', "helo=evil\r\nR injected@x.org");
	queue_rec(w, 'R', "\"a b%\"@x.org");
	queue_data(w, "R not a record\n", 15);
	ok(queue_commit(w, why) == 0, "commit with odd values");
	queue_path(path, dir, QUEUE_INCOMING, id);
	f = tap_slurp(buf_str(path));
	for (i = 0; i < buf_len(f) && i < 64; i++)
		if (buf_str(f)[i] == '\r')
			good = 0;
	ok(good && strstr(buf_str(f), "\nR injected") == NULL,
	    "no raw CR or LF from a value reaches the file");
	buf_free(&f);
	ok(read_path(buf_str(path), &m, why) == 0, "read odd values");
	is_str(m.sender, "", "null sender read back");
	is_str(queue_msg_attr(&m, "helo"), "evil\r\nR injected@x.org",
	    "attribute with CRLF read back");
	ok(m.nrcpt == 1, "the injected recipient is not one");
	is_str(m.rcpt[0].addr, "\"a b%\"@x.org", "quoted recipient read back");
	queue_msg_free(&m);
	unlink(buf_str(path));
	buf_free(&b);
	buf_free(&why);
	buf_free(&path);
}

static void
test_abort_and_ids(void)
{
	struct buf *why = buf_new(64, 0), *path = buf_new(64, 0);
	struct queue_writer *w, *ws[200];
	struct queue_msg m;
	char ids[200][QUEUE_ID_MAX];
	int i, j, distinct = 1, sorted = 1;

	w = queue_create(dir, QUEUE_INCOMING, why);
	queue_rec(w, 'F', "x@y");
	queue_data(w, "abc\n", 4);
	queue_abort(&w);
	ok(w == NULL, "abort clears the pointer");
	is_int(count_files(QUEUE_INCOMING, NULL), 0,
	    "abort removes the temporary file");
	queue_abort(&w);
	ok(1, "abort of NULL is harmless");

	for (i = 0; i < 200; i++) {
		ws[i] = queue_create(dir, QUEUE_INCOMING, why);
		snprintf(ids[i], QUEUE_ID_MAX, "%s", queue_writer_id(ws[i]));
	}
	for (i = 0; i < 200; i++)
		for (j = i + 1; j < 200; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				distinct = 0;
	for (i = 1; i < 200; i++)
		if (strlen(ids[i]) != strlen(ids[i - 1]) ||
		    strcmp(ids[i - 1], ids[i]) >= 0)
			sorted = 0;
	ok(distinct, "200 quick ids are distinct");
	ok(sorted, "ids sort by creation");
	for (i = 0; i < 200; i++)
		queue_abort(&ws[i]);

	/* An empty message: commit without data. */
	w = queue_create(dir, QUEUE_INCOMING, why);
	snprintf(ids[0], QUEUE_ID_MAX, "%s", queue_writer_id(w));
	queue_rec(w, 'F', "a@b");
	queue_rec(w, 'R', "c@d");
	ok(queue_commit(w, why) == 0, "commit without data");
	queue_path(path, dir, QUEUE_INCOMING, ids[0]);
	ok(read_path(buf_str(path), &m, why) == 0 && m.size == 0 &&
	    m.nrcpt == 1, "empty message reads back");
	queue_msg_free(&m);
	unlink(buf_str(path));

	ok(queue_create(dir, "nonexistent", why) == NULL &&
	    strstr(buf_str(why), "nonexistent") != NULL,
	    "create in a missing directory fails and says where");

	ok(queue_id_ok("65A1B2C3D4E5F12AB"), "id ok");
	ok(!queue_id_ok(""), "empty id refused");
	ok(!queue_id_ok("t.65A1B2"), "temporary name refused");
	ok(!queue_id_ok("../etc"), "path refused");
	ok(!queue_id_ok(".hidden"), "dot file refused");
	ok(!queue_id_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	    "over-long id refused");
	buf_free(&why);
	buf_free(&path);
}

static void
test_big_and_failure(void)
{
	struct buf *why = buf_new(64, 0), *path = buf_new(64, 0);
	struct queue_writer *w;
	struct queue_msg m;
	struct rlimit rl, old;
	char *big, id[QUEUE_ID_MAX];
	size_t n = 1024 * 1024 + 17, i;
	int good, saved;

	big = xmalloc(n);
	for (i = 0; i < n; i++)
		big[i] = (i % 77 == 76) ? '\n' : (char)('a' + i % 26);
	w = queue_create(dir, QUEUE_INCOMING, why);
	snprintf(id, sizeof(id), "%s", queue_writer_id(w));
	queue_rec(w, 'F', "a@b");
	for (i = 0; i < 100; i++)
		queue_recf(w, 'R', "rcpt%zu@mired.org", i);
	good = 1;
	for (i = 0; i < n; i += 1000)
		if (queue_data(w, big + i, n - i < 1000 ? n - i : 1000) < 0)
			good = 0;
	ok(good && queue_commit(w, why) == 0, "a 1 MB message commits");
	queue_path(path, dir, QUEUE_INCOMING, id);
	ok(read_path(buf_str(path), &m, why) == 0 && m.size == (off_t)n &&
	    m.nrcpt == 100 && strcmp(m.rcpt[99].addr, "rcpt99@mired.org") == 0,
	    "and reads back whole");
	queue_msg_free(&m);
	unlink(buf_str(path));

	/* A write failure: a file size limit stands in for a full disk. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	rl = old;
	rl.rlim_cur = 64 * 1024;
	setrlimit(RLIMIT_FSIZE, &rl);
	w = queue_create(dir, QUEUE_INCOMING, why);
	queue_rec(w, 'F', "a@b");
	queue_rec(w, 'R', "c@d");
	queue_data(w, big, n);
	buf_reset(why);
	errno = 0;
	ok(queue_commit(w, why) < 0, "commit fails when a write failed");
	saved = errno;
	setrlimit(RLIMIT_FSIZE, &old);
	ok(saved == EFBIG, "errno says why");
	ok(buf_len(why) > 0, "why says why");
	printf("# %s\n", buf_str(why));
	is_int(count_files(QUEUE_INCOMING, NULL), 0,
	    "the failed file is gone");
	free(big);
	buf_free(&why);
	buf_free(&path);
}

/*
 * test_insert - headers put in once the message is in: at the start, in
 * the middle of a message longer than queue_insert's copy chunk, at the
 * end; then more data; the file reads and verifies (size, checksum)
 */
static void
test_insert(void)
{
	struct buf *why = buf_new(64, 0), *path = buf_new(64, 0);
	struct buf *want = buf_new(1024, 0), *f;
	struct queue_writer *w;
	struct queue_msg m;
	char id[QUEUE_ID_MAX], line[80];
	const char *got, *head = "Top: 1\nReceived: by us\n"
	    "DKIM-Signature: v=1\nSubject: big\n";
	int i, fd;

	w = queue_create(dir, QUEUE_INCOMING, why);
	snprintf(id, sizeof(id), "%s", queue_writer_id(w));
	queue_rec(w, 'F', "bob@mired.org");
	queue_rec(w, 'R', "ana@mired.org");
	ok(queue_insert(w, 0, "X", 1) < 0,
	    "insert: refused before the message (not a sticky error)");
	buf_puts(want, "Received: by us\n");
	queue_data(w, "Received: by us\n", 16);
	buf_puts(want, "Subject: big\n\n");
	queue_data(w, "Subject: big\n\n", 14);
	for (i = 0; i < 3000; i++) {	/* ~150 KiB: three copy chunks */
		snprintf(line, sizeof(line), "line %05d of a long message, "
		    "to be moved by the insert\n", i);
		buf_puts(want, line);
		queue_data(w, line, strlen(line));
	}
	ok(queue_insert(w, 16, "DKIM-Signature: v=1\n", 20) == 0 &&
	    queue_insert(w, 0, "Top: 1\n", 7) == 0,
	    "insert: after the first header and at the start");
	ok(queue_insert(w, queue_writer_size(w) + 1, "x", 1) < 0,
	    "insert: refused past the end");
	ok(queue_insert(w, queue_writer_size(w), "end\n", 4) == 0,
	    "insert: at the very end");
	queue_data(w, "after\n", 6);
	buf_puts(want, "end\nafter\n");
	ok(queue_rec_late(w, 'R', "late@mired.org") < 0,
	    "late record: only attributes");
	ok(queue_rec_late(w, 'A', "folder=Junk") == 0,
	    "late record: an attribute after the message");
	ok(queue_commit(w, why) == 0, "insert: commit");
	queue_path(path, dir, QUEUE_INCOMING, id);
	fd = open(buf_str(path), O_RDONLY);
	ok(fd >= 0 && queue_read(fd, &m, why) == 0 &&
	    queue_verify(fd, &m, why) == 0,
	    "insert: the file reads, its size and checksum hold");
	is_int((long long)m.size, (long long)buf_len(want) + 27,
	    "insert: the S record counts the inserted bytes");
	is_str(queue_msg_attr(&m, "folder"), "Junk",
	    "late record: the reader finds it");
	queue_msg_free(&m);
	if (fd >= 0)
		close(fd);
	f = tap_slurp(buf_str(path));
	got = strstr(buf_str(f), "\nM\n");
	ok(got != NULL && strncmp(got + 3, head, strlen(head)) == 0,
	    "insert: the headers stand where they were put");
	ok(got != NULL && strcmp(got + 3 + strlen(head),
	    buf_str(want) + 16 + 13) == 0,
	    "insert: the rest of the message is unchanged");
	unlink(buf_str(path));
	buf_free(&f);
	buf_free(&want);
	buf_free(&why);
	buf_free(&path);
}

static void
test_corrupt(void)
{
	static const struct {
		const char *text, *name;
	} cases[] = {
		{ "", "empty file" },
		{ "T1 2\nS000000000000000\nFa@b\nRc@d\n", "no M record" },
		{ "T1 2\nS000000000000005\nFa@b\nRc@d\nM\nabc\n",
		    "message shorter than S" },
		{ "T1 2\nS000000000000003\nFa@b\nRc@d\nM\nabcdef\n",
		    "message longer than S" },
		{ "S000000000000004\nT1 2\nFa@b\nM\nabc\n", "S before T" },
		{ "T1 2\nS000000000000004\nRc@d\nM\nabc\n", "no F record" },
		{ "T1 2\nS000000000000004\nFa@b\nFa@b\nM\nabc\n",
		    "two F records" },
		{ "Tx 2\nS000000000000004\nFa@b\nM\nabc\n", "bad T" },
		{ "T1 2000000\nS000000000000004\nFa@b\nM\nabc\n",
		    "usec out of range" },
		{ "T1 2\nS-4\nFa@b\nM\nabc\n", "bad S" },
		{ "T1 2\nS000000000000004\nFa@b\nZzz\nM\nabc\n",
		    "unknown record" },
		{ "T1 2\nS000000000000004\nFa@b\nOorig\nM\nabc\n",
		    "O without R" },
		{ "T1 2\nS000000000000004\nFa@b\nNNEVER\nM\nabc\n",
		    "N without R" },
		{ "T1 2\nS000000000000004\nFa@b\nAx=y\nCrfc822;a@b\nM\nabc\n",
		    "C after an A, not after its R" },
		{ "T1 2\nS000000000000004\nFa@b\nRc@d\nNNEVER\nNNEVER\nM\n"
		    "abc\n", "two N records for one recipient" },
		{ "T1 2\nS000000000000004\nFa@b\nAnovalue\nM\nabc\n",
		    "A without =" },
		{ "T1 2\nS000000000000004\nFa@b\nR\nM\nabc\n", "empty R" },
		{ "T1 2\nS000000000000004\nFa@b\nMx\nabc\n", "bad M" },
		{ "T1 2\nS000000000000004\nFa@b\nRc@d", "unterminated" },
		{ "T1 2\nS000000000000004 0123456789abcdef 9\nFa@b\nM\nabc\n",
		    "a format newer than ours" },
		{ "T1 2\nS000000000000004 0123456789abcdef 2\nFa@b\nM\nabc\n",
		    "a format field below 3" },
		{ "T1 2\nS000000000000004 3\nFa@b\nM\nabc\n",
		    "a format field without a checksum" },
	};
	struct buf *why = buf_new(64, 0), *path = buf_new(64, 0);
	struct queue_msg m;
	size_t i;
	int r;

	buf_setf(path, "%s/%s/BAD", dir, QUEUE_INCOMING);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		spew(buf_str(path), cases[i].text, strlen(cases[i].text));
		r = read_path(buf_str(path), &m, why);
		ok(r == -1 && buf_len(why) > 0, cases[i].name);
		printf("# %s: %s\n", cases[i].name, buf_str(why));
	}
	spew(buf_str(path), "T1 2\nS000000000000004\nFa\0b\nM\nabc\n", 31);
	ok(read_path(buf_str(path), &m, why) == -1, "NUL in the envelope");
	spew(buf_str(path), "T1 2\nS4\nF\nRa%40b\nM\nabc\n", 23);
	ok(read_path(buf_str(path), &m, why) == 0 && m.size == 4 &&
	    strcmp(m.rcpt[0].addr, "a@b") == 0 && m.format == 1,
	    "a hand-made good file (short S) reads, as format 1");
	queue_msg_free(&m);
	unlink(buf_str(path));
	buf_free(&why);
	buf_free(&path);
}

static void
test_notify(void)
{
	struct buf *p = buf_new(64, 0);
	struct sockaddr_un sun;
	char got[64];
	ssize_t n;
	int lfd, cfd;

	queue_notify(dir, "ABC");	/* no qmgr: only a warning */
	ok(1, "notify without qmgr returns");
	buf_setf(p, "%s/public", dir);
	mkdir(buf_str(p), 0711);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/public/qmgr", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    listen(lfd, 5) == 0, "fake qmgr listens");
	queue_notify(dir, "65A1B2C3D4E5F");
	cfd = accept(lfd, NULL, NULL);
	memset(got, 0, sizeof(got));
	n = read(cfd, got, sizeof(got) - 1);
	ok(n > 0, "qmgr got a connection");
	is_str(got, "I65A1B2C3D4E5F\n", "and the I line");
	close(cfd);
	close(lfd);
	unlink(sun.sun_path);
	rmdir(buf_str(p));
	buf_free(&p);
}

/* commit_one - a committed file in incoming/ with body; its id in id */
static int
commit_one(const char *body, char *id, size_t len)
{
	struct buf *why = buf_new(64, 0);
	struct queue_writer *w;
	int r = -1;

	if ((w = queue_create(dir, QUEUE_INCOMING, why)) != NULL) {
		snprintf(id, len, "%s", queue_writer_id(w));
		queue_rec(w, 'F', "bob@mired.org");
		queue_rec(w, 'R', "ana@mired.org");
		queue_data(w, body, strlen(body));
		r = queue_commit(w, why);
	}
	buf_free(&why);
	return r;
}

/*
 * recycle_dirs - make (1) or remove (0) active/ and recycle/, which the
 * reuse of queue files needs: 0, or -1 when recycle/ could not be made
 * or removed.
 */
static int
recycle_dirs(int make)
{
	struct buf *a = buf_new(64, 0);
	int r;

	buf_setf(a, "%s/%s", dir, QUEUE_ACTIVE);
	if (make)
		(void)mkdir(buf_str(a), 0700);
	buf_setf(a, "%s/%s", dir, QUEUE_RECYCLE);
	r = make ? mkdir(buf_str(a), 0700) : rmdir(buf_str(a));
	if (!make) {
		buf_setf(a, "%s/%s", dir, QUEUE_ACTIVE);
		(void)rmdir(buf_str(a));
	}
	buf_free(&a);
	return r;
}

/*
 * test_recycle - a finished file in recycle/ is reused: same inode, only
 * the new content (cut to its length), the new id in its T record, a good
 * checksum; names with a dot and files with two links are not taken.
 */
static void
test_recycle(void)
{
	struct buf *why = buf_new(64, 0), *a = buf_new(64, 0);
	struct buf *b = buf_new(64, 0), *f;
	struct queue_writer *w;
	struct queue_msg m;
	struct stat st, st2;
	char old[QUEUE_ID_MAX], id[QUEUE_ID_MAX], big[3000];
	int fd;

	ok(recycle_dirs(1) == 0, "recycle/ made");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(commit_one(big, old, sizeof(old)) == 0, "a long message");
	queue_path(a, dir, QUEUE_INCOMING, old);
	stat(buf_str(a), &st);
	queue_path(b, dir, QUEUE_RECYCLE, old);
	ok(rename(buf_str(a), buf_str(b)) == 0, "finished: into recycle/");
	sleep(2);	/* past the pause after an empty recycle/ */

	ok(commit_one("Subject: new\n\nnew\n", id, sizeof(id)) == 0,
	    "a short message");
	queue_path(a, dir, QUEUE_INCOMING, id);
	ok(stat(buf_str(a), &st2) == 0 && st2.st_ino == st.st_ino,
	    "it reused the finished file (same inode)");
	ok(access(buf_str(b), F_OK) < 0, "which is gone from recycle/");
	f = tap_slurp(buf_str(a));
	ok(strstr(buf_str(f), "xxx") == NULL && strstr(buf_str(f), old) ==
	    NULL, "nothing of the old content is left");
	buf_free(&f);
	fd = open(buf_str(a), O_RDONLY);
	ok(queue_read(fd, &m, why) == 0 && strcmp(m.file_id, id) == 0 &&
	    queue_verify(fd, &m, why) == 0 && m.size == 18,
	    "it reads back as the new message, checksum good");
	queue_msg_free(&m);
	close(fd);

	/*
	 * A reused file is in incoming/ under its id, locked, from the
	 * start; until the commit it holds the old content, which readers
	 * call unfinished; after it, neither.
	 */
	queue_path(b, dir, QUEUE_RECYCLE, id);
	ok(rename(buf_str(a), buf_str(b)) == 0, "finished again");
	sleep(2);
	w = queue_create(dir, QUEUE_INCOMING, why);
	ok(w != NULL, "a writer takes it");
	queue_path(a, dir, QUEUE_INCOMING, w ? queue_writer_id(w) : "x");
	fd = open(buf_str(a), O_RDONLY);
	ok(fd >= 0 && queue_busy(fd) == 1,
	    "it is in incoming/ under its id, locked by the writer");
	ok(fd >= 0 && queue_unfinished(fd, queue_writer_id(w)) == 1,
	    "with the old content: unfinished");
	if (w != NULL) {
		queue_rec(w, 'F', "bob@mired.org");
		queue_rec(w, 'R', "ana@mired.org");
		queue_data(w, "Subject: n\n\nn\n", 14);
	}
	ok(w != NULL && queue_commit(w, why) == 0, "committed");
	ok(queue_busy(fd) == 0 && queue_unfinished(fd, id) == 1,
	    "then unlocked; its T record no longer names the old id");
	snprintf(id, sizeof(id), "%s", strrchr(buf_str(a), '/') + 1);
	ok(queue_unfinished(fd, id) == 0, "and it is not unfinished");
	close(fd);
	/* What a writer that died after its first flush leaves. */
	f = tap_slurp(buf_str(a));
	fd = open(buf_str(a), O_RDWR);
	ok(fd >= 0 && strchr(buf_str(f), '\n') != NULL &&
	    pwrite(fd, "000000000000000 0000000000000000", QUEUE_SIZE_REC,
	    strchr(buf_str(f), '\n') - buf_str(f) + 2) == QUEUE_SIZE_REC &&
	    queue_unfinished(fd, id) == 1, "an S record of zeros: unfinished");
	/* What a writer that died before its first write leaves (a spare). */
	ok(fd >= 0 && ftruncate(fd, 0) == 0 && queue_unfinished(fd, id) == 1,
	    "an empty file (a claimed spare): unfinished");
	buf_free(&f);
	close(fd);

	/* Names with a dot (qmgr's, not yet free) are never taken. */
	queue_path(b, dir, QUEUE_RECYCLE, "");
	buf_appendf(b, ".%s", id);
	rename(buf_str(a), buf_str(b));
	sleep(2);
	ok(commit_one("Subject: n2\n\nn2\n", old, sizeof(old)) == 0,
	    "another message");
	ok(access(buf_str(b), F_OK) == 0, "a dotted name in recycle/ stays");
	unlink(buf_str(b));
	queue_path(a, dir, QUEUE_INCOMING, old);
	unlink(buf_str(a));

	/* A file with a second link is not ours alone: not reused. */
	ok(commit_one("Subject: n3\n\nn3\n", old, sizeof(old)) == 0,
	    "a third message");
	queue_path(a, dir, QUEUE_INCOMING, old);
	queue_path(b, dir, QUEUE_RECYCLE, old);
	link(buf_str(a), buf_str(b));
	stat(buf_str(a), &st);
	sleep(2);
	ok(commit_one("Subject: n4\n\nn4\n", id, sizeof(id)) == 0,
	    "a fourth message");
	ok(stat(buf_str(a), &st2) == 0 && st2.st_nlink == 1 &&
	    st2.st_size == st.st_size, "the linked file was left alone");
	unlink(buf_str(a));
	queue_path(a, dir, QUEUE_INCOMING, id);
	unlink(buf_str(a));
	unlink(buf_str(b));
	(void)recycle_dirs(0);
	buf_free(&why);
	buf_free(&a);
	buf_free(&b);
}

/*
 * reuse_take - put incoming/id in recycle/ as qmgr does, let a writer
 * take it again and write a message; id becomes the writer's, *fd an open
 * descriptor of the file (or -1), *reused 1 when the writer took that
 * very file.  The writer, or NULL.
 */
static struct queue_writer *
reuse_take(char *id, size_t len, int *fd, int *reused)
{
	struct buf *why = buf_new(64, 0), *a = buf_new(64, 0);
	struct buf *b = buf_new(64, 0);
	struct queue_writer *w = NULL;

	*fd = -1;
	queue_path(a, dir, QUEUE_INCOMING, id);
	queue_path(b, dir, QUEUE_RECYCLE, id);
	if (rename(buf_str(a), buf_str(b)) == 0) {
		usleep(60 * 1000);	/* past the pause after an empty recycle/ */
		w = queue_create(dir, QUEUE_INCOMING, why);
	}
	if (w != NULL) {
		snprintf(id, len, "%s", queue_writer_id(w));
		queue_path(a, dir, QUEUE_INCOMING, id);
		*reused = access(buf_str(b), F_OK) < 0;
		*fd = open(buf_str(a), O_RDONLY);
		queue_rec(w, 'F', "bob@mired.org");
		queue_rec(w, 'R', "ana@mired.org");
		queue_data(w, "Subject: r\n\nr\n", 14);
	}
	buf_free(&why);
	buf_free(&a);
	buf_free(&b);
	return w;
}

/*
 * test_recycle_unlocked - the moment queue_commit() returns, a reused
 * file is no longer locked, every time: smtpd tells qmgr of it next, and
 * qmgr leaves a locked file to its writer (queue_busy).  The file's sync
 * runs through Linux AIO, which holds a reference to the open file until
 * the kernel lets it go, a while after the answer: close() alone would
 * leave the lock to that reference for a moment.
 */
static void
test_recycle_unlocked(void)
{
	struct buf *why = buf_new(64, 0), *a = buf_new(64, 0);
	struct queue_writer *w;
	char id[QUEUE_ID_MAX];
	int i, fd, one, reused = 0, busy = 0, gate[2];
	pid_t pid;

	(void)recycle_dirs(1);
	ok(commit_one("Subject: r\n\nr\n", id, sizeof(id)) == 0,
	    "a message to reuse");
	for (i = 0; i < 200; i++) {
		if ((w = reuse_take(id, sizeof(id), &fd, &one)) == NULL)
			break;
		reused += one;
		if (queue_commit(w, why) < 0 || fd < 0) {
			if (fd >= 0)
				close(fd);
			break;
		}
		busy += queue_busy(fd);
		close(fd);
	}
	is_int(i, 200, "200 reused files committed");
	is_int(reused, i, "each one a reused file");
	is_int(busy, 0, "none still locked when its commit returned");

	/*
	 * The same, deterministic: another reference to the open file (a
	 * child that inherited the writer's descriptor stands for the AIO
	 * request) outlives the writer's close.
	 */
	w = reuse_take(id, sizeof(id), &fd, &one);
	ok(w != NULL && one, "a writer takes it again");
	if (w != NULL) {
		if (pipe(gate) < 0 || (pid = fork()) < 0)
			pid = -1;
		if (pid == 0) {		/* holds every descriptor until told */
			char c;

			close(gate[1]);
			(void)read(gate[0], &c, 1);
			_exit(0);
		}
		ok(queue_commit(w, why) == 0, "committed with a second "
		    "reference to the file alive");
		ok(fd >= 0 && queue_busy(fd) == 0,
		    "and yet unlocked when the commit returned");
		if (pid > 0) {
			close(gate[0]);
			close(gate[1]);
			waitpid(pid, NULL, 0);
		}
	}
	if (fd >= 0)
		close(fd);
	queue_path(a, dir, QUEUE_INCOMING, id);
	unlink(buf_str(a));
	(void)recycle_dirs(0);
	buf_free(&why);
	buf_free(&a);
}

/*
 * test_fsyncs_begin - a sync begun and waited for later, while fsyncs()
 * runs syncs of its own in between (and may read the begun one's answer).
 */
static void
test_fsyncs_begin(void)
{
	struct fsyncs_op op, bad;
	int fd[2], err[2], dfd, fbad;

	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	fd[0] = open(dir, O_RDONLY | O_DIRECTORY);
	fd[1] = open(dir, O_RDONLY | O_DIRECTORY);
	fsyncs_begin(&op, dfd, 0);
	ok(op.state == FSYNCS_RUNNING || op.state == FSYNCS_IDLE,
	    "a sync begins");
	ok(fsyncs(2, fd, NULL, err) == 0 && err[0] == 0 && err[1] == 0,
	    "fsyncs() of others meanwhile");
	ok(fsyncs_end(&op) == 0 && op.state == FSYNCS_DONE,
	    "then the begun one ends, done and good");
	fbad = dup(dfd);
	close(fbad);		/* a descriptor that is not open */
	fsyncs_begin(&bad, fbad, 1);
	ok(fsyncs_end(&bad) < 0 && errno == EBADF,
	    "one on a closed descriptor fails with EBADF");
	close(fd[0]);
	close(fd[1]);
	close(dfd);
}

/* empty_incoming - remove what the tests before left in incoming/ */
static void
empty_incoming(void)
{
	struct buf *p = buf_new(64, 0);
	struct dirent *d;
	DIR *dp;

	buf_setf(p, "%s/%s", dir, QUEUE_INCOMING);
	if ((dp = opendir(buf_str(p))) == NULL)
		return;
	while ((d = readdir(dp)) != NULL)
		if (d->d_name[0] != '.')
			(void)unlinkat(dirfd(dp), d->d_name, 0);
	closedir(dp);
	buf_free(&p);
}

/* dir_sync_hook - count the syncs of incoming/; maybe fail them */
static int
dir_sync_hook(int fd)
{
	dir_syncs++;
	if (dir_sync_fail) {
		errno = dir_sync_fail;
		return -1;
	}
	return fsync(fd);
}

/*
 * test_shared_sync - incoming/ is synced through dirsync: the state in
 * private/incoming.sync, one sync per commit when alone, and a failed
 * sync of incoming/ fails the commit and takes the file back.
 */
static void
test_shared_sync(void)
{
	struct buf *why = buf_new(64, 0), *path = buf_new(64, 0);
	struct queue_writer *w;
	char id[QUEUE_ID_MAX];
	struct stat st;

	dirsync_fsync_hook = dir_sync_hook;
	ok(commit_one("hi\n", id, sizeof(id)) == 0, "a commit with "
	    "private/ there");
	buf_setf(path, "%s/private/incoming.sync", dir);
	ok(stat(buf_str(path), &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 0777) == 0600 && st.st_size == 4096,
	    "makes the shared state private/incoming.sync");
	is_int(dir_syncs, 1, "and one sync of incoming/");
	ok(commit_one("hi\n", id, sizeof(id)) == 0 && dir_syncs == 2,
	    "a writer alone makes one sync per commit");
	dir_sync_fail = EIO;
	w = queue_create(dir, QUEUE_INCOMING, why);
	snprintf(id, sizeof(id), "%s", w ? queue_writer_id(w) : "");
	ok(w != NULL && queue_rec(w, 'F', "") == 0 &&
	    queue_commit(w, why) < 0 && errno == EIO,
	    "a failed sync of incoming/ fails the commit");
	ok(strstr(buf_str(why), "fsync directory of") != NULL,
	    "and says so");
	queue_path(path, dir, QUEUE_INCOMING, id);
	ok(stat(buf_str(path), &st) < 0 && errno == ENOENT,
	    "and takes the file back");
	dir_sync_fail = 0;
	ok(commit_one("hi\n", id, sizeof(id)) == 0, "the next commit, once "
	    "the disk is well, succeeds");
	dirsync_fsync_hook = NULL;
	buf_free(&why);
	buf_free(&path);
}

int
main(void)
{
	struct buf *p = buf_new(64, 0);

	msg_init("queue.t", 0);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	buf_setf(p, "%s/%s", dir, QUEUE_INCOMING);
	mkdir(buf_str(p), 0700);
	buf_setf(p, "%s/private", dir);
	mkdir(buf_str(p), 0700);
	test_shared_sync();
	empty_incoming();
	buf_setf(p, "%s/%s", dir, QUEUE_INCOMING);
	test_roundtrip();
	test_encoding();
	test_abort_and_ids();
	test_big_and_failure();
	test_corrupt();
	test_insert();
	test_notify();
	test_recycle();
	test_recycle_unlocked();
	test_fsyncs_begin();
	rmdir(buf_str(p));
	buf_setf(p, "%s/private/incoming.sync", dir);
	unlink(buf_str(p));
	buf_setf(p, "%s/private", dir);
	rmdir(buf_str(p));
	rmdir(dir);
	buf_free(&p);
	plan(tap_n);		/* a trailing plan: the tables set the count */
	return done_testing();
}
