#!/usr/bin/env python3
# DSN (RFC 3461) in qmgr, with queue files written here as smtpd writes
# them (A envid= ret= body= smtputf8=, N and C after a recipient's R):
# the delivery request carries them; the report (RFC 3464) honours NOTIFY
# (NEVER: none; FAILURE, or no NOTIFY: a bounce), RET=HDRS (the header) and
# RET=FULL (the whole message), gives back ENVID and ORCPT; NOTIFY=SUCCESS
# gets "delivered" from local and "relayed" when the smtp agent says its
# peer had no DSN (dsn_relayed=1), and nothing when the peer took NOTIFY
# on; delay_warning_time sends one "delayed" notice to those that want
# DELAY (or have no NOTIFY); nothing goes to the null sender, and a
# failed message with the null sender is reported to postmaster.
import os, sys, time, re, shutil
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from fakeagent import FakeAgent, recipients, rcpt_count

plan(35)
inst = Instance(main_cf={"delay_warning_time": "1h"})
ok(wait_for(lambda: inst.pids("qmgr"), 20), "qmgr runs")
agent = FakeAgent(os.path.join(inst.spool, "private", "smtp"))
seq = [0]


def queue_file(tag, rcpts, attrs=(), sender="bob@mired.org", age=0,
               body_extra="", warned=None):
    """Write a queue file into incoming/ and tell qmgr; rcpts is a list
    of (address, notify or None, orcpt or None)."""
    seq[0] += 1
    qid = "DE%06dF00D" % seq[0]
    body = ("Message-ID: <%s@test>\nSubject: %s\n\nthe body of %s\n%s"
            % (tag, tag, tag, body_extra)).encode()
    now = time.time() - age
    head = "T%d %d %s\nS%015d\nF%s\n" % (int(now), int(now * 1e6) % 1000000,
                                         qid, len(body), sender)
    head += "".join("A%s\n" % a for a in attrs)
    for addr, notify, orcpt in rcpts:
        head += "R%s\n" % addr
        if notify:
            head += "N%s\n" % notify
        if orcpt:
            head += "C%s\n" % orcpt
    head += "M\n"
    d = os.path.join(inst.spool, "incoming")
    tmp = os.path.join(d, "t." + qid)
    with open(tmp, "wb") as f:
        f.write(head.encode() + body)
    if is_root():
        shutil.chown(tmp, inst.owner, inst.owner)
    os.chmod(tmp, 0o600)
    if warned is not None:      # recipients already warned of a delay
        w = os.path.join(inst.spool, "defer", qid + ".delay")
        with open(w, "w") as f:
            f.write("".join("%d\n" % i for i in warned))
        if is_root():
            shutil.chown(w, inst.owner, inst.owner)
    os.rename(tmp, os.path.join(d, qid))
    ipc_tell(qid)
    return qid


def ipc_tell(qid):
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.path.join(inst.spool, "public", "qmgr"))
    s.sendall(b"I" + qid.encode() + b"\n")
    s.close()


def mail_about(tag, user="bob", want=None):
    """Texts of the messages in user's Maildir that quote Subject: tag."""
    out = []
    for f in inst.new_mail(user):
        with open(f, errors="replace") as fh:
            t = fh.read()
        if "Subject: %s\n" % tag in t and t.count("Subject:") > 1 and \
                (want is None or want in t):
            out.append(t)
    return out


def finished(qid):
    return "%s: removed" % qid in inst.read_log()


# --- the request carries the DSN fields -------------------------------
q = queue_file("pass", [("x@far.test", "SUCCESS,DELAY", "rfc822;x@far.test"),
                        ("y@far.test", "NEVER", None)],
               ["envid=ENV-1", "ret=HDRS", "body=8BITMIME", "smtputf8=1"])
ok(wait_for(lambda: agent.requests, 20), "a request to the smtp agent")
r = agent.requests[0] if agent.requests else {}
is_((r.get("envid"), r.get("ret"), r.get("body"), r.get("smtputf8")),
    ("ENV-1", "HDRS", "8BITMIME", "1"), "envid, ret, body and smtputf8")
is_((r.get("notify"), r.get("orcpt")), ("SUCCESS,DELAY", "rfc822;x@far.test"),
    "the first recipient's notify and orcpt")
is_((rcpt_count(r), r.get("recipient.1"), r.get("notify.1"),
     r.get("orcpt.1")), (2, "y@far.test", "NEVER", None),
    "the second's as notify.1, and no orcpt.1")
ok(wait_for(lambda: finished(q), 20), "delivered")
time.sleep(0.5)
is_(mail_about("pass"), [], "NOTIFY=SUCCESS, the peer took NOTIFY on: no "
    "notice from us")

