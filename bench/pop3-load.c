/*
 * pop3-load - the POP3 load generator of bench/pop3.
 *
 * A small C client, so that the figures measure the servers and not the
 * client: bench/pop3 compiles it (cc -O2 -pthread; it includes load.h,
 * what it shares with imap-load.c) and drives it.  It speaks plain POP3
 * (no TLS) to 127.0.0.1:PORT and prints one line of key=value results on
 * stdout.
 *
 *	retr	sessions of USER/PASS, LIST, RETR of every message, QUIT;
 *		-j N runs N of them at once on N mailboxes (threads, one
 *		session each, started together); -w W keeps up to W RETR
 *		commands in flight (pipelining; 1: one at a time, as mail
 *		clients do).
 *	login	-j N threads each loop connect, USER, PASS, QUIT for -t
 *		seconds; counts the logins that got "+OK" to PASS.
 *	idle	-n N sessions, logged in one after the other; prints
 *		"ready N" and waits for a line (or EOF) on stdin; then QUIT.
 *	serve	a trivial POP3 server answering from memory (-n messages of
 *		-s octets), to measure the client's own ceiling.
 *
 * A user name may hold one "%d" (or "%02d"...), replaced by the
 * session's number counted from -b (default 1).  Replies that are not
 * "+OK" make the run fail with a message on stderr: a benchmark must not
 * count errors as work.
 */
#include <stddef.h>

#define LOAD_NAME	"pop3-load"
#include "load.h"

struct conn {
	struct load_io	 io;		/* first: see load.h */
	long long	 bytes;		/* multi-line octets, CRLF.CRLF too */
};

struct job {
	pthread_t	 tid;
	int		 index;
	char		 user[256];
	long long	 msgs, bytes, logins, fails;
	double		 start, end;
	int		 failed;
	struct conn	*c;		/* idle mode: the open session */
};

static int opt_window = 1, opt_base = 1;
static int opt_count = 1000, opt_size = 2400;
static volatile int load_stop;

/* conn_open - connect to the server; NULL with errno on failure */
static struct conn *
conn_open(void)
{
	int fd;

	if ((fd = load_connect(opt_host, opt_port)) < 0)
		return NULL;
	return load_conn_new(sizeof(struct conn), fd);
}

/* conn_send - write a whole command; -1 on error */
static int
conn_send(struct conn *c, const char *p, size_t n)
{
	return load_io_send(&c->io, p, n);
}

/*
 * conn_line - the next line into out (NUL-terminated, CRLF stripped,
 * truncated to size); -1 on EOF (or a line longer than the buffer).
 */
static int
conn_line(struct conn *c, char *out, size_t size)
{
	return load_io_line(&c->io, out, size);
}

/*
 * conn_multi - skip a multi-line body up to its ".CRLF", counting its
 * octets in c->bytes and its lines in *lines (when not NULL); -1 on EOF.
 */
static int
conn_multi(struct conn *c, long long *lines)
{
	struct load_io *io = &c->io;
	char *p, *nl;
	size_t n;

	for (;;) {
		while (io->off < io->len) {
			p = io->buf + io->off;
			nl = memchr(p, '\n', io->len - io->off);
			if (nl == NULL)
				break;
			n = (size_t)(nl - p) + 1;
			io->off += n;
			c->bytes += (long long)n;
			if (n == 3 && p[0] == '.' && p[1] == '\r')
				return 0;
			if (n == 2 && p[0] == '.')
				return 0;
			if (lines != NULL)
				(*lines)++;
		}
		if (io->off == 0 && io->len == LOAD_BUF) {
			/* A line longer than the buffer: count, drop. */
			c->bytes += (long long)io->len - 1;
			io->buf[0] = io->buf[io->len - 1];
			io->len = 1;
		}
		if (load_io_fill(io) != 0)
			return -1;
	}
}

/* conn_cmd - send a command and expect "+OK"; -1 with the reply in err */
static int
conn_cmd(struct conn *c, const char *cmd, char *err, size_t size)
{
	if (conn_send(c, cmd, strlen(cmd)) < 0 || conn_line(c, err, size) < 0) {
		snprintf(err, size, "connection lost");
		return -1;
	}
	return strncmp(err, "+OK", 3) == 0 ? 0 : -1;
}

/* conn_login - greeting, USER, PASS; NULL (with err) unless "+OK" */
static struct conn *
conn_login(const char *user, char *err, size_t size)
{
	struct conn *c;
	char cmd[600];

	if ((c = conn_open()) == NULL) {
		snprintf(err, size, "connect: %s", strerror(errno));
		return NULL;
	}
	if (conn_line(c, err, size) < 0 || strncmp(err, "+OK", 3) != 0)
		goto fail;
	snprintf(cmd, sizeof(cmd), "USER %s\r\n", user);
	if (conn_cmd(c, cmd, err, size) < 0)
		goto fail;
	snprintf(cmd, sizeof(cmd), "PASS %s\r\n", opt_pass);
	if (conn_cmd(c, cmd, err, size) < 0)
		goto fail;
	return c;
fail:
	load_conn_free(c);
	return NULL;
}

