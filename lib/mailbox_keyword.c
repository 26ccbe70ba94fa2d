/*
 * mailbox_keyword - a folder's IMAP keywords: the names behind the Maildir
 * letters a-z, in the folder's dovecot-keywords file (Dovecot's format,
 * lines "N name", N 0-25).
 *
 * The file is read again only when its inode, size or mtime changed (a
 * stat before every command); a new keyword is added under the folder's
 * lock and the file rewritten whole (temporary file, rename).
 * Distrusted: the file's content; a name that is not an IMAP atom, or a
 * letter given twice, is ignored.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "mailbox.h"
#include "util.h"

#define MAILBOX_KW_FILE_MAX	(64 * 1024)

/* mailbox_keyword_ok - a keyword name: an IMAP atom, not a \flag */
static int
mailbox_keyword_ok(const char *p)
{
	size_t len = strlen(p);

	if (len == 0 || len > MAILBOX_KEYWORD_MAX || *p == '\\')
		return 0;
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("(){%*\"\\]", *p) != NULL)
			return 0;
	return 1;
}

/* mailbox_keywords_forget - no names for the letters any more */
void
mailbox_keywords_forget(struct mailbox *mb)
{
	int i;

	for (i = 0; i < MAILBOX_KEYWORDS; i++) {
		free(mb->kw[i]);
		mb->kw[i] = NULL;
	}
}

/*
 * mailbox_keywords_load - read the keywords file when it changed (lines
 * "N name", N 0-25 for the letters a-z).  1 changed, 0 not, -1 error.
 */
int
mailbox_keywords_load(struct mailbox *mb)
{
	struct stat	 st;
	struct buf	*text;
	char		 chunk[8192], *p, *nl, *end, *name;
	ssize_t		 got;
	long		 n;
	int		 fd;

	/* Unchanged, or still none (checked before every command)? */
	if (fstatat(mb->dirfd, MAILBOX_KEYWORDS_FILE, &st,
	    AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT && mb->kw_ino == 0)
			return 0;
	} else if (S_ISREG(st.st_mode) && st.st_ino == mb->kw_ino &&
	    st.st_size == mb->kw_size &&
	    st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec ==
	    mb->kw_mtime)
		return 0;
	fd = openat(mb->dirfd, MAILBOX_KEYWORDS_FILE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0) {
		if (mb->kw_ino == 0)
			return 0;
		mailbox_keywords_forget(mb);
		mb->kw_ino = 0;
		return 1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAILBOX_KW_FILE_MAX) {
		close(fd);
		return -1;
	}
	if (st.st_ino == mb->kw_ino && st.st_size == mb->kw_size &&
	    st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec ==
	    mb->kw_mtime) {
		close(fd);
		return 0;
	}
	text = buf_new((size_t)st.st_size + 1, MAILBOX_KW_FILE_MAX);
	while ((got = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(text, chunk, (size_t)got);
	close(fd);
	mailbox_keywords_forget(mb);
	p = text->data;
	end = p + buf_len(text);
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		*nl = '\0';
		n = strtol(p, &name, 10);
		if (name != p && *name == ' ' && n >= 0 &&
		    n < MAILBOX_KEYWORDS && mb->kw[n] == NULL &&
		    mailbox_keyword_ok(name + 1))
			mb->kw[n] = xstrdup(name + 1);
		p = nl + 1;
	}
	mb->kw_ino = st.st_ino;
	mb->kw_size = st.st_size;
	mb->kw_mtime = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	buf_free(&text);
	return 1;
}

/* mailbox_keywords_save - write the keywords file whole (lock held) */
static int
mailbox_keywords_save(struct mailbox *mb, struct buf *why)
{
	struct buf	*out = buf_new(256, 0);
	int		 i, r;

	for (i = 0; i < MAILBOX_KEYWORDS; i++)
		if (mb->kw[i] != NULL)
			buf_appendf(out, "%d %s\n", i, mb->kw[i]);
	r = file_replace_at(mb->dirfd, mb->path, MAILBOX_KEYWORDS_FILE, out,
	    NULL, why);
	if (r == 0)
		mb->kw_ino = 0;		/* read it back next time */
	buf_free(&out);
	return r;
}

/* mailbox_keyword - the letter index of a keyword (see mailbox.h) */
int
mailbox_keyword(struct mailbox *mb, const char *name, int create,
    struct buf *why)
{
	int i, r;

	if (!mailbox_keyword_ok(name))
		return -1;
	for (i = 0; i < MAILBOX_KEYWORDS; i++)
		if (mb->kw[i] != NULL && strcasecmp(mb->kw[i], name) == 0)
			return i;
	if (!create)
		return -1;
	if (mailbox_lock(mb, why) < 0)
		return -1;
	mb->kw_ino = 0;
	(void)mailbox_keywords_load(mb);
	r = -2;
	for (i = 0; i < MAILBOX_KEYWORDS; i++)
		if (mb->kw[i] != NULL && strcasecmp(mb->kw[i], name) == 0) {
			r = i;
			break;
		}
	for (i = 0; r == -2 && i < MAILBOX_KEYWORDS; i++)
		if (mb->kw[i] == NULL) {
			mb->kw[i] = xstrdup(name);
			r = mailbox_keywords_save(mb, why) < 0 ? -1 : i;
		}
	mailbox_unlock(mb);
	return r;
}
