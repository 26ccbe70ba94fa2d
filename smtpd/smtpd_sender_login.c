/*
 * smtpd_sender_login - reject_sender_login_mismatch: an authenticated
 * client may send only as an address its login owns, as Postfix's
 * restriction does with a smtpd_sender_login_maps made of the users:
 *
 *	the login itself, for a virtual user ("ana@mired.org", whose
 *	    login is that address);
 *	login@D for each local domain D (mydestination), for a system
 *	    user ("ana" owns ana@mired.org and ana@localhost);
 *	what smtpd_sender_login_maps gives it: the table maps an address,
 *	    then the address without its +extension, then "@domain", to
 *	    the logins that own it ("ana, bob@mired.org"; a virtual user
 *	    of a local domain may also be named by its local part).
 *
 * The +extension is ignored (ana+lists@mired.org is ana's).  A mismatch
 * is "553 5.7.1 <addr>: Sender address rejected: not owned by user
 * LOGIN".  A client that has not authenticated may not use an address
 * the table lists ("... not logged in"); other addresses are left to the
 * other restrictions.  The null sender is let through, as in Postfix:
 * it is what bounces and auto-replies use.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "resolve.h"
#include "util.h"
#include "smtpd.h"

static struct map *smtpd_login_map;

/* smtpd_sender_login_init - open smtpd_sender_login_maps (before chroot) */
void
smtpd_sender_login_init(void)
{
	struct buf *why;

	if (*var_smtpd_sender_login_maps == '\0')
		return;
	why = buf_new(128, 1024);
	if ((smtpd_login_map = map_open(var_smtpd_sender_login_maps, 0,
	    why)) == NULL)
		msg_fatal("parameter smtpd_sender_login_maps: %s",
		    buf_str(why));
	buf_free(&why);
}

/* smtpd_sender_login_is - does a table's login name this session's? */
static int
smtpd_sender_login_is(const char *entry, const char *user)
{
	const char *at = strrchr(user, '@');

	if (strcasecmp(entry, user) == 0)
		return 1;
	/* A virtual user of a local domain, named by its local part. */
	return at != NULL && strchr(entry, '@') == NULL &&
	    strlen(entry) == (size_t)(at - user) &&
	    strncasecmp(entry, user, (size_t)(at - user)) == 0 &&
	    resolve_is_local_domain(at + 1);
}

/*
 * smtpd_sender_login_lookup - the owners of an address in the table:
 * 1 found (the list in owners), 0 not listed, -1 lookup error
 */
static int
smtpd_sender_login_lookup(const char *addr, const char *bare,
    const char *domain, struct buf *owners)
{
	struct buf *key;
	int r;

	if (smtpd_login_map == NULL)
		return 0;
	if ((r = map_lookup(smtpd_login_map, addr, owners)) != 0)
		return r;
	if (strcasecmp(addr, bare) != 0 &&
	    (r = map_lookup(smtpd_login_map, bare, owners)) != 0)
		return r;
	key = buf_new(64, 0);
	buf_setf(key, "@%s", domain);
	r = map_lookup(smtpd_login_map, buf_str(key), owners);
	buf_free(&key);
	return r;
}

/* smtpd_sender_login_owns - is user among the owners listed? */
static int
smtpd_sender_login_owns(const char *owners, const char *user)
{
	char *list = xstrdup(owners), *cp = list, *tok;
	int r = 0;

	while (!r && (tok = mystrtok(&cp, ", \t")) != NULL)
		r = smtpd_sender_login_is(tok, user);
	free(list);
	return r;
}

/* smtpd_sender_login_own - is bare (no extension) the user's own? */
static int
smtpd_sender_login_own(const char *bare, const char *local,
    const char *domain, const char *user)
{
	if (strchr(user, '@') != NULL)
		return strcasecmp(bare, user) == 0;
	return strcasecmp(local, user) == 0 && *domain != '\0' &&
	    resolve_is_local_domain(domain);
}

/*
 * smtpd_sender_login_check - the restriction: 0 dunno, -1 with the reply
 * in why
 */
int
smtpd_sender_login_check(struct smtpd_state *s, const char *sender,
    struct buf *why)
{
	struct buf *local, *domain, *bare, *owners;
	char *copy;
	int listed, own = 0;

	if (sender == NULL || *sender == '\0')
		return 0;
	local = buf_new(64, 0);
	domain = buf_new(64, 0);
	bare = buf_new(64, 0);
	owners = buf_new(64, 4096);
	copy = xstrdup(sender);
	buf_set(bare, resolve_strip_extension(copy));
	free(copy);
	addr_split(buf_str(bare), local, domain);
	listed = smtpd_sender_login_lookup(sender, buf_str(bare),
	    buf_str(domain), owners);
	printable(sender, s->tmp);
	if (listed < 0) {
		msg_warn("smtpd_sender_login_maps lookup of <%s> failed",
		    buf_str(s->tmp));
		buf_set(why, "451 4.3.0 Temporary lookup failure");
	} else if (s->sasl_user == NULL) {
		own = !listed;
		if (listed)
			buf_setf(why, "553 5.7.1 <%s>: Sender address "
			    "rejected: not logged in", buf_str(s->tmp));
	} else {
		own = smtpd_sender_login_own(buf_str(bare), buf_str(local),
		    buf_str(domain), s->sasl_user) || (listed &&
		    smtpd_sender_login_owns(buf_str(owners), s->sasl_user));
		if (!own)
			buf_setf(why, "553 5.7.1 <%s>: Sender address "
			    "rejected: not owned by user %s", buf_str(s->tmp),
			    s->sasl_user);
	}
	buf_free(&local);
	buf_free(&domain);
	buf_free(&bare);
	buf_free(&owners);
	return own ? 0 : -1;
}
