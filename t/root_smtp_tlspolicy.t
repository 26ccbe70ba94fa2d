#!/usr/bin/env python3
# Issue 13 item 3, outbound TLS policy in the smtp agent: MTA-STS (RFC
# 8461) and DANE (RFC 7672).  Root: the MTA-STS policy is fetched from
# https://mta-sts.DOMAIN/ on port 443.  Everything is on loopback
# (127.0.83.x): a dnsmasq serves the MX, A, TXT and TLSA records; a proxy
# in front of it (t/lib/adproxy.py) plays the validating resolver,
# setting the AD bit for the names the test calls signed; an HTTPS server
# in Python (t/lib/stshttps.py) serves the policies with a certificate of
# the test's own CA (smtp_tls_CAfile); sinks (t/lib/smtpsink.py) are the
# MX hosts.  Requests go straight to private/smtp (t/lib/agentreq.py).
#
# Not tested here: real DNSSEC validation (signatures and keys); cartero
# trusts the resolver's AD bit and nothing else, which is what the proxy
# exercises.  TLSA matching itself has its own unit test
# (t/unit/tls_dane), the policy parser too (t/unit/mtasts).
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

if not is_root():
    skip_all("needs root (an HTTPS server on port 443)")

from adproxy import AdProxy
from agentreq import AgentReq
from dnsmasq import Dnsmasq
from smtpsink import Sink
from stshttps import PolicyServer

PORT = free_port()          # every MX sink listens on 127.0.83.x:PORT
WEB = "127.0.83.2"          # every mta-sts.DOMAIN but one
MSG = "Subject: policy\nFrom: bob@mired.org\n\nhola\n"

tmp = tempfile.mkdtemp(prefix="cartero-tlspol-")
os.chmod(tmp, 0o755)


def ssl_cmd(*args, **kw):
    return subprocess.run(["openssl"] + list(args), cwd=tmp, check=True,
                          capture_output=True, **kw).stdout


def leaf(name, sans, chain=False):
    """A certificate of the test CA for the names sans: (cert, key)."""
    ssl_cmd("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key",
            "-out", name + ".csr", "-subj", "/CN=" + sans[0])
    with open(os.path.join(tmp, name + ".ext"), "w") as f:
        f.write("subjectAltName=" + ",".join("DNS:" + s for s in sans) + "\n")
    ssl_cmd("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey",
            "ca.key", "-CAcreateserial", "-out", name + ".pem", "-days", "2",
            "-extfile", name + ".ext")
    cert = os.path.join(tmp, name + ".pem")
    if chain:
        with open(cert, "a") as out, open(os.path.join(tmp, "ca.pem")) as ca:
            out.write(ca.read())
    return cert, os.path.join(tmp, name + ".key")


def der_of(pem, spki):
    """The DER of a certificate (or of its public key, spki)."""
    if spki:
        pub = ssl_cmd("x509", "-in", pem, "-pubkey", "-noout")
        return ssl_cmd("pkey", "-pubin", "-outform", "DER", input=pub)
    return ssl_cmd("x509", "-in", pem, "-outform", "DER")


def tlsa(usage, selector, mtype, pem):
    """A TLSA record's data in dnsmasq's --dns-rr hex."""
    data = der_of(pem, selector == 1)
    if mtype == 1:
        data = hashlib.sha256(data).digest()
    return "%02x%02x%02x%s" % (usage, selector, mtype, data.hex())


ssl_cmd("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
        "-out", "ca.pem", "-days", "2", "-subj", "/CN=cartero tlspolicy CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign")
DOMAINS = ["sts.test", "wrongcert.test", "notls.test", "testing.test",
           "nofetch.test", "redir.test", "html.test", "big.test", "far.test"]
web_cert = leaf("web", ["mta-sts." + d for d in DOMAINS])
mx_cert = leaf("mx", ["mx.sts.test", "bad.sts.test", "mx.testing.test",
                      "other.testing.test"])
