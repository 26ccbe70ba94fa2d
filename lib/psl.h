/*
 * psl - organizational domains (RFC 7489 3.2) from the public suffix list
 * (Debian's publicsuffix package): "a.b.mired.org" -> "mired.org",
 * "x.co.uk" -> "x.co.uk".  The list is read once per process (psl_file;
 * the private section too with psl_private_domains) into a hash table;
 * names compare in lower case, Unicode rules as their IDNA A-labels.
 * Without the file an organizational domain is the last two labels (said
 * once in the log).
 */
#ifndef CARTERO_PSL_H
#define CARTERO_PSL_H

struct buf;

int	psl_load(const char *, int, struct buf *);
void	psl_unload(void);
int	psl_org_domain(const char *, struct buf *);
int	psl_public_suffix(const char *, struct buf *);
int	psl_same_org(const char *, const char *);

#endif
