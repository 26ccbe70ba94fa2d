#!/usr/bin/env python3
# Quota warnings: with mailbox_size_limit set, local puts a warning into
# the Maildir when a delivery crosses one of quota_warning_percentages,
# once per threshold, the highest when one delivery crosses several; a
# message over the limit is still returned (5.2.2).  cartero user show
# says how full the mailbox is.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

inst = Instance(main_cf={"mailbox_size_limit": "100000",
                         "quota_warning_percentages": "50, 90"})


def warnings(user="ana"):
    out = []
    for f in inst.mail_files(user):
        t = message_text(f)
        if "Subject: Your mailbox is " in t:
            out.append(t.split("Subject: Your mailbox is ")[1].split()[0])
    return out


body = ("y" * 98 + "\r\n") * 200          # 20000 bytes
for i in range(2):
    inst.deliver_wait("m%d" % i, body)
is_(warnings(), [], "40% full: no warning")
inst.deliver_wait("m2", body)
ok(wait_for(lambda: warnings() == ["50%"], 10), "crossing 50%: one warning")
inst.deliver_wait("m3", body)
is_(warnings(), ["50%"], "80%: no new warning")
inst.deliver_wait("m4", ("y" * 98 + "\r\n") * 90)
ok(wait_for(lambda: sorted(warnings()) == ["50%", "90%"], 10),
   "crossing 90%: a second warning")
t = [message_text(f) for f in inst.mail_files() if "90% full" in message_text(f)]
like(t[0] if t else "", "Auto-Submitted: auto-generated", "auto-generated")
like(t[0] if t else "", "To: <ana@mired.org>", "to the user")
like(inst.read_log(), "quota warning: 90% of 100000 bytes used", "logged")
r = inst.cmd("cartero", "user", "show", "ana@mired.org")
like(r.stdout, "quota:      9", "user show: over 90% of the quota used")

inst.deliver_wait("big", ("y" * 98 + "\r\n") * 940, user="bob")
ok(wait_for(lambda: warnings("bob") == ["90%"], 10),
   "crossing 50% and 90% at once: one warning, the highest")
n = len(inst.mail_files("bob"))
c = __import__("smtplib").SMTP("127.0.0.1", inst.port, timeout=10)
c.sendmail("ana@mired.org", ["bob@mired.org"], "Subject: more\r\n\r\n" + body)
c.quit()
ok(wait_for(lambda: "5.2.2" in inst.read_log(), 20),
   "over the limit: returned with 5.2.2")
is_(len(inst.mail_files("bob")), n, "no warning for mail that was not delivered")
done()
