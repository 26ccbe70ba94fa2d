/*
 * smtp-load - the SMTP client of bench/relay for messages with several
 * recipients in several domains.
 *
 * smtp-source -r N makes its N recipients by prepending a number to ONE
 * address, so they all share its domain; this client sends each message
 * to a list of addresses (-r a@one.test,b@two.test,...), as smtp-source
 * does otherwise: -j N sessions at once (threads, started together), one
 * connection per message (banner, EHLO, MAIL, one RCPT per address, DATA,
 * the message, QUIT), no pipelining, -m messages in all, each with
 * From, To, Subject, Date and Message-Id headers and -l octets of body.
 * bench/relay compiles it (cc -O2 -pthread; it includes load.h, what it
 * shares with pop3-load.c and imap-load.c).
 *
 *	send	the messages to -h HOST (127.0.0.1) -p PORT; prints
 *		"sent=N seconds=S" on stdout.
 *
 * A reply other than the expected 2xx or 3xx makes the run fail with the
 * reply on stderr: a benchmark must not count errors as work.
 */
#include <stdatomic.h>
#include <stddef.h>

#define LOAD_NAME	"smtp-load"
#include "load.h"

#define SMTP_LINE	1024
#define SMTP_RCPTS	100

struct job {
	pthread_t	 tid;
	int		 index;
	long		 sent;
};

static int opt_count = 1000, opt_size = 2048;
static const char *opt_from = "bob@mired.org";
static const char *opt_rcpts = "ana@remote.test";
static const char *opt_helo = "client.mired.org";

static char *rcpt[SMTP_RCPTS];		/* the recipients of -r */
static int nrcpt;
static char *body;			/* -l octets of lines, CRLF, "." */
static size_t body_len;
static atomic_long next_msg;		/* the next message to send */

/*
 * smtp_reply - read a whole reply (its continuation lines too); its code,
 * or -1 on EOF; the last line into line
 */
static int
smtp_reply(struct load_io *io, char *line, size_t size)
{
	do {
		if (load_io_line(io, line, size) < 0)
			return -1;
	} while (strlen(line) > 3 && line[3] == '-');
	if (strlen(line) < 3)
		return 0;
	return atoi(line);
}

/*
 * smtp_cmd - send the command (or nothing when NULL) and read the reply;
 * die unless its code's first digit is want
 */
static void
smtp_cmd(struct load_io *io, const char *cmd, int want)
{
	char line[SMTP_LINE];
	int code;

	if (cmd != NULL && load_io_send(io, cmd, strlen(cmd)) < 0)
		fatal("send: %s", strerror(errno));
	if ((code = smtp_reply(io, line, sizeof(line))) < 0)
		fatal("connection closed after %s", cmd ? cmd : "connect");
	if (code / 100 != want)
		fatal("%s -> %s", cmd ? cmd : "connect", line);
}

/* smtp_message - one message over a new connection, QUIT included */
static void
smtp_message(long n, int thread)
{
	char cmd[SMTP_LINE + 64], head[SMTP_LINE * 8], date[64];
	struct load_io *io;
	size_t len;
	time_t t;
	int fd, i;

	if ((fd = load_connect(opt_host, opt_port)) < 0)
		fatal("connect to %s:%d: %s", opt_host, opt_port,
		    strerror(errno));
	io = load_conn_new(sizeof(*io), fd);
	smtp_cmd(io, NULL, 2);
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", opt_helo);
	smtp_cmd(io, cmd, 2);
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", opt_from);
	smtp_cmd(io, cmd, 2);
	for (i = 0; i < nrcpt; i++) {
		snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", rcpt[i]);
		smtp_cmd(io, cmd, 2);
	}
	smtp_cmd(io, "DATA\r\n", 3);
	t = time(NULL);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    gmtime(&t));
	len = (size_t)snprintf(head, sizeof(head), "From: <%s>\r\nTo: ",
	    opt_from);
	for (i = 0; i < nrcpt && len < sizeof(head); i++)
		len += (size_t)snprintf(head + len, sizeof(head) - len, "%s<%s>",
		    i > 0 ? ",\r\n " : "", rcpt[i]);
	if (len < sizeof(head))
		len += (size_t)snprintf(head + len, sizeof(head) - len,
		    "\r\nSubject: relay bench %ld\r\nDate: %s\r\n"
		    "Message-Id: <%ld.%d.%ld@%s>\r\n\r\n", n, date, (long)t,
		    thread, n, opt_helo);
	if (len >= sizeof(head))
		fatal("headers too long");
	if (load_io_send(io, head, len) < 0)
		fatal("send: %s", strerror(errno));
	smtp_cmd(io, body, 2);
	smtp_cmd(io, "QUIT\r\n", 2);
	load_conn_free(io);
}

