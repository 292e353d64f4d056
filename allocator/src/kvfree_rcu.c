// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvfree_rcu.c - kfree_rcu()'s classic batching path and the barriers.
 *
 * Batching: every CPU has a batch, one page holding a small header and
 * about 500 object pointers.  kvfree_call_rcu() appends the object to the
 * batch of the CPU it runs on; the object's rcu_head is not used.  A full
 * batch is handed to RCU at once with one call_rcu(); a partially filled
 * one is handed over by the monitor thread once it is KFREE_DRAIN_NS old,
 * or by a barrier.  After the grace period the callback frees every object
 * with kvfree() and keeps the page for the next batch of its CPU.  Objects
 * in a batch stay allocated (and counted live) until that callback.
 *
 * Monitor: one thread, started on the first kfree_rcu, sleeping on a
 * condition variable while no batch is pending.  Starting a new batch kicks
 * it; it then wakes every KFREE_DRAIN_NS until every batch it saw has been
 * submitted.  No thread per CPU, no polling while idle.
 *
 * Barriers (kvfree_rcu_barrier, kvfree_rcu_barrier_on_cache):
 *   1. with rcu_free sheaves (CONFIG_SLUB_RCU_SHEAF): flush the rcu sheaves
 *      of every cache with sheaves (or of s) on every CPU through the
 *      per-CPU workers, unconditionally, then rcu_barrier();
 *   2. drain the classic batches: submit every partial batch; if any batch
 *      is in flight, rcu_barrier().
 *
 * Locking (see also rcu_internal.h):
 *   slab_mutex -> rcu_flush_lock -> worker lock (workqueue.c)
 *   krc->lock (a spinlock, as the kernel's) is a leaf, held across no
 *   system call but call_rcu()'s wakeup.  call_rcu() of a batch happens
 *   under it, so a barrier that has passed a CPU's lock has seen every
 *   batch submitted before.  The monitor lock is never held together
 *   with a krc lock.  Nothing here may run in an RCU callback except
 *   batch_free_rcu(), which only takes its krc lock (the barriers refuse).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "rcu_internal.h"
#include "slab_internal.h"
#include "workqueue.h"

#define KFREE_DRAIN_NS		(5 * 1000 * 1000ull)	/* 5 ms */
#define KFREE_MAX_SPARES	4	/* cached batch pages per CPU */

struct kfree_rcu_cpu;

struct kfree_batch {
	struct rcu_head rcu;
	struct kfree_rcu_cpu *krc;	/* owner: gets the page back */
	struct kfree_batch *next;	/* spare list */
	unsigned long long born_ns;	/* first object went in */
	unsigned int nr;
	void *objs[];
};

#define KFREE_BATCH_MAX	\
	((PAGE_SIZE - offsetof(struct kfree_batch, objs)) / sizeof(void *))

struct kfree_rcu_cpu {
	spinlock_t lock;		/* the kernel's krcp->lock: a spinlock */
	struct kfree_batch *cur;	/* being filled, NULL: none */
	struct kfree_batch *spares;
	unsigned int nr_spares;
	unsigned long long queued;	/* statistics, under lock */
	unsigned long long batches;
	unsigned long long full_batches;
	unsigned long long monitor_flushes;
	unsigned long long barrier_flushes;
} __cacheline_aligned;

static struct kfree_rcu_cpu *krcs;	/* nr_cpu_ids entries */
static int nr_krcs;
static pthread_once_t krc_once = PTHREAD_ONCE_INIT;

static long batches_in_flight;		/* submitted, callback not done */
static unsigned long long objs_freed;
static unsigned long long sync_fallbacks;
static unsigned long long flush_works_run;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started;
	bool pending;			/* a batch may wait for the monitor */
} monitor = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* rcu_free sheaves flush, one item per CPU, serialized by rcu_flush_lock */
struct rcu_flush_work {
	struct slab_work work;
	struct kmem_cache *s;
} __cacheline_aligned;

static pthread_mutex_t rcu_flush_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rcu_flush_work *flush_works;	/* nr_cpu_ids entries */

