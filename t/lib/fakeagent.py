"""fakeagent - a stand-in delivery agent for qmgr's side of the protocol.

qmgr connects to $queue_directory/private/NAME for transport NAME and
writes delivery requests (lib/deliver.h: name=value lines, values
percent-encoded, an empty line at the end); the agent answers each with a
reply in the same form, in order.  FakeAgent listens on that socket itself
(no master.cf entry: master does not know it), records every request and
answers as the test says:

    from fakeagent import FakeAgent
    agent = FakeAgent(os.path.join(inst.spool, "private", "relay"))
    agent.answer = lambda req: [(0, "2.0.0", "ok")] * rcpt_count(req)
    ...                                  # send mail routed to "relay"
    wait_for(lambda: len(agent.requests) == 1)
    agent.requests[0]["nexthop"]         # a dict per request, decoded
    agent.hold = True                    # keep replies until release()
    agent.release()
    agent.close()

answer(req) returns a list of (status, dsn, reason) per recipient, or a
dict with "rcpt" (that list) and extra reply fields ({"dead": "1",
"relay": "mx.example[127.0.0.9]:25"}; per-recipient extras such as
"dsn_relayed.1" go there too).  The default answers 0 2.0.0 to every
recipient.  Each request dict also has "_conn", the number of the
connection it came on.  Nothing here talks to the network: a Unix socket.
"""
import os

from listener import Listener


def rcpt_count(req):
    return int(req.get("rcpt_count", "1"))


def recipients(req):
    """The recipient addresses of a request, in order."""
    return [req["recipient"]] + [req["recipient.%d" % i]
                                 for i in range(1, rcpt_count(req))]


def _decode(v):
    out, i = bytearray(), 0
    b = v.encode("latin-1", "replace")
    while i < len(b):
        if b[i] == 0x25 and i + 3 <= len(b):
            try:
                out.append(int(b[i + 1:i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(b[i])
        i += 1
    return out.decode("utf-8", "replace")


def _encode(v):
    return "".join("%%%02X" % ord(c) if ord(c) < 32 or c in "%\x7f" else c
                   for c in str(v))


class FakeAgent(Listener):
    def __init__(self, path):
        self.path = path
        self.requests = []
        self.hold = False
        self.answer = lambda req: [(0, "2.0.0", "delivered by fakeagent")] \
            * rcpt_count(req)
        self._held = []             # (conn, req) waiting for release()
        Listener.__init__(self, unix=path)

    def _serve(self, c, n):
        buf = b""
        while True:
            try:
                data = c.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\n\n" in buf:
                raw, buf = buf.split(b"\n\n", 1)
                req = {"_conn": n}
                for line in raw.decode("utf-8", "replace").split("\n"):
                    if "=" in line:
                        k, v = line.split("=", 1)
                        req[k] = _decode(v)
                with self.lock:
                    self.requests.append(req)
                    if self.hold:
                        self._held.append((c, req))
                        continue
                self._reply(c, req)

    def _reply(self, c, req):
        ans = self.answer(req)
        extra = {}
        if isinstance(ans, dict):
            extra = {k: v for k, v in ans.items() if k != "rcpt"}
            ans = ans["rcpt"]
        lines = []
        for i, (status, dsn, reason) in enumerate(ans):
            sfx = "" if i == 0 else ".%d" % i
            lines += ["status%s=%d" % (sfx, status), "dsn%s=%s" % (sfx, dsn),
                      "reason%s=%s" % (sfx, _encode(reason))]
        lines += ["%s=%s" % (k, _encode(v)) for k, v in extra.items()]
        try:
            c.sendall(("\n".join(lines) + "\n\n").encode())
        except OSError:
            pass

    def held(self):
        with self.lock:
            return len(self._held)

    def release(self):
        """Answer every held request (in order) and stop holding."""
        with self.lock:
            self.hold = False
            held, self._held = self._held, []
        for c, req in held:
            self._reply(c, req)

    def close(self):
        Listener.close(self)
        try:
            os.unlink(self.path)
        except OSError:
            pass
