/*
 * cartero_check_clients - what users type into their mail clients, from
 * the services master.cf runs: "cartero check --clients" prints it in the
 * words of Thunderbird's manual account dialog (server, port, connection
 * security, authentication method, username), and "--autoconfig DIR"
 * writes the files clients fetch to fill that dialog themselves:
 *
 *	DIR/mail/config-v1.1.xml	Thunderbird's autoconfig, served as
 *		https://autoconfig.DOMAIN/mail/config-v1.1.xml
 *	DIR/autodiscover/autodiscover.xml	Outlook's Autodiscover (POX)
 *		answer, served for /autodiscover/autodiscover.xml
 *
 * A user logs in with the whole address (ana@mired.org) or, for the
 * domain $mydomain, the bare name (ana): auth takes both forms for
 * virtual and system users alike.  A port without implicit TLS offers
 * STARTTLS when a certificate is there; with disable_plaintext_auth = no
 * (the seed's lab) it also takes a password without TLS.
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "msg.h"
#include "params.h"
#include "util.h"
#include "cartero_check.h"

/* A service as a client sees it. */
struct check_client {
	const char	*kind;		/* "IMAP" */
	const char	*thunderbird;	/* incomingServer type: "imap" */
	const char	*outlook;	/* Protocol Type: "IMAP" */
	int		 incoming;
	int		 port;
	int		 wrapped;	/* TLS at connect */
};

/* The protocols clients use, as each client's settings name them. */
static const struct check_kind {
	enum check_proto proto;
	const char	*kind, *thunderbird, *outlook;
	int		 incoming;
} check_kinds[] = {
	{ CHECK_IMAP, "IMAP", "imap", "IMAP", 1 },
	{ CHECK_POP3, "POP3", "pop3", "POP3", 1 },
	/* Port 25 is for users only when it takes AUTH. */
	{ CHECK_MX, "SMTP", "smtp", "SMTP", 0 },
	{ CHECK_SUBMISSION, "SMTP", "smtp", "SMTP", 0 },
};

/* check_client_of - a service as a client sees it: 1, or 0 for none */
static int
check_client_of(const struct check_serv *s, struct check_client *c)
{
	enum check_proto proto = check_serv_proto(s);
	const struct check_kind *k;
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(check_kinds) / sizeof(check_kinds[0]); i++) {
		k = &check_kinds[i];
		if (k->proto != proto || (!k->incoming &&
		    !check_serv_bool(s, "smtpd_sasl_auth_enable")))
			continue;
		c->kind = k->kind;
		c->thunderbird = k->thunderbird;
		c->outlook = k->outlook;
		c->incoming = k->incoming;
		c->port = s->port;
		c->wrapped = check_serv_wrapped(s);
		return c->port != 0;
	}
	return 0;
}

/*
 * check_client_next - the next service clients use, the incoming ones
 * (IMAP, POP3) first: start with *it = 0; 1 with *c filled, 0 at the end
 */
static int
check_client_next(int *it, struct check_client *c)
{
	const struct check_serv *s;
	int incoming;

	while (*it < 2 * check_nservs) {
		incoming = *it < check_nservs;
		s = &check_servs[*it % check_nservs];
		(*it)++;
		if (check_client_of(s, c) && c->incoming == incoming)
			return 1;
	}
	return 0;
}

/* check_tls_ok - can a STARTTLS port start TLS (a certificate is there)? */
static int
check_tls_ok(void)
{
	return access(var_tls_cert_file, R_OK) == 0 ||
	    (geteuid() != 0 && access(var_tls_cert_file, F_OK) == 0);
}

/* check_security - the connection security a client chooses */
static const char *
check_security(const struct check_client *c)
{
	if (c->wrapped)
		return "SSL/TLS";
	if (!check_tls_ok())
		return "None";
	return var_disable_plaintext_auth ? "STARTTLS" :
	    "STARTTLS (or None: disable_plaintext_auth = no)";
}

/* check_example_user - a virtual user's name for the examples, or "user" */
static char *
check_example_user(void)
{
	struct buf *text = check_virtual_text();
	char *cp = text->data, *line, *name = NULL;

	while (name == NULL && cp != NULL && *cp != '\0') {
		line = strsep(&cp, "\n");
		if (*line != '#' && strchr(line, ':') != NULL &&
		    strcspn(line, "@:") > 0)
			name = xstrndup(line, strcspn(line, "@:"));
	}
	buf_free(&text);
	return name != NULL ? name : xstrdup("user");
}

/* check_clients - the settings to give to users */
int
check_clients(void)
{
	struct check_client c;
	char *user = check_example_user();
	int it = 0, n = 0;

	printf("Settings for mail clients (Thunderbird: \"Configure "
	    "manually\"):\n");
	printf("  Server:          %s (incoming and outgoing)\n",
	    var_myhostname);
	printf("  Username:        the whole address (%s@%s) or the bare "
	    "name (%s)\n", user, var_mydomain, user);
	free(user);
	printf("  Authentication:  Normal password\n");
	for (; check_client_next(&it, &c); n++)
		printf("  %-8s %-5s port %-5d %s\n", c.incoming ?
		    "Incoming" : "Outgoing", c.kind, c.port,
		    check_security(&c));
	if (n == 0)
		printf("  (master.cf runs no service for mail clients)\n");
	return 0;
}

