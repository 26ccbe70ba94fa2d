/*
 * load.h - what the load generators of bench/ share (pop3-load.c,
 * imap-load.c, smtp-load.c): dying with a message, the usage line, the
 * clock, connecting to the server, a connection's input buffer, its lines
 * and writes, the session's user name, and starting the session threads
 * together.
 *
 * Included, not linked: bench/pop3, bench/imap and bench/relay compile
 * one file with cc, so the functions here are static.  Define LOAD_NAME
 * (the program's name, for messages) before including it.  A program's
 * connection struct holds a struct load_io as its first member, so that
 * load_conn_new() and load_conn_free() serve every protocol.
 */
#ifndef CARTERO_BENCH_LOAD_H
#define CARTERO_BENCH_LOAD_H

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOAD_BUF	(256 * 1024)
#define LOAD_THREADS	1000

/* The input side of a connection: what was read and not yet consumed. */
struct load_io {
	int		 fd;
	char		*buf;		/* LOAD_BUF octets */
	size_t		 off, len;	/* consumed up to off, read up to len */
};

/* The options both programs take (load_option). */
static const char *opt_user = "u%02d@mired.org";
static const char *opt_pass = "secret";
static const char *opt_host = "127.0.0.1";
static int opt_port, opt_jobs = 1;
static double opt_time = 5.0;

static int load_quickack;		/* acknowledge every read at once */
static pthread_barrier_t load_barrier;	/* the threads start together */

/* fatal - say what went wrong and exit */
static void __attribute__((noreturn, format(printf, 1, 2)))
fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", LOAD_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* load_usage - say how to call the program (its arguments: what), exit 2 */
static void __attribute__((noreturn))
load_usage(const char *what)
{
	fprintf(stderr, "usage: %s %s\n", LOAD_NAME, what);
	exit(2);
}

/* An option of a program: its letter and where its value goes (one). */
struct load_opt {
	int		  ch;
	int		 *num;		/* a whole number */
	long		 *lnum;		/* a larger one */
	double		 *real;		/* seconds */
	const char	**str;		/* the text */
	int		 *flag;		/* no value: set to 1 */
};

/* A mode: the first argument, and the function that runs it. */
struct load_mode {
	const char	 *name;
	int		(*run)(void);
};

/* The options both programs take. */
static const struct load_opt load_shared_opts[] = {
	{ 'h', .str = &opt_host },
	{ 'j', .num = &opt_jobs },
	{ 'p', .num = &opt_port },
	{ 'P', .str = &opt_pass },
	{ 't', .real = &opt_time },
	{ 'u', .str = &opt_user },
	{ 0 }
};

/* load_opt_find - the option of letter ch in opts (ended by ch 0), or NULL */
static const struct load_opt *
load_opt_find(const struct load_opt *opts, int ch)
{
	for (; opts->ch != 0; opts++)
		if (opts->ch == ch)
			return opts;
	return NULL;
}

/*
 * load_args - read "MODE [OPTIONS]": the shared options and the program's
 * own (ended by ch 0) into their variables; the mode among modes (ended
 * by a NULL name), or NULL for an unknown mode or option
 */
static const struct load_mode *
load_args(int argc, char **argv, const struct load_opt *own,
    const struct load_mode *modes)
{
	const struct load_opt *o, *sets[2] = { load_shared_opts, own };
	char letters[64];
	size_t n = 0;
	int ch, i;

	for (i = 0; i < 2; i++)
		for (o = sets[i]; o->ch != 0 && n + 3 < sizeof(letters); o++) {
			letters[n++] = (char)o->ch;
			if (o->flag == NULL)
				letters[n++] = ':';
		}
	letters[n] = '\0';
	if (argc < 2)
		return NULL;
	optind = 2;
	while ((ch = getopt(argc, argv, letters)) != -1) {
		if ((o = load_opt_find(load_shared_opts, ch)) == NULL &&
		    (o = load_opt_find(own, ch)) == NULL)
			return NULL;
		if (o->num != NULL)
			*o->num = atoi(optarg);
		else if (o->lnum != NULL)
			*o->lnum = atol(optarg);
		else if (o->real != NULL)
			*o->real = atof(optarg);
		else if (o->str != NULL)
			*o->str = optarg;
		else
			*o->flag = 1;
	}
	for (; modes->name != NULL; modes++)
		if (strcmp(argv[1], modes->name) == 0)
			return modes;
	return NULL;
}

