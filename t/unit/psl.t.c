/*
 * psl.t - organizational domains from a small list of our own (plain
 * rules, "*.ck" and "!www.ck", a Unicode rule, the private section with
 * and without it), without a list (the last two labels), from Debian's
 * list when it is installed; Punycode (RFC 3492) of a few labels.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "psl.h"
#include "punycode.h"
#include "../tap.h"

static const char list[] =
    "// a test list in the format of publicsuffix.org's\n"
    "// ===BEGIN ICANN DOMAINS===\n"
    "org\n"
    "uk\n"
    "co.uk\n"
    "\n"
    "// ck : comment\n"
    "*.ck\n"
    "!www.ck\n"
    "cn\n"
    "\xe5\x85\xac\xe5\x8f\xb8.cn\n"		/* 公司.cn */
    "io  trailing words are ignored\n"
    "// ===END ICANN DOMAINS===\n"
    "// ===BEGIN PRIVATE DOMAINS===\n"
    "github.io\n"
    "// ===END PRIVATE DOMAINS===\n";

static const struct tap_text both[] = {
	{ "mired.org", "mired.org", "mired.org is its own" },
	{ "a.b.mired.org", "mired.org", "a.b.mired.org -> mired.org" },
	{ "A.B.Mired.ORG.", "mired.org", "any case, a final dot" },
	{ "x.co.uk", "x.co.uk", "x.co.uk under co.uk" },
	{ "a.x.co.uk", "x.co.uk", "a.x.co.uk -> x.co.uk" },
	{ "co.uk", "co.uk", "a public suffix is its own" },
	{ "foo.bar.ck", "foo.bar.ck", "*.ck: bar.ck is a suffix" },
	{ "a.foo.bar.ck", "foo.bar.ck", "*.ck: one label under it" },
	{ "bar.ck", "bar.ck", "*.ck: bar.ck itself" },
	{ "www.ck", "www.ck", "!www.ck: an exception" },
	{ "a.b.www.ck", "www.ck", "!www.ck: names under it" },
	{ "mail.shop.xn--55qx5d.cn", "shop.xn--55qx5d.cn",
	    "a Unicode rule matches its A-label" },
	{ "mail.shop.\xe5\x85\xac\xe5\x8f\xb8.cn", "shop.xn--55qx5d.cn",
	    "a U-label name: its A-labels" },
	{ "a.b\xc3.cn", NULL, "bad UTF-8: an error" },
	{ "a.b.example", "b.example", "no rule: the last label is the suffix" },
	{ "a.b.github.io", "b.github.io", "private section: github.io" },
	{ "", NULL, "empty: an error" },
	{ "a..mired.org", NULL, "an empty label: an error" },
	{ ".mired.org", NULL, "a leading dot: an error" },
};

static const struct tap_text icann[] = {
	{ "a.b.github.io", "github.io", "ICANN only: github.io's customers "
	    "are one org" },
	{ "a.b.mired.org", "mired.org", "ICANN only: mired.org" },
};

static const struct tap_text nolist[] = {
	{ "a.b.mired.org", "mired.org", "no list: the last two labels" },
	{ "a.x.co.uk", "co.uk", "no list: co.uk" },
	{ "org", "org", "no list: a single label is its own" },
};

static const struct tap_text debian[] = {
	{ "a.b.mired.org", "mired.org", "Debian's list: mired.org" },
	{ "www.bbc.co.uk", "bbc.co.uk", "Debian's list: bbc.co.uk" },
	{ "x.y.example.ck", "y.example.ck", "Debian's list: *.ck" },
	{ "www.ck", "www.ck", "Debian's list: !www.ck" },
};

static const struct tap_text puny[] = {
	{ "b\xc3\xbc" "cher", "bcher-kva", "bücher" },
	{ "m\xc3\xbc" "nchen", "mnchen-3ya", "münchen" },
	{ "\xe5\x85\xac\xe5\x8f\xb8", "55qx5d", "公司" },
	{ "\xe4\xbb\x96\xe4\xbb\xac\xe4\xb8\xba\xe4\xbb\x80\xe4\xb9\x88"
	    "\xe4\xb8\x8d\xe8\xaf\xb4\xe4\xb8\xad\xe6\x96\x87",
	    "ihqwcrb4cv8a8dqg056pqjye", "RFC 3492 7.1 (B), Chinese" },
	{ "\xc3", NULL, "bad UTF-8: an error" },
};

/* run - organizational domains of a table */
static void
run(const struct tap_text *t, size_t n)
{
	struct buf *out = buf_new(64, 0);
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		r = psl_org_domain(t[i].in, out);
		is_str(r < 0 ? NULL : buf_str(out), t[i].want, t[i].name);
	}
	buf_free(&out);
}

int
main(void)
{
	char dir[] = "/tmp/psl.t.XXXXXX", path[64];
	struct buf *why = buf_new(64, 0), *out = buf_new(64, 0);
	size_t i;
	int r;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/list.dat", dir);
	tap_write(path, list);
	ok(psl_load(path, 1, why) == 0, "a list loads");
	run(both, sizeof(both) / sizeof(both[0]));
	psl_public_suffix("a.b.bar.ck", out);
	is_str(buf_str(out), "bar.ck", "public suffix under a wildcard");
	ok(psl_same_org("mail.mired.org", "MIRED.org"), "same org: relaxed");
	ok(!psl_same_org("mired.org", "mired.com"), "different orgs");
	ok(!psl_same_org("a.github.io", "b.github.io"),
	    "two github.io customers are different orgs");
	ok(psl_load(path, 0, why) == 0, "the list loads without its private "
	    "section");
	run(icann, sizeof(icann) / sizeof(icann[0]));
	snprintf(path, sizeof(path), "%s/missing.dat", dir);
	ok(psl_load(path, 1, why) < 0, "a missing list: an error");
	run(nolist, sizeof(nolist) / sizeof(nolist[0]));
	if (access("/usr/share/publicsuffix/public_suffix_list.dat", R_OK)
	    == 0) {
		ok(psl_load("/usr/share/publicsuffix/public_suffix_list.dat",
		    1, why) == 0, "Debian's list loads");
		run(debian, sizeof(debian) / sizeof(debian[0]));
	} else {
		for (i = 0; i < 1 + sizeof(debian) / sizeof(debian[0]); i++)
			ok(1, "# SKIP publicsuffix is not installed");
	}
	psl_unload();
	for (i = 0; i < sizeof(puny) / sizeof(puny[0]); i++) {
		buf_reset(out);
		r = punycode_encode(puny[i].in, strlen(puny[i].in), out);
		is_str(r < 0 ? NULL : buf_str(out), puny[i].want, puny[i].name);
	}
	buf_reset(out);
	punycode_alabel("b\xc3\xbc" "cher", 7, out);
	is_str(buf_str(out), "xn--bcher-kva", "an A-label");
	snprintf(path, sizeof(path), "%s/list.dat", dir);
	unlink(path);
	rmdir(dir);
	buf_free(&why);
	buf_free(&out);
	return done_testing();
}
