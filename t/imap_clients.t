#!/usr/bin/env python3
# imapd with real clients: curl imap:// and imaps:// (LIST, a message by
# UID, a section, SEARCH, EXAMINE); mbsync (Debian isync) syncing a
# 1000-message mailbox to a local Maildir, changes both ways (new
# messages, flags, expunges), and a run with no change that changes
# nothing; mutt in batch mode (on a pseudo-terminal) reading a message and
# moving it to another folder.  A client that is not installed is skipped.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import glob
import imaplib
import pty
import re
import select
import shutil
import signal
import smtplib
import subprocess
import time

inst = Instance()
wait_for(lambda: inst.listening(), 10)
md = inst.maildir()


def deliver(subject, body):
    before = len(glob.glob(os.path.join(md, "new", "*")) +
                 glob.glob(os.path.join(md, "cur", "*")))
    c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
    c.sendmail("bob@mired.org", ["ana@mired.org"],
               "From: bob@mired.org\r\nSubject: %s\r\n\r\n%s" %
               (subject, body))
    c.quit()
    wait_for(lambda: len(glob.glob(os.path.join(md, "new", "*")) +
                         glob.glob(os.path.join(md, "cur", "*"))) > before,
             20)


def put(path, text):
    """Write text to the file path; the path."""
    with open(path, "w") as f:
        f.write(text)
    return path


def connect():
    m = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=10)
    m.login("ana", "ana")
    return m


def status(folder="INBOX"):
    m = connect()
    typ, data = m.status(folder, "(MESSAGES UIDNEXT HIGHESTMODSEQ)")
    m.logout()
    return data[0].decode()


deliver("para curl", "hola curl\r\n")
deliver("para mutt", "hola mutt\r\n")

# --- curl ---
if shutil.which("curl"):
    url = "imap://127.0.0.1:%d" % inst.imap_port

    def curl(*args):
        p = subprocess.run(["curl", "-sS", "-u", "ana:ana"] + list(args),
                           capture_output=True, timeout=60)
        return p.returncode, p.stdout.decode(errors="replace")

    rc, out = curl(url + "/")
    ok(rc == 0 and '"INBOX"' in out, "curl imap://: the folder list")
    rc, out = curl(url + "/INBOX;UID=1")
    ok(rc == 0 and "Subject: para curl" in out and "hola curl" in out,
       "curl: a message by UID")
    rc, out = curl(url + "/INBOX;UID=1;SECTION=TEXT")
    is_(out, "hola curl\r\n", "curl: SECTION=TEXT")
    rc, out = curl(url + "/INBOX?SUBJECT%20mutt")
    is_(out.strip(), "* SEARCH 2", "curl: a SEARCH")
    rc, out = curl("-X", "EXAMINE INBOX", url + "/")
    ok("* 2 EXISTS" in out and "READ-ONLY" not in out.upper() or
       "[PERMANENTFLAGS ()]" in out, "curl -X EXAMINE")
    rc, out = curl("-k", "imaps://127.0.0.1:%d/INBOX;UID=2;SECTION="
                   "HEADER.FIELDS%%20(SUBJECT)" % inst.imaps_port)
    is_(out, "Subject: para mutt\r\n\r\n", "curl imaps://: a header field")
    rc, out = curl("--ssl-reqd", "-k", "--login-options", "AUTH=PLAIN",
                   url + "/INBOX;UID=2;SECTION=1")
    is_(out, "hola mutt\r\n", "curl with STARTTLS and AUTH=PLAIN")
else:
    ok(True, "# SKIP curl is not installed")

# --- mutt: read a message, move it to Sent ---
if shutil.which("mutt"):
    saved = os.path.join(inst.dir, "leido.txt")
    rc = put(os.path.join(inst.dir, "muttrc"),
             'set imap_pass="ana"\n'
             'set folder="imap://ana@127.0.0.1:%d/"\n'
             'set spoolfile="+INBOX"\n'
             'set ssl_starttls=no\nset ssl_force_tls=no\n'
             'set header_cache=\nset message_cachedir=\n'
             'set confirmappend=no\nset confirmcreate=no\n'
             'set move=no\nset wait_key=no\nset delete=yes\n'
             'set quit=yes\nset mark_old=no\n' % inst.imap_port)
    keys = ('push "<search>~s mutt<enter><pipe-message>cat > %s<enter>'
            '<save-message>=Sent<enter><sync-mailbox><quit>"' % saved)
    env = dict(os.environ, TERM="vt100", HOME=inst.dir)
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvpe("mutt", ["mutt", "-n", "-F", rc, "-e", keys], env)
        finally:
            os._exit(127)
    end = time.time() + 30
    status_code = None
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                os.read(fd, 65536)
            except OSError:
                pass
        p, st = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            status_code = st
            break
    if status_code is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)
    ok(status_code is not None, "mutt ran its batch of keys and quit")
    text = open(saved).read() if os.path.exists(saved) else ""
    like(text, "hola mutt", "mutt read the message (piped it out)")
    m = connect()
    m.select("Sent")
    typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    like(str(data), "Subject: para mutt", "mutt moved it to Sent")
    typ, data = m.select("INBOX")
    is_(data, [b"1"], "... and it left INBOX")
    m.logout()
