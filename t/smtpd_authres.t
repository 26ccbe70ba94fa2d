#!/usr/bin/env python3
# Authentication-Results fields that claim our authserv_id (RFC 8601 5):
# in mail from a client outside mynetworks (here 127.0.0.2; and an
# authenticated client counts as outside) they are removed, folded lines
# and all, however the id is written (case, comments, folding, quotes);
# fields of other ids stay, and so does every other header and the body.
# From mynetworks, nothing is removed.  The removal is logged.
import os, sys, smtplib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

plan(12)

# Our own checks off: the only results fields are the client's.
inst = Instance(main_cf={"mynetworks": "127.0.0.1/32",
                         "authserv_id": "mx.mired.org",
                         "smtpd_dkim_verify": "no", "smtpd_spf_verify": "no",
                         "smtpd_dmarc_verify": "no",
                         "smtpd_arc_verify": "no"})

FORGED = [
    "Authentication-Results: mx.mired.org; dkim=pass header.d=bank.example",
    "Authentication-Results: MX.Mired.Org;\r\n\tspf=pass smtp.mailfrom=x",
    "Authentication-Results:\r\n (forged) mx.mired.org 1;\r\n dmarc=pass",
    "Authentication-Results: \"mx.mired.org\"; none",
    "Authentication-Results: (unclosed mx.mired.org; dkim=pass",
]
KEPT = "Authentication-Results: mx.google.com; dkim=pass header.i=@mx.mired.org"
HEAD = ("From: ana@mired.org\r\nTo: bob@mired.org\r\n" +
        "".join(f + "\r\n" for f in FORGED[:3]) +
        KEPT + "\r\nSubject: results\r\n" +
        "".join(f + "\r\n" for f in FORGED[3:]))
BODY = "\r\nAuthentication-Results: mx.mired.org; in the body, stays\r\n"


def send(source):
    c = smtplib.SMTP("127.0.0.1", inst.port, source_address=(source, 0))
    c.sendmail("ana@mired.org", ["bob@mired.org"], HEAD + BODY)
    c.quit()


send("127.0.0.2")
ok(inst.wait_mail(1, "bob"), "outside: the message arrives")
text = message_text(inst.mail_files("bob")[0])
head, _, body = text.partition("\n\n")
ok("mx.mired.org;" not in head.replace("header.i=@mx.mired.org", ""),
   "outside: no field claiming mx.mired.org is left in the header")
ok("dkim=pass header.d=bank" not in head and "dmarc=pass" not in head and
   "spf=pass smtp.mailfrom=x" not in head,
   "outside: their folded lines went with them")
like(head, "mx.google.com; dkim=pass", "outside: another id's field stays")
like(head, "Subject: results", "outside: the header between them stays")
like(head, "From: ana@mired.org", "outside: the first headers stay")
like(body, "Authentication-Results: mx.mired.org; in the body, stays",
     "outside: the body is not touched")
log = inst.read_log()
is_(log.count("removed an Authentication-Results field that claims to be "
              "ours"), 5, "outside: each removal is logged")

send("127.0.0.1")
ok(inst.wait_mail(2, "bob"), "mynetworks: the message arrives")
files = sorted(inst.mail_files("bob"), key=os.path.getmtime)
head = message_text(files[-1]).partition("\n\n")[0]
is_(head.count("Authentication-Results:"), 6,
    "mynetworks: every field stays")
like(head, "dkim=pass header.d=bank.example", "mynetworks: ours too")
is_(inst.read_log().count("claims to be ours"), 5,
    "mynetworks: nothing more is removed")
done()
