#!/usr/bin/env python3
# The seed's telnet SMTP dialog, typed verbatim over a raw socket, delivers
# into ana's Maildir; the same commands ending in bare LF (nc) work too.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

inst = Instance()
dialog = [
    "EHLO correo.mired.org",
    "MAIL FROM:<bob@mired.org>",
    "RCPT TO:<ana@mired.org>",
    "DATA",
    "Subject: asunto",
    "",
    "Texto del mensaje",
    "",
    ".",
    "QUIT",
]
out = smtp_dialog(inst.port, dialog)
note(out)
for sub, name in [
        ("220 ", "the greeting is 220"),
        ("250-PIPELINING", "EHLO lists PIPELINING"),
        ("250-SIZE", "EHLO lists SIZE"),
        ("8BITMIME", "EHLO lists 8BITMIME"),
        ("ENHANCEDSTATUSCODES", "EHLO lists ENHANCEDSTATUSCODES"),
        ("SMTPUTF8", "EHLO lists SMTPUTF8"),
        ("354 ", "DATA is answered 354"),
        ("250 2.0.0 Ok: queued as ", "the message is queued with its id"),
        ("221 2.0.0", "QUIT says goodbye")]:
    like(out, sub, name)
ok(inst.wait_mail(1), "the message arrives in ana's Maildir/new")
files = inst.new_mail()
text = message_text(files[0]) if files else ""
for sub, name in [
        ("Subject: asunto", "with its subject"),
        ("\nTexto del mensaje\n", "and its body, in LF form"),
        ("Received: from correo.mired.org",
         "a Received: header names the HELO"),
        ("Return-Path: <bob@mired.org>", "Return-Path records the sender"),
        ("Delivered-To: ana@mired.org", "Delivered-To records the recipient"),
        ("Message-ID: <", "a Message-ID: was added for a local client"),
        ("\nDate: ", "a Date: was added for a local client")]:
    like(text, sub, name)
mode = os.stat(inst.maildir()).st_mode & 0o777
is_(mode, 0o700, "the Maildir is mode 0700")
for folder in (".Drafts", ".Sent", ".Trash", ".Junk", ".Templates"):
    ok(os.path.isdir(os.path.join(inst.maildir(), folder, "cur")),
       "the folder %s was created on first delivery" % folder)

# The same dialog as nc sends it: bare LF after each command.  Only
# CRLF.CRLF ends DATA, so the end of the message is typed with CRLF.
import socket, time
s = socket.create_connection(("127.0.0.1", inst.port), 10)
s.recv(4096)
for line in ["HELO nc.mired.org", "MAIL FROM:<bob@mired.org>",
             "RCPT TO:<ana@mired.org>", "DATA"]:
    s.sendall(line.encode() + b"\n")
    time.sleep(0.05)
s.sendall(b"Subject: por nc\nline one\n.\nstill inside\r\n.\r\nQUIT\n")
got = recv_all(s)
note(got)
ok(got.count("250 ") >= 3, "commands ending in bare LF are accepted")
like(got, "queued as", "the message is queued")
ok(inst.wait_mail(2), "and delivered")
texts = [message_text(f) for f in inst.new_mail()]
mine = [t for t in texts if "por nc" in t]
ok(mine and "still inside" in mine[0],
   "a bare-LF dot line does not end DATA (no SMTP smuggling)")
done()
