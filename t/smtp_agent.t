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
inst = Instance(main_cf=main_cf, master_extra=(
    "smtp unix - - n - - smtp\n"
    "smtp6 unix - - n - - smtp -o smtp_destination_networks=[::1]/128\n"
    "smtppublic unix - - n - - smtp -o smtp_destination_networks=public\n"
    "lmtp unix - - n - - lmtp\n"))
owner = inst.owner
active = os.path.join(inst.spool, "active")
_n = [0]


def plant(text):
    """A message in active/ under a new queue id; (id, size)."""
    import pwd
    _n[0] += 1
    qid = "ZZsmtp%d" % _n[0]
    path = os.path.join(active, qid)
    with open(path, "w") as f:
        f.write(text)
    pw = pwd.getpwnam(owner)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, 0o600)
    return qid, len(text.encode())


def request(qid, size, rcpts, nexthop=None, extra=None, sender="bob@mired.org"):
    """A delivery request's text (rcpts: addresses or (addr, notify, orcpt))."""
    lines = ["queue_id=%s" % qid, "offset=0", "size=%d" % size,
             "sender=%s" % sender]
    rcpts = [r if isinstance(r, tuple) else (r, None, None) for r in rcpts]
    for i, (addr, notify, orcpt) in enumerate(rcpts):
        sfx = "" if i == 0 else ".%d" % i
        lines.append("recipient%s=%s" % (sfx, addr))
        if notify:
            lines.append("notify%s=%s" % (sfx, notify))
        if orcpt:
            lines.append("orcpt%s=%s" % (sfx, orcpt))
    if len(rcpts) > 1:
        lines.append("rcpt_count=%d" % len(rcpts))
    if nexthop:
        lines.append("nexthop=%s" % nexthop)
    for k, v in (extra or {}).items():
        lines.append("%s=%s" % (k, v))
    return "\n".join(lines) + "\n\n"


def call(req, service="smtp", timeout=60):
    return attr_dict(ipc_call(os.path.join(inst.spool, "private", service),
                              req, timeout=timeout))


def send(text, rcpts, nexthop=None, service="smtp", **kw):
    qid, size = plant(text)
    return call(request(qid, size, rcpts, nexthop, **kw), service)


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
is_(m["helo"], "mail.mired.org", "EHLO gives myhostname")

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
