/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcs.h - the per-CPU sheaves' hit paths: a pop from or a push to this
 * CPU's main sheaf under the per-CPU trylock, and the counters they keep
 * without a store of their own.
 *
 * The hit path is the kernel's alloc_from_pcs()/free_to_pcs(): trylock
 * this CPU's slub_percpu_sheaves (percpu_trylock(): in rseq mode a
 * restartable sequence that tests the lock word and commits a store of 1,
 * as local_trylock() stores to its word), pop from or push to main, and
 * release with a plain store (local_unlock()).  Every other user of the
 * sheaves takes the same lock: the slow paths, remote flushers
 * (pcs_lock_cpu(): a compare-and-swap and a membarrier that aborts the
 * sequences in flight on that CPU), fork().
 *
 * Counters.  ALLOC_PCS/FREE_PCS would be a counter update on every hit,
 * which production kernels (no SLUB_STATS) do not pay, so main's sizeword
 * holds the size in its low 16 bits and the number of pops since the last
 * fold above them: a pop adds SHEAF_POP (size - 1, pops + 1), a push adds 1
 * - the same one read-modify-write that the size change needs anyway.  The
 * pushes follow: pushes = pops + (size now - size at the last fold), and
 * the size at the last fold is pcs->main_base.
 *
 * The rule for locked code (all of it runs with the pcs lock held):
 *  - A single pop or push on main with nothing else changed may be
 *    "counted": pcs_pop_counted()/pcs_push_counted() (the hit paths,
 *    nolock).
 *  - Anything else (replacing main, flushing or bulk-filling it, reading
 *    the counters) is bracketed: pcs_main_fold() first, which moves the
 *    pending counts into stat_alloc/stat_free and clears them, then plain
 *    size changes with explicit stat_alloc/stat_free updates, then
 *    pcs_main_rebase() before unlocking.  No counted operation inside a
 *    bracket.  Because every change of main happens inside a bracket, a
 *    sheaf that is not main has no pops bits.
 * sheaf.c's pcs_trylock()/pcs_unlock() and pcs_lock_cpu()/pcs_unlock_cpu()
 * fold and rebase for their callers.
 *
 * A debug build (slab_assert.h) checks the rule: every locked helper
 * asserts the pcs lock word is set, the fold and the rebase open and close
 * the bracket in the pcs (pcs->bracket, kept by the lock holder only),
 * a counted operation asserts that no bracket is open and a bracketed one
 * that it is.
 *
 * The 48 bits of pops would take days of pops without a single slow path
 * on one CPU to wrap; the locked code folds at every main replacement and
 * at every counter read.
 */
#ifndef SLABSCALE_PCS_H
#define SLABSCALE_PCS_H

#include <stddef.h>
#include "percpu.h"

_Static_assert(sizeof(struct slub_percpu_sheaves) == 1u << PERCPU_SHIFT,
	       "percpu_trylock() indexes the sheaves by a shift");

#define SHEAF_POPS_SHIFT	16
#define SHEAF_SIZE_MASK		((1ul << SHEAF_POPS_SHIFT) - 1)
#define SHEAF_POP		((1ul << SHEAF_POPS_SHIFT) - 1)
#define SHEAF_PUSH		1ul

/* ---- debug builds: the lock and the bracket rule, asserted ---------------- */
#define pcs_assert_locked(pcs)	slab_assert(READ_ONCE((pcs)->lock))

#ifdef SLAB_DEBUG_ASSERT
/* only the lock holder opens, closes or looks at its pcs's bracket */
#define pcs_in_bracket(pcs)	((pcs)->bracket)

static inline void pcs_bracket_open(struct slub_percpu_sheaves *pcs)
{
	slab_assert(!pcs->bracket);
	pcs->bracket = 1;
}

static inline void pcs_bracket_close(struct slub_percpu_sheaves *pcs)
{
	slab_assert(pcs->bracket);
	pcs->bracket = 0;
}
#else
#define pcs_in_bracket(pcs)	false
#define pcs_bracket_open(pcs)	((void)0)
#define pcs_bracket_close(pcs)	((void)0)
#endif

/* the lock is held: account main's pending fast-path operations */
static inline void pcs_main_fold(struct slub_percpu_sheaves *pcs)
{
	struct slab_sheaf *main = pcs->main;
	unsigned long word = main->sizeword;
	unsigned long pops = word >> SHEAF_POPS_SHIFT;
	unsigned long size = word & SHEAF_SIZE_MASK;

	pcs_assert_locked(pcs);
	pcs_bracket_open(pcs);
	if (pops || size != pcs->main_base) {
		unsigned long pushes = pops + size - pcs->main_base;

		WRITE_ONCE(pcs->stat_alloc, pcs->stat_alloc + pops);
		WRITE_ONCE(pcs->stat_free, pcs->stat_free + pushes);
		/* every counted operation had a lock acquisition of its own */
		WRITE_ONCE(pcs->lock_acq, pcs->lock_acq + pops + pushes);
		main->sizeword = size;
	}
	pcs->main_base = size;
}

/* end of a bracket: main and its size may have changed, uncounted */
static inline void pcs_main_rebase(struct slub_percpu_sheaves *pcs)
{
	pcs_assert_locked(pcs);
	pcs_bracket_close(pcs);
	pcs->main_base = pcs->main->size;
}

