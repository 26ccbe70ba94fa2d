/*
 * imapd_fetch - FETCH (RFC 3501 6.4.5, 7.4.2; RFC 7162 CHANGEDSINCE and
 * MODSEQ), and the two ways a message's data is had:
 *
 *	imapd_cached()	RFC822.SIZE, INTERNALDATE, ENVELOPE, BODY,
 *			BODYSTRUCTURE and the header fields clients ask for
 *			most, from the folder's cache (lib/mailbox_cache.c);
 *			on a miss the message is read once and its record
 *			made, so the next session reads no file for them;
 *	imapd_text_load() the message itself, with every line ending in
 *			CRLF (Maildir files hold LF), as IMAP counts octets,
 *			and its MIME tree (lib/mime.h).
 *
 * A FETCH that asks only for cached items (the usual "UID FLAGS
 * RFC822.SIZE ENVELOPE" of a mail client's first look, or the header
 * fields of its message list) opens no message file once the cache is
 * warm.  Non-PEEK body sections set \Seen (read-write mailboxes only),
 * and such messages get their new FLAGS in the same response.  A message
 * whose file another session expunged is left out, and the command ends
 * NO [EXPUNGEISSUED].
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "imapparse.h"
#include "lineio.h"
#include "mailbox.h"
#include "mime.h"
#include "msg.h"
#include "name_code.h"
#include "util.h"
#include "imapd.h"

#define IMAPD_READ_CHUNK	(256 * 1024)
#define IMAPD_MSG_MAX		(2LL * 1024 * 1024 * 1024)

/* The header fields the cache keeps (what clients list most). */
static const char *const imapd_cache_fields[] = {
	"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject",
	"Message-ID", "In-Reply-To", "References", "Content-Type",
	"Content-Description", "Content-Transfer-Encoding", "MIME-Version",
	"Priority", "X-Priority", "Importance", "Newsgroups", "Lines",
	"List-Post", "List-Subscribe", "List-Unsubscribe", "List-Id",
	"X-Label", "X-Original-To", "Disposition-Notification-To",
	"Return-Receipt-To", "X-TUID", "Delivered-To", "Return-Path",
	"X-Spam-Flag", "X-Spam-Status", "Content-Disposition",
};
#define IMAPD_NCACHE_FIELDS \
	(sizeof(imapd_cache_fields) / sizeof(imapd_cache_fields[0]))

/* FETCH items. */
enum {
	FI_FLAGS, FI_UID, FI_INTERNALDATE, FI_SIZE, FI_ENVELOPE, FI_BODY,
	FI_BODYSTRUCTURE, FI_SECTION, FI_MODSEQ
};

struct imapd_fitem {
	int		 type;
	int		 peek;		/* no \Seen */
	char		*label;		/* as the response names it */
	char		*section;	/* for FI_SECTION */
	long long	 poff, plen;	/* partial; plen -1: whole */
	int		 cached;	/* HEADER.FIELDS the cache can answer */
	char		**fields;	/* ... those fields */
	int		 nfields;
};

struct imapd_fetch {
	struct imapd_fitem *v;
	int		 n;
	int		 need_cache;	/* an item the cache answers */
	int		 need_text;	/* an item that needs the message */
	int		 sets_seen;
	int		 has_flags;
	int		 has_uid;
	int		 has_modseq;
	int		 uidcmd;	/* UID FETCH: UID in every response */
	uint64_t	 changedsince;	/* 0: none */
};

static struct buf *imapd_c_env, *imapd_c_body, *imapd_c_bs, *imapd_c_hdr;

/* imapd_text_free - release a loaded message */
void
imapd_text_free(struct imapd_text *t)
{
	buf_free(&t->text);
	mime_free(&t->mime);
}

/*
 * imapd_text_load - a message by UID: its bytes with CRLF line ends and
 * its MIME tree.  -1 with errno ENOENT when it is gone, else why.
 */
