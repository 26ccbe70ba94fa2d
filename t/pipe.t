#!/usr/bin/env python3
# The pipe delivery agent (issue 11): requests written by hand to the
# services' private/SERVICE sockets, as qmgr writes them, with a command
# that records its argv, environment, ids, directory and stdin:
#  - every ${macro} expanded into its own argument, never through a shell
#    (a recipient with ; $( ) ` is one argument, unchanged), and an
#    argument naming a recipient's macro once per recipient;
#  - flags F R O D . > B (From_, Return-Path, X-Original-To, Delivered-To,
#    dot-stuffing, From_ quoting, blank line), q u h, eol= and size=;
#  - exit 0 sent, 75 deferred, 1 bounced with the output in the reason,
#    sysexits codes, an enhanced status code in the output, a signal, the
#    time limit, a command that does not exist, output beyond the limit;
#  - the queue file is named by the queue id and trusted only as a regular
#    file of mail_owner's with one link;
#  - as root: the command runs as user= (uid, gid, no other groups) in a
#    clean environment; user=root and user=mail_owner are refused.
# Without root pipe runs the command as itself (pipe(8)): the uid checks
# are skipped then, everything else is the same.
import glob, json, os, pwd, smtplib, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

ROOT = is_root() and os.path.exists("/usr/bin/python3")
runas = "nobody"
inst = Instance(start=False)
rec_dir = os.path.join(inst.dir, "records")
os.makedirs(rec_dir)
os.chmod(rec_dir, 0o1777)
script = os.path.join(inst.dir, "record")
marker = os.path.join(inst.dir, "shell-ran")
with open(script, "w") as f:
    f.write(r'''#!/usr/bin/python3
import json, os, sys, time
def _open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
data = sys.stdin.buffer.read() if sys.argv[1] != "noread" else b""
rec = {"argv": sys.argv[1:], "env": dict(os.environ), "uid": os.getuid(),
       "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
       "cwd": os.getcwd(), "stdin": data.decode("latin-1"),
       "fds": [fd for fd in range(3, 1024) if _open(fd)]}
with open(os.path.join(%r, "%%d-%%d" %% (time.time_ns(), os.getpid())),
          "w") as f:
    json.dump(rec, f)
mode = sys.argv[1]
if mode == "exit75":
    print("the list is locked, try later")
    sys.exit(75)
if mode == "exit1":
    sys.stderr.write("no such list: gatos\n")
    sys.exit(1)
if mode == "exit67":
    print("unknown list")
    sys.exit(67)
if mode == "dsn":
    print("5.7.1 list is moderated")
    sys.exit(1)
if mode == "kill":
    os.kill(os.getpid(), 9)
if mode == "sleep":
    time.sleep(120)
if mode == "loud":
    sys.stdout.write("x" * 100000)
    sys.exit(1)
sys.exit(0)
''' % rec_dir)
os.chmod(script, 0o755)

master = "\n".join([
    # The seed's route, with every macro and the single-recipient flags.
    "rec unix - n n - - pipe flags=FRDO.> user=%s" % runas,
    "  argv=%s ${nexthop} ${sender} ${recipient} ${original_recipient}" % script,
    "  ${user} ${extension} ${mailbox} ${domain} ${size} $nexthop $(user)",
    "  cost=$$5 x${user}y",
    "multi unix - n n - - pipe flags=RB user=%s" % runas,
    "  argv=%s ${nexthop} --to=${recipient} ${user} ${sender} fixed" % script,
    "fold unix - n n - - pipe flags=hqu user=%s:mail" % runas,
    "  argv=%s ok ${recipient} ${nexthop} ${user} ${domain} ${sender}" % script,
    "crlf unix - n n - - pipe flags=F eol=\\r\\n size=2000 user=%s" % runas,
    "  null_sender= argv=%s ok ${sender}" % script,
    "slow unix - n n - - pipe user=%s" % runas,
    "  -o pipe_command_time_limit=2s argv=%s sleep" % script,
    "missing unix - n n - - pipe user=%s argv=/nonexistent/command" % runas,
    "asroot unix - n n - - pipe user=root argv=%s ok" % script,
    "asowner unix - n n - - pipe user=%s argv=%s ok" % (inst.owner, script),
    "badmacro unix - n n - - pipe user=%s argv=%s ${recipent}" % (runas, script),
    ""])
