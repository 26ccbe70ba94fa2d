#!/usr/bin/env python3
# cartero user for virtual users (--password-file, list, show, the last
# login, del with and without --remove-mail, usage errors) and cartero
# mailbox resync and expunge on a real Maildir, its UIDs noted before and
# after: a resync keeps every UID a client knows, an expunge removes only
# what matches and an open IMAP session sees it go.
import os, sys, pwd, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

inst = Instance()


def cmd(*args, input=None):
    return inst.cmd("cartero", *args, input=input)


def header(user="dora"):
    """The first line of INBOX's cartero-uidlist, as a dict (V, N...)."""
    with open(os.path.join(inst.maildir(user), "cartero-uidlist")) as f:
        words = f.readline().split()[2:]
    return {w[0]: w[1:] for w in words}


def imap_uids(c):
    """UID -> flags of the selected folder, as a session sees them."""
    r = c.cmd(". UID FETCH 1:* (FLAGS)")
    out = {}
    for l in r:
        if " FETCH " in l:
            uid = int(l.split("UID ")[1].split()[0].rstrip(")"))
            out[uid] = l.split("FLAGS (")[1].split(")")[0]
    return out


# add with --password-file: its first line is the password.
pwfile = os.path.join(inst.dir, "pw")
with open(pwfile, "w") as f:
    f.write("Dora-Secret-1\nnot this line\n")
os.chmod(pwfile, 0o600)
r = cmd("user", "add", "dora@mired.org", "--password-file", pwfile)
is_(r.returncode, 0, "user add --password-file")
r = cmd("user", "list")
ok("dora@mired.org virtual" in r.stdout.splitlines(),
   "user list says dora is a virtual user")
r = cmd("user", "add", "--virtual", "eva", "--password-file",
        os.path.join(inst.dir, "nonexistent"))
ok(r.returncode != 0 and "eva@" not in open(os.path.join(inst.etc, "passwd")).read(),
   "a missing password file adds nobody")
for args in (("user", "list", "dora"), ("user", "add", "--bogus", "x@mired.org"),
             ("user", "del", "--password-file", pwfile, "dora@mired.org"),
             ("user", "add", "--virtual", "--system", "x"),
             ("user", "show"), ("mailbox", "resync"),
             ("mailbox", "expunge", "dora@mired.org", "INBOX"),
             ("mailbox", "expunge", "dora@mired.org", "INBOX", "sometimes"),
             ("mailbox", "expunge", "dora@mired.org", "INBOX", "before", "x"),
             ("mailbox", "frobnicate", "dora@mired.org")):
    is_(cmd(*args).returncode, 64, "usage error: %s" % " ".join(args))

# A login, then mail: show counts it and tells the last login.
c = ImapRaw(inst.imap_port)
c.login("dora@mired.org", "Dora-Secret-1")
c.cmd(". LOGOUT")
c.close()
for i in range(4):
    inst.deliver_wait("m%d" % i, "cuerpo %d\r\n" % i, user="dora")
r = cmd("user", "show", "dora@mired.org")
is_(r.returncode, 0, "user show")
like(r.stdout, "kind:       virtual", "says the kind")
like(r.stdout, "mailbox:    %s" % inst.maildir("dora"), "where the mail is")
like(r.stdout, "messages:   4\n", "how many messages")
like(r.stdout, "quota:      none", "and the quota")
like(r.stdout, "imapd 127.0.0.1", "and the last login: service and address")
r = cmd("user", "show", "nadie@mired.org")
ok(r.returncode == 1 and "no user" in r.stderr, "show of an unknown user")

# Give the messages UIDs and flags through IMAP.
c = ImapRaw(inst.imap_port)
c.login("dora@mired.org", "Dora-Secret-1")
c.cmd(". SELECT INBOX")
c.cmd(". UID STORE 2 +FLAGS (\\Seen)")
c.cmd(". UID STORE 3 +FLAGS (\\Deleted)")
before = imap_uids(c)
c.cmd(". LOGOUT")
c.close()
is_(sorted(before), [1, 2, 3, 4], "four messages, UIDs 1 to 4")
recs = inst.uidlist_records(user="dora")
uv = header()["V"]

# Damage: a broken cache, a message removed by another program, one put
# into cur/ by a mail client, and the log of the uid list made long.
md = inst.maildir("dora")
owner = pwd.getpwnam(inst.vowner)
with open(os.path.join(md, "cartero-cache"), "w") as f:
    f.write("cartero-cache 1 V%s\nR1 garbage\n" % uv)
cur = os.path.join(md, "cur")
gone = [n for n in os.listdir(cur) if n.startswith(recs[4])][0]
os.unlink(os.path.join(cur, gone))
newname = "1700000000.M1P1Q1.client,S=20:2,S"
with open(os.path.join(cur, newname), "w") as f:
    f.write("Subject: c\n\nclient\n")
