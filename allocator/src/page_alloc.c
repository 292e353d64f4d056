// SPDX-License-Identifier: GPL-2.0-only
/*
 * page_alloc.c - the page allocator under the slabs: a binary buddy
 * allocator over one reserved, MAX_PAGE_ORDER-aligned arena.
 *
 * Every 4 KiB page of the arena has a descriptor (struct slab) in a
 * parallel array, so virt_to_slab() is a subtraction, a shift and an index
 * plus one load of the compound head.  The arena is reserved up front
 * (MAP_NORESERVE, SLABSCALE_ARENA_MB, default 4096) and carved into
 * max-order blocks on demand.  Free blocks sit on per-order free lists and
 * merge with their buddy.  When a max-order block becomes free while more
 * than the release threshold (SLABSCALE_RELEASE_MB, default 16) is already
 * free, it is handed back to the OS with madvise(MADV_DONTNEED) and stays
 * usable (it faults in zeroed pages when reused).
 *
 * Locking: zone_lock (a spinlock) is the innermost lock of the allocator.
 * With allow_spin false (gfp without reclaim bits) it is only trylocked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "slab_internal.h"

char *slab_arena;
size_t slab_arena_top;			/* bytes carved so far */
struct slab *slab_page_desc;
struct kmem_cache slab_no_cache = { .name = "(none)" };
struct slab slab_free_sentinel = {
	.head = &slab_free_sentinel,
	.slab_cache = &slab_no_cache,
};
#define arena		slab_arena
#define page_desc	slab_page_desc
static size_t arena_pages;		/* reserved */
static size_t arena_top;		/* pages carved so far */
static spinlock_t zone_lock = SPINLOCK_INIT;
static struct list_head free_area[MAX_PAGE_ORDER + 1];
static unsigned long nr_free_pages, nr_released_pages, nr_used_pages;
static unsigned long release_threshold = 4096;
static int fail_order = -1;

static size_t env_mb(const char *name, size_t def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long mb;

	if (!v || !*v)
		return def;
	mb = strtoull(v, &end, 10);
	if (*end || mb == 0 || mb > (1ull << 24)) {
		fprintf(stderr, "slab: %s=%s is not a size in MiB, using %zu\n",
			name, v, def);
		return def;
	}
	return mb;
}

/*
 * Called once from the library's init (cache.c), never lazily from an
 * allocation: an allocation may come from a signal handler
 * (kmalloc_nolock) that interrupted this very initialization.
 */