with open(os.path.join(inst.etc, "master.cf"), "a") as f:
    f.write(master)
# local's alias commands run through the same lib/command.c.
with open(os.path.join(inst.etc, "aliases"), "a") as f:
    f.write('localcmd: "|%s local-ok"\nlocalfail: "|%s exit1"\n'
            % (script, script))
inst.run_ok("newaliases")
inst.start()

owner = pwd.getpwnam(inst.owner)
active = os.path.join(inst.spool, "active")
private = os.path.join(inst.spool, "private")
ok(wait_for(lambda: os.path.exists(os.path.join(private, "rec")), 10),
   "master listens on private/rec for the pipe service")

# qmgr takes what it finds in active/ when it starts: plant nothing
# before it has (one message through it says so).
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.sendmail("bob@mired.org", ["bob@mired.org"], "Subject: WarmUp\r\n\r\nx\r\n")
c.quit()
ok(inst.wait_mail(1, user="bob"), "qmgr is up (a first message is delivered)")

nq = [0]


def plant(text, uid=None):
    """A queue file of mail_owner's in active/ holding just the message."""
    nq[0] += 1
    qid = "ZZPIPE%d" % nq[0]
    path = os.path.join(active, qid)
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, owner.pw_uid if uid is None else uid, owner.pw_gid)
    os.chmod(path, 0o600)
    return qid


def records():
    out = []
    for p in sorted(glob.glob(os.path.join(rec_dir, "*"))):
        with open(p) as f:
            out.append(json.load(f))
        os.unlink(p)
    return out


def call(service, rcpts, text=None, sender="bob@mired.org", nexthop=None,
         orig=None, qid=None, extra=""):
    """One request for rcpts (a list) of a planted message; the reply."""
    if text is None:
        text = "Subject: pipe test\n\nhello\n"
    if qid is None:
        qid = plant(text)
    req = "queue_id=%s\noffset=0\nsize=%d\nsender=%s\nrecipient=%s\n" % (
        qid, len(text), sender, rcpts[0])
    if orig:
        req += "orig_recipient=%s\n" % orig
    if nexthop is not None:
        req += "nexthop=%s\n" % nexthop
    if len(rcpts) > 1:
        req += "rcpt_count=%d\n" % len(rcpts)
        for i, r in enumerate(rcpts[1:], 1):
            req += "recipient.%d=%s\n" % (i, r)
    req += extra + "\n"
    return attr_dict(ipc_call(os.path.join(private, service), req,
                              timeout=60))


def status(r):
    return (r.get("status"), r.get("dsn"))


# 1. Every macro, the flags' lines, dot-stuffing and From_ quoting.
text = ("Subject: macros\n\n.leading dot\nFrom the start\n"
        "..two dots\n>From kept\nlast line")
r = call("rec", ["lista+admin@Listas.Mired.org"], text=text,
         nexthop="listas.mired.org", orig="Lista+Admin@listas.mired.org")
is_(status(r), ("0", "2.0.0"), "exit 0: sent")
like(r.get("reason", ""), "delivered via rec service", "the reason names the service")
is_(r.get("relay"), "rec", "relay= is the service, for the log")
rec = records()
is_(len(rec), 1, "the command ran once")
rec = rec[0] if rec else {"argv": [], "env": {}, "stdin": ""}
is_(rec["argv"], ["listas.mired.org", "bob@mired.org",
                  "lista+admin@Listas.Mired.org",
                  "Lista+Admin@listas.mired.org", "lista", "admin",
                  "lista+admin", "Listas.Mired.org", str(len(text)),
                  "listas.mired.org", "lista", "cost=$5", "xlistay"],
    "${nexthop} ${sender} ${recipient} ${original_recipient} ${user} "
    "${extension} ${mailbox} ${domain} ${size}, $name, $(name), $$")