/* ---- batches ----------------------------------------------------------- */

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void krc_init(void)
{
	int cpu;

	nr_krcs = slab_rcu_nr_cpus();
	/* per-CPU structures are cache-line aligned: calloc is not enough */
	krcs = aligned_alloc(CACHELINE, nr_krcs * sizeof(*krcs));
	flush_works = aligned_alloc(CACHELINE, nr_krcs * sizeof(*flush_works));
	if (!krcs || !flush_works) {
		fprintf(stderr, "slabscale: out of memory for kfree_rcu\n");
		abort();
	}
	memset(krcs, 0, nr_krcs * sizeof(*krcs));
	memset(flush_works, 0, nr_krcs * sizeof(*flush_works));
	for (cpu = 0; cpu < nr_krcs; cpu++)
		spin_lock_init(&krcs[cpu].lock);
}

static void kfree_rcu_init(void)
{
	pthread_once(&krc_once, krc_init);
	slab_rcu_init();
}

/* Under krc->lock: a cached page, or NULL. */
static struct kfree_batch *batch_get(struct kfree_rcu_cpu *krc)
{
	struct kfree_batch *b = krc->spares;

	if (b) {
		krc->spares = b->next;
		krc->nr_spares--;
	}
	return b;
}

/* Without any lock: a new page (a system call). */
static struct kfree_batch *batch_new(void)
{
	void *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Under krc->lock: make b the CPU's current batch. */
static void batch_start(struct kfree_rcu_cpu *krc, struct kfree_batch *b)
{
	b->krc = krc;
	b->nr = 0;
	b->born_ns = now_ns();
	krc->cur = b;
}

/* Under krc->lock: keep b as a spare; false: caller unmaps it. */
static bool batch_put(struct kfree_rcu_cpu *krc, struct kfree_batch *b)
{
	if (krc->nr_spares >= KFREE_MAX_SPARES)
		return false;
	b->next = krc->spares;
	krc->spares = b;
	krc->nr_spares++;
	return true;
}

/* RCU callback: the grace period is over, free the batch's objects. */
static void batch_free_rcu(struct rcu_head *head)
{
	struct kfree_batch *b = container_of(head, struct kfree_batch, rcu);
	struct kfree_rcu_cpu *krc = b->krc;
	unsigned int i, nr = b->nr;
	bool kept;

	for (i = 0; i < nr; i++)
		kvfree(b->objs[i]);
	__atomic_add_fetch(&objs_freed, nr, __ATOMIC_RELAXED);
	spin_lock(&krc->lock);
	kept = batch_put(krc, b);
	spin_unlock(&krc->lock);
	if (!kept)
		munmap(b, PAGE_SIZE);
	__atomic_sub_fetch(&batches_in_flight, 1, __ATOMIC_RELEASE);
}

/* Under krc->lock: hand the current batch to RCU. */
static void batch_submit(struct kfree_rcu_cpu *krc)
{
	struct kfree_batch *b = krc->cur;

	krc->cur = NULL;
	krc->batches++;
	__atomic_add_fetch(&batches_in_flight, 1, __ATOMIC_RELAXED);
	/* initialized and registered already: no lock may be taken here */
	urcu_memb_call_rcu(&b->rcu, batch_free_rcu);
}

/* ---- the monitor ------------------------------------------------------- */

/* Submit batches older than the drain delay; true if some remain. */
static bool monitor_scan(void)
{
	unsigned long long now = now_ns();
	bool left = false;
	int cpu;

	for (cpu = 0; cpu < nr_krcs; cpu++) {
		struct kfree_rcu_cpu *krc = &krcs[cpu];

		spin_lock(&krc->lock);
		if (krc->cur) {
			if (now - krc->cur->born_ns >= KFREE_DRAIN_NS) {
				krc->monitor_flushes++;
				batch_submit(krc);
			} else {
				left = true;
			}
		}
		spin_unlock(&krc->lock);
	}
	return left;
}

static void *monitor_main(void *arg)
{
	struct timespec delay = { 0, KFREE_DRAIN_NS };

	(void)arg;
	pthread_setname_np(pthread_self(), "slab-kfree-rcu");
	slab_rcu_thread_enter();
	pthread_mutex_lock(&monitor.lock);
	for (;;) {
		while (!monitor.pending)
			pthread_cond_wait(&monitor.cond, &monitor.lock);
		monitor.pending = false;
		pthread_mutex_unlock(&monitor.lock);
		nanosleep(&delay, NULL);
		if (monitor_scan()) {
			pthread_mutex_lock(&monitor.lock);
			monitor.pending = true;
			continue;
		}
		pthread_mutex_lock(&monitor.lock);
	}
	return NULL;
}

static void monitor_kick(void)
{
	pthread_t thread;
	pthread_attr_t attr;
	int err;

	pthread_mutex_lock(&monitor.lock);
	if (!monitor.started) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		err = slab_spawn_thread(&thread, &attr, monitor_main, NULL);
		pthread_attr_destroy(&attr);
		if (err) {
			fprintf(stderr, "slabscale: cannot start the kfree_rcu monitor: %s\n",
				strerror(err));
			abort();
		}
		monitor.started = true;
	}
	if (!monitor.pending) {
		monitor.pending = true;
		pthread_cond_signal(&monitor.cond);
	}
	pthread_mutex_unlock(&monitor.lock);
}

