/*
 * sendmail - the Sendmail-compatible command line, and its other names.
 *
 *	sendmail [-t] [-i] [-oi] [-f sender] [-r sender] [-F full name]
 *		 [-c config_dir] [-C config] [-v] [--] [recipient ...]
 *	sendmail -bp (mailq)	sendmail -bi (newaliases)	sendmail -q
 *
 * Named "mailq" it lists the queue; named "newaliases" it rebuilds the
 * alias tables of alias_database.  Otherwise it reads a message on stdin
 * and leaves it in $queue_directory/maildrop as a queue file, then pokes
 * pickup, which moves it into the queue; it never talks SMTP and never
 * needs the mail system to be running.  A line holding only "." ends the
 * message unless -i or -oi is given.  -t takes recipients from the To:,
 * Cc: and Bcc: headers (added to those on the command line).  Bcc: headers
 * are removed.  Unqualified recipients get @$myorigin.
 *
 * It runs as the invoking user and trusts nothing it reads: header lines
 * are only looked at for -t, and pickup checks the file again.  Exit codes
 * are sysexits(3): 64 usage, 65 data, 67 no user, 75 temporary failure,
 * 78 configuration.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "ipc.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "queue.h"
#include "util.h"

#define SM_CHUNK	8192		/* stdin is read in pieces this big */
#define SM_HEADER_MAX	(1024 * 1024)	/* the header section held for -t */
#define SM_RCPT_MAX	10000		/* recipients of one message */

enum sm_mode { SM_SEND, SM_MAILQ, SM_NEWALIASES, SM_FLUSH };

struct sm_rcpts {
	char	**addr;
	int	  count;
	int	  size;
};

static volatile sig_atomic_t sm_interrupted;

/* sm_fatal - say why and exit with a sysexits code */
static void
sm_fatal(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void
sm_fatal(int code, const char *fmt, ...)
{
	char	 text[2048];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	msg_info("fatal: %s", text);
	exit(code);
}

/* sm_usage - a bad command line */
static void
sm_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-t] [-i] [-oi] [-f sender] [-F full_name] "
	    "[-c config_dir] [-bp] [-bi] [-q] [--] [recipient ...]\n", prog);
	exit(EX_USAGE);
}

/* sm_onsignal - ^C or a kill while the message is being read */
static void
sm_onsignal(int sig)
{
	(void)sig;
	sm_interrupted = 1;
}

/* sm_rcpt_add - one recipient, qualified with @$myorigin if bare */
static void
sm_rcpt_add(struct sm_rcpts *r, const char *addr)
{
	struct buf	*b;
	const char	*p;

	if (*addr == '\0')
		return;
	for (p = addr; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p))
			sm_fatal(EX_DATAERR, "bad recipient address: control "
			    "character in it");
	if (strlen(addr) > ADDR_MAX)
		sm_fatal(EX_DATAERR, "recipient address too long");
	if (r->count >= SM_RCPT_MAX)
		sm_fatal(EX_DATAERR, "too many recipients (more than %d)",
		    SM_RCPT_MAX);
	b = buf_new(128, ADDR_MAX * 2);
	if (strchr(addr, '@') != NULL)
		buf_puts(b, addr);
	else
		buf_appendf(b, "%s@%s", addr, var_myorigin);
	if (r->count == r->size) {
		r->size = r->size ? r->size * 2 : 16;
		r->addr = xrealloc(r->addr, (size_t)r->size * sizeof(char *));
	}
	r->addr[r->count++] = buf_steal(&b);
}

/* sm_rcpt_cb - addr_parse_header's callback */
static void
sm_rcpt_cb(const char *addr, void *ctx)
{
	sm_rcpt_add(ctx, addr);
}

/* sm_header_name - length of "Name:" at the start of line, 0 if none */
static size_t
sm_header_name(const char *line)
{
	size_t	 n;

	/* RFC 5322 field-name: printable US-ASCII except colon. */
	for (n = 0; line[n] > 32 && line[n] < 127 && line[n] != ':'; n++)
		;
	if (n == 0 || line[n] != ':')
		return 0;
	return n + 1;
}

/* sm_is_header - is this a header field, by name (with the colon)? */
static int
sm_is_header(const char *line, size_t len, const char *name)
{
	return len == strlen(name) && strncasecmp(line, name, len) == 0;
}

/*
 * sm_headers_rcpts - -t: the recipients in To:, Cc: and Bcc:.  hdrs holds
 * the header section, LF line ends, continuation lines included.
 */
