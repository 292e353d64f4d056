/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rcu_internal.h - RCU glue shared by the allocator core, the kfree_rcu
 * batching (kvfree_rcu.c) and the rcu_free sheaves.
 *
 * RCU is liburcu's memb flavor with one call_rcu worker per CPU
 * (rcu.c).  Every entry point registers the calling thread on first use;
 * the registration is undone at thread exit by a pthread key destructor.
 *
 * Lock order (outermost first):
 *   slab_mutex -> rcu_flush_lock (kvfree_rcu.c) -> worker lock (workqueue.c)
 *   slab_mutex -> wq_start_lock (workqueue.c, first use starts the workers)
 *   per-CPU kfree_rcu batch spinlock: a leaf, call_rcu() is made under it.
 *   fork(): liburcu pause -> rcu_reg_lock -> batch locks -> monitor lock,
 *   then the core's handler takes slab_mutex and the allocator's locks.
 * Never call slab_rcu_barrier() (or a kvfree_rcu barrier, or
 * kmem_cache_destroy()) from an RCU callback or inside a read-side section:
 * liburcu deadlocks; these are refused with a report instead.
 */
#ifndef SLABSCALE_RCU_INTERNAL_H
#define SLABSCALE_RCU_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "slab.h"

/* ---- liburcu integration (rcu.c) ---------------------------------------- */

/* Create the per-CPU call_rcu workers and the fork handlers, once. */
void slab_rcu_init(void);
/* Register the calling thread with liburcu unless it already is. */
void slab_rcu_thread_enter(void);
/* Threads registered through slab_rcu_thread_enter() and not yet exited. */
long slab_rcu_registered_threads(void);
/* True on a liburcu callback worker (inside an RCU callback). */
bool slab_rcu_in_callback(void);

/* call_rcu()/rcu_barrier() with the checks above.  */
void slab_call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *head));
/* Returns false (and reports) when called where it would deadlock. */
bool slab_rcu_barrier(void);

/*
 * pthread_create() with every signal blocked in the new thread, for all
 * helper threads (workers, the kfree_rcu monitor).
 */
int slab_spawn_thread(pthread_t *thread, const pthread_attr_t *attr,
		      void *(*fn)(void *arg), void *arg);

/* CPUs as the allocator numbers them, and the caller's current one. */
int slab_rcu_nr_cpus(void);
int slab_rcu_cpu(void);

/* One line to the allocator's report hook. */
void slab_rcu_report(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* ---- kfree_rcu and the barriers (kvfree_rcu.c) -------------------------- */

/*
 * kmem_cache_destroy() calls this first, without slab_mutex held: it waits
 * for every in-flight kfree_rcu() that may hold objects of s.  Phase 1:
 * kvfree_rcu_barrier_on_cache(s).  Later variants choose the global or the
 * per-cache barrier here.
 */
void slab_rcu_destroy_barrier(struct kmem_cache *s);

/*
 * Queue the rcu sheaf flush of s on every CPU's worker, unconditionally,
 * and wait for all of them, under rcu_flush_lock.  Callers hold
 * slab_mutex or otherwise keep s alive.
 */
void slab_flush_rcu_sheaves_on_cache(struct kmem_cache *s);

/*
 * The rcu_free sheaf code (rcu_sheaf.c; no-ops without
 * CONFIG_SLUB_RCU_SHEAF):
 *  - slab_kfree_rcu_sheaf(obj): take obj into the current CPU's rcu_free
 *    sheaf; false sends it down the classic batching path.
 *  - slab_rcu_sheaf_flush_cpu(s, cpu): runs on the worker of cpu: locks
 *    cpu's sheaves of s, detaches rcu_free and hands it to call_rcu().
 *  - slab_rcu_cache_has_sheaves(s): whether the barrier must flush s.
 */
bool slab_kfree_rcu_sheaf(void *obj);
void slab_rcu_sheaf_flush_cpu(struct kmem_cache *s, int cpu);
bool slab_rcu_cache_has_sheaves(struct kmem_cache *s);

/* Counters of the classic batching path, for tests and measurements. */
struct slab_kfree_rcu_stats {
	unsigned long long queued;	/* objects passed to the classic path */
	unsigned long long freed;	/* objects freed after a grace period */
	unsigned long long batches;	/* call_rcu()s of a batch */
	unsigned long long full_batches;/* ... submitted because full */
	unsigned long long monitor_flushes; /* ... by the idle monitor */
	unsigned long long barrier_flushes; /* ... by a barrier */
	unsigned long long sync_fallbacks; /* no batch page: waited inline */
	unsigned long long flush_works;	/* per-CPU rcu sheaf flush items run */
};
void slab_kfree_rcu_get_stats(struct slab_kfree_rcu_stats *st);

/* fork() support for kvfree_rcu.c, called from rcu.c's handlers. */
void slab_kfree_rcu_fork_prepare(void);
void slab_kfree_rcu_fork_parent(void);
void slab_kfree_rcu_fork_child(void);

#endif /* SLABSCALE_RCU_INTERNAL_H */
