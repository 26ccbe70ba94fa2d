"""listener - the accepting half of the tests' fake servers (smtpsink's
Sink, fakeagent's FakeAgent): a socket on loopback or a Unix path, a
thread that accepts, counts and hands each connection to a thread of its
own running self._serve(conn, n), n the connection's number from 1.

    class Echo(Listener):
        def _serve(self, c, n): ...
    e = Echo(host="127.0.0.1")   # or Echo(unix="/path/sock"); e.port
    e.connections                # how many were accepted
    e.close()
"""
import os
import socket
import threading


class Listener:
    def __init__(self, host="127.0.0.1", port=0, unix=None, backlog=64):
        self.connections = 0
        self.lock = threading.Lock()
        self.stopped = False
        if unix:
            if os.path.exists(unix):
                os.unlink(unix)
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(unix)
            os.chmod(unix, 0o666)       # agents run as mail_owner
            self.port = None
        else:
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            self.sock = socket.socket(fam)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
            self.port = self.sock.getsockname()[1]
        self.sock.listen(backlog)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                n = self.connections
            threading.Thread(target=self._serve, args=(c, n),
                             daemon=True).start()

    def _serve(self, c, n):
        raise NotImplementedError("a Listener's subclass serves")

    def close(self):
        self.stopped = True
        try:
            self.sock.close()
        except OSError:
            pass
