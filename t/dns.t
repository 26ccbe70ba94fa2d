#!/usr/bin/env python3
# Issue 11, first piece: every DNS lookup through lib/dns.c (c-ares),
# against a dnsmasq of our own on loopback (t/lib/dnsmasq.py), never a
# server off the machine.  The test program t/dnsq drives lib/dns.c, both
# blocking and under lib/event.c: MX order by preference with equal
# preferences shuffled, each host's A and AAAA, the implicit MX, null MX,
# NXDOMAIN, REFUSED and timeouts (temporary failures), failover to a second
# server, TXT, PTR, IPv6, the per-process cache, a bad dns_servers.  Then
# smtpd's client name: a PTR confirmed by its A record names the client in
# the log and the Received header; a PTR that does not confirm, or none,
# leaves it "unknown"; the same from a chrooted smtpd (root only).
import os, sys, smtplib, subprocess, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from dnsmasq import Dnsmasq, silent_udp_server, unused_server, have_ipv6_loopback

DNSQ = os.path.join(BUILD, "t", "dnsq")
if not os.access(DNSQ, os.X_OK):
    skip_all("t/dnsq is not built (make check builds it)")

dns = Dnsmasq([
    "--local=/mired.test/", "--local=/implicit.test/", "--local=/nullmx.test/",
    "--local=/noaddr.test/", "--local=/127.in-addr.arpa/",
    "--mx-host=mired.test,mx1.mired.test,10",
    "--mx-host=mired.test,mx2.mired.test,10",
    "--mx-host=mired.test,mx3.mired.test,20",
    "--host-record=mx1.mired.test,127.0.0.11",
    "--host-record=mx2.mired.test,127.0.0.12,fd00::12",
    "--host-record=mx3.mired.test,fd00::13",
    "--host-record=implicit.test,127.0.0.20,fd00::20",
    "--dns-rr=nullmx.test,15,000000",           # MX 0 . (RFC 7505)
    "--mx-host=noaddr.test,ghost.noaddr.test,10",
    "--address=/nx.test/",                      # NXDOMAIN
    "--txt-record=mired.test,v=spf1 -all",
    "--txt-record=two.mired.test,part one,part two",
    "--host-record=client.mired.test,127.0.0.2",
    "--ptr-record=3.0.0.127.in-addr.arpa,liar.mired.test",
    "--host-record=liar.mired.test,127.0.0.99",
])


