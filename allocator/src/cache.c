// SPDX-License-Identifier: GPL-2.0-only
/*
 * cache.c - kmem_cache life cycle: create (with the object layout and slab
 * order), shrink, destroy; the cache list under slab_mutex; library init.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "percpu.h"
#include "rcu_internal.h"

pthread_mutex_t slab_mutex = PTHREAD_MUTEX_INITIALIZER;
struct list_head slab_caches = LIST_HEAD_INIT(slab_caches);
unsigned long slab_leaked_total;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool slab_ready;

static void slab_init(void)
{
	percpu_init();
	page_alloc_init();
	slab_debug_global = debug_flags_from_string(getenv("SLABSCALE_DEBUG"));
	nolock_init();
	kmalloc_init();
	slab_fork_init();
	__atomic_store_n(&slab_ready, true, __ATOMIC_RELEASE);
}

void slab_init_once(void)
{
	if (likely(__atomic_load_n(&slab_ready, __ATOMIC_ACQUIRE)))
		return;
	pthread_once(&init_once, slab_init);
}

__attribute__((constructor))
static void slab_constructor(void)
{
	slab_init_once();
}

/* the RCU component overrides this (rcu_internal.h) */
__attribute__((weak)) void slab_rcu_destroy_barrier(struct kmem_cache *s)
{
	(void)s;
}

const char *slab_variant(void)
{
	return SLAB_VARIANT_NAME;
}

unsigned int slab_features(void)
{
	unsigned int f = 0;

#define SLAB_FEATURE_ON(name, json, config) \
	if (IS_ENABLED(config))		    \
		f |= SLAB_FEAT_##name;
	SLAB_FEATURES(SLAB_FEATURE_ON)
#undef SLAB_FEATURE_ON
	return f;
}

/* ---- layout ---------------------------------------------------------- */
#define ALIGN_UP(x, a)	(((x) + (a) - 1) / (a) * (a))

static unsigned int ilog2(unsigned long v)
{
	return 63 - __builtin_clzl(v);
}

static unsigned int calc_align(slab_flags_t flags, unsigned int align,
			       unsigned int size)
{
	unsigned int ralign = 8;

	if (flags & SLAB_HWCACHE_ALIGN) {
		ralign = CACHELINE;
		while (size <= ralign / 2 && ralign > 8)
			ralign /= 2;
	}
	if (align > ralign)
		ralign = align;
	return ralign;
}

static void calculate_sizes(struct kmem_cache *s)
{
	unsigned int size = ALIGN_UP(s->object_size, 8);
	/* a reader under RCU may look at a freed SLAB_TYPESAFE_BY_RCU object */
	bool outside = s->ctor || kmem_cache_debug(s) ||
		       (s->flags & SLAB_TYPESAFE_BY_RCU);

	if (s->flags & SLAB_RED_ZONE) {
		s->red_left_pad = s->align > 8 ? s->align : 8;
		size += 8;			/* right red zone */
	}
	if (outside) {
		s->offset = size;
		size += sizeof(void *);
	} else {
		s->offset = (s->object_size / 2) & ~7u;
	}
	s->inuse = size;
	s->size = ALIGN_UP(s->red_left_pad + size, s->align);
}

/*
 * The slab order, as the kernel's calculate_order(): enough objects per
 * slab that a CPU rarely needs a new slab (min_objects grows with the CPU
 * count), the smallest order from there whose leftover is at most 1/16 of
 * the slab, then 1/8, then 1/4, up to PAGE_ALLOC_COSTLY_ORDER; the order
 * of one object if nothing fits.
 */
#define SLUB_MAX_ORDER		3	/* PAGE_ALLOC_COSTLY_ORDER */
#define MAX_OBJS_PER_SLAB	32767	/* slab_counters.objects */

static unsigned int fls(unsigned int v)
{
	return v ? 32 - __builtin_clz(v) : 0;
}

static unsigned int get_order(unsigned long bytes)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

static unsigned int calc_slab_order(unsigned int size, unsigned int min_order,
				    unsigned int fraction)
{
	unsigned int order;

	for (order = min_order; order <= SLUB_MAX_ORDER; order++) {
		unsigned long bytes = PAGE_SIZE << order;

		if (bytes % size <= bytes / fraction)
			break;
	}
	return order;
}

static unsigned int slab_calculate_order(unsigned int size)
{
	unsigned int min_objects = 4 * (fls(nr_cpu_ids) + 1);
	unsigned int max_objects = (PAGE_SIZE << SLUB_MAX_ORDER) / size;
	unsigned int min_order, order, fraction;

	if (!max_objects)
		max_objects = 1;
	if (min_objects > max_objects)
		min_objects = max_objects;
	min_order = get_order((unsigned long)min_objects * size);
	if ((PAGE_SIZE << min_order) / size > MAX_OBJS_PER_SLAB)
		return get_order((unsigned long)size * MAX_OBJS_PER_SLAB) - 1;
	for (fraction = 16; fraction > 1; fraction /= 2) {
		order = calc_slab_order(size, min_order, fraction);
		if (order <= SLUB_MAX_ORDER)
			return order;
	}
	return get_order(size);
}

