"""benchlib - what the Python benchmarks of bench/ share

Used by bench/smtp-throughput and bench/relay: progress and errors on
stderr, running commands, the system users, free loopback ports, waiting
for an SMTP banner, a private Postfix instance and a private cartero
instance (each in its own folder, with extra main.cf lines of the caller's),
building and installing cartero once per run, the machine's description,
the load average, and the results block of bench/README.md.

Progress lines start with the name of the running script.
"""

import base64
import os
import platform
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)
README = os.path.join(HERE, "README.md")
PROG = os.path.basename(sys.argv[0]) or "bench"
SENDER = "bob@mired.org"
RCPT = "ana@mired.org"
DOMAIN = "mired.org"

APT_LINE = ("echo 'postfix postfix/main_mailer_type select No configuration'"
            " | debconf-set-selections && apt-get install -y postfix")

SMTP_SOURCE = "/usr/sbin/smtp-source"
POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"


def log(text):
    """log - progress on stderr, so stdout holds only the table"""
    print(PROG + ": " + text, file=sys.stderr, flush=True)


def die(text):
    """die - report and exit; cleanup runs through the finally clauses"""
    log("error: " + text)
    raise SystemExit(1)


def run(argv, **kw):
    """run - run a command, die with its output when it fails"""
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, **kw)
    if r.returncode != 0:
        die("%s failed (exit %d):\n%s" % (" ".join(argv), r.returncode,
                                          r.stdout.strip()))
    return r.stdout


def is_root():
    """is_root - running as uid 0"""
    return os.geteuid() == 0


def need_postfix():
    """need_postfix - make sure smtp-source and postfix exist; never silently"""
    missing = [p for p in (SMTP_SOURCE, POSTFIX, POSTCONF)
               if not os.access(p, os.X_OK)]
    if not missing:
        return
    log("missing %s (Debian package postfix)" % ", ".join(missing))
    if not is_root():
        die("install it as root with:\n  " + APT_LINE)
    log("installing it now, as root: " + APT_LINE)
    sel = "postfix postfix/main_mailer_type select No configuration\n"
    subprocess.run(["debconf-set-selections"], input=sel, text=True,
                   check=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "postfix"], env=env,
                   check=True)
    # Debian's package may start its own instance where an init system
    # exists; ours never use port 25, so the two do not meet.
    for p in (SMTP_SOURCE, POSTFIX):
        if not os.access(p, os.X_OK):
            die("%s still missing after apt-get" % p)


def need_package(package, *paths):
    """need_package - make sure a Debian package's programs exist (root
    installs it now, saying so; otherwise the run stops with the line to
    type)"""
    missing = [p for p in paths if not os.access(p, os.X_OK)]
    if not missing:
        return
    log("missing %s (Debian package %s)" % (", ".join(missing), package))
    if not is_root():
        die("install it as root with:\n  apt-get install -y " + package)
    log("installing it now, as root: apt-get install -y " + package)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", package], env=env,
                   check=True)
    for p in paths:
        if not os.access(p, os.X_OK):
            die("%s still missing after apt-get" % p)


