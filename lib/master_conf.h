/*
 * master_conf - master.cf, the service table: read by master, which runs
 * its services, and by the programs that must know them (smtp's loop
 * check, qmgr's process limits, cartero check's ports).
 */
#ifndef CARTERO_MASTER_CONF_H
#define CARTERO_MASTER_CONF_H

struct buf;
struct master_proc;		/* master's own (master/master.h) */
struct master_serv;

enum master_type { MASTER_INET, MASTER_UNIX };

/* One listening socket of a service (inet services may have several). */
struct master_listener {
	struct master_serv *serv;
	char		*addr;		/* "127.0.0.1:2525", or a socket path */
	int		 fd;
	int		 optional;	/* may fail to bind ([::1]) */
	int		 avail;		/* idle children on this socket */
	int		 watching;	/* in the event loop */
};

/* One line of master.cf. */
struct master_serv {
	char		*name;		/* column 1 */
	enum master_type type;
	int		 private;
	int		 unpriv;
	int		 chroot;
	int		 wakeup;	/* seconds, 0: none */
	int		 maxproc;	/* 0: no limit */
	char		*command;	/* column 8 */
	char		*path;		/* $daemon_directory/command */
	char		**args;		/* after the command; -o pairs first */
	int		 nargs;
	char		*file;		/* where it was defined */
	int		 line;

	struct master_listener **listeners;
	int		 nlisteners;
	struct master_serv *next;

	/* master's own: unused in every other program. */
	int		 status[2];	/* pipe: children write [1] */
	struct buf	*status_in;	/* a partial status line */
	struct master_proc *procs;
	int		 total;		/* live children, retired ones too */
	int		 throttle_ms;	/* current respawn delay, 0: none */
	long long	 throttled_until;
	int		 removed;	/* gone from master.cf */
};

int	master_conf_read(const char *, struct master_serv **, struct buf *);
void	master_conf_free(struct master_serv **);
void	master_serv_free(struct master_serv *);
int	master_conf_addrs(struct master_serv *, struct buf *);
int	master_conf_same(const struct master_serv *,
	    const struct master_serv *);
const struct master_serv *master_conf_find(const struct master_serv *,
	    enum master_type, const char *);

#endif
