/*
 * pop3d_reply - what both sides of the POP3 server share: replies, the
 * error limit, the lingering close, word splitting and CAPA.
 *
 * Linked into the login program (pop3d) and the mailbox program (pop3),
 * so it must stay free of TLS and of the auth client: the mailbox program
 * links neither, which keeps every logged-in session small.
 *
 * Distrust: client text goes to the log only through printable().
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "pop3d.h"

/*
 * pop3d_reply - one reply line, CRLF added, buffered (lineio_vreply).
 * Every -ERR counts towards pop3d_hard_error_limit.
 */
int
pop3d_reply(struct pop3d_state *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (strncmp(fmt, "-ERR", 4) == 0)
		s->errors++;
	va_start(ap, fmt);
	r = lineio_vreply(s->io, s->reply, s->addr, s->tmp, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * pop3d_error_limit - too many errors: say so and end the session.
 * 1 when the session must end.
 */
int
pop3d_error_limit(struct pop3d_state *s)
{
	if (s->errors < var_pop3d_hard_error_limit)
		return 0;
	msg_info("too many errors from %s", s->addr);
	pop3d_reply(s, "-ERR Too many errors");
	s->quit = 1;
	return 1;
}

/*
 * pop3d_split - the next word of a command line, NUL-terminated in
 * place; *rest points past the blanks after it.  NULL when there is none.
 */
char *
pop3d_split(char *p, char **rest)
{
	char *word;

	*rest = NULL;
	if (p == NULL)
		return NULL;
	p += strspn(p, " \t");
	if (*p == '\0') {
		*rest = p;
		return NULL;
	}
	word = p;
	p += strcspn(p, " \t");
	if (*p != '\0') {
		*p++ = '\0';
		p += strspn(p, " \t");
	}
	*rest = p;
	return word;
}

/*
 * pop3d_capa - CAPA (RFC 2449): the capabilities of both states, with
 * more (CRLF-ended lines, or NULL) before IMPLEMENTATION: the login side
 * adds USER, SASL and STLS there.
 */
void
pop3d_capa(struct pop3d_state *s, const char *more)
{
	pop3d_reply(s, "+OK Capability list follows");
	lineio_puts(s->io, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
	    "PIPELINING\r\n");
	if (more != NULL)
		lineio_puts(s->io, more);
	lineio_puts(s->io, "IMPLEMENTATION " POP3D_IMPLEMENTATION "\r\n.\r\n");
}
