#!/usr/bin/env python3
# Issue 13, SPF: lib/spf against an independent implementation, Debian's
# python3-spf (pyspf), both asking the same dnsmasq on loopback
# (t/lib/dnsmasq.py) for the same records: every mechanism, prefix
# lengths, include, redirect, exp, macros, the lookup and void limits,
# loops, two records, syntax errors, a refused lookup (temperror), IPv6,
# macros (%{i} %{ir} %{v} %{h} %{l+} %{o} %{d} in an include),
# the null sender's HELO identity.  Our side is t/spfq (one check per
# line), pyspf's is Debian's python3 with dnspython's default resolver
# pointed at the dnsmasq.  The results must be the same, case by case.
# Then lib/dmarc through lib/dns and Debian's public suffix list (t/spfq
# -m) on records of the same dnsmasq: alignment, sp=, p=none, strict
# alignment, an invalid record, none, a DNS failure.
import json, os, subprocess, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from dnsmasq import Dnsmasq

SPFQ = os.path.join(BUILD, "t", "spfq")
PYTHON = "/usr/bin/python3"
if not os.access(SPFQ, os.X_OK):
    skip_all("t/spfq is not built (make check builds it)")
if subprocess.run([PYTHON, "-c", "import spf, dns.resolver"],
                  capture_output=True).returncode != 0:
    skip_all("python3-spf is not installed (apt-get install python3-spf)")

Z = "spf.test"
rec = []


def txt(name, text):
    assert "," not in text          # dnsmasq splits TXT strings at commas
    rec.append("--txt-record=%s,%s" % (name, text))


def host(name, *addrs):
    rec.append("--host-record=%s,%s" % (name, ",".join(addrs)))


txt("a." + Z, "v=spf1 a -all")
host("a." + Z, "127.0.1.1", "fd00:1::1")
txt("mx." + Z, "v=spf1 mx/24 -all")
rec.append("--mx-host=mx.%s,mail.%s,10" % (Z, Z))
rec.append("--mx-host=mx.%s,mail2.%s,20" % (Z, Z))
host("mail." + Z, "127.0.2.1")
host("mail2." + Z, "127.0.12.1")
txt("ip." + Z, "v=spf1 ip4:127.0.3.0/24 ip6:fd00:3::/48 ~all")
txt("inc." + Z, "v=spf1 include:a.%s ?all" % Z)
txt("redir." + Z, "v=spf1 redirect=ip.%s" % Z)
txt("exists." + Z, "v=spf1 exists:%%{i}._ip.%s -all" % Z)
host("127.0.4.4._ip." + Z, "127.0.0.2")
txt("ptr." + Z, "v=spf1 ptr -all")
host("host.ptr." + Z, "127.0.5.5")
txt("two." + Z, "v=spf1 -all")
txt("two." + Z, "v=spf1 +all")
txt("incnone." + Z, "v=spf1 include:nothing.%s -all" % Z)
txt("loop." + Z, "v=spf1 include:loop.%s -all" % Z)
txt("rloop." + Z, "v=spf1 redirect=rloop2.%s" % Z)
txt("rloop2." + Z, "v=spf1 redirect=rloop.%s" % Z)
host("n." + Z, "127.9.9.9")
txt("lim10." + Z, "v=spf1 " + "a:n.%s " % Z * 10 + "-all")
txt("lim11." + Z, "v=spf1 " + "a:n.%s " % Z * 11 + "-all")
txt("void2." + Z, "v=spf1 a:v1.%s a:v2.%s -all" % (Z, Z))
txt("void3." + Z, "v=spf1 a:v1.%s a:v2.%s a:v3.%s -all" % (Z, Z, Z))
txt("syntax." + Z, "v=spf1 ip4:127.0.0.1/33 -all")
txt("unknown." + Z, "v=spf1 foo:bar -all")
txt("unkmod." + Z, "v=spf1 foo=bar -all")
txt("macro." + Z, "v=spf1 exists:%%{l}.%%{d2}._u.%s -all" % Z)
host("ana.spf.test._u." + Z, "127.0.0.2")
txt("upper." + Z, "V=SPF1 A:A.SPF.TEST -ALL")
txt("soft." + Z, "v=spf1 ~all")
txt("neutral." + Z, "v=spf1 ?all")
txt("empty." + Z, "v=spf1")
txt("exp." + Z, "v=spf1 -all exp=why.%s" % Z)
txt("why." + Z, "%{i} may not send for %{d}")
txt("refused." + Z, "v=spf1 include:outside.example -all")
txt("cidr." + Z, "v=spf1 a:a.%s/16//32 -all" % Z)
txt("notspf." + Z, "v=spf10 +all")
txt("after." + Z, "v=spf1 -all redirect=a.%s" % Z)
txt("helo." + Z, "v=spf1 a -all")
host("helo." + Z, "127.0.6.6")
txt("ip4bad." + Z, "v=spf1 ip4:127.0.0 -all")
txt("mxnone." + Z, "v=spf1 mx -all")

