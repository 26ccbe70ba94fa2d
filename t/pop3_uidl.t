#!/usr/bin/env python3
# pop3: the UIDL of a message never changes.  A Maildir with mail that
# local delivered, files dropped in by hand (new/ and cur/, with and
# without ",S=" / ",W=" fields and ":2," flags), names that take the hash
# fallback (a blank and 8-bit octets, more than 70 octets): the UIDLs that
# POP3 gives are computed here from the file names alone, by RFC 1939's
# rules as cartero has always applied them (the name before ":2," less its
# ",X=" fields; an FNV-1a hash when that is not 1-70 printable octets),
# and must stay the same across sessions, after RETR moved mail to cur/,
# after IMAP looked at the folder and changed flags.
# A message has one identity: the UIDL of the message that IMAP knows by
# a UID is made from the base name the folder's uid list holds for that
# UID; DELE in POP3 is an expunge in IMAP; RETR marks \Seen at QUIT and
# only then; a message expunged in IMAP during a POP3 session gets -ERR at
# RETR and nothing else is lost.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import imaplib
import poplib
import re


def fnv(data, h):
    for c in data:
        h ^= c
        h = (h * 0x100000001b3) & 0xffffffffffffffff
    return h


def uidl_of(name):
    """The UIDL of a Maildir file name (bytes), as RFC 1939 allows it."""
    colon = name.find(b":")
    base = name[:colon] if colon >= 0 else name
    n = len(base)
    while True:
        comma = base.rfind(b",", 0, n)
        if comma <= 0 or comma + 2 >= n or not 0x41 <= base[comma + 1] <= 0x5a \
                or base[comma + 2] != ord("="):
            break
        n = comma
    s = base[:n]
    if 0 < n <= 70 and all(0x21 <= c <= 0x7e for c in s):
        return s.decode()
    return "H%016x%016x" % (fnv(s, 0xcbf29ce484222325),
                            fnv(s, 0x84222325cbf29ce4))


def maildir_b():
    return os.fsencode(inst.maildir())


def names():
    """Every message file name (bytes) in new/ and cur/."""
    out = []
    for sub in (b"new", b"cur"):
        d = os.path.join(maildir_b(), sub)
        out += [n for n in os.listdir(d) if not n.startswith(b".")]
    return out


def expected():
    return sorted(uidl_of(n) for n in names())


def drop(sub, name, text):
    path = os.path.join(maildir_b(), sub, name)
    with open(path, "wb") as f:
        f.write(text)


def login():
    m = poplib.POP3("127.0.0.1", pop_port, timeout=10)
    m.user("ana")
    m.pass_("ana")
    return m


def uidls(m):
    """message number -> UIDL"""
    return {int(l.split()[0]): l.split()[1].decode() for l in m.uidl()[1]}


def session_uidls():
    m = login()
    u = uidls(m)
    m.quit()
    return u


def imap():
    c = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=10)
    c.login("ana", "ana")
    return c


def subject_of(m, i):
    for l in m.top(i, 0)[1]:
        if l.startswith(b"Subject: "):
            return l[9:].decode(errors="replace")
    return None


pop_port = free_port()
inst = Instance(master_extra="127.0.0.1:%d inet n - n - - pop3d\n" % pop_port)
wait_for(lambda: inst.listening(), 10)

# Mail from local: new/UNIQUE,S=<bytes>.
inst.deliver_wait("local uno", "primero\r\n")
inst.deliver_wait("local dos", "segundo\r\n")
ok(inst.wait_mail(2), "two messages delivered by local")

# Files dropped in by hand, as other programs and people leave them.
msg = b"Subject: %s\n\nhand\n"
drop(b"new", b"1700000001.M1P1Q1.hand", msg % b"hand new")
drop(b"cur", b"1700000002.M2P2Q2.hand,S=30,W=32:2,FS", msg % b"hand cur")
drop(b"new", b"1700000003.M3P3Q3.odd name \xe9\xf1", msg % b"odd new")
drop(b"cur", b"1700000004.M4P4Q4." + b"long" * 20 + b",S=9:2,S",
     msg % b"long cur")
drop(b"cur", b"1700000005.M5P5Q5.sp ace,S=12:2,RS", msg % b"odd cur")
drop(b"new", b"1700000006.M6P6Q6.hand:2,S", msg % b"info new")
drop(b"new", b"1700000007.M7P7Q7.h,x=1,Y=2", msg % b"lower field")
drop(b"cur", b"1700000008.M8P8Q8.nofinal-lf:2,", b"Subject: nolf\n\nno lf")

want = expected()
is_(len(want), 10, "ten messages in the Maildir")
ok(len(set(want)) == 10, "... with ten different UIDLs")
ok(sum(1 for u in want if re.match(r"^H[0-9a-f]{32}$", u)) == 3,
   "three names take the hash fallback")

u1 = session_uidls()
is_(sorted(u1.values()), want, "UIDLs computed from the file names")

# RETR moves messages of new/ to cur/ with :2,S at QUIT.
m = login()
subjects = {}
for i in u1:
    subjects[subject_of(m, i)] = u1[i]
for s in ("local uno", "odd new", "hand new", "hand cur"):
    n = [i for i in u1 if u1[i] == subjects[s]][0]
    m.retr(n)
