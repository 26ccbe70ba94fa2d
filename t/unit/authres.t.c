/*
 * authres.t.c - whose results an Authentication-Results field claims
 * (RFC 8601's authserv-id, with comments, folding and quoting).
 */
#include <stdio.h>
#include <string.h>

#include "authres.h"
#include "../tap.h"

/* A field, and "yes" when it claims mail.mired.org. */
static const struct tap_text fields[] = {
	{ "Authentication-Results: mail.mired.org; dkim=pass", "yes",
	    "our id" },
	{ "Authentication-Results: MAIL.Mired.ORG; spf=pass", "yes",
	    "our id in another case" },
	{ "Authentication-Results: mail.mired.org 1; none", "yes",
	    "our id and a version" },
	{ "Authentication-Results:mail.mired.org;none", "yes",
	    "no white space" },
	{ "Authentication-Results:\n\tmail.mired.org;\n\tdkim=pass", "yes",
	    "folded before the id" },
	{ "Authentication-Results: (a (nested) comment)\n mail.mired.org; "
	    "none", "yes", "comments before the id" },
	{ "Authentication-Results: \"mail.mired.org\"; none", "yes",
	    "a quoted id" },
	{ "Authentication-Results: \"mail.\\mired.org\"; none", "yes",
	    "a quoted pair in the quoted id" },
	{ "Authentication-Results: ; dkim=pass", "yes", "no id: unreadable" },
	{ "Authentication-Results: (unclosed mail.mired.org; x", "yes",
	    "an unclosed comment: unreadable" },
	{ "Authentication-Results: \"mail.mired.org; x", "yes",
	    "an unclosed quote: unreadable" },
	{ "Authentication-Results:", "yes", "an empty value: unreadable" },
	{ "Authentication-Results: (((((((((deep))))))))) x.org; none", "yes",
	    "comments nested too deep: unreadable" },
	{ "Authentication-Results: mx.google.com; dkim=pass "
	    "header.i=@mail.mired.org", "no", "another id, ours later" },
	{ "Authentication-Results: mail.mired.org.evil.example; none", "no",
	    "our id as a prefix" },
	{ "Authentication-Results: mired.org; none", "no",
	    "our id's parent" },
	{ "Authentication-Results: (mail.mired.org) x.org; none", "no",
	    "our id in a comment only" },
};

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		is_str(authres_claims(fields[i].in, strlen(fields[i].in),
		    "mail.mired.org") ? "yes" : "no", fields[i].want,
		    fields[i].name);
	return done_testing();
}
