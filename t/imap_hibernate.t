#!/usr/bin/env python3
# imap-hibernate: an IMAP session with nothing to do (imapd_hibernate_timeout
# = 1s here) leaves no imap process behind; imap-hibernate holds it and auth
# resumes it when the client speaks or, in IDLE, when the folder changes.
# Checked: the process is gone and comes back; a NOOP after a sleep reports
# a delivery (EXISTS), another session's expunge (EXPUNGE with the right
# sequence number) and flag change (FETCH FLAGS); IDLE sleeps and still
# reports new mail (EXISTS), then DONE; a client that hangs up while asleep
# is forgotten; auth refuses a forged resume request, a real credential
# used for another account and a stale one; an IMAPS session sleeps and
# resumes through its TLS relay; imapd_hibernate_timeout = 0 never
# hibernates; the autologout of a sleeping session comes from
# imap-hibernate; as root, imap-hibernate runs as mail_owner.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import glob
import imaplib
import pwd
import re
import smtplib
import socket
import ssl
import time

plan(45)


def deliver(inst, subject):
    before = len(all_files(inst))
    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
    c.sendmail("bob@mired.org", ["ana@mired.org"],
               "From: Bob <bob@mired.org>\r\nTo: ana@mired.org\r\n"
               "Subject: %s\r\n\r\ncuerpo\r\n" % subject)
    c.quit()
    wait_for(lambda: len(all_files(inst)) > before, 20)


def all_files(inst):
    md = inst.maildir()
    return (glob.glob(os.path.join(md, "new", "*")) +
            glob.glob(os.path.join(md, "cur", "*")))


def count(inst, text):
    return inst.read_log().count(text)


def asleep(inst, before):
    """Wait until one more session is held and no imap process is left."""
    return wait_for(lambda: not inst.pids("imap") and
                    hib_fds(inst) > before, 10)


def hib_fds(inst):
    """Client descriptors imap-hibernate holds (sockets but its fd 3)."""
    n = 0
    for pid in inst.pids("imap-hibernate"):
        for fd in glob.glob("/proc/%d/fd/*" % pid):
            if fd.endswith("/3"):
                continue        # the listening socket
            try:
                if os.readlink(fd).startswith("socket:"):
                    n += 1
            except OSError:
                pass
    return n


HIB = "imap-hibernate unix n - n - 1 imap-hibernate\n"
inst = Instance(main_cf={"imapd_hibernate_timeout": "1s",
                         "auth_failure_delay": "0"},
                master_extra=HIB)
wait_for(lambda: inst.listening(), 10)
base = 0

deliver(inst, "uno")
deliver(inst, "dos")
deliver(inst, "tres")

# --- Sleep between commands; NOOP wakes and reports what happened. ---
r = ImapRaw(inst.imap_port)
r.cmd(". LOGIN ana ana")
out = r.cmd("a SELECT INBOX")
ok("* 3 EXISTS\r\n" in out and out[-1].startswith("a OK"), "SELECT INBOX: 3")
ok(len(inst.pids("imap")) == 1, "one imap process while the session works")
ok(asleep(inst, base), "after the timeout: no imap process, the session is "
   "held by imap-hibernate")
ok(len(inst.pids("imap-hibernate")) == 1, "master started one imap-hibernate")
deliver(inst, "cuatro")
o = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=10)
o.login("ana", "ana")
o.select("INBOX")
o.store("2", "+FLAGS", "(\\Deleted)")
o.expunge()
o.logout()
out = r.cmd("b NOOP")
ok("* 2 EXPUNGE\r\n" in out, "NOOP after the sleep: another session's "
   "expunge as EXPUNGE 2")
ok("* 3 EXISTS\r\n" in out, "... and the delivery as EXISTS 3")
ok(out[-1].startswith("b OK"), "... and NOOP completes")
ok(wait_for(lambda: count(inst, "resume: user=<ana@mired.org>") >= 1, 5),
   "auth logged the resumption")
ok(wait_for(lambda: count(inst, "reason=input") >= 1, 5),
   "imap-hibernate logged the wake-up by client input")

out = r.cmd("c FETCH 1:* (UID FLAGS)")
ok(len([l for l in out if " FETCH " in l]) == 3 and out[-1].startswith("c OK"),
   "the view after resumption has the three messages")

