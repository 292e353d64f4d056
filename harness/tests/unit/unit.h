/* SPDX-License-Identifier: GPL-2.0-only */
/* unit.h - a minimal assertion kit for the harness unit tests. */
#ifndef SLABSCALE_UNIT_H
#define SLABSCALE_UNIT_H

#include <math.h>
#include <stdio.h>

extern int unit_failures, unit_checks;

#define CHECK(cond) do {						\
	unit_checks++;							\
	if (!(cond)) {							\
		unit_failures++;					\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,	\
			__LINE__, #cond);				\
	}								\
} while (0)

#define CHECK_NEAR(a, b, tol) do {					\
	double _a = (a), _b = (b);					\
	unit_checks++;							\
	if (!(fabs(_a - _b) <= (tol))) {				\
		unit_failures++;					\
		fprintf(stderr, "%s:%d: %s = %.9g, want %.9g (+-%g)\n",	\
			__FILE__, __LINE__, #a, _a, _b, (double)(tol));	\
	}								\
} while (0)

void test_summary(void);
void test_histogram(void);
void test_pmu(void);
void test_options(void);
void test_misc(void);
void test_wis(void);
void test_neighbours(void);

#endif