static void
sm_headers_rcpts(const char *hdrs, struct sm_rcpts *r)
{
	struct buf	*value;
	const char	*line, *nl, *end;
	size_t		 nlen;
	int		 want = 0;

	value = buf_new(1024, SM_HEADER_MAX);
	for (line = hdrs; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		end = nl;
		if (*line == ' ' || *line == '\t') {
			if (want)
				buf_append(value, line, (size_t)(end - line));
		} else {
			if (want)
				addr_parse_header(buf_str(value), sm_rcpt_cb,
				    r);
			buf_reset(value);
			nlen = sm_header_name(line);
			want = sm_is_header(line, nlen, "To:") ||
			    sm_is_header(line, nlen, "Cc:") ||
			    sm_is_header(line, nlen, "Bcc:");
			if (want)
				buf_append(value, line + nlen,
				    (size_t)(end - line - nlen));
		}
		if (*nl == '\0')
			break;
	}
	if (want)
		addr_parse_header(buf_str(value), sm_rcpt_cb, r);
	buf_free(&value);
}

/* sm_write_headers - the header section, less any Bcc: field */
static int
sm_write_headers(struct queue_writer *w, const char *hdrs)
{
	const char	*line, *nl;
	int		 skip = 0;

	for (line = hdrs; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line);
		if (*line != ' ' && *line != '\t')
			skip = sm_is_header(line, sm_header_name(line),
			    "Bcc:");
		if (!skip && queue_data(w, line, (size_t)(nl - line)) < 0)
			return -1;
		if (!skip && queue_data(w, "\n", 1) < 0)
			return -1;
		if (*nl == '\0')
			break;
	}
	return 0;
}

/*
 * sm_getline - the next piece of a line from stdin, CRLF made LF.  A line
 * longer than the buffer comes in several pieces: *eol says whether this
 * piece ends its line.  Returns 0 at the end of input.
 */
static int
sm_getline(char *buf, size_t size, size_t *len, int *eol)
{
	size_t	 n;

	for (;;) {
		clearerr(stdin);
		if (fgets(buf, (int)size, stdin) != NULL)
			break;
		if (ferror(stdin) && errno == EINTR && !sm_interrupted)
			continue;
		if (ferror(stdin) && !sm_interrupted)
			sm_fatal(EX_IOERR, "read the message: %m");
		return 0;
	}
	n = strlen(buf);
	/* A NUL byte: fgets cannot tell; keep what strlen sees. */
	*eol = n > 0 && buf[n - 1] == '\n';
	if (*eol && n > 1 && buf[n - 2] == '\r') {
		buf[n - 2] = '\n';
		buf[--n] = '\0';
	}
	*len = n;
	return 1;
}

/* sm_is_dot - a line holding only "." (ends the message without -i) */
static int
sm_is_dot(const char *buf, size_t len, int at_start)
{
	return at_start && ((len == 2 && buf[0] == '.' && buf[1] == '\n') ||
	    (len == 1 && buf[0] == '.'));
}

/* sm_poke - wake a service on its public socket; failure is fine */
static void
sm_poke(const char *service, const char *what)
{
	struct buf	*path;
	int		 fd;

	signal(SIGPIPE, SIG_IGN);	/* the service may hang up first */
	path = buf_new(256, PATH_MAX);
	buf_setf(path, "%s/public/%s", var_queue_directory, service);
	if ((fd = ipc_connect(buf_str(path), 2)) >= 0) {
		if (write_full(fd, what, strlen(what)) < 0 && msg_verbose)
			msg_debug("write %s: %m", buf_str(path));
		close(fd);
	} else if (msg_verbose)
		msg_debug("connect %s: %m", buf_str(path));
	buf_free(&path);
}

/* sm_send - read the message on stdin into maildrop/ */
static int
sm_send(const char *sender, const char *fullname, int extract, int dots,
    struct sm_rcpts *rcpts)
{
	struct queue_writer *w;
	struct passwd	*pw;
	struct buf	*hdrs, *why, *login;
	char		 chunk[SM_CHUNK];
	size_t		 len;
	int		 eol, at_start = 1, in_headers = 1, first = 1;
	int		 ended = 0, got;
	uid_t		 uid = getuid();

	sig_catch(sm_onsignal, 0, SIGINT, SIGTERM, SIGHUP, SIGQUIT, 0);

	login = buf_new(64, 1024);
	if (sender == NULL) {
		if ((pw = getpwuid(uid)) == NULL)
			sm_fatal(EX_NOUSER, "no login name found for user ID "
			    "%ld: give a sender with -f", (long)uid);
		buf_puts(login, pw->pw_name);
		sender = buf_str(login);
	}

