/*
 * attr - attribute records: a request or reply is lines "name=value"
 * ended by an empty line; values are percent-encoded as in queue files.
 */
#ifndef CARTERO_ATTR_H
#define CARTERO_ATTR_H

#include <stddef.h>

struct buf;
struct lineio;

struct attr {
	char	**name;
	char	**value;
	int	 count;
	int	 size;
	int	 dups;		/* lines read that repeated a name */
};

void	attr_init(struct attr *);
void	attr_free(struct attr *);
void	attr_clear(struct attr *);
void	attr_set(struct attr *, const char *, const char *);
void	attr_setf(struct attr *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
const char *attr_get(const struct attr *, const char *);
long long attr_get_num(const struct attr *, const char *, long long);
void	attr_format(const struct attr *, struct buf *);	/* append lines + empty line */
int	attr_write(struct lineio *, const struct attr *);	/* write and flush */
int	attr_read(struct lineio *, struct attr *);	/* LINE_* result */
/* Parse a whole request held in memory (for non-blocking readers). */
int	attr_parse(const char *, size_t, struct attr *);	/* 0 ok, -1 bad */
/* Bytes of the first whole list in a buffer (empty line included), or 0. */
size_t	attr_end(const char *, size_t);

#endif
