/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rseq.h - every restartable sequence of the allocator, in one place.
 *
 * A restartable sequence stands in for the kernel's "preemption off" on a
 * per-CPU structure: the code between a sequence's start and its
 * committing instruction is restarted by the kernel whenever the thread is
 * preempted, migrated or signalled inside it, so a change that becomes
 * visible only through the committing instruction is atomic with respect
 * to every other thread on that CPU, without an atomic instruction.
 *
 * glibc registers one struct rseq per thread at a fixed offset from the
 * thread pointer.  The build probes that offset (allocator/tools/
 * rseq_offset.c -> build/allocator-gen/rseq_offset.h) so the sequences can
 * address the area as %fs:imm; percpu_init() checks it against
 * __rseq_offset and uses atomic mode (percpu.h) if it differs.
 *
 * The per-CPU structures the sequences work on are arrays of 64-byte
 * (1 << PERCPU_SHIFT) entries whose first word is the per-CPU lock word
 * (0: free), with two always-locked guard entries below entry 0, so that
 * a thread whose cpu_id is still -1 (not registered) or -2 (registration
 * failed) simply finds a taken lock and takes the slow path.
 *
 * The sequences:
 *   rseq_trylock()       the per-CPU trylock: test the word, store 1
 *                        (commit).  The sheaf fast paths and every locked
 *                        user of a per-CPU structure take it so.
 *   rseq_percpu_add()    a per-CPU counter += v (commit: the add), for
 *                        arrays of any stride (the counter rows).
 *   rseq_cpu_slab_pop()  the cpu slab's allocation fast path: with the
 *                        lock word free, pop c->freelist, commit with an
 *                        unlocked cmpxchg16b of (freelist, tid), as the
 *                        kernel's this_cpu_try_cmpxchg128.
 *   rseq_cpu_slab_push() the cpu slab's free fast path, likewise.
 *
 * Local labels: a sequence numbered n uses n0 (start over), n1 (first
 * instruction of the critical section), n2 (after the committing
 * instruction), n3 (its descriptor) and n4 (abort handler); the asm needs
 * a [sig] "i"(RSEQ_SIG) operand, and [cs]/[cpu] for the area's fields.
 */
#ifndef SLABSCALE_RSEQ_H
#define SLABSCALE_RSEQ_H

#include <stddef.h>
#include <sys/rseq.h>
#include "rseq_offset.h"	/* generated: SLAB_RSEQ_OFFSET */

#if defined(__x86_64__) && !defined(SLAB_NO_RSEQ_ASM)
#define SLAB_HAVE_RSEQ_ASM 1
#else
#define SLAB_HAVE_RSEQ_ASM 0
#endif

#define PERCPU_SHIFT	6	/* log2 of every per-CPU entry's size */
#define PERCPU_GUARDS	2	/* locked entries below entry 0 */
#define PERCPU_GUARD_LOCKED 3u

static inline struct rseq *rseq_area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() +
			       __rseq_offset);
}

#if SLAB_HAVE_RSEQ_ASM

/* cpu_id of this thread's area (rseq mode only: SLAB_RSEQ_OFFSET holds) */
static inline int rseq_cpu_id(void)
{
	return *(volatile int *)((char *)__builtin_thread_pointer() +
				 SLAB_RSEQ_OFFSET +
				 offsetof(struct rseq, cpu_id));
}

/* the descriptor (version, flags, start, length, abort) of sequence n */
#define RSEQ_ASM_DEFINE(n)						\
	".pushsection __rseq_cs, \"aw\"\n\t"				\
	".balign 32\n\t"							\
	#n "3:\n\t"							\
	".long 0, 0\n\t"							\
	".quad " #n "1f, " #n "2f - " #n "1f, " #n "4f\n\t"			\
	".popsection\n\t"

/* point the thread's rseq_cs at the descriptor (tmp: a scratch operand) */
#define RSEQ_ASM_ENTER(n, tmp)						\
	#n "0:\n\t"							\
	"leaq " #n "3b(%%rip), %[" #tmp "]\n\t"				\
	"movq %[" #tmp "], %%fs:%c[cs]\n\t"				\
	#n "1:\n\t"

