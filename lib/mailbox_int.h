/*
 * mailbox_int - what the files of the mailbox layer (lib/mailbox*.c)
 * share and nothing else uses: a directory's files as the sync sees them.
 */
#ifndef CARTERO_MAILBOX_INT_H
#define CARTERO_MAILBOX_INT_H

#include <stdint.h>

/* A file found in cur/ or new/. */
struct mailbox_ent {
	char		*name;		/* as found */
	char		*base;
	uint32_t	 flags, kw;
	long long	 sec, usec;	/* delivery time, from the name */
	int		 matched;
	int		 pass;		/* 0: the latest directory reading */
};

struct mailbox_ents {
	struct mailbox_ent *v;
	int		 count, size;
};

/* Open tmp/, new/ or cur/ of a folder, making it when missing; -1. */
int	mailbox_subdir(int, const char *);
/* The files of new/ or cur/ (the fd), unusable names renamed; -1 with
 * why (or NULL). */
struct mailbox;
struct buf;
int	mailbox_readdir(struct mailbox *, int, struct mailbox_ents *,
	    struct buf *);
void	mailbox_ents_free(struct mailbox_ents *);
/* qsort: delivery time, then base. */
int	mailbox_ent_time_cmp(const void *, const void *);
/* Count a message file's size (-1: none) added (1) or removed (-1) for
 * the Maildir's maildirsize (written by mailbox_quota_flush). */
void	mailbox_quota_note(struct mailbox *, long long, int);
/* rename(2) that never replaces: 0, or -1 with errno (EEXIST). */
int	mailbox_rename_noreplace(int, const char *, int, const char *);

#endif
