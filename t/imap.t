#!/usr/bin/env python3
# imapd: the seed's telnet IMAP dialog (with ". LOGIN ana ana"; the seed's
# literal "LOGIN usuario PASSWORD contraseña" gets a clear BAD), both login
# forms, LOGIN and AUTHENTICATE (PLAIN with SASL-IR, LOGIN), imaplib in
# plaintext, after STARTTLS and on the implicit-TLS port; every FETCH item
# on a multipart message; SEARCH keys; STORE COPY MOVE EXPUNGE with
# UIDPLUS; APPEND with literals (synchronising, LITERAL+, too big refused
# before it is sent, NUL refused); folders with a modified UTF-7 name and
# names that try to leave the Maildir; LIST-EXTENDED, LIST-STATUS,
# SPECIAL-USE, NAMESPACE, QUOTA, CONDSTORE; two sessions and a delivery
# seeing each other's changes at the points RFC 3501 allows; IDLE within a
# second; delivery, POP3 and IMAP at once keeping the UID list whole; bad
# input, the error limit and the autologout timer.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import base64
import glob
import imaplib
import poplib
import re
import smtplib
import socket
import ssl
import threading
import time


def deliver(subject, body, user="ana", headers="", wait=True):
    before = len(all_files(user))
    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
    c.sendmail("bob@mired.org", ["%s@mired.org" % user],
               "From: Bob <bob@mired.org>\r\nTo: %s@mired.org\r\n"
               "Subject: %s\r\n%s\r\n%s" % (user, subject, headers, body))
    c.quit()
    if wait:
        wait_for(lambda: len(all_files(user)) > before, 20)


def all_files(user="ana"):
    md = inst.maildir(user)
    return (glob.glob(os.path.join(md, "new", "*")) +
            glob.glob(os.path.join(md, "cur", "*")))


def connect(user="ana"):
    m = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=10)
    m.login(user, "ana")
    return m


def uidlist(folder=""):
    path = os.path.join(inst.maildir(), folder, "cartero-uidlist")
    with open(path) as f:
        return f.read()


pop_port = free_port()
inst = Instance(main_cf={"auth_failure_delay": "1s",
                         "imapd_literal_max": "1000000",
                         "mailbox_size_limit": "51200000"},
                master_extra="127.0.0.1:%d inet n - n - - pop3d\n"
                % pop_port)
wait_for(lambda: inst.listening(), 10)

deliver("uno", "primero\r\n")
deliver("dos", "segundo\r\n")
deliver("tres", "tercero\r\nlinea dos\r\n")
ok(len(all_files()) == 3, "three messages delivered to ana")

# --- The seed's dialog (telnet: CRLF; nc: bare LF). ---
for eol, form in (("\r\n", "telnet"), ("\n", "nc")):
    r = ImapRaw(inst.imap_port)
    like(r.greeting, "* OK [CAPABILITY IMAP4rev1", "%s: greeting" % form)
    out = r.cmd(". LOGIN usuario PASSWORD contraseña", eol)
    like(out[-1], ". BAD LOGIN takes two arguments",
         "%s: the seed's literal LOGIN line gets a clear BAD" % form)
    out = r.cmd(". LOGIN ana ana", eol)
    like(out[-1], ". OK [CAPABILITY", "%s: . LOGIN ana ana" % form)
    out = r.cmd('. LIST "" "*"', eol)
    ok(any('"INBOX"' in l for l in out) and any('"Sent"' in l for l in out),
       "%s: LIST shows INBOX and Sent" % form)
    out = r.cmd(". STATUS INBOX (messages)", eol)
    like(out[0], "(MESSAGES 3)", "%s: STATUS INBOX (messages)" % form)
    out = r.cmd(". SELECT INBOX", eol)
    ok("* 3 EXISTS\r\n" in out and out[-1].startswith(". OK [READ-WRITE]"),
       "%s: SELECT INBOX: 3 EXISTS, READ-WRITE" % form)
    out = r.cmd(". FETCH 1:3 FLAGS", eol)
    is_(len([l for l in out if " FETCH (FLAGS (" in l]), 3,
        "%s: FETCH 1:3 FLAGS: three responses" % form)
    out = r.cmd(". FETCH 1 (body[header.fields (subject)])", eol)
    is_(out[1:3], ["Subject: uno\r\n", "\r\n"],
        "%s: FETCH 1 (body[header.fields (subject)])" % form)
    out = r.cmd(". FETCH 1 rfc822.text", eol)
    like(out[0], "RFC822.TEXT {9}", "%s: FETCH 1 rfc822.text: a literal" %
         form)
    is_(out[1], "primero\r\n", "%s: ... the body" % form)
    out = r.cmd(". LOGOUT", eol)
    is_([out[0][:5], out[-1][:4]], ["* BYE", ". OK"], "%s: LOGOUT" % form)
    r.close()

