#!/usr/bin/env python3
# Delivery: swaks and smtplib to local users, aliases (one and many
# targets), pipelining, mail to other domains waiting in the deferred queue,
# and a permanent failure bouncing back into the sender's Maildir.
import os, sys, smtplib, subprocess, socket
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

inst = Instance(aliases={"team": "ana, bob", "info": "bob",
                         "sales": "team"},
                main_cf={"mailbox_size_limit": "51200"})

r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % inst.port,
                    "--to", "ana@mired.org", "--from", "bob@mired.org",
                    "--header", "Subject: from swaks"],
                   capture_output=True, text=True, timeout=60)
is_(r.returncode, 0, "swaks sends to ana")
ok(inst.wait_mail(1), "swaks's message is in ana's Maildir/new")

c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
refused = c.sendmail("ana@mired.org", ["team@mired.org"],
                     "Subject: to the team\r\n\r\nhello team\r\n")
is_(refused, {}, "smtplib sends to an alias")
ok(inst.wait_mail(2, "ana") and inst.wait_mail(1, "bob"),
   "an alias with two targets reaches both users")
c.sendmail("ana@mired.org", ["sales@mired.org"], "Subject: nested\r\n\r\nx\r\n")
ok(inst.wait_mail(3, "ana") and inst.wait_mail(2, "bob"),
   "an alias of an alias is expanded")
c.sendmail("ana@mired.org", ["postmaster@mired.org"], "Subject: pm\r\n\r\nx\r\n")
ok(inst.wait_mail(4, "ana"), "postmaster reaches ana through the aliases")
c.quit()

# Pipelining: the whole transaction in one write.
s = socket.create_connection(("127.0.0.1", inst.port), 10)
s.recv(4096)
s.sendall(b"EHLO pipe\r\n")
s.recv(4096)
s.sendall(b"MAIL FROM:<bob@mired.org>\r\nRCPT TO:<ana@mired.org>\r\n"
          b"RCPT TO:<nosuchuser@mired.org>\r\nDATA\r\n")
got = b""
while got.count(b"\r\n") < 4:
    got += s.recv(4096)
s.sendall(b"Subject: pipelined\r\n\r\nbody\r\n.\r\nQUIT\r\n")
got = got.decode() + recv_all(s)
lines = got.split("\r\n")
note(got)
ok(lines[0].startswith("250") and lines[1].startswith("250") and
   lines[2].startswith("550") and lines[3].startswith("354"),
   "pipelined commands get their replies in order")
like(got, "queued as", "the pipelined message is queued")
ok(inst.wait_mail(5, "ana"), "and delivered")

# Mail for another domain waits in the deferred queue.
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.sendmail("ana@mired.org", ["friend@example.com"], "Subject: out\r\n\r\nx\r\n")
c.quit()
ok(wait_for(lambda: inst.queue_files("deferred"), 20),
   "mail to another domain waits in the deferred queue")
r = inst.cmd("mailq")
like(r.stdout, "friend@example.com", "mailq lists the waiting recipient")
like(r.stdout, "ana@mired.org", "and the sender")

# A permanent failure: bob's mailbox is over mailbox_size_limit, so the
# message bounces back to ana with an RFC 3464 report.
big = "Subject: too big for bob\r\n\r\n" + ("y" * 76 + "\r\n") * 800
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.sendmail("ana@mired.org", ["bob@mired.org"], big)
c.quit()
before = len(inst.new_mail("ana"))
ok(inst.wait_mail(before + 1, "ana", 30), "a bounce arrives in the sender's Maildir")
bounces = [message_text(f) for f in inst.new_mail("ana")]
bounces = [t for t in bounces if "multipart/report" in t]
ok(bounces, "the bounce is a multipart/report")
b = bounces[0] if bounces else ""
for sub, name in [
        ("report-type=delivery-status", "of report-type delivery-status"),
        ("message/delivery-status", "with a message/delivery-status part"),
        ("Final-Recipient: rfc822; bob@mired.org",
         "naming the failed recipient"),
        ("Action: failed", "with Action: failed"),
        ("Status: 5.", "and a 5.x.x status"),
        ("Return-Path: <>", "sent with the null sender"),
        ("Subject: too big for bob", "carrying the original headers")]:
    like(b, sub, name)
done()
