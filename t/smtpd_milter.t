#!/usr/bin/env python3
# Issue 13, item 4's wiring: smtpd_milters in smtpd, against the milter
# written for the tests (t/lib/fakemilter.py).  Each stage's reject and
# tempfail as the client sees them (a refused RCPT refuses that
# recipient only), a 421 that ends the session, a header added and the
# body replaced visible in the delivered file (and covered by our DKIM
# signature, checked with dkimpy), the same through BDAT, the sender changed and
# recipients added and deleted (log and delivery), DISCARD (250, nothing
# delivered), quarantine (on hold, then released and delivered), a
# milter that hangs (milter_default_action tempfail: 451, nothing lost)
# and one that is not there with default_action accept (delivered), a
# discard at connect (not allowed: the default action).
# Then non_smtpd_milters for mail posted with sendmail (pickup): seen as
# from localhost [127.0.0.1], HELO localhost; a header added; a reject
# bounces to the sender; a tempfail leaves the message in maildrop/
# until the milter lets it go; a discard; a quarantine; a recipient added.
import atexit, os, shutil, sys, tempfile, time, socket, smtplib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from fakemilter import *

m = FakeMilter().start()
hang = FakeMilter(script={"M": [("hang", 5)]}).start()
hang_port, accept_port = free_port(), free_port()
gone = free_port()           # nothing listens there
p = FakeMilter().start()     # non_smtpd_milters: mail by sendmail
tmp = tempfile.mkdtemp(prefix="smtpd-milter-t-")
atexit.register(shutil.rmtree, tmp, True)
keys, record = dkim_test_signer(tmp, "mired.org", "sel1")
inst = Instance(main_cf={"smtpd_milters": m.addr, "non_smtpd_milters": p.addr,
                         "dkim_signing_keys": "texthash:" + keys},
                master_extra=(
                    "127.0.0.1:%d inet n - n - - smtpd -o smtpd_milters=%s "
                    "-o milter_command_timeout=1s\n"
                    "127.0.0.1:%d inet n - n - - smtpd -o "
                    "smtpd_milters=inet:127.0.0.1:%d "
                    "-o milter_default_action=accept\n")
                % (hang_port, hang.addr, accept_port, gone))


def session(lines, port=None):
    """The replies to a greeting and to each line sent (one by one)."""
    s = socket.create_connection(("127.0.0.1", port or inst.port), 15)
    out = [_reply(s)]
    for line in lines:
        s.sendall(line.encode() + b"\r\n")
        out.append(_reply(s))
        if out[-1].startswith("421") or out[-1] == "":
            break
    s.close()
    return out


def _reply(s):
    data = b""
    while True:
        lines = data.split(b"\r\n")
        if len(lines) > 1 and len(lines[-2]) >= 4 and lines[-2][3:4] == b" ":
            return data.decode(errors="replace").rstrip("\r\n")
        try:
            chunk = s.recv(4096)
        except OSError:
            chunk = b""
        if not chunk:
            return data.decode(errors="replace")
        data += chunk


def send(rcpts=("ana@mired.org",), subject="hola", port=None,
         sender="bob@mired.org"):
    """One message by DATA: the replies."""
    return session(["EHLO client.example", "MAIL FROM:<%s>" % sender] +
                   ["RCPT TO:<%s>" % r for r in rcpts] + ["DATA",
                   "Subject: %s\r\n\r\nbody of %s\r\n." % (subject, subject),
                   "QUIT"], port)


def delivered(user, subject, timeout=20):
    """The text of user's message with that subject, or None."""
    def find():
        for f in inst.mail_files(user):
            t = message_text(f)
            if "Subject: %s\n" % subject in t:
                return t
        return None
    wait_for(lambda: find() is not None, timeout)
    return find()


# 1. Every stage continues: the message arrives; what the milter saw.
r = send(subject="plain")
like(r[-2], "250 2.0.0 Ok: queued as", "a message through a milter that "
     "continues is queued")
