/*
 * lineio - a buffered, bounded line reader and writer on a socket.
 *
 * Every protocol reads through lineio_get(): it strips CRLF or a bare LF,
 * never holds more than the cap given to lineio_new(), and says which case
 * happened.  Every read waits at most the timeout.  A read/write hook pair
 * lets TLS slot in underneath later.
 */
#ifndef CARTERO_LINEIO_H
#define CARTERO_LINEIO_H

#include <sys/types.h>
#include <stdarg.h>
#include <stddef.h>

struct buf;

enum {
	LINE_OK = 0,		/* a whole line, end of line stripped */
	LINE_TOOLONG,		/* over the cap: rest skipped (LINEIO_SKIP) */
	LINE_PARTIAL,		/* over the cap: this chunk, more follows (LINEIO_SPLIT) */
	LINE_TIMEOUT,
	LINE_EOF,		/* end of input; a last unterminated line is LINE_OK with eol NONE */
	LINE_ERROR
};

enum { LINEIO_EOL_NONE, LINEIO_EOL_CRLF, LINEIO_EOL_LF };

#define LINEIO_SKIP	0	/* over-long line: skip to its end, say LINE_TOOLONG */
#define LINEIO_SPLIT	1	/* over-long line: return it in chunks, LINE_PARTIAL */

struct lineio;

typedef ssize_t (*lineio_read_fn)(void *, void *, size_t);
typedef ssize_t (*lineio_write_fn)(void *, const void *, size_t);

struct lineio	*lineio_new(int, size_t, int);	/* fd, line cap, timeout (s) */
void		 lineio_free(struct lineio **);	/* does not close the fd */
void		 lineio_wipe(struct lineio *);	/* overwrite both buffers */
int		 lineio_fd(struct lineio *);
void		 lineio_set_timeout(struct lineio *, int);
void		 lineio_set_cap(struct lineio *, size_t);
void		 lineio_set_hooks(struct lineio *, lineio_read_fn, lineio_write_fn, void *);
int		 lineio_get(struct lineio *, struct buf *, int);	/* flags LINEIO_* */
int		 lineio_eol(struct lineio *);	/* how the last line ended */
size_t		 lineio_pending(struct lineio *);	/* input bytes buffered */
void		 lineio_discard(struct lineio *);	/* drop buffered input */
ssize_t		 lineio_read(struct lineio *, void *, size_t);	/* raw, buffered first */
int		 lineio_write(struct lineio *, const void *, size_t);
int		 lineio_puts(struct lineio *, const char *);
int		 lineio_printf(struct lineio *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 lineio_reply(struct lineio *, struct buf *, const char *,
		    struct buf *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
int		 lineio_vreply(struct lineio *, struct buf *, const char *,
		    struct buf *, const char *, va_list)
		    __attribute__((format(printf, 5, 0)));
int		 lineio_flush(struct lineio *);	/* 0 or -1 (error/timeout) */
void		 lineio_linger(struct lineio *, int, int);	/* flush, shut out, drain in */

#endif
