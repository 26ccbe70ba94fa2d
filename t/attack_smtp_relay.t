#!/usr/bin/env python3
# Never an open relay (issue 11, item 6).  From a client outside
# mynetworks (127.0.0.2; mynetworks is 127.0.0.1/32) without AUTH, the
# classic relay tricks are refused at RCPT (5.7.1, or 5.1.x for what is
# malformed or no user here) and nothing is queued: user%other@,
# other!user@, "user@other"@, source routes, trailing dots, upper case,
# address literals, empty and null addresses.  Then the end of DATA:
# bare LF, bare CR, \n.\r\n, \r.\n, \r\n.\n, \n.\n never end a message,
# and what follows them is never taken for commands (SMTP smuggling).
# Then a client that keeps failing AUTH is disconnected at
# smtpd_hard_error_limit (past smtpd_soft_error_limit each reply waits a
# second: not timed here).  Commands pipelined after STARTTLS are tested
# in t/smtp_tls.t, xtext in ENVID/ORCPT in t/smtpd_dsn.t.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import base64
import smtplib
import socket

inst = Instance(main_cf={"mynetworks": "127.0.0.1/32",
                         "relay_domains": ""})
OUT = ("127.0.0.2", 0)

TRICKS = [
    "user%otro.test@mired.org", "otro.test!user@mired.org",
    '"user@otro.test"@mired.org', "user@otro.test@mired.org",
    "@mired.org:user@otro.test", "@mired.org,@otro.test:user@otro.test",
    "user@otro.test.", "user@otro.test..", "user@OTRO.TEST",
    "USER@Otro.Test.", "user@[192.0.2.1]", "user@[127.0.0.1]",
    "user@[IPv6:2001:db8::1]", '"user%otro.test"@mired.org',
    "user@mired.org@otro.test", "user@otro.test%mired.org",
    "ana%otro.test@MIRED.ORG", "user", "", "user@", "@otro.test",
]
ALLOWED = ("554 5.7.1", "553 5.1.3", "550 5.1.1", "501 5.1.3",
           "501 5.5.4", "553 5.1.7")


def code(reply):
    return "%d %s" % (reply[0], reply[1].decode(errors="replace"))


# A few at a time: smtpd_soft_error_limit (10) would slow the session.
for sender in ("ana@mired.org", ""):
    for b in range(0, len(TRICKS), 8):
        s = smtplib.SMTP("127.0.0.1", inst.port, timeout=15,
                         source_address=OUT)
        s.ehlo("relay.example")
        like(code(s.docmd("MAIL", "FROM:<%s>" % sender)), "250 2.1.0",
             "MAIL FROM:<%s> from outside" % sender)
        for rcpt in TRICKS[b:b + 8]:
            r = code(s.docmd("RCPT", "TO:<%s>" % rcpt))
            ok(r.startswith(ALLOWED), "from <%s> RCPT <%s> is refused: %s"
               % (sender, rcpt, r))
        like(code(s.docmd("DATA")), "554 5.5.1 Error: no valid recipients",
             "DATA finds no valid recipient")
        s.quit()
s = smtplib.SMTP("127.0.0.1", inst.port, timeout=15, source_address=OUT)
s.ehlo("relay.example")
s.docmd("MAIL", "FROM:<>")
like(code(s.docmd("RCPT", "TO:<ana@MIRED.ORG>")), "250",
     "control: our own user (upper case) is accepted from outside")
s.quit()
log = inst.read_log()
ok("queued as" not in log and inst.queue_files("incoming") == [] and
   inst.queue_files("active") == [], "nothing was queued")

# The end of DATA: only CRLF . CRLF.
FAKE = [b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r.\n", b"\r\n.\n", b"\r.\r\n",
        b"\n.\r", b"\r\n.\r"]
s = socket.create_connection(("127.0.0.1", inst.port), 15)
recv_until(s, b"\r\n")
s.sendall(b"EHLO client.example\r\n")
recv_until(s, b"250 SMTPUTF8\r\n")
for i, fake in enumerate(FAKE):
    s.sendall(b"MAIL FROM:<ana@mired.org>\r\nRCPT TO:<bob@mired.org>\r\n"
              b"DATA\r\n")
    recv_until(s, b"354 ")
    s.sendall(b"Subject: fake %d\r\n\r\nbefore" % i + fake +
              b"MAIL FROM:<evil@evil.test>\r\nRCPT TO:<ana@mired.org>\r\n"
              b"DATA\r\nsmuggled\r\n.\r\n")
    got = recv_until(s, b"queued as")
    while got and not got.endswith(b"\r\n"):
        got += s.recv(1)
    got = got.decode(errors="replace")
    ok(got.startswith("250 2.0.0 Ok: queued as"),
       "%r does not end DATA: one reply, for the whole message" % fake)
    s.sendall(b"NOOP\r\n")
    is_(recv_until(s, b"\r\n").decode(errors="replace"), "250 2.0.0 Ok\r\n",
        "... the smuggled commands were content: the session is in step")
s.sendall(b"QUIT\r\n")
recv_all(s)
ok(inst.wait_mail(len(FAKE), "bob"), "bob gets the %d messages" % len(FAKE))
ok(not inst.new_mail("ana"), "ana gets none: nothing was smuggled")

# AUTH failures: error replies, then 421 and the end of the session.
s = socket.create_connection(("127.0.0.1", inst.port), 30)
recv_until(s, b"\r\n")
s.sendall(b"EHLO client.example\r\n")
recv_until(s, b"250 SMTPUTF8\r\n")
bad = b"AUTH PLAIN " + base64.b64encode(b"\0ana\0wrong") + b"\r\n"
text = ""
for i in range(25):
    try:
        s.sendall(bad)
        r = recv_until(s, b"\r\n").decode(errors="replace")
    except OSError:
        break
    text += r
    if not r or "421 " in r:
        break
text += recv_all(s, 10)
lines = [l for l in text.split("\r\n") if l]
is_(sum(1 for l in lines if l.startswith("535 5.7.8")), 20,
    "20 failed AUTH attempts are answered 535 5.7.8")
like(lines[-1] if lines else "", "421 4.7.0",
     "then smtpd_hard_error_limit (20) ends the session with 421")
is_(len(lines), 21, "... and nothing after it: the connection is closed")
done()