/*
 * Per-CPU partial slabs: the kernel's set_cpu_partial() since 2021 keeps
 * 6, 24, 52 or 120 objects by object size, turned into slabs assuming
 * half of each slab is free.
 */
static unsigned int cpu_partial_objects(unsigned int size)
{
	if (size >= PAGE_SIZE)
		return 6;
	if (size >= 1024)
		return 24;
	if (size >= 256)
		return 52;
	return 120;
}

static void calculate_order(struct kmem_cache *s)
{
	unsigned int slot = s->size + s->red_left_pad;

	s->min_order = get_order(slot);
	s->order = slab_calculate_order(s->size);
	if (s->order < s->min_order)
		s->order = s->min_order;
	s->objects = slab_order_objects(s, s->order);
	s->min_objects = slab_order_objects(s, s->min_order);
	s->min_partial = ilog2(s->size) / 2;
	if (s->min_partial < 5)
		s->min_partial = 5;
	if (s->min_partial > 10)
		s->min_partial = 10;
	s->cpu_partial_slabs = (cpu_partial_objects(s->size) * 2 +
				s->objects - 1) / s->objects;
}

/*
 * Whether this variant gives s percpu sheaves, and how big.  6.18/6.19:
 * only caches that ask, of the capacity asked.  7.0 from sheaves-most on:
 * every non-debug cache, of capacity max(the default for s->size, the one
 * asked); until kmalloc-sheaves the kmalloc buckets get the bootstrap
 * sheaf instead: sheaves of capacity 0, whose hit paths take the per-CPU
 * lock, find nothing and back off to the cpu slab in the slow path (the
 * kernel's capacity check).
 */
static void choose_sheaves(struct kmem_cache *s,
			   const struct kmem_cache_args *args)
{
	unsigned int want = args ? args->sheaf_capacity : 0;

	s->sheaf_capacity = 0;
	s->has_sheaves = false;
	if (kmem_cache_debug(s))
		return;
#if defined(CONFIG_SLUB_SHEAVES_MOST)
#ifndef CONFIG_SLUB_KMALLOC_SHEAVES
	if (s->is_kmalloc) {
		s->has_sheaves = true;	/* the bootstrap sheaf */
		return;
	}
#endif
	if (want < sheaf_default_capacity(s->size))
		want = sheaf_default_capacity(s->size);
#elif !defined(CONFIG_SLUB_SHEAVES)
	want = 0;
#endif
	if (!want)
		return;
	s->sheaf_capacity = want;
	s->has_sheaves = true;
}

static bool bad_args(const char *name, unsigned int size,
		     const struct kmem_cache_args *args)
{
	if (!name) {
		slab_bug("kmem_cache_create: NULL name refused");
		return true;
	}
	if (size == 0 || size > SLAB_MAX_OBJECT_SIZE) {
		slab_bug("kmem_cache_create(%s): object size %u refused "
			 "(must be 1..%u)", name, size,
			 SLAB_MAX_OBJECT_SIZE);
		return true;
	}
	if (args && args->align & (args->align - 1)) {
		slab_bug("kmem_cache_create(%s): alignment %u is not a "
			 "power of two", name, args->align);
		return true;
	}
	if (args && args->align > PAGE_SIZE) {
		slab_bug("kmem_cache_create(%s): alignment %u is larger "
			 "than a page", name, args->align);
		return true;
	}
	if (args && args->sheaf_capacity > SLAB_MAX_SHEAF_CAPACITY) {
		slab_bug("kmem_cache_create(%s): sheaf capacity %u refused "
			 "(at most %u)", name, args->sheaf_capacity,
			 SLAB_MAX_SHEAF_CAPACITY);
		return true;
	}
	return false;
}

static void free_cache_struct(struct kmem_cache *s)
{
	unsigned int i;

	sheaves_exit(s);
	cpu_slab_exit(s);
	for (i = 0; i < MAX_NUMNODES; i++)
		free(s->node[i]);
	free(s->stats);
	free((void *)s->name);
	free(s);
}

static int init_cache_struct(struct kmem_cache *s)
{
	unsigned int i;
	void *p;

	if (posix_memalign(&p, CACHELINE,
			   nr_cpu_ids * sizeof(struct slab_cpu_stats)))
		return -1;
	memset(p, 0, nr_cpu_ids * sizeof(struct slab_cpu_stats));
	s->stats = p;
	for (i = 0; i < nr_node_ids; i++) {
		if (posix_memalign(&p, CACHELINE,
				   sizeof(struct kmem_cache_node)))
			return -1;
		memset(p, 0, sizeof(struct kmem_cache_node));
		s->node[i] = p;
		spin_lock_init(&s->node[i]->list_lock);
		INIT_LIST_HEAD(&s->node[i]->partial);
	}
	if (cpu_slab_init(s))
		return -1;
	if (s->has_sheaves && sheaves_init(s))
		return -1;
	return 0;
}

