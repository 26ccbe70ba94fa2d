#!/usr/bin/env python3
# cartero queue list|flush|delete|hold|release|requeue on a real instance
# with deferred mail.  The instance starts without the local agent, so
# mail to ana waits ("delivery agent local unavailable") like mail to
# another domain ("delivery agent smtp unavailable": there is no smtp
# agent); backoff times are an hour, so nothing is retried unless a
# command says so.  qmgr does the changes (it owns active/): a message
# being delivered is held or deleted when its delivery comes back.  Held
# mail is not delivered by a flush, nor after a restart of qmgr; released
# mail is.  An unknown id is an error with exit status 1; only root and
# mail_owner may change the queue (qmgr checks its client's uid too).
import atexit, json, os, shutil, sys, socket, smtplib, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

port = free_port()
spine = ("127.0.0.1:%d inet n - n - - smtpd\n" % port +
         "pickup unix n - n 60 1 pickup\n"
         "qmgr unix n - n 300 1 qmgr\n"
         "auth unix - n n - 1 auth\n"
         "anvil unix - - n - 1 anvil\n")
flagdir = tempfile.mkdtemp(prefix="cartero-qflag-")
os.chmod(flagdir, 0o777)
atexit.register(shutil.rmtree, flagdir, True)
script = os.path.join(flagdir, "wait.sh")
with open(script, "w") as f:
    f.write("#!/bin/sh\ncat >/dev/null\n"
            "while [ ! -e \"$1\" ]; do sleep 0.05; done\nexit 0\n")
os.chmod(script, 0o755)
inst = Instance(port=port, master_cf=spine,
                main_cf={"minimal_backoff_time": "3600s",
                         "maximal_backoff_time": "7200s",
                         "queue_run_delay": "3600s"},
                aliases={"slow1": '"|%s %s/go1"' % (script, flagdir),
                         "slow2": '"|%s %s/go2"' % (script, flagdir)})


def send(rcpts, subject):
    before = set(inst.queue_files("deferred"))
    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
    c.sendmail("bob@mired.org", rcpts, "Subject: %s\r\n\r\n%s\r\n" %
               (subject, subject))
    c.quit()
    new = wait_for(lambda: set(inst.queue_files("deferred")) - before, 20)
    return sorted(new)[0] if new else "NONE"


def q(*args):
    return inst.cmd("cartero", "queue", *args)


def tries(qid):
    """How many delivery attempts of qid the log shows."""
    return inst.read_log().count("%s: to=<" % qid)


def subjects(user="ana"):
    return sorted(l.split(":", 1)[1].strip()
                  for f in inst.new_mail(user)
                  for l in message_text(f).splitlines()
                  if l.startswith("Subject:"))


m = {}
for name in ("L1", "L2", "L3"):
    m[name] = send(["ana@mired.org"], name)
for name in ("R1", "R2"):
    m[name] = send(["friend@example.com"], name)
ok(len(set(m.values())) == 5 and "NONE" not in m.values(),
   "five messages wait in deferred/")

# list: mailq's format, the reason each recipient waits.
r = q("list")
is_(r.returncode, 0, "cartero queue list runs")
mq = inst.cmd("mailq")
is_(r.stdout, mq.stdout, "its output is mailq's")
lines = r.stdout.splitlines()
is_(lines[0] if lines else "", "-Queue ID-  --Size-- ----Arrival Time---- "
    "-Sender/Recipient-------", "mailq's header line is unchanged")
is_(lines[-1] if lines else "", "-- 2 Kbytes in 5 Requests.",
    "and so is its summary line")
ok(all(any(l.startswith(qid + " ") and l.endswith(" bob@mired.org")
           for l in lines) for qid in m.values()),
   "each message on a line of its own: id, size, date, sender")
like(r.stdout, "(delivery agent local unavailable)\n" + " " * 41 +
     "ana@mired.org\n", "a local recipient with the reason it waits")
like(r.stdout, "(delivery agent smtp unavailable)\n" + " " * 41 +
     "friend@example.com\n", "a remote recipient with the reason it waits")

# list --json: postqueue -j's JSON lines.
r = q("list", "--json")
is_(r.returncode, 0, "cartero queue list --json runs")
try:
    objs = [json.loads(l) for l in r.stdout.splitlines()]
except ValueError as e:
    objs = []
    diag("not JSON lines: %s: %r" % (e, r.stdout))
