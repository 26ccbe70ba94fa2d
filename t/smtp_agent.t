#!/usr/bin/env python3
# Issue 11 item 1, the smtp and lmtp delivery agents (smtp/): requests
# written by hand to private/smtp and private/lmtp of a test instance,
# served by scriptable sinks on loopback (t/lib/smtpsink.py) and a dnsmasq
# of our own (t/lib/dnsmasq.py); then a message through smtpd, qmgr and
# smtp to a domain found by its MX.  Nothing leaves loopback: the
# instance's smtp_destination_networks is 127.0.0.0/8 [::1]/128, and the
# refusals below narrow it further.
import os, sys, smtplib, socket, threading, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from dnsmasq import Dnsmasq, have_ipv6_loopback, silent_udp_server
from smtpsink import Sink

PORT = free_port()          # every MX sink listens on 127.0.0.x:PORT
V6 = have_ipv6_loopback()

dns = Dnsmasq([
    "--local=/remote.test/", "--local=/nullmx.test/", "--local=/nx.test/",
    "--local=/private.test/", "--local=/linklocal.test/",
    "--local=/six.test/", "--local=/order.test/", "--local=/e2e.test/",
    "--local=/soft.test/", "--local=/verify.test/",
    "--host-record=mx.verify.test,127.0.0.33",
    "--mx-host=soft.test,busy.soft.test,10",
    "--mx-host=soft.test,calm.soft.test,20",
    "--host-record=busy.soft.test,127.0.0.50",
    "--host-record=calm.soft.test,127.0.0.51",
    "--mx-host=remote.test,mx.remote.test,10",
    "--host-record=mx.remote.test,127.0.0.2",
    "--mx-host=order.test,dead.order.test,10",
    "--mx-host=order.test,live.order.test,20",
    "--host-record=dead.order.test,127.0.0.4",
    "--host-record=live.order.test,127.0.0.3",
    "--dns-rr=nullmx.test,15,000000",           # MX 0 . (RFC 7505)
    "--address=/nx.test/",                      # NXDOMAIN
    "--mx-host=private.test,mx.private.test,10",
    "--host-record=mx.private.test,10.0.0.1",
    "--mx-host=linklocal.test,mx.linklocal.test,10",
    "--host-record=mx.linklocal.test,169.254.7.7",
    "--host-record=six.test,::1",
    "--mx-host=e2e.test,mx.e2e.test,10",
    "--host-record=mx.e2e.test,127.0.0.2",
])

main_cf = {
    "dns_servers": dns.server,
    "smtp_tcp_port": str(PORT),
    "smtp_connection_cache_time_limit": "2s",
    "smtp_destination_networks": "127.0.0.0/8",   # ::1 only where a test says
    "smtp_data_done_timeout": "3s",
    "smtp_helo_timeout": "3s",
    "smtp_rcpt_timeout": "3s",
    "smtp_mail_timeout": "3s",
    "smtp_data_init_timeout": "3s",
    "smtp_data_xfer_timeout": "3s",
    "relay_domains": "",
}
import tempfile
policy_dir = tempfile.mkdtemp(prefix="cartero-tlspolicy-")
policy = os.path.join(policy_dir, "tls_policy")
with open(policy, "w") as f:
    f.write("[127.0.0.30] encrypt\n[127.0.0.31] verify\n[127.0.0.32] none\n")
sasl = os.path.join(policy_dir, "sasl_passwd")
with open(sasl, "w") as f:
    f.write("[127.0.0.40] ana:secreto\n[127.0.0.41] ana:secreto\n"
            "[127.0.0.42] ana:secreto\n[127.0.0.43] ana:wrongpw\n")
# A CA of the test's own and a server certificate for mx.verify.test.
def _ssl(*args):
    subprocess.run(["openssl"] + list(args), cwd=policy_dir, check=True,
                   capture_output=True)


import subprocess
_ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
     "-out", "ca.pem", "-days", "2", "-subj", "/CN=cartero test CA",
     "-addext", "basicConstraints=critical,CA:TRUE",
     "-addext", "keyUsage=critical,keyCertSign")
_ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "mx.key", "-out",
     "mx.csr", "-subj", "/CN=mx.verify.test")
with open(os.path.join(policy_dir, "ext"), "w") as f:
    f.write("subjectAltName=DNS:mx.verify.test\n")
_ssl("x509", "-req", "-in", "mx.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
     "-CAcreateserial", "-out", "mx.pem", "-days", "2", "-extfile", "ext")
for f in os.listdir(policy_dir):
    os.chmod(os.path.join(policy_dir, f), 0o644)
