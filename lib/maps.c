/*
 * maps - lookup tables named as Postfix names them.
 *
 *	hash:/path	the Berkeley DB hash file /path.db, built from the
 *			text file /path by map_build() (carteromap,
 *			newaliases);
 *	texthash:/path	the text file /path itself, read into memory.
 *
 * Source files: "key value" per line (alias files, MAP_ALIAS: "key: value",
 * the key may be quoted); empty lines and lines whose first non-blank
 * character is '#' are ignored; a line that starts with white space
 * continues the entry above it (joined with one space).  Keys are
 * lowercased when stored and when looked up; values are kept as written,
 * less the white space around them.  A key that appears twice keeps its
 * FIRST value and the later one is reported, as postmap does without -r.
 * Lines that do not parse are reported as "FILE, line N: ..." and skipped.
 *
 * In the .db file keys and values carry their trailing NUL, as Postfix
 * writes them on Linux; lookups also try the key without it, so tables made
 * by other tools are read too.  map_build() writes /path.db.tmp-PID and
 * renames it over /path.db, so a reader sees the old table or the new one,
 * never half of one.  An open table notices that its file was replaced or
 * changed (it compares stat() results at each lookup) and reopens it, so
 * long-lived daemons see a rebuilt table without a restart.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "htable.h"
#include "maps.h"
#include "msg.h"
#include "util.h"

#define MAP_LINE_MAX	(256 * 1024)	/* the longest logical line */
#define MAP_TEXT_BUCKETS 64		/* a texthash: table's, at first */

enum map_type { MAP_HASH, MAP_TEXTHASH };


/* One "type:name" of a list. */
struct map_table {
	char			*spec;		/* "hash:/etc/x" */
	char			*source;	/* /etc/x */
	char			*path;		/* x.db or x */
	enum map_type		 type;
	int			 flags;
	DB			*db;		/* hash: */
	struct htable		*text;		/* texthash: key, value */
	struct stat		 st;		/* of path, when read */
	struct map_table	*next;
};

struct map {
	struct map_table	*tables;
};

/* What a source line parser hands to its consumer. */
typedef int (*map_put_fn)(const char *, const char *, const char *, int,
    void *, struct buf *);

static char map_db_error[512];	/* Berkeley DB's own words, last error */

/* map_db_errcall - keep Berkeley DB's message for our why text */
static void
map_db_errcall(const DB_ENV *env, const char *prefix, const char *text)
{
	snprintf(map_db_error, sizeof(map_db_error), "%s", text);
}

/* map_db_why - Berkeley DB's explanation of error code ret */
static const char *
map_db_why(int ret)
{
	if (map_db_error[0] != '\0')
		return map_db_error;
	return db_strerror(ret);
}

/*
 * In-memory tables (texthash:).
 */

/* map_text_put - add key (first value wins); a map_put_fn */
static int
map_text_put(const char *key, const char *value, const char *file, int line,
    void *arg, struct buf *why)
{
	struct htable *t = arg;

	if (htable_locate(t, key) != NULL) {
		msg_warn("%s, line %d: duplicate entry \"%s\": keeping the"
		    " first one", file, line, key);
		return 0;
	}
	htable_enter(t, key, xstrdup(value));
	return 0;
}

/*
 * Source files.
 */

/* map_parse_entry - split one logical line into key and value, or warn */
static int
map_parse_entry(char *line, int flags, const char *file, int lineno,
    char **keyp, char **valuep)
{
	char *p = line, *key, *value;

	if ((flags & MAP_ALIAS) && *p == '"') {
		/* A quoted key: "key with space": value */
		char *w;

		key = w = ++p;
		while (*p != '\0' && *p != '"') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			*w++ = *p++;
		}
		if (*p != '"') {
			msg_warn("%s, line %d: unbalanced quote in key;"
			    " entry skipped", file, lineno);
			return -1;
		}
		*w = '\0';
		p++;
		p += strspn(p, " \t");
		if (*p != ':') {
			msg_warn("%s, line %d: expected format: key: value;"
			    " entry skipped", file, lineno);
			return -1;
		}
		value = p + 1;
	} else if (flags & MAP_ALIAS) {
		key = p;
		p += strcspn(p, ": \t");
		if (*p != ':') {
			p += strspn(p, " \t");
			if (*p != ':') {
				msg_warn("%s, line %d: expected format: key:"
				    " value; entry skipped", file, lineno);
				return -1;
			}
		}
		key[strcspn(key, ": \t")] = '\0';
		value = p + 1;
	} else {
		key = p;
		p += strcspn(p, " \t");
		if (*p == '\0') {
			msg_warn("%s, line %d: expected format: key whitespace"
			    " value; entry skipped", file, lineno);
			return -1;
		}
		*p = '\0';
		value = p + 1;
	}
	value = trim(value);
	if (*key == '\0') {
		msg_warn("%s, line %d: empty key; entry skipped", file, lineno);
		return -1;
	}
	if (*value == '\0') {
		msg_warn("%s, line %d: no value for key \"%s\"; entry skipped",
		    file, lineno, key);
		return -1;
	}
	*keyp = lowercase(key);
	*valuep = value;
	return 0;
}