/* now - monotonic seconds */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* load_connect - a TCP connection to host:port (no Nagle); -1 with errno */
static int
load_connect(const char *host, int port)
{
	struct sockaddr_in sin;
	int fd, one = 1, e;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		fatal("bad address %s", host);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*
 * load_conn_new - a connection struct of size octets, zeroed, whose first
 * member is a struct load_io reading fd
 */
static void *
load_conn_new(size_t size, int fd)
{
	struct load_io *io;

	if ((io = calloc(1, size)) == NULL ||
	    (io->buf = malloc(LOAD_BUF)) == NULL)
		fatal("out of memory");
	io->fd = fd;
	return io;
}

/* load_conn_free - close and free what load_conn_new made (NULL: nothing) */
static void
load_conn_free(void *conn)
{
	struct load_io *io = conn;

	if (io == NULL)
		return;
	close(io->fd);
	free(io->buf);
	free(io);
}

/*
 * load_io_fill - read more input after what is there; -1 on EOF or error,
 * 1 when the buffer is full of unconsumed input (nothing read), else 0
 */
static int
load_io_fill(struct load_io *io)
{
	ssize_t n;
	int one = 1;

	if (io->off > 0) {
		memmove(io->buf, io->buf + io->off, io->len - io->off);
		io->len -= io->off;
		io->off = 0;
	}
	if (io->len == LOAD_BUF)
		return 1;
	do
		n = read(io->fd, io->buf + io->len, LOAD_BUF - io->len);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	if (load_quickack)	/* -Q: diagnose a server's Nagle stalls */
		(void)setsockopt(io->fd, IPPROTO_TCP, TCP_QUICKACK, &one,
		    sizeof(one));
	io->len += (size_t)n;
	return 0;
}

/*
 * load_io_line - the next line into out (NUL-terminated, CRLF stripped,
 * truncated to size); -1 on EOF (or a line longer than the buffer).
 */
static int __attribute__((unused))
load_io_line(struct load_io *io, char *out, size_t size)
{
	char *nl;
	size_t n;

	while ((nl = memchr(io->buf + io->off, '\n', io->len - io->off)) ==
	    NULL)
		if (load_io_fill(io) != 0)
			return -1;
	n = (size_t)(nl - (io->buf + io->off));
	if (n > 0 && nl[-1] == '\r')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(out, io->buf + io->off, n);
	out[n] = '\0';
	io->off = (size_t)(nl - io->buf) + 1;
	return 0;
}

/* load_io_send - write all of p; -1 on error */
static int
load_io_send(struct load_io *io, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(io->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* load_user - the user name of session i: fmt, its "%d" replaced by i */
static void __attribute__((unused))
load_user(char *out, size_t size, const char *fmt, int i)
{
	if (strchr(fmt, '%') != NULL)
		snprintf(out, size, fmt, i);
	else
		snprintf(out, size, "%s", fmt);
}

/* load_jobs - n zeroed jobs of size octets each, for load_threads() */
static void *
load_jobs(int n, size_t size)
{
	void *jobs;

	if (n < 1 || n > LOAD_THREADS)
		fatal("-j must be 1 to %d", LOAD_THREADS);
	if ((jobs = calloc((size_t)n, size)) == NULL)
		fatal("out of memory");
	return jobs;
}

/*
 * load_threads - start n threads of fn, on the n jobs of size octets each
 * at jobs (tid: where a job keeps its thread); they wait on load_barrier,
 * which the caller passes as the n + 1st to release them all at once.
 */
static void
load_threads(void *jobs, size_t size, size_t tid, int n,
    void *(*fn)(void *))
{
	char *j = jobs;
	int i, e;

	pthread_barrier_init(&load_barrier, NULL, (unsigned)n + 1);
	for (i = 0; i < n; i++, j += size)
		if ((e = pthread_create((pthread_t *)(j + tid), NULL, fn,
		    j)) != 0)
			fatal("pthread_create: %s", strerror(e));
}

#endif
