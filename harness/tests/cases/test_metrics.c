// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_metrics - test-only case: records a latency, a counter and a max
 * from every task, polls harness_should_stop() and returns, and checks
 * in testcase_cleanup() that it ran after every task stopped.
 */
#include <stdio.h>
#include <sys/resource.h>

#include "slabscale.h"

char *testcase_description = "Test only: metrics and a polite stop";

static int lat, cnt, mx, nofile;
static unsigned long spin;

void testcase_prepare(unsigned long nr_tasks)
{
	struct rlimit rl;

	(void)nr_tasks;
	spin = harness_param_ulong("spin", 1000);
	(void)harness_param_double("unused_default", 1.5);
	lat = harness_metric("op_latency", HARNESS_LATENCY, "ns");
	cnt = harness_metric("ops", HARNESS_COUNTER, "ops");
	mx = harness_metric("task_peak", HARNESS_MAX, "ops");
	nofile = harness_metric("nofile_soft", HARNESS_MAX | HARNESS_ALWAYS,
				"fds");
	getrlimit(RLIMIT_NOFILE, &rl);
	harness_record(nofile, rl.rlim_cur);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	volatile unsigned long sink = 0;

	while (!harness_should_stop()) {
		unsigned long long t0 = harness_now_ns();

		for (unsigned long i = 0; i < spin; i++)
			sink += i;
		harness_record(lat, harness_now_ns() - t0);
		harness_record(cnt, 1);
		harness_record(mx, *iterations + nr);
		(*iterations)++;
	}
}

void testcase_cleanup(void)
{
	fprintf(stderr, "test_metrics: cleanup after stop=%d\n",
		harness_should_stop());
}
