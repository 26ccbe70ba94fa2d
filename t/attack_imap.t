#!/usr/bin/env python3
# Attacks on imapd (issue 9, items 1 and 10), each against a real instance.
#
# Item 1: one command that never ends ("a LOGIN {0+}" then lines of a
# 65,000-byte atom each ending in "{0+}") used to grow the process without
# bound (134 MB after 2,000 lines).  Now a command has a byte budget:
# imapd_login_command_max (64k) before login, imap_max_line_length (1m)
# after, and 1,000 tokens before login.  Checked, before login and after
# (the imap process): the peak RSS (VmHWM) of the process that serves the
# connection stays within a few MB while thousands of such lines are sent,
# the server says BYE [TOOBIG] to the literal+ form, BAD [TOOBIG] to the
# synchronising form and stays usable after it, and BAD to too many tokens.
#
# Item 10: a sequence set of 16,000 copies of "1:*" against a mailbox of
# 3,000 messages is answered (SEARCH, FETCH, UID STORE).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import glob
import shutil
import smtplib
import socket
import threading
import time

plan(18)

ATOM = "x" * 65000


def server_pid(inst, conn):
    """The pid of this instance's process holding the server end of conn."""
    cport = conn.s.getsockname()[1]
    sport = conn.s.getpeername()[1]
    inode = None
    with open("/proc/net/tcp") as f:
        for l in f.readlines()[1:]:
            w = l.split()
            lp = int(w[1].split(":")[1], 16)
            rp = int(w[2].split(":")[1], 16)
            if lp == sport and rp == cport:
                inode = w[9]
    if inode is None:
        return None
    want = "socket:[%s]" % inode
    for prog in ("imapd", "imap"):
        for pid in inst.pids(prog):
            for fd in glob.glob("/proc/%d/fd/*" % pid):
                try:
                    if os.readlink(fd) == want:
                        return pid
                except OSError:
                    pass
    return None


def status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for l in f:
                if l.startswith(key + ":"):
                    return int(l.split()[1])
    except OSError:
        pass
    return None


def flood(conn, lines, first, each):
    """Send first, then lines times each, ignoring a closed connection."""
    try:
        conn.send(first)
        for _ in range(lines):
            conn.send(each)
    except OSError:
        pass


def attack(inst, conn, lines, name, limit_kb):
    """The literal+ attack on conn; the peak RSS of its server stays flat."""
    pid = server_pid(inst, conn)
    ok(pid is not None, "%s: found the process serving the connection" % name)
    if pid is None:
        return
    base = status_kb(pid, "VmRSS")
    t = threading.Thread(target=flood, args=(
        conn, lines, "a LOGIN {0+}\r\n", ATOM + " {0+}\r\n"))
    t.start()
    peak = base
    while t.is_alive():
        v = status_kb(pid, "VmRSS")
        if v is not None:
            peak = max(peak, v)
        time.sleep(0.01)
    t.join()
    hwm = status_kb(pid, "VmHWM")
    if hwm is not None:
        peak = max(peak, hwm)
    grew = peak - base
    if not ok(grew < limit_kb, "%s: %d lines of %d bytes and {0+}: the "
              "process's RSS stays flat" % (name, lines, len(ATOM))):
        diag("pid %d: VmRSS %d kB before, peak %d kB (+%d kB, limit +%d)"
             % (pid, base, peak, grew, limit_kb))
    out = conn.until("a")
    if not ok(any("BYE [TOOBIG]" in l for l in out),
              "%s: the endless command gets BYE [TOOBIG]" % name):
        diag("got %r" % out[-3:])


def literal_flood(c, command, most, limit, name):
    """Send command (tag first) and, while the server asks for more, a
    line of ATOM and another synchronising literal, at most most times;
    then the check called name: the server ended it with "tag BAD
    [TOOBIG]" within limit lines."""
    tag = command.split(" ", 1)[0]
    out = c.cmd(command)
    lines = 0
    while out[-1].startswith("+ ") and lines < most:
        c.send(ATOM + " {0}\r\n")
        out = c.until(tag)
        lines += 1
    if not ok(out[-1].startswith(tag + " BAD [TOOBIG]") and lines <= limit,
              name):
        diag("after %d lines: %r" % (lines, out[-1]))


