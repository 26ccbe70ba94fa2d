/*
 * pop3d_maildrop - a POP3 session's view of the INBOX (RFC 1939's
 * "maildrop"), over the mailbox layer that imap uses too (lib/mailbox.h).
 *
 * The mail is read through lib/mailbox.c: the same uid list, the same
 * lock, the same cache as imap, so a message has one identity: its UID,
 * and its UIDL, made from the base name that the uid list holds for the
 * UID (mailbox_name_uidl: the Maildir unique name, as pop3 has always
 * made it, so UIDLs that clients kept do not change).  Files of new/ get
 * their UIDs where they lie (mailbox_new_scan): POP3 moves to cur/ only
 * what RETR fetched, at QUIT, as it always has.
 *
 * What is POP3's own here:
 *	- one session per mailbox (flock on POP3D_LOCK_FILE, held from
 *	  login to QUIT; the kernel drops it when the process dies, so a
 *	  crash never leaves a mailbox locked): -ERR [IN-USE] otherwise;
 *	- the message list, fixed at login (RFC 1939): mail delivered during
 *	  the session shows up in the next one;
 *	- sizes as RETR sends them: every line ends in CRLF whatever the
 *	  file holds, a last line without LF gets one, dot-stuffing not
 *	  counted.  From ",W=" in the name (the CRLF size, Dovecot's field),
 *	  else the folder's cache (RFC822.SIZE is the same count), else
 *	  counted once from the file and kept in the cache;
 *	- DELE and RETR only mark; pop3d_maildrop_update() (QUIT, the UPDATE
 *	  state) expunges the marked messages and gives the retrieved ones
 *	  \Seen (those in new/ move to cur/), under the folder's lock, so a
 *	  dropped connection changes nothing;
 *	- the message text as POP3 sends it (pop3d_maildrop_send).
 * Another session (imap) may rename or expunge a file meanwhile: the
 * layer finds a renamed one again; RETR of an expunged one gets -ERR.
 *
 * This runs as the mailbox's owner (never root); files are opened
 * relative to the Maildir's directories and without following symlinks.
 */
#include <sys/file.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mailbox.h"
#include "maildir.h"
#include "msg.h"
#include "uidlist.h"
#include "util.h"
#include "pop3d.h"

/* Output: each input octet gives at most two ('\n' to CRLF, a leading
 * '.' doubled), and the end adds CRLF ".CRLF". */
#define POP3D_OBUF		(2 * POP3D_CHUNK + 16)

/*
 * pop3d_maildrop_crlf_size - the octets RETR sends for this file: every
 * bare LF becomes CRLF, and a last line without LF gets a CRLF.  -1 on a
 * read error.  fsize: the file's size as its name gives it (",S="), or
 * -1; a short read that reaches it is the end (as in _send).
 */
long long
pop3d_maildrop_crlf_size(int fd, char *chunk, size_t size, long long fsize)
{
	long long	 got = 0;
	long long	 total = 0;
	ssize_t		 n;
	char		*p, *end, *nl;
	int		 cr = 0, last = '\n';

	for (;;) {
		if ((n = read_some(fd, chunk, size)) < 0)
			return -1;
		if (n == 0)
			break;
		total += n;
		got += n;
		p = chunk;
		end = chunk + n;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			if (!(nl > p ? nl[-1] == '\r' : cr))
				total++;
			p = nl + 1;
		}
		cr = end[-1] == '\r';
		last = end[-1];
		if ((size_t)n < size && got == fsize)
			break;
	}
	if (last != '\n')
		total += 2;
	return total;
}