class DkimKeys:
    """One RSA 2048 key for mired.org, selector "bench", for both servers:
    cartero's dkim_signing_keys table, and a private OpenDKIM signing
    filter (a milter on a loopback port) for Postfix, started once per
    run.  Every message from mynetworks gets one signature on both sides."""

    SELECTOR = "bench"
    OPENDKIM = "/usr/sbin/opendkim"

    def __init__(self, top):
        # OpenDKIM refuses keys and configuration under a directory
        # others may write (/tmp): root's /run holds them.
        self.dir = tempfile.mkdtemp(prefix="cartero-bench-dkim.",
                                    dir="/run" if is_root() else top)
        os.chmod(self.dir, 0o755)
        self.key = os.path.join(self.dir, "bench.pem")
        run(["openssl", "genrsa", "-out", self.key, "2048"])
        os.chmod(self.key, 0o600)
        self.table = os.path.join(self.dir, "signing_keys")
        write(self.table, "%s %s:%s\n" % (DOMAIN, self.SELECTOR, self.key))
        self.proc = None
        self.sock = None

    def cartero_extra(self):
        """cartero_extra - main.cf lines that make cartero sign"""
        return "dkim_signing_keys = texthash:%s\n" % self.table

    def start_opendkim(self):
        """start_opendkim - the filter, in the foreground, as user opendkim"""
        need_package("opendkim", self.OPENDKIM)
        uid, gid = ensure_user("opendkim")
        key = os.path.join(self.dir, "opendkim.pem")
        with open(self.key, "rb") as f:
            data = f.read()
        with open(key, "wb") as f:
            f.write(data)
        os.chmod(key, 0o600)
        os.chown(key, uid, gid)
        os.chown(self.dir, uid, gid)   # its socket goes there
        self.sock = os.path.join(self.dir, "opendkim.sock")
        conf = os.path.join(self.dir, "opendkim.conf")
        write(conf, f"""\
# private OpenDKIM of bench/{PROG}: signs mail of mynetworks; a Unix
# socket (over TCP, Nagle and delayed ACKs stall each milter exchange);
# DNS only to loopback
Mode sv
Domain {DOMAIN}
Selector {self.SELECTOR}
KeyFile {key}
Canonicalization relaxed/relaxed
Socket local:{self.sock}
UMask 000
InternalHosts 127.0.0.0/8
Nameservers 127.0.0.1
UserID opendkim
PidFile {self.dir}/opendkim.pid
Syslog no
""")
        self.proc = subprocess.Popen([self.OPENDKIM, "-f", "-x", conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 20
        while True:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.sock)
                s.close()
                return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > end:
                die("opendkim does not listen on %s: %s" % (
                    self.sock, self.proc.stderr.read()
                    if self.proc.poll() is not None else "(still running)"))
            time.sleep(0.1)

    def postfix_extra(self):
        """postfix_extra - main.cf lines that send Postfix's mail through it"""
        return ("smtpd_milters = unix:%s\n"
                "milter_default_action = tempfail\n" % self.sock)

    def stop(self):
        """stop - end the filter, remove the keys"""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


def ensure_user(name):
    """ensure_user - uid and gid of a system user, created when root"""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        if not is_root():
            die("user %s is missing" % name)
        log("creating system user %s (useradd --system)" % name)
        run(["useradd", "--system", "--user-group", "--no-create-home",
             "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
             name])
        pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def free_port():
    """free_port - a free TCP port on 127.0.0.1 in 30000-40000"""
    for _ in range(200):
        port = random.randint(30000, 40000)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        return port
    die("no free port in 30000-40000")


def wait_port(port, seconds, alive=None):
    """wait_port - wait until something accepts on 127.0.0.1:port"""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5) as s:
                s.settimeout(5)
                banner = s.recv(512)
                s.sendall(b"QUIT\r\n")
                if banner.startswith(b"220"):
                    return True
        except OSError:
            pass
        if alive is not None and not alive():
            return False
        time.sleep(0.1)
    return False


def write(path, text, mode=0o644):
    """write - create a file with text"""
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def count_files(path):
    """count_files - number of entries in a directory (0 when missing)"""
    try:
        with os.scandir(path) as it:
            return sum(1 for _ in it)
    except FileNotFoundError:
        return 0


def tail(path, lines=15):
    """tail - last lines of a log file, for error reports"""
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return "(%s)" % e


