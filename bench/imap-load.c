/*
 * imap-load - the IMAP load generator of bench/imap.
 *
 * A small C client, so that the figures measure the servers and not the
 * client: bench/imap compiles it (cc -O2 -pthread; it includes load.h,
 * what it shares with pop3-load.c) and drives it.  It speaks plain
 * IMAP4rev1 (no TLS) to 127.0.0.1:PORT, one thread per session, and prints
 * one line of key=value results on stdout.
 *
 *	run	-j N sessions (user -u with %d = 1..N), each LOGIN and SELECT
 *		INBOX, then all start together and loop one kind of command
 *		(-c, below) for -t seconds or -n commands, whichever comes
 *		first.  Prints ops, secs, ops_per_s, lat_ms (mean), p95_ms,
 *		and with -c mix the same per kind (ops.KIND=, lat.KIND=).
 *	select	-r R fresh sessions one after the other: the time of SELECT
 *		INBOX and of FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE), the
 *		first time (cold) and the others (warm).
 *	idle	-N N sessions: LOGIN, SELECT INBOX, IDLE; prints "ready N"
 *		and waits for a line (or EOF) on stdin; then DONE, LOGOUT.
 *	wake	one session IDLEs on INBOX, another APPENDs to it, -r times:
 *		the delay from APPEND's OK to the "* n EXISTS" of the first.
 *
 * The kinds of command, as mail clients send them (sequence numbers are
 * picked at random in 1..EXISTS, ranges are 50 messages):
 *	select		SELECT INBOX again
 *	fetch-hdr	FETCH a:b (UID FLAGS RFC822.SIZE BODY.PEEK[
 *			HEADER.FIELDS (FROM TO SUBJECT DATE)]) (desktop)
 *	fetch-env	FETCH a:b (UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)
 *			(phone)
 *	fetch-body	FETCH n (BODY.PEEK[])
 *	store		STORE n +FLAGS (\Seen), -FLAGS, \Flagged in turn
 *	search-flag	SEARCH UNSEEN
 *	search-hdr	SEARCH FROM "..." / SEARCH SUBJECT "..."
 *	search-body	SEARCH BODY "..." (no index: every body is read)
 *	append		APPEND Sent (\Seen) with a 3 KB message (LITERAL+ when
 *			the server has it)
 *	copy		COPY n Trash
 *	move		MOVE n Archive (without MOVE: COPY, STORE
 *			\Deleted, EXPUNGE)
 *	expunge		STORE n +FLAGS.SILENT (\Deleted), then EXPUNGE
 *	idle		IDLE, then DONE at once
 *	warm		FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE
 *			BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)]): what
 *			a client's first sync reads (to warm caches, untimed)
 *	mix		all of the above, weighted as a day of a client is
 *			(appends go to INBOX and Sent so INBOX keeps its size)
 *
 * Any NO, BAD or BYE fails the run with a message on stderr: a benchmark
 * must not count errors as work.  -Q (not used by bench/imap) acknowledges
 * every read at once (TCP_QUICKACK): when that makes a server much faster,
 * the server waits on the client's delayed ACKs (Nagle's algorithm with
 * responses written in several pieces).
 */
#define _GNU_SOURCE		/* strcasestr */
#include <poll.h>
#include <stddef.h>

#define LOAD_NAME	"imap-load"
#include "load.h"

#define LOAD_HEAD	2048	/* bytes of each line kept for parsing */
#define LOAD_THREADS	1000

enum kind {
	K_SELECT, K_FETCH_HDR, K_FETCH_ENV, K_FETCH_BODY, K_STORE,
	K_SEARCH_FLAG, K_SEARCH_HDR, K_SEARCH_BODY, K_APPEND, K_COPY, K_MOVE,
	K_EXPUNGE, K_IDLE, K_WARM, K_NKINDS, K_MIX = K_NKINDS
};

static const char *const kind_names[] = {
	"select", "fetch-hdr", "fetch-env", "fetch-body", "store",
	"search-flag", "search-hdr", "search-body", "append", "copy", "move",
	"expunge", "idle", "warm", "mix"
};

