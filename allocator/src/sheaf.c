// SPDX-License-Identifier: GPL-2.0-only
/*
 * sheaf.c - percpu sheaves (CONFIG_SLUB_SHEAVES): per CPU a main and a
 * spare sheaf (arrays of object pointers) in front of the slabs, with the
 * node's barn (barn.c) as the next level.
 *
 * The fast paths (alloc.c) trylock the CPU's slub_percpu_sheaves and pop
 * from or push to main.  This file holds what runs when main is empty or
 * full.  They are entered with the per-CPU lock held; they may drop it to
 * allocate or refill and then retake it, possibly on another CPU, so they
 * return the (new) locked pcs, or NULL with the lock released when the
 * caller must fall back to the slab layer.
 *
 * Lock order: per-CPU lock -> barn lock -> node list_lock (slab.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pcs.h"

#define PCS_STRIDE	sizeof(struct slub_percpu_sheaves)
#define PCS_BATCH_MAX	32

/* tests: make alloc_empty_sheaf() fail */
bool sheaf_alloc_fail;

/*
 * 7.0's capacity for a cache that did not ask (calculate_sheaf_capacity()):
 * by the object's slot size, roughly half of what per-CPU partial slabs
 * held, as a CPU has two sheaves; then grown until the sheaf fills the
 * kmalloc bucket it is allocated from.  The kernel's sheaf header is 32
 * bytes on 64-bit (ours carries the pops count too), and its capacity is
 * what we use, so the figures are the kernel's: 60, 28, 12 and 4.  A
 * cache's own request wins when larger (choose_sheaves()).
 */
#define KERNEL_SHEAF_HEADER	32u

unsigned int sheaf_default_capacity(unsigned int size)
{
	unsigned int capacity;
	size_t bytes;

	if (size >= PAGE_SIZE)
		capacity = 4;
	else if (size >= 1024)
		capacity = 12;
	else if (size >= 256)
		capacity = 26;
	else
		capacity = 60;
	bytes = kmalloc_size_roundup(KERNEL_SHEAF_HEADER +
				     capacity * sizeof(void *));
	return (bytes - KERNEL_SHEAF_HEADER) / sizeof(void *);
}

struct slab_sheaf *alloc_empty_sheaf(struct kmem_cache *s, gfp_t gfp)
{
	struct slab_sheaf *sheaf;

	(void)gfp;
	if (READ_ONCE(sheaf_alloc_fail))
		return NULL;
	sheaf = calloc(1, sizeof(*sheaf) +
			  s->sheaf_capacity * sizeof(void *));
	if (!sheaf)
		return NULL;
	sheaf->cache = s;
	stat(s, SHEAF_ALLOC);
	return sheaf;
}

void free_empty_sheaf(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	free(sheaf);
	stat(s, SHEAF_FREE);
}

/*
 * objects for a sheaf, counted as internal moves, not allocations: in the
 * cpu-slab era through the cpu slab (6.18's __kmem_cache_alloc_bulk), in
 * 7.0 from the partial slabs in bulk (refill_objects(), slab.c)
 */
int sheaf_refill_objects(struct kmem_cache *s, void **p, unsigned int n,
			 gfp_t gfp)
{
#ifdef CONFIG_SLUB_CPU_SLAB
	return cpu_slab_refill_bulk(s, gfp, p, n);
#else
	if (!gfpflags_allow_spinning(gfp))
		return 0;
	return refill_objects(s, p, gfp, n, n);
#endif
}

/* fill a sheaf to capacity; -ENOMEM (objects kept) if that failed */
int refill_sheaf(struct kmem_cache *s, struct slab_sheaf *sheaf, gfp_t gfp)
{
	unsigned int capacity = s->sheaf_capacity;
	int got;

	if (sheaf->size >= capacity)
		return 0;
	got = sheaf_refill_objects(s, &sheaf->objects[sheaf->size],
				   capacity - sheaf->size, gfp);
	sheaf->size += got;
	stat_add(s, SHEAF_REFILL, got);
	return sheaf->size == capacity ? 0 : -ENOMEM;
}

