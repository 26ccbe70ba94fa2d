"""adproxy - a DNS proxy on loopback that plays a validating resolver,
for the DANE tests (t/root_smtp_tlspolicy.t).

    dns = Dnsmasq([...records...])
    ad = AdProxy(dns.server, secure=["mx.dane.test", "_25._tcp.mx.dane.test"],
                 servfail=["_25._tcp.mx.broken.test"])
    ... dns_servers = ad.server ...

Every UDP query is passed to the upstream server (dnsmasq, which serves
the records) and its answer passed back; the answer gets the AD bit when
the name asked about is in `secure` (what a validating resolver says of
a signed zone it validated), and loses it otherwise.  A name in
`servfail` is answered SERVFAIL without asking upstream (a resolver that
cannot validate, or a broken zone).  Nothing leaves the machine: the
upstream is the test's own dnsmasq on loopback.

What it does not test: real DNSSEC validation (signatures, keys, the
chain of trust).  That is the resolver's job, which cartero trusts
through the AD bit only (dns_servers must be a validating resolver).
"""
import socket
import threading


def _qname(pkt):
    """The question's name, lower case, from a DNS packet (or "")."""
    labels, i = [], 12
    try:
        while pkt[i]:
            n = pkt[i]
            labels.append(pkt[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
    except IndexError:
        return ""
    return ".".join(labels).lower()


class AdProxy:
    def __init__(self, upstream, secure=(), servfail=()):
        host, port = upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.secure = set(n.lower() for n in secure)
        self.servfail = set(n.lower() for n in servfail)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.server = "127.0.0.1:%d" % self.sock.getsockname()[1]
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                pkt, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            threading.Thread(target=self._answer, args=(pkt, peer),
                             daemon=True).start()

    def _answer(self, pkt, peer):
        if len(pkt) < 12:
            return
        name = _qname(pkt)
        if name in self.servfail:
            out = bytearray(pkt)
            out[2] |= 0x80                  # QR
            out[3] = (out[3] & 0x70) | 0x02  # SERVFAIL, no AD
            self.sock.sendto(bytes(out), peer)
            return
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(5)
        try:
            up.sendto(pkt, self.upstream)
            ans = bytearray(up.recv(65535))
        except OSError:
            return
        finally:
            up.close()
        if len(ans) < 12:
            return
        if name in self.secure:
            ans[3] |= 0x20
        else:
            ans[3] &= ~0x20 & 0xff
        self.sock.sendto(bytes(ans), peer)
