/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pcs.h - the lockless half of the per-CPU sheaves: a pop from or a push to
 * this CPU's main sheaf in one restartable sequence, and the statistics it
 * keeps without a store of its own.
 *
 * The protocol.  Every other user of a CPU's sheaves takes its lock word
 * (percpu.h): the slow paths, the atomic-mode fast paths, remote flushers.
 * The lockless sequence never takes it; in one rseq critical section it
 *
 *	reads our cpu_id and finds that CPU's slub_percpu_sheaves (a
 *	guard entry, always locked, for the negative "no CPU" ids),
 *	checks that the lock word is 0 (else: slow path),
 *	loads main and main->sizeword, checks the size (else: slow path),
 *	reads the object (pop) or writes it above the top (push),
 *	and commits by storing the new sizeword.
 *
 * Against another thread on the same CPU the sequence is atomic: if either
 * is preempted, migrated or signalled before the commit, the kernel restarts
 * the sequence.  A thread that takes the lock does so in its own sequence
 * on that CPU, so it cannot interleave with ours either, and while it holds
 * the lock (even after migrating) our check sends us to the slow path.  A
 * remote locker swaps the word to PERCPU_REMOTE and then aborts every
 * sequence in flight on the CPU with membarrier(): a sequence either
 * committed before, and the locker sees its effect, or restarts and sees
 * the word taken.  A push stores the object above the top before its
 * commit; if it is aborted the slot is still above the top and nobody
 * looks at it.  So the main sheaf stays a plain array with a size, which
 * the locked code keeps using as before.
 *
 * Statistics.  ALLOC_PCS/FREE_PCS cannot be a second store in the sequence
 * (an abort between the two would count twice), so sizeword holds the size
 * in its low 16 bits and the number of pops since the last fold above them:
 * a pop adds SHEAF_POP (size - 1, pops + 1), a push adds 1.  The pushes
 * follow: pushes = pops + (size now - size at the last fold), and the
 * size at the last fold is pcs->main_base.
 *
 * The rule for locked code (all of it runs with the pcs lock held):
 *  - A single pop or push on main with nothing else changed may be
 *    "counted": pcs_pop_counted()/pcs_push_counted() update sizeword the
 *    same way the sequence does (the atomic-mode fast paths, nolock).
 *  - Anything else (replacing main, flushing or bulk-filling it, reading
 *    the statistics) is bracketed: pcs_main_fold() first, which moves the
 *    pending counts into stat_alloc/stat_free and clears them, then plain
 *    size changes with explicit stat_alloc/stat_free updates, then
 *    pcs_main_rebase() before unlocking.  No counted operation inside a
 *    bracket.  Because every change of main happens inside a bracket, a
 *    sheaf that is not main has no pops bits.
 * sheaf.c's pcs_trylock()/pcs_unlock() and pcs_lock_cpu()/pcs_unlock_cpu()
 * fold and rebase for their callers.
 *
 * The 48 bits of pops would take days of pops without a single slow path
 * on one CPU to wrap; the locked code folds at every main replacement and
 * at every statistics read.
 */
#ifndef SLABSCALE_PCS_H
#define SLABSCALE_PCS_H

#include <stddef.h>
#include "percpu.h"
#include "rseq_offset.h"	/* generated: SLAB_RSEQ_OFFSET */

/*
 * Two always-locked slub_percpu_sheaves sit below cpu_sheaves[0], so the
 * sequences need no sign test of cpu_id: a thread whose rseq area says -1
 * (not registered yet) or -2 (registration failed) finds a taken lock and
 * goes to the slow path, which checks properly.
 */
#define PCS_GUARDS		2
#define PCS_GUARD_LOCKED	3u

/*
 * Whether the lockless sequences serve sheaf caches in this process: rseq
 * mode, glibc's rseq area where the build expects it, one node (they do
 * not know nodes).
 */
static inline bool pcs_lockless(void)
{
	return slab_rseq_offset_ok && nr_node_ids == 1;
}

/*
 * Whether atomic mode's fast paths serve sheaf caches: no rseq (valgrind,
 * TSan, SLABSCALE_NO_RSEQ=1, other architectures), one node.
 */
static inline bool pcs_atomic(void)
{
	return !slab_use_rseq && nr_node_ids == 1;
}

/*
 * s->fast_sheaves: the sheaves array, tagged with PCS_FAST_ATOMIC when
 * atomic mode's fast path serves it (the array is cache-line aligned).
 */
#define PCS_FAST_ATOMIC		1ul

/*
 * Atomic mode's fast path, first half: the sheaves of this thread's
 * per-CPU index in the array that fast (tagged) names.
 * slab_thread_cpu_off is (index + 1) << PERCPU_OFF_SHIFT, so before the
 * thread has chosen an index (0) this is the guard entry below
 * cpu_sheaves[0], always locked: no test of its own, and the caller's miss
 * handler tells the two failures apart by slab_thread_cpu_off.
 */