# --- Logins: both forms, LOGIN and AUTHENTICATE, failures. ---
for user in ("ana", "ana@mired.org"):
    m = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=10)
    typ, data = m.login(user, "ana")
    is_(typ, "OK", "imaplib LOGIN as %s" % user)
    is_(m.select()[1], [b"3"], "... and SELECT shows 3 messages")
    m.logout()
m = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=10)
try:
    m.login("ana", "wrong")
    ok(False, "a wrong password is refused")
except imaplib.IMAP4.error as e:
    like(str(e), "AUTHENTICATIONFAILED", "a wrong password: NO "
         "[AUTHENTICATIONFAILED]")
typ, data = m.authenticate("LOGIN", lambda ch: b"ana@mired.org"
                           if b"User" in base64.b64decode(ch or b"") or
                           ch == b"Username:" else b"ana")
is_(typ, "OK", "AUTHENTICATE LOGIN")
m.logout()
r = ImapRaw(inst.imap_port)
plain = base64.b64encode(b"\0ana\0ana").decode()
out = r.cmd("a AUTHENTICATE PLAIN %s" % plain)
like(out[-1], "a OK [CAPABILITY", "AUTHENTICATE PLAIN with an initial "
     "response (SASL-IR)")
r.close()
r = ImapRaw(inst.imap_port)
out = r.cmd("a AUTHENTICATE PLAIN")
is_(out[-1], "+ \r\n", "AUTHENTICATE PLAIN: an empty challenge")
r.send("*\r\n")
like(r.until("a")[-1], "a BAD", "... '*' aborts it")
out = r.cmd("b SELECT INBOX")
like(out[-1], "b BAD Log in first", "SELECT before login: BAD")
out = r.cmd("c LOGIN {3}")
is_(out[-1], "+ Ready for literal data\r\n", "LOGIN with a literal user "
    "name: a continuation")
r.send("ana {3+}\r\nana\r\n")
like(r.until("c")[-1], "c OK", "... and a LITERAL+ password")
r.close()

# --- TLS: STARTTLS and the implicit-TLS port. ---
m = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=10)
ok("STARTTLS" in m.capabilities, "STARTTLS is offered")
m.starttls(ssl_context=client_ctx())
m._get_capabilities()
ok("STARTTLS" not in m.capabilities, "... and not after it")
m.login("ana", "ana")
is_(m.select()[1], [b"3"], "imaplib after STARTTLS: SELECT")
typ, data = m.fetch("2", "(BODY.PEEK[TEXT])")
is_(data[0][1], b"segundo\r\n", "... FETCH through the TLS relay")
m.logout()
m = imaplib.IMAP4_SSL("127.0.0.1", inst.imaps_port, ssl_context=client_ctx(),
                      timeout=10)
m.login("ana@mired.org", "ana")
is_(m.select()[1], [b"3"], "IMAP4_SSL on the implicit-TLS port")
m.logout()

# --- FETCH items on a multipart message. ---
multipart = (
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    "Cc: Carla <carla@mired.org>\r\n"
    "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n")
body = ("preamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Hola se=C3=B1or\r\n--XX\r\n"
        "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
        "Content-Disposition: attachment; filename=\"a.bin\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--XX--\r\n")
deliver("=?UTF-8?Q?ma=C3=B1ana?= adjunto", body, headers=multipart)
m = connect()
m.select()
typ, data = m.fetch("4", "(BODY.PEEK[] RFC822.SIZE)")
full = data[0][1]
size = int(re.search(rb"RFC822\.SIZE (\d+)", data[0][0] + data[1]
                     if isinstance(data[1], bytes) else data[0][0]).group(1))
is_(size, len(full), "RFC822.SIZE is the length of BODY[] (CRLF octets)")
ok(b"\n" not in full.replace(b"\r\n", b""), "BODY[] has CRLF line ends "
   "(the Maildir file has LF)")
