"""filters - what the milter tests share: t/miltertest run on a list of
milters and a message, and Debian's filters (clamd, spamd, rspamd and
their milters) started as the test's own processes.

A filter runs in a network namespace of its own with nothing but a
loopback interface (unshare -n, root only) and talks on Unix sockets in
the test's folder: whatever it tries (map downloads, DNS blocklists,
signature updates), nothing leaves the machine.  Each is started once per
test file and stopped at exit (its process group, by the id we started).
"""
import atexit
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time

from cartero_test import BUILD, is_root, skip_all, message_text, wait_for

MILTERTEST = os.path.join(BUILD, "t", "miltertest")

# The test strings of the anti-spam and anti-virus world.
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
EICAR = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def need_filters(name, *programs):
    """Skip the test unless it runs as root with the programs and
    t/miltertest; a folder of its own (removed at exit) for sockets,
    configuration and logs."""
    if not is_root():
        skip_all("needs root (the filters run in a network namespace of "
                 "their own)")
    for prog in programs + ("unshare",):
        if not shutil.which(prog):
            skip_all("%s is not installed (quickstart installs it)" % prog)
    if not os.access(MILTERTEST, os.X_OK):
        skip_all("t/miltertest is not built (make check builds it)")
    tmp = tempfile.mkdtemp(prefix=name + ".")
    atexit.register(shutil.rmtree, tmp, True)
    os.chmod(tmp, 0o755)
    return tmp


def message(path, body, subject="test"):
    """A small message file with body (LF line endings)."""
    with open(path, "w") as f:
        f.write("From: Ana <ana@mired.org>\nTo: bob@mired.org\n"
                "Subject: %s\nMessage-ID: <%s.%d@mired.org>\n"
                "Date: Mon, 07 Dec 2026 10:00:00 +0000\n\n%s\n"
                % (subject, os.path.basename(path), os.getpid(), body))
    return path


def miltertest(milters, msg, *args, opts=()):
    """t/miltertest's output, how long it took, its standard error.
    milters: addresses or objects with .addr (and .settle())."""
    cmd = [MILTERTEST, "-o", "milter_command_timeout=1",
           "-o", "milter_content_timeout=1", "-o", "myhostname=mx.mired.org"]
    for o in opts:
        cmd += ["-o", o]
    cmd += list(args) + [",".join(getattr(m, "addr", m) for m in milters),
                         msg]
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    took = time.time() - t0
    for m in milters:
        if hasattr(m, "settle"):
            m.settle()
    return (p.stdout.decode(errors="replace"), took,
            p.stderr.decode(errors="replace"))


def edited(out):
    """The edited message miltertest printed, or None."""
    if "--- message\n" not in out:
        return None
    return out.split("--- message\n", 1)[1].split("--- end\n", 1)[0]


class Isolated:
    """A filter started in a network namespace with only loopback; ready
    when its socket file appears."""

    def __init__(self, argv, sock, log, timeout=60):
        self.log = log
        self.out = open(log, "ab")
        t0 = time.time()
        self.proc = subprocess.Popen(
            ["unshare", "-n", "--", "sh", "-c",
             'ip link set lo up 2>/dev/null; exec "$@"', "sh"] + argv,
            stdout=self.out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        atexit.register(self.stop)
        while not os.path.exists(sock) and self.proc.poll() is None \
                and time.time() - t0 < timeout:
            time.sleep(0.05)
        self.ready = os.path.exists(sock)
        self.took = time.time() - t0

    def tail(self, n=20):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def signal(self, sig):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self):
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.wait()
        self.out.close()


def stop_all(*filters):
    """Stop several filters at once (each takes its time to exit)."""
    for f in filters:
        f.signal(signal.SIGTERM)
    for f in filters:
        f.stop()


def smtp_send(port, body, subject):
    """One message to ana@mired.org through a cartero instance's smtpd on
    port: the reply to its end (code, text)."""
    c = smtplib.SMTP("127.0.0.1", port, timeout=120)
    try:
        for code, text in (c.ehlo("client.example"), c.mail("bob@mired.org"),
                           c.rcpt("ana@mired.org")):
            if code >= 400:
                raise smtplib.SMTPResponseException(code, text)
        code, text = c.data("From: Bob <bob@mired.org>\r\nTo: ana@mired.org\r\n"
                            "Subject: %s\r\n\r\n%s\r\n" % (subject, body))
    except smtplib.SMTPResponseException as e:
        code, text = e.smtp_code, e.smtp_error
    try:
        c.quit()
    except smtplib.SMTPException:
        pass
    return code, text.decode(errors="replace")


def delivered(inst, subject, timeout=20, user="ana"):
    """The text of the user's message with that subject, or None."""
    def find():
        for f in inst.mail_files(user):
            t = message_text(f)
            if "Subject: %s\n" % subject in t:
                return t
        return None
    wait_for(lambda: find() is not None, timeout)
    return find()
