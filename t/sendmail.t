#!/usr/bin/env python3
# The sendmail command (as cron, mailx and PHP's mail() use it): recipients
# on the command line and with -t, -f, -F, -i; newaliases and mailq; a bounce
# of a bounce going to postmaster.
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

inst = Instance(aliases={"staff": "ana, bob"})
r = inst.cmd("sendmail", "-f", "bob@mired.org", "ana@mired.org",
             input="Subject: from sendmail\n\nhola ana\n")
is_(r.returncode, 0, "sendmail RCPT accepts a message")
ok(inst.wait_mail(1), "it is delivered to ana")
t = message_text(inst.new_mail()[0]) if inst.new_mail() else ""
like(t, "hola ana", "with its body")
like(t, "Return-Path: <bob@mired.org>", "from the -f sender")
like(t, "Message-ID: <", "with a Message-ID added")

msg = ("From: Bob <bob@mired.org>\nTo: Ana <ana@mired.org>\n"
       "Cc: staff@mired.org\nBcc: bob@mired.org\nSubject: with -t\n\n"
       "line\n.\nafter a dot line with -i\n")
r = inst.cmd("sendmail", "-t", "-i", input=msg)
if not is_(r.returncode, 0, "sendmail -t -i accepts a message"):
    diag(r.stdout + r.stderr)
ok(inst.wait_mail(2, "ana"), "ana gets it (To: and the staff alias)")
ok(inst.wait_mail(1, "bob"), "bob gets it (the staff alias and Bcc:)")
time.sleep(1)
is_(len(inst.new_mail("ana")), 2, "once: duplicate recipients are delivered once")
texts = [message_text(f) for f in inst.new_mail("bob")]
mine = [x for x in texts if "with -t" in x]
ok(mine, "bob's copy is there")
ok(mine and "Bcc:" not in mine[0], "the Bcc: header is removed")
ok(mine and "after a dot line with -i" in mine[0], "-i keeps a line with a lone dot")

r = inst.cmd("sendmail", "-F", "Cron Daemon", "ana",
             input="Subject: unqualified\n\nfrom cron\n.\nnot this\n")
ok(inst.wait_mail(3, "ana"), "an unqualified recipient gets $myorigin")
texts = [message_text(f) for f in inst.new_mail("ana")]
mine = [x for x in texts if "unqualified" in x]
ok(mine and "not this" not in mine[0], "without -i a lone dot ends the message")
ok(mine and "Cron Daemon" in mine[0], "-F sets the full name in From:")

r = inst.cmd("mailq")
is_(r.returncode, 0, "mailq runs")
like(r.stdout, "Mail queue is empty", "and says the queue is empty")

with open(os.path.join(inst.etc, "aliases"), "a") as f:
    f.write("newalias: bob\n")
r = inst.cmd("newaliases")
is_(r.returncode, 0, "newaliases rebuilds the alias database")
r = inst.cmd("sendmail", "newalias@mired.org", input="Subject: new alias\n\nx\n")
ok(inst.wait_mail(2, "bob"), "a new alias works after newaliases")

# A bounce that cannot be delivered goes to postmaster, never loops.
r = inst.cmd("sendmail", "-f", "", "nosuchuser@mired.org",
             input="Subject: bounce me\n\nx\n")
ok(wait_for(lambda: any("bounce me" in message_text(f) or "nosuchuser" in message_text(f)
                        for f in inst.new_mail("ana")), 30),
   "an undeliverable bounce reaches postmaster (ana)")
ok(wait_for(lambda: not inst.queue_files("active") and
            not inst.queue_files("incoming"), 20), "the queue empties: no loop")
done()
