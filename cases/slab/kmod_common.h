/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kmod_common.h - the "module load/unload" world shared by cache_destroy
 * and kmod_stress.
 *
 * The world: bg_caches background caches with sheaves exist for the whole
 * run (the ~100-300 caches of a running kernel), and a feeder thread keeps
 * kfree_rcu()-ing objects into every one of them on every CPU in turn, so
 * that each background cache has a populated rcu_free sheaf on every CPU
 * (from the rcu-sheaf variant on) and each barrier has real work to flush.
 *
 * A module load + unload (kmod_load_unload) creates `caches` caches,
 * allocates `objects` objects from each, frees half of them directly,
 * kfree_rcu()s `rcu_objects` of the rest and frees the remainder, then
 * destroys the caches one by one (the module's exit function), timing each
 * kmem_cache_destroy().  The destroy has to wait for the kfree_rcu()'d
 * objects: with the rcu-sheaf variant it does so through the global
 * kvfree_rcu_barrier() (every sheaf cache on every CPU), from
 * barrier-on-cache on through kvfree_rcu_barrier_on_cache().
 *
 * Teardown: see kmod_destroy_is_global().
 *
 * Ownership: the background caches are created in testcase_prepare(); in
 * threads mode task 0 runs the feeder for the process, in processes mode
 * every task runs one for its own copy of the allocator.  The feeder never
 * calls the harness: it counts its kfree_rcu()s into a mailbox that its
 * owner drains.
 */
#ifndef SLABSCALE_KMOD_COMMON_H
#define SLABSCALE_KMOD_COMMON_H

#include "slab_case.h"

#define KMOD_MAX_CACHES	64
#define KMOD_NAME_LEN	48

struct kmod_obj {
	struct rcu_head rcu;
	unsigned long payload[];
};

struct kmod_world {
	/* parameters */
	unsigned long caches, objects, rcu_objects, size, sheaf_capacity;
	unsigned long bg_caches, bg_size, bg_sheaf_capacity, bg_period_us;
	bool feeder;
	/* state */
	struct kmem_cache **bg;
	char (*bg_names)[KMOD_NAME_LEN];
	struct slab_case_cpus cpus;
	int destroy_metric, fed_metric;
};

struct kmod_feeder {
	struct slab_case_mailbox box;
	struct kmod_world *w;
	int stop;
	pthread_t th;
};

/* Read the shared parameters (call from testcase_prepare). */
static inline void kmod_read_params(struct kmod_world *w)
{
	size_t min = sizeof(struct kmod_obj) + sizeof(unsigned long);

	w->caches = slab_case_param_range("caches", 2, 1, KMOD_MAX_CACHES);
	w->objects = slab_case_param_range("objects", 64, 0, 1 << 20);
	w->rcu_objects = slab_case_param_range("rcu_objects", 16, 0, 1 << 20);
	w->size = slab_case_param_range("size", 128, min, SLAB_MAX_OBJECT_SIZE);
	w->sheaf_capacity = slab_case_param_range("sheaf_capacity", 0, 0, 4096);
	w->bg_caches = slab_case_param_range("bg_caches", 100, 0, 100000);
	w->bg_size = slab_case_param_range("bg_size", 64, min, SLAB_MAX_OBJECT_SIZE);
	w->bg_sheaf_capacity = slab_case_param_range("bg_sheaf_capacity", 32,
						     0, 4096);
	w->bg_period_us = slab_case_param_range("bg_period_us", 1000, 0,
						60000000);
	w->feeder = slab_case_param_range("feeder", 1, 0, 1);
	if (w->rcu_objects > w->objects / 2)
		harness_param_error("rcu_objects", "at most objects/2 (%lu)",
				    w->objects / 2);
	slab_case_cpus_init(&w->cpus);
}

/* Create the background caches (after the accounting baseline). */
static inline void kmod_create_bg(struct kmod_world *w)
{
	struct kmem_cache_args args = { .sheaf_capacity = w->bg_sheaf_capacity };
	unsigned long i;

	w->bg = calloc(w->bg_caches + 1, sizeof(*w->bg));
	w->bg_names = calloc(w->bg_caches + 1, sizeof(*w->bg_names));
	if (!w->bg || !w->bg_names)
		harness_fail("out of memory");
	for (i = 0; i < w->bg_caches; i++) {
		snprintf(w->bg_names[i], KMOD_NAME_LEN, "kmod_bg_%lu", i);
		w->bg[i] = kmem_cache_create(w->bg_names[i], w->bg_size, &args,
					     SLAB_NO_MERGE);
		if (!w->bg[i])
			harness_fail("kmem_cache_create(%s) failed", w->bg_names[i]);
	}
}

static inline void kmod_destroy_bg(struct kmod_world *w)
{
	unsigned long i;

	if (!w->bg)
		return;
	/* Wait once for the feeder's objects rather than once per cache. */
	kvfree_rcu_barrier();
	for (i = 0; i < w->bg_caches; i++)
		kmem_cache_destroy(w->bg[i]);
	free(w->bg);
	free(w->bg_names);
	w->bg = NULL;
	w->bg_names = NULL;
}

/*
 * Whether kmem_cache_destroy() runs the global kvfree_rcu_barrier() (the
 * rcu-sheaf variant).  Then tearing down the background caches costs one
 * global barrier each, bg_caches^2 x CPUs per-CPU flush round trips in
 * all: seconds at 300 caches on a quiet 2-CPU machine, past the harness's
 * cleanup timeout on a busy one.  The cases then check the accounting with
 * the background caches still alive and leave them to the process exit.
 */
static inline bool kmod_destroy_is_global(void)
{
	unsigned int f = slab_features();

	return (f & SLAB_FEAT_RCU_SHEAF) && !(f & SLAB_FEAT_BARRIER_ON_CACHE);
}

/*
 * testcase_cleanup() of the kmod cases: destroy the background caches
 * unless that is the global barrier's quadratic cost (above), then check
 * the accounting against the baseline that matches what is still alive.
 */
static inline void kmod_cleanup(struct kmod_world *w,
				const struct slab_case_acct *baseline,
				const struct slab_case_acct *with_bg)
{
	if (kmod_destroy_is_global()) {
		slab_case_acct_check(with_bg, "cleanup");
		return;
	}
	kmod_destroy_bg(w);
	slab_case_acct_check(baseline, "cleanup");
}

/* One feeder round: one kfree_rcu() into every background cache per CPU. */
static inline unsigned long kmod_feed_round(struct kmod_feeder *f)
{
	struct kmod_world *w = f->w;
	struct kmod_obj *o;
	unsigned long n = 0, i;
	int c;

	for (c = 0; c < w->cpus.nr; c++) {
		if (w->cpus.nr > 1)
			slab_case_pin_self(w->cpus.cpu[c]);
		for (i = 0; i < w->bg_caches; i++) {
			if (__atomic_load_n(&f->stop, __ATOMIC_RELAXED))
				return n;
			o = kmem_cache_alloc(w->bg[i], GFP_KERNEL);
			if (!o)
				continue;	/* counted by the allocator */
			o->payload[0] = i;
			kfree_rcu(o, rcu);
			n++;
		}
	}
	return n;
}

static inline void *kmod_feeder_main(void *arg)
{
	struct kmod_feeder *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		slab_case_post(&f->box, f->w->fed_metric, kmod_feed_round(f));
		if (f->w->bg_period_us)
			slab_case_sleep_ns(f->w->bg_period_us * 1000ull);
	}
	return NULL;
}

