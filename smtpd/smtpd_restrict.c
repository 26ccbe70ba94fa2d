/*
 * smtpd_restrict - the restriction lists a Postfix admin writes in main.cf
 * or as master.cf -o options, parsed when smtpd starts (a wrong name or a
 * table that cannot be opened stops it) and evaluated in order, the first
 * decision winning:
 *
 *	smtpd_client_restrictions	at MAIL FROM
 *	smtpd_sender_restrictions	at MAIL FROM, after the client's
 *	smtpd_relay_restrictions	at RCPT TO
 *	smtpd_recipient_restrictions	at RCPT TO, after the relay list
 *
 * Client and sender lists run at MAIL FROM, not at RCPT as Postfix's
 * smtpd_delay_reject does: submission must answer MAIL before AUTH with
 * 530 5.7.0 (RFC 4954 6).  That reply is what "reject" gives, at MAIL,
 * to a client that has not authenticated when the list it ends names
 * permit_sasl_authenticated before it and AUTH is enabled: the list says
 * "authenticated clients only", so the client is told to authenticate.
 *
 * The restrictions: permit, reject, permit_mynetworks,
 * permit_sasl_authenticated, reject_unauth_destination (RCPT only),
 * reject_non_fqdn_sender, reject_non_fqdn_recipient,
 * reject_unknown_sender_domain, reject_unknown_recipient_domain (no MX, A
 * or AAAA: 550 when the domain does not exist or has none, 450 when DNS
 * fails), reject_rbl_client ZONE, check_client_access TABLE,
 * check_sender_access TABLE, check_recipient_access TABLE (values OK,
 * PERMIT, DUNNO, REJECT [text], 4xx or 5xx text) and
 * reject_sender_login_mismatch (smtpd_sender_login.c).  A restriction
 * that needs what the stage does not have yet (a recipient at MAIL)
 * does nothing.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "dns.h"
#include "maps.h"
#include "msg.h"
#include "params.h"
#include "resolve.h"
#include "util.h"
#include "smtpd.h"

enum smtpd_rtype {
	R_PERMIT, R_REJECT, R_PERMIT_MYNETWORKS, R_PERMIT_SASL,
	R_REJECT_UNAUTH_DEST, R_NON_FQDN_SENDER, R_NON_FQDN_RCPT,
	R_UNKNOWN_SENDER_DOMAIN, R_UNKNOWN_RCPT_DOMAIN, R_RBL_CLIENT,
	R_CLIENT_ACCESS, R_SENDER_ACCESS, R_RCPT_ACCESS, R_LOGIN_MISMATCH
};

static const struct {
	const char	*name;
	enum smtpd_rtype type;
	int		 arg;	/* 1: takes a zone, 2: a table */
} smtpd_rnames[] = {
	{ "permit", R_PERMIT, 0 },
	{ "reject", R_REJECT, 0 },
	{ "permit_mynetworks", R_PERMIT_MYNETWORKS, 0 },
	{ "permit_sasl_authenticated", R_PERMIT_SASL, 0 },
	{ "reject_unauth_destination", R_REJECT_UNAUTH_DEST, 0 },
	{ "reject_non_fqdn_sender", R_NON_FQDN_SENDER, 0 },
	{ "reject_non_fqdn_recipient", R_NON_FQDN_RCPT, 0 },
	{ "reject_unknown_sender_domain", R_UNKNOWN_SENDER_DOMAIN, 0 },
	{ "reject_unknown_recipient_domain", R_UNKNOWN_RCPT_DOMAIN, 0 },
	{ "reject_rbl_client", R_RBL_CLIENT, 1 },
	{ "check_client_access", R_CLIENT_ACCESS, 2 },
	{ "check_sender_access", R_SENDER_ACCESS, 2 },
	{ "check_recipient_access", R_RCPT_ACCESS, 2 },
	{ "reject_sender_login_mismatch", R_LOGIN_MISMATCH, 0 },
};

#define SMTPD_NRNAMES	(sizeof(smtpd_rnames) / sizeof(smtpd_rnames[0]))

struct smtpd_rule {
	enum smtpd_rtype type;
	char		*arg;		/* the zone or the table's name */
	struct map	*map;		/* check_*_access */
	int		 after_sasl;	/* permit_sasl_authenticated before */
};

