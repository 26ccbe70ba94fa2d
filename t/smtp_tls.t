#!/usr/bin/env python3
# STARTTLS (RFC 3207) and implicit TLS in smtpd: smtplib, openssl s_client
# and swaks; TLS 1.1 refused; input pipelined before the handshake is
# discarded (STARTTLS injection); smtpd_tls_security_level = encrypt; a
# missing certificate means no STARTTLS (and a fatal error in wrapper
# mode); a new certificate is served after `cartero reload`.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import shutil
import smtplib
import socket
import ssl
import subprocess
import time
import warnings

warnings.simplefilter("ignore", DeprecationWarning)


def read_reply(f):
    """One SMTP reply (all its lines) from a file object, as text."""
    lines = []
    while True:
        line = f.readline().decode(errors="replace")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return "".join(lines)


def ehlo_lines(port):
    s = smtplib.SMTP("127.0.0.1", port, timeout=10)
    code, text = s.ehlo("client.mired.org")
    s.quit()
    return text.decode()


def send_plain_mail(port, subject, **kw):
    s = smtplib.SMTP("127.0.0.1", port, timeout=10)
    s.ehlo("client.mired.org")
    s.starttls(context=client_ctx())
    s.ehlo("client.mired.org")
    s.sendmail("bob@mired.org", ["ana@mired.org"],
               "Subject: %s\r\n\r\nhola\r\n" % subject)
    s.quit()


(wrap_port, enc_port), extra = services(
    "smtpd -o smtpd_tls_wrappermode=yes",
    "smtpd -o smtpd_tls_security_level=encrypt")
inst = Instance(master_extra=extra)
wait_for(lambda: inst.listening(), 10)

# EHLO in plaintext offers STARTTLS.
text = ehlo_lines(inst.port)
like(text, "STARTTLS", "EHLO offers STARTTLS")

# smtplib: STARTTLS, then the message.
s = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
s.ehlo("client.mired.org")
code, msg = s.starttls(context=client_ctx())
is_(code, 220, "STARTTLS is answered 220")
like(msg.decode(), "2.0.0 Ready to start TLS", "... Ready to start TLS")
ok(s.sock.version() in ("TLSv1.2", "TLSv1.3"), "TLS 1.2 or 1.3 (%s)" %
   s.sock.version())
code, text = s.ehlo("client.mired.org")
ok("STARTTLS" not in text.decode(), "EHLO under TLS no longer offers STARTTLS")
code, text = s.docmd("STARTTLS")
is_(code, 503, "a second STARTTLS gets 503")
s.sendmail("bob@mired.org", ["ana@mired.org"],
           "Subject: por TLS\r\n\r\nhola\r\n")
s.quit()
ok(inst.wait_mail(1), "the message sent under STARTTLS arrives")
text = message_text(inst.new_mail()[0]) if inst.new_mail() else ""
like(text, "with ESMTPS id", "Received: says ESMTPS (RFC 3848)")
like(text, "(using TLSv1.3 with cipher TLS_", "Received: names the TLS version and cipher")
log = inst.read_log()
like(log, "TLS connection established from", "the TLS session is logged")
like(log, "starttls=1", "the disconnect line counts starttls")

# openssl s_client -starttls smtp
r = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect",
                     "127.0.0.1:%d" % inst.port, "-servername", "mail.mired.org",
                    "-quiet"],
                   input="EHLO sclient.mired.org\r\nQUIT\r\n", capture_output=True,
                   text=True, timeout=20)
like(r.stdout, "250-mail.mired.org", "openssl s_client -starttls smtp: EHLO answered under TLS")
like(r.stdout, "221 2.0.0", "... and QUIT")
r = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect",
                    "127.0.0.1:%d" % inst.port, "-brief"],
                   input="QUIT\r\n", capture_output=True, text=True, timeout=20)
like(r.stderr, "CN = mail.mired.org", "the certificate is mkcert's for mail.mired.org")

# TLS 1.1 (and older) is refused in the handshake.
ctx = client_ctx()
ctx.set_ciphers("ALL:@SECLEVEL=0")
ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
ctx.maximum_version = ssl.TLSVersion.TLSv1_1
s = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
s.ehlo("old.mired.org")
try:
    s.starttls(context=ctx)
    ok(False, "a TLS 1.1 client is refused")
except (ssl.SSLError, OSError, smtplib.SMTPException) as e:
    ok(True, "a TLS 1.1 client is refused (%s)" % type(e).__name__)
ok(wait_for(lambda: "unsupported protocol" in inst.read_log(), 5),
   "the log says unsupported protocol")
r = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-tls1_1",
                    "-cipher", "ALL:@SECLEVEL=0", "-connect",
                    "127.0.0.1:%d" % inst.port],
                   input="", capture_output=True, text=True, timeout=20)
ok(r.returncode != 0, "openssl s_client -tls1_1 fails too")

