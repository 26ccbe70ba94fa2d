#!/usr/bin/env python3
# Issue 13, item 4: the milter client (lib/milter*.c) against a milter
# written for the test (t/lib/fakemilter.py, the protocol raw in Python),
# driven by t/miltertest: the negotiation (version, actions, steps the
# milter leaves out or takes without replying, its own macro lists), the
# macros of each stage, what each command carries, every reply (accept,
# continue, reject, tempfail, discard, custom reply codes, skip, progress)
# at the stages where it means something different, every edit at the end
# of the message (headers added, inserted, changed, deleted; sender and
# recipients; body; quarantine) and the edited message, two milters in a
# row (the second sees the first one's edits), and the failures that
# milter_default_action decides: a milter that is not there, hangs past
# its timeout, hangs up, sends a bad length or a forbidden edit.
# About 17 s (the timeouts are set to 1 s).
import atexit, os, shutil, sys, tempfile, time, struct
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
from fakemilter import *
from filters import miltertest, edited, MILTERTEST as MT

if not os.access(MT, os.X_OK):
    skip_all("t/miltertest is not built (make check builds it)")

tmp = tempfile.mkdtemp(prefix="milter.")
atexit.register(shutil.rmtree, tmp, True)
MSG = os.path.join(tmp, "msg")
with open(MSG, "w") as f:
    f.write("Received: from client.example\n\tby mail.mired.org\n"
            "From: Ana <ana@mired.org>\nTo: bob@mired.org\n"
            "Subject: hello\nX-Del: one\nX-Del: two\n\n"
            "line one\nline two\n")


def run(milters, *args, opts=()):
    return miltertest(milters, MSG, *args, opts=opts)


def lines(out, prefix):
    return [l for l in out.splitlines() if l.startswith(prefix)]


# 1. A milter that continues everywhere: what it is sent.
m = FakeMilter().start()
out, _, err = run([m], "-D", "{auth_authen}=ana", "-D", "i=4XyZ",
                  "-D", "_=client.example [127.0.0.1]")
is_(out.splitlines()[:6], ["connect continue", "helo client.example continue",
                           "mail ana@mired.org continue",
                           "rcpt bob@mired.org continue", "data continue",
                           "message continue"],
    "every stage continues through a milter that lets it")
is_(m.commands(), "CHMRTLLLLLLNBEQ", "connect, helo, mail, rcpt, data, six headers, "
    "end of header, body, end of message, quit, in that order")
is_(m.offer, (6, 0x1ff, 0x0ff7ff), "negotiation offers version 6, every "
    "action, every step that can be left out or not replied to")
c = m.data_of("C")[0]
is_(c, b"localhost\0" + b"4" + struct.pack(">H", 25) + b"127.0.0.1\0",
    "connect carries the client's name, family, port and address")
is_(m.data_of("M")[0], b"<ana@mired.org>\0", "MAIL carries <sender>")
is_(m.data_of("R")[0], b"<bob@mired.org>\0", "RCPT carries <recipient>")
is_(m.data_of("L")[0], b"Received\0from client.example\n\tby mail.mired.org\0",
    "a folded header goes as name and value, no leading space, folds as LF")
is_(m.data_of("B")[0], b"line one\r\nline two\r\n", "the body goes with CRLF")
mc = m.macros("C")
is_((mc.get("j"), mc.get("{daemon_name}"), mc.get("v"), mc.get("_")),
    ("mx.mired.org", "mx.mired.org", "cartero", "client.example [127.0.0.1]"),
    "connect macros j, {daemon_name}, v, _ as Postfix sends them")
mm = m.macros("M")
is_((mm.get("{mail_addr}"), mm.get("{auth_authen}"), mm.get("i")),
    ("ana@mired.org", "ana", "4XyZ"), "MAIL macros {mail_addr}, {auth_authen}, i")
is_(m.macros("R").get("{rcpt_addr}"), "bob@mired.org", "RCPT macro {rcpt_addr}")
is_(m.macros("E").get("i"), "4XyZ", "end-of-message macro i")
ok(edited(out) is None and "edit" not in out, "no edits, no edited message")
m.stop()

