#!/usr/bin/env python3
# carteroconf (postconf's habits) and carteromap (postmap's habits).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

inst = Instance(start=False)
main_cf = os.path.join(inst.etc, "main.cf")
with open(main_cf, "a") as f:
    f.write("# a comment that must survive\nmessage_size_limit = 20480000\n")

r = inst.cmd("carteroconf")
is_(r.returncode, 0, "carteroconf prints every parameter")
like(r.stdout, "mydestination = ", "mydestination is among them")
like(r.stdout, "maximal_queue_lifetime = ", "so is a default one")
r = inst.cmd("carteroconf", "-n")
like(r.stdout, "message_size_limit = 20480000", "-n shows what main.cf sets")
ok("maximal_queue_lifetime" not in r.stdout, "and only that")
r = inst.cmd("carteroconf", "-d", "message_size_limit")
is_(r.stdout.strip(), "message_size_limit = 10240000", "-d shows the default")
r = inst.cmd("carteroconf", "-h", "mydomain")
is_(r.stdout.strip(), "mired.org", "-h prints the value alone")
r = inst.cmd("carteroconf", "-e", "mydomain = example.org", "relayhost = [smtp.example.org]")
is_(r.returncode, 0, "-e edits main.cf")
r = inst.cmd("carteroconf", "-h", "mydomain", "relayhost")
is_(r.stdout.split(), ["example.org", "[smtp.example.org]"], "both values changed")
text = open(main_cf).read()
like(text, "# a comment that must survive", "comments are kept")
ok(text.index("mydomain = example.org") < text.index("message_size_limit"),
   "an edited line keeps its place")
r = inst.cmd("carteroconf", "-X", "relayhost")
r = inst.cmd("carteroconf", "-n")
ok("relayhost" not in r.stdout, "-X removes a parameter")
r = inst.cmd("carteroconf", "no_such_parameter")
like(r.stderr, "unknown parameter", "an unknown name gets a warning")
r = inst.cmd("carteroconf", "-e", "message_size_limit = huge")
ok(r.returncode != 0, "-e refuses a bad value for a number")
like(open(main_cf).read(), "message_size_limit = 20480000", "and main.cf is unchanged")

tfile = os.path.join(inst.etc, "transport")
with open(tfile, "w") as f:
    f.write("# comment\nlistas.mired.org  mailman:\nExample.COM   smtp:[relay.example.com]\n")
r = inst.cmd("carteromap", "hash:" + tfile)
is_(r.returncode, 0, "carteromap builds a hash table")
ok(os.path.exists(tfile + ".db"), "as a .db file")
r = inst.cmd("carteromap", "-q", "listas.mired.org", "hash:" + tfile)
is_((r.returncode, r.stdout.strip()), (0, "mailman:"), "-q finds a key")
r = inst.cmd("carteromap", "-q", "example.com", "hash:" + tfile)
is_(r.stdout.strip(), "smtp:[relay.example.com]", "keys match without regard to case")
r = inst.cmd("carteromap", "-q", "absent.org", "hash:" + tfile)
is_(r.returncode, 1, "a missing key exits 1")
done()