typ, data = m.fetch("4", "(ENVELOPE)")
like(data[0].decode(), '"=?UTF-8?Q?ma=C3=B1ana?= adjunto"',
     "ENVELOPE: the subject as written")
like(data[0].decode(), '(("Carla" NIL "carla" "mired.org"))',
     "ENVELOPE: the Cc address")
typ, data = m.fetch("4", "(BODYSTRUCTURE)")
bs = data[0].decode()
like(bs, '("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable"',
     "BODYSTRUCTURE: the text part")
like(bs, '"mixed" ("boundary" "XX")', "BODYSTRUCTURE: multipart/mixed "
     "with its parameters")
like(bs, '("attachment" ("filename" "a.bin"))', "BODYSTRUCTURE: the "
     "disposition")
typ, data = m.fetch("4", "(BODY)")
ok("BODY (" in data[0].decode() and "attachment" not in data[0].decode(),
   "BODY: no extension data")
typ, data = m.fetch("4", "(BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[2])")
is_(data[0][1], b"Hola se=C3=B1or", "BODY[1]")
like(data[1][1].decode(), "Content-Disposition: attachment",
     "BODY[2.MIME]")
is_(data[2][1], b"AAECAw==", "BODY[2]")
typ, data = m.fetch("4", "(BODY.PEEK[HEADER.FIELDS.NOT (Received "
                    "Return-Path Delivered-To Message-ID Date From To Cc "
                    "MIME-Version Content-Type)])")
is_(data[0][1], b"Subject: =?UTF-8?Q?ma=C3=B1ana?= adjunto\r\n\r\n",
    "BODY[HEADER.FIELDS.NOT (...)]")
typ, data = m.fetch("4", "(BODY.PEEK[]<0.10> BODY.PEEK[TEXT]<2.4>)")
is_([data[0][1], data[1][1]], [full[:10], b"eamb"],
    "partial fetches <0.10> and <2.4>")
like(data[0][0].decode(), "BODY[]<0> {10}", "... named BODY[]<0>")
typ, data = m.fetch("4", "(RFC822.HEADER)")
ok(full.startswith(data[0][1]) and data[0][1].endswith(b"\r\n\r\n"),
   "RFC822.HEADER")
typ, data = m.fetch("4", "FLAGS")
ok("\\Seen" not in data[0].decode(), "PEEK left \\Seen alone")
typ, data = m.fetch("4", "(BODY[TEXT])")
like(data[0][0].decode(), "\\Seen", "BODY[TEXT] sets \\Seen, and FLAGS "
     "come with it")
typ, data = m.fetch("4", "(RFC822)")
is_(data[0][1], full, "RFC822 is the whole message")
typ, data = m.fetch("4", "(INTERNALDATE)")
ok(re.search(r'INTERNALDATE "\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d '
             r'[+-]\d{4}"', data[0].decode()),
   "INTERNALDATE in dd-Mon-yyyy hh:mm:ss +zzzz")
for macro, items in (("FAST", ("FLAGS", "INTERNALDATE", "RFC822.SIZE")),
                     ("ALL", ("FLAGS", "INTERNALDATE", "RFC822.SIZE",
                              "ENVELOPE")),
                     ("FULL", ("FLAGS", "INTERNALDATE", "RFC822.SIZE",
                               "ENVELOPE", "BODY ("))):
    typ, data = m.fetch("1", macro)
    ok(all(i in data[0].decode() for i in items), "FETCH %s" % macro)
typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
ok(all(b"UID " in d for d in data), "UID FETCH: every response has UID")
typ, data = m.fetch("4", "(BODY.PEEK[5])")
like(data[0].decode() if isinstance(data[0], bytes) else data[0][0].decode(),
     'BODY[5] ""', "a part that does not exist: an empty string")

# --- SEARCH. ---
def search(*crit, charset=None, literal=None):
    if literal is not None:
        m.literal = literal.encode()    # sent as the last argument
    typ, data = m.search(charset, *crit)
    return data[0].decode()

m.store("2", "+FLAGS", "(\\Flagged $Importante)")
is_(search("ALL"), "1 2 3 4", "SEARCH ALL")
is_(search("2:*"), "2 3 4", "SEARCH 2:*")
is_(search("UID", "3:*"), "3 4", "SEARCH UID 3:*")
is_(search("SUBJECT", "dos"), "2", "SEARCH SUBJECT")
is_(search("FROM", "bob@mired.org"), "1 2 3 4", "SEARCH FROM")
is_(search("TO", '"ana@mired"'), "1 2 3 4", "SEARCH TO")
is_(search("CC", "carla"), "4", "SEARCH CC")
is_(search("BCC", "nadie"), "", "SEARCH BCC (none)")
is_(search("HEADER", "Content-Type", "multipart"), "4", "SEARCH HEADER")
is_(search("HEADER", "MIME-Version", '""'), "4", "SEARCH HEADER field \"\" "
    "(the field exists)")
