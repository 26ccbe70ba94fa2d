/*
 * maildirsize - the Maildir++ quota file: a Maildir's limits and usage
 * kept in "maildirsize" at its top, so that no delivery has to sum the
 * whole Maildir (the format Courier, maildrop, Exim and Dovecot's maildir
 * quota share).  The first line holds the limits, "<bytes>S,<count>C"
 * (0 or absent: none); each further line a change, "<bytes> <count>",
 * either of them negative.  The usage is the sum of the lines.
 */
#ifndef CARTERO_MAILDIRSIZE_H
#define CARTERO_MAILDIRSIZE_H

#include <time.h>

struct buf;

#define MAILDIRSIZE_FILE	"maildirsize"
#define MAILDIRSIZE_MAX		5120	/* larger: recalculated (Maildir++) */
#define MAILDIRSIZE_STALE	(15 * 60) /* over quota and older: the same */
#define MAILDIRSIZE_NUM_MAX	(1LL << 53)	/* larger numbers are bad */

struct maildirsize {
	long long	 limit_bytes;	/* the first line's S, 0: none */
	long long	 limit_count;	/* its C, 0: none */
	long long	 bytes;		/* the sum of the lines, at least 0 */
	long long	 count;		/* the same for messages */
	long long	 size;		/* of the file */
	time_t		 mtime;		/* the file's */
	int		 lines;		/* change lines read */
	int		 bad;		/* a line that does not read */
	int		 recalculated;	/* by this call */
};

/* Read a file's text into ms: 0, or -1 (ms->bad) when a line is bad. */
int	maildirsize_parse(const char *, size_t, struct maildirsize *);
/* The first line for these limits (bytes, count), without its newline. */
void	maildirsize_limits(struct buf *, long long, long long);
/* Read the file of a Maildir: 1, 0 when there is none, -1 (why). */
int	maildirsize_read(const char *, struct maildirsize *, struct buf *);
/* Is a recalculation due: a bad file, or limits other than (bytes, count)? */
int	maildirsize_due(const struct maildirsize *, long long, long long);
/* Rewrite the file from the Maildir's messages, with limits: 0, -1. */
int	maildirsize_recalc(const char *, long long, long long,
	    struct maildirsize *, struct buf *);
/*
 * The usage of a Maildir under these limits: the file read, and
 * recalculated when missing (create), bad, too large or limits differ.
 * 0, or -1 with why.
 */
int	maildirsize_get(const char *, long long, long long, int,
	    struct maildirsize *, struct buf *);
/*
 * Would bytes and count more fit?  1 yes, 0 no (over quota), -1 (why):
 * a file found over quota and older than MAILDIRSIZE_STALE is
 * recalculated first, as deletions by other programs may be missing.
 */
int	maildirsize_fits(const char *, struct maildirsize *, long long,
	    long long, struct buf *);
/*
 * Append one change line (one write, O_APPEND): 1, 0 when the Maildir
 * has no file (nothing to keep up to date), -1 (why).
 */
int	maildirsize_add(const char *, long long, long long, struct buf *);

#endif