txt("rev." + Z, "v=spf1 exists:%%{ir}.%%{v}._r.%s -all" % Z)
host("1.1.0.127.in-addr._r." + Z, "127.0.0.2")
txt("six." + Z, "v=spf1 exists:%%{i}._i6.%s -all" % Z)
host("f.d.0.0.0.0.0.7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1._i6."
     + Z, "127.0.0.2")
txt("helomac." + Z, "v=spf1 exists:%%{h}._h.%s -all" % Z)
host("h.test._h." + Z, "127.0.0.2")
txt("lp." + Z, "v=spf1 exists:%%{l+}.%%{o}._l.%s -all" % Z)
host("ana.x.lp.spf.test._l." + Z, "127.0.0.2")
txt("incd." + Z, "v=spf1 include:incd2.%s -all" % Z)
txt("incd2." + Z, "v=spf1 exists:%%{d}._d.%s -all" % Z)
host("incd2.spf.test._d." + Z, "127.0.0.2")
txt("ptrdom." + Z, "v=spf1 ptr:ptr.%s -all" % Z)

# DMARC: records at _dmarc, an org domain by Debian's public suffix list.
D = "dmarc.test"
txt("_dmarc." + D, "v=DMARC1; p=reject; sp=quarantine; "
    "rua=mailto:dmarc@dmarc.test")
txt("_dmarc.mired." + D, "v=DMARC1; p=reject")
txt("_dmarc.none." + D, "v=DMARC1; p=none")
txt("_dmarc.strict." + D, "v=DMARC1; p=quarantine; aspf=s; adkim=s")
txt("_dmarc.bad." + D, "v=DMARC1; p=maybe")
rec.append("--local=/%s/" % D)
rec.append("--local=/nodmarc.test/")

dns = Dnsmasq(["--local=/%s/" % Z, "--local=/127.in-addr.arpa/",
               "--local=/ip6.arpa/"] + rec)

