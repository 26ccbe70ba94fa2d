#!/usr/bin/env python3
# The no-loss rule: kill -9 qmgr during a 500-message load; after master
# restarts it, every accepted message is delivered (a duplicate is allowed).
import os, sys, signal, smtplib, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

N = 500
SESSIONS = 5
inst = Instance()
accepted = []
lock = threading.Lock()

def sender(k):
    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=60)
    for i in range(k, N, SESSIONS):
        mid = "<load-%d@test>" % i
        c.sendmail("bob@mired.org", ["ana@mired.org"],
                   "Message-ID: %s\r\nSubject: load %d\r\n\r\nbody %d\r\n" % (mid, i, i))
        with lock:
            accepted.append(mid)
    c.quit()

threads = [threading.Thread(target=sender, args=(k,)) for k in range(SESSIONS)]
for t in threads:
    t.start()
killed = 0
for round in range(3):
    wait_for(lambda: len(accepted) > (round + 1) * N // 5, 60)
    wait_for(lambda: inst.pids("qmgr"), 30)   # master's restart backoff
    for p in inst.pids("qmgr"):
        os.kill(p, signal.SIGKILL)
        killed += 1
    time.sleep(0.3)
for t in threads:
    t.join()
is_(len(accepted), N, "every message was accepted with 250")
ok(killed >= 2, "qmgr was killed with SIGKILL during the load (%d times)" % killed)

def delivered_ids():
    ids = set()
    for f in inst.new_mail():
        try:
            with open(f, errors="replace") as fh:
                for line in fh:
                    if line.lower().startswith("message-id:"):
                        ids.add(line.split(":", 1)[1].strip())
                        break
        except FileNotFoundError:
            pass
    return ids
ok(wait_for(lambda: len(delivered_ids()) >= N, 120, 0.5),
   "after the restarts every accepted message is delivered")
got = delivered_ids()
missing = set(accepted) - got
is_(len(missing), 0, "none is missing")
if missing:
    diag("missing: %s" % sorted(missing)[:10])
note("%d files for %d messages (duplicates allowed)" % (len(inst.new_mail()), N))
ok(wait_for(lambda: not inst.queue_files("active") and
            not inst.queue_files("incoming"), 30), "and the queue is empty")
done()
