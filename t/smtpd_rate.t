#!/usr/bin/env python3
# Per authenticated user sending rates, counted by anvil per hour across
# sessions: smtpd_sasl_message_rate_limit at MAIL FROM and
# smtpd_sasl_recipient_rate_limit at RCPT TO, over them 450 4.7.1 and a
# warning in the log; another user and unauthenticated clients are not
# counted.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import smtplib

inst = Instance(main_cf={"smtpd_sasl_message_rate_limit": "2",
                         "smtpd_sasl_recipient_rate_limit": "3"})


def code(reply):
    return "%d %s" % (reply[0], reply[1].decode(errors="replace"))


def session(user):
    s = smtplib.SMTP("127.0.0.1", inst.port, timeout=15)
    s.ehlo("client.example")
    if user:
        s.login(user, user)
    return s


s = session("ana")
like(code(s.docmd("MAIL", "FROM:<ana@mired.org>")), "250", "message 1: MAIL")
like(code(s.docmd("RCPT", "TO:<bob@mired.org>")), "250", "recipient 1")
like(code(s.docmd("RCPT", "TO:<postmaster@mired.org>")), "250",
     "recipient 2")
s.docmd("RSET")
s.quit()
s = session("ana")
like(code(s.docmd("MAIL", "FROM:<ana@mired.org>")), "250",
     "message 2 (another session): MAIL")
like(code(s.docmd("RCPT", "TO:<bob@mired.org>")), "250", "recipient 3")
is_(code(s.docmd("RCPT", "TO:<postmaster@mired.org>")),
    "450 4.7.1 Error: recipient rate limit exceeded for user ana@mired.org",
    "recipient 4 of the hour: 450 4.7.1 recipient rate limit exceeded")
s.docmd("RSET")
is_(code(s.docmd("MAIL", "FROM:<ana@mired.org>")),
    "450 4.7.1 Error: message rate limit exceeded for user ana@mired.org",
    "message 3 of the hour: 450 4.7.1 message rate limit exceeded")
s.quit()

s = session("bob")
like(code(s.docmd("MAIL", "FROM:<bob@mired.org>")), "250",
     "bob is counted apart")
s.docmd("RSET")
s.quit()
s = session(None)
for i in range(3):
    s.docmd("MAIL", "FROM:<ana@mired.org>")
    like(code(s.docmd("RCPT", "TO:<bob@mired.org>")), "250",
         "unauthenticated (mynetworks) message %d is not counted" % (i + 1))
    s.docmd("RSET")
s.quit()
log = inst.read_log()
like(log, "warning: message rate limit exceeded: 3 in an hour from",
     "the message limit is logged as a warning")
like(log, "warning: recipient rate limit exceeded: 4 in an hour from",
     "the recipient limit is logged as a warning")
done()
