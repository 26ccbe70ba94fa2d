#!/usr/bin/env python3
# The auth service and `cartero user`: virtual users managed from the
# command line, logins checked over the service's own socket protocol (the
# one lib/authc.c speaks for smtpd and pop3d), failed logins delayed and
# logged without the password, one-time tokens, and the session handover
# that runs $daemon_directory/pop3 -M as the account (here a stand-in
# script that reports what it was given).  Root only: PAM login of a
# system user whose shell is /bin/false.
import os, pwd, shutil, sys, socket, stat, subprocess, threading, time, warnings
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

LIFETIME = 3


def enc(v):
    out = []
    for ch in v.encode():
        if ch < 32 or ch == 127 or ch == ord("%"):
            out.append("%%%02X" % ch)
        else:
            out.append(chr(ch) if ch < 128 else bytes([ch]).decode("latin-1"))
    return "".join(out)


def auth_call(inst, attrs, fd=None):
    """One request to private/auth; the answer as a dict."""
    data = "".join("%s=%s\n" % (k, enc(v)) for k, v in attrs).encode(
        "latin-1") + b"\n"
    return attr_dict(ipc_call(
        os.path.join(inst.spool, "private", "auth"), data,
        None if fd is None else [fd]))


def login(inst, user, password, service="pop3", mech="PLAIN", rip="127.0.0.1",
          secured="0", authzid=None):
    attrs = [("request", "login"), ("service", service), ("mech", mech),
             ("user", user), ("password", password), ("rip", rip),
             ("secured", secured)]
    if authzid:
        attrs.append(("authzid", authzid))
    return auth_call(inst, attrs)


def session(inst, token, fd):
    return auth_call(inst, [("request", "session"), ("token", token)], fd)


def session_output(inst, token):
    """Hand a socketpair end over; what the mailbox program wrote back."""
    a, b = socket.socketpair()
    r = session(inst, token, b.fileno())
    b.close()
    out = ""
    if r.get("status") == "ok":
        a.sendall(b"hello\r\n")
        a.shutdown(socket.SHUT_WR)
        out = recv_all(a, 10)
    else:
        a.close()
    return r, out


def user_cmd(inst, *args, password=None):
    return inst.cmd("cartero", "user", *args, input=password)


inst = Instance(start=False, main_cf={"auth_failure_delay": "1s",
                                      "auth_token_lifetime": "%ds" % LIFETIME})
# A stand-in for pop3, the mailbox side: it says what it was given.
fake = os.path.join(inst.libexec, "pop3")
if os.path.lexists(fake):
    os.remove(fake)
with open(fake, "w") as f:
    f.write('#!/bin/sh\nread line\necho "args=$*"\necho "uid=$(id -u)"\n'
            'echo "groups=$(id -G)"\nenv\necho "read=$line"\n')
os.chmod(fake, 0o755)
inst.start()
passwd = os.path.join(inst.etc, "passwd")

# cartero user: list, add, passwd, del.
def virtual_users():
    """The names "user list --virtual" prints, each said to be virtual."""
    r = user_cmd(inst, "list", "--virtual")
    lines = [l.split() for l in r.stdout.splitlines()]
    return r.returncode, [f[0] for f in lines if f[1:] == ["virtual"]], \
        len(lines)
is_(virtual_users(), (0, ["ana@mired.org", "bob@mired.org"], 2),
    "user list prints the virtual users")
mode = os.stat(passwd)
r = user_cmd(inst, "add", "--virtual", "carla", password="Carla-1\n")
is_(r.returncode, 0, "user add reads the password from stdin")
like(r.stderr, "carla@mired.org", "with --virtual, a bare name is name@$mydomain")
is_(virtual_users()[1], ["ana@mired.org", "bob@mired.org", "carla@mired.org"],
    "the new user is listed")
st = os.stat(passwd)
ok(stat.S_IMODE(st.st_mode) == stat.S_IMODE(mode.st_mode) and
   st.st_gid == mode.st_gid, "the rewritten file keeps its mode and group")
text = open(passwd).read()
ok("Carla-1" not in text and "carla@mired.org:$" in text,
   "the password is stored as a crypt(3) hash")
line = [l for l in text.splitlines() if l.startswith("carla@")][0]
ok(line.split(":")[1].startswith(("$y$", "$6$")), "yescrypt (or SHA512-CRYPT)")
r = user_cmd(inst, "add", "Carla@Mired.org", password="x\n")
ok(r.returncode != 0 and "exists" in r.stderr, "adding a user twice is refused")
r = user_cmd(inst, "add", "bad:name", password="x\n")
ok(r.returncode != 0, "a name with a colon is refused")
r = user_cmd(inst, "add", "--virtual", "dora", password="")
ok(r.returncode != 0 and "dora" not in open(passwd).read(),
   "no password, no user")
