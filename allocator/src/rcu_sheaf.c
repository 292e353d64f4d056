// SPDX-License-Identifier: GPL-2.0-only
/*
 * rcu_sheaf.c - kfree_rcu() into per-CPU rcu_free sheaves
 * (CONFIG_SLUB_RCU_SHEAF, variant rcu-sheaf on).
 *
 * kvfree_call_rcu() first offers the object here.  For an object of a
 * cache with sheaves, on the node we run on, it is pushed on this CPU's
 * rcu_free sheaf.  A sheaf that becomes full is detached and handed to
 * call_rcu() while the per-CPU lock is still held, so a barrier's flush,
 * which takes the same lock on this CPU, either finds it attached or finds
 * its call_rcu() already made.  After the grace period the sheaf goes to
 * the barn as a full sheaf if the barn has room (its objects then serve
 * allocations without touching slabs: BARN_PUT), else its objects go back
 * to their slabs (BARN_PUT_FAIL) and the empty sheaf is kept in the barn
 * or freed.
 *
 * An object in an rcu_free sheaf is still allocated: it counts as live
 * until its grace period is over, like an object of a classic batch.  The
 * free is counted when the callback runs (FREE_PCS / FREE_FASTPATH when it
 * went to the barn with its sheaf, FREE_SLOWPATH when flushed to slabs).
 *
 * Refusals (false: the classic batching path takes the object):
 *  - not a slab object, or its cache has no sheaves;
 *  - a remote-node object (as the kernel: the barn it would land in is
 *    this node's), not counted as a failure;
 *  - the per-CPU trylock failed, or no empty sheaf could be had without
 *    blocking: FREE_RCU_SHEAF_FAIL.
 *
 * Barrier flush (slab_rcu_sheaf_flush_cpu): runs on the per-CPU worker of
 * the CPU concerned, locks that CPU's sheaves (waiting for a preempted
 * holder), detaches rcu_free and call_rcu()s it with a callback that
 * returns the objects to slabs and frees the sheaf.
 *
 * kmem_cache_shrink()/destroy (pcs_flush_cpu in sheaf.c) detach rcu_free
 * the same way and pass it to rcu_sheaf_flush_detached().
 *
 * Lock order: per-CPU sheaves lock -> barn lock (barn.c); call_rcu() is
 * made under the per-CPU lock and takes no allocator lock.  The callbacks
 * run on liburcu's workers and take only the barn lock and the node list
 * locks.  The cache stays alive until they have run: kmem_cache_destroy()
 * passes an rcu_barrier() (in the kvfree_rcu barrier) first.
 */
#include "pcs.h"
#include "rcu_internal.h"


/* where a free through the per-CPU layer is counted in this variant */
#ifdef CONFIG_SLUB_CPU_SLAB
#define RCU_SHEAF_FREE_ITEM	FREE_PCS
#else
#define RCU_SHEAF_FREE_ITEM	FREE_FASTPATH
#endif

#ifdef CONFIG_SLUB_RCU_SHEAF

/* objects go back to slabs; the sheaf is emptied */
static void rcu_sheaf_to_slabs(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	unsigned int n = sheaf->size;

	sheaf_flush_unused(s, sheaf);
	stat_add(s, FREE_SLOWPATH, n);
}

/* grace period over for a sheaf that filled up: reuse it through the barn */
static void rcu_free_sheaf(struct rcu_head *head)
{
	struct slab_sheaf *sheaf = container_of(head, struct slab_sheaf,
						rcu_head);
	struct kmem_cache *s = sheaf->cache;
	struct node_barn *barn = s->barn[sheaf->node];

	if (unlikely(!barn)) {	/* filled on a memoryless node */
		rcu_sheaf_to_slabs(s, sheaf);
		free_empty_sheaf(s, sheaf);
		return;
	}
	/*
	 * Racy limit checks: two callbacks may both pass and go one over the
	 * limit, which is harmless (the kernel does the same).
	 */
	if (READ_ONCE(barn->nr_full) < MAX_FULL_SHEAVES) {
		stat_add(s, RCU_SHEAF_FREE_ITEM, sheaf->size);
		barn_put_full_sheaf(barn, sheaf);
		stat(s, BARN_PUT);
		return;
	}
	stat(s, BARN_PUT_FAIL);
	rcu_sheaf_to_slabs(s, sheaf);
	if (READ_ONCE(barn->nr_empty) < MAX_EMPTY_SHEAVES)
		barn_put_empty_sheaf(barn, sheaf);
	else
		free_empty_sheaf(s, sheaf);
}

/* grace period over for a sheaf a barrier detached: objects to slabs */
static void rcu_free_sheaf_nobarn(struct rcu_head *head)
{
	struct slab_sheaf *sheaf = container_of(head, struct slab_sheaf,
						rcu_head);
	struct kmem_cache *s = sheaf->cache;

	rcu_sheaf_to_slabs(s, sheaf);
	free_empty_sheaf(s, sheaf);
}