/*
 * The mix: how often each kind comes, per 100 commands.  A client opening
 * folders, listing headers, reading some messages, marking them, now and
 * then searching, filing, deleting, sending; phones re-entering IDLE.
 * APPEND (half to INBOX) balances MOVE and EXPUNGE, so INBOX keeps its size.
 */
static const int mix_weight[K_NKINDS] = {
	[K_SELECT] = 5, [K_FETCH_HDR] = 15, [K_FETCH_ENV] = 8,
	[K_FETCH_BODY] = 20, [K_STORE] = 20, [K_SEARCH_FLAG] = 4,
	[K_SEARCH_HDR] = 3, [K_SEARCH_BODY] = 1, [K_APPEND] = 6,
	[K_COPY] = 3, [K_MOVE] = 3, [K_EXPUNGE] = 3, [K_IDLE] = 9,
};

#define CAP_LITERALPLUS	0x1
#define CAP_MOVE	0x2
#define CAP_IDLE	0x4

struct conn {
	struct load_io	 io;			/* first: see load.h */
	char		 head[LOAD_HEAD];	/* start of the last line */
	size_t		 headlen;
	char		 tail[32];		/* end of the last line */
	size_t		 taillen;
	unsigned	 tag;
	long		 exists;
	int		 caps;
	int		 saw_exists;		/* an EXISTS since last asked */
};

struct stat_kind {
	long long	 ops;
	double		 lat;			/* seconds, summed */
};

struct job {
	pthread_t	 tid;
	int		 index;
	char		 user[256];
	struct conn	*c;
	struct stat_kind k[K_NKINDS];
	double		*lat;			/* every latency, for p95 */
	size_t		 nlat, maxlat;
	double		 end;
	unsigned long long rng;
	int		 turn;
	char		 err[256];
};

static int opt_repeat = 5, opt_idle = 50;
static long opt_ops = 0;
static enum kind opt_kind = K_MIX;
static double load_start;
static char *append_msg;
static size_t append_len;

/* rnd - xorshift64*, one state per thread */
static unsigned long
rnd(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (unsigned long)((*s * 2685821657736338717ULL) >> 33);
}

/* conn_open - connect to the server */
static struct conn *
conn_open(char *err, size_t errlen)
{
	int fd;

	if ((fd = load_connect(opt_host, opt_port)) < 0) {
		snprintf(err, errlen, "connect port %d: %s", opt_port,
		    strerror(errno));
		return NULL;
	}
	return load_conn_new(sizeof(struct conn), fd);
}

/* conn_fill - read more bytes; -1 on EOF or error */
static int
conn_fill(struct conn *c)
{
	/* A full buffer is not an error: the caller consumes first. */
	return load_io_fill(&c->io) < 0 ? -1 : 0;
}

/*
 * conn_segment - read up to and including the next LF, keeping the first
 * LOAD_HEAD bytes in head (appended to what is there) and the last bytes
 * in tail.  A line of any length streams through.
 */
static int
conn_segment(struct conn *c)
{
	struct load_io *io = &c->io;
	char *p, *nl;
	size_t n, k;

	c->taillen = 0;
	for (;;) {
		if (io->off == io->len && conn_fill(c) < 0)
			return -1;
		p = io->buf + io->off;
		nl = memchr(p, '\n', io->len - io->off);
		n = nl != NULL ? (size_t)(nl - p) + 1 : io->len - io->off;
		k = n < LOAD_HEAD - 1 - c->headlen ? n :
		    LOAD_HEAD - 1 - c->headlen;
		memcpy(c->head + c->headlen, p, k);
		c->headlen += k;
		c->head[c->headlen] = '\0';
		if (n >= sizeof(c->tail)) {
			memcpy(c->tail, p + n - sizeof(c->tail),
			    sizeof(c->tail));
			c->taillen = sizeof(c->tail);
		} else {
			if (c->taillen + n > sizeof(c->tail)) {
				size_t drop = c->taillen + n - sizeof(c->tail);

				memmove(c->tail, c->tail + drop,
				    c->taillen - drop);
				c->taillen -= drop;
			}
			memcpy(c->tail + c->taillen, p, n);
			c->taillen += n;
		}
		io->off += n;
		if (nl != NULL)
			return 0;
	}
}

