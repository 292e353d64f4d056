/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * slab_internal.h - what the allocator's own files (and the RCU helper's
 * kvfree_rcu/workqueue files) share.  Not a public interface.
 *
 * Lock order (outermost first), the kernel's:
 *
 *   slab_mutex                      cache list, create/destroy, stats dump
 *     -> per-CPU lock (trylock)     struct slub_percpu_sheaves.lock and
 *                                   struct kmem_cache_cpu.lock: only ever
 *                                   trylocked, failure = slow path
 *       -> barn->lock               spinlock (trylock when !allow_spin)
 *         -> node->list_lock        spinlock (trylock when !allow_spin)
 *           -> zone lock            page allocator, innermost
 *
 * The per-slab freelist+counters pair is never locked: it is updated with
 * a 16-byte compare-and-swap (cmpxchg16b).
 *
 * Configuration comes from allocator/variants/<variant>.mk as -D flags,
 * one CONFIG_SLUB_* symbol a step; the steps are the rows of
 * include/slab_features.h.  SLAB_VARIANT_NAME is "cpuslab", "sheaves", ...
 */
#ifndef SLABSCALE_SLAB_INTERNAL_H
#define SLABSCALE_SLAB_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "slab.h"
#include "list.h"
#include "spinlock.h"

#ifndef SLAB_VARIANT_NAME
#define SLAB_VARIANT_NAME "unknown"
#endif

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define READ_ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define barrier()	__asm__ __volatile__("" ::: "memory")
#define CACHELINE	64

/*
 * IS_ENABLED(CONFIG_X): 1 when -DCONFIG_X (defined as 1) is set, else 0,
 * usable in C expressions, as the kernel's.  An undefined symbol stays a
 * bare name, pasted into a name that is no macro, so the second argument
 * of the selector below is the 0.
 */
#define __slab_config_on_1			0,
#define __slab_pick_second(ignored, val, ...)	val
#define ___slab_is_enabled(maybe_comma)	__slab_pick_second(maybe_comma 1, 0, 0)
#define __slab_is_enabled(val)		___slab_is_enabled(__slab_config_on_##val)
#define IS_ENABLED(config)		__slab_is_enabled(config)

/*
 * 16-byte compare-and-swap: cmpxchg16b inline on x86-64 (the __sync form
 * is inlined with -mcx16, the __atomic form would call libatomic), the
 * __atomic form elsewhere and under TSan, which understands it.
 */
static inline bool cmpxchg16(unsigned __int128 *p, unsigned __int128 old,
			     unsigned __int128 new)
{
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
	return __sync_bool_compare_and_swap(p, old, new);
#else
	return __atomic_compare_exchange_n(p, &old, new, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
#endif
}
#define __cacheline_aligned __attribute__((aligned(CACHELINE)))

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ul << PAGE_SHIFT)
#define MAX_PAGE_ORDER	10		/* 4 MiB: largest block */
#define KMALLOC_MAX_SIZE (PAGE_SIZE << MAX_PAGE_ORDER)
#define MAX_NUMNODES	8

/* ---- topology (percpu.c) ----------------------------------------------- */
extern unsigned int nr_cpu_ids;		/* possible CPUs */
extern unsigned int nr_node_ids;	/* SLABSCALE_NODES or sysfs */
int cpu_to_node(int cpu);
/* The CPU this thread runs on now (rseq cpu_id; sched_getcpu fallback). */
int slab_cpu_id(void);
int numa_node_id(void);
/* false for a memoryless node (SLABSCALE_MEMORYLESS, has_normal_memory) */
bool node_has_memory(int node);
/* the nearest node with memory: where a node's pages come from */
int local_memory_node(int node);
/*
 * 7.1 "slab: free remote objects to sheaves on memoryless nodes": a CPU
 * of a memoryless node (where every object is remote) frees into its
 * sheaves; before, such frees went to their slabs.
 */
static inline bool free_remote_to_sheaves(void)
{
	return IS_ENABLED(CONFIG_SLUB_MEMORYLESS_BARNS) &&
	       !node_has_memory(numa_node_id());
}
void percpu_init(void);

