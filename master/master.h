/*
 * master - the supervisor: services from master.cf, their listeners and
 * their processes.
 */
#ifndef CARTERO_MASTER_H
#define CARTERO_MASTER_H

#include <sys/types.h>

#define MASTER_VERSION		"0.1"
#define MASTER_BACKLOG		128
#define MASTER_THROTTLE_MIN	1000		/* ms: first respawn delay */
#define MASTER_THROTTLE_MAX	60000		/* ms: it doubles up to this */
#define MASTER_STOP_WAIT	10000		/* ms: SIGTERM, then SIGKILL */
#define MASTER_STATUS_MAX	4096		/* status pipe bytes buffered */

enum master_type { MASTER_INET, MASTER_UNIX };

struct master_serv;

/* One listening socket of a service (inet services may have several). */
struct master_listener {
	struct master_serv *serv;
	char		*addr;		/* "127.0.0.1:2525", or a socket path */
	int		 fd;
	int		 optional;	/* may fail to bind ([::1]) */
	int		 avail;		/* idle children on this socket */
	int		 watching;	/* in the event loop */
};

/* One child process. */
struct master_proc {
	pid_t		 pid;
	struct master_serv *serv;
	int		 listener;	/* index into serv->listeners */
	int		 avail;		/* idle, as it last said */
	int		 served;	/* said busy at least once */
	int		 retired;	/* of a previous configuration */
	long long	 started;	/* ms */
	struct master_proc *next;	/* in serv->procs */
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
	int		 status[2];	/* pipe: children write [1] */
	struct buf	*status_in;	/* a partial status line */
	struct master_proc *procs;
	int		 total;		/* live children, retired ones too */
	int		 throttle_ms;	/* current respawn delay, 0: none */
	long long	 throttled_until;
	int		 removed;	/* gone from master.cf */
	struct master_serv *next;
};

extern struct master_serv *master_services;
extern struct master_serv *master_graveyard;	/* removed, children alive */
extern const char *master_confdir;
extern int master_stopping;
extern int master_root;			/* started as root */
extern uid_t master_owner_uid;		/* mail_owner, when root */
extern gid_t master_owner_gid;

/* master_jail.c */
int	master_jail_update(int, struct buf *);

/* master_conf.c */
int	master_conf_read(const char *, struct master_serv **, struct buf *);
void	master_conf_free(struct master_serv **);
void	master_serv_free(struct master_serv *);
int	master_conf_addrs(struct master_serv *, struct buf *);
int	master_conf_same(const struct master_serv *,
	    const struct master_serv *);

/* master_spawn.c */
int	master_listen(struct master_serv *, int, struct buf *);
void	master_unlisten(struct master_serv *);
int	master_status_open(struct master_serv *, struct buf *);
void	master_status_close(struct master_serv *);
void	master_watch(struct master_serv *);
void	master_start(struct master_serv *);
void	master_start_one(struct master_serv *, int);
void	master_retire(struct master_serv *);
void	master_reap(void);
void	master_kill_all(int);
int	master_nprocs(void);
void	master_wakeup_cancel(struct master_serv *);

#endif