/* conn_skip - read and drop n bytes (a literal) */
static int
conn_skip(struct conn *c, unsigned long long n)
{
	struct load_io *io = &c->io;
	size_t k;

	while (n > 0) {
		if (io->off == io->len && conn_fill(c) < 0)
			return -1;
		k = io->len - io->off < n ? io->len - io->off : n;
		io->off += k;
		n -= k;
	}
	return 0;
}

/* literal_at_end - the n of a "{n}" or "{n+}" that ends the segment, or -1 */
static long long
literal_at_end(const struct conn *c)
{
	const char *t = c->tail, *e = c->tail + c->taillen, *p;

	if (e > t && e[-1] == '\n')
		e--;
	if (e > t && e[-1] == '\r')
		e--;
	if (e == t || e[-1] != '}')
		return -1;
	e--;
	if (e > t && e[-1] == '+')
		e--;
	for (p = e; p > t && p[-1] >= '0' && p[-1] <= '9'; p--)
		;
	if (p == e || p == t || p[-1] != '{')
		return -1;
	return strtoll(p, NULL, 10);
}

/*
 * conn_line - one whole response line: literals inside it are read and
 * dropped.  head then holds its start (literals' bytes left out).
 */
static int
conn_line(struct conn *c)
{
	long long lit;

	c->headlen = 0;
	for (;;) {
		if (conn_segment(c) < 0)
			return -1;
		if ((lit = literal_at_end(c)) < 0)
			return 0;
		if (conn_skip(c, lit) < 0)
			return -1;
	}
}

/* conn_untagged - note EXISTS, EXPUNGE, CAPABILITY of an untagged line */
static void
conn_untagged(struct conn *c)
{
	char *p = c->head + 2, *end;
	long n;

	n = strtol(p, &end, 10);
	if (end != p) {
		if (strncasecmp(end, " EXISTS", 7) == 0) {
			c->exists = n;
			c->saw_exists = 1;
		} else if (strncasecmp(end, " EXPUNGE", 8) == 0)
			c->exists--;
		return;
	}
	if (strncasecmp(p, "CAPABILITY ", 11) == 0 ||
	    strncasecmp(p, "OK [CAPABILITY ", 15) == 0) {
		c->caps = 0;
		if (strcasestr(p, " LITERAL+") != NULL)
			c->caps |= CAP_LITERALPLUS;
		if (strcasestr(p, " MOVE") != NULL)
			c->caps |= CAP_MOVE;
		if (strcasestr(p, " IDLE") != NULL)
			c->caps |= CAP_IDLE;
	}
}

/* conn_send - write all of it */
static int
conn_send(struct conn *c, const char *p, size_t n)
{
	return load_io_send(&c->io, p, n);
}

/*
 * conn_wait - read lines up to the tagged reply of tag; untagged ones
 * are noted.  0 for OK; -1 with the reply in err otherwise.
 */
static int
conn_wait(struct conn *c, const char *tag, char *err, size_t errlen)
{
	size_t tl = strlen(tag);

	for (;;) {
		if (conn_line(c) < 0) {
			snprintf(err, errlen, "connection closed");
			return -1;
		}
		if (c->head[0] == '*' && c->head[1] == ' ') {
			if (strncasecmp(c->head + 2, "BYE", 3) == 0) {
				snprintf(err, errlen, "%.200s", c->head);
				return -1;
			}
			conn_untagged(c);
			continue;
		}
		if (strncmp(c->head, tag, tl) == 0 && c->head[tl] == ' ') {
			if (strncasecmp(c->head + tl + 1, "OK", 2) == 0)
				return 0;
			snprintf(err, errlen, "%.200s", c->head);
			return -1;
		}
		/* "+ " continuations are handled by the callers. */
	}
}

