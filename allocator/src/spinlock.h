/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spinlock.h - a ticket spinlock standing in for the kernel's
 * spin_lock_irqsave (barn lock, node list_lock, zone lock).  Tickets keep
 * it fair under contention like qspinlock; a waiter yields the CPU after a
 * while because, unlike in the kernel, the holder may be preempted.
 */
#ifndef SLABSCALE_SPINLOCK_H
#define SLABSCALE_SPINLOCK_H

#include <sched.h>
#include <stdbool.h>

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax()	__builtin_ia32_pause()
#else
#define cpu_relax()	__asm__ __volatile__("" ::: "memory")
#endif

/* owner in the low half, next ticket in the high half of one word */
typedef union {
	struct {
		unsigned short owner;
		unsigned short next;
	};
	unsigned int word;
} spinlock_t;

#define SPINLOCK_INIT	{ .word = 0 }

static inline void spin_lock_init(spinlock_t *l)
{
	__atomic_store_n(&l->word, 0, __ATOMIC_RELAXED);
}

static inline void spin_lock(spinlock_t *l)
{
	unsigned short me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	unsigned int spins = 0;

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me) {
		if (++spins > 64)
			sched_yield();
		else
			cpu_relax();
	}
}

static inline bool spin_trylock(spinlock_t *l)
{
	unsigned int v = __atomic_load_n(&l->word, __ATOMIC_RELAXED);
	unsigned short owner = v & 0xffff, next = v >> 16;
	unsigned int nv;

	if (owner != next)
		return false;
	nv = owner | ((unsigned int)(unsigned short)(next + 1) << 16);
	return __atomic_compare_exchange_n(&l->word, &v, nv, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *l)
{
	unsigned short o = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);

	__atomic_store_n(&l->owner, (unsigned short)(o + 1), __ATOMIC_RELEASE);
}

#endif