struct smtpd_rlist {
	const char	*param;
	struct smtpd_rule *rule;
	int		 n;
};

static struct smtpd_rlist smtpd_lists[SMTPD_LIST_COUNT];

/* smtpd_restrict_parse - one parameter's list; die on a mistake */
static void
smtpd_restrict_parse(struct smtpd_rlist *l, const char *param,
    const char *value)
{
	char *list = xstrdup(value), *cp = list, *tok;
	struct buf *why = buf_new(128, 1024);
	struct smtpd_rule *r;
	int sasl = 0;
	size_t i;

	l->param = param;
	while ((tok = mystrtok(&cp, ", \t\r\n")) != NULL) {
		for (i = 0; i < SMTPD_NRNAMES; i++)
			if (strcasecmp(tok, smtpd_rnames[i].name) == 0)
				break;
		if (i == SMTPD_NRNAMES)
			msg_fatal("parameter %s: unknown restriction \"%s\"",
			    param, tok);
		l->rule = xrealloc(l->rule, sizeof(*l->rule) *
		    (size_t)(l->n + 1));
		r = &l->rule[l->n++];
		memset(r, 0, sizeof(*r));
		r->type = smtpd_rnames[i].type;
		r->after_sasl = sasl;
		if (r->type == R_PERMIT_SASL)
			sasl = 1;
		if (smtpd_rnames[i].arg == 0)
			continue;
		if ((tok = mystrtok(&cp, ", \t\r\n")) == NULL)
			msg_fatal("parameter %s: %s needs a %s", param,
			    smtpd_rnames[i].name, smtpd_rnames[i].arg == 1 ?
			    "DNS zone" : "table");
		r->arg = xstrdup(tok);
		if (smtpd_rnames[i].arg == 2 &&
		    (r->map = map_open(tok, 0, why)) == NULL)
			msg_fatal("parameter %s: %s %s: %s", param,
			    smtpd_rnames[i].name, tok, buf_str(why));
	}
	free(list);
	buf_free(&why);
}

/*
 * smtpd_restrict_init - parse the four lists (before the chroot: the
 * tables' files are outside it)
 */
void
smtpd_restrict_init(void)
{
	smtpd_restrict_parse(&smtpd_lists[SMTPD_LIST_CLIENT],
	    "smtpd_client_restrictions", var_smtpd_client_restrictions);
	smtpd_restrict_parse(&smtpd_lists[SMTPD_LIST_SENDER],
	    "smtpd_sender_restrictions", var_smtpd_sender_restrictions);
	smtpd_restrict_parse(&smtpd_lists[SMTPD_LIST_RELAY],
	    "smtpd_relay_restrictions", var_smtpd_relay_restrictions);
	smtpd_restrict_parse(&smtpd_lists[SMTPD_LIST_RCPT],
	    "smtpd_recipient_restrictions", var_smtpd_recipient_restrictions);
}

/* smtpd_restrict_what - "Sender address", "Client host", ... */
static const char *
smtpd_restrict_what(int list, const struct smtpd_req *q)
{
	if (list == SMTPD_LIST_CLIENT)
		return "Client host";
	if (q->rcpt == NULL)
		return "Sender address";
	return "Recipient address";
}

/* smtpd_restrict_who - what a reply names: <address> or <name[addr]> */
static void
smtpd_restrict_who(struct smtpd_state *s, int list,
    const struct smtpd_req *q, struct buf *out)
{
	if (list == SMTPD_LIST_CLIENT)
		buf_setf(out, "<%s>", s->namaddr);
	else {
		buf_set(out, "<");
		printable(q->rcpt != NULL ? q->rcpt : q->sender, s->tmp);
		buf_puts(out, buf_str(s->tmp));
		buf_puts(out, ">");
	}
}

/*
 * smtpd_restrict_action - an access table's value: 1 permit, 0 dunno,
 * -1 reject (the reply in why)
 */
