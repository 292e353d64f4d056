/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * slab.h - public interface of slabscale's in-tree SLUB model.
 *
 * Kernel names and kernel semantics, in userspace.  Everything here is
 * thread-safe unless a comment says otherwise.  The allocator is built once
 * per variant (see allocator/variants.list); the same header serves all of
 * them and callers ask slab_features() what the variant they are linked
 * with can do.
 *
 * Context rules (the userspace reading of the kernel's):
 *  - GFP_KERNEL may block (sleep on mutexes, spin on locks, mmap memory).
 *  - GFP_NOWAIT never sleeps but may spin briefly on a spinlock.
 *  - kmalloc_nolock()/kfree_nolock() may be called from a signal handler
 *    that interrupted the same thread anywhere, including inside this
 *    allocator: they only ever trylock and return NULL rather than wait.
 *  - No thread is created by kmem_cache_create(), kmalloc() or the free
 *    paths.  RCU callback workers and the per-CPU flush workers are started
 *    on first use of kfree_rcu() or a barrier, and fork() is handled with
 *    pthread_atfork() so a forked child gets working RCU again.
 */
#ifndef SLABSCALE_SLAB_H
#define SLABSCALE_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <urcu/urcu-memb.h>	/* struct rcu_head, urcu_memb_read_lock() */
#include "slab_features.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- gfp flags --------------------------------------------------------- */
typedef unsigned int gfp_t;

#define __GFP_DIRECT_RECLAIM	0x01u	/* may sleep */
#define __GFP_KSWAPD_RECLAIM	0x02u	/* may spin on locks */
#define __GFP_ZERO		0x04u	/* return zeroed memory */
#define __GFP_NOWARN		0x08u	/* do not report allocation failures */
#define __GFP_NOFAIL		0x10u	/* retry until it succeeds */

#define GFP_KERNEL	(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM)
#define GFP_ATOMIC	(__GFP_KSWAPD_RECLAIM)

static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return gfp & __GFP_DIRECT_RECLAIM;
}

static inline bool gfpflags_allow_spinning(gfp_t gfp)
{
	return gfp & (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM);
}

/* ---- cache flags ------------------------------------------------------- */
typedef unsigned int slab_flags_t;

#define SLAB_CONSISTENCY_CHECKS	0x0001u	/* check free pointers, double free */
#define SLAB_RED_ZONE		0x0002u	/* guard bytes around each object */
#define SLAB_POISON		0x0004u	/* fill free objects with a pattern */
#define SLAB_HWCACHE_ALIGN	0x0008u	/* align objects to a cache line */
#define SLAB_NO_MERGE		0x0010u	/* never share with a similar cache */
#define SLAB_STORE_USER		0x0020u	/* remember the last alloc/free site */
#define SLAB_PANIC		0x0040u	/* abort() if creation fails */
#define SLAB_TYPESAFE_BY_RCU	0x0080u	/* slab pages freed after a grace period */
#define SLAB_DEBUG_FLAGS	(SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | \
				 SLAB_POISON | SLAB_STORE_USER)

#define SLAB_MAX_OBJECT_SIZE	(8u << 10)	/* largest kmem_cache object */
#define SLAB_MAX_SHEAF_CAPACITY	4096u		/* largest sheaf_capacity asked */

struct kmem_cache;
struct slab_sheaf;

struct kmem_cache_args {
	unsigned int align;		/* 0 or a power of two */
	void (*ctor)(void *object);	/* run when an object is first made */
	unsigned int sheaf_capacity;	/* > 0: ask for percpu sheaves */
};

/* ---- caches ------------------------------------------------------------ */
/*
 * Returns NULL (and says why to the bug handler, slab_set_bug_handler())
 * on bad input: NULL name, size 0 or above SLAB_MAX_OBJECT_SIZE, align
 * not a power of two, sheaf_capacity above SLAB_MAX_SHEAF_CAPACITY.  args
 * may be NULL.
 */
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     const struct kmem_cache_args *args,
				     slab_flags_t flags);
/*
 * NULL is a no-op.  Objects still allocated are reported ("cache still has
 * objects") and their slabs are left mapped; the cache is then leaked, as
 * the kernel does.
 */