struct kmem_cache *__kmem_cache_create(const char *name, unsigned int size,
				       const struct kmem_cache_args *args,
				       slab_flags_t flags, bool is_kmalloc)
{
	struct kmem_cache *s;

	if (!is_kmalloc)
		slab_init_once();
	if (bad_args(name, size, args))
		goto fail;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	s->name = strdup(name);
	s->object_size = size;
	s->ctor = args ? args->ctor : NULL;
	s->flags = flags | slab_debug_global;
	/* poison would destroy a ctor's work, or what RCU readers may read */
	if (s->ctor || (flags & SLAB_TYPESAFE_BY_RCU))
		s->flags &= ~SLAB_POISON;
	s->align = calc_align(flags, args ? args->align : 0, size);
	s->refcount = 1;
	s->is_kmalloc = is_kmalloc;
	calculate_sizes(s);
	calculate_order(s);
	choose_sheaves(s, args);
	if (!s->name || init_cache_struct(s)) {
		free_cache_struct(s);
		slab_bug("kmem_cache_create(%s): out of memory", name);
		goto fail;
	}
	pthread_mutex_lock(&slab_mutex);
	list_add_tail(&s->list, &slab_caches);
	pthread_mutex_unlock(&slab_mutex);
	return s;
fail:
	if (flags & SLAB_PANIC)
		abort();
	return NULL;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     const struct kmem_cache_args *args,
				     slab_flags_t flags)
{
	return __kmem_cache_create(name, size, args, flags, false);
}

const char *kmem_cache_name(const struct kmem_cache *s)
{
	return s ? s->name : NULL;
}

unsigned int kmem_cache_size(const struct kmem_cache *s)
{
	return s ? s->object_size : 0;
}

unsigned int kmem_cache_sheaf_capacity(const struct kmem_cache *s)
{
	return s && s->cpu_sheaves ? s->sheaf_capacity : 0;
}

/* everything cached per CPU and in barns back to the slabs */
static void flush_all(struct kmem_cache *s)
{
	nolock_drain_deferred(s);
	sheaves_flush_all(s);
	cpu_slab_flush_all(s);
}

int kmem_cache_shrink(struct kmem_cache *s)
{
	if (!s)
		return -EINVAL;
	flush_all(s);
	slab_shrink_nodes(s);
	return 0;
}

/* objects still allocated: slots in slabs minus free ones */
static long objects_in_use(struct kmem_cache *s)
{
	long used = 0;
	unsigned int i;

	for (i = 0; i < nr_node_ids; i++) {
		struct kmem_cache_node *n = get_node(s, i);
		struct slab *slab;

		spin_lock(&n->list_lock);
		used += READ_ONCE(n->total_objects);
		list_for_each_entry(slab, &n->partial, slab_list) {
			struct slab_counters c = slab_ctr(slab->counters);

			used -= c.objects - c.inuse;
		}
		spin_unlock(&n->list_lock);
	}
	return used;
}

void kmem_cache_destroy(struct kmem_cache *s)
{
	long used;

	if (!s)
		return;
	slab_rcu_destroy_barrier(s);
	pthread_mutex_lock(&slab_mutex);
	if (s->destroyed) {
		pthread_mutex_unlock(&slab_mutex);
		slab_bug("kmem_cache_destroy(%s): cache already destroyed "
			 "and leaked", s->name);
		return;
	}
	if (--s->refcount) {
		pthread_mutex_unlock(&slab_mutex);
		return;
	}
	flush_all(s);
#ifdef CONFIG_SLUB_RCU_SHEAF
	/*
	 * __kmem_cache_shutdown(): "we might have rcu sheaves in flight" (the
	 * flush above hands this CPU's rcu_free to call_rcu(); so may a
	 * racing flush).  Under slab_mutex, as the kernel: the callbacks take
	 * no slab_mutex.
	 */
	if (s->cpu_sheaves) {
		slab_rcu_barrier();
		flush_all(s);	/* the kernel's barn_shrink() comes after it */
	}
#endif
	slab_shrink_nodes(s);
	/* its slabs' pages go back after a grace period: wait for them */
	if (s->flags & SLAB_TYPESAFE_BY_RCU)
		slab_rcu_barrier();
	used = objects_in_use(s);
	if (used) {
		/* like the kernel: complain and leave the memory alone */
		s->destroyed = true;
		__atomic_fetch_add(&slab_leaked_total, used, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&slab_mutex);
		slab_bug("kmem_cache_destroy %s: Slab cache still has "
			 "objects (%ld)", s->name, used);
		return;
	}
	list_del(&s->list);
	pthread_mutex_unlock(&slab_mutex);
	free_cache_struct(s);
}