void page_alloc_init(void)
{
	size_t block = PAGE_SIZE << MAX_PAGE_ORDER;
	size_t mb = env_mb("SLABSCALE_ARENA_MB", 4096);
	size_t bytes = (mb << 20) & ~(block - 1);
	uintptr_t base;
	char *p;
	int i;

	if (bytes < block)
		bytes = block;
	release_threshold = env_mb("SLABSCALE_RELEASE_MB", 16) << 20 >>
			    PAGE_SHIFT;
	for (i = 0; i <= MAX_PAGE_ORDER; i++)
		INIT_LIST_HEAD(&free_area[i]);
	p = mmap(NULL, bytes + block, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		/* no allocator without its arena: one line, not a core dump */
		fprintf(stderr, "slab: cannot reserve a %zu MiB arena: %s "
			"(ulimit -v? SLABSCALE_ARENA_MB sets its size)\n",
			bytes >> 20, strerror(errno));
		exit(1);
	}
	base = ((uintptr_t)p + block - 1) & ~(uintptr_t)(block - 1);
	if (base > (uintptr_t)p)
		munmap(p, base - (uintptr_t)p);
	munmap((char *)base + bytes, (uintptr_t)p + block - base);
	arena = (char *)base;
	arena_pages = bytes >> PAGE_SHIFT;
	page_desc = mmap(NULL, arena_pages * sizeof(struct slab),
			 PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (page_desc == MAP_FAILED) {
		fprintf(stderr, "slab: cannot map the arena's page descriptors: "
			"%s\n", strerror(errno));
		exit(1);
	}
}

static inline size_t desc_index(const struct slab *d)
{
	return d - page_desc;
}

void *slab_address(const struct slab *slab)
{
	return arena + (desc_index(slab) << PAGE_SHIFT);
}

bool slab_arena_contains(const void *p)
{
	return arena && (uintptr_t)p - (uintptr_t)arena <
			__atomic_load_n(&slab_arena_top, __ATOMIC_RELAXED);
}

/* set the compound head of every page of a block (sentinel: free) */
static void set_block_head(struct slab *d, unsigned int order,
			   struct slab *head)
{
	size_t i, n = 1ul << order;

	for (i = 0; i < n; i++)
		WRITE_ONCE(d[i].head, head);
}

/* the free areas and their counts: zone_lock held */
static void free_area_add(struct slab *d, unsigned int order, bool released)
{
	slab_lockdep_assert_held(&zone_lock);
	WRITE_ONCE(d->type, PT_BUDDY);
	WRITE_ONCE(d->order, order);
	d->flags = released ? SLAB_FL_RELEASED : 0;
	list_add(&d->slab_list, &free_area[order]);
	nr_free_pages += 1ul << order;
	if (released)
		nr_released_pages += 1ul << order;
}

static void free_area_del(struct slab *d)
{
	slab_lockdep_assert_held(&zone_lock);
	list_del(&d->slab_list);
	nr_free_pages -= 1ul << d->order;
	if (d->flags & SLAB_FL_RELEASED)
		nr_released_pages -= 1ul << d->order;
	WRITE_ONCE(d->type, PT_FREE_TAIL);
	d->flags = 0;
}

/* carve one more max-order block; zone_lock held */
static bool arena_grow(void)
{
	struct slab *d;

	slab_lockdep_assert_held(&zone_lock);
	if (arena_top + (1ul << MAX_PAGE_ORDER) > arena_pages)
		return false;
	d = &page_desc[arena_top];
	set_block_head(d, MAX_PAGE_ORDER, &slab_free_sentinel);
	arena_top += 1ul << MAX_PAGE_ORDER;
	__atomic_store_n(&slab_arena_top, arena_top << PAGE_SHIFT,
			 __ATOMIC_RELEASE);
	free_area_add(d, MAX_PAGE_ORDER, false);
	return true;
}

static struct slab *__alloc_block(unsigned int order)
{
	unsigned int o;
	struct slab *d;
	bool released;

	for (;;) {
		for (o = order; o <= MAX_PAGE_ORDER; o++)
			if (!list_empty(&free_area[o]))
				break;
		if (o <= MAX_PAGE_ORDER)
			break;
		if (!arena_grow())
			return NULL;
	}
	d = list_first_entry(&free_area[o], struct slab, slab_list);
	released = d->flags & SLAB_FL_RELEASED;
	free_area_del(d);
	while (o > order) {
		o--;
		free_area_add(d + (1ul << o), o, released);
	}
	return d;
}

struct slab *alloc_pages_node(int node, unsigned int order, gfp_t gfp)
{
	struct slab *d;

	if (unlikely(!arena) || order > MAX_PAGE_ORDER)
		return NULL;
	if (fail_order >= 0 && (int)order >= READ_ONCE(fail_order))
		return NULL;
	if (gfpflags_allow_spinning(gfp))
		spin_lock(&zone_lock);
	else if (!spin_trylock(&zone_lock))
		return NULL;
	d = __alloc_block(order);
	if (d) {
		nr_used_pages += 1ul << order;
		WRITE_ONCE(d->order, order);
	}
	spin_unlock(&zone_lock);
	if (!d)
		return NULL;
	/* a memoryless node's pages come from the nearest node with memory */
	d->node = local_memory_node(node < 0 ? numa_node_id() : node);
	d->flags = 0;
	d->slab_cache = NULL;
	d->freelist = NULL;
	d->counters = 0;
	d->next = NULL;
	d->large_size = 0;
	INIT_LIST_HEAD(&d->slab_list);
	set_block_head(d, order, d);
	return d;
}

/* give a max-order block back to the OS; zone_lock held, dropped inside */
static void release_block(struct slab *d)
{
	free_area_del(d);
	spin_unlock(&zone_lock);
	madvise(slab_address(d), PAGE_SIZE << MAX_PAGE_ORDER, MADV_DONTNEED);
	spin_lock(&zone_lock);
	free_area_add(d, MAX_PAGE_ORDER, true);
}

void free_pages_slab(struct slab *d)
{
	unsigned int order = d->order;
	size_t idx = desc_index(d);
	bool released = false;

	d->slab_cache = NULL;
	set_block_head(d, order, &slab_free_sentinel);
	spin_lock(&zone_lock);
	WRITE_ONCE(d->type, PT_FREE_TAIL);
	nr_used_pages -= 1ul << order;
	while (order < MAX_PAGE_ORDER) {
		size_t buddy_idx = idx ^ (1ul << order);
		struct slab *b = &page_desc[buddy_idx];

		if (READ_ONCE(b->type) != PT_BUDDY ||
		    READ_ONCE(b->order) != order)
			break;
		free_area_del(b);
		idx &= ~(1ul << order);
		order++;
	}
	d = &page_desc[idx];
	free_area_add(d, order, released);
	if (order == MAX_PAGE_ORDER &&
	    nr_free_pages - nr_released_pages > release_threshold)
		release_block(d);
	spin_unlock(&zone_lock);
}

void page_alloc_lock_stat(struct lock_stat *sum)
{
	lock_stat_read(&zone_lock.stat, sum);
}

void page_alloc_info(struct page_alloc_info *info)
{
	spin_lock(&zone_lock);
	info->total_pages = arena_top;
	info->free_pages = nr_free_pages;
	info->released_pages = nr_released_pages;
	info->slab_pages = nr_used_pages;
	spin_unlock(&zone_lock);
}

void page_alloc_lock(bool lock)
{
	if (lock)
		spin_lock(&zone_lock);
	else
		spin_unlock(&zone_lock);
}

void page_alloc_fail_order(int o)
{
	WRITE_ONCE(fail_order, o);
}