/* ---- per-CPU lock (percpu.h has the inline fast versions) -------------- */
/* true when the rseq asm path is in use, false for the atomic fallback */
extern bool slab_use_rseq;

/* ---- slabs: one descriptor per page, the head page's describes a slab -- */
struct slab_counters {
	unsigned int inuse : 16;
	unsigned int objects : 15;
	unsigned int frozen : 1;		/* a CPU's current slab */
};

struct slab {
	struct slab *head;		/* compound head; itself for the head */
	struct kmem_cache *slab_cache;	/* NULL: free block or large kmalloc */
	union {
		struct {
			void *freelist;
			union {
				unsigned long counters;
				struct slab_counters c;
			};
		};
		unsigned __int128 freelist_counters;
	} __attribute__((aligned(16)));
	struct list_head slab_list;	/* node partial / buddy free list */
	union {
		struct slab *next;	/* per-CPU partial chain */
		size_t large_size;	/* large kmalloc: size asked */
	};
	unsigned int slabs;		/* per-CPU partial: slabs in chain */
	unsigned char order;
	unsigned char type;		/* enum page_type */
	unsigned char node;
	unsigned char flags;		/* SLAB_FL_* */
};
_Static_assert(sizeof(struct slab) == 64,
	       "virt_to_slab() indexes page descriptors by a shift");

enum page_type { PT_FREE_TAIL, PT_BUDDY, PT_SLAB, PT_LARGE, PT_TAIL };
#define SLAB_FL_NODE_PARTIAL	0x01	/* on its node's partial list */
#define SLAB_FL_RELEASED	0x02	/* buddy block given back (madvise) */

/* ---- page allocator (page_alloc.c) -------------------------------------- */
void page_alloc_init(void);
struct slab *alloc_pages_node(int node, unsigned int order, gfp_t gfp);
void free_pages_slab(struct slab *slab);
void *slab_address(const struct slab *slab);
/*
 * Every carved page's descriptor has a compound head: the slab's or large
 * block's head descriptor, or for a free page slab_free_sentinel, so a
 * head read racily is never NULL.  Large kmalloc heads and the sentinel
 * have slab_cache = &slab_no_cache, never a real cache.
 */
extern struct kmem_cache slab_no_cache;
extern char *slab_arena;
extern size_t slab_arena_top;		/* bytes carved so far */
extern struct slab *slab_page_desc;
extern struct slab slab_free_sentinel;

/*
 * head descriptor of p; NULL outside the arena or inside a free block
 * (every carved page has a head: its slab's, its block's or the sentinel)
 */
static inline struct slab *virt_to_slab(const void *p)
{
	size_t off = (uintptr_t)p - (uintptr_t)slab_arena;
	struct slab *slab;

	if (unlikely(off >= __atomic_load_n(&slab_arena_top,
					    __ATOMIC_RELAXED)))
		return NULL;
	slab = __atomic_load_n(&slab_page_desc[off >> PAGE_SHIFT].head,
			       __ATOMIC_RELAXED);
	if (!slab)
		__builtin_unreachable();
	return slab == &slab_free_sentinel ? NULL : slab;
}
bool slab_arena_contains(const void *p);
struct page_alloc_info {
	unsigned long total_pages;	/* carved from the arena so far */
	unsigned long free_pages;	/* in the buddy free lists */
	unsigned long released_pages;	/* given back to the OS */
	unsigned long slab_pages;	/* in slabs and large kmalloc */
};
void page_alloc_info(struct page_alloc_info *info);
void page_alloc_lock_stat(struct lock_stat *sum);
/* fork.c: take (true) or release (false) the zone lock around fork() */
void page_alloc_lock(bool lock);
void slab_fork_init(void);
/* Tests: make every allocation of order >= o fail (-1: off). */
void page_alloc_fail_order(int o);

/* ---- the cache ----------------------------------------------------------- */
struct kmem_cache_node {
	spinlock_t list_lock;
	unsigned long nr_partial;
	struct list_head partial;
	long nr_slabs;			/* atomic */
	long total_objects;		/* atomic */
} __cacheline_aligned;