/* conn_cmd - send a tagged command and wait for its reply */
static int __attribute__((format(printf, 4, 5)))
conn_cmd(struct conn *c, char *err, size_t errlen, const char *fmt, ...)
{
	char line[1024], tag[16];
	va_list ap;
	int n;

	snprintf(tag, sizeof(tag), "a%u", ++c->tag);
	n = snprintf(line, sizeof(line), "%s ", tag);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 2, fmt, ap);
	va_end(ap);
	memcpy(line + n, "\r\n", 2);
	if (conn_send(c, line, n + 2) < 0) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return conn_wait(c, tag, err, errlen);
}

/* conn_login - greeting, LOGIN, CAPABILITY; 0 or -1 with err */
static int
conn_login(struct conn *c, const char *user, char *err, size_t errlen)
{
	if (conn_line(c) < 0 || strncasecmp(c->head, "* OK", 4) != 0) {
		snprintf(err, errlen, "bad greeting: %.200s", c->head);
		return -1;
	}
	conn_untagged(c);
	if (conn_cmd(c, err, errlen, "LOGIN \"%s\" \"%s\"", user, opt_pass) < 0)
		return -1;
	return conn_cmd(c, err, errlen, "CAPABILITY");
}

/*
 * conn_continue - wait for the "+" continuation of command what (untagged
 * lines are noted); -1 with err when anything else comes
 */
static int
conn_continue(struct conn *c, const char *what, char *err, size_t errlen)
{
	for (;;) {
		if (conn_line(c) < 0) {
			snprintf(err, errlen, "connection closed in %s", what);
			return -1;
		}
		if (c->head[0] == '+')
			return 0;
		if (c->head[0] == '*') {
			conn_untagged(c);
			continue;
		}
		snprintf(err, errlen, "%s refused: %.200s", what, c->head);
		return -1;
	}
}

/* conn_append - APPEND the bench message to a mailbox */
static int
conn_append(struct conn *c, const char *mailbox, char *err, size_t errlen)
{
	char line[256], tag[16];
	int n;

	snprintf(tag, sizeof(tag), "a%u", ++c->tag);
	if (c->caps & CAP_LITERALPLUS) {
		n = snprintf(line, sizeof(line),
		    "%s APPEND %s (\\Seen) {%zu+}\r\n", tag, mailbox,
		    append_len);
		if (conn_send(c, line, n) < 0 ||
		    conn_send(c, append_msg, append_len) < 0 ||
		    conn_send(c, "\r\n", 2) < 0) {
			snprintf(err, errlen, "write: %s", strerror(errno));
			return -1;
		}
		return conn_wait(c, tag, err, errlen);
	}
	n = snprintf(line, sizeof(line), "%s APPEND %s (\\Seen) {%zu}\r\n",
	    tag, mailbox, append_len);
	if (conn_send(c, line, n) < 0) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	if (conn_continue(c, "APPEND", err, errlen) < 0)
		return -1;
	if (conn_send(c, append_msg, append_len) < 0 ||
	    conn_send(c, "\r\n", 2) < 0) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return conn_wait(c, tag, err, errlen);
}

/* conn_idle - IDLE, wait for the continuation; DONE is sent by the caller */
static int
conn_idle_start(struct conn *c, char *tag, size_t taglen, char *err,
    size_t errlen)
{
	char line[64];
	int n;

	snprintf(tag, taglen, "a%u", ++c->tag);
	n = snprintf(line, sizeof(line), "%s IDLE\r\n", tag);
	if (conn_send(c, line, n) < 0) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return conn_continue(c, "IDLE", err, errlen);
}

/* conn_idle_done - DONE, and the tagged OK of the IDLE */
static int
conn_idle_done(struct conn *c, const char *tag, char *err, size_t errlen)
{
	if (conn_send(c, "DONE\r\n", 6) < 0) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return conn_wait(c, tag, err, errlen);
}