/*
 * locked, outside a bracket: one counted pop from main (pcs->main, not
 * empty) or push to it
 */
static inline void *pcs_pop_counted(struct slub_percpu_sheaves *pcs,
				    struct slab_sheaf *main)
{
	pcs_assert_locked(pcs);
	slab_assert(main == pcs->main && main->size);
	slab_assert(!pcs_in_bracket(pcs));
	main->sizeword += SHEAF_POP;
	return main->objects[main->size];
}

static inline void pcs_push_counted(struct slub_percpu_sheaves *pcs,
				    struct slab_sheaf *main, void *object)
{
	pcs_assert_locked(pcs);
	slab_assert(main == pcs->main);
	slab_assert(!pcs_in_bracket(pcs));
	main->objects[main->size] = object;
	main->sizeword += SHEAF_PUSH;
}

/* locked, inside a bracket: one pop (main not empty) or push, counted */
static inline void *pcs_pop_locked(struct slub_percpu_sheaves *pcs)
{
	pcs_assert_locked(pcs);
	slab_assert(pcs->main->size);
	slab_assert(pcs_in_bracket(pcs));
	locked_inc(&pcs->stat_alloc);
	return pcs->main->objects[--pcs->main->size];
}

static inline void pcs_push_locked(struct slub_percpu_sheaves *pcs,
				   void *object)
{
	pcs_assert_locked(pcs);
	slab_assert(pcs_in_bracket(pcs));
	locked_inc(&pcs->stat_free);
	pcs->main->objects[pcs->main->size++] = object;
}

/* a locked path that does no counted operation: count its acquisition */
static inline void pcs_count_lock(struct slub_percpu_sheaves *pcs)
{
	WRITE_ONCE(pcs->lock_acq, pcs->lock_acq + 1);
}

/*
 * main is the bootstrap sheaf (a kmalloc bucket before kmalloc-sheaves):
 * unlock and let the caller go to the slabs, the first thing the
 * kernel's replace paths do for such a cache.  Nothing was ever counted
 * in the bootstrap sheaf (it is always empty and always full), so there
 * is nothing to fold.
 */
static inline void *pcs_bootstrap_backoff(struct slub_percpu_sheaves *pcs)
{
	percpu_unlock(&pcs->lock);
	return NULL;
}

/*
 * pcs is locked with no bracket open and main is empty: replace main and
 * pop from the new one.  NULL when nothing could replace it; pcs is
 * unlocked either way.
 */
static inline void *pcs_refill_pop(struct kmem_cache *s,
				   struct slub_percpu_sheaves *pcs, gfp_t gfp)
{
	void *object;

	pcs_count_lock(pcs);
	if (unlikely(!s->sheaf_capacity))
		return pcs_bootstrap_backoff(pcs);
	pcs_main_fold(pcs);
	pcs = __pcs_replace_empty_main(s, pcs, gfp);
	if (!pcs)
		return NULL;
	object = pcs_pop_locked(pcs);
	pcs_unlock(pcs);
	return object;
}

/* the same for a push to a full main; false when nothing could replace it */
static inline bool pcs_replace_push(struct kmem_cache *s,
				    struct slub_percpu_sheaves *pcs,
				    void *object, bool allow_spin)
{
	pcs_count_lock(pcs);
	if (unlikely(!s->sheaf_capacity)) {
		pcs_bootstrap_backoff(pcs);
		return false;
	}
	pcs_main_fold(pcs);
	pcs = __pcs_replace_full_main(s, pcs, allow_spin);
	if (!pcs)
		return false;
	pcs_push_locked(pcs, object);
	pcs_unlock(pcs);
	return true;
}

/*
 * The locked sheaf paths: trylock this CPU's sheaves (a failure is counted
 * as PCS_TRYLOCK_FAIL), then pop from main or push to it, replacing main
 * when it is empty or full.  NULL or false: the trylock failed or nothing
 * could replace main, and the caller goes to the slabs.  kmem_cache_alloc
 * and kmem_cache_free come here from their slow paths, with gfp and
 * allow_spin from their caller; kmalloc_nolock and kfree_nolock come here
 * with gfp 0 and allow_spin false, so a replacement only trylocks the barn.
 */
static __attribute__((always_inline)) inline void *
alloc_from_pcs(struct kmem_cache *s, gfp_t gfp)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	void *object;

	pcs = percpu_trylock(s->cpu_sheaves);
	if (unlikely(!pcs)) {
		stat(s, PCS_TRYLOCK_FAIL);
		return NULL;
	}
	main = pcs->main;
	if (unlikely(!main->size))
		return pcs_refill_pop(s, pcs, gfp);
	object = pcs_pop_counted(pcs, main);
	percpu_unlock(&pcs->lock);
	return object;
}

static __attribute__((always_inline)) inline bool
free_to_pcs(struct kmem_cache *s, void *object, bool allow_spin)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;

	pcs = percpu_trylock(s->cpu_sheaves);
	if (unlikely(!pcs)) {
		stat(s, PCS_TRYLOCK_FAIL);
		return false;
	}
	main = pcs->main;
	if (unlikely(main->size == s->sheaf_capacity))
		return pcs_replace_push(s, pcs, object, allow_spin);
	pcs_push_counted(pcs, main, object);
	percpu_unlock(&pcs->lock);
	return true;
}

#endif
