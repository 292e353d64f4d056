// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_rcu_sheaf.c - the issue-4 paths on every variant:
 *  - slab_features() bits match the variant's place in the history;
 *  - rcu_free sheaves (variants with SLAB_FEAT_RCU_SHEAF): kfree_rcu'd
 *    objects stay allocated and are never handed out while a read-side
 *    section that saw them is open; a full sheaf goes to the barn after
 *    the grace period (BARN_PUT) and serves allocations without slabs,
 *    past MAX_FULL_SHEAVES it is flushed (BARN_PUT_FAIL); no empty sheaf
 *    to be had counts FREE_RCU_SHEAF_FAIL and takes the classic path;
 *    a barrier flushes a partly filled rcu_free sheaf; remote-node
 *    objects take the classic path; counters appear in slab_stats_json();
 *  - which barrier kmem_cache_destroy() uses: the global one (rcu-sheaf)
 *    also empties other caches' rcu sheaves, the per-cache one does not;
 *    7.0's per-cache barrier (CONFIG_SLUB_SHEAVES_MOST) waits for the
 *    rcu sheaves it flushed, 6.19's does not (on_cache_barrier());
 *  - kfree_rcu then immediate destroy leaves nothing, a leaking destroy
 *    is reported, on every variant;
 *  - sheaves-all: kmalloc_nolock/kfree_nolock are served by the kmalloc
 *    bucket's sheaves;
 *  - prefilled sheaves: oversize, refill in place and by a larger sheaf,
 *    refill failure leaves the old sheaf intact, return paths, NULL/0;
 *  - `test_rcu_sheaf torture`: the nolock torture for a fixed number of
 *    iterations: a per-thread high-frequency timer signal does
 *    kmalloc_nolock/kfree_nolock while the thread loops over
 *    kmalloc/kfree/kfree_rcu; it must finish and lose nothing; how often
 *    kmalloc_nolock returned NULL is printed.  Part of the default run
 *    (last, on every CPU); `torture` runs it alone, `torture N` with N
 *    loops per thread.  It used to find objects handed out twice: a
 *    nolock allocation returned an object of a new slab it had given
 *    back after a failed list_lock trylock (see allocator/README.md).
 * No check depends on speed.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "testutil.h"
#include "slab_internal.h"
#include "rcu_internal.h"

struct obj {
	unsigned long canary;
	unsigned long pad[5];
	struct rcu_head rcu;
};

static bool has_rcu_sheaf;

/*
 * kvfree_rcu_barrier_on_cache(s), and then what it takes until the rcu
 * sheaves it flushed have surely been freed: up to 6.19 it hands them to
 * call_rcu() without waiting (kmem_cache_destroy()'s shutdown barrier
 * covers that), from 7.0 on it calls rcu_barrier() itself.
 */
static void on_cache_barrier(struct kmem_cache *s)
{
	kvfree_rcu_barrier_on_cache(s);
#if defined(CONFIG_SLUB_RCU_SHEAF) && !defined(CONFIG_SLUB_SHEAVES_MOST)
	CHECK(slab_rcu_barrier());
#endif
}

static struct kmem_cache *mkcache(const char *name, unsigned int cap)
{
	struct kmem_cache_args args = { .sheaf_capacity = cap };
	struct kmem_cache *s = kmem_cache_create(name, sizeof(struct obj),
						 &args, SLAB_NO_MERGE);

	CHECK(s);
	return s;
}

/* kfree_rcu() evaluates its argument twice: never pass a call */
static void obj_new_kfree_rcu(struct kmem_cache *s);

static struct obj *obj_new(struct kmem_cache *s)
{
	struct obj *o = kmem_cache_alloc(s, GFP_KERNEL);

	CHECK(o);
	o->canary = (uintptr_t)o ^ 0x5a5a5a5a;
	return o;
}

static void obj_new_kfree_rcu(struct kmem_cache *s)
{
	struct obj *o = obj_new(s);

	kfree_rcu(o, rcu);
}

/* ---- features -------------------------------------------------------- */

