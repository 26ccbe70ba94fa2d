#!/usr/bin/env python3
# issue 9, item 9: a local part holding an '@' of its own
# ("postmaster@ext.example"@mired.org) must not be cut again at its last
# '@' and reach postmaster.  smtpd refuses such addresses (553 5.1.3 at
# RCPT, 553 5.1.7 at MAIL) unless allow_at_in_local_part = yes; with it,
# nothing downstream (smtpd's lookup, qmgr, local) re-splits them.
import os, sys, smtplib, subprocess
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

WEIRD = '"postmaster@ext.example"@mired.org'

inst = Instance()
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.ehlo("client.example")
reply_is(c.mail("bob@mired.org"), 250, "MAIL from an ordinary sender")
reply_is(c.rcpt(WEIRD), 553,
         "RCPT to a local part with an '@' is refused", "5.1.3")
reply_is(c.rcpt('"ana@mired.org"@mired.org'), 553,
         "whatever the inner address")
reply_is(c.rcpt('"x@remote.example"@other.example'), 553,
         "and for another domain too (mynetworks may relay)")
reply_is(c.rcpt("postmaster@mired.org"), 250, "postmaster itself is accepted")
c.rset()
reply_is(c.mail('"postmaster@ext.example"@mired.org'), 553,
         "MAIL from a local part with an '@' is refused", "5.1.7")
c.quit()
like(inst.read_log(), "local part holds an '@'", "the refusal is logged")
inst.stop()

# Allowed: the address is what it says, a user "postmaster@ext.example"
# that does not exist here; not postmaster.
inst2 = Instance(main_cf={"allow_at_in_local_part": "yes"})
c = smtplib.SMTP("127.0.0.1", inst2.port, timeout=10)
c.ehlo("client.example")
c.mail("bob@mired.org")
reply_is(c.rcpt(WEIRD), 550,
         "allowed, it is an unknown user, not postmaster", "5.1.1")
reply_is(c.rcpt('"root@ext.example"@mired.org'), 550, "nor root's alias")
c.quit()

# qmgr and local: a message for it posted with sendmail (no smtpd check)
# bounces to its sender; postmaster's alias target (ana) gets nothing.
r = inst2.cmd("sendmail", "-f", "bob@mired.org", WEIRD,
              input="Subject: weird\n\nnot for postmaster\n")
is_(r.returncode, 0, "sendmail queues it")
got = inst2.wait_mail(1, user="bob", timeout=30)
ok(got, "the sender gets a bounce")
if got:
    like(message_text(inst2.new_mail("bob")[0]), "unknown user",
         "saying the user is unknown")
ana = [m for m in inst2.new_mail("ana")
       if "not for postmaster" in message_text(m)]
is_(ana, [], "postmaster (ana) got nothing")
if ana or not got:
    diag(inst2.read_log())
done()
