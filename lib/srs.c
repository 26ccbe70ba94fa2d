/*
 * srs - the Sender Rewriting Scheme (see srs.h for the forms).  Input is
 * an envelope address from anyone: its length is bounded by
 * srs_address_length_limit before anything else, the fields of an SRS
 * local part are split without copying more than the address, and a
 * reversed address is given out only when its hash (keyed by a secret
 * that only we know) verifies and, for SRS0, its day is recent enough.
 */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base64.h"
#include "buf.h"
#include "msg.h"
#include "params.h"
#include "resolve.h"
#include "srs.h"
#include "util.h"

#define SRS_SECRET_FILE_MAX	65536
#define SRS_HASH_MAX		27	/* base64 letters of an HMAC-SHA1 */
#define SRS_DAYS		1024	/* timestamps wrap: two base32 letters */
/* What a domain (or an address literal) is made of: no "=", which
 * separates the fields of an SRS address. */
#define SRS_DOMAIN_CHARS	"abcdefghijklmnopqrstuvwxyz" \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_[]:"

static const char srs_b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

struct srs {
	char		*domain;	/* lower case */
	char		**secret;
	size_t		 nsecret;
	time_t		 now;		/* 0: the clock's */
	srs_ours_fn	 ours;
	void		*ours_arg;
};

/* The fields of an SRS local part, pointers into a copy of it. */
struct srs_parts {
	int		 kind;		/* 0 or 1 */
	char		*hash;
	char		*stamp;		/* SRS0 */
	char		*domain;	/* SRS0: the sender's; SRS1: first hop */
	char		*rest;		/* SRS0: the local part; SRS1: "=..." */
};

/* srs_new - a rewriter for domain with the secrets of a file's text */
struct srs *
srs_new(const char *domain, const char *secrets, struct buf *why)
{
	struct srs	*s;
	char		*copy, *p, *line;

	if (domain == NULL || *domain == 0 || strchr(domain, '@') != NULL ||
	    strchr(domain, '.') == NULL) {
		buf_setf(why, "srs_domain \"%s\" is not a domain",
		    domain ? domain : "");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->domain = lowercase(xstrdup(domain));
	p = copy = xstrdup(secrets ? secrets : "");
	while ((line = mystrtok(&p, "\n")) != NULL) {
		line = trim(line);
		if (*line == 0 || *line == '#')
			continue;
		s->secret = xrealloc(s->secret, (s->nsecret + 1) *
		    sizeof(*s->secret));
		s->secret[s->nsecret++] = xstrdup(line);
	}
	free(copy);
	if (s->nsecret == 0) {
		buf_set(why, "no SRS secret (srs_secret_file is empty)");
		srs_free(&s);
	}
	return s;
}

/* srs_open - the rewriter that srs_domain and srs_secret_file make */
struct srs *
srs_open(struct buf *why)
{
	struct buf	*text;
	struct srs	*s;

	if ((text = file_slurp(var_srs_secret_file, SRS_SECRET_FILE_MAX,
	    why)) == NULL)
		return NULL;
	s = srs_new(var_srs_domain, buf_str(text), why);
	OPENSSL_cleanse(text->data, buf_len(text));
	buf_free(&text);
	return s;
}

/* srs_ours_local - is a domain one of mydestination's (srs_ours_fn)? */
static int
srs_ours_local(const char *domain, void *arg)
{
	(void)arg;
	return resolve_is_local_domain(domain);
}

/*
 * srs_start - the rewriter of a program that forwards (qmgr) or takes
 * bounces to SRS addresses (smtpd), before its chroot: NULL when
 * srs_forwarding is off or its secret cannot be read (said in the log)
 */
struct srs *
srs_start(void)
{
	struct buf	*why;
	struct srs	*s;

	if (!var_srs_forwarding)
		return NULL;
	why = buf_new(128, 1024);
	if ((s = srs_open(why)) == NULL)
		msg_warn("SRS is off: %s (make one: openssl rand -base64 32 "
		    "> %s, mode 0600, owned by mail_owner)", buf_str(why),
		    var_srs_secret_file);
	else
		srs_set_ours(s, srs_ours_local, NULL);
	buf_free(&why);
	return s;
}

/* srs_set_clock - the time rewrites are stamped and checked with */
void
srs_set_clock(struct srs *s, time_t now)
{
	s->now = now;
}

/* srs_set_ours - the domains (besides the SRS domain) left alone */
void
srs_set_ours(struct srs *s, srs_ours_fn fn, void *arg)
{
	s->ours = fn;
	s->ours_arg = arg;
}

/* srs_free - forget a rewriter and its secrets */
void
srs_free(struct srs **sp)
{
	struct srs	*s = *sp;
	size_t		 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nsecret; i++) {
		OPENSSL_cleanse(s->secret[i], strlen(s->secret[i]));
		free(s->secret[i]);
	}
	free(s->secret);
	free(s->domain);
	free(s);
	*sp = NULL;
}