int
imapd_text_load(struct imapd_state *s, struct mailbox *mb, uint32_t uid,
    struct imapd_text *t)
{
	struct stat	 st;
	char		*chunk, *p, *end, *nl;
	ssize_t		 n;
	off_t		 got = 0;
	int		 fd, cr = 0, err;

	memset(t, 0, sizeof(*t));
	if ((fd = mailbox_msg_open(mb, uid, s->why)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size > IMAPD_MSG_MAX) {
		err = errno;
		buf_setf(s->why, "message UID %u: %s", uid, st.st_size >
		    IMAPD_MSG_MAX ? "too big" : strerror(err));
		close(fd);
		errno = EFBIG;
		return -1;
	}
	t->idate = (long long)st.st_mtim.tv_sec;
	t->text = buf_new((size_t)st.st_size + (size_t)st.st_size / 16 + 64, 0);
	chunk = xmalloc(IMAPD_READ_CHUNK);
	/* A Maildir file never changes: its size says where it ends. */
	for (n = 0; got < st.st_size; got += n) {
		n = read(fd, chunk, IMAPD_READ_CHUNK);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
		/* Every bare LF becomes CRLF. */
		p = chunk;
		end = chunk + n;
		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			buf_append(t->text, p, (size_t)(nl - p));
			if (!(nl > p ? nl[-1] == '\r' : cr))
				buf_putc(t->text, '\r');
			buf_putc(t->text, '\n');
			p = nl + 1;
		}
		buf_append(t->text, p, (size_t)(end - p));
		cr = end[-1] == '\r';
	}
	err = errno;
	free(chunk);
	close(fd);
	if (n < 0) {
		buf_setf(s->why, "read message UID %u: %s", uid,
		    strerror(err));
		imapd_text_free(t);
		errno = EIO;
		return -1;
	}
	if ((t->mime = mime_parse(buf_str(t->text), buf_len(t->text),
	    s->why)) == NULL) {
		imapd_text_free(t);
		errno = EFBIG;
		return -1;
	}
	return 0;
}

/* imapd_cache_fill - make a cache record from a loaded message */
static void
imapd_cache_fill(struct mailbox *mb, uint32_t uid, struct imapd_text *t,
    struct mailbox_cached *rec)
{
	const char *msg = buf_str(t->text);
	const struct mime_part *root = t->mime;

	if (imapd_c_env == NULL) {
		imapd_c_env = buf_new(1024, 0);
		imapd_c_body = buf_new(1024, 0);
		imapd_c_bs = buf_new(1024, 0);
		imapd_c_hdr = buf_new(1024, 0);
	}
	buf_reset(imapd_c_env);
	buf_reset(imapd_c_body);
	buf_reset(imapd_c_bs);
	buf_reset(imapd_c_hdr);
	mime_envelope(imapd_c_env, msg + root->hdr_off, root->hdr_len);
	mime_bodystructure(imapd_c_body, msg, root, 0);
	mime_bodystructure(imapd_c_bs, msg, root, 1);
	mime_header_fields(msg + root->hdr_off, root->hdr_len,
	    imapd_cache_fields, IMAPD_NCACHE_FIELDS, 0, imapd_c_hdr);
	memset(rec, 0, sizeof(*rec));
	rec->uid = uid;
	rec->size = (long long)buf_len(t->text);
	rec->idate = t->idate;
	rec->envelope = buf_str(imapd_c_env);
	rec->envelope_len = buf_len(imapd_c_env);
	rec->body = buf_str(imapd_c_body);
	rec->body_len = buf_len(imapd_c_body);
	rec->bodystructure = buf_str(imapd_c_bs);
	rec->bodystructure_len = buf_len(imapd_c_bs);
	rec->headers = buf_str(imapd_c_hdr);
	rec->headers_len = buf_len(imapd_c_hdr);
	mailbox_cache_put(mb, rec);
}

/*
 * imapd_cached - the cache record of a message, made from its file on a
 * miss.  1 with rec filled (valid until the next call), -1 (errno ENOENT
 * when the message is gone).
 */