/* ---- kvfree_call_rcu ---------------------------------------------------- */

/*
 * No page for a batch: wait for a grace period here when that is safe,
 * else leak the object and say so (the kernel leaks on similar failures).
 */
static void kfree_rcu_no_batch(void *ptr)
{
	if (slab_rcu_in_callback() || urcu_memb_read_ongoing()) {
		slab_rcu_report("kfree_rcu: no memory for a batch, %p leaked", ptr);
		return;
	}
	__atomic_add_fetch(&sync_fallbacks, 1, __ATOMIC_RELAXED);
	slab_synchronize_rcu();
	kvfree(ptr);
}

void kvfree_call_rcu(struct rcu_head *head, void *ptr)
{
	struct kfree_batch *b, *fresh = NULL;
	struct kfree_rcu_cpu *krc;
	bool kick = false;

	(void)head;
	if (!ptr)
		return;
	kfree_rcu_init();
	if (slab_kfree_rcu_sheaf(ptr))
		return;
again:
	krc = &krcs[slab_rcu_cpu()];
	spin_lock(&krc->lock);
	b = krc->cur;
	if (unlikely(!b)) {
		b = batch_get(krc);
		if (!b) {
			b = fresh;
			fresh = NULL;
		}
		if (!b) {
			spin_unlock(&krc->lock);
			fresh = batch_new();
			if (!fresh) {
				kfree_rcu_no_batch(ptr);
				return;
			}
			goto again;	/* we may be on another CPU now */
		}
		batch_start(krc, b);
		kick = true;
	}
	b->objs[b->nr++] = ptr;
	krc->queued++;
	if (b->nr == KFREE_BATCH_MAX) {
		krc->full_batches++;
		batch_submit(krc);
		kick = false;
	}
	spin_unlock(&krc->lock);
	if (unlikely(fresh))
		munmap(fresh, PAGE_SIZE);	/* raced: a page appeared */
	if (kick || unlikely(!READ_ONCE(monitor.started)))
		monitor_kick();
}

/* ---- barriers ----------------------------------------------------------- */

static void rcu_flush_work_fn(struct slab_work *w)
{
	struct rcu_flush_work *fw = container_of(w, struct rcu_flush_work, work);

	slab_rcu_sheaf_flush_cpu(fw->s, w->cpu);
	__atomic_add_fetch(&flush_works_run, 1, __ATOMIC_RELAXED);
}

void slab_flush_rcu_sheaves_on_cache(struct kmem_cache *s)
{
	int cpu;

	/* no liburcu init here: callers may hold slab_mutex */
	pthread_once(&krc_once, krc_init);
	pthread_mutex_lock(&rcu_flush_lock);
	/*
	 * Every CPU, even when its rcu_free sheaf looks empty: running on the
	 * CPU is what guarantees that a kfree_rcu() racing with us there has
	 * finished its call_rcu() before we return.
	 */
	for (cpu = 0; cpu < nr_krcs; cpu++) {
		slab_init_work(&flush_works[cpu].work, rcu_flush_work_fn);
		flush_works[cpu].s = s;
		slab_queue_work_on(cpu, &flush_works[cpu].work);
	}
	for (cpu = 0; cpu < nr_krcs; cpu++)
		slab_flush_work(&flush_works[cpu].work);
	pthread_mutex_unlock(&rcu_flush_lock);
}

/* Submit every partial batch, then wait for all batches in flight. */
static void kfree_rcu_drain_classic(void)
{
	int cpu;

	for (cpu = 0; cpu < nr_krcs; cpu++) {
		struct kfree_rcu_cpu *krc = &krcs[cpu];

		spin_lock(&krc->lock);
		if (krc->cur) {
			krc->barrier_flushes++;
			batch_submit(krc);
		}
		spin_unlock(&krc->lock);
	}
	if (__atomic_load_n(&batches_in_flight, __ATOMIC_ACQUIRE))
		slab_rcu_barrier();
}

