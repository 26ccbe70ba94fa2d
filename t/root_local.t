#!/usr/bin/env python3
# Root only (issue 9, items 7 and 8):
#  - local, which runs as root, trusts no file it finds in active/: a hard
#    link, a file of another owner, a symbolic link, a FIFO there are
#    refused (the mail deferred, the log says why), never delivered from;
#  - system users outside [first_valid_uid, last_valid_uid] (bin, daemon,
#    nobody) are unknown recipients, a real user (uid >= 1000) is not, and
#    root's mail goes by its alias; no mailbox is written as uid 0.
import os, sys, pwd, smtplib, socket, subprocess
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from cartero_test import _user_exists

if not is_root():
    skip_all("needs root (local runs as root; creates a system user)")
if not (_user_exists("cartero") and _user_exists("vmail")):
    skip_all("needs the users cartero and vmail (./quickstart test makes them)")

user = "clocal%d" % os.getpid()
r = subprocess.run(["useradd", "-m", "-s", "/bin/false", user],
                   capture_output=True, text=True)
if r.returncode != 0:
    skip_all("useradd failed: %s" % r.stderr.strip())
import atexit
atexit.register(lambda: subprocess.run(["userdel", "-r", user],
                                       capture_output=True))
home = pwd.getpwnam(user).pw_dir

inst = Instance(start=False)
with open(os.path.join(inst.etc, "passwd"), "a") as f:
    f.write("zero@mired.org:x:0:0::%s/zero:\n" % inst.dir)
inst.start()
owner = pwd.getpwnam("cartero")
active = os.path.join(inst.spool, "active")


def local_call(qid, rcpt, size):
    """One delivery request straight to private/local; the reply."""
    return attr_dict(ipc_call(os.path.join(inst.spool, "private", "local"),
                          "queue_id=%s\noffset=0\nsize=%d\n"
                          "sender=bob@mired.org\nrecipient=%s\n\n"
                          % (qid, size, rcpt)))


def plant(qid, text, uid=owner.pw_uid):
    path = os.path.join(active, qid)
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, uid, owner.pw_gid)
    os.chmod(path, 0o600)
    return path


def body(tag):
    return "Subject: %s\n\n%s\n" % (tag, tag)


def delivered(tag):
    return [m for m in inst.new_mail("ana") if tag in message_text(m)]


# qmgr takes what it finds in active/ when it starts: plant nothing
# before it has (one message through it says so).
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.sendmail("bob@mired.org", ["bob@mired.org"], "Subject: WarmUp\r\n\r\nx\r\n")
c.quit()
ok(inst.wait_mail(1, user="bob"), "qmgr is up (a first message is delivered)")

# The control: a good file is delivered, so the refusals below mean it.
text = body("GoodFile")
plant("ZZgood1", text)
r = local_call("ZZgood1", "ana@mired.org", len(text))
is_(r.get("status"), "0", "a regular file of mail_owner's with one link is delivered")
ok(inst.wait_mail(1), "it is in ana's Maildir")

# A hard link: two names, one file.
text = body("HardLink")
plant("ZZlink1", text)
os.link(os.path.join(active, "ZZlink1"), os.path.join(active, "ZZlink2"))
r = local_call("ZZlink2", "ana@mired.org", len(text))
is_((r.get("status"), r.get("dsn")), ("4", "4.3.0"), "a hard-linked queue file is deferred")
like(r.get("reason"), "more than one link", "the reason says why")

# A file of another owner (root).
text = body("RootOwned")
plant("ZZroot1", text, uid=0)
r = local_call("ZZroot1", "ana@mired.org", len(text))
is_(r.get("status"), "4", "a queue file not owned by mail_owner is deferred")
like(r.get("reason"), "not owned by mail_owner", "the reason says why")

# A symbolic link to a good file elsewhere.
text = body("SymLink")
target = os.path.join(inst.dir, "elsewhere")
with open(target, "w") as f:
    f.write(text)
os.chown(target, owner.pw_uid, owner.pw_gid)
os.symlink(target, os.path.join(active, "ZZsym1"))
r = local_call("ZZsym1", "ana@mired.org", len(text))
is_(r.get("status"), "4", "a symbolic link in active/ is deferred")
like(r.get("reason"), "symbolic link", "the reason says why")

