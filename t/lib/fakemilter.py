"""fakemilter - a milter written for the tests, speaking Sendmail's milter
protocol raw (no libmilter, no extra package): it answers each command as
its script says and records what it was sent, so that t/milter.t can check
both sides of lib/milter*.c.

    m = FakeMilter(script={"E": [addheader("X-Spam", "yes"), CONTINUE]},
                   pflags=NOHELO)
    m.start()                 # a thread on a free loopback port (m.addr)
    ...                       # run t/miltertest against m.addr
    m.log                     # [(cmd, data), ...] of every connection
    m.stop()

A script maps a command letter ("C", "H", "M", "R", "T", "L", "N", "B",
"E", "U") to the packets to send in reply: bytes made by the helpers below, or
("hang", seconds), ("close",) (hang up), ("raw", bytes) (sent as is, no
framing).  A command without a script gets "continue", unless the milter
negotiated not to reply to it (NR_* flags).
"""
import socket
import struct
import threading
import time

# Protocol step flags (SMFIP_*) and actions (SMFIF_*).
NOCONNECT, NOHELO, NOMAIL, NORCPT = 0x1, 0x2, 0x4, 0x8
NOBODY, NOHDRS, NOEOH, NR_HDR = 0x10, 0x20, 0x40, 0x80
NOUNKNOWN, NODATA, SKIP = 0x100, 0x200, 0x400
NR_CONN, NR_HELO, NR_MAIL, NR_RCPT = 0x1000, 0x2000, 0x4000, 0x8000
NR_DATA, NR_EOH, NR_BODY = 0x10000, 0x40000, 0x80000
ALL_ACTIONS = 0x1ff
NR_OF = {"C": NR_CONN, "H": NR_HELO, "M": NR_MAIL, "R": NR_RCPT,
         "T": NR_DATA, "L": NR_HDR, "N": NR_EOH, "B": NR_BODY, "U": 0x20000}


def packet(cmd, data=b""):
    """One packet: length (command byte included), command, data."""
    return struct.pack(">I", len(data) + 1) + cmd.encode() + data


def z(*strings):
    """Strings, each with its NUL."""
    return b"".join(s.encode() + b"\0" for s in strings)


CONTINUE = packet("c")
ACCEPT = packet("a")
REJECT = packet("r")
TEMPFAIL = packet("t")
DISCARD = packet("d")
SKIP_BODY = packet("s")
PROGRESS = packet("p")


def replycode(text):
    return packet("y", z(text))


def addheader(name, value):
    return packet("h", z(name, value))


def insheader(index, name, value):
    return packet("i", struct.pack(">I", index) + z(name, value))


def chgheader(index, name, value):
    return packet("m", struct.pack(">I", index) + z(name, value))


def chgfrom(addr, args=None):
    return packet("e", z(addr, args) if args else z(addr))


def addrcpt(addr):
    return packet("+", z(addr))


def delrcpt(addr):
    return packet("-", z(addr))


def replbody(data):
    return packet("b", data)


def quarantine(reason):
    return packet("q", z(reason))


def macros_of(data):
    """A macro packet's data: (stage letter, {name: value})."""
    parts = data[1:].split(b"\0")
    names = {}
    for i in range(0, len(parts) - 1, 2):
        names[parts[i].decode()] = parts[i + 1].decode()
    return chr(data[0]), names


class FakeMilter:
    def __init__(self, script=None, version=6, actions=ALL_ACTIONS,
                 pflags=0, symlists=None, path=None):
        self.script = script or {}
        self.version, self.actions, self.pflags = version, actions, pflags
        self.symlists = symlists or {}     # stage number -> "name name"
        self.log = []                      # (command letter, data)
        self.offer = None                  # the MTA's negotiation packet
        self.connections = 0
        self.active = 0                    # sessions not over yet
        if path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(path)
            self.addr = "unix:" + path
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind(("127.0.0.1", 0))
            self.addr = "inet:127.0.0.1:%d" % self.sock.getsockname()[1]
        self.sock.listen(8)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass

    def commands(self):
        """The command letters received, macros left out."""
        return "".join(c for c, _ in self.log if c not in "DO")

    def macros(self, stage):
        """The macros sent for a stage letter, merged."""
        out = {}
        for c, data in self.log:
            if c == "D" and chr(data[0]) == stage:
                out.update(macros_of(data)[1])
        return out

    def data_of(self, cmd):
        return [d for c, d in self.log if c == cmd]

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.active += 1
            threading.Thread(target=self._session, args=(conn,),
                             daemon=True).start()

    def _read(self, conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _session(self, conn):
        steps = {k: list(v) for k, v in self.script.items()}
        try:
            while True:
                (length,) = struct.unpack(">I", self._read(conn, 4))
                cmd = chr(self._read(conn, 1)[0])
                data = self._read(conn, length - 1)
                self.log.append((cmd, data))
                if cmd == "O":
                    self.offer = struct.unpack(">III", data[:12])
                    reply = struct.pack(">III", self.version, self.actions,
                                        self.pflags)
                    for stage, names in sorted(self.symlists.items()):
                        reply += struct.pack(">I", stage) + z(names)
                    if "O" in steps:
                        self._send(conn, steps["O"])
                        continue
                    conn.sendall(packet("O", reply))
                    continue
                if cmd in "DA":
                    continue
                if cmd == "Q":
                    break
                if cmd in steps:
                    if self._send(conn, steps[cmd]) == "close":
                        break
                    if cmd != "B":
                        del steps[cmd]
                    continue
                if not self.pflags & NR_OF.get(cmd, 0):
                    conn.sendall(CONTINUE)
        except (EOFError, OSError):
            pass
        conn.close()
        self.active -= 1

    def settle(self, timeout=1.0):
        """Wait until every session has ended (the client hung up)."""
        end = time.time() + timeout
        while self.active > 0 and time.time() < end:
            time.sleep(0.01)

    def _send(self, conn, items):
        for item in items:
            if isinstance(item, tuple) and item[0] == "hang":
                time.sleep(item[1])
            elif isinstance(item, tuple) and item[0] == "close":
                return "close"
            elif isinstance(item, tuple) and item[0] == "raw":
                conn.sendall(item[1])
            else:
                conn.sendall(item)
        return None