os.chmod(policy_dir, 0o755)
silent = silent_udp_server()      # DNS that never answers
inst = Instance(main_cf=main_cf, master_extra=(
    "smtptls unix - - n - - smtp -o smtp_tls_policy_maps=texthash:%s\n"
    % policy +
    "smtpverify unix - - n - - smtp -o smtp_tls_security_level=verify "
    "-o smtp_tls_CAfile=%s\n" % os.path.join(policy_dir, "ca.pem") +
        "smtpslowdns unix - - n - - smtp -o dns_servers=%s -o dns_timeout=4s "
    "-o dns_tries=1\n" % silent.server +
    "smtpreuse unix - - n - - smtp "
    "-o smtp_connection_reuse_count_limit=2\n"
    "smtpsasl unix - - n - - smtp -o smtp_sasl_auth_enable=yes "
    "-o smtp_sasl_password_maps=texthash:%s\n" % sasl +
    "smtp unix - - n - - smtp\n"
    "smtp6 unix - - n - - smtp -o smtp_destination_networks=[::1]/128\n"
    "smtppublic unix - - n - - smtp -o smtp_destination_networks=public\n"
    "lmtp unix - - n - - lmtp\n"))
owner = inst.owner
active = os.path.join(inst.spool, "active")
from agentreq import AgentReq
agent = AgentReq(inst)
plant, request, call, send = agent.plant, agent.request, agent.call, agent.send


def pipeline(service, reqs):
    """A connection to service with two or more requests sent at once."""
    conn = socket.socket(socket.AF_UNIX)
    conn.settimeout(60)
    conn.connect(os.path.join(inst.spool, "private", service))
    conn.sendall("".join(reqs).encode())
    return conn


def early_reply(conn):
    """What conn has to read now, without waiting (b"" for nothing)."""
    conn.setblocking(False)
    try:
        return conn.recv(4096)
    except BlockingIOError:
        return b""
    finally:
        conn.setblocking(True)


def replies_of(conn, n):
    """The first n replies read from conn (then closed), as dicts."""
    got = recv_until(conn, b"\n\n", count=n)
    conn.close()
    return [attr_dict(t) for t in got.decode().split("\n\n")[:n]]


# qmgr takes what it finds in active/ when it starts: plant nothing
# before it has (one message through it says so).
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.sendmail("bob@mired.org", ["bob@mired.org"], "Subject: WarmUp\r\n\r\nx\r\n")
c.quit()
ok(inst.wait_mail(1, user="bob"), "qmgr is up (a first message is delivered)")

MSG = "Subject: hello\nFrom: bob@mired.org\n\nline one\n.dot line\n..two dots\nend"

# --- 1. A nexthop [host]:port: no MX lookup; CRLF and dot-stuffing ---
s1 = Sink("127.0.0.2", ext=["PIPELINING", "SIZE 1000000", "8BITMIME"])
r = send(MSG, ["carla@remote.test"], "[127.0.0.2]:%d" % s1.port)
is_(r.get("status"), "0", "[127.0.0.2]:port: sent (%s)" % r.get("reason"))
like(r.get("reason", ""), "250 2.0.0 queued as SINK",
     "the reason carries the server's reply")
is_(r.get("relay"), "127.0.0.2[127.0.0.2]:%d" % s1.port, "relay=host[addr]:port")
ok(s1.wait_messages(1), "the sink got the message")
m = s1.messages[0] if s1.messages else {"data": b"", "mail": "", "rcpts": []}
is_(m["data"], b"Subject: hello\r\nFrom: bob@mired.org\r\n\r\nline one\r\n"
    b"..dot line\r\n...two dots\r\nend\r\n",
    "the data: CRLF lines, a leading dot doubled, a last line ended")
like(m["mail"], "FROM:<bob@mired.org> SIZE=%d" % len(MSG),
     "MAIL FROM with SIZE when offered")
is_(m["rcpts"], ["TO:<carla@remote.test>"], "RCPT TO")
is_(m.get("helo"), "mail.mired.org", "EHLO gives myhostname")

# --- 1b. An 8-bit body to a server without 8BITMIME: quoted-printable ---
s8 = Sink("127.0.0.2", ext=["PIPELINING", "SIZE 1000000"])
MSG8 = ("Subject: tilde\nFrom: bob@mired.org\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\nSe\u00f1or Mu\u00f1oz\n")
r = send(MSG8, ["carla@remote.test"], "[127.0.0.2]:%d" % s8.port,
         extra={"body": "8BITMIME"})
