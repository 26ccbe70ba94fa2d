#!/usr/bin/env python3
# The restrictions a Postfix admin expects, against a dnsmasq of the
# test's own on loopback: check_sender_access, check_recipient_access and
# check_client_access hash: tables (OK, REJECT text, DUNNO, 4xx/5xx text,
# parent domains, "local@"), reject_non_fqdn_sender/_recipient,
# reject_unknown_sender_domain/_recipient_domain (no MX, A or AAAA: 550
# when the domain does not exist or has none of them, 450 when DNS fails),
# reject_rbl_client ZONE; unknown local users are refused at RCPT.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from dnsmasq import Dnsmasq
import smtplib
import socket

dns = Dnsmasq([
    "--local=/test/",
    "--mx-host=good.test,mx.good.test,10",
    "--host-record=mx.good.test,127.0.0.9",
    "--host-record=aonly.test,127.0.0.10",
    "--txt-record=nodata.test,nothing here",
    "--host-record=2.0.0.127.rbl.test,127.0.0.2",
])
rbl_port = free_port()
inst = Instance(start=False, main_cf={
    "dns_servers": dns.server,
    "mynetworks": "127.0.0.1/32",
    "smtpd_sender_restrictions":
        "check_sender_access hash:$config_directory/sender_access, "
        "reject_non_fqdn_sender, reject_unknown_sender_domain",
    "smtpd_recipient_restrictions":
        "check_recipient_access hash:$config_directory/rcpt_access, "
        "reject_non_fqdn_recipient, reject_unknown_recipient_domain",
})
tables = {
    "sender_access": "spammer@good.test REJECT no spam here\n"
                     "blocked.good.test 550 5.7.1 domain blocked\n"
                     "tempo@good.test 451 try later\n"
                     "friend@ OK\n"
                     "fine@good.test DUNNO\n",
    "rcpt_access": "closed@good.test REJECT\n",
    "client_access": "127.0.0.3 REJECT go away\n",
}
for name, text in tables.items():
    with open(os.path.join(inst.etc, name), "w") as f:
        f.write(text)
    inst.run_ok("carteromap", "hash:" + os.path.join(inst.etc, name))
with open(os.path.join(inst.etc, "master.cf"), "a") as f:
    f.write("127.0.0.1:%d inet n - n - - smtpd\n"
            "  -o smtpd_client_restrictions=check_client_access,"
            "hash:%s/client_access,reject_rbl_client,rbl.test\n"
            % (rbl_port, inst.etc))
bad_port, nomap_port = free_port(), free_port()
with open(os.path.join(inst.etc, "master.cf"), "a") as f:
    f.write("127.0.0.1:%d inet n - n - - smtpd "
            "-o smtpd_recipient_restrictions=reject_everything\n"
            "127.0.0.1:%d inet n - n - - smtpd "
            "-o smtpd_sender_restrictions=check_sender_access,"
            "hash:/nonexistent/table\n" % (bad_port, nomap_port))
inst.start()
ok(wait_for(lambda: port_answers(rbl_port, 1), 10), "the rbl service runs")


def code(reply):
    return "%d %s" % (reply[0], reply[1].decode(errors="replace"))


def mail(s, addr):
    r = code(s.docmd("MAIL", "FROM:<%s>" % addr))
    s.docmd("RSET")
    return r


s = smtplib.SMTP("127.0.0.1", inst.port, timeout=30)
s.ehlo("client.example")
is_(mail(s, "spammer@good.test"), "554 5.7.1 <spammer@good.test>: Sender "
    "address rejected: no spam here", "check_sender_access REJECT text")
is_(mail(s, "x@sub.blocked.good.test"), "550 5.7.1 domain blocked",
    "... a parent domain's 5xx with its own enhanced code")
is_(mail(s, "tempo@good.test"), "451 4.7.1 <tempo@good.test>: Sender "
    "address rejected: try later", "... a 4xx without one gets 4.7.1")