/* give every object of a sheaf back to the slabs */
void sheaf_flush_unused(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	unsigned int i;

	if (!sheaf->size)
		return;
	if (kmem_cache_debug(s)) {
		/* only prefilled sheaves of debug caches hold objects */
		for (i = 0; i < sheaf->size; i++)
			debug_slab_free(s, virt_to_slab(sheaf->objects[i]),
					sheaf->objects[i]);
		sheaf->size = 0;
		return;
	}
	slab_free_bulk(s, sheaf->size, sheaf->objects, false);
	stat_add(s, SHEAF_FLUSH, sheaf->size);
	sheaf->size = 0;
}

/* lock this CPU's sheaves and open a bracket (pcs.h) */
struct slub_percpu_sheaves *pcs_trylock(struct kmem_cache *s)
{
	struct slub_percpu_sheaves *pcs = percpu_trylock(s->cpu_sheaves);

	if (unlikely(!pcs)) {
		stat(s, PCS_TRYLOCK_FAIL);
		return NULL;
	}
	pcs_count_lock(pcs);
	pcs_main_fold(pcs);
	return pcs;
}

/* close the bracket and unlock */
void pcs_unlock(struct slub_percpu_sheaves *pcs)
{
	pcs_main_rebase(pcs);
	percpu_unlock(&pcs->lock);
}

/*
 * main is empty.  Try the spare, then a full sheaf from the barn, then (if
 * we may block) refill a sheaf from slabs.  The barn is the one of the CPU
 * we started on, kept across the unlocked refill as the kernel keeps its
 * get_barn(): the thread may come back on another CPU, whose node may
 * have no barn (a memoryless node before 7.1), and the full sheaf is
 * better kept near where it was filled.
 */