void kmem_cache_destroy(struct kmem_cache *s);
int kmem_cache_shrink(struct kmem_cache *s);
const char *kmem_cache_name(const struct kmem_cache *s);
unsigned int kmem_cache_size(const struct kmem_cache *s);
unsigned int kmem_cache_sheaf_capacity(const struct kmem_cache *s);

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node);
void kmem_cache_free(struct kmem_cache *s, void *object);
/* Returns size on success, 0 on failure (nothing allocated then). */
int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t size,
			  void **p);
void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p);

/* ---- kmalloc ----------------------------------------------------------- */
void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
void *kmalloc_node(size_t size, gfp_t gfp, int node);
void kfree(const void *object);		/* NULL is a no-op */
void kvfree(const void *object);
size_t ksize(const void *object);
/* Only __GFP_ZERO is accepted in gfp; NULL when a lock would be needed. */
void *kmalloc_nolock(size_t size, gfp_t gfp, int node);
void kfree_nolock(const void *object);

#define NUMA_NO_NODE	(-1)

/* ---- RCU --------------------------------------------------------------- */
/*
 * struct rcu_head is liburcu's.  Threads are registered with liburcu on
 * first use of any function below and unregistered at thread exit.
 */
void kvfree_call_rcu(struct rcu_head *head, void *ptr);
#define kfree_rcu(ptr, field)	kvfree_call_rcu(&(ptr)->field, (void *)(ptr))
#define kvfree_rcu(ptr, field)	kfree_rcu(ptr, field)
void kvfree_rcu_barrier(void);
void kvfree_rcu_barrier_on_cache(struct kmem_cache *s);
void slab_rcu_read_lock(void);
void slab_rcu_read_unlock(void);
/*
 * The allocator's grace periods cost what the kernel's do (a few ms; see
 * allocator/README-rcu.md).  slab_rcu_barrier() waits for every callback
 * queued before it; it and slab_synchronize_rcu() refuse (report, false)
 * to run in a callback or a read-side section.
 */
void slab_synchronize_rcu(void);
void slab_call_rcu(struct rcu_head *head, void (*fn)(struct rcu_head *head));
bool slab_rcu_barrier(void);

/* ---- prefilled sheaves -------------------------------------------------- */
/*
 * A prefilled sheaf holds at least size objects; sizes above the cache's
 * sheaf_capacity get an oversize sheaf, sizes above 65535 are refused.
 */
struct slab_sheaf *kmem_cache_prefill_sheaf(struct kmem_cache *s, gfp_t gfp,
					    unsigned int size);
int kmem_cache_refill_sheaf(struct kmem_cache *s, gfp_t gfp,
			    struct slab_sheaf **sheafp, unsigned int size);
void kmem_cache_return_sheaf(struct kmem_cache *s, gfp_t gfp,
			     struct slab_sheaf *sheaf);
void *kmem_cache_alloc_from_sheaf(struct kmem_cache *s, gfp_t gfp,
				  struct slab_sheaf *sheaf);
unsigned int kmem_cache_sheaf_size(struct slab_sheaf *sheaf);

/* ---- the variant -------------------------------------------------------- */
/* SLAB_FEAT_* bits, one a configuration step: slab_features.h */
const char *slab_variant(void);
unsigned int slab_features(void);

/* ---- counters ----------------------------------------------------------- */
/*
 * The kernel's SLUB_STATS counters that apply, plus a few of slabscale's
 * own (marked), declared once here: X(item, sysfs name, unit, better,
 * what).  better is LOWER for work off the fast path (less is better),
 * NONE for hits and plain counts (a change is only a change), HIGHER where
 * more is better.  The run documents carry this table (slab_counter_info(),
 * "allocator_counters"), so the analysis learns a new counter's unit and
 * direction from here, with no edit of its own.  Each object allocation counts
 * exactly one of ALLOC_FASTPATH, ALLOC_SLOWPATH, ALLOC_PCS,
 * ALLOC_FROM_SHEAF and each free one of FREE_FASTPATH, FREE_SLOWPATH,
 * FREE_PCS, so active objects = allocations - frees.  Unlike sysfs,
 * objects that a refill moves into a sheaf or a flush moves out of one are
 * not counted as allocations or frees (SHEAF_REFILL, SHEAF_FLUSH count
 * them).  "Hit" below means the per-CPU fast path.
 */
