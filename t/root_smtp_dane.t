#!/usr/bin/env python3
# Issue 13 item 3, DANE (RFC 7672) behind a real validating resolver:
# zones signed by the test (ldns-signzone), served by nsd, validated by
# unbound, all on loopback (t/lib/dnssec.py); the smtp agent asks unbound
# and believes its AD bit.  Root: the resolver and nsd run as root, and
# the agent as the mail owner.  Cases: a TLSA record that matches the MX's
# certificate (delivered over TLS), one that does not (deferred), a TLSA
# record changed after signing (bogus: unbound says SERVFAIL, the host is
# skipped, deferred), a DANE-TA record (the test's CA as trust anchor,
# the chain naming the MX host), records of PKIX usages only (unusable:
# TLS still required), a signed MX without TLSA (opportunistic TLS), an
# unsigned zone whose TLSA record is ignored, and smtp_dane = no.
#
# Not here: the resolver's own validation in depth (unbound's job); the
# TLSA matching cases in full are t/unit/tls_dane's, the TLSA answers'
# parsing t/unit/dns's.
import os
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

if not is_root():
    skip_all("needs root (nsd and unbound as root, the agent as mail owner)")

from agentreq import AgentReq
from dnssec import Validating
from smtpsink import Sink
from testca import TestCA

PORT = free_port()          # every MX sink listens on 127.0.83.x:PORT
MSG = "Subject: dane\nFrom: bob@mired.org\n\nhola\n"
tmp = tempfile.mkdtemp(prefix="cartero-dane-")
os.chmod(tmp, 0o755)
ca = TestCA(tmp)
good = ca.leaf("good", ["mx.dane.secure.test"])
chain = ca.leaf("chain", ["mx.ta.secure.test"], chain=True)
other = ca.leaf("other", ["elsewhere.test"])
T = "_%d._tcp" % PORT       # the TLSA name's port: the sinks'


def mx(name, addr, tlsa=None):
    """Zone lines: name's MX, its host's A, and a TLSA record."""
    text = "%s IN MX 10 mx.%s\nmx.%s IN A %s\n" % (name, name, name, addr)
    if tlsa:
        text += "%s.mx.%s IN TLSA %s\n" % (T, name, tlsa)
    return text


def rr(hexdata):
    """TLSA data in hex as zone-file text: "3 1 1 abcd..." """
    return "%d %d %d %s" % (int(hexdata[0:2], 16), int(hexdata[2:4], 16),
                            int(hexdata[4:6], 16), hexdata[6:])


good_tlsa = rr(ca.tlsa(3, 1, 1, good[0]))
zones = {
    "secure.test": mx("dane", "127.0.83.51", good_tlsa) +
    mx("bad", "127.0.83.52", rr(ca.tlsa(3, 1, 1, other[0]))) +
    mx("bogus", "127.0.83.53", "3 1 1 " + "ab" * 32) +
    mx("notlsa", "127.0.83.54") +
    mx("ta", "127.0.83.56", rr(ca.tlsa(2, 0, 1, ca.pem))) +
    mx("tawrong", "127.0.83.57", rr(ca.tlsa(2, 0, 1, ca.pem))) +
    mx("pkix", "127.0.83.58", rr(ca.tlsa(1, 1, 1, good[0]))),
    "plain.test": "@ IN MX 10 mx.plain.test.\nmx IN A 127.0.83.55\n" +
    "%s.mx IN TLSA %s\n" % (T, rr(ca.tlsa(3, 1, 1, other[0]))),
}
dns = Validating(zones, signed=["secure.test"],
                 tamper=[("3 1 1 " + "ab" * 32, "3 1 1 " + "cd" * 32)])

inst = Instance(start=False, main_cf={
    "dns_servers": dns.server,
    "smtp_tcp_port": str(PORT),
    "smtp_helo_timeout": "5s",
    "smtp_connection_cache_time_limit": "0",
    "relay_domains": "",
}, master_extra="smtp unix - - n - - smtp\n"
                "smtpnodane unix - - n - - smtp -o smtp_dane=no\n")
inst.start()
agent = AgentReq(inst, prefix="ZZdane", warm_up=True)
send = agent.send


def reason(r):
    return r.get("reason", "")


s1 = Sink("127.0.83.51", port=PORT, tls=good)
agent.delivered(MSG, "a@dane.secure.test", s1, "a validated TLSA record that matches")
like(inst.read_log(), "DANE: mx.dane.secure.test authenticated by a DANE-EE record",
     "  authenticated by the record")

s2 = Sink("127.0.83.52", port=PORT, tls=good)
r = send(MSG, ["a@bad.secure.test"])
is_(r.get("status"), "4", "a validated TLSA record that does not match: deferred")
like(reason(r), "DANE: TLS handshake failed: certificate verify failed "
     "(no matching DANE TLSA records)", "  the reason says why")
is_((len(s2.messages), s2.connections), (0, 1), "  nothing sent, no plaintext retry")

s3 = Sink("127.0.83.53", port=PORT, tls=good)
r = send(MSG, ["a@bogus.secure.test"])
is_(r.get("status"), "4", "a TLSA record changed after signing (bogus): deferred")
like(reason(r), "DANE: TLSA lookup for mx.bogus.secure.test failed",
     "  the failed lookup is the reason")
is_(s3.connections, 0, "  the host is not connected to")

s6 = Sink("127.0.83.56", port=PORT, tls=chain)
r = send(MSG, ["a@ta.secure.test"])
is_(r.get("status"), "0", "DANE-TA, the chain from the CA in TLSA naming the MX: "
    "delivered (%s)" % reason(r))
like(inst.read_log(), "DANE: mx.ta.secure.test authenticated by a DANE-TA record",
     "  through the trust anchor")
s7 = Sink("127.0.83.57", port=PORT, tls=chain)
r = send(MSG, ["a@tawrong.secure.test"])
is_(r.get("status"), "4", "DANE-TA, a certificate for another name: deferred")
like(reason(r), "hostname mismatch", "  the name is checked under DANE-TA")

s8 = Sink("127.0.83.58", port=PORT)
r = send(MSG, ["a@pkix.secure.test"])
is_(r.get("status"), "4", "only a PKIX-EE record (unusable): TLS still required")
like(reason(r), "TLS is required, but was not offered", "  so says the reason")
is_(len(s8.messages), 0, "  nothing sent in plaintext")

r = send(MSG, ["b@bad.secure.test"], service="smtpnodane")
is_(r.get("status"), "0", "smtp_dane = no: the TLSA records are not looked at "
    "(%s)" % reason(r))

s4 = Sink("127.0.83.54", port=PORT)
r = send(MSG, ["a@notlsa.secure.test"])
is_(r.get("status"), "0", "a signed zone without TLSA: delivered as before (%s)"
    % reason(r))

s5 = Sink("127.0.83.55", port=PORT, tls=good)
r = send(MSG, ["a@plain.test"])
is_(r.get("status"), "0", "an unsigned zone: its TLSA record is not believed, "
    "delivered (%s)" % reason(r))
ok("DANE" not in reason(r), "  no DANE in the reason")
done()