/* smtp_thread - one session: messages until -m are taken */
static void *
smtp_thread(void *arg)
{
	struct job *j = arg;
	long n;

	pthread_barrier_wait(&load_barrier);
	while ((n = atomic_fetch_add(&next_msg, 1)) < opt_count) {
		smtp_message(n, j->index);
		j->sent++;
	}
	return NULL;
}

/* smtp_body - -l octets of 78-column lines, CRLF, and the final dot */
static void
smtp_body(void)
{
	static const char text[] = "La de da de da, the relay benchmark's "
	    "body, a line of 78 columns for SMTP 0123456789";
	size_t i, col;

	if ((body = malloc((size_t)opt_size + 8)) == NULL)
		fatal("out of memory");
	for (i = 0, col = 0; i < (size_t)opt_size; i++)
		if (col == 76 || i + 2 >= (size_t)opt_size) {
			body[i++] = '\r';
			body[i] = '\n';
			col = 0;
		} else
			body[i] = text[col++ % (sizeof(text) - 1)];
	body_len = i;
	memcpy(body + body_len, ".\r\n", 4);
}

/* smtp_rcpts - split -r at its commas into rcpt[] */
static void
smtp_rcpts(void)
{
	char *list, *p;

	if ((list = strdup(opt_rcpts)) == NULL)
		fatal("out of memory");
	for (p = strtok(list, ","); p != NULL; p = strtok(NULL, ",")) {
		if (nrcpt == SMTP_RCPTS)
			fatal("more than %d recipients", SMTP_RCPTS);
		rcpt[nrcpt++] = p;
	}
	if (nrcpt == 0)
		fatal("-r names no recipient");
}

/* cmd_send - the send mode: -j sessions send -m messages */
static int
cmd_send(void)
{
	struct job *jobs;
	double t0;
	long sent = 0;
	int i;

	smtp_rcpts();
	smtp_body();
	jobs = load_jobs(opt_jobs, sizeof(*jobs));
	for (i = 0; i < opt_jobs; i++)
		jobs[i].index = i;
	load_threads(jobs, sizeof(*jobs), offsetof(struct job, tid),
	    opt_jobs, smtp_thread);
	t0 = now();
	pthread_barrier_wait(&load_barrier);
	for (i = 0; i < opt_jobs; i++) {
		pthread_join(jobs[i].tid, NULL);
		sent += jobs[i].sent;
	}
	printf("sent=%ld seconds=%.3f\n", sent, now() - t0);
	return sent == opt_count ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct load_opt opts[] = {
		{ 'e', .str = &opt_helo },
		{ 'f', .str = &opt_from },
		{ 'l', .num = &opt_size },
		{ 'm', .num = &opt_count },
		{ 'r', .str = &opt_rcpts },
		{ 0 }
	};
	static const struct load_mode modes[] = {
		{ "send", cmd_send },
		{ NULL, NULL }
	};
	const struct load_mode *m;

	if ((m = load_args(argc, argv, opts, modes)) == NULL ||
	    opt_port <= 0 || opt_count < 1 || opt_size < 2 ||
	    opt_size > 100 * 1024 * 1024)
		load_usage("send -p PORT [-h HOST] [-j SESSIONS] "
		    "[-m MESSAGES] [-l OCTETS] [-f FROM] [-r RCPT,RCPT,...] "
		    "[-e HELO]");
	signal(SIGPIPE, SIG_IGN);
	return m->run();
}
