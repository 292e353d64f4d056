// SPDX-License-Identifier: GPL-2.0-only
/*
 * bug.c - slab_bug(): where the allocator says what went wrong (bad input,
 * corruption the debug checks found, objects left at destroy), as the
 * kernel's slab_bug()/slab_err() do.  One line a bug, to the handler a
 * caller installed with slab_set_bug_handler() (tests capture them there),
 * else to stderr.  Never allocates, so any path may call it.
 *
 * slab_assert_fail(): a debug build's broken invariant (slab_assert.h),
 * the kernel's BUG(): the message on stderr, then abort().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "slab_internal.h"

static slab_bug_fn bug_handler;

void slab_set_bug_handler(slab_bug_fn fn)
{
	__atomic_store_n(&bug_handler, fn, __ATOMIC_RELEASE);
}

void slab_bug(const char *fmt, ...)
{
	slab_bug_fn fn = __atomic_load_n(&bug_handler, __ATOMIC_ACQUIRE);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fn)
		fn(msg);
	else
		fprintf(stderr, "slab: %s\n", msg);
}

#ifdef SLAB_DEBUG_ASSERT
void slab_assert_fail(const char *cond, const char *file, int line,
		      const char *func)
{
	fprintf(stderr, "slab: assertion failed: %s (%s:%d %s)\n", cond, file,
		line, func);
	fflush(stderr);
	abort();
}
#endif