_Static_assert(PCS_SHIFT == PERCPU_OFF_SHIFT && PCS_GUARDS >= 1,
	       "slab_thread_cpu_off indexes the sheaves and their guard");

static __attribute__((always_inline)) inline struct slub_percpu_sheaves *
pcs_atomic_this_cpu(unsigned long fast)
{
	return (struct slub_percpu_sheaves *)(fast - PCS_FAST_ATOMIC +
					      slab_thread_cpu_off -
					      (1ul << PERCPU_OFF_SHIFT));
}

/*
 * Second half: trylock it.  A fetch-or of bit 0 rather than a
 * compare-and-swap (a taken word has bit 0 set and keeps its value,
 * percpu.h): one lock bts, one instruction fewer on the path that valgrind
 * counts.
 */
static __attribute__((always_inline)) inline bool
pcs_trylock_atomic(struct slub_percpu_sheaves *pcs)
{
	return !(__atomic_fetch_or(&pcs->lock, 1u, __ATOMIC_ACQUIRE) & 1u);
}

#define SHEAF_POPS_SHIFT	16
#define SHEAF_SIZE_MASK		((1ul << SHEAF_POPS_SHIFT) - 1)
#define SHEAF_POP		((1ul << SHEAF_POPS_SHIFT) - 1)
#define SHEAF_PUSH		1ul

/* the lock is held: account main's pending fast-path operations */
static inline void pcs_main_fold(struct slub_percpu_sheaves *pcs)
{
	struct slab_sheaf *main = pcs->main;
	unsigned long word = main->sizeword;
	unsigned long pops = word >> SHEAF_POPS_SHIFT;
	unsigned long size = word & SHEAF_SIZE_MASK;

	if (pops || size != pcs->main_base) {
		WRITE_ONCE(pcs->stat_alloc, pcs->stat_alloc + pops);
		WRITE_ONCE(pcs->stat_free,
			   pcs->stat_free + pops + size - pcs->main_base);
		main->sizeword = size;
	}
	pcs->main_base = size;
}

/* end of a bracket: main and its size may have changed, uncounted */
static inline void pcs_main_rebase(struct slub_percpu_sheaves *pcs)
{
	pcs->main_base = pcs->main->size;
}

/* locked, outside a bracket: one counted pop (main not empty) or push */
static inline void *pcs_pop_counted(struct slab_sheaf *main)
{
	main->sizeword += SHEAF_POP;
	return main->objects[main->size];
}

static inline void pcs_push_counted(struct slab_sheaf *main, void *object)
{
	main->objects[main->size] = object;
	main->sizeword += SHEAF_PUSH;
}

/* locked, inside a bracket: one pop (main not empty) or push, counted */
static inline void *pcs_pop_locked(struct slub_percpu_sheaves *pcs)
{
	locked_inc(&pcs->stat_alloc);
	return pcs->main->objects[--pcs->main->size];
}

static inline void pcs_push_locked(struct slub_percpu_sheaves *pcs,
				   void *object)
{
	locked_inc(&pcs->stat_free);
	pcs->main->objects[pcs->main->size++] = object;
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
 * and kmem_cache_free come here when their fast path missed, with gfp and
 * allow_spin from their caller; kmalloc_nolock and kfree_nolock come here
 * with gfp 0 and allow_spin false, so a replacement only trylocks the barn.
 */
static __attribute__((always_inline)) inline void *
alloc_from_pcs(struct kmem_cache *s, gfp_t gfp)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	void *object;

	pcs = percpu_trylock_ptr(s->cpu_sheaves, PCS_SHIFT);
	if (unlikely(!pcs)) {
		stat(s, PCS_TRYLOCK_FAIL);
		return NULL;
	}
	main = pcs->main;
	if (unlikely(!main->size))
		return pcs_refill_pop(s, pcs, gfp);
	object = pcs_pop_counted(main);
	percpu_unlock(&pcs->lock);
	return object;
}

static __attribute__((always_inline)) inline bool
free_to_pcs(struct kmem_cache *s, void *object, bool allow_spin)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;

	pcs = percpu_trylock_ptr(s->cpu_sheaves, PCS_SHIFT);
	if (unlikely(!pcs)) {
		stat(s, PCS_TRYLOCK_FAIL);
		return false;
	}
	main = pcs->main;
	if (unlikely(main->size == s->sheaf_capacity))
		return pcs_replace_push(s, pcs, object, allow_spin);
	pcs_push_counted(main, object);
	percpu_unlock(&pcs->lock);
	return true;
}

