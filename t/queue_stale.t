#!/usr/bin/env python3
# A writer's unfinished queue file (incoming/t.ID) left behind by a killed
# smtpd is removed by qmgr once nobody has touched it (its inode change
# time) for queue_temp_lifetime; a recent one (a writer still at work) is
# kept, and so is anything whose name is not t.<queue id>.
import os, socket, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

plan(6)
inst = Instance(main_cf={"queue_temp_lifetime": "3s"})
ok(wait_for(lambda: inst.pids("qmgr"), 20), "qmgr runs")
incoming = os.path.join(inst.spool, "incoming")


def put(name):
    path = os.path.join(incoming, name)
    with open(path, "wb") as f:
        f.write(b"T1 0 X\nS000000000000010\nFbob@mired.org\n")
    if is_root():
        import shutil
        shutil.chown(path, inst.owner, inst.owner)
    return path


old = put("t.AAA00001STALE")        # left by a dead writer
odd = put("t.not-a-queue-id")       # not ours: never touched
time.sleep(4.5)                     # past queue_temp_lifetime
new = put("t.AAA00002FRESH")        # a writer at work

# "W" (master's periodic wake-up) makes qmgr scan incoming/.
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(os.path.join(inst.spool, "public", "qmgr"))
s.sendall(b"W\n")
s.close()
ok(os.path.exists(new), "(the fresh file is there when qmgr scans)")
ok(wait_for(lambda: not os.path.exists(old), 10),
   "an unfinished file untouched for longer than the lifetime is removed")
ok(os.path.exists(new), "one touched just now is kept")
ok(os.path.exists(odd), "a name that is no queue id is left alone")
like(inst.read_log(), "t.AAA00001STALE: removed a writer's unfinished file",
     "the removal is logged")
os.unlink(new)
os.unlink(odd)
inst.stop()
