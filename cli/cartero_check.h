/*
 * cartero_check - what the files of "cartero check" share: the inet
 * services of master.cf that it looks at, the one way a finding is
 * reported, and each file's entry points.
 *
 *	cartero_check.c		main.cf, master.cf, files, maps, the queue's
 *				and mailboxes' permissions, ports
 *	cartero_check_auth.c	the records of deliverability: SPF, DKIM,
 *				DMARC, MTA-STS, TLS-RPT
 *	cartero_check_dns.c	the TLS certificates, DNS (MX, A, PTR) and
 *				the RFC 6186 SRV records to publish
 *	cartero_check_clients.c	--clients and --autoconfig
 */
#ifndef CARTERO_CHECK_H
#define CARTERO_CHECK_H

/* An inet service of master.cf. */
struct check_serv {
	char		*name;		/* column 1: "imaps", "127.0.0.1:25" */
	char		*command;	/* column 8: smtpd, pop3d, imapd */
	char		**opts;		/* -o name=value, as written */
	int		 nopts;
	int		 line;		/* where it starts in master.cf */
	char		**hosts;	/* where master binds it (not [::1]) */
	int		 nhosts;
	int		 port;		/* 0: a port name we cannot read */
};

/* What a client of a service meets: the protocol and its TLS. */
enum check_proto { CHECK_MX, CHECK_SUBMISSION, CHECK_IMAP, CHECK_POP3,
	CHECK_OTHER };

extern struct check_serv *check_servs;
extern int	 check_nservs;

/* One finding, one line with its fix, on stdout; counted. */
void		 check_finding(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
/* A yes/no parameter as a service sees it: its -o value, else main.cf's. */
int		 check_serv_bool(const struct check_serv *, const char *);
enum check_proto check_serv_proto(const struct check_serv *);
/* Does TLS start at connect (465, 993, 995)? */
int		 check_serv_wrapped(const struct check_serv *);
/* virtual_passwd_file, else the user table derived from it (no hashes) */
struct buf	*check_virtual_text(void);
/* The real domains of mydestination (not localhost), NULL ended. */
char		**check_domains(void);

/* cartero_check_dns.c */
void		 check_tls(void);
void		 check_dns(const char *);	/* our address, or NULL */
/* This host's public IPv4 address (text into out), or NULL. */
const char	*check_address(char *, size_t);

/* cartero_dkim.c: a DKIM key record as a zone's TXT line(s). */
void		 cartero_dkim_print(const char *, const char *,
		    const struct buf *);

/* cartero_check_auth.c: SPF, DKIM, DMARC, MTA-STS and TLS-RPT records. */
void		 check_auth(const char *);	/* our address, or NULL */
void		 check_srv(void);

/* cartero_check_clients.c */
int		 check_clients(void);
int		 check_autoconfig(const char *);

#endif