ok(delivered("ana", "plain") is not None, "... and delivered")
m.settle(2)
ok(all(c in m.commands() for c in "CHMRTE"), "the milter saw connect, HELO, "
   "MAIL, RCPT, DATA and the end of the message")
is_(m.macros("C").get("{daemon_name}"), "mail.mired.org",
    "{daemon_name} is myhostname")
ok(m.macros("M").get("{mail_addr}") == "bob@mired.org",
   "{mail_addr} at MAIL")
ok(m.macros("R").get("{rcpt_addr}") == "ana@mired.org",
   "{rcpt_addr} at RCPT")
ok(len(m.macros("E").get("i", "")) > 0, "i (the queue id) at the end")

# 2. Each stage's reject and tempfail.
for stage, idx, name in (("H", 1, "HELO"), ("M", 2, "MAIL"),
                         ("R", 3, "RCPT"), ("T", 4, "DATA"),
                         ("E", 5, "the end of the message")):
    for pkt, code in ((REJECT, "550"), (TEMPFAIL, "451")):
        m.script = {stage: [pkt]}
        r = send(subject="refused-" + stage)
        like(r[idx], code, "%s refused by the milter: %s" % (name, code))
m.script = {}
m.script = {"E": [replycode("554 5.7.1 no thanks")]}
r = send(subject="custom")
is_(r[5], "554 5.7.1 no thanks", "a custom reply at the end of DATA")
m.script = {"C": [REJECT]}
r = session(["EHLO client.example", "MAIL FROM:<bob@mired.org>", "QUIT"])
like(r[0], "220", "a refused connection still gets the greeting")
like(r[1], "550", "... and the commands after it are refused: EHLO")
like(r[2], "503", "... so MAIL has no HELO before it")
m.script = {"M": [replycode("421 4.7.0 go away")]}
r = session(["EHLO client.example", "MAIL FROM:<bob@mired.org>", "NOOP"])
like(r[2], "421 4.7.0 go away", "a 421 from the milter is given")
is_(len(r), 3, "... and the session ends after it")

# A refused RCPT refuses that recipient only.
m.script = {"R": [REJECT]}
r = send(rcpts=("bob@mired.org", "ana@mired.org"), subject="onercpt")
like(r[3], "550", "the first recipient refused")
like(r[4], "250", "the second accepted")
like(r[-2], "250 2.0.0 Ok: queued as", "the message is queued")
ok(delivered("ana", "onercpt") is not None, "... for the accepted one")
time.sleep(0.5)
ok(all("Subject: onercpt\n" not in message_text(f)
       for f in inst.mail_files("bob")), "... not for the refused one")
for stage in "HMRTE":
    ok(all("Subject: refused-%s\n" % stage not in message_text(f)
           for f in inst.mail_files("ana")),
       "nothing refused at %s was delivered" % stage)

# 3. Edits: a header added, the body replaced.
m.script = {"E": [addheader("X-Milter", "seen"), replbody(b"new body\r\n"),
                  CONTINUE]}
r = send(subject="edited")
like(r[-2], "250 2.0.0 Ok: queued as", "an edited message is queued")
t = delivered("ana", "edited") or ""
like(t, "X-Milter: seen\n", "the added header is in the delivered file")
like(t, "\n\nnew body\n", "the body is the milter's")
ok("body of edited" not in t, "the old body is gone")
like(t, "Received: from client.example", "our Received: header is kept")
like(inst.read_log(), "edited by milters: replaced by",
     "the log names the new queue file")

# The DKIM signature of mail from mynetworks covers the edited message.
try:
    sys.path.append("/usr/lib/python3/dist-packages")
    import dkim
except ImportError:
    dkim = None
m.script = {"E": [addheader("X-Milter", "signed"),
                  replbody(b"the milter's body\r\n"), CONTINUE]}
