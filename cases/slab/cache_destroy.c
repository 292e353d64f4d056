// SPDX-License-Identifier: GPL-2.0-only
/*
 * cache_destroy - kmem_cache_destroy() under kmod-stress conditions.
 *
 * One iteration = one "module load and unload" shaped like slub_kunit
 * (see kmod_common.h): 19 caches, each created, used (11 of them with a
 * kfree_rcu()'d object) and destroyed, while bg_caches background caches
 * with sheaves exist and a feeder keeps RCU busy on every CPU.  What each
 * destroy waits for depends on the variant (allocator/README-rcu.md): on
 * rcu-sheaf the global kvfree_rcu_barrier() flushes every sheaf cache on
 * every CPU and waits for an rcu_barrier() and the classic batches; from
 * barrier-on-cache on only the destroyed cache's rcu sheaves are flushed.
 *
 * Parameters: caches (19), debug_caches (7), rcu_caches (11), objects (2
 * per cache), rcu_objects (1 per rcu cache), size (64), sheaf_capacity
 * (0: module caches ask for no sheaves), bg_caches (2), bg_size (64),
 * bg_sheaf_capacity (32), bg_period_us (1000: the feeder's pause between
 * rounds), bg_kmalloc_rcu (1), bg_call_rcu (1), feeder (1).
 * Metrics: destroy_latency (ns, per kmem_cache_destroy call; and per kind
 * of cache: destroy_latency_debug, _rcu, _plain), unload_latency (ns, all
 * destroys of one iteration), bg_kfree_rcu (the feeder's kfree_rcu and
 * call_rcu calls).
 */
#include "kmod_common.h"

char *testcase_description = "kmem_cache create/use/kfree_rcu/destroy among many sheaf caches";

/*
 * baseline: before the background caches exist (checked by cleanup after
 * destroying them); with_bg: after, checked by each task process, which
 * leaves its copy of the background caches to the exit (destroying 300
 * sheaf caches one global barrier at a time would outlast the harness's
 * grace period for returning tasks on the rcu-sheaf variant), and by
 * cleanup on that variant (kmod_destroy_is_global()).
 */
static struct slab_case_acct baseline, with_bg;
static struct kmod_world world;
static int unload_metric;

void testcase_prepare(unsigned long nr_tasks)
{
	(void)nr_tasks;
	kmod_read_params(&world);
	kmod_metrics(&world, 0);
	unload_metric = harness_metric("unload_latency", HARNESS_LATENCY, "ns");

	slab_case_acct_begin(&baseline);
	kmod_create_bg(&world);
	slab_case_acct_begin(&with_bg);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	void **objs = calloc(world.objects + 1, sizeof(*objs));
	struct kmod_feeder *f;
	unsigned long long round = 0;

	if (!objs)
		harness_fail("out of memory");
	f = kmod_feeder_start(&world, nr);
	while (!harness_should_stop()) {
		harness_record(unload_metric,
			       kmod_load_unload(&world, nr, round++, objs));
		(*iterations)++;
		kmod_feeder_drain(f);
	}
	kmod_feeder_stop(f);
	free(objs);
	if (harness_processes_mode())
		slab_case_acct_check(&with_bg, "task teardown");
}

void testcase_cleanup(void)
{
	kmod_cleanup(&world, &baseline, &with_bg);
}