#define SLAB_STAT_ITEMS(X)						\
	X(ALLOC_FASTPATH, "alloc_fastpath", "objects", NONE,		\
	  "hit: cpu slab freelist (<= 6.19), sheaf (7.0)")		\
	X(ALLOC_SLOWPATH, "alloc_slowpath", "objects", LOWER,		\
	  "from the cpu slab's slow path or a slab")			\
	X(ALLOC_PCS, "alloc_cpu_sheaf", "objects", NONE,		\
	  "alloc_cpu_sheaf: sheaf hit beside a cpu slab")		\
	X(FREE_FASTPATH, "free_fastpath", "objects", NONE,		\
	  "hit: onto the cpu slab freelist / a sheaf")			\
	X(FREE_SLOWPATH, "free_slowpath", "objects", LOWER,		\
	  "to the object's slab (__slab_free)")				\
	X(FREE_PCS, "free_cpu_sheaf", "objects", NONE,			\
	  "free_cpu_sheaf: sheaf hit beside a cpu slab")		\
	X(FREE_RCU_SHEAF, "free_rcu_sheaf", "objects", NONE,		\
	  "kfree_rcu() object taken by an rcu_free sheaf")		\
	X(FREE_RCU_SHEAF_FAIL, "free_rcu_sheaf_fail", "objects", LOWER,	\
	  "kfree_rcu() object an rcu_free sheaf refused")	\
	X(FREE_FROZEN, "free_frozen", "objects", NONE,			\
	  "__slab_free() to a frozen (cpu) slab")			\
	X(FREE_ADD_PARTIAL, "free_add_partial", "slabs", LOWER,		\
	  "a free put a full slab on a partial list")			\
	X(FREE_REMOVE_PARTIAL, "free_remove_partial", "slabs", LOWER,	\
	  "a free emptied a node-partial slab: discarded")		\
	X(ALLOC_FROM_PARTIAL, "alloc_from_partial", "slabs", LOWER,	\
	  "a node-partial slab taken for allocation")			\
	X(ALLOC_SLAB, "alloc_slab", "slabs", LOWER,			\
	  "a new slab from the page allocator")				\
	X(ALLOC_REFILL, "alloc_refill", "slabs", LOWER,			\
	  "cpu slab refilled from its own remote frees")		\
	X(ALLOC_NODE_MISMATCH, "alloc_node_mismatch", "slabs", LOWER,	\
	  "cpu slab of the wrong node (not modelled)")			\
	X(FREE_SLAB, "free_slab", "slabs", LOWER,			\
	  "a slab given back to the page allocator")			\
	X(CPUSLAB_FLUSH, "cpuslab_flush", "flushes", LOWER,		\
	  "a CPU's cpu slab and partials flushed")			\
	X(DEACTIVATE_FULL, "deactivate_full", "slabs", LOWER,		\
	  "cpu slab deactivated full")					\
	X(DEACTIVATE_EMPTY, "deactivate_empty", "slabs", LOWER,		\
	  "cpu slab deactivated empty, and discarded")		\
	X(DEACTIVATE_TO_HEAD, "deactivate_to_head", "slabs", LOWER,	\
	  "cpu slab deactivated to the partial list head (unused)") \
	X(DEACTIVATE_TO_TAIL, "deactivate_to_tail", "slabs", LOWER,	\
	  "cpu slab deactivated to the partial list tail")	\
	X(DEACTIVATE_REMOTE_FREES, "deactivate_remote_frees", "slabs", LOWER,	\
	  "cpu slab deactivated with other CPUs' frees")	\
	X(DEACTIVATE_BYPASS, "deactivate_bypass", "slabs", LOWER,	\
	  "(not modelled)")						\
	X(ORDER_FALLBACK, "order_fallback", "slabs", LOWER,		\
	  "slab of the minimum order, the order failed")		\
	X(CMPXCHG_DOUBLE_CPU_FAIL, "cmpxchg_double_cpu_fail", "retries", LOWER,	\
	  "atomic mode: a cpu-slab free lost a race")			\
	X(CMPXCHG_DOUBLE_FAIL, "cmpxchg_double_fail", "retries", LOWER,	\
	  "slab (freelist, counters) cmpxchg retried")			\
	X(CPU_PARTIAL_ALLOC, "cpu_partial_alloc", "slabs", LOWER,	\
	  "a per-CPU partial slab became the cpu slab")			\
	X(CPU_PARTIAL_FREE, "cpu_partial_free", "slabs", LOWER,		\
	  "a free put a slab on the per-CPU partials")			\
	X(CPU_PARTIAL_NODE, "cpu_partial_node", "slabs", LOWER,		\
	  "a per-CPU partial of the wrong node dropped")		\
	X(CPU_PARTIAL_DRAIN, "cpu_partial_drain", "slabs", LOWER,	\
	  "per-CPU partials full: drained to the node")			\
	X(SHEAF_FLUSH, "sheaf_flush", "objects", LOWER,			\
	  "objects flushed from sheaves to slabs")			\
	X(SHEAF_REFILL, "sheaf_refill", "objects", LOWER,		\
	  "objects refilled into sheaves from slabs")			\
	X(SHEAF_ALLOC, "sheaf_alloc", "sheaves", LOWER,			\
	  "an empty sheaf allocated")					\
	X(SHEAF_FREE, "sheaf_free", "sheaves", LOWER,			\
	  "an empty sheaf freed")					\
	X(BARN_GET, "barn_get", "sheaves", LOWER,			\
	  "a full sheaf taken from the barn")				\
	X(BARN_GET_FAIL, "barn_get_fail", "sheaves", LOWER,		\
	  "no full sheaf in the barn to take")			\
	X(BARN_PUT, "barn_put", "sheaves", LOWER,			\
	  "a full sheaf given to the barn")				\
	X(BARN_PUT_FAIL, "barn_put_fail", "sheaves", LOWER,		\
	  "a full sheaf the barn refused (full or busy)")	\
	X(SHEAF_PREFILL_FAST, "sheaf_prefill_fast", "sheaves", NONE,	\
	  "prefill: the CPU's spare sheaf was taken")			\
	X(SHEAF_PREFILL_SLOW, "sheaf_prefill_slow", "sheaves", LOWER,	\
	  "prefill: no spare, barn or a new sheaf")			\
	X(SHEAF_PREFILL_OVERSIZE, "sheaf_prefill_oversize", "sheaves", LOWER,	\
	  "prefill above the capacity: own sheaf")			\
	X(SHEAF_RETURN_FAST, "sheaf_return_fast", "sheaves", NONE,	\
	  "a returned sheaf became the spare")				\
	X(SHEAF_RETURN_SLOW, "sheaf_return_slow", "sheaves", LOWER,	\
	  "a returned sheaf went to the barn, or was flushed") \
	X(PCS_TRYLOCK_FAIL, "pcs_trylock_fail", "trylocks", LOWER,	\
	  "slabscale: per-CPU trylock found it taken")			\
	X(NOLOCK_ALLOC_FAIL, "nolock_alloc_fail", "objects", LOWER,	\
	  "slabscale: kmalloc_nolock returned NULL")			\
	X(NOLOCK_FREE_DEFERRED, "nolock_free_deferred", "objects", LOWER,	\
	  "slabscale: kfree_nolock deferred the free")			\
	X(ALLOC_FROM_SHEAF, "alloc_from_sheaf", "objects", NONE,	\
	  "slabscale: kmem_cache_alloc_from_sheaf()")			\
	X(REFILL_REMOTE, "refill_remote", "objects", LOWER,		\
	  "slabscale: refilled from another node's partial slabs")