r = session(["EHLO client.example", "MAIL FROM:<bob@mired.org>",
             "RCPT TO:<ana@mired.org>", "DATA",
             "From: Bob <bob@mired.org>\r\nSubject: signed\r\n\r\n"
             "the client's body\r\n.", "QUIT"])
like(r[5], "250 2.0.0 Ok: queued as", "an edited message from mynetworks")
t = delivered("ana", "signed") or ""
like(t, "DKIM-Signature:", "... is signed")
if dkim is None:
    ok(True, "# skip python3-dkim is not installed")
else:
    rec = record.replace(",", "").encode()
    ok(dkim.verify(t.encode().replace(b"\n", b"\r\n"),
                   dnsfunc=lambda name, timeout=5: rec),
       "... and its signature verifies over the edited content")

# BDAT: the same end of the message.
m.script = {"E": [addheader("X-Milter", "bdat"), CONTINUE]}
body = b"Subject: chunked\r\n\r\nin chunks\r\n"
s = socket.create_connection(("127.0.0.1", inst.port), 15)
_reply(s)
s.sendall(b"EHLO client.example\r\n")
_reply(s)
s.sendall(b"MAIL FROM:<bob@mired.org>\r\nRCPT TO:<ana@mired.org>\r\n"
          b"BDAT %d LAST\r\n" % len(body) + body)
got = b""
while got.count(b"\r\n") < 3:
    chunk = s.recv(4096)
    if not chunk:
        break
    got += chunk
s.close()
like(got.decode().split("\r\n")[2], "250 2.0.0 Ok: queued as",
     "a message sent with BDAT goes through the milter")
like(delivered("ana", "chunked") or "", "X-Milter: bdat\n",
     "... and arrives with its edit")

# 4. Envelope edits: sender changed, a recipient added, one deleted.
m.script = {"E": [chgfrom("<other@mired.org>"), addrcpt("<bob@mired.org>"),
                  delrcpt("<ana@mired.org>"), CONTINUE]}
r = send(subject="envelope")
like(r[-2], "250 2.0.0 Ok: queued as", "a message with envelope edits")
t = delivered("bob", "envelope") or ""
ok(t != "", "the added recipient got it")
like(t, "Return-Path: <other@mired.org>", "... from the new sender")
time.sleep(0.5)
ok(all("Subject: envelope\n" not in message_text(f)
       for f in inst.mail_files("ana")), "the deleted recipient did not")
log = inst.read_log()
like(log, "milter: from=<other@mired.org>", "CHGFROM logged")
like(log, "milter: add to=<bob@mired.org>", "ADDRCPT logged")
like(log, "milter: delete to=<ana@mired.org>", "DELRCPT logged")

# A discard at connect is not allowed (as libmilter, Postfix): the milter
# is taken as broken and milter_default_action (tempfail) decides.
m.script = {"C": [DISCARD]}
r = session(["EHLO client.example", "QUIT"])
like(r[1], "451 4.7.1", "a discard at connect: the milter's default action")

# 5. DISCARD: 250, nothing delivered.
m.script = {"E": [DISCARD]}
r = send(subject="discarded")
like(r[-2], "250 2.0.0", "a discarded message gets 250")
like(inst.read_log(), "discard: END-OF-MESSAGE", "... logged as discard")
m.script = {"R": [DISCARD]}
r = send(subject="discarded2")
like(r[-2], "250 2.0.0", "a discard at RCPT: 250 at the end")
time.sleep(1)
ok(all("Subject: discarded" not in message_text(f)
       for f in inst.mail_files("ana")), "nothing discarded was delivered")

# 6. Quarantine: on hold, then released and delivered.
m.script = {"E": [quarantine("looks odd"), CONTINUE]}
r = send(subject="quarantined")
like(r[-2], "250 2.0.0 Ok: queued as", "a quarantined message is queued")
qid = r[-2].split()[-1]
ok(wait_for(lambda: qid in inst.queue_files("hold"), 10),
   "... and goes to hold/")