m.quit()
u2 = session_uidls()
is_(sorted(u2.values()), want, "UIDLs unchanged after RETR and QUIT")

# IMAP looks at the folder (new/ into cur/, UIDs) and changes flags.
c = imap()
typ, data = c.select()
is_(typ, "OK", "IMAP SELECT")
is_(int(data[0]), 10, "IMAP sees the ten messages (odd names too)")
c.store("1:*", "+FLAGS", "(\\Flagged)")
c.store("2", "-FLAGS", "(\\Flagged)")
c.logout()
u3 = session_uidls()
is_(sorted(u3.values()), want, "UIDLs unchanged after IMAP moved and "
    "flagged the messages")

# One identity: the UIDL of each IMAP UID is its uid list base's UIDL.
c = imap()
c.select()
typ, data = c.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
by_subject = {}
for item in data:
    if isinstance(item, tuple):
        uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
        subj = item[1].decode(errors="replace").split(":", 1)[1].strip()
        by_subject[subj] = uid
recs = inst.uidlist_records()
is_(len(by_subject), 10, "IMAP gives a UID to every message")
bad = [s for s in by_subject if s in subjects and
       uidl_of(os.fsencode(recs[by_subject[s]])) != subjects[s]]
is_(bad, [], "each IMAP UID's base gives the message's POP3 UIDL")

# RETR marks \Seen (at QUIT), DELE expunges: IMAP sees both.
m = login()
u = uidls(m)
num = {subject_of(m, i): i for i in u}
m.retr(num["local dos"])
m.dele(num["lower field"])
c.noop()
typ, data = c.uid("FETCH", str(by_subject["local dos"]), "(FLAGS)")
ok(b"\\Seen" not in data[0], "no \\Seen before the POP3 QUIT")
m.quit()
typ, data = c.noop()
typ, data = c.uid("FETCH", str(by_subject["local dos"]), "(FLAGS)")
ok(b"\\Seen" in data[0], "RETR in POP3: \\Seen in IMAP after QUIT")
typ, data = c.uid("FETCH", str(by_subject["lower field"]), "(FLAGS)")
ok(data == [None] or not data[0], "DELE in POP3: the UID is gone in IMAP")
typ, data = c.select()
is_(int(data[0]), 9, "IMAP counts nine messages")
want9 = sorted(u for u in want if u != subjects["lower field"])
is_(sorted(session_uidls().values()), want9, "POP3 lists the same nine")

# A message expunged in IMAP during a POP3 session.
m = login()
u = uidls(m)
num = {subject_of(m, i): i for i in u}
victim = by_subject["hand new"]
c.uid("STORE", str(victim), "+FLAGS.SILENT", "(\\Deleted)")
c.expunge()
got = []
for i in sorted(u):
    try:
        m.retr(i)
        got.append(i)
    except poplib.error_proto as e:
        like(str(e), "Message was removed", "RETR of the message IMAP "
             "expunged: -ERR")
is_(len(got), 8, "every other message is still retrieved")
is_(len(uidls(m)), 9, "the POP3 list stays as it was at login")
like(m.quit().decode(), "+OK", "QUIT after that")
want8 = sorted(x for x in want9 if x != subjects["hand new"])
is_(sorted(session_uidls().values()), want8, "eight messages, UIDLs kept")
typ, data = c.select()
is_(int(data[0]), 8, "IMAP counts eight as well")

# Mail that POP3 sees first: its UID is given in new/, where it stays
# (unless retrieved), and IMAP later knows it by that UID.
inst.deliver_wait("after uno", "x\r\n")
inst.deliver_wait("after dos", "y\r\n")
m = login()
u = uidls(m)
num = {subject_of(m, i): i for i in u}
m.retr(num["after dos"])
m.quit()
newdir = os.path.join(maildir_b(), b"new")
left = [n for n in os.listdir(newdir)]
is_([uidl_of(n) for n in left], [u[num["after uno"]]],
    "the message POP3 did not retrieve stays in new/")
curdir = os.path.join(maildir_b(), b"cur")
ok([n for n in os.listdir(curdir) if uidl_of(n) == u[num["after dos"]] and
    n.endswith(b":2,S")], "the retrieved one is in cur/ with :2,S")
recs = inst.uidlist_records()
given = {uidl_of(os.fsencode(b)): uid for uid, b in recs.items()}
ok(u[num["after uno"]] in given and u[num["after dos"]] in given,
   "POP3 gave both messages UIDs in the uid list")
typ, data = c.select()
is_(int(data[0]), 10, "IMAP sees ten messages")
typ, data = c.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
imap_uid = {}
for item in data:
    if isinstance(item, tuple):
        subj = item[1].decode(errors="replace").split(":", 1)[1].strip()
        imap_uid[subj] = (int(re.search(rb"UID (\d+)", item[0]).group(1)),
                          b"\\Seen" in item[0])
is_(imap_uid.get("after uno"), (given.get(u[num["after uno"]]), False),
    "IMAP knows the unretrieved one by POP3's UID, unseen")
is_(imap_uid.get("after dos"), (given.get(u[num["after dos"]]), True),
    "... and the retrieved one by POP3's UID, seen")
is_(sorted(session_uidls().values()), sorted(want8 + [u[num["after uno"]],
    u[num["after dos"]]]), "POP3's UIDLs after IMAP moved new/ to cur/")
c.logout()
inst.cleanup()
done()
