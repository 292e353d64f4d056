// SPDX-License-Identifier: GPL-2.0-only
/*
 * page_fault3 - faults on a shared mapping of a per-task file.  In threads
 * mode all tasks share one mm, so they contend on its mmap lock.
 */
#include "page_fault_common.h"

char *testcase_description = "Separate file shared mapping page fault";

void testcase(unsigned long long *iterations, unsigned long nr)
{
	(void)nr;
	pf_loop(iterations, MAP_SHARED, pf_tmpfile());
}
