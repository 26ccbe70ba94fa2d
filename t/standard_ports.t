#!/usr/bin/env python3
# Root only: an instance with the stock etc/master.cf, as installed, on the
# standard ports (loopback only): SMTP 25, submission 587, SMTPS 465,
# POP3 110, POP3S 995, IMAP 143, IMAPS 993.  A client configured as the seed says sends and
# downloads ana's mail, with user "ana" and "ana@mired.org".
import os, sys, socket, smtplib, poplib, imaplib, ssl
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

if not is_root():
    skip_all("needs root (ports below 1024)")
PORTS = (25, 587, 465, 110, 995, 143, 993)
for p in PORTS:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        skip_all("port %d is in use on this machine" % p)
    finally:
        s.close()
stock = open(os.path.join(SRC, "etc", "master.cf")).read()
inst = Instance(master_cf=stock, port=25)

def _open(p):
    try:
        socket.create_connection(("127.0.0.1", p), 1).close()
        return True
    except OSError:
        return False

for p in PORTS:
    ok(wait_for(lambda: _open(p), 10), "the stock master.cf listens on port %d" % p)

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

c = smtplib.SMTP("127.0.0.1", 25, timeout=10)
is_(c.sendmail("bob@mired.org", ["ana@mired.org"], "Subject: por el 25\r\n\r\nhola\r\n"),
    {}, "SMTP on port 25 takes mail for ana")
c.quit()

c = smtplib.SMTP("127.0.0.1", 587, timeout=10)
c.ehlo("cliente")
reply_is(c.mail("bob@mired.org"), 530,
         "submission (587) wants STARTTLS before MAIL")
c.rset()
c.starttls(context=ctx)
c.ehlo("cliente")
c.login("bob@mired.org", "bob")
is_(c.sendmail("bob@mired.org", ["ana@mired.org"], "Subject: por el 587\r\n\r\nx\r\n"),
    {}, "after STARTTLS and AUTH, submission takes mail")
c.quit()

c = smtplib.SMTP_SSL("127.0.0.1", 465, timeout=10, context=ctx)
c.login("bob", "bob")
is_(c.sendmail("bob@mired.org", ["ana@mired.org"], "Subject: por el 465\r\n\r\nx\r\n"),
    {}, "SMTPS (465) with AUTH takes mail")
c.quit()
ok(inst.wait_mail(3), "the three messages are in ana's Maildir")

p = poplib.POP3("127.0.0.1", 110, timeout=10)
p.user("ana")
p.pass_("ana")
count, _ = p.stat()
is_(count, 3, "POP3 on port 110: user ana sees the three messages")
p.quit()
p = poplib.POP3_SSL("127.0.0.1", 995, timeout=10, context=ctx)
p.user("ana@mired.org")
p.pass_("ana")
resp, lines, _ = p.retr(1)
like(b"\n".join(lines).decode(), "Subject: por el", "POP3S on port 995: ana@mired.org retrieves a message")
p.quit()

m = imaplib.IMAP4("127.0.0.1", 143, timeout=10)
m.starttls(ssl_context=ctx)
m.login("ana", "ana")
typ, data = m.select("INBOX")
is_((typ, data[0]), ("OK", b"3"), "IMAP on port 143 (STARTTLS): ana's INBOX holds 3")
m.logout()
m = imaplib.IMAP4_SSL("127.0.0.1", 993, ssl_context=ctx, timeout=10)
m.login("ana@mired.org", "ana")
typ, data = m.select("INBOX", readonly=True)
typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
like(data[0][1].decode(), "Subject: por el", "IMAPS on port 993: ana@mired.org fetches a header")
m.logout()
done()
