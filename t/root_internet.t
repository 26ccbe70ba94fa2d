#!/usr/bin/env python3
# Root only (issue 11, item 5): mail between two Internet sites on one host,
# nothing off loopback.  dnsmasq on 127.0.0.1 serves the MX records:
# mired.org -> mail.mired.org (127.0.0.2), otro.test -> mail.otro.test
# (127.0.0.3), dead.test -> mx.dead.test (127.0.0.6, a server that never
# greets); any other name under .test is NXDOMAIN.  Two cartero instances,
# mired.org on 127.0.0.2 (25 and 587) and otro.test on 127.0.0.3 (25),
# each with the smtp and lmtp agents, its own certificate and STARTTLS
# (smtp_tls_security_level = may).  mired.org retries only when flushed
# (long backoffs), so that a delivery after a deferral is the flush's.
#  - ana submits on 587 with STARTTLS and AUTH (PLAIN, then LOGIN) to
#    pepe@otro.test: it arrives, the Received header of otro.test says TLS;
#    pepe's reply through otro.test comes back to ana;
#  - otro.test stopped: ana's message is deferred, otro.test remembered
#    as down (the next message deferred without a connection); started and
#    flushed: both arrive, once each;
#  - a domain that does not exist: ana gets a multipart/report bounce;
#  - a dead MX (dead.test) does not delay mail to otro.test sent after it;
#  - LMTP to a test server (transport_maps): its per-recipient replies after
#    the data are honoured (250 delivered, 550 bounced, that one only);
#  - a peer (flaky.test, transport_maps to [127.0.0.7]:25) that answers
#    421, 450, 452 or drops mid-DATA: deferred each time, delivered once
#    when it behaves, nothing lost, nothing twice;
#  - backup.test's first MX (127.0.0.8) has nothing listening: its mail
#    goes to the second (the peer above);
#  - relayhost = [127.0.0.4]:587 with SASL (smtp_sasl_password_maps): a
#    third instance relays ana's mail to otro.test, its log names the
#    SASL user, the mail arrives; the reload that applies it comes during
#    a slow delivery, which must not be sent twice (the old qmgr waits
#    for its reply; the new one waits for the old one).
import os, smtplib, socket, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

need_root_sites(7)

from dnsmasq import Dnsmasq
from smtpsink import Sink

MIRED, OTRO, RELAY = "127.0.0.2", "127.0.0.3", "127.0.0.4"
LMTP_HOST, DEAD_HOST, FLAKY_HOST = "127.0.0.5", "127.0.0.6", "127.0.0.7"

dns = Dnsmasq(["--local=/mired.org/", "--local=/test/",
               "--mx-host=mired.org,mail.mired.org,10",
               "--host-record=mail.mired.org,%s" % MIRED,
               "--mx-host=otro.test,mail.otro.test,10",
               "--host-record=mail.otro.test,%s" % OTRO,
               "--mx-host=dead.test,mx.dead.test,10",
               "--host-record=mx.dead.test,%s" % DEAD_HOST,
               "--mx-host=backup.test,mx1.backup.test,10",
               "--host-record=mx1.backup.test,127.0.0.8",
               "--mx-host=backup.test,mx2.backup.test,20",
               "--host-record=mx2.backup.test,%s" % FLAKY_HOST])

# The test's own servers: a dead MX (accepts, never greets), an LMTP
# server, and a peer whose replies the test changes as it goes.
dead = Sink(host=DEAD_HOST, port=25, greeting_delay=3600)
lmtp = Sink(host=LMTP_HOST, port=2424, lmtp=True, replies={
    "DOT": lambda r: "550 5.1.1 no such user" if "nobody" in r
    else "250 2.0.0 ok"})
flaky = Sink(host=FLAKY_HOST, port=25)


AGENTS = "smtp unix - - n - - smtp\nlmtp unix - - n - - lmtp\n"


def site_cf(**kw):
    cf = {"dns_servers": dns.server,
          "smtp_destination_networks": "127.0.0.0/8 [::1]/128",
          "smtp_tls_security_level": "may"}
    cf.update(kw)
    return cf


mired = Instance(host=MIRED, port=25, domain="mired.org", start=False,
                 master_extra=submission_service(MIRED, 587) + AGENTS,
                 main_cf=site_cf(
                     transport_maps="hash:$config_directory/transport",
                     minimal_backoff_time="1h", maximal_backoff_time="2h",
                     queue_run_delay="1h", dead_destination_time="1h"))
with open(os.path.join(mired.etc, "transport"), "w") as f:
    f.write("lists.test lmtp:inet:%s:2424\n" % LMTP_HOST)
    f.write("flaky.test smtp:[%s]:25\n" % FLAKY_HOST)
