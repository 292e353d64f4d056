/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kmod_common.h - the "module load/unload" world shared by cache_destroy
 * and kmod_stress.
 *
 * The world, at the scale of the kernel's regression mails (seed
 * kfree_rcu-sheaf-and-barrier-on-cache.txt): bg_caches background caches
 * with sheaves exist for the whole run (2: in 6.18 only the vma and
 * maple-node caches had sheaves), and a feeder thread keeps RCU busy the
 * way a running kernel does.  Each round (every bg_period_us) it visits
 * every CPU and there kfree_rcu()s one object into every background cache
 * (their rcu_free sheaves, from rcu-sheaf on), bg_kmalloc_rcu kmalloc'd
 * objects (the rest of the kernel's kfree_rcu users: the classic batches
 * until kmalloc caches get sheaves in 7.0) and queues bg_call_rcu
 * call_rcu() callbacks (the kernel's other call_rcu users, so that an
 * rcu_barrier() finds callbacks queued, as in a running kernel).
 *
 * A module load + unload (kmod_load_unload) is shaped like slub_kunit,
 * the module of the kernel's mail (19 kmem_cache_destroy() calls per
 * load): `caches` caches, each created, used and destroyed before the
 * next one, as its tests do.  debug_caches of them are debug caches
 * (SLAB_RED_ZONE or SLAB_POISON: no sheaves in any variant), rcu_caches
 * get rcu_objects kfree_rcu()'d objects (test_kfree_rcu and the ten
 * caches of test_kfree_rcu_wq_destroy), the rest none (test_leak_destroy,
 * which here frees its object).  In slub_kunit's order: all debug caches
 * but one, the kfree_rcu ones, the plain ones, the last debug cache.
 * Every cache allocates `objects` objects and frees the rest directly.
 * Each kmem_cache_destroy() is timed (destroy_latency, and per kind:
 * destroy_latency_debug, _rcu, _plain).  What a destroy waits for on each
 * variant is in allocator/README-rcu.md.
 *
 * Teardown: see kmod_destroy_is_global().
 *
 * Ownership: the background caches are created in testcase_prepare(); in
 * threads mode task 0 runs the feeder for the process, in processes mode
 * every task runs one for its own copy of the allocator.  The feeder never
 * calls the harness: it counts its calls into a mailbox that its owner
 * drains.
 */
#ifndef SLABSCALE_KMOD_COMMON_H
#define SLABSCALE_KMOD_COMMON_H

#include "slab_case.h"

#define KMOD_NAME_LEN	48

struct kmod_obj {
	struct rcu_head rcu;
	unsigned long payload[];
};

enum kmod_kind { KMOD_DEBUG, KMOD_RCU, KMOD_PLAIN, KMOD_NR_KINDS };

struct kmod_world {
	/* parameters */
	unsigned long caches, debug_caches, rcu_caches;
	unsigned long objects, rcu_objects, size, sheaf_capacity;
	unsigned long bg_caches, bg_size, bg_sheaf_capacity, bg_period_us;
	unsigned long bg_kmalloc_rcu, bg_call_rcu;
	bool feeder;
	/* state */
	struct kmem_cache **bg;
	char (*bg_names)[KMOD_NAME_LEN];
	struct slab_case_cpus cpus;
	int destroy_metric, fed_metric;
	int kind_metric[KMOD_NR_KINDS];
};

/* A feeder call_rcu() callback: the object frees itself (kfree). */
struct kmod_cb {
	struct rcu_head rcu;
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

	w->caches = slab_case_param_range("caches", 19, 1, 1000);
	w->debug_caches = slab_case_param_range("debug_caches", 7, 0, 1000);
	w->rcu_caches = slab_case_param_range("rcu_caches", 11, 0, 1000);
	w->objects = slab_case_param_range("objects", 2, 0, 1 << 20);
	w->rcu_objects = slab_case_param_range("rcu_objects", 1, 0, 1 << 20);
	w->size = slab_case_param_range("size", 64, min, SLAB_MAX_OBJECT_SIZE);
	w->sheaf_capacity = slab_case_param_range("sheaf_capacity", 0, 0,
						  SLAB_MAX_SHEAF_CAPACITY);
	w->bg_caches = slab_case_param_range("bg_caches", 2, 0, 100000);
	w->bg_size = slab_case_param_range("bg_size", 64, min, SLAB_MAX_OBJECT_SIZE);
	w->bg_sheaf_capacity = slab_case_param_range("bg_sheaf_capacity", 32,
						     0, SLAB_MAX_SHEAF_CAPACITY);
	w->bg_period_us = slab_case_param_range("bg_period_us", 1000, 0,
						60000000);
	w->bg_kmalloc_rcu = slab_case_param_range("bg_kmalloc_rcu", 1, 0, 1000);
	w->bg_call_rcu = slab_case_param_range("bg_call_rcu", 1, 0, 1000);
	w->feeder = slab_case_param_range("feeder", 1, 0, 1);
	if (w->debug_caches + w->rcu_caches > w->caches)
		harness_param_error("rcu_caches",
				    "debug_caches (%lu) + rcu_caches (%lu) at most caches (%lu)",
				    w->debug_caches, w->rcu_caches, w->caches);
	if (w->rcu_caches && w->rcu_objects > w->objects)
		harness_param_error("rcu_objects", "at most objects (%lu)",
				    w->objects);
	slab_case_cpus_init(&w->cpus);
}