# 2. Every edit at the end of the message.
m = FakeMilter(script={"E": [
    addheader("X-Spam-Flag", "YES"), insheader(0, "X-Top", "first"),
    chgheader(1, "Subject", "[SPAM] hello"), chgheader(2, "X-Del", ""),
    chgheader(1, "X-New", "made by a change"),
    addheader("X-Folded", "a\n\tb"),
    chgfrom("<bounce@mired.org>", "SIZE=100"), addrcpt("<carl@mired.org>"),
    packet("2", z("<dora@mired.org>", "NOTIFY=NEVER")),
    delrcpt("<bob@mired.org>"), replbody(b"new body\r\n"),
    replbody(b"second chunk\r\n"), quarantine("looks odd"), CONTINUE]}).start()
out, _, err = run([m])
is_(lines(out, "edit"), [
    "edit addheader 0 X-Spam-Flag: YES", "edit insheader 0 X-Top: first",
    "edit chgheader 1 Subject: [SPAM] hello", "edit chgheader 2 X-Del: ",
    "edit chgheader 1 X-New: made by a change",
    "edit addheader 0 X-Folded: a",
    "edit chgfrom 0 bounce@mired.org: SIZE=100",
    "edit addrcpt 0 carl@mired.org: ",
    "edit addrcpt 0 dora@mired.org: NOTIFY=NEVER",
    "edit delrcpt 0 bob@mired.org: "],
    "every edit comes back in order, addresses without brackets, ESMTP args kept")
like(out, "quarantine looks odd", "quarantine comes back with its reason")
like(out, "body 24 bytes", "the replacement body is the chunks joined")
is_(edited(out),
    "X-Top: first\nReceived: from client.example\n\tby mail.mired.org\n"
    "From: Ana <ana@mired.org>\nTo: bob@mired.org\nSubject: [SPAM] hello\n"
    "X-Del: one\nX-Spam-Flag: YES\nX-New: made by a change\nX-Folded: a\n\tb\n"
    "\nnew body\nsecond chunk\n",
    "the edited message: inserted on top, changed, deleted, added, new body, "
    "in the message's own LF line endings")
m.stop()

# 3. Replies at each stage: (script, miltertest's options, what its output
# holds, what it must not hold, the commands the milter hears).
REPLIES = [
    ({"C": [replycode("554 5.7.1 Go away")]}, [], ["connect reject 554 5.7.1 Go away",
     "helo client.example reject 554 5.7.1 Go away"], "mail", "CQ",
     "reject at connect refuses the session, HELO and all"),
    ({"H": [TEMPFAIL]}, [], ["helo client.example tempfail 451 4.7.1"],
     "mail", "CHQ", "tempfail at HELO"),
    ({"M": [replycode("553 5.7.1 No thanks")]}, [],
     ["mail ana@mired.org reject 553 5.7.1 No thanks"], "rcpt", "CHMQ",
     "a custom reply code at MAIL ends the transaction"),
    ({"R": [DISCARD]}, [], ["rcpt bob@mired.org discard", "message discard"],
     None, "CHMRAQ", "discard at RCPT discards the message; the milter is "
     "not asked about the rest of it"),
    ({"R": [packet("4")]}, [], ["rcpt bob@mired.org tempfail 421 4.7.0 Server closing connection close"],
     "data", "CHMR", "shutdown at RCPT: 421, the milter is closed, the session ends"),
    ({"M": [ACCEPT]}, [], ["message continue"], None, "CHMQ",
     "accept at MAIL accepts the message; the milter hears nothing more"),
    ({"C": [ACCEPT]}, ["-m", "2"], ["message continue"], None, "CQ",
     "accept at connect: nothing more for the whole session"),
    ({"L": [TEMPFAIL]}, [], ["message tempfail 451 4.7.1"], None, "CHMRTLQ",
     "tempfail at a header refuses the message; the rest is not sent"),
    ({"E": [addheader("X-A", "b"), REJECT]}, [],
     ["message reject 550 5.7.1 Command rejected"], "--- message",
     "CHMRTLLLLLLNBEQ", "reject at the end of the message, edits dropped"),
]
for script, args, has, hasnot, cmds, name in REPLIES:
    m = FakeMilter(script=script).start()
    out, _, _ = run([m], *args)
    ok(all(h in out for h in has) and (hasnot is None or hasnot not in out),
       name) or diag(out)
    is_("".join(c for c, _ in m.log if c not in "DO"), cmds, name + ": commands")
    m.stop()
