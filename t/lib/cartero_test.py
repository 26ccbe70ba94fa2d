"""cartero_test - the harness of the loopback end-to-end tests.

Instance() makes a whole cartero instance in a temporary folder (config,
queue, log, Maildirs) from the build tree's programs, on free loopback
ports, starts it with `cartero start`, and removes it at the end.  The TAP
functions print what prove reads.  Nothing here mocks cartero: tests talk to
the real daemons with real clients.
"""
import atexit
import base64
import glob
import os
import pwd
import random
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get("CARTERO_BUILD") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SRC = os.environ.get("CARTERO_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))

DAEMONS = {"master": "master/master", "smtpd": "smtpd/smtpd",
           "qmgr": "qmgr/qmgr", "local": "local/local",
           "pickup": "pickup/pickup", "auth": "auth/auth",
           "pop3d": "pop3d/pop3d", "pop3": "pop3d/pop3", "imapd": "imapd/imapd",
           "imap": "imapd/imap", "imap-hibernate": "imapd/imap-hibernate",
           "anvil": "anvil/anvil", "smtp": "smtp/smtp", "lmtp": "smtp/lmtp",
           "pipe": "pipe/pipe"}
COMMANDS = {"cartero": "cli/cartero", "carteroconf": "cli/carteroconf",
            "carteromap": "cli/carteromap", "sendmail": "cli/sendmail"}

_count = 0
_failed = 0
_planned = False


def plan(n):
    global _planned
    _planned = True
    print("1..%d" % n, flush=True)


def skip_all(why):
    print("1..0 # SKIP %s" % why, flush=True)
    sys.exit(0)


def ok(cond, name):
    global _count, _failed
    _count += 1
    if not cond:
        _failed += 1
    print("%sok %d - %s" % ("" if cond else "not ", _count, name), flush=True)
    if not cond:
        diag("Failed test %d - %s (%s)" % (_count, name,
                                          os.path.basename(sys.argv[0])))
    return bool(cond)


def is_(got, want, name):
    good = ok(got == want, name)
    if not good:
        diag("got:      %r" % (got,))
        diag("expected: %r" % (want,))
    return good


def like(got, sub, name):
    good = ok(got is not None and sub in got, name)
    if not good:
        diag("got:      %r" % (got,))
        diag("expected to contain: %r" % (sub,))
    return good


def reply_is(reply, code, name, dsn=None):
    """An SMTP reply, smtplib's (code, message): the code is code (the
    check named name) and, given dsn, the message holds that enhanced
    status code (the check "with DSN")."""
    is_(reply[0], code, name)
    if dsn is not None:
        like(reply[1].decode(), dsn, "with " + dsn)
    return reply


def diag(text):
    """Comments for a person, on standard error: prove shows them even when
    it is not verbose, so a failure in CI says what was got and why."""
    for line in str(text).splitlines():
        print("# " + line, file=sys.stderr, flush=True)


def note(text):
    """Comments for the record (timings, dialogs), on standard output:
    prove shows them only when verbose."""
    for line in str(text).splitlines():
        print("# " + line, flush=True)


def done():
    if not _planned:
        print("1..%d" % _count, flush=True)
    sys.exit(1 if _failed else 0)


def is_root():
    return os.geteuid() == 0


def submission_service(host, port, extra_opts=()):
    """master.cf lines: the default etc/master.cf's submission service
    (without its syslog_name) on host:port, unchrooted."""
    lines = "%s:%d inet n - n - - smtpd\n" % (host, port)
    inside = False
    with open(os.path.join(SRC, "etc", "master.cf")) as f:
        for line in f:
            if line.startswith("submission "):
                inside = True
            elif inside and line.startswith((" ", "\t")):
                if "syslog_name" not in line and not any(
                        o in line for o in extra_opts):
                    lines += "  " + line.strip() + "\n"
            elif inside:
                break
    return lines


def need_root_sites(last):
    """Skip the whole test unless it can be Internet sites on loopback:
    root (port 25 of 127.0.0.x), the addresses up to 127.0.0.last, and the
    users cartero and vmail."""
    if not is_root():
        skip_all("needs root (listens on port 25 of 127.0.0.2 and 127.0.0.3)")
    try:                            # 127.0.0.0/8 is on lo (Linux)
        socket.socket().bind(("127.0.0.%d" % last, 0))
    except OSError as e:
        skip_all("cannot bind 127.0.0.%d: %s" % (last, e))
    if not (_user_exists("cartero") and _user_exists("vmail")):
        skip_all("needs the users cartero and vmail "
                 "(./quickstart test makes them)")


def dkim_test_signer(dir, domain, selector):
    """A signing key of domain (dkim_test_key) in dir, with a
    dkim_signing_keys table naming it: the table's path and the record."""
    key = os.path.join(dir, "%s.%s.pem" % (domain, selector))
    record = dkim_test_key(key)
    table = os.path.join(dir, "signing_keys")
    with open(table, "w") as f:
        f.write("%s %s:%s\n" % (domain, selector, key))
    return table, record


def dkim_test_key(path):
    """An RSA 2048 key made at path with openssl, and its DKIM record split
    into the strings of a --txt-record of dnsmasq (250 bytes each)."""
    import base64
    subprocess.run(["openssl", "genrsa", "-out", path, "2048"], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", path, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    return ",".join(record[i:i + 250] for i in range(0, len(record), 250))


def run_tool(argv, data=None, timeout=60):
    """A test tool run with data on stdin: exit status, stdout, stderr."""
    r = subprocess.run(argv, input=data, capture_output=True,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def crlf(msg):
    """A message with CRLF line ends, as dkimpy takes it."""
    return msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def debian_module(name, package):
    """The module name of a Debian python3-* package, also when python3
    is not Debian's own (pyenv); the whole test skips without it."""
    import importlib
    try:
        return importlib.import_module(name)
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        try:
            return importlib.import_module(name)
        except ImportError:
            skip_all("%s is not installed (apt-get install %s)"
                     % (name, package))


def need_root_users(why):
    """Skip the whole test unless it runs as root (why: what it needs root
    for) on a host with the users cartero and vmail (quickstart makes
    them)."""
    import pwd
    if not is_root():
        skip_all("needs root (%s)" % why)
    for u in ("cartero", "vmail"):
        try:
            pwd.getpwnam(u)
        except KeyError:
            skip_all("needs the users cartero and vmail (quickstart makes "
                     "them)")


_ports_given = set()


def free_port():
    """A loopback port for a server to bind later.  It is taken below the
    kernel's range of ephemeral ports (ip_local_port_range, 32768 and up
    here), so that the test's own client connections cannot take it between
    now and the bind, and never twice in one test."""
    for _ in range(1000):
        port = random.randint(12000, 29999)
        if port in _ports_given:
            continue
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        _ports_given.add(port)
        return port
    raise RuntimeError("no free loopback port in 12000-29999")


def services(*commands):
    """Loopback services for master.cf, one a command ("pop3d -o
    pop3d_tls_wrappermode=yes"), on free ports: the ports and the lines
    (Instance's master_extra)."""
    ports = [free_port() for _ in commands]
    return ports, "".join("127.0.0.1:%d inet n - n - - %s\n" % (p, c)
                          for p, c in zip(ports, commands))


def port_answers(port, timeout, host="127.0.0.1"):
    """Does something accept a TCP connection on the loopback port?"""
    try:
        socket.create_connection((host, port), timeout).close()
        return True
    except OSError:
        return False


def wait_for(cond, timeout=20.0, step=0.05):
    """Poll cond() until it is true or the timeout passes; its last value."""
    end = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() > end:
            return v
        time.sleep(step)


class Instance:
    """A private cartero instance in a temporary folder.

    By default it is mail.mired.org on 127.0.0.1: smtpd on .port, imapd
    on .imap_port and .imaps_port, users ana@mired.org and bob@mired.org
    (password: the user's name).  For tests with several sites on one
    host (t/root_internet.t):
      host    the loopback address its smtpd and imapd listen on (.host),
              e.g. "127.0.0.2", so that port=25 can be taken there even
              when 127.0.0.1:25 is in use; listening() and deliver_wait()
              use it.
      domain  the site's domain (.domain): myhostname is mail.DOMAIN,
              mydomain DOMAIN, the users are user@DOMAIN, maildir() is
              under DOMAIN, and the test certificate is made for
              mail.DOMAIN.
    """

    def __init__(self, main_cf=None, master_extra="", users=("ana", "bob"),
                 aliases=None, start=True, cert=True, master_cf=None,
                 port=None, host="127.0.0.1", domain="mired.org"):
        self.host, self.domain = host, domain
        self.dir = tempfile.mkdtemp(prefix="cartero-t-")
        os.chmod(self.dir, 0o755)
        self.etc = os.path.join(self.dir, "etc")
        self.spool = os.path.join(self.dir, "spool")
        self.mail = os.path.join(self.dir, "mail")
        self.log = os.path.join(self.dir, "log", "mail.log")
        self.sbin = os.path.join(self.dir, "sbin")
        self.libexec = os.path.join(self.dir, "libexec")
        self.port = port or free_port()
        self.imap_port = free_port()        # imapd; imaps: implicit TLS
        self.imaps_port = free_port()
        for d in (self.etc, self.spool, self.mail, self.sbin, self.libexec,
                  os.path.dirname(self.log), os.path.join(self.dir, "lib")):
            os.makedirs(d, exist_ok=True)
        for name, rel in DAEMONS.items():
            os.symlink(os.path.join(BUILD, rel), os.path.join(self.libexec, name))
        for name, rel in COMMANDS.items():
            os.symlink(os.path.join(BUILD, rel), os.path.join(self.sbin, name))
        for alias in ("mailq", "newaliases"):
            os.symlink(os.path.join(BUILD, "cli/sendmail"),
                       os.path.join(self.sbin, alias))
        if is_root() and _user_exists("cartero") and _user_exists("vmail"):
            self.owner, self.vowner = "cartero", "vmail"
        else:
            self.owner = self.vowner = pwd.getpwuid(os.geteuid()).pw_name
        settings = {
            "queue_directory": self.spool,
            "data_directory": os.path.join(self.dir, "lib"),
            "daemon_directory": self.libexec,
            "command_directory": self.sbin,
            "maillog_file": self.log,
            "mail_owner": self.owner,
            "virtual_mail_owner": self.vowner,
            "myhostname": "mail." + domain,
            "mydomain": domain,
            "myorigin": "$mydomain",
            "mydestination": "$mydomain, localhost",
            "mynetworks": "127.0.0.0/8 [::1]/128",
            "inet_interfaces": "loopback-only",
            "home_mailbox": "Maildir/",
            "virtual_mailbox_base": self.mail,
            "minimal_backoff_time": "2s",
            "maximal_backoff_time": "10s",
            "queue_run_delay": "2s",
            # DNS on loopback only, where nothing answers: a test that
            # wants DNS sets its own server (t/lib/dnsmasq.py).
            "dns_servers": "127.0.0.1:%d" % free_port(),
            # The smtp and lmtp agents never connect off loopback.
            "smtp_destination_networks": "127.0.0.0/8 [::1]/128",
        }
        settings.update(main_cf or {})
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write("# test instance\n")
            for k, v in settings.items():
                f.write("%s = %s\n" % (k, v))
        if master_cf is None:               # the spine, plus the test's own
            master_cf = (
                "%s:%d inet n - n - - smtpd\n" % (host, self.port) +
                "pickup unix n - n 60 1 pickup\n" +
                "qmgr unix n - n 300 1 qmgr\n" +
                "local unix - n n - - local\n" +
                "auth unix - n n - 1 auth\n" +
                "anvil unix - - n - 1 anvil\n" +
                "%s:%d inet n - n - - imapd\n" % (host, self.imap_port) +
                ("%s:%d inet n - n - - imapd "
                 "-o imapd_tls_wrappermode=yes\n" % (host, self.imaps_port)
                 if cert else "") +
                master_extra)
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(master_cf)
        with open(os.path.join(self.etc, "passwd"), "w") as f:
            for u in users:
                # crypt(3) SHA-512 hash of the user's name as password.
                h = subprocess.run(["openssl", "passwd", "-6", u],
                                   capture_output=True, text=True).stdout.strip()
                f.write("%s@%s:%s::::::\n" % (u, domain, h))
        with open(os.path.join(self.etc, "aliases"), "w") as f:
            f.write("postmaster: ana\nMAILER-DAEMON: postmaster\nroot: ana\n")
            for k, v in (aliases or {}).items():
                f.write("%s: %s\n" % (k, v))
        # Only auth (root) reads the hashes; the others read the user
        # table that master derives into $queue_directory/etc/users.
        os.chmod(os.path.join(self.etc, "passwd"), 0o600)
        # The SRS secret, as ./quickstart and the package make it.
        srs = os.path.join(self.etc, "srs_secret")
        with open(srs, "w") as f:
            f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
        os.chmod(srs, 0o600)
        if is_root():
            shutil.chown(self.mail, self.vowner, self.vowner)
            shutil.chown(srs, self.owner, self.owner)
        if cert:
            # A self-signed certificate for mail.DOMAIN in etc/.
            subprocess.run([os.path.join(SRC, "tools", "mkcert"), self.etc,
                            "mail." + domain],
                           capture_output=True, check=True)
        self.run_ok("newaliases")
        self.started = False
        atexit.register(self.cleanup)
        if start:
            self.start()

    def cmd(self, name, *args, input=None, env=None):
        """Run an instance command; a CompletedProcess with text output."""
        e = dict(os.environ)
        e.update(env or {})
        argv = [os.path.join(self.sbin, name), "-c", self.etc] + list(args)
        return subprocess.run(argv, input=input, capture_output=True,
                              text=True, env=e, timeout=60)

    def run_ok(self, name, *args, **kw):
        r = self.cmd(name, *args, **kw)
        if r.returncode != 0:
            raise RuntimeError("%s %s failed (%d): %s%s" % (
                name, " ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def start(self):
        self.run_ok("cartero", "start")
        self.started = True
        wait_for(self.listening, 10)

    def stop(self):
        if self.started:
            self.cmd("cartero", "stop")
            self.started = False

    def listening(self):
        return port_answers(self.port, 1, self.host)

    def maildir(self, user="ana"):
        return os.path.join(self.mail, self.domain, user, "Maildir")

    def uidlist_records(self, folder="", user="ana"):
        """uid -> base name in a folder's cartero-uidlist: its snapshot,
        then its log ("+" adds a record, "-" removes one)."""
        path = os.path.join(self.maildir(user), folder, "cartero-uidlist")
        with open(path) as f:
            lines = f.read().splitlines()
        recs = {}
        for line in lines[1:]:
            f = line.split()
            if line[0] in "+0123456789":
                recs[int(f[0].lstrip("+"))] = f[3]
            elif line[0] == "-":
                recs.pop(int(f[0][1:]), None)
        return recs

    def new_mail(self, user="ana"):
        return sorted(glob.glob(os.path.join(self.maildir(user), "new", "*")))

    def mail_files(self, user="ana"):
        """The user's messages in new/ and cur/, sorted by name."""
        md = self.maildir(user)
        return sorted(glob.glob(os.path.join(md, "new", "*")) +
                      glob.glob(os.path.join(md, "cur", "*")))

    def deliver_wait(self, subject, body, user="ana"):
        """Send one message and wait until it is in the Maildir: local runs
        several deliveries at once, so only this keeps the messages in the
        order a test counts them."""
        before = len(self.mail_files(user))
        c = smtplib.SMTP(self.host, self.port, timeout=10)
        c.sendmail("bob@" + self.domain, ["%s@%s" % (user, self.domain)],
                   "Subject: %s\r\n\r\n%s" % (subject, body))
        c.quit()
        wait_for(lambda: len(self.mail_files(user)) > before, 20)

    def wait_mail(self, count, user="ana", timeout=30):
        return wait_for(lambda: len(self.new_mail(user)) >= count, timeout)

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def pids(self, program):
        """PIDs of this instance's processes running the named daemon."""
        out = []
        for p in glob.glob("/proc/[0-9]*"):
            try:
                with open(p + "/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if not argv or not argv[0]:
                continue
            exe = os.path.basename(argv[0].decode(errors="replace"))
            if exe == program and self.etc.encode() in argv:
                out.append(int(p[6:]))
        return out

    def queue_files(self, sub):
        d = os.path.join(self.spool, sub)
        return [f for f in os.listdir(d) if not f.startswith("t.")] \
            if os.path.isdir(d) else []

    def cleanup(self):
        self.stop()
        if os.environ.get("CARTERO_KEEP"):
            diag("instance kept in %s" % self.dir)
            return
        shutil.rmtree(self.dir, ignore_errors=True)


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def smtp_dialog(port, lines, eol=b"\r\n", timeout=10):
    """Send lines over a raw socket, one at a time as a person would, and
    return everything the server said."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    out = b""
    try:
        out += _read_reply(s)
        for line in lines:
            s.sendall(line.encode() + eol)
            time.sleep(0.02)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        s.close()
        raise
    return out.decode(errors="replace") + recv_all(s, timeout)


def recv_all(s, timeout=15):
    """Everything the server sends until it closes (or goes quiet for
    timeout seconds), as text; closes the socket."""
    s.settimeout(timeout)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        pass
    s.close()
    return got.decode(errors="replace")


def _read_reply(s):
    data = b""
    while not data.endswith(b"\r\n") or (len(data.split(b"\r\n")[-2]) > 3 and
                                         data.split(b"\r\n")[-2][3:4] == b"-"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def message_text(path):
    with open(path, "rb") as f:
        return f.read().decode(errors="replace")


def ipc_call(path, request, fds=None, timeout=20):
    """One request of the attribute protocol (name=value lines ending in an
    empty line) on the Unix socket at path, with descriptors if fds; the
    answer as text, up to its empty line."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(path)
    data = request.encode("latin-1") if isinstance(request, str) else request
    if fds:
        socket.send_fds(s, [data], fds)
    else:
        s.sendall(data)
    got = b""
    while b"\n\n" not in got and not got.startswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    return got.decode(errors="replace")


def attr_dict(text):
    """An attribute answer (ipc_call) as a dict."""
    return dict(l.split("=", 1) for l in text.split("\n") if "=" in l)


def recv_until(s, marker, limit=1 << 20, count=1):
    """Bytes from socket s until marker is among them count times (or EOF,
    or limit)."""
    got = b""
    while got.count(marker) < count and len(got) < limit:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


def client_ctx():
    """A TLS client context that takes the test certificate (self-signed
    for mail.mired.org) without checking it."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class LineConn:
    """A raw connection of a line protocol to the instance on loopback
    (with TLS at connect, from a source address): send text, read lines;
    the first line is the greeting."""

    def __init__(self, port, tls=False, timeout=15, source=None):
        s = socket.create_connection(("127.0.0.1", port), timeout,
                                     source_address=source)
        if tls:
            s = client_ctx().wrap_socket(s)
        self.s = s
        self.f = s.makefile("rb")
        self.greeting = self.line()

    def line(self):
        return self.f.readline().decode(errors="replace")

    def send(self, text):
        self.s.sendall(text.encode() if isinstance(text, str) else text)

    def close(self):
        try:
            self.f.close()
            self.s.close()
        except OSError:
            pass


class ImapRaw(LineConn):
    """A raw IMAP connection: send lines, read responses up to a tag.
    A read that fails (timeout, reset) reads as "", like EOF; with
    stop_at_bye, an untagged BYE also ends what until() reads."""

    def __init__(self, port, tls=False, timeout=15, stop_at_bye=False):
        self.stop_at_bye = stop_at_bye
        LineConn.__init__(self, port, tls, timeout)

    def line(self):
        try:
            return LineConn.line(self)
        except OSError:
            return ""

    def until(self, tag):
        out = []
        while True:
            l = self.line()
            out.append(l)
            if l == "" or l.startswith(tag + " ") or l.startswith("+ ") \
                    or (self.stop_at_bye and l.startswith("* BYE")):
                return out

    def cmd(self, text, eol="\r\n"):
        self.send(text + eol)
        return self.until(text.split(" ", 1)[0])

    def login(self, user="ana", password="ana"):
        r = self.cmd(". LOGIN %s %s" % (user, password))
        assert r[-1].startswith(". OK"), r
        return r
