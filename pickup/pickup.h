/*
 * pickup - moves mail that sendmail left in maildrop/ into the queue.
 *
 *	pickup.c	main, the scan, one maildrop file into incoming/
 *	pickup_milter.c	non_smtpd_milters: the message shown to the mail
 *			filters as if from localhost, their answer
 */
#ifndef CARTERO_PICKUP_H
#define CARTERO_PICKUP_H

#include <stddef.h>

struct buf;
struct milter_result;

/* The envelope of one message, which milters may edit. */
struct pickup_env {
	struct buf	*sender;	/* "" for the null sender */
	char		**rcpt;
	int		 nrcpt;
	int		 size;
};

/* pickup_milter.c */
int		 pickup_env_add(struct pickup_env *, const char *);
void		 pickup_env_free(struct pickup_env *);
int		 pickup_milter(struct pickup_env *, const char *, const char *,
		    size_t, struct milter_result *, int *);

#endif