# --- failures ------------------------------------------------------------
q = queue_file("never", [("nosuch1@mired.org", "NEVER", None)])
ok(wait_for(lambda: finished(q), 20), "NOTIFY=NEVER: the failed message is done")
ok("%s: sender non-delivery" % q not in inst.read_log(),
   "and no bounce is made")

q = queue_file("hdrs", [("nosuch2@mired.org", "FAILURE",
                         "rfc822;list-member@old.example")],
               ["envid=QQ314159", "ret=HDRS"], body_extra="SECRET-BODY\n")
ok(wait_for(lambda: mail_about("hdrs"), 20), "NOTIFY=FAILURE: a bounce")
t = (mail_about("hdrs") or [""])[0]
like(t, "Original-Envelope-Id: QQ314159", "with ENVID as Original-Envelope-Id")
like(t, "Original-Recipient: rfc822;list-member@old.example",
     "ORCPT as Original-Recipient")
like(t, "Action: failed", "Action: failed")
like(t, "Content-Type: text/rfc822-headers", "RET=HDRS: the header")
ok("SECRET-BODY" not in t, "without the body")

q = queue_file("full", [("nosuch3@mired.org", None, None)], ["ret=FULL"],
               body_extra="WHOLE-BODY\n")
ok(wait_for(lambda: mail_about("full"), 20), "no NOTIFY: a bounce")
t = (mail_about("full") or [""])[0]
like(t, "Content-Type: message/rfc822", "RET=FULL: the message")
like(t, "WHOLE-BODY", "with its body")

q = queue_file("nullfail", [("nosuch4@mired.org", None, None)], sender="")
ok(wait_for(lambda: mail_about("nullfail", "ana"), 20),
   "a failed message with the null sender: to postmaster (ana)")
like((mail_about("nullfail", "ana") or [""])[0], "empty sender address",
     "as a postmaster notification")

# --- success ------------------------------------------------------------
q = queue_file("oklocal", [("ana@mired.org", "SUCCESS", None)])
ok(wait_for(lambda: mail_about("oklocal"), 20),
   "NOTIFY=SUCCESS, local delivery: a notice")
t = (mail_about("oklocal") or [""])[0]
like(t, "Action: delivered", "Action: delivered")
like(t, "Subject: Successful Mail Delivery Report", "a success report")
ok(wait_for(lambda: len(inst.new_mail("ana")) >= 2, 20),
   "and ana has the message")

agent.answer = lambda req: {"rcpt": [(0, "2.0.0", "250 ok")] * rcpt_count(req),
                            "dsn_relayed": "1", "relay": "mx.far.test[127.0.0.5]:25"}
q = queue_file("relayed", [("z@far.test", "SUCCESS", None)])
ok(wait_for(lambda: mail_about("relayed"), 20),
   "dsn_relayed=1 from the smtp agent: a notice")
like((mail_about("relayed") or [""])[0], "Action: relayed", "Action: relayed")

q = queue_file("nullok", [("ana@mired.org", "SUCCESS", None)], sender="")
ok(wait_for(lambda: finished(q), 20), "NOTIFY=SUCCESS with the null sender")
ok("%s: sender delivery status" % q not in inst.read_log(),
   "gets no notice")

# --- delay ----------------------------------------------------------------
agent.answer = lambda req: [(4, "4.4.2", "lost connection")] * rcpt_count(req)
q = queue_file("delay", [("d1@far.test", None, None),
                         ("d2@far.test", "FAILURE", None)], age=7200)
ok(wait_for(lambda: mail_about("delay"), 20),
   "deferred after delay_warning_time: a delay notice")
t = (mail_about("delay") or [""])[0]
like(t, "Action: delayed", "Action: delayed")
ok("d1@far.test" in t and "d2@far.test" not in t,
   "for the recipient without NOTIFY, not for NOTIFY=FAILURE")
n = len(agent.requests)
inst.run_ok("cartero", "flush")
ok(wait_for(lambda: len(agent.requests) > n and
            inst.read_log().count("to=<d1@far.test>") >= 2, 20),
   "tried again and deferred again")
time.sleep(0.5)
is_(len(mail_about("delay")), 1, "but warned only once")
q = queue_file("delay2", [("w0@far.test", None, None),
                          ("w1@far.test", None, None)], age=7200, warned=[0])
ok(wait_for(lambda: mail_about("delay2"), 20),
   "a message whose first recipient was warned before")
t = (mail_about("delay2") or [""])[0]
ok("w1@far.test" in t and "w0@far.test" not in t,
   "the notice is for the other recipient only (one per recipient)")
agent.close()
done()
