// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the harness's pure parts (no PMU, no tasks needed). */
#include "unit.h"

int unit_failures, unit_checks;

int main(void)
{
	test_summary();
	test_histogram();
	test_pmu();
	test_options();
	test_misc();
	test_wis();
	test_neighbours();
	printf("harness unit tests: %d checks, %d failed\n", unit_checks,
	       unit_failures);
	return unit_failures ? 1 : 0;
}
