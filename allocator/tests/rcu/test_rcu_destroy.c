// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_rcu_destroy.c - what kmem_cache_destroy() waits for, on each
 * variant, as allocator/README-rcu.md ("What a destroy waits for") says:
 *
 *   cpuslab, sheaves      the classic kfree_rcu batches of every CPU
 *   rcu-sheaf (6.18)      the global kvfree_rcu_barrier(): the rcu sheaves
 *                         of every cache with sheaves on every CPU, one
 *                         rcu_barrier(), the classic batches; then, for a
 *                         cache with sheaves, shutdown's rcu_barrier()
 *   barrier-on-cache      its own rcu sheaves (flushed, not waited for),
 *     (6.19)              the classic batches, shutdown's rcu_barrier()
 *                         for a cache with sheaves
 *   nolock-sheaves,       its own rcu sheaves and an rcu_barrier() (7.0),
 *     sheaves-all (7.0)   the classic batches, shutdown's rcu_barrier()
 *
 * Checked by the objects that are (or are not) freed when the destroy
 * returns and by the barrier and flush counters; single-threaded, so
 * every delta is exact.  No check depends on time.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rcu_test.h"
#include "rcu_internal.h"
#include "slab_internal.h"

struct obj {
	unsigned long w[4];
	struct rcu_head rcu;
};

#ifdef CONFIG_SLUB_RCU_SHEAF
#define RCU_SHEAF	1
#else
#define RCU_SHEAF	0
#endif
#ifdef CONFIG_SLUB_BARRIER_ON_CACHE
#define ON_CACHE	1
#else
#define ON_CACHE	0
#endif
#ifdef CONFIG_SLUB_SHEAVES_MOST
#define SHEAVES_MOST	1
#else
#define SHEAVES_MOST	0
#endif
#define GLOBAL_DESTROY	(RCU_SHEAF && !ON_CACHE)	/* rcu-sheaf */

static struct kmem_cache *mkcache(const char *name, unsigned int cap,
				  slab_flags_t flags)
{
	return rcu_test_cache(name, sizeof(struct obj), cap, flags);
}

static void kfree_rcu_one(struct kmem_cache *s)
{
	struct obj *o = kmem_cache_alloc(s, GFP_KERNEL);

	CHECK(o);
	o->w[0] = 1;
	kfree_rcu(o, rcu);
}

/* a 16 KiB kmalloc: no slab cache, the classic batching in every variant */
static void kfree_rcu_large(void)
{
	struct obj *o = kmalloc(16384, GFP_KERNEL);

	CHECK(o);
	kfree_rcu(o, rcu);
}

static unsigned long active(struct kmem_cache *s)
{
	struct slab_cache_info info;

	kmem_cache_info(s, &info);
	return info.active_objs;
}

static int nr_sheaf_caches(void)
{
	struct kmem_cache *c;
	int n = 0;

	pthread_mutex_lock(&slab_mutex);
	for_each_slab_cache(c)
		n += slab_rcu_cache_has_sheaves(c);
	pthread_mutex_unlock(&slab_mutex);
	return n;
}

struct snap {
	struct slab_kfree_rcu_stats k;
	struct slab_rcu_stats r;
};

static void take(struct snap *s)
{
	slab_kfree_rcu_get_stats(&s->k);
	slab_rcu_get_stats(&s->r);
}

/*
 * Destroying a cache without sheaves (a debug cache, none in any
 * variant) while cache x holds one kfree_rcu'd object in its rcu sheaf
 * and the classic batches hold two objects.
 */
static void test_destroy_cache_without_sheaves(void)
{
	struct kmem_cache *x = mkcache("rd-other", 32, 0);
	struct kmem_cache *p = mkcache("rd-debug", 0, SLAB_RED_ZONE);
	unsigned long leaked = slab_leaked_objects();
	int nr_sheaf, ncpu = slab_rcu_nr_cpus();
	struct snap a, b;

	kvfree_rcu_barrier();		/* nothing pending anywhere */
	kfree_rcu_one(x);
	kfree_rcu_one(p);
	kfree_rcu_large();
	CHECK_EQ(active(x), 1);
	nr_sheaf = nr_sheaf_caches();
	take(&a);
	kmem_cache_destroy(p);
	take(&b);
	CHECK_EQ(slab_leaked_objects(), leaked);
	/* the classic batches of every CPU: always waited for */
	CHECK_EQ(b.k.freed - a.k.freed, RCU_SHEAF ? 2 : 3);
	/* another cache's rcu sheaf: flushed only by the global barrier */
	CHECK_EQ(active(x), ON_CACHE ? 1 : 0);
	CHECK_EQ(b.k.flush_works - a.k.flush_works,
		 GLOBAL_DESTROY ? (unsigned long long)nr_sheaf * ncpu : 0);
	CHECK_EQ(b.r.barriers - a.r.barriers, GLOBAL_DESTROY ? 1 : 0);
	/* nothing was freed without a grace period */
	CHECK(b.r.grace_periods > a.r.grace_periods);
	kvfree_rcu_barrier();
	CHECK_EQ(active(x), 0);
	kmem_cache_destroy(x);
}