static void test_features(void)
{
	const char *v = slab_variant();
	unsigned int f = slab_features(), want = 0;

	/* each step adds what its variants/<v>.mk adds, in history order */
	static const struct {
		const char *name;
		unsigned int add, drop;
	} steps[] = {
		{ "cpuslab", SLAB_FEAT_CPU_SLAB, 0 },
		{ "sheaves", SLAB_FEAT_SHEAVES, 0 },
		{ "rcu-sheaf", SLAB_FEAT_RCU_SHEAF, 0 },
		{ "barrier-on-cache", SLAB_FEAT_BARRIER_ON_CACHE, 0 },
		{ "sheaves-most", SLAB_FEAT_SHEAVES_MOST, 0 },
		{ "nolock-sheaves", SLAB_FEAT_NOLOCK_SHEAVES, 0 },
		{ "kmalloc-sheaves",
		  SLAB_FEAT_KMALLOC_SHEAVES | SLAB_FEAT_SHEAVES_ALL, 0 },
		{ "no-cpu-slab", 0, SLAB_FEAT_CPU_SLAB },
		{ "refill-all-nodes", SLAB_FEAT_REFILL_ALL_NODES, 0 },
		{ "sheaves-all", SLAB_FEAT_REFILL_TRYLOCK, 0 },
		{ "refill-nowait", SLAB_FEAT_REFILL_NOWAIT, 0 },
		{ "memoryless-barns", SLAB_FEAT_MEMORYLESS_BARNS, 0 },
	};
	unsigned int i;
	bool known = false;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) && !known; i++) {
		want = (want | steps[i].add) & ~steps[i].drop;
		known = !strcmp(v, steps[i].name);
	}
	if (!known)
		CHECK(!"unknown variant");
	CHECK_EQ(f, want);
	has_rcu_sheaf = f & SLAB_FEAT_RCU_SHEAF;
	/* kmalloc buckets have sheaves exactly when every cache has them */
	CHECK_EQ(kmem_cache_sheaf_capacity(kmalloc_cache_for(64)) != 0,
		 !!(f & SLAB_FEAT_SHEAVES_ALL));
	if (f & SLAB_FEAT_SHEAVES_ALL) {
		CHECK_EQ(kmem_cache_sheaf_capacity(kmalloc_cache_for(64)), 60);
		CHECK_EQ(kmem_cache_sheaf_capacity(kmalloc_cache_for(512)), 28);
		CHECK_EQ(kmem_cache_sheaf_capacity(kmalloc_cache_for(2048)), 12);
		CHECK_EQ(kmem_cache_sheaf_capacity(kmalloc_cache_for(8192)), 4);
	}
}

/*
 * kmalloc sheaves and nolock through them (kmalloc-sheaves on):
 * kmalloc_nolock/kfree_nolock from normal context are served by the
 * kmalloc bucket's percpu sheaves (allow_spin = false), not by the slabs
 * or the deferred list.  Before kmalloc-sheaves the bucket's bootstrap
 * sheaf sends them on (tested by the torture's counts).
 */
static void test_nolock_uses_sheaves(void)
{
	struct kmem_cache *k = kmalloc_cache_for(64);
	unsigned long long a0, s0, f0, d0;
	void *p[8];
	int i;

	enum slab_stat_item ahit = ALLOC_FASTPATH, fhit = FREE_FASTPATH;

	if (!(slab_features() & SLAB_FEAT_SHEAVES_ALL))
		return;
	if (slab_features() & SLAB_FEAT_CPU_SLAB) {
		ahit = ALLOC_PCS;	/* sheaf hits beside the cpu slab */
		fhit = FREE_PCS;
	}
	/* empty sheaves everywhere, then main is refilled to capacity - 1 */
	kmem_cache_shrink(k);
	p[0] = kmalloc(64, GFP_KERNEL);
	kfree(p[0]);		/* main full, and 8 pops + 8 pushes stay in it */
	a0 = tu_stat(k, ahit);
	s0 = tu_stat(k, ALLOC_SLOWPATH);
	f0 = tu_stat(k, fhit);
	d0 = tu_stat(k, NOLOCK_FREE_DEFERRED);
	for (i = 0; i < 8; i++)
		CHECK((p[i] = kmalloc_nolock(64, 0, NUMA_NO_NODE)));
	for (i = 0; i < 8; i++)
		kfree_nolock(p[i]);
	CHECK(tu_stat(k, ahit) - a0 == 8);
	CHECK_EQ(tu_stat(k, ALLOC_SLOWPATH), s0);
	CHECK(tu_stat(k, fhit) - f0 == 8);
	CHECK_EQ(tu_stat(k, NOLOCK_FREE_DEFERRED), d0);
}

/* ---- rcu_free sheaves ------------------------------------------------ */

/*
 * A full rcu sheaf is handed to RCU; until the grace period ends none of
 * its objects is handed out again, however much we allocate; afterwards
 * it comes back through the barn and serves allocations.
 */
