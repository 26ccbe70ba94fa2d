#!/usr/bin/env python3
# Root only: the Debian package as an admin meets it, in a throwaway root.
#
# Builds cartero's .debs once (dpkg-buildpackage: the unit tests run at
# build time), checks them with lintian (no errors), then in new mount,
# network, PID and UTS namespaces makes an overlay of / (upper and work
# dirs on a tmpfs) with fresh /dev, /proc, /run and /tmp, and chroots into
# it, so that the host's packages (postfix and dovecot, the benchmark
# peers), users, ports and processes are untouched.  There it installs the
# package with preseeded answers (Internet Site, mired.org), checks
# carteroconf -n, the unit (systemd-analyze verify), adds ana and bob,
# starts cartero with "cartero start" (no systemd here), sends ana's mail
# to bob on 25 and on 587 with AUTH, reads it by POP3 on 110 and IMAP on
# 143 as the seed's client settings say, finds the delivery in
# /var/log/mail.log written by rsyslogd, runs the seed's postconf and
# postmap lines, installs the package again over itself (an upgrade keeps
# main.cf) and then a later version of it while mail waits in the queue
# (the mail arrives, IMAP UIDs and UIDVALIDITY stay), reconfigures with new preseeded answers (an admin's lines stay;
# smarthost, local only, back to Internet Site), checks the ports with ss,
# restarts by the init script, removes (mail and configuration stay),
# purges, and looks for anything left: processes, users, files outside
# /home.  CARTERO_PKG_DEBS=DIR takes the .debs of an earlier build from DIR
# instead of building (for work on this test).
import os, re, sys, shutil, subprocess, tempfile, time, glob, stat
import email.utils, smtplib, poplib, imaplib, ssl
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

PORTS = (25, 587, 465, 110, 995, 143, 993)
with open(os.path.join(SRC, "debian", "changelog")) as f:
    VERSION = re.match(r"cartero \(([^)]+)\)", f.readline()).group(1)
USERS = {"ana": "ana-S3cret", "bob": "bob-S3cret"}
TOOLS = ("dpkg-buildpackage", "dh", "lintian", "debconf-set-selections",
         "rsyslogd", "unshare", "ip", "ss", "chroot", "systemd-analyze")

if not is_root():
    skip_all("needs root (namespaces, an overlay of /, chroot)")
for t in TOOLS:
    if shutil.which(t) is None:
        skip_all("%s is missing (./quickstart test installs it)" % t)