/*
 * In section __rseq_failure: the signature the kernel checks before the
 * abort handler (as the displacement of a ud1 that never executes), then
 * the handler, which starts over.
 */
#define RSEQ_ASM_ABORT(n)						\
	".pushsection __rseq_failure, \"ax\"\n\t"			\
	".byte 0x0f, 0xb9, 0x3d\n\t"					\
	".long %c[sig]\n\t"						\
	#n "4:\n\t"							\
	"jmp " #n "0b\n\t"						\
	".popsection\n\t"

/* base + cpu_id << PERCPU_SHIFT into reg, cpu_id sign-extended */
#define RSEQ_ASM_THIS_CPU(reg)						\
	"movslq %%fs:%c[cpu], %[" #reg "]\n\t"				\
	"shlq $6, %[" #reg "]\n\t"					\
	"addq %[base], %[" #reg "]\n\t"

#define RSEQ_ASM_AREA							\
	[cs] "i"(SLAB_RSEQ_OFFSET + offsetof(struct rseq, rseq_cs)),	\
	[cpu] "i"(SLAB_RSEQ_OFFSET + offsetof(struct rseq, cpu_id)),	\
	[sig] "i"(RSEQ_SIG)

_Static_assert(PERCPU_SHIFT == 6, "RSEQ_ASM_THIS_CPU shifts by 6");

/*
 * Take the lock word of this CPU's entry of the array at base: the entry,
 * or NULL when the word was taken (a holder, a remote locker, a guard).
 * The commit is the store of 1; afterwards the thread owns the word and
 * may migrate, and releases it with a plain store (percpu_unlock()).
 */
static __attribute__((always_inline)) inline void *
rseq_trylock(void *base)
{
	void *entry;

	__asm__ __volatile__ goto(
		RSEQ_ASM_DEFINE(31)
		RSEQ_ASM_ENTER(31, entry)
		RSEQ_ASM_THIS_CPU(entry)
		"cmpl $0, (%[entry])\n\t"
		"jne %l[busy]\n\t"
		"movl $1, (%[entry])\n\t"
		"312:\n\t"
		RSEQ_ASM_ABORT(31)
		: [entry] "=&r"(entry)
		: [base] "r"(base), RSEQ_ASM_AREA
		: "memory", "cc"
		: busy);
	if (!entry)
		__builtin_unreachable();
	return entry;
busy:
	return NULL;
}

/*
 * *(base + cpu_id * stride) += v for the CPU we run on (counters); a
 * thread without a CPU yet adds to entry 0 with a locked add.
 */
static __attribute__((always_inline)) inline void
rseq_percpu_add(void *base, unsigned long stride, unsigned long v)
{
	unsigned long entry;

	__asm__ __volatile__(
		RSEQ_ASM_DEFINE(32)
		RSEQ_ASM_ENTER(32, entry)
		"movslq %%fs:%c[cpu], %[entry]\n\t"
		"testq %[entry], %[entry]\n\t"
		"js 325f\n\t"
		"imulq %[stride], %[entry]\n\t"
		"addq %[base], %[entry]\n\t"
		"addq %[v], (%[entry])\n\t"
		"322:\n\t"
		"jmp 326f\n\t"
		"325:\n\t"
		"lock addq %[v], (%[base])\n\t"
		"jmp 326f\n\t"
		RSEQ_ASM_ABORT(32)
		"326:\n\t"
		: [entry] "=&r"(entry)
		: [base] "r"(base), [stride] "r"(stride), [v] "r"(v),
		  RSEQ_ASM_AREA
		: "memory", "cc");
}

/*
 * The cpu slab's fast paths (cpu_slab.h has the protocol).  struct
 * kmem_cache_cpu is laid out as: lock word at 0, (freelist, tid) at
 * CPU_SLAB_FL (16-byte aligned), the cpu slab at CPU_SLAB_SLAB.
 *
 * Pop: with the lock free, a non-empty freelist and a cpu slab, load the
 * object's free pointer and replace (object, tid) by (next, tid + delta)
 * with cmpxchg16b - not locked: the sequence already excludes every other
 * thread of this CPU, and the kernel's this_cpu_try_cmpxchg128 is the same
 * unlocked instruction, so the fast path costs what the kernel's costs.
 * The commit is the cmpxchg16b itself; should it fail (nothing in rseq
 * mode can make it), the sequence starts over.  The next object's free
 * pointer is prefetched, as the kernel does.
 */
