/*
 * name_code.t - the name-code tables: any case, the default for a name
 * not there (and for an empty one), the name of a code, the first of two
 * names with one code.
 */
#include <stdio.h>
#include <string.h>

#include "name_code.h"
#include "../tap.h"

static const struct name_code tab[] = {
	{ "FLAGS", 1 }, { "UID", 2 }, { "utf-8", 3 }, { "utf8", 3 },
	{ NULL, -1 },
};

static const struct {
	const char	*name;
	int		 code;
} vec[] = {
	{ "FLAGS", 1 }, { "flags", 1 }, { "FlAgS", 1 }, { "uid", 2 },
	{ "UTF-8", 3 }, { "utf8", 3 }, { "FLAG", -1 }, { "FLAGSX", -1 },
	{ "", -1 }, { "utf_8", -1 },
};

int
main(void)
{
	static const struct name_code empty[] = { { NULL, 7 } };
	char name[64];
	size_t i;

	plan((int)(sizeof(vec) / sizeof(vec[0])) + 5);
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		snprintf(name, sizeof(name), "name_code \"%s\" is %d",
		    vec[i].name, vec[i].code);
		ok(name_code(tab, vec[i].name) == vec[i].code, name);
	}
	ok(name_code(empty, "x") == 7, "an empty table gives its default");
	is_str(name_code_name(tab, 2), "UID", "the name of code 2");
	is_str(name_code_name(tab, 3), "utf-8",
	    "two names with one code: the first");
	ok(name_code_name(tab, -1) == NULL, "the default has no name");
	ok(name_code_name(empty, 7) == NULL, "an empty table names nothing");
	return done_testing();
}