/* map_flush_entry - parse a finished logical line and hand it on */
static int
map_flush_entry(struct buf *logical, int flags, const char *file, int lineno,
    int *colon_warned, map_put_fn put, void *arg, struct buf *why)
{
	char *key, *value;
	size_t klen;
	int r;

	if (buf_len(logical) == 0)
		return 0;
	if (buf_overflowed(logical)) {
		msg_warn("%s, line %d: entry longer than %d bytes; skipped",
		    file, lineno, MAP_LINE_MAX);
		buf_reset(logical);
		return 0;
	}
	if (map_parse_entry(logical->data, flags, file, lineno, &key,
	    &value) < 0) {
		buf_reset(logical);
		return 0;
	}
	klen = strlen(key);
	if (!(flags & MAP_ALIAS) && klen > 1 && key[klen - 1] == ':' &&
	    !*colon_warned) {
		msg_warn("%s, line %d: key \"%s\" ends in ':'; if this is an"
		    " aliases file, build it with newaliases or carteromap -a",
		    file, lineno, key);
		*colon_warned = 1;
	}
	r = put(key, value, file, lineno, arg, why);
	buf_reset(logical);
	return r;
}

/* map_read_source - read a source file and call put for each entry */
static int
map_read_source(const char *file, int flags, map_put_fn put, void *arg,
    struct buf *why)
{
	FILE *fp;
	char chunk[4096], *line;
	struct buf *phys, *logical;
	int lineno = 0, start = 0, colon_warned = 0, r = 0;
	size_t len;

	if ((fp = fopen(file, "re")) == NULL) {
		buf_setf(why, "open %s: %s", file, strerror(errno));
		return -1;
	}
	phys = buf_new(256, MAP_LINE_MAX);
	logical = buf_new(256, MAP_LINE_MAX);
	for (;;) {
		/* One physical line, bounded: the excess is dropped. */
		buf_reset(phys);
		while (fgets(chunk, sizeof(chunk), fp) != NULL) {
			buf_puts(phys, chunk);
			len = strlen(chunk);
			if (len > 0 && chunk[len - 1] == '\n')
				break;
		}
		if (ferror(fp)) {
			buf_setf(why, "read %s: %s", file, strerror(errno));
			r = -1;
			break;
		}
		if (buf_len(phys) == 0 && feof(fp))
			break;
		lineno++;
		if (buf_overflowed(phys)) {
			msg_warn("%s, line %d: line longer than %d bytes;"
			    " skipped", file, lineno, MAP_LINE_MAX);
			continue;
		}
		line = phys->data;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t")] == '\0' ||
		    line[strspn(line, " \t")] == '#')
			continue;
		if (line[0] == ' ' || line[0] == '\t') {
			if (buf_len(logical) == 0) {
				msg_warn("%s, line %d: continuation line"
				    " without an entry above it; skipped",
				    file, lineno);
				continue;
			}
			buf_putc(logical, ' ');
			buf_puts(logical, trim(line));
			continue;
		}
		if (map_flush_entry(logical, flags, file, start,
		    &colon_warned, put, arg, why) < 0) {
			r = -1;
			break;
		}
		start = lineno;
		buf_puts(logical, trim(line));
	}
	if (r == 0 && map_flush_entry(logical, flags, file, start,
	    &colon_warned, put, arg, why) < 0)
		r = -1;
	buf_free(&phys);
	buf_free(&logical);
	fclose(fp);
	return r;
}

/*
 * Berkeley DB files (hash:).
 */

