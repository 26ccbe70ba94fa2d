#!/usr/bin/env python3
# Root only: cartero user for system users.  add makes a user of group
# mail_users with shell nologin, a home no one else reads and a Maildir
# with its folders, all the user's, mode 0700; the user logs in by POP3 and
# IMAP and gets mail (its quota from mailbox_quota_maps, kept in the
# Maildir's maildirsize as the user); passwd changes the password (and
# refuses accounts that are not mail users, root first); list and show
# tell what there is;
# del keeps the home and mail unless --remove-mail.  The users made here
# are removed at the end, whatever happens.
import os, re, sys, pwd, grp, shutil, subprocess, atexit, poplib, smtplib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

need_root_users("creates system users")

GROUP = "mail_users"
users = ["cu%d" % os.getpid(), "cu%db" % os.getpid()]
homes = []
pam_file = "/etc/pam.d/cartero"
installed_pam = False
try:
    grp.getgrnam(GROUP)
    group_existed = True
except KeyError:
    group_existed = False


def cleanup():
    for u in users:
        subprocess.run(["userdel", "-r", u], capture_output=True)
    for h in homes:
        shutil.rmtree(h, ignore_errors=True)
    if not group_existed:
        subprocess.run(["groupdel", GROUP], capture_output=True)
    if installed_pam:
        os.unlink(pam_file)


atexit.register(cleanup)
if not os.path.exists(pam_file):
    shutil.copy(os.path.join(SRC, "etc", "pam.d", "cartero"), pam_file)
    installed_pam = True

pop_port = free_port()
user, user2 = users
inst = Instance(main_cf={"auth_failure_delay": "1s",
                         "mailbox_quota_maps": "texthash:$config_directory/quotas"},
                master_extra="127.0.0.1:%d inet n - n - - pop3d\n" % pop_port,
                start=False)
with open(os.path.join(inst.etc, "quotas"), "w") as f:
    f.write("%s 2m\n" % user)
inst.start()
password = "Contra-%d" % os.getpid()
pwfile = os.path.join(inst.dir, "pw")
with open(pwfile, "w") as f:
    f.write(password + "\n")
os.chmod(pwfile, 0o600)


def cmd(*args, input=None):
    return inst.cmd("cartero", *args, input=input)


def shadow_hash(name):
    with open("/etc/shadow") as f:
        for line in f:
            if line.split(":")[0] == name:
                return line.split(":")[1]
    return None


def pop_login(name, pw):
    m = poplib.POP3("127.0.0.1", pop_port, timeout=15)
    m.user(name)
    try:
        m.pass_(pw)
        n = m.stat()[0]
        m.quit()
        return n
    except poplib.error_proto:
        m.quit()
        return None


# add
r = cmd("user", "add", user, "--password-file", pwfile)
is_(r.returncode, 0, "user add NAME makes a system user")
if r.returncode != 0:
    diag(r.stderr)
pw = pwd.getpwnam(user)
homes.append(pw.pw_dir)
ok(pw.pw_shell.endswith("nologin"), "with shell nologin (%s)" % pw.pw_shell)
g = grp.getgrnam(GROUP)
ok(user in g.gr_mem, "in group %s" % GROUP)
h = shadow_hash(user)
ok(h is not None and h.startswith(("$y$", "$6$")) and password not in h,
   "the password is a crypt(3) hash in /etc/shadow")
st = os.stat(pw.pw_dir)
ok(st.st_uid == pw.pw_uid and st.st_mode & 0o077 == 0,
   "the home is the user's, mode %o: no one else reads it" % (st.st_mode & 0o777))
md = os.path.join(pw.pw_dir, "Maildir")
for d in ["", ".Drafts", ".Sent", ".Trash", ".Templates", ".Junk"]:
    for sub in ("", "cur", "new", "tmp"):
        p = os.path.join(md, d, sub)
        s = os.stat(p) if os.path.isdir(p) else None
        ok(s and s.st_uid == pw.pw_uid and s.st_gid == pw.pw_gid and
           s.st_mode & 0o777 == 0o700,
           "%s: the user's, mode 0700" % os.path.join("Maildir", d, sub))
ok(os.path.exists(os.path.join(md, ".Sent", "maildirfolder")),
   "a folder is marked as one (maildirfolder)")
r = cmd("user", "add", user, "--password-file", pwfile)
ok(r.returncode != 0 and "exists" in r.stderr, "adding a user twice is refused")
r = cmd("user", "add", "root", "--password-file", pwfile)
ok(r.returncode != 0 and "exists" in r.stderr, "root exists already")
r = cmd("user", "add", "Mal Nombre", "--password-file", pwfile)
ok(r.returncode != 0, "a name useradd would refuse is refused first")
r = cmd("user", "add", user2, input="")
ok(r.returncode != 0 and not subprocess.run(["id", user2],
   capture_output=True).returncode == 0, "no password, no user")

# list and show
r = cmd("user", "list")
lines = r.stdout.splitlines()
ok("%s system" % user in lines and "ana@mired.org virtual" in lines,
   "user list names system and virtual users, saying which")
