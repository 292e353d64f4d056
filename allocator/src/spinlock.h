/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spinlock.h - a test-and-test-and-set spinlock standing in for the
 * kernel's spin_lock_irqsave (barn lock, node list_lock, zone lock).
 *
 * Why not tickets (qspinlock's fairness): in the kernel the holder and the
 * waiters run with preemption off; here any of them may be preempted.  A
 * ticket lock hands the lock to the next waiter in line even when that
 * waiter is not running, so every preempted waiter stalls everyone behind
 * it for a time slice.  With one CPU hog beside page_fault3_slab -t 2 on
 * sheaves-all (list_lock taken for every bulk flush) tickets ran at 0.2-0.5 M
 * per thread against cpuslab's 4.3-4.7 M.  Here whoever runs takes the lock,
 * and a waiter yields its CPU after a short spin, which lets a preempted
 * holder run again.
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

typedef struct {
	unsigned int locked;
} spinlock_t;

#define SPINLOCK_INIT	{ .locked = 0 }

static inline void spin_lock_init(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELAXED);
}

static inline bool spin_trylock(spinlock_t *l)
{
	return !__atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
	       !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(spinlock_t *l)
{
	unsigned int spins = 0;

	while (!spin_trylock(l)) {
		if (++spins > 64)
			sched_yield();
		else
			cpu_relax();
	}
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
