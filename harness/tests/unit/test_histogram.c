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
	CHECK_NEAR(hist_percentile(b, 1000, 0.50, 1, 1000, NULL), 500, 500 / 16.0);
	CHECK_NEAR(hist_percentile(b, 1000, 0.90, 1, 1000, NULL), 900, 900 / 16.0);
	CHECK_NEAR(hist_percentile(b, 1000, 0.99, 1, 1000, NULL), 990, 990 / 16.0);
	CHECK(hist_percentile(b, 1000, 1.0, 1, 1000, NULL) <= 1000);
	/* small exact values */
	memset(b, 0, sizeof(b));
	b[3] = 10;
	b[7] = 10;
	CHECK(hist_percentile(b, 20, 0.5, 3, 7, NULL) == 3);
	CHECK(hist_percentile(b, 20, 0.51, 3, 7, NULL) == 7);
	/* clamped to the exact extremes */
	memset(b, 0, sizeof(b));
	b[hist_index(1000000)] = 1;
	CHECK(hist_percentile(b, 1, 0.5, 1000000, 1000000, NULL) == 1000000);
	CHECK(hist_percentile(b, 0, 0.5, 0, 0, NULL) == 0);
	/*
	 * interpolated by rank inside a bucket: 100 values in the bucket of
	 * 6160383 (width 262144) whose median sits at the 50th of them, and
	 * the same bucket with 50 values below it, where the median is the
	 * bucket's first: two runs sharing a bucket no longer tie
	 */
	{
		unsigned long long w, lo = hist_low(hist_index(6160383));
		unsigned long long a, c;

		memset(b, 0, sizeof(b));
		b[hist_index(6160383)] = 100;
		a = hist_percentile(b, 100, 0.5, 1, ~0ULL, &w);
		CHECK(w == 262144);
		CHECK(a == lo + (unsigned long long)(262144 * 0.495));
		b[hist_index(1000)] = 98;
		c = hist_percentile(b, 198, 0.5, 1, ~0ULL, &w);
		CHECK(c == lo + (unsigned long long)(262144 * 0.005));
		CHECK(c < a && w == 262144);
	}
}
