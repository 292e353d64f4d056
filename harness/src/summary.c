// SPDX-License-Identifier: GPL-2.0-only
/*
 * summary.c - the summary of a run's per-interval rates: mean, median,
 * standard deviation, 95 % confidence interval.  Pure functions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

double summary_mean(const double *v, int n)
{
	double s = 0;

	if (n <= 0)
		return NAN;
	for (int i = 0; i < n; i++)
		s += v[i];
	return s / n;
}

/* Sample standard deviation (n - 1); 0 for a single value. */
double summary_stddev(const double *v, int n)
{
	double m, s = 0;

	if (n <= 0)
		return NAN;
	if (n == 1)
		return 0;
	m = summary_mean(v, n);
	for (int i = 0; i < n; i++)
		s += (v[i] - m) * (v[i] - m);
	return sqrt(s / (n - 1));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double summary_median(const double *v, int n)
{
	double *c, m;

	if (n <= 0)
		return NAN;
	c = malloc(n * sizeof(*c));
	if (!c)
		return NAN;
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_double);
	m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

/* Two-sided 95 % quantile of Student's t with df degrees of freedom. */
double summary_t95(int df)
{
	static const double t[] = {
		0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
		2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110,
		2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
		2.052, 2.048, 2.045, 2.042,
	};

	if (df <= 0)
		return INFINITY;
	if (df < (int)(sizeof(t) / sizeof(t[0])))
		return t[df];
	if (df < 60)
		return 2.042 - (df - 30) * (2.042 - 2.000) / 30;
	if (df < 120)
		return 2.000 - (df - 60) * (2.000 - 1.980) / 60;
	return 1.960;
}

/*
 * Half-width of the 95 % confidence interval of the mean, relative to the
 * mean (0.02 = 2 %).  Infinite with fewer than two values.
 */
double summary_ci95_rel(const double *v, int n)
{
	double m;

	if (n < 2)
		return INFINITY;
	m = summary_mean(v, n);
	if (m == 0)
		return INFINITY;
	return summary_t95(n - 1) * summary_stddev(v, n) / sqrt(n) / fabs(m);
}
