#!/usr/bin/env python3
# Early talkers: a client that sends the message before our 354 (the body
# pipelined past DATA) gets 554 5.5.0 and is disconnected, and nothing is
# queued; pipelining up to DATA (RFC 2920) stays fine.  A client that
# talks before the greeting (pregreet) gets 554 5.5.1 instead of 220: to
# be sure its bytes are there before the greeting is due, the test holds
# the service's only process (maxproc 1) with another session while it
# connects and talks.  Both apply to clients outside mynetworks
# (smtpd_forbid_unauth_pipelining): the test talks from 127.0.0.2; a
# client in mynetworks (a script, the seed's typed dialog) may pipeline.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import socket

one_port = free_port()
inst = Instance(master_extra="127.0.0.1:%d inet n - n - 1 smtpd\n" % one_port,
                main_cf={"mynetworks": "127.0.0.1/32"})
OUT = ("127.0.0.2", 0)


def connect(port):
    return socket.create_connection(("127.0.0.1", port), 15,
                                    source_address=OUT)


s = connect(inst.port)
like(recv_until(s, b"\r\n").decode(), "220 ", "greeting")
s.sendall(b"EHLO client.example\r\n")
recv_until(s, b"250 SMTPUTF8\r\n")
s.sendall(b"MAIL FROM:<ana@mired.org>\r\nRCPT TO:<bob@mired.org>\r\n"
          b"DATA\r\nSubject: early\r\n\r\nbody sent before 354\r\n.\r\n"
          b"QUIT\r\n")
out = recv_all(s)
like(out, "250 2.1.0", "MAIL pipelined is accepted")
like(out, "250 2.1.5", "RCPT pipelined is accepted")
like(out, "554 5.5.0 Error: improper command pipelining after DATA",
     "the body before 354 gets 554 5.5.0")
ok("354" not in out and "queued as" not in out,
   "no 354 and nothing queued")
ok("221" not in out, "the session ends there: QUIT is never read")
like(inst.read_log(), "improper command pipelining after DATA from",
     "the early talker is logged")

# Pipelining up to DATA, then waiting for 354, is what RFC 2920 allows.
s = connect(inst.port)
recv_until(s, b"\r\n")
s.sendall(b"EHLO client.example\r\n")
recv_until(s, b"250 SMTPUTF8\r\n")
s.sendall(b"MAIL FROM:<ana@mired.org>\r\nRCPT TO:<bob@mired.org>\r\nDATA\r\n")
like(recv_until(s, b"354 ").decode(), "354 End data",
     "MAIL, RCPT, DATA in one packet: 354")
s.sendall(b"Subject: on time\r\n\r\nbody\r\n.\r\nQUIT\r\n")
out = recv_all(s)
like(out, "250 2.0.0 Ok: queued as", "the message after 354 is queued")
ok(inst.wait_mail(1, "bob"), "it arrives")
is_(len(inst.mail_files("bob")), 1,
    "bob has only the message sent on time: the early one was not queued")

# Pregreet: the only process is busy with a, b connects and talks first.
a = connect(one_port)
like(recv_until(a, b"\r\n").decode(), "220 ", "the one-process service greets a")
b = connect(one_port)
b.sendall(b"EHLO bot.example\r\n")
a.sendall(b"QUIT\r\n")
recv_all(a)
out = recv_all(b)
like(out, "554 5.5.1", "a client that talks before the greeting gets 554")
ok("220 " not in out and "250" not in out,
   "... no greeting, and its EHLO is never answered")
like(inst.read_log(), "PREGREET from", "the pregreet is logged")
c = connect(one_port)
like(recv_until(c, b"\r\n").decode(), "220 ", "a client that waits is greeted")
c.close()

# mynetworks may pipeline the whole dialog (nc < file).
s = socket.create_connection(("127.0.0.1", inst.port), 15)
s.sendall(b"HELO script.example\r\nMAIL FROM:<ana@mired.org>\r\n"
          b"RCPT TO:<ana@mired.org>\r\nDATA\r\nSubject: script\r\n\r\n"
          b"hola\r\n.\r\nQUIT\r\n")
like(recv_all(s), "250 2.0.0 Ok: queued as",
     "a client in mynetworks may send everything at once")
done()
