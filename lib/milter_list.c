/*
 * milter_list - what the configuration says about milters: a milter's
 * address, milter_default_action, and which macros go with each stage
 * (the milter_*_macros parameters, unless the milter asked for its own
 * list at negotiation).
 *
 * Addresses, as Postfix writes them and as Sendmail does:
 *	unix:/path  local:/path
 *	inet:host:port  inet:[ipv6]:port  inet6:host:port  inet:port@host
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "milter_int.h"
#include "params.h"
#include "util.h"

/* milter_parse_inet - host and port of "host:port", "[v6]:port" or
 * "port@host" */
static int
milter_parse_inet(struct milter *m, const char *a, struct buf *why)
{
	const char	*at, *colon, *end, *port;
	size_t		 hlen;

	if ((at = strchr(a, '@')) != NULL) {
		port = a;
		m->port = xstrndup(port, (size_t)(at - a));
		a = at + 1;
		hlen = strlen(a);
		if (*a == '[' && hlen > 2 && a[hlen - 1] == ']') {
			a++;
			hlen -= 2;
		}
		m->host = xstrndup(a, hlen);
	} else if (*a == '[') {
		if ((end = strchr(a, ']')) == NULL || end[1] != ':')
			goto bad;
		m->host = xstrndup(a + 1, (size_t)(end - a - 1));
		m->port = xstrdup(end + 2);
	} else {
		if ((colon = strrchr(a, ':')) == NULL)
			goto bad;
		m->host = xstrndup(a, (size_t)(colon - a));
		m->port = xstrdup(colon + 1);
	}
	if (m->host[0] == '\0' || m->port[0] == '\0' ||
	    strspn(m->port, "0123456789") != strlen(m->port) ||
	    atoi(m->port) < 1 || atoi(m->port) > 65535)
		goto bad;
	return 0;
bad:
	buf_setf(why, "bad milter address \"%s\": expected inet:host:port, "
	    "inet:[ipv6]:port, inet:port@host or unix:/path", m->spec);
	return -1;
}

/*
 * milter_parse - one milter of a list into m (its address; not
 * connected): 0, or -1 and why.
 */
int
milter_parse(struct milter *m, const char *spec, struct buf *why)
{
	const char	*colon;
	size_t		 plen;

	m->spec = xstrdup(spec);
	m->fd = -1;
	m->state = MS_CLOSED;
	m->why = buf_new(128, 1024);
	if ((colon = strchr(spec, ':')) == NULL) {
		buf_setf(why, "bad milter address \"%s\": no type "
		    "(inet:, inet6:, unix:, local:)", spec);
		return -1;
	}
	plen = (size_t)(colon - spec);
	if ((plen == 4 && strncasecmp(spec, "unix", 4) == 0) ||
	    (plen == 5 && strncasecmp(spec, "local", 5) == 0)) {
		m->family = AF_UNIX;
		m->host = xstrdup(colon + 1);
		if (m->host[0] != '/') {
			buf_setf(why, "bad milter address \"%s\": the socket "
			    "path must be absolute", spec);
			return -1;
		}
		return 0;
	}
	if (plen == 4 && strncasecmp(spec, "inet", 4) == 0)
		m->family = AF_UNSPEC;
	else if (plen == 5 && strncasecmp(spec, "inet6", 5) == 0)
		m->family = AF_INET6;
	else {
		buf_setf(why, "bad milter address \"%s\": unknown type "
		    "\"%.*s\" (inet:, inet6:, unix:, local:)", spec,
		    (int)plen, spec);
		return -1;
	}
	return milter_parse_inet(m, colon + 1, why);
}

/*
 * milter_default_decision - milter_default_action as a decision:
 * MILTER_TEMPFAIL, MILTER_REJECT, MILTER_CONTINUE (accept), or -1 for
 * quarantine (go on, hold the message).  An unknown word is tempfail,
 * the safe side (milters_new refuses it first).
 */
int
milter_default_decision(void)
{
	if (strcasecmp(var_milter_default_action, "accept") == 0)
		return MILTER_CONTINUE;
	if (strcasecmp(var_milter_default_action, "reject") == 0)
		return MILTER_REJECT;
	if (strcasecmp(var_milter_default_action, "quarantine") == 0)
		return -1;
	return MILTER_TEMPFAIL;
}

/* milter_macro_list - the names of the macros of stage for milter m */
const char *
milter_macro_list(const struct milter *m, int stage)
{
	if (m->macros[stage] != NULL)
		return m->macros[stage];
	switch (stage) {
	case MILTER_M_CONNECT:
		return var_milter_connect_macros;
	case MILTER_M_HELO:
		return var_milter_helo_macros;
	case MILTER_M_MAIL:
		return var_milter_mail_macros;
	case MILTER_M_RCPT:
		return var_milter_rcpt_macros;
	case MILTER_M_DATA:
		return var_milter_data_macros;
	case MILTER_M_EOH:
		return var_milter_end_of_header_macros;
	default:
		return var_milter_end_of_data_macros;
	}
}

/*
 * milters_new - a session's set from a list (smtpd_milters' value),
 * nothing connected yet: NULL and why when an entry or
 * milter_default_action is bad.
 */
struct milters *
milters_new(const char *list, milter_macro_fn macro, void *ctx,
    struct buf *why)
{
	struct milters	*ms = xcalloc(1, sizeof(*ms));
	char		*copy = xstrdup(list ? list : ""), *p = copy, *tok;
	const char	*act = var_milter_default_action;

	ms->macro = macro;
	ms->ctx = ctx;
	ms->pkt = buf_new(1024, 0);
	ms->in = buf_new(1024, 0);
	ms->arg = buf_new(1024, 0);
	if (strcasecmp(act, "tempfail") != 0 && strcasecmp(act,
	    "reject") != 0 && strcasecmp(act, "accept") != 0 &&
	    strcasecmp(act, "quarantine") != 0) {
		buf_setf(why, "bad milter_default_action \"%s\": expected "
		    "tempfail, reject, accept or quarantine", act);
		goto bad;
	}
	while ((tok = mystrtok(&p, ", \t\r\n")) != NULL) {
		ms->m = xrealloc(ms->m, (size_t)(ms->n + 1) * sizeof(*ms->m));
		memset(&ms->m[ms->n], 0, sizeof(ms->m[ms->n]));
		if (milter_parse(&ms->m[ms->n++], tok, why) < 0)
			goto bad;
	}
	free(copy);
	return ms;
bad:
	free(copy);
	milters_free(&ms);
	return NULL;
}

/* milters_count - how many milters the list names */
int
milters_count(const struct milters *ms)
{
	return ms ? ms->n : 0;
}