/* make_message - the 3 KB message APPEND sends (CRLF line ends) */
static void
make_message(void)
{
	static const char body[] = "The benchmark appends this message as a "
	    "client saves what it sent.  Lorem ipsum dolor sit amet.\r\n";
	size_t cap = 4096, n;

	append_msg = malloc(cap);
	n = snprintf(append_msg, cap,
	    "From: Ana <ana@mired.org>\r\n"
	    "To: Bob <bob@mired.org>\r\n"
	    "Subject: sent by imap-load\r\n"
	    "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
	    "Message-ID: <imap-load.%ld@mired.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "\r\n", (long)getpid());
	while (n + sizeof(body) < 3072) {
		memcpy(append_msg + n, body, sizeof(body) - 1);
		n += sizeof(body) - 1;
	}
	append_len = n;
}

/* range - a random window of up to 50 messages: "a:b" */
static void
range(struct job *j, char *out, size_t outlen)
{
	long n = j->c->exists, a;

	if (n <= 50)
		a = 1;
	else
		a = 1 + rnd(&j->rng) % (n - 49);
	snprintf(out, outlen, "%ld:%ld", a, a + 49 < n ? a + 49 : n);
}

/* pick - a random sequence number */
static long
pick(struct job *j)
{
	return 1 + (long)(rnd(&j->rng) % (unsigned long)j->c->exists);
}

/* one - run one command of a kind; -1 on error (err in j->err) */
static int
one(struct job *j, enum kind k)
{
	static const char *const from[] = { "bob", "carol", "dave", "list" };
	static const char *const words[] = { "configuration", "Maildir",
	    "phone", "queue" };
	struct conn *c = j->c;
	char r[64], tag[16];
	char *e = j->err;
	size_t el = sizeof(j->err);
	int t = j->turn++;

	if (c->exists < 2 && k != K_SELECT && k != K_APPEND && k != K_IDLE &&
	    k != K_SEARCH_FLAG && k != K_SEARCH_HDR && k != K_SEARCH_BODY) {
		snprintf(e, el, "INBOX is empty");
		return -1;
	}
	switch (k) {
	case K_SELECT:
		return conn_cmd(c, e, el, "SELECT INBOX");
	case K_FETCH_HDR:
		range(j, r, sizeof(r));
		return conn_cmd(c, e, el, "FETCH %s (UID FLAGS RFC822.SIZE "
		    "BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])", r);
	case K_FETCH_ENV:
		range(j, r, sizeof(r));
		return conn_cmd(c, e, el, "FETCH %s (UID FLAGS RFC822.SIZE "
		    "ENVELOPE BODYSTRUCTURE)", r);
	case K_FETCH_BODY:
		return conn_cmd(c, e, el, "FETCH %ld (BODY.PEEK[])", pick(j));
	case K_STORE:
		return conn_cmd(c, e, el, "STORE %ld %cFLAGS (%s)", pick(j),
		    t % 4 < 2 ? '+' : '-', t % 2 ? "\\Flagged" : "\\Seen");
	case K_SEARCH_FLAG:
		return conn_cmd(c, e, el, "SEARCH UNSEEN");
	case K_SEARCH_HDR:
		if (t % 2)
			return conn_cmd(c, e, el, "SEARCH FROM \"%s\"",
			    from[rnd(&j->rng) % 4]);
		return conn_cmd(c, e, el, "SEARCH SUBJECT \"message %lu\"",
		    rnd(&j->rng) % 1000);
	case K_SEARCH_BODY:
		return conn_cmd(c, e, el, "SEARCH BODY \"%s\"",
		    words[rnd(&j->rng) % 4]);
	case K_APPEND:
		return conn_append(c, opt_kind == K_MIX && t % 2 ? "INBOX" :
		    "Sent", e, el);
	case K_COPY:
		return conn_cmd(c, e, el, "COPY %ld Trash", pick(j));
	case K_MOVE:
		if (c->caps & CAP_MOVE)
			return conn_cmd(c, e, el, "MOVE %ld Archive", pick(j));
		snprintf(r, sizeof(r), "%ld", pick(j));
		if (conn_cmd(c, e, el, "COPY %s Archive", r) < 0 ||
		    conn_cmd(c, e, el, "STORE %s +FLAGS.SILENT (\\Deleted)",
		    r) < 0)
			return -1;
		return conn_cmd(c, e, el, "EXPUNGE");
	case K_EXPUNGE:
		if (conn_cmd(c, e, el, "STORE %ld +FLAGS.SILENT (\\Deleted)",
		    pick(j)) < 0)
			return -1;
		return conn_cmd(c, e, el, "EXPUNGE");
	case K_WARM:
		return conn_cmd(c, e, el, "FETCH 1:* (UID FLAGS RFC822.SIZE "
		    "ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (FROM TO "
		    "SUBJECT DATE)])");
	case K_IDLE:
		if (conn_idle_start(c, tag, sizeof(tag), e, el) < 0)
			return -1;
		return conn_idle_done(c, tag, e, el);
	default:
		break;
	}
	snprintf(e, el, "bad kind %d", (int)k);
	return -1;
}

/* mix_pick - a kind drawn by mix_weight */
static enum kind
mix_pick(struct job *j)
{
	int total = 0, x, k;

	for (k = 0; k < K_NKINDS; k++)
		total += mix_weight[k];
	x = rnd(&j->rng) % total;
	for (k = 0; k < K_NKINDS; k++)
		if ((x -= mix_weight[k]) < 0)
			return (enum kind)k;
	return K_FETCH_BODY;
}

/* job_run - one session: log in, select, wait for all, loop commands */
static void *
job_run(void *arg)
{
	struct job *j = arg;
	double t0, t1, deadline;
	enum kind k;
	long done = 0;
	int failed = 0;

	if ((j->c = conn_open(j->err, sizeof(j->err))) == NULL ||
	    conn_login(j->c, j->user, j->err, sizeof(j->err)) < 0 ||
	    conn_cmd(j->c, j->err, sizeof(j->err), "SELECT INBOX") < 0)
		failed = 1;
	pthread_barrier_wait(&load_barrier);
	if (failed) {
		j->end = now();
		return NULL;
	}
	deadline = load_start + opt_time;
	while ((t0 = now()) < deadline && (opt_ops == 0 || done < opt_ops)) {
		k = opt_kind == K_MIX ? mix_pick(j) : opt_kind;
		if (one(j, k) < 0) {
			failed = 1;
			break;
		}
		t1 = now();
		j->k[k].ops++;
		j->k[k].lat += t1 - t0;
		if (j->nlat == j->maxlat) {
			j->maxlat = j->maxlat ? 2 * j->maxlat : 4096;
			j->lat = realloc(j->lat, j->maxlat * sizeof(*j->lat));
			if (j->lat == NULL)
				fatal("out of memory");
		}
		j->lat[j->nlat++] = t1 - t0;
		done++;
	}
	j->end = now();
	if (!failed) {
		(void)conn_cmd(j->c, j->err, sizeof(j->err), "LOGOUT");
		j->err[0] = '\0';
	}
	load_conn_free(j->c);
	return NULL;
}

/* cmp_double - for qsort */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* mode_run - the run mode */
static int
mode_run(void)
{
	struct job *jobs;
	struct stat_kind tot[K_NKINDS];
	double *all, end = 0, secs, sum = 0;
	size_t nall = 0, i, n;
	long long ops = 0;
	int k, bad = 0;

	jobs = load_jobs(opt_jobs, sizeof(*jobs));
	for (i = 0; i < (size_t)opt_jobs; i++) {
		jobs[i].index = i + 1;
		jobs[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1) +
		    (unsigned)getpid();
		load_user(jobs[i].user, sizeof(jobs[i].user), opt_user, i + 1);
	}
	load_threads(jobs, sizeof(*jobs), offsetof(struct job, tid), opt_jobs,
	    job_run);
	load_start = now();
	pthread_barrier_wait(&load_barrier);
	load_start = now();
	for (i = 0; i < (size_t)opt_jobs; i++)
		pthread_join(jobs[i].tid, NULL);
	memset(tot, 0, sizeof(tot));
	for (i = 0; i < (size_t)opt_jobs; i++) {
		if (jobs[i].err[0] != '\0') {
			fprintf(stderr, "imap-load: session %zu (%s): %s\n",
			    i + 1, jobs[i].user, jobs[i].err);
			bad++;
		}
		if (jobs[i].end > end)
			end = jobs[i].end;
		for (k = 0; k < K_NKINDS; k++) {
			tot[k].ops += jobs[i].k[k].ops;
			tot[k].lat += jobs[i].k[k].lat;
		}
		nall += jobs[i].nlat;
	}
	all = malloc((nall + 1) * sizeof(*all));
	for (n = 0, i = 0; i < (size_t)opt_jobs; i++) {
		memcpy(all + n, jobs[i].lat, jobs[i].nlat * sizeof(*all));
		n += jobs[i].nlat;
	}
	qsort(all, nall, sizeof(*all), cmp_double);
	for (k = 0; k < K_NKINDS; k++) {
		ops += tot[k].ops;
		sum += tot[k].lat;
	}
	secs = end - load_start;
	printf("kind=%s ops=%lld secs=%.3f ops_per_s=%.1f lat_ms=%.3f "
	    "p95_ms=%.3f failed=%d", kind_names[opt_kind], ops, secs,
	    secs > 0 ? ops / secs : 0, ops ? 1000 * sum / ops : 0,
	    nall ? 1000 * all[(size_t)(0.95 * (nall - 1))] : 0, bad);
	if (opt_kind == K_MIX)
		for (k = 0; k < K_NKINDS; k++)
			printf(" ops.%s=%lld lat.%s=%.3f", kind_names[k],
			    tot[k].ops, kind_names[k], tot[k].ops ?
			    1000 * tot[k].lat / tot[k].ops : 0);
	printf("\n");
	return bad ? 1 : 0;
}

/* mode_select - SELECT and FETCH 1:* times on fresh sessions */
static int
mode_select(void)
{
	char err[256], user[256];
	struct conn *c;
	double t0, t1, t2;
	int r;

	load_user(user, sizeof(user), opt_user, 1);
	printf("select_ms=");
	for (r = 0; r < opt_repeat; r++) {
		if ((c = conn_open(err, sizeof(err))) == NULL ||
		    conn_login(c, user, err, sizeof(err)) < 0)
			fatal("%s: %s", user, err);
		t0 = now();
		if (conn_cmd(c, err, sizeof(err), "SELECT INBOX") < 0)
			fatal("SELECT: %s", err);
		t1 = now();
		if (conn_cmd(c, err, sizeof(err),
		    "FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)") < 0)
			fatal("FETCH: %s", err);
		t2 = now();
		printf("%s%.2f/%.2f", r ? "," : "", 1000 * (t1 - t0),
		    1000 * (t2 - t1));
		(void)conn_cmd(c, err, sizeof(err), "LOGOUT");
		if (r == opt_repeat - 1)
			printf(" exists=%ld", c->exists);
		load_conn_free(c);
	}
	printf("\n");
	return 0;
}

/* mode_idle - N sessions idling until told to stop */
static int
mode_idle(void)
{
	struct conn **cs;
	char err[256], user[256], line[64], (*tags)[16];
	int i;

	cs = calloc(opt_idle, sizeof(*cs));
	tags = calloc(opt_idle, sizeof(*tags));
	for (i = 0; i < opt_idle; i++) {
		load_user(user, sizeof(user), opt_user, i + 1);
		if ((cs[i] = conn_open(err, sizeof(err))) == NULL ||
		    conn_login(cs[i], user, err, sizeof(err)) < 0 ||
		    conn_cmd(cs[i], err, sizeof(err), "SELECT INBOX") < 0 ||
		    conn_idle_start(cs[i], tags[i], sizeof(tags[i]), err,
		    sizeof(err)) < 0)
			fatal("idle session %d (%s): %s", i + 1, user, err);
	}
	printf("ready %d\n", opt_idle);
	fflush(stdout);
	(void)fgets(line, sizeof(line), stdin);
	for (i = 0; i < opt_idle; i++) {
		if (conn_idle_done(cs[i], tags[i], err, sizeof(err)) < 0)
			fatal("idle session %d: %s", i + 1, err);
		(void)conn_cmd(cs[i], err, sizeof(err), "LOGOUT");
		load_conn_free(cs[i]);
	}
	printf("done\n");
	return 0;
}

/* mode_wake - IDLE notification delay after another session's APPEND */
static int
mode_wake(void)
{
	struct conn *a, *b;
	char err[256], user[256], tag[16];
	double *d, t1, t2;
	struct pollfd pfd;
	int r, got;

	load_user(user, sizeof(user), opt_user, 1);
	d = calloc(opt_repeat, sizeof(*d));
	if ((a = conn_open(err, sizeof(err))) == NULL ||
	    conn_login(a, user, err, sizeof(err)) < 0 ||
	    conn_cmd(a, err, sizeof(err), "SELECT INBOX") < 0 ||
	    (b = conn_open(err, sizeof(err))) == NULL ||
	    conn_login(b, user, err, sizeof(err)) < 0)
		fatal("%s: %s", user, err);
	if (conn_idle_start(a, tag, sizeof(tag), err, sizeof(err)) < 0)
		fatal("IDLE: %s", err);
	for (r = 0; r < opt_repeat; r++) {
		a->saw_exists = 0;
		if (conn_append(b, "INBOX", err, sizeof(err)) < 0)
			fatal("APPEND: %s", err);
		t1 = now();
		for (got = 0; !got;) {
			if (a->io.off == a->io.len) {
				pfd.fd = a->io.fd;
				pfd.events = POLLIN;
				if (poll(&pfd, 1, 10000) <= 0)
					fatal("no EXISTS 10 s after APPEND");
			}
			if (conn_line(a) < 0)
				fatal("IDLE session closed");
			if (a->head[0] == '*') {
				conn_untagged(a);
				got = a->saw_exists;
			}
		}
		t2 = now();
		d[r] = t2 - t1;
		usleep(20000);
	}
	if (conn_idle_done(a, tag, err, sizeof(err)) < 0)
		fatal("DONE: %s", err);
	qsort(d, opt_repeat, sizeof(*d), cmp_double);
	printf("wake_ms=%.2f wake_max_ms=%.2f\n",
	    1000 * d[(opt_repeat - 1) / 2], 1000 * d[opt_repeat - 1]);
	(void)conn_cmd(a, err, sizeof(err), "LOGOUT");
	(void)conn_cmd(b, err, sizeof(err), "LOGOUT");
	load_conn_free(a);
	load_conn_free(b);
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *kind = "mix";
	static const struct load_opt opts[] = {
		{ 'c', .str = &kind },
		{ 'n', .lnum = &opt_ops },
		{ 'N', .num = &opt_idle },
		{ 'Q', .flag = &load_quickack },
		{ 'r', .num = &opt_repeat },
		{ 0 }
	};
	static const struct load_mode modes[] = {
		{ "run", mode_run },
		{ "select", mode_select },
		{ "idle", mode_idle },
		{ "wake", mode_wake },
		{ NULL, NULL }
	};
	const struct load_mode *m;
	int k;

	if ((m = load_args(argc, argv, opts, modes)) == NULL ||
	    opt_port <= 0 || opt_repeat < 1 || opt_idle < 1)
		load_usage("run|select|idle|wake -p PORT [-h ADDR] [-u USER] "
		    "[-P PASS] [-j SESSIONS] [-c KIND] [-t SECS] [-n OPS] "
		    "[-r REPEAT] [-N IDLE] [-Q]");
	for (k = 0; k <= K_MIX; k++)
		if (strcmp(kind, kind_names[k]) == 0)
			break;
	if (k > K_MIX)
		fatal("unknown kind %s", kind);
	opt_kind = (enum kind)k;
	signal(SIGPIPE, SIG_IGN);
	make_message();
	return m->run();
}