m = FakeMilter(script={"R": [replycode("450-4.2.0 Greylisted\r\n450 4.2.0 come back later")]}).start()
out, _, _ = run([m], "-r", "bob@mired.org", "-r", "carl@mired.org")
like(out, "rcpt bob@mired.org tempfail 450-4.2.0 Greylisted\r\n450 4.2.0 come back later",
     "a multi-line custom reply at RCPT")
like(out, "rcpt carl@mired.org continue", "a refused recipient refuses only itself")
is_(m.data_of("R"), [b"<bob@mired.org>\0", b"<carl@mired.org>\0"], "both recipients were asked")
like(out, "message continue", "the message goes on for the other recipient")
m.stop()
m = FakeMilter(script={"B": [SKIP_BODY]}, pflags=SKIP).start()
with open(MSG) as f:
    big = f.read() + ("x" * 99 + "\n") * 1400
bigf = os.path.join(tmp, "big")
with open(bigf, "w") as f:
    f.write(big)
MSG0, MSG = MSG, bigf
out, _, _ = run([m])
is_(m.commands(), "CHMRTLLLLLLNBEQ", "skip after the first body chunk: no more chunks")
m.stop()
m = FakeMilter().start()
out, _, _ = run([m])
is_(len(m.data_of("B")), 3, "a 141 kB body goes in three chunks")
ok(all(len(b) <= 65535 for b in m.data_of("B")), "... none over 65535 bytes")
is_(b"".join(m.data_of("B")), big.split("\n\n", 1)[1].replace("\n", "\r\n").encode(),
    "... that join into the body with CRLF")
m.stop()
MSG = MSG0
m = FakeMilter(script={"E": [PROGRESS, ("hang", 1.2), PROGRESS, ("hang", 1.2), CONTINUE]}).start()
out, took, _ = run([m], opts=["milter_content_timeout=2"])
like(out, "message continue", "progress packets keep a milter that takes 2.4 s "
     "within its 2 s timeout")
m.stop()

m = FakeMilter(script={"U": [replycode("502 5.5.2 What?")]}).start()
out, _, _ = run([m], "-u", "XYZZY now")
like(out, "unknown XYZZY now reject 502 5.5.2 What?", "an unknown command goes to the milter")
is_(m.data_of("U"), [b"XYZZY now\0"], "... whole")
m.stop()

# 4. Negotiation: steps left out, no replies, the milter's macro lists.
m = FakeMilter(pflags=NOHELO | NOMAIL | NOHDRS | NOBODY | NOUNKNOWN | NR_RCPT | NR_DATA | NR_EOH,
               symlists={0: "j {nothing}", 2: "{mail_addr}"}).start()
out, took, _ = run([m], "-u", "XYZZY")
like(out, "message continue", "a milter that leaves out steps gets the message through")
is_(m.commands(), "CRTNEQ", "HELO, unknown commands, MAIL, headers and body are not sent to it")
ok(took < 1.0, "replies it does not send are not waited for (%.2f s)" % took)
is_(m.macros("C"), {"j": "mx.mired.org"}, "its own connect macro list is used")
is_(m.macros("M"), {"{mail_addr}": "ana@mired.org"}, "... and its MAIL list, "
    "sent although MAIL is not")
m.stop()
for v in (1, 7):
    m = FakeMilter(version=v).start()
    out, _, err = run([m])
    like(out, "connect tempfail 451 4.7.1", "protocol version %d: default action" % v)
    like(err, "protocol version %d not supported" % v, "... logged")
    m.stop()
