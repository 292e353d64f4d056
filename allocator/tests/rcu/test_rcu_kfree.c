// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_rcu_kfree.c - kfree_rcu() over the allocator:
 *  - a kfree_rcu'd object is not freed (poisoned, given a free pointer or
 *    handed out again) while a reader that saw it holds the read lock;
 *  - kfree_rcu then an immediate barrier or kmem_cache_destroy() leaves
 *    the live-object count at its baseline and reports no leftovers;
 *  - the classic batching is the kernel's: a partial page waits for the
 *    monitor's drain delay, a full page gets it after one jiffy, pages
 *    whose grace period has passed are freed by the monitor without a
 *    new one, and a barrier waits for batches in flight before it
 *    detaches more when both slots are busy;
 *  - monitor, flush and RCU workers do not wake up while idle;
 *  - barriers complete while two threads keep doing kfree_rcu;
 *  - the per-CPU rcu sheaf flush runs one work item on every CPU;
 *  - destroy from another thread after a random short sleep;
 *  - a child forked after kfree_rcu can kfree_rcu and barrier.
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rcu_test.h"
#include "rcu_internal.h"
#include "slab_internal.h"

#define NWORDS	6

struct obj {
	unsigned long w[NWORDS];
	struct rcu_head rcu;
};

static struct kmem_cache *mkcache(const char *name, unsigned int cap,
				  slab_flags_t flags)
{
	return rcu_test_cache(name, sizeof(struct obj), cap, flags);
}

static struct obj *obj_new(struct kmem_cache *s, unsigned long gen)
{
	struct obj *o = kmem_cache_alloc(s, GFP_KERNEL);
	int i;

	CHECK(o);
	for (i = 0; i < NWORDS; i++)
		__atomic_store_n(&o->w[i], gen, __ATOMIC_RELAXED);
	return o;
}

/* ---- barrier and destroy leave nothing behind ------------------------------ */

/* Run on one CPU (the current one) from now on; restore with unpin(). */
static cpu_set_t pin_here(void)
{
	cpu_set_t set, old;

	CHECK(!pthread_getaffinity_np(pthread_self(), sizeof(old), &old));
	CPU_ZERO(&set);
	CPU_SET(slab_rcu_cpu(), &set);
	CHECK(!pthread_setaffinity_np(pthread_self(), sizeof(set), &set));
	return old;
}

static void unpin(cpu_set_t old)
{
	CHECK(!pthread_setaffinity_np(pthread_self(), sizeof(old), &old));
}

static void test_barrier_baseline(void)
{
	struct slab_kfree_rcu_stats a, b;
	struct kmem_cache *s = mkcache("rcu-base", 0, 0);
	long base = slab_live_objects();
	cpu_set_t old = pin_here();	/* full pages need one CPU's batch */
	int i;

	slab_kfree_rcu_get_stats(&a);
	for (i = 0; i < 2000; i++) {
		struct obj *o = obj_new(s, i);

		kfree_rcu(o, rcu);
	}
	for (i = 0; i < 300; i++) {
		struct obj *o = kmalloc(sizeof(*o) + (i % 5) * 100, GFP_KERNEL);

		CHECK(o);
		kfree_rcu(o, rcu);
	}
	for (i = 0; i < 50; i++)	/* the head-less form */
		kvfree_call_rcu(NULL, kmalloc(100, GFP_KERNEL));
	kvfree_call_rcu(NULL, NULL);	/* a no-op */
	kvfree_rcu_barrier();
	CHECK_EQ(slab_live_objects(), base);
	slab_kfree_rcu_get_stats(&b);
	if (!(slab_features() & SLAB_FEAT_RCU_SHEAF)) {
		CHECK_EQ(b.queued - a.queued, 2350);
		CHECK_EQ(b.freed - a.freed, 2350);
		CHECK(b.full_pages - a.full_pages >= 4);
	}
	unpin(old);
	kmem_cache_destroy(s);
}

static void test_destroy_after_kfree_rcu(void)
{
	unsigned long leaked = slab_leaked_objects();
	long base = slab_live_objects();
	int round, i;

	rcu_test_capture_reports();
	for (round = 0; round < 6; round++) {
		struct kmem_cache *s = mkcache("rcu-destroy", round & 1 ? 32 : 0,
					       round == 4 ? SLAB_POISON : 0);

		for (i = 0; i < 100 + round * 300; i++) {
			struct obj *o = obj_new(s, i);

			kfree_rcu(o, rcu);
		}
		kmem_cache_destroy(s);
		CHECK_EQ(slab_live_objects(), base);
	}
	CHECK_EQ(slab_leaked_objects(), leaked);
	CHECK_EQ(rcu_test_reports_matching("still has objects"), 0);
	rcu_test_release_reports();
}

