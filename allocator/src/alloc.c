// SPDX-License-Identifier: GPL-2.0-only
/*
 * alloc.c - kmem_cache_alloc/free and their bulk forms: the sheaf fast
 * paths, then the per-variant fallbacks (cpu slab, slabs, debug).
 *
 * The sheaf fast path is the one that has to be cheap: an rseq trylock of
 * this CPU's sheaves (~1 ns, no atomic instruction), a pop or push on the
 * main sheaf, a counter on the same cache line, a plain store to unlock.
 */
#include <string.h>
#include "percpu.h"

#define PCS_STRIDE	sizeof(struct slub_percpu_sheaves)

static inline void *alloc_from_pcs(struct kmem_cache *s, gfp_t gfp)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	void *object;
	int cpu;

	cpu = percpu_trylock(s->cpu_sheaves, PCS_STRIDE);
	if (unlikely(cpu < 0)) {
		stat(s, PCS_TRYLOCK_FAIL);
		return NULL;
	}
	pcs = &s->cpu_sheaves[cpu];
	main = pcs->main;
	if (unlikely(!main->size)) {
		pcs = __pcs_replace_empty_main(s, pcs, gfp);
		if (!pcs)
			return NULL;
		main = pcs->main;
	}
	object = main->objects[--main->size];
	locked_inc(&pcs->stat_alloc);
	percpu_unlock(&pcs->lock);
	return object;
}

static inline bool free_to_pcs(struct kmem_cache *s, void *object)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *main;
	int cpu;

	cpu = percpu_trylock(s->cpu_sheaves, PCS_STRIDE);
	if (unlikely(cpu < 0)) {
		stat(s, PCS_TRYLOCK_FAIL);
		return false;
	}
	pcs = &s->cpu_sheaves[cpu];
	main = pcs->main;
	if (unlikely(main->size == s->sheaf_capacity)) {
		pcs = __pcs_replace_full_main(s, pcs, true);
		if (!pcs)
			return false;
		main = pcs->main;
	}
	main->objects[main->size++] = object;
	locked_inc(&pcs->stat_free);
	percpu_unlock(&pcs->lock);
	return true;
}

static void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfp, int node)
{
	if (unlikely(READ_ONCE(nolock_deferred_pending)) &&
	    gfpflags_allow_spinning(gfp))
		nolock_drain_deferred(NULL);
	if (unlikely(kmem_cache_debug(s)))
		return debug_slab_alloc(s, gfp, node);
	return cpu_slab_alloc(s, gfp, node);
}

static inline void *slab_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	void *object = NULL;

	if (likely(s->cpu_sheaves) &&
	    (node < 0 || nr_node_ids == 1 || node == numa_node_id()))
		object = alloc_from_pcs(s, gfp);
	if (unlikely(!object))
		object = slab_alloc_slow(s, gfp, node);
	if (unlikely(gfp & __GFP_ZERO) && object)
		memset(object, 0, s->object_size);
	return object;
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

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	void *object;

	if (unlikely(bad_cache(s, "kmem_cache_alloc")))
		return NULL;
	object = slab_alloc_node(s, gfp, NUMA_NO_NODE);
	if (unlikely(!object))
		alloc_failed(s, gfp);
	return object;
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

/* the slab of object if it is an object of s, else report and NULL */
static struct slab *object_slab(struct kmem_cache *s, const void *object,
				const char *fn)
{
	struct slab *slab = virt_to_slab(object);

	if (unlikely(!slab || slab->type != PT_SLAB)) {
		slab_report("%s(%s): %p was not allocated from a slab cache",
			    fn, s ? s->name : "?", object);
		return NULL;
	}
	if (unlikely(slab->slab_cache != s)) {
		slab_report("%s(%s): object %p belongs to cache %s", fn,
			    s->name, object, slab->slab_cache->name);
		return NULL;
	}
	return slab;
}

void slab_free_object(struct kmem_cache *s, struct slab *slab, void *object)
{
	if (likely(s->cpu_sheaves) &&
	    (nr_node_ids == 1 || slab->node == numa_node_id()) &&
	    likely(free_to_pcs(s, object)))
		return;
	if (unlikely(kmem_cache_debug(s)))
		debug_slab_free(s, slab, object);
	else
		cpu_slab_free(s, slab, object);
}

void kmem_cache_free(struct kmem_cache *s, void *object)
{
	struct slab *slab;

	if (unlikely(!object || bad_cache(s, "kmem_cache_free")))
		return;
	slab = object_slab(s, object, "kmem_cache_free");
	if (likely(slab))
		slab_free_object(s, slab, object);
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
