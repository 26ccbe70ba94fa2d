"""testca - a certificate authority of the test's own (the openssl
command), for tests that verify certificates (smtp_tls_CAfile) or match
them by TLSA records (DANE).

    ca = TestCA(directory)                 # ca.pem, ca.key there
    cert, key = ca.leaf("mx", ["mx.mired.org", "mx2.mired.org"])
    cert, key = ca.leaf("ta", ["mx.x.test"], chain=True)   # + the CA's
    ca.tlsa(3, 1, 1, cert)   # TLSA data in hex: usage, selector, type
"""
import hashlib
import os
import subprocess


class TestCA:
    def __init__(self, directory, name="cartero test CA"):
        self.dir = directory
        self.pem = os.path.join(directory, "ca.pem")
        self.ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                 "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
                 "/CN=" + name,
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign")

    def ssl(self, *args, **kw):
        return subprocess.run(["openssl"] + list(args), cwd=self.dir,
                              check=True, capture_output=True, **kw).stdout

    def leaf(self, name, sans, chain=False):
        """A certificate of the CA for the names sans: (cert, key), both
        readable by everyone (the agents run as the mail owner)."""
        self.ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout",
                 name + ".key", "-out", name + ".csr", "-subj",
                 "/CN=" + sans[0])
        with open(os.path.join(self.dir, name + ".ext"), "w") as f:
            f.write("subjectAltName=" + ",".join("DNS:" + s for s in sans)
                    + "\n")
        self.ssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                 "-CAkey", "ca.key", "-CAcreateserial", "-out",
                 name + ".pem", "-days", "2", "-extfile", name + ".ext")
        cert = os.path.join(self.dir, name + ".pem")
        if chain:
            with open(cert, "a") as out, open(self.pem) as ca:
                out.write(ca.read())
        for f in (cert, os.path.join(self.dir, name + ".key"), self.pem):
            os.chmod(f, 0o644)
        return cert, os.path.join(self.dir, name + ".key")

    def der(self, pem, spki):
        """The DER of a certificate, or of its public key (spki)."""
        if spki:
            pub = self.ssl("x509", "-in", pem, "-pubkey", "-noout")
            return self.ssl("pkey", "-pubin", "-outform", "DER", input=pub)
        return self.ssl("x509", "-in", pem, "-outform", "DER")

    def tlsa(self, usage, selector, mtype, pem):
        """A TLSA record's data in hex (dnsmasq's --dns-rr) for pem."""
        data = self.der(pem, selector == 1)
        if mtype == 1:
            data = hashlib.sha256(data).digest()
        elif mtype == 2:
            data = hashlib.sha512(data).digest()
        return "%02x%02x%02x%s" % (usage, selector, mtype, data.hex())
