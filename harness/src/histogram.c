// SPDX-License-Identifier: GPL-2.0-only
/*
 * histogram.c - log-linear buckets for case metrics.  Pure functions.
 *
 * Values below HIST_SUB get a bucket each; above, every power of two is
 * split into HIST_SUB equal buckets, so a bucket is at most 1/HIST_SUB
 * (6.25 %) of its value wide.  HIST_NR buckets cover all of 64 bits.
 */
#include "harness.h"

unsigned int hist_index(unsigned long long v)
{
	unsigned int e;

	if (v < HIST_SUB)
		return v;
	e = 63 - __builtin_clzll(v);	/* >= HIST_SUB_BITS */
	return HIST_SUB + (e - HIST_SUB_BITS) * HIST_SUB +
	       ((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

unsigned long long hist_low(unsigned int idx)
{
	unsigned int e, sub;

	if (idx < HIST_SUB)
		return idx;
	e = (idx - HIST_SUB) / HIST_SUB;
	sub = (idx - HIST_SUB) % HIST_SUB;
	return (unsigned long long)(HIST_SUB | sub) << e;
}

/* Last value that falls into bucket idx. */
unsigned long long hist_high(unsigned int idx)
{
	if (idx < HIST_SUB)
		return idx;
	if (idx == HIST_NR - 1)
		return ~0ULL;
	return hist_low(idx + 1) - 1;
}

/*
 * The p-th quantile (0 < p <= 1): the midpoint of the bucket holding the
 * ceil(p * count)-th value, clamped to the exact [min, max] seen.
 */
unsigned long long hist_percentile(const unsigned long long *buckets,
				   unsigned long long count, double p,
				   unsigned long long min,
				   unsigned long long max)
{
	unsigned long long rank, seen = 0, lo, hi, mid;
	unsigned int i;

	if (!count)
		return 0;
	rank = (unsigned long long)(p * count);
	if ((double)rank < p * count)
		rank++;
	if (rank < 1)
		rank = 1;
	for (i = 0; i < HIST_NR; i++) {
		seen += buckets[i];
		if (seen >= rank)
			break;
	}
	if (i == HIST_NR)
		return max;
	lo = hist_low(i);
	hi = hist_high(i);
	mid = lo + (hi - lo) / 2;
	if (mid < min)
		mid = min;
	if (mid > max)
		mid = max;
	return mid;
}
