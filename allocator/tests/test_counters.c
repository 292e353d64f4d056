// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_counters.c - what each counter means, checked where it is exact:
 * SLUB_STATS items as sysfs means them (allocator/include/slab.h has one
 * line per item) and the lock statistics.  The main thread is pinned to
 * one CPU so that every per-CPU structure it touches is that CPU's; runs
 * on every variant, in rseq and in atomic mode, and under the sanitizers.
 */
#include <sched.h>
#include <unistd.h>
#include "testutil.h"
#include "pcs.h"

static cpu_set_t all_cpus;	/* the mask we started with */

static void pin_to_first_cpu(void)
{
	cpu_set_t set;
	int cpu;

	CHECK(!sched_getaffinity(0, sizeof(all_cpus), &all_cpus));
	set = all_cpus;
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	CHECK(!sched_setaffinity(0, sizeof(set), &set));
}

static bool has_sheaves(struct kmem_cache *s)
{
	return kmem_cache_sheaf_capacity(s) > 0;
}

static struct slab_lock_stat lock_of(struct kmem_cache *s,
				     enum slab_lock_class cls)
{
	struct slab_lock_stat l[NR_SLAB_LOCK_CLASSES];

	kmem_cache_lock_stats(s, l);
	return l[cls];
}

/* the names the variant's sysfs would show */
static void test_names(void)
{
	if ((slab_features() & (SLAB_FEAT_CPU_SLAB | SLAB_FEAT_SHEAVES)) ==
	    (SLAB_FEAT_CPU_SLAB | SLAB_FEAT_SHEAVES)) {
		/* 6.18: sheaf hits beside the cpu slab */
		CHECK(!strcmp(slab_stat_name(ALLOC_PCS), "alloc_cpu_sheaf"));
		CHECK(!strcmp(slab_stat_name(FREE_PCS), "free_cpu_sheaf"));
	}
	CHECK(!strcmp(slab_stat_name(SHEAF_REFILL), "sheaf_refill"));
	CHECK(!strcmp(slab_stat_name(ALLOC_FROM_SHEAF), "alloc_from_sheaf"));
	CHECK(!strcmp(slab_lock_class_name(SLAB_LOCK_LIST), "list_lock"));
	CHECK(!strcmp(slab_lock_class_name(SLAB_LOCK_BARN), "barn_lock"));
	CHECK(!strcmp(slab_lock_class_name(SLAB_LOCK_CPU), "cpu_lock"));
	CHECK(!slab_lock_class_name(NR_SLAB_LOCK_CLASSES));
}

/*
 * The first allocation from a new sheaf cache refills a sheaf from the
 * slabs: SHEAF_REFILL adds the objects moved (the capacity), SHEAF_ALLOC
 * the sheaf, BARN_GET_FAIL the empty barn; the hit that follows counts as
 * a sheaf hit, not as a slab allocation.
 */
