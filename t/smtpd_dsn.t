#!/usr/bin/env python3
# The DSN extension in smtpd (RFC 3461): advertised; RET, ENVID, NOTIFY
# and ORCPT land in the queue file as lib/queue.h says (A envid= ret=,
# N and C right after their R), with BODY= and SMTPUTF8 as A body= and
# smtputf8=1; an xtext that decodes to CR or LF is refused (501 5.5.4)
# and reaches neither the queue file nor the log.  The instance runs no
# qmgr, so that the files stay in incoming/ to be read.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import smtplib

port = free_port()
inst = Instance(master_cf="127.0.0.1:%d inet n - n - - smtpd\n"
                "auth unix - n n - 1 auth\nanvil unix - - n - 1 anvil\n"
                % port, port=port)


def code(reply):
    return "%d %s" % (reply[0], reply[1].decode(errors="replace"))


def data(s, text):
    """DATA, the message, the reply to its end."""
    s.docmd("DATA")
    s.send(text + "\r\n.\r\n")
    return code(s.getreply())


def records(qid):
    """The envelope records of an incoming queue file, up to M."""
    with open(os.path.join(inst.spool, "incoming", qid), "rb") as f:
        data = f.read()
    head = data.split(b"\nM\n", 1)[0]
    return head.decode(errors="replace").split("\n")


s = smtplib.SMTP("127.0.0.1", port, timeout=15)
code_, ehlo = s.ehlo("client.example")
ok(b"\nDSN\n" in ehlo, "EHLO advertises DSN")
like(code(s.docmd("MAIL", "FROM:<ana@mired.org> RET=HDRS ENVID=QQ+2B1 "
                  "BODY=8BITMIME SMTPUTF8")), "250", "MAIL with RET, ENVID")
like(code(s.docmd("RCPT", "TO:<bob@mired.org> NOTIFY=SUCCESS,FAILURE "
                  "ORCPT=rfc822;Bob+40mired.org")), "250",
     "RCPT with NOTIFY and ORCPT")
like(code(s.docmd("RCPT", "TO:<ana@mired.org>")), "250",
     "RCPT without DSN parameters")
like(code(s.docmd("RCPT", "TO:<postmaster@mired.org> NOTIFY=NEVER")), "250",
     "RCPT NOTIFY=NEVER")
r = data(s, "Subject: dsn\r\n\r\nhola")
like(r, "250 2.0.0 Ok: queued as", "the message is queued")
qid = r.split()[-1]
recs = records(qid)
for want in ("Aenvid=QQ+1", "Aret=HDRS", "Abody=8BITMIME", "Asmtputf8=1"):
    ok(want in recs, "the queue file holds %s" % want)
i = recs.index("Rbob@mired.org") if "Rbob@mired.org" in recs else -1
ok(i >= 0 and recs[i + 1:i + 3] == ["NSUCCESS,FAILURE",
                                     "Crfc822;Bob@mired.org"],
   "bob's R is followed by its N and C records (decoded ORCPT)")
j = recs.index("Rana@mired.org") if "Rana@mired.org" in recs else -1
ok(j >= 0 and not recs[j + 1].startswith(("N", "C")),
   "ana's R has no N or C")
ok("Rpostmaster@mired.org" in recs and "NNEVER" in recs,
   "postmaster's NOTIFY=NEVER is kept")

# Smuggling: xtext that decodes to CR, LF or NUL.
bad = ("MAIL", "FROM:<ana@mired.org> ENVID=x+0D+0ARevil@otro.test")
is_(code(s.docmd(*bad)), "501 5.5.4 Bad ENVID parameter syntax",
    "an ENVID that decodes to CR LF is refused: 501 5.5.4")
like(code(s.docmd("MAIL", "FROM:<ana@mired.org> ENVID=ok")), "250",
     "... and the transaction can start again")
for orcpt in ("rfc822;b+0Ac", "rfc822;b+0Dc", "rfc822;b+00c",
              "rfc822;b\x7fc"):
    like(code(s.docmd("RCPT", "TO:<bob@mired.org> ORCPT=" + orcpt)),
         "50", "ORCPT=%r is refused" % orcpt)
s.docmd("RCPT", "TO:<bob@mired.org> ORCPT=rfc822;b+2Bc")
r = data(s, "Subject: dsn 2\r\n\r\nhola")
like(r, "250 2.0.0 Ok: queued as", "the second message is queued")
recs2 = records(r.split()[-1])
ok("Aenvid=ok" in recs2 and "Crfc822;b+c" in recs2,
   "the second file has only the good ENVID and ORCPT")
s.quit()
every = []
for q in inst.queue_files("incoming"):
    every += records(q)
ok(not any("evil" in x for x in every),
   "nothing of the refused ENVID reached a queue file")
ok(not any(l.startswith("Revil") or "evil@otro.test" in l
           for l in inst.read_log().split("\n") if "smtpd" in l),
   "... nor a line of the log")
done()
