#!/usr/bin/env python3
# cartero check (issue 12 item 5): a clean instance, with a dnsmasq of our
# own holding the right MX, A and PTR records, passes with exit 0 and
# prints the RFC 6186 SRV records; then each kind of finding is provoked
# and its one line checked, with exit 1: a typo'd parameter (did you
# mean), a typo'd -o option, a bad value, a hash: table missing or older
# than its source, a world-readable Maildir or password file, an expired,
# soon-expiring or wrong-name certificate, a port that does not listen, a
# missing MX or one at another host, a missing PTR, an A record with
# another address, a Maildir of the wrong owner (root only), quota words
# that do not read.
# --clients prints the settings for Thunderbird's dialog; --autoconfig
# writes the autoconfig and Autodiscover files, parsed here by
# xml.etree.  Root is not needed (as root it checks root's owners).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from dnsmasq import Dnsmasq
import re
import shutil
import time
import smtplib
import subprocess
import tempfile
import xml.etree.ElementTree as ET

ADDR = "192.0.2.25"         # the public address check is told (--address)

# mired.org's DKIM key, and its record for the zone.
dkim_keys, dkim_rec = dkim_test_signer(
    tempfile.mkdtemp(prefix="cartero-check-dkim-"), "mired.org", "s1")

dns = Dnsmasq([
    "--txt-record=mired.org,v=spf1 mx -all",
    "--txt-record=_dmarc.mired.org,v=DMARC1; p=quarantine",
    "--txt-record=s1._domainkey.mired.org," + dkim_rec,
    "--txt-record=mal.mired.org,v=spf1 ip4:192.0.2.99 -all",
    "--txt-record=mal.mired.org,v=spf1 mx -all",
    "--txt-record=_dmarc.mal.mired.org,v=DMARC1; p=sometimes",
    "--local=/mired.org/", "--local=/2.0.192.in-addr.arpa/",
    "--mx-host=mired.org,mail.mired.org,10",
    "--host-record=mail.mired.org,%s" % ADDR,
    "--ptr-record=25.2.0.192.in-addr.arpa,mail.mired.org",
    "--mx-host=otra.mired.org,mx.elsewhere.example,10",
])

(sub_port, subs_port, pop_port, pops_port), extra = services(
    "smtpd -o smtpd_tls_security_level=encrypt",
    "smtpd -o smtpd_tls_wrappermode=yes",
    "pop3d", "pop3d -o pop3d_tls_wrappermode=yes")
inst = Instance(main_cf={
    "dns_servers": dns.server,
    "dkim_signing_keys": "texthash:" + dkim_keys,
    # Only the instance's own (virtual) users: the host's system users
    # and their homes are not this test's business.
    "first_valid_uid": "59999", "last_valid_uid": "59999",
}, master_extra=extra)
inst.deliver_wait("hola", "para que ana tenga Maildir")

main_cf = os.path.join(inst.etc, "main.cf")
master_cf = os.path.join(inst.etc, "master.cf")
with open(main_cf) as f:
    main_text = f.read()
with open(master_cf) as f:
    master_text = f.read()


def check(*args):
    r = inst.cmd("cartero", "check", *args)
    note("cartero check %s: exit %d\n%s%s" % (" ".join(args), r.returncode,
                                              r.stdout, r.stderr))
    return r


def findings(r):
    """The finding lines: not notes (#) nor the records to publish."""
    return [l for l in r.stdout.splitlines()
            if l and l[0] not in "#_\t" and not re.match(r"\S+\. IN ", l)]


def main_cf_with(**settings):
    """main.cf with these settings changed or added."""
    lines = [l for l in main_text.splitlines()
             if l.split(" = ")[0] not in settings]
    lines += ["%s = %s" % kv for kv in settings.items()]
    with open(main_cf, "w") as f:
        f.write("\n".join(lines) + "\n")


def restore():
    with open(main_cf, "w") as f:
        f.write(main_text)
    with open(master_cf, "w") as f:
        f.write(master_text)


def one_finding(args, want, name):
    r = check(*args)
    is_(r.returncode, 1, name + ": exit 1")
    got = [l for l in findings(r) if want in l]
    ok(len(got) == 1, name + ": one line says " + want)
    return got[0] if got else ""


# --- A clean instance. ---
r = check("--address", ADDR)
is_(findings(r), [], "a clean instance has no findings")
is_(r.returncode, 0, "... and check exits 0")
like(r.stdout, "_imaps._tcp.mired.org. IN SRV 0 1 %d mail.mired.org.\n"
     % inst.imaps_port, "the SRV record of IMAPS is printed")
like(r.stdout, "_imap._tcp.mired.org. IN SRV 0 1 %d mail.mired.org.\n"
     % inst.imap_port, "... of IMAP")