static void test_grace_period_and_reuse(void)
{
	/* 8 asked; 7.0 variants may give the default for the size */
	enum { MAXCAP = 64 };
	struct kmem_cache *s = mkcache("rs-gp", 8);
	int cap = kmem_cache_sheaf_capacity(s), more_n = 6 * cap;
	struct obj *freed[MAXCAP], *more[6 * MAXCAP];
	unsigned long long put0, alloc_slab, get0;
	int i, j;

	CHECK(cap > 0 && cap <= MAXCAP);

	slab_rcu_read_lock();
	for (i = 0; i < cap; i++)
		freed[i] = obj_new(s);
	for (i = 0; i < cap; i++)
		kfree_rcu(freed[i], rcu);
	CHECK_EQ(tu_stat(s, FREE_RCU_SHEAF), cap);
	CHECK_EQ(slab_cache_active(s), cap);	/* still allocated */
	for (i = 0; i < more_n; i++) {
		more[i] = obj_new(s);
		for (j = 0; j < cap; j++)
			CHECK(more[i] != freed[j]);
	}
	for (j = 0; j < cap; j++)	/* nobody wrote over them */
		CHECK_EQ(freed[j]->canary, (uintptr_t)freed[j] ^ 0x5a5a5a5a);
	slab_rcu_read_unlock();
	for (i = 0; i < more_n; i++)
		kmem_cache_free(s, more[i]);

	put0 = tu_stat(s, BARN_PUT);
	on_cache_barrier(s);
	CHECK_EQ(slab_cache_active(s), 0);
	CHECK(tu_stat(s, BARN_PUT) > put0);	/* the full rcu sheaf */
	CHECK_EQ(tu_stat(s, FREE_RCU_SHEAF_FAIL), 0);

	/* its objects serve allocations from the barn, not from slabs */
	kmem_cache_shrink(s);
	for (i = 0; i < cap; i++)
		freed[i] = obj_new(s);
	for (i = 0; i < cap; i++)
		kfree_rcu(freed[i], rcu);
	on_cache_barrier(s);
	alloc_slab = tu_stat(s, ALLOC_SLAB);
	get0 = tu_stat(s, BARN_GET);
	for (i = 0; i < cap; i++)
		more[i] = obj_new(s);
	CHECK_EQ(tu_stat(s, ALLOC_SLAB), alloc_slab);
	CHECK(tu_stat(s, BARN_GET) > get0);
	for (i = 0; i < cap; i++)
		kmem_cache_free(s, more[i]);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/* past MAX_FULL_SHEAVES full sheaves in the barn, rcu sheaves are flushed */
static void test_barn_full(void)
{
	enum { MAXCAP = 64 };
	struct kmem_cache *s = mkcache("rs-barnfull", 4);
	int cap = kmem_cache_sheaf_capacity(s);
	int n = (MAX_FULL_SHEAVES + 3) * cap;
	static struct obj *o[(MAX_FULL_SHEAVES + 3) * MAXCAP];
	char json[1 << 16];
	int i;

	CHECK(cap > 0 && cap <= MAXCAP);

	for (i = 0; i < n; i++)
		o[i] = obj_new(s);
	for (i = 0; i < n; i++)
		kfree_rcu(o[i], rcu);
	on_cache_barrier(s);
	CHECK_EQ(slab_cache_active(s), 0);
	CHECK(tu_stat(s, BARN_PUT) >= MAX_FULL_SHEAVES);
	CHECK(tu_stat(s, BARN_PUT_FAIL) >= 1);
	CHECK_EQ(tu_stat(s, FREE_RCU_SHEAF), n);
	CHECK(slab_stats_json(json, sizeof(json)) > 0);
	CHECK(strstr(json, "\"free_rcu_sheaf\""));
	CHECK(strstr(json, "\"barn_put_fail\""));
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/* no empty sheaf anywhere and none can be allocated: classic path */
static void test_sheaf_fail(void)
{
	struct kmem_cache *s = mkcache("rs-fail", 8);
	struct slab_kfree_rcu_stats a, b;
	struct obj *o = obj_new(s);
	struct slab_sheaf *sh;

	/* the refill left an empty spare: a prefill takes it away */
	sh = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 1);
	CHECK(sh);
	slab_kfree_rcu_get_stats(&a);
	__atomic_store_n(&sheaf_alloc_fail, true, __ATOMIC_RELAXED);
	kfree_rcu(o, rcu);
	__atomic_store_n(&sheaf_alloc_fail, false, __ATOMIC_RELAXED);
	kmem_cache_return_sheaf(s, GFP_KERNEL, sh);
	slab_kfree_rcu_get_stats(&b);
	CHECK_EQ(tu_stat(s, FREE_RCU_SHEAF_FAIL), 1);
	CHECK_EQ(tu_stat(s, FREE_RCU_SHEAF), 0);
	CHECK_EQ(b.queued - a.queued, 1);
	on_cache_barrier(s);
	CHECK_EQ(slab_cache_active(s), 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/* a partly filled rcu_free sheaf is emptied by either barrier */
static void test_barrier_flushes_partial(void)
{
	struct kmem_cache *s = mkcache("rs-partial", 32);
	struct slab_kfree_rcu_stats a, b;
	struct obj *o = obj_new(s);

	kfree_rcu(o, rcu);
	CHECK_EQ(tu_stat(s, FREE_RCU_SHEAF), 1);
	CHECK_EQ(slab_cache_active(s), 1);
	slab_kfree_rcu_get_stats(&a);
	kvfree_rcu_barrier_on_cache(s);
	slab_kfree_rcu_get_stats(&b);
#ifdef CONFIG_SLUB_SHEAVES_MOST
	CHECK_EQ(slab_cache_active(s), 0);	/* waited for the flushed sheaf */
#else
	CHECK(slab_rcu_barrier());		/* 6.19's did not */
	CHECK_EQ(slab_cache_active(s), 0);
#endif
	CHECK_EQ(b.flush_works - a.flush_works, slab_rcu_nr_cpus());
	o = obj_new(s);
	kfree_rcu(o, rcu);
	kvfree_rcu_barrier();
	CHECK_EQ(slab_cache_active(s), 0);
	/* kmem_cache_shrink() hands rcu_free to RCU too (no barrier here) */
	o = obj_new(s);
	kfree_rcu(o, rcu);
	kmem_cache_shrink(s);
	CHECK(slab_rcu_barrier());
	CHECK_EQ(slab_cache_active(s), 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/*
 * Destroying cache d: with the global barrier (rcu-sheaf) the rcu sheaf
 * of another cache o is flushed too; with the per-cache one it is not.
 */
static void test_destroy_barrier_scope(void)
{
	struct kmem_cache *o = mkcache("rs-other", 32);
	struct kmem_cache *d = mkcache("rs-destroyed", 32);
	bool global = !(slab_features() & SLAB_FEAT_BARRIER_ON_CACHE);

	obj_new_kfree_rcu(o);
	obj_new_kfree_rcu(d);
	kmem_cache_destroy(d);
	CHECK_NO_REPORT();
	CHECK_EQ(slab_cache_active(o), global ? 0 : 1);
	kmem_cache_destroy(o);
	CHECK_NO_REPORT();
}

/* two fake nodes: an object of the other node takes the classic path */
static void test_remote_node(void)
{
	struct kmem_cache *s;
	struct obj *o;

	if (nr_node_ids < 2)
		return;
	s = mkcache("rs-remote", 8);
	o = kmem_cache_alloc_node(s, GFP_KERNEL,
				  (numa_node_id() + 1) % nr_node_ids);
	CHECK(o);
	if (slab_node_of(o) != numa_node_id()) {
		kfree_rcu(o, rcu);
		CHECK_EQ(tu_stat(s, FREE_RCU_SHEAF), 0);
		CHECK_EQ(tu_stat(s, FREE_RCU_SHEAF_FAIL), 0);
	} else {
		kmem_cache_free(s, o);	/* migrated meanwhile */
	}
	on_cache_barrier(s);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/* ---- every variant: destroy ------------------------------------------ */

static void test_destroy(void)
{
	unsigned long leaked = slab_leaked_objects();
	struct kmem_cache *s;
	int i;

	/* kfree_rcu then destroy at once: nothing left, nothing reported */
	s = mkcache("rs-destroy", 16);
	for (i = 0; i < 100; i++)
		obj_new_kfree_rcu(s);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
	CHECK_EQ(slab_leaked_objects(), leaked);

	/* a leaking destroy is reported with the count */
	s = mkcache("rs-leak", 16);
	obj_new(s);
	obj_new(s);
	obj_new_kfree_rcu(s);
	kmem_cache_destroy(s);
	CHECK_REPORT("still has objects (2)");
	CHECK_EQ(slab_leaked_objects(), leaked + 2);
}

/* ---- every variant: prefilled sheaves -------------------------------- */

static void test_prefill(void)
{
	struct kmem_cache *s = mkcache("rs-prefill", 16);
	struct slab_sheaf *sh, *old;
	unsigned long long v[NR_SLAB_STAT_ITEMS];
	unsigned int cap = kmem_cache_sheaf_capacity(s);
	/* above the capacity, whatever the variant made of the 16 asked */
	unsigned int big = cap + 24 > 40 ? cap + 24 : 40;
	void *o[128];
	int i, take;

	CHECK(!kmem_cache_prefill_sheaf(NULL, GFP_KERNEL, 4));
	CHECK(!kmem_cache_prefill_sheaf(s, GFP_KERNEL, 0));
	CHECK_EQ(kmem_cache_sheaf_size(NULL), 0);
	CHECK(!kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, NULL));
	kmem_cache_return_sheaf(s, GFP_KERNEL, NULL);	/* no-op */

	sh = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 5);
	CHECK(sh && kmem_cache_sheaf_size(sh) >= 5);
	/*
	 * refill within the capacity: in place (a cache without sheaves
	 * gets an oversize sheaf of exactly the size asked: swapped)
	 */
	old = sh;
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, &sh, 16), 0);
	CHECK(kmem_cache_sheaf_size(sh) >= 16);
	if (kmem_cache_sheaf_capacity(s))
		CHECK(sh == old);
	old = sh;
	/* a refill failure keeps the sheaf and its objects: 6 left */
	take = kmem_cache_sheaf_size(sh) - 6;
	for (i = 0; i < take; i++)
		o[i] = kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sh);
	page_alloc_fail_order(0);
	kmem_cache_shrink(s);
	{
		/* use up what is cached so a refill needs new slabs */
		void *drain[4096];
		int n = 0;

		while (n < 4096 && (drain[n] = kmem_cache_alloc(s,
				GFP_NOWAIT | __GFP_NOWARN)))
			n++;
		CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_NOWAIT, &sh, 16),
			 -ENOMEM);
		CHECK(sh == old && kmem_cache_sheaf_size(sh) >= 6);
		/* oversize prefill fails as a whole */
		CHECK(!kmem_cache_prefill_sheaf(s, GFP_NOWAIT, big));
		page_alloc_fail_order(-1);
		while (n)
			kmem_cache_free(s, drain[--n]);
	}
	for (i = 0; i < take; i++)
		kmem_cache_free(s, o[i]);
	/* larger than the capacity: swapped for an oversize sheaf */
	CHECK_EQ(kmem_cache_refill_sheaf(s, GFP_KERNEL, &sh, big), 0);
	CHECK(sh != old && kmem_cache_sheaf_size(sh) >= big);
	for (i = 0; i < (int)big; i++) {
		o[i] = kmem_cache_alloc_from_sheaf(s, GFP_KERNEL | __GFP_ZERO,
						   sh);
		CHECK(o[i] && !((struct obj *)o[i])->canary);
	}
	if (!kmem_cache_sheaf_size(sh))	/* never a fallback allocation */
		CHECK(!kmem_cache_alloc_from_sheaf(s, GFP_KERNEL, sh));
	kmem_cache_return_sheaf(s, GFP_KERNEL, sh);
	for (i = 0; i < (int)big; i++)
		kmem_cache_free(s, o[i]);
	/* a normal one returned twice: once as spare or to the barn */
	sh = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 3);
	old = kmem_cache_prefill_sheaf(s, GFP_KERNEL, 3);
	CHECK(sh && old);
	kmem_cache_return_sheaf(s, GFP_KERNEL, sh);
	kmem_cache_return_sheaf(s, GFP_KERNEL, old);
	kmem_cache_stats(s, v);
	CHECK(v[SHEAF_PREFILL_OVERSIZE] >= 1);
	if (kmem_cache_sheaf_capacity(s)) {
		CHECK(v[SHEAF_PREFILL_FAST] + v[SHEAF_PREFILL_SLOW] >= 3);
		CHECK(v[SHEAF_RETURN_FAST] + v[SHEAF_RETURN_SLOW] >= 2);
	} else {	/* no sheaves: every prefilled sheaf is oversize */
		CHECK(v[SHEAF_PREFILL_OVERSIZE] >= 4);
	}
	CHECK_EQ(slab_cache_active(s), 0);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

