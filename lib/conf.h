/*
 * conf - main.cf: Postfix's syntax (name = value, continuation lines start
 * with white space, # comments), $name and ${name} expansion, typed values
 * checked against the table in params.h.  A program calls conf_load() once,
 * before it drops privileges; the var_* variables are read-only after.
 */
#ifndef CARTERO_CONF_H
#define CARTERO_CONF_H

struct buf;

/* One name = value line of main.cf, as written. */
struct conf_entry {
	char	*name;
	char	*value;		/* raw, unexpanded, continuation lines joined */
	int	 line;		/* where it starts */
};

struct conf_file {
	char			*path;
	struct conf_entry	*entries;
	int			 count;
};

/*
 * Read DIR/main.cf, apply -o overrides (name=value strings, may be NULL),
 * expand and check every parameter, fill the var_* variables.  Returns 0, or
 * -1 with "FILE, line N: parameter NAME: what is wrong" in why.
 */
int		 conf_load(const char *, char **, struct buf *);
/* conf_load() by the absolute path of the directory, into real[PATH_MAX] */
int		 conf_load_real(const char *, char *, struct buf *);
const char	*conf_dir(void);		/* the -c directory in use */
/* A command's name (argv[0], its own, a compatibility name), msg_init'd. */
const char	*conf_command_name(const char *, const char *, const char *);
/* A command's -c DIR (into *dir) and -v; 1 when the option was one. */
int		 conf_option(int, const char *, const char **);
size_t		 conf_name_len(const char *);	/* of a parameter name at s */
const char	*conf_default_dir(void);	/* $CARTERO_CONFIG_DIR or the built-in */

/* Lower level, for carteroconf. */
int		 conf_file_read(const char *, struct conf_file *, struct buf *);
void		 conf_file_free(struct conf_file *);
const char	*conf_file_get(const struct conf_file *, const char *);
const char	*conf_raw(const char *);	/* raw value in force (file, -o or default) */
char		*conf_expand(const char *, struct buf *);	/* malloc'd; NULL + why on a loop */
/* Check a value (expanded against the values in force) against the type
 * and bounds of a parameter; 0 for names not in the table. */
int		 conf_check(const char *, const char *, struct buf *);
/* In the table, or a per-transport TRANSPORT_destination_*_limit? */
int		 conf_known(const char *);
/* Any parameter's integer value in force, in [min, max]: 1, 0 unset, -1. */
int		 conf_int(const char *, long long, long long, long long *,
		    struct buf *);

#endif