like(r.stdout, "_pop3s._tcp.mired.org. IN SRV 0 1 %d mail.mired.org.\n"
     % pops_port, "... of POP3S")
like(r.stdout, "_submissions._tcp.mired.org. IN SRV 0 1 %d mail.mired.org.\n"
     % subs_port, "... of SMTPS")
ok("_submission._tcp.mired.org. IN SRV 0 1 " in r.stdout,
   "... of submission")
ok(dns.queries("mired.org", "MX") >= 1, "the MX was asked of dns_servers")
like(r.stdout, 'mired.org. IN TXT "v=spf1 mx -all"\n',
     "the SPF record DNS has is printed")
like(r.stdout, "s1._domainkey.mired.org. IN TXT ( \"v=DKIM1; k=rsa; p=",
     "... the DKIM record of the signing key")
like(r.stdout, '_dmarc.mired.org. IN TXT "v=DMARC1; p=quarantine"',
     "... the DMARC record")
like(r.stdout, '_mta-sts.mired.org. IN TXT "v=STSv1; id=',
     "... MTA-STS's, as a suggestion")
like(r.stdout, '_smtp._tls.mired.org. IN TXT "v=TLSRPTv1; '
     'rua=mailto:postmaster@mired.org"', "... and TLS-RPT's")

# --- Deliverability: a domain without records, one with wrong ones. ---
main_cf_with(mydestination="$mydomain, otra.mired.org, localhost")
r = check("--address", ADDR)
for want, what in (("otra.mired.org has no SPF record: add "
                    "\"otra.mired.org. IN TXT \\\"v=spf1 mx -all\\\"\"",
                    "no SPF record"),
                   ("otra.mired.org has no DKIM signing key: run \"cartero "
                    "dkim keygen otra.mired.org SELECTOR\"", "no DKIM key"),
                   ("otra.mired.org has no DMARC record: add "
                    "\"_dmarc.otra.mired.org. IN TXT", "no DMARC record")):
    ok(len([l for l in findings(r) if want in l]) == 1,
       "a domain without records: " + what)
main_cf_with(mydestination="$mydomain, mal.mired.org, localhost")
r = check("--address", ADDR)
ok([l for l in findings(r) if "mal.mired.org has 2 SPF records: keep one"
    in l], "two SPF records: keep one")
ok([l for l in findings(r) if l.startswith(
    "mal.mired.org: its DMARC record at _dmarc.mal.mired.org does not read")],
   "a DMARC record that does not read")
restore()
line = one_finding(["--address", "192.0.2.99"], "mired.org: SPF gives fail "
                   "for this host's address 192.0.2.99",
                   "an SPF record that does not let this host send")
like(line, 'add "ip4:192.0.2.99" (or "mx")', "... says what to add")

# --- Configuration. ---
main_cf_with(myhostnme="mail.mired.org")
line = one_finding([], "unknown parameter myhostnme",
                   "a typo'd parameter")
like(line, "did you mean myhostname?", "... says did you mean myhostname?")
like(line, "main.cf, line ", "... and names the file and line")
restore()

with open(master_cf, "a") as f:
    f.write("127.0.0.1:%d inet n - n - - smtpd\n" % free_port() +
            "  -o smtpd_tls_wrapermode=yes\n")
line = one_finding([], "unknown parameter smtpd_tls_wrapermode",
                   "a typo'd -o option in master.cf")
like(line, "did you mean smtpd_tls_wrappermode?", "... did you mean")
restore()

with open(master_cf, "a") as f:
    f.write("relay2 unix - - n - smtp\n")
line = one_finding([], "master will not start",
                   "a master.cf line master would refuse")
like(line, ": expected \"service type private unpriv "
     "chroot wakeup maxproc command\", found 7 fields",
     "... in master's own words, with the line")
restore()

main_cf_with(message_size_limit="lots")
line = one_finding([], "message_size_limit", "a bad value")
like(line, "fix the value", "... says to fix it")
restore()

# --- Tables. ---
transport = os.path.join(inst.etc, "transport")
with open(transport, "w") as f:
    f.write("listas.mired.org local:\n")
main_cf_with(transport_maps="hash:" + transport)
line = one_finding([], "transport.db is missing", "a table never built")
like(line, "run carteromap hash:" + transport, "... says to run carteromap")
inst.run_ok("carteromap", "hash:" + transport)
os.utime(transport, (time.time() + 5, time.time() + 5))
line = one_finding([], "transport.db is older than", "a table older than "
                   "its source")
like(line, "run carteromap", "... says to run carteromap")
restore()

# --- Permissions. ---
md = inst.maildir("ana")
os.chmod(md, 0o755)
line = one_finding(["--address", ADDR], "open to others",
                   "a world-readable Maildir")
like(line, md + " is open to others (mode 0755): chmod 0700 " + md,
     "... names it, its mode and the chmod")
