#!/usr/bin/env python3
# Issue 13, DKIM: our signatures checked by an independent verifier and
# theirs by ours.  t/dkimtool signs with lib/dkim*.c and Debian's
# python3-dkim (dkimpy) verifies, its dnsfunc= answering the key record;
# dkimpy signs and t/dkimtool verifies; RSA and Ed25519, both ways, and a
# tampered message fails on both sides; dkimpy's l= is honoured and said.
# Then the key lookup through lib/dns.c against a dnsmasq on loopback
# (the record split into strings, NXDOMAIN, a server that does not
# answer).  Then `cartero dkim keygen`: the key (mode 0600), the table
# (hash: rebuilt), a printed record that dkimpy accepts for a message our
# lib signed with the key, --force, and `cartero dkim show`.
import os, re, stat, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from dnsmasq import Dnsmasq, unused_server

dkim = debian_module("dkim", "python3-dkim")
debian_module("nacl.signing", "python3-nacl")  # dkimpy's Ed25519

TOOL = os.path.join(BUILD, "t", "dkimtool")
CARTERO = os.path.join(BUILD, "cli", "cartero")
if not os.access(TOOL, os.X_OK):
    skip_all("t/dkimtool is not built (make check builds it)")

tmp = tempfile.mkdtemp(prefix="cartero-dkim-")
MSG = (b"From: Ana <ana@mired.test>\n"
       b"To: Bob <bob@example.test>\n"
       b"Subject: =?utf-8?q?hola?=  with  spaces\n"
       b"Date: Mon, 07 Dec 2026 12:00:00 +0000\n"
       b"Message-ID: <1@mired.test>\n"
       b"MIME-Version: 1.0\n"
       b"Content-Type: text/plain\n"
       b"List-Id: <l.mired.test>\n"
       b"X-Mailer: not signed\n"
       b"\n"
       b"Hola Bob,  \n"
       b"\tsee you.\n"
       b"\n"
       b"\n")


run = run_tool


def genkey(kind):
    path = os.path.join(tmp, kind + ".pem")
    if kind == "rsa":
        argv = ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                "rsa_keygen_bits:2048", "-out", path]
    else:
        argv = ["openssl", "genpkey", "-algorithm", "ED25519", "-out", path]
    subprocess.run(argv, check=True, capture_output=True)
    return path


def record_of(key):
    rc, out, err = run([TOOL, "record", key])
    return out.strip()


def dkimpy_verify(msg, record):
    def dnsfunc(name, timeout=5):
        return record.encode()
    return dkim.verify(crlf(msg), dnsfunc=dnsfunc)


def our_verify(msg, name, record, step="4096"):
    keys = os.path.join(tmp, "keys")
    with open(keys, "w") as f:
        f.write("%s %s\n" % (name, record))
    rc, out, err = run([TOOL, "-n", step, "verify", keys], msg)
    return rc, out.strip()


def our_sign(msg, key, step="4096", domain="mired.test", sel="sel"):
    rc, out, err = run([TOOL, "-n", step, "sign", domain, sel, key], msg)
    if rc != 0:
        diag(err)
    return out.encode()


def dkimpy_sign(msg, key, alg, length=False):
    with open(key, "rb") as f:
        pem = f.read()
    if alg == "ed25519":
        # dkimpy takes the 32-byte seed of an Ed25519 key, base64.
        der = subprocess.run(["openssl", "pkey", "-in", key, "-outform",
                              "DER"], check=True, capture_output=True).stdout
        import base64
        pem = base64.b64encode(der[-32:])
    sig = dkim.sign(crlf(msg), b"ext", b"example.test", pem,
                    include_headers=[b"from", b"to", b"subject"],
                    signature_algorithm=("ed25519-sha256" if alg == "ed25519"
                                         else "rsa-sha256").encode(),
                    canonicalize=(b"relaxed", b"simple"), length=length)
    return sig.replace(b"\r\n", b"\n")