/* srs_today - days since 1970, modulo SRS_DAYS */
static int
srs_today(const struct srs *s)
{
	time_t	 now = s->now ? s->now : time(NULL);

	return (int)((now / 86400) % SRS_DAYS);
}

/*
 * srs_hash - the first srs_hash_length base64 letters of the HMAC-SHA1,
 * keyed by secret k, of the lower-cased concatenation of the parts
 */
static void
srs_hash(const struct srs *s, size_t k, const char *const *part,
    struct buf *out)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0;
	struct buf	*data = buf_new(256, 0), *b64 = buf_new(64, 0);
	size_t		 i;

	for (i = 0; part[i] != NULL; i++)
		buf_puts(data, part[i]);
	lowercase(data->data);
	HMAC(EVP_sha1(), s->secret[k], (int)strlen(s->secret[k]),
	    (unsigned char *)data->data, buf_len(data), mac, &len);
	base64_encode_code(b64, mac, len, &base64_rfc4648, BASE64_NOPAD);
	buf_reset(out);
	buf_append(out, buf_str(b64), (size_t)var_srs_hash_length <
	    buf_len(b64) ? (size_t)var_srs_hash_length : buf_len(b64));
	buf_free(&data);
	buf_free(&b64);
}

/* srs_hash_ok - does a hash given in an address match, by any secret? */
static int
srs_hash_ok(const struct srs *s, const char *given, const char *const *part)
{
	struct buf	*want = buf_new(64, 0);
	size_t		 k, len = strlen(given);
	int		 ok = 0;

	for (k = 0; k < s->nsecret && !ok && len <= SRS_HASH_MAX; k++) {
		srs_hash(s, k, part, want);
		ok = len == buf_len(want) && strncasecmp(buf_str(want), given,
		    len) == 0;
	}
	buf_free(&want);
	return ok;
}

/* srs_is_srs - an SRS0/SRS1 local part, followed by = + or - */
int
srs_is_srs(const char *addr)
{
	return strncasecmp(addr, "SRS", 3) == 0 && (addr[3] == '0' ||
	    addr[3] == '1') && addr[4] != 0 && strchr("=+-", addr[4]) != NULL;
}

/* srs_field - the next field of local, up to an "="; NULL: none left */
static char *
srs_field(char **p)
{
	char	*start = *p, *eq;

	if (start == NULL || (eq = strchr(start, '=')) == NULL)
		return NULL;
	*eq = 0;
	*p = eq + 1;
	return start;
}

/*
 * srs_split - the fields of an SRS local part (written into local):
 * 0, or -1 with why when it is malformed
 */
static int
srs_split(char *local, struct srs_parts *sp, struct buf *why)
{
	char	*p = local + 5;

	memset(sp, 0, sizeof(*sp));
	sp->kind = local[3] - '0';
	if ((sp->hash = srs_field(&p)) == NULL)
		return buf_set(why, "malformed SRS address (no hash)"), -1;
	if (sp->kind == 0 && (sp->stamp = srs_field(&p)) == NULL)
		return buf_set(why, "malformed SRS address (no timestamp)"), -1;
	if ((sp->domain = srs_field(&p)) == NULL)
		return buf_set(why, "malformed SRS address (no domain)"), -1;
	sp->rest = p;
	if (*sp->hash == 0 || *sp->domain == 0 || strchr(sp->domain, '.') ==
	    NULL || *sp->rest == 0)
		return buf_set(why, "malformed SRS address (empty field)"), -1;
	if (sp->kind == 0 && strlen(sp->stamp) != 2)
		return buf_set(why, "malformed SRS address (timestamp)"), -1;
	if (sp->kind == 1 && (strchr("=+-", *sp->rest) == NULL ||
	    sp->rest[1] == 0))
		return buf_set(why, "malformed SRS1 address"), -1;
	return 0;
}

/* srs_stamp_age - days since a two-letter base32 stamp; -1: not one */
static int
srs_stamp_age(const struct srs *s, const char *stamp)
{
	const char	*a, *b;
	int		 t;

	if (stamp[0] == 0 || stamp[1] == 0 ||
	    (a = strchr(srs_b32, toupper((unsigned char)stamp[0]))) == NULL ||
	    (b = strchr(srs_b32, toupper((unsigned char)stamp[1]))) == NULL)
		return -1;
	t = (int)(a - srs_b32) * 32 + (int)(b - srs_b32);
	return (srs_today(s) - t + SRS_DAYS) % SRS_DAYS;
}

/* srs_domain_ours - the SRS domain itself, or one the caller owns */
static int
srs_domain_ours(const struct srs *s, const char *domain)
{
	return strcasecmp(domain, s->domain) == 0 ||
	    (s->ours != NULL && s->ours(domain, s->ours_arg));
}