r = user_cmd(inst, "del", "nobody-here")
ok(r.returncode != 0 and "no user" in r.stderr, "deleting an unknown user fails")
r = user_cmd(inst, "add")
is_(r.returncode, 64, "a wrong command line is a usage error")

inst.start() if not inst.started else None
ok(wait_for(lambda: os.path.exists(os.path.join(inst.spool, "private", "auth")), 10),
   "the auth socket exists")

# Logins: both forms, one account.
r = login(inst, "carla", "Carla-1")
is_(r.get("status"), "ok", "a virtual user logs in with the bare name")
is_(r.get("account"), "carla@mired.org", "and gets the canonical account")
ok(len(r.get("token", "")) == 32, "and a 128-bit token")
r = login(inst, "carla@mired.org", "Carla-1")
is_((r.get("status"), r.get("account")), ("ok", "carla@mired.org"),
    "name@domain names the same account")
r = login(inst, "CARLA@localhost", "Carla-1")
is_(r.get("account"), "carla@mired.org", "so does any local domain, any case")
r = login(inst, "ana", "ana", service="smtp", mech="LOGIN")
is_((r.get("status"), r.get("token")), ("ok", ""),
    "an SMTP login gets no token (no session to hand over)")

# Refusals.
t0 = time.time()
r = login(inst, "carla", "wrong-Secret-42")
took = time.time() - t0
is_((r.get("status"), r.get("reason")), ("fail", "Authentication failed"),
    "a wrong password is refused")
ok(took >= 0.9, "after auth_failure_delay")
r = login(inst, "carla@example.com", "Carla-1")
is_(r.get("status"), "fail", "a user of another domain is nobody here")
r = login(inst, "nobody-here", "x")
is_(r.get("reason"), "Authentication failed", "an unknown user gets the same answer")
r = login(inst, "carla", "Carla-1", rip="192.0.2.1")
ok(r.get("status") == "fail" and "Plaintext" in r.get("reason", ""),
   "no password in the clear from a remote client")
r = login(inst, "carla", "Carla-1", rip="192.0.2.1", secured="1")
is_(r.get("status"), "ok", "but under TLS it is fine")
r = login(inst, "carla", "Carla-1", mech="CRAM-MD5")
ok(r.get("status") == "fail" and "mechanism" in r.get("reason", ""),
   "a mechanism not in auth_mechanisms is refused")
r = login(inst, "carla", "Carla-1", authzid="ana@mired.org")
is_(r.get("status"), "fail", "no logging in on behalf of another user")
r = login(inst, "carla", "Carla-1", authzid="carla@mired.org")
is_(r.get("status"), "ok", "an authzid naming oneself is fine")
r = auth_call(inst, [("request", "frobnicate")])
is_(r.get("status"), "tempfail", "an unknown request is an error, not a crash")

# A delayed failure does not hold up anyone else.
order = []
th = threading.Thread(target=lambda: order.append(
    ("bad", login(inst, "ana", "wrong").get("status"))))
th.start()
time.sleep(0.2)
order.append(("good", login(inst, "bob", "bob").get("status")))
th.join()
is_(order, [("good", "ok"), ("bad", "fail")],
    "a good login is answered while a failed one waits")

log = inst.read_log()
like(log, "login: user=<carla@mired.org>, method=PLAIN, rip=127.0.0.1, service=pop3",
     "a login is logged with the client address")
like(log, "login failed: rip=127.0.0.1, service=pop3, method=PLAIN, user=<carla>",
     "so is a failed one, the client address first (for fail2ban)")
like(log, "failures=", "with the count of failures from that address")
ok("wrong-Secret-42" not in log and "Carla-1" not in log,
   "passwords are never logged")

# Other hash forms in the passwd file: Dovecot's prefix, bcrypt.
h6 = subprocess.run(["openssl", "passwd", "-6", "Eva-2"], capture_output=True,
                    text=True).stdout.strip()
with open(passwd, "a") as f:
    f.write("eva@mired.org:{SHA512-CRYPT}%s::::::\n" % h6)
    f.write("fay@mired.org:!%s::::::\n" % h6)
r = login(inst, "eva", "Eva-2")
is_(r.get("status"), "ok", "a {SHA512-CRYPT} hash works (the file is reread)")
r = login(inst, "fay", "Eva-2")
is_(r.get("status"), "fail", "a hash starting with ! locks the account")
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import crypt
    hb = crypt.crypt("Gus-3", crypt.mksalt(crypt.METHOD_BLOWFISH))
except Exception:
    hb = None
if hb and hb.startswith("$2"):
    with open(passwd, "a") as f:
        f.write("gus@mired.org:%s::::::\n" % hb)
    r = login(inst, "gus", "Gus-3")
    is_(r.get("status"), "ok", "a bcrypt hash works")
else:
    ok(True, "# SKIP no bcrypt in this Python")