mired.run_ok("carteromap", "hash:" + os.path.join(mired.etc, "transport"))
mired.start()
otro = Instance(host=OTRO, port=25, domain="otro.test", users=("pepe", "ana"),
                master_extra=AGENTS, main_cf=site_cf())
ok(mired.listening() and otro.listening(),
   "mired.org listens on 127.0.0.2:25, otro.test on 127.0.0.3:25")


def find(inst, user, tag):
    """The user's messages that hold tag."""
    return [m for m in inst.mail_files(user) if tag in message_text(m)]


def wait_find(inst, user, tag, n=1, timeout=30):
    wait_for(lambda: len(find(inst, user, tag)) >= n, timeout)
    return find(inst, user, tag)


def log_count(inst, rcpt, status):
    return sum(1 for l in inst.read_log().splitlines()
               if "to=<%s>" % rcpt in l and "status=%s" % status in l)


def log_has(inst, text, name):
    """A check: the instance's log has text (within 10 s)."""
    if not ok(wait_for(lambda: text in inst.read_log(), 10), name):
        diag("no %r in the log; its end:" % text)
        diag("\n".join(inst.read_log().splitlines()[-8:]))


def flush(inst):
    inst.run_ok("cartero", "queue", "flush")


def submit(mech, login, rcpts, tag, sender="ana@mired.org"):
    """ana's message on mired.org's 587: STARTTLS, AUTH mech, send."""
    s = smtplib.SMTP(MIRED, 587, timeout=15)
    s.ehlo("laptop.example")
    s.starttls(context=client_ctx())
    s.ehlo("laptop.example")
    s.user, s.password = login, "ana"
    code = s.auth(mech, s.auth_plain if mech == "PLAIN" else s.auth_login)[0]
    refused = s.sendmail(sender, rcpts, "From: <%s>\r\nTo: <%s>\r\n"
                         "Subject: %s\r\n\r\n%s body\r\n"
                         % (sender, rcpts[0], tag, tag))
    s.quit()
    return code, refused


# 1. ana -> pepe over TLS, with AUTH PLAIN; pepe's reply comes back.
code, refused = submit("PLAIN", "ana", ["pepe@otro.test"], "HolaPepe")
is_((code, refused), (235, {}),
    "ana submits on 587 after STARTTLS with AUTH PLAIN")
got = wait_find(otro, "pepe", "HolaPepe")
is_(len(got), 1, "the message reaches pepe@otro.test's Maildir by MX")
text = message_text(got[0]) if got else ""
recv = text.split("Received: ")[1] if text.count("Received: ") >= 2 else ""
if not ok("by mail.otro.test" in recv and "(using TLS" in recv and
          "with ESMTPS" in recv,
          "otro.test's Received header says the hop from mired.org used TLS"):
    diag(text[:1500])
log_has(mired, "to=<pepe@otro.test>, relay=mail.otro.test[%s]:25" % OTRO,
        "mired.org's log names the MX host it used")

c = smtplib.SMTP(OTRO, 25, timeout=15)
c.sendmail("pepe@otro.test", ["ana@mired.org"],
           "From: <pepe@otro.test>\r\nSubject: Re: HolaPepe\r\n\r\nhola\r\n")
c.quit()
is_(len(wait_find(mired, "ana", "Re: HolaPepe")), 1,
    "pepe's reply through otro.test arrives in ana's Maildir")

# AUTH LOGIN, with the whole address as the login.
code, refused = submit("LOGIN", "ana@mired.org", ["pepe@otro.test"],
                       "LoginForm")
is_((code, refused), (235, {}), "ana submits with AUTH LOGIN too")
is_(len(wait_find(otro, "pepe", "LoginForm")), 1, "and it arrives")

# 2. otro.test stopped: deferred; back and flushed: delivered once.
otro.stop()
ok(wait_for(lambda: not otro.listening(), 10), "otro.test is stopped")
submit("PLAIN", "ana", ["pepe@otro.test"], "WhileDownA")
ok(wait_for(lambda: log_count(mired, "pepe@otro.test", "deferred") >= 1, 30),
   "with otro.test down ana's message is deferred")
ok(len(mired.queue_files("deferred")) >= 1, "it waits in the deferred queue")
ok([l for l in mired.read_log().splitlines() if "to=<pepe@otro.test>" in l
    and "status=deferred" in l and "relay=none," in l],
   "logged with relay=none (no server answered), as Postfix does")
log_has(mired, "destination smtp:otro.test is down",
        "qmgr remembers otro.test is down")