# --- A flag change by another session while asleep: FETCH FLAGS. ---
ok(asleep(inst, base), "asleep again")
o = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=10)
o.login("ana", "ana")
o.select("INBOX")
o.store("1", "+FLAGS", "(\\Flagged)")
o.logout()
out = r.cmd("d NOOP")
ok(any(re.match(r"\* 1 FETCH \(UID \d+ FLAGS \(.*\\Flagged", l) for l in out),
   "the flag change shows as FETCH FLAGS")

# --- IDLE sleeps; new mail wakes it; DONE ends it. ---
r.send("e IDLE\r\n")
ok(r.line().startswith("+ "), "IDLE: continuation")
ok(asleep(inst, base), "IDLE: the session sleeps in imap-hibernate")
t0 = time.time()
deliver(inst, "cinco")
line = r.line()
took = time.time() - t0
ok(line == "* 4 EXISTS\r\n", "IDLE: the delivery arrives as EXISTS 4 (%r)"
   % line)
note("IDLE asleep: delivery to EXISTS in %.3f s" % took)
ok(wait_for(lambda: count(inst, "reason=mailbox") >= 1, 5),
   "imap-hibernate woke the session for the folder's change")
r.line()                            # * 5 RECENT
ok(asleep(inst, base), "IDLE: asleep again")
r.send("DONE\r\n")
out = r.until("e")
ok(out[-1].startswith("e OK"), "IDLE: DONE to a sleeping session: OK")
out = r.cmd("f LOGOUT")
ok(out[-1].startswith("f OK"), "LOGOUT")
r.close()

# --- A client that hangs up while asleep is forgotten. ---
r = ImapRaw(inst.imap_port)
r.cmd(". LOGIN ana ana")
r.cmd("a SELECT INBOX")
ok(asleep(inst, base), "a second session sleeps")
gone = count(inst, "while hibernated")
r.close()
ok(wait_for(lambda: count(inst, "Disconnected: user=<ana@mired.org>, "
                     "rip=127.0.0.1, while hibernated") > gone, 10),
   "its hang-up is noticed")
ok(wait_for(lambda: hib_fds(inst) == base, 10),
   "and imap-hibernate holds nothing of it any more")
ok(not inst.pids("imap"), "no imap process was started for the hang-up")


# --- auth refuses forged resume requests. ---
def resume_cred(pids):
    """The resume credential in the environment of the first of pids (an
    imap process), or None."""
    if not pids:
        return None
    with open("/proc/%d/environ" % pids[0], "rb") as f:
        for kv in f.read().split(b"\0"):
            if kv.startswith(b"RESUME="):
                return kv[7:].decode()
    return None


