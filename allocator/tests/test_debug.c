// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_debug.c - slub_debug-like checks catch planted bugs: a double free,
 * a write past the object, a write before it, a use after free and a
 * corrupted free pointer, each reported with the cache, the object address
 * and what was found, without crashing.  Debug caches get no sheaves.
 * With SLABSCALE_DEBUG=FPZ in the environment (run-tests.sh does one such
 * run) a cache created without debug flags is checked too.
 */
#include <stdint.h>
#include "testutil.h"
#include "slab_internal.h"

#define DBG_FLAGS (SLAB_POISON | SLAB_RED_ZONE | SLAB_CONSISTENCY_CHECKS)

static void addr_in_report(void *p)
{
	char addr[32];

	snprintf(addr, sizeof(addr), "%p", p);
	pthread_mutex_lock(&tu_lock);
	if (!strstr(tu_seen, addr)) {
		fprintf(stderr, "report lacks the address %s: %s\n", addr,
			tu_seen);
		abort();
	}
	pthread_mutex_unlock(&tu_lock);
}

static void run(const char *name, slab_flags_t flags)
{
	struct kmem_cache_args args = { .sheaf_capacity = 32 };
	struct kmem_cache *s = kmem_cache_create(name, 60, &args, flags);
	unsigned char *o, *o2;
	void *keep[4];
	long live;
	int i;

	CHECK(s);
	CHECK(kmem_cache_debug(s));
	CHECK_EQ(kmem_cache_sheaf_capacity(s), 0);	/* no sheaves */
	CHECK(!s->cpu_sheaves);

	/* clean use: no reports, poison and red zones in place */
	o = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(o);
	memset(o, 1, 60);
	kmem_cache_free(s, o);
	CHECK_EQ(o[0], SLAB_POISON_FREE);
	CHECK_EQ(o[59], SLAB_POISON_END);
	CHECK_EQ(o[60], SLAB_RED_INACTIVE);
	CHECK_NO_REPORT();

	/* double free */
	o = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, o);
	live = slab_cache_active(s);
	kmem_cache_free(s, o);
	CHECK_REPORT("double free");
	addr_in_report(o);
	CHECK_EQ(slab_cache_active(s), live);	/* refused */

	/* a write past the object */
	o = kmem_cache_alloc(s, GFP_KERNEL);
	o[60] = 0;
	kmem_cache_free(s, o);
	CHECK_REPORT("write past the object");
	addr_in_report(o);

	/* a write before it */
	o = kmem_cache_alloc(s, GFP_KERNEL);
	o[-1] = 0;
	kmem_cache_free(s, o);
	CHECK_REPORT("write before the object");

	/* use after free, found when the object is handed out again */
	o = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, o);
	o[10] = 0x42;
	o2 = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(o2 == o);				/* LIFO: same object */
	CHECK_REPORT("restored and handed out");
	kmem_cache_free(s, o2);
	CHECK_NO_REPORT();

	/* a corrupted free pointer in a free object */
	for (i = 0; i < 4; i++)
		keep[i] = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, keep[3]);
	kmem_cache_free(s, keep[2]);
	*(void **)((char *)keep[2] + s->offset) = (char *)keep[2] + 3;
	o = kmem_cache_alloc(s, GFP_KERNEL);
	CHECK(o == keep[2]);
	CHECK_REPORT("free pointer corrupt");
	addr_in_report(o);
	kmem_cache_free(s, o);
	kmem_cache_free(s, keep[0]);
	kmem_cache_free(s, keep[1]);
	CHECK_NO_REPORT();

	/* an interior pointer */
	o = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, o + 4);
	CHECK_REPORT("not an object start");
	kmem_cache_free(s, o);
	CHECK_NO_REPORT();

	/* the object dropped from the corrupt freelist stays allocated */
	kmem_cache_destroy(s);
	tu_count = 0;
}

static char first_report[512];
static void first_only(const char *msg)
{
	if (!first_report[0])
		snprintf(first_report, sizeof(first_report), "%s", msg);
}

static void check_uaf_text(void)
{
	struct kmem_cache *s = kmem_cache_create("dbg-text", 32, NULL,
						 SLAB_POISON);
	unsigned char *o = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, o);
	o[7] = 0x99;
	slab_set_bug_handler(first_only);
	o = kmem_cache_alloc(s, GFP_KERNEL);
	slab_set_bug_handler(tu_report);
	CHECK(strstr(first_report, "cache dbg-text"));
	CHECK(strstr(first_report, "use after free"));
	CHECK(strstr(first_report, "found 0x99 at offset 7"));
	kmem_cache_free(s, o);
	kmem_cache_destroy(s);
	CHECK_NO_REPORT();
}

int main(void)
{
	tu_capture();
	run("dbg-flags", DBG_FLAGS);
	check_uaf_text();
	if (slab_debug_global & SLAB_RED_ZONE)
		run("dbg-global", 0);	/* SLABSCALE_DEBUG=FPZ */
	printf("test_debug: ok (%s%s)\n", slab_variant(),
	       slab_debug_global ? ", SLABSCALE_DEBUG" : "");
	return 0;
}