# STARTTLS injection: commands pipelined after STARTTLS, in the same
# write, are plaintext a man in the middle could have added: dropped.
raw = socket.create_connection(("127.0.0.1", inst.port), 10)
f = raw.makefile("rb")
read_reply(f)
raw.sendall(b"EHLO inject.mired.org\r\n")
read_reply(f)
raw.sendall(b"STARTTLS\r\nRSET\r\n")
like(read_reply(f), "220 2.0.0", "STARTTLS with RSET pipelined: 220")
f.close()
tls = client_ctx().wrap_socket(raw)
tf = tls.makefile("rb")
tls.sendall(b"MAIL FROM:<bob@mired.org>\r\n")
first = read_reply(tf)
like(first, "503 5.5.1", "the pipelined RSET is not answered; MAIL needs a new EHLO")
tls.sendall(b"EHLO inject.mired.org\r\n")
like(read_reply(tf), "250-mail.mired.org", "then EHLO under TLS works")
tls.sendall(b"QUIT\r\n")
like(read_reply(tf), "221", "and QUIT")
tf.close()
tls.close()
ok(wait_for(lambda: "pipelined after STARTTLS" in inst.read_log(), 5),
   "the discarded bytes are logged")

# Implicit TLS (port 465 style): the handshake comes first.
s = smtplib.SMTP_SSL("127.0.0.1", wrap_port, timeout=10, context=client_ctx())
code, text = s.ehlo("wrapped.mired.org")
is_(code, 250, "smtpd_tls_wrappermode: EHLO after the handshake")
ok("STARTTLS" not in text.decode(), "... with no STARTTLS offered")
s.sendmail("bob@mired.org", ["ana@mired.org"], "Subject: implicito\r\n\r\nhola\r\n")
s.quit()
ok(inst.wait_mail(2), "mail over implicit TLS arrives")
texts = [message_text(p) for p in inst.new_mail()]
ok(any("Subject: implicito" in t and "with ESMTPS" in t for t in texts),
   "... with ESMTPS in Received:")
raw = socket.create_connection(("127.0.0.1", wrap_port), 10)
raw.sendall(b"EHLO plain.mired.org\r\n")
try:
    got = recv_all(raw, 10)
except OSError:
    got = ""
ok("250" not in got, "a plaintext client on the wrapper port gets no SMTP")

# smtpd_tls_security_level = encrypt: MAIL only after STARTTLS.
out = smtp_dialog(enc_port, ["EHLO client.mired.org",
                             "MAIL FROM:<bob@mired.org>", "QUIT"])
like(out, "530 5.7.0 Must issue a STARTTLS command first",
     "level encrypt: MAIL before STARTTLS gets 530 5.7.0")
ok("AUTH" not in out, "level encrypt: no AUTH before STARTTLS")
s = smtplib.SMTP("127.0.0.1", enc_port, timeout=10)
s.ehlo("client.mired.org")
s.starttls(context=client_ctx())
s.ehlo("client.mired.org")
code, text = s.mail("bob@mired.org")
is_(code, 250, "level encrypt: MAIL after STARTTLS is accepted")
s.quit()

# swaks --tls
if shutil.which("swaks"):
    r = subprocess.run(["swaks", "--to", "ana@mired.org", "--from",
                        "bob@mired.org", "--server", "127.0.0.1",
                        "--port", str(inst.port), "--tls",
                        "--header", "Subject: swaks tls"],
                       capture_output=True, text=True, timeout=60)
    is_(r.returncode, 0, "swaks --tls sends a message")
    like(r.stdout, "TLS started", "swaks says TLS started")
else:
    ok(True, "# SKIP swaks is not installed")
    ok(True, "# SKIP swaks is not installed")

# Reload: a new certificate is served by the processes master starts
# after `cartero reload` (it retires the old ones).
def peer_cert(port):
    c = client_ctx().wrap_socket(socket.create_connection(("127.0.0.1", port), 10))
    der = c.getpeercert(binary_form=True)
    c.close()
    return der

old = peer_cert(wrap_port)
subprocess.run([os.path.join(SRC, "tools", "mkcert"), "-f", inst.etc,
                "new.mired.org"], capture_output=True, check=True)
inst.run_ok("cartero", "reload")
new = old
for _ in range(100):
    try:
        new = peer_cert(wrap_port)
    except OSError:
        pass
    if new != old:
        break
    time.sleep(0.1)
ok(new != old, "after cartero reload the new certificate is served")
ok(b"new.mired.org" in new, "... the one mkcert made for new.mired.org")
inst.stop()

# No certificate: a warning, no STARTTLS, 454 if asked; wrapper mode stops.
w2 = free_port()
bare = Instance(cert=False, master_extra=(
    "127.0.0.1:%d inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n" % w2))
out = smtp_dialog(bare.port, ["EHLO client.mired.org", "STARTTLS", "QUIT"])
ok("250-STARTTLS" not in out, "without a certificate STARTTLS is not offered")
like(out, "454 4.7.0 TLS not available", "... and STARTTLS gets 454 4.7.0")
ok(wait_for(lambda: "serving without TLS" in bare.read_log(), 5),
   "the log warns that smtpd serves without TLS")
like(bare.read_log(), "cannot read tls_cert_file", "... naming the file it could not read")
try:
    recv_all(socket.create_connection(("127.0.0.1", w2), 5), 5)
except OSError:
    pass
ok(wait_for(lambda: "smtpd_tls_wrappermode = yes needs a certificate"
            in bare.read_log(), 10),
   "wrapper mode without a certificate stops with a clear message")
bare.stop()
done()