/* srs_fits - is the new address within srs_address_length_limit? */
static int
srs_fits(const struct buf *out, struct buf *why)
{
	if (buf_len(out) <= (size_t)var_srs_address_length_limit)
		return SRS_REWRITTEN;
	buf_setf(why, "the SRS address would pass srs_address_length_limit "
	    "(%lld)", var_srs_address_length_limit);
	return SRS_ERROR;
}

/* srs_forward - the sender of mail we forward, rewritten into out */
int
srs_forward(struct srs *s, const char *addr, struct buf *out,
    struct buf *why)
{
	struct srs_parts sp;
	struct buf	*hash;
	const char	*part[4], *hop, *rest;
	char		*copy, *at, *work, stamp[3];
	int		 day, ret;

	if (*addr == 0 || (at = strrchr(addr, '@')) == NULL || at == addr ||
	    at[1] == 0 || srs_domain_ours(s, at + 1))
		return SRS_UNCHANGED;
	if (strlen(addr) > (size_t)var_srs_address_length_limit)
		return buf_set(why, "sender address too long for SRS"),
		    SRS_ERROR;
	if (strspn(at + 1, SRS_DOMAIN_CHARS) != strlen(at + 1) ||
	    strchr(at + 1, '.') == NULL)
		return buf_set(why, "the sender's domain cannot be carried "
		    "in SRS"), SRS_ERROR;
	copy = xstrdup(addr);		/* out may hold addr */
	at = strrchr(copy, '@');
	*at++ = 0;
	work = xstrdup(copy);
	hash = buf_new(64, 0);
	buf_reset(out);
	if (srs_is_srs(copy) && srs_split(work, &sp, why) == 0) {
		/* SRS0 -> SRS1 (first hop: the SRS0's domain); SRS1 -> SRS1
		 * (keeping the first hop) */
		hop = sp.kind == 0 ? at : sp.domain;
		rest = sp.kind == 0 ? copy + 4 : sp.rest;
		part[0] = hop, part[1] = rest, part[2] = NULL;
		srs_hash(s, 0, part, hash);
		buf_appendf(out, "SRS1=%s=%s=%s@%s", buf_str(hash), hop, rest,
		    s->domain);
	} else {
		day = srs_today(s);
		stamp[0] = srs_b32[day / 32];
		stamp[1] = srs_b32[day % 32];
		stamp[2] = 0;
		part[0] = stamp, part[1] = at, part[2] = copy, part[3] = NULL;
		srs_hash(s, 0, part, hash);
		buf_appendf(out, "SRS0=%s=%s=%s=%s@%s", buf_str(hash), stamp,
		    at, copy, s->domain);
	}
	buf_reset(why);
	free(copy);
	free(work);
	buf_free(&hash);
	if ((ret = srs_fits(out, why)) != SRS_REWRITTEN)
		buf_reset(out);
	return ret;
}

/* srs_reverse - the address a bounce to an SRS address goes to */
int
srs_reverse(struct srs *s, const char *addr, struct buf *out,
    struct buf *why)
{
	struct srs_parts sp;
	const char	*at = strrchr(addr, '@');
	const char	*part[4];
	char		*local;
	int		 age, ret = SRS_ERROR;

	if (at == NULL || !srs_is_srs(addr) || strcasecmp(at + 1,
	    s->domain) != 0)
		return SRS_UNCHANGED;
	if (strlen(addr) > (size_t)var_srs_address_length_limit)
		return buf_set(why, "SRS address too long"), SRS_ERROR;
	local = xstrndup(addr, at - addr);
	buf_reset(out);			/* out may hold addr: after the copy */
	if (srs_split(local, &sp, why) < 0)
		goto done;
	if (sp.kind == 0) {
		part[0] = sp.stamp, part[1] = sp.domain, part[2] = sp.rest;
		part[3] = NULL;
	} else {
		part[0] = sp.domain, part[1] = sp.rest, part[2] = NULL;
	}
	if (!srs_hash_ok(s, sp.hash, part)) {
		buf_set(why, "SRS hash does not verify");
		goto done;
	}
	if (sp.kind == 0) {
		if ((age = srs_stamp_age(s, sp.stamp)) < 0) {
			buf_set(why, "malformed SRS address (timestamp)");
			goto done;
		}
		if ((long long)age * 86400 > var_srs_max_age) {
			buf_setf(why, "SRS address expired (%d days old)", age);
			goto done;
		}
		buf_appendf(out, "%s@%s", sp.rest, sp.domain);
	} else
		buf_appendf(out, "SRS0%s@%s", sp.rest, sp.domain);
	ret = SRS_REWRITTEN;
done:
	free(local);
	return ret;
}
