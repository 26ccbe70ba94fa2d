/*
 * mailbox_new.t.c - tests of what pop3 needs from the mailbox layer:
 * UIDLs made from names (lib/mailbox_name.c), usable names for unusable
 * files, size fields; UIDs given to files left in new/ (mailbox_new.c)
 * and kept when a sync moves them, removed when the file goes; size
 * records in the cache that FETCH counts as misses.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "mailbox.h"
#include "maildir.h"
#include "msg.h"
#include "uidlist.h"
#include "util.h"
#include "../tap.h"

static char root[256];

/* The test Maildir's files (tap.h). */
#define put(rel, text)	tap_put(root, (rel), (text))
#define exists(rel)	tap_exists(root, (rel))
#define count(sub)	tap_count(root, (sub), NULL)

/* uidl_is - the UIDL of a name */
static int
uidl_is(const char *name, const char *want)
{
	struct buf *b = buf_new(64, 0);
	int r;

	mailbox_name_uidl(name, b);
	r = strcmp(buf_str(b), want) == 0;
	if (!r)
		printf("# uidl of %s: %s, not %s\n", name, buf_str(b), want);
	buf_free(&b);
	return r;
}

/* pop3_open - a folder as pop3 opens it, synced */
static struct mailbox *
pop3_open(struct buf *why)
{
	struct mailbox *mb;

	if (mailbox_open(root, &mb, why) < 0)
		msg_fatal("%s", buf_str(why));
	mb->keep_new = 1;
	if (mailbox_sync(mb, 0, why) < 0)
		msg_fatal("%s", buf_str(why));
	return mb;
}

