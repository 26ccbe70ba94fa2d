#!/usr/bin/env python3
# Root only (issue 13, item 6): mail authentication between two sites on
# one host, nothing off loopback.  dnsmasq on 127.0.0.1 serves mired.org
# (MX mail.mired.org = 127.0.0.2, SPF "ip4:127.0.0.1 ip4:127.0.0.2 -all",
# DMARC p=reject, the DKIM record of the key mired.org signs with) and otro.test
# (MX mail.otro.test = 127.0.0.3).  Two cartero instances on port 25 of
# their addresses: mired.org signs the mail its users submit (587, AUTH);
# otro.test trusts only itself (mynetworks 127.0.0.3/32), so it checks
# everything that comes in.
#  - ana@mired.org submits to pepe@otro.test: the message goes by MX and
#    arrives DKIM-signed (d=mired.org), with otro.test's
#    Authentication-Results saying dkim=pass, spf=pass and dmarc=pass;
#    Debian's dkimpy verifies the signature as delivered;
#  - a forger at 127.0.0.9 sends otro.test a message "From: ana@mired.org":
#    mired.org's p=reject has it refused, 550 5.7.1, and nothing arrives;
#  - a forged Authentication-Results claiming mail.otro.test, put in by the
#    forger, is gone from what pepe reads;
#  - SRS and ARC: otro.test's alias reenvio forwards to bob@mired.org with
#    the envelope sender rewritten to an SRS address of otro.test and an
#    ARC set (i=1, sealed by otro.test) that dkimpy verifies; a bounce to
#    the SRS address reaches the original sender; one with a changed hash
#    is refused.
import os, smtplib, socket, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

need_root_sites(9)
dkim = debian_module("dkim", "python3-dkim")

from dnsmasq import Dnsmasq

plan(22)

MIRED, OTRO, FORGER = "127.0.0.2", "127.0.0.3", "127.0.0.9"
keys, record = dkim_test_signer(tempfile.mkdtemp(prefix="cartero-mailauth-"),
                                "mired.org", "s1")
otro_keys, otro_record = dkim_test_signer(
    tempfile.mkdtemp(prefix="cartero-mailauth-"), "otro.test", "s1")

dns = Dnsmasq(["--local=/mired.org/", "--local=/test/",
               "--mx-host=mired.org,mail.mired.org,10",
               "--host-record=mail.mired.org,%s" % MIRED,
               # mired.org's smtp agent connects from 127.0.0.1 (the
               # kernel's choice on lo: there is no smtp_bind_address).
               "--txt-record=mired.org,v=spf1 ip4:127.0.0.1 ip4:%s -all"
               % MIRED,
               "--txt-record=_dmarc.mired.org,v=DMARC1; p=reject",
               "--txt-record=s1._domainkey.mired.org," + record,
               "--mx-host=otro.test,mail.otro.test,10",
               "--txt-record=s1._domainkey.otro.test," + otro_record,
               "--host-record=mail.otro.test,%s" % OTRO])
AGENTS = "smtp unix - - n - - smtp\n"
site = {"dns_servers": dns.server,
        "smtp_destination_networks": "127.0.0.0/8 [::1]/128"}
mired = Instance(host=MIRED, port=25, domain="mired.org",
                 master_extra=submission_service(MIRED, 587) + AGENTS,
                 main_cf=dict(site, dkim_signing_keys="texthash:" + keys))
otro = Instance(host=OTRO, port=25, domain="otro.test", users=("pepe",),
                aliases={"reenvio": "bob@mired.org"}, master_extra=AGENTS,
                main_cf=dict(site, mynetworks="%s/32" % OTRO,
                             authserv_id="mail.otro.test",
                             dkim_signing_keys="texthash:" + otro_keys))
ok(mired.listening() and otro.listening(),
   "mired.org listens on 127.0.0.2:25, otro.test on 127.0.0.3:25")

# 1. ana's signed message, checked at otro.test.
s = smtplib.SMTP(MIRED, 587, timeout=15)
s.ehlo("laptop.example")
s.starttls(context=client_ctx())
s.ehlo("laptop.example")
s.login("ana", "ana")
s.sendmail("ana@mired.org", ["pepe@otro.test"],
           "From: Ana <ana@mired.org>\r\nTo: pepe@otro.test\r\n"
           "Subject: firmado\r\n\r\nHola Pepe, firmado.\r\n")
s.quit()
ok(otro.wait_mail(1, "pepe"), "ana's message reaches pepe@otro.test by MX")
files = otro.mail_files("pepe")
raw = open(files[0], "rb").read() if files else b""
head = raw.split(b"\n\n")[0].decode("utf-8", "replace")
like(head, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; "
     "d=mired.org;", "it is signed by mired.org")
like(head, "Authentication-Results: mail.otro.test;",
     "otro.test adds its results")
