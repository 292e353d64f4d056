// SPDX-License-Identifier: GPL-2.0-only
/*
 * debug.c - slub_debug-like checks for caches created with SLAB_POISON,
 * SLAB_RED_ZONE or SLAB_CONSISTENCY_CHECKS, or for every cache when the
 * environment says SLABSCALE_DEBUG=<letters> (F consistency checks,
 * P poison, Z red zones, U store user; "1" or "all" = FPZ).
 *
 * Layout of a debug object slot (object pointer = slot + red_left_pad):
 *
 *   | left red zone | object ... | right red zone | free pointer | pad |
 *
 * Free objects are poisoned (0x6b..., last byte 0xa5) and their red zones
 * hold 0xbb; allocated objects have 0xcc red zones.  A debug cache has
 * neither sheaves nor a cpu slab: every allocation and free runs under the
 * node's list_lock and is checked there:
 *  - alloc: free pointer valid, red zones inactive, poison intact (a use
 *    after free shows up here as "poison overwritten");
 *  - free: pointer is an object of this cache's slab, red zones active
 *    (inactive means it is already free: double free; a changed byte means
 *    a write past the object), and with F not already on the freelist.
 * A failed free check refuses the free; every problem is reported through
 * slab_bug() with the cache, the object address and what was found.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "percpu.h"

slab_flags_t slab_debug_global;

slab_flags_t debug_flags_from_string(const char *str)
{
	slab_flags_t f = 0;

	if (!str || !*str || !strcmp(str, "0"))
		return 0;
	if (!strcmp(str, "1") || !strcasecmp(str, "all"))
		return SLAB_CONSISTENCY_CHECKS | SLAB_POISON | SLAB_RED_ZONE;
	for (; *str; str++) {
		switch (*str) {
		case 'F': case 'f':
			f |= SLAB_CONSISTENCY_CHECKS;
			break;
		case 'P': case 'p':
			f |= SLAB_POISON;
			break;
		case 'Z': case 'z':
			f |= SLAB_RED_ZONE;
			break;
		case 'U': case 'u':
			f |= SLAB_STORE_USER;
			break;
		case '-':
			break;
		default:
			fprintf(stderr, "slab: SLABSCALE_DEBUG: unknown flag "
				"'%c' ignored (use F, P, Z, U)\n", *str);
		}
	}
	return f;
}

/* end of the right red zone, relative to the object */
static inline unsigned int rz_end(struct kmem_cache *s)
{
	return (s->object_size + 7) / 8 * 8 + 8;
}

void debug_init_slab(struct kmem_cache *s, struct slab *slab)
{
	(void)s;
	(void)slab;
}

void debug_init_object(struct kmem_cache *s, void *object, bool active)
{
	unsigned char *p = object;
	int red = active ? SLAB_RED_ACTIVE : SLAB_RED_INACTIVE;

	if (s->flags & SLAB_RED_ZONE) {
		memset(p - s->red_left_pad, red, s->red_left_pad);
		memset(p + s->object_size, red, rz_end(s) - s->object_size);
	}
	if ((s->flags & SLAB_POISON) && !active) {
		memset(p, SLAB_POISON_FREE, s->object_size - 1);
		p[s->object_size - 1] = SLAB_POISON_END;
	}
}

#define NO_MISMATCH	LONG_MIN

/* first byte in [from, to) of object that is not val; NO_MISMATCH if none */
static long find_mismatch(const unsigned char *object, long from, long to,
			  unsigned char val)
{
	long i;

	for (i = from; i < to; i++)
		if (object[i] != val)
			return i;
	return NO_MISMATCH;
}

static void bug_bytes(struct kmem_cache *s, const void *object,
			 const char *what, long off, unsigned char expected)
{
	slab_bug("cache %s: object %p: %s: found 0x%02x at offset %ld, "
		 "expected 0x%02x", s->name, object, what,
		 ((const unsigned char *)object)[off], off, expected);
}

static bool check_red(struct kmem_cache *s, void *object, unsigned char val,
		      const char *what_left, const char *what_right)
{
	long off;

	if (!(s->flags & SLAB_RED_ZONE))
		return true;
	off = find_mismatch(object, -(long)s->red_left_pad, 0, val);
	if (off != NO_MISMATCH) {
		bug_bytes(s, object, what_left, off, val);
		return false;
	}
	off = find_mismatch(object, s->object_size, rz_end(s), val);
	if (off != NO_MISMATCH) {
		bug_bytes(s, object, what_right, off, val);
		return false;
	}
	return true;
}

static bool valid_object(struct kmem_cache *s, struct slab *slab,
			 const void *p)
{
	return slab_obj_index(s, slab, p) >= 0;
}

