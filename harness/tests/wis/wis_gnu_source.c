// SPDX-License-Identifier: GPL-2.0-only
/*
 * wis_gnu_source - a will-it-scale style test file that defines
 * _GNU_SOURCE itself (as futex1.c, tlb_flush1.c and others do), leaves nr
 * unused and compares signed with unsigned: warning-free with
 * will-it-scale's -Wall, an error under the project's
 * -Wall -Wextra -Werror -D_GNU_SOURCE.  The loop (sched_getcpu(), a vDSO
 * call) never reaches a cancellation point.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <assert.h>

char *testcase_description = "sched_getcpu() in a loop";

static unsigned long spins = 4;

void testcase(unsigned long long *iterations, unsigned long nr)
{
	int i;

	while (1) {
		for (i = 0; i < spins; i++)
			assert(sched_getcpu() >= 0);

		(*iterations) += spins;
	}
}