/* map_db_put - store key and value with their NULs; a map_put_fn */
static int
map_db_put(const char *key, const char *value, const char *file, int line,
    void *arg, struct buf *why)
{
	DB *db = arg;
	DBT k, v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)strlen(key) + 1;
	v.data = (void *)value;
	v.size = (u_int32_t)strlen(value) + 1;
	map_db_error[0] = '\0';
	ret = db->put(db, NULL, &k, &v, DB_NOOVERWRITE);
	if (ret == DB_KEYEXIST) {
		msg_warn("%s, line %d: duplicate entry \"%s\": keeping the"
		    " first one", file, line, key);
		return 0;
	}
	if (ret != 0) {
		buf_setf(why, "%s, line %d: write: %s", file, line,
		    map_db_why(ret));
		return -1;
	}
	return 0;
}

/* map_db_open - open path read-only as a Berkeley DB hash */
static DB *
map_db_open(const char *path, struct buf *why)
{
	DB *db;
	int ret;

	map_db_error[0] = '\0';
	if ((ret = db_create(&db, NULL, 0)) != 0) {
		buf_setf(why, "db_create: %s", db_strerror(ret));
		return NULL;
	}
	db->set_errcall(db, map_db_errcall);
	if ((ret = db->open(db, NULL, path, NULL, DB_HASH, DB_RDONLY,
	    0)) != 0) {
		buf_setf(why, "open %s: %s", path, map_db_why(ret));
		db->close(db, 0);
		return NULL;
	}
	return db;
}

/* map_db_count - the keys of a hash: table, for -v; -1 if unknown */
static long
map_db_count(DB *db)
{
	DB_HASH_STAT *hs;
	long n;

	if (db->stat(db, NULL, &hs, 0) != 0)
		return -1;
	n = (long)hs->hash_nkeys;
	free(hs);
	return n;
}

/* map_build_hash - write source/path.db from source, atomically */
static int
map_build_hash(const char *spec, const char *source, int flags,
    struct buf *why)
{
	struct buf *dbpath = buf_new(256, 0), *tmp = buf_new(256, 0);
	struct buf *err = buf_new(128, 1024);
	struct stat st;
	DB *db = NULL;
	mode_t mode;
	long nkeys = -1;
	int ret, fd, r = -1;

	buf_setf(dbpath, "%s.db", source);
	buf_setf(tmp, "%s.db.tmp-%ld", source, (long)getpid());
	if (stat(source, &st) < 0) {
		buf_setf(why, "%s: %s: %s", spec, source, strerror(errno));
		goto out;
	}
	/* Like postmap: the source's group and other read bits. */
	mode = 0600 | (st.st_mode & 0044);
	if (unlink(buf_str(tmp)) < 0 && errno != ENOENT) {
		buf_setf(why, "%s: remove %s: %s", spec, buf_str(tmp),
		    strerror(errno));
		goto out;
	}
	map_db_error[0] = '\0';
	if ((ret = db_create(&db, NULL, 0)) != 0) {
		buf_setf(why, "%s: db_create: %s", spec, db_strerror(ret));
		db = NULL;
		goto out;
	}
	db->set_errcall(db, map_db_errcall);
	if ((ret = db->open(db, NULL, buf_str(tmp), NULL, DB_HASH,
	    DB_CREATE | DB_EXCL, (int)mode)) != 0) {
		buf_setf(why, "%s: create %s: %s", spec, buf_str(tmp),
		    map_db_why(ret));
		goto fail;
	}
	if (map_read_source(source, flags, map_db_put, db, err) < 0) {
		buf_setf(why, "%s: %s", spec, buf_str(err));
		goto fail;
	}
	if (msg_verbose)
		nkeys = map_db_count(db);
	ret = db->close(db, 0);
	db = NULL;
	if (ret != 0) {
		buf_setf(why, "%s: write %s: %s", spec, buf_str(tmp),
		    map_db_why(ret));
		goto fail;
	}
	if (chmod(buf_str(tmp), mode) < 0 ||
	    (fd = open(buf_str(tmp), O_RDONLY | O_CLOEXEC)) < 0) {
		buf_setf(why, "%s: %s: %s", spec, buf_str(tmp),
		    strerror(errno));
		goto fail;
	}
	ret = fsync(fd);
	close(fd);
	if (ret < 0) {
		buf_setf(why, "%s: fsync %s: %s", spec, buf_str(tmp),
		    strerror(errno));
		goto fail;
	}
	if (rename(buf_str(tmp), buf_str(dbpath)) < 0) {
		buf_setf(why, "%s: rename %s to %s: %s", spec, buf_str(tmp),
		    buf_str(dbpath), strerror(errno));
		goto fail;
	}
	if (fsync_dir(buf_str(dbpath)) < 0)
		msg_warn("fsync directory of %s: %m", buf_str(dbpath));
	msg_debug("%s: %ld %s from %s written to %s", spec, nkeys,
	    nkeys == 1 ? "entry" : "entries", source, buf_str(dbpath));
	r = 0;
	goto out;
fail:
	if (db != NULL)
		db->close(db, 0);
	unlink(buf_str(tmp));
out:
	buf_free(&dbpath);
	buf_free(&tmp);
	buf_free(&err);
	return r;
}