r = cmd("user", "list", "--system")
ok("%s system" % user in r.stdout.splitlines() and "virtual" not in r.stdout,
   "list --system lists only system users")

# logins and mail
is_(pop_login(user, password), 0, "the new user logs in by POP3")
c = ImapRaw(inst.imap_port)
r = c.cmd(". LOGIN %s %s" % (user, password))
ok(r[-1].startswith(". OK"), "and by IMAP")
c.cmd(". LOGOUT")
c.close()
def send():
    """Mail to the new user: accepted?  (A chrooted smtpd learns a new
    system user within a second.)"""
    s = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
    try:
        return s.sendmail("bob@mired.org", ["%s@mired.org" % user],
                          "Subject: hola\r\n\r\nx\r\n") == {}
    except smtplib.SMTPRecipientsRefused:
        return False
    finally:
        s.quit()
ok(wait_for(send, 10, 0.5), "mail to the new user is accepted")
ok(wait_for(lambda: os.listdir(os.path.join(md, "new")), 20),
   "and delivered into its Maildir")
r = cmd("user", "show", user)
is_(r.returncode, 0, "user show")
like(r.stdout, "kind:       system (uid %d" % pw.pw_uid, "the kind")
like(r.stdout, "group %s" % GROUP, "the group")
like(r.stdout, "mailbox:    %s/Maildir/" % pw.pw_dir, "where the mail is")
like(r.stdout, "messages:   1\n", "the message count")
like(r.stdout, "last login: ", "the last login")
like(r.stdout, "imapd 127.0.0.1", "by IMAP from loopback")

like(r.stdout, "quota:      ", "the quota")
ok(re.search(r"quota:      \d+ of 2097152 bytes used", r.stdout),
   "  the user's own, from mailbox_quota_maps")
mds = os.path.join(md, "maildirsize")
ok(os.path.exists(mds) and os.stat(mds).st_uid == pw.pw_uid,
   "maildirsize is the user's")
r = cmd("mailbox", "quota", "recalc", user)
ok(r.returncode == 0 and re.search(r"^%s: \d+ bytes in 1 messages$" % user,
                                   r.stdout, re.M),
   "mailbox quota recalc of a system user")
ok(os.stat(mds).st_uid == pw.pw_uid, "  done as the user")
r = cmd("mailbox", "quota", "get", user)
ok(r.returncode == 0 and re.search(r"%s\s+STORAGE\s+\d+\s+2097152" % user,
                                   r.stdout), "mailbox quota get")

r = cmd("mailbox", "resync", user, "INBOX")
ok(r.returncode == 0 and "INBOX: 1 messages: 0 kept their UIDs, 1 new" in r.stdout,
   "mailbox resync of a system user's INBOX")
ul = os.path.join(md, "cartero-uidlist")
ok(os.path.exists(ul) and os.stat(ul).st_uid == pw.pw_uid,
   "done as the user: the UID list is the user's")

# passwd
r = cmd("user", "passwd", user, input="Otra-%s\n" % password)
is_(r.returncode, 0, "user passwd")
is_(pop_login(user, "Otra-" + password), 1, "the new password works")
is_(pop_login(user, password), None, "the old one does not")
root_hash = shadow_hash("root")
r = cmd("user", "passwd", "root", input="x\n")
ok(r.returncode != 0 and "not a mail user" in r.stderr,
   "passwd refuses an account that is not a mail user")
is_(shadow_hash("root"), root_hash, "root's password is untouched")
r = cmd("user", "del", "root")
ok(r.returncode != 0 and "not a mail user" in r.stderr, "so does del")

# del, with and without --remove-mail
held = ImapRaw(inst.imap_port)
held.login(user, "Otra-" + password)
r = cmd("user", "del", user)
is_(r.returncode, 0, "user del")
if r.returncode != 0:
    diag(r.stderr)
ok(re.search(r"ending \d+ process(es)? of %s" % user, r.stderr),
   "it ends the user's sessions")
ok(not any(l.startswith(". OK") for l in held.cmd(". NOOP")),
   "an open IMAP session is over")
held.close()
ok(subprocess.run(["id", user], capture_output=True).returncode != 0,
   "the user is gone")
ok(os.path.isdir(os.path.join(md, "cur")) and os.listdir(os.path.join(md, "cur")),
   "its home and mail are kept")
ok("%s system" % user not in cmd("user", "list").stdout, "and it is not listed")
r = cmd("user", "show", user)
ok(r.returncode != 0 and "no user" in r.stderr, "show: no such user")
r = cmd("user", "add", user2, "--password-file", pwfile)
is_(r.returncode, 0, "another user")
home2 = pwd.getpwnam(user2).pw_dir if r.returncode == 0 else "/nonexistent"
homes.append(home2)
ok(os.path.isdir(os.path.join(home2, "Maildir", ".Trash")), "with its Maildir")
r = cmd("user", "del", "--remove-mail", user2)
is_(r.returncode, 0, "user del --remove-mail")
ok(not os.path.exists(home2), "removes the home and the mail")
done()
