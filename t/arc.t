#!/usr/bin/env python3
# Issue 13, ARC (RFC 8617): our ARC sets checked by an independent
# implementation and its sets by ours.  t/dkimtool arc-seal / arc-verify
# drive lib/arc*.c; Debian's python3-dkim (dkimpy, with python3-authres)
# has dkim.arc_sign and dkim.arc_verify, its dnsfunc= answering the key
# records.  Our seal verifies in dkimpy; dkimpy's seal verifies in ours;
# a two-hop chain (dkimpy seals i=1, we seal i=2, dkimpy verifies) and a
# three-hop one (dkimpy seals i=3 over ours, we verify); a body changed
# after a seal fails on both sides.  Messages are fed to lib/arc in
# pieces of 1, 7 and 4096 bytes.
import os, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

dkim = debian_module("dkim", "python3-dkim")
debian_module("authres", "python3-authres")  # dkimpy's ARC needs it

TOOL = os.path.join(BUILD, "t", "dkimtool")
if not os.access(TOOL, os.X_OK):
    skip_all("t/dkimtool is not built (make check builds it)")

tmp = tempfile.mkdtemp(prefix="cartero-arc-")
MSG = (b"From: Ana <ana@mired.test>\n"
       b"To: list@lists.test\n"
       b"Subject: =?utf-8?q?hola?=  with  spaces\n"
       b"Date: Mon, 07 Dec 2026 12:00:00 +0000\n"
       b"Message-ID: <1@mired.test>\n"
       b"MIME-Version: 1.0\n"
       b"Content-Type: text/plain\n"
       b"\n"
       b"Hola,  \n"
       b"\tsee you.\n"
       b"\n")


run = run_tool


def genkey(name):
    path = os.path.join(tmp, name + ".pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", path], check=True,
                   capture_output=True)
    rc, out, err = run([TOOL, "record", path])
    return path, out.strip()


# Three signers: cartero at lists.test and relay.test, dkimpy at fwd.test.
KEYS = {}
for d in ("lists.test", "relay.test", "fwd.test"):
    KEYS[d] = genkey(d)
keysfile = os.path.join(tmp, "keys")
with open(keysfile, "w") as f:
    for d, (path, rec) in KEYS.items():
        f.write("arc._domainkey.%s %s\n" % (d, rec))


def dnsfunc(name, timeout=5):
    name = name.decode().rstrip(".")
    for d, (path, rec) in KEYS.items():
        if name == "arc._domainkey." + d:
            return rec.encode()
    return None


def lf(msg):
    return msg.replace(b"\r\n", b"\n")


def our_seal(msg, domain, results, step="4096"):
    rc, out, err = run([TOOL, "-n", step, "arc-seal", domain, "arc",
                        KEYS[domain][0], "mx." + domain, results, keysfile],
                       msg)
    if rc != 0:
        diag(err)
    return out.encode()


def our_verify(msg, step="4096"):
    rc, out, err = run([TOOL, "-n", step, "arc-verify", keysfile,
                        "192.0.2.1"], msg)
    return rc, out.strip()


def dkimpy_seal(msg, domain, arc_result):
    # dkimpy seals with the results of an Authentication-Results field of
    # its authserv-id, arc= giving the cv= it writes.
    srv = ("mx." + domain).encode()
    ar = b"Authentication-Results: " + srv + b"; spf=pass " \
        b"smtp.mailfrom=mired.test"
    if arc_result:
        ar += b"; arc=" + arc_result.encode()
    with open(KEYS[domain][0], "rb") as f:
        pem = f.read()
    lines = dkim.arc_sign(crlf(ar + b"\n" + msg), b"arc", domain.encode(),
                          pem, srv, include_headers=[b"from", b"to",
                                                     b"subject", b"date"])
    return lf(b"".join(lines))


def dkimpy_verify(msg):
    cv, results, why = dkim.arc_verify(crlf(msg), dnsfunc=dnsfunc)
    return cv, why


plan(20)

# We seal i=1, dkimpy verifies.
for step in ("1", "7", "4096"):
    ours = our_seal(MSG, "lists.test", "spf=pass smtp.mailfrom=mired.test; "
                    "arc=none", step=step) + MSG
    cv, why = dkimpy_verify(ours)
    is_(cv, b"pass", "dkimpy verifies our i=1 set, fed in pieces of %s (%s)"
        % (step, why))
like(ours.decode(), "ARC-Seal: i=1;", "our set is i=1")
ok(all(len(l) <= 78 for l in ours.split(b"\n")),
   "our fields' lines are at most 78 long")
rc, out = our_verify(ours, step="7")
like(out, "arc=pass", "we verify our own set")
cv, why = dkimpy_verify(ours.replace(b"see you", b"see You"))
is_(cv, b"fail", "dkimpy refuses our set on a changed body")

# dkimpy seals i=1, we verify.
theirs = dkimpy_seal(MSG, "fwd.test", None) + MSG
like(theirs.decode(), "ARC-Seal: i=1; cv=none", "dkimpy sealed i=1")
for step in ("1", "4096"):
    rc, out = our_verify(theirs, step=step)
    is_(rc, 0, "we verify dkimpy's i=1 set, pieces of %s (%s)" % (step, out))
like(out, "arc=pass (1 ARC set verified) header.oldest-pass=0 "
     "smtp.remote-ip=192.0.2.1", "the resinfo")
rc, out = our_verify(theirs.replace(b"see you", b"see You"))
like(out, "arc=fail (ARC-Message-Signature i=1: body hash did not verify)",
     "we refuse dkimpy's set on a changed body")

# Two hops: dkimpy i=1, we check and seal i=2, dkimpy verifies.
rc, out = our_verify(theirs)
two = our_seal(theirs, "relay.test", "spf=pass smtp.mailfrom=fwd.test; "
               + out, step="13") + theirs
like(two.decode(), "ARC-Seal: i=2;", "we sealed i=2")
like(two.decode(), "cv=pass;", "with cv=pass")
cv, why = dkimpy_verify(two)
is_(cv, b"pass", "dkimpy verifies the two-hop chain (%s)" % why)
rc, out = our_verify(two, step="1")
like(out, "arc=pass (2 ARC sets verified)", "and so do we")

# Three hops: dkimpy seals i=3 over ours, we verify.
three = dkimpy_seal(two, "fwd.test", "pass") + two
like(three.decode(), "ARC-Seal: i=3; cv=pass", "dkimpy sealed i=3")
rc, out = our_verify(three)
is_(rc, 0, "we verify the three-hop chain (%s)" % out)
cv, why = dkimpy_verify(three)
is_(cv, b"pass", "dkimpy too (%s)" % why)
rc, out = our_verify(three.replace(b"i=1; mx.fwd.test; spf=pass",
                                   b"i=1; mx.fwd.test; spf=fail"))
like(out, "arc=fail (ARC-Seal i=", "a changed ARC-Authentication-Results "
     "breaks the seals")
done()