# (client, sender, HELO, what it shows)
cases = [
    ("127.0.1.1", "ana@a." + Z, "h.test", "a: match"),
    ("127.0.1.2", "ana@a." + Z, "h.test", "a: no match"),
    ("fd00:1::1", "ana@a." + Z, "h.test", "a: AAAA of an IPv6 client"),
    ("127.0.2.200", "ana@mx." + Z, "h.test", "mx/24"),
    ("127.0.12.1", "ana@mx." + Z, "h.test", "mx: the second host"),
    ("127.0.13.1", "ana@mx." + Z, "h.test", "mx: no match"),
    ("127.0.3.77", "ana@ip." + Z, "h.test", "ip4/24"),
    ("127.0.4.1", "ana@ip." + Z, "h.test", "~all"),
    ("fd00:3:0:1::5", "ana@ip." + Z, "h.test", "ip6/48"),
    ("127.0.1.1", "ana@inc." + Z, "h.test", "include: pass"),
    ("127.0.1.9", "ana@inc." + Z, "h.test", "include: ?all after"),
    ("127.0.3.1", "ana@redir." + Z, "h.test", "redirect: pass"),
    ("127.0.9.1", "ana@redir." + Z, "h.test", "redirect: softfail"),
    ("127.0.4.4", "ana@exists." + Z, "h.test", "exists %{i}: match"),
    ("127.0.4.5", "ana@exists." + Z, "h.test", "exists: no match"),
    ("127.0.5.5", "ana@ptr." + Z, "h.test", "ptr: match"),
    ("127.0.5.6", "ana@ptr." + Z, "h.test", "ptr: no PTR"),
    ("127.0.1.1", "ana@two." + Z, "h.test", "two records"),
    ("127.0.1.1", "ana@nothing." + Z, "h.test", "no such domain"),
    ("127.0.1.1", "ana@incnone." + Z, "h.test", "include of no record"),
    ("127.0.1.1", "ana@loop." + Z, "h.test", "include loop"),
    ("127.0.1.1", "ana@rloop." + Z, "h.test", "redirect loop"),
    ("127.0.1.1", "ana@lim10." + Z, "h.test", "10 lookups"),
    ("127.0.1.1", "ana@lim11." + Z, "h.test", "11 lookups"),
    ("127.0.1.1", "ana@void2." + Z, "h.test", "2 void lookups"),
    ("127.0.1.1", "ana@void3." + Z, "h.test", "3 void lookups"),
    ("127.0.1.1", "ana@syntax." + Z, "h.test", "ip4/33"),
    ("127.0.1.1", "ana@unknown." + Z, "h.test", "unknown mechanism"),
    ("127.0.1.1", "ana@unkmod." + Z, "h.test", "unknown modifier"),
    ("127.0.1.1", "ana@macro." + Z, "h.test", "%{l} and %{d2}"),
    ("127.0.1.1", "bob@macro." + Z, "h.test", "%{l}: no match"),
    ("127.0.1.1", "ana@upper." + Z, "h.test", "upper case record"),
    ("127.0.1.1", "ana@soft." + Z, "h.test", "~all"),
    ("127.0.1.1", "ana@neutral." + Z, "h.test", "?all"),
    ("127.0.1.1", "ana@empty." + Z, "h.test", "no terms"),
    ("127.0.1.1", "ana@exp." + Z, "h.test", "exp="),
    ("127.0.1.1", "ana@refused." + Z, "h.test", "a refused lookup"),
    ("127.0.200.1", "ana@cidr." + Z, "h.test", "a/16//32"),
    ("127.0.1.1", "ana@notspf." + Z, "h.test", "v=spf10"),
    ("127.0.1.1", "ana@after." + Z, "h.test", "redirect after -all"),
    ("127.0.6.6", "<>", "helo." + Z, "null sender: HELO pass"),
    ("127.0.6.7", "<>", "helo." + Z, "null sender: HELO fail"),
    ("127.0.1.1", "ana@ip4bad." + Z, "h.test", "ip4 of three octets"),
    ("127.0.1.1", "ana@mxnone." + Z, "h.test", "mx without MX"),
    ("127.0.1.1", "ana@rev." + Z, "h.test", "%{ir}.%{v}"),
    ("127.0.1.2", "ana@rev." + Z, "h.test", "%{ir}.%{v}: no match"),
    ("fd00:7::1", "ana@six." + Z, "h.test", "%{i} of IPv6: nibbles"),
    ("127.0.1.1", "ana@helomac." + Z, "h.test", "%{h}"),
    ("127.0.1.1", "ana+x@lp." + Z, "h.test", "%{l+} and %{o}"),
    ("127.0.1.1", "ana@incd." + Z, "h.test", "%{d} in an include is its own"),
    ("127.0.5.5", "ana@ptrdom." + Z, "h.test", "ptr:domain"),
]

# pyspf, through Debian's python3 and dnspython pointed at our dnsmasq.
PYSPF = r"""
import json, sys, dns.resolver, spf
host, port = sys.argv[1].rsplit(":", 1)
r = dns.resolver.Resolver(configure=False)
r.nameservers = [host]
r.port = int(port)
dns.resolver.default_resolver = r
out = []
for ip, sender, helo in json.load(sys.stdin):
    res, why = spf.check2(ip, "" if sender == "<>" else sender, helo,
                          receiver="mx.spfq.test", querytime=20)
    out.append([res, why])
json.dump(out, sys.stdout)
"""
p = subprocess.run([PYTHON, "-c", PYSPF, dns.server], text=True,
                   capture_output=True, timeout=300,
                   input=json.dumps([c[:3] for c in cases]))