# --- Item 1: before login ---------------------------------------------------
inst = Instance(main_cf={"auth_failure_delay": "0"})
wait_for(lambda: inst.listening(), 10)

c = ImapRaw(inst.imap_port, timeout=60, stop_at_bye=True)
attack(inst, c, 2000, "before login", 2048)
c.close()

c = ImapRaw(inst.imap_port, timeout=60, stop_at_bye=True)
literal_flood(c, "a LOGIN {0}", 10, 2,
              "synchronising literals past 64k before login: a BAD [TOOBIG]")
out = c.cmd("b NOOP")
ok(out[-1].startswith("b OK"), "... and the session goes on (NOOP)")
out = c.cmd("c LOGIN" + " x" * 1001)
if not ok(out[-1].startswith("c BAD") and "Too many" in out[-1],
          "1,001 tokens before login: BAD"):
    diag("got %r" % out[-1])
out = c.cmd("d LOGIN ana ana")
ok(out[-1].startswith("d OK"), "... and then a login works")
c.close()

# --- Item 1: after login, the imap process --------------------------------
c = ImapRaw(inst.imap_port, timeout=60, stop_at_bye=True)
c.cmd("a LOGIN ana ana")
c.cmd("b NOOP")
attack(inst, c, 2000, "after login", 6144)
c.close()

c = ImapRaw(inst.imap_port, timeout=60, stop_at_bye=True)
c.cmd("a LOGIN ana ana")
literal_flood(c, "b SEARCH {0}", 40, 20,
              "synchronising literals past 1m after login: b BAD [TOOBIG]")
out = c.cmd("c SELECT INBOX")
ok(out[-1].startswith("c OK"), "... and the session goes on (SELECT)")
c.close()

# --- Item 10: a set of many overlapping ranges ------------------------------
s = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
s.sendmail("bob@mired.org", ["ana@mired.org"],
           "From: bob@mired.org\r\nTo: ana@mired.org\r\nSubject: uno\r\n\r\n"
           "cuerpo\r\n")
s.quit()
ok(inst.wait_mail(1), "a message delivered to ana")
first = inst.new_mail()[0]
st = os.stat(first)
new = os.path.join(inst.maildir(), "new")
for i in range(2999):
    p = os.path.join(new, "1700000000.M%dP1.attack" % i)
    shutil.copyfile(first, p)
    os.chown(p, st.st_uid, st.st_gid)
    os.chmod(p, st.st_mode & 0o777)

SET = ",".join(["1:*"] * 16000)
c = ImapRaw(inst.imap_port, timeout=300, stop_at_bye=True)
c.cmd("a LOGIN ana ana")
out = c.cmd("b SELECT INBOX")
if not ok("* 3000 EXISTS\r\n" in out, "a mailbox of 3,000 messages"):
    diag("got %r" % out[-3:])
out = c.cmd("c SEARCH " + SET)
if not ok(out[-1].startswith("c OK") and
          any(l.startswith("* SEARCH 1 2 3") and l.rstrip().endswith(" 3000")
              for l in out),
          "SEARCH with 16,000 copies of 1:*: all 3,000 messages"):
    diag("got %r" % [l[:80] for l in out[-3:]])
out = c.cmd("d FETCH " + SET + " (FLAGS)")
ok(out[-1].startswith("d OK") and len(out) == 3001,
   "FETCH with the same set: 3,000 answers, once each (%d lines)" % len(out))
out = c.cmd("e UID STORE " + ",".join(["1:*", "*:1"] * 8000) +
            " +FLAGS.SILENT (\\Seen)")
ok(out[-1].startswith("e OK"), "UID STORE with 16,000 ranges: OK")
out = c.cmd("f SEARCH UNSEEN")
ok(out[-1].startswith("f OK") and "* SEARCH\r\n" in out,
   "... and every message is \\Seen")
c.close()

inst.stop()
done()