#if SLAB_HAVE_RSEQ_ASM
/*
 * glibc's struct rseq is at a fixed offset from the thread pointer, probed
 * at build time (allocator/tools/rseq_offset.c) so that the sequences take
 * it as an immediate rather than load __rseq_offset every time.
 * s->fast_sheaves names no array for them unless percpu_init() found
 * the same offset.
 */
#define PCS_RSEQ_ASM_OPERANDS						\
	[cs] "i"(SLAB_RSEQ_OFFSET + offsetof(struct rseq, rseq_cs)),	\
	[cpu] "i"(SLAB_RSEQ_OFFSET + offsetof(struct rseq, cpu_id)),	\
	[base] "r"(base),						\
	[o_main] "i"(offsetof(struct slub_percpu_sheaves, main)),	\
	[o_word] "i"(offsetof(struct slab_sheaf, sizeword)),		\
	[o_objs] "i"(offsetof(struct slab_sheaf, objects)),		\
	[shift] "i"(PCS_SHIFT), [sig] "i"(RSEQ_SIG)

/*
 * The start of both sequences: this CPU's slub_percpu_sheaves (base +
 * cpu_id << PCS_SHIFT), to the slow path if its lock is taken, then its
 * main sheaf into %[pcs] and main's size word into %[word].
 */
#define PCS_ASM_LOAD_MAIN						\
	"movslq %%fs:%c[cpu], %[pcs]\n\t"				\
	"shlq %[shift], %[pcs]\n\t"					\
	"addq %[base], %[pcs]\n\t"					\
	"cmpl $0, (%[pcs])\n\t"						\
	"jne %l[slow]\n\t"						\
	"movq %c[o_main](%[pcs]), %[pcs]\n\t"				\
	"movq %c[o_word](%[pcs]), %[word]\n\t"

/*
 * Pop an object from this CPU's main sheaf of the array at base, or NULL
 * when the lock is taken, main is empty or rseq has no CPU for us.
 *
 * The slot is addressed with a leaq and then a plain (%reg) access, in
 * the pop and in the push.  The indexed form, objects(main, idx, 8), is
 * one instruction shorter but made an alloc+free pair 2.3 times slower on
 * this machine (a pop reading the slot the previous push wrote); see
 * allocator/README.md before changing it.
 */
static __attribute__((always_inline)) inline void *
rseq_sheaf_pop(struct slub_percpu_sheaves *base)
{
	unsigned long pcs, word;
	void *object;

	__asm__ __volatile__ goto(
		RSEQ_ASM_DEFINE(36)
		RSEQ_ASM_ENTER(36, pcs, "%%fs:%c[cs]")
		PCS_ASM_LOAD_MAIN
		"testw %w[word], %w[word]\n\t"
		"jz %l[slow]\n\t"
		"addq %[pop], %[word]\n\t"
		"movzwl %w[word], %k[obj]\n\t"
		"leaq %c[o_objs](%[pcs], %[obj], 8), %[obj]\n\t"
		"movq (%[obj]), %[obj]\n\t"
		"movq %[word], %c[o_word](%[pcs])\n\t"
		"362:\n\t"
		RSEQ_ASM_ABORT(36)
		: [pcs] "=&r"(pcs), [word] "=&r"(word), [obj] "=&r"(object)
		: PCS_RSEQ_ASM_OPERANDS, [pop] "i"(SHEAF_POP)
		: "memory", "cc"
		: slow);
	if (!object)		/* sheaves hold no NULL */
		__builtin_unreachable();
	return object;
slow:
	return NULL;
}

/*
 * Push object to this CPU's main sheaf of the array at base; false when
 * the lock is taken, main holds capacity objects or rseq has no CPU.
 */
static __attribute__((always_inline)) inline bool
rseq_sheaf_push(struct slub_percpu_sheaves *base, void *object,
		unsigned int capacity)
{
	unsigned long pcs, word, size;

	__asm__ __volatile__ goto(
		RSEQ_ASM_DEFINE(37)
		RSEQ_ASM_ENTER(37, pcs, "%%fs:%c[cs]")
		PCS_ASM_LOAD_MAIN
		"movzwl %w[word], %k[size]\n\t"
		"cmpl %[cap], %k[size]\n\t"
		"jae %l[slow]\n\t"
		"leaq %c[o_objs](%[pcs], %[size], 8), %[size]\n\t"
		"movq %[object], (%[size])\n\t"
		"addq $1, %[word]\n\t"
		"movq %[word], %c[o_word](%[pcs])\n\t"
		"372:\n\t"
		RSEQ_ASM_ABORT(37)
		: [pcs] "=&r"(pcs), [word] "=&r"(word), [size] "=&r"(size)
		: PCS_RSEQ_ASM_OPERANDS, [object] "r"(object),
		  [cap] "rm"(capacity)
		: "memory", "cc"
		: slow);
	return true;
slow:
	return false;
}
#endif /* SLAB_HAVE_RSEQ_ASM */

#endif
