// SPDX-License-Identifier: GPL-2.0-only
/*
 * alloc.c - kmem_cache_alloc/free and their bulk forms: the hit paths,
 * inline, then the per-variant fallbacks (cpu slab, slabs, debug).
 *
 * The hit paths are the kernel's, in its order:
 *  - a cache with sheaves: trylock this CPU's sheaves, pop from or push to
 *    main, unlock (pcs.h: alloc_from_pcs()/free_to_pcs()); a free first
 *    looks the object's slab up (virt_to_slab()) and sends objects of
 *    another node past the sheaves, as slab_free() does;
 *  - a cache without (or when the sheaves cannot serve, in the cpu-slab
 *    era): the cpu slab's lockless freelist (cpu_slab.h), a free only when
 *    the object belongs to this CPU's cpu slab.
 * In rseq mode each is one or two restartable sequences with no atomic
 * instruction but the cpu slab's unlocked cmpxchg16b; in atomic mode
 * (valgrind, TSan, other architectures) the same steps with a lock bts
 * and a locked cmpxchg16b.  Counters ride in the commits (pcs.h,
 * cpu_slab.h).  Everything else is out of line.
 *
 * Like SLUB without CONFIG_SLAB_FREELIST_HARDENED, a sheaf cache's free
 * trusts its caller that the object is the cache's; an object that goes
 * slow past the cpu slab is checked on the way to its slab, and caches
 * with debug flags (no sheaves, no cpu slab) check every free.
 *
 * Words: an operation the inline path serves is a hit; anything else takes
 * the slow path (the kernel's word, as in ALLOC_SLOWPATH), whatever sent it
 * there.  A trylock or a barn get that does not succeed fails
 * (PCS_TRYLOCK_FAIL, BARN_GET_FAIL); an allocation that returns NULL
 * failed (alloc_failed()).
 */
#include <string.h>
#include "cpu_slab.h"
#include "pcs.h"

#define FAST_PATH __attribute__((optimize("omit-frame-pointer"), aligned(64)))
/* the hit paths' out-of-line slow paths (the sheaves' unused in cpuslab) */
#define SLOW_PATH __attribute__((noinline, unused))

static void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfp, int node)
{
	if (unlikely(READ_ONCE(nolock_deferred_pending)) &&
	    gfpflags_allow_spinning(gfp))
		nolock_drain_deferred(NULL);
	if (unlikely(kmem_cache_debug(s)))
		return debug_slab_alloc(s, gfp, node);
	return cpu_slab_alloc(s, gfp, node);
}

/* object from a hit path, or NULL: the slow path; then __GFP_ZERO */
static __attribute__((noinline)) void *
slab_alloc_slow_zero(struct kmem_cache *s, gfp_t gfp, int node, void *object)
{
	if (!object)
		object = slab_alloc_slow(s, gfp, node);
	if ((gfp & __GFP_ZERO) && object)
		memset(object, 0, s->object_size);
	return object;
}

/* every allocation but kmem_cache_alloc()'s hits */
static void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	void *object = NULL;

	if (likely(s->cpu_sheaves) &&
	    (node < 0 || nr_node_ids == 1 || node == numa_node_id()))
		object = alloc_from_pcs(s, gfp);
	return slab_alloc_slow_zero(s, gfp, node, object);
}

static bool bad_cache(struct kmem_cache *s, const char *fn)
{
	if (likely(s))
		return false;
	slab_bug("%s: NULL cache", fn);
	return true;
}

static void alloc_failed(struct kmem_cache *s, gfp_t gfp)
{
	if (!(gfp & __GFP_NOWARN))
		slab_bug("cache %s: allocation failed (gfp 0x%x)",
			 s->name, gfp);
}

/* kmem_cache_alloc() without a hit: every other case */
static __attribute__((noinline)) void *
kmem_cache_alloc_slow(struct kmem_cache *s, gfp_t gfp)
{
	void *object;

	if (unlikely(bad_cache(s, "kmem_cache_alloc")))
		return NULL;
	object = slab_alloc_node(s, gfp, NUMA_NO_NODE);
	if (unlikely(!object))
		alloc_failed(s, gfp);
	return object;
}

