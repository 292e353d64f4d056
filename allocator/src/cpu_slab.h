/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cpu_slab.h - the classic cpu slab's fast paths (CONFIG_SLUB_CPU_SLAB),
 * inline so that kmem_cache_alloc()/kmem_cache_free() contain them, as the
 * kernel's __fastpath_inline slab_alloc_node()/do_slab_free() are.
 *
 * The kernel's fast path reads tid, freelist and the cpu slab of this
 * CPU's kmem_cache_cpu and commits with this_cpu_try_cmpxchg128 of
 * (freelist, tid): an unlocked cmpxchg16b, atomic only against the local
 * CPU, which preemption being enabled makes safe because tid changes on
 * every operation.  Here:
 *
 *  - rseq mode: the whole fast path is one restartable sequence (rseq.h)
 *    that also checks the lock word, commits with the same unlocked
 *    cmpxchg16b and so costs what the kernel's costs.  Every locked user
 *    (refill, deactivation, the per-CPU partial list, remote flushes,
 *    fork) excludes it as it excludes the sheaf hit path: a lock taken on
 *    this CPU is itself a sequence here, a migrated holder keeps the word
 *    set, and a remote locker's membarrier aborts the sequences in flight.
 *  - atomic mode (valgrind, TSan, other architectures): the same loads and
 *    a locked cmpxchg16b, retried when tid moved; the lock word is not
 *    looked at, so locked code changes (freelist, tid) only with
 *    compare-and-swap too, in both modes.
 *
 * tid.  Its low 16 bits are the number of objects on c->freelist, the bits
 * above count operations.  A fast allocation adds CPU_SLAB_ALLOC_DELTA
 * (one operation, one object less), a fast free of n objects n times
 * CPU_SLAB_FREE_DELTA (n operations, n objects more), so tid still changes
 * on every operation (what the compare-and-swap needs) and the fast paths'
 * counters ride in the commit, with no counter update of their own.
 * Locked code adds one operation and the change in length, and counts
 * both in locked_ops/locked_nr under the lock; so at any time
 *
 *	fast allocs + fast frees = ops(tid) - locked_ops
 *	fast frees - fast allocs = nr(tid) - locked_nr
 *
 * which cpu_slab_fast_stats() solves.  The freelist holds objects of the
 * cpu slab only, so nr never exceeds the 15-bit object count of a slab.
 */
#ifndef SLABSCALE_CPU_SLAB_H
#define SLABSCALE_CPU_SLAB_H

#include "percpu.h"

#define TID_NR_BITS		16
#define TID_NR_MASK		((1ul << TID_NR_BITS) - 1)
#define TID_OP			(1ul << TID_NR_BITS)
#define CPU_SLAB_ALLOC_DELTA	(TID_OP - 1)
#define CPU_SLAB_FREE_DELTA	(TID_OP + 1)

static inline unsigned long tid_nr(unsigned long tid)
{
	return tid & TID_NR_MASK;
}

static inline bool cpu_cmpxchg(struct kmem_cache_cpu *c, void *ofl,
			       unsigned long otid, void *nfl,
			       unsigned long ntid)
{
	unsigned __int128 old = (unsigned __int128)otid << 64 |
				(uintptr_t)ofl;
	unsigned __int128 new = (unsigned __int128)ntid << 64 |
				(uintptr_t)nfl;

	return cmpxchg16(&c->freelist_tid, old, new);
}

/*
 * The free pointer of an object another thread may have allocated since
 * we read the freelist (atomic mode): the value may be garbage, the
 * cmpxchg then fails.  Deliberately racy, hence hidden from TSan.
 */
__attribute__((no_sanitize("thread")))
static inline void *get_freepointer_safe(struct kmem_cache *s, void *object)
{
	return *(void *volatile *)((char *)object + s->offset);
}

/* atomic mode: this thread's entry (a guard while it has none: slow path) */
static __attribute__((always_inline)) inline struct kmem_cache_cpu *
cpu_slab_atomic_this_cpu(struct kmem_cache *s)
{
	return (struct kmem_cache_cpu *)((char *)s->cpu_slab +
					 slab_thread_cpu_off -
					 (1ul << PERCPU_SHIFT));
}

/* one attempt: NULL when empty, no cpu slab, or tid moved meanwhile */
static __attribute__((always_inline)) inline void *
cpu_slab_alloc_atomic(struct kmem_cache *s)
{
	struct kmem_cache_cpu *c = cpu_slab_atomic_this_cpu(s);
	unsigned long tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
	void *object = READ_ONCE(c->freelist);
	struct slab *slab = READ_ONCE(c->slab);

	if (unlikely(!object || !slab))
		return NULL;
	if (likely(cpu_cmpxchg(c, object, tid, get_freepointer_safe(s, object),
			       tid + CPU_SLAB_ALLOC_DELTA)))
		return object;
	return NULL;
}

/* 1 pushed, 0 tid moved meanwhile, -1 slab is not this CPU's cpu slab */
static __attribute__((always_inline)) inline int
cpu_slab_push_atomic(struct kmem_cache *s, struct slab *slab, void *head,
		     void *tail, unsigned long delta)
{
	struct kmem_cache_cpu *c = cpu_slab_atomic_this_cpu(s);
	unsigned long tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
	void *fl;

	if (slab != __atomic_load_n(&c->slab, __ATOMIC_ACQUIRE))
		return -1;
	fl = READ_ONCE(c->freelist);
	set_freepointer(s, tail, fl);
	return cpu_cmpxchg(c, fl, tid, head, tid + delta);
}

/*
 * The allocation fast path: an object from this CPU's cpu slab freelist,
 * or NULL (empty, no cpu slab, lock taken, in atomic mode a lost race):
 * the caller's slow path, which tries again.
 */
static __attribute__((always_inline)) inline void *
cpu_slab_alloc_fast(struct kmem_cache *s)
{
#if SLAB_HAVE_RSEQ_ASM
	if (likely(slab_use_rseq))
		return rseq_cpu_slab_pop(s->cpu_slab, s->offset,
					 CPU_SLAB_ALLOC_DELTA);
#endif
	return cpu_slab_alloc_atomic(s);
}

/*
 * The free fast path for the chain head..tail of cnt objects of slab: 1
 * done, 0 the lock is taken (atomic mode: a lost race), -1 slab is not
 * this CPU's cpu slab.
 */
static __attribute__((always_inline)) inline int
cpu_slab_free_fast(struct kmem_cache *s, struct slab *slab, void *head,
		   void *tail, unsigned long cnt)
{
	unsigned long delta = cnt * CPU_SLAB_FREE_DELTA;

#if SLAB_HAVE_RSEQ_ASM
	if (likely(slab_use_rseq))
		return rseq_cpu_slab_push(s->cpu_slab, s->offset, delta, slab,
					  head, tail);
#endif
	return cpu_slab_push_atomic(s, slab, head, tail, delta);
}

#endif