is_(search("BODY", "tercero"), "3", "SEARCH BODY")
is_(search("BODY", charset="UTF-8", literal="señor"), "4",
    "SEARCH CHARSET UTF-8 BODY in a quoted-printable part")
is_(search("SUBJECT", charset="UTF-8", literal="MAÑANA"), "4",
    "SEARCH SUBJECT matches an encoded word, in any case")
is_(search("TEXT", "segundo"), "2", "SEARCH TEXT (body)")
is_(search("TEXT", "carla"), "4", "SEARCH TEXT (header)")
is_(search("FLAGGED"), "2", "SEARCH FLAGGED")
is_(search("UNFLAGGED"), "1 3 4", "SEARCH UNFLAGGED")
is_(search("KEYWORD", "$Importante"), "2", "SEARCH KEYWORD")
is_(search("UNKEYWORD", "$Importante"), "1 3 4", "SEARCH UNKEYWORD")
is_(search("SEEN"), "1 4", "SEARCH SEEN")
is_(search("UNSEEN"), "2 3", "SEARCH UNSEEN")
is_(search("NOT", "SEEN"), "2 3", "SEARCH NOT")
is_(search("OR", "SUBJECT", "uno", "SUBJECT", "tres"), "1 3", "SEARCH OR")
is_(search("(", "OR", "SEEN", "FLAGGED", ")", "NOT", "4"), "1 2",
    "SEARCH with a parenthesised group and a sequence set")
is_(search("LARGER", "600"), "4", "SEARCH LARGER")
is_(search("SMALLER", "600"), "1 2 3", "SEARCH SMALLER")
today = time.strftime("%d-%b-%Y")
is_(search("ON", today), "1 2 3 4", "SEARCH ON today (internal date)")
is_(search("BEFORE", today), "", "SEARCH BEFORE today")
is_(search("SINCE", "1-Jan-2000"), "1 2 3 4", "SEARCH SINCE")
is_(search("SENTON", "1-Jul-2003"), "4", "SEARCH SENTON (the Date: field)")
is_(search("SENTBEFORE", "2-Jul-2003"), "4", "SEARCH SENTBEFORE")
is_(search("SENTSINCE", "2-Jul-2003"), "1 2 3", "SEARCH SENTSINCE")
is_(search("RECENT"), "4", "SEARCH RECENT (this session saw 4 first)")
is_(search("NEW"), "", "SEARCH NEW (4 is recent, but seen)")
is_(search("OLD"), "1 2 3", "SEARCH OLD")
typ, data = m.uid("SEARCH", "SUBJECT", "dos")
is_(data[0].decode(), "2", "UID SEARCH")
typ, data = m._simple_command("SEARCH", "RETURN", "(MIN MAX COUNT ALL)",
                              "UNSEEN")
resp = m.untagged_responses.pop("ESEARCH", [b""])[0].decode()
like(resp, "MIN 2 MAX 3 ALL 2:3 COUNT 2", "ESEARCH RETURN (MIN MAX COUNT "
     "ALL)")
typ, data = m.search("KOI8-R", "TEXT", "x")
like("%s %s" % (typ, data[0].decode()), "NO [BADCHARSET",
     "an unknown charset: NO [BADCHARSET]")
try:
    m.search(None, "NOSUCHKEY")
    ok(False, "an unknown search key is BAD")
except imaplib.IMAP4.error as e:
    like(str(e), "Invalid search", "an unknown search key: BAD")

# --- STORE, COPY, MOVE, EXPUNGE, UIDPLUS. ---
typ, data = m.store("1:2", "-FLAGS", "(\\Seen \\Flagged)")
ok(all("\\Seen" not in d.decode() for d in data), "STORE -FLAGS")
typ, data = m.store("1", "FLAGS.SILENT", "(\\Answered)")
is_(data, [None], "STORE FLAGS.SILENT: no FETCH back")
typ, data = m.fetch("1", "FLAGS")
like(data[0].decode(), "\\Answered", "... but the flag is set")
name = [os.path.basename(f) for f in all_files()
        if ":2,R" in os.path.basename(f)]