# passwd and del take effect at once.
r = user_cmd(inst, "passwd", "carla@mired.org", password="Carla-2\n")
is_(r.returncode, 0, "user passwd changes the password")
is_(login(inst, "carla", "Carla-2").get("status"), "ok", "the new one works")
is_(login(inst, "carla", "Carla-1").get("status"), "fail", "the old one does not")
like(open(passwd).read(), "eva@mired.org:{SHA512-CRYPT}", "other lines are kept")

# Session handover.
tok = login(inst, "carla", "Carla-2").get("token")
r, out = session_output(inst, tok)
is_(r.get("status"), "ok", "a token starts a session")
like(out, "args=-M -c %s" % inst.etc, "pop3 -M -c DIR runs")
like(out, "USER=carla@mired.org", "with USER")
like(out, "MAILDIR=%s/mired.org/carla/Maildir/" % inst.mail, "MAILDIR")
like(out, "HOME=%s/mired.org/carla" % inst.mail, "HOME")
like(out, "CARTERO_CONFIG_DIR=%s" % inst.etc, "and CARTERO_CONFIG_DIR")
ok("PATH=" not in out.replace("PWD=", ""), "in a cleared environment")
like(out, "read=hello", "and the client on its standard input and output")
want_uid = pwd.getpwnam(inst.vowner).pw_uid
like(out, "uid=%d\n" % want_uid, "as the virtual mail owner")
r, out = session_output(inst, tok)
ok(r.get("status") == "fail" and "unknown" in r.get("reason", ""),
   "a token works once")
r, out = session_output(inst, "0" * 32)
is_(r.get("status"), "fail", "a made-up token does nothing")
tok = login(inst, "carla", "Carla-2", rip="192.0.2.9", secured="1").get("token")
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
c = socket.create_connection(ls.getsockname())
a, _ = ls.accept()
r = session(inst, tok, a.fileno())
ok(r.get("status") == "fail" and "192.0.2.9" in r.get("reason", ""),
   "a token is bound to the client address of its login")
for s in (a, c, ls):
    s.close()
tok = login(inst, "carla", "Carla-2").get("token")
time.sleep(LIFETIME + 0.5)
r, out = session_output(inst, tok)
ok(r.get("status") == "fail" and "expired" in r.get("reason", ""),
   "a token expires after auth_token_lifetime")
like(inst.read_log(), "session: user=<carla@mired.org>, service=pop3",
     "a session is logged")

r = user_cmd(inst, "del", "carla")
is_(r.returncode, 0, "user del removes a user")
is_(login(inst, "carla", "Carla-2").get("status"), "fail", "who cannot log in then")
ok("carla@" not in user_cmd(inst, "list").stdout, "and is not listed")

# A reload replaces the auth process; logins go on.
old = set(inst.pids("auth"))
inst.run_ok("cartero", "reload")
ok(old and wait_for(lambda: not (set(inst.pids("auth")) & old), 15),
   "a reload retires the old auth process")
is_(login(inst, "ana", "ana").get("status"), "ok", "and a new one serves")

# Root only: a system user through PAM, shell /bin/false.
PAMUSER = "cartauth"
try:
    pwd.getpwnam(PAMUSER)
    pam_user_exists = True
except KeyError:
    pam_user_exists = False
if not is_root() or pam_user_exists or \
        subprocess.run(["which", "useradd"], capture_output=True).returncode:
    for i in range(5):
        ok(True, "# SKIP PAM login needs root and useradd")
else:
    home = os.path.join(inst.dir, "home-" + PAMUSER)
    subprocess.run(["useradd", "-M", "-d", home, "-s", "/bin/false", PAMUSER],
                   check=True)
    try:
        subprocess.run(["chpasswd"], input="%s:Pam-Secret-5\n" % PAMUSER,
                       text=True, check=True)
        os.makedirs(home)
        shutil.chown(home, PAMUSER, PAMUSER)
        r = login(inst, PAMUSER, "Pam-Secret-5")
        is_((r.get("status"), r.get("account")), ("ok", PAMUSER),
            "a system user with shell /bin/false logs in through PAM")
        r = login(inst, PAMUSER + "@mired.org", "Pam-Secret-5")
        is_(r.get("account"), PAMUSER, "also as name@domain")
        is_(login(inst, PAMUSER, "nope").get("status"), "fail",
            "a wrong PAM password is refused")
        r, out = session_output(inst, login(inst, PAMUSER, "Pam-Secret-5")
                                .get("token"))
        like(out, "uid=%d\n" % pwd.getpwnam(PAMUSER).pw_uid,
             "the session runs as the system user")
        ok("HOME=%s\n" % home in out and "MAILDIR=%s/Maildir/" % home in out,
           "in the user's home and Maildir")
    finally:
        subprocess.run(["userdel", PAMUSER], capture_output=True)
is_(login(inst, "root", "x").get("status"), "fail", "root never logs in")

done()
