#!/usr/bin/env python3
# pop3d with real clients: fetchmail (Debian) retrieving with --keep and
# without, in plaintext and with STLS, handing the mail to an MDA; curl
# pop3:// and pop3s:// (LIST, RETR); openssl s_client -starttls pop3.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import glob
import shutil
import smtplib
import subprocess
import tempfile


def deliver(subject, body, user="ana"):
    inst.deliver_wait(subject, body, user)


def files(user="ana"):
    return inst.mail_files(user)


def fetchmail(work, keep, tls, fetchall=False):
    """Run fetchmail once against pop_port; (returncode, output, mbox text)."""
    rc = os.path.join(work, "fetchmailrc")
    out = os.path.join(work, "mbox")
    with open(rc, "w") as f:
        f.write("set no bouncemail\n")
        f.write("poll 127.0.0.1 service %d protocol pop3 auth password\n"
                % pop_port)
        f.write('  user "ana@mired.org" there with password "ana" is "%s" '
                'here\n' % os.environ.get("USER", "root"))
        f.write('  mda "cat >> %s"\n' % out)
        f.write("  %s\n" % ("keep" if keep else "nokeep"))
        if fetchall:
            f.write("  fetchall\n")
        if tls:
            f.write('  sslproto "auto" no sslcertck\n')
        else:
            f.write("  sslproto ''\n")
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=work)
    r = subprocess.run(["fetchmail", "-f", rc, "-i",
                        os.path.join(work, "fetchids"), "--nosyslog", "-v"],
                       capture_output=True, text=True, env=env, timeout=60)
    try:
        text = open(out, errors="replace").read()
    except FileNotFoundError:
        text = ""
    return r.returncode, r.stdout + r.stderr, text


(pop_port, pops_port), extra = services(
    "pop3d", "pop3d -o pop3d_tls_wrappermode=yes")
inst = Instance(master_extra=extra)
wait_for(lambda: inst.listening(), 10)
deliver("primero", "uno\r\n")
deliver("segundo", "dos\r\n.con punto\r\n")
ok(inst.wait_mail(2), "two messages for ana")

# --- curl. ---
if shutil.which("curl") is None:
    for i in range(4):
        ok(True, "# SKIP curl is not installed")
else:
    r = subprocess.run(["curl", "-s", "-u", "ana:ana",
                        "pop3://127.0.0.1:%d/" % pop_port],
                       capture_output=True, text=True, timeout=30)
    lines = r.stdout.split()
    is_(r.returncode, 0, "curl pop3:// (LIST) succeeds")
    ok(r.stdout.startswith("1 ") and "\n2 " in r.stdout.replace("\r", ""),
       "curl lists two messages")
    r = subprocess.run(["curl", "-s", "-u", "ana@mired.org:ana",
                        "pop3://127.0.0.1:%d/2" % pop_port],
                       capture_output=True, text=True, timeout=30)
    ok(r.returncode == 0 and "Subject: segundo" in r.stdout and
       "\n.con punto" in r.stdout.replace("\r", ""),
       "curl pop3://.../2 retrieves the message, dot unstuffed")
    r = subprocess.run(["curl", "-s", "-k", "-u", "ana:ana",
                        "pop3s://127.0.0.1:%d/1" % pops_port],
                       capture_output=True, text=True, timeout=30)
    ok(r.returncode == 0 and "Subject: primero" in r.stdout,
       "curl pop3s:// (implicit TLS) retrieves")

# --- openssl s_client -starttls pop3. ---
r = subprocess.run(["openssl", "s_client", "-starttls", "pop3", "-crlf",
                    "-quiet", "-connect", "127.0.0.1:%d" % pop_port],
                   input="USER ana\nPASS ana\nSTAT\nQUIT\n",
                   capture_output=True, text=True, timeout=30)
like(r.stdout, "+OK Logged in.", "openssl s_client -starttls pop3: login")
like(r.stdout, "+OK 2 ", "... STAT")
like(r.stdout, "+OK Logging out.", "... QUIT")

# --- fetchmail. ---
if shutil.which("fetchmail") is None:
    for i in range(10):
        ok(True, "# SKIP fetchmail is not installed (Debian package fetchmail)")
else:
    work = tempfile.mkdtemp(prefix="cartero-fetch-")
    code, out, text = fetchmail(work, keep=True, tls=False)
    is_(code, 0, "fetchmail --keep (plaintext) succeeds")
    ok("Subject: primero" in text and "Subject: segundo" in text,
       "... the MDA got both messages")
    ok(".con punto" in text and "..con punto" not in text,
       "... dot-stuffing undone")
    is_(len(files()), 2, "... and they stay on the server")
    ok(all(":2,S" in f for f in files()), "... marked seen (moved to cur/)")
    if code != 0:
        diag(out)
    if os.path.exists(os.path.join(work, "mbox")):
        os.unlink(os.path.join(work, "mbox"))
    deliver("tercero", "tres\r\n")
    ok(wait_for(lambda: len(files()) == 3, 10), "a third message")
    code, out, text = fetchmail(work, keep=True, tls=True)
    ok(code == 0 and "Subject: tercero" in text and
       "Subject: primero" not in text,
       "fetchmail --keep over STLS fetches only the new one (UIDL)")
    if code != 0:
        diag(out)
    like(out, "STLS", "... it used STLS")
    if os.path.exists(os.path.join(work, "mbox")):
        os.unlink(os.path.join(work, "mbox"))
    code, out, text = fetchmail(work, keep=False, tls=False, fetchall=True)
    ok(code == 0 and all("Subject: %s" % s in text
                         for s in ("primero", "segundo", "tercero")),
       "fetchmail without --keep (fetchall) fetches all three")
    if code != 0:
        diag(out)
    ok(wait_for(lambda: len(files()) == 0, 5),
       "... and deleted them on the server")
    shutil.rmtree(work, ignore_errors=True)
done()
