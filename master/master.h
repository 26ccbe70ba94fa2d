/*
 * master - the supervisor: services from master.cf, their listeners and
 * their processes.
 */
#ifndef CARTERO_MASTER_H
#define CARTERO_MASTER_H

#include <sys/types.h>

#include "master_conf.h"

#define MASTER_VERSION		"0.1"
#define MASTER_BACKLOG		128
#define MASTER_THROTTLE_MIN	1000		/* ms: first respawn delay */
#define MASTER_THROTTLE_MAX	60000		/* ms: it doubles up to this */
#define MASTER_STOP_WAIT	10000		/* ms: SIGTERM, then SIGKILL */
#define MASTER_STATUS_MAX	4096		/* status pipe bytes buffered */

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

extern struct master_serv *master_services;
extern struct master_serv *master_graveyard;	/* removed, children alive */
extern const char *master_confdir;
extern int master_stopping;
extern int master_root;			/* started as root */
extern uid_t master_owner_uid;		/* mail_owner, when root */
extern gid_t master_owner_gid;

/* master_jail.c */
int	master_jail_update(int, struct buf *);

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
