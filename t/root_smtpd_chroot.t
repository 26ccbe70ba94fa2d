#!/usr/bin/env python3
# Root only (issue 9, item 4): smtpd runs chrooted to the queue directory
# (master.cf chroot y) as mail_owner, and cannot read the password hashes:
# only auth reads the passwd file (0600 root); smtpd reads the hash-free
# user table master derives into $queue_directory/etc/users.  Mail still
# flows to a system user, a virtual user and an alias; a hand edit of the
# passwd file, a rebuilt alias database and a new system user reach the
# chrooted smtpd without a reload.
import os, sys, pwd, smtplib, stat, subprocess, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from cartero_test import _user_exists

if not is_root():
    skip_all("needs root (chroot, creates system users)")
if not (_user_exists("cartero") and _user_exists("vmail")):
    skip_all("needs the users cartero and vmail (./quickstart test makes them)")

users = ["cchr%d" % os.getpid(), "cchr%db" % os.getpid()]
import atexit
atexit.register(lambda: [subprocess.run(["userdel", "-r", u], capture_output=True)
                         for u in users])
r = subprocess.run(["useradd", "-m", "-s", "/bin/false", users[0]],
                   capture_output=True, text=True)
if r.returncode != 0:
    skip_all("useradd failed: %s" % r.stderr.strip())

port = free_port()
inst = Instance(port=port, master_cf=(
    "127.0.0.1:%d inet n - y - - smtpd\n" % port +
    "pickup unix n - n 60 1 pickup\n"
    "qmgr unix n - n 300 1 qmgr\n"
    "local unix - n n - - local\n"
    "auth unix - n n - 1 auth\n"))
passwd = os.path.join(inst.etc, "passwd")


def rcpt(addr):
    c = smplib_connect()
    c.mail("bob@mired.org")
    code, msg = c.rcpt(addr)
    c.quit()
    return code


def smplib_connect():
    c = smtplib.SMTP("127.0.0.1", port, timeout=10)
    c.ehlo("client.example")
    return c


def smtpd_pids():
    return inst.pids("smtpd")


# Mail flows: a system user, a virtual user, an alias (root -> ana).
c = smplib_connect()
refused = c.sendmail("bob@mired.org", ["%s@mired.org" % users[0],
                                       "ana@mired.org"],
                     "Subject: chroot\r\n\r\nJailed\r\n")
is_(refused, {}, "the chrooted smtpd accepts a system user and a virtual user")
refused = c.sendmail("bob@mired.org", ["root@mired.org"],
                     "Subject: chroot\r\n\r\nJailed\r\n")
is_(refused, {}, "and an alias")


def jail_view():
    """(roots, uids) of the smtpd processes"""
    roots, uids = set(), set()
    for p in smtpd_pids():
        try:
            roots.add(os.readlink("/proc/%d/root" % p))
            with open("/proc/%d/status" % p) as f:
                uids |= {int(l.split()[1]) for l in f if l.startswith("Uid:")}
        except OSError:
            pass
    return roots, uids


# A child master has just forked is root, outside, until it has read its
# configuration and gone in: give it that moment.
want = ({os.path.realpath(inst.spool)}, {pwd.getpwnam("cartero").pw_uid})
view = wait_for(lambda: jail_view() == want and want, 10) or jail_view()
is_(view[0], want[0], "smtpd's root is the queue directory")
is_(view[1], want[1], "smtpd runs as mail_owner (cartero)")
c.quit()
md = os.path.join(pwd.getpwnam(users[0]).pw_dir, "Maildir", "new")
ok(wait_for(lambda: os.path.isdir(md) and os.listdir(md), 20),
   "the system user's mail is delivered")
ok(wait_for(lambda: len([m for m in inst.new_mail("ana")
                         if "Jailed" in message_text(m)]) >= 2, 20),
   "ana's and root's (by the alias) are delivered")

# The secrets: only root reads the passwd file; the table has no hash.
st = os.stat(passwd)
is_((stat.S_IMODE(st.st_mode), st.st_uid), (0o600, 0), "the passwd file is 0600 root")
r = subprocess.run(["runuser", "-u", "cartero", "--", "cat", passwd],
                   capture_output=True, text=True)
ok(r.returncode != 0 and "$6$" not in r.stdout,
   "mail_owner (smtpd's uid) cannot read it (%s)" % r.stderr.strip())
table = os.path.join(inst.spool, "etc", "users")
text = open(table).read()
ok("ana@mired.org:x:" in text and "$6$" not in text,
   "the user table names the users without hashes")
tst = os.stat(table)
is_((stat.S_IMODE(tst.st_mode), tst.st_gid), (0o640, pwd.getpwnam("cartero").pw_gid),
    "the table is 0640, group of mail_owner")
r = subprocess.run(["runuser", "-u", "cartero", "--", "cat", table],
                   capture_output=True, text=True)
is_(r.returncode, 0, "mail_owner reads the table")
etcpw = open(os.path.join(inst.spool, "etc", "passwd")).read()
ok("%s:x:" % users[0] in etcpw, "the chroot's /etc/passwd holds the system users")

# A hand edit of the passwd file: a new virtual user within seconds.
is_(rcpt("dan@mired.org"), 550, "dan is unknown before")
with open(passwd, "a") as f:
    f.write("dan@mired.org:$6$x$y::::::\n")
t0 = time.time()
ok(wait_for(lambda: rcpt("dan@mired.org") == 250, 10, 0.2),
   "a hand-added virtual user is accepted at RCPT (after %.1fs; master "
   "looks once a second)" % (time.time() - t0))

# A rebuilt alias database: the chrooted smtpd leaves, a fresh one sees it.
is_(rcpt("team@mired.org"), 550, "no alias team yet")
with open(os.path.join(inst.etc, "aliases"), "a") as f:
    f.write("team: bob\n")
inst.run_ok("newaliases")
ok(wait_for(lambda: rcpt("team@mired.org") == 250, 10, 0.2),
   "after newaliases, the new alias is accepted")
like(inst.read_log(), "alias database changed: exiting after this session",
     "the old smtpd said why it left")

# A new system user, through the chroot's copy of /etc/passwd.
r = subprocess.run(["useradd", "-m", "-s", "/bin/false", users[1]],
                   capture_output=True, text=True)
if r.returncode == 0:
    ok(wait_for(lambda: rcpt("%s@mired.org" % users[1]) == 250, 10, 0.2),
       "a system user added now is accepted at RCPT")
else:
    ok(True, "# SKIP useradd failed: %s" % r.stderr.strip())
for u in ("bin", "nobody"):
    is_(rcpt("%s@mired.org" % u), 550, "%s is still no mail user in the chroot" % u)

# SMTP AUTH from inside the chroot (auth's socket is in private/).
c = smplib_connect()
try:
    c.login("ana", "ana")
    ok(True, "AUTH works from the chroot")
except smtplib.SMTPException as e:
    ok(False, "AUTH works from the chroot (%s)" % e)
c.quit()
like(inst.read_log(), "connect from localhost[127.0.0.1]",
     "the client's name is looked up inside (the chroot's /etc/hosts)")
done()