/* retr_session - one whole session: login, LIST, RETR all, QUIT */
static void *
retr_session(void *arg)
{
	struct job *j = arg;
	struct conn *c;
	char line[1024], cmd[64];
	long long n = 0, sent, got;

	pthread_barrier_wait(&load_barrier);
	j->start = now();
	if ((c = conn_login(j->user, line, sizeof(line))) == NULL)
		goto fail;
	if (conn_cmd(c, "LIST\r\n", line, sizeof(line)) < 0 ||
	    conn_multi(c, &n) < 0)
		goto fail;
	c->bytes = 0;
	for (sent = got = 0; got < n;) {
		/* Keep up to opt_window commands in flight. */
		while (sent < n && sent - got < opt_window) {
			snprintf(cmd, sizeof(cmd), "RETR %lld\r\n", ++sent);
			if (conn_send(c, cmd, strlen(cmd)) < 0)
				goto fail;
		}
		if (conn_line(c, line, sizeof(line)) < 0 ||
		    strncmp(line, "+OK", 3) != 0 || conn_multi(c, NULL) < 0)
			goto fail;
		got++;
	}
	j->bytes = c->bytes;
	if (conn_cmd(c, "QUIT\r\n", line, sizeof(line)) < 0)
		goto fail;
	j->msgs = n;
	goto out;
fail:
	fprintf(stderr, "pop3-load: %s: %s\n", j->user, line);
	j->failed = 1;
out:
	j->end = now();
	load_conn_free(c);
	return NULL;
}

/* login_loop - log in and out until told to stop */
static void *
login_loop(void *arg)
{
	struct job *j = arg;
	struct conn *c;
	char line[1024];

	pthread_barrier_wait(&load_barrier);
	while (!load_stop) {
		if ((c = conn_login(j->user, line, sizeof(line))) == NULL ||
		    conn_cmd(c, "QUIT\r\n", line, sizeof(line)) < 0) {
			if (j->fails++ < 3)
				fprintf(stderr, "pop3-load: %s: %s\n",
				    j->user, line);
		} else
			j->logins++;
		load_conn_free(c);
	}
	return NULL;
}

/* run_jobs - start opt_jobs threads of fn together; the jobs */
static struct job *
run_jobs(void *(*fn)(void *), int wait)
{
	struct job *jobs;
	int i;

	jobs = load_jobs(opt_jobs, sizeof(*jobs));
	for (i = 0; i < opt_jobs; i++) {
		jobs[i].index = i;
		load_user(jobs[i].user, sizeof(jobs[i].user), opt_user,
		    i + opt_base);
	}
	load_threads(jobs, sizeof(*jobs), offsetof(struct job, tid), opt_jobs,
	    fn);
	pthread_barrier_wait(&load_barrier);
	if (wait)
		for (i = 0; i < opt_jobs; i++)
			pthread_join(jobs[i].tid, NULL);
	return jobs;
}

/* cmd_retr - the retr mode */
static int
cmd_retr(void)
{
	struct job *jobs;
	double start, end = 0;
	long long msgs = 0, bytes = 0;
	int i, failed = 0;

	start = now();
	jobs = run_jobs(retr_session, 1);
	for (i = 0; i < opt_jobs; i++) {
		msgs += jobs[i].msgs;
		bytes += jobs[i].bytes;
		failed += jobs[i].failed;
		if (jobs[i].start < start)
			start = jobs[i].start;
		if (jobs[i].end > end)
			end = jobs[i].end;
	}
	printf("sessions=%d failed=%d msgs=%lld bytes=%lld seconds=%.4f "
	    "msgs_per_s=%.1f mb_per_s=%.2f\n", opt_jobs, failed, msgs, bytes,
	    end - start, msgs / (end - start), bytes / (end - start) / 1e6);
	free(jobs);
	return failed ? 1 : 0;
}

