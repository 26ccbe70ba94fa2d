"""dnssec - a validating resolver on loopback over zones the test signs,
for the DANE test (t/root_smtp_dane.t).

    v = Validating({"secure.test": ZONE_TEXT, "plain.test": ZONE_TEXT},
                   signed=["secure.test"],
                   tamper=[("bogus-line-part", "replacement")])
    ... dns_servers = v.server ...

The zones (their text without SOA and NS, which are added) are served by
Debian's nsd on 127.0.0.1 at a free port; those named in `signed` are
signed first with keys made now (ldns-keygen, ldns-signzone from
ldnsutils: ECDSA P-256, NSEC3).  `tamper` edits the signed text after
signing (a record changed under its signature: bogus data, which the
resolver must refuse with SERVFAIL).  Debian's unbound validates, on
another free port, with the signed zones' keys as its trust anchors; it
reaches only nsd (a stub zone per zone) and refuses every other name
(local-zone "." refuse), so nothing leaves the machine.  Both run in the
foreground as children of the test and stop when it ends.

skip_all() when nsd, unbound or ldns-signzone are missing (apt-get
install nsd unbound ldnsutils).
"""
import atexit
import os
import shutil
import signal
import subprocess
import tempfile

from cartero_test import free_port, skip_all, wait_for

TOOLS = ["nsd", "unbound", "ldns-keygen", "ldns-signzone"]


def _which(t):
    return shutil.which(t) or next((p for p in ("/usr/sbin/" + t,)
                                    if os.access(p, os.X_OK)), None)


def _answers(port):
    """Does a DNS server answer a query on UDP 127.0.0.1:port?"""
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    try:
        s.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                 b"\x00\x00\x02\x00\x01", ("127.0.0.1", port))
        return len(s.recv(512)) >= 12
    except OSError:
        return False
    finally:
        s.close()


class Validating:
    def __init__(self, zones, signed=(), tamper=()):
        missing = [t for t in TOOLS if _which(t) is None]
        if missing:
            skip_all("needs %s (apt-get install nsd unbound ldnsutils)"
                     % ", ".join(missing))
        self.dir = tempfile.mkdtemp(prefix="cartero-dnssec-")
        self.procs = []
        atexit.register(self.stop)
        anchors = []
        for name, text in zones.items():
            path = os.path.join(self.dir, name + ".zone")
            with open(path, "w") as f:
                f.write("$ORIGIN %s.\n$TTL 300\n" % name +
                        "@ IN SOA ns.%s. root.%s. 1 3600 600 86400 300\n"
                        % (name, name) +
                        "@ IN NS ns.%s.\nns IN A 127.0.0.1\n" % name + text)
            if name in signed:
                anchors.append(self._sign(name, path, tamper))
        with open(os.path.join(self.dir, "anchors"), "w") as f:
            f.write("".join(anchors))
        self.nsd_port = self._start_nsd(zones, signed)
        self.port = self._start_unbound(zones)
        self.server = "127.0.0.1:%d" % self.port

    def _run(self, *argv):
        return subprocess.run(argv, cwd=self.dir, check=True,
                              capture_output=True, text=True).stdout.strip()

    def _sign(self, name, path, tamper):
        """Sign a zone file (path.signed); its KSK as a trust anchor."""
        ksk = self._run(_which("ldns-keygen"), "-a", "ECDSAP256SHA256",
                        "-k", name)
        zsk = self._run(_which("ldns-keygen"), "-a", "ECDSAP256SHA256", name)
        self._run(_which("ldns-signzone"), "-n", path, ksk, zsk)
        with open(path + ".signed") as f:
            text = f.read()
        for old, new in tamper:
            text = text.replace(old, new)
        with open(path + ".signed", "w") as f:
            f.write(text)
        with open(os.path.join(self.dir, ksk + ".key")) as f:
            return "".join(line.split(";")[0] + "\n" for line in f
                           if not line.startswith(";"))

    def _spawn(self, argv, port):
        p = subprocess.Popen(argv, cwd=self.dir, stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(self.dir, "stderr"),
                                         "a"))
        self.procs.append(p)
        if not wait_for(lambda: _answers(port) or p.poll() is not None, 10) \
                or p.poll() is not None:
            raise RuntimeError("%s did not start: %s" % (argv[0], open(
                os.path.join(self.dir, "stderr")).read()))

    def _start_nsd(self, zones, signed):
        port = free_port()
        conf = os.path.join(self.dir, "nsd.conf")
        with open(conf, "w") as f:
            f.write("server:\n\tip-address: 127.0.0.1@%d\n\tport: %d\n"
                    % (port, port) +
                    "\tzonesdir: \"%s\"\n\tdatabase: \"\"\n" % self.dir +
                    "\tpidfile: \"%s/nsd.pid\"\n" % self.dir +
                    "\tusername: \"\"\n\tchroot: \"\"\n" +
                    "\txfrdfile: \"%s/xfrd.state\"\n" % self.dir +
                    "\tzonelistfile: \"%s/zone.list\"\n" % self.dir +
                    "\tlogfile: \"%s/nsd.log\"\n" % self.dir +
                    "remote-control:\n\tcontrol-enable: no\n")
            for name in zones:
                f.write("zone:\n\tname: \"%s\"\n\tzonefile: \"%s.zone%s\"\n"
                        % (name, name, ".signed" if name in signed else ""))
        self._spawn([_which("nsd"), "-d", "-c", conf], port)
        return port

    def _start_unbound(self, zones):
        port = free_port()
        conf = os.path.join(self.dir, "unbound.conf")
        with open(conf, "w") as f:
            f.write("server:\n\tinterface: 127.0.0.1\n\tport: %d\n" % port +
                    "\tdo-ip6: no\n\tusername: \"\"\n\tchroot: \"\"\n" +
                    "\tdirectory: \"%s\"\n" % self.dir +
                    "\tpidfile: \"%s/unbound.pid\"\n" % self.dir +
                    "\tuse-syslog: no\n\tlogfile: \"%s/unbound.log\"\n"
                    % self.dir +
                    "\tdo-not-query-localhost: no\n" +
                    "\taccess-control: 127.0.0.0/8 allow\n" +
                    "\tmodule-config: \"validator iterator\"\n" +
                    "\ttrust-anchor-file: \"%s/anchors\"\n" % self.dir +
                    "\tqname-minimisation: no\n" +
                    "\toutgoing-interface: 127.0.0.1\n" +
                    # RFC 6761's test. is unbound's own by default.
                    "\tlocal-zone: \"test.\" nodefault\n" +
                    # Nothing but the test's zones, never the Internet.
                    "\tlocal-zone: \".\" refuse\n")
            for name in zones:
                f.write("\tlocal-zone: \"%s.\" transparent\n" % name)
            for name in zones:
                f.write("stub-zone:\n\tname: \"%s.\"\n"
                        "\tstub-addr: 127.0.0.1@%d\n" % (name, self.nsd_port))
            f.write("remote-control:\n\tcontrol-enable: no\n")
        self._spawn([_which("unbound"), "-d", "-c", conf], port)
        return port

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []
