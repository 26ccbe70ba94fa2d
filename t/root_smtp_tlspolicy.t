#!/usr/bin/env python3
# Issue 13 item 3, outbound TLS policy in the smtp agent: MTA-STS (RFC
# 8461); DANE is t/root_smtp_dane.t's.  Root: the policy is fetched from
# https://mta-sts.DOMAIN/ on port 443.  Everything is on loopback
# (127.0.83.x): a dnsmasq serves the MX, A and TXT records; an HTTPS
# server in Python (t/lib/stshttps.py) serves the policies with a
# certificate of the test's own CA (t/lib/testca.py, smtp_tls_CAfile);
# sinks (t/lib/smtpsink.py) are the MX hosts.  Requests go straight to
# private/smtp (t/lib/agentreq.py).  The policy parser and the MX
# patterns have their unit test (t/unit/mtasts).
import os
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

if not is_root():
    skip_all("needs root (an HTTPS server on port 443)")

from agentreq import AgentReq
from dnsmasq import Dnsmasq
from smtpsink import Sink
from stshttps import PolicyServer
from testca import TestCA

PORT = free_port()          # every MX sink listens on 127.0.83.x:PORT
WEB = "127.0.83.2"          # every mta-sts.DOMAIN but one
MSG = "Subject: policy\nFrom: bob@mired.org\n\nhola\n"

tmp = tempfile.mkdtemp(prefix="cartero-tlspol-")
os.chmod(tmp, 0o755)


ca = TestCA(tmp)
DOMAINS = ["sts.test", "wrongcert.test", "notls.test", "testing.test",
           "testcert.test",
           "nofetch.test", "redir.test", "html.test", "big.test", "far.test"]
web_cert = ca.leaf("web", ["mta-sts." + d for d in DOMAINS])
mx_cert = ca.leaf("mx", ["mx.sts.test", "bad.sts.test", "mx.testing.test",
                      "other.testing.test"])
wrong_cert = ca.leaf("wrong", ["elsewhere.test"])

records = ["--local=/test/"]
for d in DOMAINS:
    records.append("--txt-record=_mta-sts.%s,v=STSv1; id=one1" % d)
    records.append("--host-record=mta-sts.%s,%s" % (d, WEB if d != "far.test"
                                                    else "10.1.2.3"))
MX = {  # domain: [(preference, host, address)]
    "sts.test": [(10, "bad.sts.test", "127.0.83.11"),
                 (20, "mx.sts.test", "127.0.83.12")],
    "wrongcert.test": [(10, "mx.wrongcert.test", "127.0.83.13")],
    "notls.test": [(10, "mx.notls.test", "127.0.83.14")],
    "testing.test": [(10, "other.testing.test", "127.0.83.15")],
    "testcert.test": [(10, "mx.testcert.test", "127.0.83.17")],
    "cached.test": [(10, "mx.cached.test", "127.0.83.18")],
    "expired.test": [(10, "mx.expired.test", "127.0.83.18")],
    "garbage.test": [(10, "mx.garbage.test", "127.0.83.18")],
    "nofetch.test": [(10, "mx.nofetch.test", "127.0.83.16")],
    "redir.test": [(10, "mx.redir.test", "127.0.83.16")],
    "html.test": [(10, "mx.html.test", "127.0.83.16")],
    "big.test": [(10, "mx.big.test", "127.0.83.16")],
    "far.test": [(10, "mx.far.test", "127.0.83.16")],
}
for d, hosts in MX.items():
    for pref, host, addr in hosts:
        records.append("--mx-host=%s,%s,%d" % (d, host, pref))
        records.append("--host-record=%s,%s" % (host, addr))

dns = Dnsmasq(records)
inst = Instance(start=False, main_cf={
    "dns_servers": dns.server,
    "smtp_tcp_port": str(PORT),
    "smtp_tls_CAfile": ca.pem,
    "smtp_mta_sts_timeout": "10s",
    "smtp_helo_timeout": "5s",
    "smtp_connection_cache_time_limit": "0",
    "relay_domains": "",
}, master_extra=("smtp unix - - n - - smtp\n"
                 "smtpnosts unix - - n - - smtp -o smtp_mta_sts=no\n"))
# The default cache, $data_directory/mta-sts: made by the agent (master
# gives $data_directory to the mail owner).
cache = os.path.join(inst.dir, "lib", "mta-sts")
inst.start()
agent = AgentReq(inst, prefix="ZZtlspol", warm_up=True)
send = agent.send