os.chmod(md, 0o700)
if is_root():
    st = os.stat(md)
    os.chown(md, 65534, st.st_gid)
    line = one_finding(["--address", ADDR], "is owned by uid 65534",
                       "a Maildir of the wrong owner (root)")
    like(line, "chown -R ", "... says to chown it")
    os.chown(md, st.st_uid, st.st_gid)
else:
    for i in range(3):
        ok(True, "# SKIP a Maildir of another owner needs root")

passwd = os.path.join(inst.etc, "passwd")
os.chmod(passwd, 0o644)
line = one_finding(["--address", ADDR], "virtual_passwd_file",
                   "a password file others can read")
like(line, "open to others (mode 0644): chmod 0600 " + passwd,
     "... names it and the chmod")
os.chmod(passwd, 0o600)

# Quota words that do not read: in the passwd file, in mailbox_quota_maps.
with open(passwd) as f:
    passwd_text = f.read()
with open(passwd, "w") as f:
    f.write(passwd_text.replace("\n", "quota=lots\n", 1))
line = one_finding(["--address", ADDR], "virtual_passwd_file: user ana",
                   "a bad quota= in the passwd file")
like(line, "quota=lots: not a size", "... says which word and why")
with open(passwd, "w") as f:
    f.write(passwd_text)
quotas = os.path.join(inst.etc, "quotas")
with open(quotas, "w") as f:
    f.write("bob@mired.org 2x\n")
main_cf_with(mailbox_quota_maps="texthash:" + quotas)
line = one_finding(["--address", ADDR], "mailbox_quota_maps: bob@mired.org",
                   "a bad value in mailbox_quota_maps")
like(line, "give a size (1G)", "... says what to write")
restore()

# --- Certificates. ---
certs = tempfile.mkdtemp(prefix="cartero-check-")


def selfsigned(name, days, sub):
    d = os.path.join(certs, sub)
    os.makedirs(d)
    subprocess.run(["openssl", "req", "-x509", "-nodes", "-newkey",
                    "rsa:2048", "-keyout", os.path.join(d, "key.pem"),
                    "-out", os.path.join(d, "cert.pem"), "-days", str(days),
                    "-subj", "/CN=" + name,
                    "-addext", "subjectAltName=DNS:" + name],
                   capture_output=True, check=True)
    return os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")


cert, key = selfsigned("otro.example.net", 365, "wrong")
main_cf_with(tls_cert_file=cert, tls_key_file=key)
line = one_finding(["--address", ADDR], "is not for mail.mired.org",
                   "a certificate for another name")
like(line, "subjectAltName names mail.mired.org", "... says what to use")
cert, key = selfsigned("mail.mired.org", 10, "soon")
main_cf_with(tls_cert_file=cert, tls_key_file=key)
line = one_finding(["--address", ADDR], "expires on",
                   "a certificate that expires within 30 days")
ok(re.search(r"in (9|10) days: renew it", line), "... says in how many days")
# An expired one: signed with a start and end date in the past.
d = os.path.join(certs, "old")
os.makedirs(d)
subprocess.run(["openssl", "req", "-new", "-nodes", "-newkey", "rsa:2048",
                "-keyout", os.path.join(d, "key.pem"), "-out",
                os.path.join(d, "req.pem"), "-subj", "/CN=mail.mired.org"],
               capture_output=True, check=True)
with open(os.path.join(d, "ext"), "w") as f:
    f.write("subjectAltName=DNS:mail.mired.org\n")
with open(os.path.join(d, "index.txt"), "w") as f:
    pass
with open(os.path.join(d, "ca.cnf"), "w") as f:
    f.write("[ca]\ndefault_ca=d\n[d]\ndir=%s\ndatabase=$dir/index.txt\n"
            "new_certs_dir=$dir\nserial=$dir/serial\ndefault_md=sha256\n"
            "policy=p\n[p]\ncommonName=supplied\n" % d)
with open(os.path.join(d, "serial"), "w") as f:
    f.write("01\n")
r = subprocess.run(["openssl", "ca", "-batch", "-config",
                    os.path.join(d, "ca.cnf"), "-selfsign", "-keyfile",
                    os.path.join(d, "key.pem"), "-in",
                    os.path.join(d, "req.pem"), "-out",
                    os.path.join(d, "cert.pem"), "-startdate",
                    "20200101000000Z", "-enddate", "20210101000000Z",
                    "-extfile", os.path.join(d, "ext")],
                   capture_output=True, text=True)
if r.returncode != 0:
    diag(r.stderr)
main_cf_with(tls_cert_file=os.path.join(d, "cert.pem"),
             tls_key_file=os.path.join(d, "key.pem"))
line = one_finding(["--address", ADDR], "expired on 2021-01-01",
                   "an expired certificate")