wrong_cert = leaf("wrong", ["elsewhere.test"])
ta_cert = leaf("ta", ["mx.daneta.test"], chain=True)
for f in os.listdir(tmp):
    os.chmod(os.path.join(tmp, f), 0o644)

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
    "nofetch.test": [(10, "mx.nofetch.test", "127.0.83.16")],
    "redir.test": [(10, "mx.redir.test", "127.0.83.16")],
    "html.test": [(10, "mx.html.test", "127.0.83.16")],
    "big.test": [(10, "mx.big.test", "127.0.83.16")],
    "far.test": [(10, "mx.far.test", "127.0.83.16")],
    "dane.test": [(10, "mx.dane.test", "127.0.83.21")],
    "danebad.test": [(10, "mx.danebad.test", "127.0.83.22")],
    "daneta.test": [(10, "mx.daneta.test", "127.0.83.23")],
    "daneinsecure.test": [(10, "mx.daneinsecure.test", "127.0.83.24")],
    "danefail.test": [(10, "mx.danefail.test", "127.0.83.25")],
    "daneunusable.test": [(10, "mx.daneunusable.test", "127.0.83.26")],
}
for d, hosts in MX.items():
    for pref, host, addr in hosts:
        records.append("--mx-host=%s,%s,%d" % (d, host, pref))
        records.append("--host-record=%s,%s" % (host, addr))

# DANE: TLSA records for the sinks' certificates (TLSA names carry the
# test's port: _PORT._tcp.HOST, as they would _25._tcp.HOST).  The
# DANE-EE sinks serve wrong_cert, whose name is elsewhere.test: DANE-EE
# checks the key, not the name (RFC 7672 3.1.1).


def tlsa_name(host):
    return "_%d._tcp.%s" % (PORT, host)


records += [
    "--dns-rr=%s,52,%s" % (tlsa_name("mx.dane.test"), tlsa(3, 1, 1, wrong_cert[0])),
    "--dns-rr=%s,52,%s" % (tlsa_name("mx.danebad.test"), tlsa(3, 1, 1, mx_cert[0])),
    "--dns-rr=%s,52,%s" % (tlsa_name("mx.daneta.test"),
                           tlsa(2, 0, 1, os.path.join(tmp, "ca.pem"))),
    "--dns-rr=%s,52,%s" % (tlsa_name("mx.daneinsecure.test"), tlsa(3, 1, 1, mx_cert[0])),
    "--dns-rr=%s,52,%s" % (tlsa_name("mx.daneunusable.test"), tlsa(1, 1, 1, mx_cert[0])),
]
dns = Dnsmasq(records)
secure = []
for h in ("mx.dane.test", "mx.danebad.test", "mx.daneta.test",
          "mx.danefail.test", "mx.daneunusable.test"):
    secure += [h, tlsa_name(h)]
ad = AdProxy(dns.server, secure=secure,
             servfail=[tlsa_name("mx.danefail.test")])

inst = Instance(start=False, main_cf={
    "dns_servers": ad.server,
    "smtp_tcp_port": str(PORT),
    "smtp_tls_CAfile": os.path.join(tmp, "ca.pem"),
    "smtp_mta_sts_timeout": "10s",
    "smtp_helo_timeout": "5s",
    "smtp_connection_cache_time_limit": "0",
    "relay_domains": "",
}, master_extra=("smtp unix - - n - - smtp\n"
                 "smtpnosts unix - - n - - smtp -o smtp_mta_sts=no "
                 "-o smtp_dane=no\n"))
# $data_directory/mta-sts, the default cache, the agent's to write.
cache = os.path.join(inst.dir, "lib", "mta-sts")
os.makedirs(cache)
shutil.chown(cache, inst.owner, inst.owner)
inst.start()
# qmgr looks at active/ when it starts: a local delivery first, so that
# the requests' files planted there later are the agent's alone.
wait_for(lambda: inst.listening(), 10)
import smtplib
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.sendmail("bob@mired.org", ["ana@mired.org"], "Subject: WarmUp\r\n\r\nx\r\n")
c.quit()
inst.wait_mail(1)
agent = AgentReq(inst, prefix="ZZtlspol")
send = agent.send