POLICY = "version: STSv1\nmode: %s\nmx: %s\nmax_age: 86400\n"
web = PolicyServer(WEB, *web_cert)
site = web.site
site["mta-sts.sts.test"] = (200, "text/plain", POLICY % ("enforce", "mx.sts.test"))
site["mta-sts.wrongcert.test"] = (200, "text/plain", POLICY % ("enforce", "mx.wrongcert.test"))
site["mta-sts.notls.test"] = (200, "text/plain; charset=us-ascii",
                              POLICY % ("enforce", "*.notls.test"))
site["mta-sts.testing.test"] = (200, "text/plain", POLICY % ("testing", "mx.testing.test"))
site["mta-sts.testcert.test"] = (200, "text/plain", POLICY % ("testing", "mx.testcert.test"))
site["mta-sts.nofetch.test"] = (404, "text/plain", "no")
site["mta-sts.redir.test"] = (301, "text/plain", "moved")
site["mta-sts.html.test"] = (200, "text/html", POLICY % ("enforce", "x.html.test"))
site["mta-sts.big.test"] = (200, "text/plain", POLICY % ("enforce", "x.big.test")
                            + "x: " + "y" * 70000 + "\n")


def reason(r):
    return r.get("reason", "")


# --- MTA-STS, enforce ---
bad = Sink("127.0.83.11", port=PORT, tls=mx_cert)
good = Sink("127.0.83.12", port=PORT, tls=mx_cert)
r = send(MSG, ["a@sts.test"])
is_(r.get("status"), "0", "enforce: delivered (%s)" % reason(r))
good.wait_messages(1)
ok(good.messages and good.messages[0]["tls"], "  to the MX host the policy names, over TLS")
is_((len(bad.messages), bad.connections), (0, 0),
    "  the first MX, not in the policy, is never connected to")
log = inst.read_log()
like(log, "MTA-STS policy: MX host bad.sts.test does not match the policy of sts.test",
     "  the log says why it was skipped")
like(log, "MTA-STS policy of sts.test fetched: id=one1 mode=enforce",
     "  the policy fetch is logged")
is_(web.gets[:1], [("/.well-known/mta-sts.txt", "mta-sts.sts.test")],
    "  GET /.well-known/mta-sts.txt with Host: mta-sts.sts.test")
cached = os.path.join(cache, "sts.test")
ok(os.path.exists(cached), "  the policy is cached in smtp_mta_sts_cache_directory")
with open(cached) as f:
    text = f.read()
ok(text.startswith("one1 ") and "mode: enforce" in text, "  with its id and text")
n = len(web.gets)
r = send(MSG, ["b@sts.test"])
is_((r.get("status"), len(web.gets)), ("0", n),
    "the next delivery uses the cached policy (no fetch)")
is_(bad.connections, 0, "  and skips the unlisted MX again")

# The id published changes and the refetch fails: the cache stays.
with open(cached, "w") as f:
    f.write(text.replace("one1 ", "old0 ", 1))
site["mta-sts.sts.test"] = (500, "text/plain", "broken")
r = send(MSG, ["c@sts.test"])
is_(r.get("status"), "0", "a new id, the refetch fails: delivered (%s)" % reason(r))
is_(bad.connections, 0, "  still under the cached policy: the unlisted MX skipped")
like(inst.read_log(), "the cached policy of sts.test stays in force",
     "  the log says the cached policy stays")
site["mta-sts.sts.test"] = (200, "text/plain", POLICY % ("enforce", "mx.sts.test"))
r = send(MSG, ["d@sts.test"])
with open(cached) as f:
    ok(f.read().startswith("one1 "), "the refetch works again: the cache has the new id")

# smtp_mta_sts = no: the policy is not looked at.
r = send(MSG, ["e@sts.test"], service="smtpnosts")
is_((r.get("status"), bad.connections), ("0", 1),
    "smtp_mta_sts = no: the first MX gets the mail (%s)" % reason(r))

# A cached policy stays in force while it lives, TXT record or not (RFC
# 8461 5.1); an expired or unreadable one is no policy.
import time
for dom, age, text in [
        ("cached.test", 0, POLICY % ("enforce", "other.cached.test")),
        ("expired.test", 90000, POLICY % ("enforce", "other.expired.test")),
        ("garbage.test", 0, "version: STSv1\nmode: enforce\n")]:
    with open(os.path.join(cache, dom), "w") as f:
        f.write("old0 %d\n%s" % (int(time.time()) - age, text))
