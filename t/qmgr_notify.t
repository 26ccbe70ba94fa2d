#!/usr/bin/env python3
# qmgr's socket: smtpd and pickup keep one connection to public/qmgr and
# send an "I<id>" line per message on it, so qmgr must take every line of
# a read that holds many, on a connection that stays open.  qmgr scans
# incoming/ only when it starts, so a notification it drops would leave
# the message waiting: every file named here must be delivered.  A queue
# file in incoming/ whose T record names another id holds the old content
# of a reused file (what a writer that died leaves, lib/queue.h): it is
# removed undelivered.  One whose size disagrees with its S record is
# corrupt and goes to corrupt/ undelivered.
import os, sys, socket, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

plan(11)
inst = Instance()
ok(wait_for(lambda: inst.pids("qmgr"), 20), "qmgr runs")
owner = inst.owner
seq = [0]


def put_queue_file(tag, content_id=None, size_delta=0):
    """Write a queue file into incoming/ as smtpd would; return its id."""
    seq[0] += 1
    qid = "ABC%05dTEST" % seq[0]
    body = ("Message-ID: <%s@test>\nSubject: %s\n\nbody of %s\n"
            % (tag, tag, tag)).encode()
    now = time.time()
    head = ("T%d %d %s\nS%015d\nFbob@mired.org\nAprotocol=ESMTP\n"
            "Rana@mired.org\nM\n" % (int(now), int(now * 1e6) % 1000000,
                                     content_id or qid, len(body) + size_delta)).encode()
    d = os.path.join(inst.spool, "incoming")
    tmp = os.path.join(d, "t." + qid)
    with open(tmp, "wb") as f:
        f.write(head + body)
    if is_root():
        import shutil
        shutil.chown(tmp, owner, owner)
    os.chmod(tmp, 0o600)
    os.rename(tmp, os.path.join(d, qid))
    return qid


def delivered_tags():
    tags = []
    for f in inst.new_mail():
        with open(f, errors="replace") as fh:
            for line in fh:
                if line.lower().startswith("subject:"):
                    tags.append(line.split(":", 1)[1].strip())
                    break
    return tags


def qmgr_socket():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.path.join(inst.spool, "public", "qmgr"))
    return s


# Forty notifications in one write: far more than one line at a time.
first = ["first-%d" % i for i in range(40)]
ids = [put_queue_file(t) for t in first]
s = qmgr_socket()
s.sendall(b"".join(b"I" + i.encode() + b"\n" for i in ids))
ok(wait_for(lambda: set(first) <= set(delivered_tags()), 30),
   "forty I lines in one write: every file is delivered")

# The same connection, a moment later: it stays open for more.
time.sleep(1)
second = ["second-%d" % i for i in range(10)]
ids = [put_queue_file(t) for t in second]
try:
    s.sendall(b"".join(b"I" + i.encode() + b"\n" for i in ids))
    sent = True
except OSError:
    sent = False
ok(sent, "the connection is still open a second later")
ok(wait_for(lambda: set(second) <= set(delivered_tags()), 30),
   "and the lines sent on it later are taken too")

# A line split over two writes is one line.
third = put_queue_file("split")
line = b"I" + third.encode() + b"\n"
s.sendall(line[:5])
time.sleep(0.3)
s.sendall(line[5:])
ok(wait_for(lambda: "split" in delivered_tags(), 30),
   "a line that arrives in two pieces is one line")

# An over-long line ends the connection, and nothing else.
s.sendall(b"I" + b"A" * 300 + b"\n")
s.settimeout(10)
try:
    closed = s.recv(1) == b""
except OSError:
    closed = True
ok(closed, "an over-long line makes qmgr close the connection")
s.close()
like(inst.read_log(), "over-long request on the qmgr socket",
     "and it says so in the log")

# Another file's content under this file's id: set aside, not delivered.
foreign = put_queue_file("foreign", content_id="ABC99999OTHER")
s = qmgr_socket()
s.sendall(b"I" + foreign.encode() + b"\n")
s.close()
ok(wait_for(lambda: "%s: removed a file its writer left unfinished"
            % foreign in inst.read_log(), 30),
   "a file whose T record names another id is removed as unfinished")
ok(foreign not in inst.queue_files("active") + inst.queue_files("incoming")
   + inst.queue_files("corrupt"), "it is gone")

# A file whose size is not what its S record says: set aside.
short = put_queue_file("short", size_delta=-3)
s = qmgr_socket()
s.sendall(b"I" + short.encode() + b"\n")
s.close()
ok(wait_for(lambda: short in inst.queue_files("corrupt"), 30),
   "a file longer than its S record says goes to corrupt/")
time.sleep(1)
ok("foreign" not in delivered_tags() and "short" not in delivered_tags(),
   "neither is delivered")
done()