/* ---- every variant: the nolock torture ------------------------------- */

#define TORTURE_THREADS	2
#define TORTURE_LOOPS	60000	/* ~0.1 s */
static unsigned int torture_loops = TORTURE_LOOPS;
#define TORTURE_HELD	8

struct torturer {
	pthread_t th;
	void *held[TORTURE_HELD];
	unsigned int next;
	unsigned long nolock_ok, nolock_null, bad;
};

static struct torturer torturers[TORTURE_THREADS];
static __thread struct torturer *me;

static void torture_signal(int sig)
{
	struct torturer *t = me;
	uint64_t *p;

	(void)sig;
	if (!t)
		return;
	p = t->held[t->next];
	if (p) {
		if (*p != (uintptr_t)p)
			t->bad++;
		kfree_nolock(p);
	}
	p = kmalloc_nolock(t->next & 1 ? 64 : 200, 0, NUMA_NO_NODE);
	if (p) {
		*p = (uintptr_t)p;
		t->nolock_ok++;
	} else {
		t->nolock_null++;
	}
	t->held[t->next] = p;
	t->next = (t->next + 1) % TORTURE_HELD;
}

static void *torture_main(void *arg)
{
	struct torturer *t = arg;
	struct itimerspec its = { { 0, 20000 }, { 0, 20000 } };
	struct sigevent sev = { 0 };
	timer_t timer;
	unsigned int i;

	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGRTMIN;
	sev._sigev_un._tid = syscall(SYS_gettid);
	CHECK(!timer_create(CLOCK_MONOTONIC, &sev, &timer));
	me = t;
	CHECK(!timer_settime(timer, 0, &its, NULL));
	for (i = 0; i < torture_loops; i++) {
		struct obj *r = kmalloc(sizeof(*r), GFP_KERNEL);
		uint64_t *a = kmalloc(64, GFP_KERNEL);

		CHECK(r && a);
		*a = (uintptr_t)a;
		r->canary = (uintptr_t)r;
		if (*a != (uintptr_t)a)
			t->bad++;
		kfree(a);
		kfree_rcu(r, rcu);
	}
	timer_delete(timer);
	me = NULL;
	for (i = 0; i < TORTURE_HELD; i++)
		kfree_nolock(t->held[i]);
	return NULL;
}

