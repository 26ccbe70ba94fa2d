#!/usr/bin/env python3
# SNI (issue 12 item 7): tls_server_sni_maps gives each TLS server (smtpd
# STARTTLS and implicit TLS, pop3d, imapd) the certificate of the name
# the client asks for, and tls_cert_file to any other.  Two self-signed
# certificates besides the default: mail.listas.org ("keyfile certfile")
# and .otro.org (one PEM with key and certificate, for its subdomains).
# openssl s_client -servername says which certificate came; an entry whose
# files are missing is skipped with a warning and the others still work;
# cartero check looks at the SNI certificates too.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import subprocess

(smtps_port, pop_port, pops_port), extra = services(
    "smtpd -o smtpd_tls_wrappermode=yes", "pop3d",
    "pop3d -o pop3d_tls_wrappermode=yes")
inst = Instance(start=False, master_extra=extra,
                main_cf={"tls_server_sni_maps": "hash:$config_directory/sni"})


def make_cert(sub, name):
    d = os.path.join(inst.etc, sub)
    os.makedirs(d)
    subprocess.run([os.path.join(SRC, "tools", "mkcert"), d, name],
                   capture_output=True, check=True)
    return d


listas = make_cert("listas", "mail.listas.org")
otro = make_cert("otro", "mail.otro.org")
both = os.path.join(otro, "both.pem")
with open(both, "w") as f:
    for n in ("key.pem", "cert.pem"):
        with open(os.path.join(otro, n)) as g:
            f.write(g.read())
with open(os.path.join(inst.etc, "sni"), "w") as f:
    f.write("mail.listas.org %s/key.pem %s/cert.pem\n" % (listas, listas))
    f.write(".otro.org %s\n" % both)
    f.write("roto.example %s/nokey.pem %s/nocert.pem\n" % (listas, listas))
inst.run_ok("carteromap", "hash:" + os.path.join(inst.etc, "sni"))
inst.start()


def subject(port, name=None, starttls=None):
    """The CN of the certificate a server presents, asking for name."""
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port]
    if name:
        argv += ["-servername", name]
    else:
        argv += ["-noservername"]
    if starttls:
        argv += ["-starttls", starttls]
    r = subprocess.run(argv, input="", capture_output=True, text=True,
                       timeout=30)
    for line in r.stdout.splitlines():
        if line.startswith("subject="):
            return line.split("CN", 1)[-1].lstrip(" =")
    diag(r.stdout + r.stderr)
    return None


is_(subject(inst.imaps_port, "mail.listas.org"), "mail.listas.org",
    "imapd (implicit TLS): -servername mail.listas.org gets its certificate")
is_(subject(inst.imaps_port, "mail.mired.org"), "mail.mired.org",
    "... mail.mired.org (not in the map) gets the default")
is_(subject(inst.imaps_port), "mail.mired.org",
    "... no server name: the default")
is_(subject(inst.imaps_port, "mail.otro.org"), "mail.otro.org",
    "... a subdomain of .otro.org: the one-file entry's certificate")
is_(subject(inst.imaps_port, "otro.org"), "mail.mired.org",
    "... .otro.org is for subdomains only: otro.org gets the default")
is_(subject(inst.imaps_port, "roto.example"), "mail.mired.org",
    "... the broken entry: the default")
is_(subject(inst.imap_port, "mail.listas.org", "imap"), "mail.listas.org",
    "imapd STARTTLS: the SNI certificate")
is_(subject(inst.port, "mail.listas.org", "smtp"), "mail.listas.org",
    "smtpd STARTTLS: the SNI certificate")
is_(subject(inst.port, "other.example", "smtp"), "mail.mired.org",
    "smtpd STARTTLS, a name not in the map: the default")
is_(subject(smtps_port, "MAIL.LISTAS.ORG"), "mail.listas.org",
    "smtpd implicit TLS: names match in any case")
is_(subject(pop_port, "x.otro.org", "pop3"), "mail.otro.org",
    "pop3d STLS: the SNI certificate")
is_(subject(pops_port, "mail.listas.org"), "mail.listas.org",
    "pop3d implicit TLS: the SNI certificate")
ok(wait_for(lambda: "tls_server_sni_maps: roto.example" in inst.read_log(),
            5), "the broken entry is logged")

r = inst.cmd("cartero", "check", "--address", "192.0.2.25")
ok([l for l in r.stdout.splitlines() if
    l.startswith("tls_server_sni_maps, roto.example: ")],
   "cartero check reports the broken SNI entry")
ok(not [l for l in r.stdout.splitlines() if
        l.startswith("tls_server_sni_maps, mail.listas.org")],
   "... and nothing about the good one")
inst.stop()
done()
