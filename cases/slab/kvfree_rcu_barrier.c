// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvfree_rcu_barrier - kfree_rcu() at full speed while kvfree_rcu_barrier()
 * is called periodically (rcuscale's kfree shape plus a barrier caller).
 *
 * Every task allocates a small object (an 8-byte payload after its
 * rcu_head, 24 bytes, as rcuscale's kfree test) and kfree_rcu()s it; one
 * iteration = one allocation + one kfree_rcu().  A barrier thread (one per
 * process: started by task 0 in threads mode, by every task in processes
 * mode, where each process has its own allocator) calls
 * kvfree_rcu_barrier() every period_ms and records how long it took.
 *
 * Parameters: size (24, object size including the rcu_head), period_ms
 * (50), api (kmalloc as rcuscale, or cache: a cache of this case with
 * sheaves, so rcu_free sheaves are used from the rcu-sheaf variant on),
 * sheaf_capacity (32, cache api only).
 * Metrics: barrier_latency (ns), grace_periods (grace periods completed,
 * counted by a self-rearming slab_call_rcu() probe), peak_live_objects
 * (objects allocated or waiting for their grace period, sampled before
 * each barrier) and peak_rss_kb (resident memory, sampled likewise).
 */
#include "slab_case.h"

char *testcase_description = "kfree_rcu flood with a periodic kvfree_rcu_barrier()";

struct rcu_obj {
	struct rcu_head rcu;
	unsigned long payload[];
};

/* The barrier thread of one process and what it reports. */
struct barrier_thread {
	struct slab_case_mailbox box;
	int stop;
	pthread_t th;
};

/*
 * The grace-period probe: one rcu_head always queued; its callback counts
 * and queues it again until probe_stop is set.  probe_armed is 1 while a
 * callback is pending.
 */
static struct rcu_head probe_head;
static unsigned long probe_count;
static int probe_stop, probe_armed;

static struct slab_case_source src;
static unsigned long period_ms;
static int lat_metric, gp_metric, live_metric, rss_metric;

void testcase_prepare(unsigned long nr_tasks)
{
	unsigned long size;

	(void)nr_tasks;
	size = slab_case_param_range("size", 24, sizeof(struct rcu_obj) + 8,
				     SLAB_MAX_OBJECT_SIZE);
	period_ms = slab_case_param_range("period_ms", 50, 1, 3600 * 1000);
	lat_metric = harness_metric("barrier_latency", HARNESS_LATENCY, "ns");
	gp_metric = harness_metric("grace_periods", HARNESS_COUNTER, "gps");
	live_metric = harness_metric("peak_live_objects", HARNESS_MAX, "objects");
	rss_metric = harness_metric("peak_rss_kb", HARNESS_MAX, "KiB");
	slab_case_source_init(&src, "kvfree_rcu_barrier", size, 0, "kmalloc");
}

static void probe_cb(struct rcu_head *head)
{
	__atomic_fetch_add(&probe_count, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&probe_stop, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&probe_armed, 0, __ATOMIC_RELEASE);
		return;
	}
	slab_call_rcu(head, probe_cb);
}

static void probe_start(void)
{
	probe_stop = 0;
	probe_armed = 1;
	slab_call_rcu(&probe_head, probe_cb);
}

static void probe_end(void)
{
	__atomic_store_n(&probe_stop, 1, __ATOMIC_RELEASE);
	/* A callback that re-armed just before seeing probe_stop needs one more. */
	while (__atomic_load_n(&probe_armed, __ATOMIC_ACQUIRE))
		slab_rcu_barrier();
}

/* Sleep until deadline (ns), waking early when told to stop. */
static void nap_until(struct barrier_thread *b, unsigned long long deadline)
{
	unsigned long long now;

	while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
		now = harness_now_ns();
		if (now >= deadline)
			return;
		slab_case_sleep_ns(deadline - now < 5000000 ? deadline - now
							    : 5000000);
	}
}

static void *barrier_main(void *arg)
{
	struct barrier_thread *b = arg;
	unsigned long long next, t0, gps, last_gps = 0;

	probe_start();
	next = harness_now_ns();
	for (;;) {
		next += period_ms * 1000000ull;
		nap_until(b, next);
		if (__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE))
			break;
		slab_case_post(&b->box, live_metric,
			       (unsigned long long)slab_live_objects());
		slab_case_post(&b->box, rss_metric, slab_case_rss_kb());
		t0 = harness_now_ns();
		kvfree_rcu_barrier();
		slab_case_post(&b->box, lat_metric, harness_now_ns() - t0);
		gps = __atomic_load_n(&probe_count, __ATOMIC_RELAXED);
		slab_case_post(&b->box, gp_metric, gps - last_gps);
		last_gps = gps;
		if (harness_now_ns() > next)	/* a barrier longer than a period */
			next = harness_now_ns();
	}
	probe_end();
	return NULL;
}

void testcase(unsigned long long *iterations, unsigned long nr)
{
	bool owner = nr == 0 || harness_processes_mode();
	struct barrier_thread *b = NULL;
	struct rcu_obj *o;
	unsigned long i;

	if (owner) {
		b = aligned_alloc(64, sizeof(*b));
		if (!b)
			harness_fail("out of memory");
		memset(b, 0, sizeof(*b));
		b->th = slab_case_thread_start(barrier_main, b);
	}
	while (!harness_should_stop()) {
		for (i = 0; i < 4096; i++) {
			o = slab_case_alloc(&src);
			o->payload[0] = i;
			kfree_rcu(o, rcu);
		}
		*iterations += i;
		if (owner)
			slab_case_drain(&b->box);
	}
	if (owner) {
		__atomic_store_n(&b->stop, 1, __ATOMIC_RELEASE);
		slab_case_thread_join(b->th);
		slab_case_drain(&b->box);
		if (b->box.dropped)
			harness_warn("%lu barrier records dropped", b->box.dropped);
		free(b);
	}
	if (harness_processes_mode())
		slab_case_source_exit(&src, "task teardown");
}

void testcase_cleanup(void)
{
	slab_case_source_exit(&src, "cleanup");
}
