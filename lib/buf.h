/*
 * buf - bounded, growable byte strings.
 *
 * A struct buf always keeps a NUL after its data, so buf_str() is usable as
 * a C string.  A buffer made with a hard cap never grows past it: an append
 * that would pass the cap stores what fits and sets a sticky overflow flag,
 * so callers check once, at the end, with buf_overflowed().
 */
#ifndef CARTERO_BUF_H
#define CARTERO_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;		/* bytes in use, not counting the NUL */
	size_t	 size;		/* bytes allocated */
	size_t	 cap;		/* hard limit on len, 0: none */
	int	 overflow;	/* sticky: an append was cut short */
	int	 secret;	/* overwritten when it grows or is freed */
};

struct buf	*buf_new(size_t, size_t);
void		 buf_free(struct buf **);
void		 buf_reset(struct buf *);
void		 buf_truncate(struct buf *, size_t);
int		 buf_append(struct buf *, const void *, size_t);
int		 buf_puts(struct buf *, const char *);
int		 buf_putc(struct buf *, int);
int		 buf_appendf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 buf_vappendf(struct buf *, const char *, va_list);
int		 buf_set(struct buf *, const char *);
int		 buf_setf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
char		*buf_steal(struct buf **);
void		 buf_secret(struct buf *);

#define buf_str(b)		((const char *)(b)->data)
#define buf_len(b)		((b)->len)
#define buf_overflowed(b)	((b)->overflow)

#endif
