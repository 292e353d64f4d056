/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * slab_assert.h - the allocator's invariants as assertions, compiled in
 * only by a debug build (-DSLAB_DEBUG_ASSERT: the allocator test matrix's
 * "assert" column, allocator/allocator.mk), as the kernel's
 * VM_BUG_ON()/lockdep_assert_held() are only with CONFIG_DEBUG_VM and
 * CONFIG_LOCKDEP.  In every other build they expand to nothing that is
 * evaluated, so the code is the same as without them.
 *
 *   slab_assert(cond)              cond holds, else slab_assert_fail():
 *                                  "slab: assertion failed: <cond>
 *                                  (<file>:<line> <function>)" on stderr
 *                                  and abort()
 *   slab_lockdep_assert_held(l)    this thread holds spinlock l (zone
 *                                  lock, list_lock, barn lock): in a debug
 *                                  build spin_lock() records the holder
 *
 * The per-CPU locks (pcs, cpu slab) and the counter brackets have their
 * own helpers beside what they check (pcs.h, cpu_slab.c).  A debug build
 * is never measured.
 */
#ifndef SLABSCALE_SLAB_ASSERT_H
#define SLABSCALE_SLAB_ASSERT_H

#ifdef SLAB_DEBUG_ASSERT
void slab_assert_fail(const char *cond, const char *file, int line,
		      const char *func) __attribute__((noreturn, cold));

#define slab_assert(cond)						\
	((void)(__builtin_expect(!!(cond), 1) ||			\
		(slab_assert_fail(#cond, __FILE__, __LINE__, __func__), 0)))
#define slab_lockdep_assert_held(l)	slab_assert(spin_is_held(l))
#else
/* type-checked, never evaluated */
#define slab_assert(cond)		((void)sizeof(!(cond)))
#define slab_lockdep_assert_held(l)	((void)sizeof(l))
#endif

#endif /* SLABSCALE_SLAB_ASSERT_H */
