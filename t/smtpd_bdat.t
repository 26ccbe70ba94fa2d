#!/usr/bin/env python3
# BDAT (CHUNKING, RFC 3030): advertised; a message in chunks, with a
# header line and a CRLF cut between chunks, arrives whole, with LF line
# ends in the queue and our Received: header; chunks pipelined in one
# packet, their content holding "QUIT" and "." lines, are content, never
# commands; a refused chunk (no MAIL) is read and dropped, its bytes never
# taken for commands; DATA after BDAT gets 503; a bad BDAT line 501 and
# the end of the session.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import socket

small_port = free_port()
inst = Instance(master_extra="127.0.0.1:%d inet n - n - - smtpd "
                "-o message_size_limit=100\n" % small_port)


def conn(port=None):
    s = socket.create_connection(("127.0.0.1", port or inst.port), 15)
    recv_until(s, b"\r\n")
    s.sendall(b"EHLO client.example\r\n")
    return s, recv_until(s, b"250 SMTPUTF8\r\n").decode()


def replies(s, n):
    """n replies (single-line ones) as a list."""
    got = recv_until(s, b"\r\n", count=n)
    return got.decode(errors="replace").split("\r\n")[:n]


s, ehlo = conn()
like(ehlo, "250-CHUNKING", "EHLO advertises CHUNKING")
part1 = b"Subject: en tro"
part2 = b"zos\r\nX-Test: bdat\r"
part3 = b"\n\r\nlinea uno\r\nQUIT\r\n.\r\nlinea final\r\n"
s.sendall(b"MAIL FROM:<ana@mired.org>\r\nRCPT TO:<bob@mired.org>\r\n")
s.sendall(b"BDAT %d\r\n" % len(part1) + part1)
s.sendall(b"BDAT %d\r\n" % len(part2) + part2 +
          b"BDAT %d LAST\r\n" % len(part3) + part3)
r = replies(s, 5)
like(r[0], "250 2.1.0", "MAIL")
like(r[1], "250 2.1.5", "RCPT")
is_(r[2], "250 2.0.0 Ok: %d octets received" % len(part1),
    "the first chunk: 250 with its size")
is_(r[3], "250 2.0.0 Ok: %d octets received" % len(part2),
    "the second chunk, pipelined with the last")
like(r[4], "250 2.0.0 Ok: queued as", "the LAST chunk: queued")
s.sendall(b"NOOP\r\n")
is_(replies(s, 1)[0], "250 2.0.0 Ok",
    "the QUIT inside the chunk was content: the session goes on")
ok(inst.wait_mail(1, "bob"), "the message arrives")
text = message_text(inst.new_mail("bob")[0]) if inst.new_mail("bob") else ""
like(text, "Subject: en trozos\n", "a header cut between chunks is whole")
like(text, "X-Test: bdat\n", "the header cut after its CR ends there")
like(text, "\n\nlinea uno\nQUIT\n.\nlinea final\n",
     "a CRLF cut between chunks is one line end; QUIT and . are content")
like(text, "Received: from client.example", "our Received: header is first")
ok("\r" not in text, "no CR is left (LF line ends)")

# Refused chunks are read and dropped.
evil = b"MAIL FROM:<x@evil.test>\r\n"
s.sendall(b"BDAT %d\r\n" % len(evil) + evil + b"NOOP\r\n")
r = replies(s, 2)
like(r[0], "503 5.5.1 Error: need MAIL command", "BDAT without MAIL: 503")
is_(r[1], "250 2.0.0 Ok",
    "... and its bytes (a MAIL command) were not taken for a command")
s.sendall(b"MAIL FROM:<ana@mired.org>\r\nRCPT TO:<bob@mired.org>\r\n"
          b"BDAT 5\r\nabc\r\nDATA\r\n")
r = replies(s, 4)
like(r[3], "503 5.5.1 Error: DATA after BDAT", "DATA after BDAT: 503")
s.sendall(b"BDAT 0 LAST\r\n")
like(replies(s, 1)[0], "250 2.0.0 Ok: queued as", "BDAT 0 LAST ends it")
ok(inst.wait_mail(2, "bob"), "the second message arrives")
# message_size_limit counts the chunks as they come.
t, _ = conn(small_port)
t.sendall(b"MAIL FROM:<ana@mired.org>\r\nRCPT TO:<bob@mired.org>\r\n"
          b"BDAT 80\r\n" + b"x" * 78 + b"\r\n" +
          b"BDAT 80 LAST\r\n" + b"y" * 78 + b"\r\nNOOP\r\n")
r = replies(t, 5)
like(r[3], "552 5.3.4 Message size exceeds fixed limit",
     "message_size_limit: 160 bytes in two chunks get 552 5.3.4")
is_(r[4], "250 2.0.0 Ok", "... after the whole chunk was read")
t.close()
s.sendall(b"BDAT 1x\r\nRSET\r\n")
out = recv_all(s)
like(out, "501 5.5.4 Syntax: BDAT count [LAST]", "a bad BDAT line: 501")
ok("250" not in out, "... and the session ends: RSET is never read")
ok(wait_for(lambda: "bdat=" in inst.read_log(), 10),
   "the disconnect line counts BDAT commands")
done()