int
imapd_cached(struct imapd_state *s, struct mailbox *mb, uint32_t uid,
    struct mailbox_cached *rec)
{
	struct imapd_text t;

	if (mailbox_cache_get(mb, uid, rec))
		return 1;
	if (imapd_text_load(s, mb, uid, &t) < 0)
		return -1;
	imapd_cache_fill(mb, uid, &t, rec);
	imapd_text_free(&t);
	return 1;
}

/* imapd_fitem_free - release parsed items */
static void
imapd_fetch_free(struct imapd_fetch *f)
{
	int i, k;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].label);
		free(f->v[i].section);
		for (k = 0; k < f->v[i].nfields; k++)
			free(f->v[i].fields[k]);
		free(f->v[i].fields);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* imapd_fetch_add - one more item */
static struct imapd_fitem *
imapd_fetch_add(struct imapd_fetch *f, int type, const char *label)
{
	struct imapd_fitem *it;

	f->v = xrealloc(f->v, (size_t)(f->n + 1) * sizeof(*f->v));
	it = &f->v[f->n++];
	memset(it, 0, sizeof(*it));
	it->type = type;
	it->label = xstrdup(label);
	it->plen = -1;
	switch (type) {
	case FI_FLAGS:
		f->has_flags = 1;
		break;
	case FI_UID:
		f->has_uid = 1;
		break;
	case FI_MODSEQ:
		f->has_modseq = 1;
		break;
	case FI_SECTION:
		break;
	default:
		f->need_cache = 1;
	}
	return it;
}

/*
 * imapd_fields_cached - "HEADER.FIELDS (A B)" at the top level, every
 * field one the cache keeps?  Fills the field list when so.
 */
static int
imapd_fields_cached(struct imapd_fitem *it)
{
	const char *p = it->section, *q;
	char *name;
	size_t i;
	int hit;

	if (strncasecmp(p, "HEADER.FIELDS", 13) != 0 ||
	    strncasecmp(p, "HEADER.FIELDS.NOT", 17) == 0)
		return 0;
	p += 13;
	while (*p == ' ')
		p++;
	if (*p++ != '(')
		return 0;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == ')')
			break;
		if (*p == '"') {
			for (q = ++p; *q != '\0' && *q != '"' &&
			    *q != '\\'; q++)
				;
			if (*q != '"')
				return 0;
		} else
			for (q = p; *q != '\0' && *q != ' ' && *q != ')' &&
			    *q != '"'; q++)
				;
		if (q == p)
			return 0;
		name = xstrndup(p, (size_t)(q - p));
		for (hit = 0, i = 0; i < IMAPD_NCACHE_FIELDS && !hit; i++)
			hit = strcasecmp(name, imapd_cache_fields[i]) == 0;
		it->fields = xrealloc(it->fields, (size_t)(it->nfields + 1) *
		    sizeof(*it->fields));
		it->fields[it->nfields++] = name;
		if (!hit)
			return 0;
		p = *q == '"' ? q + 1 : q;
	}
	return p[1] == '\0' && it->nfields > 0;
}

/*
 * imapd_fetch_section - BODY[...]<o.n> or BODY.PEEK[...]<o.n>; -1 when it
 * is not valid
 */