for alg in ("rsa", "ed25519"):
    key = genkey(alg)
    rec = record_of(key)
    like(rec, "k=%s; p=" % alg, "%s: dkimtool record" % alg)
    # We sign, dkimpy verifies.
    signed = our_sign(MSG, key, step="5") + MSG
    like(signed.decode(), "a=%s-sha256" % alg, "%s: we signed" % alg)
    ok(dkimpy_verify(signed, rec), "%s: dkimpy verifies our signature" % alg)
    ok(all(len(l) <= 78 for l in signed.split(b"\n")),
       "%s: our header's lines are at most 78 long" % alg)
    tampered = signed.replace(b"see you", b"see You")
    ok(not dkimpy_verify(tampered, rec),
       "%s: dkimpy refuses our signature on a tampered body" % alg)
    tampered = signed.replace(b"From: Ana", b"From: Eve")
    ok(not dkimpy_verify(tampered, rec),
       "%s: dkimpy refuses our signature on a tampered From" % alg)
    rc, out = our_verify(signed, "sel._domainkey.mired.test", rec, step="3")
    like(out, "dkim=pass", "%s: we verify our own signature too" % alg)
    # dkimpy signs, we verify.
    theirs = dkimpy_sign(MSG, key, alg) + MSG
    rc, out = our_verify(theirs, "ext._domainkey.example.test", rec)
    is_(rc, 0, "%s: we verify dkimpy's signature (%s)" % (alg, out))
    like(out, "header.d=example.test", "%s: header.d in the result" % alg)
    like(out, "header.a=%s-sha256" % alg, "%s: header.a in the result" % alg)
    rc, out = our_verify(theirs.replace(b"Hola Bob", b"Hola Rob"),
                         "ext._domainkey.example.test", rec, step="1")
    like(out, "dkim=fail (body hash did not verify)",
         "%s: we refuse dkimpy's signature on a tampered body" % alg)
    rc, out = our_verify(theirs.replace(b"Subject: =?utf", b"Subject: =?UTF"),
                         "ext._domainkey.example.test", rec)
    like(out, "dkim=fail (signature did not verify)",
         "%s: we refuse dkimpy's signature on a tampered Subject" % alg)

# l=: dkimpy signs with a body length, text is appended.
key = os.path.join(tmp, "rsa.pem")
rec = record_of(key)
theirs = dkimpy_sign(MSG, key, "rsa", length=True) + MSG + b"appended\n"
rc, out = our_verify(theirs, "ext._domainkey.example.test", rec)
like(out, "dkim=pass (signature verified; l= signs", "l= honoured and said")

# The key lookup through lib/dns.c, against dnsmasq on loopback.
ed = os.path.join(tmp, "ed25519.pem")
ed_rec = record_of(ed)
rsa_rec = record_of(key)
dns = Dnsmasq([
    "--local=/mired.test/",
    "--txt-record=ed._domainkey.mired.test,%s" % ed_rec,
    # an RSA record of 2048 bits is longer than one string: split in two
    "--txt-record=rsa._domainkey.mired.test,%s,%s" % (rsa_rec[:200],
                                                      rsa_rec[200:]),
])
try:
    for sel, k in (("ed", ed), ("rsa", key)):
        signed = our_sign(MSG, k, sel=sel) + MSG
        rc, out, err = run([TOOL, "-o", "dns_servers=%s" % dns.server,
                            "verify", "DNS"], signed)
        like(out, "dkim=pass", "the key of %s through DNS (%s)" % (sel, err))
    signed = our_sign(MSG, ed, sel="gone") + MSG
    rc, out, err = run([TOOL, "-o", "dns_servers=%s" % dns.server,
                        "verify", "DNS"], signed)
    like(out, "dkim=permerror", "no key record in DNS: permerror")
    rc, out, err = run([TOOL, "-o", "dns_servers=%s" % unused_server(),
                        "-o", "dkim_key_lookup_timeout=2s",
                        "verify", "DNS"], signed)
    like(out, "dkim=temperror", "DNS that does not answer: temperror")
