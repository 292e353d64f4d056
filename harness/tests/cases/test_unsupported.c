// SPDX-License-Identifier: GPL-2.0-only
/* test_unsupported - test-only case that no variant supports. */
#include "slabscale.h"

char *testcase_description = "Test only: never supported";

const char *testcase_unsupported(void)
{
	return "needs a feature no variant has";
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	(void)nr;
	for (;;)
		(*iterations)++;
}