static int
imapd_fetch_section(struct imapd_fetch *f, const char *atom)
{
	struct imapd_fitem *it;
	const char	*open, *close, *p;
	struct buf	*label;
	char		*section;
	uint64_t	 a, b;
	int		 peek, i;

	if (strncasecmp(atom, "BODY.PEEK[", 10) == 0)
		peek = 1;
	else if (strncasecmp(atom, "BODY[", 5) == 0)
		peek = 0;
	else
		return -1;
	open = strchr(atom, '[');
	if ((close = strrchr(atom, ']')) == NULL || close < open)
		return -1;
	section = xstrndup(open + 1, (size_t)(close - open - 1));
	for (i = 0; section[i] != '\0'; i++)
		section[i] = (char)toupper((unsigned char)section[i]);
	if (mime_section_check(section) < 0) {
		free(section);
		return -1;
	}
	label = buf_new(64, 0);
	buf_appendf(label, "BODY[%s]", section);
	a = 0;
	b = 0;
	p = close + 1;
	if (*p == '<') {
		char *dot, *gt, *num;

		num = xstrdup(p + 1);
		if ((dot = strchr(num, '.')) == NULL ||
		    (gt = strchr(dot, '>')) == NULL || gt[1] != '\0') {
			free(num);
			goto bad;
		}
		*dot = '\0';
		*gt = '\0';
		if (imapparse_number64(num, &a) < 0 ||
		    imapparse_number64(dot + 1, &b) < 0 || b == 0 ||
		    a > 0xffffffffULL || b > 0xffffffffULL) {
			free(num);
			goto bad;
		}
		free(num);
		buf_appendf(label, "<%llu>", (unsigned long long)a);
	} else if (*p != '\0')
		goto bad;
	it = imapd_fetch_add(f, FI_SECTION, buf_str(label));
	it->peek = peek;
	it->section = section;
	if (*p == '<') {
		it->poff = (long long)a;
		it->plen = (long long)b;
	}
	if (imapd_fields_cached(it)) {
		it->cached = 1;
		f->need_cache = 1;
	} else
		f->need_text = 1;
	if (!peek)
		f->sets_seen = 1;
	buf_free(&label);
	return 0;
bad:
	free(section);
	buf_free(&label);
	return -1;
}

/* imapd_fetch_item - one item name; -1 when it is not valid */
static int
imapd_fetch_item(struct imapd_fetch *f, const char *a)
{
	/* The items that are their own label. */
	static const struct name_code simple[] = {
		{ "FLAGS", FI_FLAGS }, { "UID", FI_UID },
		{ "INTERNALDATE", FI_INTERNALDATE }, { "RFC822.SIZE", FI_SIZE },
		{ "ENVELOPE", FI_ENVELOPE }, { "BODY", FI_BODY },
		{ "BODYSTRUCTURE", FI_BODYSTRUCTURE }, { "MODSEQ", FI_MODSEQ },
		{ NULL, -1 },
	};
	struct imapd_fitem *it;
	int type;

	if ((type = name_code(simple, a)) >= 0) {
		imapd_fetch_add(f, type, name_code_name(simple, type));
		return 0;
	}
	if (strcasecmp(a, "RFC822") == 0 ||
	    strcasecmp(a, "RFC822.TEXT") == 0 ||
	    strcasecmp(a, "RFC822.HEADER") == 0) {
		char label[16];
		size_t i;

		for (i = 0; a[i] != '\0' && i < sizeof(label) - 1; i++)
			label[i] = (char)toupper((unsigned char)a[i]);
		label[i] = '\0';
		it = imapd_fetch_add(f, FI_SECTION, label);
		it->section = xstrdup(strcmp(label, "RFC822") == 0 ? "" :
		    strcmp(label, "RFC822.TEXT") == 0 ? "TEXT" : "HEADER");
		it->peek = strcmp(label, "RFC822.HEADER") == 0;
		f->need_text = 1;
		if (!it->peek)
			f->sets_seen = 1;
	} else if (strncasecmp(a, "BODY", 4) == 0 && strchr(a, '[') != NULL)
		return imapd_fetch_section(f, a);
	else
		return -1;
	return 0;
}

/* imapd_fetch_parse - the items (and CHANGEDSINCE); -1 when not valid */
static int
imapd_fetch_parse(struct imapd_state *s, struct imapparse_cmd *c,
    struct imapd_fetch *f)
{
	struct imapparse_arg *a;