	/*
	 * The header section is held in memory (it is read for -t and must
	 * precede the M record); the body streams into the file.
	 */
	hdrs = buf_new(4096, SM_HEADER_MAX);
	why = buf_new(256, 4096);
	while (in_headers && (got = sm_getline(chunk, sizeof(chunk), &len,
	    &eol)) > 0) {
		if (!dots && sm_is_dot(chunk, len, at_start)) {
			ended = 1;
			break;
		}
		/* A leading mbox "From " line is not part of the message. */
		if (first && at_start && strncmp(chunk, "From ", 5) == 0) {
			first = 0;
			while (!eol && sm_getline(chunk, sizeof(chunk), &len,
			    &eol) > 0)
				;
			continue;
		}
		first = 0;
		if (at_start && !(chunk[0] == ' ' || chunk[0] == '\t') &&
		    sm_header_name(chunk) == 0)
			in_headers = 0;		/* the body starts here */
		else if (at_start && (chunk[0] == ' ' || chunk[0] == '\t') &&
		    buf_len(hdrs) == 0)
			in_headers = 0;		/* nothing to continue */
		if (in_headers) {
			buf_append(hdrs, chunk, len);
			if (buf_overflowed(hdrs))
				sm_fatal(EX_DATAERR, "the header section is "
				    "larger than %d bytes", SM_HEADER_MAX);
			at_start = eol;
		}
	}
	if (sm_interrupted)
		sm_fatal(EX_TEMPFAIL, "interrupted: no message queued");
	if (in_headers && !ended && buf_len(hdrs) > 0 &&
	    hdrs->data[buf_len(hdrs) - 1] != '\n')
		buf_putc(hdrs, '\n');
	if (extract)
		sm_headers_rcpts(buf_str(hdrs), rcpts);
	if (rcpts->count == 0)
		sm_fatal(EX_USAGE, extract ? "no recipients in the To:, Cc: "
		    "or Bcc: headers or on the command line" :
		    "no recipients specified");

	if ((w = queue_create(var_queue_directory, QUEUE_MAILDROP,
	    why)) == NULL)
		sm_fatal(EX_TEMPFAIL, "cannot queue the message: %s",
		    buf_str(why));
	queue_rec(w, 'F', sender);
	queue_recf(w, 'A', "uid=%ld", (long)uid);
	if (fullname != NULL && *fullname != '\0')
		queue_recf(w, 'A', "fullname=%s", fullname);
	for (got = 0; got < rcpts->count; got++)
		queue_rec(w, 'R', rcpts->addr[got]);
	queue_rec(w, 'M', NULL);
	if (sm_write_headers(w, buf_str(hdrs)) < 0)
		goto fail;
	/* The line that ended the headers: an empty one, or the body's. */
	if (!in_headers && queue_data(w, chunk, len) < 0)
		goto fail;
	at_start = in_headers ? 1 : eol;
	while (!ended && !in_headers && sm_getline(chunk, sizeof(chunk), &len,
	    &eol) > 0) {
		if (!dots && sm_is_dot(chunk, len, at_start))
			break;
		if (queue_data(w, chunk, len) < 0)
			goto fail;
		at_start = eol;
		if (var_message_size_limit > 0 &&
		    queue_writer_size(w) > var_message_size_limit) {
			queue_abort(&w);
			sm_fatal(EX_DATAERR, "the message is larger than "
			    "message_size_limit (%lld bytes)",
			    var_message_size_limit);
		}
	}
	if (sm_interrupted) {
		queue_abort(&w);
		sm_fatal(EX_TEMPFAIL, "interrupted: no message queued");
	}
	/* The last line always ends in a newline in the queue. */
	if (!at_start && queue_data(w, "\n", 1) < 0)
		goto fail;
	if (queue_commit(w, why) < 0)
		sm_fatal(EX_TEMPFAIL, "cannot queue the message: %s",
		    buf_str(why));
	sm_poke("pickup", "W\n");
	buf_free(&hdrs);
	buf_free(&why);
	buf_free(&login);
	return EX_OK;
fail:
	queue_abort(&w);
	sm_fatal(EX_TEMPFAIL, "cannot write the message to the queue: %m");
}

/* sm_mailq - list the queue, Postfix's mailq style (lib/queue_list.c) */
static int
sm_mailq(void)
{
	struct buf	*why = buf_new(256, 0);

	if (queue_list(var_queue_directory, stdout, 0, why) < 0)
		sm_fatal(EX_NOPERM, "%s (run mailq as root or as mail_owner)",
		    buf_str(why));
	buf_free(&why);
	return EX_OK;
}

/* sm_newaliases - rebuild every table in alias_database */
static int
sm_newaliases(void)
{
	struct buf	*why;

	why = buf_new(256, 4096);
	if (*var_alias_database == '\0')
		return EX_OK;
	if (map_build(var_alias_database, MAP_ALIAS, why) < 0)
		sm_fatal(EX_CONFIG, "%s", buf_str(why));
	buf_free(&why);
	return EX_OK;
}

/* sm_flush - ask qmgr to retry the deferred mail now */
static int
sm_flush(void)
{
	struct buf	*path = buf_new(256, PATH_MAX), *why = buf_new(256, 0);

	buf_setf(path, "%s/public/qmgr", var_queue_directory);
	if (ipc_tell(buf_str(path), "F\n", 10, why) < 0)
		sm_fatal(EX_UNAVAILABLE, "cannot flush the mail queue: %s "
		    "(is the mail system running?)", buf_str(why));
	buf_free(&path);
	buf_free(&why);
	return EX_OK;
}