m = FakeMilter(version=2, actions=0x1f).start()
out, _, _ = run([m], opts=["milter_protocol=2"])
is_((m.offer, m.commands()), ((2, 0x1f, 0x3f), "CHMRTLLLLLLNBEQ"),
    "milter_protocol=2 offers version 2's actions and steps only")
m.stop()
m = FakeMilter(actions=0x3f).start()
out, _, err = run([m], opts=["milter_protocol=2"])
like(err, "asks for actions 0x20", "quarantine is not offered in version 2")
m.stop()
m = FakeMilter(actions=0x3ff).start()
out, _, err = run([m])
like(err, "asks for actions 0x200", "an action we do not offer ends the milter")
m.stop()
m = FakeMilter(actions=0x1, script={"E": [chgfrom("<x@y>"), CONTINUE]}).start()
out, _, err = run([m])
like(out, "message tempfail", "an edit it did not negotiate: default action")
like(err, "action 'e' that it did not negotiate", "... logged")
m.stop()
m = FakeMilter(script={"E": [addheader("X-A", "x\nBcc: evil@example.com"), CONTINUE]}).start()
out, _, err = run([m])
ok("message tempfail" in out and "evil" not in out,
   "a header value that would start a new field is refused")
m.stop()

for name, items in (("a reply with a control character", [replycode("550 5.7.1 a\x1bb")]),
                    ("a reply over 4 kB", [replycode("550 5.7.1 " + "x" * 5000)]),
                    ("a bare LF in a reply", [replycode("550-5.7.1 a\n550 5.7.1 b")]),
                    ("over 1 MB of header edits",
                     [addheader("X-Big", "y" * 60000)] * 20 + [CONTINUE])):
    m = FakeMilter(script={"E": items}).start()
    out, _, err = run([m])
    like(out, "message tempfail 451 4.7.1 Service", name + ": default action")
    m.stop()

# 5. Failures and milter_default_action.
m = FakeMilter(script={"M": [("hang", 5)]}).start()
out, took, err = run([m])
like(out, "mail ana@mired.org tempfail 451 4.7.1 Service unavailable",
     "a milter that hangs at MAIL: tempfail")
ok(took < 3.5, "... after milter_command_timeout, not its 5 s (%.2f s)" % took)
like(err, "timeout", "... logged as a timeout")
m.stop()
m = FakeMilter(script={"M": [("hang", 5)]}).start()
out, took, err = run([m], opts=["milter_default_action=accept"])
like(out, "message continue", "default action accept: the session goes on without it")
m.stop()
m = FakeMilter(script={"E": [("hang", 5)]}).start()
out, took, _ = run([m], opts=["milter_default_action=reject"])
like(out, "message reject 550 5.7.1", "a milter that hangs at the end of the message, "
     "default reject")
m.stop()
m = FakeMilter(script={"R": [("close",)]}).start()
out, _, err = run([m], "-m", "2")
like(out, "rcpt bob@mired.org tempfail 451", "a milter that dies at RCPT: tempfail")
like(err, "connection closed", "... logged")
m.stop()
m = FakeMilter(script={"T": [("close",)]}).start()
out, _, err = run([m], opts=["milter_default_action=quarantine"])
like(out, "message continue", "default quarantine: the message goes on")
like(out, "quarantine a milter failed", "... to be held")
m.stop()
for name, raw in (("zero", struct.pack(">I", 0)),
                  ("2 GB", struct.pack(">I", 0x7fffffff) + b"c"),
                  ("short", struct.pack(">I", 50) + b"c" + b"x" * 10)):
    m = FakeMilter(script={"H": [("raw", raw), ("hang", 3)]}).start()
    out, took, err = run([m])
    like(out, "helo client.example tempfail", "a packet of bad length (%s): default action" % name)
    ok(took < 2.5, "... at once or at the timeout (%.2f s)" % took)
    m.stop()
out, _, err = run(["inet:127.0.0.1:%d" % free_port()])
like(out, "connect tempfail 451 4.7.1", "a milter that is not there: tempfail")
like(err, "Connection refused", "... logged")
out, _, _ = run(["inet:127.0.0.1:%d" % free_port()], opts=["milter_default_action=accept"])
like(out, "message continue", "... or accept, as configured")