is_(sorted(o.get("queue_id") for o in objs), sorted(m.values()),
    "one JSON object a line for each message")
j = [o for o in objs if o.get("queue_id") == m["R1"]]
j = j[0] if j else {}
is_((j.get("queue_name"), j.get("sender"), j.get("recipients")),
    ("deferred", "bob@mired.org",
     [{"address": "friend@example.com",
       "delay_reason": "delivery agent smtp unavailable"}]),
    "with its queue, sender, recipients and why they wait")
ok(isinstance(j.get("arrival_time"), int) and
   isinstance(j.get("message_size"), int) and j.get("message_size") > 0,
   "and its arrival time and size as numbers")

# Errors: exit status 1 and a clear message.
for cmd in ("delete", "hold", "release", "requeue"):
    r = q(cmd, "ABCDEF0123456789")
    is_(r.returncode, 1, "%s of an unknown id exits with 1" % cmd)
    like(r.stderr, "ABCDEF0123456789: no such message in the queue",
         "and says there is no such message")
r = q("delete", "../deferred")
is_(r.returncode, 1, "a bad id exits with 1")
like(r.stderr, "not a queue id", "and says it is not a queue id")
r = q("release", m["L2"])
is_(r.returncode, 1, "release of a message that is not held exits with 1")
like(r.stderr, "%s: not on hold" % m["L2"], "and says so")
r = q("frobnicate", m["L2"])
is_(r.returncode, 64, "an unknown queue command is a usage error")
r = q("delete")
is_(r.returncode, 64, "delete without an id is a usage error")

# hold: out of deferred/, into hold/, marked "!".
r = q("hold", m["L1"])
is_(r.returncode, 0, "hold of a deferred message")
like(r.stdout, "%s: placed on hold" % m["L1"], "says it is placed on hold")
ok(m["L1"] in inst.queue_files("hold") and
   m["L1"] not in inst.queue_files("deferred"), "it moved into hold/")
like(q("list").stdout, "%s! " % m["L1"], "list marks it with !")
like(inst.read_log(), "%s: placed on hold" % m["L1"], "qmgr logs the hold")

# The local agent comes; qmgr restarts with the reload: hold/ is not
# scanned.  A flush delivers what is deferred, not what is held.
old_qmgr = inst.pids("qmgr")
with open(os.path.join(inst.etc, "master.cf"), "a") as f:
    f.write("local unix - n n - - local\n")
inst.run_ok("cartero", "reload")
ok(wait_for(lambda: inst.pids("qmgr") and inst.pids("qmgr") != old_qmgr, 20),
   "a reload restarts qmgr")
r1, r2 = tries(m["R1"]), tries(m["R2"])
r = q("flush")
is_(r.returncode, 0, "cartero queue flush runs")
ok(inst.wait_mail(2), "the flush delivers the deferred local mail")
ok(wait_for(lambda: tries(m["R1"]) > r1 and tries(m["R2"]) > r2, 20),
   "and retries the deferred remote mail")
is_(subjects(), ["L2", "L3"], "held mail is not delivered by a flush")
ok(m["L1"] in inst.queue_files("hold"), "it stays in hold/")

# requeue: one deferred message retried now, the other not.
r1, r2 = tries(m["R1"]), tries(m["R2"])
r = q("requeue", m["R1"])
is_(r.returncode, 0, "requeue of a deferred message")
like(r.stdout, "%s: requeued" % m["R1"], "says it is requeued")
ok(wait_for(lambda: tries(m["R1"]) > r1, 20), "it is retried at once")
ok(wait_for(lambda: m["R1"] in inst.queue_files("deferred"), 20),
   "and deferred again")
is_(tries(m["R2"]), r2, "the other deferred message is not")

# release: back to deferred/, due now, and delivered.
r = q("release", m["L1"])
is_(r.returncode, 0, "release of a held message")
like(r.stdout, "%s: released from hold" % m["L1"], "says it is released")
ok(inst.wait_mail(3), "released mail is delivered")
is_(subjects(), ["L1", "L2", "L3"], "it is the released message")
ok(not inst.queue_files("hold"), "hold/ is empty")

# delete: the file and its defer/ record go.
r = q("delete", m["R2"])
is_(r.returncode, 0, "delete of a deferred message")
like(r.stdout, "%s: removed" % m["R2"], "says it is removed")
ok(m["R2"] not in inst.queue_files("deferred") and
   m["R2"] not in inst.queue_files("defer"), "its files are gone")
