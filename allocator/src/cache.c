// SPDX-License-Identifier: GPL-2.0-only
/*
 * cache.c - kmem_cache life cycle: create (with the object layout and slab
 * order), shrink, destroy; the cache list under slab_mutex; library init.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "percpu.h"

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

#ifdef CONFIG_SLUB_CPU_SLAB
	f |= SLAB_FEAT_CPU_SLAB;
#endif
#ifdef CONFIG_SLUB_SHEAVES
	f |= SLAB_FEAT_SHEAVES;
#endif
#ifdef CONFIG_SLUB_RCU_SHEAF
	f |= SLAB_FEAT_RCU_SHEAF;
#endif
#ifdef CONFIG_SLUB_BARRIER_ON_CACHE
	f |= SLAB_FEAT_BARRIER_ON_CACHE;
#endif
#ifdef CONFIG_SLUB_NOLOCK_SHEAVES
	f |= SLAB_FEAT_NOLOCK_SHEAVES;
#endif
#ifdef CONFIG_SLUB_SHEAVES_ALL
	f |= SLAB_FEAT_SHEAVES_ALL;
#endif
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
	bool outside = s->ctor || kmem_cache_debug(s);

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

/* smallest order with at least 8 objects (16 for small ones), up to 3 */
static void calculate_order(struct kmem_cache *s)
{
	unsigned int min_objects = s->size <= 256 ? 16 : 8;
	unsigned int order;

	s->min_order = 0;
	while ((PAGE_SIZE << s->min_order) < s->size + s->red_left_pad)
		s->min_order++;
	for (order = s->min_order; order < 3; order++)
		if (slab_order_objects(s, order) >= min_objects)
			break;
	s->order = order;
	s->objects = slab_order_objects(s, order);
	s->min_objects = slab_order_objects(s, s->min_order);
	s->min_partial = ilog2(s->size) / 2;
	if (s->min_partial < 5)
		s->min_partial = 5;
	if (s->min_partial > 10)
		s->min_partial = 10;
	if (s->size >= PAGE_SIZE)
		s->cpu_partial_slabs = 2;
	else if (s->size >= 1024)
		s->cpu_partial_slabs = 6;
	else if (s->size >= 256)
		s->cpu_partial_slabs = 13;
	else
		s->cpu_partial_slabs = 30;
	/* the kernel's rule: twice the objects, in slabs, rounded up */
	s->cpu_partial_slabs = (s->cpu_partial_slabs * 2 + s->objects - 1) /
			       s->objects;
}

/* whether this variant gives s percpu sheaves, and how big */
static void choose_sheaves(struct kmem_cache *s,
			   const struct kmem_cache_args *args)
{
	unsigned int want = args ? args->sheaf_capacity : 0;

	s->sheaf_capacity = 0;
	s->has_sheaves = false;
#if defined(CONFIG_SLUB_SHEAVES_ALL)
	if (!want)
		want = sheaf_default_capacity(s->object_size);
#elif !defined(CONFIG_SLUB_SHEAVES)
	want = 0;
#endif
	if (!want || kmem_cache_debug(s))
		return;
	s->sheaf_capacity = want;
	s->has_sheaves = true;
}

static bool bad_args(const char *name, unsigned int size,
		     const struct kmem_cache_args *args)
{
	if (!name) {
		slab_report("kmem_cache_create: NULL name refused");
		return true;
	}
	if (size == 0 || size > SLAB_MAX_OBJECT_SIZE) {
		slab_report("kmem_cache_create(%s): object size %u refused "
			    "(must be 1..%u)", name, size,
			    SLAB_MAX_OBJECT_SIZE);
		return true;
	}
	if (args && args->align & (args->align - 1)) {
		slab_report("kmem_cache_create(%s): alignment %u is not a "
			    "power of two", name, args->align);
		return true;
	}
	if (args && args->align > PAGE_SIZE) {
		slab_report("kmem_cache_create(%s): alignment %u is larger "
			    "than a page", name, args->align);
		return true;
	}
	if (args && args->sheaf_capacity > 4096) {
		slab_report("kmem_cache_create(%s): sheaf capacity %u refused "
			    "(at most 4096)", name, args->sheaf_capacity);
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
	if (!kmem_cache_debug(s) && cpu_slab_init(s))
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
	if (s->ctor)
		s->flags &= ~SLAB_POISON;	/* would destroy the ctor's work */
	s->align = calc_align(flags, args ? args->align : 0, size);
	s->refcount = 1;
	s->is_kmalloc = is_kmalloc;
	calculate_sizes(s);
	calculate_order(s);
	choose_sheaves(s, args);
	if (!s->name || init_cache_struct(s)) {
		free_cache_struct(s);
		slab_report("kmem_cache_create(%s): out of memory", name);
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
		slab_report("kmem_cache_destroy(%s): cache already destroyed "
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
	used = objects_in_use(s);
	if (used) {
		/* like the kernel: complain and leave the memory alone */
		s->destroyed = true;
		__atomic_fetch_add(&slab_leaked_total, used, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&slab_mutex);
		slab_report("kmem_cache_destroy %s: Slab cache still has "
			    "objects (%ld)", s->name, used);
		return;
	}
	list_del(&s->list);
	pthread_mutex_unlock(&slab_mutex);
	free_cache_struct(s);
}