os.chown(os.path.join(cur, newname), owner.pw_uid, owner.pw_gid)

r = cmd("mailbox", "resync", "dora@mired.org", "INBOX")
is_(r.returncode, 0, "mailbox resync USER INBOX")
like(r.stdout, "INBOX: 4 messages: 3 kept their UIDs, 1 new, 1 gone",
     "says what it found")
after = inst.uidlist_records(user="dora")
is_({u: after[u] for u in (1, 2, 3)}, {u: recs[u] for u in (1, 2, 3)},
    "the three messages left keep their UIDs")
ok(4 not in after, "the removed message's UID is gone")
is_([u for u, b in after.items() if b == newname.split(":")[0]], [5],
    "the client's file gets the next UID")
is_(header()["V"], uv, "UIDVALIDITY is kept")
with open(os.path.join(md, "cartero-uidlist")) as f:
    ok(all(l[0] not in "+-=H" for l in f.read().splitlines()[1:]),
       "the list is written whole (a snapshot, no log)")
cache = os.path.join(md, "cartero-cache")
ok(not os.path.exists(cache) or "garbage" not in open(cache).read(),
   "the broken cache is replaced")
c = ImapRaw(inst.imap_port)
c.login("dora@mired.org", "Dora-Secret-1")
like("".join(c.cmd(". SELECT INBOX")), "UIDVALIDITY %s]" % uv,
     "a client sees the same UIDVALIDITY")
seen = imap_uids(c)
is_(sorted(seen), [1, 2, 3, 5], "and the UIDs 1, 2, 3 and 5")
like(seen.get(2, ""), "\\Seen", "flags are kept")
like(seen.get(5, ""), "\\Seen", "the client's file's flags are read")

# Expunge, with a session open on the folder.
r = cmd("mailbox", "expunge", "-n", "dora@mired.org", "INBOX", "deleted")
ok(r.returncode == 0 and "UID 3 would be expunged" in r.stdout,
   "expunge -n lists what it would remove")
is_(sorted(inst.uidlist_records(user="dora")), [1, 2, 3, 5], "and removes nothing")
r = cmd("mailbox", "expunge", "dora@mired.org", "INBOX", "deleted")
ok(r.returncode == 0 and "INBOX: 1 messages expunged" in r.stdout,
   "expunge deleted removes the \\Deleted message")
after = inst.uidlist_records(user="dora")
is_(sorted(after), [1, 2, 5], "UID 3 is gone, the others kept")
ok(not [n for n in os.listdir(cur) if n.startswith(recs[3])], "with its file")
like("".join(c.cmd(". NOOP")), "* 3 EXPUNGE", "the open session sees it go")
r = cmd("mailbox", "expunge", "dora@mired.org", "INBOX", "before", "30d")
like(r.stdout, "INBOX: 0 messages expunged", "nothing is older than 30 days")
old = [n for n in os.listdir(cur) if n.startswith(recs[1])][0]
t = time.time() - 40 * 86400
os.utime(os.path.join(cur, old), (t, t))
r = cmd("mailbox", "expunge", "dora@mired.org", "INBOX", "seen", "before", "30d")
like(r.stdout, "INBOX: 0 messages expunged", "queries are and-ed (UID 1 is not seen)")
r = cmd("mailbox", "expunge", "dora@mired.org", "INBOX", "before", "30d")
like(r.stdout, "INBOX: 1 messages expunged", "before 30d takes the old one")
is_(sorted(inst.uidlist_records(user="dora")), [2, 5], "UID 1 is gone")
c.cmd(". LOGOUT")
c.close()

# Every folder: a folder without a uid list gets one.
r = cmd("mailbox", "resync", "dora@mired.org")
is_(r.returncode, 0, "mailbox resync USER (every folder)")
like(r.stdout, "INBOX: 2 messages: 2 kept their UIDs", "INBOX")
like(r.stdout, "Sent: 0 messages", "and the folders")
r = cmd("mailbox", "resync", "dora@mired.org", "../etc")
ok(r.returncode != 0, "a folder name cannot leave the Maildir")
r = cmd("mailbox", "resync", "nadie@mired.org")
ok(r.returncode == 1 and "no user" in r.stderr, "an unknown user")

# del keeps the mail; --remove-mail removes it.
inst.deliver_wait("para ana", "hola\r\n")
r = cmd("user", "del", "ana@mired.org")
ok(r.returncode == 0 and os.path.isdir(inst.maildir("ana")),
   "user del keeps the Maildir")
r = cmd("user", "del", "--remove-mail", "dora@mired.org")
is_(r.returncode, 0, "user del --remove-mail")
ok(not os.path.exists(os.path.dirname(inst.maildir("dora"))),
   "removes the Maildir and the empty home")
ok("dora@" not in cmd("user", "list").stdout, "the user is gone")
done()
