// SPDX-License-Identifier: GPL-2.0-only
/*
 * empty - the loop alone: what the harness itself can count.
 *
 * The counter is a plain memory location, as in every case; the empty asm
 * with a "memory" clobber makes the compiler store it on every turn
 * instead of keeping it in a register (or deleting the loop), so this
 * measures one real increment per iteration.
 */
#include "slabscale.h"

char *testcase_description = "Empty loop (the harness's own ceiling)";

void testcase(unsigned long long *iterations, unsigned long nr)
{
	(void)nr;
	for (;;) {
		(*iterations)++;
		__asm__ volatile("" : : "r"(iterations) : "memory");
		if (!(*iterations & 0xfffff) && harness_should_stop())
			return;
	}
}
