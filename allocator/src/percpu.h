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
 *    is taken in a restartable sequence: load our cpu_id, test the lock
 *    word of that CPU, store 1 as the committing instruction.  The kernel
 *    restarts the sequence if we were preempted or migrated before the
 *    commit, so two threads can never both take a CPU's lock, and no atomic
 *    instruction is needed (~1 ns instead of ~6 ns).  The holder may then
 *    migrate; it still owns the lock and releases it with a plain store.
 *  - Without rseq (valgrind, other architectures, SLABSCALE_NO_RSEQ=1,
 *    TSan builds) the lock is a compare-and-swap on the same word (or,
 *    on the sheaf fast paths, a fetch-or of bit 0: pcs.h).  The
 *    mode is chosen once, before the first cache exists, and never changes:
 *    mixing the two on one lock word would not be safe.
 *
 * Per-CPU counters use the same idea: a one-instruction add committed in a
 * restartable sequence, or a relaxed atomic add in the fallback.
 */
#ifndef SLABSCALE_PERCPU_H
#define SLABSCALE_PERCPU_H

#include <sched.h>
#include <stddef.h>
#include <sys/rseq.h>
#include "slab_internal.h"

#if defined(__x86_64__) && !defined(SLAB_NO_RSEQ_ASM)
#define SLAB_HAVE_RSEQ_ASM 1
#else
#define SLAB_HAVE_RSEQ_ASM 0
#endif

/*
 * The parts every restartable sequence here repeats.  A sequence numbered
 * n uses the local labels n0 (start over), n1 (first instruction of the
 * critical section), n2 (just after its committing instruction), n3 (its
 * descriptor) and n4 (abort handler); the asm needs a [sig] "i"(RSEQ_SIG)
 * operand.
 *
 * RSEQ_ASM_DEFINE(n): the descriptor (version, flags, start, length,
 * abort) in section __rseq_cs.
 * RSEQ_ASM_ENTER(n, tmp, where): point the thread's rseq_cs at it (tmp is
 * an operand name, where the rseq_cs field as an asm memory operand), and
 * open the critical section.
 * RSEQ_ASM_ABORT(n): in section __rseq_failure, the signature the kernel
 * checks (as the displacement of a ud1, never executed), then the abort
 * handler, which simply starts over.
 */
#define RSEQ_ASM_DEFINE(n)						\
	".pushsection __rseq_cs, \"aw\"\n\t"				\
	".balign 32\n\t"							\
	#n "3:\n\t"							\
	".long 0, 0\n\t"							\
	".quad " #n "1f, " #n "2f - " #n "1f, " #n "4f\n\t"			\
	".popsection\n\t"

#define RSEQ_ASM_ENTER(n, tmp, where)					\
	#n "0:\n\t"							\
	"leaq " #n "3b(%%rip), %[" #tmp "]\n\t"				\
	"movq %[" #tmp "], " where "\n\t"					\
	#n "1:\n\t"

#define RSEQ_ASM_ABORT(n)						\
	".pushsection __rseq_failure, \"ax\"\n\t"			\
	".byte 0x0f, 0xb9, 0x3d\n\t"					\
	".long %c[sig]\n\t"						\
	#n "4:\n\t"							\
	"jmp " #n "0b\n\t"						\
	".popsection\n\t"

static inline struct rseq *rseq_area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() +
			       __rseq_offset);
}

/*
 * Atomic mode: the per-CPU index this thread uses, plus one, times 64 (the
 * size of the per-CPU structures; 0: not chosen yet), so the fast path
 * finds its structure with one add.  It is the CPU the thread ran on when
 * it chose, and is chosen again when a trylock on it fails
 * (slab_cpu_repick()), so threads spread like CPUs without a system call
 * per operation.
 */
#define PERCPU_OFF_SHIFT	6
extern __thread unsigned long slab_thread_cpu_off
	__attribute__((tls_model("local-exec")));	/* one %fs: load */
/* rseq mode and glibc's rseq area where pcs.h's sequences expect it */
extern bool slab_rseq_offset_ok;
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
		return (slab_thread_cpu_off >> PERCPU_OFF_SHIFT) - 1;
	}
	return slab_cpu_id_slow();
}

#if SLAB_HAVE_RSEQ_ASM
/*
 * Take the lock word at base + cpu * stride for the CPU we run on, inside
 * a restartable sequence.  Returns that CPU, or -1 if the word was held
 * (by a thread, or claimed by percpu_lock_remote()).
 *
 * The descriptor (version, flags, start, length, abort) goes to section
 * __rseq_cs; the abort handler, preceded by the signature the kernel
 * checks, goes to __rseq_failure and simply starts over.
 */
static inline int rseq_trylock_percpu(void *base, unsigned long stride)
{
	long cpu;
	unsigned long tmp;

	__asm__ __volatile__(
		RSEQ_ASM_DEFINE(33)
		RSEQ_ASM_ENTER(33, tmp, "%%fs:8(%[off])")
		"movslq %%fs:4(%[off]), %[cpu]\n\t"
		"testq %[cpu], %[cpu]\n\t"
		"js 335f\n\t"
		"movq %[cpu], %[tmp]\n\t"
		"imulq %[stride], %[tmp]\n\t"
		"addq %[base], %[tmp]\n\t"
		"cmpl $0, (%[tmp])\n\t"
		"jne 335f\n\t"
		"movl $1, (%[tmp])\n\t"
		"332:\n\t"
		"jmp 336f\n\t"
		"335:\n\t"
		"movq $-1, %[cpu]\n\t"
		"jmp 336f\n\t"
		RSEQ_ASM_ABORT(33)
		"336:\n\t"
		: [cpu] "=&r"(cpu), [tmp] "=&r"(tmp)
		: [off] "r"(__rseq_offset), [base] "r"(base),
		  [stride] "r"(stride), [sig] "i"(RSEQ_SIG)
		: "memory", "cc");
	return (int)cpu;
}