/* the sheaves' trylock failed: the cpu slab (6.18) or the slabs */
static __attribute__((noinline)) void *
alloc_slow_trylock_fail(struct kmem_cache *s, gfp_t gfp)
{
	void *object;

	stat(s, PCS_TRYLOCK_FAIL);
	object = slab_alloc_slow_zero(s, gfp, NUMA_NO_NODE, NULL);
	if (unlikely(!object))
		alloc_failed(s, gfp);
	return object;
}

/*
 * main is empty: replace it (pcs locked, no bracket open), or fall back to
 * the slabs
 */
static void *alloc_refill_main(struct kmem_cache *s, gfp_t gfp,
		  struct slub_percpu_sheaves *pcs)
{
	void *object = pcs_refill_pop(s, pcs, gfp);

	if (object)
		return object;
	object = slab_alloc_slow_zero(s, gfp, NUMA_NO_NODE, NULL);
	if (unlikely(!object))
		alloc_failed(s, gfp);
	return object;
}

static SLOW_PATH void *
alloc_refill_noinline(struct kmem_cache *s, gfp_t gfp,
		      struct slub_percpu_sheaves *pcs)
{
	return alloc_refill_main(s, gfp, pcs);
}

/* pcs is locked: pop from main, or refill it */
static __attribute__((unused)) void *
alloc_locked_pcs(struct kmem_cache *s, gfp_t gfp,
			      struct slub_percpu_sheaves *pcs)
{
	void *object;

	if (unlikely(!pcs->main->size))
		return alloc_refill_main(s, gfp, pcs);
	object = pcs_pop_counted(pcs, pcs->main);
	percpu_unlock(&pcs->lock);
	return object;
}

/* the hit path's trylock failed; atomic mode may have to choose an index */
static SLOW_PATH void *
alloc_slow_trylock(struct kmem_cache *s, gfp_t gfp)
{
	struct slub_percpu_sheaves *pcs = percpu_trylock_retry(s->cpu_sheaves);

	if (!pcs)
		return alloc_slow_trylock_fail(s, gfp);
	return alloc_locked_pcs(s, gfp, pcs);
}

/*
 * The allocation hit paths, inline: a sheaf pop under the per-CPU trylock
 * for caches with sheaves, else the cpu slab's lockless pop.  Every slow
 * path is a tail call, so a hit needs no stack frame.
 */
FAST_PATH void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	void *object;

	if (unlikely(!s || (gfp & __GFP_ZERO)))
		return kmem_cache_alloc_slow(s, gfp);
#ifdef CONFIG_SLUB_SHEAVES
	if (likely(s->cpu_sheaves)) {
		struct slub_percpu_sheaves *pcs;
		struct slab_sheaf *main;

		pcs = percpu_trylock_fast(s->cpu_sheaves);
		if (unlikely(!pcs))
			return alloc_slow_trylock(s, gfp);
		main = pcs->main;
		if (unlikely(!main->size))
			return alloc_refill_noinline(s, gfp, pcs);
		object = pcs_pop_counted(pcs, main);
		percpu_unlock(&pcs->lock);
		return object;
	}
#endif
#ifdef CONFIG_SLUB_CPU_SLAB
	/* every cache has a cpu slab; a debug cache's freelist stays empty */
	object = cpu_slab_alloc_fast(s);
	if (likely(object))
		return object;
#endif
	return kmem_cache_alloc_slow(s, gfp);
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	void *object;

	if (bad_cache(s, "kmem_cache_alloc_node"))
		return NULL;
	if (node < NUMA_NO_NODE || node >= (int)nr_node_ids) {
		slab_bug("kmem_cache_alloc_node(%s): no node %d (have %u)",
			 s->name, node, nr_node_ids);
		return NULL;
	}
	object = slab_alloc_node(s, gfp, node);
	if (!object)
		alloc_failed(s, gfp);
	return object;
}

