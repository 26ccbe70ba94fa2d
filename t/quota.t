#!/usr/bin/env python3
# Maildir++ quota: the maildirsize file that local, imap, pop3 and
# "cartero mailbox quota" keep.  A virtual user with its own limit
# (quota= in the passwd file's extra field) fills up: warnings at 50% and
# 90%, then 5.2.2 mailbox full; an IMAP EXPUNGE, a COPY and a POP3 DELE
# change the usage; a file removed behind the servers' backs is found by
# "cartero mailbox quota recalc"; a message-count limit from
# mailbox_quota_maps; many deliveries at once lose no change line.
import glob, imaplib, os, poplib, re, smtplib, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

(pop_port,), extra = services("pop3d")
inst = Instance(main_cf={"mailbox_size_limit": "10m",
                         "quota_warning_percentages": "50, 90",
                         "mailbox_quota_maps": "texthash:$config_directory/quotas"},
                users=("ana", "bob", "carol"), master_extra=extra,
                start=False)
passwd = os.path.join(inst.etc, "passwd")
with open(passwd) as f:
    lines = f.read().splitlines()
with open(passwd, "w") as f:
    for l in lines:
        f.write(l + ("quota=50000" if l.startswith("carol@") else "") + "\n")
with open(os.path.join(inst.etc, "quotas"), "w") as f:
    f.write("bob@mired.org quota=1m quota_messages=3\n")
inst.start()


def files_usage(user):
    """What a recalculation counts: new/ and cur/ of every folder."""
    md = inst.maildir(user)
    dirs = [md] + [d for d in glob.glob(os.path.join(md, ".*"))
                   if os.path.isdir(d)]
    total = n = 0
    for d in dirs:
        for sub in ("new", "cur"):
            for p in glob.glob(os.path.join(d, sub, "*")):
                m = re.search(r",S=(\d+)", os.path.basename(p))
                total += int(m.group(1)) if m else os.path.getsize(p)
                n += 1
    return total, n


def mds(user):
    """(limits line, bytes, count) of the user's maildirsize."""
    with open(os.path.join(inst.maildir(user), "maildirsize")) as f:
        lines = f.read().splitlines()
    b = sum(int(l.split()[0]) for l in lines[1:])
    c = sum(int(l.split()[1]) for l in lines[1:])
    return lines[0], max(b, 0), max(c, 0)


def warnings(user="carol"):
    out = []
    for f in inst.mail_files(user):
        t = message_text(f)
        if "Subject: Your mailbox is " in t:
            out.append(t.split("Subject: Your mailbox is ")[1].split()[0])
    return sorted(out)


def send(user, body, subject="x"):
    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
    c.sendmail("ana@mired.org", ["%s@mired.org" % user],
               "Subject: %s\r\n\r\n%s" % (subject, body))
    c.quit()


line = "y" * 98 + "\r\n"
body = line * 100                       # about 10000 bytes

# --- Filling up: the per-user limit, warnings, then 5.2.2. ---
inst.deliver_wait("m0", body, user="carol")
lim, b, c = mds("carol")
is_(lim, "50000S,0C", "the first delivery makes maildirsize with carol's "
    "own limit (quota=50000)")
is_((b, c), files_usage("carol"), "  and the usage of her Maildir")
for i in (1, 2):
    inst.deliver_wait("m%d" % i, body, user="carol")
ok(wait_for(lambda: warnings() == ["50%"], 10), "crossing 50%: a warning")
inst.deliver_wait("m3", body, user="carol")
is_(warnings(), ["50%"], "no second warning below 90%")
inst.deliver_wait("m4", line * 50, user="carol")
ok(wait_for(lambda: warnings() == ["50%", "90%"], 10),
   "crossing 90%: a second warning")
is_(mds("carol")[1:], files_usage("carol"),
    "maildirsize counts the messages and the warnings")
n = len(inst.mail_files("carol"))
send("carol", body, "over")
ok(wait_for(lambda: "mailbox full: " in inst.read_log(), 20),
   "over carol's quota: returned, mailbox full")
like(inst.read_log(), "5.2.2", "  with 5.2.2")
is_(len(inst.mail_files("carol")), n, "  nothing delivered")

r = inst.cmd("cartero", "mailbox", "quota", "get", "carol@mired.org")
used = mds("carol")[1]
ok(r.returncode == 0 and re.search(r"carol@mired.org\s+STORAGE\s+%d\s+50000"
                                   % used, r.stdout),
   "quota get: STORAGE used and carol's limit")