	memset(f, 0, sizeof(*f));
	if ((a = imapparse_arg(c)) == NULL)
		return -1;
	if (a->type == IMAPPARSE_ATOM) {
		if (strcasecmp(a->s, "ALL") == 0) {
			imapd_fetch_item(f, "FLAGS");
			imapd_fetch_item(f, "INTERNALDATE");
			imapd_fetch_item(f, "RFC822.SIZE");
			imapd_fetch_item(f, "ENVELOPE");
		} else if (strcasecmp(a->s, "FAST") == 0) {
			imapd_fetch_item(f, "FLAGS");
			imapd_fetch_item(f, "INTERNALDATE");
			imapd_fetch_item(f, "RFC822.SIZE");
		} else if (strcasecmp(a->s, "FULL") == 0) {
			imapd_fetch_item(f, "FLAGS");
			imapd_fetch_item(f, "INTERNALDATE");
			imapd_fetch_item(f, "RFC822.SIZE");
			imapd_fetch_item(f, "ENVELOPE");
			imapd_fetch_item(f, "BODY");
		} else if (imapd_fetch_item(f, a->s) < 0)
			return -1;
	} else if (a->type == IMAPPARSE_LPAREN) {
		while ((a = imapparse_arg(c)) != NULL &&
		    a->type == IMAPPARSE_ATOM)
			if (imapd_fetch_item(f, a->s) < 0)
				return -1;
		if (a == NULL || a->type != IMAPPARSE_RPAREN || f->n == 0)
			return -1;
	} else
		return -1;
	/* Modifiers: (CHANGEDSINCE modseq) (RFC 7162). */
	if (imapparse_arg_lparen(c)) {
		const char *name, *val;

		if ((name = imapparse_atom(c)) == NULL ||
		    strcasecmp(name, "CHANGEDSINCE") != 0 ||
		    (val = imapparse_atom(c)) == NULL ||
		    imapparse_number64(val, &f->changedsince) < 0 ||
		    f->changedsince == 0 || !imapparse_arg_rparen(c))
			return -1;
		s->condstore = 1;
		if (!f->has_modseq)
			imapd_fetch_add(f, FI_MODSEQ, "MODSEQ");
	}
	return imapparse_arg_end(c) ? 0 : -1;
}

/*
 * imapd_fetch_digits - v in decimal, written backwards from end (room for
 * 20 digits before it); returns where the digits start
 */
static char *
imapd_fetch_digits(char *end, unsigned long long v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return end;
}

/*
 * imapd_fetch_num - append pre, a decimal number, post: the numbers of
 * every response line (sequence number, UID, size) without a printf per
 * field
 */
static void
imapd_fetch_num(struct buf *out, const char *pre, unsigned long long v,
    const char *post)
{
	char digits[24], *p;

	p = imapd_fetch_digits(digits + sizeof(digits), v);
	buf_puts(out, pre);
	buf_append(out, p, (size_t)(digits + sizeof(digits) - p));
	buf_puts(out, post);
}

/* imapd_fetch_literal - a section's bytes, partial applied, as a literal */
static void
imapd_fetch_literal(struct imapd_state *s, const struct imapd_fitem *it,
    const char *data, size_t len)
{
	char head[32], *p;

	if (it->plen >= 0) {
		if ((unsigned long long)it->poff >= len)
			len = 0;
		else {
			data += it->poff;
			len -= (size_t)it->poff;
			if ((unsigned long long)len >
			    (unsigned long long)it->plen)
				len = (size_t)it->plen;
		}
	}
	/* "{len}" CRLF, built backwards. */
	head[sizeof(head) - 3] = '}';
	head[sizeof(head) - 2] = '\r';
	head[sizeof(head) - 1] = '\n';
	p = imapd_fetch_digits(head + sizeof(head) - 3, len);
	*--p = '{';
	lineio_write(s->io, p, (size_t)(head + sizeof(head) - p));
	lineio_write(s->io, data, len);
	s->fetch_bytes += (long long)len;
}

/*
 * imapd_fetch_one - the response for one message.  0, or -1 when the
 * message is gone.
 */