def resume_request(account, cred):
    """Ask auth to resume a session on a fresh loopback socket."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    client = socket.create_connection(lsock.getsockname())
    server, _ = lsock.accept()
    mfd = os.memfd_create("state")
    os.write(mfd, b"account=%s\nrip=127.0.0.1\ncount=0\nsize=0\n\n"
             % account.encode())
    answer = ipc_call(os.path.join(inst.spool, "private", "auth"),
                      "request=resume\nservice=imap\naccount=%s\n"
                      "rip=127.0.0.1\ncredential=%s\n\n" % (account, cred),
                      [server.fileno(), mfd], timeout=10)
    for x in (client, server, lsock):
        x.close()
    os.close(mfd)
    return answer


before = count(inst, "resume refused")
ans = resume_request("ana@mired.org", "%d.%s" % (time.time(), "0" * 64))
ok("status=fail" in ans and count(inst, "resume refused") > before,
   "a forged credential gets nothing from auth")

# A real credential (from a live session's environment) for another account.
r = ImapRaw(inst.imap_port)
r.cmd(". LOGIN ana ana")
pids = inst.pids("imap")
cred = resume_cred(pids)
ok(cred is not None and re.match(r"^\d+\.[0-9a-f]{32}\.[0-9a-f]{64}$", cred),
   "an imap session carries a resume credential (time.nonce.HMAC-SHA256)")
before = count(inst, "resume refused")
ans = resume_request("bob@mired.org", cred or "x")
ok("status=fail" in ans and count(inst, "resume refused") > before,
   "ana's credential does not resume a session of bob")
before = count(inst, "resume refused")
old = "%d.%s" % (time.time() - 5 * 3600,
                ".".join((cred or "1.x.y").split(".")[1:]))
ans = resume_request("ana@mired.org", old)
ok("status=fail" in ans and count(inst, "stale resume credential") >= 1,
   "a credential issued five hours ago is stale "
   "(imapd_hibernate_credential_lifetime = 4h)")
ok(not [p for p in inst.pids("imap") if p not in pids],
   "no imap process was started for the refused requests")
# The session sleeps and wakes with that credential: it is used up.
out = r.cmd("a SELECT INBOX")
ok(asleep(inst, base), "the session sleeps with its credential")
out = r.cmd("b NOOP")
ok(out[-1].startswith("b OK"), "... and wakes (NOOP)")
newpids = inst.pids("imap")
cred2 = resume_cred(newpids)
ok(cred2 is not None and cred2 != cred,
   "the woken process has a new credential")
before = count(inst, "already used")
ans = resume_request("ana@mired.org", cred or "x")
if not ok("status=fail" in ans and count(inst, "already used") > before,
          "the used credential replayed: refused (single use)"):
    diag("auth answered %r" % ans)
ok(not [p for p in inst.pids("imap") if p not in newpids],
   "... and no imap process was started for it")
r.cmd("z LOGOUT")
r.close()

# --- IMAPS: the TLS relay's socket pair sleeps and wakes the same way. ---
r = ImapRaw(inst.imaps_port, tls=True)
r.cmd(". LOGIN ana ana")
out = r.cmd("a SELECT INBOX")
ok(out[-1].startswith("a OK"), "IMAPS: SELECT")
ok(asleep(inst, base), "IMAPS: the session sleeps")
deliver(inst, "seis")
out = r.cmd("b NOOP")
ok("* 5 EXISTS\r\n" in out and out[-1].startswith("b OK"),
   "IMAPS: NOOP wakes it and reports the delivery")
r.cmd("c LOGOUT")
r.close()

# --- As root: imap-hibernate runs as mail_owner. ---
if is_root():
    uid = pwd.getpwnam(inst.owner).pw_uid
    hp = inst.pids("imap-hibernate")
    with open("/proc/%d/status" % hp[0]) as f:
        uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
    ok(all(int(u) == uid for u in uids), "imap-hibernate runs as %s"
       % inst.owner)
else:
    ok(True, "# SKIP imap-hibernate's user: needs root")
inst.stop()

# --- A credential that would expire before the autologout: no sleep. ---
inst2 = Instance(main_cf={"imapd_hibernate_timeout": "1s",
                          "imapd_hibernate_credential_lifetime": "60s"},
                 master_extra=HIB)
wait_for(lambda: inst2.listening(), 10)
r = ImapRaw(inst2.imap_port)
r.cmd(". LOGIN ana ana")
r.cmd("a SELECT INBOX")
time.sleep(3)
ok(len(inst2.pids("imap")) == 1, "a credential good for 60s, an autologout "
   "in 30m: the session keeps its imap process")
out = r.cmd("b NOOP")
ok(out[-1].startswith("b OK"), "... and goes on")
r.close()
inst2.stop()

# --- imapd_hibernate_timeout = 0: never. ---
inst2 = Instance(main_cf={"imapd_hibernate_timeout": "0"}, master_extra=HIB)
wait_for(lambda: inst2.listening(), 10)
r = ImapRaw(inst2.imap_port)
r.cmd(". LOGIN ana ana")
r.cmd("a SELECT INBOX")
r.send("b IDLE\r\n")
r.line()
time.sleep(3)
ok(len(inst2.pids("imap")) == 1, "imapd_hibernate_timeout = 0: the imap "
   "process stays")
r.send("DONE\r\n")
ok(r.until("b")[-1].startswith("b OK"), "... and IDLE ends as usual")
r.close()
inst2.stop()

# --- The autologout timer runs on while asleep: imap-hibernate says BYE. ---
inst3 = Instance(main_cf={"imapd_hibernate_timeout": "1s",
                          "imapd_timeout": "4s"}, master_extra=HIB)
wait_for(lambda: inst3.listening(), 10)
r = ImapRaw(inst3.imap_port)
r.cmd(". LOGIN ana ana")
r.cmd("a SELECT INBOX")
ok(wait_for(lambda: not inst3.pids("imap") and hib_fds(inst3) > 0, 10),
   "a session with a short autologout sleeps")
r.s.settimeout(20)
like(r.line(), "* BYE Autologout", "imap-hibernate logs it out after "
     "imapd_timeout")
is_(r.line(), "", "... and closes the connection")
ok(wait_for(lambda: count(inst3, "Inactivity: user=<ana@mired.org>") >= 1,
            5), "... and logs Inactivity")
r.close()
inst3.stop()
done()
