/*
 * name_code - small tables of names and their codes (as Postfix's
 * name_code): protocol words, item names, charset aliases.
 */
#ifndef CARTERO_NAME_CODE_H
#define CARTERO_NAME_CODE_H

/*
 * A table is an array of rows ended by one whose name is NULL; that
 * last row's code is what a name not in the table gets.
 */
struct name_code {
	const char	*name;
	int		 code;
};

/* The code of name, compared in any case (ASCII), or the table's default. */
int	name_code(const struct name_code *, const char *);

/* The name of the first row with code, or NULL when none has it. */
const char *name_code_name(const struct name_code *, int);

#endif
