/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * percpu.h - the per-CPU layer: which CPU am I on, the per-CPU trylock and
 * per-CPU counters.
 *
 * A "per-CPU" structure is an array indexed by CPU number.  Threads are
 * preemptible, so unlike in the kernel a thread can lose its CPU while it
 * holds a per-CPU lock, and another thread then runs on that CPU.  Hence:
 *
 *  - The per-CPU lock is only ever trylocked.  A thread that finds it held
 *    (its holder was preempted or migrated) takes the slow path and counts
 *    PCS_TRYLOCK_FAIL, like an NMI in the kernel that finds local_trylock
 *    taken.
 *  - With rseq (the default on x86-64 when glibc registered it), the lock
 *    is taken in a restartable sequence (rseq.h): load our cpu_id, test the
 *    lock word of that CPU, store 1 as the committing instruction.  The
 *    kernel restarts the sequence if we were preempted or migrated before
 *    the commit, so two threads can never both take a CPU's lock and no
 *    atomic instruction is needed: like local_trylock(), a store to take
 *    and a store to release.  The holder may then migrate; it still owns
 *    the lock and releases it with a plain store, from any CPU.
 *  - Without rseq (valgrind, other architectures, SLABSCALE_NO_RSEQ=1,
 *    TSan builds, glibc's rseq area not where the build expects it) the
 *    lock is a fetch-or of bit 0 on the same word.  The mode is chosen
 *    once, before the first cache exists, and never changes: mixing the
 *    two on one lock word would not be safe.
 *
 * Per-CPU counters use the same idea: a one-instruction add committed in a
 * restartable sequence, or a relaxed atomic add in the fallback.
 */
#ifndef SLABSCALE_PERCPU_H
#define SLABSCALE_PERCPU_H

#include <sched.h>
#include <stddef.h>
#include "slab_internal.h"
#include "rseq.h"

/*
 * Atomic mode: the per-CPU index this thread uses, plus one, times 64 (the
 * size of the per-CPU structures; 0: not chosen yet), so the fast path
 * finds its structure with one add.  It is the CPU the thread ran on when
 * it chose, and is chosen again when a trylock on it fails
 * (slab_cpu_repick()), so threads spread like CPUs without a system call
 * per operation.
 */
extern __thread unsigned long slab_thread_cpu_off
	__attribute__((tls_model("local-exec")));	/* one %fs: load */
int slab_cpu_id_slow(void);
void slab_cpu_repick(void);

/* The current CPU; always in [0, nr_cpu_ids). */
static inline int current_cpu(void)
{
	if (likely(slab_use_rseq)) {
		int cpu = (int)READ_ONCE(rseq_area()->cpu_id);

		if (likely(cpu >= 0))
			return cpu;
	} else if (likely(slab_thread_cpu_off)) {
		return (slab_thread_cpu_off >> PERCPU_SHIFT) - 1;
	}
	return slab_cpu_id_slow();
}

/*
 * The node of the CPU we run on, for the fast paths' remote-object check
 * (the kernel's numa_mem_id(), a per-CPU read): two loads, no test, since
 * the map has entries for the "no CPU yet" indexes -2 and -1.
 */
#define SLAB_MAX_CPUS	4096
extern unsigned char slab_node_map[];

static __attribute__((always_inline)) inline int this_node_mode(bool rseq)
{
	long idx;

#if SLAB_HAVE_RSEQ_ASM
	if (likely(rseq))
		idx = rseq_cpu_id();
	else
#endif
		idx = (long)(slab_thread_cpu_off >> PERCPU_SHIFT) - 1;
	(void)rseq;
	return slab_node_map[idx + PERCPU_GUARDS];
}

static __attribute__((always_inline)) inline int this_node(void)
{
	return this_node_mode(slab_use_rseq);
}

/*
 * The per-CPU trylock (the kernel's local_trylock) for an array of
 * 64-byte per-CPU entries whose lock word comes first, with PERCPU_GUARDS
 * locked entries below entry 0 (rseq.h): this CPU's entry, locked, or
 * NULL when its lock is taken.  Release with percpu_unlock().
 *
 * rseq mode: rseq_trylock().  Atomic mode: a fetch-or of bit 0 on the
 * entry of this thread's index (every taken lock word has bit 0 set: 1
 * for a holder, PERCPU_REMOTE, the guards), and a new index after a
 * failure.
 */
/* atomic mode: one lock bts of this thread's entry's word */
static __attribute__((always_inline)) inline bool
percpu_test_and_set(unsigned int *lock)
{
	return __atomic_fetch_or(lock, 1u, __ATOMIC_ACQUIRE) & 1u;
}

static __attribute__((always_inline)) inline void *
percpu_trylock_atomic_once(void *base)
{
	unsigned int *lock = (unsigned int *)((char *)base + slab_thread_cpu_off -
					      (1ul << PERCPU_SHIFT));

	if (unlikely(percpu_test_and_set(lock)))
		return NULL;
	return lock;
}

/*
 * The kernel's local_trylock() runs with preemption disabled: it adds 1
 * to the preempt count (a per-CPU read-modify-write), and local_unlock()
 * takes 1 off and tests whether a reschedule is due, as distribution
 * kernels with PREEMPT_DYNAMIC (CONFIG_PREEMPT_COUNT) do.  The model has
 * no preemption to disable - a restartable sequence or an atomic guards
 * the lock word - but it keeps the count, per thread, so that a sheaf hit
 * costs what the kernel's costs (allocator/README.md, "Fidelity"; the
 * count started at PREEMPT_NEED_RESCHED, as x86 keeps it inverted, so the
 * test never fires).
 */
#define PREEMPT_NEED_RESCHED	0x80000000u
extern __thread unsigned int slab_preempt_count
	__attribute__((tls_model("local-exec")));
/* set if the count ever reached 0: a lock released more often than taken */
extern bool slab_preempt_underflow;

static __attribute__((always_inline)) inline void preempt_disable(void)
{
	slab_preempt_count++;
	barrier();
}

static __attribute__((always_inline)) inline void preempt_enable(void)
{
	barrier();
	if (unlikely(!--slab_preempt_count))
		WRITE_ONCE(slab_preempt_underflow, true);
}

/*
 * The hit paths' form: no call, so that a hit needs no stack frame.  In
 * atomic mode a thread that has no index yet finds the guard entry (its
 * slab_thread_cpu_off is 0) and fails; the slow path then calls
 * percpu_trylock_retry().
 */
static __attribute__((always_inline)) inline void *
percpu_trylock_fast_mode(void *base, bool rseq)
{
	void *entry;

	preempt_disable();
#if SLAB_HAVE_RSEQ_ASM
	if (likely(rseq))
		entry = rseq_trylock(base);
	else
#endif
		entry = percpu_trylock_atomic_once(base);
	(void)rseq;
	if (unlikely(!entry))
		preempt_enable();
	return entry;
}

static __attribute__((always_inline)) inline void *
percpu_trylock_fast(void *base)
{
	return percpu_trylock_fast_mode(base, slab_use_rseq);
}

/*
 * After percpu_trylock_fast() failed: in atomic mode choose an index if
 * the thread had none and try once more, or choose anew for next time
 * (another thread holds this index's lock, or a flush does).
 */
void *percpu_trylock_retry(void *base);

/* every other user of the per-CPU lock */
static inline void *percpu_trylock(void *base)
{
	void *entry = percpu_trylock_fast(base);

	return likely(entry) ? entry : percpu_trylock_retry(base);
}

/* the index of a locked entry in its array */
static inline int percpu_index(const void *base, const void *entry)
{
	return (int)(((const char *)entry - (const char *)base) >>
		     PERCPU_SHIFT);
}

/*
 * Take a given CPU's lock from any thread (flush, destroy, fork, the RCU
 * component's per-CPU work).  In rseq mode a compare-and-swap on the lock
 * word races with the plain committing store of a thread on that CPU: the
 * remote locker swaps 0 -> REMOTE, then aborts any restartable sequence in
 * flight on that CPU with membarrier(PRIVATE_EXPEDITED_RSEQ); afterwards
 * every sequence sees the word taken.  If the word no longer reads REMOTE,
 * a sequence that had already read 0 committed over it: that thread owns
 * the lock, and we wait and retry.  Remote lockers are serialized among
 * themselves, so REMOTE always means "the current remote locker".  May
 * wait: never call it with spinlocks held.
 *
 * Every value of a taken lock word has bit 0 set (1: a local holder,
 * REMOTE, pcs.h's guard entries), so atomic mode's fast paths may trylock
 * with a fetch-or of 1 (one lock bts) instead of a compare-and-swap.
 */
#define PERCPU_REMOTE	3u
/* returns the time it waited for a holder (ns; 0: the word was free) */
unsigned long percpu_lock_remote(unsigned int *lock, int cpu);
/* remote locks the calling thread holds (percpu_*lock_remote) */
extern __thread unsigned int slab_remote_locks;
/* a remote locker of s's per-CPU locks got it after waiting ns (may be 0) */
static inline void cpu_lock_remote_stat(struct kmem_cache *s,
					unsigned long ns)
{
	__atomic_fetch_add(&s->cpu_lock_remote.acquired, 1, __ATOMIC_RELAXED);
	if (!ns)
		return;
	__atomic_fetch_add(&s->cpu_lock_remote.contended, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->cpu_lock_remote.wait_ns, ns, __ATOMIC_RELAXED);
}
bool percpu_trylock_remote(unsigned int *lock, int cpu);
void percpu_unlock_remote(unsigned int *lock);

/* release a lock taken by percpu_trylock*() (local_unlock()) */
static __attribute__((always_inline)) inline void
percpu_unlock(unsigned int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
	preempt_enable();
}

static inline void percpu_add(void *base, unsigned long stride,
			      unsigned long v)
{
	int cpu;

#if SLAB_HAVE_RSEQ_ASM
	if (likely(slab_use_rseq)) {
		rseq_percpu_add(base, stride, v);
		return;
	}
#endif
	cpu = current_cpu();
	__atomic_fetch_add((unsigned long *)((char *)base +
					     (unsigned long)cpu * stride),
			   v, __ATOMIC_RELAXED);
}

/*
 * A counter only changed under a lock, read racily by anyone: a plain
 * one-instruction increment (TSan builds use relaxed atomics, which it
 * can see).
 */
static inline void locked_inc(unsigned long *p)
{
#ifdef __SANITIZE_THREAD__
	WRITE_ONCE(*p, READ_ONCE(*p) + 1);
#else
	++*p;
#endif
}

/* the inline form of slab_stat_inc() for hot paths */
static inline void stat(struct kmem_cache *s, enum slab_stat_item item)
{
	percpu_add(&s->stats[0].v[item], sizeof(struct slab_cpu_stats), 1);
}

static inline void stat_add(struct kmem_cache *s, enum slab_stat_item item,
			    unsigned long v)
{
	percpu_add(&s->stats[0].v[item], sizeof(struct slab_cpu_stats), v);
}

#endif
