/*
 * mailbox_name - what a Maildir file name says, and the names the layer
 * gives files.
 *
 *	mailbox_name()		a record's file name in cur/: base ":2,"
 *				and its flag letters
 *	mailbox_name_field()	a ",S=" or ",W=" size field of a name
 *	mailbox_name_uidl()	the POP3 UIDL of a message, from its name
 *	mailbox_name_usable()	a name the uid list can hold, for a file
 *				whose own name it cannot, keeping the UIDL
 *
 * A message has one identity, its base name (the file name before ":"):
 * the uid list maps a UID to it, and the UIDL is made from it alone, so
 * POP3, IMAP and local agree on which message is which, and the UIDL that
 * a client saw once (pop3 has always made it this way) never changes.
 * The UIDL is the base less its trailing ",X=value" fields (",S=",
 * ",W=", which Maildir writers add or not); a base that RFC 1939 would
 * not allow as a UIDL (over MAILBOX_UIDL_MAX octets, or octets outside
 * 0x21-0x7e) gives "H" and two FNV-1a hashes of it instead.
 *
 * Distrusted: every name (anyone who can write the Maildir picks them).
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "mailbox.h"
#include "uidlist.h"

/* mailbox_name - a record's file name in cur/ */
void
mailbox_name(const struct mailbox *mb, const struct uidlist_rec *r,
    struct buf *out)
{
	buf_reset(out);
	buf_puts(out, r->base);
	buf_puts(out, ":2,");
	uidlist_info_format(out, r->flags, r->kw);
}

/*
 * mailbox_name_field - a ",X=<number>" field before the name's ':', or
 * -1 (none, or not a whole number).
 */
long long
mailbox_name_field(const char *name, int field)
{
	const char	*p, *colon = strchr(name, ':');
	long long	 v = 0;

	for (p = name; (p = strchr(p, ',')) != NULL; p++) {
		if (colon != NULL && p > colon)
			break;
		if (p[1] != field || p[2] != '=')
			continue;
		for (p += 3; isdigit((unsigned char)*p); p++) {
			if (v > 0x7fffffffffffLL)
				return -1;
			v = v * 10 + (*p - '0');
		}
		return (*p == '\0' || *p == ',' || *p == ':') ? v : -1;
	}
	return -1;
}

/* mailbox_name_hash - FNV-1a, for UIDLs made from unusable names */
static unsigned long long
mailbox_name_hash(const char *p, size_t len, unsigned long long h)
{
	while (len-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * mailbox_name_unique - the length of the part of a name that makes its
 * UIDL: before ':', less trailing ",X=value" fields
 */
static size_t
mailbox_name_unique(const char *name)
{
	const char	*colon, *p, *comma;
	size_t		 len;

	colon = strchr(name, ':');
	len = colon != NULL ? (size_t)(colon - name) : strlen(name);
	for (;;) {
		comma = NULL;
		for (p = name; p < name + len; p++)
			if (*p == ',')
				comma = p;
		if (comma == NULL || comma + 2 >= name + len ||
		    !isupper((unsigned char)comma[1]) || comma[2] != '=' ||
		    comma == name)
			break;
		len = (size_t)(comma - name);
	}
	return len;
}

/*
 * mailbox_name_uidl - the UIDL of a file name or base name (see the top
 * of this file); the same for every name of one message.
 */
void
mailbox_name_uidl(const char *name, struct buf *out)
{
	size_t	 len, i;
	int	 good = 1;

	len = mailbox_name_unique(name);
	if (len == 0 || len > MAILBOX_UIDL_MAX)
		good = 0;
	for (i = 0; good && i < len; i++)
		if ((unsigned char)name[i] < 0x21 ||
		    (unsigned char)name[i] > 0x7e)
			good = 0;
	buf_reset(out);
	if (good) {
		buf_append(out, name, len);
		return;
	}
	buf_appendf(out, "H%016llx%016llx",
	    mailbox_name_hash(name, len, 0xcbf29ce484222325ULL),
	    mailbox_name_hash(name, len, 0x84222325cbf29ce4ULL));
}

/*
 * mailbox_name_usable - for a file whose base the uid list cannot hold
 * (blanks, control or 8-bit octets, too long), the name to rename it to:
 * its UIDL (a hash, mostly), then its ",X=" fields when they are usable,
 * then its ":2," part unchanged.  mailbox_name_uidl gives the new name
 * the UIDL of the old one: the message keeps its identity, and IMAP,
 * which cannot serve the old name, sees it.
 */
void
mailbox_name_usable(const char *name, struct buf *out)
{
	const char	*colon = strchr(name, ':');
	size_t		 len = mailbox_name_unique(name), end, mark;

	end = colon != NULL ? (size_t)(colon - name) : strlen(name);
	mailbox_name_uidl(name, out);
	mark = buf_len(out);
	buf_append(out, name + len, end - len);
	if (!uidlist_base_ok(buf_str(out), buf_len(out)))
		buf_truncate(out, mark);
	if (colon != NULL)
		buf_puts(out, colon);
}