is_(len(name), 1, "\\Answered is the letter R in the file name")
m.create("Archivo")
typ, data = m.copy("1:2", "Archivo")
like(data[0].decode(), "[COPYUID ", "COPY answers COPYUID")
uv, src, dst = re.search(r"COPYUID (\d+) (\S+) (\S+)\]", data[0].decode()
                         ).groups()
is_((src, dst), ("1:2", "1:2"), "... source UIDs 1:2 became 1:2")
typ, data = m.status("Archivo", "(MESSAGES UIDVALIDITY)")
like(data[0].decode(), "UIDVALIDITY %s" % uv, "... in the folder's "
     "UIDVALIDITY")
typ, data = m._simple_command("MOVE", "3", "Archivo")
is_(typ, "OK", "MOVE")
is_(m.untagged_responses.pop("EXPUNGE", None), [b"3"], "... EXPUNGE of "
    "message 3 came with it")
is_(m.select()[1], [b"3"], "INBOX has three messages now")
typ, data = m.status("Archivo", "(MESSAGES)")
like(data[0].decode(), "MESSAGES 3", "Archivo has three")
typ, data = m.append("Archivo", "(\\Seen $Etiqueta)",
                     '"01-Feb-2020 10:00:00 +0100"',
                     b"Subject: anexado\r\n\r\nhola\r\n")
like(data[0].decode(), "[APPENDUID %s 4]" % uv, "APPEND: APPENDUID with the "
     "next UID")
m.select("Archivo")
typ, data = m.uid("FETCH", "4", "(FLAGS INTERNALDATE)")
like(data[0].decode(), '"01-Feb-2020 09:00:00 +0000"',
     "APPEND: the internal date (as the file's mtime)")
like(data[0].decode(), "$Etiqueta", "APPEND: with its keyword")
m.store("1:2", "+FLAGS", "\\Deleted")
typ, data = m.uid("EXPUNGE", "1")
is_(m.untagged_responses.pop("EXPUNGE", None), [b"1"], "UID EXPUNGE 1 "
    "removes only UID 1")
typ, data = m.expunge()
is_(data, [b"1"], "EXPUNGE removes the other \\Deleted one")
typ, data = m.uid("SEARCH", "ALL")
is_(data[0].decode(), "3 4", "UIDs 3 and 4 remain")
typ, data = m.copy("1", "NoExiste")
like("%s %s" % (typ, data[0].decode()), "NO [TRYCREATE]",
     "COPY to a missing folder: NO [TRYCREATE]")
m.close()

# --- Literals. ---
r = ImapRaw(inst.imap_port)
r.login()
r.send("a APPEND INBOX {2000000}\r\n")
like(r.until("a")[-1], "a NO [TOOBIG]", "a literal over imapd_literal_max is "
     "refused before it is sent")
r.send(b"b APPEND INBOX {16+}\r\nSubject: x\r\n\r\nab\r\n")
like(r.until("b")[-1], "b OK [APPENDUID", "APPEND with LITERAL+")
r.send(b"c APPEND INBOX {7+}\r\nab\0cd\r\n\r\n")
like(r.until("c")[-1], "c BAD NUL", "a NUL in a literal: BAD")
out = r.cmd("d NOOP")
is_(out, ["d OK NOOP completed.\r\n"], "... and the dialog stays in step")
r.send("e APPEND INBOX {25}\r\n")
is_(r.until("e"), ["+ Ready for literal data\r\n"], "a synchronising "
    "literal: '+' first")
r.send("Subject: sync\r\n\r\nhello\r\n\r\n")
like(r.until("e")[-1], "e OK [APPENDUID", "... then the APPEND")
r.close()

# --- Folders and names. ---
m = connect()
typ, data = m.create("Entw&APw-rfe")
is_(typ, "OK", "CREATE a modified UTF-7 name (Entwürfe)")
ok(os.path.isdir(os.path.join(inst.maildir(), ".Entw&APw-rfe", "cur")),
   "... a Maildir++ folder .Entw&APw-rfe with cur/")
ok(os.path.exists(os.path.join(inst.maildir(), ".Entw&APw-rfe",
                               "maildirfolder")), "... marked maildirfolder")