/*
 * Destroying a cache y with sheaves whose rcu sheaf holds three of its
 * objects, while cache x holds one kfree_rcu'd object in its own.
 */
static void test_destroy_cache_with_sheaves(void)
{
	struct kmem_cache *x = mkcache("rd-other2", 32, 0);
	struct kmem_cache *y = mkcache("rd-sheaves", 32, 0);
	unsigned long leaked = slab_leaked_objects();
	int nr_sheaf, ncpu = slab_rcu_nr_cpus();
	bool y_sheaves = kmem_cache_sheaf_capacity(y) > 0;
	unsigned long long barriers, flushes;
	struct snap a, b;
	int i;

	kvfree_rcu_barrier();
	for (i = 0; i < 3; i++)
		kfree_rcu_one(y);
	kfree_rcu_one(x);
	nr_sheaf = nr_sheaf_caches();
	take(&a);
	rcu_test_capture_reports();
	kmem_cache_destroy(y);
	take(&b);
	CHECK_EQ(rcu_test_reports_matching("still has objects"), 0);
	rcu_test_release_reports();
	CHECK_EQ(slab_leaked_objects(), leaked);
	CHECK_EQ(active(x), ON_CACHE ? 1 : 0);

	if (GLOBAL_DESTROY) {		/* kvfree_rcu_barrier() + shutdown */
		flushes = (unsigned long long)nr_sheaf * ncpu;
		barriers = 2;
	} else if (RCU_SHEAF && y_sheaves) {
		flushes = ncpu;		/* y's rcu sheaves only */
		barriers = SHEAVES_MOST ? 2 : 1;	/* (on_cache +) shutdown */
	} else {
		flushes = 0;		/* no rcu sheaves: classic only */
		barriers = 0;
	}
	CHECK_EQ(b.k.flush_works - a.k.flush_works, flushes);
	CHECK_EQ(b.r.barriers - a.r.barriers, barriers);
	kvfree_rcu_barrier();
	CHECK_EQ(active(x), 0);
	kmem_cache_destroy(x);
}

/*
 * A batch of the classic path in flight when the destroy starts: the
 * destroy returns only after its callback freed it (the kernel's
 * flush_rcu_work() in __kvfree_rcu_barrier()).
 */
static void test_destroy_waits_for_batch_in_flight(void)
{
	struct kmem_cache *p = mkcache("rd-inflight", 0, SLAB_RED_ZONE);
	struct kmem_cache *q = mkcache("rd-victim", 0, SLAB_RED_ZONE);
	struct slab_kfree_rcu_stats a, b;
	int i;

	kvfree_rcu_barrier();
	slab_kfree_rcu_get_stats(&a);
	for (i = 0; i < 600; i++)	/* more than a page: the monitor */
		kfree_rcu_one(p);	/* detaches it after a jiffy */
	do {
		usleep(500);
		slab_kfree_rcu_get_stats(&b);
	} while (b.monitor_flushes == a.monitor_flushes);
	kmem_cache_destroy(q);
	slab_kfree_rcu_get_stats(&b);
	CHECK_EQ(b.freed - a.freed, 600);
	CHECK_EQ(active(p), 0);
	kmem_cache_destroy(p);
}

int main(void)
{
	rcu_test_watchdog(300);
	printf("test_rcu_destroy: variant %s (rcu sheaves %d, on-cache barrier %d, 7.0 %d)\n",
	       slab_variant(), RCU_SHEAF, ON_CACHE, SHEAVES_MOST);
	test_destroy_cache_without_sheaves();
	test_destroy_cache_with_sheaves();
	test_destroy_waits_for_batch_in_flight();
	printf("test_rcu_destroy: ok\n");
	return 0;
}
