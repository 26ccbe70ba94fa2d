#!/usr/bin/env python3
# Root only: POP3 login of a system user (shell /bin/false, password set
# with chpasswd) through PAM, and privilege separation seen from /proc:
# the process holding the mailbox runs as that user (uid and gid), the
# pre-login processes as the unprivileged mail_owner, chrooted to an empty
# directory; with STLS the login process that relays TLS stays
# unprivileged too.  A virtual user's mailbox process runs as
# virtual_mail_owner.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import atexit
import poplib
import pwd
import shutil
import smtplib
import ssl
import subprocess

need_root_users("creates a system user, checks uids")

user = "cpop%d" % os.getpid()
password = "Contra-%d" % os.getpid()
pam_file = "/etc/pam.d/cartero"
installed_pam = False


def cleanup():
    subprocess.run(["userdel", "-r", user], capture_output=True)
    if installed_pam:
        os.unlink(pam_file)


atexit.register(cleanup)
r = subprocess.run(["useradd", "-m", "-s", "/bin/false", user],
                   capture_output=True, text=True)
if r.returncode != 0:
    skip_all("useradd failed: %s" % r.stderr.strip())
r = subprocess.run(["chpasswd"], input="%s:%s\n" % (user, password),
                   capture_output=True, text=True)
if r.returncode != 0:
    skip_all("chpasswd failed: %s" % r.stderr.strip())
if not os.path.exists(pam_file):
    shutil.copy(os.path.join(SRC, "etc", "pam.d", "cartero"), pam_file)
    installed_pam = True
pw = pwd.getpwnam(user)
owner = pwd.getpwnam("cartero")
vmail = pwd.getpwnam("vmail")


def status_ids(pid, field):
    """The four ids (real, effective, saved, fs) of Uid: or Gid:."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return [int(x) for x in line.split()[1:5]]
    return []


def pop3d_procs():
    """(mailbox-side pids: pop3, login-side pids: pop3d) of this instance."""
    return inst.pids("pop3"), inst.pids("pop3d")


pop_port = free_port()
inst = Instance(master_extra="127.0.0.1:%d inet n - n - - pop3d\n" % pop_port)
wait_for(lambda: inst.listening(), 10)
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.sendmail("bob@mired.org", ["%s@mired.org" % user],
           "Subject: para el usuario del sistema\r\n\r\nhola\r\n")
c.sendmail("bob@mired.org", ["ana@mired.org"], "Subject: ana\r\n\r\nhola\r\n")
c.quit()
maildir = os.path.join(pw.pw_dir, "Maildir")
ok(wait_for(lambda: os.path.isdir(os.path.join(maildir, "new")) and
            os.listdir(os.path.join(maildir, "new")), 30),
   "mail delivered to the system user's ~/Maildir")
ok(inst.wait_mail(1), "mail delivered to the virtual user ana")

# A pre-login connection, left waiting at the greeting.
idle = poplib.POP3("127.0.0.1", pop_port, timeout=10)

m = poplib.POP3("127.0.0.1", pop_port, timeout=10)
m.user(user)
like(m.pass_(password).decode(), "+OK Logged in.",
     "PAM login of a system user with shell /bin/false")
is_(m.stat()[0], 1, "the session sees the user's message")
resp, lines, octets = m.retr(1)
ok(b"Subject: para el usuario del sistema" in lines, "RETR")

mbox, login = pop3d_procs()
is_(len(mbox), 1, "one mailbox-side process")
if mbox:
    is_(status_ids(mbox[0], "Uid"), [pw.pw_uid] * 4,
        "the mailbox process runs as the user (uid %d)" % pw.pw_uid)
    is_(status_ids(mbox[0], "Gid"), [pw.pw_gid] * 4,
        "... with the user's gid")
ok(len(login) >= 1, "login-side processes are running")
for pid in login:
    is_(status_ids(pid, "Uid"), [owner.pw_uid] * 4,
        "pre-login process %d runs as cartero" % pid)
    is_(os.readlink("/proc/%d/root" % pid),
        os.path.join(inst.spool, "empty"),
        "... chrooted to the empty directory")
m.quit()
idle.quit()

# Bad password: refused.
m = poplib.POP3("127.0.0.1", pop_port, timeout=10)
m.user(user)
try:
    m.pass_("not-" + password)
    ok(False, "a wrong password is refused")
except poplib.error_proto as e:
    like(str(e), "[AUTH]", "a wrong password is refused")
m.quit()

# STLS: the login process relays TLS, unprivileged; the mailbox side is ana
# (virtual: virtual_mail_owner).
m = poplib.POP3("127.0.0.1", pop_port, timeout=10)
m.stls(client_ctx())
m.user("ana@mired.org")
m.pass_("ana")
is_(m.stat()[0], 1, "STLS login of the virtual user ana")
wait_for(lambda: len(pop3d_procs()[0]) == 1, 5)   # the last one exits
mbox, login = pop3d_procs()
is_(len(mbox), 1, "one mailbox-side process")
if mbox:
    is_(status_ids(mbox[0], "Uid"), [vmail.pw_uid] * 4,
        "ana's mailbox process runs as vmail")
ok(login and all(status_ids(p, "Uid") == [owner.pw_uid] * 4 for p in login),
   "the TLS relay and other login processes run as cartero")
m.quit()

st = os.stat(os.path.join(maildir, "cur"))
is_((st.st_uid, st.st_gid), (pw.pw_uid, pw.pw_gid),
    "the system user's Maildir belongs to the user")
cur = os.listdir(os.path.join(maildir, "cur"))
ok(len(cur) == 1 and all(os.stat(os.path.join(maildir, "cur", f)).st_uid ==
                         pw.pw_uid for f in cur),
   "the retrieved message moved to cur/, still the user's")
done()