typ, data = m.select("Entw&APw-rfe")
is_(data[0], b"0", "SELECT an empty folder: 0 EXISTS")
typ, data = m.fetch("1:*", "(FLAGS)")
is_(typ, "OK", "FETCH 1:* in an empty folder: OK, nothing")
typ, data = m.search(None, "ALL")
is_((typ, data[0]), ("OK", b""), "SEARCH ALL in an empty folder: none")
try:
    typ, data = m.fetch("1:2", "(FLAGS)")
except imaplib.IMAP4.error as e:
    typ = "BAD"
is_(typ, "BAD", "FETCH 1:2 in an empty folder: BAD (no such messages)")
m.unselect()
home = os.path.dirname(inst.maildir())
before = sorted(os.listdir(home)), sorted(os.listdir(inst.maildir()))
for bad in ("../fuera", "a/b", "../../../../tmp/x", ".oculto", "x..y", "..",
            "~root", "bad&AGE-", "&Jjo", "tab\tname", "INBOX.hijo",
            "a\\b"):
    try:
        typ, data = m.create(bad)
    except imaplib.IMAP4.error as e:
        typ, data = "BAD", [str(e).encode()]
    ok(typ != "OK", "CREATE %r is refused (%s)" % (bad, data[0].decode()
                                                   if data else ""))
for bad in ("../fuera", "a/b"):
    typ, data = m.select(bad)
    is_(typ, "NO", "SELECT %r is refused" % bad)
    typ, data = m.rename("Archivo", bad)
    is_(typ, "NO", "RENAME to %r is refused" % bad)
after = sorted(os.listdir(home)), sorted(os.listdir(inst.maildir()))
is_(after, before, "nothing was made outside the Maildir, nor in it")
m.create("Proyectos.2024")
typ, data = m.list('""', "%")
text = "\n".join(d.decode() for d in data)
like(text, '(\\Noselect \\HasChildren) "." "Proyectos"',
     "LIST %: a parent that exists only through its child")
like(text, '(\\HasNoChildren \\Sent) "." "Sent"', "SPECIAL-USE \\Sent")
like(text, '"Entw&APw-rfe"', "LIST shows the UTF-7 name as stored")
typ, data = m.list("Proyectos.", "*")
is_([d.decode() for d in data], ['(\\HasNoChildren) "." "Proyectos.2024"'],
    "LIST with a reference")
typ, data = m.rename("Proyectos.2024", "Viejo.2024")
is_(typ, "OK", "RENAME")
typ, data = m.rename("Archivo", "Sent")
like(data[0].decode(), "ALREADYEXISTS", "RENAME onto an existing name: "
     "NO [ALREADYEXISTS]")
m.subscribe("Viejo.2024")
m.subscribe("Sent")
typ, data = m.lsub('""', "*")
is_(sorted(d.decode() for d in data), ['() "." "Sent"',
                                       '() "." "Viejo.2024"'], "LSUB")
typ, data = m._simple_command("LIST", "(SUBSCRIBED)", '""', '"*"')
resp = [d.decode() for d in m.untagged_responses.pop("LIST", [])]
ok(len(resp) == 2 and all("\\Subscribed" in x for x in resp),
   "LIST (SUBSCRIBED): LIST-EXTENDED selection")
typ, data = m._simple_command("LIST", '""', '"*"', "RETURN",
                              "(STATUS (MESSAGES UNSEEN))")
st = [d.decode() for d in m.untagged_responses.pop("STATUS", [])]
ok(any(x.startswith('"Archivo" (MESSAGES 2 UNSEEN') for x in st),
   "LIST ... RETURN (STATUS ...): LIST-STATUS")
m.untagged_responses.pop("LIST", None)
typ, data = m._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
resp = [d.decode() for d in m.untagged_responses.pop("LIST", [])]
is_(len(resp), 4, "LIST (SPECIAL-USE): Drafts Junk Sent Trash")
typ, data = m.delete("Viejo.2024")
is_(typ, "OK", "DELETE")
ok(not os.path.exists(os.path.join(inst.maildir(), ".Viejo.2024")),
   "... the directory is gone")
typ, data = m.delete("INBOX")
is_(typ, "NO", "DELETE INBOX is refused")
typ, data = m.namespace()
is_(data, [b'(("" ".")) NIL NIL'], "NAMESPACE")
typ, data = m.getquotaroot("INBOX")
like(str(data), "STORAGE", "GETQUOTAROOT: STORAGE from mailbox_size_limit")
like(str(data), " 50000)", "... 50000 KiB")
m.logout()