int
main(void)
{
	/* A file name and the UIDL it makes: the base, without S= and W=. */
	static const struct tap_text uidls[] = {
		{ "1700000001.M1P1Q1.host", "1700000001.M1P1Q1.host",
		    "a plain name" },
		{ "1700000001.M1P1Q1.host,S=10", "1700000001.M1P1Q1.host",
		    "S= dropped" },
		{ "1700000001.M1P1Q1.host,S=10,W=12:2,FS",
		    "1700000001.M1P1Q1.host", "S=, W= and flags dropped" },
		{ "1.M1.h,x=1", "1.M1.h,x=1", "another field kept" },
		{ "1.M1.h,S=1,x", "1.M1.h,S=1,x", "S= before junk kept" },
		{ ",S=1", ",S=1", "no base: kept whole" },
	};
	struct mailbox		*mb, *im;
	struct mailbox_newfile	*nf;
	struct mailbox_cached	 rec;
	struct buf		*why = buf_new(256, 0), *b = buf_new(256, 0);
	struct buf		*u = buf_new(64, 0);
	uint32_t		 uid_a, uid_b;
	size_t			 i;
	int			 n, k, fd;

	msg_init("mailbox_new.t", MSG_STDERR);
	plan(25 + (int)(sizeof(uidls) / sizeof(uidls[0])));
	snprintf(root, sizeof(root), "/tmp/mailbox-new-t-%ld", (long)getpid());
	if (maildir_make(root, 0, why) < 0)
		msg_fatal("%s", buf_str(why));

	/* Names. */
	for (i = 0; i < sizeof(uidls) / sizeof(uidls[0]); i++)
		ok(uidl_is(uidls[i].in, uidls[i].want), uidls[i].name);
	mailbox_name_uidl("a b", u);
	ok(buf_len(u) == 33 && buf_str(u)[0] == 'H',
	    "a name with a blank: H and two hashes");
	ok(uidl_is("a b,S=3", buf_str(u)) && uidl_is("a b:2,S", buf_str(u)),
	    "... the same with size fields or flags");
	mailbox_name_usable("a b,S=3:2,RS", b);
	buf_setf(why, "%s,S=3:2,RS", buf_str(u));
	ok(strcmp(buf_str(b), buf_str(why)) == 0, "usable name: the UIDL, "
	    "the fields, the flags");
	mailbox_name_usable("x\xe9,S=3 4:2,", b);
	buf_setf(why, "%s:2,", buf_str(u));
	mailbox_name_uidl("x\xe9,S=3 4", u);
	ok(uidl_is(buf_str(b), buf_str(u)) &&
	    uidlist_base_ok(buf_str(b), strcspn(buf_str(b), ":")) &&
	    strchr(buf_str(b), ' ') == NULL,
	    "an unusable field is left out, the UIDL kept");
	ok(mailbox_name_field("1.M1.h,S=10,W=12:2,S", 'S') == 10 &&
	    mailbox_name_field("1.M1.h,S=10,W=12:2,S", 'W') == 12,
	    "size fields");
	ok(mailbox_name_field("1.M1.h,S=1x", 'S') == -1 &&
	    mailbox_name_field("1.M1.h:2,S=1", 'S') == -1 &&
	    mailbox_name_field("1.M1.h", 'W') == -1,
	    "no size from a broken field or from the flags");

	/* pop3 gives new/ files UIDs where they lie. */
	put("new/1700000002.M1P1Q1.host,S=10", "Subject: b\n\nb\n");
	put("new/1700000001.M1P1Q1.host,S=10", "Subject: a\n\na\n");
	put("new/1700000003.M1P1Q1.odd name", "Subject: c\n\nc\n");
	mb = pop3_open(why);
	ok(mailbox_new_scan(mb, &nf, &n, why) == 0 && n == 3,
	    "three files in new/ listed");
	ok(n == 3 && nf[0].uid < nf[1].uid && nf[1].uid < nf[2].uid &&
	    strcmp(nf[0].name, "1700000001.M1P1Q1.host,S=10") == 0,
	    "in delivery order, by UID");
	uid_a = n > 0 ? nf[0].uid : 0;
	uid_b = n > 1 ? nf[1].uid : 0;
	ok(count("new") == 3 && count("cur") == 0, "... and still in new/");
	mailbox_name_uidl("1700000003.M1P1Q1.odd name", u);
	ok(n == 3 && !exists("new/1700000003.M1P1Q1.odd name") &&
	    strcmp(nf[2].name, buf_str(u)) == 0,
	    "the unusable name was renamed to its UIDL");
	mailbox_new_free(&nf, n);
	mailbox_close(&mb);
	mb = pop3_open(why);
	ok(mailbox_new_scan(mb, &nf, &n, why) == 0 && n == 3 &&
	    nf[0].uid == uid_a && nf[1].uid == uid_b,
	    "the next session finds the same UIDs");
	mailbox_new_free(&nf, n);

	/* Sizes: a size record is not a FETCH record. */
	mailbox_cache_put_size(mb, uid_a, 15);
	mailbox_cache_flush(mb);
	ok(mailbox_cache_size(mb, uid_a) == 15, "a size record");
	ok(!mailbox_cache_get(mb, uid_a, &rec), "... is a miss for FETCH");
	ok(mailbox_cache_size(mb, uid_b) == -1, "no size for another UID");

	/* RETR and QUIT: the message moves to cur/ with \Seen, same UID. */
	ok(mailbox_begin(mb, why) == 0 && mailbox_new_move(mb, uid_a,
	    "1700000001.M1P1Q1.host,S=10", FLAG_SEEN, why) == 0 &&
	    mailbox_end(mb, why) == 0, "move a retrieved message");
	ok(exists("cur/1700000001.M1P1Q1.host,S=10:2,S") && count("new") == 2,
	    "... to cur/ with :2,S");
	k = uidlist_find(&mb->ul, uid_a);
	ok(k >= 0 && mb->ul.v[k].flags == FLAG_SEEN, "... its record: seen, "
	    "in cur/");
	fd = mailbox_new_open(mb, uid_b, "1700000002.M1P1Q1.host,S=10", why);
	ok(fd >= 0, "open a message in new/");
	if (fd >= 0)
		close(fd);

	/* imap syncs: new/ moves to cur/, the UIDs stay. */
	if (mailbox_open(root, &im, why) < 0)
		msg_fatal("%s", buf_str(why));
	ok(mailbox_sync(im, 0, why) == 0 && count("new") == 0 &&
	    count("cur") == 3, "an imap sync moves new/ to cur/");
	ok(im->ul.count == 3 && uidlist_find(&im->ul, uid_b) >= 0 &&
	    !(im->ul.v[uidlist_find(&im->ul, uid_b)].flags & UIDLIST_INNEW),
	    "... keeping pop3's UIDs, no more in new/");
	fd = mailbox_new_open(mb, uid_b, "1700000002.M1P1Q1.host,S=10", why);
	ok(fd >= 0, "pop3 opens a message that imap moved meanwhile");
	if (fd >= 0)
		close(fd);
	mailbox_close(&im);
	mailbox_close(&mb);

	/* A new/ file gone: its record goes; DELE removes one. */
	put("new/1700000004.M1P1Q1.host", "Subject: d\n\nd\n");
	put("new/1700000005.M1P1Q1.host", "Subject: e\n\ne\n");
	mb = pop3_open(why);
	ok(mailbox_new_scan(mb, &nf, &n, why) == 0 && n == 2, "two new");
	uid_a = n > 0 ? nf[0].uid : 0;
	uid_b = n > 1 ? nf[1].uid : 0;
	mailbox_new_free(&nf, n);
	ok(mailbox_begin(mb, why) == 0 && mailbox_new_remove(mb, uid_b,
	    "1700000005.M1P1Q1.host", why) == 0 && mailbox_end(mb, why) == 0 &&
	    !exists("new/1700000005.M1P1Q1.host") &&
	    uidlist_find(&mb->ul, uid_b) < 0, "DELE of a message in new/");
	mailbox_close(&mb);
	buf_setf(b, "%s/new/1700000004.M1P1Q1.host", root);
	(void)unlink(buf_str(b));
	mb = pop3_open(why);
	ok(mailbox_new_scan(mb, &nf, &n, why) == 0 && n == 0 &&
	    uidlist_find(&mb->ul, uid_a) < 0,
	    "a file gone from new/ loses its record");
	mailbox_new_free(&nf, n);
	mailbox_close(&mb);
	ok(mailbox_open(root, &im, why) == 0 && mailbox_sync(im, 1, why) == 0 &&
	    im->ul.count == 3, "imap's full scan agrees");
	mailbox_close(&im);

	buf_setf(b, "rm -rf '%s'", root);
	if (system(buf_str(b)) != 0)
		printf("# could not remove %s\n", root);
	buf_free(&why);
	buf_free(&b);
	buf_free(&u);
	return done_testing();
}