def dnsq(*args, servers=None):
    """Run t/dnsq; its output lines."""
    argv = [DNSQ, "-o", "dns_servers=%s" % (servers or dns.server)]
    r = subprocess.run(argv + list(args), capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0 or r.stderr:
        diag("dnsq %s: rc %d, %s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def answers(out):
    """{name: [first line, record lines...]} from dnsq's output."""
    res, cur = {}, None
    for line in out.splitlines():
        if not line.startswith("  "):
            cur = line.split(" ", 1)[0]
            res[cur] = [line]
        elif cur is not None:
            res[cur].append(line.strip())
    return res


# Records of each type, blocking.
out = answers(dnsq("MX", "mired.test"))
mx = out.get("mired.test", [""])
like(mx[0], "status=ok", "MX lookup answered")
is_(sorted(mx[1:]), ["MX 10 mx1.mired.test", "MX 10 mx2.mired.test",
                     "MX 20 mx3.mired.test"], "  with the three MX records")
like(mx[0], "ttl=60", "  and their TTL")
out = answers(dnsq("A", "mx1.mired.test", "mx3.mired.test", "nx.test"))
is_(out.get("mx1.mired.test"), ["mx1.mired.test status=ok ttl=60",
                                "A 127.0.0.11"], "A record")
like(out.get("mx3.mired.test", [""])[0], "status=no data",
     "A of a name with only AAAA: no data")
like(out.get("nx.test", [""])[0], "status=not found", "NXDOMAIN: not found")
out = answers(dnsq("AAAA", "mx2.mired.test"))
is_(out.get("mx2.mired.test", [""])[1:], ["AAAA fd00::12"], "AAAA record")
out = answers(dnsq("TXT", "mired.test", "two.mired.test"))
is_(out.get("mired.test", [""])[1:], ["TXT v=spf1 -all"], "TXT record")
is_(out.get("two.mired.test", [""])[1:], ["TXT part onepart two"],
    "a TXT record's strings are joined (as SPF and DKIM read them)")
out = answers(dnsq("PTR", "2.0.0.127.in-addr.arpa"))
is_(out.get("2.0.0.127.in-addr.arpa", [""])[1:], ["PTR client.mired.test"],
    "PTR record")
out = answers(dnsq("A", "bad name.test", "unknown.example"))
like(out.get("bad", [""])[0], "status=bad name", "a bad name is not asked")
like(out.get("unknown.example", [""])[0], "status=temporary failure",
     "REFUSED: temporary failure")

# Routing: RFC 5321 5.1.
out = answers(dnsq("ROUTE", "mired.test"))
r = out.get("mired.test", [""])
like(r[0], "status=ok implicit=0", "route by MX")
hosts = [l.split()[2] for l in r[1:] if l.startswith("host")]
is_(sorted(hosts[:2]), ["mx1.mired.test", "mx2.mired.test"],
    "  the two of preference 10 first")
is_(hosts[2:], ["mx3.mired.test"], "  then the one of preference 20")
ok("host 10 mx2.mired.test status=ok 127.0.0.12 fd00::12" in r,
   "  a host's A and AAAA addresses")
ok("host 20 mx3.mired.test status=ok fd00::13" in r,
   "  an IPv6-only host")
first = [l.split()[2] for l in dnsq("-r", "40", "ROUTE", "mired.test")
         .splitlines() if l.startswith("  host 10")][0::2]
ok("mx1.mired.test" in first and "mx2.mired.test" in first,
   "equal preferences come in either order (40 tries)")

out = answers(dnsq("ROUTE", "implicit.test"))
is_(out.get("implicit.test"), ["implicit.test status=ok implicit=1",
                               "host 0 implicit.test status=ok 127.0.0.20 "
                               "fd00::20"],
    "no MX: the domain's own A and AAAA (implicit MX)")
for name, status, check in [
        ("nullmx.test", "status=null MX",
         "MX 0 . is a null MX (the caller bounces)"),
        ("nx.test", "status=not found",
         "NXDOMAIN: not found (the caller bounces)"),
        ("noaddr.test", "status=not found",
         "an MX host without an address: not found"),
        ("unknown.example", "status=temporary failure",
         "a refused MX lookup: temporary failure (the caller defers)")]:
    out = answers(dnsq("ROUTE", name))
    like(out.get(name, [""])[0], status, check)

# The same under lib/event.c, every name at once.
out = answers(dnsq("-a", "ROUTE", "mired.test", "implicit.test",
                   "nullmx.test", "nx.test"))
ok(out.get("mired.test", [""])[0].endswith("status=ok implicit=0") and
   out.get("implicit.test", [""])[0].endswith("status=ok implicit=1") and
   "null MX" in out.get("nullmx.test", [""])[0] and
   "not found" in out.get("nx.test", [""])[0],
   "asynchronous routing answers the four at once")
out = answers(dnsq("-a", "A", "mx1.mired.test", "mx2.mired.test",
                   "bad name"))
ok(out.get("mx1.mired.test", ["", ""])[1] == "A 127.0.0.11" and
   out.get("mx2.mired.test", ["", ""])[1] == "A 127.0.0.12" and
   "bad name" in out.get("bad", [""])[0],
   "asynchronous lookups, a bad name among them")

# A cancelled lookup never answers, in flight (first round) or from the
# cache (second round).
out = dnsq("-a", "-c", "-r", "2", "ROUTE", "mired.test", "implicit.test")
ok(out.count("implicit.test status=ok implicit=1") == 2 and
   "mired.test" not in out,
   "a cancelled routing lookup never answers; the others do")
out = dnsq("-a", "-c", "-r", "2", "A", "mx1.mired.test", "mx2.mired.test")
ok(out.count("mx2.mired.test status=ok") == 2 and "mx1" not in out,
   "a cancelled lookup never answers; the others do")

# The cache: the second round is answered without a query.
before = dns.queries("mx1.mired.test")
dnsq("-r", "3", "A", "mx1.mired.test")
is_(dns.queries("mx1.mired.test") - before, 1,
    "the cache answers the same name again within its TTL")
before = dns.queries("mx1.mired.test")
dnsq("-a", "-r", "3", "A", "mx1.mired.test")
is_(dns.queries("mx1.mired.test") - before, 1,
    "  also under the event loop")
before = dns.queries("mx1.mired.test")
dnsq("-f", "-r", "2", "A", "mx1.mired.test")
is_(dns.queries("mx1.mired.test") - before, 2,
    "dns_reset (cartero reload) empties it")

# Failures: a silent server times out, an unused port is refused.
silent = silent_udp_server()
t0 = time.time()
out = answers(dnsq("-o", "dns_timeout=1s", "-o", "dns_tries=1", "A",
                   "mx1.mired.test", servers=silent.server))
took = time.time() - t0
like(out.get("mx1.mired.test", [""])[0], "status=temporary failure",
     "a server that never answers: temporary failure")
ok(took < 15, "  within the timeout (%.1fs for dns_timeout=1s)" % took)
out = answers(dnsq("-w", "500", "-o", "dns_timeout=30s", "A",
                   "mx1.mired.test", servers=silent.server))
is_(out.get("mx1.mired.test", ["", ""])[:2],
    ["mx1.mired.test status=temporary failure ttl=0",
     "why lookup timed out"],
    "the blocking wait's own time limit")
out = answers(dnsq("-w", "500", "-o", "dns_timeout=30s", "ROUTE",
                   "mired.test", servers=silent.server))
is_(out.get("mired.test", ["", ""])[:2],
    ["mired.test status=temporary failure implicit=0",
     "why lookup timed out"], "  the same for routing")
out = answers(dnsq("-a", "-o", "dns_timeout=1s", "-o", "dns_tries=1",
                   "ROUTE", "mired.test", servers=silent.server))
like(out.get("mired.test", [""])[0], "status=temporary failure",
     "  and under the event loop, routing: temporary failure")
out = answers(dnsq("-a", "-k", "ROUTE", "mired.test", "implicit.test",
                   servers=silent.server))
ok(all("status=temporary failure" in out.get(n, [""])[0]
       for n in ("mired.test", "implicit.test")),
   "dns_reset answers the lookups in flight: temporary failure")
out = answers(dnsq("A", "mx1.mired.test", servers=unused_server()))
like(out.get("mx1.mired.test", [""])[0], "status=temporary failure",
     "nothing listening: temporary failure")
out = answers(dnsq("-o", "dns_timeout=1s", "A", "mx1.mired.test",
                   servers="%s, %s" % (silent.server, dns.server)))
is_(out.get("mx1.mired.test", ["", ""])[1], "A 127.0.0.11",
    "a silent first server: the second answers")
r = subprocess.run([DNSQ, "-o", "dns_servers=ns.example.org", "A",
                    "mx1.mired.test"], capture_output=True, text=True)
like(r.stdout, "status=temporary failure",
     "a bad dns_servers fails every lookup (no fallback to resolv.conf)")
like(r.stderr, "dns_servers: bad server \"ns.example.org\"",
     "  and says why")
if dns.server6:
    out = answers(dnsq("A", "mx1.mired.test", servers=dns.server6))
    is_(out.get("mx1.mired.test", ["", ""])[1], "A 127.0.0.11",
        "a server on [::1]:port")
else:
    ok(True, "# SKIP no IPv6 loopback")

# smtpd's client name, from 127.0.0.2 (PTR and A agree), 127.0.0.3 (its
# PTR's name has another address) and 127.0.0.4 (no PTR).
inst = Instance(main_cf={"dns_servers": dns.server,
                         "smtpd_peername_cache_time": "0"})


def send_from(addr, subject):
    before = len(inst.mail_files())
    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=30,
                     source_address=(addr, 0))
    c.sendmail("bob@mired.org", ["ana@mired.org"],
               "Subject: %s\r\n\r\nfrom %s\r\n" % (subject, addr))
    c.quit()
    wait_for(lambda: len(inst.mail_files()) > before, 20)
    for path in inst.mail_files():
        text = message_text(path)
        if ("Subject: %s" % subject) in text:
            return [l for l in text.splitlines()
                    if l.startswith("Received:")][0]
    return ""


received = send_from("127.0.0.2", "confirmed")
like(received, "(client.mired.test [127.0.0.2])",
     "a confirmed PTR names the client in Received")
like(inst.read_log(), "connect from client.mired.test[127.0.0.2]",
     "  and in the log")
received = send_from("127.0.0.3", "liar")
like(received, "(unknown [127.0.0.3])",
     "a PTR whose name does not lead back: unknown")
received = send_from("127.0.0.4", "nameless")
like(received, "(unknown [127.0.0.4])", "no PTR: unknown")
like(inst.read_log(), "connect from unknown[127.0.0.4]", "  in the log too")
inst.stop()

# A DNS server that never answers: smtpd still greets, the name unknown.
silent2 = silent_udp_server()
inst = Instance(main_cf={"dns_servers": silent2.server, "dns_timeout": "1s",
                         "dns_tries": "1"})
received = send_from("127.0.0.2", "slowdns")
like(received, "(unknown [127.0.0.2])",
     "a DNS timeout leaves the client unknown (temporary failure)")
inst.stop()

# The same from a smtpd chrooted to the queue directory (root only): its
# resolver was opened before the chroot, /etc/hosts is the jail's copy.
from cartero_test import _user_exists
if is_root() and _user_exists("cartero") and _user_exists("vmail"):
    port = free_port()
    inst = Instance(port=port, main_cf={"dns_servers": dns.server,
                                        "smtpd_peername_cache_time": "0"},
                    master_cf=(
        "127.0.0.1:%d inet n - y - - smtpd\n" % port +
        "pickup unix n - n 60 1 pickup\n"
        "qmgr unix n - n 300 1 qmgr\n"
        "local unix - n n - - local\n"
        "auth unix - n n - 1 auth\n"))
    like(send_from("127.0.0.2", "jailed"), "(client.mired.test [127.0.0.2])",
         "a chrooted smtpd names a confirmed client")
    like(send_from("127.0.0.3", "jailed liar"), "(unknown [127.0.0.3])",
         "  and leaves an unconfirmed one unknown")
    inst.stop()
else:
    ok(True, "# SKIP a chrooted smtpd needs root and the users cartero, vmail")
    ok(True, "# SKIP a chrooted smtpd needs root and the users cartero, vmail")
done()