lines = rec["stdin"].split("\n")
like(lines[0], "From bob@mired.org  ", "F: the From_ line comes first")
is_(lines[1:5], ["Return-Path: <bob@mired.org>",
                 "X-Original-To: Lista+Admin@listas.mired.org",
                 "Delivered-To: lista+admin@Listas.Mired.org",
                 "Subject: macros"],
    "R, O, D: Return-Path, X-Original-To, Delivered-To, then the message")
is_(lines[6:], ["..leading dot", ">From the start", "...two dots",
                ">From kept", "last line", ""],
    ". and >: dot-stuffed, From_ quoted, a last line ended with LF")

r = call("rec", ["Lista@listas.mired.org"], nexthop="ok",
         text="Delivered-To: lista@Listas.Mired.ORG\nSubject: loop\n\nx\n")
is_(status(r), ("5", "5.4.6"), "D: a message that already has Delivered-To: "
    "of the recipient (any case) bounces as a loop")
is_(records(), [], "without running the command")

# 2. Several recipients: an argument with a recipient's macro is one
#    argument per recipient; the others stay one.
rc = ["ana@listas.mired.org", "bob+x@listas.mired.org", "eve@otra.org"]
r = call("multi", rc, nexthop="ok", sender="")
is_([r.get("status"), r.get("status.1"), r.get("status.2")], ["0"] * 3,
    "three recipients, one command, each of them sent")
rec = records()
is_(rec[0]["argv"] if rec else None,
    ["ok", "--to=ana@listas.mired.org", "--to=bob+x@listas.mired.org",
     "--to=eve@otra.org", "ana", "bob", "eve", "MAILER-DAEMON", "fixed"],
    "--to=${recipient} and ${user} once per recipient, the null sender "
    "as MAILER-DAEMON")
is_(rec[0]["stdin"] if rec else None,
    "Return-Path: <MAILER-DAEMON>\nSubject: pipe test\n\nhello\n\n",
    "R with the null sender is null_sender= (MAILER-DAEMON), as in Postfix, and B adds a blank line")

# 3. No shell: a recipient full of shell syntax is one argument, as is.
evil = "a;touch %s;$(touch %s)`touch %s`|x&y'\"z\\@d.org" % (
    marker, marker, marker)
r = call("rec", [evil], nexthop="ok")
is_(r.get("status"), "0", "a recipient with ; $( ) ` | & ' \" is delivered")
rec = records()
is_(rec[0]["argv"][2] if rec else None, evil,
    "${recipient} is one argument, unchanged")
ok(not os.path.exists(marker), "and no shell ran any of it")

# 4. q, u, h; user=USER:GROUP.
r = call("fold", ["Ana Lopez+Lists@MiRed.ORG"], nexthop="MX.Mired.ORG",
         sender="dq\"uote@Example.ORG")
is_(r.get("status"), "0", "flags hqu: delivered")
rec = records()
is_(rec[0]["argv"] if rec else None,
    ["ok", "\"ana lopez+lists\"@mired.org", "mx.mired.org", "ana lopez",
     "mired.org", "\"dq\\\"uote\"@Example.ORG"],
    "q quotes local parts, u folds them, h folds domains and nexthop")

# 5. eol=\r\n, F with null_sender= empty, size=.
r = call("crlf", ["ana@mired.org"], sender="")
is_(r.get("status"), "0", "eol=\\r\\n: delivered")
rec = records()
s = rec[0]["stdin"] if rec else ""
ok(s.startswith("From MAILER-DAEMON  ") and
   s.endswith("\r\nSubject: pipe test\r\n\r\nhello\r\n") and
   "\n" not in s.replace("\r\n", ""),
   "every line ends in CRLF; an empty null_sender= makes From_ MAILER-DAEMON")