if p.returncode != 0:
    diag(p.stderr)
theirs = json.loads(p.stdout) if p.returncode == 0 else [["?", ""]] * len(cases)

q = subprocess.run([SPFQ, "-o", "dns_servers=" + dns.server], text=True,
                   capture_output=True, timeout=300,
                   input="".join("%s %s %s\n" % c[:3] for c in cases))
if q.stderr:
    diag(q.stderr)
ours = q.stdout.splitlines()

# (From domain, SPF result, SPF domain, DKIM d=, resinfo wanted, what)
dmarc_cases = [
    ("mired." + D, "pass", "mired." + D, "-",
     "dmarc=pass (p=reject dis=none) header.from=mired.dmarc.test",
     "SPF aligned"),
    ("mired." + D, "fail", "mired." + D, "-",
     "dmarc=fail (p=reject dis=reject) header.from=mired.dmarc.test",
     "nothing aligned: p=reject"),
    ("news." + D, "pass", "other.test", "-",
     "dmarc=fail (p=reject sp=quarantine dis=quarantine) "
     "header.from=news.dmarc.test",
     "a subdomain: the org's record, sp="),
    ("news." + D, "none", "x.test", "mail." + D,
     "dmarc=pass (p=reject sp=quarantine dis=none) "
     "header.from=news.dmarc.test",
     "DKIM of another subdomain, relaxed"),
    ("strict." + D, "pass", "mail.strict." + D, "-",
     "dmarc=fail (p=quarantine dis=quarantine) header.from=strict.dmarc.test",
     "aspf=s"),
    ("none." + D, "fail", "x.test", "-",
     "dmarc=fail (p=none dis=none) header.from=none.dmarc.test", "p=none"),
    ("bad." + D, "fail", "x.test", "-",
     "dmarc=none header.from=bad.dmarc.test", "an invalid record"),
    ("a.nodmarc.test", "fail", "x.test", "-",
     "dmarc=none header.from=a.nodmarc.test", "no record, nor for the org"),
    ("outside.example", "pass", "outside.example", "-",
     "dmarc=temperror header.from=outside.example", "a refused lookup"),
]
m = subprocess.run([SPFQ, "-m", "-o", "dns_servers=" + dns.server], text=True,
                   capture_output=True, timeout=300,
                   input="".join("%s %s %s %s\n" % c[:4] for c in dmarc_cases))
if m.stderr:
    diag(m.stderr)
dm = m.stdout.splitlines()

plan(len(cases) + 3 + len(dmarc_cases))
ok(len(ours) == len(cases), "t/spfq answered every case")
ok(len(theirs) == len(cases), "pyspf answered every case")
for i, (ip, sender, helo, what) in enumerate(cases):
    mine = ours[i].split("\t", 1)[0] if i < len(ours) else "?"
    other = theirs[i][0] if i < len(theirs) else "?"
    if not is_(mine, other, "%s (%s from %s): %s" % (what, sender, ip, other)):
        diag("ours: %s" % (ours[i] if i < len(ours) else "none"))
        diag("pyspf: %s" % (theirs[i],))
i = [c[3] for c in cases].index("exp=")
is_(ours[i].split("\t")[1] if i < len(ours) else "?",
    theirs[i][1] if i < len(theirs) else "", "exp=: the same explanation, "
    "expanded (%s)" % (theirs[i][1] if i < len(theirs) else ""))
for i, c in enumerate(dmarc_cases):
    got = dm[i].split("\t")[0] if i < len(dm) else "?"
    if not is_(got, c[4], "DMARC: %s (%s)" % (c[5], c[0])):
        diag(dm[i] if i < len(dm) else "no answer")
done()
