// SPDX-License-Identifier: GPL-2.0-only
/*
 * prefill.c - prefilled sheaves for guaranteed allocations: a caller gets
 * a sheaf with at least n objects, allocates from it where it cannot fail
 * or sleep, and gives it back.  Objects in a prefilled sheaf are not yet
 * allocated; kmem_cache_alloc_from_sheaf() counts the allocation.
 * Sizes above the cache's sheaf capacity (or caches without sheaves) get
 * an oversize sheaf made just for the request and freed on return.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pcs.h"

/*
 * fill sheaf up to target objects; 0 when it has them.  Objects from the
 * slabs into a sheaf are a refill (SHEAF_REFILL, in objects), not
 * allocations: kmem_cache_alloc_from_sheaf() counts those.
 */
static int sheaf_fill(struct kmem_cache *s, struct slab_sheaf *sheaf,
		      unsigned int target, gfp_t gfp)
{
	unsigned int want = target - sheaf->size;
	int got;

	if (sheaf->size >= target)
		return 0;
	if (kmem_cache_debug(s)) {
		/* checked (and counted) one by one; see sheaf_flush_unused */
		while (sheaf->size < target) {
			void *p = debug_slab_alloc(s, gfp, NUMA_NO_NODE);

			if (!p)
				return -ENOMEM;
			sheaf->objects[sheaf->size++] = p;
		}
		return 0;
	}
	got = sheaf_refill_objects(s, &sheaf->objects[sheaf->size], want, gfp);
	sheaf->size += got;
	stat_add(s, SHEAF_REFILL, got);
	return sheaf->size >= target ? 0 : -ENOMEM;
}

static struct slab_sheaf *prefill_oversize(struct kmem_cache *s, gfp_t gfp,
					   unsigned int size)
{
	struct slab_sheaf *sheaf;

	sheaf = calloc(1, sizeof(*sheaf) + size * sizeof(void *));
	if (!sheaf)
		return NULL;
	sheaf->cache = s;
	sheaf->capacity = size;
	if (sheaf_fill(s, sheaf, size, gfp)) {
		sheaf_flush_unused(s, sheaf);
		free(sheaf);
		return NULL;
	}
	stat(s, SHEAF_PREFILL_OVERSIZE);
	return sheaf;
}

struct slab_sheaf *kmem_cache_prefill_sheaf(struct kmem_cache *s, gfp_t gfp,
					    unsigned int size)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *sheaf = NULL;

	if (!s || !size)
		return NULL;
	if (size > SHEAF_MAX_OBJECTS) {
		slab_bug("kmem_cache_prefill_sheaf(%s): %u objects is more "
			 "than a sheaf holds (%u)", s->name, size,
			 SHEAF_MAX_OBJECTS);
		return NULL;
	}
	if (!s->cpu_sheaves || size > s->sheaf_capacity)
		return prefill_oversize(s, gfp, size);
	pcs = percpu_trylock(s->cpu_sheaves);
	if (pcs) {
		pcs_count_lock(pcs);
		if (pcs->spare) {
			sheaf = pcs->spare;
			pcs->spare = NULL;
			stat(s, SHEAF_PREFILL_FAST);
		} else {
			stat(s, SHEAF_PREFILL_SLOW);
			sheaf = pcs->barn ?
				barn_get_full_or_empty_sheaf(pcs->barn) : NULL;
			stat(s, sheaf && sheaf->size ? BARN_GET : BARN_GET_FAIL);
		}
		percpu_unlock(&pcs->lock);
	} else {
		stat(s, PCS_TRYLOCK_FAIL);
		stat(s, SHEAF_PREFILL_SLOW);
	}
	if (!sheaf)
		sheaf = alloc_empty_sheaf(s, gfp);
	if (!sheaf)
		return NULL;
	sheaf->capacity = s->sheaf_capacity;
	if (sheaf->size >= size)
		return sheaf;
	sheaf_fill(s, sheaf, s->sheaf_capacity, gfp);
	if (sheaf->size < size) {
		sheaf_flush_unused(s, sheaf);
		free_empty_sheaf(s, sheaf);
		return NULL;
	}
	return sheaf;
}

void kmem_cache_return_sheaf(struct kmem_cache *s, gfp_t gfp,
			     struct slab_sheaf *sheaf)
{
	struct slub_percpu_sheaves *pcs;
	struct node_barn *barn;

	if (!s || !sheaf)
		return;
	if (!s->cpu_sheaves || sheaf->capacity != s->sheaf_capacity) {
		sheaf_flush_unused(s, sheaf);
		free(sheaf);
		return;
	}
	pcs = percpu_trylock(s->cpu_sheaves);
	if (pcs) {
		pcs_count_lock(pcs);
		if (!pcs->spare) {
			pcs->spare = sheaf;
			sheaf = NULL;
		}
		percpu_unlock(&pcs->lock);
	}
	if (!sheaf) {
		stat(s, SHEAF_RETURN_FAST);
		return;
	}
	stat(s, SHEAF_RETURN_SLOW);
	barn = s->barn[numa_node_id()];
	if (!barn || READ_ONCE(barn->nr_full) >= MAX_FULL_SHEAVES ||
	    sheaf_fill(s, sheaf, s->sheaf_capacity, gfp)) {
		sheaf_flush_unused(s, sheaf);
		free_empty_sheaf(s, sheaf);
		return;
	}
	barn_put_full_sheaf(barn, sheaf);
	stat(s, BARN_PUT);
}

int kmem_cache_refill_sheaf(struct kmem_cache *s, gfp_t gfp,
			    struct slab_sheaf **sheafp, unsigned int size)
{
	struct slab_sheaf *sheaf, *bigger;

	if (!s || !sheafp || !*sheafp)
		return -EINVAL;
	sheaf = *sheafp;
	if (sheaf->size >= size)
		return 0;
	if (size > sheaf->capacity) {
		bigger = kmem_cache_prefill_sheaf(s, gfp, size);
		if (!bigger)
			return -ENOMEM;
		kmem_cache_return_sheaf(s, gfp, sheaf);
		*sheafp = bigger;
		return 0;
	}
	/* on failure the objects we got stay in the sheaf: it is intact */
	sheaf_fill(s, sheaf, sheaf->capacity, gfp);
	return sheaf->size >= size ? 0 : -ENOMEM;
}

void *kmem_cache_alloc_from_sheaf(struct kmem_cache *s, gfp_t gfp,
				  struct slab_sheaf *sheaf)
{
	void *object;

	if (!s || !sheaf || !sheaf->size)
		return NULL;
	object = sheaf->objects[--sheaf->size];
	/* a debug cache's prefilled objects were counted when checked out */
	if (!kmem_cache_debug(s))
		stat(s, ALLOC_FROM_SHEAF);
	if (gfp & __GFP_ZERO)
		memset(object, 0, s->object_size);
	return object;
}

unsigned int kmem_cache_sheaf_size(struct slab_sheaf *sheaf)
{
	return sheaf ? sheaf->size : 0;
}
