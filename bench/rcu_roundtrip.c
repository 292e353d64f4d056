// SPDX-License-Identifier: GPL-2.0-only
/*
 * rcu_roundtrip.c - micro-measurements of the RCU component's costs (not a
 * test: it asserts nothing).  Prints one "rcu-micro" line per figure with
 * the median and the min/max over the repetitions, in microseconds.
 *
 *   rcu_roundtrip [reps]
 *
 *   wq_cpuN          queue one item on CPU N's worker and flush it, from a
 *                    caller pinned to CPU 0 (N == 0: same CPU, the worker
 *                    has to preempt us; N != 0: a cross-CPU wakeup)
 *   flush_all_cpus   slab_flush_rcu_sheaves_on_cache(): one item on every
 *                    CPU, then wait for all (the kmod regression's unit)
 *   rcu_barrier      slab_rcu_barrier() with nothing queued (returns at once)
 *   kvfree_barrier_idle     kvfree_rcu_barrier() with nothing pending
 *   kvfree_barrier_pending  kvfree_rcu_barrier() after one kfree_rcu
 *   kfree_rcu_ns     ns per kmem_cache_alloc + kfree_rcu, one thread
 *                    (classic batching unless the variant has rcu sheaves)
 *   flush_B<n>       the work of the global barrier's step 1 with n caches
 *                    holding sheaves: n all-CPU flushes, then one
 *                    rcu_barrier(); flush_B1 is the per-cache barrier.
 *                    Works on every variant (the flush items do nothing
 *                    before rcu_free sheaves exist), so it previews the
 *                    rcu-sheaf vs barrier-on-cache ratio.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rcu_internal.h"
#include "workqueue.h"

struct obj {
	unsigned long w[6];
	struct rcu_head rcu;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	printf("rcu-micro variant=%s what=%s median_us=%.2f min_us=%.2f max_us=%.2f reps=%d\n",
	       slab_variant(), what, v[n / 2], v[0], v[n - 1], n);
}

static void nop_fn(struct slab_work *w)
{
	(void)w;
}

static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* n all-CPU flushes and one rcu_barrier, as kvfree_rcu_barrier() does */
static void flush_b(struct kmem_cache *s)
{
	static const int bs[] = { 1, 10, 100, 300, 1000 };
	struct kmem_cache **c = calloc(1000, sizeof(*c));
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	double v[5], t;
	char name[32];
	unsigned int k;
	int i, r;

	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "rcu-micro-%d", i);
		c[i] = kmem_cache_create(name, 64, &args, SLAB_NO_MERGE);
	}
	c[0] = s;
	for (k = 0; k < sizeof(bs) / sizeof(bs[0]); k++) {
		for (r = 0; r < 5; r++) {
			t = now_us();
			for (i = 0; i < bs[k]; i++)
				slab_flush_rcu_sheaves_on_cache(c[i]);
			slab_rcu_barrier();
			v[r] = now_us() - t;
		}
		snprintf(name, sizeof(name), "flush_B%d", bs[k]);
		report(name, v, 5);
	}
	for (i = 1; i < 1000; i++)
		kmem_cache_destroy(c[i]);
	free(c);
}

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 200;
	int nr = slab_wq_nr_cpus(), cpu, i;
	double *v = calloc(reps > 1000 ? reps : 1000, sizeof(double));
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	struct kmem_cache *s;
	struct slab_work w;
	char name[32];
	double t;

	if (reps < 3) {
		fprintf(stderr, "usage: %s [reps >= 3]\n", argv[0]);
		return 2;
	}
	s = kmem_cache_create("rcu-micro", sizeof(struct obj), &args, 0);
	pin_self(0);
	slab_init_work(&w, nop_fn);
	slab_queue_work_on(0, &w);	/* start the workers */
	slab_flush_work(&w);

	for (cpu = 0; cpu < nr; cpu++) {
		for (i = 0; i < reps; i++) {
			t = now_us();
			slab_queue_work_on(cpu, &w);
			slab_flush_work(&w);
			v[i] = now_us() - t;
		}
		snprintf(name, sizeof(name), "wq_cpu%d", cpu);
		report(name, v, reps);
	}
	for (i = 0; i < reps; i++) {
		t = now_us();
		slab_flush_rcu_sheaves_on_cache(s);
		v[i] = now_us() - t;
	}
	report("flush_all_cpus", v, reps);

	for (i = 0; i < reps / 10 + 3; i++) {
		t = now_us();
		slab_rcu_barrier();
		v[i] = now_us() - t;
	}
	report("rcu_barrier", v, reps / 10 + 3);
	for (i = 0; i < reps / 10 + 3; i++) {
		t = now_us();
		kvfree_rcu_barrier();
		v[i] = now_us() - t;
	}
	report("kvfree_barrier_idle", v, reps / 10 + 3);
	for (i = 0; i < reps / 10 + 3; i++) {
		struct obj *o = kmem_cache_alloc(s, GFP_KERNEL);

		kfree_rcu(o, rcu);
		t = now_us();
		kvfree_rcu_barrier();
		v[i] = now_us() - t;
	}
	report("kvfree_barrier_pending", v, reps / 10 + 3);

	for (int r = 0; r < 5; r++) {
		long n = 1000000;

		t = now_us();
		for (long k = 0; k < n; k++) {
			struct obj *o = kmem_cache_alloc(s, GFP_KERNEL);

			o->w[0] = k;
			kfree_rcu(o, rcu);
		}
		v[r] = (now_us() - t) * 1e3 / n;
		kvfree_rcu_barrier();
	}
	qsort(v, 5, sizeof(*v), cmp_double);
	printf("rcu-micro variant=%s what=kfree_rcu_ns median_ns=%.1f min_ns=%.1f max_ns=%.1f reps=5\n",
	       slab_variant(), v[2], v[0], v[4]);
	flush_b(s);
	kmem_cache_destroy(s);
	free(v);
	return 0;
}