like(r.stdout, "MESSAGE", "  and MESSAGE (no limit)")
r = inst.cmd("cartero", "user", "show", "carol@mired.org")
like(r.stdout, "quota:      %d of 50000 bytes used" % used,
     "user show: the usage from maildirsize, carol's limit")

# --- IMAP: GETQUOTAROOT, APPEND over quota, EXPUNGE, COPY. ---
m = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=10)
m.login("carol", "carol")
typ, data = m.getquotaroot("INBOX")
like(str(data), "STORAGE %d 48" % ((used + 1023) // 1024),
     "GETQUOTAROOT: KiB used of carol's 48")
typ, data = m.append("INBOX", None, None,
                     ("Subject: big\r\n\r\n" + body).encode())
ok(typ == "NO" and "OVERQUOTA" in str(data), "APPEND over quota: "
   "NO [OVERQUOTA]")
m.select("INBOX")
m.store("1", "+FLAGS", "\\Deleted")
m.expunge()
b = mds("carol")[1]
ok(b < used, "EXPUNGE lowers the usage")
is_(mds("carol")[1:], files_usage("carol"), "  to what the files hold")
m.copy("1", "Trash")
is_(mds("carol")[1:], files_usage("carol"), "COPY to Trash counts the copy")
ok(mds("carol")[1] > b, "  more is used")
m.create("Old")
m.copy("1:2", "Old")
m.delete("Old")
is_(mds("carol")[1:], files_usage("carol"),
    "a folder deleted with its messages is taken off")
m.logout()

# --- POP3: DELE at QUIT. ---
before = mds("carol")[1]
p = poplib.POP3("127.0.0.1", pop_port, timeout=10)
p.user("carol")
p.pass_("carol")
p.dele(1)
p.quit()
ok(mds("carol")[1] < before, "POP3 DELE lowers the usage at QUIT")
is_(mds("carol")[1:], files_usage("carol"), "  to what the files hold")

# --- Removed behind the servers' backs: recalc. ---
victim = inst.mail_files("carol")[0]
os.remove(victim)
ok(mds("carol")[1:] != files_usage("carol"),
   "a file removed by hand: maildirsize does not know")
r = inst.cmd("cartero", "mailbox", "quota", "recalc", "carol@mired.org")
t, k = files_usage("carol")
is_(r.stdout.strip(), "carol@mired.org: %d bytes in %d messages" % (t, k),
    "quota recalc: counts the files")
is_(mds("carol"), ("50000S,0C", t, k), "  and rewrites maildirsize")
with open(os.path.join(inst.maildir("carol"), "maildirsize")) as f:
    is_(len(f.read().splitlines()), 2, "  as the limits and one line")
inst.deliver_wait("fits", line * 10, user="carol")
is_(mds("carol")[1:], files_usage("carol"), "there is room again: delivered")
r = inst.cmd("cartero", "mailbox", "quota", "recalc", "--all")
ok(r.returncode == 0 and "ana@mired.org: " in r.stdout and
   "bob@mired.org: " in r.stdout, "recalc --all: every user")

# --- A message-count limit from mailbox_quota_maps. ---
for i in range(3):
    inst.deliver_wait("b%d" % i, "hola\r\n", user="bob")
lim, b, c = mds("bob")
is_((lim, c), ("1048576S,3C", 3), "bob: the table's limits, 3 messages")
send("bob", "hola\r\n", "fourth")
ok(wait_for(lambda: "mailbox full: 3 of 3 messages" in inst.read_log(), 20),
   "a fourth message: mailbox full (messages)")
is_(len(inst.mail_files("bob")), 3, "  not delivered")

# --- Many deliveries at once lose no line. ---
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
for i in range(12):
    c.sendmail("bob@mired.org", ["ana@mired.org"],
               "Subject: burst %d\r\n\r\n%s" % (i, line * (i + 1)))
c.quit()
ok(wait_for(lambda: len(inst.mail_files("ana")) >= 12, 30),
   "twelve messages to ana delivered")
ok(wait_for(lambda: mds("ana")[1:] == files_usage("ana"), 10),
   "  and maildirsize adds up to her files")
is_(mds("ana")[0], "10485760S,0C", "ana has the default limit")
done()
