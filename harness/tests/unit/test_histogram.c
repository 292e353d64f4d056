// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "harness.h"
#include "unit.h"

static void check_value(unsigned long long v)
{
	unsigned int i = hist_index(v);

	CHECK(i < HIST_NR);
	CHECK(hist_low(i) <= v && v <= hist_high(i));
	/* a bucket is at most 1/HIST_SUB of its values wide */
	CHECK(hist_high(i) - hist_low(i) <= hist_low(i) / HIST_SUB);
}

void test_histogram(void)
{
	static unsigned long long b[HIST_NR];
	unsigned long long v;
	unsigned int i, prev = 0;

	for (v = 0; v < 5000; v++) {
		check_value(v);
		CHECK(hist_index(v) >= prev);	/* monotonic */
		prev = hist_index(v);
	}
	for (i = 0; i < 64; i++) {
		check_value(1ULL << i);
		check_value((1ULL << i) - 1);
		check_value((1ULL << i) + 1);
	}
	check_value(~0ULL);
	CHECK(hist_index(~0ULL) == HIST_NR - 1);
	for (i = 0; i + 1 < HIST_NR; i++)
		CHECK(hist_high(i) + 1 == hist_low(i + 1));

	/* 1..1000 once each: percentiles within one bucket width */
	memset(b, 0, sizeof(b));
	for (v = 1; v <= 1000; v++)
		b[hist_index(v)]++;
	CHECK_NEAR(hist_percentile(b, 1000, 0.50, 1, 1000), 500, 500 / 16.0);
	CHECK_NEAR(hist_percentile(b, 1000, 0.90, 1, 1000), 900, 900 / 16.0);
	CHECK_NEAR(hist_percentile(b, 1000, 0.99, 1, 1000), 990, 990 / 16.0);
	CHECK(hist_percentile(b, 1000, 1.0, 1, 1000) <= 1000);
	/* small exact values */
	memset(b, 0, sizeof(b));
	b[3] = 10;
	b[7] = 10;
	CHECK(hist_percentile(b, 20, 0.5, 3, 7) == 3);
	CHECK(hist_percentile(b, 20, 0.51, 3, 7) == 7);
	/* clamped to the exact extremes */
	memset(b, 0, sizeof(b));
	b[hist_index(1000000)] = 1;
	CHECK(hist_percentile(b, 1, 0.5, 1000000, 1000000) == 1000000);
	CHECK(hist_percentile(b, 0, 0.5, 0, 0) == 0);
}
