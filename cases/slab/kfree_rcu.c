// SPDX-License-Identifier: GPL-2.0-only
/*
 * kfree_rcu - kfree_rcu() throughput on its own.
 *
 * Each task allocates an object that embeds a struct rcu_head and frees it
 * with kfree_rcu() at once; later allocations reuse the objects whose grace
 * period has ended.  One iteration = one allocation + one kfree_rcu().
 * With api=cache the cache has sheaves (from the rcu-sheaf variant on,
 * kfree_rcu() fills rcu_free sheaves); with api=kmalloc it takes the
 * kmalloc bucket's path (classic batching until sheaves-all).
 *
 * Parameters: size (64, object size including the 16-byte rcu_head), api
 * (cache or kmalloc), sheaf_capacity (32, cache api only).
 * Metrics: peak_live_objects (objects allocated or waiting for a grace
 * period, sampled), i.e. the memory kfree_rcu holds back.
 */
#include "slab_case.h"

char *testcase_description = "kfree_rcu throughput (alloc + kfree_rcu)";

struct rcu_obj {
	struct rcu_head rcu;
	unsigned long payload[];
};

#define SAMPLE_EVERY	16384

static struct slab_case_source src;
static int peak_metric;

void testcase_prepare(unsigned long nr_tasks)
{
	unsigned long size;

	(void)nr_tasks;
	size = slab_case_param_range("size", 64, sizeof(struct rcu_obj) + 8,
				     SLAB_MAX_OBJECT_SIZE);
	peak_metric = harness_metric("peak_live_objects", HARNESS_MAX, "objects");
	slab_case_source_init(&src, "kfree_rcu", size, 0, "cache");
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	struct rcu_obj *o;
	unsigned long i;

	(void)nr;
	while (!harness_should_stop()) {
		for (i = 0; i < SAMPLE_EVERY; i++) {
			o = slab_case_alloc(&src);
			o->payload[0] = i;
			kfree_rcu(o, rcu);
			(*iterations)++;
			if ((i & 255) == 255 && harness_should_stop())
				break;
		}
		harness_record(peak_metric, (unsigned long long)slab_live_objects());
	}
	if (harness_processes_mode())
		slab_case_source_exit(&src, "task teardown");
}

void testcase_cleanup(void)
{
	slab_case_source_exit(&src, "cleanup");
}
