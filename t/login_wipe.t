#!/usr/bin/env python3
# The login sides forget a session's secrets (issue 9, item 4).  A login
# process (imapd, pop3d) serves up to login_max_use clients, so what one
# client sent (its password in LOGIN, in a literal, in AUTHENTICATE PLAIN,
# in PASS; plaintext over TLS) must not stay in its memory for a later
# one.  Checked: after sessions that send a marked password (plain and TLS;
# failing and succeeding logins), the memory of the login process that
# served them (every writable mapping, read through /proc/PID/mem) holds no
# copy of it, in clear or in base64; and login_max_use is in force.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import base64
import re
import socket
import ssl
import time

plan(8)

(POP3, POP3S), extra = services("pop3d",
                                "pop3d -o pop3d_tls_wrappermode=yes")
inst = Instance(main_cf={"auth_failure_delay": "0"}, master_extra=extra)
wait_for(lambda: inst.listening(), 10)


def connect(port, tls=False):
    s = socket.create_connection(("127.0.0.1", port), 15)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    f = s.makefile("rb")
    f.readline()
    return s, f


def talk(s, f, line, until=None):
    s.sendall(line.encode() + b"\r\n")
    out = []
    while True:
        l = f.readline().decode(errors="replace")
        out.append(l)
        if l == "" or until is None or l.startswith(until) or \
                l.startswith("+ ") or l.startswith("+OK") or \
                l.startswith("-ERR"):
            return out


def pids_serving(inst, prog):
    return set(inst.pids(prog))


def memory_has(pid, needles):
    """Which needles occur in the writable memory of pid."""
    found = set()
    try:
        maps = open("/proc/%d/maps" % pid).read().splitlines()
        mem = open("/proc/%d/mem" % pid, "rb", 0)
    except OSError as e:
        diag("cannot read the memory of %d: %s" % (pid, e))
        return None
    for m in maps:
        w = m.split()
        if len(w) < 2 or "w" not in w[1] or (len(w) > 5 and
                                            w[5].startswith("[v")):
            continue
        lo, hi = [int(x, 16) for x in w[0].split("-")]
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
        except (OSError, ValueError, OverflowError):
            continue
        for n in needles:
            if n in data:
                found.add(n)
    mem.close()
    return found


def plain(secret):
    return base64.b64encode(("\0ana\0" + secret).encode()).decode()


def check(prog, secret, name):
    """The login process(es) that served us hold no copy of secret.  The
    tails are searched: malloc writes its pointers over the first bytes
    of a block it frees, which must not pass for a wipe."""
    time.sleep(0.3)       # the process finishes the session
    pids = [p for p in inst.pids(prog)]
    needles = [secret.encode()[-24:], plain(secret).encode()[-24:]]
    bad = {}
    for p in pids:
        got = memory_has(p, needles)
        if got is None:
            bad[p] = "unreadable"
        elif got:
            bad[p] = sorted(x.decode() for x in got)
    if not ok(pids and not bad, name):
        diag("%s processes %r; holding the secret: %r" % (prog, pids, bad))


# --- imapd: LOGIN (atom, literal), AUTHENTICATE PLAIN; plain and TLS ---
for port, tls, label in ((inst.imap_port, False, "IMAP"),
                         (inst.imaps_port, True, "IMAPS")):
    secret = "Wipe%sSecret-%s" % (label, os.urandom(24).hex())
    s, f = connect(port, tls)
    talk(s, f, "a LOGIN ana " + secret, "a ")
    talk(s, f, "b LOGIN ana {%d}" % len(secret), "b ")
    talk(s, f, secret, "b ")
    talk(s, f, "c AUTHENTICATE PLAIN " + plain(secret), "c ")
    talk(s, f, "d LOGOUT", "d ")
    s.close()
    check("imapd", secret, "%s: the login process keeps no copy of "
          "the passwords of a finished session (LOGIN, literal, "
          "AUTHENTICATE PLAIN)" % label)

# A successful login with TLS: the session is relayed, then ends.
s, f = connect(inst.imaps_port, True)
talk(s, f, "a LOGIN ana ana", "a ")
talk(s, f, "b SELECT INBOX", "b ")
talk(s, f, "c LOGOUT", "c ")
s.close()
check("imapd", "b SELECT INBOX\r\nc LOGOUT", "IMAPS: after a relayed "
      "session, the login process keeps no copy of what it relayed")

# --- pop3d: USER/PASS and AUTH PLAIN; plain and TLS ---
for port, tls, label in ((POP3, False, "POP3"), (POP3S, True, "POP3S")):
    secret = "Wipe%sSecret-%s" % (label, os.urandom(24).hex())
    s, f = connect(port, tls)
    talk(s, f, "USER ana")
    talk(s, f, "PASS " + secret)
    talk(s, f, "AUTH PLAIN " + plain(secret))
    talk(s, f, "QUIT")
    s.close()
    check("pop3d", secret, "%s: the login process keeps no copy of "
          "the passwords of a finished session (PASS, AUTH PLAIN)" % label)

# --- login_max_use: a login process serves a bounded number of clients ---
out = inst.cmd("carteroconf", "-d", "login_max_use")
ok(re.search(r"login_max_use = 100\b", out.stdout) is not None,
   "login_max_use defaults to 100")
if not ok(out.returncode == 0, "carteroconf -d login_max_use"):
    diag(out.stdout + out.stderr)

inst.stop()

# With login_max_use = 2, the third connection meets a new process.
inst2 = Instance(main_cf={"login_max_use": "2"})
wait_for(lambda: inst2.listening(), 10)
seen = []
for i in range(3):
    s, f = connect(inst2.imap_port)
    seen.append(sorted(inst2.pids("imapd")))
    talk(s, f, "a LOGOUT", "a ")
    s.close()
    wait_for(lambda: False, 0.3)
if not ok(len(seen[0]) == 1 and seen[0] == seen[1] and
          seen[2] and seen[2][0] not in seen[0],
          "login_max_use = 2: two connections share a login process, the "
          "third gets a new one"):
    diag("imapd processes at each connection: %r" % seen)
inst2.stop()
done()
