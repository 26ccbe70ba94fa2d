#!/usr/bin/env python3
# master: start/status/stop/reload, the pid lock, a killed smtpd replaced,
# a configuration error naming file, line and parameter.
import os, sys, signal, smtplib, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

inst = Instance()
r = inst.cmd("cartero", "status")
is_(r.returncode, 0, "cartero status says it is running")
like(r.stdout + r.stderr, "running", "in words")
r = inst.cmd("cartero", "start")
ok(r.returncode != 0, "a second start is refused")
like(r.stdout + r.stderr, "already running", "because the mail system is already running")
masters = inst.pids("master")
is_(len(masters), 1, "only one master runs")

c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
c.ehlo("x")
smtpds = wait_for(lambda: inst.pids("smtpd"), 5)
ok(smtpds, "master started an smtpd for the connection")
for p in smtpds:
    os.kill(p, signal.SIGKILL)
c.close()
time.sleep(0.5)
ok(wait_for(lambda: "killed by signal 9" in inst.read_log() or
            "signal 9" in inst.read_log(), 10), "master logs the killed smtpd")
def can_send():
    try:
        c = smtplib.SMTP("127.0.0.1", inst.port, timeout=10)
        c.sendmail("bob@mired.org", ["ana@mired.org"], "Subject: after kill\r\n\r\nx\r\n")
        c.quit()
        return True
    except Exception as e:
        diag("not yet: %s" % e)
        return False
ok(wait_for(can_send, 15, 0.5), "a new smtpd serves the next client")
ok(inst.wait_mail(1), "and its message is delivered")

qmgrs = inst.pids("qmgr")
is_(len(qmgrs), 1, "one qmgr runs")
os.kill(qmgrs[0], signal.SIGKILL)
ok(wait_for(lambda: inst.pids("qmgr") and inst.pids("qmgr") != qmgrs, 20),
   "master restarts a killed qmgr")

# Reload picks up a new master.cf service.
port2 = free_port()
with open(os.path.join(inst.etc, "master.cf"), "a") as f:
    f.write("127.0.0.1:%d inet n - n - - smtpd\n" % port2)
r = inst.cmd("cartero", "reload")
is_(r.returncode, 0, "cartero reload")
def second_port():
    try:
        import socket
        socket.create_connection(("127.0.0.1", port2), 1).close()
        return True
    except OSError:
        return False
ok(wait_for(second_port, 10), "after reload the new listener answers")

r = inst.cmd("cartero", "stop")
is_(r.returncode, 0, "cartero stop")
ok(wait_for(lambda: not inst.pids("master") and not inst.pids("smtpd") and
            not inst.pids("qmgr"), 15), "every process is gone")
r = inst.cmd("cartero", "status")
ok(r.returncode != 0, "status now says it is not running")
inst.started = False

# A configuration error stops the program, naming file, line and parameter.
with open(os.path.join(inst.etc, "main.cf"), "a") as f:
    f.write("message_size_limit = lots\n")
r = inst.cmd("cartero", "start")
ok(r.returncode != 0, "start refuses a bad main.cf")
err = r.stdout + r.stderr
like(err, "main.cf", "naming the file")
like(err, "line ", "the line")
like(err, "message_size_limit", "and the parameter")
ok(not inst.pids("master"), "and nothing was started")
done()