# --- CONDSTORE. ---
r = ImapRaw(inst.imap_port)
r.login()
like("".join(r.cmd("a ENABLE CONDSTORE")), "* ENABLED CONDSTORE",
     "ENABLE CONDSTORE")
out = r.cmd("b SELECT INBOX")
hms = int(re.search(r"HIGHESTMODSEQ (\d+)", "".join(out)).group(1))
out = r.cmd("c FETCH 1 (MODSEQ)")
ms = int(re.search(r"MODSEQ \((\d+)\)", out[0]).group(1))
out = r.cmd("d STORE 1 (UNCHANGEDSINCE %d) +FLAGS (\\Flagged)" % ms)
ms2 = int(re.search(r"MODSEQ \((\d+)\)", "".join(out)).group(1))
ok(ms2 > ms and ms2 > hms, "STORE UNCHANGEDSINCE: a new, higher MODSEQ")
out = r.cmd("e STORE 1 (UNCHANGEDSINCE %d) -FLAGS (\\Flagged)" % ms)
like(out[-1], "[MODIFIED 1]", "... a stale UNCHANGEDSINCE: [MODIFIED]")
out = r.cmd("f FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % (ms2 - 1))
is_(len([l for l in out if "FETCH" in l]), 1, "FETCH (CHANGEDSINCE): only "
    "what changed")
out = r.cmd("g SEARCH MODSEQ %d" % ms2)
like(out[0], "* SEARCH 1 (MODSEQ %d)" % ms2, "SEARCH MODSEQ")
r.close()

# --- Two sessions and a delivery. ---
a = connect()
b = connect()
a.select()
b.select()
n = int(b.select()[1][0])
b.store("1", "+FLAGS", "($Nuevo)")
a.untagged_responses.clear()
a.noop()
like(str(a.untagged_responses.get("FETCH")), "$Nuevo",
     "A hears B's STORE at NOOP: FETCH FLAGS")
deliver("cuatro", "cuarto\r\n")
a.untagged_responses.clear()
a.noop()
is_(a.untagged_responses.get("EXISTS"), [str(n + 1).encode()],
    "A hears the delivery at NOOP: EXISTS")
b.noop()
b.store("2", "+FLAGS", "(\\Deleted)")
b.expunge()
a.untagged_responses.clear()
typ, data = a.fetch("1:*", "(FLAGS)")
ok("EXPUNGE" not in a.untagged_responses, "no EXPUNGE while answering "
   "FETCH")
is_(len([d for d in data if b"FETCH" in d or b"FLAGS" in d]), n + 1,
    "... which still answers for every message it knew")
typ, data = a.search(None, "ALL")
ok("EXPUNGE" not in a.untagged_responses, "no EXPUNGE while answering "
   "SEARCH")
a.noop()
is_(a.untagged_responses.get("EXPUNGE"), [b"2"], "the EXPUNGE comes at "
    "NOOP")
a.logout()

# --- IDLE. ---
r = ImapRaw(inst.imap_port)
r.login()
r.cmd("a SELECT INBOX")
r.send("b IDLE\r\n")
is_(r.line(), "+ idling\r\n", "IDLE: a continuation")
t0 = time.time()
deliver("cinco", "quinto\r\n", wait=False)
r.s.settimeout(5)
line = r.line()
elapsed = time.time() - t0
like(line, " EXISTS", "IDLE: a delivery arrives as EXISTS")
ok(elapsed < 3, "... within a moment of the delivery (%.2fs)" % elapsed)
r.line()    # RECENT
t0 = time.time()
b.store("1", "-FLAGS", "(\\Flagged)")
line = r.line()
like(line, "FETCH (UID", "IDLE: another session's STORE arrives")
ok(time.time() - t0 < 1.5, "... within a second (%.2fs)" %
   (time.time() - t0))
b.store("1", "+FLAGS", "(\\Deleted)")
b.expunge()
like(r.line(), "* 1 EXPUNGE", "IDLE: an EXPUNGE arrives")
r.send("DONE\r\n")
like(r.until("b")[-1], "b OK", "DONE ends IDLE")
r.close()
b.logout()

# --- Delivery, POP3 and IMAP at once. ---
stop = threading.Event()
errors = []


def delivering():
    for i in range(15):
        try:
            deliver("carga %d" % i, "x\r\n", wait=False)
        except Exception as e:
            errors.append("smtp %s" % e)


def popping():
    while not stop.is_set():
        try:
            p = poplib.POP3("127.0.0.1", pop_port, timeout=10)
            p.user("ana")
            p.pass_("ana")
            count = len(p.list()[1])
            if count > 3:
                p.retr(count)
                p.dele(count - 1)
            p.quit()
        except poplib.error_proto as e:
            if b"IN-USE" not in str(e).encode():
                errors.append("pop %s" % e)
        except Exception as e:
            errors.append("pop %s" % e)
        time.sleep(0.05)


def imapping():
    try:
        c = connect()
        c.select()
        while not stop.is_set():
            c.noop()
            c.fetch("1:*", "(UID FLAGS)")
            c.store("1:*", "+FLAGS.SILENT", "(\\Seen)")
        c.logout()
    except Exception as e:
        errors.append("imap %s" % e)


threads = [threading.Thread(target=f) for f in (popping, imapping,
                                                 imapping)]
for t in threads:
    t.start()
delivering()
time.sleep(2)
stop.set()
for t in threads:
    t.join(30)
is_(errors, [], "delivery, POP3 and two IMAP sessions at once: no errors")
m = connect()
typ, data = m.select()
count = int(data[0])
typ, data = m.uid("SEARCH", "ALL")
uids = [int(x) for x in data[0].split()]
ok(uids == sorted(set(uids)), "UIDs are unique and ascending")
is_(len(uids), count, "every message has a UID")
recs = inst.uidlist_records()
files = [os.path.basename(f).split(":")[0] for f in all_files()]
is_(sorted(recs.values()), sorted(files), "the UID list matches the files "
    "exactly")
typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
ok(typ == "OK", "every message can be read")
m.logout()

# --- Bad input and the error limit. ---
r = ImapRaw(inst.imap_port)
r.login()
for text, want, name in (
        ("a FETCH 1 (FLAGS", "a BAD Unbalanced parentheses",
         "unbalanced parentheses"),
        ('b LIST "" "*', "b BAD Unbalanced quotes", "unbalanced quotes"),
        ("c FETCH 1:x FLAGS", "c BAD", "no mailbox selected / bad set"),
        ("d SELECT INBOX", "d OK", "(a mailbox)"),
        ("e FETCH 1:x FLAGS", "e BAD Invalid message set", "an invalid "
         "sequence set"),
        ("f FETCH 999 FLAGS", "f BAD Invalid message set", "a message number "
         "that does not exist"),
        ("g FROB", "g BAD Unknown command", "an unknown command"),
        ("h UID NOOP", "h BAD There is no UID NOOP", "UID with a command "
         "that has no UID form"),
        ("i LOGIN ana ana", "i BAD Already logged in", "LOGIN again")):
    out = r.cmd(text)
    like(out[-1], want, "bad input: %s" % name)
r.send("+ NOOP\r\n")
like(r.line(), "* BAD Invalid tag", "bad input: an invalid tag")
r.send("j " + "x" * 70000 + "\r\n")
like(r.until("*")[-1], "* BAD [TOOBIG] Command line too long",
     "an over-long line: BAD [TOOBIG]")
like("".join(r.cmd("k NOOP")), "k OK", "... and the dialog stays in step")
got = []
for i in range(25):
    r.send("z%d FROB\r\n" % i)
    got += r.until("z%d" % i)
    if any(l.startswith("* BYE") for l in got):
        break
ok(any(l.startswith("* BYE Too many invalid commands") for l in got),
   "repeated errors end with BYE")
is_(r.line(), "", "... and the connection is closed")
r.close()

# --- The autologout timer and QUOTA enforcement (a second instance). ---
inst2 = Instance(main_cf={"imapd_timeout": "2s",
                          "mailbox_size_limit": "20000"})
r = ImapRaw(inst2.imap_port)
r.login()
r.send("a APPEND INBOX {30000+}\r\n" + "Subject: big\r\n\r\n" +
       "x" * 29982 + "\r\n\r\n")
like(r.until("a")[-1], "a NO [OVERQUOTA]", "APPEND over mailbox_size_limit: "
     "NO [OVERQUOTA]")
t0 = time.time()
r.s.settimeout(10)
line = r.line()
like(line, "* BYE Autologout", "an idle session is logged out "
     "(imapd_timeout)")
ok(time.time() - t0 < 6, "... after imapd_timeout")
r.close()
inst2.cleanup()

done()