/*
 * Classic per-CPU slab (CONFIG_SLUB_CPU_SLAB).  The lock word comes first
 * (percpu_trylock()), (freelist, tid) and slab sit where the fast paths'
 * restartable sequences expect them (rseq.h: CPU_SLAB_FL, CPU_SLAB_SLAB);
 * cpu_slab.h explains tid and the locked_* counters.
 */
struct kmem_cache_cpu {
	unsigned int lock;		/* per-CPU trylock word */
	unsigned int __pad;
	struct slab *partial;		/* per-CPU partial slabs */
	union {
		struct {
			void *freelist;		/* first free object */
			unsigned long tid;	/* op count << 16 | nr free */
		};
		unsigned __int128 freelist_tid;
	} __attribute__((aligned(16)));
	struct slab *slab;		/* the cpu slab, NULL: none */
	unsigned long locked_ops;	/* tid ops made under the lock */
	long locked_nr;			/* freelist objects they added */
	unsigned long lock_acq;		/* acquisitions of lock (stats) */
} __cacheline_aligned;

struct slab_sheaf {
	union {
		struct list_head barn_list;
		struct rcu_head rcu_head;	/* rcu_free sheaves (next issue) */
		unsigned int capacity;		/* prefilled oversize sheaves */
	};
	struct kmem_cache *cache;
	/*
	 * size is the low 16 bits of sizeword; while the sheaf is a CPU's
	 * main sheaf, the bits above count the pops done on it by the
	 * lockless fast paths since the last fold (pcs.h), so that one
	 * committing store updates both.  Anywhere else they are zero and
	 * code simply uses size.
	 */
	union {
		unsigned long sizeword;
		unsigned short size;
	};
	int node;			/* rcu sheaf: node it was filled on */
	void *objects[];
};
#define SHEAF_MAX_OBJECTS	0xffffu	/* what size can hold */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "slab_sheaf.size must be the low bits of sizeword");

struct node_barn {
	spinlock_t lock;
	struct list_head sheaves_full;
	struct list_head sheaves_empty;
	unsigned int nr_full;
	unsigned int nr_empty;
} __cacheline_aligned;

#define MAX_FULL_SHEAVES	10
#define MAX_EMPTY_SHEAVES	10

/*
 * Per-CPU sheaves.  lock is the per-CPU trylock word (percpu.h), first so
 * the rseq asm finds it at offset 0.  main is never
 * NULL while the lock is free.  Other components lock a given CPU's
 * sheaves with pcs_lock_cpu()/pcs_unlock_cpu() (sheaf.c).
 */
struct slub_percpu_sheaves {
	unsigned int lock;
#ifdef SLAB_DEBUG_ASSERT
	unsigned short main_base;
	unsigned short bracket;		/* a counter bracket is open (pcs.h) */
#else
	unsigned int main_base;		/* main->size at the last fold (pcs.h) */
#endif
	struct slab_sheaf *main;
	struct slab_sheaf *spare;	/* empty or full, may be NULL */
	struct slab_sheaf *rcu_free;	/* kfree_rcu batching (next issue) */
	struct node_barn *barn;
	unsigned long stat_alloc;	/* sheaf hits, folded, under lock */
	unsigned long stat_free;
	/*
	 * acquisitions of lock: one per counted pop or push (added at the
	 * fold) plus those counted explicitly by every other locked path
	 */
	unsigned long lock_acq;
} __cacheline_aligned;

_Static_assert(sizeof(struct kmem_cache_cpu) == 64 &&
	       offsetof(struct kmem_cache_cpu, lock) == 0 &&
	       offsetof(struct kmem_cache_cpu, freelist) == 16 &&
	       offsetof(struct kmem_cache_cpu, slab) == 32,
	       "rseq.h's cpu slab sequences and percpu_trylock() rely on it");
_Static_assert(offsetof(struct slub_percpu_sheaves, lock) == 0,
	       "percpu_trylock() takes the word at the start of the entry");

/* stats: one row of counters a CPU, padded to cache lines */
struct slab_cpu_stats {
	unsigned long v[NR_SLAB_STAT_ITEMS];
} __cacheline_aligned;