like(head, "dkim=pass", "dkim=pass at otro.test")
like(head, "header.d=mired.org", "... for d=mired.org")
like(head, "spf=pass smtp.mailfrom=ana@mired.org",
     "spf=pass: mired.org's record lists its address")
like(head, "dmarc=pass", "dmarc=pass: both aligned with From: mired.org")


def dnsfunc(name, timeout=5):
    for domain, rec in (("mired.org", record), ("otro.test", otro_record)):
        if name.rstrip(b".") == b"s1._domainkey." + domain.encode():
            return rec.replace(",", "").encode()
    return None


ok(dkim.verify(raw.replace(b"\n", b"\r\n"), dnsfunc=dnsfunc),
   "dkimpy verifies the signature as pepe got it")

def forge(sender, rcpt, text):
    """A message sent to otro.test from the forger's address."""
    c = smtplib.SMTP(OTRO, 25, timeout=15, source_address=(FORGER, 0))
    c.sendmail(sender, [rcpt], text)
    c.quit()


# 2. A forger's message with From: ana@mired.org.
c = smtplib.SMTP(OTRO, 25, timeout=15, source_address=(FORGER, 0))
c.ehlo("forger.example")
c.mail("ana@mired.org")
c.rcpt("pepe@otro.test")
code, text = c.data("From: Ana <ana@mired.org>\r\nTo: pepe@otro.test\r\n"
                    "Authentication-Results: mail.otro.test; dmarc=pass\r\n"
                    "Subject: falso\r\n\r\nPay this invoice.\r\n")
c.quit()
is_(code, 550, "a forged From: ana@mired.org is refused at the end of DATA")
like(text.decode(), "5.7.1 Rejected by the DMARC policy of mired.org",
     "... by mired.org's DMARC policy")
ok(not otro.wait_mail(2, "pepe", timeout=2), "and pepe gets nothing")

# 3. The same forger, From: of a domain without DMARC: delivered, its
# forged results claiming mail.otro.test removed.
forge("x@otro.test", "pepe@otro.test",
      "From: x@nowhere.test\r\nTo: pepe@otro.test\r\n"
      "Authentication-Results: mail.otro.test; dmarc=pass\r\n"
      "Subject: otro\r\n\r\nbody\r\n")
ok(otro.wait_mail(2, "pepe"), "a message without a policy to break arrives")
texts = [message_text(f) for f in otro.mail_files("pepe")]
forged = [t for t in texts if "Subject: otro" in t]
ok(forged and "mail.otro.test; dmarc=pass" not in forged[0],
   "the forged results claiming mail.otro.test are gone")

# 4. SRS: otro.test's alias reenvio forwards to bob@mired.org; the
# envelope sender becomes otro.test's SRS address, whose bounce comes
# back to ana; a forged SRS address is refused.
forge("ana@mired.org", "reenvio@otro.test",
      "From: someone@nowhere.test\r\nTo: reenvio@otro.test\r\n"
      "Subject: reenviado\r\n\r\nforwarded\r\n")
ok(mired.wait_mail(1, "bob"), "SRS: the alias forwards to bob@mired.org")
bobs = mired.mail_files("bob")
text = message_text(bobs[0]) if bobs else ""
rp = text.split("\n", 1)[0]
like(rp, "Return-Path: <SRS0=", "SRS: the envelope sender is rewritten")
like(rp, "=mired.org=ana@otro.test>", "... into otro.test's SRS address "
     "that holds ana@mired.org")
srs_addr = rp[len("Return-Path: <"):-1] if rp.startswith("Return-Path: <") \
    else "SRS0=x@otro.test"
raw = open(bobs[0], "rb").read() if bobs else b""
fhead = raw.split(b"\n\n")[0].decode("utf-8", "replace")
like(fhead, "ARC-Seal: i=1; a=rsa-sha256; d=otro.test;",
     "ARC: otro.test seals what its alias forwards")
like(fhead, "ARC-Authentication-Results: i=1; mail.otro.test;",
     "... with the results it found when the mail came in")
cv = dkim.arc_verify(raw.replace(b"\n", b"\r\n"), dnsfunc=dnsfunc)[0]
is_(cv, b"pass", "... and dkimpy finds the ARC chain passes")
forge("", srs_addr, "From: MAILER-DAEMON@nowhere.test\r\n"
      "Subject: bounce\r\n\r\ncould not deliver\r\n")
ok(wait_for(lambda: mired.mail_files("ana"), 30),
   "SRS: a bounce to that address reaches ana@mired.org")
c = smtplib.SMTP(OTRO, 25, timeout=15, source_address=(FORGER, 0))
c.ehlo("forger.example")
c.mail("")
code, text = c.rcpt(srs_addr.replace("SRS0=", "SRS0=A", 1))
c.quit()
is_(code, 550, "SRS: a changed hash is refused at RCPT")
done()
