/*
 * smtpd - the SMTP server: one session per connection, blocking I/O
 * through lineio, the queue file written by the server itself.
 *
 *	smtpd.c		main, the session: greeting, limits, command loop
 *	smtpd_chat.c	replies, error counting, lost clients, the summary
 *	smtpd_state.c	forgetting the transaction or the whole session
 *	smtpd_peer.c	the client's address, checked name, mynetworks
 *	smtpd_cmd.c	the commands (HELO EHLO MAIL RCPT RSET NOOP ...)
 *	smtpd_check.c	who may send to whom (relay and recipient checks)
 *	smtpd_restrict.c the restriction lists (client, sender, relay, rcpt)
 *	smtpd_sender_login.c reject_sender_login_mismatch
 *	smtpd_data.c	DATA: the message into the queue, headers added
 *	smtpd_bdat.c	BDAT (CHUNKING): the message in counted chunks
 *	smtpd_eom.c	the whole message: DKIM signing, or the checks
 *			(DKIM, SPF) and their Authentication-Results
 *	smtpd_tls.c	STARTTLS, implicit TLS (smtpd_tls_wrappermode)
 *	smtpd_auth.c	AUTH PLAIN and LOGIN through the auth service
 *	smtpd_dsn.c	DSN parameters (RET ENVID NOTIFY ORCPT), xtext
 *	smtpd_milter.c	smtpd_milters: the stages told to mail filters
 */
#ifndef CARTERO_SMTPD_H
#define CARTERO_SMTPD_H

#include <sys/socket.h>

#include <netinet/in.h>

struct buf;
struct lineio;
struct milter_result;
struct milters;
struct queue_writer;
struct smtpd_bdat;
struct smtpd_eom;
struct spf_answer;
struct tls;

#define SMTPD_ADDR_MAX		64	/* printable client address */
#define SMTPD_DATA_CHUNK	2048	/* DATA reads long lines in chunks */

/* Per-command counters for the "disconnect from" log line. */
enum {
	SMTPD_C_HELO, SMTPD_C_EHLO, SMTPD_C_MAIL, SMTPD_C_RCPT, SMTPD_C_DATA,
	SMTPD_C_RSET, SMTPD_C_NOOP, SMTPD_C_VRFY, SMTPD_C_HELP, SMTPD_C_QUIT,
	SMTPD_C_STARTTLS, SMTPD_C_AUTH, SMTPD_C_BDAT, SMTPD_C_UNKNOWN,
	SMTPD_C_COUNT
};

struct smtpd_state {
	struct lineio	*io;
	struct buf	*line;		/* the command line being served */
	struct buf	*reply;		/* scratch for reply texts */
	struct buf	*tmp;		/* scratch for printable() */

	/* The client. */
	struct sockaddr_storage sa;
	char		 addr[SMTPD_ADDR_MAX];	/* "192.0.2.1", "::1" */
	char		*name;		/* verified PTR name or "unknown" */
	char		*namaddr;	/* "name[addr]" for logs */
	int		 in_mynetworks;
	int		 fd;		/* the connection */
	struct tls	*tls;		/* NULL: no TLS (yet) */
	char		*sasl_method;	/* NULL: not authenticated */
	char		*sasl_user;	/* the account auth named */

	/* The session. */
	char		*helo;		/* NULL until HELO or EHLO */
	int		 esmtp;		/* EHLO was used */
	int		 errors;	/* error replies so far */
	int		 quit;		/* close after this reply */
	int		 linger;	/* ... reading what the client still
					   sends, so that it gets the reply */
	const char	*where;		/* last command, for log lines */
	int		 count[SMTPD_C_COUNT];	/* commands seen */
	int		 good[SMTPD_C_COUNT];	/* ... answered 2xx/3xx */
	int		 last_code;	/* code of the last reply */

	/* The transaction. */
	char		*sender;	/* NULL: no MAIL yet; "" null sender */
	char		**rcpt;
	int		 nrcpt;
	int		 rcpt_size;
	int		 rcpt_rejected;	/* RCPTs refused in this transaction */
	char		**rnotify;	/* each recipient's DSN NOTIFY, or NULL */
	char		**rorcpt;	/* ... its ORCPT "type;addr", or NULL */
	long long	 declared_size;	/* MAIL SIZE=, or 0 */
	int		 body8bit;	/* BODY=8BITMIME */
	int		 smtputf8;	/* SMTPUTF8 */
	struct spf_answer *spf;		/* SPF of MAIL FROM, once asked */
	char		*envid;		/* DSN ENVID (decoded), or NULL */
	int		 ret;		/* DSN RET: SMTPD_RET_* */
	struct smtpd_bdat *bdat;	/* BDAT chunks so far, or NULL */

	/* The mail filters (smtpd_milters). */
	struct milters	*milters;	/* NULL: none */
	const char	*qid;		/* the queue id once DATA began */
	const char	*mrcpt;		/* the recipient being asked about */
	int		 mtxn;		/* the milters saw MAIL */
	int		 mdiscard;	/* a milter said discard */
};

enum { SMTPD_RET_NONE, SMTPD_RET_FULL, SMTPD_RET_HDRS };