struct slub_percpu_sheaves *
__pcs_replace_empty_main(struct kmem_cache *s, struct slub_percpu_sheaves *pcs,
			 gfp_t gfp)
{
	bool allow_spin = gfpflags_allow_spinning(gfp);
	struct slab_sheaf *empty = NULL, *full;
	struct node_barn *barn;

	/* the bootstrap sheaf (kmalloc before kmalloc-sheaves): back off */
	if (unlikely(!s->sheaf_capacity)) {
		pcs_unlock(pcs);
		return NULL;
	}
	if (pcs->spare && pcs->spare->size) {
		full = pcs->spare;
		pcs->spare = pcs->main;
		pcs->main = full;
		return pcs;
	}
	/* no barn (a memoryless node before 7.1): the slabs, no refill */
	barn = pcs->barn;
	if (unlikely(!barn)) {
		pcs_unlock(pcs);
		return NULL;
	}
	full = barn_replace_empty_sheaf(barn, pcs->main, allow_spin);
	if (full) {
		stat(s, BARN_GET);
		pcs->main = full;
		return pcs;
	}
	stat(s, BARN_GET_FAIL);
	/*
	 * Before 7.0-rc3's fb1091febd66 "mm/slab: allow sheaf refill if
	 * blocking is not allowed" only a caller that may block refilled (a
	 * GFP_NOWAIT allocation went to the slabs one object at a time);
	 * after it any caller that may spin refills, with its own gfp.
	 */
#ifdef CONFIG_SLUB_REFILL_NOWAIT
	if (!allow_spin) {
#else
	if (!gfpflags_allow_blocking(gfp)) {
#endif
		pcs_unlock(pcs);
		return NULL;
	}
	if (pcs->spare) {
		empty = pcs->spare;
		pcs->spare = NULL;
	} else {
		empty = barn_get_empty_sheaf(barn, true);
	}
	pcs_unlock(pcs);

	if (!empty)
		empty = alloc_empty_sheaf(s, gfp);
	if (!empty)
		return NULL;
	if (refill_sheaf(s, empty, gfp) && !empty->size) {
		free_empty_sheaf(s, empty);
		return NULL;
	}
	full = empty;

	pcs = pcs_trylock(s);
	if (!pcs) {
		/* keep the objects for somebody else; we use the slabs */
		barn_put_full_sheaf(barn, full);
		stat(s, BARN_PUT);
		return NULL;
	}
	/* the CPU may have changed while unlocked: look again */
	if (!pcs->main->size) {
		if (!pcs->spare)
			pcs->spare = pcs->main;
		else
			barn_put_empty_sheaf(barn, pcs->main);
		pcs->main = full;
	} else if (!pcs->spare) {
		pcs->spare = full;
	} else if (!pcs->spare->size) {
		barn_put_empty_sheaf(barn, pcs->spare);
		pcs->spare = full;
	} else {
		barn_put_full_sheaf(barn, full);
		stat(s, BARN_PUT);
	}
	return pcs;
}

/* no empty sheaf to be had: flush main to the slabs, 32 at a time */
static void sheaf_flush_main(struct kmem_cache *s)
{
	void *batch[PCS_BATCH_MAX];
	struct slub_percpu_sheaves *pcs;
	unsigned int k, left;

	do {
		pcs = pcs_trylock(s);
		if (!pcs)
			return;
		k = pcs->main->size < PCS_BATCH_MAX ? pcs->main->size :
						      PCS_BATCH_MAX;
		pcs->main->size -= k;
		memcpy(batch, &pcs->main->objects[pcs->main->size],
		       k * sizeof(void *));
		left = pcs->main->size;
		pcs_unlock(pcs);
		slab_free_bulk(s, k, batch, false);
		stat_add(s, SHEAF_FLUSH, k);
	} while (left);
}

/*
 * main is full.  Swap with an emptier spare, trade main for an empty sheaf
 * at the barn, flush the spare when the barn is full (E2BIG), else get a
 * new empty sheaf, else flush main in batches.
 */
struct slub_percpu_sheaves *
__pcs_replace_full_main(struct kmem_cache *s, struct slub_percpu_sheaves *pcs,
			bool allow_spin)
{
	struct slab_sheaf *empty, *to_flush;
	int err = 0;

	/*
	 * the bootstrap sheaf (kmalloc before kmalloc-sheaves), or no barn
	 * (a memoryless node before 7.1, whose frees are all remote and
	 * never come here but through the bulk path): back off
	 */
	if (unlikely(!s->sheaf_capacity || !pcs->barn)) {
		pcs_unlock(pcs);
		return NULL;
	}
	if (!pcs->spare) {
		empty = barn_get_empty_sheaf(pcs->barn, allow_spin);
		if (empty) {
			pcs->spare = pcs->main;
			pcs->main = empty;
			return pcs;
		}
		goto alloc_empty;
	}
	if (pcs->spare->size < s->sheaf_capacity) {
		empty = pcs->spare;
		pcs->spare = pcs->main;
		pcs->main = empty;
		return pcs;
	}
	empty = barn_replace_full_sheaf(pcs->barn, pcs->main, allow_spin,
					&err);
	if (empty) {
		stat(s, BARN_PUT);
		pcs->main = empty;
		return pcs;
	}
	stat(s, BARN_PUT_FAIL);
	if (err == -E2BIG && allow_spin) {
		/* the barn has enough full sheaves: the spare goes to slabs */
		to_flush = pcs->spare;
		pcs->spare = NULL;
		pcs_unlock(pcs);
		sheaf_flush_unused(s, to_flush);
		empty = to_flush;
		goto got_empty;
	}
	if (err == -EBUSY || !allow_spin) {
		pcs_unlock(pcs);
		return NULL;
	}
alloc_empty:
	pcs_unlock(pcs);
	if (!allow_spin)
		return NULL;
	empty = alloc_empty_sheaf(s, GFP_NOWAIT);
	if (!empty) {
		sheaf_flush_main(s);
		/*
		 * We may run on another CPU now, or the flush gave up on a
		 * busy lock: the main we lock may be full again, and the
		 * caller pushes without looking.
		 */
		pcs = pcs_trylock(s);
		if (pcs && pcs->main->size == s->sheaf_capacity) {
			pcs_unlock(pcs);
			return NULL;
		}
		return pcs;
	}
got_empty:
	pcs = pcs_trylock(s);
	if (!pcs) {
		free_empty_sheaf(s, empty);
		return NULL;
	}
	if (pcs->main->size < s->sheaf_capacity) {
		/* somebody made room meanwhile */
		if (!pcs->spare)
			pcs->spare = empty;
		else if (pcs->barn &&
			 READ_ONCE(pcs->barn->nr_empty) < MAX_EMPTY_SHEAVES)
			barn_put_empty_sheaf(pcs->barn, empty);
		else
			free_empty_sheaf(s, empty);
		return pcs;
	}
	if (!pcs->spare) {
		pcs->spare = pcs->main;
		pcs->main = empty;
		return pcs;
	}
	if (unlikely(!pcs->barn)) {
		/* moved to a CPU without a barn meanwhile */
		pcs_unlock(pcs);
		free_empty_sheaf(s, empty);
		return NULL;
	}
	barn_put_full_sheaf(pcs->barn, pcs->main);
	stat(s, BARN_PUT);
	pcs->main = empty;
	return pcs;
}

/* objects out of the sheaves for kmem_cache_alloc_bulk(); how many */
int sheaf_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t n, void **p)
{
	struct slub_percpu_sheaves *pcs;
	size_t done = 0, k;

	pcs = pcs_trylock(s);
	if (!pcs)
		return 0;
	while (done < n) {
		struct slab_sheaf *main = pcs->main;

		if (!main->size) {
			pcs = __pcs_replace_empty_main(s, pcs, gfp);
			if (!pcs)
				return done;
			continue;
		}
		k = n - done < main->size ? n - done : main->size;
		main->size -= k;
		memcpy(p + done, &main->objects[main->size], k * sizeof(void *));
		done += k;
		WRITE_ONCE(pcs->stat_alloc, pcs->stat_alloc + k);
	}
	pcs_unlock(pcs);
	return done;
}