/*
 * Tables and lists.
 */

/* map_table_load - open or reopen the data behind a table */
static int
map_table_load(struct map_table *t, struct buf *why)
{
	struct buf *err = buf_new(128, 1024);
	struct htable *text;
	struct stat src;
	DB *db;

	if (stat(t->path, &t->st) < 0) {
		if (errno == ENOENT && t->type == MAP_HASH &&
		    (t->flags & MAP_ALIAS))
			buf_setf(why, "%s: %s: No such file; run newaliases",
			    t->spec, t->path);
		else if (errno == ENOENT && t->type == MAP_HASH)
			buf_setf(why, "%s: %s: No such file; run carteromap"
			    " %s", t->spec, t->path, t->spec);
		else
			buf_setf(why, "%s: %s: %s", t->spec, t->path,
			    strerror(errno));
		buf_free(&err);
		return -1;
	}
	if (t->type == MAP_HASH) {
		if ((db = map_db_open(t->path, err)) == NULL) {
			buf_setf(why, "%s: %s", t->spec, buf_str(err));
			buf_free(&err);
			return -1;
		}
		if (t->db != NULL)
			t->db->close(t->db, 0);
		t->db = db;
		if (stat(t->source, &src) == 0 &&
		    src.st_mtime > t->st.st_mtime)
			msg_warn("database %s is older than source file %s;"
			    " run %s", t->path, t->source,
			    (t->flags & MAP_ALIAS) ? "newaliases" :
			    "carteromap");
	} else {
		text = htable_create(MAP_TEXT_BUCKETS);
		if (map_read_source(t->path, t->flags, map_text_put, text,
		    err) < 0) {
			buf_setf(why, "%s: %s", t->spec, buf_str(err));
			htable_free(&text, free);
			buf_free(&err);
			return -1;
		}
		htable_free(&t->text, free);
		t->text = text;
	}
	buf_free(&err);
	return 0;
}

/* map_table_free - release one table */
static void
map_table_free(struct map_table *t)
{
	if (t->db != NULL)
		t->db->close(t->db, 0);
	htable_free(&t->text, free);
	free(t->spec);
	free(t->source);
	free(t->path);
	free(t);
}