# A FIFO: refused at once, no hang.
os.mkfifo(os.path.join(active, "ZZfifo1"))
os.chown(os.path.join(active, "ZZfifo1"), owner.pw_uid, owner.pw_gid)
r = local_call("ZZfifo1", "ana@mired.org", 10)
is_(r.get("status"), "4", "a FIFO in active/ is deferred")
like(r.get("reason"), "not a regular file", "the reason says why")

is_([t for t in ("HardLink", "RootOwned", "SymLink") if delivered(t)], [],
    "nothing was delivered from the untrusted files")
log = inst.read_log()
like(log, "is untrusted (more than one link); not delivered from",
     "the log says why for a hard link")
like(log, "is untrusted (not owned by mail_owner)", "and for another owner")

# Item 8: system users outside [first_valid_uid, last_valid_uid].
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.ehlo("client.example")
c.mail("bob@mired.org")
for sysuser in ("bin", "daemon", "nobody"):
    if not _user_exists(sysuser):
        ok(True, "# SKIP no user %s here" % sysuser)
        ok(True, "# SKIP")
        continue
    code, msg = c.rcpt("%s@mired.org" % sysuser)
    is_(code, 550, "%s (uid %d) is an unknown recipient" %
        (sysuser, pwd.getpwnam(sysuser).pw_uid))
    like(msg.decode(), "5.1.1", "with 5.1.1")
reply_is(c.rcpt("%s@mired.org" % user), 250,
         "a real user (uid %d) is accepted" % pwd.getpwnam(user).pw_uid)
reply_is(c.rcpt("root@mired.org"), 250, "root is accepted: it has an alias")
reply_is(c.rcpt("zero@mired.org"), 250,
         "a virtual user with uid 0 is accepted at RCPT")
c.data("Subject: UidRange\r\n\r\nUidRange\r\n")
c.quit()
md = os.path.join(home, "Maildir", "new")
ok(wait_for(lambda: os.path.isdir(md) and os.listdir(md), 20),
   "the real user's mail is delivered")
ok(wait_for(lambda: len(delivered("UidRange")) >= 1, 20),
   "root's mail reaches its alias target (ana)")
ok(not os.path.exists(os.path.join(inst.dir, "zero")),
   "no mailbox is written as uid 0")
ok(wait_for(lambda: any("written as root" in message_text(m)
                        for m in inst.new_mail("bob")), 30),
   "the uid-0 recipient bounces to the sender, saying why")
if not any("written as root" in message_text(m) for m in inst.new_mail("bob")):
    diag(inst.read_log())


# Logins follow the same range: the real user logs in (PAM) until
# first_valid_uid is above its uid.
def auth_login(i, name, password):
    return attr_dict(ipc_call(os.path.join(i.spool, "private", "auth"),
                          "request=login\nservice=pop3\nmech=PLAIN\n"
                          "user=%s\npassword=%s\nrip=127.0.0.1\n"
                          "secured=1\n\n" % (name, password)))


r = subprocess.run(["chpasswd"], input="%s:Uid-Range-7\n" % user,
                   capture_output=True, text=True)
pam_file = "/etc/pam.d/cartero"
if not os.path.exists(pam_file):
    import shutil
    shutil.copy(os.path.join(SRC, "etc", "pam.d", "cartero"), pam_file)
    atexit.register(lambda: os.unlink(pam_file))
if r.returncode != 0:
    ok(True, "# SKIP no PAM login here (%s)" % r.stderr.strip())
    ok(True, "# SKIP")
else:
    is_(auth_login(inst, user, "Uid-Range-7").get("status"), "ok",
        "the real user logs in")
    inst.stop()
    uid = pwd.getpwnam(user).pw_uid
    inst3 = Instance(main_cf={"first_valid_uid": str(uid + 1)})
    is_(auth_login(inst3, user, "Uid-Range-7").get("status"), "fail",
        "but not once first_valid_uid is above its uid (%d)" % uid)
done()