struct destroyer {
	struct kmem_cache *s;
	unsigned int sleep_us;
};

static void *destroy_thread(void *arg)
{
	struct destroyer *d = arg;

	usleep(d->sleep_us);
	kmem_cache_destroy(d->s);
	return NULL;
}

static void test_destroy_from_other_thread(void)
{
	unsigned long leaked = slab_leaked_objects();
	long base = slab_live_objects();
	struct destroyer d;
	unsigned int seed = 12345;
	pthread_t t;
	int round, i;

	for (round = 0; round < 20; round++) {
		d.s = mkcache("rcu-remote-destroy", round & 1 ? 32 : 0, 0);
		for (i = 0; i < 200; i++) {
			struct obj *o = obj_new(d.s, i);

			kfree_rcu(o, rcu);
		}
		d.sleep_us = rand_r(&seed) % 3000;
		CHECK(!pthread_create(&t, NULL, destroy_thread, &d));
		CHECK(!pthread_join(t, NULL));
		CHECK_EQ(slab_live_objects(), base);
	}
	CHECK_EQ(slab_leaked_objects(), leaked);
}

/* ---- the classic batching: monitor, pages, slots ---------------------------- */

/*
 * Classic-path objects in every variant: a debug cache has no sheaves, so
 * no rcu_free sheaf either (sheaves-all gives every other cache sheaves).
 */
static struct kmem_cache *classic_cache(const char *name)
{
	return mkcache(name, 0, SLAB_RED_ZONE);
}

static void kfree_rcu_n(struct kmem_cache *s, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct obj *o = obj_new(s, i);

		kfree_rcu(o, rcu);
	}
}

/* Wait (the watchdog catches a wait that never ends) for n more frees. */
static void wait_freed(const struct slab_kfree_rcu_stats *a, unsigned long n)
{
	struct slab_kfree_rcu_stats b;

	for (;;) {
		slab_kfree_rcu_get_stats(&b);
		if (b.freed - a->freed >= n)
			return;
		usleep(1000);
	}
}

/* A partial page is freed by the monitor after the drain delay. */
static void test_monitor(void)
{
	struct kmem_cache *s = classic_cache("rcu-monitor");
	struct slab_kfree_rcu_stats a, b;
	long base = slab_live_objects();

	slab_kfree_rcu_set_drain_ms(20);
	slab_kfree_rcu_get_stats(&a);
	kfree_rcu_n(s, 10);
	wait_freed(&a, 10);
	slab_kfree_rcu_get_stats(&b);
	CHECK(b.monitor_flushes > a.monitor_flushes ||
	      b.ready_freed > a.ready_freed);
	CHECK_EQ(b.barrier_flushes, a.barrier_flushes);
	CHECK_EQ(slab_live_objects(), base);
	slab_kfree_rcu_set_drain_ms(0);
	kmem_cache_destroy(s);
}

/*
 * With a drain delay of an hour, a full page is still handed to RCU: the
 * monitor runs one jiffy after a page's worth of objects waits (else this
 * waits for the watchdog).
 */
static void test_full_page(void)
{
	struct kmem_cache *s = classic_cache("rcu-full-page");
	struct slab_kfree_rcu_stats a, b;

	slab_kfree_rcu_set_drain_ms(3600 * 1000);
	kvfree_rcu_barrier();
	slab_kfree_rcu_get_stats(&a);
	kfree_rcu_n(s, 1200);		/* over two pages on this CPU */
	wait_freed(&a, 500);
	slab_kfree_rcu_get_stats(&b);
	CHECK(b.full_pages > a.full_pages);
	CHECK(b.monitor_flushes > a.monitor_flushes);
	CHECK_EQ(b.barrier_flushes, a.barrier_flushes);
	kvfree_rcu_barrier();
	slab_kfree_rcu_set_drain_ms(0);
	kmem_cache_destroy(s);
}

/*
 * Pages whose grace period has passed are freed by the monitor itself
 * (kvfree_rcu_drain_ready), without a new grace period: kfree_rcu, a
 * grace period, then the monitor's deadline.  Retried if the grace period
 * took longer than most of the drain delay (a loaded machine).
 */