is_(rec[0]["argv"] if rec else None, ["ok", ""],
    "null_sender= empty: ${sender} is an empty argument")
r = call("crlf", ["ana@mired.org"], text="Subject: big\n\n" + "y" * 3000)
is_(status(r), ("5", "5.2.3"), "size=: a larger message bounces (5.2.3)")
is_(records(), [], "without running the command")

# 6. Exit codes.
# (nexthop: the command's case, its status, name, [(reason has, name)])
for hop, want, name, reasons in (
        ("exit75", ("4", "4.3.0"), "exit 75 (EX_TEMPFAIL): deferred 4.3.0",
         [("the list is locked, try later",
           "with the command's output in the reason")]),
        ("exit1", ("5", "5.3.0"), "exit 1: bounced 5.3.0",
         [("status 1", "the reason gives the status"),
          ("no such list: gatos", "and the command's output (stderr too)")]),
        ("exit67", ("5", "5.1.1"), "exit 67 (EX_NOUSER): bounced 5.1.1",
         [("user unknown. Command output: unknown list",
           "with the sysexits text and the output")]),
        ("dsn", ("5", "5.7.1"), "output starting with 5.7.1: its code wins",
         []),
        ("kill", ("4", "4.3.0"), "killed by a signal: deferred",
         [("signal 9", "the reason names the signal")])):
    r = call("rec", ["ana@mired.org"], nexthop=hop)
    is_(status(r), want, name)
    for has, why in reasons:
        like(r.get("reason", ""), has, why)
r = call("rec", ["ana@mired.org"], nexthop="loud")
is_(r.get("status"), "5", "a command with 100000 bytes of output: bounced")
ok(0 < r.get("reason", "").count("x") <= 2048,
   "only pipe_output_limit (2048) bytes of the output are kept")
r = call("rec", ["ana@mired.org"], nexthop="noread",
         text="Subject: unread\n\n" + ("z" * 99 + "\n") * 5000)
is_(r.get("status"), "0", "a command that reads none of a large message and "
    "exits 0: sent")
records()

# 7. The time limit; a command that does not exist.
r = call("slow", ["ana@mired.org"])
is_(status(r), ("4", "4.3.0"), "past pipe_command_time_limit: deferred")
like(r.get("reason", ""), "time limit (2s) exceeded", "the reason says so")
records()
r = call("missing", ["ana@mired.org"])
is_(status(r), ("4", "4.3.0"), "a command that does not exist: deferred")
like(r.get("reason", ""), "cannot execute /nonexistent/command: No such file",
     "the reason says why")

# 8. Configuration errors defer, with the why in the log.
r = call("rec", ["a@listas.mired.org", "b@listas.mired.org"], nexthop="ok")
is_([status(r), r.get("status.1")], [("4", "4.3.5"), "4"],
    "D and O with two recipients: every recipient deferred 4.3.5")
r = call("badmacro", ["ana@mired.org"])
is_(status(r), ("4", "4.3.5"), "an unknown macro: deferred 4.3.5")
r = call("rec", ["ana@mired.org"], extra="command=/bin/sh\n")
is_(status(r), ("4", "4.3.5"), "a request with an alias's command= is refused")
is_(records(), [], "none of these ran a command")

# 9. The queue file: ours to name, trusted only as mail_owner's, one link.
text = "Subject: linked\n\nx\n"
qid = plant(text)
os.link(os.path.join(active, qid), os.path.join(active, qid + "L"))
r = call("rec", ["ana@mired.org"], text=text, qid=qid + "L", nexthop="ok")
is_(status(r), ("4", "4.3.0"), "a hard-linked queue file is deferred")
like(r.get("reason", ""), "more than one link", "the reason says why")
r = call("rec", ["ana@mired.org"], nexthop="ok",
         extra="path=/etc/passwd\n")
is_(status(r), ("4", "4.3.5"), "a request naming another path is refused")
r = call("rec", ["ana@mired.org"], text="x" * 50, qid=plant("short"),
         nexthop="ok")