def agent_tries():
    """The smtp agent's attempts for pepe@otro.test that failed."""
    return sum(1 for l in mired.read_log().splitlines()
               if "cartero/smtp[" in l and "<pepe@otro.test> deferred" in l)


tries = agent_tries()
submit("PLAIN", "ana", ["pepe@otro.test"], "WhileDownB")
ok(wait_for(lambda: log_count(mired, "pepe@otro.test", "deferred") >= 2, 30),
   "a second message to the dead destination is deferred")
is_(agent_tries(), tries, "without another connection attempt")
otro.start()
ok(otro.listening(), "otro.test is back")
flush(mired)
ok(wait_find(otro, "pepe", "WhileDownB") and wait_find(otro, "pepe",
                                                       "WhileDownA"),
   "after cartero queue flush both arrive")
time.sleep(1)                       # a second copy would come now
is_((len(find(otro, "pepe", "WhileDownA")),
     len(find(otro, "pepe", "WhileDownB"))), (1, 1), "once each")

# 3. A domain that does not exist: a DSN back to ana.
submit("PLAIN", "ana", ["nadie@nosuch.test"], "NoSuchDomain")
got = wait_find(mired, "ana", "nadie@nosuch.test")
is_(len(got), 1, "mail to a domain that does not exist bounces to ana")
text = message_text(got[0]) if got else ""
like(text, "multipart/report", "the bounce is a multipart/report")
like(text, "Final-Recipient: rfc822; nadie@nosuch.test",
     "it names the failed recipient")
log_has(mired, "to=<nadie@nosuch.test>, relay=none,",
        "qmgr logs the bounce with relay=none")

# 4. A dead MX does not delay the mail sent after it.
submit("PLAIN", "ana", ["someone@dead.test"], "ToDeadMX")
ok(wait_for(lambda: dead.connections >= 1, 30),
   "the mail to dead.test connects to its MX, which never greets")
submit("PLAIN", "ana", ["pepe@otro.test"], "AfterDeadMX")
is_(len(wait_find(otro, "pepe", "AfterDeadMX", timeout=20)), 1,
    "mail to otro.test sent after it arrives meanwhile")
is_(log_count(mired, "someone@dead.test", "bounced"), 0,
    "the dead MX's mail is not bounced")

# 5. LMTP: one 250, one 550 after the data.
submit("PLAIN", "ana", ["a@lists.test", "nobody@lists.test"], "ToLmtp")
ok(lmtp.wait_messages(1, 30), "transport_maps sends lists.test over LMTP")
m = lmtp.messages[0] if lmtp.messages else {}
is_(sorted(m.get("rcpts", [])), ["TO:<a@lists.test>", "TO:<nobody@lists.test>"],
    "one transaction with both recipients")
got = wait_find(mired, "ana", "nobody@lists.test")
is_(len(got), 1, "the 550 recipient bounces to ana")
text = message_text(got[0]) if got else ""
like(text, "Final-Recipient: rfc822; nobody@lists.test", "that one")
ok("Final-Recipient: rfc822; a@lists.test" not in text,
   "and not the one the server took")
ok(wait_for(lambda: log_count(mired, "a@lists.test", "sent") == 1, 10),
   "the 250 recipient is logged sent")

# 6. A peer that misbehaves: deferred each time, then delivered once.
def accepted():
    return [m for m in flaky.messages
            if m.get("replies") and m["replies"][0].startswith("2")]


def deferrals():
    """The reasons of qmgr's deferrals of x@flaky.test, in order."""
    return [l.split("status=deferred", 1)[1]
            for l in mired.read_log().splitlines() if "cartero/qmgr[" in l
            and "to=<x@flaky.test>" in l and "status=deferred" in l]


# (what, the fault, what the deferral's reason says)
faults = [("RCPT 450", lambda: flaky.replies.update(
              RCPT="450 4.2.1 mailbox busy"), "450 4.2.1 mailbox busy"),
          ("RCPT 452", lambda: flaky.replies.update(
              RCPT="452 4.5.3 too many recipients"), "452 4.5.3"),
          ("421 after the data", lambda: flaky.replies.update(
              DOT="421 4.3.2 shutting down"),
           "421 4.3.2 shutting down (in reply to end of DATA)"),
          ("MAIL 421", lambda: flaky.replies.update(
              MAIL="421 4.3.2 shutting down"),
           "421 4.3.2 shutting down (in reply to MAIL FROM)"),
          ("drop in DATA", lambda: setattr(flaky, "drop_in_data", True),
           "lost connection")]
for i, (what, fault, reason) in enumerate(faults):
    flaky.replies.clear()
    flaky.drop_in_data = False
    fault()
    before = len(deferrals())
    if i == 0:
        submit("PLAIN", "ana", ["x@flaky.test"], "FlakyPeer")
    else:
        flush(mired)
    ok(wait_for(lambda: len(deferrals()) > before, 30),
       "a peer's %s: the message is deferred" % what)
    like(" ".join(deferrals()[before:]), reason, "because of it")
