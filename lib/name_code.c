/*
 * name_code - look up small tables of names and codes (see name_code.h):
 * the words a client sends are compared with the table's in any ASCII
 * case; the table, not the client, gives the spelling shown back.
 * Linear: the tables are a handful of rows.
 */
#include <stddef.h>
#include <strings.h>

#include "name_code.h"

/* name_code - the code of a name (any case), or the table's default */
int
name_code(const struct name_code *t, const char *name)
{
	for (; t->name != NULL; t++)
		if (strcasecmp(t->name, name) == 0)
			break;
	return t->code;
}

/* name_code_name - the name of a code, or NULL */
const char *
name_code_name(const struct name_code *t, int code)
{
	for (; t->name != NULL; t++)
		if (t->code == code)
			return t->name;
	return NULL;
}