if os.environ.get("CARTERO_PKG_INNER") != "1":
    # Everything below runs as PID 1 of new namespaces: when it exits, the
    # kernel ends every process started inside and every mount made.
    r = subprocess.run(["unshare", "--mount", "--net", "--uts", "true"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        skip_all("cannot make namespaces here: %s" % r.stderr.strip())
    os.environ["CARTERO_PKG_INNER"] = "1"
    sys.stdout.flush()
    os.execvp("unshare", ["unshare", "--mount", "--net", "--pid", "--uts",
                          "--fork", "--kill-child", "--mount-proc",
                          sys.executable, os.path.abspath(__file__)])

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
       "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
       "TERM": "dumb"}
build = tempfile.mkdtemp(prefix="cartero-pkg-build.")
mnt = tempfile.mkdtemp(prefix="cartero-pkg-root.")
root = os.path.join(mnt, "root")
upper = os.path.join(mnt, "upper")


def cleanup():
    # Never a recursive removal where something is mounted: mnt is
    # unmounted first and only its empty directory removed.
    subprocess.run(["umount", "-R", "-l", mnt], capture_output=True)
    try:
        os.rmdir(mnt)
    except OSError:
        pass
    shutil.rmtree(build, ignore_errors=True)
import atexit
atexit.register(cleanup)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def sh(cmd, input=None, timeout=600):
    """A shell command inside the throwaway root."""
    return subprocess.run(["chroot", root, "/bin/sh", "-c", cmd], env=ENV,
                          input=input, capture_output=True, text=True,
                          timeout=timeout)


def shows(r, name):
    """ok() on a command's exit status; its output on failure."""
    good = ok(r.returncode == 0, name)
    if not good:
        diag("exit %d\n%s%s" % (r.returncode, r.stdout[-3000:],
                                r.stderr[-3000:]))
    return good


def path(p):
    return os.path.join(root, p.lstrip("/"))


def reap():
    """We are PID 1: collect the daemons that ended (no subprocess of
    ours runs between the steps that call this)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def processes():
    """The processes of the namespace but us: pid, name, uid."""
    reap()
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/status" % d) as f:
                st = dict(l.split(":", 1) for l in f if ":" in l)
        except OSError:
            continue
        if st.get("State", "").strip().startswith("Z"):
            continue
        found.append((int(d), st["Name"].strip(),
                      int(st["Uid"].split()[0])))
    return found


def listening():
    r = run(["ss", "-tlnH"])
    ports = set()
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 4:
            ports.add(int(f[3].rsplit(":", 1)[1]))
    return ports


def preseed(lines):
    return sh("debconf-set-selections", input="".join(
        "cartero cartero/%s\n" % l for l in lines))


def main_cf():
    with open(path("/etc/cartero/main.cf")) as f:
        return f.read()


def names(file):
    with open(path(file)) as f:
        return {l.split(":", 1)[0] for l in f if ":" in l}


# 1. The throwaway root (first: without it there is nothing to test).
run(["hostname", "mail.mired.org"])
run(["ip", "link", "set", "lo", "up"])
r = run(["mount", "-t", "tmpfs", "-o", "size=2g,mode=0755", "tmpfs", mnt])
for d in ("upper", "work", "root"):
    os.mkdir(os.path.join(mnt, d))
r = run(["mount", "-t", "overlay", "overlay", "-o",
         "lowerdir=/,upperdir=%s,workdir=%s" % (upper,
         os.path.join(mnt, "work")), root])
if r.returncode != 0:
    diag("mount overlay: " + r.stderr)
    skip_all("overlayfs of / is not available here")
for fs, where, opts in (("tmpfs", "/dev", "mode=0755"),
                        ("proc", "/proc", None), ("tmpfs", "/run", "mode=0755"),
                        ("tmpfs", "/tmp", "mode=1777")):
    run(["mount", "-t", fs] + (["-o", opts] if opts else []) +
        [fs, path(where)])
for dev in ("null", "zero", "full", "random", "urandom", "tty"):
    open(path("/dev/" + dev), "w").close()
    run(["mount", "--bind", "/dev/" + dev, path("/dev/" + dev)])
for d in ("pts", "shm"):
    os.mkdir(path("/dev/" + d))
run(["mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=0620",
     "devpts", path("/dev/pts")])
os.symlink("pts/ptmx", path("/dev/ptmx"))
run(["mount", "--rbind", "/sys", path("/sys")])
run(["mount", "-o", "remount,bind,ro", path("/sys")])
os.makedirs(path("/run/lock"), exist_ok=True)

# A clean host as far as cartero goes, and no service started by
# maintainer scripts (cartero start does it below, as an admin would).
for u in ("ana", "bob", "cartero", "vmail"):
    sh("userdel %s" % u)
sh("groupdel mail_users; groupdel cartero; groupdel vmail")
sh("rm -rf /etc/cartero /var/spool/cartero /var/lib/cartero")
with open(path("/usr/sbin/policy-rc.d"), "w") as f:
    f.write("#!/bin/sh\nexit 101\n")
os.chmod(path("/usr/sbin/policy-rc.d"), 0o755)
lower_users, lower_groups = names("/etc/passwd"), names("/etc/group")
host_mailname = os.path.exists("/etc/mailname")

# 2. Build once, on a copy of the source (the worktree stays clean).
src = os.path.join(build, "cartero")
top_skip = {".git", "run", "autom4te.cache", "config.status", "config.log",
            "Makefile", "config.h", "stamp-h1"}
deb_skip = {"build", "tmp", "cartero", "cartero-postfix-compat",
            ".debhelper", "files"}
def ignore(d, entries):
    rel = os.path.relpath(d, SRC)
    if rel == ".":
        return [e for e in entries if e in top_skip or e.startswith("build")]
    if rel == "debian":
        return [e for e in entries if e in deb_skip]
    return [e for e in entries if e == "__pycache__"]
prebuilt = os.environ.get("CARTERO_PKG_DEBS")
if prebuilt:
    # While working on the test: the .debs and .changes of an earlier build.
    for f in glob.glob(os.path.join(prebuilt, "cartero*")):
        if os.path.isfile(f):
            shutil.copy(f, build)
    ok(True, "dpkg-buildpackage skipped: CARTERO_PKG_DEBS=" + prebuilt)
else:
    shutil.copytree(SRC, src, symlinks=True, ignore=ignore)
    t0 = time.time()
    env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=2")
    r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env)
    note("dpkg-buildpackage: %.0f s" % (time.time() - t0))
    if not shows(r, "dpkg-buildpackage -us -uc -b builds the packages "
                 "(unit tests included)"):
        done()
debs = sorted(d for d in glob.glob(os.path.join(build, "*.deb"))
              if "-dbgsym_" not in d)
# The same tree as a later version (its changelog says so), built on the
# first build's objects (-nc), for the upgrade of step 5.
newer = []
if not prebuilt:
    first = os.path.join(build, "first")
    os.mkdir(first)
    for f in glob.glob(os.path.join(build, "cartero*_*")):
        shutil.move(f, first)
    debs = [os.path.join(first, os.path.basename(d)) for d in debs]
    with open(os.path.join(src, "debian", "changelog")) as f:
        old_log = f.read()
    with open(os.path.join(src, "debian", "changelog"), "w") as f:
        f.write("cartero (%s+upgrade1) unstable; urgency=medium\n\n"
                "  * The same tree, a later version: the upgrade test.\n\n"
                " -- %s  %s\n\n" % (VERSION, re.search(
                    r"^ -- (.*?>)", old_log, re.M).group(1),
                    email.utils.formatdate()) + old_log)
    # -nc keeps the build; debian/files would still list the first one's.
    os.unlink(os.path.join(src, "debian", "files"))
    t0 = time.time()
    r = run(["dpkg-buildpackage", "-us", "-uc", "-b", "-nc"], cwd=src,
            env=env)
    note("dpkg-buildpackage of %s+upgrade1: %.0f s" % (VERSION,
                                                        time.time() - t0))
    shows(r, "a version-bumped build of the same tree, for the upgrade")
    newer = sorted(d for d in glob.glob(os.path.join(build, "*.deb"))
                   if "-dbgsym_" not in d)
is_(sorted(os.path.basename(d).split("_")[0] for d in debs),
    ["cartero", "cartero-postfix-compat"], "two packages: cartero and "
    "cartero-postfix-compat")
changes = glob.glob(os.path.join(build if prebuilt else first, "*.changes"))
r = run(["lintian", "--no-tag-display-limit"] + changes)
errors = [l for l in r.stdout.splitlines() if l.startswith("E:")]
ok(not errors, "lintian reports no errors")
for l in errors:
    diag(l)
for l in r.stdout.splitlines():
    if l.startswith("W:"):
        note("lintian " + l)

# 3. Install with the seed's answers.
os.mkdir(path("/tmp/debs"))
for d in debs:
    shutil.copy(d, path("/tmp/debs"))
shows(preseed(["main_mailer_type select Internet Site",
               "mailname string mired.org"]), "answers preseeded")
sh("echo 'man-db man-db/auto-update boolean false' | "
   "debconf-set-selections")
had_postfix = sh("dpkg-query -W -f='${Status}' postfix").stdout
os.makedirs(path("/home/dovecot-era/Maildir"))
open(path("/home/dovecot-era/Maildir/dovecot-uidlist"), "w").close()
r = sh("apt-get install -y /tmp/debs/cartero_*.deb "
       "/tmp/debs/cartero-postfix-compat_*.deb")
if not shows(r, "apt-get install ./cartero_*.deb installs both packages"):
    done()
like(r.stdout + r.stderr, "/home/dovecot-era/Maildir/dovecot-uidlist",
     "postinst warns of a Maildir that Dovecot served")
shutil.rmtree(path("/home/dovecot-era"))
if "ok installed" in had_postfix:
    ok("ok installed" not in sh("dpkg-query -W -f='${Status}' postfix").stdout,
       "apt removed postfix, as for any other MTA")
for f in ("/usr/sbin/sendmail", "/usr/bin/mailq", "/usr/bin/newaliases",
          "/usr/sbin/cartero", "/etc/init.d/cartero",
          "/etc/letsencrypt/renewal-hooks/deploy/cartero"):
    ok(os.access(path(f), os.X_OK, follow_symlinks=False) or
       os.path.islink(path(f)), "%s is installed" % f)
is_(os.path.realpath(path("/usr/sbin/postconf")), path("/usr/sbin/carteroconf"),
    "postconf is carteroconf (cartero-postfix-compat)")
r = sh("carteroconf -n")
shows(r, "carteroconf -n")
for want in ("mydomain = mired.org", "myorigin = $mydomain",
             "mydestination = $myhostname, $mydomain, localhost.$mydomain, "
             "localhost", "disable_plaintext_auth = yes",
             "inet_interfaces = all", "home_mailbox = Maildir/"):
    like(r.stdout, want, "main.cf from the answers: " + want)
with open(path("/etc/mailname")) as f:
    is_(f.read().strip(), "mired.org", "/etc/mailname is the mail name")
for u in ("cartero", "vmail"):
    ok(sh("getent passwd %s" % u).returncode == 0, "postinst made the user " + u)
ok(sh("getent group mail_users").returncode == 0,
   "postinst made the group mail_users")
is_(sh("stat -c '%U %a' /var/spool/cartero/incoming").stdout.strip(),
    "cartero 700", "the queue belongs to cartero, mode 0700")
is_(oct(os.stat(path("/var/spool/cartero/maildrop")).st_mode & 0o7777),
    "0o1733", "maildrop is 1733")
is_(oct(os.stat(path("/etc/cartero/key.pem")).st_mode & 0o777), "0o600",
    "a self-signed certificate was made, its key mode 0600")
like(sh("openssl x509 -noout -ext subjectAltName -in "
        "/etc/cartero/cert.pem").stdout, "mired.org",
     "the certificate names the mail name")
ok(os.path.exists(path("/etc/cartero/aliases.db")), "aliases.db was built")
units = glob.glob(path("/lib/systemd/system/cartero.service")) + \
    glob.glob(path("/usr/lib/systemd/system/cartero.service"))
ok(units, "the systemd unit is installed")
r = sh("systemd-analyze verify --man=no %s" % units[0][len(root):]
       if units else "false")
problems = [l for l in (r.stdout + r.stderr).splitlines()
            if "cartero" in l]
ok(r.returncode == 0 and not problems, "systemd-analyze verify accepts "
   "cartero.service")
for l in (r.stdout + r.stderr).splitlines():
    diag(l) if problems or r.returncode else note(l)

# 4. The seed's users, rsyslog, cartero start.
for u, pw in USERS.items():
    with open(path("/root/pw-" + u), "w") as f:
        f.write(pw + "\n")
    r = sh("cartero user add --password-file /root/pw-%s %s" % (u, u))
    shows(r, "cartero user add %s (a system user)" % u)
    os.unlink(path("/root/pw-" + u))
ok(sh("id -nG ana").stdout.split().count("mail_users") == 1,
   "ana is in mail_users")
shows(sh("rsyslogd"), "rsyslogd starts")
ok(wait_for(lambda: os.path.exists(path("/dev/log")), 10),
   "rsyslogd listens on /dev/log")
r = sh("cartero start")
if not shows(r, "cartero start"):
    diag(sh("tail -n 30 /var/log/mail.log").stdout)
    done()
ok(wait_for(lambda: set(PORTS) <= listening(), 10),
   "ss shows 25, 587, 465, 110, 995, 143 and 993 listening")
shows(sh("/etc/init.d/cartero status"), "the init script's status: running")
shows(sh("/etc/init.d/cartero reload"), "the init script reloads")

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def send(port, subject, name, login=None):
    """ana's mail to bob on port; with login, after STARTTLS and AUTH."""
    try:
        c = smtplib.SMTP("127.0.0.1", port, timeout=20)
        if login:
            c.starttls(context=ctx)
            c.login(login, USERS[login])
        is_(c.sendmail("ana@mired.org", ["bob@mired.org"],
                       "From: ana@mired.org\r\nTo: bob@mired.org\r\n"
                       "Subject: %s\r\n\r\nhola bob\r\n" % subject), {},
            name)
        c.quit()
    except (OSError, smtplib.SMTPException) as e:
        ok(False, "%s (%s)" % (name, e))
send(25, "por el 25", "port 25 takes ana's mail to bob")
send(587, "por el 587", "port 587 takes it after STARTTLS and AUTH as ana",
     login="ana")
newdir = path("/home/bob/Maildir/new")
ok(wait_for(lambda: os.path.isdir(newdir) and len(os.listdir(newdir)) >= 2,
            30), "both messages are in /home/bob/Maildir/new")
try:
    p = poplib.POP3("127.0.0.1", 110, timeout=20)
    p.user("bob")
    p.pass_(USERS["bob"])
    n = p.stat()[0]
    got = b"\n".join(b"\n".join(p.retr(i + 1)[1]) for i in range(n))
    p.quit()
    ok(n == 2 and b"por el 25" in got and b"por el 587" in got,
       "POP3 on 110, user bob, no TLS: both messages")
except (OSError, poplib.error_proto) as e:
    ok(False, "POP3 on 110, user bob, no TLS: both messages (%s)" % e)
try:
    m = imaplib.IMAP4("127.0.0.1", 143, timeout=20)
    m.login("bob", USERS["bob"])
    m.select("INBOX")
    typ, data = m.search(None, "ALL")
    nums = data[0].split()
    typ, data = m.fetch(b",".join(nums), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    got = b"".join(x[1] for x in data if isinstance(x, tuple))
    m.logout()
    ok(len(nums) == 2 and b"por el 25" in got and b"por el 587" in got,
       "IMAP on 143, user bob, no TLS: both messages")
except (OSError, imaplib.IMAP4.error) as e:
    ok(False, "IMAP on 143, user bob, no TLS: both messages (%s)" % e)

def logged():
    try:
        with open(path("/var/log/mail.log")) as f:
            return [l for l in f if "to=<bob@mired.org>" in l and
                    "status=sent" in l]
    except OSError:
        return []
ok(wait_for(lambda: len(logged()) >= 2, 15),
   "rsyslog wrote the deliveries to /var/log/mail.log")

# 5. The seed's postconf and postmap lines, an admin's edit.
for cmd in ("postconf -e 'home_mailbox = Maildir/'",
            "postconf -e 'relay_domains = listas.mired.org'",
            "postconf -e 'transport_maps = hash:/etc/cartero/transport'"):
    shows(sh(cmd), cmd)
with open(path("/etc/cartero/transport"), "w") as f:
    f.write("listas.mired.org\tmailman:\n")
shows(sh("postmap /etc/cartero/transport"), "postmap /etc/cartero/transport")
ok(os.path.exists(path("/etc/cartero/transport.db")), "transport.db is built")
with open(path("/etc/cartero/main.cf"), "a") as f:
    f.write("# mired.org's lab: kept by upgrades and dpkg-reconfigure\n"
            "smtpd_banner = $myhostname ESMTP lab\n")

# An upgrade (here the same version again, which takes its path:
# postinst configure with the old version) keeps every line.
before = main_cf()
shows(sh("dpkg -i /tmp/debs/cartero_*.deb"),
      "dpkg -i over the installed package (an upgrade's path)")
is_(main_cf(), before, "the upgrade kept main.cf as the admin left it")
ok(sh("cartero status").returncode == 0, "cartero still runs")


def bob_uids():
    """bob's INBOX as IMAP clients know it: UIDVALIDITY and the UIDs."""
    m = imaplib.IMAP4("127.0.0.1", 143, timeout=20)
    m.login("bob", USERS["bob"])
    m.select("INBOX")
    validity = m.response("UIDVALIDITY")[1][0]
    uids = m.uid("SEARCH", None, "ALL")[1][0].split()
    m.logout()
    return validity, uids


def bob_uids_or_none():
    try:
        return bob_uids()
    except (OSError, imaplib.IMAP4.error) as e:
        note("IMAP: %s" % e)
        return None, []


# An upgrade to a later version (the same tree, its changelog bumped) while
# mail waits in the queue: the mail is delivered after it, with the
# formats of the queue file, the uid list and the cache as the old version
# wrote them, and the UIDs that clients know stay as they were.
if newer:
    os.mkdir(path("/tmp/debs-newer"))
    for d in newer:
        shutil.copy(d, path("/tmp/debs-newer"))
    validity, uids = bob_uids_or_none()
    ok(validity is not None and len(uids) == 2,
       "IMAP before the upgrade: bob's UIDVALIDITY and two UIDs")
    shows(sh("cartero stop"), "cartero stop")
    shows(sh("printf 'Subject: en la cola\\n\\nesperando\\n' | "
             "sendmail -f ana@mired.org bob@mired.org"),
          "sendmail queues a message while cartero is stopped")
    ok(len(os.listdir(path("/var/spool/cartero/maildrop"))) == 1,
       "it waits in the queue (maildrop/)")
    shows(sh("dpkg -i /tmp/debs-newer/cartero_*.deb "
             "/tmp/debs-newer/cartero-postfix-compat_*.deb"),
          "dpkg -i of %s+upgrade1 over %s" % (VERSION, VERSION))
    like(sh("dpkg-query -W -f='${Version}' cartero").stdout, "+upgrade1",
         "the later version is installed")
    is_(main_cf(), before, "the upgrade kept main.cf")
    if sh("cartero status").returncode != 0:
        shows(sh("cartero start"), "cartero start after the upgrade")
    ok(wait_for(lambda: len(bob_uids_or_none()[1]) == 3, 30),
       "the message queued before the upgrade is delivered after it")
    v2, uids2 = bob_uids_or_none()
    is_(v2, validity, "UIDVALIDITY is unchanged by the upgrade")
    is_(uids2[:2], uids, "the two UIDs bob's client knows are unchanged")
    ok(len(uids2) == 3 and int(uids2[2]) > max(int(u) for u in uids),
       "the new message has a new, higher UID")
else:
    note("CARTERO_PKG_DEBS: no later version built, no upgrade test")

# 6. dpkg-reconfigure with new answers changes only what they govern.
shows(preseed(["mynetworks string 127.0.0.0/8 [::1]/128 192.168.100.0/24",
               "plaintext_auth boolean true", "root_address string ana",
               "services multiselect pop3, imap, imaps"]),
      "new answers preseeded")
shows(sh("dpkg-reconfigure -f noninteractive cartero"),
      "dpkg-reconfigure cartero")
cf = main_cf()
for want in ("mynetworks = 127.0.0.0/8 [::1]/128 192.168.100.0/24",
             "disable_plaintext_auth = no",
             "relay_domains = listas.mired.org",
             "transport_maps = hash:/etc/cartero/transport",
             "# mired.org's lab: kept", "smtpd_banner = $myhostname ESMTP lab"):
    like(cf, want, "main.cf after reconfigure: " + want)
with open(path("/etc/cartero/master.cf")) as f:
    mcf = f.read()
ok("\n#pop3s" in mcf and "\npop3 " in mcf and "\nimaps " in mcf,
   "master.cf: pop3s commented out, pop3 and imaps kept")
with open(path("/etc/cartero/aliases")) as f:
    ok("\nroot:\t\tana\n" in f.read(), "aliases: root goes to ana")
def reconfigure(answers, name):
    """New answers, dpkg-reconfigure, and main.cf's parameters after."""
    shows(preseed(answers), name + ": answers preseeded")
    shows(sh("dpkg-reconfigure -f noninteractive cartero"),
          name + ": dpkg-reconfigure cartero")
    r = sh("carteroconf -n")
    return {n: v.strip() for n, _, v in
            (l.partition(" =") for l in r.stdout.splitlines())}
cf = reconfigure(["main_mailer_type select Internet with smarthost",
                  "relayhost string [smtp.mired.org]:587"], "smarthost")
is_((cf.get("relayhost"), cf.get("relay_domains")),
    ("[smtp.mired.org]:587", "listas.mired.org"),
    "smarthost: relayhost set, the admin's relay_domains kept")
cf = reconfigure(["main_mailer_type select Local only"], "local only")
is_((cf.get("relayhost"), cf.get("inet_interfaces"), cf.get("mynetworks")),
    ("", "loopback-only", "127.0.0.0/8 [::1]/128"),
    "local only: no relay host, loopback only")
cf = reconfigure(["main_mailer_type select Internet Site",
                  "services multiselect pop3, pop3s, imap, imaps"],
                 "Internet Site again")
is_((cf.get("relayhost"), cf.get("inet_interfaces")), ("", "all"),
    "Internet Site: no relay host, every interface")
with open(path("/etc/cartero/master.cf")) as f:
    mcf = f.read()
ok("\npop3s " in mcf and "\n  -o pop3d_tls_wrappermode=yes" in mcf,
   "master.cf: pop3s and its -o line are back")
shows(sh("cartero reload"), "cartero reload")
time.sleep(1)
ok(wait_for(lambda: set(PORTS) <= listening(), 10),
   "ss shows 25, 587, 465, 110, 995, 143 and 993 after the reload")
like(sh("carteroconf -h relay_domains").stdout, "listas.mired.org",
     "carteroconf reads the admin's relay_domains")
shows(sh("/etc/init.d/cartero restart"), "the init script restarts cartero")
ok(wait_for(lambda: set(PORTS) <= listening(), 10),
   "and every port listens again")

# 7. Remove keeps configuration and mail; purge leaves nothing but mail.
shows(sh("apt-get remove -y cartero"), "apt-get remove cartero")
like(sh("dpkg-query -W -f='${Status}' cartero").stdout, "config-files",
     "cartero is removed, its configuration kept")
ok(os.path.exists(path("/etc/cartero/main.cf")), "main.cf is kept")
ok(len(os.listdir(newdir)) + len(os.listdir(path("/home/bob/Maildir/cur")))
   >= 2, "bob's mail is kept")
ours = lambda: [p for p in processes() if p[1] not in ("rsyslogd",)]
ok(wait_for(lambda: not ours(), 20), "no cartero process after remove")
for p in ours():
    diag("left running: %r" % (p,))
shows(sh("apt-get purge -y cartero"), "apt-get purge cartero")
left_pkgs = sh("dpkg-query -W -f='${Status}\\n' cartero "
              "cartero-postfix-compat 2>/dev/null").stdout
ok("ok installed" not in left_pkgs and "config-files" not in left_pkgs,
   "both packages are gone")
for d in ("/etc/cartero", "/var/spool/cartero", "/var/lib/cartero"):
    ok(not os.path.exists(path(d)), "purge removed " + d)
ok(os.path.exists(path("/etc/mailname")) == host_mailname,
   "purge removed /etc/mailname, which postinst made")
for u in ("cartero", "vmail"):
    ok(sh("getent passwd %s" % u).returncode != 0, "purge removed the user " + u)
for g in ("cartero", "vmail", "mail_users"):
    ok(sh("getent group %s" % g).returncode != 0, "purge removed the group " + g)
ok(len(os.listdir(newdir)) + len(os.listdir(path("/home/bob/Maildir/cur")))
   >= 2, "bob's mail is still in his home")
run(["sh", "-c", "kill $(cat %s)" % path("/run/rsyslogd.pid")])
ok(wait_for(lambda: not processes(), 10), "no process is left")
for p in processes():
    diag("left running: %r" % (p,))
os.unlink(path("/usr/sbin/policy-rc.d"))
users_now, groups_now = names("/etc/passwd"), names("/etc/group")
is_(sorted(users_now - lower_users), ["ana", "bob"],
    "no user but ana and bob is new")
is_(sorted(groups_now - lower_groups), ["ana", "bob"],
    "no group but ana's and bob's is new")

# Files: what the overlay holds that the host does not, or holds with other
# content, outside /home and the system's own records (dpkg's and apt's
# databases, debconf's, logs, caches); the residue that apt's removal of
# postfix and dovecot leaves (their masked units, rc links) is theirs.
SYSTEM = ("var/log/", "var/lib/dpkg/", "var/cache/debconf/", "var/lib/apt/",
          "var/cache/apt/", "var/cache/man/", "var/cache/ldconfig/",
          "etc/ld.so.cache", "var/lib/systemd/deb-systemd-helper-",
          "var/spool/rsyslog/", "var/lib/rsyslog/", "home/") + \
    (("etc/mailname",) if host_mailname else ())
USERDB = ("etc/passwd", "etc/group", "etc/shadow", "etc/gshadow",
          "etc/subuid", "etc/subgid")
def theirs(rel):
    return any(c.startswith(("postfix", "dovecot"))
               for c in rel.split("/"))
def same(rel):
    a, b = os.path.join(upper, rel), os.path.join("/", rel)
    if os.path.islink(a) or os.path.islink(b):
        return os.path.islink(a) and os.path.islink(b) and \
            os.readlink(a) == os.readlink(b)
    if os.path.isdir(a):
        return os.path.isdir(b)
    if not os.path.isfile(b):
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()
left, seen, kept = [], 0, []
for d, dirs, files in os.walk(upper):
    for e in dirs + files:
        full = os.path.join(d, e)
        rel = os.path.relpath(full, upper)
        st = os.lstat(full)
        if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
            continue                    # a whiteout: something removed
        seen += 1
        if theirs(rel) or (rel.rstrip("-") in USERDB and not same(rel)):
            kept.append(rel)
        if rel.startswith(SYSTEM) or rel.rstrip("-") in USERDB or \
                theirs(rel) or same(rel):
            continue
        left.append(rel)
note("the overlay holds %d new or changed paths; allowed as postfix's, "
     "dovecot's or the user tables: %s" % (seen, " ".join(kept)))
ok(not left, "no file outside /home is left")
for rel in left[:40]:
    diag("left: /" + rel)
done()