/* map_table_new - parse "type:name"; NULL with why if unknown */
static struct map_table *
map_table_new(const char *spec, size_t len, int flags, struct buf *why)
{
	struct map_table *t;
	const char *colon = memchr(spec, ':', len);
	size_t tlen;

	if (colon == NULL || colon + 1 == spec + len) {
		buf_setf(why, "%.*s: no table type; use hash:%.*s or"
		    " texthash:%.*s", (int)len, spec, (int)len, spec, (int)len,
		    spec);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	tlen = (size_t)(colon - spec);
	if (tlen == 4 && strncasecmp(spec, "hash", 4) == 0)
		t->type = MAP_HASH;
	else if (tlen == 8 && strncasecmp(spec, "texthash", 8) == 0)
		t->type = MAP_TEXTHASH;
	else {
		buf_setf(why, "%.*s: unsupported table type \"%.*s\""
		    " (cartero knows hash: and texthash:)", (int)len, spec,
		    (int)tlen, spec);
		free(t);
		return NULL;
	}
	t->spec = xstrndup(spec, len);
	t->source = xstrndup(colon + 1, len - tlen - 1);
	t->flags = flags;
	if (t->type == MAP_HASH) {
		struct buf *b = buf_new(256, 0);

		buf_setf(b, "%s.db", t->source);
		t->path = buf_steal(&b);
	} else
		t->path = xstrdup(t->source);
	return t;
}

/* map_next_spec - the next "type:name" of a comma/space list */
static const char *
map_next_spec(const char **pp, size_t *len)
{
	const char *p = *pp, *start;

	p += strspn(p, ", \t\r\n");
	if (*p == '\0')
		return NULL;
	start = p;
	p += strcspn(p, ", \t\r\n");
	*len = (size_t)(p - start);
	*pp = p;
	return start;
}

/* map_open - open one table or a list of them */
struct map *
map_open(const char *list, int flags, struct buf *why)
{
	struct map *m = xcalloc(1, sizeof(*m));
	struct map_table *t, **tail = &m->tables;
	const char *p = list, *spec;
	size_t len;

	while ((spec = map_next_spec(&p, &len)) != NULL) {
		if ((t = map_table_new(spec, len, flags, why)) == NULL ||
		    map_table_load(t, why) < 0) {
			if (t != NULL)
				map_table_free(t);
			map_close(&m);
			return NULL;
		}
		*tail = t;
		tail = &t->next;
	}
	return m;
}

/* map_table_changed - was the file replaced or modified since it was read? */
static int
map_table_changed(struct map_table *t)
{
	struct stat st;

	if (stat(t->path, &st) < 0)
		return 0;		/* gone: keep what we have */
	return st.st_ino != t->st.st_ino || st.st_dev != t->st.st_dev ||
	    st.st_size != t->st.st_size ||
	    st.st_mtim.tv_sec != t->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != t->st.st_mtim.tv_nsec;
}

/* map_table_refresh - reopen a changed table; keep the old one on failure */
static void
map_table_refresh(struct map_table *t)
{
	struct buf *why;
	struct stat old = t->st;

	if (!map_table_changed(t))
		return;
	why = buf_new(128, 1024);
	if (map_table_load(t, why) < 0) {
		msg_warn("%s; still using the table read before",
		    buf_str(why));
		/* Do not retry at every lookup; retry when it changes again. */
		if (stat(t->path, &t->st) < 0)
			t->st = old;
	}
	buf_free(&why);
}

/* map_lookup_db - look key up in a Berkeley DB table; -1: why in result */
static int
map_lookup_db(struct map_table *t, const char *key, struct buf *result)
{
	DBT k, v;
	int ret;
	size_t len;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)strlen(key) + 1;
	map_db_error[0] = '\0';
	ret = t->db->get(t->db, NULL, &k, &v, 0);
	if (ret == DB_NOTFOUND) {
		k.size--;		/* a table written without NULs */
		ret = t->db->get(t->db, NULL, &k, &v, 0);
	}
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0) {
		buf_setf(result, "%s: lookup of \"%s\": %s", t->spec, key,
		    map_db_why(ret));
		return -1;
	}
	len = v.size;
	if (len > 0 && ((const char *)v.data)[len - 1] == '\0')
		len--;
	buf_reset(result);
	buf_append(result, v.data, len);
	return 1;
}

/*
 * map_lookup - look key up in each table in order: 1 found (the value in
 * result), 0 not found, -1 error (the explanation in result).
 */
int
map_lookup(struct map *m, const char *key, struct buf *result)
{
	struct map_table *t;
	const char *value;
	char *lower;
	int r = 0;

	if (m == NULL)
		return 0;
	lower = lowercase(xstrdup(key));
	for (t = m->tables; t != NULL && r == 0; t = t->next) {
		map_table_refresh(t);
		if (t->type == MAP_HASH)
			r = map_lookup_db(t, lower, result);
		else if ((value = htable_find(t->text, lower)) != NULL) {
			buf_set(result, value);
			r = 1;
		}
	}
	free(lower);
	return r;
}

/*
 * map_changed - has a table been rebuilt or changed since it was opened?
 * A hash table is asked through the descriptor Berkeley DB holds, so this
 * works in a chroot that cannot see the file's path: a table renamed over
 * (newaliases, carteromap) leaves ours with no link.  A process that
 * cannot reopen its tables (chrooted) exits when this says so, and master
 * starts a fresh one.
 */
