/*
 * spf_int - what the spf*.c files share inside the library: one
 * evaluation's state, a parsed record, the helpers between them.
 */
#ifndef CARTERO_SPF_INT_H
#define CARTERO_SPF_INT_H

#include <stddef.h>

struct buf;
struct dns_result;
struct sockaddr_storage;
struct spf_request;

/* Kinds of terms. */
#define SPF_T_ALL	1
#define SPF_T_INCLUDE	2
#define SPF_T_A		3
#define SPF_T_MX	4
#define SPF_T_PTR	5
#define SPF_T_IP4	6
#define SPF_T_IP6	7
#define SPF_T_EXISTS	8
#define SPF_T_REDIRECT	9
#define SPF_T_EXP	10
#define SPF_T_OTHER	11	/* an unknown modifier: ignored */

/* One term of a record. */
struct spf_term {
	int		 kind;
	int		 qual;		/* SPF_PASS ... */
	char		*text;		/* as written */
	char		*arg;		/* domain-spec (NULL: none) */
	int		 cidr4, cidr6;	/* prefix lengths */
	unsigned char	 ip[16];	/* ip4, ip6 */
};

/* A record's terms; the modifiers' places (-1: none). */
struct spf_record {
	struct spf_term	*term;
	size_t		 nterm;
	size_t		 nalloc;
	int		 redirect;
	int		 exp;
};

/* One evaluation: the client, the budget spent, the reason. */
struct spf_eval {
	const struct spf_request *req;
	int		 family;
	unsigned char	 addr[16];
	long long	 deadline;	/* now_ms() past it: temperror */
	int		 lookups;
	int		 voids;
	struct buf	*why;
	struct buf	*exp;
	char		*pname;		/* %{p}, once found */
};

/* The names a check_host() level expands macros with. */
struct spf_scope {
	const char	*sender;	/* %{s} */
	const char	*local;		/* %{l} */
	const char	*sdomain;	/* %{o} */
	const char	*domain;	/* %{d} */
};

/* What a mechanism's evaluation says. */
#define SPF_M_NOMATCH	0
#define SPF_M_MATCH	1
#define SPF_M_TEMP	(-1)
#define SPF_M_PERM	(-2)

/* spf.c */
void	spf_sockaddr(const struct spf_eval *, struct sockaddr_storage *);

/* spf_term.c */
int	spf_record_parse(const char *, struct spf_record *, struct buf *);
void	spf_record_free(struct spf_record *);
int	spf_macro_check(const char *, size_t, int);
int	spf_domain_end_ok(const char *);

/* spf_mech.c */
int	spf_query(struct spf_eval *, int, const char *,
	    struct dns_result **);
int	spf_void(struct spf_eval *, const char *);
int	spf_mech_a(struct spf_eval *, const char *, int, int);
int	spf_mech_mx(struct spf_eval *, const char *, int, int);
int	spf_mech_ptr(struct spf_eval *, const char *);
int	spf_mech_exists(struct spf_eval *, const char *);
const char *spf_pname(struct spf_eval *, const char *);

/* spf_macro.c */
int	spf_macro_expand(struct spf_eval *, const struct spf_scope *,
	    const char *, int, struct buf *);
int	spf_target(struct spf_eval *, const struct spf_scope *,
	    const char *, struct buf *);
void	spf_explain(struct spf_eval *, const struct spf_scope *,
	    const char *);

#endif