is_(status(r), ("4", "4.3.5"), "a request longer than its file is refused")
if ROOT:
    r = call("rec", ["ana@mired.org"], nexthop="ok",
             qid=plant("Subject: r\n\nx\n", uid=0), text="Subject: r\n\nx\n")
    is_(r.get("status"), "4", "a queue file of root's is deferred")
    like(r.get("reason", ""), "not owned by mail_owner", "the reason says why")
is_(records(), [], "no command ran for an untrusted or wrong queue file")

# 10. Who the command runs as, and its environment.
r = call("rec", ["ana@mired.org"], nexthop="ok")
rec = records()
env = rec[0]["env"] if rec else {}
env.pop("LC_CTYPE", None)           # python may set it for itself
me = pwd.getpwnam(runas) if ROOT else pwd.getpwuid(os.geteuid())
is_(env, {"PATH": "/usr/bin:/bin", "SHELL": me.pw_shell, "HOME": me.pw_dir,
          "LOGNAME": me.pw_name, "USER": me.pw_name},
    "a clean environment: PATH, SHELL, HOME, LOGNAME, USER of the user")
is_(rec[0]["fds"] if rec else None, [],
    "the command inherits no descriptor beyond 0, 1 and 2")
if ROOT:
    is_((rec[0]["uid"], rec[0]["euid"], rec[0]["gid"], rec[0]["groups"]),
        (me.pw_uid, me.pw_uid, me.pw_gid, [me.pw_gid]),
        "as root, the command runs as user= (no other groups)")
    r = call("fold", ["ana@mired.org"])
    rec = records()
    import grp
    is_(rec[0]["gid"] if rec else None, grp.getgrnam("mail").gr_gid,
        "user=USER:GROUP runs with GROUP's gid")
    r = call("asroot", ["ana@mired.org"])
    is_(status(r), ("4", "4.3.5"), "user=root is refused (deferred 4.3.5)")
    r = call("asowner", ["ana@mired.org"])
    is_(status(r), ("4", "4.3.5"), "user=mail_owner is refused")
    is_(records(), [], "and neither ran the command")
    log = inst.read_log()
    like(log, "the command must not run as root", "the log says why for root")
    like(log, "must not run as mail_owner", "and for mail_owner")
else:
    is_(rec[0]["uid"] if rec else None, os.geteuid(),
        "without root the command runs as pipe itself")

# 11. local's alias commands, on the same command runner: stdin, the
#     environment, and a failure's output in the bounce.
c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.sendmail("bob@mired.org", ["localcmd@mired.org"],
           "Subject: to a command\r\n\r\nbody\r\n")
c.sendmail("bob@mired.org", ["localfail@mired.org"],
           "Subject: to a failing command\r\n\r\nbody\r\n")
c.quit()
ok(wait_for(lambda: len(glob.glob(os.path.join(rec_dir, "*"))) >= 2, 30),
   "local ran both alias commands")
rec = sorted(records(), key=lambda x: x["argv"][0])
loc = [x for x in rec if x["argv"] == ["local-ok"]]
like(loc[0]["stdin"] if loc else "",
     "Return-Path: <bob@mired.org>\nDelivered-To: localcmd@mired.org\n",
     "local's command gets Return-Path and Delivered-To first")
is_((loc[0]["env"].get("SENDER"), loc[0]["env"].get("RECIPIENT"))
    if loc else None, ("bob@mired.org", "localcmd@mired.org"),
    "and SENDER and RECIPIENT in its environment")
ok(wait_for(lambda: any("no such list: gatos" in message_text(m)
                        for m in inst.new_mail("bob")), 30),
   "a failing alias command bounces with its output")

log = inst.read_log()
like(log, "unknown macro \"recipent\"", "the log names an unknown macro")
like(log, "rec_destination_recipient_limit = 1",
     "and says D needs a recipient limit of 1")
done()
