/*
 * fuzz_milter - libFuzzer target: the milter client (lib/milter*.c)
 * against a milter whose every byte is the input.
 *
 * A thread plays the milter on a Unix socket: it accepts the client's
 * connection, writes the input as its whole side of the conversation
 * (negotiation reply, replies, edits), closes its writing half and reads
 * whatever the client sends until it hangs up.  The client runs a whole
 * session (connect, HELO, MAIL, two RCPT, DATA, the message) and must
 * never crash, hang past its timeouts or read past a packet.  Checks: every
 * decision is one of the four, a refusal's text starts with its 4xx or
 * 5xx code, and an edited message's header holds only fields and their
 * folds before the empty line (no field slipped in through a value).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "milter.h"
#include "msg.h"

static const char fuzz_msg[] = "Received: from a\r\n\tby b\r\n"
    "From: <ana@mired.org>\r\nSubject: hi\r\n\r\nbody line\r\n";

struct fuzz_peer {
	int		 lfd;
	const uint8_t	*data;
	size_t		 len;
};

/* fuzz_milter - the milter's side: the input, then drain */
static void *
fuzz_milter(void *arg)
{
	struct fuzz_peer *p = arg;
	char		 sink[4096];
	int		 fd;

	if ((fd = accept(p->lfd, NULL, NULL)) < 0)
		return NULL;
	if (p->len > 0 && write(fd, p->data, p->len) < 0)
		;
	shutdown(fd, SHUT_WR);
	while (read(fd, sink, sizeof(sink)) > 0)
		;
	close(fd);
	return NULL;
}

/* fuzz_reply - what a stage's answer must be */
static void
fuzz_reply(int d, const struct milter_reply *r)
{
	const char	*t = buf_str(r->text);

	if (d < MILTER_CONTINUE || d > MILTER_DISCARD || d != r->decision)
		abort();
	if (d == MILTER_REJECT && t[0] != '5')
		abort();
	if (d == MILTER_TEMPFAIL && t[0] != '4')
		abort();
}

/* fuzz_header - an edited message's header: fields and folds only */
static void
fuzz_header(const struct buf *m)
{
	const char	*p = buf_str(m), *end = p + buf_len(m), *nl;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			abort();
		if (nl == p || (nl == p + 1 && *p == '\r'))
			return;
		if (*p != ' ' && *p != '\t' && memchr(p, ':', (size_t)(nl -
		    p)) == NULL)
			abort();
	}
}

static char	 fuzz_path[108];

/* fuzz_cleanup - the socket file gone at exit */
static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int	 once;
	char		*path = fuzz_path;
	char		*over[] = { "milter_command_timeout=1",
			    "milter_content_timeout=1", NULL };
	char		*args[] = { "SIZE=10", NULL };
	struct sockaddr_un un;
	struct fuzz_peer peer = { -1, data, len };
	struct milter_reply r;
	struct milter_result res;
	struct milters	*ms;
	struct buf	*why = buf_new(64, 0);
	pthread_t	 th;
	char		 list[128];
	int		 fd;

	if (!once) {
		once = 1;
		msg_init("fuzz_milter", 0);
		if (conf_load("/nonexistent", over, why) < 0)
			abort();
		snprintf(fuzz_path, sizeof(fuzz_path), "/tmp/fuzz_milter.%d",
		    (int)getpid());
		atexit(fuzz_cleanup);
	}
	unlink(path);
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	memcpy(un.sun_path, path, strlen(path) + 1);
	if ((peer.lfd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(peer.lfd, (struct sockaddr *)&un, sizeof(un)) < 0 ||
	    listen(peer.lfd, 1) < 0 ||
	    pthread_create(&th, NULL, fuzz_milter, &peer) != 0)
		abort();
	snprintf(list, sizeof(list), "unix:%s", path);
	if ((ms = milters_new(list, NULL, NULL, why)) == NULL)
		abort();
	milter_reply_init(&r);
	fuzz_reply(milters_connect(ms, "client", "192.0.2.1", 4321, &r), &r);
	fuzz_reply(milters_helo(ms, "client.example", &r), &r);
	fuzz_reply(milters_mail(ms, "ana@mired.org", args, &r), &r);
	fuzz_reply(milters_rcpt(ms, "bob@mired.org", NULL, &r), &r);
	fuzz_reply(milters_rcpt(ms, "carl@mired.org", args, &r), &r);
	fuzz_reply(milters_data(ms, &r), &r);
	milter_result_init(&res);
	fuzz_reply(milters_message(ms, fuzz_msg, sizeof(fuzz_msg) - 1, &res),
	    &res.reply);
	if (res.message != NULL)
		fuzz_header(res.message);
	milter_result_clear(&res);
	milter_reply_clear(&r);
	milters_free(&ms);
	/* Should the client never have connected, the thread still ends. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0) {
		if (connect(fd, (struct sockaddr *)&un, sizeof(un)) < 0)
			;
		close(fd);
	}
	pthread_join(th, NULL);
	close(peer.lfd);
	buf_free(&why);
	return 0;
}
