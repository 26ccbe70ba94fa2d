"""smtpsink - a scriptable SMTP/LMTP server on loopback, for tests of the
smtp and lmtp agents (t/smtp_agent.t) and of anything else that sends mail.

    sink = Sink(host="127.0.0.2", ext=["PIPELINING", "SIZE 1000000"])
    ... make cartero send to [127.0.0.2]:sink.port ...
    sink.wait_messages(1); sink.messages[0]["data"]     # bytes, CRLF lines

Sink(host="127.0.0.1", port=0, ext=DEFAULT_EXT, lmtp=False, unix=None,
     greeting="220 sink.test ESMTP", replies=None, tls=None,
     starttls_inject=b"", drop_in_data=False, greeting_delay=0,
     endless_reply=None, tls_break=False)
  ext             the EHLO keywords offered (a list of lines); [] for none.
  lmtp            speak LMTP: LHLO, one reply per recipient after the data.
  unix            a socket path to listen on instead of host:port.
  replies         {COMMAND: reply} for MAIL, RCPT, DATA, DOT (the end of
                  the data), EHLO, HELO, LHLO, RSET: a reply line (CRLF
                  added; "\\r\\n" inside makes a multi-line reply), or a
                  function of the command's argument giving one; "DROP"
                  closes the connection instead of replying; "HANG" never
                  answers.  For LMTP, DOT's function gets each recipient.
  tls             (certfile, keyfile): offer STARTTLS with them.
  starttls_inject bytes sent right after the 220 to STARTTLS, before the
                  handshake (what the client must discard).
  drop_in_data    close the connection after the first data line.
  greeting_delay  seconds to wait before the greeting.
  endless_reply   a line sent over and over as the reply to EHLO.
  (CHUNKING in ext: BDAT is taken, the message's dict says bdat=True.)
  tls_break       answer STARTTLS with 220, then garbage instead of a
                  handshake (a broken TLS server).

AUTH PLAIN and LOGIN are answered when ext offers "AUTH ..." (replies["AUTH"]
gives the final reply, "235 2.7.0 ok" by default); .auth records each
(mechanism, user, password, tls).

What it saw: .messages (dicts: helo, mail, rcpts, data, tls, conn, and
replies: the replies given to the end of the data, one per recipient in
LMTP; a message answered 4xx/5xx there is in .messages too),
.commands (every command line, as text), .connections (count), .port.
wait_messages(n) waits (20 s at most) for n messages.  close() stops it.
"""
import ssl
import time

from listener import Listener

DEFAULT_EXT = ["PIPELINING", "SIZE 10240000", "8BITMIME", "ENHANCEDSTATUSCODES"]