/*
 * The same, for an array of power-of-two sized structures: returns the
 * address of the locked structure, or NULL.  This is the fast-path form;
 * asm goto lets a failure branch straight to the caller's slow path.
 */
static __attribute__((always_inline)) inline void *
rseq_trylock_percpu_ptr(void *base, unsigned int shift)
{
	unsigned long tmp;
	void *ptr;

	__asm__ __volatile__ goto(
		RSEQ_ASM_DEFINE(35)
		RSEQ_ASM_ENTER(35, tmp, "%%fs:8(%[off])")
		"movslq %%fs:4(%[off]), %[ptr]\n\t"
		"testq %[ptr], %[ptr]\n\t"
		"js %l[busy]\n\t"
		"shlq %[shift], %[ptr]\n\t"
		"addq %[base], %[ptr]\n\t"
		"cmpl $0, (%[ptr])\n\t"
		"jne %l[busy]\n\t"
		"movl $1, (%[ptr])\n\t"
		"352:\n\t"
		RSEQ_ASM_ABORT(35)
		: [ptr] "=&r"(ptr), [tmp] "=&r"(tmp)
		: [off] "r"(__rseq_offset), [base] "r"(base),
		  [shift] "i"(shift), [sig] "i"(RSEQ_SIG)
		: "memory", "cc"
		: busy);
	if (!ptr)
		__builtin_unreachable();
	return ptr;
busy:
	return NULL;
}

/* counter at base + cpu * stride += 1, for the CPU we run on */
static inline void rseq_inc_percpu(void *base, unsigned long stride,
				   unsigned long v)
{
	unsigned long tmp;

	__asm__ __volatile__(
		RSEQ_ASM_DEFINE(34)
		RSEQ_ASM_ENTER(34, tmp, "%%fs:8(%[off])")
		"movslq %%fs:4(%[off]), %[tmp]\n\t"
		"testq %[tmp], %[tmp]\n\t"
		"js 345f\n\t"
		"imulq %[stride], %[tmp]\n\t"
		"addq %[base], %[tmp]\n\t"
		"addq %[v], (%[tmp])\n\t"
		"342:\n\t"
		"jmp 346f\n\t"
		"345:\n\t"
		"lock addq %[v], (%[base])\n\t"
		"jmp 346f\n\t"
		RSEQ_ASM_ABORT(34)
		"346:\n\t"
		: [tmp] "=&r"(tmp)
		: [off] "r"(__rseq_offset), [base] "r"(base),
		  [stride] "r"(stride), [v] "r"(v), [sig] "i"(RSEQ_SIG)
		: "memory", "cc");
}
#endif

/*
 * Trylock the per-CPU lock word of the current CPU in an array of per-CPU
 * structures whose lock word is at offset 0.  Returns the CPU or -1.
 */
static inline int percpu_trylock(void *base, unsigned long stride)
{
	int cpu;
	unsigned int *lock, zero = 0;

#if SLAB_HAVE_RSEQ_ASM
	if (likely(slab_use_rseq))
		return rseq_trylock_percpu(base, stride);
#endif
	cpu = current_cpu();
	lock = (unsigned int *)((char *)base + (unsigned long)cpu * stride);
	if (__atomic_compare_exchange_n(lock, &zero, 1, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return cpu;
	return -1;
}

/* the fallback half of percpu_trylock_ptr(): rseq is known to be off */
static __attribute__((always_inline)) inline void *
percpu_trylock_ptr_atomic(void *base, unsigned int shift)
{
	unsigned int *lock, zero = 0;
	int cpu = current_cpu();

	lock = (unsigned int *)((char *)base + ((unsigned long)cpu << shift));
	if (likely(__atomic_compare_exchange_n(lock, &zero, 1, false,
					       __ATOMIC_ACQUIRE,
					       __ATOMIC_RELAXED)))
		return lock;
	slab_cpu_repick();
	return NULL;
}

/*
 * Fast-path form of percpu_trylock() for arrays of structures of size
 * 1 << shift whose lock word starts the structure: the address of the
 * locked structure, or NULL.
 */
static __attribute__((always_inline)) inline void *
percpu_trylock_ptr(void *base, const unsigned int shift)
{
#if SLAB_HAVE_RSEQ_ASM
	if (likely(slab_use_rseq))
		return rseq_trylock_percpu_ptr(base, shift);
#endif
	return percpu_trylock_ptr_atomic(base, shift);
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
void percpu_lock_remote(unsigned int *lock, int cpu);
bool percpu_trylock_remote(unsigned int *lock, int cpu);
void percpu_unlock_remote(unsigned int *lock);

static inline void percpu_unlock(unsigned int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

static inline void percpu_add(void *base, unsigned long stride,
			      unsigned long v)
{
	int cpu;

#if SLAB_HAVE_RSEQ_ASM
	if (likely(slab_use_rseq)) {
		rseq_inc_percpu(base, stride, v);
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
