/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rcu_internal.h - RCU glue shared by the allocator core, the kfree_rcu
 * batching (kvfree_rcu.c) and the rcu_free sheaves.
 *
 * RCU is liburcu's memb flavor for the grace periods, with our own
 * per-CPU callback workers and a grace period of the kernel's length
 * (rcu.c).  Every entry point registers the calling thread on first use;
 * the registration is undone at thread exit by a pthread key destructor.
 * slab_call_rcu() and slab_rcu_barrier() are public (slab.h).
 *
 * Lock order (outermost first):
 *   slab_mutex -> rcu_flush_lock (kvfree_rcu.c) -> worker lock (workqueue.c)
 *   slab_mutex -> wq_start_lock (workqueue.c, first use starts the workers)
 *   per-CPU kfree_rcu batch spinlock -> rcu_cpu lock (rcu.c): call_rcu()
 *   is made under the batch lock; the rcu_cpu lock is a leaf.
 *   fork(): liburcu pause -> our workers paused -> rcu_reg_lock -> batch
 *   locks -> monitor lock -> rcu_cpu locks, then the core's handler takes
 *   slab_mutex and the allocator's locks.
 * Never call slab_rcu_barrier() (or a kvfree_rcu barrier, or
 * kmem_cache_destroy()) from an RCU callback or inside a read-side section:
 * it would deadlock; these are refused with a report instead.
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
/* True on an RCU callback worker (ours or liburcu's). */
bool slab_rcu_in_callback(void);

/*
 * Grace-period cookies, the kernel's get_state_synchronize_rcu() and
 * poll_state_synchronize_rcu(): poll is true once a grace period that
 * began after get_state() has ended.
 */
unsigned long slab_rcu_get_state(void);
bool slab_rcu_poll_state(unsigned long cookie);
/* The modelled grace-period length (SLABSCALE_RCU_GP_US, default 3 ms). */
unsigned long long slab_rcu_gp_len_ns(void);
void slab_rcu_set_gp_len_us(unsigned long long us);	/* for tests */
unsigned long long slab_rcu_now_ns(void);	/* CLOCK_MONOTONIC */

struct slab_rcu_stats {
	unsigned long long grace_periods;	/* ended (workers and synchronize) */
	unsigned long long barriers;	/* slab_rcu_barrier() calls that waited */
	unsigned long long callbacks;	/* invoked */
	unsigned long long gp_len_ns;
};
void slab_rcu_get_stats(struct slab_rcu_stats *st);

/*
 * pthread_create() with every signal blocked in the new thread, for all
 * helper threads (workers, the kfree_rcu monitor).
 */
int slab_spawn_thread(pthread_t *thread, const pthread_attr_t *attr,
		      void *(*fn)(void *arg), void *arg);

/*
 * A detached helper pinned to cpu through its creation attributes, so it
 * never runs anywhere else; a CPU outside our affinity mask (taskset)
 * cannot be pinned to, and the thread then runs unpinned.  Returns
 * whether it is pinned; aborts, naming what, when no thread can start.
 */
bool slab_spawn_pinned(pthread_t *thread, int cpu, void *(*fn)(void *arg),
		       void *arg, const char *what);

/* CPUs as the allocator numbers them, and the caller's current one. */
int slab_rcu_nr_cpus(void);
int slab_rcu_cpu(void);

/* ---- kfree_rcu and the barriers (kvfree_rcu.c) -------------------------- */

/*
 * kmem_cache_destroy() calls this first, without slab_mutex held: it waits
 * for every in-flight kfree_rcu() that may hold objects of s, the way the
 * variant's kernel does: kvfree_rcu_barrier() up to 6.18 (rcu-sheaf),
 * kvfree_rcu_barrier_on_cache(s) from 6.19 (CONFIG_SLUB_BARRIER_ON_CACHE).
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
	unsigned long long ready_freed;	/* ... of them by the monitor, whose
					 * grace period had passed already */
	unsigned long long batches;	/* batches detached and queue_rcu_work()ed */
	unsigned long long full_pages;	/* pages that filled up */
	unsigned long long monitor_flushes; /* batches detached by the monitor */
	unsigned long long barrier_flushes; /* ... by a barrier */
	unsigned long long barrier_waits; /* a barrier waited for a batch in flight */
	unsigned long long sync_fallbacks; /* no batch page: waited inline */
	unsigned long long flush_works;	/* per-CPU rcu sheaf flush items run */
};
void slab_kfree_rcu_get_stats(struct slab_kfree_rcu_stats *st);
/*
 * The monitor's drain delay for a batch that is not full (the kernel's
 * KFREE_DRAIN_JIFFIES, 5 s; SLABSCALE_KFREE_DRAIN_MS).  Tests shorten it.
 */
void slab_kfree_rcu_set_drain_ms(unsigned long ms);

/* fork() support for kvfree_rcu.c, called from rcu.c's handlers. */
void slab_kfree_rcu_fork_prepare(void);
void slab_kfree_rcu_fork_parent(void);
void slab_kfree_rcu_fork_child(void);

#endif /* SLABSCALE_RCU_INTERNAL_H */
