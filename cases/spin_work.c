// SPDX-License-Identifier: GPL-2.0-only
/*
 * spin_work - a CPU-bound loop whose work per iteration is a parameter:
 * `work` (1000) rounds of a dependent multiply-add chain, so the time of
 * an iteration is proportional to `work` and nothing else (no memory
 * traffic, no system calls, no sleeping).  `make trust` runs it as A/A
 * and with 5 % and 10 % more work (work=1050, 1100) to measure how often
 * the analysis alarms for nothing and how often it finds a real change
 * (analysis/tools/trust.py, docs/measurements/trust.md).
 */
#include "slabscale.h"

char *testcase_description = "CPU-bound loop, work per iteration set by --param work";

static unsigned long work;

void testcase_prepare(unsigned long nr_tasks)
{
	(void)nr_tasks;
	work = harness_param_ulong("work", 1000);
	if (work < 1 || work > 100000000)
		harness_param_error("work", "%lu is not in 1..100000000", work);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	unsigned long long x = nr + 1;

	for (;;) {
		for (unsigned long i = 0; i < work; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			/* keep the chain: the compiler may not fold the loop */
			__asm__ volatile("" : "+r"(x));
		}
		(*iterations)++;
		if (!(*iterations & 0xff) && harness_should_stop())
			return;
	}
}
