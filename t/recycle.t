#!/usr/bin/env python3
# Reused queue files under kill -9.  qmgr keeps finished queue files as
# spares that smtpd overwrites for its next message (lib/queue.h).  During
# a load of messages of many sizes (so spares are cut and grown, over one
# and several blocks), smtpd, qmgr and local are killed with SIGKILL at
# random moments, and the client sends again what got no 250.  Afterwards
# every accepted message is delivered, every delivered file is whole and
# one message only (no old content, no mix of two), nothing was set aside
# as corrupt, and the queue is empty once qmgr has scanned incoming/
# (qmgr's empty spares are taken too).  A duplicate is allowed (the short
# window between a delivery and its record), a lost or mixed message not.
import os, sys, random, re, signal, smtplib, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

N = 1200
SESSIONS = 4
random.seed(os.getpid())
inst = Instance()
recycle = os.path.join(inst.spool, "active", "t.recycle")


def spares():
    """The empty spare files in recycle/ a writer may take (mode 0600)."""
    out = []
    for n in os.listdir(recycle) if os.path.isdir(recycle) else []:
        st = os.stat(os.path.join(recycle, n))
        if not n.startswith(".") and st.st_size == 0 and \
                (st.st_mode & 0o7777) == 0o600:
            out.append(n)
    return out


# Before any mail, qmgr has made spares (QMGR_SPARE_MIN, 64) so that the
# first messages, too, need no new inode while their client waits.
ok(wait_for(lambda: len(spares()) >= 64, 10),
   "qmgr keeps 64 empty spares in recycle/")
accepted = set()
lock = threading.Lock()
stop = threading.Event()


def body_lines(i):
    # 2 to 160 lines of 40 octets: 100 octets to 6.5 KB.
    return ["line %05d of message %05d ......................" % (k, i)
            for k in range(2 + (i * 37) % 159)]


def message(i):
    return ("Message-ID: <recycle-%d@test>\r\nSubject: recycle %d\r\n\r\n"
            % (i, i) + "\r\n".join(body_lines(i)) + "\r\n")


def sender(k):
    c = None
    for i in range(k, N, SESSIONS):
        for attempt in range(50):
            try:
                if c is None:
                    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=30)
                c.sendmail("bob@mired.org", ["ana@mired.org"], message(i))
                with lock:
                    accepted.add(i)
                break
            except (smtplib.SMTPException, OSError):
                # smtpd was killed: connect again and send it again.
                try:
                    if c is not None:
                        c.close()
                except Exception:
                    pass
                c = None
                time.sleep(0.1)
    if c is not None:
        try:
            c.quit()
        except Exception:
            pass


def killer():
    kills = 0
    while not stop.is_set():
        time.sleep(random.uniform(0.02, 0.12))
        name = random.choice(("smtpd", "qmgr", "local"))
        pids = inst.pids(name)
        if not pids:
            continue
        try:
            os.kill(random.choice(pids), signal.SIGKILL)
            kills += 1
            kill_log.append(name)
        except ProcessLookupError:
            pass


kill_log = []
threads = [threading.Thread(target=sender, args=(k,)) for k in range(SESSIONS)]
for t in threads:
    t.start()
kt = threading.Thread(target=killer)
kt.start()
for t in threads:
    t.join()
stop.set()
kt.join()
is_(len(accepted), N, "every message was accepted in the end")
ok(len(kill_log) >= 4, "processes were killed during the load (%d: %s)"
   % (len(kill_log), ", ".join(sorted(set(kill_log)))))

mid = re.compile(r"^Message-ID: <recycle-(\d+)@test>", re.M)
subj = re.compile(r"^Subject: recycle (\d+)$", re.M)


def scan():
    """{message number: copies}, and the files that are not one whole message."""
    copies, bad = {}, []
    for f in inst.new_mail():
        try:
            with open(f, errors="replace") as fh:
                text = fh.read()
        except FileNotFoundError:
            continue
        m, s = mid.search(text), subj.search(text)
        if not m or not s or m.group(1) != s.group(1):
            bad.append(f)
            continue
        i = int(m.group(1))
        want = body_lines(i)
        got = text.split("\n\n", 1)[1].rstrip("\n").split("\n") \
            if "\n\n" in text else []
        if got != want:
            bad.append(f)
            continue
        copies[i] = copies.get(i, 0) + 1
    return copies, bad


ok(wait_for(lambda: accepted <= set(scan()[0]), 120, 0.5),
   "after the kills every accepted message is delivered")
copies, bad = scan()
missing = accepted - set(copies)
is_(len(missing), 0, "none is missing")
if missing:
    diag("missing: %s" % sorted(missing)[:10])
is_(len(bad), 0, "every delivered file is one whole message")
if bad:
    diag("bad: %s" % bad[:5])
corrupt = inst.queue_files("corrupt")
is_(len(corrupt), 0, "no queue file was set aside as corrupt")
log = inst.read_log()
ok("holds the content of" not in log and "checksum" not in log,
   "no file held another file's content")
dups = sum(n - 1 for n in copies.values())
note("%d files for %d messages (%d duplicates, allowed), %d kills"
     % (len(inst.new_mail()), N, dups, len(kill_log)))
# A smtpd killed between DATA and its 250 leaves the reused file it took
# in incoming/, unlocked and unfinished; qmgr removes such files when it
# next scans incoming/ (every 300 s, or now: sendmail -q).
inst.run_ok("sendmail", "-q")
ok(wait_for(lambda: not inst.queue_files("active") and
            not inst.queue_files("incoming"), 60), "and the queue is empty")
note("%d unfinished files removed"
     % inst.read_log().count("removed a file its writer left unfinished"))
ok(wait_for(lambda: any(not n.startswith(".") for n in os.listdir(recycle)),
            10), "finished queue files are kept as spares for reuse")
done()
