/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spinlock.h - a test-and-test-and-set spinlock standing in for the
 * kernel's spin_lock_irqsave (barn lock, node list_lock, zone lock), with
 * lock statistics like the kernel's lock_stat.
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
 *
 * Statistics, per lock (struct lock_stat): acquisitions, the acquisitions
 * that found the lock held and waited (contended) with the time they
 * waited, and trylocks that failed.  The holder updates the first three
 * with plain increments (it owns the lock's cache line anyway); a failed
 * trylock does not own the lock and adds atomically.  Only a contended
 * acquisition reads the clock, so an uncontended one costs an increment.
 * Readers sum racily (lock_stat_read()).
 *
 * A debug build (-DSLAB_DEBUG_ASSERT, slab_assert.h) also records the
 * holding thread, for slab_lockdep_assert_held().
 */
#ifndef SLABSCALE_SPINLOCK_H
#define SLABSCALE_SPINLOCK_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <time.h>
#include "slab_assert.h"

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax()	__builtin_ia32_pause()
#else
#define cpu_relax()	__asm__ __volatile__("" ::: "memory")
#endif

struct lock_stat {
	unsigned long acquired;		/* successful lock and trylock */
	unsigned long contended;	/* ... that had to wait first */
	unsigned long wait_ns;		/* time those waited */
	unsigned long trylock_failed;	/* trylocks that found it held */
};

typedef struct {
	unsigned int locked;
	struct lock_stat stat;
#ifdef SLAB_DEBUG_ASSERT
	unsigned long owner;		/* pthread_self() of the holder, or 0 */
#endif
} spinlock_t;

#ifdef SLAB_DEBUG_ASSERT
static inline void spin_set_owner(spinlock_t *l, bool held)
{
	__atomic_store_n(&l->owner, held ? (unsigned long)pthread_self() : 0,
			 __ATOMIC_RELAXED);
}

/* slab_lockdep_assert_held(): this thread holds l */
static inline bool spin_is_held(spinlock_t *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&l->owner, __ATOMIC_RELAXED) ==
	       (unsigned long)pthread_self();
}
#endif

#define SPINLOCK_INIT	{ .locked = 0 }

static inline void spin_lock_init(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELAXED);
	l->stat = (struct lock_stat){ 0 };
}

/* the holder's increments: plain, but TSan must see them as racy reads */
static inline void lock_stat_add(unsigned long *p, unsigned long v)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + v,
			 __ATOMIC_RELAXED);
}

static inline unsigned long lock_stat_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ul + ts.tv_nsec;
}

static inline bool __spin_trylock(spinlock_t *l)
{
#ifdef SLAB_DEBUG_ASSERT
	if (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) ||
	    __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		return false;
	spin_set_owner(l, true);
	return true;
#else
	return !__atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
	       !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
#endif
}

static inline bool spin_trylock(spinlock_t *l)
{
	if (__spin_trylock(l)) {
		lock_stat_add(&l->stat.acquired, 1);
		return true;
	}
	__atomic_fetch_add(&l->stat.trylock_failed, 1, __ATOMIC_RELAXED);
	return false;
}

static __attribute__((noinline, unused)) void
spin_lock_contended(spinlock_t *l)
{
	unsigned long start = lock_stat_now_ns();
	unsigned int spins = 0;

	while (!__spin_trylock(l)) {
		if (++spins > 64)
			sched_yield();
		else
			cpu_relax();
	}
	lock_stat_add(&l->stat.acquired, 1);
	lock_stat_add(&l->stat.contended, 1);
	lock_stat_add(&l->stat.wait_ns, lock_stat_now_ns() - start);
}

static inline void spin_lock(spinlock_t *l)
{
	if (__builtin_expect(__spin_trylock(l), 1)) {
		lock_stat_add(&l->stat.acquired, 1);
		return;
	}
	spin_lock_contended(l);
}

static inline void spin_unlock(spinlock_t *l)
{
#ifdef SLAB_DEBUG_ASSERT
	spin_set_owner(l, false);
#endif
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* sum of a lock's statistics into *sum, read without the lock */
static inline void lock_stat_read(const struct lock_stat *st,
				  struct lock_stat *sum)
{
	sum->acquired += __atomic_load_n(&st->acquired, __ATOMIC_RELAXED);
	sum->contended += __atomic_load_n(&st->contended, __ATOMIC_RELAXED);
	sum->wait_ns += __atomic_load_n(&st->wait_ns, __ATOMIC_RELAXED);
	sum->trylock_failed += __atomic_load_n(&st->trylock_failed,
					       __ATOMIC_RELAXED);
}

#endif
