/*
 * imapd - the IMAP server (RFC 3501 and the extensions clients use): two
 * programs and a service, like pop3d and pop3:
 *
 *	imapd		the login side, a master service running as
 *			mail_owner, chrooted to an empty directory when root:
 *			greeting, CAPABILITY, ID, NOOP, LOGOUT, STARTTLS,
 *			LOGIN, AUTHENTICATE; credentials go to the auth
 *			service, which then starts the mailbox side.
 *	imap		the mailbox side, started by auth as the account's
 *			user with the client on fd 0/1: the authenticated and
 *			selected states on the Maildir named by $MAILDIR.
 *	imap-hibernate	holds sleeping sessions without a process each.
 *
 * Which files build which (Makefile.am lists them too):
 *	imapd:		imapd.c imapd_reply.c
 *	imap:		imap.c imapd_reply.c imapd_set.c
 *			imapd_session.c imapd_tag.c imapd_view.c imapd_select.c
 *			imapd_idle.c imapd_folder.c imapd_fetch.c
 *			imapd_search.c imapd_store.c imapd_hibernate.c
 *	imap-hibernate:	imap_hibernate.c
 * Both sides read commands with lib/imapparse.c (the reader, the tokens)
 * and the mailbox side its dates with lib/imapparse_date.c.
 *
 *	imapd.c		main of imapd, the login side
 *	imap.c		main of imap, the mailbox side (no TLS linked)
 *	imapd_reply.c	the error limit (both sides)
 *	imapd_tag.c	tagged responses of the mailbox side, after updates
 *	imapd_set.c	sequence sets: parsed merged, resolved on the view
 *	imapd_session.c	the mailbox side's loop: reads, dispatch, the
 *			any-state commands, the sleep between commands
 *	imapd_view.c	the selected mailbox as the client knows it, and the
 *			untagged updates that keep it so
 *	imapd_select.c	SELECT EXAMINE CLOSE UNSELECT
 *	imapd_idle.c	IDLE
 *	imapd_folder.c	CREATE DELETE RENAME (UN)SUBSCRIBE LIST LSUB STATUS
 *			NAMESPACE and QUOTA
 *	imapd_fetch.c	FETCH, and loading a message and its cache record
 *	imapd_search.c	SEARCH (and ESEARCH)
 *	imapd_store.c	STORE COPY MOVE APPEND EXPUNGE
 *	imapd_hibernate.c  the mailbox side's half of hibernation: the
 *			session's state as bytes, handed to imap-hibernate
 *			and read back when auth resumes the session
 *	imap_hibernate.c   main of imap-hibernate
 */
#ifndef CARTERO_IMAPD_H
#define CARTERO_IMAPD_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stdint.h>
#include <time.h>

struct buf;
struct imapparse_cmd;
struct lineio;
struct tls;
struct mailbox;
struct mailbox_cached;
struct mime_part;
struct uidlist_rec;

#define IMAPD_LINE_MAX		65536	/* one line of a command */
#define IMAPD_LOGIN_ARGS_MAX	1000	/* tokens of a command before login */
#define IMAPD_LITERAL_CEIL	(256LL * 1024 * 1024)	/* literal_max 0 */
#define IMAPD_IMPLEMENTATION	"cartero"
#define IMAPD_IDLE_NOTIFY	120	/* "* OK Still here" every ... s */

/* Hibernation: the service's socket (public/), and the state's bounds. */
#define IMAPD_HIBERNATE_SERVICE	"imap-hibernate"
#define IMAPD_HIBERNATE_RETRY	60000	/* ms before trying again */

/* What a client may see before and after login. */
#define IMAPD_CAPS_COMMON	"IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE"
#define IMAPD_CAPS_MAILBOX	IMAPD_CAPS_COMMON " NAMESPACE UNSELECT " \
	"UIDPLUS MOVE CHILDREN SPECIAL-USE LIST-EXTENDED LIST-STATUS " \
	"ESEARCH QUOTA CONDSTORE"

/* A message as the client knows it (the selected mailbox's view). */
struct imapd_msg {
	uint32_t	 uid;
	uint32_t	 flags;		/* FLAG_* as last told */
	uint32_t	 kw;
	uint8_t		 recent;
	uint8_t		 expunged;	/* gone; EXPUNGE not sent yet */
};

/* A sequence set: ranges, inclusive. */
struct imapd_range {
	uint32_t	 lo, hi;
};

/*
 * As parsed: the ranges without '*' sorted and merged (disjoint, not
 * adjacent, lo <= hi), so that marking or testing a set costs the
 * messages, not ranges x messages.  The ranges with '*' all hold the
 * largest number and so make one range: '*' to star_lo and star_hi, the
 * least and largest of their other ends (0: only "*" or "*:*").
 */
struct imapd_set {
	struct imapd_range *r;
	int		 count;
	int		 star;		/* uses '*' */
	uint32_t	 star_lo, star_hi;
};

/* A loaded message: its text (CRLF) and MIME tree. */
struct imapd_text {
	struct buf	*text;
	struct mime_part *mime;
	long long	 idate;
};

struct imapd_state {
	struct lineio	*io;
	struct buf	*reply;		/* scratch for responses */
	struct buf	*tmp;		/* scratch for printable() */
	struct buf	*why;
	char		 addr[64];
	int		 errors;
	int		 quit;

	/* Login side. */
	int		 fd;
	const char	*login_tag;	/* the LOGIN being answered */
	struct imapparse_cmd *sasl_cmd;	/* the AUTHENTICATE in hand */
	struct sockaddr_storage sa;
	struct sockaddr	*sap;
	struct tls	*tls;
	int		 done;