static void test_drain_ready(void)
{
	struct kmem_cache *s = classic_cache("rcu-ready");
	struct slab_kfree_rcu_stats a, b;
	unsigned long long t0;
	int tries;

	slab_kfree_rcu_set_drain_ms(200);
	for (tries = 0; tries < 10; tries++) {
		kvfree_rcu_barrier();
		slab_kfree_rcu_get_stats(&a);
		t0 = slab_rcu_now_ns();
		kfree_rcu_n(s, 10);
		slab_synchronize_rcu();		/* their grace period is over */
		if (slab_rcu_now_ns() - t0 > 150 * 1000000ull)
			continue;		/* the monitor may have run */
		wait_freed(&a, 10);
		slab_kfree_rcu_get_stats(&b);
		CHECK_EQ(b.ready_freed - a.ready_freed, 10);
		CHECK_EQ(b.monitor_flushes, a.monitor_flushes);
		break;
	}
	CHECK(tries < 10);
	slab_kfree_rcu_set_drain_ms(0);
	kmem_cache_destroy(s);
}

/*
 * Both batch slots of this CPU in flight and more objects pending: the
 * barrier waits for a slot before it detaches the rest.  Built with a
 * long grace period; retried if a grace period ended while setting up.
 */
static void test_barrier_waits_for_slots(void)
{
	struct kmem_cache *s = classic_cache("rcu-slots");
	struct slab_kfree_rcu_stats a, b, c;
	long base = slab_live_objects();
	unsigned long long gp = slab_rcu_gp_len_ns();
	cpu_set_t old = pin_here();
	int tries, k;

	slab_rcu_set_gp_len_us(300 * 1000);
	slab_kfree_rcu_set_drain_ms(3600 * 1000);
	for (tries = 0; tries < 20; tries++) {
		kvfree_rcu_barrier();
		slab_kfree_rcu_get_stats(&a);
		/* two full pages, each detached by the monitor into a slot */
		for (k = 1; k <= 2; k++) {
			kfree_rcu_n(s, 520);
			do {
				usleep(1000);
				slab_kfree_rcu_get_stats(&b);
			} while (b.monitor_flushes - a.monitor_flushes < (unsigned)k);
		}
		kfree_rcu_n(s, 10);	/* the rest: no slot free */
		slab_kfree_rcu_get_stats(&b);
		if (b.freed != a.freed || b.monitor_flushes - a.monitor_flushes != 2)
			continue;	/* a slot came back meanwhile */
		/*
		 * the classic part alone (s has no sheaves): the global
		 * barrier's rcu_barrier() would wait for the slots first
		 */
		kvfree_rcu_barrier_on_cache(s);
		slab_kfree_rcu_get_stats(&c);
		CHECK(c.barrier_waits > b.barrier_waits);
		CHECK_EQ(c.freed - a.freed, 1050);
		break;
	}
	CHECK(tries < 20);
	slab_rcu_set_gp_len_us(gp / 1000);
	slab_kfree_rcu_set_drain_ms(0);
	CHECK_EQ(slab_live_objects(), base);
	unpin(old);
	kmem_cache_destroy(s);
}

/*
 * Once every batch is submitted, the monitor sleeps until kicked: it does
 * not wake up (switch) at all while idle, nor do the flush workers or the
 * RCU callback workers.
 */
static void test_monitor_idle(void)
{
	long mon, wq, rcu;

	kvfree_rcu_barrier();		/* nothing pending now */
	usleep(20000);			/* let a running pass finish */
	mon = rcu_test_thread_switches("slab-kfree-rcu");
	wq = rcu_test_thread_switches("slab-wq/");
	rcu = rcu_test_thread_switches("slab-rcu/");
	CHECK(mon >= 0);
	CHECK(rcu >= 0);
	usleep(100000);
	CHECK_EQ(rcu_test_thread_switches("slab-kfree-rcu"), mon);
	CHECK_EQ(rcu_test_thread_switches("slab-wq/"), wq);
	CHECK_EQ(rcu_test_thread_switches("slab-rcu/"), rcu);
}

/* ---- grace periods: readers never see a freed object ------------------------ */

#define CANARY_SWAPS		20000
#define CANARY_REUSE		2000
#define CANARY_MAX_SWAPS	(1l << 19)
#define CANARY_CHURN		4

static struct obj *shared_obj;
static int writer_done;
static long reader_errors, reader_sections;