#define CPU_SLAB_FL	16
#define CPU_SLAB_SLAB	32

static __attribute__((always_inline)) inline void *
rseq_cpu_slab_pop(void *base, unsigned long offset, const long delta)
{
	unsigned long c, tid, ntid;
	void *object, *next;

	__asm__ __volatile__ goto(
		RSEQ_ASM_DEFINE(33)
		RSEQ_ASM_ENTER(33, c)
		RSEQ_ASM_THIS_CPU(c)
		"cmpl $0, (%[c])\n\t"
		"jne %l[slow]\n\t"
		"movq %c[fl](%[c]), %%rax\n\t"
		"movq %c[fl]+8(%[c]), %%rdx\n\t"
		"testq %%rax, %%rax\n\t"
		"jz %l[slow]\n\t"
		"cmpq $0, %c[slab](%[c])\n\t"
		"je %l[slow]\n\t"
		"movq (%%rax, %[off]), %%rbx\n\t"
		"leaq %c[delta](%%rdx), %%rcx\n\t"
		"cmpxchg16b %c[fl](%[c])\n\t"
		"332:\n\t"
		"jnz 330b\n\t"
		"prefetcht0 (%%rbx, %[off])\n\t"
		RSEQ_ASM_ABORT(33)
		: [c] "=&r"(c), "=&a"(object), "=&d"(tid), "=&b"(next),
		  "=&c"(ntid)
		: [base] "r"(base), [off] "r"(offset), [delta] "i"(delta),
		  [fl] "i"(CPU_SLAB_FL), [slab] "i"(CPU_SLAB_SLAB),
		  RSEQ_ASM_AREA
		: "memory", "cc"
		: slow);
	(void)tid;
	(void)next;
	(void)ntid;
	if (!object)
		__builtin_unreachable();
	return object;
slow:
	return NULL;
}

/*
 * Push the chain head..tail (cnt objects of slab, delta accounting for
 * them) onto this CPU's freelist if slab is this CPU's cpu slab: 1 done,
 * 0 the lock is taken (slow path), -1 slab is not the cpu slab (free to
 * the slab).  tail's free pointer is written inside the sequence; if the
 * sequence restarts it is simply written again.
 */
static __attribute__((always_inline)) inline int
rseq_cpu_slab_push(void *base, unsigned long offset, unsigned long delta,
		   void *slab, void *head, void *tail)
{
	unsigned long c, fl, tid, ntid;

	__asm__ __volatile__ goto(
		RSEQ_ASM_DEFINE(34)
		RSEQ_ASM_ENTER(34, c)
		RSEQ_ASM_THIS_CPU(c)
		"cmpl $0, (%[c])\n\t"
		"jne %l[slow]\n\t"
		"cmpq %[slab], %c[slabo](%[c])\n\t"
		"jne %l[other]\n\t"
		"movq %c[fl](%[c]), %%rax\n\t"
		"movq %c[fl]+8(%[c]), %%rdx\n\t"
		"movq %%rax, (%[tail], %[off])\n\t"
		"leaq (%%rdx, %[delta]), %%rcx\n\t"
		"cmpxchg16b %c[fl](%[c])\n\t"
		"342:\n\t"
		"jnz 340b\n\t"
		RSEQ_ASM_ABORT(34)
		: [c] "=&r"(c), "=&a"(fl), "=&d"(tid), "=&c"(ntid)
		: [base] "r"(base), [off] "r"(offset), [delta] "r"(delta),
		  [slab] "r"(slab), "b"(head), [tail] "r"(tail),
		  [fl] "i"(CPU_SLAB_FL), [slabo] "i"(CPU_SLAB_SLAB),
		  RSEQ_ASM_AREA
		: "memory", "cc"
		: slow, other);
	(void)fl;
	(void)tid;
	(void)ntid;
	return 1;
slow:
	return 0;
other:
	return -1;
}

#endif /* SLAB_HAVE_RSEQ_ASM */
#endif
