#!/usr/bin/env python3
# Root only (issue 13, item 4): SpamAssassin through spamass-milter.  The
# test starts its own spamd (local tests only: -L, no network tests, no
# user configuration, Debian's rules, site configuration of its own with
# only the plugin .pre files) and two spamass-milters, one that marks and
# one that rejects (-r 15), all on Unix sockets in a network namespace with
# nothing but loopback (t/lib/filters.py), and sends messages through
# lib/milter*.c with t/miltertest:
#  - the GTUBE string is marked: X-Spam-Flag: YES, X-Spam-Status: Yes with
#    GTUBE, a score of 1000, and the message wrapped in SpamAssassin's
#    report (the body replaced, Content-Type changed);
#  - with -r 15 it is refused with 550 5.7.1 and nothing is kept;
#  - a plain message goes on with X-Spam-Status: No and its body intact.
# Then the same milters as smtpd_milters of a cartero instance: GTUBE
# sent by SMTP is marked (delivered with X-Spam-Flag: YES) through one and
# refused through the other.
# About 6 s (spamd starts in about a second).
import glob, os, shutil, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from filters import *

tmp = need_filters("spamassassin", "spamd", "spamc", "spamass-milter")
site = os.path.join(tmp, "site")
os.mkdir(site)
for pre in glob.glob("/etc/spamassassin/*.pre"):
    shutil.copy(pre, site)

plan(15)
spamd = Isolated(["spamd", "--socketpath=%s/spamd.sock" % tmp, "--socketmode=0666",
                  "-L", "--nouser-config", "--min-children=1", "--max-children=1",
                  "-u", "nobody", "--helper-home-dir=" + tmp,
                  "--siteconfigpath=" + site, "-s", tmp + "/spamd.log",
                  "--pidfile=%s/spamd.pid" % tmp],
                 tmp + "/spamd.sock", tmp + "/spamd.out")
if not ok(spamd.ready, "spamd starts (%.1f s)" % spamd.took):
    diag(spamd.tail())
mark = Isolated(["spamass-milter", "-p", tmp + "/mark.sock", "--", "-U", tmp + "/spamd.sock"],
                tmp + "/mark.sock", tmp + "/mark.out")
rej = Isolated(["spamass-milter", "-p", tmp + "/reject.sock", "-r", "15", "--",
                "-U", tmp + "/spamd.sock"], tmp + "/reject.sock", tmp + "/reject.out")
ok(mark.ready and rej.ready, "two spamass-milters start")

spam = message(os.path.join(tmp, "spam"), "Buy now!\n" + GTUBE)
ham = message(os.path.join(tmp, "ham"), "Hello Bob,\nthe meeting is at ten.")
opts = ["milter_content_timeout=60"]
out, took, err = miltertest(["unix:" + tmp + "/mark.sock"], spam, opts=opts)
msg = edited(out) or ""
like(out, "message continue", "GTUBE through the marking milter goes on (%.2f s)" % took)
like(msg, "\nX-Spam-Flag: YES\n", "... marked X-Spam-Flag: YES")
ok("X-Spam-Status: Yes, score=10" in msg and "GTUBE" in msg,
   "... X-Spam-Status: Yes with GTUBE and its score") or diag(msg[:600])
like(msg, "\nContent-Type: multipart/mixed;", "... wrapped in SpamAssassin's report")
like(msg, "Content-Type: message/rfc822", "... the original attached")
out, took, err = miltertest(["unix:" + tmp + "/reject.sock"], spam, opts=opts)
like(out, "message reject 550 5.7.1 Blocked by SpamAssassin",
     "GTUBE through the rejecting milter (-r 15) is refused (%.2f s)" % took)
ok(edited(out) is None, "... and nothing is kept")
out, took, err = miltertest(["unix:" + tmp + "/mark.sock"], ham, opts=opts)
like(edited(out), "\nX-Spam-Status: No, ", "a plain message goes on, X-Spam-Status: No")
like(edited(out), "\n\nHello Bob,\nthe meeting is at ten.\n", "... its body intact")
# spamass-milter makes its sockets with its umask: smtpd runs as cartero.
for sock in ("mark", "reject"):
    os.chmod("%s/%s.sock" % (tmp, sock), 0o666)
rej_port = free_port()
inst = Instance(main_cf={"smtpd_milters": "unix:%s/mark.sock" % tmp,
                         "milter_content_timeout": "60s"},
                master_extra="127.0.0.1:%d inet n - n - - smtpd -o "
                "smtpd_milters=unix:%s/reject.sock\n" % (rej_port, tmp))
code, text = smtp_send(inst.port, "Buy now!\r\n" + GTUBE, "marked")
is_(code, 250, "smtpd_milters: GTUBE by SMTP through the marking milter is "
    "queued")
like(delivered(inst, "marked", 30) or "", "\nX-Spam-Flag: YES\n",
     "... and delivered marked X-Spam-Flag: YES")
code, text = smtp_send(rej_port, "Buy now!\r\n" + GTUBE, "refused")
is_(code, 550, "through the rejecting milter it is refused")
like(text, "Blocked by SpamAssassin", "... with spamass-milter's reply")
inst.cleanup()
stop_all(mark, rej, spamd)
done()