/* ---- free --------------------------------------------------------------- */

static __attribute__((noinline)) void
bad_object(struct kmem_cache *s, const void *object, const char *fn)
{
	struct slab *slab = virt_to_slab(object);

	if (!slab || slab->type != PT_SLAB)
		slab_bug("%s(%s): %p was not allocated from a slab cache",
			 fn, s ? s->name : "?", object);
	else
		slab_bug("%s(%s): object %p belongs to cache %s", fn,
			 s->name, object, slab->slab_cache->name);
}

/* the slab of object if it is an object of s, else report and NULL */
static struct slab *object_slab(struct kmem_cache *s, const void *object,
				const char *fn)
{
	struct slab *slab = virt_to_slab(object);

	/* free blocks have no head, large kmalloc no cache */
	if (likely(slab && slab->slab_cache == s))
		return slab;
	bad_object(s, object, fn);
	return NULL;
}

/*
 * Past the sheaves: the cpu slab (fast push, else the slab), the slab
 * itself in the 7.0 variants, or the debug path.
 */
static __attribute__((noinline)) void
slab_free_slow(struct kmem_cache *s, struct slab *slab, void *object)
{
	if (unlikely(kmem_cache_debug(s)))
		debug_slab_free(s, slab, object);
	else
		cpu_slab_free(s, slab, object, object, 1);
}

/* object (of s, slab) to this CPU's sheaves if it is local, else on */
void slab_free_object(struct kmem_cache *s, struct slab *slab, void *object)
{
	if (likely(s->cpu_sheaves) &&
	    (slab->node == this_node() || free_remote_to_sheaves()) &&
	    likely(free_to_pcs(s, object, true)))
		return;
	slab_free_slow(s, slab, object);
}

/*
 * The cpu slab's fast push did not hit (not the cpu slab, or its lock is
 * taken): check the object is s's, then free it to its slab.  Caches
 * without a cpu slab (debug, 7.0) and NULL arguments come here too.
 */
static __attribute__((noinline)) void
free_checked(struct kmem_cache *s, void *object)
{
	struct slab *slab;

	if (unlikely(!object || bad_cache(s, "kmem_cache_free")))
		return;
	slab = object_slab(s, object, "kmem_cache_free");
	if (!slab)
		return;
	if (unlikely(kmem_cache_debug(s))) {
		debug_slab_free(s, slab, object);
		return;
	}
	__slab_free(s, slab, object, object, 1);
	stat(s, FREE_SLOWPATH);
}

static __attribute__((noinline)) void
free_not_slab(struct kmem_cache *s, void *object)
{
	bad_object(s, object, "kmem_cache_free");
}

/* an object of another node: past the sheaves, as slab_free() sends it */
static SLOW_PATH void
free_remote(struct kmem_cache *s, struct slab *slab, void *object)
{
	if (free_remote_to_sheaves() && free_to_pcs(s, object, true))
		return;
	slab_free_slow(s, slab, object);
}

static SLOW_PATH void
free_slow_trylock_fail(struct kmem_cache *s, struct slab *slab, void *object)
{
	stat(s, PCS_TRYLOCK_FAIL);
	slab_free_slow(s, slab, object);
}

/*
 * main is full: replace it (pcs locked, no bracket open), or free to the
 * slab
 */
static SLOW_PATH void
free_main_full(struct kmem_cache *s, struct slub_percpu_sheaves *pcs,
	       struct slab *slab, void *object)
{
	if (!pcs_replace_push(s, pcs, object, true))
		slab_free_slow(s, slab, object);
}

/* the hit path's trylock failed; atomic mode may have to choose an index */
static SLOW_PATH void
free_slow_trylock(struct kmem_cache *s, struct slab *slab, void *object)
{
	struct slub_percpu_sheaves *pcs = percpu_trylock_retry(s->cpu_sheaves);

	if (!pcs)
		return free_slow_trylock_fail(s, slab, object);
	if (unlikely(pcs->main->size == s->sheaf_capacity))
		return free_main_full(s, pcs, slab, object);
	pcs_push_counted(pcs, pcs->main, object);
	percpu_unlock(&pcs->lock);
}