static int
imapd_fetch_one(struct imapd_state *s, struct imapd_fetch *f, int i,
    int flags_changed, uint64_t modseq)
{
	struct imapd_msg	*m = &s->msgs[i];
	struct mailbox_cached	 rec;
	struct imapd_text	 t;
	struct imapd_fitem	*it;
	struct buf		*out = s->reply, *synth = NULL;
	size_t			 off, len;
	int			 k, first = 1, rc, have_text = 0;

	memset(&t, 0, sizeof(t));
	if (f->need_text) {
		if (imapd_text_load(s, s->mb, m->uid, &t) < 0)
			return -1;
		have_text = 1;
	}
	if (f->need_cache) {
		if (!mailbox_cache_get(s->mb, m->uid, &rec)) {
			if (!have_text) {
				if (imapd_text_load(s, s->mb, m->uid, &t) < 0)
					return -1;
				have_text = 1;
			}
			imapd_cache_fill(s->mb, m->uid, &t, &rec);
		}
	}
	buf_reset(out);
	imapd_fetch_num(out, "* ", (unsigned long long)i + 1, " FETCH (");
#define FI_SEP() do { if (!first) buf_putc(out, ' '); first = 0; } while (0)
	if (f->uidcmd || f->has_uid) {
		FI_SEP();
		imapd_fetch_num(out, "UID ", m->uid, "");
	}
	if (flags_changed && !f->has_flags) {
		FI_SEP();
		buf_puts(out, "FLAGS (");
		imapd_view_flags(out, s->mb, m->flags, m->kw, m->recent);
		buf_putc(out, ')');
	}
	for (k = 0; k < f->n; k++) {
		it = &f->v[k];
		switch (it->type) {
		case FI_UID:
			continue;
		case FI_FLAGS:
			FI_SEP();
			buf_puts(out, "FLAGS (");
			imapd_view_flags(out, s->mb, m->flags, m->kw,
			    m->recent);
			buf_putc(out, ')');
			break;
		case FI_MODSEQ:
			FI_SEP();
			buf_appendf(out, "MODSEQ (%llu)",
			    (unsigned long long)modseq);
			break;
		case FI_INTERNALDATE:
			FI_SEP();
			buf_puts(out, "INTERNALDATE ");
			imapparse_date_format(out, (time_t)rec.idate);
			break;
		case FI_SIZE:
			FI_SEP();
			imapd_fetch_num(out, "RFC822.SIZE ",
			    (unsigned long long)(rec.size > 0 ? rec.size : 0), "");
			break;
		case FI_ENVELOPE:
			FI_SEP();
			buf_puts(out, "ENVELOPE ");
			buf_append(out, rec.envelope, rec.envelope_len);
			break;
		case FI_BODY:
			FI_SEP();
			buf_puts(out, "BODY ");
			buf_append(out, rec.body, rec.body_len);
			break;
		case FI_BODYSTRUCTURE:
			FI_SEP();
			buf_puts(out, "BODYSTRUCTURE ");
			buf_append(out, rec.bodystructure,
			    rec.bodystructure_len);
			break;
		case FI_SECTION:
			FI_SEP();
			buf_puts(out, it->label);
			buf_putc(out, ' ');
			if (synth == NULL)
				synth = buf_new(1024, 0);
			buf_reset(synth);
			if (it->cached && !have_text) {
				mime_header_fields(rec.headers,
				    rec.headers_len,
				    (const char *const *)it->fields,
				    (size_t)it->nfields, 0, synth);
				rc = MIME_SECTION_SYNTH;
				off = 0;
				len = buf_len(synth);
			} else
				rc = mime_section(buf_str(t.text), t.mime,
				    it->section, &off, &len, synth);
			/* Flush what came before; the literal follows. */
			lineio_write(s->io, buf_str(out), buf_len(out));
			buf_reset(out);
			if (rc == MIME_SECTION_RANGE)
				imapd_fetch_literal(s, it,
				    buf_str(t.text) + off, len);
			else if (rc == MIME_SECTION_SYNTH)
				imapd_fetch_literal(s, it, buf_str(synth), len);
			else
				buf_puts(out, "\"\"");
			break;
		}
	}
#undef FI_SEP
	buf_puts(out, ")\r\n");
	lineio_write(s->io, buf_str(out), buf_len(out));
	buf_free(&synth);
	if (have_text)
		imapd_text_free(&t);
	s->fetch_count++;
	return 0;
}

