#!/usr/bin/env python3
# A full disk: the client gets 452 4.3.1 and nothing accepted before is
# harmed.  queue_minfree is checked everywhere; a real ENOSPC on a tiny
# tmpfs queue needs root.
import os, sys, smtplib, subprocess
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

inst = Instance(main_cf={"queue_minfree": "1000g"})
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.ehlo("x")
reply_is(c.mail("bob@mired.org"), 452,
         "below queue_minfree MAIL gets 452", "4.3.1")
c.quit()
inst.cleanup()

if not is_root():
    diag("skipping the real ENOSPC part: needs root to mount a tmpfs")
    done()

inst = Instance(start=False)
r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", inst.spool],
                   capture_output=True, text=True)
if r.returncode != 0:
    diag("cannot mount a tmpfs: %s" % r.stderr)
    done()
import atexit
# atexit runs last-in first-out: stop the instance before the unmount,
# or cartero stop would no longer find the pid file on the tmpfs.
atexit.register(lambda: (inst.stop(), subprocess.run(["umount", "-l", inst.spool])))
# Keep mail in the queue: with no local delivery agent, everything waits.
with open(os.path.join(inst.etc, "master.cf")) as f:
    lines = [l for l in f if not l.startswith("local ")]
with open(os.path.join(inst.etc, "master.cf"), "w") as f:
    f.writelines(lines)
inst.start()
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
accepted, full = [], None
body = "Subject: fill\r\n\r\n" + ("z" * 76 + "\r\n") * 2000
for i in range(40):
    try:
        c.sendmail("bob@mired.org", ["ana@mired.org"], body)
        accepted.append(i)
    except smtplib.SMTPException as e:
        full = e
        break
ok(accepted, "messages were accepted while there was room")
ok(full is not None, "then the disk filled")
code = getattr(full, "smtp_code", None)
if code is None and hasattr(full, "recipients"):
    code = list(full.recipients.values())[0][0]
is_(code, 452, "the client gets 452")
like(str(full), "4.3.1", "with 4.3.1")
files = inst.queue_files("incoming") + inst.queue_files("active") + \
    inst.queue_files("deferred")
is_(len(files), len(accepted), "every accepted message is still queued, intact")
try:
    c.quit()
except Exception:
    pass
done()