is_(r.get("status"), "0", "an 8-bit message to a server without 8BITMIME: "
    "sent (%s)" % r.get("reason"))
ok(s8.wait_messages(1), "the sink got it")
m = s8.messages[0] if s8.messages else {"data": b"", "mail": ""}
ok(m["data"] and all(b < 128 for b in m["data"]), "in 7 bits")
like(m["data"].decode("ascii", "replace"),
     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
     "Se=C3=B1or Mu=C3=B1oz\r\n",
     "its body quoted-printable, and its header says so")
ok("8bit" not in m["data"].decode("ascii", "replace"),
   "the old transfer encoding is gone")
ok("BODY=" not in m["mail"], "no BODY= to a server that does not know it")
s8.close()

# --- 2. Routing by MX, every MX host in order ---
s2 = Sink("127.0.0.2", port=PORT)
r = send(MSG, ["dan@remote.test"])
is_(r.get("status"), "0", "no nexthop: the recipient's domain by MX (%s)"
    % r.get("reason"))
ok(s2.wait_messages(1), "the MX's sink got it")
s3 = Sink("127.0.0.3", port=PORT)
r = send(MSG, ["eva@order.test"])
is_(r.get("status"), "0", "the first MX refuses connections, the second "
    "takes it (%s)" % r.get("reason"))
is_(r.get("relay"), "live.order.test[127.0.0.3]:%d" % PORT,
    "relay names the second MX")
ok(s3.wait_messages(1), "the second MX's sink got it")
s3b = Sink("127.0.0.50", port=PORT, replies={"MAIL": "451 4.3.2 busy"})
s3c = Sink("127.0.0.51", port=PORT)
r = send(MSG, ["eva@soft.test", "luis@soft.test"])
is_((r.get("status"), r.get("status.1")), ("0", "0"), "the first MX defers "
    "at MAIL: the second takes both (%s)" % r.get("reason"))
ok(any(c.startswith("MAIL") for c in s3b.commands) and s3c.wait_messages(1),
   "  the first was asked, the second got the message")
s3c.replies["RCPT"] = "450 4.2.1 later"
r = send(MSG, ["eva@soft.test"])
is_(r.get("status"), "4", "both MX hosts defer: deferred")
like(r.get("reason", ""), "calm.soft.test[127.0.0.51]",
     "  the reason is the last host's")
ok(r.get("dead") is None, "  not dead: the hosts answered")
r = send(MSG, ["x@nullmx.test"])
is_((r.get("status"), r.get("dsn")), ("5", "5.1.10"), "null MX: bounced 5.1.10")
r = send(MSG, ["x@nx.test"])
is_((r.get("status"), r.get("dsn")), ("5", "5.1.2"), "NXDOMAIN: bounced 5.1.2")
r = send(MSG, ["x@elsewhere.invalid"])
is_((r.get("status"), r.get("dsn")), ("4", "4.4.3"),
    "a DNS failure (REFUSED): deferred 4.4.3 (%s)" % r.get("reason"))
r = send(MSG, ["x@remote.test"], "[127.0.0.5]:%d" % PORT)
is_(r.get("status"), "4", "nobody listens: deferred")
is_(r.get("dead"), "1", "dead=1: the destination is down")

# --- 3. smtp_destination_networks: a hard limit, whatever DNS says ---
r = send(MSG, ["x@private.test"])
is_((r.get("status"), r.get("dsn")), ("4", "4.4.1"),
    "MX at 10.0.0.1: deferred 4.4.1")
like(r.get("reason", ""), "address 10.0.0.1 of mx.private.test not in "
     "smtp_destination_networks", "the reason names the address")
r = send(MSG, ["x@linklocal.test"])
like(r.get("reason", ""), "169.254.7.7 of mx.linklocal.test not in "
     "smtp_destination_networks", "MX at 169.254.7.7: refused, named")
if V6:
    s6 = Sink("::1", port=PORT)
    r = send(MSG, ["x@six.test"])
    is_((r.get("status"), r.get("dsn")), ("4", "4.4.1"),
        "::1 (AAAA of the implicit MX) not listed: deferred 4.4.1")
    like(r.get("reason", ""), "::1 of six.test not in smtp_destination_networks",
         "the reason names ::1")
    is_(s6.connections, 0, "the sink on ::1 saw no connection")
    r = send(MSG, ["x@six.test"], service="smtp6")
    is_(r.get("status"), "0", "with [::1]/128 listed: sent over IPv6 (%s)"
        % r.get("reason"))
    is_(r.get("relay"), "six.test[::1]:%d" % PORT, "relay shows the IPv6 address")