/* check_socket_type - Thunderbird's socketType of a service */
static const char *
check_socket_type(const struct check_client *c)
{
	if (c->wrapped)
		return "SSL";
	return check_tls_ok() ? "STARTTLS" : "plain";
}

/* check_thunderbird - the text of config-v1.1.xml */
static void
check_thunderbird(struct buf *x)
{
	struct check_client c;
	int it = 0;

	buf_appendf(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<clientConfig version=\"1.1\">\n"
	    "  <emailProvider id=\"%s\">\n"
	    "    <domain>%s</domain>\n"
	    "    <displayName>%s mail</displayName>\n"
	    "    <displayShortName>%s</displayShortName>\n",
	    var_mydomain, var_mydomain, var_mydomain, var_mydomain);
	while (check_client_next(&it, &c))
		buf_appendf(x, "    <%s type=\"%s\">\n"
		    "      <hostname>%s</hostname>\n"
		    "      <port>%d</port>\n"
		    "      <socketType>%s</socketType>\n"
		    "      <authentication>password-cleartext"
		    "</authentication>\n"
		    "      <username>%%EMAILADDRESS%%</username>\n"
		    "    </%s>\n", c.incoming ? "incomingServer" :
		    "outgoingServer", c.thunderbird, var_myhostname, c.port,
		    check_socket_type(&c), c.incoming ? "incomingServer" :
		    "outgoingServer");
	buf_puts(x, "  </emailProvider>\n</clientConfig>\n");
}

/* check_outlook - the text of autodiscover.xml */
static void
check_outlook(struct buf *x)
{
	struct check_client c;
	int it = 0;

	buf_puts(x, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/"
	    "autodiscover/responseschema/2006\">\n"
	    "  <Response xmlns=\"http://schemas.microsoft.com/exchange/"
	    "autodiscover/outlook/responseschema/2006a\">\n"
	    "    <Account>\n"
	    "      <AccountType>email</AccountType>\n"
	    "      <Action>settings</Action>\n");
	while (check_client_next(&it, &c))
		buf_appendf(x, "      <Protocol>\n"
		    "        <Type>%s</Type>\n"
		    "        <Server>%s</Server>\n"
		    "        <Port>%d</Port>\n"
		    "        <DomainRequired>off</DomainRequired>\n"
		    "        <SPA>off</SPA>\n"
		    "        <SSL>%s</SSL>\n"
		    "%s"
		    "        <AuthRequired>on</AuthRequired>\n"
		    "      </Protocol>\n", c.outlook, var_myhostname,
		    c.port, c.wrapped || check_tls_ok() ? "on" : "off",
		    c.wrapped ? "        <Encryption>SSL</Encryption>\n"
		    : check_tls_ok() ?
		    "        <Encryption>TLS</Encryption>\n" : "");
	buf_puts(x, "    </Account>\n  </Response>\n</Autodiscover>\n");
}

/* check_write - DIR/sub/name with text, the directory made first */
static int
check_write(const char *dir, const char *sub, const char *name,
    const struct buf *text)
{
	struct buf *path = buf_new(256, PATH_MAX), *why = buf_new(128, 1024);
	int r = -1;

	buf_setf(path, "%s/%s", dir, sub);
	if (buf_overflowed(path))
		msg_warn("%s/%s: path too long", dir, sub);
	else if (mkdir_p(buf_str(path), 0755) < 0)
		msg_warn("mkdir %s: %m", buf_str(path));
	else {
		buf_appendf(path, "/%s", name);
		if (file_replace(buf_str(path), text, 0644, (uid_t)-1,
		    (gid_t)-1, why) < 0)
			msg_warn("%s", buf_str(why));
		else {
			printf("wrote %s\n", buf_str(path));
			r = 0;
		}
	}
	buf_free(&path);
	buf_free(&why);
	return r;
}

/* check_autoconfig - write the files clients set themselves up from */
int
check_autoconfig(const char *dir)
{
	struct buf *x = buf_new(4096, 0);
	int r;

	check_thunderbird(x);
	r = check_write(dir, "mail", "config-v1.1.xml", x);
	buf_reset(x);
	check_outlook(x);
	if (check_write(dir, "autodiscover", "autodiscover.xml", x) < 0)
		r = -1;
	buf_free(&x);
	if (r == 0)
		printf("# serve them at https://autoconfig.%s/mail/"
		    "config-v1.1.xml and https://autodiscover.%s/autodiscover/"
		    "autodiscover.xml\n", var_mydomain, var_mydomain);
	return r < 0 ? 1 : 0;
}