	/* Mailbox side. */
	const char	*account;
	const char	*maildir;
	long long	 quota_bytes;	/* the account's quota (auth), 0: none */
	long long	 quota_count;
	int		 outfd;
	int		 timeout;
	int		 condstore;	/* enabled */
	struct mailbox	*mb;		/* selected, or NULL */
	char		*selname;
	int		 readonly;
	uint32_t	 uidvalidity;
	struct imapd_msg *msgs;
	int		 count;
	int		 size;
	int		 nrecent;
	int		 idling;
	long long	 fetch_bytes, fetch_count;
	int		 in_cmd;	/* FETCH/STORE/SEARCH: no EXPUNGE */

	/* Hibernation (imapd_hibernate.c). */
	const char	*resume_cred;	/* $RESUME: auth's credential */
	long long	 hib_ms;	/* imapd_hibernate_timeout, ms; 0 */
	long long	 hib_next;	/* now_ms() before which not to try */
	char		*idle_tag;	/* a resumed IDLE's tag */
	long long	 idle_deadline;	/* its autologout (now_ms clock) */
	long long	 idle_notify;	/* its next "Still here" */
	int		 changes;	/* untagged updates sent, a count */
	int		 idle_fd;	/* IDLE's inotify, kept; -1 */
	char		*idle_path;	/* the folder it watches */
	int		 idle_wd[3];	/* its watches; -1 unknown */
};

/* imapd_reply.c */
/* One response line, CRLF added, buffered (lineio_reply). */
#define imapd_reply(s, ...) \
	lineio_reply((s)->io, (s)->reply, (s)->addr, (s)->tmp, __VA_ARGS__)
int	imapd_error_limit(struct imapd_state *);

/* imapd_set.c */
int	imapd_set_parse(const char *, struct imapd_set *);
void	imapd_set_free(struct imapd_set *);
int	imapd_set_has(const struct imapd_set *, uint32_t, uint32_t);
void	imapd_set_star(const struct imapd_set *, uint32_t, uint32_t *,
	    uint32_t *);
void	imapd_set_format(struct buf *, const uint32_t *, int);
int	imapd_set_resolve(struct imapd_state *, const char *, int, int **,
	    int *);

/*
 * imapd_tag.c: tagged responses of the mailbox side, "tag OK|NO|BAD text":
 * OK and NO after the updates the client is owed; NO and BAD count as
 * errors, OK ends a run of them.
 */
void	imapd_tag(struct imapd_state *, struct imapparse_cmd *, const char *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
#define imapd_tag_ok(s, c, ...)		imapd_tag((s), (c), "OK", __VA_ARGS__)
#define imapd_tag_no(s, c, ...)		imapd_tag((s), (c), "NO", __VA_ARGS__)
#define imapd_tag_bad(s, c, ...)	imapd_tag((s), (c), "BAD", __VA_ARGS__)
int	imapd_tag_no_args(struct imapd_state *, struct imapparse_cmd *);

/* imapd_session.c */
void	imapd_session(struct imapd_state *);
void	imapd_resumed(struct imapd_state *, const char *);
int	imapd_poll_ms(int, long long);
ssize_t	imapd_io_read(void *, void *, size_t);
ssize_t	imapd_io_write(void *, const void *, size_t);

/* imapd_view.c */
void	imapd_view_flags(struct buf *, struct mailbox *, uint32_t, uint32_t,
	    int);
void	imapd_update(struct imapd_state *, int);
int	imapd_find_uid(struct imapd_state *, uint32_t);
int	imapd_open_folder(struct imapd_state *, const char *,
	    struct mailbox **, int *);
void	imapd_unselect(struct imapd_state *);
void	imapd_view_add(struct imapd_state *, const struct uidlist_rec *, int);
uint32_t imapd_claim_recent(struct imapd_state *);

/* imapd_select.c */
int	imapd_select_open(struct imapd_state *, struct imapparse_cmd *,
	    const char *, const char *, struct mailbox **);
void	imapd_cmd_select(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_close(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_unselect(struct imapd_state *, struct imapparse_cmd *);

/* imapd_idle.c */
void	imapd_cmd_idle(struct imapd_state *, struct imapparse_cmd *);
void	imapd_idle_loop(struct imapd_state *, struct imapparse_cmd *,
	    long long, long long);

/* imapd_hibernate.c */
int	imapd_hibernate(struct imapd_state *, const char *, int, long long,
	    long long);
int	imapd_resume(struct imapd_state *, int);

/* imapd_folder.c */
void	imapd_cmd_create(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_delete(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_rename(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_subscribe(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_list(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_lsub(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_status(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_namespace(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_getquota(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_getquotaroot(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_setquota(struct imapd_state *, struct imapparse_cmd *);
const char *imapd_special_use(const char *);
int	imapd_over_quota(struct imapd_state *, long long, long long);

/* imapd_fetch.c */
void	imapd_cmd_fetch(struct imapd_state *, struct imapparse_cmd *);
int	imapd_cached(struct imapd_state *, struct mailbox *, uint32_t,
	    struct mailbox_cached *);
int	imapd_text_load(struct imapd_state *, struct mailbox *, uint32_t,
	    struct imapd_text *);
void	imapd_text_free(struct imapd_text *);

/* imapd_search.c */
void	imapd_cmd_search(struct imapd_state *, struct imapparse_cmd *);

/* imapd_store.c */
void	imapd_cmd_store(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_copy(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_append(struct imapd_state *, struct imapparse_cmd *);
void	imapd_cmd_expunge(struct imapd_state *, struct imapparse_cmd *);
int	imapd_expunge_deleted(struct imapd_state *, const struct imapd_set *);

#endif
