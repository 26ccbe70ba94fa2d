/*
 * mailbox.t.c - tests of lib/mailbox*.c and lib/uidlist.c: folder names
 * that must not leave the Maildir, LIST patterns, UIDs given in delivery
 * order and kept across sessions, flags in file names, another program's
 * renames and removals found by the sync, the UID list's log read by a
 * second session, a torn or corrupt UID list, keywords, the cache.
 */
#include <sys/stat.h>
#include <sys/types.h>

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

int
main(void)
{
	static const char *const refused[] = {
		"../x", "a/b", ".x", "x.", "x..y", "..", "~x", "a\\b",
		"INBOX.sub", "&AGE-", "tab\there", "",
	};
	struct mailbox	*a, *b;
	struct mailbox_cached rec, got;
	struct buf	*why = buf_new(256, 0), *path = buf_new(256, 0);
	struct buf	*name = buf_new(256, 0);
	uint32_t	 v0, uid;
	size_t		 i;
	int		 k = -1, fd;

	msg_init("mailbox.t", MSG_STDERR);
	plan(57 + (int)(sizeof(refused) / sizeof(refused[0])));
	snprintf(root, sizeof(root), "/tmp/mailbox-t-%ld", (long)getpid());
	if (maildir_make(root, 1, why) < 0)
		msg_fatal("%s", buf_str(why));

	/* Names. */
	ok(mailbox_list_path(root, "inbox", path, why) == 0 &&
	    strcmp(buf_str(path), root) == 0,
	    "inbox (any case) is the Maildir");
	ok(mailbox_list_path(root, "Proyectos.2024", path, why) == 0 &&
	    strcmp(buf_str(path) + strlen(root), "/.Proyectos.2024") == 0,
	    "A.B is Maildir/.A.B");
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char t[64];

		snprintf(t, sizeof(t), "name refused: \"%s\"", refused[i]);
		ok(mailbox_list_path(root, refused[i], path, why) < 0, t);
	}
	ok(mailbox_list_match("*", "A.B") && mailbox_list_match("%", "A") &&
	    !mailbox_list_match("%", "A.B") && mailbox_list_match("A.%",
	    "A.B") && mailbox_list_match("inBox", "INBOX") &&
	    !mailbox_list_match("inbox", "Inbox2"), "LIST patterns");
	ok(mailbox_list_match("*a*a*a*a*a*a*a*a*a*b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") == 0,
	    "a pathological pattern ends (and does not match)");
	ok(mailbox_list_create(root, "Nuevo", why) == 0 &&
	    exists(".Nuevo/cur") && exists(".Nuevo/maildirfolder"),
	    "CREATE makes a Maildir++ folder");
	ok(mailbox_list_create(root, "Nuevo", why) < 0 && errno == EEXIST,
	    "... once");
	ok(mailbox_list_rename(root, "Nuevo", "Viejo", why) == 0 &&
	    exists(".Viejo/cur") && !exists(".Nuevo"), "RENAME");
	ok(mailbox_list_delete(root, "Viejo", why) == 0 && !exists(".Viejo"),
	    "DELETE");

	/* Delivery order and the move to cur/. */
	put("new/1700000002.M1P1Q1.host,S=10", "Subject: b\n\nb\n");
	put("new/1700000001.M1P1Q1.host,S=10", "Subject: a\n\na\n");
	put("cur/1700000003.M1P1Q1.host,S=10:2,S", "Subject: c\n\nc\n");
	ok(mailbox_open(root, &a, why) == 0, "open INBOX");
	ok(mailbox_sync(a, 0, why) == 0, "first sync");
	is_int(a->ul.count, 3, "three messages");
	ok(strncmp(a->ul.v[0].base, "1700000001.", 11) == 0 &&
	    strncmp(a->ul.v[1].base, "1700000002.", 11) == 0 &&
	    strncmp(a->ul.v[2].base, "1700000003.", 11) == 0,
	    "UIDs in delivery order");
	is_int(a->ul.v[0].uid, 1, "the first UID is 1");
	ok(a->ul.v[2].flags == FLAG_SEEN, "flags from the file name");
	ok(exists("cur/1700000001.M1P1Q1.host,S=10:2,") &&
	    !exists("new/1700000001.M1P1Q1.host,S=10"),
	    "new/ files moved to cur/ with \":2,\"");
	v0 = a->ul.uidvalidity;

	/* A second session sees the same UIDs. */
	ok(mailbox_open(root, &b, why) == 0 && mailbox_sync(b, 0, why) == 0,
	    "a second session");
	ok(b->ul.count == 3 && b->ul.uidvalidity == v0 &&
	    b->ul.v[1].uid == 2, "... same UIDVALIDITY and UIDs");

	/* Flags: renames, the log, modseq. */
	ok(mailbox_begin(a, why) == 0, "begin a change");
	ok(mailbox_set_flags(a, 2, FLAG_FLAGGED | FLAG_SEEN, 0, why) == 0,
	    "set \\Flagged \\Seen on UID 2");
	ok(mailbox_end(a, why) == 0, "end the change");
	ok(exists("cur/1700000002.M1P1Q1.host,S=10:2,FS"),
	    "the file name carries F and S");
	ok(mailbox_sync(b, 0, why) == 0 && (k = uidlist_find(&b->ul, 2)) >= 0
	    && b->ul.v[k].flags == (FLAG_FLAGGED | FLAG_SEEN),
	    "the other session reads the change from the log");
	ok(b->ul.v[k].modseq == b->ul.highestmodseq && b->ul.v[k].modseq > 3,
	    "... with a new, highest modseq");

	/* Another program renames and removes (pop3d, a mail client). */
	usleep(20000);	/* cur/'s mtime moves on (a clock tick) */
	{
		char from[512], to[512];

		snprintf(from, sizeof(from), "%s/cur/1700000001.M1P1Q1.host,"
		    "S=10:2,", root);
		snprintf(to, sizeof(to), "%s/cur/1700000001.M1P1Q1.host,"
		    "S=10:2,RS", root);
		ok(rename(from, to) == 0, "an outside rename (flags R S)");
		snprintf(from, sizeof(from), "%s/cur/1700000003.M1P1Q1.host,"
		    "S=10:2,S", root);
		ok(unlink(from) == 0, "an outside unlink");
	}
	ok(mailbox_sync(b, 0, why) == 0, "sync after outside changes");
	ok((k = uidlist_find(&b->ul, 1)) >= 0 && b->ul.v[k].flags ==
	    (FLAG_ANSWERED | FLAG_SEEN), "the outside flag change is seen");
	ok(uidlist_find(&b->ul, 3) < 0 && b->ul.count == 2,
	    "the removed message is expunged");
	ok(uidlist_find_near(&b->ul, 2, 1) == 1 &&
	    uidlist_find_near(&b->ul, 1, 0) == 0,
	    "uidlist_find_near: the hinted index");
	ok(uidlist_find_near(&b->ul, 2, 0) == 1 &&
	    uidlist_find_near(&b->ul, 1, 1) == 0,
	    "... a wrong hint falls back to the search");
	ok(uidlist_find_near(&b->ul, 1, 2) == 0 &&
	    uidlist_find_near(&b->ul, 2, -7) == 1,
	    "... a hint out of range too");
	ok(uidlist_find_near(&b->ul, 3, 2) < 0 &&
	    uidlist_find_near(&b->ul, 99, 1) < 0,
	    "... and an absent UID is -1");
	ok(mailbox_sync(a, 0, why) == 0 && a->ul.count == 2 &&
	    uidlist_find(&a->ul, 3) < 0, "... and the first session learns it");
	fd = mailbox_msg_open(a, 1, why);
	ok(fd >= 0, "open a message renamed by another program");
	if (fd >= 0)
		close(fd);

	/* New messages: APPEND into tmp/, then a UID. */
	ok(mailbox_tmp_write(a, "Subject: d\r\n\r\nd\r\n", 16, 1600000000,
	    name, why) == 0, "write a message in tmp/");
	ok(strstr(buf_str(name), ",S=16,W=16") != NULL,
	    "... named with its sizes");
	ok(mailbox_begin(a, why) == 0 && mailbox_add(a, buf_str(name),
	    FLAG_DRAFT, 0, &uid, why) == 0 && mailbox_end(a, why) == 0,
	    "add it");
	is_int(uid, 4, "UIDs are never reused: 4 after 3 was expunged");
	ok(mailbox_keyword(a, "$Etiqueta", 1, why) == 0 &&
	    mailbox_keyword(a, "$etiqueta", 0, why) == 0 &&
	    exists("dovecot-keywords"), "keywords get letters (a), any case");

	/* The cache. */
	memset(&rec, 0, sizeof(rec));
	rec.uid = 4;
	rec.size = 16;
	rec.idate = 1600000000;
	rec.envelope = "(NIL \"d\")";
	rec.envelope_len = strlen(rec.envelope);
	rec.body = "(\"text\")";
	rec.body_len = strlen(rec.body);
	rec.bodystructure = "(\"text\" 1)";
	rec.bodystructure_len = strlen(rec.bodystructure);
	rec.headers = "Subject: d\r\n\r\n";
	rec.headers_len = strlen(rec.headers);
	mailbox_cache_put(a, &rec);
	mailbox_cache_flush(a);
	mailbox_cache_release(b);
	ok(mailbox_cache_get(b, 4, &got) == 1 && got.size == 16 &&
	    got.idate == 1600000000 && got.headers_len == rec.headers_len &&
	    memcmp(got.envelope, rec.envelope, rec.envelope_len) == 0,
	    "a cache record written by one session is read by another");
	ok(mailbox_cache_get(b, 1, &got) == 0, "a UID not cached: a miss");
	mailbox_cache_release(b);

	/* A torn log line, then a corrupt list. */
	{
		char p[512];

		snprintf(p, sizeof(p), "%s/%s", root, UIDLIST_FILE);
		fd = open(p, O_WRONLY | O_APPEND);
		ok(fd >= 0 && write(fd, "=4 99 F", 7) == 7,
		    "a torn line at the end of the UID list");
		close(fd);
		ok(mailbox_sync(b, 0, why) == 0 && uidlist_find(&b->ul, 4) >= 0
		    && b->ul.v[uidlist_find(&b->ul, 4)].flags == FLAG_DRAFT,
		    "... is ignored by readers");
		ok(mailbox_begin(a, why) == 0 && mailbox_set_flags(a, 4,
		    FLAG_DRAFT | FLAG_SEEN, 0, why) == 0 &&
		    mailbox_end(a, why) == 0, "the next writer");
		ok(mailbox_sync(b, 0, why) == 0 &&
		    b->ul.v[uidlist_find(&b->ul, 4)].flags ==
		    (FLAG_DRAFT | FLAG_SEEN), "... cut it off and appended");
		mailbox_close(&b);
		fd = open(p, O_WRONLY | O_TRUNC);
		ok(fd >= 0 && write(fd, "garbage\n", 8) == 8, "a corrupt UID "
		    "list");
		close(fd);
	}
	msg_set_flags(0);	/* its warnings are expected */
	ok(mailbox_open(root, &b, why) == 0 && mailbox_sync(b, 0, why) == 0,
	    "a session on the corrupt list");
	msg_set_flags(MSG_STDERR);
	ok(b->ul.uidvalidity > v0 && b->ul.count == 3,
	    "... gets a new UIDVALIDITY and every message again");
	mailbox_cache_release(b);
	ok(mailbox_cache_get(b, 4, &got) == 0, "the cache of the old "
	    "UIDVALIDITY is not used");

	/* new/ looked at through its mtime once that is old. */
	{
		struct timespec old[2] = { { 1600000000, 0 },
		    { 1600000000, 0 } };
		int n0 = b->ul.count;

		buf_setf(path, "%s/new", root);
		ok(utimensat(AT_FDCWD, buf_str(path), old, 0) == 0 &&
		    mailbox_sync(b, 0, why) == 0 && b->new_empty_ns ==
		    1600000000LL * 1000000000LL,
		    "an empty new/ with an old mtime is remembered");
		put("new/1700000009.M1P1Q1.host,S=10", "Subject: n\n\nn\n");
		ok(mailbox_sync(b, 0, why) == 0 && b->ul.count == n0 + 1,
		    "a delivery into it is seen");
		put("new/1700000010.M1P1Q1.host,S=10", "Subject: o\n\no\n");
		ok(mailbox_sync(b, 0, why) == 0 && b->ul.count == n0 + 2 &&
		    b->new_empty_ns == 0,
		    "... and the next one in the same second (mtime too new "
		    "to be trusted)");
	}
	mailbox_close(&a);
	mailbox_close(&b);

	/* The quota file: one line per change set, folders to the top. */
	put("maildirsize", "1000S,0C\n");
	ok(mailbox_open(root, &a, why) == 0 && mailbox_sync(a, 0, why) == 0 &&
	    mailbox_tmp_write(a, "Subject: q\r\n\r\nq\r\n", 16, 0, name,
	    why) == 0 && mailbox_begin(a, why) == 0 && mailbox_add(a,
	    buf_str(name), 0, 0, &uid, why) == 0 && mailbox_end(a, why) == 0,
	    "quota: a message added ...");
	ok(mailbox_begin(a, why) == 0 && mailbox_expunge(a, uid, 1, why) ==
	    0 && mailbox_expunge(a, 4, 1, why) == 0 && mailbox_end(a, why) ==
	    0, "... then it and another expunged in one change");
	ok(mailbox_tmp_write(a, "x", 1, 0, name, why) == 0 &&
	    mailbox_begin(a, why) == 0 && mailbox_add(a, buf_str(name), 0, 0,
	    &uid, why) == 0 && mailbox_expunge(a, uid, 1, why) == 0 &&
	    mailbox_end(a, why) == 0, "... one added and expunged at once");
	mailbox_close(&a);
	buf_setf(path, "%s/.Nuevo", root);
	(void)mailbox_list_create(root, "Nuevo", why);
	ok(mailbox_open(buf_str(path), &a, why) == 0 &&
	    mailbox_tmp_write(a, "yy", 2, 0, name, why) == 0 &&
	    mailbox_begin(a, why) == 0 && mailbox_add(a, buf_str(name), 0, 0,
	    &uid, why) == 0, "... one added to a folder");
	mailbox_close(&a);
	buf_setf(path, "%s/maildirsize", root);
	{
		struct buf *t = tap_slurp(buf_str(path));

		is_str(buf_str(t), "1000S,0C\n16 1\n-26 -2\n2 1\n",
		    "maildirsize: +16, -26 (it and an S=10 one), nothing "
		    "for the pair, +2 from the folder at close");
		buf_free(&t);
	}
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd) != 0)
			msg_warn("cannot remove %s", root);
	}
	buf_free(&why);
	buf_free(&path);
	buf_free(&name);
	return done_testing();
}
