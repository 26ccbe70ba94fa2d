"""stshttps - an HTTPS server on loopback that serves an MTA-STS policy,
for t/root_smtp_tlspolicy.t.

    web = PolicyServer("127.0.83.2", cert, key, port=443)
    web.site["mta-sts.mired.org"] = (200, "text/plain", policy_text)
    web.site["mta-sts.x.test"] = (404, "text/plain", "")   # or 301 (a
                                # Location is sent), 500; another type
    web.gets                    # [(path, Host header), ...] it was asked
    web.close()

A GET for a Host it has no entry for gets 404.

Port 443 needs root (the tests that use it are root_*.t).
"""
import http.server
import ssl
import threading


class PolicyServer:
    def __init__(self, host, cert, key, port=443):
        self.site = {}
        self.gets = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                host = self.headers.get("Host") or ""
                outer.gets.append((self.path, host))
                status, ctype, text = outer.site.get(
                    host, (404, "text/plain", "not here"))
                if self.path != "/.well-known/mta-sts.txt":
                    status, ctype, text = 404, "text/plain", "not here"
                body = text.encode()
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", "https://elsewhere.test/")
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        threading.Thread(target=self.httpd.serve_forever,
                         daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