bool debug_alloc_check(struct kmem_cache *s, struct slab *slab, void *object)
{
	unsigned char *p = object;
	bool ok = true;
	long off;

	slab_lockdep_assert_held(&get_node(s, slab->node)->list_lock);
	if (!valid_object(s, slab, object)) {
		slab_bug("cache %s: slab %p: freelist points to %p, not "
			 "an object of the slab", s->name,
			 slab_address(slab), object);
		return false;
	}
	if (!check_red(s, object, SLAB_RED_INACTIVE,
		       "left red zone of a free object overwritten",
		       "right red zone of a free object overwritten"))
		ok = false;
	if (s->flags & SLAB_POISON) {
		off = find_mismatch(p, 0, s->object_size - 1,
				    SLAB_POISON_FREE);
		if (off != NO_MISMATCH) {
			bug_bytes(s, object, "poison overwritten (use "
				     "after free)", off, SLAB_POISON_FREE);
			ok = false;
		} else if (p[s->object_size - 1] != SLAB_POISON_END) {
			bug_bytes(s, object, "poison overwritten (use "
				     "after free)", s->object_size - 1,
				     SLAB_POISON_END);
			ok = false;
		}
	}
	return ok;
}

static bool on_freelist(struct kmem_cache *s, struct slab *slab, void *object)
{
	unsigned int n = 0, max = slab_ctr(slab->counters).objects;
	void *p;

	for (p = slab->freelist; p && n <= max; p = get_freepointer(s, p), n++) {
		if (p == object)
			return true;
		if (!valid_object(s, slab, p))
			return false;
	}
	return false;
}

bool debug_free_check(struct kmem_cache *s, struct slab *slab, void *object)
{
	slab_lockdep_assert_held(&get_node(s, slab->node)->list_lock);
	if (!valid_object(s, slab, object)) {
		slab_bug("cache %s: object %p: free of a pointer that is "
			 "not an object start", s->name, object);
		return false;
	}
	if ((s->flags & SLAB_CONSISTENCY_CHECKS) &&
	    on_freelist(s, slab, object)) {
		slab_bug("cache %s: object %p: double free: object already "
			 "on the freelist", s->name, object);
		return false;
	}
	if ((s->flags & SLAB_RED_ZONE) &&
	    find_mismatch(object, s->object_size, s->object_size + 1,
			  SLAB_RED_INACTIVE) == NO_MISMATCH) {
		slab_bug("cache %s: object %p: double free: red zone "
			 "already marks it free", s->name, object);
		return false;
	}
	/* a clobbered red zone is reported; the free itself goes ahead */
	check_red(s, object, SLAB_RED_ACTIVE,
		  "left red zone overwritten (write before the object)",
		  "right red zone overwritten (write past the object)");
	return true;
}

/* ---- the debug slow paths: everything under the node list_lock ------- */
static bool valid_next(struct kmem_cache *s, struct slab *slab, void *next)
{
	return !next || valid_object(s, slab, next);
}

void *debug_slab_alloc(struct kmem_cache *s, gfp_t gfp, int node)
{
	int want = node < 0 ? numa_node_id() : node;
	struct kmem_cache_node *n = get_node(s, want);
	struct slab_counters nc;
	struct slab *slab;
	void *object, *next;

	spin_lock(&n->list_lock);
	if (list_empty(&n->partial)) {
		spin_unlock(&n->list_lock);
		slab = new_slab(s, gfp, want);
		if (!slab)
			return NULL;
		spin_lock(&n->list_lock);
		add_partial(n, slab, false);
	}
	slab = list_first_entry(&n->partial, struct slab, slab_list);
	object = slab->freelist;
	nc = slab_ctr(slab->counters);
	next = get_freepointer(s, object);
	if (s->flags & SLAB_CONSISTENCY_CHECKS && !valid_next(s, slab, next)) {
		slab_bug("cache %s: object %p: free pointer corrupt: %p is "
			 "not an object of its slab; the rest of the slab's "
			 "freelist is dropped", s->name, object, next);
		next = NULL;
		nc.inuse = nc.objects - 1;
	}
	if (!debug_alloc_check(s, slab, object))
		slab_bug("cache %s: object %p: restored and handed out",
			 s->name, object);
	nc.inuse++;
	slab_cmpxchg_double(slab, object, slab->counters, next,
			    slab_ctr_long(nc));
	if (!next)
		remove_partial(n, slab);
	spin_unlock(&n->list_lock);
	debug_init_object(s, object, true);
	stat(s, ALLOC_SLOWPATH);
	return object;
}

void debug_slab_free(struct kmem_cache *s, struct slab *slab, void *object)
{
	struct kmem_cache_node *n = get_node(s, slab->node);
	struct slab_counters nc;
	bool discard = false;
	void *prior;

	spin_lock(&n->list_lock);
	if (!debug_free_check(s, slab, object)) {
		spin_unlock(&n->list_lock);
		return;
	}
	debug_init_object(s, object, false);
	prior = slab->freelist;
	set_freepointer(s, object, prior);
	nc = slab_ctr(slab->counters);
	nc.inuse--;
	slab_cmpxchg_double(slab, prior, slab->counters, object,
			    slab_ctr_long(nc));
	if (!prior)
		add_partial(n, slab, true);
	if (!nc.inuse && n->nr_partial > s->min_partial) {
		remove_partial(n, slab);
		discard = true;
	}
	spin_unlock(&n->list_lock);
	stat(s, FREE_SLOWPATH);
	if (discard)
		discard_slab(s, slab);
}
