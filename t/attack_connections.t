#!/usr/bin/env python3
# Issue 9 item 2: one client address must not hold every server process.
# anvil counts per service and client the connections open now and those of
# the last anvil_rate_time_unit; smtpd, pop3d and imapd refuse a client
# over smtpd/pop3d/imapd_client_connection_count_limit or _rate_limit with
# Postfix's 421, "-ERR [SYS/TEMP]" or "* BYE [UNAVAILABLE]", while other
# addresses, and the exempt ones ($mynetworks = 127.0.0.1/32 here), still
# get their greeting.  A killed process leaves no count behind.  Then the
# short waits: an idle client before login and a client that opens TLS and
# says nothing are dropped after login_timeout, login_starttls_timeout and
# smtpd_starttls_timeout.  A client on 127.0.0.2 (and .3 .4 .5 ...) plays a
# host on the Internet.
import os, sys, signal, socket, struct, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

COUNT, RATE = 5, 20
pop_port, pop_idle_port, pops_port = free_port(), free_port(), free_port()
imap_idle_port, imaps_slow_port = free_port(), free_port()
smtp_slow_port, smtps_slow_port = free_port(), free_port()
inst = Instance(main_cf={
    "mynetworks": "127.0.0.1/32",
    "smtpd_client_connection_count_limit": str(COUNT),
    "smtpd_client_connection_rate_limit": str(RATE),
    "pop3d_client_connection_count_limit": str(COUNT),
    "pop3d_client_connection_rate_limit": str(RATE),
    "imapd_client_connection_count_limit": str(COUNT),
    "imapd_client_connection_rate_limit": str(RATE),
}, master_extra=(
    "127.0.0.1:%d inet n - n - - pop3d\n" % pop_port +
    "127.0.0.1:%d inet n - n - - pop3d -o login_timeout=2s\n"
    % pop_idle_port +
    "127.0.0.1:%d inet n - n - - pop3d -o pop3d_tls_wrappermode=yes "
    "-o login_starttls_timeout=2s\n" % pops_port +
    "127.0.0.1:%d inet n - n - - imapd -o login_timeout=2s\n"
    % imap_idle_port +
    "127.0.0.1:%d inet n - n - - imapd -o imapd_tls_wrappermode=yes "
    "-o login_starttls_timeout=2s\n" % imaps_slow_port +
    "127.0.0.1:%d inet n - n - - smtpd -o smtpd_starttls_timeout=2s\n"
    % smtp_slow_port +
    "127.0.0.1:%d inet n - n - - smtpd -o smtpd_tls_wrappermode=yes "
    "-o smtpd_starttls_timeout=2s\n" % smtps_slow_port))
wait_for(lambda: inst.listening(), 10)


class Proto:
    def __init__(self, name, prog, port, greeting, refusal, quit):
        self.name, self.prog, self.port = name, prog, port
        self.greeting, self.refusal, self.quit = greeting, refusal, quit


PROTOS = [
    Proto("SMTP", "smtpd", inst.port, "220 mail.mired.org",
          "421 4.7.0 mail.mired.org Error: too many connections from %s",
          b"QUIT\r\n"),
    Proto("IMAP", "imapd", inst.imap_port, "* OK",
          "* BYE [UNAVAILABLE] Too many connections from %s",
          b"a LOGOUT\r\n"),
    Proto("POP3", "pop3d", pop_port, "+OK",
          "-ERR [SYS/TEMP] Too many connections from %s", b"QUIT\r\n"),
]