#define SLAB_STAT_ENUM(item, name, unit, better, what)	item,
enum slab_stat_item {
	SLAB_STAT_ITEMS(SLAB_STAT_ENUM)
	NR_SLAB_STAT_ITEMS
};
#undef SLAB_STAT_ENUM

const char *slab_stat_name(enum slab_stat_item item);
/* Sum of the per-CPU counters of one cache, read without stopping anyone. */
void kmem_cache_stats(struct kmem_cache *s,
		      unsigned long long out[NR_SLAB_STAT_ITEMS]);

/*
 * Lock statistics (like the kernel's lock_stat), per lock class: for a
 * cache its nodes' list_locks, its barns' locks and its per-CPU locks
 * (the sheaves' and the cpu slab's, local_trylock in the kernel); the
 * page allocator's zone lock for the whole allocator.  acquired counts
 * successful acquisitions, contended those that found the lock held and
 * waited (wait_ns in total), trylock_failed the trylocks that found it
 * held and gave up.  A per-CPU lock is only trylocked by its CPU's
 * threads (trylock_failed = PCS_TRYLOCK_FAIL); remote lockers (flushes,
 * shrink, destroy) wait, and are the per-CPU class's contended.
 */
enum slab_lock_class {
	SLAB_LOCK_LIST,			/* "list_lock" */
	SLAB_LOCK_BARN,			/* "barn_lock" */
	SLAB_LOCK_CPU,			/* "cpu_lock" */
	NR_SLAB_LOCK_CLASSES
};

