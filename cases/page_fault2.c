// SPDX-License-Identifier: GPL-2.0-only
/* page_fault2 - faults on a private mapping of a per-task file. */
#include "page_fault_common.h"

char *testcase_description = "Separate file private mapping page fault";

void testcase(unsigned long long *iterations, unsigned long nr)
{
	(void)nr;
	pf_loop(iterations, MAP_PRIVATE, pf_tmpfile());
}