static void test_refill_counts_objects(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	struct kmem_cache *s = kmem_cache_create("c-refill", 64, &args, 0);
	enum slab_stat_item hit = slab_features() & SLAB_FEAT_CPU_SLAB ?
				  ALLOC_PCS : ALLOC_FASTPATH;
	unsigned int cap;
	void *p[2];

	CHECK(s);
	if (!has_sheaves(s)) {
		kmem_cache_destroy(s);
		return;
	}
	cap = kmem_cache_sheaf_capacity(s);
	p[0] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(p[0]);
	CHECK_EQ(tu_stat(s, SHEAF_REFILL), cap);
	CHECK_EQ(tu_stat(s, BARN_GET_FAIL), 1);
	CHECK_EQ(tu_stat(s, SHEAF_ALLOC), nr_cpu_ids + 1); /* mains + new */
	CHECK_EQ(tu_stat(s, hit), 1);
	CHECK_EQ(tu_stat(s, ALLOC_SLOWPATH), 0);
	p[1] = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK_EQ(tu_stat(s, hit), 2);
	CHECK_EQ(tu_stat(s, SHEAF_REFILL), cap);	/* no second refill */
	kmem_cache_free(s, p[1]);
	kmem_cache_free(s, p[0]);
	/* a shrink flushes the objects in the sheaves: SHEAF_FLUSH, objects */
	kmem_cache_shrink(s);
	CHECK_EQ(tu_stat(s, SHEAF_FLUSH), cap);
	CHECK_EQ(slab_cache_active(s), 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/*
 * Prefilled sheaves, as 6.18's kmem_cache_prefill_sheaf(): FAST when the
 * CPU's spare was taken, else SLOW with BARN_GET (a full barn sheaf) or
 * BARN_GET_FAIL; objects taken from a prefilled sheaf are
 * ALLOC_FROM_SHEAF, never ALLOC_FASTPATH.
 */
static void test_prefill_counts(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	struct kmem_cache *s = kmem_cache_create("c-prefill", 64, &args, 0);
	unsigned long long fast, slow, get, get_fail, refill;
	struct slab_sheaf *a, *b;
	unsigned int cap;
	void *o;

	CHECK(s);
	if (!has_sheaves(s)) {
		kmem_cache_destroy(s);
		return;
	}
	cap = kmem_cache_sheaf_capacity(s);
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	/* the refill left main full and the old empty main as the spare */
	fast = tu_stat(s, SHEAF_PREFILL_FAST);
	refill = tu_stat(s, SHEAF_REFILL);
	a = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 4);
	CHECK(a && kmem_cache_sheaf_size(a) == cap);
	CHECK_EQ(tu_stat(s, SHEAF_PREFILL_FAST), fast + 1);
	CHECK_EQ(tu_stat(s, SHEAF_REFILL), refill + cap);	/* in objects */
	/* no spare now: slow, and the barn has nothing */
	slow = tu_stat(s, SHEAF_PREFILL_SLOW);
	get_fail = tu_stat(s, BARN_GET_FAIL);
	b = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 4);
	CHECK(b);
	CHECK_EQ(tu_stat(s, SHEAF_PREFILL_SLOW), slow + 1);
	CHECK_EQ(tu_stat(s, BARN_GET_FAIL), get_fail + 1);
	/* allocations from a prefilled sheaf are their own kind */
	fast = tu_stat(s, ALLOC_FASTPATH);
	o = kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, a);
	CHECK(o);
	CHECK_EQ(tu_stat(s, ALLOC_FROM_SHEAF), 1);
	CHECK_EQ(tu_stat(s, ALLOC_FASTPATH), fast);
	CHECK_EQ(slab_cache_active(s), 1);
	/* a returns as the spare (FAST), b then to the barn (SLOW, BARN_PUT) */
	kmem_cache_return_sheaf(s, GFP_KERNEL, a);
	CHECK_EQ(tu_stat(s, SHEAF_RETURN_FAST), 1);
	get = tu_stat(s, BARN_PUT);
	kmem_cache_return_sheaf(s, GFP_KERNEL, b);
	CHECK_EQ(tu_stat(s, SHEAF_RETURN_SLOW), 1);
	CHECK_EQ(tu_stat(s, BARN_PUT), get + 1);
	/* main is full: the free swaps in the spare, which has room */
	kmem_cache_free(s, o);
	/* the spare again, then the barn's full sheaf: BARN_GET, no refill */
	a = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 4);
	get = tu_stat(s, BARN_GET);
	refill = tu_stat(s, SHEAF_REFILL);
	b = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 4);
	CHECK(a && b);
	CHECK_EQ(tu_stat(s, BARN_GET), get + 1);
	CHECK_EQ(tu_stat(s, SHEAF_REFILL), refill);
	kmem_cache_return_sheaf(s, GFP_KERNEL, a);
	kmem_cache_return_sheaf(s, GFP_KERNEL, b);
	CHECK_EQ(slab_cache_active(s), 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/*
 * Every hit takes this CPU's per-CPU lock once (a sheaf cache) or not at
 * all (the cpu slab's lockless freelist); nothing is contended when one
 * thread runs alone.
 */
static void test_cpu_lock_counts(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	struct kmem_cache *s = kmem_cache_create("c-cpulock", 64, &args, 0);
	struct slab_lock_stat before, after;
	int i;

	CHECK(s);
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));	/* warm */
	before = lock_of(s, SLAB_LOCK_CPU);
	for (i = 0; i < 1000; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	after = lock_of(s, SLAB_LOCK_CPU);
	if (has_sheaves(s))
		CHECK_EQ(after.acquired - before.acquired, 2000);
	else
		CHECK_EQ(after.acquired, before.acquired);
	CHECK_EQ(after.trylock_failed, tu_stat(s, PCS_TRYLOCK_FAIL));
	CHECK_EQ(after.trylock_failed, 0);
	CHECK_EQ(after.contended, 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/*
 * list_lock: a debug cache takes it for every allocation and free.  One
 * thread alone never finds it held; several threads on our CPUs
 * eventually do, and the waits are counted with their time.
 */
#define CONTEND_THREADS	4
#define CONTEND_BATCH	20000
#define CONTEND_ROUNDS	100	/* a work bound, not a time */

static struct kmem_cache *contend_cache;

static void *contend_thread(void *arg)
{
	void *p[16];
	int n, i;

	(void)arg;
	/* not pinned like the main thread: all our CPUs */
	CHECK(!sched_setaffinity(0, sizeof(all_cpus), &all_cpus));
	for (n = 0; n < CONTEND_BATCH; n += 32) {
		for (i = 0; i < 16; i++)
			CHECK((p[i] = kmem_cache_alloc(contend_cache,
						       GFP_KERNEL)));
		for (i = 0; i < 16; i++)
			kmem_cache_free(contend_cache, p[i]);
	}
	return NULL;
}

static void test_list_lock_contention(void)
{
	struct kmem_cache *s = kmem_cache_create("c-listlock", 64, NULL,
						 SLAB_CONSISTENCY_CHECKS);
	pthread_t th[CONTEND_THREADS];
	struct slab_lock_stat l;
	int i, round;
	void *p;

	CHECK(s);
	/* alone: acquisitions, never a contended one */
	for (i = 0; i < CONTEND_BATCH; i++) {
		p = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(p);
		kmem_cache_free(s, p);
	}
	l = lock_of(s, SLAB_LOCK_LIST);
	CHECK(l.acquired >= 2 * CONTEND_BATCH);
	CHECK_EQ(l.contended, 0);
	CHECK_EQ(l.wait_ns, 0);
	/* together, more threads than CPUs: rounds until one waited */
	contend_cache = s;
	for (round = 0; round < CONTEND_ROUNDS; round++) {
		for (i = 0; i < CONTEND_THREADS; i++)
			CHECK(!pthread_create(&th[i], NULL, contend_thread,
					      NULL));
		for (i = 0; i < CONTEND_THREADS; i++)
			pthread_join(th[i], NULL);
		if (lock_of(s, SLAB_LOCK_LIST).contended)
			break;
	}
	l = lock_of(s, SLAB_LOCK_LIST);
	CHECK(l.contended > 0);
	CHECK(l.wait_ns > 0);
	CHECK(l.contended <= l.acquired);
	CHECK_EQ(slab_cache_active(s), 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/* the barn's lock counts its acquisitions; the zone lock is counted too */
static void test_barn_and_zone_lock(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 8 };
	struct kmem_cache *s = kmem_cache_create("c-barn", 64, &args, 0);
	struct slab_lock_stat zone, barn;
	static void *p[8 * 40];
	unsigned int cap;
	int i, n;

	CHECK(s);
	slab_zone_lock_stat(&zone);
	CHECK(zone.acquired > 0);	/* kmalloc's and our slabs' pages */
	if (!has_sheaves(s)) {
		kmem_cache_destroy(s);
		return;
	}
	cap = kmem_cache_sheaf_capacity(s);
	n = cap * 4 < 8 * 40 ? cap * 4 : 8 * 40;
	for (i = 0; i < n; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (i = 0; i < n; i++)
		kmem_cache_free(s, p[i]);
	barn = lock_of(s, SLAB_LOCK_BARN);
	/* full sheaves went to the barn: each a lock acquisition */
	CHECK(tu_stat(s, BARN_PUT) >= 1);
	CHECK(barn.acquired >= tu_stat(s, BARN_PUT));
	CHECK_EQ(barn.contended, 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/*
 * A read of the counters while another thread holds a CPU's sheaves (a
 * holder preempted inside its section, as on a loaded machine) waits for
 * it: the sheaf hits still pending in main's size word are all counted.
 * Alloc/free pairs never empty or fill main, so every one of them is
 * pending; a reader that gave up on the busy lock reported none of them.
 */
static struct kmem_cache *held_cache;
static int held_cpu, held_state;	/* 1: locked, 2: released */

/* takes the lock word only, as a hit path or kfree_rcu() does: no fold */
static void *hold_sheaves_thread(void *arg)
{
	unsigned int *lock = &held_cache->cpu_sheaves[held_cpu].lock;

	(void)arg;
	percpu_lock_remote(lock, held_cpu);
	__atomic_store_n(&held_state, 1, __ATOMIC_RELEASE);
	usleep(100 * 1000);		/* the reader asks meanwhile */
	__atomic_store_n(&held_state, 2, __ATOMIC_RELEASE);
	percpu_unlock_remote(lock);
	return NULL;
}

static void test_read_waits_for_holder(void)
{
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	struct kmem_cache *s = kmem_cache_create("c-held", 64, &args, 0);
	enum slab_stat_item hit = slab_features() & SLAB_FEAT_CPU_SLAB ?
				  ALLOC_PCS : ALLOC_FASTPATH;
	enum slab_stat_item fhit = slab_features() & SLAB_FEAT_CPU_SLAB ?
				   FREE_PCS : FREE_FASTPATH;
	unsigned long long before, fbefore;
	pthread_t t;
	void *p;
	int i;

	CHECK(s);
	if (!has_sheaves(s)) {
		kmem_cache_destroy(s);
		return;
	}
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));	/* refill */
	before = tu_stat(s, hit);
	fbefore = tu_stat(s, fhit);
	for (i = 0; i < 1000; i++) {
		p = kmem_cache_alloc(s, GFP_KERNEL);
		CHECK(p);
		kmem_cache_free(s, p);
	}
	held_cache = s;
	held_cpu = slab_cpu_id();	/* pinned: the CPU of those hits */
	__atomic_store_n(&held_state, 0, __ATOMIC_RELAXED);
	CHECK(!pthread_create(&t, NULL, hold_sheaves_thread, NULL));
	while (!__atomic_load_n(&held_state, __ATOMIC_ACQUIRE))
		sched_yield();
	CHECK_EQ(tu_stat(s, hit), before + 1000);
	CHECK_EQ(__atomic_load_n(&held_state, __ATOMIC_ACQUIRE), 2);
	CHECK_EQ(tu_stat(s, fhit), fbefore + 1000);
	CHECK(!pthread_join(t, NULL));
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/*
 * Every per-CPU lock taken was released: the kernel-cost preempt count
 * (percpu.h) is back where it started (a leak would shift it, a double
 * release would hit 0 and be reported).
 */
static void check_preempt_balanced(void)
{
	CHECK_EQ(slab_preempt_count, PREEMPT_NEED_RESCHED);
	CHECK(!slab_preempt_underflow);
}

int main(void)
{
	pin_to_first_cpu();
	tu_capture();
	test_names();
	test_refill_counts_objects();
	check_preempt_balanced();
	test_prefill_counts();
	check_preempt_balanced();
	test_cpu_lock_counts();
	check_preempt_balanced();
	test_barn_and_zone_lock();
	check_preempt_balanced();
	test_list_lock_contention();
	check_preempt_balanced();
	test_read_waits_for_holder();
	check_preempt_balanced();
	printf("test_counters: ok (%s, %s)\n", slab_variant(),
	       slab_use_rseq ? "rseq" : "atomic");
	return 0;
}