static int
smtpd_restrict_action(struct smtpd_state *s, int list,
    const struct smtpd_req *q, const char *value, struct buf *why)
{
	struct buf *who = buf_new(64, 0);
	const char *text;
	int code, r = -1;

	value += strspn(value, " \t");
	smtpd_restrict_who(s, list, q, who);
	if (strcasecmp(value, "OK") == 0 || strcasecmp(value, "PERMIT") == 0)
		r = 1;
	else if (strcasecmp(value, "DUNNO") == 0)
		r = 0;
	else if (strncasecmp(value, "REJECT", 6) == 0 &&
	    (value[6] == '\0' || value[6] == ' ' || value[6] == '\t')) {
		text = value + 6 + strspn(value + 6, " \t");
		buf_setf(why, "554 5.7.1 %s: %s rejected: %s", buf_str(who),
		    smtpd_restrict_what(list, q), *text ? text :
		    "Access denied");
	} else if ((value[0] == '4' || value[0] == '5') &&
	    isdigit((unsigned char)value[1]) &&
	    isdigit((unsigned char)value[2]) &&
	    (value[3] == ' ' || value[3] == '\0')) {
		code = atoi(value);
		text = value + 3 + strspn(value + 3, " \t");
		if (isdigit((unsigned char)text[0]) && text[1] == '.')
			buf_setf(why, "%d %s", code, text);
		else
			buf_setf(why, "%d %c.7.1 %s: %s rejected: %s", code,
			    value[0], buf_str(who),
			    smtpd_restrict_what(list, q),
			    *text ? text : "Access denied");
	} else {
		msg_warn("access table value \"%s\" is not OK, DUNNO, REJECT "
		    "or a 4xx/5xx reply", printable(value, s->tmp));
		buf_setf(why, "451 4.3.5 Server configuration error");
	}
	buf_free(&who);
	return r;
}

/*
 * smtpd_restrict_lookup - look up each key of a NULL-ended list in turn:
 * the first found decides.  1 permit, 0 dunno, -1 reject (why).
 */
static int
smtpd_restrict_lookup(struct smtpd_state *s, int list,
    const struct smtpd_req *q, struct map *map, const char **keys,
    struct buf *why)
{
	struct buf *val = buf_new(64, 1024);
	int i, r = 0, found;

	for (i = 0; keys[i] != NULL; i++) {
		if (*keys[i] == '\0')
			continue;
		found = map_lookup(map, keys[i], val);
		if (found < 0) {
			msg_warn("access table lookup of %s failed",
			    printable(keys[i], s->tmp));
			buf_setf(why, "451 4.3.0 Temporary lookup failure");
			r = -1;
			break;
		}
		if (found > 0) {
			r = smtpd_restrict_action(s, list, q, buf_str(val),
			    why);
			break;
		}
	}
	buf_free(&val);
	return r;
}

/*
 * smtpd_restrict_addr_access - an address in an access table: the whole
 * address, its domain and each parent domain, then "local@"
 */
static int
smtpd_restrict_addr_access(struct smtpd_state *s, int list,
    const struct smtpd_req *q, struct map *map, const char *addr,
    struct buf *why)
{
	struct buf *local = buf_new(64, 0), *domain = buf_new(64, 0);
	const char *keys[4];
	const char *d;
	int r;

	addr_split(addr, local, domain);
	buf_puts(local, "@");
	keys[0] = addr;
	keys[1] = NULL;
	r = smtpd_restrict_lookup(s, list, q, map, keys, why);
	for (d = buf_str(domain); r == 0 && *d != '\0'; ) {
		keys[0] = d;
		r = smtpd_restrict_lookup(s, list, q, map, keys, why);
		if ((d = strchr(d, '.')) == NULL)
			break;
		d++;
	}
	if (r == 0) {
		keys[0] = buf_str(local);
		r = smtpd_restrict_lookup(s, list, q, map, keys, why);
	}
	buf_free(&local);
	buf_free(&domain);
	return r;
}

/*
 * smtpd_restrict_client_access - the client in an access table: its
 * address, its name, then (IPv4) its networks 1.2.3, 1.2, 1
 */
static int
smtpd_restrict_client_access(struct smtpd_state *s, int list,
    const struct smtpd_req *q, struct map *map, struct buf *why)
{
	char net[3][SMTPD_ADDR_MAX];
	const char *keys[6];
	char *dot;
	int i, n = 0;

	keys[n++] = s->addr;
	if (strcmp(s->name, "unknown") != 0)
		keys[n++] = s->name;
	if (s->sa.ss_family == AF_INET)
		for (i = 0; i < 3; i++) {
			snprintf(net[i], sizeof(net[i]), "%s",
			    i == 0 ? s->addr : net[i - 1]);
			if ((dot = strrchr(net[i], '.')) != NULL)
				*dot = '\0';
			keys[n++] = net[i];
		}
	keys[n] = NULL;
	return smtpd_restrict_lookup(s, list, q, map, keys, why);
}