else:
    for i in range(5):
        ok(True, "# SKIP no IPv6 loopback")
s4 = Sink("127.0.0.6")
r = send(MSG, ["x@remote.test"], "[127.0.0.6]:%d" % s4.port,
         service="smtppublic")
is_((r.get("status"), r.get("dsn")), ("4", "4.4.1"),
    "the default (public): loopback is refused, even as a literal")
is_(s4.connections, 0, "the sink saw no connection")
for lit in ("10.9.9.9", "100.64.1.1", "169.254.1.1", "172.16.5.5",
            "192.168.1.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
            "127.0.0.6", "fc00::1", "fd12::1", "fe80::1", "ff02::1", "::",
            "::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1"):
    r = send(MSG, ["x@remote.test"], "[%s]:25" % lit, service="smtppublic")
    like(r.get("reason", ""), "address %s of %s not in smtp_destination_networks"
         % (lit, lit), "public (the default) refuses %s" % lit)
r = send(MSG, ["x@remote.test"], "[10.1.2.3]:25")
like(r.get("reason", ""), "address 10.1.2.3 of 10.1.2.3 not in "
     "smtp_destination_networks", "a literal [10.1.2.3] outside: refused")

# --- 4. The dialog ---
# HELO when EHLO gets 5xx; no extensions then.
s5 = Sink("127.0.0.7", replies={"EHLO": "502 5.5.2 what?"})
r = send(MSG, ["x@remote.test"], "[127.0.0.7]:%d" % s5.port)
is_(r.get("status"), "0", "EHLO refused: HELO, sent (%s)" % r.get("reason"))
ok(any(c.startswith("HELO mail.mired.org") for c in s5.commands), "HELO was sent")
s5.wait_messages(1)
is_(s5.messages[0]["mail"] if s5.messages else None, "FROM:<bob@mired.org>",
    "after HELO: MAIL FROM without parameters")

# SIZE: refused before MAIL when the server's limit is smaller.
s6b = Sink("127.0.0.8", ext=["SIZE 20"])
r = send(MSG, ["x@remote.test"], "[127.0.0.8]:%d" % s6b.port)
is_((r.get("status"), r.get("dsn")), ("5", "5.3.4"), "over the server's SIZE: "
    "bounced 5.3.4 (%s)" % r.get("reason"))
ok(not any(c.startswith("MAIL") for c in s6b.commands), "no MAIL was sent")

# SMTPUTF8 needed, not offered: 5.6.7; offered: passed on.
r = send(MSG, ["x@remote.test"], "[127.0.0.2]:%d" % s1.port,
         extra={"smtputf8": "1"})
is_((r.get("status"), r.get("dsn")), ("5", "5.6.7"),
    "SMTPUTF8 needed, not offered: bounced 5.6.7")
s7 = Sink("127.0.0.9", ext=["SMTPUTF8", "8BITMIME", "DSN"])
r = send(MSG, [("x@remote.test", "SUCCESS,FAILURE", "rfc822;x+1@remote.test")],
         "[127.0.0.9]:%d" % s7.port,
         extra={"smtputf8": "1", "body": "8BITMIME", "ret": "HDRS",
                "envid": "id=1 2"})
is_(r.get("status"), "0", "SMTPUTF8 offered: sent")
s7.wait_messages(1)
m = s7.messages[0] if s7.messages else {"mail": "", "rcpts": [""]}
is_(m["mail"], "FROM:<bob@mired.org> BODY=8BITMIME SMTPUTF8 RET=HDRS "
    "ENVID=id+3D1+202", "MAIL: BODY, SMTPUTF8, RET, ENVID as xtext")
is_(m["rcpts"], ["TO:<x@remote.test> NOTIFY=SUCCESS,FAILURE "
    "ORCPT=rfc822;x+2B1@remote.test"], "RCPT: NOTIFY and ORCPT (xtext)")
ok("dsn_relayed" not in r, "the server has DSN: no relayed notice")

# No DSN at the server, NOTIFY=SUCCESS: the reply says relayed.
s8 = Sink("127.0.0.10", ext=["PIPELINING", "SIZE 1000000"])
r = send(MSG, [("x@remote.test", "SUCCESS", None), ("y@remote.test", "NEVER", None)],
         "[127.0.0.10]:%d" % s8.port, extra={"body": "8BITMIME"})
is_((r.get("status"), r.get("status.1")), ("0", "0"), "both sent")
is_((r.get("dsn_relayed"), r.get("dsn_relayed.1")), ("1", None),
    "no DSN at the server: dsn_relayed=1 for NOTIFY=SUCCESS only")
