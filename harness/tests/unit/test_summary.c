// SPDX-License-Identifier: GPL-2.0-only
#include "harness.h"
#include "unit.h"

void test_summary(void)
{
	double v[] = { 4, 8, 6, 5, 3, 2, 8, 9, 2, 5 };
	double even[] = { 1, 3, 2, 10 };
	double one[] = { 7 };
	double same[] = { 5, 5, 5, 5 };

	CHECK_NEAR(summary_mean(v, 10), 5.2, 1e-12);
	/* sample (n - 1) standard deviation: sqrt(57.6 / 9) */
	CHECK_NEAR(summary_stddev(v, 10), 2.52982213, 1e-7);
	CHECK_NEAR(summary_median(v, 10), 5, 1e-12);
	CHECK_NEAR(summary_median(even, 4), 2.5, 1e-12);
	CHECK_NEAR(summary_median(one, 1), 7, 0);
	CHECK_NEAR(summary_stddev(one, 1), 0, 0);
	CHECK(isnan(summary_mean(v, 0)));
	CHECK(isnan(summary_median(v, 0)));
	/* the median must not reorder the caller's data */
	CHECK(v[0] == 4 && v[9] == 5);

	CHECK_NEAR(summary_t95(1), 12.706, 1e-9);
	CHECK_NEAR(summary_t95(4), 2.776, 1e-9);
	CHECK_NEAR(summary_t95(30), 2.042, 1e-9);
	CHECK(summary_t95(45) < 2.042 && summary_t95(45) > 2.0);
	CHECK_NEAR(summary_t95(1000), 1.96, 1e-9);
	CHECK(isinf(summary_t95(0)));

	/* CI: t(9) * sd / sqrt(10) / mean */
	CHECK_NEAR(summary_ci95_rel(v, 10), 2.262 * 2.52982213 / sqrt(10) / 5.2,
		   1e-6);
	CHECK(isinf(summary_ci95_rel(one, 1)));
	CHECK_NEAR(summary_ci95_rel(same, 4), 0, 0);
}