else:
    ok(True, "# SKIP mutt is not installed")

# --- mbsync: 1000 messages both ways ---
if shutil.which("mbsync"):
    n = 1000
    for i in range(n):
        name = "%d.M%dP1Q%d.host,S=200" % (1700000000 + i, i, i)
        put(os.path.join(md, "new", name),
            "From: Persona %d <p%d@example.org>\nSubject: mensaje "
            "%d\nMessage-ID: <m%d@example.org>\n\nHola %d\n" %
            (i, i, i, i, i))
    if is_root():
        subprocess.run(["chown", "-R", "%s:" % inst.vowner, inst.mail])
    local = os.path.join(inst.dir, "local")
    os.makedirs(local)
    rcfile = put(os.path.join(inst.dir, "mbsyncrc"),
                 "IMAPAccount cartero\nHost 127.0.0.1\nPort %d\nUser ana\n"
                 "Pass ana\nSSLType None\nAuthMechs LOGIN\n\n"
                 "IMAPStore remote\nAccount cartero\n\n"
                 "MaildirStore local\nPath %s/\nInbox %s/INBOX\n"
                 "SubFolders Verbatim\n\n"
                 "Channel sync\nFar :remote:\nNear :local:\n"
                 "Patterns INBOX\n"
                 "Create Both\nExpunge Both\nSyncState *\nSync All\n"
                 % (inst.imap_port, local, local))

    def mbsync():
        p = subprocess.run(["mbsync", "-q", "-c", rcfile, "sync"],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            diag(p.stdout[-2000:] + p.stderr[-2000:])
        return p.returncode

    def local_files():
        return sorted(os.path.basename(x) for x in
                      glob.glob(os.path.join(local, "INBOX", "new", "*")) +
                      glob.glob(os.path.join(local, "INBOX", "cur", "*")))

    is_(mbsync(), 0, "mbsync: the first sync")
    is_(len(local_files()), n + 1, "... brought all %d messages" % (n + 1))
    before_local = local_files()
    before_remote = status()
    is_(mbsync(), 0, "mbsync again with no change")
    is_(local_files(), before_local, "... changed nothing here")
    is_(status(), before_remote, "... nor on the server (same UIDNEXT and "
        "HIGHESTMODSEQ)")
    # Changes on both sides.
    for i in range(5):
        put(os.path.join(local, "INBOX", "new",
                         "%d.local%d.host" % (1800000000 + i, i)),
            "Subject: desde local %d\n\nhola\n" % i)
    newdir = os.path.join(local, "INBOX", "new")
    pick = [x for x in os.listdir(newdir)
            if re.search(r",U=(100|200|300):", x)]
    for x in pick:
        os.rename(os.path.join(newdir, x),
                  os.path.join(local, "INBOX", "cur",
                               x.split(":")[0] + ":2,FS"))
    m = connect()
    m.select()
    m.store("10", "+FLAGS", "(\\Flagged)")
    m.store("20", "+FLAGS", "(\\Deleted)")
    m.expunge()
    m.logout()
    is_(len(pick), 3, "three local messages flagged and seen")
    is_(mbsync(), 0, "mbsync after changes on both sides")
    m = connect()
    typ, data = m.select()
    is_(data, [str(n + 1 - 1 + 5).encode()], "the server has the 5 new "
        "local messages (and one fewer)")
    typ, data = m.search(None, 'SUBJECT "desde local"')
    is_(len(data[0].split()), 5, "... they are the local ones")
    typ, data = m.search(None, "FLAGGED SEEN")
    is_(len(data[0].split()), 3, "local flags reached the server")
    m.logout()
    is_(len(local_files()), n + 5, "the local side has the server's "
        "expunge too")
    ok(any(re.search(r",U=10:2,F", x) for x in local_files()),
       "the server's \\Flagged reached the local side")
    before_local = local_files()
    before_remote = status()
    is_(mbsync(), 0, "mbsync once more with no change")
    is_(local_files(), before_local, "... nothing changed here")
    is_(status(), before_remote, "... nor there")
else:
    ok(True, "# SKIP mbsync (isync) is not installed")

done()
