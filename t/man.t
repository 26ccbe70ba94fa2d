#!/usr/bin/env python3
# The manual pages: each page of man/ (and cartero.conf.5, which the build
# makes with carteroconf -m) renders with `MANWIDTH=80 man --warnings -l`
# without a word on the standard error, and not empty; make install
# installs each (dist_man_MANS); every program Makefile.am installs (bin,
# sbin, the daemons, the links of install-exec-hook) has a page of its
# own name; and every page a SEE ALSO names exists: ours in man/, any other
# where man(1) finds it on this host.  The pages are rendered from a copy
# of the installed layout (man1/, man5/, man8/), so that a ".so man8/x.8"
# link page finds its target as it will when installed.
import os, re, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from cartero_test import *

if shutil.which("man") is None or shutil.which("groff") is None:
    skip_all("man-db and groff are not installed (./quickstart deps installs them)")

MAN = os.path.join(SRC, "man")
GENERATED = os.path.join(BUILD, "man", "cartero.conf.5")
PAGE = re.compile(r"^(.+)\.([1-9])$")


def makefile_words(text, var):
    """The words of a Makefile.am variable (each = and +=), continuation
    lines joined."""
    words = []
    for m in re.finditer(r"^%s\s*\+?=((?:.*\\\n)*.*)$" % re.escape(var),
                         text, re.M):
        words += m.group(1).replace("\\\n", " ").split()
    return words


def see_also(text):
    """(name, section) of each page the SEE ALSO section names."""
    m = re.search(r"^\.SH \"?SEE ALSO\"?\n(.*?)(?=^\.SH|\Z)", text, re.M | re.S)
    if m is None:
        return None
    return re.findall(r"^\.[BI]R\s+\"?([\w.+-]+)\"?\s+\((\d)\)", m.group(1), re.M)


pages = {}                      # "smtp.8" -> path
for f in sorted(os.listdir(MAN)):
    if PAGE.match(f):
        pages[f] = os.path.join(MAN, f)
ok(os.path.exists(GENERATED), "the build made cartero.conf.5 (carteroconf -m)")
if os.path.exists(GENERATED):
    pages["cartero.conf.5"] = GENERATED

# The installed layout, for the renderer (and for .so links).
tree = tempfile.mkdtemp(prefix="cartero-man-")
for f, path in pages.items():
    sect = PAGE.match(f).group(2)
    os.makedirs(os.path.join(tree, "man" + sect), exist_ok=True)
    shutil.copy(path, os.path.join(tree, "man" + sect, f))

env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MANPAGER="cat",
           PAGER="cat")
env.pop("MANPATH", None)
for f in sorted(pages):
    sect = PAGE.match(f).group(2)
    r = subprocess.run(["man", "--warnings", "-l",
                        os.path.join("man" + sect, f)], cwd=tree, env=env,
                       capture_output=True, text=True, timeout=60)
    is_(r.stderr, "", "%s renders without a warning" % f)
    ok(r.returncode == 0 and re.search(r"^NAME$", r.stdout, re.M) and
       len(r.stdout.splitlines()) > 10, "%s renders, with its NAME" % f)
shutil.rmtree(tree)

# make install installs every page of man/.
am = open(os.path.join(SRC, "Makefile.am")).read()
installed = {os.path.basename(w) for w in makefile_words(am, "dist_man_MANS")}
for f in sorted(pages):
    if f != "cartero.conf.5":
        ok(f in installed, "%s is in dist_man_MANS" % f)
ok("man/cartero.conf.5" in makefile_words(am, "nodist_man_MANS"),
   "cartero.conf.5 is in nodist_man_MANS")
for w in sorted(installed):
    ok(w in pages, "dist_man_MANS's %s is in man/" % w)

# Every program installed has a page of its own name.
programs = set()
for var in ("bin_PROGRAMS", "sbin_PROGRAMS", "cartero_libexec_PROGRAMS"):
    programs |= {os.path.basename(w) for w in makefile_words(am, var)}
programs |= set(re.findall(r"\$\(LN_S\) \S+ (\w[\w-]*)", am))
ok(len(programs) >= 19, "Makefile.am installs the programs (%d found)" %
   len(programs))
for p in sorted(programs):
    ok(any((p + "." + s) in pages for s in "18"),
       "%s has a page (%s.1 or %s.8)" % (p, p, p))

# Every page named in a SEE ALSO exists.  Other packages' pages can be
# looked for only where the host keeps manuals (Docker's slim images drop
# them all, man-db's own too): there only ours are checked.
host_manuals = subprocess.run(["man", "-w", "man.1"], capture_output=True,
                              env=env, timeout=60).returncode == 0
if not host_manuals:
    note("this host keeps no manuals: other packages' pages are not looked for")
for f in sorted(pages):
    text = open(pages[f], encoding="utf-8").read()
    if re.match(r"\.so ", text):
        continue                # a link page: its target is checked
    refs = see_also(text)
    ok(refs, "%s has a SEE ALSO section naming pages" % f)
    for name, sect in refs or []:
        page = "%s.%s" % (name, sect)
        if page in pages:
            continue
        if not host_manuals:
            ok(not PAGE.match(page).group(1).startswith("cartero") and
               page.split(".")[0] not in programs,
               "%s: SEE ALSO %s(%s) is not one of ours, missing" %
               (f, name, sect))
            continue
        r = subprocess.run(["man", "-w", page], capture_output=True,
                           text=True, env=env, timeout=60)
        ok(r.returncode == 0, "%s: SEE ALSO %s(%s) exists" % (f, name, sect))

# Link pages point at a page of ours.
for f in sorted(pages):
    m = re.match(r"\.so (man[1-9])/(\S+)\s*$", open(pages[f]).read())
    if m:
        ok(m.group(2) in pages and m.group(2).endswith("." + m.group(1)[3:]),
           "%s links to %s, a page of ours" % (f, m.group(2)))
done()
