/*
 * pop3d - the POP3 server (RFC 1939, 2449, 2595, 5034), two programs:
 *
 *	pop3d	the login side: a master service running as mail_owner,
 *		chrooted to an empty directory when root: greeting, CAPA,
 *		STLS, USER/PASS, AUTH; credentials go to the auth service,
 *		which then starts the mailbox side.
 *	pop3	the mailbox side: started by auth as the account's user
 *		with the client on fd 0/1: the TRANSACTION and UPDATE
 *		states on the Maildir named by $MAILDIR.  It links no TLS
 *		(the login side relays TLS), which keeps a session small.
 *
 *	pop3d.c		main of pop3d, the login side
 *	pop3.c		main of pop3: options, the Maildir, the greeting
 *	pop3d_reply.c	both: replies, error limit, CAPA, word splitting
 *	pop3d_cmd.c	the mailbox side's command loop and its commands
 *	pop3d_maildrop.c the session's view of the INBOX: the session lock,
 *			the list fixed at login, sizes, sending, UPDATE
 *
 * The mailbox side reads the Maildir through the mailbox layer that imap
 * uses (lib/mailbox.h: one uid list, one lock, one cache), so a message
 * has one identity: its UID, and its UIDL made from the base name the
 * uid list holds for it (mailbox_name_uidl, unchanged since pop3 made it
 * from the file name itself).
 */
#ifndef CARTERO_POP3D_H
#define CARTERO_POP3D_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

struct buf;
struct lineio;
struct tls;

/*
 * RFC 2449 caps a command line at 255 octets; SASL responses may be
 * longer (RFC 5034), so the reader's cap is more generous.
 */
#define POP3D_LINE_MAX		4096	/* a command line, CRLF not counted */
#define POP3D_CHUNK		(256 * 1024)	/* file reads and big writes */
#define POP3D_PREFETCH_MAX	(64 * 1024)	/* read ahead up to this size */
#define POP3D_LOCK_FILE		"cartero-pop3.lock"	/* one session */
#define POP3D_IMPLEMENTATION	"cartero"

/* A message in a session. */
#define POP3D_MSG_DELETED	0x1	/* DELE: expunged at QUIT */
#define POP3D_MSG_RETRIEVED	0x2	/* RETR: marked seen at QUIT */
#define POP3D_MSG_GONE		0x4	/* removed by another program */

struct pop3d_msg {
	uint32_t	 uid;		/* in the folder's uid list */
	char		*name;		/* its file in new/; NULL: in cur/ */
	char		*uidl;		/* made from the base: stable */
	long long	 size;		/* octets as sent: CRLF, unstuffed */
	long long	 fsize;		/* the file's octets (",S="), or -1 */
	int		 flags;		/* POP3D_MSG_* */
};

struct mailbox;

struct pop3d_maildrop {
	struct mailbox	*mb;		/* the INBOX (lib/mailbox.h) */
	int		 lockfd;	/* POP3D_LOCK_FILE, flocked */
	struct pop3d_msg *msgs;		/* as at login, in UID order */
	int		 count;
	char		*chunk;		/* POP3D_CHUNK bytes for file reads */
};

/* pop3d_maildrop_open(): results besides 0. */
#define POP3D_MBOX_ERROR	(-1)	/* see why */
#define POP3D_MBOX_INUSE	(-2)	/* another POP3 session holds it */

/* Where message text goes: 0, or -1 when the client is gone. */
typedef int (*pop3d_out_fn)(void *, const char *, size_t);

/* The session, on either side. */
struct pop3d_state {
	struct lineio	*io;
	struct buf	*line;		/* the command line being served */
	struct buf	*reply;		/* scratch for replies */
	struct buf	*tmp;		/* scratch for printable() */
	char		 addr[64];	/* the client's address, for logs */
	int		 errors;	/* -ERR replies so far */
	int		 quit;		/* the session ends after this reply */
	int		 mailbox;	/* 1: the mailbox side */

	/* Login side. */
	int		 fd;		/* the client's socket */
	struct sockaddr_storage sa;	/* the client's address */
	struct sockaddr	*sap;		/* &sa, or NULL when unknown */
	struct tls	*tls;		/* once TLS is on */
	char		*user;		/* USER given, waiting for PASS */
	int		 done;		/* logged in: the session went on */

	/* Mailbox side. */
	struct pop3d_maildrop *mbox;
	const char	*account;	/* $USER */
	int		 outfd;		/* fd 1 */
	int		 timeout;
	int		 sockto;	/* the socket times reads and writes out */
	struct buf	*pre;		/* a message read ahead, as sent */
	int		 pre_msg;	/* its index, or -1 */
	int		 next_msg;	/* after a RETR: the index to read ahead */
	long long	 retr_count, retr_bytes, top_count, top_bytes;
	long long	 dele_count;
	int		 msg_count;	/* at login, for the log */
	long long	 msg_size;
};

/* pop3d_reply.c */
int	pop3d_reply(struct pop3d_state *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	pop3d_error_limit(struct pop3d_state *);
void	pop3d_capa(struct pop3d_state *, const char *);
char	*pop3d_split(char *, char **);

/* pop3d_cmd.c */
void	pop3d_cmd_loop(struct pop3d_state *);
void	pop3d_io_timeouts(struct pop3d_state *);
ssize_t	pop3d_io_read(void *, void *, size_t);
ssize_t	pop3d_io_write(void *, const void *, size_t);

/* pop3d_maildrop.c */
int	pop3d_maildrop_open(const char *, struct pop3d_maildrop **,
	    struct buf *);
void	pop3d_maildrop_close(struct pop3d_maildrop **);
int	pop3d_maildrop_open_msg(struct pop3d_maildrop *, struct pop3d_msg *,
	    struct buf *);
int	pop3d_maildrop_send(struct pop3d_maildrop *, struct pop3d_msg *, int,
	    long, pop3d_out_fn, void *);
int	pop3d_maildrop_update(struct pop3d_maildrop *, struct buf *);
long long pop3d_maildrop_crlf_size(int, char *, size_t, long long);

#endif
