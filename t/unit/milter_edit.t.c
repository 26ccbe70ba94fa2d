/*
 * milter_edit.t - milters' edits made to a message (lib/milter_edit.c):
 * header fields added, inserted, changed and deleted by name and index
 * (case-insensitive names, indexes past the end, 0 read as 1), folded
 * values, the message's own line endings (CRLF or LF) kept, a body
 * replaced, messages without a body or without an empty line, and an
 * output cap.
 */
#include "milter.h"
#include "../tap.h"

#define E(t, i, n, v)	{ (t), (i), (char *)(n), (char *)(v), 0 }

struct edit_case {
	const char	*msg;
	struct milter_edit e[3];
	size_t		 n;
	const char	*body;		/* replacement (CRLF), or NULL */
	const char	*want;
	const char	*name;
};

static const struct edit_case cases[] = {
	{ "A: 1\nB: 2\n\nbody\n", { E(MILTER_E_ADDHDR, 0, "C", "3") }, 1,
	    NULL, "A: 1\nB: 2\nC: 3\n\nbody\n", "add goes at the end" },
	{ "A: 1\nB: 2\n\nbody\n", { E(MILTER_E_INSHDR, 0, "C", "3") }, 1,
	    NULL, "C: 3\nA: 1\nB: 2\n\nbody\n", "insert at 0 goes on top" },
	{ "A: 1\nB: 2\n\nbody\n", { E(MILTER_E_INSHDR, 1, "C", "3") }, 1,
	    NULL, "A: 1\nC: 3\nB: 2\n\nbody\n", "insert at 1 goes second" },
	{ "A: 1\nB: 2\n\nbody\n", { E(MILTER_E_INSHDR, 99, "C", "3") }, 1,
	    NULL, "A: 1\nB: 2\nC: 3\n\nbody\n", "insert past the end appends" },
	{ "X: a\nY: b\nx: c\n\n", { E(MILTER_E_CHGHDR, 2, "X", "new") }, 1,
	    NULL, "X: a\nY: b\nX: new\n\n",
	    "change counts by name, case-insensitively" },
	{ "X: a\nY: b\n\n", { E(MILTER_E_CHGHDR, 0, "X", "new") }, 1,
	    NULL, "X: new\nY: b\n\n", "change index 0 is the first" },
	{ "X: a\nY: b\n\n", { E(MILTER_E_CHGHDR, 1, "X", "") }, 1,
	    NULL, "Y: b\n\n", "change to empty deletes" },
	{ "X: a\nY: b\n\n", { E(MILTER_E_CHGHDR, 3, "X", "") }, 1,
	    NULL, "X: a\nY: b\n\n", "deleting a missing field does nothing" },
	{ "X: a\nY: b\n\n", { E(MILTER_E_CHGHDR, 3, "Z", "z") }, 1,
	    NULL, "X: a\nY: b\nZ: z\n\n", "changing a missing field adds it" },
	{ "X: a\n\tb\nXY: c\n\n", { E(MILTER_E_CHGHDR, 1, "X", "d") }, 1,
	    NULL, "X: d\nXY: c\n\n",
	    "a folded field is changed whole; XY is not X" },
	{ "A: 1\r\n\r\nbody\r\n", { E(MILTER_E_ADDHDR, 0, "F", "a\n\tb"),
	    E(MILTER_E_ADDHDR, 0, "G", " lead") }, 2, NULL,
	    "A: 1\r\nF: a\r\n\tb\r\nG: lead\r\n\r\nbody\r\n",
	    "CRLF kept, folds too; a value's own leading space kept" },
	{ "A: 1\n\nold\n", { E(MILTER_E_DELRCPT, 0, "bob@x", "") }, 1,
	    "new\r\nbody\r\n", "A: 1\n\nnew\nbody\n",
	    "body replaced, in LF; envelope edits ignored" },
	{ "A: 1\r\n\r\nold\r\n", { E(0, 0, "", "") }, 0, "new\r\n",
	    "A: 1\r\n\r\nnew\r\n", "body replaced, CRLF kept" },
	{ "A: 1\n", { E(MILTER_E_ADDHDR, 0, "B", "2") }, 1, NULL,
	    "A: 1\nB: 2\n", "a message of one field and no body" },
	{ "A: 1\nnot a header\nmore\n", { E(MILTER_E_ADDHDR, 0, "B", "2") },
	    1, NULL, "A: 1\nB: 2\nnot a header\nmore\n",
	    "the header ends at a line that is no field" },
	{ "A: 1\n", { E(0, 0, "", "") }, 0, "b\r\n", "A: 1\n\nb\n",
	    "a body given to a message without one" },
	{ "Subject : hi\nX: a\n\nb\n", { E(MILTER_E_CHGHDR, 1, "subject",
	    "new") }, 1, NULL, "subject: new\nX: a\n\nb\n",
	    "white space before the colon is still a field" },
	{ "", { E(MILTER_E_ADDHDR, 0, "B", "2") }, 1, NULL, "B: 2\n",
	    "an empty message" },
};

int
main(void)
{
	struct buf	*out = buf_new(256, 0), *why = buf_new(64, 0), *body;
	struct buf	*small = buf_new(16, 20);
	size_t		 i;

	plan((int)(sizeof(cases) / sizeof(cases[0])) + 2);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		body = NULL;
		if (cases[i].body) {
			body = buf_new(64, 0);
			buf_puts(body, cases[i].body);
		}
		if (milter_edit_apply(cases[i].e, cases[i].n, body,
		    cases[i].msg, strlen(cases[i].msg), out, why) < 0)
			buf_set(out, buf_str(why));
		is_str(buf_str(out), cases[i].want, cases[i].name);
		buf_free(&body);
	}
	ok(milter_edit_apply(cases[0].e, 1, NULL, cases[0].msg,
	    strlen(cases[0].msg), small, why) < 0, "an output over its cap "
	    "fails");
	ok(strstr(buf_str(why), "larger than 20") != NULL, "... and says so");
	buf_free(&out);
	buf_free(&why);
	buf_free(&small);
	return done_testing();
}
