#!/usr/bin/env python3
# smtpd's end of the message (smtpd_eom.c), with DNS from a dnsmasq of our
# own on loopback:
# - signing: mail from mynetworks (127.0.0.1) whose From: domain has a key
#   in dkim_signing_keys (made by `cartero dkim keygen`) arrives with a
#   DKIM-Signature after our Received:, which Debian's dkimpy verifies with
#   the record keygen printed; mail of a domain without a key, or with two
#   From: fields, is not signed.
# - checking: mail from outside (127.0.0.2) gets one Authentication-Results
#   field under authserv_id: dkim=pass for a message dkimpy signed with a key
#   published in our DNS, arc=pass for a chain dkimpy sealed (arc=none
#   without one), dkim=fail when its body was changed on the way,
#   dkim=none without a signature; spf=pass for an address the domain's SPF
#   record lists, spf=fail for one it does not (the message is still
#   delivered: SPF alone refuses nothing), dmarc=pass when DKIM or SPF
#   passes aligned, a forged From: of a domain with p=reject is refused
#   with 550 5.7.1, one with p=quarantine goes to the Junk folder, and a
#   DNS failure answers 451 4.7.5.  No results for mynetworks.
import os, sys, re, smtplib, subprocess, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from dnsmasq import Dnsmasq

dkim = debian_module("dkim", "python3-dkim")

plan(44)

tmp = tempfile.mkdtemp(prefix="cartero-dkim-t-")
outkey = os.path.join(tmp, "other.pem")
record = dkim_test_key(outkey)

dns = Dnsmasq([
    "--local=/other.example/",
    "--txt-record=s1._domainkey.other.example," + record,
    "--txt-record=other.example,v=spf1 ip4:127.0.0.2 -all",
    "--txt-record=_dmarc.other.example,v=DMARC1; p=reject",
    "--local=/loose.example/",
    "--local=/quar.example/",
    "--txt-record=_dmarc.quar.example,v=DMARC1; p=quarantine",
    "--txt-record=loose.example,v=spf1 ip4:127.0.0.2 -all",
])

inst = Instance(main_cf={"mynetworks": "127.0.0.1/32",
                         "authserv_id": "mx.mired.org",
                         "dns_servers": dns.server}, start=False)

# keygen: the key, the table, the record to publish.
r = inst.cmd("cartero", "dkim", "keygen", "mired.org", "sel1")
ok(r.returncode == 0, "keygen mired.org sel1 succeeds")
m = re.search(r'sel1\._domainkey\.mired\.org\.\s+IN\s+TXT\s+\(?(.*?)\)?\s*$',
              r.stdout, re.S)
ok(m is not None, "keygen prints the TXT record to publish")
ours = "".join(re.findall(r'"([^"]*)"', m.group(1))) if m else ""
like(ours, "v=DKIM1; k=rsa; p=", "the record is a DKIM1 RSA key")
inst.start()


def dnsfunc(name, timeout=5):
    if name in (b"sel1._domainkey.mired.org.", b"sel1._domainkey.mired.org"):
        return ours.encode()
    return None


def send(source, msg, sender="ana@mired.org", rcpt="bob@mired.org"):
    c = smtplib.SMTP("127.0.0.1", inst.port, source_address=(source, 0))
    c.sendmail(sender, [rcpt], msg)
    c.quit()


def last_mail(user, count):
    ok(inst.wait_mail(count, user), "message %d for %s arrives" %
       (count, user))
    files = sorted(inst.mail_files(user), key=os.path.getmtime)
    with open(files[-1], "rb") as f:
        return f.read()


MSG = ("From: Ana <ana@mired.org>\r\nTo: bob@mired.org\r\n"
       "Subject: signed\r\n\r\nhello bob\r\n")

# Signing, from mynetworks.
send("127.0.0.1", MSG)
raw = last_mail("bob", 1)
head = raw.split(b"\n\n")[0]
like(head.decode(), "DKIM-Signature: v=1; a=rsa-sha256",
     "mynetworks: the message is signed")
ok(head.index(b"DKIM-Signature:") > head.index(b"Received:"),
   "the signature comes after our Received:")
ok(b"d=mired.org" in head and b"s=sel1" in head, "with d=mired.org s=sel1")
ok(dkim.verify(raw.replace(b"\n", b"\r\n"), dnsfunc=dnsfunc),
   "dkimpy verifies it with the record keygen printed")
ok(b"Authentication-Results" not in head, "mynetworks: no results added")

send("127.0.0.1", MSG.replace("ana@mired.org", "ana@nokey.example"))
raw = last_mail("bob", 2)
ok(b"DKIM-Signature" not in raw, "a From: domain without a key: unsigned")

send("127.0.0.1", "From: ana@mired.org\r\nFrom: x@mired.org\r\n" + MSG)
raw = last_mail("bob", 3)
ok(b"DKIM-Signature" not in raw, "two From: fields: unsigned")

# Checking, from outside.
OUT = ("From: Carl <carl@other.example>\r\nTo: bob@mired.org\r\n"
       "Subject: from afar\r\nDate: Mon, 7 Dec 2026 10:00:00 +0000\r\n"
       "Message-ID: <1@other.example>\r\n\r\nhello from other.example\r\n")
with open(outkey, "rb") as f:
    sig = dkim.sign(OUT.encode(), b"s1", b"other.example", f.read(),
                    canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=[b"from", b"to", b"subject", b"date",
                                     b"message-id"])
