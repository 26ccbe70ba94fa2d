/*
 * fsyncs - sync several descriptors at the same time (see fsyncs.c).
 */
#ifndef CARTERO_FSYNCS_H
#define CARTERO_FSYNCS_H

#define FSYNCS_MAX	64	/* descriptors per submission */

/* fdatasync (data_only[i]) or fsync each fd[i]; err[i]: 0 or errno. */
int	fsyncs(int, const int *, const int *, int *);

/*
 * One sync started now and waited for later, while the caller does other
 * work.  The fd must stay open and the struct in place until fsyncs_end().
 */
struct fsyncs_op {
	int	 fd;
	int	 data_only;
	int	 state;		/* FSYNCS_IDLE, _RUNNING or _DONE */
	int	 err;		/* when done: 0 or errno */
};

#define FSYNCS_IDLE	0	/* not started, or AIO could not take it */
#define FSYNCS_RUNNING	1
#define FSYNCS_DONE	2

void	fsyncs_begin(struct fsyncs_op *, int, int);
int	fsyncs_end(struct fsyncs_op *);

#endif
