/*
 * maps - lookup tables, named as Postfix does: "hash:/path" (a Berkeley DB
 * hash file /path.db built by carteromap or newaliases from the text file
 * /path) and "texthash:/path" (the text file itself, read at open).  Keys are
 * matched without regard to case.  A list ("hash:a, texthash:b") is searched
 * in order.  Source format: "key value" per line, # comments, continuation
 * lines start with white space; alias files use "key: value".
 */
#ifndef CARTERO_MAPS_H
#define CARTERO_MAPS_H

struct buf;
struct map;

#define MAP_ALIAS	0x1	/* source uses "key: value" */

/* The table types map_open() knows (maps.c), for postconf -m. */
#define MAP_TYPE_NAMES	"hash texthash"

struct map	*map_open(const char *, int, struct buf *);	/* one "type:name" or a list */
int		 map_lookup(struct map *, const char *, struct buf *);	/* 1 found, 0 not, -1 error */
void		 map_close(struct map **);
int		 map_changed(struct map *);	/* rebuilt since opened? (fd-based) */

/*
 * Call fn(key, value, arg, why) for every entry of every table, in no
 * particular order, until it returns -1: 0, or -1 with why (fn's, or a
 * table that cannot be read).  For tables read whole at start (SNI).
 */
typedef int (*map_walk_fn)(const char *, const char *, void *, struct buf *);
int		 map_walk(struct map *, map_walk_fn, void *, struct buf *);

/* Rebuild "hash:/path" from /path (atomically: a temp file renamed). */
int		 map_build(const char *, int, struct buf *);

#endif