# 6. Two milters: order, and the second sees the first one's edits.
m1 = FakeMilter(script={"E": [addheader("X-First", "1"), chgheader(1, "Subject", "one"), CONTINUE]}).start()
m2 = FakeMilter(script={"E": [addheader("X-Second", "2"), CONTINUE]}).start()
out, _, _ = run([m1, m2])
ok((b"X-First\x001\x00" in m2.data_of("L")) and (b"Subject\x00one\x00" in m2.data_of("L")),
   "the second milter gets the message as the first edited it")
ok("X-First: 1\nX-Second: 2\n" in (edited(out) or ""), "the result has both milters' edits")
is_([l.split()[1] for l in lines(out, "edit")], ["addheader", "chgheader", "addheader"],
    "edits in the milters' order")
m1.stop(); m2.stop()
m1 = FakeMilter(script={"R": [REJECT]}).start()
m2 = FakeMilter().start()
out, _, _ = run([m1, m2], "-r", "bob@mired.org", "-r", "carl@mired.org")
is_(m2.data_of("R"), [b"<carl@mired.org>\0"], "a recipient the first milter "
    "rejects is not shown to the second")
m1.stop(); m2.stop()
m1 = FakeMilter(script={"E": [DISCARD]}).start()
m2 = FakeMilter().start()
out, _, _ = run([m1, m2])
like(out, "message discard", "the first milter's discard decides")
ok("E" not in m2.commands() and "A" in "".join(c for c, _ in m2.log),
   "... the second is not asked and gets ABORT")
m1.stop(); m2.stop()

# 7. Transactions, addresses, configuration.
m = FakeMilter().start()
out, _, _ = run([m], "-A", "-m", "2")
is_("".join(c for c, _ in m.log if c not in "DO"), "CHMRAMRTLLLLLLNBEMRTLLLLLLNBEQ",
    "an aborted transaction sends ABORT; two messages in one session")
is_(m.connections, 1, "one connection for the whole session")
m.stop()
path = os.path.join(tmp, "milter.sock")
m = FakeMilter(path=path).start()
out, _, _ = run(["local:" + path], "-a", "none")
like(out, "message continue", "a milter on a unix socket (local: spelling)")
is_(m.data_of("C")[0], b"localhost\0U", "a client without an address is sent as unknown")
m.stop()
m = FakeMilter().start()
port = m.addr.rsplit(":", 1)[1]
out, _, _ = run(["inet:%s@127.0.0.1" % port], "-a", "::1")
like(out, "message continue", "Sendmail's inet:port@host spelling")
is_(m.data_of("C")[0][10:11], b"6", "an IPv6 client is family 6")
m.stop()
out, _, _ = run(["bogus:/x"])
like(out, "config bad milter address \"bogus:/x\"", "an unknown address type is refused")
out, _, _ = run(["inet:127.0.0.1"])
like(out, "config bad milter address", "an address without a port is refused")
m = FakeMilter(script={"M": [("hang", 5)]}).start()
out, took, err = run(["{ %s, command_timeout = 2s, default_action = accept }" % m.addr])
like(out, "message continue", "a milter's own default_action in braces (Postfix 3.0 syntax)")
ok(2 <= took < 4.5, "... and its own command_timeout (%.2f s)" % took)
like(err, "default_action=accept", "... logged")
m.stop()
for bad, why in (("{ inet:127.0.0.1:9, colour = blue }", "bad setting \"colour = blue\""),
                 ("{ inet:127.0.0.1:9, command_timeout = soon }", "bad setting"),
                 ("{ inet:127.0.0.1:9", "a milter's \"{\" without its \"}\""),
                 ("{ }", "without an address")):
    out, _, _ = run([bad])
    like(out, "config " if "{ }" == bad else "config " + why, "refused: " + bad)
out, _, _ = run(["unix:/x"], opts=["milter_default_action=maybe"])
like(out, "config bad milter_default_action", "a bad milter_default_action is refused")
done()
