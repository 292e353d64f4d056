/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * slab_case.h - what the allocator cases share: the accounting check done
 * when a run stops, helper threads that live inside a task, a cheap PRNG.
 *
 * Not a case (only *.c files in cases/slab/ are cases).  Everything here is
 * static inline so that each case gets its own copy and nothing clashes
 * when all cases are linked into one runner.
 *
 * Where the accounting is checked:
 *  - threads mode: every task frees what it owns before returning from
 *    testcase(); testcase_cleanup() then frees the shared state, waits for
 *    kfree_rcu (kvfree_rcu_barrier), destroys the caches and compares
 *    slab_live_objects()/slab_leaked_objects() with the baseline taken in
 *    testcase_prepare().
 *  - processes mode: each task is a process with its own copy of the
 *    allocator (forked after prepare), so each task does the same teardown
 *    and check itself before returning; the parent's cleanup then checks
 *    its own (unused) copy.
 *
 * Helper threads: a case that needs a partner sharing the task's allocator
 * (a consumer that frees what the task allocates, a background kfree_rcu
 * feeder) starts it with slab_case_thread_start() from inside testcase():
 * in processes mode new_task() would fork a separate process, which has
 * its own heap.  Helpers never call the harness's metric API; they publish
 * plain atomic counters that their owner records.
 */
#ifndef SLABSCALE_SLAB_CASE_H
#define SLABSCALE_SLAB_CASE_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "slab.h"
#include "slabscale.h"

/* ---- accounting ---------------------------------------------------------- */

struct slab_case_acct {
	long live;		/* slab_live_objects() at prepare */
	unsigned long leaked;	/* slab_leaked_objects() at prepare */
};

/* Call at the start of testcase_prepare(), before any cache exists. */
static inline void slab_case_acct_begin(struct slab_case_acct *a)
{
	a->live = slab_live_objects();
	a->leaked = slab_leaked_objects();
}

/*
 * Call once everything is freed and every cache destroyed: waits for
 * outstanding kfree_rcu() and fails the run if anything is left over.
 */
static inline void slab_case_acct_check(const struct slab_case_acct *a,
					const char *where)
{
	long live;
	unsigned long leaked;

	kvfree_rcu_barrier();
	live = slab_live_objects();
	leaked = slab_leaked_objects();
	if (leaked != a->leaked)
		harness_fail("%s: kmem_cache_destroy found %lu objects still allocated",
			     where, leaked - a->leaked);
	if (live != a->live)
		harness_fail("%s: %ld objects still live after teardown (baseline %ld, now %ld)",
			     where, live - a->live, a->live, live);
}

/* Where the calling task's teardown belongs (see the comment above). */
static inline const char *slab_case_where(void)
{
	return harness_processes_mode() ? "task teardown" : "cleanup";
}

/* ---- CPUs ---------------------------------------------------------------- */

struct slab_case_cpus {
	int nr;
	int cpu[CPU_SETSIZE];
};

/* The CPUs this process may run on (call in prepare, before pinning). */
static inline void slab_case_cpus_init(struct slab_case_cpus *c)
{
	cpu_set_t set;
	int i;

	c->nr = 0;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				c->cpu[c->nr++] = i;
	}
	if (!c->nr)
		c->cpu[c->nr++] = 0;
}

/* Pin the calling thread to one CPU; errors are harmless (-n, cgroups). */
static inline void slab_case_pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The CPU the calling thread runs on, -1 if unknown. */
static inline int slab_case_current_cpu(void)
{
	return sched_getcpu();
}

/*
 * The CPU after the calling thread's in c (wrapping), where a helper
 * thread that frees what this task allocates goes: a remote CPU whenever
 * there are two; the first of c if this thread's CPU is not in it.
 */
static inline int slab_case_next_cpu(const struct slab_case_cpus *c)
{
	int here = slab_case_current_cpu(), i;

	for (i = 0; i < c->nr; i++)
		if (c->cpu[i] == here)
			return c->cpu[(i + 1) % c->nr];
	return c->cpu[0];
}

/* ---- helper threads -------------------------------------------------------- */

/*
 * Start fn(arg) as a thread of the calling task.  Benchmark signals (the
 * kmalloc_nolock case's timer) stay blocked in the helper.
 */
static inline pthread_t slab_case_thread_start(void *(*fn)(void *), void *arg)
{
	pthread_t th;
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		harness_fail("pthread_create: %s", strerror(err));
	return th;
}

static inline void slab_case_thread_join(pthread_t th)
{
	int err = pthread_join(th, NULL);

	if (err)
		harness_fail("pthread_join: %s", strerror(err));
}

/* Busy-wait hint. */
static inline void slab_case_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

/* Spin a little, then yield: waits may have their partner on this CPU. */
static inline void slab_case_backoff(unsigned int *spins)
{
	if (++*spins < 64) {
		slab_case_cpu_relax();
	} else {
		*spins = 0;
		sched_yield();
	}
}

/*
 * A ring consumer's wait for the producer (single producer, single
 * consumer; the producer publishes head with a release store and sets done
 * after its last head update): true once head has moved past tail, false
 * when the producer is done and nothing is left.
 */
static inline bool slab_case_ring_wait(const unsigned long *head,
				       const int *done, unsigned long tail)
{
	unsigned int spins = 0;

	while (tail == __atomic_load_n(head, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(done, __ATOMIC_ACQUIRE) &&
		    tail == __atomic_load_n(head, __ATOMIC_ACQUIRE))
			return false;
		slab_case_backoff(&spins);
	}
	return true;
}