/* objects into the sheaves for kmem_cache_free_bulk(); how many */
size_t sheaf_free_bulk(struct kmem_cache *s, size_t n, void **p)
{
	struct slub_percpu_sheaves *pcs;
	size_t done = 0, k, room;

	pcs = pcs_trylock(s);
	if (!pcs)
		return 0;
	while (done < n) {
		struct slab_sheaf *main = pcs->main;

		room = s->sheaf_capacity - main->size;
		if (!room) {
			pcs = __pcs_replace_full_main(s, pcs, true);
			if (!pcs)
				return done;
			continue;
		}
		k = n - done < room ? n - done : room;
		memcpy(&main->objects[main->size], p + done, k * sizeof(void *));
		main->size += k;
		done += k;
		WRITE_ONCE(pcs->stat_free, pcs->stat_free + k);
	}
	pcs_unlock(pcs);
	return done;
}

struct slub_percpu_sheaves *pcs_lock_cpu(struct kmem_cache *s, int cpu)
{
	struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];

	cpu_lock_remote_stat(s, percpu_lock_remote(&pcs->lock, cpu));
	pcs_count_lock(pcs);
	pcs_main_fold(pcs);
	return pcs;
}

/*
 * pcs_lock_cpu() for a counter reader: waits as it does, but neither
 * the wait nor the acquisition is counted, so a read leaves the lock
 * statistics as they were
 */
struct slub_percpu_sheaves *pcs_lock_cpu_quiet(struct kmem_cache *s, int cpu)
{
	struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];

	percpu_lock_remote(&pcs->lock, cpu);
	pcs_main_fold(pcs);
	return pcs;
}

