// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_idle - test-only case that counts nothing: it sleeps until the
 * harness says stop.  Its mean is 0, so the spread is undefined.
 * Parameter cleanup_ms (0): how long testcase_cleanup() takes.
 */
#include <time.h>
#include "slabscale.h"

char *testcase_description = "Test only: counts no iterations";

static unsigned long cleanup_ms;

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

void testcase_prepare(unsigned long nr_tasks)
{
	(void)nr_tasks;
	cleanup_ms = harness_param_ulong("cleanup_ms", 0);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	(void)iterations;
	(void)nr;
	while (!harness_should_stop())
		sleep_ms(10);
}

void testcase_cleanup(void)
{
	sleep_ms(cleanup_ms);
}
