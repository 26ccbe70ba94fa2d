/*
 * carteromap - build and query lookup tables, with postmap's habits.
 *
 *	carteromap [-a] [-c dir] [type:]file ...
 *	carteromap [-a] [-c dir] -q key [type:]file ...
 *	carteromap [-a] [-c dir] -q - [type:]file ...
 *
 * The first form builds each hash: table (file.db from file) atomically and
 * checks the syntax of each texthash: one.  The second prints the value of
 * key from the first table that has it: exit 0 if found, 1 if not, 2 on an
 * error.  With "-q -" keys are read from standard input, one a line, and
 * "key value" is printed for each one found.  A file without a type is
 * hash:file.  -a reads the source as an aliases file ("key: value"), which
 * is what newaliases does for alias_database.  -v says what is done: the
 * main.cf read, each table built (its entries) or checked, each lookup.
 *
 * Called by the name postmap (the symbolic link of the compatibility
 * package), it says so in its messages and usage; the options are the
 * same, the seed's "postmap -v /etc/cartero/transport" among them.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "maps.h"
#include "msg.h"
#include "util.h"

#define CARTEROMAP_KEY_MAX	4096

static const char *carteromap_name = "carteromap";	/* or postmap */

/* carteromap_usage - explain the command line and exit */
static void
carteromap_usage(void)
{
	const char *n = carteromap_name;

	fprintf(stderr,
	    "usage: %s [-av] [-c dir] [type:]file ...\n"
	    "       %s [-av] [-c dir] -q key [type:]file ...\n"
	    "       %s [-av] [-c dir] -q - [type:]file ...\n"
	    "types: hash (the default; builds file.db), texthash\n",
	    n, n, n);
	exit(2);
}

/* carteromap_spec - "type:file" as given, or "hash:file" for a bare file */
static char *
carteromap_spec(const char *arg)
{
	struct buf *b = buf_new(256, 0);
	const char *colon = strchr(arg, ':'), *slash = strchr(arg, '/');

	/* A colon after a slash belongs to the path, not a type. */
	if (colon == NULL || (slash != NULL && slash < colon))
		buf_setf(b, "hash:%s", arg);
	else
		buf_set(b, arg);
	return buf_steal(&b);
}

/* carteromap_config - read main.cf (a missing one means the defaults) */
static void
carteromap_config(const char *dir)
{
	struct buf *why = buf_new(256, 0), *path;
	struct stat st;

	if (dir != NULL && stat(dir, &st) < 0)
		msg_fatal("-c %s: %m", dir);
	if (dir != NULL && !S_ISDIR(st.st_mode))
		msg_fatal("-c %s: not a directory", dir);
	if (conf_load(dir, NULL, why) < 0)
		msg_fatal("%s", buf_str(why));
	if (msg_verbose) {
		path = buf_new(256, 0);
		buf_setf(path, "%s/main.cf", dir != NULL ? dir :
		    conf_default_dir());
		msg_debug("configuration: %s%s", buf_str(path),
		    access(buf_str(path), F_OK) == 0 ? "" :
		    " (none: the defaults)");
		buf_free(&path);
	}
	buf_free(&why);
}

/* carteromap_query - look key up in the tables; 0 found, 1 not, 2 error */
static int
carteromap_query(struct map *m, const char *key, int with_key)
{
	struct buf *value = buf_new(256, 0);
	int r;

	r = map_lookup(m, key, value);
	msg_debug("lookup of %s: %s", key, r > 0 ? "found" : r == 0 ?
	    "not found" : "failed");
	if (r < 0)
		msg_warn("%s", buf_str(value));
	else if (r > 0) {
		if (with_key)
			printf("%s\t%s\n", key, buf_str(value));
		else
			printf("%s\n", buf_str(value));
	}
	buf_free(&value);
	return r > 0 ? 0 : r == 0 ? 1 : 2;
}

/* carteromap_query_stdin - "-q -": one key a line from standard input */
static int
carteromap_query_stdin(struct map *m)
{
	char line[CARTEROMAP_KEY_MAX], *key;
	size_t len;
	int r, found = 0, skipping = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		len = strlen(line);
		if (skipping || (len > 0 && line[len - 1] != '\n' &&
		    !feof(stdin))) {
			if (!skipping)
				msg_warn("key longer than %d bytes skipped",
				    CARTEROMAP_KEY_MAX - 2);
			skipping = len > 0 && line[len - 1] != '\n';
			continue;
		}
		key = trim(line);
		if (*key == '\0')
			continue;
		if ((r = carteromap_query(m, key, 1)) == 2)
			return 2;
		if (r == 0)
			found = 1;
	}
	return found ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct buf *why;
	struct map *m;
	const char *dir = NULL, *query = NULL;
	char *spec;
	int ch, flags = 0, i, r = 0;

	carteromap_name = conf_command_name(argv[0], "carteromap", "postmap");
	while ((ch = getopt(argc, argv, "ac:q:v")) != -1) {
		if (conf_option(ch, optarg, &dir))
			continue;
		switch (ch) {
		case 'a':
			flags |= MAP_ALIAS;
			break;
		case 'q':
			query = optarg;
			break;
		default:
			carteromap_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		carteromap_usage();
	carteromap_config(dir);
	why = buf_new(256, 0);

	if (query != NULL) {
		/* Build one list so the first table that has the key wins. */
		struct buf *list = buf_new(256, 0);

		for (i = 0; i < argc; i++) {
			spec = carteromap_spec(argv[i]);
			buf_appendf(list, "%s%s", i ? ", " : "", spec);
			free(spec);
		}
		msg_debug("looking keys up in %s", buf_str(list));
		if ((m = map_open(buf_str(list), flags, why)) == NULL) {
			msg_warn("%s", buf_str(why));
			exit(2);
		}
		buf_free(&list);
		if (strcmp(query, "-") == 0)
			r = carteromap_query_stdin(m);
		else
			r = carteromap_query(m, query, 0);
		map_close(&m);
		buf_free(&why);
		fflush(stdout);
		exit(ferror(stdout) ? 2 : r);
	}

	for (i = 0; i < argc; i++) {
		spec = carteromap_spec(argv[i]);
		if (map_build(spec, flags, why) < 0) {
			msg_warn("%s", buf_str(why));
			r = 1;
		}
		free(spec);
	}
	buf_free(&why);
	exit(r);
}