int
map_changed(struct map *m)
{
	struct map_table *t;
	struct stat st;
	int fd;

	if (m == NULL)
		return 0;
	for (t = m->tables; t != NULL; t = t->next) {
		if (t->db != NULL && t->db->fd(t->db, &fd) == 0) {
			if (fstat(fd, &st) == 0 && (st.st_nlink == 0 ||
			    st.st_size != t->st.st_size ||
			    st.st_mtim.tv_sec != t->st.st_mtim.tv_sec ||
			    st.st_mtim.tv_nsec != t->st.st_mtim.tv_nsec))
				return 1;
		} else if (map_table_changed(t))
			return 1;
	}
	return 0;
}

/* map_walk_db - every entry of a Berkeley DB table: 0, or -1 with why */
static int
map_walk_db(struct map_table *t, map_walk_fn fn, void *arg, struct buf *why)
{
	struct buf *key = buf_new(128, 0), *value = buf_new(128, 0);
	DBC *cur;
	DBT k, v;
	int ret, r = 0;

	map_db_error[0] = '\0';
	if ((ret = t->db->cursor(t->db, NULL, &cur, 0)) != 0) {
		buf_setf(why, "%s: read: %s", t->spec, map_db_why(ret));
		r = -1;
		goto out;
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	while (r == 0 && (ret = cur->get(cur, &k, &v, DB_NEXT)) == 0) {
		/* Keys and values with or without their NUL (map_lookup_db). */
		buf_reset(key);
		buf_append(key, k.data, k.size > 0 && ((const char *)k.data)
		    [k.size - 1] == '\0' ? k.size - 1 : k.size);
		buf_reset(value);
		buf_append(value, v.data, v.size > 0 && ((const char *)v.data)
		    [v.size - 1] == '\0' ? v.size - 1 : v.size);
		r = fn(buf_str(key), buf_str(value), arg, why);
	}
	if (r == 0 && ret != DB_NOTFOUND) {
		buf_setf(why, "%s: read: %s", t->spec, map_db_why(ret));
		r = -1;
	}
	cur->close(cur);
out:
	buf_free(&key);
	buf_free(&value);
	return r;
}

/* map_walk - every entry of every table of a map */
int
map_walk(struct map *m, map_walk_fn fn, void *arg, struct buf *why)
{
	struct map_table *t;
	struct htable_info *e;
	size_t i;

	for (t = m != NULL ? m->tables : NULL; t != NULL; t = t->next) {
		if (t->type == MAP_HASH) {
			if (map_walk_db(t, fn, arg, why) < 0)
				return -1;
			continue;
		}
		for (i = 0; i < t->text->size; i++)
			for (e = t->text->bucket[i]; e != NULL; e = e->next)
				if (fn(e->key, e->value, arg, why) < 0)
					return -1;
	}
	return 0;
}

/* map_close - close every table of a map and clear the pointer */
void
map_close(struct map **mp)
{
	struct map_table *t, *next;

	if (*mp == NULL)
		return;
	for (t = (*mp)->tables; t != NULL; t = next) {
		next = t->next;
		map_table_free(t);
	}
	free(*mp);
	*mp = NULL;
}

/* map_build - rebuild each hash: table of a list; check texthash: sources */
int
map_build(const char *list, int flags, struct buf *why)
{
	struct map_table *t;
	struct htable *text;
	struct buf *err;
	const char *p = list, *spec;
	size_t len;
	int r = 0;

	while ((spec = map_next_spec(&p, &len)) != NULL) {
		if ((t = map_table_new(spec, len, flags, why)) == NULL)
			return -1;
		if (t->type == MAP_HASH) {
			if (map_build_hash(t->spec, t->source, flags, why) < 0)
				r = -1;
		} else {
			/* Nothing to build: read it to report its mistakes. */
			text = htable_create(MAP_TEXT_BUCKETS);
			err = buf_new(128, 1024);
			if (map_read_source(t->source, flags, map_text_put,
			    text, err) < 0) {
				buf_setf(why, "%s: %s", t->spec, buf_str(err));
				r = -1;
			} else
				msg_debug("%s: %zu %s, read as the text "
				    "stands: nothing to build", t->spec,
				    text->used, text->used == 1 ? "entry" :
				    "entries");
			buf_free(&err);
			htable_free(&text, free);
		}
		map_table_free(t);
		if (r < 0)
			return -1;
	}
	return 0;
}