class Instance:
    """What a private Postfix and a private cartero share: their master's
    pid file in the queue directory, and stopping it."""

    def master_pid(self):
        """master_pid - pid of the instance's master, or None"""
        try:
            with open(os.path.join(self.spool, "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self):
        """stop - stop_cmd; abort, then kill its own master if it lingers"""
        if not self.started:
            return
        self.started = False
        pid = self.master_pid()
        self.stop_cmd()
        if pid is None:
            return
        for i in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            if i == 50:
                self.abort(pid)
            time.sleep(0.1)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Postfix(Instance):
    """A private Postfix instance in its own folder, virtual delivery."""

    name = "postfix"

    def __init__(self, top, vuid, vgid, extra=""):
        self.dir = os.path.join(top, "postfix")
        self.extra = extra      # main.cf lines of the caller's, at the end
        self.etc = os.path.join(self.dir, "etc")
        self.spool = os.path.join(self.dir, "spool")
        self.mail = os.path.join(self.dir, "mail")
        self.logfile = os.path.join(self.dir, "log", "maillog")
        self.maildir_new = os.path.join(self.mail, DOMAIN, "ana", "Maildir",
                                        "new")
        self.port = free_port()
        self.vuid, self.vgid = vuid, vgid
        self.started = False

    def setup(self):
        """setup - config dir, queue dir, mail base, log dir"""
        for d in (self.etc, self.spool, os.path.join(self.dir, "data"),
                  os.path.join(self.dir, "log"), self.mail):
            os.makedirs(d, exist_ok=True)
        os.chmod(self.dir, 0o755)
        pf = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.dir, "data"), pf.pw_uid, pf.pw_gid)
        # virtual(8) makes the Maildir with the recipient's uid.
        os.chown(self.mail, self.vuid, self.vgid)
        d = self.dir
        write(os.path.join(self.etc, "main.cf"), f"""\
# private Postfix instance of bench/{PROG} (stock durability)
compatibility_level = 3.6
queue_directory = {d}/spool
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.{DOMAIN}
mydomain = {DOMAIN}
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
smtpd_banner = $myhostname ESMTP
virtual_mailbox_domains = {DOMAIN}
virtual_mailbox_base = {d}/mail
virtual_mailbox_maps = inline:{{ {RCPT}={DOMAIN}/ana/Maildir/ }}
virtual_uid_maps = static:{self.vuid}
virtual_gid_maps = static:{self.vgid}
virtual_minimum_uid = 1
maillog_file = {d}/log/maillog
maillog_file_prefixes = {d}/log
{self.extra}""")
        # Postfix's stock service table with the chroot column set to n
        # and the one smtpd on our loopback port.
        write(os.path.join(self.etc, "master.cf"), f"""\
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:{self.port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
""")

    def version(self):
        """version - Postfix's mail_version"""
        r = subprocess.run([POSTCONF, "-c", self.etc, "-h", "mail_version"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
        return "Postfix " + (r.stdout.strip() or "?")

    def start(self):
        """start - postfix -c DIR start, wait for the smtpd banner"""
        self.started = True
        run([POSTFIX, "-c", self.etc, "start"])
        if not wait_port(self.port, 20):
            die("Postfix does not answer on port %d:\n%s"
                % (self.port, tail(self.logfile)))

    def stop_cmd(self):
        """stop_cmd - postfix stop"""
        subprocess.run([POSTFIX, "-c", self.etc, "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def abort(self, pid):
        """abort - postfix abort, when its master lingers after stop"""
        subprocess.run([POSTFIX, "-c", self.etc, "abort"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Cartero(Instance):
    """A private cartero instance: installed once, one folder per run."""

    name = "cartero"

    def __init__(self, top, prefix, users, extra=""):
        self.dir = os.path.join(top, "cartero")
        self.extra = extra      # main.cf lines of the caller's, at the end
        self.prefix = prefix
        self.etc = os.path.join(self.dir, "etc")
        self.spool = os.path.join(self.dir, "spool")
        self.logfile = os.path.join(self.dir, "log", "mail.log")
        self.maildir_new = os.path.join(self.dir, "mail", DOMAIN, "ana",
                                        "Maildir", "new")
        self.port = free_port()
        self.users = users      # (mail_owner, virtual_mail_owner) names
        self.started = False

    def setup(self):
        """setup - main.cf, master.cf, passwd, aliases, as ./quickstart does"""
        for sub in ("etc", "spool", "lib", "mail", "log"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.chmod(self.dir, 0o755)
        owner, vowner = self.users
        d, p = self.dir, self.prefix
        write(os.path.join(self.etc, "main.cf"), f"""\
# private cartero instance of bench/{PROG}
queue_directory = {d}/spool
data_directory = {d}/lib
daemon_directory = {p}/libexec/cartero
command_directory = {p}/sbin
maillog_file = {d}/log/mail.log
mail_owner = {owner}
virtual_mail_owner = {vowner}

myhostname = mail.{DOMAIN}
mydomain = {DOMAIN}
myorigin = $mydomain
mydestination = {DOMAIN}
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
home_mailbox = Maildir/
virtual_mailbox_base = {d}/mail
virtual_passwd_file = $config_directory/passwd
alias_maps = hash:$config_directory/aliases
alias_database = hash:$config_directory/aliases
{self.extra}""")
        write(os.path.join(self.etc, "master.cf"), self.master_cf())
        passwd = os.path.join(self.etc, "passwd")
        write(passwd, RCPT + ":x:::::\n", 0o600)  # only auth reads it
        # The SRS secret, as ./quickstart and the package make it.
        srs = os.path.join(self.etc, "srs_secret")
        write(srs, base64.b64encode(os.urandom(32)).decode() + "\n", 0o600)
        write(os.path.join(self.etc, "aliases"), """\
postmaster: ana
MAILER-DAEMON: postmaster
root: ana
abuse: postmaster
""")
        if is_root():
            os.chown(passwd, 0, 0)
            o = pwd.getpwnam(owner)
            os.chown(srs, o.pw_uid, o.pw_gid)
            v = pwd.getpwnam(vowner)
            os.chown(os.path.join(d, "mail"), v.pw_uid, v.pw_gid)
        run([os.path.join(p, "sbin", "newaliases"), "-c", self.etc])

    def master_cf(self):
        """master_cf - the stock service table with smtpd on our port"""
        stock = os.path.join(SRCDIR, "etc", "master.cf")
        out = ["# service type private unpriv chroot wakeup maxproc command\n",
               "127.0.0.1:%d inet n - n - - smtpd\n" % self.port]
        try:
            lines = open(stock).read().splitlines(True)
        except OSError:
            lines = []
        keep = False
        for line in lines:
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t":            # continuation of the last entry
                if keep:
                    out.append(line)
                continue
            f = line.split()
            keep = len(f) >= 8 and f[1] != "inet"
            if keep:
                out.append(line)
        if len(out) == 2:
            # no stock table yet: the services of the mail spine
            out += ["pickup unix n - n 60 1 pickup\n",
                    "qmgr unix n - n 300 1 qmgr\n",
                    "local unix - n n - - local\n"]
        return "".join(out)

    def version(self):
        """version - cartero's version from its configure"""
        try:
            for line in open(os.path.join(SRCDIR, "configure.ac")):
                if line.startswith("AC_INIT("):
                    return "cartero " + line.split(",")[1].strip(" []")
        except (OSError, IndexError):
            pass
        return "cartero"

    def ctl(self, verb, check=True):
        """ctl - cartero -c DIR start|stop"""
        argv = [os.path.join(self.prefix, "sbin", "cartero"), "-c", self.etc,
                verb]
        if check:
            return run(argv)
        return subprocess.run(argv, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)

    def start(self):
        """start - start the instance, wait for the smtpd banner"""
        self.started = True
        self.ctl("start")
        if not wait_port(self.port, 20):
            die("cartero does not answer on port %d:\n%s"
                % (self.port, tail(self.logfile)))

    def stop_cmd(self):
        """stop_cmd - cartero stop"""
        self.ctl("stop", check=False)

    def abort(self, pid):
        """abort - SIGTERM to its master, when it lingers after stop"""
        os.kill(pid, signal.SIGTERM)


def build_cartero(top, builddir):
    """build_cartero - configure (unless --build), make, make install"""
    prefix = os.path.join(top, "inst")
    if builddir is None:
        builddir = os.path.join(top, "build")
        os.makedirs(builddir)
        log("configuring cartero in " + builddir)
        run([os.path.join(SRCDIR, "configure"), "-q", "--prefix=" + prefix,
             "--with-confdir=" + os.path.join(prefix, "etc")], cwd=builddir)
    log("building cartero (make -j%d) in %s" % (os.cpu_count() or 1,
                                                  builddir))
    run(["make", "-j%d" % (os.cpu_count() or 1)], cwd=builddir)
    run(["make", "install", "prefix=" + prefix], cwd=builddir)
    if not os.access(os.path.join(prefix, "sbin", "cartero"), os.X_OK):
        die("make install left no %s/sbin/cartero" % prefix)
    os.chmod(top, 0o755)
    return prefix




def descendants(pid):
    """descendants - pid and every process below it, from /proc"""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out




def disk_of(path):
    """disk_of - file system type, device and rotational flag of path"""
    path = os.path.realpath(path)
    best = ("", "?", "?")
    try:
        for line in open("/proc/mounts"):
            dev, mnt, fstype = line.split()[:3]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) \
                    and len(mnt) >= len(best[0]):
                best = (mnt, dev, fstype)
    except OSError:
        pass
    dev, fstype = best[1], best[2]
    kind = ""
    base = os.path.basename(dev)
    for cand in (base, base.rstrip("0123456789"),
                 base.rstrip("0123456789").rstrip("p")):
        rot = "/sys/block/%s/queue/rotational" % cand
        if cand and os.path.exists(rot):
            kind = ", sysfs rotational=%s" % open(rot).read().strip()
            break
    return "%s on %s%s" % (fstype, dev, kind)


def machine(top):
    """machine - one line about the machine"""
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = ", %.1f GiB RAM" % (int(line.split()[1]) / 1048576.0)
    except OSError:
        pass
    return "%d CPUs (%s)%s, Linux %s, temp dir on %s" % (
        os.cpu_count() or 0, cpu, mem, platform.release(), disk_of(top))


def loadavg():
    """loadavg - the 1-minute load average, as text"""
    try:
        return open("/proc/loadavg").read().split()[0]
    except (OSError, IndexError):
        return "?"


def update_readme(text, name, heading):
    """update_readme - replace name's results block of bench/README.md

    The block lies between <!-- name:begin --> and <!-- name:end -->;
    without them it is added at the end under heading."""
    begin = "<!-- %s:begin -->" % name
    end = "<!-- %s:end -->" % name
    try:
        old = open(README).read()
    except OSError:
        old = ""
    if begin in old and end in old:
        head = old.split(begin, 1)[0]
        rest = old.split(end, 1)[1]
        new = head + begin + "\n" + text + end + rest
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + heading + \
            "\n\n" + begin + "\n" + text + end + "\n"
    tmp = README + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, README)
    log("updated " + README)


def on_signal(signum, frame):
    """on_signal - turn SIGTERM/SIGHUP into a clean exit through finally"""
    raise KeyboardInterrupt