/* Start this process's feeder if the task owns it; NULL if it does not. */
static inline struct kmod_feeder *kmod_feeder_start(struct kmod_world *w,
						    unsigned long nr)
{
	struct kmod_feeder *f;

	if (!w->feeder || !w->bg_caches || (nr && !harness_processes_mode()))
		return NULL;
	f = aligned_alloc(64, sizeof(*f));
	if (!f)
		harness_fail("out of memory");
	memset(f, 0, sizeof(*f));
	f->w = w;
	f->th = slab_case_thread_start(kmod_feeder_main, f);
	return f;
}

static inline void kmod_feeder_drain(struct kmod_feeder *f)
{
	if (f)
		slab_case_drain(&f->box);
}

static inline void kmod_feeder_stop(struct kmod_feeder *f)
{
	if (!f)
		return;
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
	slab_case_thread_join(f->th);
	slab_case_drain(&f->box);
	free(f);
}

/* Allocate, free, kfree_rcu: what a module does with its caches. */
static inline void kmod_use_cache(struct kmod_world *w, struct kmem_cache *s,
				  void **objs)
{
	unsigned long i, half = w->objects / 2;
	struct kmod_obj *o;

	for (i = 0; i < w->objects; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		if (!objs[i])
			harness_fail("kmem_cache_alloc(%s) failed",
				     kmem_cache_name(s));
		((struct kmod_obj *)objs[i])->payload[0] = i;
	}
	for (i = 0; i < half; i++)
		kmem_cache_free(s, objs[i]);
	for (; i < half + w->rcu_objects; i++) {
		o = objs[i];
		kfree_rcu(o, rcu);
	}
	for (; i < w->objects; i++)
		kmem_cache_free(s, objs[i]);
}

/*
 * One module load + unload by task nr.  Records each destroy's latency
 * and returns the time spent in kmem_cache_destroy() in ns.
 */
static inline unsigned long long kmod_load_unload(struct kmod_world *w,
						  unsigned long nr,
						  unsigned long long round,
						  void **objs)
{
	struct kmem_cache_args args = { .sheaf_capacity = w->sheaf_capacity };
	struct kmem_cache *mod[KMOD_MAX_CACHES];
	char names[KMOD_MAX_CACHES][KMOD_NAME_LEN];
	unsigned long long t0, dt, total = 0;
	unsigned long k;

	for (k = 0; k < w->caches; k++) {
		snprintf(names[k], KMOD_NAME_LEN, "kmod_t%lu_r%llu_c%lu",
			 nr, round, k);
		mod[k] = kmem_cache_create(names[k], w->size, &args, 0);
		if (!mod[k])
			harness_fail("kmem_cache_create(%s) failed", names[k]);
	}
	for (k = 0; k < w->caches; k++)
		kmod_use_cache(w, mod[k], objs);
	for (k = 0; k < w->caches; k++) {
		t0 = harness_now_ns();
		kmem_cache_destroy(mod[k]);
		dt = harness_now_ns() - t0;
		harness_record(w->destroy_metric, dt);
		total += dt;
	}
	return total;
}

#endif /* SLABSCALE_KMOD_COMMON_H */