s18 = Sink("127.0.83.18", port=PORT)
r = send(MSG, ["a@cached.test"])
is_(r.get("status"), "4", "a live cached policy, no TXT record: still enforced")
like(reason(r), "MTA-STS policy: MX host mx.cached.test does not match the policy "
     "of cached.test", "  the reason")
r = send(MSG, ["a@expired.test"])
is_(r.get("status"), "0", "a cached policy past its max_age: no policy (%s)" % reason(r))
r = send(MSG, ["a@garbage.test"])
is_(r.get("status"), "0", "an unreadable cache file: no policy (%s)" % reason(r))
like(inst.read_log(), "MTA-STS cache %s: no max_age: ignored"
     % os.path.join(cache, "garbage.test"), "  logged")

s13 = Sink("127.0.83.13", port=PORT, tls=wrong_cert)
r = send(MSG, ["a@wrongcert.test"])
is_((r.get("status"), r.get("dsn")), ("4", "4.4.1"),
    "enforce, a certificate for another name: deferred")
like(reason(r), "MTA-STS policy: TLS handshake failed", "  the reason names MTA-STS")
like(reason(r), "hostname mismatch", "  and the certificate's fault")
is_(len(s13.messages), 0, "  nothing sent")

s14 = Sink("127.0.83.14", port=PORT)
r = send(MSG, ["a@notls.test"])
is_(r.get("status"), "4", "enforce, an MX without STARTTLS: deferred")
like(reason(r), "MTA-STS policy: TLS is required, but was not offered",
     "  the reason says so (a *.notls.test pattern matched)")
is_(len(s14.messages), 0, "  nothing sent in plaintext")

# Through smtpd and qmgr: the mail waits in the queue, and mailq says why.
import smtplib
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.sendmail("ana@mired.org", ["zoe@notls.test"], "Subject: Queued\r\n\r\nhola\r\n")
c.quit()
ok(wait_for(lambda: "MTA-STS policy: TLS is required" in
            inst.cmd("mailq").stdout, 30),
   "through smtpd and qmgr: deferred, and mailq gives the MTA-STS reason")
is_(len(s14.messages), 0, "  nothing sent in plaintext")

# --- MTA-STS, testing ---
s15 = Sink("127.0.83.15", port=PORT)
r = send(MSG, ["a@testing.test"])
is_(r.get("status"), "0", "testing: delivered although nothing matches (%s)" % reason(r))
log = inst.read_log()
like(log, "MX host other.testing.test does not match the policy of testing.test "
     "(mode testing: tried anyway)", "  the mismatch is logged")
like(log, "MTA-STS policy (testing) of testing.test: other.testing.test[127.0.83.15]:%d offers no STARTTLS: would fail" % PORT,
     "  and the missing STARTTLS")

s17 = Sink("127.0.83.17", port=PORT, tls=wrong_cert)
agent.delivered(MSG, "a@testcert.test", s17, "testing, a certificate for another name")
like(inst.read_log(), "MTA-STS policy (testing) of testcert.test: the certificate "
     "of mx.testcert.test would fail: hostname mismatch", "  what would fail is logged")

# --- fetches that fail: no policy, mail goes as before ---
s16 = Sink("127.0.83.16", port=PORT)
for dom, why, name in [
        ("nofetch.test", "HTTP status 404", "a 404"),
        ("redir.test", "HTTP status 301 (a redirect: not followed)", "a redirect"),
        ("html.test", "Content-Type is \"text/html\", not text/plain", "text/html"),
        ("big.test", "the policy is over 65536 bytes", "a policy over 64 KiB"),
        ("far.test", "address 10.1.2.3 of mta-sts.far.test not allowed "
         "(smtp_destination_networks)", "an HTTPS server outside smtp_destination_networks")]:
    r = send(MSG, ["a@" + dom])
    is_(r.get("status"), "0", "%s: no policy, delivered (%s)" % (name, reason(r)))
    like(inst.read_log(), "MTA-STS policy of %s not fetched: https://mta-sts.%s"
         "/.well-known/mta-sts.txt: %s" % (dom, dom, why), "  logged: " + why)
ok(not os.path.exists(os.path.join(cache, "nofetch.test")), "a failed fetch caches nothing")
ok(not any(h == "mta-sts.far.test" for _, h in web.gets), "nothing fetched for far.test")

done()
