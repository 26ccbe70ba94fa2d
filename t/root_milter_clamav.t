#!/usr/bin/env python3
# Root only (issue 13, item 4): ClamAV through its milter.  The test makes
# its own signature database (a .ndb signature that matches the EICAR test
# string: no freshclam, no download), starts its own clamd and two
# clamav-milters on Unix sockets in a network namespace with nothing but
# loopback (t/lib/filters.py), and sends messages through lib/milter*.c
# with t/miltertest:
#  - the EICAR string is refused with clamav-milter's own reply
#    (RejectMsg: a custom code through SMFIR_REPLYCODE);
#  - a clean message goes on with X-Virus-Scanned and X-Virus-Status:
#    Clean added;
#  - with OnInfected Quarantine the infected message goes on, to be held
#    (SMFIR_QUARANTINE);
#  - clamd stopped: clamav-milter answers as its OnFail says (tempfail).
# Then the same milters as smtpd_milters of a cartero instance: EICAR sent
# by SMTP is refused with clamav-milter's reply, a clean message is
# delivered with X-Virus-Status: Clean, and through the quarantining
# milter the infected one is queued and put on hold.
# About 6 s (clamd starts in well under a second on one signature; it and
# clamav-milter take a few seconds to stop).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from filters import *

tmp = need_filters("clamav", "clamd", "clamav-milter")
os.mkdir(os.path.join(tmp, "db"))
with open(os.path.join(tmp, "db", "cartero.ndb"), "w") as f:
    f.write("Cartero.Test.EICAR:0:*:%s\n"
            % b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE".hex())
with open(os.path.join(tmp, "clamd.conf"), "w") as f:
    f.write("LocalSocket %(t)s/clamd.sock\nLocalSocketMode 666\n"
            "DatabaseDirectory %(t)s/db\nForeground yes\n"
            "LogFile %(t)s/clamd.log\nTemporaryDirectory %(t)s\n" % {"t": tmp})
for name, infected in (("reject", "Reject\nRejectMsg Virus %v found here"),
                       ("hold", "Quarantine")):
    with open(os.path.join(tmp, name + ".conf"), "w") as f:
        f.write("MilterSocket unix:%(t)s/%(n)s.sock\nMilterSocketMode 666\n"
                "ClamdSocket unix:%(t)s/clamd.sock\nForeground yes\n"
                "LogFile %(t)s/%(n)s.log\nTemporaryDirectory %(t)s\n"
                "AddHeader Replace\nOnFail Defer\nOnInfected %(i)s\n"
                % {"t": tmp, "n": name, "i": infected})

plan(18)
clamd = Isolated(["clamd", "-c", os.path.join(tmp, "clamd.conf")],
                 os.path.join(tmp, "clamd.sock"), os.path.join(tmp, "clamd.out"))
if not ok(clamd.ready, "clamd starts on the test's signature (%.1f s)" % clamd.took):
    diag(clamd.tail())
rej = Isolated(["clamav-milter", "-c", os.path.join(tmp, "reject.conf")],
               os.path.join(tmp, "reject.sock"), os.path.join(tmp, "reject.out"))
hold = Isolated(["clamav-milter", "-c", os.path.join(tmp, "hold.conf")],
                os.path.join(tmp, "hold.sock"), os.path.join(tmp, "hold.out"))
ok(rej.ready and hold.ready, "two clamav-milters start (%.1f s)" % max(rej.took, hold.took))

virus = message(os.path.join(tmp, "virus"), "Look at this:\n" + EICAR)
clean = message(os.path.join(tmp, "clean"), "Hello Bob,\nsee you at ten.")
opts = ["milter_content_timeout=30"]
out, took, err = miltertest(["unix:" + tmp + "/reject.sock"], virus, opts=opts)
like(out, "message reject 550 5.7.1 Virus Cartero.Test.EICAR.UNOFFICIAL found here",
     "the EICAR string is refused with clamav-milter's own reply (%.2f s)" % took)
ok(edited(out) is None, "... and nothing is kept of it")
out, took, err = miltertest(["unix:" + tmp + "/reject.sock"], clean, opts=opts)
like(out, "message continue", "a clean message goes on")
like(edited(out), "\nX-Virus-Scanned: clamav-milter ", "... with X-Virus-Scanned added")
like(edited(out), "\nX-Virus-Status: Clean\n", "... and X-Virus-Status: Clean")
like(edited(out), "\n\nHello Bob,\nsee you at ten.\n", "... its body untouched")
out, took, err = miltertest(["unix:" + tmp + "/hold.sock"], virus, opts=opts)
like(out, "message continue", "OnInfected Quarantine: the infected message goes on")
like(out, "\nquarantine ", "... to be held (quarantine)")
like(edited(out), "X-Virus-Status: Infected (Cartero.Test.EICAR.UNOFFICIAL)",
     "... marked infected")
hold_port = free_port()
inst = Instance(main_cf={"smtpd_milters": "unix:%s/reject.sock" % tmp,
                         "milter_content_timeout": "30s"},
                master_extra="127.0.0.1:%d inet n - n - - smtpd -o "
                "smtpd_milters=unix:%s/hold.sock\n" % (hold_port, tmp))
code, text = smtp_send(inst.port, "Look at this:\r\n" + EICAR, "virus")
is_(code, 550, "smtpd_milters: EICAR sent by SMTP is refused")
like(text, "Virus Cartero.Test.EICAR", "... with clamav-milter's reply")
code, text = smtp_send(inst.port, "Hello Bob,\r\nsee you at ten.", "clean")
is_(code, 250, "a clean message is queued")
like(delivered(inst, "clean") or "", "\nX-Virus-Status: Clean\n",
     "... and delivered with X-Virus-Status: Clean")
code, text = smtp_send(hold_port, "Look at this:\r\n" + EICAR, "held")
is_(code, 250, "through the quarantining milter EICAR is queued")
qid = text.split()[-1]
ok(wait_for(lambda: qid in inst.queue_files("hold"), 10),
   "... and put on hold") or diag(inst.read_log()[-2000:])
inst.cleanup()
clamd.stop()
out, took, err = miltertest(["unix:" + tmp + "/reject.sock"], clean, opts=opts)
like(out, "message tempfail 4", "clamd gone: clamav-milter tempfails (OnFail Defer)")
stop_all(rej, hold)
done()