/* imapd_fetch_seen - set \Seen where body sections are fetched */
static void
imapd_fetch_seen(struct imapd_state *s, const int *idx, int n, char *changed)
{
	struct uidlist_rec *r;
	struct imapd_msg *m;
	int i, k, any = 0;

	for (i = 0; i < n && !any; i++)
		any = !(s->msgs[idx[i]].flags & FLAG_SEEN) &&
		    !s->msgs[idx[i]].expunged;
	if (!any)
		return;
	if (mailbox_begin(s->mb, s->why) < 0) {
		msg_warn("user=<%s>, %s: %s", s->account, s->selname,
		    buf_str(s->why));
		return;
	}
	for (i = 0; i < n; i++) {
		m = &s->msgs[idx[i]];
		if ((m->flags & FLAG_SEEN) || m->expunged)
			continue;
		if ((k = uidlist_find(&s->mb->ul, m->uid)) < 0)
			continue;
		r = &s->mb->ul.v[k];
		if (mailbox_set_flags(s->mb, m->uid, r->flags | FLAG_SEEN,
		    r->kw, s->why) < 0)
			continue;
		if ((k = uidlist_find(&s->mb->ul, m->uid)) < 0)
			continue;
		m->flags = s->mb->ul.v[k].flags;
		m->kw = s->mb->ul.v[k].kw;
		changed[idx[i]] = 1;
	}
	if (mailbox_end(s->mb, s->why) < 0)
		msg_warn("user=<%s>, %s: %s", s->account, s->selname,
		    buf_str(s->why));
}

/* imapd_cmd_fetch - FETCH and UID FETCH */
void
imapd_cmd_fetch(struct imapd_state *s, struct imapparse_cmd *c)
{
	struct imapd_fetch	 f;
	const struct uidlist_rec *r;
	const char		*set;
	char			*changed;
	int			*idx, n, i, k, gone = 0;

	if ((set = imapparse_atom(c)) == NULL || imapd_fetch_parse(s, c,
	    &f) < 0) {
		imapd_fetch_free(&f);
		imapd_tag_bad(s, c, "Syntax: FETCH sequence-set (items) "
		    "[(CHANGEDSINCE modseq)]");
		return;
	}
	f.uidcmd = c->uid;
	if (imapd_set_resolve(s, set, c->uid, &idx, &n) < 0) {
		imapd_fetch_free(&f);
		imapd_tag_bad(s, c, "Invalid message set: %s",
		    printable(set, s->tmp));
		return;
	}
	changed = xcalloc((size_t)s->count + 1, 1);
	if (f.sets_seen && !s->readonly)
		imapd_fetch_seen(s, idx, n, changed);
	k = -1;
	for (i = 0; i < n && !s->quit; i++) {
		k = uidlist_find_near(&s->mb->ul, s->msgs[idx[i]].uid,
		    k + 1);
		r = k >= 0 ? &s->mb->ul.v[k] : NULL;
		if (f.changedsince > 0 && (r == NULL ||
		    r->modseq <= f.changedsince))
			continue;
		if (imapd_fetch_one(s, &f, idx[i], changed[idx[i]],
		    r != NULL ? r->modseq : 0) < 0) {
			if (errno != ENOENT)
				msg_warn("user=<%s>, %s: %s", s->account,
				    s->selname, buf_str(s->why));
			gone = 1;
		}
	}
	mailbox_cache_flush(s->mb);
	free(changed);
	free(idx);
	imapd_fetch_free(&f);
	if (gone) {
		imapd_tag_no(s, c, "[EXPUNGEISSUED] Some of the requested "
		    "messages no longer exist.");
		s->errors--;
	} else
		imapd_tag_ok(s, c, "Fetch completed.");
}
