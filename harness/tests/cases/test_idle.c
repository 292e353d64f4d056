// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_idle - test-only case that counts nothing: it sleeps until the
 * harness says stop.  Its mean is 0, so the spread is undefined.
 */
#include <time.h>
#include "slabscale.h"

char *testcase_description = "Test only: counts no iterations";

void testcase(unsigned long long *iterations, unsigned long nr)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	(void)iterations;
	(void)nr;
	while (!harness_should_stop())
		nanosleep(&ts, NULL);
}