struct kmem_cache {
	/* hot, read by the fast paths */
	struct slub_percpu_sheaves *cpu_sheaves;	/* NULL: no sheaves */
	struct kmem_cache_cpu *cpu_slab;
	unsigned int offset;		/* free pointer offset in the object */
	unsigned int size;		/* object slot size with metadata */
	unsigned int object_size;	/* as asked */
	unsigned int inuse;		/* end of object + free pointer */
	unsigned int align;
	unsigned int red_left_pad;	/* left red zone (debug) */
	slab_flags_t flags;		/* incl. debug flags actually on */
	unsigned int sheaf_capacity;
	bool has_sheaves;
	bool has_cpu_partial;
	unsigned int order;
	unsigned int min_order;		/* fallback order: one object fits */
	unsigned int objects;		/* per slab at order */
	unsigned int min_objects;	/* per slab at min_order */
	unsigned int cpu_partial_slabs;	/* per-CPU partial limit */
	unsigned long min_partial;
	void (*ctor)(void *);
	const char *name;		/* own copy */
	struct list_head list;		/* slab_caches, under slab_mutex */
	int refcount;
	struct slab_cpu_stats *stats;	/* nr_cpu_ids rows */
	struct kmem_cache_node *node[MAX_NUMNODES];
	struct node_barn *barn[MAX_NUMNODES];
	/* remote lockers of the per-CPU locks: waits (atomic adds) */
	struct lock_stat cpu_lock_remote;
	bool is_kmalloc;
	bool destroyed;
};

extern pthread_mutex_t slab_mutex;
extern struct list_head slab_caches;
#define for_each_slab_cache(s) \
	list_for_each_entry(s, &slab_caches, list)

static inline struct kmem_cache_node *get_node(struct kmem_cache *s, int n)
{
	return s->node[n];
}

/* real sheaves: not none, not the bootstrap sheaf (capacity 0) */
static inline bool cache_has_sheaves(const struct kmem_cache *s)
{
	return s->cpu_sheaves && s->sheaf_capacity;
}

/* ---- bugs (bug.c) ----------------------------------------------------- */
/* bad input or corruption found: one line to the bug handler */
void slab_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- counters (counters.c) ----------------------------------------------- */
void slab_stat_inc(struct kmem_cache *s, enum slab_stat_item item);
void slab_stat_add(struct kmem_cache *s, enum slab_stat_item item,
		   unsigned long v);
/* objects allocated and not freed, per cache: summed live counters */
long slab_cache_active(struct kmem_cache *s);
/* Large kmalloc live count (kmalloc.c). */
extern long slab_large_live;
/* total objects found leaked by kmem_cache_destroy */
extern unsigned long slab_leaked_total;

/* ---- slab layer (slab.c) -------------------------------------------------- */
static inline void *get_freepointer(struct kmem_cache *s, void *object)
{
	return *(void **)((char *)object + s->offset);
}
static inline void set_freepointer(struct kmem_cache *s, void *object,
				   void *fp)
{
	*(void **)((char *)object + s->offset) = fp;
}
bool slab_cmpxchg_double(struct slab *slab, void *old_fl,
			 unsigned long old_c, void *new_fl,
			 unsigned long new_c);
struct slab *new_slab(struct kmem_cache *s, gfp_t gfp, int node);
void discard_slab(struct kmem_cache *s, struct slab *slab);
void add_partial(struct kmem_cache_node *n, struct slab *slab, bool tail);
void remove_partial(struct kmem_cache_node *n, struct slab *slab);
/* Free a chain head..tail of cnt objects of one slab back to that slab. */
void __slab_free(struct kmem_cache *s, struct slab *slab, void *head,
		 void *tail, int cnt);
/* Take up to max objects from node partial slabs / new slabs into p. */
int slab_alloc_objects(struct kmem_cache *s, gfp_t gfp, int node,
		       void **p, int max, bool allow_spin);
/* Free size objects of s in detached freelists (p is reordered). */
void slab_free_bulk(struct kmem_cache *s, size_t size, void **p, bool frees);
void *slab_alloc_one(struct kmem_cache *s, gfp_t gfp, int node);
/* 7.0's sheaf refill: min..max objects from partial slabs in bulk, new slabs */
unsigned int refill_objects(struct kmem_cache *s, void **p, gfp_t gfp,
			    unsigned int min, unsigned int max);
