"""dnsmasq - a DNS server of the test's own on loopback, for t/dns*.t.

Dnsmasq(records) starts Debian's dnsmasq once per test file on 127.0.0.1
(and ::1 when the host has it) on a free port, in the foreground, with
--no-resolv --no-hosts and no --server: it answers from the records it is
given (--mx-host, --host-record, --txt-record, --ptr-record, --address,
--dns-rr, --local ...) and never forwards a query anywhere, so nothing a
test does sends DNS traffic off the machine.  Names it has no records for
in a domain given with --local=/domain/ get NXDOMAIN (or NODATA when the
name has other records); any other name gets REFUSED.

.server is the dns_servers value that reaches it ("127.0.0.1:PORT");
.queries(name, type) counts the queries it logged for a name, so that a
test can tell an answer from the cache from one that was asked for.
silent_udp_server() gives a loopback port that receives queries and never
answers (a timeout), unused_server() one where nothing listens at all.
"""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile

from cartero_test import free_port, port_answers, skip_all, wait_for

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


def have_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def _udp_free(port, host="127.0.0.1", family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Dnsmasq:
    """A dnsmasq serving only the records given (a list of options)."""

    def __init__(self, records, ttl=60):
        if not os.access(DNSMASQ, os.X_OK):
            skip_all("dnsmasq is not installed (apt-get install dnsmasq-base)")
        self.dir = tempfile.mkdtemp(prefix="cartero-dns-")
        self.log = os.path.join(self.dir, "queries.log")
        self.ipv6 = have_ipv6_loopback()
        self.proc = None
        atexit.register(self.stop)
        for _ in range(20):
            port = free_port()
            if not _udp_free(port) or (self.ipv6 and not _udp_free(
                    port, "::1", socket.AF_INET6)):
                continue
            if self._start(port, records, ttl):
                return
        raise RuntimeError("dnsmasq did not start: %s" % self._errors())

    def _start(self, port, records, ttl):
        listen = "127.0.0.1,::1" if self.ipv6 else "127.0.0.1"
        argv = [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null",
                "--no-resolv", "--no-hosts", "--no-poll",
                "--bind-interfaces", "--listen-address=" + listen,
                "--port=%d" % port, "--pid-file=",
                "--log-facility=" + self.log, "--log-queries",
                "--local-ttl=%d" % ttl, "--neg-ttl=%d" % ttl,
                "--cache-size=0"]
        if os.geteuid() == 0:
            argv.append("--user=root")      # no drop: no such user here
        self.err = open(os.path.join(self.dir, "stderr"), "w")
        self.proc = subprocess.Popen(argv + list(records), stdout=self.err,
                                     stderr=self.err)
        self.port = port
        self.server = "127.0.0.1:%d" % port
        self.server6 = "[::1]:%d" % port if self.ipv6 else None
        if wait_for(lambda: self._answers() or self.proc.poll() is not None,
                    10) and self.proc.poll() is None:
            return True
        self.stop()
        return False

    def _answers(self):
        """Does it answer on its TCP port yet? (UDP has no handshake.)"""
        return port_answers(self.port, 0.5)

    def _errors(self):
        try:
            with open(os.path.join(self.dir, "stderr")) as f:
                return f.read()
        except OSError:
            return ""

    def queries(self, name, qtype="A"):
        """How many queries for name (of qtype) it has logged."""
        try:
            with open(self.log, errors="replace") as f:
                return sum(1 for line in f
                           if ("query[%s] %s " % (qtype, name)) in line)
        except FileNotFoundError:
            return 0

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class _Silent:
    """A UDP socket on loopback that reads queries and never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(20):
            port = free_port()
            try:
                self.sock.bind(("127.0.0.1", port))
                break
            except OSError:
                continue
        self.server = "127.0.0.1:%d" % self.sock.getsockname()[1]


def silent_udp_server():
    """A dns_servers value where queries time out (keep the result alive)."""
    return _Silent()


def unused_server():
    """A dns_servers value on loopback where nothing listens."""
    for _ in range(20):
        port = free_port()
        if _udp_free(port):
            return "127.0.0.1:%d" % port
    raise RuntimeError("no unused loopback port")

