#!/usr/bin/env python3
# qmgr's routing and its requests, seen from the delivery agents' side:
# fake agents (t/lib/fakeagent.py) listen on private/NAME and record what
# qmgr asks.  transport_maps (whole address, domain, .parent; transport:
# nexthop, transport:, :nexthop, error:, discard:), relay_domains with
# relay_transport, relayhost, a transport with no agent; one request per
# message and destination with rcpt_count and per-recipient replies, the
# TRANSPORT_destination_recipient_limit, the
# TRANSPORT_destination_concurrency_limit per destination (a slow one does
# not hold up another), and a destination an agent says is dead (dead=1):
# its mail is deferred without a request until a flush; at most maxproc
# (master.cf) connections to an agent.  And the
# addressing before routing: virtual_alias_maps (with a catch-all @domain)
# and recipient_delimiter.
import os, sys, smtplib, re
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from fakeagent import FakeAgent, recipients, rcpt_count

plan(57)

TRANSPORT = """\
otro.test        slow:[127.0.0.1]:2525
.sub.test        :sub-gw.test
vip@big.test     vip:
big.test         smtp:[mx.big.test]
error.test       error:5.1.2 no such domain here
olderr.test      error:gone away
soft.test        error:4.4.0 try again later
null.test        discard:silently dropped
nowhere.test     ghost:
d1.test          batch:
d2.test          batch:
e.test           lim:
h1.test          hold:
h2.test          hold:
down.test        flaky:
up.test          flaky:
f1.test          few:
f2.test          few:
f3.test          few:
"""

VIRTUAL = """\
info@mired.org      ana
sales@mired.org     bob@mired.org, sales-copy@otro.test
loop1@mired.org     loop2@mired.org
loop2@mired.org     loop1@mired.org
@virt.test          bob@mired.org
"""

# "few" is in master.cf with maxproc 2 (its socket is the fake agent's:
# master's own listener is replaced before anything connects).
inst = Instance(start=False, master_extra="few unix - - n - 2 smtp\n",
                main_cf={
    "relay_domains": "listas.mired.org",
    "transport_maps": "hash:$config_directory/transport",
    "lim_destination_recipient_limit": "2",
    "hold_destination_concurrency_limit": "2",
    "dead_destination_time": "1h",
    "mydestination": "$mydomain, localhost, virt.test",
    "virtual_alias_maps": "hash:$config_directory/virtual",
})
tfile = os.path.join(inst.etc, "transport")
with open(tfile, "w") as f:
    f.write(TRANSPORT)
inst.run_ok("carteromap", "hash:" + tfile)
vfile = os.path.join(inst.etc, "virtual")
with open(vfile, "w") as f:
    f.write(VIRTUAL)
inst.run_ok("carteromap", "hash:" + vfile)
inst.start()
ok(wait_for(lambda: inst.pids("qmgr"), 20), "qmgr runs")
r = inst.cmd("carteroconf", "-n")
ok(r.returncode == 0 and "lim_destination_recipient_limit = 2" in r.stdout
   and "unknown" not in r.stderr,
   "carteroconf -n shows a per-transport limit as known: " + r.stderr.strip())

priv = os.path.join(inst.spool, "private")
agents = {n: FakeAgent(os.path.join(priv, n))
          for n in ("smtp", "slow", "vip", "batch", "lim", "hold", "flaky",
                    "few")}


def send(rcpts, subject="test"):
    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
    c.sendmail("bob@mired.org", rcpts, "Subject: %s\r\n\r\nbody\r\n" % subject)
    c.quit()


def log_line(addr, status=None):
    """The last delivery log line of addr (with that status), or None."""
    found = None
    for line in inst.read_log().splitlines():
        if "to=<%s>" % addr in line and (status is None or
                                          "status=%s" % status in line):
            found = line
    return found


def logged(addr, status):
    """Whether a log line of addr with status comes within 20 seconds."""
    return wait_for(lambda: log_line(addr, status), 20)


def reqs_to(agent, addr):
    return [r for r in agents[agent].requests if addr in recipients(r)]


def nexthop_of(agent, addr):
    if not wait_for(lambda: reqs_to(agent, addr), 20):
        return "(no request to %s for %s)" % (agent, addr)
    return reqs_to(agent, addr)[0].get("nexthop", "(none)")


# --- routing ---------------------------------------------------------
send(["pepe@otro.test"])
is_(nexthop_of("slow", "pepe@otro.test"), "[127.0.0.1]:2525",
    "transport_maps domain -> slow:[127.0.0.1]:2525")
send(["lista@listas.mired.org"])
is_(nexthop_of("smtp", "lista@listas.mired.org"), "listas.mired.org",
    "relay_domains -> relay_transport smtp, the domain as nexthop")
