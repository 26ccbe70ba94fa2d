#!/usr/bin/env python3
# Root only: delivery to system users (shell /bin/false) as the users
# themselves: the Maildir and its folders belong to them, mode 0700; the
# network-facing smtpd does not run as root.
import os, sys, pwd, smtplib, subprocess
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

if not is_root():
    skip_all("needs root (creates system users)")
users = ["ctest%d" % os.getpid(), "ctest%db" % os.getpid()]
homes = {}

def cleanup_users():
    for u in users:
        subprocess.run(["userdel", "-r", u], capture_output=True)
import atexit
atexit.register(cleanup_users)
for u in users:
    r = subprocess.run(["useradd", "-m", "-s", "/bin/false", u],
                       capture_output=True, text=True)
    if r.returncode != 0:
        skip_all("useradd failed: %s" % r.stderr)
    homes[u] = pwd.getpwnam(u).pw_dir

inst = Instance(users=())
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
for u in users:
    refused = c.sendmail("bob@mired.org", ["%s@mired.org" % u],
                         "Subject: hola %s\r\n\r\nx\r\n" % u)
    is_(refused, {}, "mail to the system user %s is accepted" % u)
def smtpd_uids():
    uids = set()
    for p in inst.pids("smtpd"):
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("Uid:"):
                        uids.add(int(line.split()[1]))
        except OSError:
            pass
    return uids
# A child master has just forked is root until it has read its
# configuration and dropped privileges: give it that moment.
uids = wait_for(lambda: (lambda u: u if u and 0 not in u else None)(smtpd_uids()), 10)
c.quit()
ok(uids, "smtpd does not run as root (uids %s)" % sorted(smtpd_uids()))
for u in users:
    md = os.path.join(homes[u], "Maildir")
    ok(wait_for(lambda: os.path.isdir(os.path.join(md, "new")) and
                os.listdir(os.path.join(md, "new")), 20),
       "%s's message is in ~%s/Maildir/new" % (u, u))
    pw = pwd.getpwnam(u)
    st = os.stat(md)
    is_((st.st_uid, st.st_gid), (pw.pw_uid, pw.pw_gid), "the Maildir belongs to %s" % u)
    is_(st.st_mode & 0o777, 0o700, "and is mode 0700")
    files = os.listdir(os.path.join(md, "new"))
    fst = os.stat(os.path.join(md, "new", files[0])) if files else None
    ok(fst and fst.st_uid == pw.pw_uid, "the message file belongs to %s" % u)
    for folder in (".Drafts", ".Sent", ".Trash", ".Junk", ".Templates"):
        fs = os.stat(os.path.join(md, folder))
        ok(fs.st_uid == pw.pw_uid and fs.st_mode & 0o777 == 0o700,
           "%s of %s: owned by the user, mode 0700" % (folder, u))
done()
