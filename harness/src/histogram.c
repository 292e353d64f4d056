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
 * The p-th quantile (0 < p <= 1) of the values counted: the
 * ceil(p * count)-th value, placed inside its bucket by its rank among
 * the bucket's values (the k-th of n sits at (k - 1/2) / n of the
 * bucket's width), so two runs whose quantiles share a bucket still
 * differ as their ranks do; clamped to the exact [min, max] seen.  The
 * bucket's width goes to *width (when not NULL): the resolution of the
 * answer, which readers state beside it.
 */
unsigned long long hist_percentile(const unsigned long long *buckets,
				   unsigned long long count, double p,
				   unsigned long long min,
				   unsigned long long max,
				   unsigned long long *width)
{
	unsigned long long rank, seen = 0, lo, hi, v;
	unsigned int i;
	double span, pos;

	if (width)
		*width = 0;
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
	span = (double)(hi - lo) + 1.0;
	pos = ((double)(rank - (seen - buckets[i])) - 0.5) / (double)buckets[i];
	v = lo + (unsigned long long)(span * pos);
	if (v > hi)
		v = hi;
	if (width)
		*width = hi - lo + 1;
	if (v < min)
		v = min;
	if (v > max)
		v = max;
	return v;
}
