/*
 * hibstate - the state of a sleeping IMAP session, the one format that
 * imap writes when it hands a session to imap-hibernate, that
 * imap-hibernate reads the head of, and that imap reads back when auth
 * wakes the session: attribute lines (attr.h: name=value, an empty line at
 * the end), then the view as HIBSTATE_REC_SIZE-byte records.
 */
#ifndef CARTERO_HIBSTATE_H
#define CARTERO_HIBSTATE_H

#include <stddef.h>

struct attr;

#define HIBSTATE_HEAD_MAX	16384	/* the attribute lines */
#define HIBSTATE_MAX		(64 * 1024 * 1024)	/* all of it */
#define HIBSTATE_REC_SIZE	14	/* uid flags kw recent expunged */

/* The head's names. */
#define HIBSTATE_ACCOUNT	"account"	/* who */
#define HIBSTATE_RIP		"rip"		/* from where */
#define HIBSTATE_CREDENTIAL	"credential"	/* auth's, for the wake-up */
#define HIBSTATE_IDLE		"idle"		/* IDLE's tag, when in IDLE */
#define HIBSTATE_DEADLINE	"deadline"	/* the autologout, ms */
#define HIBSTATE_NOTIFY		"notify"	/* the next "Still here", ms */
#define HIBSTATE_ERRORS		"errors"
#define HIBSTATE_CONDSTORE	"condstore"
#define HIBSTATE_FETCHED	"fetched"	/* count/bytes */
#define HIBSTATE_MAILBOX	"mailbox"	/* the selected one, if any */
#define HIBSTATE_READONLY	"readonly"
#define HIBSTATE_UIDVALIDITY	"uidvalidity"
#define HIBSTATE_COUNT		"count"		/* records in the view */
#define HIBSTATE_SIZE		"size"		/* bytes after the head */

/* What both readers need of the head (pointers into the attr list). */
struct hibstate_head {
	const char	*account;
	const char	*rip;
	const char	*credential;
	const char	*idle;		/* NULL: not in IDLE */
	long long	 deadline;
	long long	 notify;
};

/*
 * The length of the head at the start of data[0..len) (its empty line
 * included), or 0 when there is none within HIBSTATE_HEAD_MAX.
 */
size_t	hibstate_head_end(const char *, size_t);
/*
 * The common part of a parsed head: account, rip and credential present
 * and visible ASCII, the IDLE tag too if present, deadline and notify
 * numbers.  NULL, or what is wrong.
 */
const char *hibstate_head(const struct attr *, struct hibstate_head *);
/* A number attribute within [lo, hi] (lo >= 0): 0, or -1. */
int	hibstate_num(const struct attr *, const char *, long long, long long,
	    long long *);

#endif
