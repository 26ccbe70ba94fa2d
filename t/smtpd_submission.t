#!/usr/bin/env python3
# Submission (587) and implicit TLS (465) with the -o options of the
# default etc/master.cf: STARTTLS first (530 5.7.0 before it, AUTH too),
# then AUTH before MAIL (530 5.7.0 Authentication required, even from
# mynetworks), then only one's own addresses (reject_sender_login_mismatch:
# 553 5.7.1 ... not owned by user), the +extension and case ignored, with
# smtpd_sender_login_maps for the others (an address, @domain).  Port 25
# keeps working without AUTH for mynetworks.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *
import smtplib


def service_options(name):
    """The -o lines of a service in the default etc/master.cf."""
    opts, inside = [], False
    with open(os.path.join(SRC, "etc", "master.cf")) as f:
        for line in f:
            if line.startswith(name + " "):
                inside = True
            elif inside and line.startswith((" ", "\t")):
                opts.append(line.strip())
            elif inside:
                break
    return opts


# As root (with the users cartero and vmail), submission runs chrooted as
# in the default master.cf: the login table is opened before the chroot.
from cartero_test import _user_exists
chroot = "y" if is_root() and _user_exists("cartero") and \
    _user_exists("vmail") else "n"
sub_port, smtps_port = free_port(), free_port()
extra = ""
for port, name in ((sub_port, "submission"), (smtps_port, "smtps")):
    extra += "127.0.0.1:%d inet n - %s - - smtpd\n" % (
        port, chroot if name == "submission" else "n")
    extra += "".join("  %s\n" % o for o in service_options(name)
                     if "syslog_name" not in o)
mismatch_port = free_port()
extra += ("127.0.0.1:%d inet n - n - - smtpd -o "
          "smtpd_sender_restrictions=reject_sender_login_mismatch\n"
          % mismatch_port)
inst = Instance(master_extra=extra, start=False, main_cf={
    "smtpd_sender_login_maps": "hash:$config_directory/sender_logins"})
with open(os.path.join(inst.etc, "sender_logins"), "w") as f:
    f.write("info@mired.org ana\n@listas.mired.org bob, ana@mired.org\n")
inst.run_ok("carteromap", "hash:" + os.path.join(inst.etc, "sender_logins"))
inst.start()

ok("-o smtpd_sender_restrictions=reject_sender_login_mismatch" in
   service_options("submission"),
   "the default submission service uses reject_sender_login_mismatch")


def code(reply):
    return "%d %s" % (reply[0], reply[1].decode(errors="replace"))


s = smtplib.SMTP("127.0.0.1", sub_port, timeout=15)
s.ehlo("client.example")
like(code(s.docmd("MAIL", "FROM:<ana@mired.org>")), "530 5.7.0",
     "587: MAIL before STARTTLS gets 530 5.7.0")
like(code(s.docmd("AUTH", "PLAIN AGFuYQBhbmE=")), "530 5.7.0",
     "587: AUTH before STARTTLS gets 530 5.7.0")
s.starttls(context=client_ctx())
s.ehlo("client.example")
is_(code(s.docmd("MAIL", "FROM:<ana@mired.org>")),
    "530 5.7.0 Authentication required",
    "587: MAIL before AUTH gets 530 5.7.0 Authentication required, from "
    "mynetworks too")
s.login("ana", "ana")
is_(code(s.docmd("MAIL", "FROM:<bob@mired.org>")),
    "553 5.7.1 <bob@mired.org>: Sender address rejected: not owned by user "
    "ana@mired.org", "587: ana as bob gets 553 5.7.1 not owned by user")
for addr in ("ana@mired.org", "ana+lists@mired.org", "ANA@Mired.ORG",
             "info@mired.org", "x@listas.mired.org"):
    like(code(s.docmd("MAIL", "FROM:<%s>" % addr)), "250 2.1.0",
         "587: ana may send as %s" % addr)
    s.docmd("RSET")
like(code(s.docmd("MAIL", "FROM:<ana@otro.test>")), "553 5.7.1",
     "587: ana's local part in another domain is not ana's")
s.docmd("RSET")
s.docmd("MAIL", "FROM:<ana@mired.org>")
like(code(s.docmd("RCPT", "TO:<pepe@otro.test>")), "250 2.1.5",
     "587: authenticated, ana may relay")
s.docmd("RSET")
s.sendmail("ana+x@mired.org", ["bob@mired.org"],
           "Subject: por 587\r\n\r\nhola\r\n")
s.quit()
ok(inst.wait_mail(1, "bob"), "587: ana's message arrives")

s = smtplib.SMTP("127.0.0.1", sub_port, timeout=15)
s.starttls(context=client_ctx())
s.ehlo("client.example")
s.login("bob", "bob")
like(code(s.docmd("MAIL", "FROM:<info@mired.org>")),
     "553 5.7.1 <info@mired.org>: Sender address rejected: not owned by "
     "user bob@mired.org", "587: info@ belongs to ana in the table, not bob")
s.docmd("RSET")
like(code(s.docmd("MAIL", "FROM:<lista@listas.mired.org>")), "250",
     "587: @listas.mired.org lists bob")
s.quit()

s = smtplib.SMTP_SSL("127.0.0.1", smtps_port, timeout=15,
                     context=client_ctx())
s.ehlo("client.example")
is_(code(s.docmd("MAIL", "FROM:<ana@mired.org>")),
    "530 5.7.0 Authentication required", "465: MAIL before AUTH gets 530")
s.login("ana@mired.org", "ana")
like(code(s.docmd("MAIL", "FROM:<bob@mired.org>")), "553 5.7.1",
     "465: ana as bob gets 553 5.7.1")
s.docmd("RSET")
like(code(s.docmd("MAIL", "FROM:<ana@mired.org>")), "250",
     "465: ana as ana is accepted")
s.quit()

s = smtplib.SMTP("127.0.0.1", inst.port, timeout=15)
s.ehlo("client.example")
like(code(s.docmd("MAIL", "FROM:<bob@mired.org>")), "250",
     "25: mynetworks still sends without AUTH")
s.quit()
s = smtplib.SMTP("127.0.0.1", mismatch_port, timeout=15)
s.ehlo("client.example")
is_(code(s.docmd("MAIL", "FROM:<info@mired.org>")), "553 5.7.1 "
    "<info@mired.org>: Sender address rejected: not logged in",
    "without AUTH, an address the login table lists is refused")
s.docmd("RSET")
like(code(s.docmd("MAIL", "FROM:<bob@mired.org>")), "250",
     "... one it does not list is left to the other checks")
s.quit()
log = inst.read_log()
ok("NOQUEUE: reject: MAIL from" in log and "not owned by user" in log,
   "the refusals are logged")
done()
