#!/usr/bin/env python3
# The mail log in Postfix's format, as pflogsumm (Debian's package, with
# --syslog-name=cartero) reads it: a test instance receives messages from
# sendmail (pickup) and smtpd, some delivered to local users, one deferred
# (no smtp agent: "delivery agent smtp unavailable"), one bounced (bob's
# mailbox is over mailbox_size_limit), and two recipients rejected at RCPT;
# pflogsumm's totals and its per-sender and per-recipient tables must say
# so.  The lines it reads: smtpd's "ID: client=", pickup's "ID: uid= from=",
# qmgr's "ID: from=<>, size=N, nrcpt=N (queue active)", the deliveries'
# "ID: to=<>, relay=, delay=, delays=a/b/c/d, dsn=, status=", and smtpd's
# "NOQUEUE: reject: RCPT from ...".
import os, re, shutil, smtplib, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import cartero_test
from cartero_test import *

if shutil.which("pflogsumm") is None:
    skip_all("pflogsumm is not installed (./quickstart deps installs it)")

inst = Instance(main_cf={"mailbox_size_limit": "51200"})


def sendmail(sender, rcpts, subject, body="x\n"):
    inst.run_ok("sendmail", "-f", sender, *rcpts,
                input="Subject: %s\n\n%s" % (subject, body))


def todo_ok(cond, name, why):
    """A check that waits for another part of the tree: TAP's TODO."""
    cartero_test._count += 1
    print("%sok %d - %s # TODO %s" % ("" if cond else "not ",
                                      cartero_test._count, name, why),
          flush=True)


sendmail("bob@mired.org", ["ana@mired.org"], "one")
sendmail("bob@mired.org", ["ana@mired.org"], "two")
sendmail("bob@mired.org", ["ana@mired.org", "bob@mired.org"], "three")
sendmail("ana@mired.org", ["friend@example.com"], "deferred")
ok(inst.wait_mail(3, "ana") and inst.wait_mail(1, "bob"),
   "four deliveries from sendmail")
ok(wait_for(lambda: inst.queue_files("deferred"), 20),
   "mail to another domain is deferred")
sendmail("ana@mired.org", ["bob@mired.org"], "too big",
         ("y" * 76 + "\n") * 800)
ok(inst.wait_mail(4, "ana"), "a bounce comes back to ana")

c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.ehlo("client.otro.test")
c.mail("carlos@otro.test")
for bad in ("nosuch1@mired.org", "nosuch2@mired.org"):
    code, _ = c.rcpt(bad)
    is_(code, 550, "RCPT %s is rejected" % bad)
code, _ = c.rcpt("ana@mired.org")
is_(code, 250, "RCPT ana is accepted")
code, _ = c.data("Subject: by smtp\r\n\r\nx\r\n")
is_(code, 250, "the message is queued")
c.quit()
ok(inst.wait_mail(5, "ana"), "and delivered")
ok(wait_for(lambda: inst.read_log().count(": removed") >= 6, 20),
   "every delivered message is removed from the queue")

log = inst.read_log()
note(log)
ok(all(re.match(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ "
                r"cartero/[a-z0-9-]+\[\d+\]: ", l)
       for l in log.splitlines()),
   "every line is 'Mmm dd hh:mm:ss host cartero/PROGRAM[pid]: ...'")
like(log, ", delays=", "deliveries say their delays")
ok(re.search(r": to=<ana@mired\.org>, relay=local, delay=[\d.]+, "
             r"delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2\.0\.0, "
             r"status=sent \(", log),
   "a delivery line in Postfix's order of fields")
ok(re.search(r": sender non-delivery notification: [0-9A-F]+\n", log),
   "the bounce is logged with its new id")

r = subprocess.run(["pflogsumm", "--syslog-name=cartero", inst.log],
                   capture_output=True, text=True, timeout=60)
is_(r.returncode, 0, "pflogsumm --syslog-name=cartero reads the log")
out = r.stdout
note(out)


def total(what):
    m = re.search(r"^\s*(\d+)\s+%s\b" % re.escape(what), out, re.M)
    return int(m.group(1)) if m else None


def table(title):
    """A pflogsumm table: its second column -> its first (the count)."""
    m = re.search(r"^%s\n-+\n(.*?)(?:\n\n|\Z)" % re.escape(title), out,
                  re.M | re.S)
    rows = {}
    for line in (m.group(1).splitlines() if m else []):
        f = line.split()
        if len(f) == 2 and f[0].isdigit():
            rows[f[1]] = int(f[0])
    return rows


is_(total("received"), 6, "received: five by sendmail, one by smtp")
is_(total("delivered"), 6,
    "delivered: five to local users and the bounce to ana")
is_(total("deferred"), 1, "deferred: one message")
is_(total("bounced"), 1, "bounced: one")
is_(total("rejected"), 2, "rejected: two recipients")
senders = table("Senders by message count")
is_(senders.get("bob@mired.org"), 3, "bob sent three (sendmail)")
is_(senders.get("ana@mired.org"), 2, "ana sent two (sendmail)")
todo_ok(senders.get("carlos@otro.test") == 1,
        "carlos sent one (smtpd)",
        "smtpd logs client= after notifying qmgr, whose from= line may "
        "come first")
rcpts = table("Recipients by message count")
is_(rcpts.get("ana@mired.org"), 5,
    "ana received five: three, the bounce and the smtp one")
is_(rcpts.get("bob@mired.org"), 1, "bob received one")
ok("friend@example.com" not in rcpts, "the deferred recipient received none")
like(out, "delivery agent smtp unavailable", "the deferral's reason is shown")
like(out, "mailbox full", "and the bounce's")
like(out, "Recipient address rejected: User unknown in local recipient "
     "table", "and the rejection's")
like(out, "nosuch1@mired.org", "with the rejected recipient")
done()