/*
 * This CPU has no rcu_free sheaf: adopt an empty spare or an empty barn
 * sheaf, or allocate one without blocking (the lock is dropped for that
 * and retaken, maybe on another CPU).  Returns the locked pcs with
 * rcu_free set, or NULL with no lock held.
 */
static struct slub_percpu_sheaves *
rcu_sheaf_get_empty(struct kmem_cache *s, struct slub_percpu_sheaves *pcs)
{
	struct slab_sheaf *empty;
	struct node_barn *barn;

	if (pcs->spare && !pcs->spare->size) {
		pcs->rcu_free = pcs->spare;
		pcs->spare = NULL;
		return pcs;
	}
	empty = pcs->barn ? barn_get_empty_sheaf(pcs->barn, true) : NULL;
	if (empty) {
		pcs->rcu_free = empty;
		return pcs;
	}
	barn = pcs->barn;
	percpu_unlock(&pcs->lock);

	empty = alloc_empty_sheaf(s, GFP_NOWAIT);
	if (!empty)
		return NULL;
	pcs = percpu_trylock(s->cpu_sheaves);
	if (!pcs) {
		if (barn)
			barn_put_empty_sheaf(barn, empty);
		else
			free_empty_sheaf(s, empty);
		return NULL;
	}
	pcs_count_lock(pcs);
	if (pcs->rcu_free) {	/* somebody filled the slot meanwhile */
		if (pcs->barn)
			barn_put_empty_sheaf(pcs->barn, empty);
		else
			free_empty_sheaf(s, empty);
	} else
		pcs->rcu_free = empty;
	return pcs;
}

static bool __kfree_rcu_sheaf(struct kmem_cache *s, void *obj)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *sheaf;

	pcs = percpu_trylock(s->cpu_sheaves);
	if (!pcs) {
		stat(s, PCS_TRYLOCK_FAIL);
		goto fail;
	}
	pcs_count_lock(pcs);
	if (unlikely(!pcs->rcu_free)) {
		pcs = rcu_sheaf_get_empty(s, pcs);
		if (!pcs)
			goto fail;
	}
	sheaf = pcs->rcu_free;
	/* a full sheaf is detached at once: there is always room here */
	sheaf->objects[sheaf->size++] = obj;
	if (sheaf->size == s->sheaf_capacity) {
		pcs->rcu_free = NULL;
		sheaf->node = cpu_to_node(percpu_index(s->cpu_sheaves, pcs));
		/* before unlocking: a racing barrier flush must not miss it */
		slab_call_rcu(&sheaf->rcu_head, rcu_free_sheaf);
	}
	percpu_unlock(&pcs->lock);
	stat(s, FREE_RCU_SHEAF);
	return true;
fail:
	stat(s, FREE_RCU_SHEAF_FAIL);
	return false;
}

bool slab_kfree_rcu_sheaf(void *obj)
{
	struct slab *slab = virt_to_slab(obj);
	struct kmem_cache *s;

	if (!slab || slab->type != PT_SLAB)
		return false;
	s = slab->slab_cache;
	if (!cache_has_sheaves(s))
		return false;
	if (nr_node_ids != 1 && slab->node != numa_node_id())
		return false;	/* remote node: the classic path */
	return __kfree_rcu_sheaf(s, obj);
}

void slab_rcu_sheaf_flush_cpu(struct kmem_cache *s, int cpu)
{
	struct slub_percpu_sheaves *pcs;
	struct slab_sheaf *sheaf;

	if (!cache_has_sheaves(s) || cpu < 0 || cpu >= (int)nr_cpu_ids)
		return;
	pcs = pcs_lock_cpu(s, cpu);
	sheaf = pcs->rcu_free;
	pcs->rcu_free = NULL;
	pcs_unlock_cpu(pcs);
	if (sheaf)
		slab_call_rcu(&sheaf->rcu_head, rcu_free_sheaf_nobarn);
}

bool slab_rcu_cache_has_sheaves(struct kmem_cache *s)
{
	return cache_has_sheaves(s) && !s->destroyed;
}

/* kmem_cache_shrink()/destroy flushing a CPU (sheaf.c) */
void rcu_sheaf_flush_detached(struct slab_sheaf *sheaf)
{
	slab_call_rcu(&sheaf->rcu_head, rcu_free_sheaf_nobarn);
}

#else /* !CONFIG_SLUB_RCU_SHEAF: kfree_rcu always takes the classic path */

bool slab_kfree_rcu_sheaf(void *obj)
{
	(void)obj;
	return false;
}

void slab_rcu_sheaf_flush_cpu(struct kmem_cache *s, int cpu)
{
	(void)s;
	(void)cpu;
}

bool slab_rcu_cache_has_sheaves(struct kmem_cache *s)
{
	(void)s;
	return false;
}

/* never called: rcu_free stays NULL without rcu sheaves */
void rcu_sheaf_flush_detached(struct slab_sheaf *sheaf)
{
	(void)sheaf;
}

#endif