/* smtpd_chat.c */
const char	*smtpd_hostname(void);
int		 smtpd_reply(struct smtpd_state *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 smtpd_lost(struct smtpd_state *, int, const char *);
int		 smtpd_early(struct smtpd_state *);
int		 smtpd_early_talker(struct smtpd_state *);
void		 smtpd_log_disconnect(struct smtpd_state *);

/* smtpd_state.c */
void		 smtpd_reset(struct smtpd_state *);
void		 smtpd_session_reset(struct smtpd_state *);
const char	*smtpd_protocol(struct smtpd_state *);
int		 smtpd_rcpt_add(struct smtpd_state *, const char *,
		    const char *, const char *);

/* smtpd_peer.c */
void		 smtpd_peer(struct smtpd_state *, int);

/* smtpd_cmd.c */
int		 smtpd_cmd(struct smtpd_state *);

/* What a restriction list is asked about (rcpt NULL at MAIL FROM). */
struct smtpd_req {
	const char	*sender;
	const char	*rcpt;
	int		 class;		/* enum resolve_class of rcpt */
};

enum {
	SMTPD_LIST_CLIENT, SMTPD_LIST_SENDER, SMTPD_LIST_RELAY,
	SMTPD_LIST_RCPT, SMTPD_LIST_COUNT
};

/* smtpd_check.c */
void		 smtpd_check_init(void);
int		 smtpd_check_mail(struct smtpd_state *, const char *,
		    struct buf *);
int		 smtpd_check_rcpt(struct smtpd_state *, const char *,
		    struct buf *);
int		 smtpd_check_space(long long);
int		 smtpd_check_rate(struct smtpd_state *, const char *, long long,
		    struct buf *);

/* smtpd_restrict.c */
void		 smtpd_restrict_init(void);
int		 smtpd_restrict(struct smtpd_state *, int,
		    const struct smtpd_req *, struct buf *);

/* smtpd_sender_login.c */
void		 smtpd_sender_login_init(void);
int		 smtpd_sender_login_check(struct smtpd_state *, const char *,
		    struct buf *);

/* smtpd_tls.c */
void		 smtpd_tls_init(void);
int		 smtpd_tls_offered(struct smtpd_state *);
int		 smtpd_tls_required(struct smtpd_state *);
int		 smtpd_tls_wrapper(struct smtpd_state *);
void		 smtpd_tls_starttls(struct smtpd_state *, char *);
void		 smtpd_tls_end(struct smtpd_state *);

/* smtpd_auth.c */
int		 smtpd_auth_offered(struct smtpd_state *);
void		 smtpd_auth_ehlo(struct smtpd_state *);
void		 smtpd_auth_cmd(struct smtpd_state *, char *);

/* smtpd_dsn.c */
int		 smtpd_dsn_xtext(const char *, size_t, struct buf *);
int		 smtpd_dsn_envid(const char *, struct buf *);
int		 smtpd_dsn_ret(const char *);
int		 smtpd_dsn_notify(const char *, struct buf *);
int		 smtpd_dsn_orcpt(const char *, struct buf *);

/* smtpd_data.c */
void		 smtpd_data_init(void);
int		 smtpd_data(struct smtpd_state *);
int		 smtpd_data_check(struct smtpd_state *);
struct smtpd_msg *smtpd_data_begin(struct smtpd_state *);
void		 smtpd_data_feed(struct smtpd_msg *, const char *, size_t, int,
		    int);
long long	 smtpd_data_size(const struct smtpd_msg *);
void		 smtpd_data_done(struct smtpd_state *, struct smtpd_msg *);
void		 smtpd_data_free(struct smtpd_msg **);

/* smtpd_eom.c */
struct smtpd_eom *smtpd_eom_begin(const struct smtpd_state *);
void		 smtpd_eom_data(struct smtpd_eom *, const char *, size_t);
int		 smtpd_eom_end(struct smtpd_state *, struct smtpd_eom *,
		    struct queue_writer *, const char *, off_t, struct buf *);
void		 smtpd_eom_free(struct smtpd_eom **);
/* SPF of the transaction's MAIL FROM (HELO for <>), asked once; NULL
 * when the client's address cannot be checked. */
const struct spf_answer *smtpd_spf(struct smtpd_state *);
void		 smtpd_spf_free(struct smtpd_state *);

/* smtpd_milter.c */
int		 smtpd_milter_connect(struct smtpd_state *);
int		 smtpd_milter_helo(struct smtpd_state *, const char *);
int		 smtpd_milter_mail(struct smtpd_state *, const char *);
int		 smtpd_milter_rcpt(struct smtpd_state *, const char *,
		    const char *);
int		 smtpd_milter_data(struct smtpd_state *);
int		 smtpd_milter_other(struct smtpd_state *);
int		 smtpd_milter_unknown(struct smtpd_state *, const char *,
		    const char *);
void		 smtpd_milter_abort(struct smtpd_state *);
void		 smtpd_milter_free(struct smtpd_state *);
int		 smtpd_milter_message(struct smtpd_state *, const char *,
		    size_t, struct milter_result *);
int		 smtpd_milter_envelope(struct smtpd_state *,
		    const struct milter_result *);

/* smtpd_bdat.c */
void		 smtpd_bdat(struct smtpd_state *, char *);
void		 smtpd_bdat_free(struct smtpd_state *);

#endif