/* X(field, unit, better, what): declared once, like SLAB_STAT_ITEMS */
#define SLAB_LOCK_FIELDS(X)						\
	X(acquired, "acquisitions", LOWER, "successful acquisitions")	\
	X(contended, "acquisitions", LOWER,				\
	  "acquisitions that found the lock held and waited")		\
	X(wait_ns, "ns", LOWER, "time those acquisitions waited")	\
	X(trylock_failed, "trylocks", LOWER,				\
	  "trylocks that found the lock held and gave up")

#define SLAB_LOCK_FIELD(field, unit, better, what)	unsigned long long field;
struct slab_lock_stat {
	SLAB_LOCK_FIELDS(SLAB_LOCK_FIELD)
};
#undef SLAB_LOCK_FIELD

const char *slab_lock_class_name(enum slab_lock_class cls);

/*
 * One declared counter: a SLAB_STAT_ITEMS entry (group "stats") or a
 * SLAB_LOCK_FIELDS entry (group "locks"); better is "lower", "higher" or
 * "none".  slab_counter_info() returns the table (in that order) and its
 * length in *nr; the harness writes it into every run document.
 */
struct slab_counter_info {
	const char *group;
	const char *name;
	const char *unit;
	const char *better;
	const char *what;
};
const struct slab_counter_info *slab_counter_info(unsigned int *nr);
void kmem_cache_lock_stats(struct kmem_cache *s,
			   struct slab_lock_stat out[NR_SLAB_LOCK_CLASSES]);
/* the page allocator's zone lock */
void slab_zone_lock_stat(struct slab_lock_stat *out);

struct slab_cache_info {
	unsigned long objects;		/* object slots in slabs */
	unsigned long active_objs;	/* allocated and not yet freed */
	unsigned long slabs;
	unsigned int object_size;	/* as asked */
	unsigned int size;		/* with metadata and alignment */
	unsigned int objs_per_slab;
	unsigned int order;
	unsigned int sheaf_capacity;
};
void kmem_cache_info(struct kmem_cache *s, struct slab_cache_info *info);

/*
 * Objects allocated and not freed, over every cache and large kmalloc,
 * counting kfree_rcu()'d objects whose grace period has not ended yet.
 */
long slab_live_objects(void);
/* Objects that kmem_cache_destroy() found still allocated, in total. */
unsigned long slab_leaked_objects(void);

/*
 * Write one JSON object describing the allocator (variant, features, every
 * cache with its info and counters) into buf.  Returns the length written,
 * or -1 if len is too small.  Takes slab_mutex; never allocates.
 */
int slab_stats_json(char *buf, size_t len);

/*
 * Topology (SLABSCALE_NODES=N, SLABSCALE_MEMORYLESS=LIST, else the
 * machine's): the node count, whether it came from the environment, and
 * the parser of a memoryless node list ("1", "1,3", "2-5") for a machine
 * of nodes nodes, which sets a bit per node in mask; 0, or -1 with a
 * one-line message in err.
 */
int slab_node_count(void);
bool slab_topology_from_env(void);
int slab_parse_memoryless(const char *list, int nodes, unsigned int *mask,
			  char *err, size_t len);
/* /proc/slabinfo-like table, one line a cache. */
void slab_dump_slabinfo(FILE *f);

/*
 * Where slab_bug() sends bad input and corruption found (default: stderr,
 * one line each).  Tests install their own to check what was found.
 */
typedef void (*slab_bug_fn)(const char *msg);
void slab_set_bug_handler(slab_bug_fn fn);

#ifdef __cplusplus
}
#endif
#endif /* SLABSCALE_SLAB_H */
