/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * slab_features.h - the allocator's configuration steps, one row each.
 *
 * A variant (allocator/variants/<v>.mk) is a set of CONFIG_SLUB_* -D flags;
 * each flag is one step of the kernel's history.  This table is the only
 * place that names a step: the SLAB_FEAT_* bit callers test in
 * slab_features(), the name the JSON export lists under "features", and
 * the CONFIG symbol that turns it on all come from its row, so adding a
 * step is one row here plus the variant's .mk (allocator/README.md, "Adding
 * a variant").  allocator.mk refuses a variant whose flags name a
 * CONFIG_SLUB_* symbol missing from this table.
 *
 * SLAB_FEATURES(X) calls X(NAME, "json_name", CONFIG_SYMBOL) per row.  A
 * row's bit is its position (SLAB_FEAT_<NAME> = 1u << position), and the
 * JSON lists names in that order, so append new rows at the end: stored
 * results and callers know the old bits.  A feature with no flag of its own
 * names the flag that implies it (sheaves_all: the kmalloc buckets' sheaves
 * are the last caches to get them).
 */
#ifndef SLABSCALE_SLAB_FEATURES_H
#define SLABSCALE_SLAB_FEATURES_H

#define SLAB_FEATURES(X)						     \
	/* classic per-CPU slab layer, per-CPU partial slabs (<= 6.17) */    \
	X(CPU_SLAB,		"cpu_slab",	    CONFIG_SLUB_CPU_SLAB)	     \
	/* percpu sheaves for caches that ask (6.18) */			     \
	X(SHEAVES,		"sheaves",	    CONFIG_SLUB_SHEAVES)	     \
	/* kfree_rcu into rcu_free sheaves (6.18) */			     \
	X(RCU_SHEAF,		"rcu_sheaf",	    CONFIG_SLUB_RCU_SHEAF)	     \
	/* destroy flushes only its own cache's rcu sheaves (6.19) */	     \
	X(BARRIER_ON_CACHE,	"barrier_on_cache", CONFIG_SLUB_BARRIER_ON_CACHE) \
	/* kmalloc_nolock/kfree_nolock try the sheaves (7.0) */		     \
	X(NOLOCK_SHEAVES,	"nolock_sheaves",   CONFIG_SLUB_NOLOCK_SHEAVES)  \
	/* every cache has sheaves, kmalloc's too (7.0) */		     \
	X(SHEAVES_ALL,		"sheaves_all",	    CONFIG_SLUB_KMALLOC_SHEAVES) \
	/* all caches but kmalloc's (bootstrap sheaf) have sheaves (7.0) */  \
	X(SHEAVES_MOST,		"sheaves_most",	    CONFIG_SLUB_SHEAVES_MOST)    \
	/* the kmalloc buckets get real sheaves (7.0) */		     \
	X(KMALLOC_SHEAVES,	"kmalloc_sheaves",  CONFIG_SLUB_KMALLOC_SHEAVES) \
	/* a short refill tries the other nodes' partial lists (7.0) */	     \
	X(REFILL_ALL_NODES,	"refill_all_nodes", CONFIG_SLUB_REFILL_ALL_NODES) \
	/* ... only trylocking their list_lock (7.0, 40fd0acc45d0) */	     \
	X(REFILL_TRYLOCK,	"refill_trylock",   CONFIG_SLUB_REFILL_TRYLOCK)  \
	/* GFP_NOWAIT callers refill sheaves too (7.0-rc3, fb1091febd66) */  \
	X(REFILL_NOWAIT,	"refill_nowait",    CONFIG_SLUB_REFILL_NOWAIT)   \
	/* barns on memoryless nodes, remote frees into their sheaves (7.1) */ \
	X(MEMORYLESS_BARNS,	"memoryless_barns", CONFIG_SLUB_MEMORYLESS_BARNS)

enum slab_feature_bit {
#define SLAB_FEATURE_BIT(name, json, config)	SLAB_FEAT_BIT_##name,
	SLAB_FEATURES(SLAB_FEATURE_BIT)
#undef SLAB_FEATURE_BIT
	NR_SLAB_FEATURES
};

enum {
#define SLAB_FEATURE_MASK(name, json, config) \
	SLAB_FEAT_##name = 1u << SLAB_FEAT_BIT_##name,
	SLAB_FEATURES(SLAB_FEATURE_MASK)
#undef SLAB_FEATURE_MASK
};

#endif /* SLABSCALE_SLAB_FEATURES_H */
