#!/usr/bin/env python3
# carteroconf (postconf's habits) and carteromap (postmap's habits), also
# called as postconf and postmap, the names cartero-postfix-compat gives
# them (symbolic links), with the seed's lines as it types them.
import os, subprocess, sys
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

# The seed's lines, through links named postconf and postmap, with the
# configuration found as the default one (no -c: $CARTERO_CONFIG_DIR).
bindir = os.path.join(inst.dir, "compat")
os.makedirs(bindir)
for name, real in (("postconf", "carteroconf"), ("postmap", "carteromap")):
    os.symlink(os.path.join(BUILD, "cli", real), os.path.join(bindir, name))
compat_env = dict(os.environ, CARTERO_CONFIG_DIR=inst.etc)


def compat(*argv, input=None):
    return subprocess.run([os.path.join(bindir, argv[0])] + list(argv[1:]),
                          input=input, capture_output=True, text=True,
                          env=compat_env, timeout=60)


r = compat("postconf", "-e", "home_mailbox = Maildir/")
is_((r.returncode, r.stderr), (0, ""), "postconf -e 'home_mailbox = Maildir/'")
r = compat("postconf", "-e", "relay_domains = listas.mired.org")
is_((r.returncode, r.stderr), (0, ""),
    "postconf -e 'relay_domains = listas.mired.org'")
r = compat("postconf", "-e", "transport_maps = hash:" + tfile)
is_((r.returncode, r.stderr), (0, ""), "postconf -e 'transport_maps = ...'")
r = compat("postconf", "-e", "mailman_destination_recipient_limit = 1")
is_((r.returncode, r.stderr), (0, ""),
    "postconf -e 'mailman_destination_recipient_limit = 1', no warning")
r = compat("postconf", "-n")
for line in ("home_mailbox = Maildir/", "relay_domains = listas.mired.org",
             "transport_maps = hash:" + tfile,
             "mailman_destination_recipient_limit = 1"):
    like(r.stdout, line + "\n", "postconf -n shows " + line.split()[0])
like(open(main_cf).read(), "# a comment that must survive",
     "main.cf keeps its comments through postconf -e")
r = compat("postconf", "-h", "relay_domains")
is_(r.stdout, "listas.mired.org\n", "postconf -h reads the same main.cf")
r = compat("postconf", "-v", "-e", "relay_domains = listas.mired.org")
like(r.stderr, "postconf: %s, line " % os.path.realpath(main_cf),
     "postconf -v says which line -e changed, under postconf's name")
like(r.stderr, "written (", "and that main.cf was written")
r = compat("postconf", "-m")
is_((r.returncode, r.stdout.split()), (0, ["hash", "texthash"]),
    "postconf -m lists the lookup table types")
r = compat("postconf", "no_such_parameter")
like(r.stderr, "postconf: warning: unknown parameter", "postconf's warnings say postconf")
r = compat("postconf", "-Q")
ok(r.returncode != 0 and "usage: postconf " in r.stderr,
   "postconf's usage says postconf")

os.unlink(tfile + ".db")
r = compat("postmap", "-v", tfile)
is_(r.returncode, 0, "postmap -v FILE builds the table")
ok(os.path.exists(tfile + ".db"), "as FILE.db")
like(r.stderr, "postmap: configuration: %s/main.cf" % inst.etc,
     "-v says which main.cf it read")
like(r.stderr, "postmap: hash:%s: 2 entries from %s written to %s.db" %
     (tfile, tfile, tfile), "-v says what it built: entries, source, file")
r = compat("postmap", "-q", "listas.mired.org", tfile)
is_((r.returncode, r.stdout), (0, "mailman:\n"), "postmap -q finds the key")
r = compat("postmap", "-v", "-q", "absent.org", "hash:" + tfile)
is_(r.returncode, 1, "postmap -v -q of a missing key exits 1")
like(r.stderr, "lookup of absent.org: not found", "and -v says so")
r = compat("postmap", "-v", "texthash:" + tfile)
like(r.stderr, "texthash:%s: 2 entries, read as the text stands" % tfile,
     "postmap -v texthash: says there is nothing to build")
r = inst.cmd("carteromap", "-v", tfile)
like(r.stderr, "carteromap: hash:", "called by its own name, it says carteromap")
r = compat("postmap", "-Q", tfile)
ok(r.returncode != 0 and "usage: postmap " in r.stderr,
   "postmap's usage says postmap")
done()
