// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmalloc.c - kmalloc buckets (8 B .. 8 KiB, powers of two plus 96 and
 * 192) and large allocations straight from the page allocator.  kfree()
 * finds the cache, or the large block, from the page descriptor.
 */
#include <string.h>
#include "percpu.h"

#define ZERO_SIZE_PTR	((void *)16)
#define KMALLOC_SHIFT_HIGH 13		/* 8 KiB */

static struct kmem_cache *kmalloc_caches[KMALLOC_SHIFT_HIGH + 1];
long slab_large_live;

static const unsigned int kmalloc_sizes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
};
/* index into kmalloc_caches: log2 of the size, 1 = 96, 2 = 192 */
static const unsigned char size_index[] = {
	3, 4, 5, 6, 1, 7, 2, 8, 9, 10, 11, 12, 13,
};

void kmalloc_init(void)
{
	unsigned int i;
	char name[32];

	for (i = 0; i < sizeof(kmalloc_sizes) / sizeof(kmalloc_sizes[0]);
	     i++) {
		snprintf(name, sizeof(name), "kmalloc-%u%s",
			 kmalloc_sizes[i] >= 1024 ? kmalloc_sizes[i] >> 10 :
						     kmalloc_sizes[i],
			 kmalloc_sizes[i] >= 1024 ? "k" : "");
		kmalloc_caches[size_index[i]] =
			__kmem_cache_create(name, kmalloc_sizes[i], NULL,
					    SLAB_NO_MERGE | SLAB_PANIC, true);
	}
}

static inline unsigned int kmalloc_index(size_t size)
{
	if (size <= 8)
		return 3;
	if (size > 64 && size <= 96)
		return 1;
	if (size > 128 && size <= 192)
		return 2;
	return 64 - __builtin_clzl(size - 1);
}

/* what kmalloc(size) really gives: the kernel's kmalloc_size_roundup() */
size_t kmalloc_size_roundup(size_t size)
{
	unsigned int i;

	if (!size || size > SLAB_MAX_OBJECT_SIZE)
		return size;
	i = kmalloc_index(size);
	return i == 1 ? 96 : i == 2 ? 192 : 1ul << i;
}

struct kmem_cache *kmalloc_cache_for(size_t size)
{
	if (!size || size > SLAB_MAX_OBJECT_SIZE)
		return NULL;
	slab_init_once();
	return kmalloc_caches[kmalloc_index(size)];
}

static void *kmalloc_large(size_t size, gfp_t gfp, int node)
{
	unsigned int order = 0;
	struct slab *d;

	if (size > KMALLOC_MAX_SIZE) {
		if (!(gfp & __GFP_NOWARN))
			slab_bug("kmalloc: %zu bytes is more than the "
				 "largest allocation (%lu)", size,
				 KMALLOC_MAX_SIZE);
		return NULL;
	}
	while ((PAGE_SIZE << order) < size)
		order++;
	d = alloc_pages_node(node < 0 ? numa_node_id() : node, order, gfp);
	if (!d) {
		if (!(gfp & __GFP_NOWARN))
			slab_bug("kmalloc: no pages for %zu bytes", size);
		return NULL;
	}
	WRITE_ONCE(d->type, PT_LARGE);
	d->slab_cache = &slab_no_cache;
	d->large_size = size;
	__atomic_fetch_add(&slab_large_live, 1, __ATOMIC_RELAXED);
	if (gfp & __GFP_ZERO)
		memset(slab_address(d), 0, size);
	return slab_address(d);
}

void *kmalloc_node(size_t size, gfp_t gfp, int node)
{
	struct kmem_cache *s;

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (unlikely(size > SLAB_MAX_OBJECT_SIZE)) {
		slab_init_once();
		return kmalloc_large(size, gfp, node);
	}
	s = kmalloc_cache_for(size);
	if (node == NUMA_NO_NODE)
		return kmem_cache_alloc(s, gfp);
	return kmem_cache_alloc_node(s, gfp, node);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	return kmalloc_node(size, gfp, NUMA_NO_NODE);
}

void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc_node(size, gfp | __GFP_ZERO, NUMA_NO_NODE);
}

void kfree(const void *object)
{
	struct slab *slab;

	if (unlikely((uintptr_t)object <= (uintptr_t)ZERO_SIZE_PTR))
		return;
	slab = virt_to_slab(object);
	if (unlikely(!slab)) {
		slab_bug("kfree: %p was not allocated here, or its large "
			 "allocation was already freed", object);
		return;
	}
	if (likely(slab->type == PT_SLAB)) {
		slab_free_object(slab->slab_cache, slab, (void *)object);
		return;
	}
	if (slab->type == PT_LARGE && slab_address(slab) == object) {
		__atomic_fetch_sub(&slab_large_live, 1, __ATOMIC_RELAXED);
		free_pages_slab(slab);
		return;
	}
	slab_bug("kfree: %p is not the start of an allocation", object);
}

void kvfree(const void *object)
{
	kfree(object);
}

size_t ksize(const void *object)
{
	struct slab *slab;

	if ((uintptr_t)object <= (uintptr_t)ZERO_SIZE_PTR)
		return 0;
	slab = virt_to_slab(object);
	if (!slab) {
		slab_bug("ksize: %p was not allocated here", object);
		return 0;
	}
	if (slab->type == PT_SLAB)
		return slab->slab_cache->object_size;
	if (slab->type == PT_LARGE)
		return PAGE_SIZE << slab->order;
	return 0;
}