void *slab_take_freelist(struct slab *slab, bool freeze, unsigned int *cnt);
void *get_partial_frozen(struct kmem_cache *s, struct kmem_cache_node *n,
			 struct slab **slabp, unsigned int *cnt,
			 bool allow_spin);
static inline struct slab_counters slab_ctr(unsigned long c)
{
	union { unsigned long l; struct slab_counters s; } u = { .l = c };

	return u.s;
}
static inline unsigned long slab_ctr_long(struct slab_counters s)
{
	union { unsigned long l; struct slab_counters s; } u = { .l = 0 };

	u.s = s;
	return u.l;
}
int slab_node_of(const void *object);
void slab_shrink_nodes(struct kmem_cache *s);
unsigned int slab_order_objects(struct kmem_cache *s, unsigned int order);

/* ---- classic cpu slab (cpu_slab.c; fast paths in cpu_slab.h) ---------------- */
/* an object through the cpu slab (fast, then slow path), counted */
void *cpu_slab_alloc(struct kmem_cache *s, gfp_t gfp, int node);
/* free the chain head..tail of cnt objects of slab: cpu slab or slab */
void cpu_slab_free(struct kmem_cache *s, struct slab *slab, void *head,
		   void *tail, int cnt);
bool cpu_slab_free_nolock(struct kmem_cache *s, struct slab *slab,
			  void *object);
int cpu_slab_alloc_bulk(struct kmem_cache *s, gfp_t gfp, int node, void **p,
			int n);
/* objects for a sheaf through the cpu slab, not counted as allocations */
int cpu_slab_refill_bulk(struct kmem_cache *s, gfp_t gfp, void **p, int n);
void cpu_slab_flush_all(struct kmem_cache *s);
/* a full, unfrozen slab got a free: park it on this CPU's partial list */
void put_cpu_partial(struct kmem_cache *s, struct slab *slab);
int cpu_slab_init(struct kmem_cache *s);
void cpu_slab_exit(struct kmem_cache *s);
/* add CPU cpu's cpu-slab fast-path counts (tid) to allocs/frees */
void cpu_slab_fast_stats(struct kmem_cache *s, unsigned int cpu,
			 unsigned long long *allocs, unsigned long long *frees);

/* ---- sheaves and barn (sheaf.c, barn.c) ------------------------------------ */
int sheaves_init(struct kmem_cache *s);
void sheaves_exit(struct kmem_cache *s);
struct slub_percpu_sheaves *
__pcs_replace_empty_main(struct kmem_cache *s, struct slub_percpu_sheaves *pcs,
			 gfp_t gfp);
struct slub_percpu_sheaves *
__pcs_replace_full_main(struct kmem_cache *s, struct slub_percpu_sheaves *pcs,
			bool allow_spin);
extern bool sheaf_alloc_fail;	/* tests: alloc_empty_sheaf() fails */
int sheaf_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t n, void **p);
size_t sheaf_free_bulk(struct kmem_cache *s, size_t n, void **p);
void sheaves_flush_all(struct kmem_cache *s);
/* lock this CPU's sheaves (NULL: busy) / unlock; both fold (pcs.h) */
struct slub_percpu_sheaves *pcs_trylock(struct kmem_cache *s);
void pcs_unlock(struct slub_percpu_sheaves *pcs);
/* lock/unlock CPU cpu's sheaves of s from any thread; may wait; fold */
struct slub_percpu_sheaves *pcs_lock_cpu(struct kmem_cache *s, int cpu);
struct slub_percpu_sheaves *pcs_lock_cpu_quiet(struct kmem_cache *s, int cpu);
struct slub_percpu_sheaves *pcs_trylock_cpu(struct kmem_cache *s, int cpu);
void pcs_unlock_cpu(struct slub_percpu_sheaves *pcs);
/* Empty the per-CPU sheaves of one CPU into slabs (rcu_free via RCU). */
void pcs_flush_cpu(struct kmem_cache *s, int cpu);
/*
 * rcu_sheaf.c: call_rcu() a detached rcu_free sheaf; after the grace
 * period its objects go to slabs and the sheaf is freed.  Callers of
 * kmem_cache_destroy() pass an rcu_barrier() (the kvfree_rcu barrier)
 * before the cache goes away; a sheaf still holding objects at destroy
 * makes the cache leak (reported), so it is never freed under it.
 */