/* Register the destroy metrics (call from testcase_prepare). */
static inline void kmod_metrics(struct kmod_world *w, int flags)
{
	static const char *const names[KMOD_NR_KINDS] = {
		"destroy_latency_debug", "destroy_latency_rcu",
		"destroy_latency_plain",
	};
	int k;

	w->destroy_metric = harness_metric("destroy_latency",
					   HARNESS_LATENCY | flags, "ns");
	for (k = 0; k < KMOD_NR_KINDS; k++)
		w->kind_metric[k] = harness_metric(names[k],
						   HARNESS_LATENCY | flags, "ns");
	w->fed_metric = harness_metric("bg_kfree_rcu", HARNESS_COUNTER | flags,
				       "calls");
}

/*
 * The kind of the module's k-th cache, in slub_kunit's order: the debug
 * caches but the last one, the kfree_rcu ones, the plain ones, the last
 * debug cache.
 */
static inline enum kmod_kind kmod_kind_of(const struct kmod_world *w,
					  unsigned long k)
{
	unsigned long lead = w->debug_caches ? w->debug_caches - 1 : 0;

	if (k < lead || (w->debug_caches && k == w->caches - 1))
		return KMOD_DEBUG;
	if (k < lead + w->rcu_caches)
		return KMOD_RCU;
	return KMOD_PLAIN;
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

static inline void kmod_cb_free(struct rcu_head *head)
{
	kfree(caa_container_of(head, struct kmod_cb, rcu));
}

/*
 * One feeder round, on every CPU in turn: one kfree_rcu() into every
 * background cache, bg_kmalloc_rcu kfree_rcu()s of kmalloc'd objects and
 * bg_call_rcu call_rcu()s.  Returns the kfree_rcu() and call_rcu() calls.
 */
static inline unsigned long kmod_feed_round(struct kmod_feeder *f)
{
	struct kmod_world *w = f->w;
	struct kmod_obj *o;
	struct kmod_cb *cb;
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
		for (i = 0; i < w->bg_kmalloc_rcu; i++) {
			o = kmalloc(w->bg_size, GFP_KERNEL);
			if (!o)
				continue;
			o->payload[0] = i;
			kfree_rcu(o, rcu);
			n++;
		}
		for (i = 0; i < w->bg_call_rcu; i++) {
			cb = kmalloc(sizeof(*cb), GFP_KERNEL);
			if (!cb)
				continue;
			slab_call_rcu(&cb->rcu, kmod_cb_free);
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

	if (!w->feeder || (!w->bg_caches && !w->bg_kmalloc_rcu &&
			   !w->bg_call_rcu) ||
	    (nr && !harness_processes_mode()))
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

/* Allocate, kfree_rcu some (rcu caches), free the rest. */
static inline void kmod_use_cache(struct kmod_world *w, struct kmem_cache *s,
				  enum kmod_kind kind, void **objs)
{
	unsigned long i, nr_rcu = kind == KMOD_RCU ? w->rcu_objects : 0;
	struct kmod_obj *o;

	for (i = 0; i < w->objects; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		if (!objs[i])
			harness_fail("kmem_cache_alloc(%s) failed",
				     kmem_cache_name(s));
		((struct kmod_obj *)objs[i])->payload[0] = i;
	}
	for (i = 0; i < nr_rcu; i++) {
		o = objs[i];
		kfree_rcu(o, rcu);
	}
	for (; i < w->objects; i++)
		kmem_cache_free(s, objs[i]);
}

/*
 * One module load + unload by task nr: each cache created, used and
 * destroyed in turn.  Records each destroy's latency and returns the time
 * spent in kmem_cache_destroy() in ns.
 */
static inline unsigned long long kmod_load_unload(struct kmod_world *w,
						  unsigned long nr,
						  unsigned long long round,
						  void **objs)
{
	struct kmem_cache_args args = { .sheaf_capacity = w->sheaf_capacity };
	unsigned long long t0, dt, total = 0;
	char name[96];		/* room for three 20-digit numbers */
	struct kmem_cache *s;
	enum kmod_kind kind;
	slab_flags_t flags;
	unsigned long k;

	for (k = 0; k < w->caches; k++) {
		kind = kmod_kind_of(w, k);
		flags = kind != KMOD_DEBUG ? SLAB_NO_MERGE :
			k & 1 ? SLAB_POISON : SLAB_RED_ZONE;
		snprintf(name, sizeof(name), "kmod_t%lu_r%llu_c%lu", nr, round, k);
		s = kmem_cache_create(name, w->size, &args, flags);
		if (!s)
			harness_fail("kmem_cache_create(%s) failed", name);
		kmod_use_cache(w, s, kind, objs);
		t0 = harness_now_ns();
		kmem_cache_destroy(s);
		dt = harness_now_ns() - t0;
		harness_record(w->destroy_metric, dt);
		harness_record(w->kind_metric[kind], dt);
		total += dt;
	}
	return total;
}

#endif /* SLABSCALE_KMOD_COMMON_H */
