/*
 * alias - expansion of local aliases (alias_maps and :include: files),
 * shared by qmgr and local (see alias.c).
 *
 * qmgr expands to route and count the deliveries; local expands again to
 * confirm that a command or file it is asked to run really comes from the
 * aliases, so a process that can reach private/local cannot make it run
 * anything else.
 */
#ifndef CARTERO_ALIAS_H
#define CARTERO_ALIAS_H

struct buf;

/* What an alias expands to. */
enum {
	ALIAS_ADDR,		/* a final address (an account, or remote) */
	ALIAS_COMMAND,		/* "|command" */
	ALIAS_FILE,		/* "/file" */
	ALIAS_ERROR		/* a permanent error: dsn and reason */
};

#define ALIAS_DEPTH_MAX		20	/* nested aliases */
#define ALIAS_TARGETS_MAX	10000	/* targets of one address */
#define ALIAS_INCLUDE_MAX	(1024 * 1024) /* an :include: file's bytes */

/*
 * Called for each target: kind, value (address, command, file or reason),
 * via (the address whose alias named it; for ALIAS_ADDR the address
 * itself), dsn (for ALIAS_ERROR; for an ALIAS_ADDR reached by an alias
 * loop "5.4.6", the status to use when it has no account; else NULL).
 */
typedef void (*alias_fn)(int, const char *, const char *, const char *,
    void *);

/* Expand an address: 0, or -1 with why when a lookup failed (retry). */
int	alias_expand(const char *, alias_fn, void *, struct buf *);
/* Does addr expand to this command/file target?  1 yes, 0 no, -1 (why). */
int	alias_confirm(const char *, int, const char *, struct buf *);
/* The address with its extension removed ("ana+x@d" -> "ana@d"). */
void	alias_strip_extension(const char *, struct buf *);

#endif
