// SPDX-License-Identifier: GPL-2.0-only
/*
 * alloc.c - kmem_cache_alloc/free and their bulk forms: the sheaf fast
 * paths, then the per-variant fallbacks (cpu slab, slabs, debug).
 *
 * The sheaf fast path is the one that has to be cheap.  With rseq it is
 * one restartable sequence that pops from or pushes to this CPU's main
 * sheaf without taking the per-CPU lock, its statistics riding in the
 * committing store (pcs.h).  Without rseq (valgrind, TSan, other
 * architectures) it is an atomic trylock of this thread's per-CPU sheaves
 * (one lock bts), the same counted pop or push, and a plain store to
 * unlock.  Neither looks at the object's slab: see kmem_cache_free().
 */
#include <string.h>
#include "pcs.h"

#define FAST_PATH __attribute__((optimize("omit-frame-pointer"), aligned(64)))

static void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfp, int node)
{
	if (unlikely(READ_ONCE(nolock_deferred_pending)) &&
	    gfpflags_allow_spinning(gfp))
		nolock_drain_deferred(NULL);
	if (unlikely(kmem_cache_debug(s)))
		return debug_slab_alloc(s, gfp, node);
	return cpu_slab_alloc(s, gfp, node);
}

static __attribute__((noinline)) void *
slab_alloc_finish(struct kmem_cache *s, gfp_t gfp, int node, void *object)
{
	if (!object)
		object = slab_alloc_slow(s, gfp, node);
	if ((gfp & __GFP_ZERO) && object)
		memset(object, 0, s->object_size);
	return object;
}

static __attribute__((always_inline)) inline void *
slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	void *object = NULL;

	if (likely(s->cpu_sheaves) &&
	    (node < 0 || nr_node_ids == 1 || node == numa_node_id())) {
		object = alloc_from_pcs(s, gfp);
		if (likely(object && !(gfp & __GFP_ZERO)))
			return object;
	}
	return slab_alloc_finish(s, gfp, node, object);
}

static bool bad_cache(struct kmem_cache *s, const char *fn)
{
	if (likely(s))
		return false;
	slab_report("%s: NULL cache", fn);
	return true;
}

static void alloc_failed(struct kmem_cache *s, gfp_t gfp)
{
	if (!(gfp & __GFP_NOWARN))
		slab_report("cache %s: allocation failed (gfp 0x%x)",
			    s->name, gfp);
}

/* kmem_cache_alloc() without a sheaf hit: every other case */
static __attribute__((noinline)) void *
alloc_slowpath(struct kmem_cache *s, gfp_t gfp)
{
	void *object;

	if (unlikely(bad_cache(s, "kmem_cache_alloc")))
		return NULL;
	object = slab_alloc_node(s, gfp, NUMA_NO_NODE);
	if (unlikely(!object))
		alloc_failed(s, gfp);
	return object;
}

static __attribute__((noinline)) void *
alloc_trylock_failed(struct kmem_cache *s, gfp_t gfp)
{
	void *object;

	stat(s, PCS_TRYLOCK_FAIL);
	object = slab_alloc_finish(s, gfp, NUMA_NO_NODE, NULL);
	if (unlikely(!object))
		alloc_failed(s, gfp);
	return object;
}

/*
 * main is empty: replace it (pcs locked, no bracket open), or fall back to
 * the slabs
 */
static __attribute__((noinline)) void *
alloc_refill_main(struct kmem_cache *s, gfp_t gfp,
		  struct slub_percpu_sheaves *pcs)
{
	void *object = pcs_refill_pop(s, pcs, gfp);

	if (object)
		return object;
	object = slab_alloc_finish(s, gfp, NUMA_NO_NODE, NULL);
	if (unlikely(!object))
		alloc_failed(s, gfp);
	return object;
}

/* pcs is locked: a counted pop from main, or refill it */
static __attribute__((always_inline)) inline void *
alloc_locked_pcs(struct kmem_cache *s, gfp_t gfp,
		 struct slub_percpu_sheaves *pcs)
{
	struct slab_sheaf *main;
	void *object;

	main = pcs->main;
	if (unlikely(!main->size))
		return alloc_refill_main(s, gfp, pcs);
	object = pcs_pop_counted(main);
	percpu_unlock(&pcs->lock);
	return object;
}

/* pcs from a trylock: NULL if it failed */
static __attribute__((always_inline)) inline void *
alloc_with_pcs(struct kmem_cache *s, gfp_t gfp, struct slub_percpu_sheaves *pcs)
{
	if (unlikely(!pcs))
		return alloc_trylock_failed(s, gfp);
	return alloc_locked_pcs(s, gfp, pcs);
}