send(["c@x.sub.test"])
is_(nexthop_of("smtp", "c@x.sub.test"), "sub-gw.test",
    ".parent key with :nexthop keeps the transport, sets the nexthop")
send(["vip@big.test", "other@big.test"])
is_(nexthop_of("vip", "vip@big.test"), "big.test",
    "a whole-address key wins; transport: gives the domain as nexthop")
is_(nexthop_of("smtp", "other@big.test"), "[mx.big.test]",
    "the domain key for the other recipient")
send(["u@plain.test"])
is_(nexthop_of("smtp", "u@plain.test"), "plain.test",
    "no entry: default_transport smtp to the recipient's domain")
r = reqs_to("smtp", "u@plain.test")[0]
is_((r.get("sender"), r.get("queue_id", "") != "", r.get("path", "") != ""),
    ("bob@mired.org", True, True), "the request names the message")
ok(logged("u@plain.test", "sent"), "a sent line in the log")
like(log_line("u@plain.test", "sent") or "", "relay=smtp,",
     "relay= is the transport when the agent gives none")

send(["x@error.test"])
ok(logged("x@error.test", "bounced"), "error:5.1.2 text bounces")
like(log_line("x@error.test") or "", "dsn=5.1.2, status=bounced (no such "
     "domain here)", "with the text's code and text")
ok(wait_for(lambda: any("no such domain here" in open(f).read()
                        for f in inst.new_mail("bob")), 20),
   "and the sender gets the bounce")
send(["x@olderr.test"])
ok(logged("x@olderr.test", "bounced") and
   "dsn=5.0.0" in log_line("x@olderr.test"), "error:text without a code: 5.0.0")
send(["x@soft.test"])
ok(logged("x@soft.test", "deferred") and
   "dsn=4.4.0" in log_line("x@soft.test"), "error:4.4.0 text defers")
send(["x@null.test"])
ok(logged("x@null.test", "sent"), "discard: is logged as sent")
like(log_line("x@null.test") or "", "status=sent (discarded: silently dropped)",
     "with the text")
send(["x@nowhere.test"])
ok(logged("x@nowhere.test", "deferred"), "a transport with no socket defers")
like(log_line("x@nowhere.test") or "", "delivery agent ghost unavailable",
     "as the delivery agent NAME unavailable")

# --- batching ----------------------------------------------------------
agents["batch"].answer = lambda req: {
    "rcpt": [(5, "5.1.1", "no such user") if a.startswith("a2@") else
             (0, "2.0.0", "ok") for a in recipients(req)],
    "relay": "mx.%s[127.0.0.9]:25" % req["nexthop"]}
send(["a1@d1.test", "b1@d2.test", "a2@d1.test", "b2@d2.test", "a3@d1.test"],
     "batched")
ok(wait_for(lambda: len(agents["batch"].requests) >= 2 and
            log_line("a3@d1.test"), 20), "the five recipients are done")
byhop = {r["nexthop"]: recipients(r) for r in agents["batch"].requests}
is_(len(agents["batch"].requests), 2, "5 recipients in 2 domains: 2 requests")
is_(byhop.get("d1.test"), ["a1@d1.test", "a2@d1.test", "a3@d1.test"],
    "one with the 3 of d1.test (rcpt_count=3)")
is_(byhop.get("d2.test"), ["b1@d2.test", "b2@d2.test"], "one with the 2 of d2.test")
ok(logged("a2@d1.test", "bounced"),
   "the second recipient's own reply (status.1) bounces it")
like(log_line("a3@d1.test") or "", "relay=mx.d1.test[127.0.0.9]:25,",
     "relay= from the reply is logged")
like(log_line("a3@d1.test") or "", "status=sent", "the third one is sent")

send(["r%d@e.test" % i for i in range(5)], "limited")
ok(wait_for(lambda: sum(rcpt_count(r) for r in agents["lim"].requests) >= 5,
            20), "five recipients to lim")
is_(sorted(rcpt_count(r) for r in agents["lim"].requests), [1, 2, 2],
    "lim_destination_recipient_limit = 2: requests of 2, 2 and 1")

# --- concurrency per destination ----------------------------------------
hold = agents["hold"]
hold.hold = True
active = inst.read_log().count("(queue active)")
for i in range(4):
    send(["m%d@h1.test" % i], "hold-%d" % i)
ok(wait_for(lambda: inst.read_log().count("(queue active)") >= active + 4
            and hold.held() >= 2, 20),
   "the four messages to h1.test are active, requests held")
ok(all(("to=<m%d@h1.test>" % i) not in inst.read_log() for i in range(4)),
   "none of them finished")
send(["n@h2.test"], "hold-other")
ok(wait_for(lambda: reqs_to("hold", "n@h2.test"), 20),
   "a slow h1.test does not hold up h2.test")
is_(len([r for r in hold.requests if r["nexthop"] == "h1.test"]), 2,
    "hold_destination_concurrency_limit = 2: two requests to h1.test in flight")
