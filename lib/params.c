/*
 * params - the storage behind the parameter table of params.h: one var_<name>
 * variable per parameter and param_table[], which conf.c, carteroconf and the
 * generated cartero.conf(5) all read.  Nothing here parses: the variables are
 * zero (NULL for strings) until conf_load() fills them.
 */
#include <stddef.h>
#include <string.h>

#include "params.h"

/* One variable per parameter, typed by the parameter's type. */
#define PARAMS_DEF_STR(n)	char *var_##n;
#define PARAMS_DEF_INT(n)	long long var_##n;
#define PARAMS_DEF_TIME(n)	long long var_##n;
#define PARAMS_DEF_SIZE(n)	long long var_##n;
#define PARAMS_DEF_BOOL(n)	int var_##n;
#define PARAMS_DEF(t, n, d, lo, hi, desc) PARAMS_DEF_##t(n)
CARTERO_PARAMS(PARAMS_DEF)

#define PARAMS_ROW(t, n, d, lo, hi, desc) \
	{ #n, PARAM_##t, d, lo, hi, desc, &var_##n },

const struct param param_table[] = {
	CARTERO_PARAMS(PARAMS_ROW)
	{ NULL, PARAM_STR, NULL, 0, 0, NULL, NULL }
};

/* param_find - the table entry of a parameter name, or NULL */
const struct param *
param_find(const char *name)
{
	const struct param *p;

	if (name == NULL)
		return NULL;
	for (p = param_table; p->name != NULL; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}