signed = sig.decode() + OUT

send("127.0.0.2", signed, sender="carl@other.example")
raw = last_mail("bob", 4).decode()
head = raw.split("\n\n")[0]
is_(head.count("Authentication-Results:"), 1, "outside: one results field")
like(head, "Authentication-Results: mx.mired.org;", "under authserv_id")
like(head, "dkim=pass", "dkim=pass for a good signature")
like(head, "header.d=other.example", "... of other.example")
like(head, "spf=pass", "spf=pass for an address the record lists")

like(head, "dmarc=pass", "dmarc=pass: aligned DKIM and SPF")
like(head, "arc=none", "arc=none: it brings no ARC chain")

# A message other.example forwarded and sealed (ARC, RFC 8617).
with open(outkey, "rb") as f:
    pem = f.read()
sealed = b"".join(dkim.arc_sign(
    ("Authentication-Results: mx.other.example; spf=pass "
     "smtp.mailfrom=carl@other.example\r\n" + OUT).encode(), b"s1",
    b"other.example", pem, b"mx.other.example",
    include_headers=[b"from", b"to", b"subject", b"date"])).decode() + OUT
send("127.0.0.2", sealed, sender="carl@other.example")
head = last_mail("bob", 5).decode().split("\n\n")[0]
like(head, "arc=pass", "arc=pass for a chain other.example sealed")

send("127.0.0.2", signed.replace("hello from", "HELLO FROM"),
     sender="carl@other.example")
head = last_mail("bob", 6).decode().split("\n\n")[0]
like(head, "dkim=fail", "dkim=fail for a body changed on the way")
like(head, "dmarc=pass", "... dmarc=pass all the same: SPF passes, aligned")

LOOSE = OUT.replace("other.example", "loose.example")
send("127.0.0.3", LOOSE, sender="carl@loose.example")
head = last_mail("bob", 7).decode().split("\n\n")[0]
like(head, "dkim=none", "dkim=none without a signature")
like(head, "spf=fail", "spf=fail for an address the record does not list")
like(head, "dmarc=none", "dmarc=none for a domain without a policy: "
     "SPF's fail alone refuses nothing")

# A forged From: of a domain whose policy is p=reject.
c = smtplib.SMTP("127.0.0.1", inst.port, source_address=("127.0.0.3", 0))
c.ehlo("forger.example")
c.mail("carl@other.example")
c.rcpt("bob@mired.org")
code, text = c.data(OUT)
c.quit()
is_(code, 550, "forged From: with p=reject: 550 at the end of DATA")
like(text.decode(), "5.7.1 Rejected by the DMARC policy of other.example",
     "... 5.7.1, naming the policy's domain")
like(inst.read_log(), "reject: END-OF-MESSAGE from", "the refusal is logged")
ok(not inst.wait_mail(8, "bob", timeout=2), "and nothing is delivered")

# A forged From: of a domain whose policy is p=quarantine: into Junk.
send("127.0.0.3", OUT.replace("other.example", "quar.example"),
     sender="carl@quar.example")
junk = os.path.join(inst.maildir("bob"), ".Junk", "new")
ok(wait_for(lambda: os.path.isdir(junk) and os.listdir(junk), 20),
   "p=quarantine: the message goes to bob's Junk folder")
ok(os.path.exists(os.path.join(inst.maildir("bob"), ".Junk",
                               "maildirfolder")),
   "... a Maildir++ folder, made for it")
got = [open(os.path.join(junk, f)).read() for f in os.listdir(junk)] \
    if os.path.isdir(junk) else []
like(got[0] if got else "", "dmarc=fail (p=quarantine",
     "... with dmarc=fail in its results")
is_(len(inst.mail_files("bob")), 7, "... and not to the inbox")
like(inst.read_log(), "DMARC quarantine: to folder Junk",
     "the quarantine is logged")

# DNS that fails (dnsmasq refuses names outside its domains): 451.
c = smtplib.SMTP("127.0.0.1", inst.port, source_address=("127.0.0.3", 0))
c.ehlo("client.refused.test")
c.mail("carl@refused.test")
c.rcpt("bob@mired.org")
code, text = c.data(OUT.replace("other.example", "refused.test"))
c.quit()
is_(code, 451, "a DNS failure: 451 at the end of DATA")
like(text.decode(), "4.7.5", "... 4.7.5, to try again later")

# smtpd_spf_reject_fail: an SPF fail is refused at RCPT.
with open(os.path.join(inst.etc, "main.cf"), "a") as f:
    f.write("smtpd_spf_reject_fail = yes\n")
inst.run_ok("cartero", "reload")
time.sleep(1)
c = smtplib.SMTP("127.0.0.1", inst.port, source_address=("127.0.0.3", 0))
c.ehlo("client.loose.example")
c.mail("carl@loose.example")
code, text = c.rcpt("bob@mired.org")
c.quit()
is_(code, 550, "smtpd_spf_reject_fail: SPF fail refused at RCPT")
like(text.decode(), "5.7.23", "... with 5.7.23")
c = smtplib.SMTP("127.0.0.1", inst.port, source_address=("127.0.0.2", 0))
c.ehlo("client.loose.example")
c.mail("carl@loose.example")
is_(c.rcpt("bob@mired.org")[0], 250, "... an address SPF allows goes on")
c.quit()
done()