/* sm_confdir - -C names main.cf or its directory */
static const char *
sm_confdir(const char *arg)
{
	struct stat	 st;
	char		*dir, *slash;

	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
		return arg;
	dir = xstrdup(arg);
	if ((slash = strrchr(dir, '/')) == NULL)
		return ".";
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

/* sm_strip_angles - "<a@b>" to "a@b" */
static char *
sm_strip_angles(char *s)
{
	size_t	 n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s[n - 1] = '\0';
		return s + 1;
	}
	return s;
}

/* main - which name, which options, then do it */
int
main(int argc, char **argv)
{
	struct sm_rcpts	 rcpts = { NULL, 0, 0 };
	struct buf	*why;
	enum sm_mode	 mode = SM_SEND;
	const char	*prog, *confdir = NULL, *fullname = NULL;
	char		*sender = NULL, *p;
	int		 ch, extract = 0, dots = 0, i;

	prog = (p = strrchr(argv[0], '/')) != NULL ? p + 1 : argv[0];
	if (strcmp(prog, "mailq") == 0)
		mode = SM_MAILQ;
	else if (strcmp(prog, "newaliases") == 0)
		mode = SM_NEWALIASES;
	msg_init(prog, MSG_STDERR);
	if (fcntl(0, F_GETFD) < 0 || fcntl(1, F_GETFD) < 0 ||
	    fcntl(2, F_GETFD) < 0)
		exit(EX_OSERR);		/* a closed stdio fd: refuse to guess */

	opterr = 0;
	while ((ch = getopt(argc, argv,
	    "+B:b:C:c:e:F:f:Gh:iL:mN:no:q::R:r:tUV:vX:")) != -1) {
		switch (ch) {
		case 'b':
			if (strcmp(optarg, "p") == 0)
				mode = SM_MAILQ;
			else if (strcmp(optarg, "i") == 0)
				mode = SM_NEWALIASES;
			else if (strcmp(optarg, "m") == 0)
				mode = SM_SEND;
			else {
				msg_warn("-b%s is not supported", optarg);
				sm_usage(prog);
			}
			break;
		case 'C':
			confdir = sm_confdir(optarg);
			break;
		case 'c':
			confdir = optarg;
			break;
		case 'F':
			fullname = optarg;
			break;
		case 'f':
		case 'r':
			sender = sm_strip_angles(optarg);
			break;
		case 'i':
			dots = 1;
			break;
		case 'o':
			/* -oi is -i; other -o options mean nothing here. */
			if (strcmp(optarg, "i") == 0)
				dots = 1;
			break;
		case 'q':
			mode = SM_FLUSH;
			break;
		case 't':
			extract = 1;
			break;
		case 'v':
			msg_verbose++;
			break;
		case 'B': case 'e': case 'G': case 'h': case 'L': case 'm':
		case 'N': case 'n': case 'R': case 'U': case 'V': case 'X':
			break;	/* accepted for compatibility, ignored */
		default:
			msg_warn("%s option -%c", strchr("BbCcFfhLNoRrVX",
			    optopt) != NULL ? "missing value for" :
			    "unknown", optopt);
			sm_usage(prog);
		}
	}
	if (confdir == NULL)
		confdir = conf_default_dir();
	why = buf_new(256, 4096);
	if (conf_load(confdir, NULL, why) < 0)
		sm_fatal(EX_CONFIG, "%s", buf_str(why));
	buf_free(&why);
	/* The log file is root's or mail_owner's; a user just uses stderr. */
	if (*var_maillog_file != '\0' && access(var_maillog_file, W_OK) == 0)
		msg_logfile(var_maillog_file);

	switch (mode) {
	case SM_MAILQ:
		if (optind != argc)
			sm_usage(prog);
		return sm_mailq();
	case SM_NEWALIASES:
		if (optind != argc)
			sm_usage(prog);
		return sm_newaliases();
	case SM_FLUSH:
		return sm_flush();
	case SM_SEND:
		break;
	}
	if (sender != NULL)
		for (p = sender; *p != '\0'; p++)
			if (iscntrl((unsigned char)*p))
				sm_fatal(EX_USAGE, "bad sender address");
	for (i = optind; i < argc; i++)
		if (addr_parse_header(argv[i], sm_rcpt_cb, &rcpts) == 0 &&
		    strspn(argv[i], " \t,") != strlen(argv[i]))
			sm_fatal(EX_DATAERR, "bad recipient address \"%s\"",
			    argv[i]);
	return sm_send(sender, fullname, extract, dots, &rcpts);
}