is_(len(accepted()), 0, "the peer took no copy while misbehaving")
is_(log_count(mired, "x@flaky.test", "bounced"), 0, "nothing bounced")
flaky.replies.clear()
flaky.drop_in_data = False
flush(mired)
ok(wait_for(lambda: log_count(mired, "x@flaky.test", "sent") >= 1, 30),
   "the peer behaves, a flush: the message is sent")
flush(mired)                    # a second copy would be sent now
wait_for(lambda: False, 2)
is_(len(accepted()), 1, "the peer has it once")
is_(log_count(mired, "x@flaky.test", "sent"), 1, "logged sent once")
like(accepted()[0]["data"].decode() if accepted() else "", "FlakyPeer",
     "with its text")

# Every MX host in order: backup.test's first MX has nothing listening,
# its second is the (now well-behaved) peer.
submit("PLAIN", "ana", ["y@backup.test"], "BackupMX")
ok(wait_for(lambda: [m for m in accepted() if "y@backup.test" in
                     str(m["rcpts"])], 30),
   "a domain whose first MX is down gets its mail to the second MX")
log_has(mired, "to=<y@backup.test>, relay=mx2.backup.test[%s]:25"
        % FLAKY_HOST, "logged with the second MX's name")

# 7. relayhost with SASL through a third instance.
relay = Instance(host=RELAY, domain="relay.test", users=("relayuser", "ana"),
                 master_extra=submission_service(RELAY, 587, (
                     "reject_sender_login_mismatch",)) + AGENTS,
                 main_cf=site_cf())
ok(port_answers(587, 5, RELAY), "the relay listens on 127.0.0.4:587")
with open(os.path.join(mired.etc, "sasl_passwd"), "w") as f:
    f.write("[%s]:587 relayuser@relay.test:relayuser\n" % RELAY)
mired.run_ok("carteromap", "hash:" + os.path.join(mired.etc, "sasl_passwd"))
with open(os.path.join(mired.etc, "main.cf"), "a") as f:
    f.write("relayhost = [%s]:587\nsmtp_sasl_auth_enable = yes\n"
            "smtp_sasl_password_maps = hash:$config_directory/sasl_passwd\n"
            % RELAY)

# The reload comes while a message is in the middle of its delivery (the
# peer takes 3 s to answer its end of data).
def slow_dot(arg):
    time.sleep(3)
    return "250 2.0.0 queued as SINK"


def reload_copies():
    return [m for m in accepted() if "DuringReload" in m["data"].decode()]


flaky.replies["DOT"] = slow_dot
submit("PLAIN", "ana", ["z@flaky.test"], "DuringReload")
ok(wait_for(lambda: "<z@flaky.test>" in str(
    [c for c in flaky.commands if c.startswith("RCPT")]) and
    flaky.commands[-1] == "DATA", 30), "a delivery to a slow peer is under way")
# reload returns at once; qmgr, which routes, is restarted with the new
# main.cf: wait for the new one before sending.
old_qmgr = set(mired.pids("qmgr"))
mired.run_ok("cartero", "reload")
ok(wait_for(lambda: mired.pids("qmgr") and
            not set(mired.pids("qmgr")) & old_qmgr, 20),
   "cartero reload: a new qmgr reads the relayhost")
ok(wait_for(lambda: reload_copies(), 20), "the slow peer gets the message")
wait_for(lambda: len(reload_copies()) > 1, 10)  # a second copy comes by now
is_(len(reload_copies()), 1, "a reload during a delivery does not "
    "deliver it twice")
after = mired.read_log().split(" reload -- ", 1)[-1]
ok([l for l in after.splitlines() if "to=<z@flaky.test>" in l and
    "status=sent" in l and any("qmgr[%d]" % p in l for p in old_qmgr)],
   "the old qmgr heard the delivery's reply after the reload, then went")
flaky.replies.clear()
submit("PLAIN", "ana", ["pepe@otro.test"], "ViaRelay")
got = wait_find(otro, "pepe", "ViaRelay")
is_(len(got), 1, "with relayhost, mail to otro.test arrives")
like(message_text(got[0]) if got else "", "by mail.relay.test",
     "through the relay")
log_has(relay, "sasl_username=relayuser@relay.test",
        "the relay's log shows mired.org's SASL login")
log_has(mired, "to=<pepe@otro.test>, relay=%s[%s]:587" % (RELAY, RELAY),
        "mired.org's log shows the relayhost")

done()