/*
 * Mailbox: a helper thread's metric records, handed to its owner task.
 * Single producer (the helper: slab_case_post) and single consumer (the
 * owner: slab_case_drain, which calls harness_record).  head is written
 * only by the producer, tail only by the consumer; each is published with
 * a release store and read with an acquire load.  A full mailbox drops the
 * record and counts it rather than block the helper.
 */
#define SLAB_CASE_MAILBOX	1024

struct slab_case_mailbox {
	unsigned long head __attribute__((aligned(64)));
	unsigned long dropped;
	unsigned long tail __attribute__((aligned(64)));
	struct {
		int metric;
		unsigned long long value;
	} ent[SLAB_CASE_MAILBOX];
};

static inline void slab_case_post(struct slab_case_mailbox *m, int metric,
				  unsigned long long value)
{
	unsigned long head = m->head;

	if (head - __atomic_load_n(&m->tail, __ATOMIC_ACQUIRE) >=
	    SLAB_CASE_MAILBOX) {
		m->dropped++;
		return;
	}
	m->ent[head % SLAB_CASE_MAILBOX].metric = metric;
	m->ent[head % SLAB_CASE_MAILBOX].value = value;
	__atomic_store_n(&m->head, head + 1, __ATOMIC_RELEASE);
}

static inline void slab_case_drain(struct slab_case_mailbox *m)
{
	unsigned long tail = m->tail;
	unsigned long head = __atomic_load_n(&m->head, __ATOMIC_ACQUIRE);

	for (; tail != head; tail++)
		harness_record(m->ent[tail % SLAB_CASE_MAILBOX].metric,
			       m->ent[tail % SLAB_CASE_MAILBOX].value);
	__atomic_store_n(&m->tail, tail, __ATOMIC_RELEASE);
}

/* Resident set size of this process in KiB, 0 if unknown. */
static inline unsigned long long slab_case_rss_kb(void)
{
	unsigned long long size, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (unsigned long long)sysconf(_SC_PAGESIZE) / 1024;
}

/* ---- time and randomness ------------------------------------------------- */

static inline void slab_case_sleep_ns(unsigned long long ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* xorshift64*: per-task, never zero. */
static inline uint64_t slab_case_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline uint64_t slab_case_seed(unsigned long nr)
{
	return 0x9e3779b97f4a7c15ull * (nr + 1) ^ harness_now_ns();
}

/* ---- parameter checks ----------------------------------------------------- */

/* harness_param_ulong() within [lo, hi], else a usage error (exit 2). */
static inline unsigned long slab_case_param_range(const char *name,
						  unsigned long def,
						  unsigned long lo,
						  unsigned long hi)
{
	unsigned long v = harness_param_ulong(name, def);

	if (v < lo || v > hi)
		harness_param_error(name, "out of range [%lu, %lu]", lo, hi);
	return v;
}

/* ---- the objects a case allocates ------------------------------------------ */
/*
 * Most allocator cases work on a cache of their own, or on kmalloc:
 * slab_case_source_init() reads --param api (cache or kmalloc, default
 * default_api; a case that needs a cache passes SLAB_CASE_CACHE_ONLY) and
 * --param sheaf_capacity (default 32, min_capacity to
 * SLAB_MAX_SHEAF_CAPACITY), takes the accounting baseline and creates the
 * cache;
 * slab_case_alloc()/slab_case_free() allocate from whichever it is, and
 * slab_case_source_exit() destroys the cache and checks the accounting.
 * Call init from testcase_prepare(), after the case's own parameters.
 */
struct slab_case_source {
	struct kmem_cache *cache;	/* NULL: kmalloc */
	unsigned long size;		/* object size */
	struct slab_case_acct baseline;
};

#define SLAB_CASE_CACHE_ONLY	NULL	/* no --param api */

static inline void slab_case_source_init(struct slab_case_source *src,
					 const char *name, unsigned long size,
					 unsigned long min_capacity,
					 const char *default_api)
{
	struct kmem_cache_args args = { 0 };
	const char *api = "cache";

	src->size = size;
	if (default_api)
		api = harness_param("api", default_api);
	if (strcmp(api, "cache") && strcmp(api, "kmalloc"))
		harness_param_error("api", "expected cache or kmalloc");
	args.sheaf_capacity = slab_case_param_range("sheaf_capacity", 32,
						    min_capacity,
						    SLAB_MAX_SHEAF_CAPACITY);
	slab_case_acct_begin(&src->baseline);
	src->cache = NULL;
	if (!strcmp(api, "kmalloc"))
		return;
	src->cache = kmem_cache_create(name, size, &args, 0);
	if (!src->cache)
		harness_fail("kmem_cache_create(%s, size %lu) failed", name,
			     size);
}

static inline void *slab_case_alloc(const struct slab_case_source *src)
{
	void *p;

	if (src->cache)
		p = kmem_cache_alloc(src->cache, GFP_KERNEL);
	else
		p = kmalloc(src->size, GFP_KERNEL);
	if (!p)
		harness_fail("allocation of %lu bytes failed", src->size);
	return p;
}

static inline void slab_case_free(const struct slab_case_source *src,
				  void *p)
{
	if (src->cache)
		kmem_cache_free(src->cache, p);
	else
		kfree(p);
}

/* everything allocated is freed: destroy the cache, check the counts */
static inline void slab_case_source_exit(struct slab_case_source *src,
					 const char *where)
{
	kmem_cache_destroy(src->cache);
	src->cache = NULL;
	slab_case_acct_check(&src->baseline, where);
}

#endif /* SLABSCALE_SLAB_CASE_H */