void rcu_sheaf_flush_detached(struct slab_sheaf *sheaf);
struct slab_sheaf *alloc_empty_sheaf(struct kmem_cache *s, gfp_t gfp);
void free_empty_sheaf(struct kmem_cache *s, struct slab_sheaf *sheaf);
void sheaf_flush_unused(struct kmem_cache *s, struct slab_sheaf *sheaf);
int refill_sheaf(struct kmem_cache *s, struct slab_sheaf *sheaf, gfp_t gfp);
int sheaf_refill_objects(struct kmem_cache *s, void **p, unsigned int n,
			 gfp_t gfp);
unsigned int sheaf_default_capacity(unsigned int size);

void barn_init(struct node_barn *barn);
struct slab_sheaf *barn_get_empty_sheaf(struct node_barn *barn,
					bool allow_spin);
void barn_put_empty_sheaf(struct node_barn *barn, struct slab_sheaf *sheaf);
void barn_put_full_sheaf(struct node_barn *barn, struct slab_sheaf *sheaf);
struct slab_sheaf *barn_get_full_or_empty_sheaf(struct node_barn *barn);
struct slab_sheaf *barn_replace_empty_sheaf(struct node_barn *barn,
					    struct slab_sheaf *empty,
					    bool allow_spin);
/* ERR: NULL with *err = -E2BIG (barn full) or -EBUSY (trylock failed) */
struct slab_sheaf *barn_replace_full_sheaf(struct node_barn *barn,
					   struct slab_sheaf *full,
					   bool allow_spin, int *err);
void barn_shrink(struct kmem_cache *s, struct node_barn *barn);

/* ---- debug (debug.c) --------------------------------------------------------- */
#define SLAB_POISON_FREE	0x6b
#define SLAB_POISON_END		0xa5
#define SLAB_RED_ACTIVE		0xcc
#define SLAB_RED_INACTIVE	0xbb
#define SLAB_PAD_POISON		0x5a
extern slab_flags_t slab_debug_global;	/* from SLABSCALE_DEBUG */
static inline bool kmem_cache_debug(const struct kmem_cache *s)
{
	return s->flags & (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE |
			   SLAB_POISON | SLAB_STORE_USER);
}
void debug_init_object(struct kmem_cache *s, void *object, bool active);
/* false: corrupt or bad free, reported; the object must not be reused */
bool debug_alloc_check(struct kmem_cache *s, struct slab *slab, void *object);
bool debug_free_check(struct kmem_cache *s, struct slab *slab, void *object);
void debug_init_slab(struct kmem_cache *s, struct slab *slab);
/* object index in slab; -1 when p is not an object start */
int slab_obj_index(struct kmem_cache *s, struct slab *slab, const void *p);
/* debug caches: everything under the node list_lock (slab.c) */
void *debug_slab_alloc(struct kmem_cache *s, gfp_t gfp, int node);
void debug_slab_free(struct kmem_cache *s, struct slab *slab, void *object);
slab_flags_t debug_flags_from_string(const char *str);

/* ---- cache lifecycle / kmalloc ---------------------------------------------- */
struct kmem_cache *kmalloc_cache_for(size_t size);
size_t kmalloc_size_roundup(size_t size);
void slab_init_once(void);
/* free one checked object of s (alloc.c) */
void slab_free_object(struct kmem_cache *s, struct slab *slab, void *object);
struct kmem_cache *__kmem_cache_create(const char *name, unsigned int size,
				       const struct kmem_cache_args *args,
				       slab_flags_t flags, bool is_kmalloc);
void nolock_drain_deferred(struct kmem_cache *s);
void nolock_defer_discard_slab(struct slab *slab);
extern bool nolock_deferred_pending;
void nolock_init(void);
void kmalloc_init(void);

/*
 * From the RCU component (rcu_internal.h): called first by
 * kmem_cache_destroy(); a weak no-op default lives in cache.c until the
 * RCU files provide it.
 */
void slab_rcu_destroy_barrier(struct kmem_cache *s);

#endif /* SLABSCALE_SLAB_INTERNAL_H */
