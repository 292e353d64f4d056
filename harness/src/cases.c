// SPDX-License-Identifier: GPL-2.0-only
/*
 * cases.c - lookups in the generated case table.
 */
#include <string.h>

#include "harness.h"

const struct case_desc *case_find(const char *name)
{
	for (unsigned int i = 0; i < case_registry_nr; i++)
		if (!strcmp(case_registry[i].name, name))
			return &case_registry[i];
	return NULL;
}

const char *case_description(const struct case_desc *c)
{
	return c->description && *c->description ? *c->description : c->name;
}