/*
 * No pcs from the atomic-mode fast path: the thread has no index yet (it
 * hit the guard entry), or the trylock failed.
 */
static __attribute__((noinline)) void *
alloc_atomic_miss(struct kmem_cache *s, gfp_t gfp)
{
	if (!slab_thread_cpu_off) {
		slab_cpu_id_slow();
		return alloc_with_pcs(s, gfp,
				      percpu_trylock_ptr_atomic(s->cpu_sheaves,
								PCS_SHIFT));
	}
	slab_cpu_repick();
	return alloc_trylock_failed(s, gfp);
}

#if SLAB_HAVE_RSEQ_ASM
/* the lockless pop failed: the lock is taken, main is empty, or no CPU */
static __attribute__((noinline)) void *
alloc_rseq_miss(struct kmem_cache *s, gfp_t gfp)
{
	return alloc_with_pcs(s, gfp, rseq_trylock_percpu_ptr(s->cpu_sheaves,
							      PCS_SHIFT));
}
#endif

/*
 * The fast path proper.  A sheaf hit is a straight line to the ret: in
 * atomic mode a fetch-or trylock, a counted pop and an unlocking store;
 * in rseq mode one restartable sequence with no lock and no atomic
 * instruction.  Everything else is a tail call, so the hit needs no stack
 * frame.  Atomic mode is tested first, as it is what valgrind counts, but
 * laid out of line: rseq mode pays a bit test and a branch not taken.
 */
FAST_PATH void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	struct slub_percpu_sheaves *pcs;
	unsigned long fast;

	if (unlikely(!s || (gfp & __GFP_ZERO)))
		return alloc_slowpath(s, gfp);
	fast = s->fast_sheaves;
	if (unlikely(fast & PCS_FAST_ATOMIC)) {
		pcs = pcs_atomic_this_cpu(fast);
		if (unlikely(!pcs_trylock_atomic(pcs)))
			return alloc_atomic_miss(s, gfp);
		return alloc_locked_pcs(s, gfp, pcs);
	}
#if SLAB_HAVE_RSEQ_ASM
	if (likely(fast)) {
		void *object = rseq_sheaf_pop((void *)fast);

		if (likely(object))
			return object;
		return alloc_rseq_miss(s, gfp);
	}
#endif
	return alloc_slowpath(s, gfp);
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	void *object;

	if (bad_cache(s, "kmem_cache_alloc_node"))
		return NULL;
	if (node < NUMA_NO_NODE || node >= (int)nr_node_ids) {
		slab_report("kmem_cache_alloc_node(%s): no node %d (have %u)",
			    s->name, node, nr_node_ids);
		return NULL;
	}
	object = slab_alloc_node(s, gfp, node);
	if (!object)
		alloc_failed(s, gfp);
	return object;
}

static __attribute__((noinline)) struct slab *
bad_object(struct kmem_cache *s, const void *object, const char *fn)
{
	struct slab *slab = virt_to_slab(object);

	if (!slab || slab->type != PT_SLAB) {
		slab_report("%s(%s): %p was not allocated from a slab cache",
			    fn, s ? s->name : "?", object);
		return NULL;
	}
	slab_report("%s(%s): object %p belongs to cache %s", fn, s->name,
		    object, slab->slab_cache->name);
	return NULL;
}

/* the slab of object if it is an object of s, else report and NULL */
static __attribute__((always_inline)) inline struct slab *
object_slab(struct kmem_cache *s, const void *object, const char *fn)
{
	struct slab *slab = virt_to_slab(object);

	/* free blocks have no head, large kmalloc no cache */
	if (likely(slab && slab->slab_cache == s))
		return slab;
	return bad_object(s, object, fn);
}

static __attribute__((noinline)) void
slab_free_slow(struct kmem_cache *s, struct slab *slab, void *object)
{
	if (unlikely(kmem_cache_debug(s)))
		debug_slab_free(s, slab, object);
	else
		cpu_slab_free(s, slab, object);
}

static __attribute__((always_inline)) inline void
__slab_free_object(struct kmem_cache *s, struct slab *slab, void *object)
{
	if (likely(s->cpu_sheaves) &&
	    (nr_node_ids == 1 || slab->node == numa_node_id()) &&
	    likely(free_to_pcs(s, object, true)))
		return;
	slab_free_slow(s, slab, object);
}