like(line, "renew it", "... says to renew it")
restore()

# --- A port that does not listen (in master.cf, not yet reloaded). ---
idle = free_port()
with open(master_cf, "a") as f:
    f.write("127.0.0.1:%d inet n - n - - imapd\n" % idle)
line = one_finding(["--address", ADDR], "nothing listens on 127.0.0.1 "
                   "port %d" % idle, "a port that does not listen")
like(line, "cartero start", "... says to start cartero or see the log")
restore()

# --- DNS. ---
main_cf_with(mydestination="$mydomain, listas.mired.org, localhost")
line = one_finding(["--address", ADDR], "listas.mired.org has no MX record",
                   "a domain without an MX record")
like(line, 'add "@ IN MX 10 mail.mired.org."', "... says what to add")
main_cf_with(mydestination="$mydomain, otra.mired.org, localhost")
line = one_finding(["--address", ADDR], "otra.mired.org has its MX at "
                   "mx.elsewhere.example, not at this host",
                   "a domain whose MX is another host")
like(line, 'add "@ IN MX 10 mail.mired.org."', "... says what to add")
restore()
line = one_finding(["--address", "192.0.2.26"], "has no PTR record",
                   "an address without a PTR record")
like(line, '"26.2.0.192.in-addr.arpa. IN PTR mail.mired.org."',
     "... says which record to ask for")
r = check("--address", "192.0.2.26")
ok([l for l in findings(r) if "has the address 192.0.2.25, not this "
    "host's 192.0.2.26" in l], "... and that the A record is another "
   "address")

# --- What to tell users. ---
r = check("--clients")
is_(r.returncode, 0, "--clients exits 0")
like(r.stdout, "Server:          mail.mired.org", "--clients names the server")
like(r.stdout, "ana@mired.org", "... the login as a whole address")
like(r.stdout, "(ana)", "... or a bare name")
for kind, port, sec in (("IMAP", inst.imaps_port, "SSL/TLS"),
                        ("IMAP", inst.imap_port, "STARTTLS"),
                        ("POP3", pops_port, "SSL/TLS"),
                        ("POP3", pop_port, "STARTTLS")):
    ok(re.search(r"Incoming\s+%s\s+port %d\s+%s" % (kind, port, sec),
                 r.stdout), "Incoming %s port %d %s" % (kind, port, sec))
for port, sec in ((sub_port, "STARTTLS"), (subs_port, "SSL/TLS")):
    ok(re.search(r"Outgoing\s+SMTP\s+port %d\s+%s" % (port, sec),
                 r.stdout), "Outgoing SMTP port %d %s" % (port, sec))

web = tempfile.mkdtemp(prefix="cartero-autoconfig-")
r = check("--autoconfig", web)
is_(r.returncode, 0, "--autoconfig exits 0")
try:
    tb = ET.parse(os.path.join(web, "mail", "config-v1.1.xml")).getroot()
except (OSError, ET.ParseError) as e:
    diag(str(e))
    tb = ET.Element("none")
is_(tb.tag, "clientConfig", "config-v1.1.xml parses: clientConfig")
is_(tb.findtext("emailProvider/domain"), "mired.org", "... for mired.org")
servers = [(s.get("type"), s.findtext("port"), s.findtext("socketType"),
            s.findtext("hostname"), s.findtext("username"))
           for s in tb.iter("incomingServer")]
ok(("imap", str(inst.imaps_port), "SSL", "mail.mired.org", "%EMAILADDRESS%")
   in servers, "... IMAP over SSL on the IMAPS port")
ok(("pop3", str(pop_port), "STARTTLS", "mail.mired.org", "%EMAILADDRESS%")
   in servers, "... POP3 with STARTTLS")
out = [(s.findtext("port"), s.findtext("socketType"))
       for s in tb.iter("outgoingServer")]
ok((str(sub_port), "STARTTLS") in out, "... SMTP submission with STARTTLS")
NS = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/" \
     "responseschema/2006a}"
try:
    ad = ET.parse(os.path.join(web, "autodiscover",
                               "autodiscover.xml")).getroot()
except (OSError, ET.ParseError) as e:
    diag(str(e))
    ad = ET.Element("none")
ok(ad.tag.endswith("Autodiscover"), "autodiscover.xml parses: Autodiscover")
protos = [(p.findtext(NS + "Type"), p.findtext(NS + "Port"),
           p.findtext(NS + "SSL")) for p in ad.iter(NS + "Protocol")]
ok(("IMAP", str(inst.imaps_port), "on") in protos, "... IMAP with SSL")
ok(("SMTP", str(subs_port), "on") in protos, "... SMTP with SSL")
shutil.rmtree(web, ignore_errors=True)
shutil.rmtree(certs, ignore_errors=True)

inst.stop()
done()
