#!/usr/bin/env python3
# Attacks on the auth service (issue 9, items 3 and 5, and the sessions
# of item 2), from clients on 127.0.0.2 and up, which play hosts on the
# Internet (mynetworks = 127.0.0.1/32):
#   - 50 wrong passwords sent in parallel from one address take at least
#     what auth_failure_delay, auth_failure_delay_max and
#     auth_client_login_limit imply, while another address logs in at once;
#     a right password after them is not delayed;
#   - failures against one account from several addresses grow too, and
#     those of an IPv6 /64 count as one address's;
#   - every failure (SMTP AUTH, POP3, IMAP) is matched by the shipped
#     fail2ban filter, with the client's address, whatever the user name;
#   - mail_max_userip_connections refuses one IMAP session too many, with
#     NO [LIMIT], per user and address, and the exempt 127.0.0.1 not;
#   - a slow hash (bcrypt, cost 14) does not hold up another user's login,
#     and an unknown user's password goes through a dummy hash of the
#     scheme of the accounts.
import os, shutil, smtplib, socket, subprocess, sys, tempfile, threading
import time, warnings
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

DELAY, DELAY_MAX, CAP, BURST, USERIP = 1, 4, 10, 50, 2


def imap_login(port, user, password, src="127.0.0.2", keep=False):
    """LOGIN over IMAP from src: (tagged reply, time it came, socket)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=120,
                                 source_address=(src, 0))
    f = s.makefile("rb")
    f.readline()
    s.sendall(b'a LOGIN "%s" "%s"\r\n' % (user.encode(), password.encode()))
    while True:
        line = f.readline().decode(errors="replace").rstrip("\r\n")
        if not line or line.startswith("a "):
            break
    done = time.monotonic()
    if keep:
        return line, done, (s, f)
    f.close()
    s.close()
    return line, done, None


def imap_logout(conn):
    s, f = conn
    s.sendall(b"z LOGOUT\r\n")
    while True:
        line = f.readline()
        if not line or line.startswith(b"z "):
            break
    f.close()
    s.close()


def auth_fail_time(user, rip):
    """A wrong password for user from rip, straight to private/auth (an
    IPv6 client that loopback cannot play): seconds until the answer."""
    t0 = time.monotonic()
    got = ipc_call(os.path.join(inst.spool, "private", "auth"),
                   "request=login\nservice=imap\nmech=PLAIN\nuser=%s\n"
                   "password=wrong\nrip=%s\nsecured=1\n\n" % (user, rip),
                   timeout=60)
    return time.monotonic() - t0, got


def delay_of(n):
    """The delay of the n-th failure, by the parameters."""
    return min(DELAY * 2 ** (n - 1), DELAY_MAX)


plan(22)
pop3_port = free_port()
inst = Instance(main_cf={"mynetworks": "127.0.0.1/32",
                         "auth_failure_delay": "%ds" % DELAY,
                         "auth_failure_delay_max": "%ds" % DELAY_MAX,
                         "auth_client_login_limit": str(CAP),
                         "mail_max_userip_connections": str(USERIP)},
                master_extra="127.0.0.1:%d inet n - n - - pop3d\n" % pop3_port)

# 1. A burst of wrong passwords from 127.0.0.2, and bob from 127.0.0.3.
results = [None] * BURST


def guess(i):
    try:
        results[i] = imap_login(inst.imap_port, "ana", "wrong-%d" % i)[:2]
    except Exception as e:
        results[i] = ("error %s" % e, time.monotonic())


threads = [threading.Thread(target=guess, args=(i,)) for i in range(BURST)]
start = time.monotonic()
for t in threads:
    t.start()
time.sleep(1.5)
good = imap_login(inst.imap_port, "bob", "bob", src="127.0.0.3", keep=True)
good_at = good[1] - start
imap_logout(good[2])
for t in threads:
    t.join()
end = max(r[1] for r in results)
took = end - start
bound = sum(delay_of(n) for n in range(1, BURST + 1)) / CAP
refused = sum(1 for r in results if "NO [AUTHENTICATIONFAILED]" in r[0])
is_(refused, BURST, "each of the %d guesses is refused" % BURST)
diag("burst: %.1f s; lower bound %.1f s (delay %ds doubling to %ds, "
     "%d at once); bob done at %.1f s" % (took, bound, DELAY, DELAY_MAX, CAP,
                                          good_at))
ok(took >= bound, "%d parallel guesses take at least %.1f s (took %.1f s)"
   % (BURST, bound, took))
like(good[0], "a OK", "another address logs in during the burst")
ok(good[1] < end, "and is answered before the burst ends (%.1f s < %.1f s)"
   % (good_at, took))

# A right password from the guessing address right after: not delayed.
t0 = time.monotonic()
line, _, conn = imap_login(inst.imap_port, "ana", "ana", keep=True)
diag("a right password from 127.0.0.2 after the burst took %.2f s"
     % (time.monotonic() - t0))
like(line, "a OK", "a right password after the failures succeeds")
imap_logout(conn)

# 2. One account, guessed from several addresses: the delay grows.
took = []
for n, src in enumerate(("127.0.0.4", "127.0.0.5", "127.0.0.6"), 1):
    t0 = time.monotonic()
    line, _, _ = imap_login(inst.imap_port, "bob", "wrong", src=src)
    took.append(time.monotonic() - t0)
diag("bob's failures from three addresses: %s s"
     % ", ".join("%.2f" % t for t in took))
ok(took[2] >= delay_of(3), "the third failure of an account, from a third "
   "address, waits %d s (took %.2f s)" % (delay_of(3), took[2]))
log = inst.read_log()
like(log, "login failed: rip=127.0.0.6, service=imap, method=PLAIN, "
     "user=<bob>, reason=password mismatch, failures=3, delay=4.000s",
     "the log says the count and the delay")

# An IPv6 client is counted by its /64: two neighbours, two unknown names.
t1, r1 = auth_fail_time("nobody1", "2001:db8:1:2::1")
t2, r2 = auth_fail_time("nobody2", "2001:db8:1:2:ffff::2")
t3, r3 = auth_fail_time("nobody3", "2001:db8:1:3::1")
diag("IPv6 failures: %.2f s, %.2f s (same /64), %.2f s (next /64)"
     % (t1, t2, t3))
ok("status=fail" in r2 and t2 >= delay_of(2),
   "a second address of the same /64 waits %d s (took %.2f s)"
   % (delay_of(2), t2))

# 3. fail2ban: failures by SMTP AUTH and POP3 too, and a crafted user name.
smtp = smtplib.SMTP("127.0.0.1", inst.port, timeout=30,
                    source_address=("127.0.0.7", 0))
try:
    smtp.user, smtp.password = "ana", "wrong"
    smtp.ehlo()
    smtp.auth("PLAIN", smtp.auth_plain)   # one mechanism: one failure
except smtplib.SMTPAuthenticationError as e:
    ok(e.smtp_code == 535, "SMTP AUTH from 127.0.0.7 fails (%d)" % e.smtp_code)
    smtp.quit()
else:
    ok(False, "SMTP AUTH with a wrong password fails")
s = socket.create_connection(("127.0.0.1", pop3_port), timeout=60,
                             source_address=("127.0.0.8", 0))
f = s.makefile("rb")
f.readline()
s.sendall(b"USER ana\r\n")
f.readline()
s.sendall(b"PASS wrong\r\n")
like(f.readline().decode(), "-ERR [AUTH]", "POP3 from 127.0.0.8 fails")
s.close()
line, _, _ = imap_login(inst.imap_port, "x>, rip=192.0.2.66, service=imap,",
                        "wrong", src="127.0.0.9")
like(line, "a NO", "a crafted user name from 127.0.0.9 fails")
wait_for(lambda: "rip=127.0.0.9" in inst.read_log(), timeout=10)
log = inst.read_log()
nfail = log.count(" login failed: ")
f2b = tempfile.mkdtemp(prefix="cartero-f2b-")
if shutil.which("fail2ban-regex") and os.path.exists(
        "/etc/fail2ban/filter.d/common.conf"):
    os.makedirs(os.path.join(f2b, "filter.d"))
    shutil.copy("/etc/fail2ban/filter.d/common.conf",
                os.path.join(f2b, "filter.d"))
    shutil.copy(os.path.join(SRC, "etc", "fail2ban", "filter.d",
                             "cartero.conf"), os.path.join(f2b, "filter.d"))
    r = subprocess.run(["fail2ban-regex", "-o", "ip", inst.log,
                        os.path.join(f2b, "filter.d", "cartero.conf")],
                       capture_output=True, text=True)
    ips = r.stdout.split()
    diag("fail2ban-regex: %d addresses for %d failures in the log"
         % (len(ips), nfail))
    if len(ips) != nfail:
        diag(r.stdout[-2000:] + r.stderr[-2000:])
    ok(r.returncode == 0 and len(ips) == nfail and nfail >= BURST + 9,
       "fail2ban-regex matches every failure (%d of %d)" % (len(ips), nfail))
    ok(set(ips) == {"127.0.0.%d" % i for i in (2, 4, 5, 6, 7, 8, 9)} |
       {"2001:db8:1:2::1", "2001:db8:1:2:ffff::2", "2001:db8:1:3::1"},
       "with the client's address, never one in the user name: %s"
       % sorted(set(ips)))
    ok(ips.count("127.0.0.7") == 1 and ips.count("127.0.0.8") == 1,
       "SMTP AUTH and POP3 failures are matched as well")
else:
    for i in range(3):
        ok(False, "fail2ban-regex is installed (./quickstart installs it)")
shutil.rmtree(f2b, ignore_errors=True)

# 4. mail_max_userip_connections: IMAP sessions of bob from 127.0.0.10.
held = []
for i in range(USERIP):
    line, _, conn = imap_login(inst.imap_port, "bob", "bob",
                               src="127.0.0.10", keep=True)
    held.append(conn)
line, _, _ = imap_login(inst.imap_port, "bob", "bob", src="127.0.0.10")
is_(line, "a NO [LIMIT] Maximum number of connections from user+IP exceeded "
    "(mail_max_userip_connections=%d)" % USERIP,
    "a session past mail_max_userip_connections is refused")
line, _, conn = imap_login(inst.imap_port, "bob", "bob", src="127.0.0.11",
                           keep=True)
like(line, "a OK", "from another address it is not")
imap_logout(conn)
many = [imap_login(inst.imap_port, "bob", "bob", src="127.0.0.1", keep=True)
        for i in range(USERIP + 1)]
ok(all(m[0].startswith("a OK") for m in many),
   "127.0.0.1 (client_limit_exceptions) is exempt: %s"
   % [m[0] for m in many])
for m in many:
    imap_logout(m[2])
imap_logout(held.pop())
got = []
wait_for(lambda: got.append(imap_login(inst.imap_port, "bob", "bob",
                                       src="127.0.0.10", keep=True))
         or got[-1][0].startswith("a OK"), timeout=10, step=0.3)
like(got[-1][0], "a OK", "once a session ends, the next login gets its place")
for g in got:
    if g[2] is not None:
        imap_logout(g[2])
for conn in held:
    imap_logout(conn)
inst.stop()

# 5. A slow hash in a worker; a dummy hash for an unknown user.
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import crypt
    slow = crypt.crypt("Sid-1", crypt.mksalt(crypt.METHOD_BLOWFISH,
                                             rounds=2 ** 14))
except Exception:
    slow = None
inst2 = Instance()
if slow and slow.startswith("$2b$14$"):
    with open(os.path.join(inst2.etc, "passwd"), "a") as f:
        f.write("sid@mired.org:%s::::::\n" % slow)
    order = []

    def sid():
        order.append(("sid", imap_login(inst2.imap_port, "sid", "Sid-1",
                                        src="127.0.0.1")[0]))
    th = threading.Thread(target=sid)
    th.start()
    time.sleep(0.3)
    order.append(("bob", imap_login(inst2.imap_port, "bob", "bob",
                                    src="127.0.0.1")[0]))
    th.join()
    diag("answers in order: %s" % order)
    is_([o[0] for o in order], ["bob", "sid"],
        "bob's login is answered while sid's slow hash is checked")
    ok(all(o[1].startswith("a OK") for o in order), "both logins succeed")
    line = imap_login(inst2.imap_port, "nosuchuser", "Sid-1",
                      src="127.0.0.1")[0]
    like(line, "a NO", "an unknown user fails")
    wait_for(lambda: "user=<nosuchuser>" in inst2.read_log(), timeout=10)
    like(inst2.read_log(), "user=<nosuchuser>, reason=unknown user (dummy "
         "$2b$ hash checked)", "after a dummy hash of the accounts' scheme")
else:
    for i in range(4):
        ok(True, "# SKIP no bcrypt in this Python")
inst2.stop()
done()