static void test_nolock_torture(void)
{
	struct sigaction sa = { 0 };
	unsigned long ok = 0, null = 0, bad = 0;
	long live0 = slab_live_objects();
	int i;

	sa.sa_handler = torture_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	CHECK(!sigaction(SIGRTMIN, &sa, NULL));
	for (i = 0; i < TORTURE_THREADS; i++)
		CHECK(!pthread_create(&torturers[i].th, NULL, torture_main,
				      &torturers[i]));
	for (i = 0; i < TORTURE_THREADS; i++) {
		CHECK(!pthread_join(torturers[i].th, NULL));
		ok += torturers[i].nolock_ok;
		null += torturers[i].nolock_null;
		bad += torturers[i].bad;
	}
	signal(SIGRTMIN, SIG_IGN);
	CHECK_EQ(bad, 0);
	kvfree_rcu_barrier();
	/* every kmalloc, kfree_rcu and nolock object is accounted for */
	CHECK_EQ(slab_live_objects(), live0);
	CHECK_NO_REPORT();
	printf("  nolock torture: %u loops x %d threads, kmalloc_nolock %lu ok, "
	       "%lu NULL (%.2f %%)\n", torture_loops, TORTURE_THREADS, ok,
	       null, ok + null ? 100.0 * null / (ok + null) : 0.0);
}

int main(int argc, char **argv)
{
	cpu_set_t one, all;

	tu_capture();
	if (argc > 1 && !strcmp(argv[1], "torture")) {
		if (argc > 2)
			torture_loops = strtoul(argv[2], NULL, 10);
		test_nolock_torture();
		return 0;
	}
	CHECK(!sched_getaffinity(0, sizeof(all), &all));
	/* one CPU for the single-thread checks: which pcs is used is known */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	CHECK(!sched_setaffinity(0, sizeof(one), &one));
	test_features();
	test_destroy();
	test_prefill();
	test_nolock_uses_sheaves();
	if (has_rcu_sheaf) {
		test_grace_period_and_reuse();
		test_barn_full();
		test_sheaf_fail();
		test_barrier_flushes_partial();
		test_destroy_barrier_scope();
		test_remote_node();
	}
	/* the torture wants both CPUs again: its threads inherit ours */
	CHECK(!sched_setaffinity(0, sizeof(all), &all));
	test_nolock_torture();
	printf("test_rcu_sheaf: ok (%s, %s)\n", slab_variant(),
	       slab_use_rseq ? "rseq" : "atomic");
	return 0;
}