void slab_free_object(struct kmem_cache *s, struct slab *slab, void *object)
{
	__slab_free_object(s, slab, object);
}

/* kmem_cache_free() without a sheaf hit: every other case */
static __attribute__((noinline)) void
free_slowpath(struct kmem_cache *s, void *object)
{
	struct slab *slab;

	if (unlikely(!object || bad_cache(s, "kmem_cache_free")))
		return;
	slab = object_slab(s, object, "kmem_cache_free");
	if (likely(slab))
		__slab_free_object(s, slab, object);
}

static __attribute__((noinline)) void
free_trylock_failed(struct kmem_cache *s, void *object)
{
	stat(s, PCS_TRYLOCK_FAIL);
	slab_free_slow(s, virt_to_slab(object), object);
}

/*
 * main is full: replace it (pcs locked, no bracket open), or free to the
 * slab
 */
static __attribute__((noinline)) void
free_main_full(struct kmem_cache *s, struct slub_percpu_sheaves *pcs,
	       void *object)
{
	if (!pcs_replace_push(s, pcs, object, true))
		slab_free_slow(s, virt_to_slab(object), object);
}

/* the object is s's and on this node, pcs is locked: push it */
static __attribute__((always_inline)) inline void
free_locked_pcs(struct kmem_cache *s, void *object,
		struct slub_percpu_sheaves *pcs)
{
	struct slab_sheaf *main = pcs->main;

	if (unlikely(main->size == s->sheaf_capacity))
		return free_main_full(s, pcs, object);
	pcs_push_counted(main, object);
	percpu_unlock(&pcs->lock);
}

/* the same with pcs from a trylock: NULL if it failed */
static __attribute__((always_inline)) inline void
free_with_pcs(struct kmem_cache *s, void *object,
	      struct slub_percpu_sheaves *pcs)
{
	if (unlikely(!pcs))
		return free_trylock_failed(s, object);
	free_locked_pcs(s, object, pcs);
}

/* as alloc_atomic_miss() */
static __attribute__((noinline)) void
free_atomic_miss(struct kmem_cache *s, void *object)
{
	if (!slab_thread_cpu_off) {
		slab_cpu_id_slow();
		free_with_pcs(s, object,
			      percpu_trylock_ptr_atomic(s->cpu_sheaves,
							PCS_SHIFT));
		return;
	}
	slab_cpu_repick();
	free_trylock_failed(s, object);
}

#if SLAB_HAVE_RSEQ_ASM
/* the lockless push failed: the lock is taken, main is full, or no CPU */
static __attribute__((noinline)) void
free_rseq_miss(struct kmem_cache *s, void *object)
{
	free_with_pcs(s, object,
		      rseq_trylock_percpu_ptr(s->cpu_sheaves, PCS_SHIFT));
}
#endif

/*
 * Like the kernel's, the sheaf fast path trusts its caller to free an
 * object of s: it never looks at the object's slab (SLUB checks the cache
 * only with CONFIG_SLAB_FREELIST_HARDENED or consistency checks).  Caches
 * with debug flags, SLABSCALE_DEBUG among them, have no sheaves and check
 * every free on the slow path, as do the cpu slab and the slabs.
 */
FAST_PATH void kmem_cache_free(struct kmem_cache *s, void *object)
{
	struct slub_percpu_sheaves *pcs;
	unsigned long fast;

	if (unlikely(!s || !object))
		return free_slowpath(s, object);
	fast = s->fast_sheaves;
	if (unlikely(fast & PCS_FAST_ATOMIC)) {
		pcs = pcs_atomic_this_cpu(fast);
		if (unlikely(!pcs_trylock_atomic(pcs)))
			return free_atomic_miss(s, object);
		return free_locked_pcs(s, object, pcs);
	}
#if SLAB_HAVE_RSEQ_ASM
	if (likely(fast)) {
		if (likely(rseq_sheaf_push((void *)fast, object,
					   s->sheaf_capacity)))
			return;
		return free_rseq_miss(s, object);
	}
#endif
	return free_slowpath(s, object);
}

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

void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p)
{
	size_t done = 0, i;

	if (bad_cache(s, "kmem_cache_free_bulk") || !p)
		return;
	for (i = 0; i < size; i++)
		if (!object_slab(s, p[i], "kmem_cache_free_bulk"))
			return;		/* refuse the whole batch */
	if (s->cpu_sheaves && nr_node_ids == 1)
		done = sheaf_free_bulk(s, size, p);
	for (; done < size; done++)
		slab_free_object(s, virt_to_slab(p[done]), p[done]);
}