like(inst.read_log(), "%s: placed on hold: milter: looks odd" % qid,
     "the log says why")
ok(delivered("ana", "quarantined", 2) is None, "it is not delivered")
m.script = {}
inst.run_ok("cartero", "queue", "release", qid)
ok(delivered("ana", "quarantined") is not None,
   "released: it is delivered")

# 7. A milter that hangs: tempfail, nothing lost.
r = send(subject="hung", port=hang_port)
like(r[2], "451 4.7.1", "a milter past its timeout: 451 at MAIL")
like(r[-1], "221", "the session goes on to QUIT")
r = send(subject="hung2", port=hang_port)
like(r[2], "451", "a later session tries again and tempfails again")

# 8. default_action accept: a milter that is not there is skipped.
r = send(subject="accepted", port=accept_port)
like(r[-2], "250 2.0.0 Ok: queued as", "milter_default_action=accept: "
     "queued without the milter")
ok(delivered("ana", "accepted") is not None, "... and delivered")

# 9. non_smtpd_milters: mail by sendmail through pickup.
def post(subject, *rcpts):
    return inst.cmd("sendmail", "-f", "bob@mired.org", *(rcpts or
                    ("ana@mired.org",)),
                    input="Subject: %s\n\nbody of %s\n" % (subject, subject))


p.script = {"E": [addheader("X-Local-Milter", "yes"), CONTINUE]}
is_(post("local1").returncode, 0, "sendmail takes a message")
t = delivered("ana", "local1") or ""
like(t, "X-Local-Milter: yes\n", "the milter's header is in the delivered "
     "copy of a message sent with sendmail")
p.settle(2)
ok(p.data_of("C") and p.data_of("C")[0].startswith(b"localhost\x004")
   and b"127.0.0.1\0" in p.data_of("C")[0],
   "pickup's mail comes from localhost [127.0.0.1]")
is_(p.data_of("H")[0] if p.data_of("H") else None, b"localhost\0",
    "... with HELO localhost")
like(m.macros("C").get("_", ""), "[127.0.0.1]", "smtpd's _ macro names "
     "the client")

p.script = {"E": [replycode("550 5.7.1 local mail refused")]}
post("local2")
t = delivered("bob", "Undelivered Mail Returned to Sender", 20) or \
    delivered("bob", "local2", 1) or ""
like(t, "local mail refused", "a rejected message bounces to its sender "
     "with the milter's reply")
ok(delivered("ana", "local2", 1) is None, "... and is not delivered")

p.script = {"M": [TEMPFAIL]}
post("local3")
ok(wait_for(lambda: "milter-tempfail" in inst.read_log(), 10),
   "a tempfail is logged")
ok(len(inst.queue_files("maildrop")) == 1, "... and the message stays in "
   "maildrop/")
p.script = {}
post("local3b")             # wakes pickup: both go now
ok(delivered("ana", "local3") is not None, "once the milter takes it, it "
   "is delivered")
ok(delivered("ana", "local3b") is not None, "... with the next one")

p.script = {"E": [DISCARD]}
post("local4")
ok(wait_for(lambda: "discard: milter triggers DISCARD" in inst.read_log(),
            10), "a discarded local message is logged")
ok(delivered("ana", "local4", 1) is None, "... and not delivered")

p.script = {"E": [quarantine("local odd"), CONTINUE]}
post("local5")
ok(wait_for(lambda: "placed on hold: milter: local odd" in inst.read_log(),
            10), "a quarantined local message is put on hold")

p.script = {"E": [addrcpt("<bob@mired.org>"), CONTINUE]}
post("local6")
ok(delivered("bob", "local6") is not None, "a recipient added to local "
   "mail gets it")
ok(delivered("ana", "local6") is not None, "... and so does the first")

inst.cleanup()
p.stop()
m.stop()
hang.stop()
done()