s8.wait_messages(1)
m = s8.messages[0] if s8.messages else {"mail": "BODY", "rcpts": []}
ok("BODY" not in m["mail"], "8BITMIME not offered: no BODY= (the message, "
   "7-bit, goes as it is)")
is_(len(m["rcpts"]), 2, "two recipients in one transaction")

# CHUNKING: one BDAT, the bytes as they are (CRLF, no dot-stuffing).
s7b = Sink("127.0.0.28", ext=["PIPELINING", "CHUNKING", "BINARYMIME"])
r = send(MSG, ["x@remote.test"], "[127.0.0.28]:%d" % s7b.port,
         extra={"body": "BINARYMIME"})
is_(r.get("status"), "0", "CHUNKING offered: sent by BDAT (%s)" % r.get("reason"))
s7b.wait_messages(1)
m = s7b.messages[0] if s7b.messages else {"data": b"", "mail": ""}
want = (b"Subject: hello\r\nFrom: bob@mired.org\r\n\r\nline one\r\n"
        b".dot line\r\n..two dots\r\nend\r\n")
is_(m["data"], want, "BDAT: CRLF lines, no dot-stuffing")
ok("BDAT %d LAST" % len(want) in s7b.commands and "DATA" not in s7b.commands,
   "one BDAT n LAST with the right count, no DATA")
like(m["mail"], "BODY=BINARYMIME", "BODY=BINARYMIME when CHUNKING and "
     "BINARYMIME are offered")

# A CR LF smuggled into the envelope never becomes a command of its own.
before = len(s1.commands)
r = send(MSG, ["x@remote.test%0D%0ARCPT TO:<evil@remote.test>"],
         "[127.0.0.2]:%d" % s1.port)
is_((r.get("status"), r.get("dsn")), ("5", "5.1.3"),
    "a recipient with CR LF (percent-encoded in the request): refused")
ok(not any("evil" in c for c in s1.commands[before:]),
   "  and nothing of it reached the server")

# Per-recipient outcomes from RCPT.
def rcpt_reply(arg):
    if "soft" in arg:
        return "450 4.2.0 mailbox busy"
    if "hard" in arg:
        return "550 5.1.1 no such user"
    return "250 2.1.5 ok"


s9 = Sink("127.0.0.11", replies={"RCPT": rcpt_reply})
r = send(MSG, ["good@remote.test", "soft@remote.test", "hard@remote.test"],
         "[127.0.0.11]:%d" % s9.port)
is_((r.get("status"), r.get("status.1"), r.get("status.2")), ("0", "4", "5"),
    "per recipient: 250 sent, 450 deferred, 550 bounced")
is_((r.get("dsn.1"), r.get("dsn.2")), ("4.2.0", "5.1.1"),
    "each with the server's enhanced code")
like(r.get("reason.2", ""), "550 5.1.1 no such user (in reply to RCPT TO)",
     "the bounce's reason says what the server said, and to what")
s9.wait_messages(1)
is_(s9.messages[0]["rcpts"] if s9.messages else None,
    ["TO:<good@remote.test>"], "the message went to the accepted one only")

# Every recipient refused: no data, nothing sent.
r = send(MSG, ["hard1@remote.test", "hard2@remote.test"],
         "[127.0.0.11]:%d" % s9.port)
is_((r.get("status"), r.get("status.1")), ("5", "5"), "both refused: bounced")
is_(len(s9.messages), 1, "no message for them")

# A dropped connection mid-DATA: deferred, never bounced.
s10 = Sink("127.0.0.12", drop_in_data=True)
r = send(MSG, ["a@remote.test", "b@remote.test"], "[127.0.0.12]:%d" % s10.port)
is_((r.get("status"), r.get("status.1")), ("4", "4"),
    "connection dropped mid-DATA: every recipient deferred")
like(r.get("reason", ""), "lost connection with 127.0.0.12[127.0.0.12]",
     "  the reason says the connection was lost")

# A 421 to RCPT: deferred, the session ends.
s11 = Sink("127.0.0.13", replies={
    "RCPT": lambda a: "421 4.7.0 closing" if "two" in a else "250 ok"})
r = send(MSG, ["one@remote.test", "two@remote.test", "three@remote.test"],
         "[127.0.0.13]:%d" % s11.port)
is_((r.get("status"), r.get("status.1"), r.get("status.2")), ("4", "4", "4"),
    "a 421 at the second RCPT: all deferred, none bounced (%s)" % r.get("reason"))
is_(len(s11.messages), 0, "no message was taken")

