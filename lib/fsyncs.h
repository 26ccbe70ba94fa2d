/*
 * fsyncs - sync several descriptors at the same time (see fsyncs.c).
 */
#ifndef CARTERO_FSYNCS_H
#define CARTERO_FSYNCS_H

#define FSYNCS_MAX	64	/* descriptors per submission */

/* fdatasync (data_only[i]) or fsync each fd[i]; err[i]: 0 or errno. */
int	fsyncs(int, const int *, const int *, int *);

#endif
