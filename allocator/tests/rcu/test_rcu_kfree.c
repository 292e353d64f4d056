// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_rcu_kfree.c - kfree_rcu() over the allocator:
 *  - a kfree_rcu'd object is not freed (poisoned, given a free pointer or
 *    handed out again) while a reader that saw it holds the read lock;
 *  - kfree_rcu then an immediate barrier or kmem_cache_destroy() leaves
 *    the live-object count at its baseline and reports no leftovers;
 *  - the idle monitor submits partial batches without any barrier;
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
	struct kmem_cache_args args = { .sheaf_capacity = cap };
	struct kmem_cache *s = kmem_cache_create(name, sizeof(struct obj),
						 &args, flags | SLAB_NO_MERGE);

	CHECK(s);
	return s;
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

static void test_barrier_baseline(void)
{
	struct slab_kfree_rcu_stats a, b;
	struct kmem_cache *s = mkcache("rcu-base", 0, 0);
	long base = slab_live_objects();
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
		CHECK(b.full_batches - a.full_batches >= 4);
	}
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

/* ---- the monitor flushes a partial batch on its own ------------------------- */

static void test_monitor(void)
{
	struct kmem_cache *s = mkcache("rcu-monitor", 0, 0);
	struct slab_kfree_rcu_stats a, b;
	long base = slab_live_objects();
	int i;

	if (slab_features() & SLAB_FEAT_RCU_SHEAF) {
		kmem_cache_destroy(s);
		return;		/* these go to rcu sheaves, not batches */
	}
	slab_kfree_rcu_get_stats(&a);
	for (i = 0; i < 10; i++) {
		struct obj *o = obj_new(s, i);

		kfree_rcu(o, rcu);
	}
	do {		/* the watchdog catches a monitor that never fires */
		usleep(1000);
		slab_kfree_rcu_get_stats(&b);
	} while (b.freed - a.freed < 10);
	CHECK(b.monitor_flushes > a.monitor_flushes);
	CHECK_EQ(slab_live_objects(), base);
	kmem_cache_destroy(s);
}

/*
 * Once every batch is submitted, the monitor sleeps until kicked: it does
 * not wake up (switch) at all while idle, nor do the flush workers.
 */
static void test_monitor_idle(void)
{
	long mon, wq;

	if (slab_features() & SLAB_FEAT_RCU_SHEAF)
		return;
	kvfree_rcu_barrier();		/* nothing pending now */
	usleep(20000);			/* let a running scan finish */
	mon = rcu_test_thread_switches("slab-kfree-rcu");
	wq = rcu_test_thread_switches("slab-wq/");
	CHECK(mon >= 0);
	CHECK(wq >= 0);
	usleep(100000);			/* 20 drain periods */
	CHECK_EQ(rcu_test_thread_switches("slab-kfree-rcu"), mon);
	CHECK_EQ(rcu_test_thread_switches("slab-wq/"), wq);
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
 * Run until CANARY_SWAPS swaps are done and at least CANARY_REUSE freshly
 * published objects were ones kfree_rcu'd earlier: the test means
 * something only if freed objects came back while readers were reading.
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
	for (swaps = 0; swaps < CANARY_SWAPS || reused < CANARY_REUSE; swaps++) {
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

static void test_canary(void)
{
	struct kmem_cache *plain = mkcache("rcu-canary", 0, 0);
	struct kmem_cache *sheaf = mkcache("rcu-canary-sheaf", 32, 0);
	struct kmem_cache *poison = mkcache("rcu-canary-poison", 0, SLAB_POISON);

	canary_run(plain);
	canary_run(sheaf);
	canary_run(poison);
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