/* pcs_lock_cpu() that gives up (NULL) instead of waiting; for readers */
struct slub_percpu_sheaves *pcs_trylock_cpu(struct kmem_cache *s, int cpu)
{
	struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];

	if (!percpu_trylock_remote(&pcs->lock, cpu))
		return NULL;
	pcs_main_fold(pcs);
	return pcs;
}

void pcs_unlock_cpu(struct slub_percpu_sheaves *pcs)
{
	pcs_main_rebase(pcs);
	percpu_unlock_remote(&pcs->lock);
}

/*
 * Empty one CPU's main and spare into the slabs; its rcu_free sheaf is
 * handed to RCU, flushed after the grace period (rcu_sheaf.c).
 */
void pcs_flush_cpu(struct kmem_cache *s, int cpu)
{
	struct slub_percpu_sheaves *pcs = pcs_lock_cpu(s, cpu);
	struct slab_sheaf *spare = pcs->spare;
	struct slab_sheaf *rcu_free = pcs->rcu_free;

	pcs->spare = NULL;
	pcs->rcu_free = NULL;
	sheaf_flush_unused(s, pcs->main);
	pcs_unlock_cpu(pcs);
	if (spare) {
		sheaf_flush_unused(s, spare);
		free_empty_sheaf(s, spare);
	}
	if (rcu_free)
		rcu_sheaf_flush_detached(rcu_free);
}

void sheaves_flush_all(struct kmem_cache *s)
{
	unsigned int cpu, node;

	if (!s->cpu_sheaves)
		return;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		pcs_flush_cpu(s, cpu);
	for (node = 0; node < nr_node_ids; node++)
		if (s->barn[node])
			barn_shrink(s, s->barn[node]);
}

int sheaves_init(struct kmem_cache *s)
{
	unsigned int cpu, node;
	void *p;

	for (node = 0; node < nr_node_ids; node++) {
		/*
		 * Barns live on nodes with memory (the kernel's slab_nodes),
		 * until 7.1's "slab: create barns for online memoryless
		 * nodes": a CPU of a memoryless node has no barn before it
		 * (pcs->barn NULL, as get_barn() returning NULL since the
		 * 6.18 fix "slab: fix barn NULL pointer dereference on
		 * memoryless nodes").
		 */
		if (!node_has_memory(node) && !IS_ENABLED(CONFIG_SLUB_MEMORYLESS_BARNS))
			continue;
		if (posix_memalign(&p, CACHELINE, sizeof(struct node_barn)))
			return -1;
		s->barn[node] = p;
		barn_init(s->barn[node]);
	}
	if (posix_memalign(&p, CACHELINE,
			   (nr_cpu_ids + PERCPU_GUARDS) * PCS_STRIDE))
		return -1;
	memset(p, 0, (nr_cpu_ids + PERCPU_GUARDS) * PCS_STRIDE);
	s->cpu_sheaves = (struct slub_percpu_sheaves *)p + PERCPU_GUARDS;
	for (cpu = 1; cpu <= PERCPU_GUARDS; cpu++)
		s->cpu_sheaves[-(int)cpu].lock = PERCPU_GUARD_LOCKED;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct slub_percpu_sheaves *pcs = &s->cpu_sheaves[cpu];

		pcs->barn = s->barn[cpu_to_node(cpu)];
		pcs->main = alloc_empty_sheaf(s, GFP_KERNEL);
		if (!pcs->main)
			return -1;
	}
	return 0;
}

void sheaves_exit(struct kmem_cache *s)
{
	unsigned int cpu, node;

	if (s->cpu_sheaves) {
		for (cpu = 0; cpu < nr_cpu_ids; cpu++)
			if (s->cpu_sheaves[cpu].main)
				free_empty_sheaf(s, s->cpu_sheaves[cpu].main);
		free(s->cpu_sheaves - PERCPU_GUARDS);
		s->cpu_sheaves = NULL;
	}
	for (node = 0; node < nr_node_ids; node++) {
		free(s->barn[node]);
		s->barn[node] = NULL;
	}
}