class Sink(Listener):
    def __init__(self, host="127.0.0.1", port=0, ext=None, lmtp=False,
                 unix=None, greeting="220 sink.test ESMTP", replies=None,
                 tls=None, starttls_inject=b"", drop_in_data=False,
                 greeting_delay=0, endless_reply=None, tls_break=False):
        self.ext = list(DEFAULT_EXT if ext is None else ext)
        self.lmtp, self.greeting = lmtp, greeting
        self.replies = dict(replies or {})
        self.tls, self.inject = tls, starttls_inject
        self.drop_in_data = drop_in_data
        self.greeting_delay = greeting_delay
        self.endless = endless_reply
        self.tls_break = tls_break
        self.messages, self.commands, self.auth = [], [], []
        Listener.__init__(self, host, port, unix, backlog=50)

    def wait_messages(self, n, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if len(self.messages) >= n:
                return True
            time.sleep(0.05)
        return False

    def _reply(self, f, cmd, arg, default):
        r = self.replies.get(cmd, default)
        if callable(r):
            r = r(arg)
        if r == "DROP":
            raise ConnectionError("drop")
        if r == "HANG":
            time.sleep(3600)
        f.write(r.encode() + b"\r\n")
        f.flush()
        return r

    def _serve(self, c, n):
        try:
            self._session(c, n)
        except (ConnectionError, OSError, ssl.SSLError, ValueError):
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    def _session(self, c, n):
        if self.greeting_delay:
            time.sleep(self.greeting_delay)
        f = c.makefile("rwb", buffering=0)
        f.write(self.greeting.encode() + b"\r\n")
        tls = False
        helo = None
        mail, rcpts, bdat = None, [], None
        while True:
            line = f.readline(4096)
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            with self.lock:
                self.commands.append(text)
            verb = text.split(" ", 1)[0].upper()
            arg = text[len(verb) + 1:] if " " in text else ""
            if verb in ("EHLO", "LHLO"):
                if self.endless:
                    while True:
                        f.write(self.endless.encode() + b"\r\n")
                helo = arg
                ext = list(self.ext)
                if self.tls and not tls:
                    ext.append("STARTTLS")
                lines = ["sink.test"] + ext
                text = "\r\n".join(("250-" if i < len(lines) - 1 else "250 ")
                                   + l for i, l in enumerate(lines))
                self._reply(f, verb, arg, text)
            elif verb == "HELO":
                helo = arg
                self._reply(f, verb, arg, "250 sink.test")
            elif verb == "STARTTLS" and self.tls and not tls:
                f.write(b"220 2.0.0 go ahead\r\n" + self.inject)
                if self.tls_break:
                    time.sleep(0.2)
                    f.write(b"this is not a TLS handshake\r\n" * 10)
                    return
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(*self.tls)
                c = ctx.wrap_socket(c, server_side=True)
                f = c.makefile("rwb", buffering=0)
                tls, helo = True, None
            elif verb == "AUTH":
                self._auth(f, arg, tls)
            elif verb == "MAIL":
                mail, rcpts = arg, []
                self._reply(f, verb, arg, "250 2.1.0 ok")
            elif verb == "RCPT":
                r = self.replies.get("RCPT", "250 2.1.5 ok")
                r = r(arg) if callable(r) else r
                if r.startswith("2"):
                    rcpts.append(arg)
                self._send(f, r)
            elif verb == "DATA":
                if not rcpts:
                    self._reply(f, "DATA", arg, "554 5.5.1 no valid recipients")
                    continue
                self._reply(f, "DATA", arg, "354 go ahead")
                data = b""
                while True:
                    l = f.readline(1 << 20)
                    if not l:
                        return
                    if self.drop_in_data:
                        return
                    if l == b".\r\n":
                        break
                    data += l
                self._done(f, {"helo": helo, "mail": mail, "rcpts": rcpts,
                               "data": data, "tls": tls, "conn": n})
                mail, rcpts = None, []
            elif verb == "BDAT":
                words = arg.split()
                size = int(words[0])
                chunk = b""
                while len(chunk) < size:
                    more = f.read(size - len(chunk))
                    if not more:
                        return
                    chunk += more
                bdat = (bdat or b"") + chunk
                if len(words) < 2 or words[1].upper() != "LAST":
                    f.write(b"250 2.0.0 chunk ok\r\n")
                    continue
                self._done(f, {"helo": helo, "mail": mail, "rcpts": rcpts,
                               "data": bdat, "tls": tls, "conn": n,
                               "bdat": True})
                mail, rcpts, bdat = None, [], None
            elif verb == "RSET":
                mail, rcpts = None, []
                self._reply(f, verb, arg, "250 2.0.0 ok")
            elif verb == "QUIT":
                f.write(b"221 2.0.0 bye\r\n")
                return
            elif verb == "NOOP":
                f.write(b"250 2.0.0 ok\r\n")
            else:
                f.write(b"502 5.5.2 unknown command\r\n")

    def _done(self, f, msg):
        """The end of a message: its reply (one per recipient in LMTP)."""
        if self.lmtp:
            msg["replies"] = [self._reply(f, "DOT", r, "250 2.0.0 ok")
                              for r in msg["rcpts"]]
        else:
            msg["replies"] = [self._reply(f, "DOT", None,
                                          "250 2.0.0 queued as SINK")]
        with self.lock:
            self.messages.append(msg)

    def _auth(self, f, arg, tls):
        import base64
        words = arg.split()
        mech = words[0].upper() if words else ""
        if mech == "PLAIN":
            resp = words[1] if len(words) > 1 else None
            if resp is None:
                f.write(b"334 \r\n")
                resp = f.readline(4096).decode().strip()
            parts = base64.b64decode(resp).split(b"\0")
            user, pw = parts[1].decode(), parts[2].decode()
        elif mech == "LOGIN":
            f.write(b"334 VXNlcm5hbWU6\r\n")
            user = base64.b64decode(f.readline(4096).strip()).decode()
            f.write(b"334 UGFzc3dvcmQ6\r\n")
            pw = base64.b64decode(f.readline(4096).strip()).decode()
        else:
            f.write(b"504 5.5.4 unknown mechanism\r\n")
            return
        with self.lock:
            self.auth.append((mech, user, pw, tls))
        self._reply(f, "AUTH", arg, "235 2.7.0 ok")

    def _send(self, f, r):
        if r == "DROP":
            raise ConnectionError("drop")
        f.write(r.encode() + b"\r\n")
