#!/usr/bin/env python3
# pop3d: the seed's telnet POP3 dialog verbatim (CRLF and bare LF, logins
# "ana" and "ana@mired.org"), poplib in plaintext, with STLS and on the
# implicit-TLS port; SASL PLAIN and LOGIN; UIDLs stable across sessions
# and after RETR moves new/ to cur/; DELE only at QUIT, a dropped
# connection deletes nothing; [IN-USE]; CRLF sizes of LF-stored mail;
# dot-stuffing; pipelining; STLS discards pipelined input; passwords
# refused in plaintext from a non-loopback client; bad input, the error
# limit and the idle timeouts (before and after login); a message removed
# under a session.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import base64
import glob
import poplib
import smtplib
import socket
import ssl
import subprocess
import time


class Raw(LineConn):
    """A raw POP3 connection: send lines, read replies."""

    def __init__(self, port, source=None, timeout=10):
        LineConn.__init__(self, port, timeout=timeout, source=source)

    def cmd(self, text, eol="\r\n"):
        self.send(text + eol)
        return self.line()

    def multi(self):
        out = []
        while True:
            l = self.line()
            if l in (".\r\n", ""):
                return out
            out.append(l)


def deliver(subject, body, user="ana"):
    inst.deliver_wait(subject, body, user)


def files(user="ana"):
    return inst.mail_files(user)


def login(port=None, user="ana", password="ana"):
    m = poplib.POP3("127.0.0.1", port or pop_port, timeout=10)
    m.user(user)
    m.pass_(password)
    return m


