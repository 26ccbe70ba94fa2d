/*
 * mtasts - MTA-STS (RFC 8461): the TXT record, the policy file, the
 * match of an MX host against the policy's patterns, and the cache
 * file the smtp agent keeps of each domain's policy.  Pure parsing and
 * matching; the lookups and the fetch are the smtp agent's
 * (smtp/smtp_sts.c, lib/https.c).
 */
#ifndef CARTERO_MTASTS_H
#define CARTERO_MTASTS_H

struct buf;

#define MTASTS_NONE	0
#define MTASTS_TESTING	1
#define MTASTS_ENFORCE	2

#define MTASTS_ID_MAX	32	/* RFC 8461 3.1: 1*32(ALPHA / DIGIT) */
#define MTASTS_MAX_AGE	31557600	/* RFC 8461 3.2: at most a year */

/* A policy, as fetched (or read back from the cache). */
struct mtasts {
	int		 mode;		/* MTASTS_* */
	long long	 max_age;	/* seconds */
	char		**mx;		/* patterns, lower case */
	int		 nmx;
	char		 id[MTASTS_ID_MAX + 1];	/* its TXT id */
	long long	 fetched;	/* time(), when it was fetched */
};

/* The id of a "v=STSv1; id=..." TXT record: 0, -1 with why. */
int		 mtasts_txt(const char *, char *, struct buf *);
/* A policy file's text: 0, -1 with why. */
int		 mtasts_parse(const char *, size_t, struct mtasts *,
		    struct buf *);
/* Does an MX host name match a pattern of the policy? */
int		 mtasts_match(const struct mtasts *, const char *);
int		 mtasts_pattern(const char *, const char *);
const char	*mtasts_mode_str(int);
/* The cache file: "id fetched\n" then the policy's text. */
void		 mtasts_save(const struct mtasts *, const char *, size_t,
		    struct buf *);
int		 mtasts_load(const char *, size_t, struct mtasts *,
		    struct buf *);
void		 mtasts_free(struct mtasts *);

#endif
