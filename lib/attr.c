/*
 * attr - the attribute records that cartero's processes exchange over
 * their sockets: a request or reply is "name=value" lines ended by an
 * empty line.  Values are percent-encoded (queue_encode), so an address or
 * a reason text can never inject a line.  The reader distrusts what it
 * reads: a line is bounded (ATTR_LINE_MAX, and the line reader's own
 * cap), a line without '=' or a list cut by EOF is an error, and a name
 * given twice is counted (dups) and the last value kept.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "buf.h"
#include "lineio.h"
#include "msg.h"
#include "queue.h"
#include "util.h"

#define ATTR_LINE_MAX	65536

/* attr_init - an empty list */
void
attr_init(struct attr *a)
{
	memset(a, 0, sizeof(*a));
}

/* attr_clear - empty the list, keep the storage */
void
attr_clear(struct attr *a)
{
	int i;

	for (i = 0; i < a->count; i++) {
		free(a->name[i]);
		free(a->value[i]);
	}
	a->count = 0;
	a->dups = 0;
}

/* attr_free - release everything */
void
attr_free(struct attr *a)
{
	attr_clear(a);
	free(a->name);
	free(a->value);
	attr_init(a);
}

/* attr_set - add or replace name */
void
attr_set(struct attr *a, const char *name, const char *value)
{
	int i;

	for (i = 0; i < a->count; i++) {
		if (strcmp(a->name[i], name) == 0) {
			free(a->value[i]);
			a->value[i] = xstrdup(value);
			return;
		}
	}
	if (a->count == a->size) {
		a->size = a->size ? a->size * 2 : 8;
		a->name = xrealloc(a->name, a->size * sizeof(char *));
		a->value = xrealloc(a->value, a->size * sizeof(char *));
	}
	a->name[a->count] = xstrdup(name);
	a->value[a->count] = xstrdup(value);
	a->count++;
}

/* attr_setf - add or replace name with a formatted value */
void
attr_setf(struct attr *a, const char *name, const char *fmt, ...)
{
	struct buf *b = buf_new(64, 0);
	va_list ap;

	va_start(ap, fmt);
	buf_vappendf(b, fmt, ap);
	va_end(ap);
	attr_set(a, name, buf_str(b));
	buf_free(&b);
}

/* attr_get - the value of name, or NULL */
const char *
attr_get(const struct attr *a, const char *name)
{
	int i;

	for (i = 0; i < a->count; i++)
		if (strcmp(a->name[i], name) == 0)
			return a->value[i];
	return NULL;
}

/* attr_get_num - a number, or def when absent or malformed */
long long
attr_get_num(const struct attr *a, const char *name, long long def)
{
	const char *v = attr_get(a, name);
	char *end;
	long long n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtoll(v, &end, 10);
	return *end ? def : n;
}

/* attr_format - append the wire form: lines, then an empty line */
void
attr_format(const struct attr *a, struct buf *out)
{
	int i;

	for (i = 0; i < a->count; i++) {
		buf_puts(out, a->name[i]);
		buf_putc(out, '=');
		queue_encode(out, a->value[i]);
		buf_putc(out, '\n');
	}
	buf_putc(out, '\n');
}

/* attr_write - send a list and flush */
int
attr_write(struct lineio *l, const struct attr *a)
{
	struct buf *b = buf_new(256, 0);
	int r;

	attr_format(a, b);
	r = lineio_write(l, buf_str(b), buf_len(b));
	buf_free(&b);
	if (r < 0)
		return -1;
	return lineio_flush(l);
}

/* attr_add_line - parse one "name=value" line into the list */
static int
attr_add_line(struct attr *a, char *line)
{
	char *eq = strchr(line, '=');

	if (eq == NULL || eq == line)
		return -1;
	*eq = '\0';
	/* The last one wins; a reader that must not guess checks dups. */
	if (attr_get(a, line) != NULL)
		a->dups++;
	attr_set(a, line, queue_decode(eq + 1));
	return 0;
}

/* attr_read - read a list up to its empty line; LINE_* result */
int
attr_read(struct lineio *l, struct attr *a)
{
	struct buf *line = buf_new(256, ATTR_LINE_MAX + 1);
	int r;

	attr_clear(a);
	for (;;) {
		r = lineio_get(l, line, LINEIO_SKIP);
		/* A line the buffer cut is refused, never taken shortened. */
		if (r == LINE_OK && buf_overflowed(line))
			r = LINE_TOOLONG;
		if (r != LINE_OK)
			break;
		if (buf_len(line) == 0)
			break;
		if (attr_add_line(a, line->data) < 0) {
			r = LINE_ERROR;
			break;
		}
	}
	if (r == LINE_EOF && a->count > 0)
		r = LINE_ERROR;
	buf_free(&line);
	return r;
}

/* attr_parse - parse a whole list held in memory (without its empty line) */
int
attr_parse(const char *data, size_t len, struct attr *a)
{
	char *copy = xstrndup(data, len), *p = copy, *line;
	int r = 0;

	attr_clear(a);
	while ((line = strsep(&p, "\n")) != NULL) {
		if (*line == '\0')
			continue;
		if (attr_add_line(a, line) < 0) {
			r = -1;
			break;
		}
	}
	free(copy);
	return r;
}

/*
 * attr_end - the length of the first whole list in data (its lines and
 * the empty line that ends it), or 0 while it is incomplete.
 */
size_t
attr_end(const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (data[i] == '\n' && (i == 0 || data[i - 1] == '\n'))
			return i + 1;
	return 0;
}