static void *canary_reader(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE)) {
		struct obj *o;
		unsigned long gen;
		int k, i;

		slab_rcu_read_lock();
		o = __atomic_load_n(&shared_obj, __ATOMIC_ACQUIRE);
		gen = __atomic_load_n(&o->w[0], __ATOMIC_RELAXED);
		for (k = 0; k < 200; k++) {
			for (i = 0; i < NWORDS; i++)
				if (__atomic_load_n(&o->w[i], __ATOMIC_RELAXED) != gen)
					__atomic_add_fetch(&reader_errors, 1,
							   __ATOMIC_RELAXED);
			if (k % 50 == 0)
				sched_yield();
		}
		slab_rcu_read_unlock();
		__atomic_add_fetch(&reader_sections, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Open-addressing set of object addresses: true if p was seen before. */
#define SEEN_BITS	20
static uintptr_t seen[1u << SEEN_BITS];

static bool seen_before(void *p)
{
	uintptr_t v = (uintptr_t)p, h = (v >> 4) * 0x9e3779b97f4a7c15ull;
	unsigned int i = h >> (64 - SEEN_BITS);

	for (;; i = (i + 1) & ((1u << SEEN_BITS) - 1)) {
		if (seen[i] == v)
			return true;
		if (!seen[i]) {
			seen[i] = v;
			return false;
		}
	}
}

/*
 * Run until CANARY_SWAPS swaps are done, at least CANARY_REUSE freshly
 * published objects were ones kfree_rcu'd earlier and a reader has read:
 * the test means something only if freed objects came back while readers
 * were reading.
 */
static void canary_run(struct kmem_cache *s)
{
	long base = slab_live_objects(), swaps, reused = 0;
	pthread_t rd[2];
	int i, j;

	memset(seen, 0, sizeof(seen));
	reader_errors = 0;
	reader_sections = 0;
	writer_done = 0;
	shared_obj = obj_new(s, 1ul << 40);
	for (i = 0; i < 2; i++)
		pthread_create(&rd[i], NULL, canary_reader, NULL);
	/* and until a reader has read once: on a loaded machine the readers
	 * may not have run yet when the swaps are done */
	for (swaps = 0; swaps < CANARY_SWAPS || reused < CANARY_REUSE ||
	     !__atomic_load_n(&reader_sections, __ATOMIC_RELAXED); swaps++) {
		struct obj *fresh = obj_new(s, (1ul << 40) + swaps + 1), *old;
		struct obj *churn[CANARY_CHURN];

		CHECK(swaps < CANARY_MAX_SWAPS);
		reused += seen_before(fresh);
		old = __atomic_exchange_n(&shared_obj, fresh, __ATOMIC_ACQ_REL);
		kfree_rcu(old, rcu);
		/* reuse freed objects quickly, scribbling over them */
		for (j = 0; j < CANARY_CHURN; j++)
			churn[j] = obj_new(s, 0xdead0000ul + j);
		for (j = 0; j < CANARY_CHURN; j++)
			kmem_cache_free(s, churn[j]);
		if (swaps % 256 == 255)
			usleep(200);	/* let grace periods end meanwhile */
	}
	__atomic_store_n(&writer_done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_join(rd[i], NULL);
	kfree_rcu(shared_obj, rcu);
	kvfree_rcu_barrier();
	CHECK_EQ(reader_errors, 0);
	CHECK(reader_sections > 0);
	CHECK_EQ(slab_live_objects(), base);
	printf("  canary %s: %ld swaps, %ld reused objects, %ld read sections\n",
	       kmem_cache_name(s), swaps, reused, reader_sections);
}

/*
 * With the modelled grace-period length off, so that only liburcu's
 * grace period keeps the objects alive (the length would hide a missing
 * synchronize_rcu()) and objects come back sooner.
 */
static void test_canary(void)
{
	struct kmem_cache *plain = mkcache("rcu-canary", 0, 0);
	struct kmem_cache *sheaf = mkcache("rcu-canary-sheaf", 32, 0);
	struct kmem_cache *poison = mkcache("rcu-canary-poison", 0, SLAB_POISON);
	unsigned long long gp = slab_rcu_gp_len_ns();

	slab_rcu_set_gp_len_us(0);
	canary_run(plain);
	canary_run(sheaf);
	canary_run(poison);
	slab_rcu_set_gp_len_us(gp / 1000);
	kmem_cache_destroy(plain);
	kmem_cache_destroy(sheaf);
	kmem_cache_destroy(poison);
}

/* ---- barriers under concurrent kfree_rcu ------------------------------------ */

#define TRAFFIC_OPS	100000

static void *traffic(void *arg)
{
	struct kmem_cache *s = arg;
	int i;

	for (i = 0; i < TRAFFIC_OPS; i++) {
		struct obj *o = obj_new(s, i);

		kfree_rcu(o, rcu);
	}
	return NULL;
}

static void test_barriers_under_traffic(void)
{
	struct kmem_cache *a = mkcache("rcu-traffic-a", 0, 0);
	struct kmem_cache *b = mkcache("rcu-traffic-b", 32, 0);
	long base = slab_live_objects();
	pthread_t t[2];
	int i;

	pthread_create(&t[0], NULL, traffic, a);
	pthread_create(&t[1], NULL, traffic, b);
	for (i = 0; i < 10; i++) {
		kvfree_rcu_barrier();
		kvfree_rcu_barrier_on_cache(i & 1 ? a : b);
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	kvfree_rcu_barrier();
	CHECK_EQ(slab_live_objects(), base);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
}

/* ---- the per-CPU rcu sheaf flush --------------------------------------------- */

static void test_flush_every_cpu(void)
{
	struct kmem_cache *s = mkcache("rcu-flush", 32, 0), *c;
	struct slab_kfree_rcu_stats a, b;
	int nr_sheaf_caches = 0;

	slab_kfree_rcu_get_stats(&a);
	slab_flush_rcu_sheaves_on_cache(s);
	slab_kfree_rcu_get_stats(&b);
	CHECK_EQ(b.flush_works - a.flush_works, slab_rcu_nr_cpus());

	pthread_mutex_lock(&slab_mutex);
	for_each_slab_cache(c)
		nr_sheaf_caches += slab_rcu_cache_has_sheaves(c);
	pthread_mutex_unlock(&slab_mutex);
	a = b;
	kvfree_rcu_barrier();
	slab_kfree_rcu_get_stats(&b);
	if (slab_features() & SLAB_FEAT_RCU_SHEAF)
		CHECK_EQ(b.flush_works - a.flush_works,
			 nr_sheaf_caches * slab_rcu_nr_cpus());
	else
		CHECK_EQ(b.flush_works - a.flush_works, 0);
	kmem_cache_destroy(s);
}

/* ---- fork ---------------------------------------------------------------------- */

static void test_fork(void)
{
	struct kmem_cache *s = mkcache("rcu-fork", 0, 0);
	long base = slab_live_objects();
	int i, status;
	pthread_t t;
	pid_t pid;

	for (i = 0; i < 100; i++) {
		struct obj *o = obj_new(s, i);

		kfree_rcu(o, rcu);	/* left pending in a batch */
	}
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		rcu_test_watchdog(120);
		pthread_create(&t, NULL, traffic, s);
		pthread_join(t, NULL);
		for (i = 0; i < 100; i++) {
			struct obj *o = obj_new(s, i);

			kfree_rcu(o, rcu);
		}
		kvfree_rcu_barrier();
		/* the parent's pending objects were freed in the child too */
		CHECK_EQ(slab_live_objects(), base);
		kmem_cache_destroy(s);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	kvfree_rcu_barrier();
	CHECK_EQ(slab_live_objects(), base);
	kmem_cache_destroy(s);
}

/* ---- threads that only kfree_rcu are registered and unregistered ------------- */

static void *one_kfree_rcu(void *arg)
{
	struct obj *o = obj_new(arg, 7);

	kfree_rcu(o, rcu);
	return NULL;
}

static void test_thread_registration(void)
{
	struct kmem_cache *s = mkcache("rcu-threads", 0, 0);
	long before = slab_rcu_registered_threads();
	pthread_t t;
	int i;

	for (i = 0; i < 20; i++) {
		pthread_create(&t, NULL, one_kfree_rcu, s);
		pthread_join(t, NULL);
		CHECK_EQ(slab_rcu_registered_threads(), before);
	}
	kvfree_rcu_barrier();
	kmem_cache_destroy(s);
}

int main(void)
{
	rcu_test_watchdog(600);
	printf("test_rcu_kfree: variant %s\n", slab_variant());
	test_barrier_baseline();
	test_destroy_after_kfree_rcu();
	test_destroy_from_other_thread();
	test_monitor();
	test_full_page();
	test_drain_ready();
	test_barrier_waits_for_slots();
	test_flush_every_cpu();
	test_monitor_idle();
	test_thread_registration();
	test_canary();
	test_barriers_under_traffic();
	test_fork();
	CHECK(rcu_test_other_threads_block_signals());
	printf("test_rcu_kfree: ok\n");
	return 0;
}
