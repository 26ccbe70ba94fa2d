#!/usr/bin/env python3
# A login process that finds auth failing (LOGIN_TEMP: in the jail, a
# stale link to auth's socket) answers the client with a temporary error
# and exits once the session ends, so that master starts a fresh one
# that renews its links (lib/login.c login_recycle).  Checked for pop3d
# and imapd: a wrong password leaves the process serving; with auth's
# socket out of reach the login gets "-ERR [SYS/TEMP]" or "NO
# [UNAVAILABLE]" and that process is gone after the QUIT or LOGOUT;
# with the socket back, a login works again.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import re
import socket
import time

plan(10)

(POP3,), extra = services("pop3d")
inst = Instance(main_cf={"auth_failure_delay": "0"}, master_extra=extra)
wait_for(lambda: inst.listening(), 10)



def auth_socket():
    """The socket the login sides reach: the jail's link (a login side
    started as root makes it), else auth's own."""
    jail = os.path.join(inst.spool, "empty", "private", "auth")
    return jail if os.path.exists(jail) else \
        os.path.join(inst.spool, "private", "auth")


def session(port, lines, last):
    """Say each line in turn, return every reply line; last ends it."""
    s = socket.create_connection(("127.0.0.1", port), 15)
    f = s.makefile("rb")
    out = [f.readline().decode(errors="replace")]
    for l in lines + [last]:
        s.sendall(l.encode() + b"\r\n")
        while True:
            r = f.readline().decode(errors="replace")
            out.append(r)
            if r == "" or r[:1] in "+-" or r.startswith("a "):
                break
    s.close()
    return "".join(out)


def log_pid(prog, what):
    """The pid of the prog that last logged what, or None."""
    pids = re.findall(r"%s\[(\d+)\]: %s" % (prog, what), inst.read_log())
    return int(pids[-1]) if pids else None


def check(prog, port, login, last, temp):
    out = session(port, login("wrong"), last)
    ok("ailed" in out, "%s: a wrong password is refused" % prog)
    failed = "authentication failed: method=PLAIN, user=<ana>"
    pid = wait_for(lambda: log_pid(prog, failed), 5) and \
        log_pid(prog, failed)
    time.sleep(0.5)
    ok(pid and pid in inst.pids(prog),
       "%s: ... and the process that said so stays" % prog)
    AUTH = auth_socket()
    os.rename(AUTH, AUTH + ".away")
    try:
        out = session(port, login("ana"), last)
    finally:
        if not os.path.exists(AUTH):
            os.rename(AUTH + ".away", AUTH)
        else:
            os.unlink(AUTH + ".away")
    like(out, temp, "%s: auth out of reach: a temporary failure" % prog)
    temp_log = "warning: login of user=<ana>"
    pid = wait_for(lambda: log_pid(prog, temp_log), 5) and \
        log_pid(prog, temp_log)
    ok(pid and wait_for(lambda: pid not in inst.pids(prog), 10),
       "%s: the process that met it exits after the session" % prog)
    out = session(port, login("ana"), last)
    ok(not re.search(r"TEMP|UNAVAILABLE|ailed", out),
       "%s: a fresh process logs in again" % prog)


check("pop3d", POP3, lambda pw: ["USER ana", "PASS " + pw], "QUIT",
      "-ERR [SYS/TEMP] Temporary authentication failure")
check("imapd", inst.imap_port, lambda pw: ["a LOGIN ana " + pw],
      "a LOGOUT", "NO [UNAVAILABLE] Temporary authentication failure")
inst.cleanup()
done()