/* pop3d_maildrop_lock - the session's own lock; 0, or POP3D_MBOX_* */
static int
pop3d_maildrop_lock(struct pop3d_maildrop *md, struct buf *why)
{
	md->lockfd = openat(md->mb->dirfd, POP3D_LOCK_FILE, O_RDWR |
	    O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (md->lockfd < 0) {
		buf_setf(why, "open %s/%s: %s", md->mb->path, POP3D_LOCK_FILE,
		    strerror(errno));
		return POP3D_MBOX_ERROR;
	}
	if (flock(md->lockfd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return POP3D_MBOX_INUSE;
	buf_setf(why, "lock %s/%s: %s", md->mb->path, POP3D_LOCK_FILE,
	    strerror(errno));
	return POP3D_MBOX_ERROR;
}

/*
 * pop3d_maildrop_size - a message's size when its name does not give it
 * (see the top of this file); -1 when its file cannot be read (it is then
 * left out of the list)
 */
static long long
pop3d_maildrop_size(struct pop3d_maildrop *md, struct pop3d_msg *m,
    struct buf *why)
{
	long long	 size;
	int		 fd;

	if ((size = mailbox_cache_size(md->mb, m->uid)) >= 0)
		return size;
	if ((fd = pop3d_maildrop_open_msg(md, m, why)) < 0 ||
	    (size = pop3d_maildrop_crlf_size(fd, md->chunk, POP3D_CHUNK,
	    m->fsize)) < 0) {
		/* Gone meanwhile is normal; else one bad file must not
		 * close the whole mailbox. */
		if (errno != ENOENT)
			msg_warn("read %s: UID %u: %m: message left out",
			    md->mb->path, m->uid);
		fd_close(&fd);
		return -1;
	}
	close(fd);
	mailbox_cache_put_size(md->mb, m->uid, size);
	return size;
}

/* pop3d_msg_free - release one list entry */
static void
pop3d_msg_free(struct pop3d_msg *m)
{
	free(m->name);
	free(m->uidl);
	m->name = m->uidl = NULL;
}

/* pop3d_uidl_cmp - order messages (pointers to them) by UIDL, then place */
static int
pop3d_uidl_cmp(const void *a, const void *b)
{
	const struct pop3d_msg *x = *(struct pop3d_msg *const *)a;
	const struct pop3d_msg *y = *(struct pop3d_msg *const *)b;
	int c = strcmp(x->uidl, y->uidl);

	return c != 0 ? c : (x < y ? -1 : x > y);
}

/*
 * pop3d_maildrop_unique - RFC 1939 wants one UIDL per message: of two
 * messages with one UIDL (two names of one file, copies), the first stays
 */
static void
pop3d_maildrop_unique(struct pop3d_maildrop *md)
{
	struct pop3d_msg **v;
	int i, j;

	if (md->count < 2)
		return;
	v = xcalloc((size_t)md->count, sizeof(*v));
	for (i = 0; i < md->count; i++)
		v[i] = &md->msgs[i];
	qsort(v, (size_t)md->count, sizeof(*v), pop3d_uidl_cmp);
	for (i = 1; i < md->count; i++)
		if (strcmp(v[i]->uidl, v[i - 1]->uidl) == 0)
			v[i]->flags |= POP3D_MSG_GONE;
	free(v);
	for (i = j = 0; i < md->count; i++) {
		if (md->msgs[i].flags & POP3D_MSG_GONE) {
			pop3d_msg_free(&md->msgs[i]);
			continue;
		}
		md->msgs[j++] = md->msgs[i];
	}
	md->count = j;
}

/*
 * pop3d_maildrop_list - the message list, in UID order, from the uid list
 * (just synced) and the files of new/; then the sizes (a file read may
 * resync the uid list).
 */
static int
pop3d_maildrop_list(struct pop3d_maildrop *md, struct buf *why)
{
	struct mailbox_newfile	*nf;
	struct uidlist		*ul = &md->mb->ul;
	struct pop3d_msg	*m;
	struct buf		*uidl;
	int			 i, j, k = 0, nn;

	if (mailbox_new_scan(md->mb, &nf, &nn, why) < 0)
		return -1;
	md->msgs = xcalloc((size_t)ul->count + 1, sizeof(*md->msgs));
	uidl = buf_new(128, 0);
	for (i = 0; i < ul->count; i++) {
		if (uidlist_find_near(ul, ul->v[i].uid, i) != i)
			continue;	/* expunged */
		m = &md->msgs[md->count];
		memset(m, 0, sizeof(*m));
		m->uid = ul->v[i].uid;
		if (ul->v[i].flags & UIDLIST_INNEW) {
			while (k < nn && nf[k].uid < m->uid)
				k++;
			if (k == nn || nf[k].uid != m->uid)
				continue;
			m->name = nf[k].name;
			nf[k].name = NULL;
		}
		mailbox_name_uidl(ul->v[i].base, uidl);
		m->uidl = xstrdup(buf_str(uidl));
		m->fsize = mailbox_name_field(ul->v[i].base, 'S');
		m->size = mailbox_name_field(ul->v[i].base, 'W');
		md->count++;
	}
	buf_free(&uidl);
	mailbox_new_free(&nf, nn);
	for (i = j = 0; i < md->count; i++) {
		m = &md->msgs[i];
		if (m->size < 0 &&
		    (m->size = pop3d_maildrop_size(md, m, why)) < 0) {
			pop3d_msg_free(m);
			continue;
		}
		md->msgs[j++] = *m;
	}
	md->count = j;
	pop3d_maildrop_unique(md);
	return 0;
}

/*
 * pop3d_maildrop_open - lock the Maildir for this session and list its
 * messages.  A missing Maildir is created (with its folders, as a first
 * delivery would).  Returns 0, POP3D_MBOX_INUSE, or POP3D_MBOX_ERROR
 * with why.
 */
int
pop3d_maildrop_open(const char *path, struct pop3d_maildrop **mdp,
    struct buf *why)
{
	struct pop3d_maildrop *md;
	int r;

	*mdp = NULL;
	md = xcalloc(1, sizeof(*md));
	md->lockfd = -1;
	if (mailbox_open(path, &md->mb, why) < 0 && (errno != ENOENT ||
	    maildir_make(path, 1, why) < 0 ||
	    mailbox_open(path, &md->mb, why) < 0)) {
		pop3d_maildrop_close(&md);
		return POP3D_MBOX_ERROR;
	}
	md->mb->keep_new = 1;
	if ((r = pop3d_maildrop_lock(md, why)) != 0) {
		pop3d_maildrop_close(&md);
		return r;
	}
	md->chunk = xmalloc(POP3D_CHUNK);
	if (mailbox_sync(md->mb, 0, why) < 0 ||
	    pop3d_maildrop_list(md, why) < 0) {
		pop3d_maildrop_close(&md);
		return POP3D_MBOX_ERROR;
	}
	/* Sizes counted now are kept; the session needs no more of the
	 * cache: no pages kept. */
	mailbox_cache_flush(md->mb);
	mailbox_cache_free(&md->mb->cache);
	*mdp = md;
	return 0;
}

/* pop3d_maildrop_close - unlock and forget the mailbox */
void
pop3d_maildrop_close(struct pop3d_maildrop **mdp)
{
	struct pop3d_maildrop *md = *mdp;
	int i;

	if (md == NULL)
		return;
	for (i = 0; i < md->count; i++)
		pop3d_msg_free(&md->msgs[i]);
	free(md->msgs);
	fd_close(&md->lockfd);	/* drops the lock */
	mailbox_close(&md->mb);
	free(md->chunk);
	free(md);
	*mdp = NULL;
}

/*
 * pop3d_maildrop_open_msg - open a message for RETR or TOP.  Returns the
 * fd, or -1: errno ENOENT when another program removed it (the message is
 * marked gone), else why says what failed.
 */
int
pop3d_maildrop_open_msg(struct pop3d_maildrop *md, struct pop3d_msg *m,
    struct buf *why)
{
	int fd;

	if (m->flags & POP3D_MSG_GONE) {
		errno = ENOENT;
		return -1;
	}
	if (m->name != NULL)
		fd = mailbox_new_open(md->mb, m->uid, m->name, why);
	else
		fd = mailbox_msg_open(md->mb, m->uid, why);
	if (fd < 0 && errno == ENOENT)
		m->flags |= POP3D_MSG_GONE;
	return fd;
}

/*
 * pop3d_maildrop_send - a message as POP3 sends it: CRLF line ends,
 * dot-stuffed, ended by ".CRLF".  lines < 0: the whole message (RETR);
 * else the header, the empty line and that many body lines (TOP).  Large
 * output goes out in big writes; the end, which is small, goes to out()
 * in one call so that it can share a write with the next reply.
 * Returns 0; -1 when out() failed (the client is gone); -2 on a read
 * error (the reply is broken: the caller must end the session).
 *
 * A read that returns less than asked, bringing the total to the file's
 * size as its name gives it (",S="), is taken as the end of the file: a
 * small message then costs one read, not two.  Maildir files never
 * change under one name; when the name says nothing, or something else,
 * the file is read to its end as usual.
 */
int
pop3d_maildrop_send(struct pop3d_maildrop *md, struct pop3d_msg *m, int fd,
    long lines, pop3d_out_fn out, void *ctx)
{
	char		*in = md->chunk, *o, *p, *end, *nl;
	size_t		 olen = 0, seg;
	ssize_t		 n;
	long		 body = 0;
	long long	 total = 0, fsize = m->fsize;
	int		 bol = 1, cr = 0, inbody = 0, stop = 0, eof = 0, had_cr;
	size_t		 linelen = 0;
	static char	*obuf;

	if (obuf == NULL)
		obuf = xmalloc(POP3D_OBUF);
	o = obuf;
	while (!stop && !eof) {
		if ((n = read_some(fd, in, POP3D_CHUNK)) < 0)
			return -2;
		if (n == 0)
			break;
		total += n;
		if (n < POP3D_CHUNK && total == fsize)
			eof = 1;
		if (olen > 0 && olen + 2 * (size_t)n + 8 > POP3D_OBUF) {
			if (out(ctx, o, olen) < 0)
				return -1;
			olen = 0;
		}
		p = in;
		end = in + n;
		while (p < end) {
			if (bol) {
				if (lines >= 0 && inbody && body >= lines) {
					stop = 1;
					break;
				}
				if (*p == '.')
					o[olen++] = '.';
				bol = 0;
			}
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
				seg = (size_t)(end - p);
				memcpy(o + olen, p, seg);
				olen += seg;
				linelen += seg;
				cr = end[-1] == '\r';
				break;
			}
			seg = (size_t)(nl - p);
			had_cr = seg > 0 ? nl[-1] == '\r' : cr;
			memcpy(o + olen, p, seg);
			olen += seg;
			if (!had_cr)
				o[olen++] = '\r';
			o[olen++] = '\n';
			if (lines >= 0) {
				if (inbody)
					body++;
				else if (linelen + seg - (had_cr ? 1 : 0) == 0)
					inbody = 1;
			}
			bol = 1;
			cr = 0;
			linelen = 0;
			p = nl + 1;
		}
		if (olen >= POP3D_CHUNK) {
			if (out(ctx, o, olen) < 0)
				return -1;
			olen = 0;
		}
	}
	if (!bol) {
		o[olen++] = '\r';
		o[olen++] = '\n';
	}
	memcpy(o + olen, ".\r\n", 3);
	olen += 3;
	return out(ctx, o, olen);
}

/*
 * pop3d_maildrop_todo - does QUIT change anything?  DELE, or RETR of a
 * message not seen yet (checked without the lock: a sync may find more)
 */
static int
pop3d_maildrop_todo(struct pop3d_maildrop *md)
{
	struct pop3d_msg *m;
	int i, k;

	for (i = 0; i < md->count; i++) {
		m = &md->msgs[i];
		if (m->flags & POP3D_MSG_DELETED)
			return 1;
		if ((m->flags & (POP3D_MSG_RETRIEVED | POP3D_MSG_GONE)) !=
		    POP3D_MSG_RETRIEVED)
			continue;
		if (m->name != NULL ||
		    (k = uidlist_find(&md->mb->ul, m->uid)) < 0 ||
		    !(md->mb->ul.v[k].flags & FLAG_SEEN))
			return 1;
	}
	return 0;
}

/* pop3d_maildrop_seen - give a retrieved message \Seen */
static int
pop3d_maildrop_seen(struct pop3d_maildrop *md, struct pop3d_msg *m,
    struct buf *why)
{
	struct uidlist_rec *r;
	int k;

	if (m->name != NULL)
		return mailbox_new_move(md->mb, m->uid, m->name, FLAG_SEEN,
		    why);
	if ((k = uidlist_find(&md->mb->ul, m->uid)) < 0)
		return 0;		/* expunged meanwhile */
	r = &md->mb->ul.v[k];
	if (r->flags & FLAG_SEEN)
		return 0;
	return mailbox_set_flags(md->mb, m->uid, r->flags | FLAG_SEEN, r->kw,
	    why);
}

/*
 * pop3d_maildrop_update - the UPDATE state: expunge the DELEd messages,
 * give the retrieved ones \Seen (new/ to cur/).  Returns how many DELEd
 * messages could not be removed (why names the last failure).
 */
int
pop3d_maildrop_update(struct pop3d_maildrop *md, struct buf *why)
{
	struct pop3d_msg *m;
	int		 i, r, failed = 0;

	if (!pop3d_maildrop_todo(md))
		return 0;
	if (mailbox_begin(md->mb, why) < 0) {
		msg_warn("%s", buf_str(why));
		for (i = 0; i < md->count; i++)
			if (md->msgs[i].flags & POP3D_MSG_DELETED)
				failed++;
		return failed;
	}
	for (i = 0; i < md->count; i++) {
		m = &md->msgs[i];
		if (m->flags & POP3D_MSG_DELETED) {
			r = m->name != NULL ? mailbox_new_remove(md->mb,
			    m->uid, m->name, why) : mailbox_expunge(md->mb,
			    m->uid, 1, why);
			if (r < 0) {
				msg_warn("%s", buf_str(why));
				failed++;
			}
		} else if ((m->flags & (POP3D_MSG_RETRIEVED |
		    POP3D_MSG_GONE)) == POP3D_MSG_RETRIEVED &&
		    pop3d_maildrop_seen(md, m, why) < 0 && errno != ENOENT)
			msg_warn("%s", buf_str(why));
	}
	if (mailbox_end(md->mb, why) < 0)
		msg_warn("%s", buf_str(why));
	/* The removals should outlast a crash, like the deliveries did. */
	(void)fsync(md->mb->newfd);
	(void)fsync(md->mb->curfd);
	return failed;
}
