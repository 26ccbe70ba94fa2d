/*
 * milter_list - what the configuration says about milters: a milter's
 * address, milter_default_action, and which macros go with each stage
 * (the milter_*_macros parameters, unless the milter asked for its own
 * list at negotiation).
 *
 * Addresses, as Postfix writes them and as Sendmail does:
 *	unix:/path  local:/path
 *	inet:host:port  inet:[ipv6]:port  inet6:host:port  inet:port@host
 * and, as Postfix 3.0, a milter with settings of its own:
 *	{ inet:host:port, connect_timeout = 10s, command_timeout = 10s,
 *	  content_timeout = 60s, default_action = accept, protocol = 6 }
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "milter_int.h"
#include "params.h"
#include "server.h"
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
	    server_port(m->port) == 0)
		goto bad;
	return 0;
bad:
	buf_setf(why, "bad milter address \"%s\": expected inet:host:port, "
	    "inet:[ipv6]:port, inet:port@host or unix:/path", m->spec);
	return -1;
}

/* milter_action - a default action's word as a decision (-1: hold), or
 * -2 when it is none */
static int
milter_action(const char *w)
{
	if (strcasecmp(w, "tempfail") == 0)
		return MILTER_TEMPFAIL;
	if (strcasecmp(w, "reject") == 0)
		return MILTER_REJECT;
	if (strcasecmp(w, "accept") == 0)
		return MILTER_CONTINUE;
	if (strcasecmp(w, "quarantine") == 0)
		return -1;
	return -2;
}

/*
 * milter_parse - one milter's address into m, its settings from the
 * milter_* parameters (not connected): 0, or -1 and why.
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
	m->connect_timeout = var_milter_connect_timeout;
	m->command_timeout = var_milter_command_timeout;
	m->content_timeout = var_milter_content_timeout;
	m->protocol = var_milter_protocol;
	m->action = milter_action(var_milter_default_action);
	m->action_name = var_milter_default_action;
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
 * milter_setting - one "name = value" of a milter written in braces, as
 * Postfix: { inet:host:port, command_timeout = 10s, default_action =
 * accept }: 0, or -1 and why.
 */
static int
milter_setting(struct milter *m, char *item, struct buf *why)
{
	static const char *actions[] = { "tempfail", "reject", "accept",
	    "quarantine" };
	char		*eq = strchr(item, '='), *name, *value;
	char		*orig = xstrdup(item);
	long long	 t;
	size_t		 i;

	if (eq == NULL)
		goto bad;
	*eq = '\0';
	name = trim(item);
	value = trim(eq + 1);
	t = parse_time(value, 's');
	if (strcmp(name, "connect_timeout") == 0 && t >= 1)
		m->connect_timeout = t;
	else if (strcmp(name, "command_timeout") == 0 && t >= 1)
		m->command_timeout = t;
	else if (strcmp(name, "content_timeout") == 0 && t >= 1)
		m->content_timeout = t;
	else if (strcmp(name, "protocol") == 0 && strlen(value) == 1 &&
	    value[0] >= '2' && value[0] <= '6')
		m->protocol = value[0] - '0';
	else if (strcmp(name, "default_action") == 0 &&
	    milter_action(value) >= -1) {
		m->action = milter_action(value);
		for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
			if (strcasecmp(value, actions[i]) == 0)
				m->action_name = actions[i];
	} else
		goto bad;
	free(orig);
	return 0;
bad:
	buf_setf(why, "bad setting \"%s\" of milter %s: expected "
	    "connect_timeout, command_timeout or content_timeout = TIME, "
	    "protocol = 2..6, default_action = tempfail, reject, accept or "
	    "quarantine", trim(orig), m->spec);
	free(orig);
	return -1;
}

/* milter_braces - "{ address, name = value, ... }" at p (just past the
 * brace, its closing one made a NUL) into m */
static int
milter_braces(struct milter *m, char *p, struct buf *why)
{
	char		*item;

	if ((item = mystrtok(&p, ",")) == NULL) {
		buf_setf(why, "a milter in braces without an address");
		return -1;
	}
	if (milter_parse(m, trim(item), why) < 0)
		return -1;
	while ((item = mystrtok(&p, ",")) != NULL)
		if (milter_setting(m, item, why) < 0)
			return -1;
	return 0;
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
 * milter_default_action is bad.  An entry is an address, or an address
 * and its own settings in braces.
 */
struct milters *
milters_new(const char *list, milter_macro_fn macro, void *ctx,
    struct buf *why)
{
	struct milters	*ms = xcalloc(1, sizeof(*ms));
	char		*copy = xstrdup(list ? list : ""), *p = copy, *end;
	struct milter	*m;
	int		 r;

	ms->macro = macro;
	ms->ctx = ctx;
	ms->pkt = buf_new(1024, 0);
	ms->in = buf_new(1024, 0);
	ms->arg = buf_new(1024, 0);
	if (milter_action(var_milter_default_action) < -1) {
		buf_setf(why, "bad milter_default_action \"%s\": expected "
		    "tempfail, reject, accept or quarantine",
		    var_milter_default_action);
		goto bad;
	}
	for (;;) {
		p += strspn(p, ", \t\r\n");
		if (*p == '\0')
			break;
		ms->m = xrealloc(ms->m, (size_t)(ms->n + 1) * sizeof(*ms->m));
		m = &ms->m[ms->n++];
		memset(m, 0, sizeof(*m));
		m->fd = -1;
		if (*p == '{') {
			if ((end = strchr(p, '}')) == NULL) {
				buf_setf(why, "a milter's \"{\" without its "
				    "\"}\" in \"%s\"", list);
				goto bad;
			}
			*end = '\0';
			r = milter_braces(m, p + 1, why);
			p = end + 1;
		} else
			r = milter_parse(m, mystrtok(&p, ", \t\r\n"), why);
		if (r < 0)
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
