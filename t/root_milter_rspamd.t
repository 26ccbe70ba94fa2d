#!/usr/bin/env python3
# Root only (issue 13, item 4): rspamd through its milter protocol (the
# proxy worker with milter = yes, scanning itself: self_scan).  The test
# writes its own top configuration over Debian's rules (no normal or
# controller worker, no hyperscan cache to build, no Redis; the modules
# that fetch maps or ask DNS blocklists turned off, its DNS pointed at a
# closed loopback port) and starts rspamd on a Unix socket in a network
# namespace with nothing but loopback (t/lib/filters.py); messages go
# through lib/milter*.c with t/miltertest:
#  - the GTUBE string is refused with rspamd's own reply (554 5.7.1);
#  - a plain message goes on with the X-Spam-Status header rspamd adds
#    (milter_headers), its body intact.
# Then rspamd as smtpd_milters of a cartero instance: GTUBE sent by SMTP is
# refused with rspamd's reply, a plain message delivered with
# X-Spam-Status: No.
# About 13 s (rspamd loads its rules in about 10 s).
import os, pwd, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from filters import *

tmp = need_filters("rspamd", "rspamd")
try:
    user = pwd.getpwnam("_rspamd")
except KeyError:
    skip_all("no user _rspamd (the rspamd package makes it)")
local = os.path.join(tmp, "local", "local.d")
os.makedirs(local)
os.mkdir(os.path.join(tmp, "db"))
with open(os.path.join(tmp, "rspamd.conf"), "w") as f:
    f.write('''.include "$CONFDIR/common.conf"
options {
    .include "$CONFDIR/options.inc"
    .include(try=true; priority=1,duplicate=merge) "$LOCAL_CONFDIR/local.d/options.inc"
}
logging { type = "file"; filename = "%(t)s/rspamd.log"; level = "info"; }
worker "rspamd_proxy" {
    bind_socket = "%(t)s/proxy.sock mode=0666";
    milter = yes;
    timeout = 60s;
    upstream "local" { default = yes; self_scan = yes; }
    count = 1;
    max_retries = 1;
    spam_header = "X-Spam";
    reject_message = "Spam message rejected";
}
''' % {"t": tmp})
with open(os.path.join(local, "options.inc"), "w") as f:
    f.write('dns { nameserver = ["127.0.0.1:1"]; timeout = 1s; retransmits = 1; }\n'
            'disable_hyperscan = true;\n')
with open(os.path.join(local, "milter_headers.conf"), "w") as f:
    f.write('use = ["x-spam-status"]; skip_local = false; skip_authenticated = false;\n')
for mod in ("fuzzy_check", "rbl", "surbl", "phishing", "asn", "emails",
            "url_redirector", "dcc", "spamassassin", "dkim", "spf", "dmarc",
            "arc", "neural", "ratelimit", "greylist", "replies", "reputation",
            "history_redis", "bayes_expiry", "url_reputation", "maillist"):
    with open(os.path.join(local, mod + ".conf"), "w") as f:
        f.write("enabled = false;\n")
for root, dirs, files in os.walk(tmp):
    for n in dirs + files:
        os.chown(os.path.join(root, n), user.pw_uid, user.pw_gid)
os.chown(tmp, user.pw_uid, user.pw_gid)

plan(9)
rspamd = Isolated(["rspamd", "-f", "-u", "_rspamd", "-g", "_rspamd",
                   "-c", tmp + "/rspamd.conf", "--var=LOCAL_CONFDIR=" + tmp + "/local",
                   "--var=DBDIR=" + tmp + "/db", "--var=RUNDIR=" + tmp,
                   "--var=LOGDIR=" + tmp], tmp + "/proxy.sock", tmp + "/rspamd.out",
                  timeout=90)
if not ok(rspamd.ready, "rspamd starts in milter mode (%.1f s)" % rspamd.took):
    diag(rspamd.tail())
spam = message(os.path.join(tmp, "spam"), "Buy now!\n" + GTUBE)
ham = message(os.path.join(tmp, "ham"), "Hello Bob,\nthe meeting is at ten.")
opts = ["milter_content_timeout=60"]
out, took, err = miltertest(["unix:" + tmp + "/proxy.sock"], spam, "-a", "192.0.2.10",
                            opts=opts)
like(out, "message reject 554 5.7.1 Gtube pattern",
     "GTUBE is refused with rspamd's own reply (%.2f s)" % took) or diag(out + err)
ok(edited(out) is None, "... and nothing is kept")
out, took, err = miltertest(["unix:" + tmp + "/proxy.sock"], ham, "-a", "192.0.2.10",
                            opts=opts)
like(edited(out), "\nX-Spam-Status: No, score=", "a plain message goes on with "
     "X-Spam-Status: No (%.2f s)" % took) or diag(out + err)
like(edited(out), "\n\nHello Bob,\nthe meeting is at ten.\n", "... its body intact")
inst = Instance(main_cf={"smtpd_milters": "unix:%s/proxy.sock" % tmp,
                         "milter_content_timeout": "60s"})
code, text = smtp_send(inst.port, "Buy now!\r\n" + GTUBE, "gtube")
is_(code, 554, "smtpd_milters: GTUBE by SMTP is refused")
like(text, "Gtube pattern", "... with rspamd's reply")
code, text = smtp_send(inst.port, "Hello Bob,\r\nthe meeting is at ten.",
                       "plain")
is_(code, 250, "a plain message is queued")
like(delivered(inst, "plain", 30) or "", "\nX-Spam-Status: No, score=",
     "... and delivered with X-Spam-Status: No")
inst.cleanup()
rspamd.stop()
done()