finally:
    dns.stop()

# cartero dkim keygen and show.
etc = os.path.join(tmp, "etc")
os.mkdir(etc)
with open(os.path.join(etc, "main.cf"), "w") as f:
    f.write("config_directory = %s\n" % etc)


def cartero(*args):
    return run([CARTERO, "-c", etc, "dkim"] + list(args))


def published(out):
    """The record from keygen's TXT lines, its strings joined."""
    return "".join(re.findall(r'"([^"]*)"', out.split(" IN TXT ", 1)[1]))


rc, out, err = cartero("keygen", "mired.test", "s1")
is_(rc, 0, "keygen: RSA (%s)" % err)
like(out, "s1._domainkey.mired.test. IN TXT (", "keygen prints the TXT record")
like(out, "cartero -c %s reload" % etc, "keygen says when signing starts")
ok(all(len(s) <= 255 for s in re.findall(r'"([^"]*)"', out)),
   "the record's strings are at most 255 bytes")
pem = os.path.join(etc, "dkim", "mired.test.s1.pem")
st = os.stat(pem)
is_(stat.S_IMODE(st.st_mode), 0o600, "the key file is mode 0600")
if is_root():
    import pwd
    is_(pwd.getpwuid(st.st_uid).pw_name, "root",
        "the key file belongs to root (smtpd reads it before it drops "
        "its privileges), not to mail_owner")
table = os.path.join(etc, "dkim", "signing_keys")
with open(table) as f:
    is_(f.read(), "mired.test s1:%s\n" % pem, "keygen writes the table")
ok(os.path.exists(table + ".db"), "keygen builds the hash: table")
signed = our_sign(MSG, pem, sel="s1") + MSG
ok(dkimpy_verify(signed, published(out)),
   "dkimpy verifies with the printed record")
rc, out2, err = cartero("keygen", "mired.test", "s2", "--ed25519")
is_(rc, 1, "another selector without --force: refused")
like(err, "--force", "... and the error says --force")
rc, out2, err = cartero("keygen", "mired.test", "s1")
is_(rc, 1, "the same selector again without --force: refused")
rc, out2, err = cartero("keygen", "mired.test", "s2", "--ed25519", "--force")
is_(rc, 0, "another selector with --force")
like(out2, "k=ed25519; p=", "... an Ed25519 key")
rc, out3, err = cartero("keygen", "other.test", "x", "--ed25519")
with open(table) as f:
    is_(f.read(), "mired.test s2:%s\nother.test x:%s\n" % (
        os.path.join(etc, "dkim", "mired.test.s2.pem"),
        os.path.join(etc, "dkim", "other.test.x.pem")),
        "the table has one entry per domain")
# The table as signing reads it: the key of the From domain.
rc, hdr, err = run([TOOL, "-o", "dkim_signing_keys=hash:%s" % table, "sign", "auto"],
                   MSG)
like(hdr, "d=mired.test; s=s2;", "signing picks the table's key for From")
ok(dkimpy_verify(hdr.encode() + MSG, published(out2)),
   "dkimpy verifies it with keygen's record")
rc, hdr, err = run([TOOL, "-o", "dkim_signing_keys=hash:%s" % table, "sign", "auto"],
                   MSG.replace(b"ana@mired.test", b"ana@nokey.test"))
like(err, "no DKIM key for nokey.test", "no key for the From domain: said")
rc, out3, err = cartero("show", "Mired.Test")
is_(published(out3), published(out2), "show prints the domain's record")
signed = our_sign(MSG, os.path.join(etc, "dkim", "mired.test.s2.pem"),
                  sel="s2") + MSG
ok(dkimpy_verify(signed, published(out3)),
   "dkimpy verifies Ed25519 with the shown record")
rc, out3, err = cartero("show", "nokey.test")
is_(rc, 1, "show of a domain without a key fails")
rc, out3, err = cartero("keygen", "mired.test", "bad/sel")
is_(rc, 64, "a bad selector is refused")
done()