def nonloopback_address():
    """A local address outside 127/8, to be a 'remote' client from."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True,
                             text=True).stdout.split()
    except OSError:
        return None
    for a in out:
        if ":" not in a and not a.startswith("127."):
            return a
    return None


(pop_port, pops_port, idle_port), extra = services(
    "pop3d", "pop3d -o pop3d_tls_wrappermode=yes",
    "pop3d -o pop3d_timeout=2s")
inst = Instance(main_cf={"auth_failure_delay": "1s"}, master_extra=extra)
wait_for(lambda: inst.listening(), 10)

# Three messages; the second has a line that starts with a dot.
deliver("uno", "primero\r\n")
deliver("dos", "linea\r\n.punto al principio\r\n..dos puntos\r\nfin\r\n")
deliver("tres", "tercero\r\n")
ok(inst.wait_mail(3), "three messages delivered to ana")

# --- The seed's dialog, typed as in telnet (CRLF) and nc (bare LF). ---
for eol, form, who in (("\r\n", "telnet", "ana"), ("\n", "nc", "ana@mired.org")):
    r = Raw(pop_port)
    ok(r.greeting.startswith("+OK"), "%s: greeting +OK" % form)
    is_(r.cmd("USER %s" % who, eol), "+OK\r\n", "%s: USER %s" % (form, who))
    is_(r.cmd("PASS ana", eol), "+OK Logged in.\r\n", "%s: PASS" % form)
    stat = r.cmd("STAT", eol)
    ok(stat.startswith("+OK 3 "), "%s: STAT says 3 messages (%s)" %
       (form, stat.strip()))
    like(r.cmd("LIST", eol), "+OK 3 messages", "%s: LIST" % form)
    listing = r.multi()
    is_(len(listing), 3, "%s: LIST has three lines" % form)
    size1 = int(listing[0].split()[1])
    retr = r.cmd("RETR 1", eol)
    is_(retr, "+OK %d octets\r\n" % size1, "%s: RETR 1 gives the LIST size"
        % form)
    text = r.multi()
    is_(sum(len(l) for l in text), size1, "%s: ... and that many octets" %
        form)
    ok(all(l.endswith("\r\n") for l in text), "%s: every line ends in CRLF"
       % form)
    like("".join(text), "Subject: uno", "%s: ... of the first message" % form)
    if form == "telnet":
        # Not deleted yet in the first round: the second round needs it.
        is_(r.cmd("QUIT", eol), "+OK Logging out.\r\n", "%s: QUIT" % form)
    else:
        is_(r.cmd("DELE 1", eol), "+OK Marked to be deleted.\r\n",
            "%s: DELE 1" % form)
        ok(len(files()) == 3, "%s: DELE removes nothing before QUIT" % form)
        is_(r.cmd("QUIT", eol), "+OK Logging out.\r\n", "%s: QUIT" % form)
        ok(wait_for(lambda: len(files()) == 2, 5),
           "%s: QUIT removed the message" % form)
    r.close()

# --- poplib, plaintext: sizes, dot-stuffing, TOP, UIDL. ---
m = login()
count, total = m.stat()
is_(count, 2, "poplib: two messages left")
resp, listing, _ = m.list()
sizes = {int(l.split()[0]): int(l.split()[1]) for l in listing}
is_(sum(sizes.values()), total, "STAT's size is the sum of LIST's")
resp, lines, octets = m.retr(1)
is_(octets, sizes[1], "poplib: RETR octets match LIST (CRLF size)")
ok(b".punto al principio" in lines and b"..dos puntos" in lines,
   "dot-stuffed lines come back as they were sent")
stored = [f for f in files() if b"Subject: dos" in open(f, "rb").read()][0]
raw = open(stored, "rb").read()
ok(b"\r\n" not in raw, "the message is stored with LF line ends")
is_(sizes[1], len(raw) + raw.count(b"\n"),
    "LIST size = stored bytes + one CR per LF")
resp, top, _ = m.top(1, 1)
ok(top[-1] == b"linea" and b"Subject: dos" in top, "TOP 1 1: header and "
   "one body line")
resp, uidls, _ = m.uidl()
uidl1 = {int(l.split()[0]): l.split()[1] for l in uidls}
ok(all(0 < len(u) <= 70 for u in uidl1.values()), "UIDLs are 1-70 octets")
is_(m.uidl(2).split()[2], uidl1[2], "UIDL n agrees with UIDL")
m.quit()

# The seed's dialog leaves the retrieved messages seen, in cur/.
cur = glob.glob(os.path.join(inst.maildir(), "cur", "*"))
ok(len(cur) == 1 and cur[0].endswith(":2,S"),
   "RETR moved the message to cur/ with :2,S (%s)" % cur)

m = login(user="ana@mired.org")
resp, uidls, _ = m.uidl()
uidl2 = {int(l.split()[0]): l.split()[1] for l in uidls}
is_(uidl2, uidl1, "UIDLs are the same in the next session, after new/ to cur/")
m.quit()

# --- DELE and a dropped connection. ---
r = Raw(pop_port)
r.cmd("USER ana"); r.cmd("PASS ana")
like(r.cmd("DELE 1"), "+OK", "DELE 1 before a hang-up")
like(r.cmd("DELE 1"), "-ERR", "a second DELE 1 is refused")
like(r.cmd("LIST 1"), "-ERR", "LIST of a deleted message is refused")
like(r.cmd("RSET"), "+OK", "RSET")
like(r.cmd("LIST 1"), "+OK", "RSET undeletes")
r.cmd("DELE 1")
r.close()


def can_login():
    try:
        login().quit()
        return True
    except poplib.error_proto:
        return False


ok(wait_for(can_login, 10), "the mailbox is free once the client is gone")
is_(len(files()), 2, "a dropped connection deletes nothing")

# --- [IN-USE]. ---
a = login()
r = Raw(pop_port)
r.cmd("USER ana")
is_(r.cmd("PASS ana"),
    "-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n",
    "a second session gets [IN-USE]")
r.close()
# Mail delivered during a session shows in the next one only.
deliver("cuatro", "durante la sesion\r\n")
ok(inst.wait_mail(2), "a message delivered during the session")
is_(a.stat()[0], 2, "the session does not see it")
a.quit()
m = login()
is_(m.stat()[0], 3, "the next session does")
m.quit()

# --- STLS, and POP3S (implicit TLS). ---
m = poplib.POP3("127.0.0.1", pop_port, timeout=10)
caps = m.capa()
ok("STLS" in caps, "CAPA offers STLS")
for c in ("TOP", "USER", "UIDL", "RESP-CODES", "AUTH-RESP-CODE",
          "PIPELINING", "SASL", "IMPLEMENTATION"):
    ok(c in caps, "CAPA lists %s" % c)
is_(caps.get("SASL"), ["PLAIN", "LOGIN"], "SASL PLAIN LOGIN")
m.stls(client_ctx())
ok(m.sock.version() in ("TLSv1.2", "TLSv1.3"), "STLS: %s" % m.sock.version())
ok("STLS" not in m.capa(), "no STLS offered under TLS")
m.user("ana@mired.org")
like(m.pass_("ana").decode(), "+OK Logged in.", "login under STLS")
resp, lines, octets = m.retr(1)
ok(octets > 0 and any(l.startswith(b"Subject:") for l in lines),
   "RETR through the TLS relay")
is_(m.stat()[0], 3, "STAT through the TLS relay")
like(m.quit().decode(), "+OK", "QUIT through the TLS relay")

m = poplib.POP3_SSL("127.0.0.1", pops_port, context=client_ctx(), timeout=10)
like(m.getwelcome().decode(), "+OK", "POP3S greeting")
ok("STLS" not in m.capa(), "POP3S does not offer STLS")
m.user("ana")
m.pass_("ana")
is_(m.stat()[0], 3, "POP3S: STAT")
resp, lines, octets = m.retr(3)
like(b"\n".join(lines).decode(), "durante la sesion", "POP3S: RETR")
m.quit()

# STLS discards what was pipelined before the handshake.
r = Raw(pop_port)
r.send("STLS\r\nUSER ana\r\n")
like(r.line(), "+OK", "STLS with a command pipelined behind it")
t = client_ctx().wrap_socket(r.s)
tf = t.makefile("rb")
t.sendall(b"PASS ana\r\n")
like(tf.readline().decode(), "-ERR", "the pipelined USER was discarded")
t.sendall(b"QUIT\r\n")
tf.readline()
t.close()

# --- SASL (RFC 5034). ---
def b64(s):
    return base64.b64encode(s.encode()).decode()

r = Raw(pop_port)
is_(r.cmd("AUTH PLAIN " + b64("\0ana\0ana")), "+OK Logged in.\r\n",
    "AUTH PLAIN with an initial response")
r.cmd("QUIT"); r.close()
r = Raw(pop_port)
is_(r.cmd("AUTH PLAIN"), "+ \r\n", "AUTH PLAIN: an empty challenge")
is_(r.cmd(b64("\0ana@mired.org\0ana")), "+OK Logged in.\r\n",
    "... then the response")
r.cmd("QUIT"); r.close()
r = Raw(pop_port)
is_(r.cmd("AUTH LOGIN"), "+ VXNlcm5hbWU6\r\n", "AUTH LOGIN asks Username:")
is_(r.cmd(b64("ana")), "+ UGFzc3dvcmQ6\r\n", "... and Password:")
is_(r.cmd(b64("ana")), "+OK Logged in.\r\n", "AUTH LOGIN logs in")
r.cmd("QUIT"); r.close()
r = Raw(pop_port)
like(r.cmd("AUTH PLAIN"), "+ ", "AUTH PLAIN")
like(r.cmd("*"), "-ERR", "* aborts the exchange")
like(r.cmd("AUTH PLAIN !!!notbase64"), "-ERR", "bad base64 is refused")
like(r.cmd("AUTH CRAM-MD5"), "-ERR", "an unknown mechanism is refused")
t0 = time.time()
is_(r.cmd("AUTH PLAIN " + b64("\0ana\0wrong")),
    "-ERR [AUTH] Authentication failed.\r\n", "a wrong password: [AUTH]")
ok(time.time() - t0 >= 0.9, "... after auth_failure_delay")
r.cmd("USER ana")
is_(r.cmd("PASS Sekrit-42"), "-ERR [AUTH] Authentication failed.\r\n",
    "USER/PASS with a wrong password")
like(r.cmd("PASS ana"), "-ERR", "PASS without USER")
r.cmd("QUIT"); r.close()

# --- Pipelining: the whole session in one write. ---
r = Raw(pop_port)
r.send("USER ana\r\nPASS ana\r\nSTAT\r\nLIST\r\nUIDL\r\nNOOP\r\nQUIT\r\n")
got = r.s.makefile("rb").read().decode()  # until the server closes
r.close()
replies = got.split("\r\n")
is_(replies[0:2], ["+OK", "+OK Logged in."], "pipelined USER, PASS")
like(replies[2], "+OK 3 ", "pipelined STAT")
like(got, "+OK 3 messages:\r\n1 ", "pipelined LIST")
ok(got.endswith("+OK\r\n+OK Logging out.\r\n"), "pipelined NOOP, QUIT")

# --- Bad input. ---
r = Raw(pop_port)
r.cmd("USER ana"); r.cmd("PASS ana")
is_(r.cmd("X" * 5000), "-ERR Line too long.\r\n", "an over-long line")
like(r.cmd("FOO"), "-ERR Unknown command", "an unknown command")
like(r.cmd("RETR"), "-ERR", "RETR without a number")
like(r.cmd("RETR 0"), "-ERR", "RETR 0")
like(r.cmd("RETR 99"), "-ERR There's no message 99.", "RETR 99")
like(r.cmd("RETR abc"), "-ERR Invalid message number", "RETR abc")
like(r.cmd("RETR -1"), "-ERR", "RETR -1")
like(r.cmd("TOP 1 x"), "-ERR", "TOP 1 x")
like(r.cmd("LIST 1 2"), "-ERR", "LIST 1 2")
like(r.cmd("NOOP"), "+OK", "the session goes on after bad input")
got = ""
for i in range(12):
    l = r.cmd("BOGUS%d" % i)
    got += l
    if "Too many" in l:
        break
like(got, "-ERR Too many errors", "too many errors after login")
is_(r.line(), "", "... and the connection is closed")
r.close()

r = Raw(pop_port)
got = ""
for i in range(12):
    try:
        got += r.cmd("NONSENSE")
    except OSError:
        break
like(got, "-ERR Too many errors", "too many errors before login")
r.s.settimeout(5)
try:
    tail = r.s.recv(100)
except OSError:
    tail = b""
is_(tail, b"", "... and the connection is closed")
r.close()

# --- A message removed by another program during the session. ---
m = login()
n = m.stat()[0]
victim = files()[0]
os.unlink(victim)
errors = []
for i in range(1, n + 1):
    try:
        m.retr(i)
    except poplib.error_proto as e:
        errors.append(str(e))
is_(len(errors), 1, "RETR of the removed message fails")
like(errors[0] if errors else None, "Message was removed", "... saying so")
like(m.noop().decode(), "+OK", "... and the session goes on")
m.quit()

# --- Passwords in plaintext from a non-loopback client. ---
addr = nonloopback_address()
if addr is None:
    ok(True, "# SKIP no non-loopback address to test from")
else:
    r = Raw(pop_port, source=(addr, 0))
    r.send("CAPA\r\n")
    r.line()
    caps = "".join(r.multi())
    ok("USER" not in caps and "SASL" not in caps and "STLS" in caps,
       "CAPA from %s: STLS, no USER or SASL" % addr)
    is_(r.cmd("USER ana"), "-ERR [AUTH] Plaintext authentication disallowed "
        "on non-secure connections\r\n", "USER in plaintext is refused")
    like(r.cmd("AUTH PLAIN " + b64("\0ana\0ana")), "-ERR [AUTH] Plaintext",
         "AUTH PLAIN in plaintext is refused")
    like(r.cmd("STLS"), "+OK", "STLS from %s" % addr)
    t = client_ctx().wrap_socket(r.s)
    tf = t.makefile("rb")
    t.sendall(b"USER ana\r\nPASS ana\r\n")
    is_(tf.readline() + tf.readline(), b"+OK\r\n+OK Logged in.\r\n",
        "... then the login is accepted")
    t.sendall(b"QUIT\r\n")
    tf.readline()
    t.close()

# --- The idle timeout (pop3d_timeout = 2s on that port). ---
r = Raw(idle_port)
r.s.settimeout(10)
t0 = time.time()
is_(r.line(), "-ERR Disconnected for inactivity.\r\n",
    "an idle client is told off")
ok(time.time() - t0 < 8, "... after pop3d_timeout")
r.close()

log = inst.read_log()
like(log, "login: user=<ana@mired.org>", "the log has the logins")
ok("Sekrit-42" not in log, "no password in the log")
inst.cleanup()

# --- The idle timeout after login: the mailbox side (pop3) reads main.cf. ---
idle2_port = free_port()
inst2 = Instance(main_cf={"pop3d_timeout": "2s"},
                 master_extra="127.0.0.1:%d inet n - n - - pop3d\n"
                 % idle2_port)
wait_for(lambda: inst2.listening(), 10)
r = Raw(idle2_port)
r.s.settimeout(10)
is_(r.cmd("USER ana"), "+OK\r\n", "idle after login: USER")
is_(r.cmd("PASS ana"), "+OK Logged in.\r\n", "... PASS")
like(r.cmd("STAT"), "+OK 0 0", "... STAT")
t0 = time.time()
is_(r.line(), "-ERR Disconnected for inactivity.\r\n",
    "an idle logged-in client is told off")
ok(time.time() - t0 < 8, "... after pop3d_timeout")
r.close()
done()