static bool barrier_allowed(const char *what)
{
	if (slab_rcu_in_callback() || urcu_memb_read_ongoing()) {
		slab_rcu_report("%s from an RCU callback or read-side section refused (deadlock)",
				what);
		return false;
	}
	return true;
}

static bool rcu_sheaves_configured(void)
{
#ifdef CONFIG_SLUB_RCU_SHEAF
	return true;
#else
	return false;
#endif
}

void kvfree_rcu_barrier(void)
{
	struct kmem_cache *s;

	kfree_rcu_init();
	if (!barrier_allowed("kvfree_rcu_barrier()"))
		return;
	if (rcu_sheaves_configured()) {
		pthread_mutex_lock(&slab_mutex);
		for_each_slab_cache(s) {
			if (slab_rcu_cache_has_sheaves(s))
				slab_flush_rcu_sheaves_on_cache(s);
		}
		pthread_mutex_unlock(&slab_mutex);
		slab_rcu_barrier();
	}
	kfree_rcu_drain_classic();
}

void kvfree_rcu_barrier_on_cache(struct kmem_cache *s)
{
	kfree_rcu_init();
	if (!barrier_allowed("kvfree_rcu_barrier_on_cache()"))
		return;
	if (rcu_sheaves_configured() && s && slab_rcu_cache_has_sheaves(s)) {
		slab_flush_rcu_sheaves_on_cache(s);
		slab_rcu_barrier();
	}
	kfree_rcu_drain_classic();
}

void slab_rcu_destroy_barrier(struct kmem_cache *s)
{
#if defined(CONFIG_SLUB_RCU_SHEAF) && !defined(CONFIG_SLUB_BARRIER_ON_CACHE)
	(void)s;
	kvfree_rcu_barrier();
#else
	kvfree_rcu_barrier_on_cache(s);
#endif
}

void slab_kfree_rcu_get_stats(struct slab_kfree_rcu_stats *st)
{
	int cpu;

	memset(st, 0, sizeof(*st));
	pthread_once(&krc_once, krc_init);
	for (cpu = 0; cpu < nr_krcs; cpu++) {
		struct kfree_rcu_cpu *krc = &krcs[cpu];

		spin_lock(&krc->lock);
		st->queued += krc->queued;
		st->batches += krc->batches;
		st->full_batches += krc->full_batches;
		st->monitor_flushes += krc->monitor_flushes;
		st->barrier_flushes += krc->barrier_flushes;
		spin_unlock(&krc->lock);
	}
	st->freed = __atomic_load_n(&objs_freed, __ATOMIC_RELAXED);
	st->sync_fallbacks = __atomic_load_n(&sync_fallbacks, __ATOMIC_RELAXED);
	st->flush_works = __atomic_load_n(&flush_works_run, __ATOMIC_RELAXED);
}

/* ---- fork ---------------------------------------------------------------- */

/*
 * Hold every batch lock (no batch half built or half submitted) and the
 * monitor lock across fork().  rcu.c calls this after pausing liburcu's
 * workers, so no batch callback holds a batch lock now.  The flush lock
 * is not held (it nests inside slab_mutex, which the core's handler takes
 * after this one): the child resets it and the flush items.
 */
void slab_kfree_rcu_fork_prepare(void)
{
	int cpu;

	for (cpu = 0; cpu < nr_krcs; cpu++)
		spin_lock(&krcs[cpu].lock);
	pthread_mutex_lock(&monitor.lock);
}

void slab_kfree_rcu_fork_parent(void)
{
	int cpu;

	pthread_mutex_unlock(&monitor.lock);
	for (cpu = nr_krcs - 1; cpu >= 0; cpu--)
		spin_unlock(&krcs[cpu].lock);
}

/* The child has no monitor: the next kfree_rcu starts one. */
void slab_kfree_rcu_fork_child(void)
{
	int cpu;

	monitor.started = false;
	monitor.pending = false;
	pthread_mutex_init(&monitor.lock, NULL);
	pthread_cond_init(&monitor.cond, NULL);
	for (cpu = 0; cpu < nr_krcs; cpu++) {
		spin_lock_init(&krcs[cpu].lock);
		slab_init_work(&flush_works[cpu].work, rcu_flush_work_fn);
	}
	pthread_mutex_init(&rcu_flush_lock, NULL);
}
