// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmod_stress - the kmod selftest's sequential shape (kmod.sh tests 0008
 * and 0009, 150 runs each: 300 sequential module unloads).
 *
 * Each task runs a fixed number of module load/unload rounds (as
 * cache_destroy's iteration: a slub_kunit-shaped module of 19 caches, see
 * kmod_common.h) back to back, then idles until the run ends.  One
 * iteration = one round.  When its rounds are done a task reports on
 * stderr in the kernel mail's terms:
 *   Total calls: N, Average latency (us): A, Total time (us): T
 * where calls are kmem_cache_destroy() calls, A their mean latency and T
 * the time spent in them, followed by the wall time of all rounds (what
 * the kmod selftest's runtime measures).  Rounds run from the start of
 * testcase(), warmup included, so the metrics are recorded always.
 *
 * Parameters: rounds (300 per task), and those of cache_destroy: caches
 * (19), debug_caches (7), rcu_caches (11), objects (2), rcu_objects (1),
 * size (64), sheaf_capacity (0), bg_caches (2), bg_size (64),
 * bg_sheaf_capacity (32), bg_period_us (1000), bg_kmalloc_rcu (1),
 * bg_call_rcu (1), feeder (1).
 * Metrics: destroy_latency (ns; and per kind of cache), total_calls,
 * total_time_us (time in kmem_cache_destroy), wall_time_us (max over
 * tasks), rounds_done.
 */
#include "kmod_common.h"

char *testcase_description = "kmod selftest: fixed number of sequential module load/unload rounds";

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
static unsigned long rounds;
static int calls_metric, time_metric, wall_metric, rounds_metric;

void testcase_prepare(unsigned long nr_tasks)
{
	(void)nr_tasks;
	rounds = slab_case_param_range("rounds", 300, 1, 1ul << 32);
	kmod_read_params(&world);
	kmod_metrics(&world, HARNESS_ALWAYS);
	calls_metric = harness_metric("total_calls",
				      HARNESS_COUNTER | HARNESS_ALWAYS, "calls");
	time_metric = harness_metric("total_time_us",
				     HARNESS_COUNTER | HARNESS_ALWAYS, "us");
	wall_metric = harness_metric("wall_time_us",
				     HARNESS_MAX | HARNESS_ALWAYS, "us");
	rounds_metric = harness_metric("rounds_done",
				       HARNESS_COUNTER | HARNESS_ALWAYS, "rounds");

	slab_case_acct_begin(&baseline);
	kmod_create_bg(&world);
	slab_case_acct_begin(&with_bg);
}

static void report(unsigned long nr, unsigned long done,
		   unsigned long long destroy_ns, unsigned long long wall_ns)
{
	unsigned long calls = done * world.caches;

	harness_record(calls_metric, calls);
	harness_record(time_metric, destroy_ns / 1000);
	harness_record(wall_metric, wall_ns / 1000);
	harness_record(rounds_metric, done);
	harness_warn("task %lu: Total calls: %lu, Average latency (us): %llu, Total time (us): %llu; wall time (us): %llu for %lu of %lu rounds",
		     nr, calls, calls ? destroy_ns / 1000 / calls : 0,
		     destroy_ns / 1000, wall_ns / 1000, done, rounds);
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	void **objs = calloc(world.objects + 1, sizeof(*objs));
	unsigned long long start, destroy_ns = 0;
	struct kmod_feeder *f;
	unsigned long done = 0;

	if (!objs)
		harness_fail("out of memory");
	f = kmod_feeder_start(&world, nr);
	start = harness_now_ns();
	while (done < rounds && !harness_should_stop()) {
		destroy_ns += kmod_load_unload(&world, nr, done, objs);
		done++;
		(*iterations)++;
		kmod_feeder_drain(f);
	}
	report(nr, done, destroy_ns, harness_now_ns() - start);
	while (!harness_should_stop()) {
		kmod_feeder_drain(f);
		slab_case_sleep_ns(10000000);
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
