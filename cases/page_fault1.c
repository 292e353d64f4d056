// SPDX-License-Identifier: GPL-2.0-only
/* page_fault1 - faults on private anonymous memory. */
#include "page_fault_common.h"

char *testcase_description = "Anonymous memory page fault";

void testcase(unsigned long long *iterations, unsigned long nr)
{
	(void)nr;
	pf_loop(iterations, MAP_PRIVATE | MAP_ANONYMOUS, -1);
}