like(mail(s, "friend@bad.test"), "250", "... \"friend@\" OK permits, "
     "before reject_unknown_sender_domain")
like(mail(s, "fine@good.test"), "250", "... DUNNO goes on to the next")
is_(mail(s, "ana"), "504 5.5.2 <ana>: Sender address rejected: need "
    "fully-qualified address", "reject_non_fqdn_sender: no domain")
like(mail(s, "ana@localhost"), "504 5.5.2", "... a domain without a dot")
is_(mail(s, "x@bad.test"), "550 5.1.8 <x@bad.test>: Sender address "
    "rejected: Domain not found",
    "reject_unknown_sender_domain: NXDOMAIN gets 550 5.1.8")
like(mail(s, "x@nodata.test"), "550 5.1.8",
     "... a domain without MX, A or AAAA gets 550")
like(mail(s, "x@other.example"), "450 4.1.8",
     "... a DNS failure (REFUSED) gets 450 4.1.8")
like(mail(s, "x@good.test"), "250", "... a domain with an MX is fine")
like(mail(s, "x@aonly.test"), "250", "... so is one with an A record")
like(mail(s, ""), "250", "the null sender passes the sender checks")
like(mail(s, "ana@mired.org"), "250", "our own domain needs no DNS")

s.docmd("MAIL", "FROM:<ana@mired.org>")
for rcpt, want, name in (
        ("closed@good.test", "554 5.7.1 <closed@good.test>: Recipient "
         "address rejected: Access denied", "check_recipient_access REJECT"),
        ("u@bad.test", "550 5.1.2 <u@bad.test>: Recipient address "
         "rejected: Domain not found",
         "reject_unknown_recipient_domain: NXDOMAIN gets 550 5.1.2"),
        ("u@other.example", "450 4.1.2",
         "... a DNS failure gets 450 4.1.2"),
        ("bob", "504 5.5.2 <bob>: Recipient address rejected: need "
         "fully-qualified address", "reject_non_fqdn_recipient"),
        ("nobody@mired.org", "550 5.1.1 <nobody@mired.org>: Recipient "
         "address rejected: User unknown",
         "an unknown local user is refused at RCPT"),
        ("u@good.test", "250 2.1.5", "a good remote domain from "
         "mynetworks is accepted"),
        ("bob@mired.org", "250 2.1.5", "a local user is accepted")):
    like(code(s.docmd("RCPT", "TO:<%s>" % rcpt)), want, name)
s.quit()

for src, want, name in (
        ("127.0.0.1", "250", "reject_rbl_client: an unlisted client passes"),
        ("127.0.0.2", "554 5.7.1 Service unavailable; Client host "
         "[127.0.0.2] blocked using rbl.test", "... a listed one gets 554"),
        ("127.0.0.3", "554 5.7.1 <unknown[127.0.0.3]>: Client host rejected: "
         "go away", "check_client_access REJECT text")):
    s = smtplib.SMTP("127.0.0.1", rbl_port, timeout=30,
                     source_address=(src, 0))
    s.ehlo("client.example")
    like(mail(s, "ana@mired.org"), want, name)
    s.quit()
ok(dns.queries("2.0.0.127.rbl.test") >= 1,
   "the RBL was asked about 2.0.0.127.rbl.test")
like(inst.read_log(), "NOQUEUE: reject: MAIL from", "refusals are logged")

# Mistakes stop smtpd before it says anything.
for port, text, name in (
        (bad_port, 'parameter smtpd_recipient_restrictions: unknown '
         'restriction "reject_everything"', "an unknown restriction"),
        (nomap_port, "check_sender_access hash:/nonexistent/table",
         "a table that cannot be opened")):
    try:
        out = recv_all(socket.create_connection(("127.0.0.1", port), 5), 5)
    except OSError:
        out = ""
    ok("220" not in out, "%s: no greeting" % name)
    ok(wait_for(lambda: text in inst.read_log(), 10),
       "%s stops smtpd with a clear message" % name)
done()