def connect(port, src):
    """A connection from src to the instance; (socket, first line)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    line = b""
    try:
        while not line.endswith(b"\n"):
            chunk = s.recv(1)
            if not chunk:
                break
            line += chunk
    except socket.timeout:
        pass
    return s, line.decode(errors="replace").rstrip("\r\n")


def close(p, s):
    """Log out and wait until the server closed: its count is gone."""
    try:
        s.sendall(p.quit)
    except OSError:
        pass
    recv_all(s, 10)


def greeted(p, line):
    return line.startswith(p.greeting)


def open_n(p, src, n, what):
    """n connections that must all be greeted."""
    socks, bad = [], []
    for i in range(n):
        s, line = connect(p.port, src)
        socks.append(s)
        if not greeted(p, line):
            bad.append((i + 1, line))
    ok(not bad, "%s: %d connections from %s %s" % (p.name, n, src, what))
    if bad:
        diag("not greeted (connection number, first line): %r" % bad)
    return socks


def refused(p, src, what):
    s, line = connect(p.port, src)
    is_(line, p.refusal % src, "%s: %s" % (p.name, what))
    rest = recv_all(s, 10)
    is_(rest, "", "... and the connection is closed")


def holders(p, src):
    """PIDs of p's processes that hold a connection from src (by the
    socket inodes of /proc/net/tcp)."""
    def hexaddr(ip, port):
        return "%08X:%04X" % (struct.unpack("<I", socket.inet_aton(ip))[0],
                              port)
    local, inodes = hexaddr("127.0.0.1", p.port), set()
    with open("/proc/net/tcp") as f:
        for row in f.read().splitlines()[1:]:
            col = row.split()
            if col[1] == local and col[2].startswith(hexaddr(src, 0)[:9]) \
                    and col[3] == "01":
                inodes.add("socket:[%s]" % col[9])
    out = []
    for pid in inst.pids(p.prog):
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
            links = {os.readlink("/proc/%d/fd/%s" % (pid, fd)) for fd in fds}
        except OSError:
            continue
        if links & inodes:
            out.append(pid)
    return out


def alive(pid):
    """Is the process there and not a zombie?"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


for p in PROTOS:
    # --- The count: N are let in, the N+1th is refused, others are not. ---
    socks = open_n(p, "127.0.0.2", COUNT, "are greeted (count limit %d)"
                   % COUNT)
    refused(p, "127.0.0.2", "connection %d from 127.0.0.2 gets the exact "
            "refusal" % (COUNT + 1))
    s, line = connect(p.port, "127.0.0.3")
    ok(greeted(p, line), "%s: meanwhile 127.0.0.3 is greeted" % p.name) or \
        diag("got %r" % line)
    close(p, s)
    s, line = connect(p.port, "127.0.0.1")
    ok(greeted(p, line), "%s: and so is 127.0.0.1" % p.name) or \
        diag("got %r" % line)
    close(p, s)
    close(p, socks.pop())
    s, line = connect(p.port, "127.0.0.2")
    ok(greeted(p, line), "%s: after one of them closed, 127.0.0.2 is let "
       "in again" % p.name) or diag("got %r" % line)
    socks.append(s)
    refused(p, "127.0.0.2", "... and the next is refused again")
    for s in socks:
        close(p, s)

    # --- kill -9 of the processes holding connections frees their count. ---
    socks = open_n(p, "127.0.0.5", COUNT, "are greeted before the kill")
    refused(p, "127.0.0.5", "connection %d from 127.0.0.5 is refused"
            % (COUNT + 1))
    pids = []
    wait_for(lambda: len(holders(p, "127.0.0.5")) >= COUNT, 5)
    pids = holders(p, "127.0.0.5")
    ok(len(pids) == COUNT, "%s: the %d processes holding them are found"
       % (p.name, COUNT)) or diag("found %r" % pids)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not any(alive(q) for q in pids), 10)
    time.sleep(0.5)
    for s in socks:
        s.close()
    socks = open_n(p, "127.0.0.5", COUNT, "are greeted after kill -9 of "
                   "the processes that held its connections")
    refused(p, "127.0.0.5", "... and the count limit still holds")
    for s in socks:
        close(p, s)

    # --- The rate: RATE connections in the window, the next is refused. ---
    bad = []
    for i in range(RATE):
        s, line = connect(p.port, "127.0.0.4")
        if not greeted(p, line):
            bad.append((i + 1, line))
        close(p, s)
    ok(not bad, "%s: %d connections one after the other from 127.0.0.4 "
       "are greeted (rate limit %d)" % (p.name, RATE, RATE))
    if bad:
        diag("not greeted: %r" % bad)
    refused(p, "127.0.0.4", "connection %d in the window is refused"
            % (RATE + 1))

    # --- 127.0.0.1 is exempt: never refused, past both limits. ---
    socks = open_n(p, "127.0.0.1", COUNT + 3, "(exempt) are all greeted, "
                   "past the count limit")
    for s in socks:
        close(p, s)
    bad = []
    for i in range(RATE + 3):
        s, line = connect(p.port, "127.0.0.1")
        if not greeted(p, line):
            bad.append((i + 1, line))
        close(p, s)
    ok(not bad, "%s: 127.0.0.1 is greeted %d times in a row, past the rate "
       "limit" % (p.name, RATE + 3))
    if bad:
        diag("not greeted: %r" % bad)

