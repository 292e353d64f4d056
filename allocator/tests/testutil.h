/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * testutil.h - checks and report capture for the allocator's tests.
 * A failed check prints where and aborts (exit status != 0).
 */
#ifndef SLABSCALE_TESTUTIL_H
#define SLABSCALE_TESTUTIL_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "slab.h"

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long __a = (long long)(a), __b = (long long)(b);		\
	if (__a != __b) {						\
		fprintf(stderr, "%s:%d: CHECK failed: %s == %s "	\
			"(%lld != %lld)\n", __FILE__, __LINE__,		\
			#a, #b, __a, __b);				\
		abort();						\
	}								\
} while (0)

/* reports captured from the allocator */
static pthread_mutex_t tu_lock = PTHREAD_MUTEX_INITIALIZER;
static char tu_last[512] __attribute__((unused));
static char tu_seen[512] __attribute__((unused));	/* the report CHECK_REPORT last matched */
static int tu_count;

static void tu_report(const char *msg)
{
	pthread_mutex_lock(&tu_lock);
	snprintf(tu_last, sizeof(tu_last), "%s", msg);
	tu_count++;
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "report: %s\n", msg);
	pthread_mutex_unlock(&tu_lock);
}

static inline void tu_capture(void)
{
	slab_set_bug_handler(tu_report);
	tu_count = 0;
	tu_last[0] = 0;
}

/* a report containing needle arrived since the last tu_expect() */
#define CHECK_REPORT(needle) do {					\
	pthread_mutex_lock(&tu_lock);					\
	if (!tu_count || !strstr(tu_last, needle)) {			\
		fprintf(stderr, "%s:%d: expected a report with \"%s\", "\
			"got %d, last \"%s\"\n", __FILE__, __LINE__,	\
			needle, tu_count, tu_last);			\
		abort();						\
	}								\
	memcpy(tu_seen, tu_last, sizeof(tu_seen));			\
	tu_count = 0;							\
	tu_last[0] = 0;							\
	pthread_mutex_unlock(&tu_lock);					\
} while (0)

#define CHECK_NO_REPORT() do {						\
	pthread_mutex_lock(&tu_lock);					\
	if (tu_count) {							\
		fprintf(stderr, "%s:%d: unexpected report: %s\n",	\
			__FILE__, __LINE__, tu_last);			\
		abort();						\
	}								\
	pthread_mutex_unlock(&tu_lock);					\
} while (0)

static inline unsigned long long tu_stat(struct kmem_cache *s,
					 enum slab_stat_item item)
{
	unsigned long long v[NR_SLAB_STAT_ITEMS];

	kmem_cache_stats(s, v);
	return v[item];
}

#endif