/* cmd_login - the login mode */
static int
cmd_login(void)
{
	struct job *jobs;
	struct timespec ts;
	double start, secs;
	long long ok = 0, fails = 0;
	int i;

	jobs = run_jobs(login_loop, 0);
	start = now();
	ts.tv_sec = (time_t)opt_time;
	ts.tv_nsec = (long)((opt_time - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	load_stop = 1;
	for (i = 0; i < opt_jobs; i++) {
		pthread_join(jobs[i].tid, NULL);
		ok += jobs[i].logins;
		fails += jobs[i].fails;
	}
	secs = now() - start;
	printf("clients=%d logins=%lld failed=%lld seconds=%.3f "
	    "logins_per_s=%.1f\n", opt_jobs, ok, fails, secs, ok / secs);
	free(jobs);
	return fails > 0 ? 1 : 0;
}

/* cmd_idle - the idle mode */
static int
cmd_idle(void)
{
	struct job *jobs;
	char line[1024];
	int i, bad = 0;

	if ((jobs = calloc((size_t)opt_count, sizeof(*jobs))) == NULL)
		fatal("out of memory");
	for (i = 0; i < opt_count; i++) {
		jobs[i].index = i;
		load_user(jobs[i].user, sizeof(jobs[i].user), opt_user,
		    i + opt_base);
		if ((jobs[i].c = conn_login(jobs[i].user, line,
		    sizeof(line))) == NULL)
			fatal("%s: %s", jobs[i].user, line);
	}
	printf("ready %d\n", opt_count);
	fflush(stdout);
	(void)fgets(line, sizeof(line), stdin);
	for (i = 0; i < opt_count; i++) {
		if (conn_cmd(jobs[i].c, "QUIT\r\n", line, sizeof(line)) < 0)
			bad++;
		load_conn_free(jobs[i].c);
	}
	printf("done quit_failed=%d\n", bad);
	free(jobs);
	return bad ? 1 : 0;
}

/* serve_conn - one connection of the trivial server */
static void *
serve_conn(void *arg)
{
	struct conn *c = arg;
	static char *msg;
	static size_t msglen;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	char line[1024], head[64];
	long i, k;

	pthread_mutex_lock(&lock);
	if (msg == NULL) {
		/* Lines of 70 octets plus CRLF, then the terminator. */
		msg = malloc((size_t)opt_size + 80);
		for (msglen = 0; msglen + 72 <= (size_t)opt_size;) {
			memset(msg + msglen, 'x', 70);
			memcpy(msg + msglen + 70, "\r\n", 2);
			msglen += 72;
		}
		memcpy(msg + msglen, ".\r\n", 3);
		msglen += 3;
	}
	pthread_mutex_unlock(&lock);
	(void)conn_send(c, "+OK ready\r\n", 11);
	while (conn_line(c, line, sizeof(line)) == 0) {
		if (strncasecmp(line, "LIST", 4) == 0) {
			(void)conn_send(c, "+OK\r\n", 5);
			for (i = 1; i <= opt_count; i++) {
				k = snprintf(head, sizeof(head), "%ld %zu\r\n",
				    i, msglen - 3);
				(void)conn_send(c, head, (size_t)k);
			}
			(void)conn_send(c, ".\r\n", 3);
		} else if (strncasecmp(line, "RETR", 4) == 0) {
			k = snprintf(head, sizeof(head), "+OK %zu octets\r\n",
			    msglen - 3);
			if (conn_send(c, head, (size_t)k) < 0 ||
			    conn_send(c, msg, msglen) < 0)
				break;
		} else if (strncasecmp(line, "QUIT", 4) == 0) {
			(void)conn_send(c, "+OK bye\r\n", 9);
			break;
		} else
			(void)conn_send(c, "+OK\r\n", 5);
	}
	load_conn_free(c);
	return NULL;
}

/* cmd_serve - the serve mode: never returns */
static int
cmd_serve(void)
{
	struct sockaddr_in sin;
	struct conn *c;
	pthread_t tid;
	int lfd, fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)opt_port);
	inet_pton(AF_INET, opt_host, &sin.sin_addr);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 512) < 0)
		fatal("listen on port %d: %s", opt_port, strerror(errno));
	printf("listening %d\n", opt_port);
	fflush(stdout);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			continue;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		c = load_conn_new(sizeof(*c), fd);
		if (pthread_create(&tid, NULL, serve_conn, c) != 0)
			fatal("pthread_create failed");
		pthread_detach(tid);
	}
}

int
main(int argc, char **argv)
{
	static const struct load_opt opts[] = {
		{ 'b', .num = &opt_base },
		{ 'n', .num = &opt_count },
		{ 's', .num = &opt_size },
		{ 'w', .num = &opt_window },
		{ 0 }
	};
	static const struct load_mode modes[] = {
		{ "retr", cmd_retr },
		{ "login", cmd_login },
		{ "idle", cmd_idle },
		{ "serve", cmd_serve },
		{ NULL, NULL }
	};
	const struct load_mode *m;

	if ((m = load_args(argc, argv, opts, modes)) == NULL ||
	    opt_port <= 0 || opt_window < 1 || opt_count < 1)
		load_usage("retr|login|idle|serve -p PORT [-h ADDR] [-u USER] "
		    "[-P PASS] [-b BASE] [-j JOBS] [-w WINDOW] [-t SECONDS] "
		    "[-n COUNT] [-s SIZE]");
	signal(SIGPIPE, SIG_IGN);
	return m->run();
}