# --- mynetworks = 127.0.0.1/32 (as quickstart's): who may relay. ---
for src, want in (("127.0.0.1", "250"), ("127.0.0.2", "554")):
    s, banner = connect(inst.port, src)
    s.sendall(b"HELO client.example\r\nMAIL FROM:<a@example.org>\r\n"
              b"RCPT TO:<b@example.net>\r\nQUIT\r\n")
    got = recv_all(s, 10).splitlines()
    like(got[2] if len(got) > 2 else repr(got), want,
         "relay from %s to another domain: %s" % (src, want))

log = inst.read_log()
like(log, "warning: Connection concurrency limit exceeded: %d from "
     "unknown[127.0.0.2] for service 127.0.0.1:%d" % (COUNT + 1, inst.port),
     "smtpd logs the count refusal as Postfix does")
like(log, "warning: Connection rate limit exceeded: %d from "
     "unknown[127.0.0.4] for service 127.0.0.1:%d" % (RATE + 1, inst.port),
     "... and the rate refusal")
like(log, "warning: Connection concurrency limit exceeded: %d from "
     "127.0.0.2 for service 127.0.0.1:%d" % (COUNT + 1, inst.imap_port),
     "imapd logs its refusals too")
ok("anvil service" not in log, "no process found anvil unreachable")


# --- Short waits before the login and in the TLS handshake. ---
def dropped_after(port, src, send, want, what, limit=10):
    """Connect, say send, then nothing: the server must close by itself
    (after saying want, if given) within limit seconds."""
    s, greeting = connect(port, src)
    if send:
        s.sendall(send)
    t0 = time.time()
    rest = recv_all(s, limit)
    took = time.time() - t0
    if want:
        like(greeting + "\n" + rest, want, what)
    ok(took < limit - 1, "... the server closed after %.1f s (the test "
       "waits %d s)" % (took, limit))


dropped_after(pop_idle_port, "127.0.0.2", None,
              "-ERR Disconnected for inactivity.",
              "POP3: an idle client before login is dropped (login_timeout "
              "2s)")
dropped_after(imap_idle_port, "127.0.0.2", None,
              "* BYE Disconnected for inactivity.",
              "IMAP: an idle client before login is dropped (login_timeout "
              "2s)")
for port, name in ((pops_port, "POP3S"), (imaps_slow_port, "IMAPS"),
                   (smtps_slow_port, "SMTPS")):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.connect(("127.0.0.1", port))
    t0 = time.time()
    rest = recv_all(s, 10)
    took = time.time() - t0
    ok(took < 9, "%s: a client that sends no TLS handshake is dropped "
       "after the handshake timeout (%.1f s, 2s configured)" % (name, took))
# STARTTLS, then nothing.
s, banner = connect(smtp_slow_port, "127.0.0.2")
s.sendall(b"EHLO client.example\r\nSTARTTLS\r\n")
got = recv_until(s, b"220 2.0.0")
like(got.decode(errors="replace"), "220 2.0.0", "SMTP: STARTTLS is accepted")
t0 = time.time()
rest = recv_all(s, 10)
took = time.time() - t0
ok(took < 9, "... a client that then sends no handshake is dropped after "
   "smtpd_starttls_timeout (%.1f s, 2s configured)" % took)

inst.cleanup()

# --- An old master.cf without anvil: clients are let in, with a warning. ---
port, iport = free_port(), free_port()
inst2 = Instance(main_cf={"mynetworks": "127.0.0.1/32",
                          "smtpd_client_connection_count_limit": "1",
                          "imapd_client_connection_count_limit": "1"},
                 port=port, master_cf=(
                     "127.0.0.1:%d inet n - n - - smtpd\n" % port +
                     "127.0.0.1:%d inet n - n - - imapd\n" % iport +
                     "qmgr unix n - n 300 1 qmgr\n"
                     "auth unix - n n - 1 auth\n"))
wait_for(lambda: inst2.listening(), 10)
for p in (Proto("SMTP", "smtpd", port, "220 ", "", b"QUIT\r\n"),
          Proto("IMAP", "imapd", iport, "* OK", "", b"a LOGOUT\r\n")):
    socks = open_n(p, "127.0.0.2", 2, "are greeted past the count limit "
                   "when master.cf has no anvil")
    for s in socks:
        close(p, s)
like(inst2.read_log(), "anvil service: connect ",
     "... and the processes warn that the limits are off")
inst2.cleanup()
done()