/*
 * The free hit paths, inline: the kernel's kmem_cache_free() looks the
 * slab up (virt_to_slab()), then a cache with sheaves pushes a local
 * object to main under the per-CPU trylock; a cache without pushes an
 * object of this CPU's cpu slab onto its lockless freelist.
 */
FAST_PATH void kmem_cache_free(struct kmem_cache *s, void *object)
{
	struct slab *slab;

	if (unlikely(!s || !object))
		return free_checked(s, object);
	slab = virt_to_slab(object);
	if (unlikely(!slab))
		return free_not_slab(s, object);
#ifdef CONFIG_SLUB_SHEAVES
	if (likely(s->cpu_sheaves)) {
		/* one test of the mode for the node check and the lock */
		bool rseq = slab_use_rseq;
		struct slub_percpu_sheaves *pcs;
		struct slab_sheaf *main;

		if (unlikely(slab->node != this_node_mode(rseq)))
			return free_remote(s, slab, object);
		pcs = percpu_trylock_fast_mode(s->cpu_sheaves, rseq);
		if (unlikely(!pcs))
			return free_slow_trylock(s, slab, object);
		main = pcs->main;
		if (unlikely(main->size == s->sheaf_capacity))
			return free_main_full(s, pcs, slab, object);
		pcs_push_counted(pcs, main, object);
		percpu_unlock(&pcs->lock);
		return;
	}
#endif
#ifdef CONFIG_SLUB_CPU_SLAB
	/* a debug cache's cpu slab stays NULL: its frees all go slow */
	if (likely(cpu_slab_free_fast(s, slab, object, object, 1) > 0))
		return;
#endif
	return free_checked(s, object);
}

/* ---- bulk ------------------------------------------------------------------ */

int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t size,
			  void **p)
{
	size_t done = 0, i;

	if (bad_cache(s, "kmem_cache_alloc_bulk") || !p)
		return 0;
	if (s->cpu_sheaves)
		done = sheaf_alloc_bulk(s, gfp, size, p);
	if (done < size && !kmem_cache_debug(s))
		done += cpu_slab_alloc_bulk(s, gfp, NUMA_NO_NODE, p + done,
					    size - done);
	for (; done < size; done++) {
		p[done] = slab_alloc_slow(s, gfp, NUMA_NO_NODE);
		if (!p[done])
			break;
	}
	if (done < size) {
		/* all or nothing, as in the kernel */
		kmem_cache_free_bulk(s, done, p);
		alloc_failed(s, gfp);
		return 0;
	}
	if (gfp & __GFP_ZERO)
		for (i = 0; i < size; i++)
			memset(p[i], 0, s->object_size);
	return (int)size;
}

/*
 * Objects a caller may not free through the sheaves go to their slabs in
 * detached freelists (slab_free_bulk()); a sheaf cache's local objects go
 * to the sheaves in batches (sheaf_free_bulk()), as free_to_pcs_bulk()
 * sorts them.  An object that is not s's is reported and skipped, as the
 * kernel's cache_from_obj() does.
 */
void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p)
{
	size_t i = 0, done;
	int node;

	if (bad_cache(s, "kmem_cache_free_bulk") || !p || !size)
		return;
	if (!s->cpu_sheaves || kmem_cache_debug(s)) {
		slab_free_bulk(s, size, p, true);
		return;
	}
	node = this_node();
	while (i < size) {
		struct slab *slab = virt_to_slab(p[i]);

		if (unlikely(!slab || slab->slab_cache != s)) {
			bad_object(s, p[i], "kmem_cache_free_bulk");
			p[i] = p[--size];
		} else if (unlikely(slab->node != node)) {
			slab_free_object(s, slab, p[i]);
			p[i] = p[--size];
		} else {
			i++;
		}
	}
	done = sheaf_free_bulk(s, size, p);
	if (done < size)
		slab_free_bulk(s, size - done, p + done, true);
}
