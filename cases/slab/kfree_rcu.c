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

static struct slab_case_acct baseline;
static struct kmem_cache *cache;
static unsigned long obj_size;
static bool use_kmalloc;
static int peak_metric;

void testcase_prepare(unsigned long nr_tasks)
{
	struct kmem_cache_args args = { 0 };
	const char *api;

	(void)nr_tasks;
	obj_size = slab_case_param_range("size", 64, sizeof(struct rcu_obj) + 8,
					 SLAB_MAX_OBJECT_SIZE);
	api = harness_param("api", "cache");
	args.sheaf_capacity = slab_case_param_range("sheaf_capacity", 32, 0, 4096);
	if (!strcmp(api, "kmalloc"))
		use_kmalloc = true;
	else if (strcmp(api, "cache"))
		harness_fail("--param api=%s: expected cache or kmalloc", api);
	peak_metric = harness_metric("peak_live_objects", HARNESS_MAX, "objects");

	slab_case_acct_begin(&baseline);
	if (!use_kmalloc) {
		cache = kmem_cache_create("kfree_rcu", obj_size, &args, 0);
		if (!cache)
			harness_fail("kmem_cache_create(size %lu) failed", obj_size);
	}
}

static void teardown(const char *where)
{
	kmem_cache_destroy(cache);
	cache = NULL;
	slab_case_acct_check(&baseline, where);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	struct rcu_obj *o;
	unsigned long i;

	(void)nr;
	while (!harness_should_stop()) {
		for (i = 0; i < SAMPLE_EVERY; i++) {
			if (use_kmalloc)
				o = kmalloc(obj_size, GFP_KERNEL);
			else
				o = kmem_cache_alloc(cache, GFP_KERNEL);
			if (!o)
				harness_fail("allocation failed");
			o->payload[0] = i;
			kfree_rcu(o, rcu);
			(*iterations)++;
			if ((i & 255) == 255 && harness_should_stop())
				break;
		}
		harness_record(peak_metric, (unsigned long long)slab_live_objects());
	}
	if (harness_processes_mode())
		teardown("task teardown");
}

void testcase_cleanup(void)
{
	teardown("cleanup");
}
