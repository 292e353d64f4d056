// SPDX-License-Identifier: GPL-2.0-only
/*
 * nolock.c - kmalloc_nolock()/kfree_nolock(): allocation and free from any
 * context, including a signal handler that interrupted this allocator.
 * They only ever trylock, never allocate a sheaf, never flush, and return
 * NULL rather than wait.
 *
 * kmalloc_nolock: the sheaves when the variant allows it (allow_spin =
 * false: barn trylock, no refill), else the lockless cpu slab fast path or
 * its trylocked slow path, else slabs with list_lock trylock; on failure it
 * retries once with the next bucket.
 * kfree_nolock: a push on the sheaves or the cpu freelist when that needs
 * no lock; everything else is deferred to a per-CPU lock-free list (the
 * kernel's irq_work list) drained from normal context: the next allocation
 * slow path, kmem_cache_shrink/destroy or slab_live_objects().  A deferred
 * object still counts as allocated until it is drained.
 */
#include <stdlib.h>
#include <string.h>
#include "pcs.h"

struct deferred_head {
	void *head;
} __cacheline_aligned;

static struct deferred_head *deferred;	/* nr_cpu_ids entries */
static struct deferred_head deferred_fallback;
static struct slab *deferred_slabs;	/* linked through slab->next */
bool nolock_deferred_pending;

void nolock_init(void)
{
	void *p;

	if (posix_memalign(&p, CACHELINE, nr_cpu_ids * sizeof(*deferred)))
		return;
	memset(p, 0, nr_cpu_ids * sizeof(*deferred));
	deferred = p;
}

static struct deferred_head *deferred_list(int cpu)
{
	return deferred ? &deferred[cpu] : &deferred_fallback;
}

static void *alloc_nolock_from(struct kmem_cache *s, int node)
{
	void *object = NULL;

#ifdef CONFIG_SLUB_NOLOCK_SHEAVES
	if (s->cpu_sheaves && (node < 0 || node == numa_node_id())) {
		object = alloc_from_pcs(s, 0);
		if (object)
			return object;
	}
#endif
	if (!kmem_cache_debug(s))
		object = cpu_slab_alloc(s, 0, node);
	if (object)
		return object;
	/*
	 * slab_alloc_objects() may have written p[0] and still return 0
	 * (a new slab it had to give back): only trust its count.
	 */
	if (slab_alloc_objects(s, 0, node, &object, 1, false) != 1)
		return NULL;
	stat(s, ALLOC_SLOWPATH);
	return object;
}

void *kmalloc_nolock(size_t size, gfp_t gfp, int node)
{
	struct kmem_cache *s;
	void *object;

	if (gfp & ~__GFP_ZERO) {
		slab_bug("kmalloc_nolock: gfp 0x%x refused: only __GFP_ZERO "
			 "is allowed", gfp);
		return NULL;
	}
	if (!size || size > SLAB_MAX_OBJECT_SIZE)
		return NULL;
	if (node < NUMA_NO_NODE || node >= (int)nr_node_ids)
		return NULL;
	s = kmalloc_cache_for(size);
	if (kmem_cache_debug(s))
		return NULL;	/* debug caches spin on list_lock */
	object = alloc_nolock_from(s, node);
	if (!object && s->object_size < SLAB_MAX_OBJECT_SIZE) {
		/* once more with the next bucket */
		struct kmem_cache *next = kmalloc_cache_for(s->object_size + 1);

		object = alloc_nolock_from(next, node);
		if (object)
			s = next;
	}
	if (!object) {
		stat(s, NOLOCK_ALLOC_FAIL);
		return NULL;
	}
	if (gfp & __GFP_ZERO)
		memset(object, 0, s->object_size);
	return object;
}

static void defer_free(struct kmem_cache *s, void *object)
{
	struct deferred_head *d = deferred_list(current_cpu());
	void *old = __atomic_load_n(&d->head, __ATOMIC_RELAXED);

	do {
		*(void **)object = old;
	} while (!__atomic_compare_exchange_n(&d->head, &old, object, true,
					      __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	__atomic_store_n(&nolock_deferred_pending, true, __ATOMIC_RELEASE);
	stat(s, NOLOCK_FREE_DEFERRED);
}

void kfree_nolock(const void *p)
{
	void *object = (void *)p;
	struct kmem_cache *s;
	struct slab *slab;

	if ((uintptr_t)p <= 16)
		return;
	slab = virt_to_slab(object);
	if (!slab || slab->type != PT_SLAB)
		return;		/* nothing safe to report from here */
	s = slab->slab_cache;
#ifdef CONFIG_SLUB_NOLOCK_SHEAVES
	if (s->cpu_sheaves &&
	    (nr_node_ids == 1 || slab->node == numa_node_id()) &&
	    free_to_pcs(s, object, false))
		return;
#endif
	if (!kmem_cache_debug(s) && cpu_slab_free_nolock(s, slab, object))
		return;
	defer_free(s, object);
}

/*
 * A slab that a nolock allocation took from the page allocator but could
 * not put on its node's list (list_lock trylock failed).  Freeing its pages
 * takes zone_lock, which may spin - and spins forever if the signal handler
 * interrupted a zone_lock holder - so it waits on a lock-free list for the
 * next drain from normal context (the kernel defers such slabs the same
 * way).  It stays counted in the node's nr_slabs until then.
 */
void nolock_defer_discard_slab(struct slab *slab)
{
	struct slab *old = __atomic_load_n(&deferred_slabs, __ATOMIC_RELAXED);

	do {
		slab->next = old;
	} while (!__atomic_compare_exchange_n(&deferred_slabs, &old, slab,
					      true, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	__atomic_store_n(&nolock_deferred_pending, true, __ATOMIC_RELEASE);
}

static void drain_deferred_slabs(void)
{
	struct slab *slab = __atomic_exchange_n(&deferred_slabs, NULL,
						__ATOMIC_ACQUIRE);

	while (slab) {
		struct slab *next = slab->next;

		discard_slab(slab->slab_cache, slab);
		slab = next;
	}
}

/* free what kfree_nolock() deferred; normal context only */
void nolock_drain_deferred(struct kmem_cache *s)
{
	unsigned int cpu;

	(void)s;
	if (!__atomic_load_n(&nolock_deferred_pending, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&nolock_deferred_pending, false, __ATOMIC_RELAXED);
	drain_deferred_slabs();
	for (cpu = 0; cpu < (deferred ? nr_cpu_ids : 1); cpu++) {
		struct deferred_head *d = deferred_list(cpu);
		void *object = __atomic_exchange_n(&d->head, NULL,
						   __ATOMIC_ACQUIRE);

		while (object) {
			void *next = *(void **)object;
			struct slab *slab = virt_to_slab(object);

			if (kmem_cache_debug(slab->slab_cache))
				debug_slab_free(slab->slab_cache, slab, object);
			else
				cpu_slab_free(slab->slab_cache, slab, object,
					      object, 1);
			object = next;
		}
	}
}
