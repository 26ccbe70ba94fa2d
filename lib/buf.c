/*
 * buf - bounded, growable byte strings.
 *
 * Every append goes through buf_grow(), which enforces the hard cap: what
 * does not fit is dropped and the sticky overflow flag is set.  The data is
 * always NUL-terminated, whatever bytes it holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "util.h"

/* buf_new - a buffer with an initial size and a hard cap (0: none) */
struct buf *
buf_new(size_t init, size_t cap)
{
	struct buf *b = xcalloc(1, sizeof(*b));

	if (init < 16)
		init = 16;
	if (cap && init > cap + 1)
		init = cap + 1;
	b->data = xmalloc(init);
	b->data[0] = '\0';
	b->size = init;
	b->cap = cap;
	return b;
}

/* buf_free - release a buffer and clear the caller's pointer */
void
buf_free(struct buf **bp)
{
	if (*bp == NULL)
		return;
	if ((*bp)->secret)
		explicit_bzero((*bp)->data, (*bp)->size);
	free((*bp)->data);
	free(*bp);
	*bp = NULL;
}

/* buf_reset - empty the buffer and clear its overflow flag */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
	b->overflow = 0;
}

/* buf_truncate - shorten to len bytes */
void
buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* buf_room - make room for n more bytes; returns how many fit */
static size_t
buf_room(struct buf *b, size_t n)
{
	size_t need, size;

	if (b->cap && n > b->cap - b->len) {
		n = b->cap - b->len;
		b->overflow = 1;
	}
	need = b->len + n + 1;
	if (need > b->size) {
		size = b->size;
		while (size < need)
			size = size < 4096 ? size * 2 : size + size / 2;
		if (b->cap && size > b->cap + 1)
			size = b->cap + 1;
		if (b->secret) {
			/* realloc would leave a copy behind: move it here. */
			char *p = xmalloc(size);

			memcpy(p, b->data, b->size);
			explicit_bzero(b->data, b->size);
			free(b->data);
			b->data = p;
		} else
			b->data = xrealloc(b->data, size);
		b->size = size;
	}
	return n;
}

/* buf_append - append n bytes; -1 if they did not all fit */
int
buf_append(struct buf *b, const void *p, size_t n)
{
	size_t fit = buf_room(b, n);

	memcpy(b->data + b->len, p, fit);
	b->len += fit;
	b->data[b->len] = '\0';
	return fit == n ? 0 : -1;
}

/* buf_puts - append a C string */
int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* buf_putc - append one byte */
int
buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_append(b, &ch, 1);
}

/* buf_vappendf - append printf-style output */
int
buf_vappendf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;
	size_t fit;

	va_copy(aq, ap);
	n = vsnprintf(b->data + b->len, b->size - b->len, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -1;
	if ((size_t)n < b->size - b->len && (!b->cap || b->len + n <= b->cap)) {
		b->len += n;
		return 0;
	}
	fit = buf_room(b, n);
	if (fit == (size_t)n) {
		vsnprintf(b->data + b->len, b->size - b->len, fmt, ap);
		b->len += n;
		return 0;
	}
	/* Over the cap: format in full elsewhere, keep what fits. */
	{
		char *tmp = xmalloc((size_t)n + 1);

		vsnprintf(tmp, (size_t)n + 1, fmt, ap);
		memcpy(b->data + b->len, tmp, fit);
		b->len += fit;
		b->data[b->len] = '\0';
		free(tmp);
	}
	return -1;
}

/* buf_appendf - append printf-style output */
int
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vappendf(b, fmt, ap);
	va_end(ap);
	return r;
}

/* buf_set - replace the contents with a C string */
int
buf_set(struct buf *b, const char *s)
{
	buf_reset(b);
	return buf_puts(b, s);
}

/* buf_setf - replace the contents with printf-style output */
int
buf_setf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	buf_reset(b);
	va_start(ap, fmt);
	r = buf_vappendf(b, fmt, ap);
	va_end(ap);
	return r;
}

/* buf_steal - take the data as a malloc'd string and free the buffer */
char *
buf_steal(struct buf **bp)
{
	char *s = (*bp)->data;

	free(*bp);
	*bp = NULL;
	return s;
}

/*
 * buf_secret - mark a buffer as holding a secret (a password, a line that
 * may hold one): from now on it leaves no copy behind when it grows, and
 * buf_free() overwrites it.  buf_steal() hands the data over as it is.
 */
void
buf_secret(struct buf *b)
{
	b->secret = 1;
}