/* smtpd_restrict_domain - the domain of addr, in a new buf for the caller */
static struct buf *
smtpd_restrict_domain(const char *addr)
{
	struct buf *local = buf_new(64, 0), *domain = buf_new(64, 0);

	addr_split(addr, local, domain);
	buf_free(&local);
	return domain;
}

/* smtpd_restrict_fqdn - a non-empty address's domain is a dotted name */
static int
smtpd_restrict_fqdn(const char *addr)
{
	struct buf *domain = smtpd_restrict_domain(addr);
	const char *d = buf_str(domain);
	int r;

	r = *d == '[' || (strchr(d, '.') != NULL && d[0] != '.' &&
	    d[strlen(d) - 1] != '.');
	buf_free(&domain);
	return r;
}

/*
 * smtpd_restrict_domain_dns - has the address's domain an MX, A or AAAA
 * record?  DNS_OK, DNS_NOTFOUND (none, or no such domain) or
 * DNS_TEMPFAIL.  Our own domains and address literals need no DNS.
 */
static int
smtpd_restrict_domain_dns(const char *addr)
{
	static const int types[] = { DNS_T_MX, DNS_T_A, DNS_T_AAAA };
	struct buf *domain = smtpd_restrict_domain(addr);
	struct dns_result *res;
	long ms = (long)var_smtpd_timeout * 1000;
	int i, st, r = DNS_NOTFOUND;

	if (buf_str(domain)[0] == '[' ||
	    resolve_is_local_domain(buf_str(domain)))
		r = DNS_OK;
	for (i = 0; r == DNS_NOTFOUND && i < 3; i++) {
		res = NULL;
		st = dns_lookup_wait(types[i], buf_str(domain), ms, &res);
		dns_result_free(&res);
		if (st == DNS_OK)
			r = DNS_OK;
		else if (st == DNS_TEMPFAIL)
			r = DNS_TEMPFAIL;
		else if (st == DNS_NOTFOUND || st == DNS_BADNAME)
			break;		/* no such name: no other record */
	}
	buf_free(&domain);
	return r;
}

/* smtpd_restrict_unknown - reject_unknown_{sender,recipient}_domain */
static int
smtpd_restrict_unknown(struct smtpd_state *s, int list,
    const struct smtpd_req *q, const char *addr, struct buf *why)
{
	struct buf *who;
	int st, rcpt = q->rcpt != NULL;

	if (*addr == '\0' || (st = smtpd_restrict_domain_dns(addr)) == DNS_OK)
		return 0;
	who = buf_new(64, 0);
	smtpd_restrict_who(s, list, q, who);
	buf_setf(why, "%s.1.%d %s: %s rejected: Domain not found",
	    st == DNS_TEMPFAIL ? "450 4" : "550 5", rcpt ? 2 : 8,
	    buf_str(who), smtpd_restrict_what(list, q));
	buf_free(&who);
	return -1;
}

/*
 * smtpd_restrict_rbl - reject_rbl_client ZONE: an A record at the
 * client's reversed address under the zone lists it.  A DNS failure
 * lets the client through, as in Postfix.
 */
static int
smtpd_restrict_rbl(struct smtpd_state *s, const char *zone,
    struct buf *why)
{
	struct buf *name = buf_new(128, 0);
	struct dns_result *res = NULL;
	const char *suffix;
	size_t n;
	int st = DNS_NOTFOUND;

	if (dns_reverse_name((struct sockaddr *)&s->sa, name) == 0) {
		suffix = s->sa.ss_family == AF_INET ? ".in-addr.arpa" :
		    ".ip6.arpa";
		n = buf_len(name) - strlen(suffix);
		buf_truncate(name, n);
		buf_appendf(name, ".%s", zone);
		st = dns_lookup_wait(DNS_T_A, buf_str(name),
		    (long)var_smtpd_timeout * 1000, &res);
		dns_result_free(&res);
	}
	buf_free(&name);
	if (st != DNS_OK)
		return 0;
	buf_setf(why, "554 5.7.1 Service unavailable; Client host [%s] "
	    "blocked using %s", s->addr, zone);
	return -1;
}

