#!/usr/bin/env python3
# smtpd's refusals: unknown user, size limit, relay refusal, long lines,
# sequence errors, too many errors, timeouts; and nothing queued by them.
import os, sys, smtplib, socket, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

inst = Instance(main_cf={"message_size_limit": "20000",
                         "smtpd_timeout": "3s",
                         "smtpd_hard_error_limit": "8",
                         "smtpd_soft_error_limit": "6"})

c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
reply_is(c.ehlo("client.mired.org"), 250, "EHLO")
like(c.esmtp_features.get("size", ""), "20000", "SIZE announces message_size_limit")
c.mail("bob@mired.org")
reply_is(c.rcpt("nosuchuser@mired.org"), 550,
         "an unknown local user is refused at RCPT", "5.1.1")
reply_is(c.rcpt("ana@mired.org"), 250, "a known user is accepted")
reply_is(c.rcpt("ANA@Mired.ORG"), 250, "case does not matter")
reply_is(c.rcpt("ana+lists@mired.org"), 250,
         "an address extension is accepted")
c.rset()
reply_is(c.mail("bob@mired.org", ["SIZE=999999"]), 552,
         "MAIL with SIZE over the limit is refused", "5.3.4")
c.rset()
c.mail("bob@mired.org")
c.rcpt("ana@mired.org")
try:
    code, msg = c.data("Subject: big\r\n\r\n" + ("x" * 70 + "\r\n") * 400)
except smtplib.SMTPDataError as e:
    code, msg = e.smtp_code, e.smtp_error
is_(code, 552, "a message over message_size_limit is refused after DATA")
like(msg.decode(), "5.3.4", "with 5.3.4")
reply_is(c.docmd("X" * 1200), 500,
         "a command line over 1000 octets is refused", "5.5.2")
reply_is(c.noop(), 250, "and the dialog stays in step")
reply_is(c.docmd("DATA"), 503, "DATA without recipients is a sequence error")
reply_is(c.docmd("BOGUS"), 500, "an unknown command gets 500")
c.close()
time.sleep(0.5)
is_(inst.new_mail(), [], "nothing refused was delivered")

# Relay: from mynetworks mail to another domain is accepted (and waits in
# the queue); from outside it is refused.
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.ehlo("client")
c.mail("bob@mired.org")
reply_is(c.rcpt("someone@example.com"), 250,
         "a client in mynetworks may relay")
c.quit()

outside = Instance(main_cf={"mynetworks": "192.0.2.0/24"})
c = smtplib.SMTP("127.0.0.1", outside.port, timeout=10)
c.ehlo("client")
c.mail("bob@mired.org")
code, msg = c.rcpt("someone@example.com")
is_(code, 554, "a client outside mynetworks may not relay")
like(msg.decode(), "5.7.1", "with 5.7.1")
like(msg.decode(), "Relay access denied", "saying Relay access denied")
reply_is(c.rcpt("ana@mired.org"), 250, "but may still send to local users")
c.quit()
outside.cleanup()

# Too many errors: 421 and the connection closes.
s = socket.create_connection(("127.0.0.1", inst.port), 10)
s.recv(4096)
s.sendall(b"".join(b"BAD%d\r\n" % i for i in range(10)))
like(recv_all(s), "421 4.7.0", "too many errors end the session with 421")

# A silent client is timed out.
s = socket.create_connection(("127.0.0.1", inst.port), 10)
like(recv_all(s), "421 4.4.2", "a silent client gets 421 4.4.2 after smtpd_timeout")
done()