hold.release()
ok(wait_for(lambda: all(log_line("m%d@h1.test" % i, "sent")
                        for i in range(4)), 30), "after the replies all four go")
is_(len([r for r in hold.requests if r["nexthop"] == "h1.test"]), 4,
    "one request each")

# --- connections to an agent: master.cf's maxproc -----------------------
few = agents["few"]
few.hold = True
for i in (1, 2, 3):
    send(["x@f%d.test" % i], "few-%d" % i)
ok(wait_for(lambda: few.held() >= 3, 20),
   "three requests to few, one per destination, all sent")
is_(len({r["_conn"] for r in few.requests}), 2,
    "few's maxproc 2: qmgr opens two connections, not three "
    "(qmgr_agent_connection_limit is 10)")
few.release()
ok(all(logged("x@f%d.test" % i, "sent") for i in (1, 2, 3)),
   "the three are delivered once the replies come")

# --- a dead destination -------------------------------------------------
flaky = agents["flaky"]
state = {"down": True}
flaky.answer = lambda req: {"rcpt": [(4, "4.4.1", "connect to down.test: "
                                      "Connection refused")] * rcpt_count(req),
                            "dead": "1"} \
    if state["down"] and req["nexthop"] == "down.test" else \
    [(0, "2.0.0", "ok")] * rcpt_count(req)
send(["one@down.test"], "dead-1")
ok(logged("one@down.test", "deferred"),
   "the agent's dead=1 reply defers the message")
send(["two@down.test"], "dead-2")
ok(logged("two@down.test", "deferred"),
   "the next message to the dead destination is deferred")
like(log_line("two@down.test") or "", "Connection refused",
     "with the same reason")
is_(len(flaky.requests), 1, "without a request to the agent")
send(["three@up.test"], "dead-3")
ok(logged("three@up.test", "sent"),
   "another destination of the same transport is tried")
state["down"] = False
inst.run_ok("cartero", "flush")
ok(wait_for(lambda: log_line("one@down.test", "sent") and
            log_line("two@down.test", "sent"), 30),
   "cartero flush forgets the dead destination: both delivered")

# --- addressing: virtual_alias_maps, catch-all, recipient_delimiter ------
def mail_with(user, subject):
    for f in inst.new_mail(user):
        with open(f, errors="replace") as fh:
            if "Subject: %s\n" % subject in fh.read():
                return True
    return False


c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.ehlo("client.test")
is_(c.docmd("MAIL FROM:<bob@mired.org>")[0], 250, "MAIL")
is_(c.docmd("RCPT TO:<info@mired.org>")[0], 250,
    "smtpd accepts an address found only in virtual_alias_maps")
is_(c.docmd("RCPT TO:<nobody-here@mired.org>")[0], 550,
    "and still refuses an unknown one")
c.quit()
for addr, subject, user, name in (
        ("info@mired.org", "virt-info", "ana",
         "info@mired.org -> ana through virtual_alias_maps"),
        ("sales@mired.org", "virt-sales", "bob", "sales@mired.org -> bob"),
        ("whoever@virt.test", "virt-catchall", "bob",
         "the catch-all @virt.test -> bob"),
        ("ana+lists@mired.org", "delim", "ana",
         "ana+lists@mired.org reaches ana (recipient_delimiter)")):
    send([addr], subject)
    ok(wait_for(lambda: mail_with(user, subject), 20), name)
is_(nexthop_of("slow", "sales-copy@otro.test"), "[127.0.0.1]:2525",
    "sales@mired.org's remote address sales-copy@otro.test is routed by "
    "transport_maps")
send(["loop1@mired.org"], "virt-loop")
ok(wait_for(lambda: "virtual_alias_maps nested too deeply" in
            inst.read_log(), 20), "a virtual alias loop fails")
like(log_line("loop1@mired.org") or log_line("loop2@mired.org") or "",
     "dsn=5.4.6, status=bounced", "with 5.4.6")

# --- relayhost --------------------------------------------------------------
inst2 = Instance(main_cf={"relayhost": "[127.0.0.1]:2526"})
a2 = FakeAgent(os.path.join(inst2.spool, "private", "smtp"))
c = smtplib.SMTP("127.0.0.1", inst2.port, timeout=10)
c.sendmail("bob@mired.org", ["u@plain.test", "ana@mired.org"],
           "Subject: rh\r\n\r\nbody\r\n")
c.quit()
ok(wait_for(lambda: a2.requests, 20), "relayhost: a request to smtp")
is_(a2.requests[0].get("nexthop") if a2.requests else None,
    "[127.0.0.1]:2526", "with relayhost as nexthop")
ok(inst2.wait_mail(1), "local mail stays local")

for a in agents.values():
    a.close()
a2.close()
done()