POLICY = "version: STSv1\nmode: %s\nmx: %s\nmax_age: 86400\n"
web = PolicyServer(WEB, *web_cert)
site = web.site
site["mta-sts.sts.test"] = (200, "text/plain", POLICY % ("enforce", "mx.sts.test"))
site["mta-sts.wrongcert.test"] = (200, "text/plain", POLICY % ("enforce", "mx.wrongcert.test"))
site["mta-sts.notls.test"] = (200, "text/plain; charset=us-ascii",
                              POLICY % ("enforce", "*.notls.test"))
site["mta-sts.testing.test"] = (200, "text/plain", POLICY % ("testing", "mx.testing.test"))
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

# --- MTA-STS, testing ---
s15 = Sink("127.0.83.15", port=PORT)
r = send(MSG, ["a@testing.test"])
is_(r.get("status"), "0", "testing: delivered although nothing matches (%s)" % reason(r))
log = inst.read_log()
like(log, "MX host other.testing.test does not match the policy of testing.test "
     "(mode testing: tried anyway)", "  the mismatch is logged")
like(log, "MTA-STS policy (testing) of testing.test: other.testing.test[127.0.83.15]:%d offers no STARTTLS: would fail" % PORT,
     "  and the missing STARTTLS")

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

# --- DANE ---
s21 = Sink("127.0.83.21", port=PORT, tls=wrong_cert)
r = send(MSG, ["a@dane.test"])
is_(r.get("status"), "0", "DANE-EE matching: delivered (%s)" % reason(r))
s21.wait_messages(1)
ok(s21.messages and s21.messages[0]["tls"], "  over TLS")
like(inst.read_log(), "DANE: mx.dane.test authenticated by a DANE-EE record",
     "  authenticated by the TLSA record (a certificate for another name)")

s22 = Sink("127.0.83.22", port=PORT, tls=wrong_cert)
r = send(MSG, ["a@danebad.test"])
is_(r.get("status"), "4", "DANE, TLSA not matching: deferred")
like(reason(r), "DANE: TLS handshake failed: certificate verify failed "
     "(no matching DANE TLSA records)", "  with a clear reason")
is_((len(s22.messages), s22.connections), (0, 1), "  nothing sent, no plaintext retry")

s23 = Sink("127.0.83.23", port=PORT, tls=ta_cert)
r = send(MSG, ["a@daneta.test"])
is_(r.get("status"), "0", "DANE-TA (the CA in TLSA): delivered (%s)" % reason(r))
like(inst.read_log(), "DANE: mx.daneta.test authenticated by a DANE-TA record",
     "  authenticated through the trust anchor")

s24 = Sink("127.0.83.24", port=PORT, tls=wrong_cert)
r = send(MSG, ["a@daneinsecure.test"])
is_(r.get("status"), "0", "TLSA without the AD bit: ignored, delivered (%s)" % reason(r))

s25 = Sink("127.0.83.25", port=PORT, tls=wrong_cert)
r = send(MSG, ["a@danefail.test"])
is_(r.get("status"), "4", "TLSA lookup fails for a secure MX: deferred")
like(reason(r), "DANE: TLSA lookup for mx.danefail.test failed", "  so says the reason")
is_(s25.connections, 0, "  the host is not connected to")

s26 = Sink("127.0.83.26", port=PORT)
r = send(MSG, ["a@daneunusable.test"])
is_(r.get("status"), "4", "only PKIX-EE records (unusable): TLS still required, deferred")
like(reason(r), "TLS is required, but was not offered", "  the reason")

r = send(MSG, ["b@danebad.test"], service="smtpnosts")
is_(r.get("status"), "0", "smtp_dane = no: the TLSA records are not looked at")
done()