ok(m["R2"] not in q("list").stdout, "list does not show it")
like(inst.read_log(), "%s: removed" % m["R2"], "qmgr logs the removal")

# A message being delivered: hold and delete wait for its deliveries.
def send_slow(slow, subject):
    """A message to slow (its delivery waits for a file) and to another
    domain (deferred at once): its id once qmgr has deferred the latter."""
    before = set(inst.queue_files("active"))
    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
    c.sendmail("bob@mired.org", [slow, "friend@example.com"],
               "Subject: %s\r\n\r\nx\r\n" % subject)
    c.quit()
    new = wait_for(lambda: set(inst.queue_files("active")) - before, 20)
    qid = sorted(new)[0] if new else "NONE"
    wait_for(lambda: "%s: to=<friend@example.com>" % qid in inst.read_log(),
             20)
    return qid


a1 = send_slow("slow1@mired.org", "A1")
like(q("list").stdout, "%s* " % a1, "list marks an active message with *")


def while_active(cmd, qid, verb, go):
    """cmd on a message being delivered: it waits; then let it finish."""
    r = q(cmd, qid)
    is_(r.returncode, 0, "%s of a message being delivered" % cmd)
    like(r.stdout, "%s when its deliveries in progress end" % verb,
         "says it waits for its deliveries")
    ok(qid in inst.queue_files("active"), "it stays in active/ meanwhile")
    open(os.path.join(flagdir, go), "w").close()


while_active("hold", a1, "placed on hold", "go1")
ok(wait_for(lambda: a1 in inst.queue_files("hold"), 20),
   "when its delivery comes back it goes to hold/")
like(inst.read_log(), "%s: to=<slow1@mired.org>, relay=local" % a1,
     "after its delivery in progress ended")
lst = q("list").stdout
ok("friend@example.com" in lst.split(a1 + "!", 1)[-1].split("\n\n")[0] and
   "slow1" not in lst, "held with only the recipient still to do")

a2 = send_slow("slow2@mired.org", "A2")
like(inst.read_log(), "%s: to=<friend@example.com>" % a2,
     "a second active message: one delivery done, one in progress")
while_active("delete", a2, "removed", "go2")
ok(wait_for(lambda: a2 not in inst.queue_files("active"), 20),
   "it goes when its delivery comes back")
ok(a2 not in inst.queue_files("deferred") and
   a2 not in inst.queue_files("hold"), "and is nowhere in the queue")
like(inst.read_log(), "%s: removed" % a2, "qmgr logs its removal")

# ALL: every message, held or deferred.
m["L4"] = send(["friend@example.com"], "L4")
q("hold", m["L4"])
ok(inst.queue_files("hold") and inst.queue_files("deferred"),
   "mail waits in hold/ and deferred/")
r = q("delete", "ALL")
is_(r.returncode, 0, "delete ALL")
like(r.stdout, "3 messages removed", "says how many")
ok(not inst.queue_files("hold") and not inst.queue_files("deferred") and
   not inst.queue_files("defer"), "the queue is empty")
like(q("list").stdout, "Mail queue is empty", "list says so")
like(inst.cmd("mailq").stdout, "Mail queue is empty", "and so does mailq")
is_(q("list", "--json").stdout, "", "list --json shows nothing")

# Only root and mail_owner.
if is_root():
    import pwd
    nobody = pwd.getpwnam("nobody")

    def as_nobody():
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
    m["L5"] = send(["friend@example.com"], "L5")
    r = subprocess.run([os.path.join(inst.sbin, "cartero"), "-c", inst.etc,
                        "queue", "delete", "ALL"], capture_output=True,
                       text=True, preexec_fn=as_nobody, timeout=60)
    is_(r.returncode, 77, "another user may not change the queue")
    like(r.stderr, "permission denied", "and is told why")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        try:
            as_nobody()
            s.connect(os.path.join(inst.spool, "public", "qmgr"))
            s.sendall(b"DALL\n")
            s.settimeout(20)
            os._exit(0 if s.recv(512).startswith(b"error permission")
                     else 2)
        except Exception:
            os._exit(3)
    s.close()
    _, st = os.waitpid(pid, 0)
    is_(os.WEXITSTATUS(st), 0,
        "qmgr refuses a change from another user on its socket")
    ok(m["L5"] in inst.queue_files("deferred"), "and the message stays")
else:
    for i in range(4):
        ok(True, "# skip: not root, every process runs as one user")
done()