# A 421 greeting: the destination is down.
s12 = Sink("127.0.0.14", greeting="421 4.3.2 busy, come back later")
r = send(MSG, ["a@remote.test"], "[127.0.0.14]:%d" % s12.port)
is_((r.get("status"), r.get("dead")), ("4", "1"), "421 at the greeting: "
    "deferred, dead=1")
like(r.get("reason", ""), "refused to talk to me: 421 4.3.2 busy",
     "  with the greeting in the reason")

# The end of data never answered: a timeout defers.
s13 = Sink("127.0.0.15", replies={"DOT": "HANG"})
r = send(MSG, ["a@remote.test"], "[127.0.0.15]:%d" % s13.port)
is_(r.get("status"), "4", "no reply to the end of data within "
    "smtp_data_done_timeout: deferred")
like(r.get("reason", ""), "timed out", "  the reason says it timed out")

# A hostile server: an endless EHLO reply is cut at smtp_reply_line_limit.
s14 = Sink("127.0.0.16", endless_reply="250-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
r = send(MSG, ["a@remote.test"], "[127.0.0.16]:%d" % s14.port)
is_(r.get("status"), "4", "an endless reply: deferred")
like(r.get("reason", ""), "malformed or over-long reply", "  for that reason")
s15 = Sink("127.0.0.17", endless_reply="250-" + "X" * 100000)
r = send(MSG, ["a@remote.test"], "[127.0.0.17]:%d" % s15.port)
is_(r.get("status"), "4", "an endless reply line: deferred (%s)"
    % r.get("reason"))

# Bad replies to MAIL: the connection ends, the outcome is the reply's.
s16 = Sink("127.0.0.18", replies={"MAIL": "553 5.7.1 sender refused"})
r = send(MSG, ["a@remote.test", "b@remote.test"], "[127.0.0.18]:%d" % s16.port)
is_((r.get("status"), r.get("status.1"), r.get("dsn")), ("5", "5", "5.7.1"),
    "a 553 to MAIL bounces every recipient")

# --- 5. Several requests at once on one connection: a slow server stalls
# nobody, and the replies come in the order of the requests ---
release = threading.Event()


def slow_dot(arg):
    release.wait(60)
    return "250 2.0.0 slow but sure"


s17 = Sink("127.0.0.19", replies={"DOT": slow_dot})
s18 = Sink("127.0.0.20")
qa, sa = plant(MSG)
qb, sb = plant(MSG)
conn = pipeline("smtp", [
    request(qa, sa, ["slow@remote.test"], "[127.0.0.19]:%d" % s17.port),
    request(qb, sb, ["fast@remote.test"], "[127.0.0.20]:%d" % s18.port)])
ok(s18.wait_messages(1), "the second request is delivered while the first "
   "waits on its slow server")
is_(early_reply(conn), b"", "no reply yet: the second's waits for the first's")
release.set()
replies = replies_of(conn, 2)
ok(len(replies) == 2 and "slow but sure" in replies[0].get("reason", "") and
   "127.0.0.20" in replies[1].get("relay", ""),
   "two replies, in the order of the requests")

# A DNS lookup that never gets an answer stalls nobody either.
s18b = Sink("127.0.0.29")
qa, sa = plant(MSG)
qb, sb = plant(MSG)
conn = pipeline("smtpslowdns", [
    request(qa, sa, ["x@unanswered.test"]),
    request(qb, sb, ["y@remote.test"], "[127.0.0.29]:%d" % s18b.port)])
ok(s18b.wait_messages(1), "a request with no DNS to do is delivered while "
   "the one before it waits for a DNS answer")
is_(early_reply(conn), b"", "  no reply yet: the lookup is still pending, "
    "the second's reply waits for the first's")
replies = replies_of(conn, 2)
ok(len(replies) == 2 and replies[0].get("dsn") == "4.4.3" and
   replies[1].get("status") == "0",
   "then the replies, in order: the lookup timed out (4.4.3), the other sent")

# --- 6. Connection reuse ---
s19 = Sink("127.0.0.21")
for i in range(3):
    r = send(MSG, ["r%d@remote.test" % i], "[127.0.0.21]:%d" % s19.port)
    is_(r.get("status"), "0", "reuse: message %d sent" % (i + 1))
is_(s19.connections, 1, "three messages, one connection")
is_(sum(1 for c in s19.commands if c == "RSET"), 2,
    "RSET before each reuse")
ok(wait_for(lambda: "QUIT" in s19.commands, 20),
   "after smtp_connection_cache_time_limit the connection ends with QUIT")
s19b = Sink("127.0.0.26")
for i in range(3):
    send(MSG, ["q%d@remote.test" % i], "[127.0.0.26]:%d" % s19b.port,
         service="smtpreuse")
is_((len(s19b.messages), s19b.connections), (3, 2),
    "smtp_connection_reuse_count_limit=2: three messages, two connections")
s20 = Sink("127.0.0.22", replies={"MAIL": "451 4.3.0 try later"})
r = send(MSG, ["a@remote.test"], "[127.0.0.22]:%d" % s20.port)
is_(r.get("status"), "4", "a 451 to MAIL: deferred")
r = send(MSG, ["a@remote.test"], "[127.0.0.22]:%d" % s20.port)
is_(s20.connections, 2, "a 4xx at MAIL closes the connection: no reuse")

# --- 7. LMTP: LHLO, a reply per recipient after the data ---
sockpath = os.path.join(inst.dir, "lmtp.sock")
s21 = Sink(unix=sockpath, lmtp=True, replies={
    "DOT": lambda rc: "452 4.2.2 over quota" if "full" in rc else "250 2.0.0 stored"})
r = send(MSG, ["ana@lists.test", "full@lists.test"], "unix:" + sockpath,
         service="lmtp")
is_((r.get("status"), r.get("status.1")), ("0", "4"),
    "LMTP over unix:/path: one outcome per recipient after the data (%s)"
    % r.get("reason"))
is_(r.get("dsn.1"), "4.2.2", "  the deferred one with its code")
is_(r.get("relay"), "localhost[%s]" % sockpath, "  relay=localhost[/path]")
ok(any(c.startswith("LHLO ") for c in s21.commands), "LHLO, not EHLO")
s22 = Sink("127.0.0.23", lmtp=True)
r = send(MSG, ["bob@lists.test"], "inet:127.0.0.23:%d" % s22.port,
         service="lmtp")
is_(r.get("status"), "0", "LMTP over inet:host:port (%s)" % r.get("reason"))

# --- 8. Through smtpd and qmgr to a domain found by its MX ---
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.sendmail("ana@mired.org", ["zoe@e2e.test"],
           "Subject: EndToEnd\r\nFrom: ana@mired.org\r\n\r\nhola\r\n")
c.quit()
ok(wait_for(lambda: any(b"EndToEnd" in m["data"] for m in s2.messages), 30),
   "ana@mired.org to zoe@e2e.test: at the MX's sink, through smtpd, qmgr, smtp")
like(inst.read_log(), "<zoe@e2e.test> sent via mx.e2e.test[127.0.0.2]:%d"
     % PORT, "smtp's log line says where it went")
import re
ok(wait_for(lambda: re.search(r"to=<zoe@e2e\.test>.*status=sent",
                              inst.read_log()), 10),
   "qmgr logs the outcome, in Postfix's form")
ok(not re.search(r"smtp\[\d+\]: \S+: to=<", inst.read_log()),
   "smtp itself writes no Postfix-form status line (log tools count qmgr's)")

# Mail loops: myself is where cartero listens, not anything on lo.
r = send(MSG, ["a@remote.test"], "[127.0.0.1]:%d" % inst.port)
is_((r.get("status"), r.get("dsn")), ("5", "5.4.6"),
    "a nexthop where our own smtpd listens: bounced 5.4.6 (%s)" % r.get("reason"))
like(r.get("reason", ""), "loops back to myself", "  mail loops back to myself")
s1b = Sink("127.0.0.1")
r = send(MSG, ["a@remote.test"], "[127.0.0.1]:%d" % s1b.port)
is_(r.get("status"), "0", "another port on 127.0.0.1 is not myself: sent")

# --- 9. STARTTLS ---
cert = (os.path.join(inst.etc, "cert.pem"), os.path.join(inst.etc, "key.pem"))
s23 = Sink("127.0.0.24", tls=cert,
           starttls_inject=b"250-evil.test\r\n550 5.7.1 injected\r\n")
r = send(MSG, ["a@remote.test"], "[127.0.0.24]:%d" % s23.port)
is_(r.get("status"), "0", "STARTTLS offered: sent at level may (%s)"
    % r.get("reason"))
s23.wait_messages(1)
ok(s23.messages and s23.messages[0]["tls"], "the message went over TLS")
ok("injected" not in r.get("reason", ""), "replies injected after the 220 "
   "to STARTTLS were discarded, not read as the encrypted session's")
is_(sum(1 for c in s23.commands if c.startswith("EHLO")), 2,
    "EHLO again after the handshake")
like(inst.read_log(), "TLS connection established to 127.0.0.24[127.0.0.24]",
     "the log says TLS was used")
s24 = Sink("127.0.0.25", tls=cert, tls_break=True)
r = send(MSG, ["a@remote.test"], "[127.0.0.25]:%d" % s24.port)
is_(r.get("status"), "0", "a failed handshake at may: the host again in "
    "plaintext (%s)" % r.get("reason"))
s24.wait_messages(1)
ok(s24.messages and not s24.messages[0]["tls"] and s24.connections == 2,
   "  over a second, plaintext connection")
s25 = Sink("127.0.0.30", port=PORT)
r = send(MSG, ["a@remote.test"], "[127.0.0.30]", service="smtptls")
is_(r.get("status"), "4", "smtp_tls_policy_maps encrypt, no STARTTLS: deferred")
like(r.get("reason", ""), "TLS is required, but was not offered",
     "  TLS is required, says the reason")
is_(len(s25.messages), 0, "  nothing sent in plaintext")
s26 = Sink("127.0.0.31", port=PORT, tls=cert)
r = send(MSG, ["a@remote.test"], "[127.0.0.31]", service="smtptls")
is_(r.get("status"), "4", "verify, a self-signed certificate: deferred (%s)"
    % r.get("reason"))
is_((len(s26.messages), s26.connections), (0, 1),
    "  nothing sent, no plaintext retry")
s27 = Sink("127.0.0.32", port=PORT, tls=cert)
r = send(MSG, ["a@remote.test"], "[127.0.0.32]", service="smtptls")
s27.wait_messages(1)
ok(r.get("status") == "0" and s27.messages and not s27.messages[0]["tls"],
   "policy none: plaintext although STARTTLS is offered")

# verify with a CA we trust: the name must match.
mxcert = (os.path.join(policy_dir, "mx.pem"), os.path.join(policy_dir, "mx.key"))
s32 = Sink("127.0.0.33", port=PORT, tls=mxcert)
r = send(MSG, ["a@remote.test"], "[mx.verify.test]", service="smtpverify")
is_(r.get("status"), "0", "verify: a certificate of smtp_tls_CAfile's CA for "
    "mx.verify.test: sent (%s)" % r.get("reason"))
s32.wait_messages(1)
ok(s32.messages and s32.messages[0]["tls"], "  over TLS")
r = send(MSG, ["a@remote.test"], "[127.0.0.33]", service="smtpverify")
is_(r.get("status"), "4", "verify: the same certificate for another name "
    "(127.0.0.33): deferred (%s)" % r.get("reason"))
is_(len(s32.messages), 1, "  nothing sent")

# --- 10. SASL to a relayhost ---
AUTH = ["PIPELINING", "AUTH PLAIN LOGIN"]
s28 = Sink("127.0.0.40", port=PORT, tls=cert, ext=AUTH)
r = send(MSG, ["a@remote.test"], "[127.0.0.40]", service="smtpsasl")
is_(r.get("status"), "0", "relayhost with SASL: sent (%s)" % r.get("reason"))
is_(s28.auth, [("PLAIN", "ana", "secreto", True)],
    "AUTH PLAIN with the password of smtp_sasl_password_maps, over TLS")
s29 = Sink("127.0.0.41", port=PORT, ext=AUTH)
r = send(MSG, ["a@remote.test"], "[127.0.0.41]", service="smtpsasl")
is_(r.get("status"), "4", "no TLS: deferred, the password not sent")
like(r.get("reason", ""), "without TLS", "  the reason says why")
is_((s29.auth, len(s29.messages)), ([], 0), "  no AUTH, no message")
s30 = Sink("127.0.0.42", port=PORT, tls=cert, ext=["AUTH LOGIN"])
r = send(MSG, ["a@remote.test"], "[127.0.0.42]", service="smtpsasl")
is_(r.get("status"), "0", "AUTH LOGIN when PLAIN is not offered")
is_(s30.auth, [("LOGIN", "ana", "secreto", True)], "  with user and password")
s31 = Sink("127.0.0.43", port=PORT, tls=cert, ext=AUTH,
           replies={"AUTH": "535 5.7.8 bad credentials"})
r = send(MSG, ["a@remote.test"], "[127.0.0.43]", service="smtpsasl")
is_(r.get("status"), "4", "a refused login: deferred")
like(r.get("reason", ""), "SASL authentication failed", "  so says the reason")
ok("wrongpw" not in r.get("reason", "") and "wrongpw" not in inst.read_log()
   and "YW5h" not in inst.read_log(), "the password is never logged")
done()