/* smtpd_restrict_one - one restriction: 1 permit, 0 next, -1 reject */
static int
smtpd_restrict_one(struct smtpd_state *s, int list,
    const struct smtpd_req *q, const struct smtpd_rule *r, struct buf *why)
{
	struct buf *who;

	switch (r->type) {
	case R_PERMIT:
		return 1;
	case R_REJECT:
		if (q->rcpt == NULL && r->after_sasl && s->sasl_user == NULL &&
		    var_smtpd_sasl_auth_enable) {
			buf_set(why, "530 5.7.0 Authentication required");
			return -1;
		}
		who = buf_new(64, 0);
		smtpd_restrict_who(s, list, q, who);
		buf_setf(why, "554 5.7.1 %s: %s rejected: Access denied",
		    buf_str(who), smtpd_restrict_what(list, q));
		buf_free(&who);
		return -1;
	case R_PERMIT_MYNETWORKS:
		return s->in_mynetworks;
	case R_PERMIT_SASL:
		return s->sasl_user != NULL;
	case R_REJECT_UNAUTH_DEST:
		if (q->rcpt == NULL || q->class != RESOLVE_REMOTE)
			return 0;
		printable(q->rcpt, s->tmp);
		buf_setf(why, "554 5.7.1 <%s>: Relay access denied",
		    buf_str(s->tmp));
		return -1;
	case R_NON_FQDN_SENDER:
	case R_NON_FQDN_RCPT:
		if (r->type == R_NON_FQDN_RCPT && q->rcpt == NULL)
			return 0;
		if (r->type == R_NON_FQDN_SENDER && (*q->sender == '\0' ||
		    smtpd_restrict_fqdn(q->sender)))
			return 0;
		if (r->type == R_NON_FQDN_RCPT && smtpd_restrict_fqdn(q->rcpt))
			return 0;
		printable(r->type == R_NON_FQDN_RCPT ? q->rcpt : q->sender,
		    s->tmp);
		buf_setf(why, "504 5.5.2 <%s>: %s address rejected: need "
		    "fully-qualified address", buf_str(s->tmp),
		    r->type == R_NON_FQDN_RCPT ? "Recipient" : "Sender");
		return -1;
	case R_UNKNOWN_SENDER_DOMAIN:
		return smtpd_restrict_unknown(s, list, &(struct smtpd_req){
		    q->sender, NULL, q->class }, q->sender, why);
	case R_UNKNOWN_RCPT_DOMAIN:
		if (q->rcpt == NULL)
			return 0;
		return smtpd_restrict_unknown(s, list, q, q->rcpt, why);
	case R_RBL_CLIENT:
		return smtpd_restrict_rbl(s, r->arg, why);
	case R_CLIENT_ACCESS:
		return smtpd_restrict_client_access(s, SMTPD_LIST_CLIENT, q,
		    r->map, why);
	case R_SENDER_ACCESS:
		if (*q->sender == '\0')
			return 0;
		return smtpd_restrict_addr_access(s, list,
		    &(struct smtpd_req){ q->sender, NULL, q->class }, r->map,
		    q->sender, why);
	case R_RCPT_ACCESS:
		if (q->rcpt == NULL)
			return 0;
		return smtpd_restrict_addr_access(s, list, q, r->map, q->rcpt,
		    why);
	case R_LOGIN_MISMATCH:
		return smtpd_sender_login_check(s, q->sender, why);
	}
	return 0;
}

/*
 * smtpd_restrict - evaluate one list (SMTPD_LIST_*) for a request: 0 when
 * it permits (or says nothing), -1 with the whole reply in why
 */
int
smtpd_restrict(struct smtpd_state *s, int list, const struct smtpd_req *q,
    struct buf *why)
{
	struct smtpd_rlist *l = &smtpd_lists[list];
	int i, r;

	for (i = 0; i < l->n; i++) {
		r = smtpd_restrict_one(s, list, q, &l->rule[i], why);
		if (r > 0)
			return 0;
		if (r < 0)
			return -1;
	}
	return 0;
}
